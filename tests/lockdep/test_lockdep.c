/* Suite `lockdep`: the lock validator finds each family of lock-order bug, never reports
 * consistent orders, follows lockdep's trylock rules, validates NMIs, and in --lockdep-compat
 * mode misses exactly what the kernel's lockdep misses.
 *
 * The fixtures use a small test lock annotated for the validator (a test-and-set word that waits
 * by parking), so these tests exercise the validator and not a particular lock model.  Each
 * fixture is a target whose variant picks the scenario; a session runs a fixed range of seeds and
 * the validator's graph accumulates across them, as in a campaign. */
#include <errno.h>
#include <lockstep/kernel.h>

#include "../check.h"
#include "../harness.h"
#include "../../src/lockdep/lockdep.h"

/* ---- the test lock ----------------------------------------------------------------------- */

struct tlock {
	atomic_t v;
	int owner;
	struct ls_lockdep_map dep_map;
};

static struct ls_blocker tlock_blocker(const void *obj, const void *addr, int waiter)
{
	const struct tlock *l = obj;
	if (!l->v.counter || l->owner < 0)
		return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
	return (struct ls_blocker){ l->owner, LS_WAIT_HOLDER };
}

static void tlock_init(struct tlock *l, const char *name, unsigned flags)
{
	l->v.counter = 0;
	l->owner = -1;
	ls_lockdep_init_map(&l->dep_map, l, name, NULL, LS_WAIT_CONFIG, flags);
	ls_object_register(l, sizeof(*l), name, tlock_blocker);
}

static void tlock_lock_read(struct tlock *l, int read)
{
	ls_lock_acquire(&l->dep_map, read, false, LS_SITE("tlock_lock"));
	while (atomic_cmpxchg(&l->v, 0, 1) != 0)
		ls_park(&l->v, LS_NO_DEADLINE, LS_SITE("tlock_lock"));
	l->owner = ls_ctx_id();
	ls_lock_acquired(&l->dep_map, LS_SITE("tlock_lock"));
}

static void tlock_lock(struct tlock *l)
{
	tlock_lock_read(l, 0);
}

static bool tlock_trylock(struct tlock *l)
{
	if (atomic_cmpxchg(&l->v, 0, 1) != 0)
		return false;
	l->owner = ls_ctx_id();
	ls_lock_acquire(&l->dep_map, 0, true, LS_SITE("tlock_trylock"));
	return true;
}

/* A resilient lock gives up after a virtual timeout, as rqspinlock does. */
static int tlock_lock_resilient(struct tlock *l)
{
	ls_lock_acquire(&l->dep_map, 0, false, LS_SITE("tlock_lock_resilient"));
	uint64_t deadline = ls_now() + 1000000;
	while (atomic_cmpxchg(&l->v, 0, 1) != 0)
		if (!ls_park(&l->v, deadline, LS_SITE("tlock_lock_resilient")) && ls_now() >= deadline) {
			ls_lock_release(&l->dep_map, LS_SITE("tlock_lock_resilient"));
			return -ETIMEDOUT;
		}
	l->owner = ls_ctx_id();
	ls_lock_acquired(&l->dep_map, LS_SITE("tlock_lock_resilient"));
	return 0;
}

static void tlock_unlock(struct tlock *l)
{
	ls_lock_release(&l->dep_map, LS_SITE("tlock_unlock"));
	atomic_set(&l->v, 0);
	l->owner = -1;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

enum scenario {
	ABBA_TASKS,		/* t0: A->B, t1: B->A */
	ABBA_ACROSS_EXECS,	/* even executions t0: A->B, odd ones t0: B->A; t1 idle */
	ABBCCA,			/* t0: A->B, t1: B->C, t2: C->A */
	CONSISTENT,		/* every task A->B->C */
	AA_TASK,		/* t0: A, A */
	READ_RECURSION,		/* t0: read(A), read(A) with non-recursive reads */
	RECURSIVE_READ_OK,	/* t0: read(A) twice, recursive reads: allowed */
	TRYLOCK_NO_INCOMING,	/* t0: A, trylock(B); t1: B->A */
	TRYLOCK_AS_PREV,	/* t0: trylock(A), B; t1: B->A */
	IRQ_AA,			/* t0: A with irqs on; hardirq on CPU0: A */
	NMI_AA,			/* t0: A; NMI on CPU0: A */
	NMI_ABBA,		/* NMIs only: cpu0 A->B, cpu1 B->A */
	NMI_FIRST,		/* an NMI takes A until it has once; only then does t0 take A */
	IRQ_SAFE_UNSAFE,	/* t1: B with irqs on; hardirq: A; t0 irqs off: A->B */
	RESILIENT_ABBA,		/* ABBA where A gives up after a timeout */
	NSCENARIOS
};

static struct tlock A, B, C;
static enum scenario sc;
static unsigned flip;	/* counts executions of the session (init runs before each) */
static bool nmi_took;	/* NMI_FIRST: an NMI has taken A in this session */

static void t0_fn(void *arg)
{
	(void)arg;
	unsigned long flags;
	switch (sc) {
	case ABBA_TASKS:
	case CONSISTENT:
	case ABBCCA:
		tlock_lock(&A);
		tlock_lock(&B);
		if (sc == CONSISTENT) {
			tlock_lock(&C);
			tlock_unlock(&C);
		}
		tlock_unlock(&B);
		tlock_unlock(&A);
		break;
	case ABBA_ACROSS_EXECS: {
		struct tlock *x = flip & 1 ? &B : &A, *y = flip & 1 ? &A : &B;
		tlock_lock(x);
		tlock_lock(y);
		tlock_unlock(y);
		tlock_unlock(x);
		break;
	}
	case AA_TASK:
		tlock_lock(&A);
		tlock_lock(&A);
		break;
	case READ_RECURSION:
	case RECURSIVE_READ_OK:
		/* The test lock has no read mode: only the annotation differs, which is what the
		 * validator judges.  Take it once and annotate a second read acquisition. */
		tlock_lock_read(&A, sc == READ_RECURSION ? 1 : 2);
		ls_lock_acquire(&A.dep_map, sc == READ_RECURSION ? 1 : 2, false, LS_SITE("down_read"));
		ls_lock_release(&A.dep_map, LS_SITE("up_read"));
		tlock_unlock(&A);
		break;
	case TRYLOCK_NO_INCOMING:
		tlock_lock(&A);
		if (tlock_trylock(&B))
			tlock_unlock(&B);
		tlock_unlock(&A);
		break;
	case TRYLOCK_AS_PREV:
		if (tlock_trylock(&A)) {
			tlock_lock(&B);
			tlock_unlock(&B);
			tlock_unlock(&A);
		}
		break;
	case IRQ_AA:
	case NMI_AA:
		tlock_lock(&A);
		READ_ONCE(A.owner);
		tlock_unlock(&A);
		break;
	case NMI_FIRST:
		if (nmi_took) {
			tlock_lock(&A);
			tlock_unlock(&A);
		}
		break;
	case IRQ_SAFE_UNSAFE:
		local_irq_save(flags);
		tlock_lock(&A);
		tlock_lock(&B);
		tlock_unlock(&B);
		tlock_unlock(&A);
		local_irq_restore(flags);
		break;
	case RESILIENT_ABBA:
		if (tlock_lock_resilient(&A) == 0) {
			tlock_lock(&B);
			tlock_unlock(&B);
			tlock_unlock(&A);
		}
		break;
	default:
		break;
	}
}

static void t1_fn(void *arg)
{
	(void)arg;
	switch (sc) {
	case ABBA_TASKS:
	case TRYLOCK_NO_INCOMING:
	case TRYLOCK_AS_PREV:
		tlock_lock(&B);
		tlock_lock(&A);
		tlock_unlock(&A);
		tlock_unlock(&B);
		break;
	case ABBCCA:
		tlock_lock(&B);
		tlock_lock(&C);
		tlock_unlock(&C);
		tlock_unlock(&B);
		break;
	case CONSISTENT:
		tlock_lock(&A);
		tlock_lock(&C);
		tlock_unlock(&C);
		tlock_unlock(&A);
		break;
	case IRQ_SAFE_UNSAFE:
		tlock_lock(&B);
		tlock_unlock(&B);
		break;
	case RESILIENT_ABBA:
		tlock_lock(&B);
		if (tlock_lock_resilient(&A) == 0)
			tlock_unlock(&A);
		tlock_unlock(&B);
		break;
	default:
		break;
	}
}

static void t2_fn(void *arg)
{
	(void)arg;
	if (sc == ABBCCA) {
		tlock_lock(&C);
		tlock_lock(&A);
		tlock_unlock(&A);
		tlock_unlock(&C);
	} else if (sc == CONSISTENT) {
		tlock_lock(&B);
		tlock_lock(&C);
		tlock_unlock(&C);
		tlock_unlock(&B);
	}
}

static void nmi_fn(void *arg)
{
	(void)arg;
	switch (sc) {
	case NMI_AA:
		tlock_lock(&A);
		tlock_unlock(&A);
		break;
	case NMI_ABBA: {
		bool cpu0 = smp_processor_id() == 0;
		struct tlock *x = cpu0 ? &A : &B, *y = cpu0 ? &B : &A;
		tlock_lock(x);
		tlock_lock(y);
		tlock_unlock(y);
		tlock_unlock(x);
		break;
	}
	case NMI_FIRST:
		if (!nmi_took) {
			tlock_lock(&A);
			tlock_unlock(&A);
			nmi_took = true;
		}
		break;
	default:
		break;
	}
}

static void irq_fn(void *arg)
{
	(void)arg;
	if (sc == IRQ_AA || sc == IRQ_SAFE_UNSAFE) {
		tlock_lock(&A);
		tlock_unlock(&A);
	}
}

static void init(int v)
{
	sc = (enum scenario)v;
	if (++flip == 1)
		nmi_took = false;
	tlock_init(&A, "A", sc == RESILIENT_ABBA ? LS_LOCKDEP_RESILIENT : 0);
	tlock_init(&B, "B", 0);
	tlock_init(&C, "C", 0);
}

static const struct ls_task_decl tasks[] = {
	{ "t0", 0, t0_fn, NULL },
	{ "t1", 1, t1_fn, NULL },
	{ "t2", 1, t2_fn, NULL },
};

static const struct ls_irq_decl nmis[] = { { "nmi_fn", 0x3, 1, nmi_fn, NULL } };
static const struct ls_irq_decl irqs[] = { { "irq_fn", 0x1, 1, irq_fn, NULL } };

#define V(name) { #name, "fixture", LS_KIND_NONE }
static const struct ls_variant variants[NSCENARIOS] = {
	V(ABBA_TASKS), V(ABBA_ACROSS_EXECS), V(ABBCCA), V(CONSISTENT), V(AA_TASK),
	V(READ_RECURSION), V(RECURSIVE_READ_OK), V(TRYLOCK_NO_INCOMING), V(TRYLOCK_AS_PREV),
	V(IRQ_AA), V(NMI_AA), V(NMI_ABBA), V(NMI_FIRST), V(IRQ_SAFE_UNSAFE), V(RESILIENT_ABBA),
};

static const struct ls_target fixture = {
	.name = "test/lockdep",
	.summary = "validator fixtures",
	.models = "tests",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 3,
	.nmis = nmis,
	.nnmis = 1,
	.irqs = irqs,
	.nirqs = 1,
	.variants = variants,
	.nvariants = NSCENARIOS,
	.init = init,
};

/* ---- driving ----------------------------------------------------------------------------- */

struct outcome {
	bool found;		/* some execution had a validator report */
	char shape[40];		/* of the first report */
	char signature[1024];
	enum ls_kind kind;
	uint64_t seed;
	int nprior;
	uint64_t prior_seed;
};

/* Runs seeds 0..n-1 of a scenario in one session (one campaign) and returns its first report;
 * the report is rendered into text when text is not NULL. */
static struct outcome campaign_text(enum scenario s, enum ls_lockdep_mode mode, uint64_t n,
				    struct ls_buf *text)
{
	struct outcome o = { 0 };
	struct ls_session sess;
	struct ls_config cfg;
	char err[256];
	ls_config_default(&cfg);
	flip = 0;
	if (!ls_session_init(&sess, &fixture, (int)s, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(TEST_FAIL);
	}
	ls_session_set_lockdep(&sess, mode);
	struct ls_random rnd;
	ls_random_init(&rnd, 0.2, 0.0, 0.2);
	for (uint64_t seed = 0; seed < n && !o.found; seed++) {
		struct ls_result r;
		enum ls_kind k = ls_session_run(&sess, &rnd.base, seed, &r);
		const struct ls_lockdep_report *ld = ls_lockdep_report();
		if (!ld)
			continue;
		o.found = true;
		o.kind = k;
		o.seed = seed;
		snprintf(o.shape, sizeof(o.shape), "%s%s", ld->averted ? "averted-" : "", ld->shape);
		struct ls_buf b = { 0 };
		ls_lockdep_signature(ld, sess.m, &b);
		snprintf(o.signature, sizeof(o.signature), "%s", b.s);
		ls_buf_finish(&b);
		o.nprior = ld->nprior;
		o.prior_seed = ld->nprior ? ld->prior_seed[0] : 0;
		if (text)
			ls_lockdep_render(ld, sess.m, text);
	}
	ls_session_finish(&sess);
	return o;
}

static struct outcome campaign(enum scenario s, enum ls_lockdep_mode mode, uint64_t n)
{
	return campaign_text(s, mode, n, NULL);
}

#define EXPECT_SHAPE(s, mode, n, want)                                                          \
	do {                                                                                    \
		struct outcome o_ = campaign((s), (mode), (n));                                 \
		CHECKF(o_.found, "%s: no report in %d seeds", #s, (int)(n));                     \
		CHECKF(strcmp(o_.shape, (want)) == 0, "%s: shape %s, want %s (seed %llu: %s)", \
		       #s, o_.shape, (want), (unsigned long long)o_.seed, o_.signature);        \
	} while (0)

#define EXPECT_CLEAN(s, mode, n)                                                                \
	do {                                                                                    \
		struct outcome o_ = campaign((s), (mode), (n));                                 \
		CHECKF(!o_.found, "%s: unexpected %s at seed %llu: %s", #s, o_.shape,           \
		       (unsigned long long)o_.seed, o_.signature);                              \
	} while (0)

static int test_abba_between_tasks_is_found_in_the_first_execution(void)
{
	struct outcome o = campaign(ABBA_TASKS, LS_LOCKDEP_ON, 1);
	CHECKF(o.found && strcmp(o.shape, "ABBA") == 0, "shape %s", o.shape);
	CHECKF(strcmp(o.signature, "ABBA: A, B; t0, t1") == 0, "signature '%s'", o.signature);
	return TEST_PASS;
}

static int test_abba_across_two_executions_cites_the_first(void)
{
	struct outcome o = campaign(ABBA_ACROSS_EXECS, LS_LOCKDEP_ON, 10);
	CHECK(o.found);
	CHECKF(strcmp(o.shape, "ABBA") == 0, "shape %s", o.shape);
	CHECKF(o.seed == 1 && o.kind == LS_KIND_LOCKDEP, "seed %llu kind %s",
	       (unsigned long long)o.seed, ls_kind_name(o.kind));
	CHECKF(o.nprior == 1 && o.prior_seed == 0, "nprior %d prior seed %llu", o.nprior,
	       (unsigned long long)o.prior_seed);
	return TEST_PASS;
}

static int test_three_party_cycle_is_a_cycle(void)
{
	EXPECT_SHAPE(ABBCCA, LS_LOCKDEP_ON, 200, "cycle");
	struct outcome o = campaign(ABBCCA, LS_LOCKDEP_ON, 200);
	CHECKF(strcmp(o.signature, "cycle: A, B, C; t0, t1, t2") == 0, "signature '%s'",
	       o.signature);
	return TEST_PASS;
}

static int test_consistent_orders_are_never_reported(void)
{
	EXPECT_CLEAN(CONSISTENT, LS_LOCKDEP_ON, 3000);
	EXPECT_CLEAN(CONSISTENT, LS_LOCKDEP_COMPAT, 1000);
	return TEST_PASS;
}

static int test_recursive_locking_is_AA(void)
{
	EXPECT_SHAPE(AA_TASK, LS_LOCKDEP_ON, 1, "AA");
	struct outcome o = campaign(AA_TASK, LS_LOCKDEP_ON, 1);
	CHECKF(o.kind == LS_KIND_DEADLOCK, "the second acquisition hangs too: %s",
	       ls_kind_name(o.kind));
	return TEST_PASS;
}

static int test_read_recursion_is_AA_but_recursive_reads_are_allowed(void)
{
	EXPECT_SHAPE(READ_RECURSION, LS_LOCKDEP_ON, 1, "AA");
	EXPECT_CLEAN(RECURSIVE_READ_OK, LS_LOCKDEP_ON, 200);
	return TEST_PASS;
}

static int test_trylock_adds_no_incoming_dependency(void)
{
	EXPECT_CLEAN(TRYLOCK_NO_INCOMING, LS_LOCKDEP_ON, 2000);
	return TEST_PASS;
}

static int test_trylock_is_a_predecessor_for_later_locks(void)
{
	EXPECT_SHAPE(TRYLOCK_AS_PREV, LS_LOCKDEP_ON, 200, "ABBA");
	return TEST_PASS;
}

static int test_hardirq_taking_a_held_lock_is_AA(void)
{
	EXPECT_SHAPE(IRQ_AA, LS_LOCKDEP_ON, 2000, "AA");
	/* lockdep finds it too, as an inconsistent lock state. */
	EXPECT_SHAPE(IRQ_AA, LS_LOCKDEP_COMPAT, 2000, "irq-inversion");
	return TEST_PASS;
}

static int test_nmi_taking_a_held_lock_is_AA(void)
{
	EXPECT_SHAPE(NMI_AA, LS_LOCKDEP_ON, 2000, "AA");
	/* lockdep's one NMI check, verify_lock_unused(), catches this one. */
	EXPECT_SHAPE(NMI_AA, LS_LOCKDEP_COMPAT, 2000, "nmi-inversion");
	return TEST_PASS;
}

static int test_nmi_abba_is_found_and_lockdep_compat_misses_it(void)
{
	EXPECT_SHAPE(NMI_ABBA, LS_LOCKDEP_ON, 2000, "ABBA");
	EXPECT_CLEAN(NMI_ABBA, LS_LOCKDEP_COMPAT, 2000);
	return TEST_PASS;
}

static int test_nmi_use_before_task_use_is_found_and_lockdep_compat_misses_it(void)
{
	EXPECT_SHAPE(NMI_FIRST, LS_LOCKDEP_ON, 2000, "nmi-inversion");
	EXPECT_CLEAN(NMI_FIRST, LS_LOCKDEP_COMPAT, 2000);
	return TEST_PASS;
}

static int test_irq_safe_to_unsafe_order_is_found(void)
{
	EXPECT_SHAPE(IRQ_SAFE_UNSAFE, LS_LOCKDEP_ON, 2000, "irq-inversion");
	EXPECT_SHAPE(IRQ_SAFE_UNSAFE, LS_LOCKDEP_COMPAT, 2000, "irq-inversion");
	return TEST_PASS;
}

static int test_cycle_through_a_resilient_lock_is_averted(void)
{
	EXPECT_SHAPE(RESILIENT_ABBA, LS_LOCKDEP_ON, 200, "averted-ABBA");
	struct outcome o = campaign(RESILIENT_ABBA, LS_LOCKDEP_ON, 200);
	CHECKF(o.kind == LS_KIND_AVERTED || o.kind == LS_KIND_NONE, "kind %s",
	       ls_kind_name(o.kind));
	return TEST_PASS;
}

static int test_validator_off_reports_nothing(void)
{
	for (int s = 0; s < NSCENARIOS; s++)
		if (s != AA_TASK)
			EXPECT_CLEAN((enum scenario)s, LS_LOCKDEP_OFF, 50);
	return TEST_PASS;
}

/* ---- report layout ----------------------------------------------------------------------- */

/* Backtrace frames ("       function+0xoff/0xsize") name the binary, which differs between
 * builds; every other line must match the golden file exactly. */
static bool machine_line(const char *line)
{
	return strncmp(line, "       ", 7) == 0 && strstr(line, "+0x") && !strchr(line, '(');
}

static int compare_golden(const char *name, const char *got)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.txt", GOLDEN_DIR, name);
	if (getenv("LS_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");
		CHECK(f != NULL);
		for (const char *p = got; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char line[512];
			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			if (!machine_line(line))
				fprintf(f, "%s\n", line);
			p += n + (nl ? 1 : 0);
		}
		fclose(f);
		return TEST_PASS;
	}
	FILE *f = fopen(path, "r");
	CHECKF(f != NULL, "cannot open %s", path);
	char want[512];
	int lineno = 0;
	const char *p = got;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		p += n + (nl ? 1 : 0);
		if (machine_line(line))
			continue;
		lineno++;
		if (!fgets(want, sizeof(want), f)) {
			fclose(f);
			CHECKF(false, "%s: extra line %d: '%s'", name, lineno, line);
		}
		want[strcspn(want, "\n")] = 0;
		if (strcmp(want, line) != 0) {
			fclose(f);
			CHECKF(false, "%s line %d:\n  want '%s'\n  got  '%s'", name, lineno, want, line);
		}
	}
	bool extra = fgets(want, sizeof(want), f) != NULL;
	fclose(f);
	CHECKF(!extra, "%s: the report ends early, golden has '%s'", name, want);
	return TEST_PASS;
}

static int test_report_layouts_match_lockdep_line_by_line(void)
{
	static const struct {
		const char *name;
		enum scenario s;
		enum ls_lockdep_mode mode;
		uint64_t n;
	} cases[] = {
		{ "circular", ABBA_TASKS, LS_LOCKDEP_ON, 1 },
		{ "circular-across-executions", ABBA_ACROSS_EXECS, LS_LOCKDEP_ON, 10 },
		{ "cycle", ABBCCA, LS_LOCKDEP_ON, 200 },
		{ "recursive", AA_TASK, LS_LOCKDEP_ON, 1 },
		{ "recursive-nmi", NMI_AA, LS_LOCKDEP_ON, 2000 },
		{ "inconsistent-nmi", NMI_AA, LS_LOCKDEP_COMPAT, 2000 },
		{ "inconsistent-hardirq", IRQ_AA, LS_LOCKDEP_COMPAT, 2000 },
		{ "irq-safe-unsafe", IRQ_SAFE_UNSAFE, LS_LOCKDEP_ON, 2000 },
		{ "averted", RESILIENT_ABBA, LS_LOCKDEP_ON, 200 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ls_buf b = { 0 };
		struct outcome o = campaign_text(cases[i].s, cases[i].mode, cases[i].n, &b);
		CHECKF(o.found, "%s: no report", cases[i].name);
		int rc = compare_golden(cases[i].name, b.s);
		ls_buf_finish(&b);
		if (rc != TEST_PASS)
			return rc;
	}
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_abba_between_tasks_is_found_in_the_first_execution, status);
	RUN(test_abba_across_two_executions_cites_the_first, status);
	RUN(test_three_party_cycle_is_a_cycle, status);
	RUN(test_consistent_orders_are_never_reported, status);
	RUN(test_recursive_locking_is_AA, status);
	RUN(test_read_recursion_is_AA_but_recursive_reads_are_allowed, status);
	RUN(test_trylock_adds_no_incoming_dependency, status);
	RUN(test_trylock_is_a_predecessor_for_later_locks, status);
	RUN(test_hardirq_taking_a_held_lock_is_AA, status);
	RUN(test_nmi_taking_a_held_lock_is_AA, status);
	RUN(test_nmi_abba_is_found_and_lockdep_compat_misses_it, status);
	RUN(test_nmi_use_before_task_use_is_found_and_lockdep_compat_misses_it, status);
	RUN(test_irq_safe_to_unsafe_order_is_found, status);
	RUN(test_cycle_through_a_resilient_lock_is_averted, status);
	RUN(test_validator_off_reports_nothing, status);
	RUN(test_report_layouts_match_lockdep_line_by_line, status);
	return status;
}

/* Suite `engines`, dfs: the bounded-exhaustive search (sched/dfs.c) explores exactly the
 * hand-counted schedules of a tiny target with and without sleep sets, proves the clean demo
 * variants clean and finds the buggy ones within 2 preemptions and 1 NMI, prunes where operations
 * are independent while finding the same bugs, deals its tree into shards whose union is exactly
 * the unsharded search, and writes traces that replay. */
#include <lockstep/kernel.h>

#include "../pairs.h"

/* ---- tiny targets ------------------------------------------------------------------------
 *
 * pair: two tasks of two steps on two CPUs.  Variant `independent`: t0 writes a then b, t1 writes
 * c then d; `dependent`: both write a then b.
 *
 * Hand count without reduction.  t0 starts at its first point; what is left to schedule is t0's
 * two steps A (each: the write, then on to the next point) and t1's three: its start B0 (to its
 * first point) and two steps B.  A schedule is an order of AA and BBB; switching away from a task
 * with steps left is a preemption, from a finished one it is free.  Of the C(5,2) = 10 orders:
 *
 *   0 preemptions  AABBB
 *   1              ABBBA BBBAA
 *   2              ABABB ABBAB BAABB BBAAB
 *   3              BABBA BBABA
 *   4              BABAB
 *
 * so K = 0, 1, 2 explore 1, 3 and 7 schedules, whatever the variant.
 *
 * With sleep sets, `independent`: every step commutes with every other, one schedule stands for
 * all.  After AABBB the search tries t1 at t0's second point (t0 asleep: its write of b commutes
 * with t1's start) and at its first; in each, t0 stays asleep through t1's steps, and the path is
 * abandoned at t1's exit, where only t0 could run.  Pruned subtrees (t0's choice while asleep):
 * with K = 1 only the free switch at t1's exit, once per abandoned path: 2; with K = 2 also the
 * second preemption before each of t1's two writes: 2 * 3 = 6.
 *
 * `dependent`: t0's and t1's writes of a are ordered, and so are their writes of b (t1's start
 * commutes with both of t0's steps, a with b).  Four classes: {AABBB ABABB ABBAB BAABB}, {ABBBA},
 * {BBAAB}, {BBBAA}.  K = 1 explores AABBB ABBBA BBBAA, no pruning (t0's early return would be a
 * second preemption).  K = 2 explores one schedule per class: AABBB; ABBBA, where t0, asleep
 * since t1's start commutes with its write of b, is not run before t1's write of a nor before its
 * write of b (2 pruned); BBBAA and BBAAB, where t0 is not run before t1's write of a (1 pruned):
 * 4 schedules, 3 pruned.
 *
 * nmi: one task of two steps and an NMI source on its (only) CPU whose handler writes once.  The
 * NMI may come before either step (the task's exit ends the execution, nothing is left to
 * interrupt): N = 0 explores 1 schedule, N = 1 explores 3, with or without reduction, since an
 * injection never commutes.
 */
enum { INDEPENDENT, DEPENDENT };

static long word_a, word_b, word_c, word_d;
static int tiny_variant;

static void pair_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(word_a, 1);
	WRITE_ONCE(word_b, 1);
}

static void pair_t1(void *arg)
{
	(void)arg;
	if (tiny_variant == INDEPENDENT) {
		WRITE_ONCE(word_c, 2);
		WRITE_ONCE(word_d, 2);
	} else {
		WRITE_ONCE(word_a, 2);
		WRITE_ONCE(word_b, 2);
	}
}

static void nmi_handler_fn(void *arg)
{
	(void)arg;
	WRITE_ONCE(word_c, 3);
}

static void tiny_init(int v)
{
	tiny_variant = v;
	word_a = word_b = word_c = word_d = 0;
}

static const struct ls_task_decl pair_tasks[] = {
	{ "t0", 0, pair_t0, NULL },
	{ "t1", 1, pair_t1, NULL },
};

static const struct ls_variant pair_variants[] = {
	{ "independent", "the tasks write different words", LS_KIND_NONE },
	{ "dependent", "the tasks write the same words", LS_KIND_NONE },
};

static const struct ls_target pair_target = {
	.name = "test/pair",
	.summary = "two tasks of two steps",
	.models = "tests",
	.ncpus = 2,
	.tasks = pair_tasks,
	.ntasks = 2,
	.variants = pair_variants,
	.nvariants = 2,
	.init = tiny_init,
};

static const struct ls_task_decl nmi_tasks[] = { { "t0", 0, pair_t0, NULL } };
static const struct ls_irq_decl nmi_sources[] = { { "nmi_handler", 0x1, 1, nmi_handler_fn, NULL } };

static const struct ls_target nmi_target = {
	.name = "test/nmi",
	.summary = "one task of two steps, one NMI",
	.models = "tests",
	.ncpus = 1,
	.tasks = nmi_tasks,
	.ntasks = 1,
	.nmis = nmi_sources,
	.nnmis = 1,
	.variants = pair_variants,
	.nvariants = 1,
	.init = tiny_init,
};

/* lost-update: t1 writes a word of its own, then both tasks increment a counter by a load and a
 * store; the check wants 2.  Independent first steps, a bug that needs one preemption. */
static long counter, own_word;

static void lost_t0(void *arg)
{
	(void)arg;
	long v = READ_ONCE(counter);
	WRITE_ONCE(counter, v + 1);
}

static void lost_t1(void *arg)
{
	(void)arg;
	WRITE_ONCE(own_word, 1);
	long v = READ_ONCE(counter);
	WRITE_ONCE(counter, v + 1);
}

static void lost_init(int v)
{
	(void)v;
	counter = own_word = 0;
}

static void lost_check(int v)
{
	(void)v;
	LS_BUG_ON(READ_ONCE(counter) != 2);
}

static const struct ls_task_decl lost_tasks[] = {
	{ "t0", 0, lost_t0, NULL },
	{ "t1", 1, lost_t1, NULL },
};

static const struct ls_variant lost_variants[] = {
	{ "racy", "load and store, not an atomic increment", LS_KIND_INVARIANT },
};

static const struct ls_target lost_target = {
	.name = "test/lost-update",
	.summary = "a counter incremented by load and store",
	.models = "tests",
	.ncpus = 2,
	.tasks = lost_tasks,
	.ntasks = 2,
	.variants = lost_variants,
	.nvariants = 1,
	.init = lost_init,
	.check = lost_check,
};

/* random programs: three tasks (t0 and t2 share CPU0, so they switch only where t0 may be
 * preempted) and an NMI source on CPU0, each context running three operations drawn from a seed:
 * a load, a store or an xchg of one of three words, a fence, or an increment of a word under a
 * spinlock (so parking, and an AA when the NMI lands on the holder).  Loaded values go into a
 * per-context hash; the final state is the outcome kind, the words and those hashes. */
enum { RP_LOAD, RP_STORE, RP_XCHG, RP_FENCE, RP_LOCKED_INC, RP_KINDS };
#define RP_CTXS 4
#define RP_OPS 3
#define RP_WORDS 3

static uint8_t rp_kind[RP_CTXS][RP_OPS], rp_word[RP_CTXS][RP_OPS];
static long rp_mem[RP_WORDS];
static unsigned long rp_seen[RP_CTXS];
static DEFINE_SPINLOCK(rp_lock);

static void rp_run(int who)
{
	for (int i = 0; i < RP_OPS; i++) {
		long *w = &rp_mem[rp_word[who][i]];
		long v = 0;
		switch (rp_kind[who][i]) {
		case RP_LOAD:
			v = READ_ONCE(*w);
			break;
		case RP_STORE:
			WRITE_ONCE(*w, who * 10 + i);
			break;
		case RP_XCHG:
			v = xchg(w, who * 10 + i);
			break;
		case RP_FENCE:
			smp_mb();
			break;
		case RP_LOCKED_INC:
			spin_lock(&rp_lock);
			v = READ_ONCE(*w);
			WRITE_ONCE(*w, v + 1);
			spin_unlock(&rp_lock);
			break;
		}
		rp_seen[who] = rp_seen[who] * 31 + (unsigned long)v;
	}
}

static void rp_task(void *arg)
{
	rp_run((int)(intptr_t)arg);
}

static void rp_init(int v)
{
	(void)v;
	memset(rp_mem, 0, sizeof(rp_mem));
	memset(rp_seen, 0, sizeof(rp_seen));
	spin_lock_init(&rp_lock);
}

/* The program of a seed. */
static void rp_generate(uint64_t seed)
{
	uint64_t x = ls_mix64(seed);
	for (int c = 0; c < RP_CTXS; c++)
		for (int i = 0; i < RP_OPS; i++) {
			x = ls_mix64(x);
			rp_kind[c][i] = (uint8_t)(x % RP_KINDS);
			rp_word[c][i] = (uint8_t)(x / RP_KINDS % RP_WORDS);
		}
}

static const struct ls_task_decl rp_tasks[] = {
	{ "t0", 0, rp_task, (void *)0 },
	{ "t1", 1, rp_task, (void *)1 },
	{ "t2", 0, rp_task, (void *)2 },
};
static const struct ls_irq_decl rp_nmis[] = { { "nmi", 0x1, 1, rp_task, (void *)3 } };
static const struct ls_variant rp_variants[] = {
	{ "random", "a program drawn from a seed", LS_KIND_COUNT },
};

static const struct ls_target rp_target = {
	.name = "test/random-program",
	.summary = "three tasks and an NMI of three random operations",
	.models = "tests",
	.ncpus = 2,
	.tasks = rp_tasks,
	.ntasks = 3,
	.nmis = rp_nmis,
	.nnmis = 1,
	.variants = rp_variants,
	.nvariants = 1,
	.init = rp_init,
};

static uint64_t rp_state(enum ls_kind kind)
{
	uint64_t x[1 + RP_WORDS + RP_CTXS];
	x[0] = kind;
	for (int i = 0; i < RP_WORDS; i++)
		x[1 + i] = (uint64_t)rp_mem[i];
	for (int i = 0; i < RP_CTXS; i++)
		x[1 + RP_WORDS + i] = rp_seen[i];
	return ls_fnv1a(x, sizeof(x));
}

/* ---- running a search -------------------------------------------------------------------- */

struct search {
	uint64_t schedules, pruned, abandoned, executions;
	bool error;
	/* Owned executions whose outcome is a bug of the variant. */
	uint64_t bugs;
	enum ls_kind first_kind;
	char first_sig[1024];
	struct ls_result first;		/* the first of them */
	/* Distinct signatures of those, in order of discovery. */
	char sigs[32][1024];
	int nsigs;
	/* When collect: one hash of the decision list per explored (not abandoned) schedule. */
	bool collect;
	uint64_t *hashes;
	size_t nhashes, caphashes;
};

static uint64_t decisions_hash(const struct ls_machine *m)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < m->nlog; i++) {
		const struct ls_decision *d = &m->log[i];
		uint64_t x[2] = { d->step, (uint64_t)d->choice.kind | (uint64_t)d->choice.cpu << 8 |
						   (uint64_t)d->choice.ctx << 16 |
						   (uint64_t)d->choice.src << 24 };
		h = (h ^ ls_fnv1a(x, sizeof(x))) * 1099511628211ull;
	}
	return h ^ m->nlog;
}

static void open_target(struct ls_session *s, const struct ls_target *t, int variant,
			enum ls_lockdep_mode mode)
{
	struct ls_config cfg;
	char err[256];
	ls_config_default(&cfg);
	if (!ls_session_init(s, t, variant, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", t->name, err);
		exit(TEST_FAIL);
	}
	ls_session_set_lockdep(s, mode);
}

/* Runs the search cfg in s; stops at the first bug when stop is set.  The session keeps the
 * execution that stopped it. */
static void run_search(struct ls_session *s, const struct ls_dfs_config *cfg, bool stop,
		       struct search *out)
{
	struct ls_dfs d;
	char err[200];
	struct ls_result r;
	const struct ls_variant *var = &s->target->variants[s->variant];
	if (!ls_dfs_init(&d, cfg, err, sizeof(err))) {
		fprintf(stderr, "ls_dfs_init: %s\n", err);
		exit(TEST_FAIL);
	}
	while (ls_dfs_next(&d)) {
		ls_session_run(s, &d.base, d.exec, &r);
		ls_dfs_done(&d);
		if (!d.owned)
			continue;
		if (out->collect && !d.blocked) {
			if (out->nhashes == out->caphashes) {
				out->caphashes = out->caphashes ? 2 * out->caphashes : 256;
				out->hashes = realloc(out->hashes, out->caphashes * sizeof(uint64_t));
				if (!out->hashes)
					exit(TEST_FAIL);
			}
			out->hashes[out->nhashes++] = decisions_hash(s->m);
		}
		if (!ls_variant_bug(var, r.kind))
			continue;
		if (!out->bugs++) {
			out->first = r;
			out->first_kind = r.kind;
			snprintf(out->first_sig, sizeof(out->first_sig), "%s", r.signature);
		}
		int i = 0;
		while (i < out->nsigs && strcmp(out->sigs[i], r.signature) != 0)
			i++;
		if (i == out->nsigs && out->nsigs < 32)
			snprintf(out->sigs[out->nsigs++], sizeof(out->sigs[0]), "%s", r.signature);
		if (stop)
			break;
	}
	if (d.error[0]) {
		fprintf(stderr, "%s: dfs: %s\n", s->target->name, d.error);
		out->error = true;
	}
	out->schedules = d.schedules;
	out->pruned = d.pruned;
	out->abandoned = d.abandoned;
	out->executions = d.executions;
	ls_dfs_finish(&d);
}

static struct ls_dfs_config config(unsigned k, unsigned n, bool por)
{
	return (struct ls_dfs_config){ .preemptions = k, .nmis = n, .por = por };
}

/* A whole search of t:variant; returns its counts. */
static struct search search_target(const struct ls_target *t, int variant,
				   const struct ls_dfs_config *cfg)
{
	struct ls_session s;
	struct search out;
	memset(&out, 0, sizeof(out));
	open_target(&s, t, variant, LS_LOCKDEP_ON);
	run_search(&s, cfg, false, &out);
	ls_session_finish(&s);
	return out;
}

static int expect_counts(const struct ls_target *t, int variant, unsigned k, unsigned n, bool por,
			 uint64_t schedules, uint64_t pruned)
{
	struct ls_dfs_config cfg = config(k, n, por);
	struct search got = search_target(t, variant, &cfg);
	CHECK(!got.error);
	CHECKF(got.schedules == schedules && got.pruned == pruned,
	       "%s:%s K=%u N=%u %s: %llu schedules (%llu pruned), hand count %llu (%llu)", t->name,
	       t->variants[variant].name, k, n, por ? "por" : "no-por",
	       (unsigned long long)got.schedules, (unsigned long long)got.pruned,
	       (unsigned long long)schedules, (unsigned long long)pruned);
	return TEST_PASS;
}

/* ---- tests ------------------------------------------------------------------------------- */

static int test_counts_without_reduction_match_the_hand_count(void)
{
	static const uint64_t want[] = { 1, 3, 7 };
	for (int v = 0; v < 2; v++)
		for (unsigned k = 0; k < 3; k++)
			CHECK(expect_counts(&pair_target, v, k, 0, false, want[k], 0) == TEST_PASS);
	return TEST_PASS;
}

static int test_counts_with_sleep_sets_match_the_hand_count(void)
{
	static const uint64_t ind[3][2] = { { 1, 0 }, { 1, 2 }, { 1, 6 } };
	static const uint64_t dep[3][2] = { { 1, 0 }, { 3, 0 }, { 4, 3 } };
	for (unsigned k = 0; k < 3; k++) {
		CHECK(expect_counts(&pair_target, INDEPENDENT, k, 0, true, ind[k][0], ind[k][1]) ==
		      TEST_PASS);
		CHECK(expect_counts(&pair_target, DEPENDENT, k, 0, true, dep[k][0], dep[k][1]) ==
		      TEST_PASS);
	}
	return TEST_PASS;
}

static int test_nmi_bound_counts_injection_points(void)
{
	for (int por = 0; por < 2; por++) {
		CHECK(expect_counts(&nmi_target, 0, 2, 0, por, 1, 0) == TEST_PASS);
		CHECK(expect_counts(&nmi_target, 0, 2, 1, por, 3, 0) == TEST_PASS);
	}
	return TEST_PASS;
}

static int clean_within(const char *spec, unsigned k, unsigned n, bool por)
{
	struct ls_session s;
	struct search out;
	memset(&out, 0, sizeof(out));
	open_session(&s, spec, NULL);
	struct ls_dfs_config cfg = config(k, n, por);
	run_search(&s, &cfg, true, &out);
	ls_session_finish(&s);
	CHECK(!out.error);
	CHECKF(out.bugs == 0, "%s: dfs K=%u N=%u %s found %s: %s", spec, k, n,
	       por ? "por" : "no-por", ls_kind_name(out.first_kind), out.first_sig);
	printf("%s: clean: %llu schedules (%llu pruned, %llu abandoned) within %u preemptions "
	       "and %u NMI%s%s\n",
	       spec, (unsigned long long)out.schedules, (unsigned long long)out.pruned,
	       (unsigned long long)out.abandoned, k, n, n == 1 ? "" : "s",
	       por ? "" : ", no reduction");
	return TEST_PASS;
}

static int test_clean_demo_variants_are_proven_clean_within_two_preemptions(void)
{
	for (int por = 0; por < 2; por++) {
		CHECK(clean_within("demo/abba:ordered", 2, 1, por) == TEST_PASS);
		CHECK(clean_within("demo/nmi-aa:trylock", 2, 1, por) == TEST_PASS);
	}
	return TEST_PASS;
}

/* The trace of the session's last execution, written as explore writes it, names the strategy
 * and replays in a fresh session to the same kind, signature and steps. */
static int dfs_replays(const char *spec, struct ls_session *s, const struct ls_result *r,
		       const struct ls_dfs_config *cfg)
{
	char label[96];
	ls_dfs_label(cfg, label, sizeof(label));
	return replays_as(spec, s, r, label);
}

/* The search stops at a bug of the variant (want, if not LS_KIND_NONE), whose trace replays. */
static int finds(const char *spec, enum ls_lockdep_mode mode, enum ls_kind want)
{
	struct ls_session s;
	struct search out;
	memset(&out, 0, sizeof(out));
	open_session(&s, spec, NULL);
	ls_session_set_lockdep(&s, mode);
	struct ls_dfs_config cfg = config(2, 1, true);
	run_search(&s, &cfg, true, &out);
	int rc = TEST_FAIL;
	if (out.error || !out.bugs)
		fprintf(stderr, "%s: dfs K=2 N=1 found no bug\n", spec);
	else if (want != LS_KIND_NONE && out.first_kind != want)
		fprintf(stderr, "%s: dfs found %s first, want %s: %s\n", spec,
			ls_kind_name(out.first_kind), ls_kind_name(want), out.first_sig);
	else {
		printf("%s (lockdep %s): %s after %llu schedules: %s\n", spec,
		       ls_lockdep_mode_name(mode), ls_kind_name(out.first_kind),
		       (unsigned long long)out.schedules, out.first_sig);
		/* The search stopped at the finding: the machine still holds it. */
		rc = dfs_replays(spec, &s, &out.first, &cfg);
	}
	ls_session_finish(&s);
	return rc;
}

static int test_buggy_demo_variants_are_found_and_their_traces_replay(void)
{
	CHECK(finds("demo/abba:buggy", LS_LOCKDEP_ON, LS_KIND_NONE) == TEST_PASS);
	CHECK(finds("demo/abba:buggy", LS_LOCKDEP_OFF, LS_KIND_DEADLOCK) == TEST_PASS);
	CHECK(finds("demo/nmi-aa:buggy", LS_LOCKDEP_ON, LS_KIND_NONE) == TEST_PASS);
	CHECK(finds("demo/nmi-aa:buggy", LS_LOCKDEP_OFF, LS_KIND_DEADLOCK) == TEST_PASS);
	return TEST_PASS;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* With and without sleep sets, whole searches (not stopping) of t:variant find the same set of
 * bug signatures (validator off: hang signatures do not depend on the order of executions), and
 * the reduction runs strictly fewer schedules. */
static int same_bugs_fewer_schedules(const struct ls_target *t, int variant, unsigned k,
				     unsigned n)
{
	struct search with, without;
	for (int por = 0; por < 2; por++) {
		struct search *out = por ? &with : &without;
		struct ls_session s;
		memset(out, 0, sizeof(*out));
		open_target(&s, t, variant, LS_LOCKDEP_OFF);
		struct ls_dfs_config cfg = config(k, n, por);
		run_search(&s, &cfg, false, out);
		ls_session_finish(&s);
		CHECK(!out->error);
		qsort(out->sigs, (size_t)out->nsigs, sizeof(out->sigs[0]), cmp_str);
	}
	printf("%s:%s K=%u N=%u: %llu schedules without reduction, %llu with (%llu pruned, %llu "
	       "abandoned); %d distinct bugs\n",
	       t->name, t->variants[variant].name, k, n, (unsigned long long)without.schedules,
	       (unsigned long long)with.schedules, (unsigned long long)with.pruned,
	       (unsigned long long)with.abandoned, without.nsigs);
	CHECKF(with.schedules < without.schedules, "%s: reduction explored %llu, none %llu",
	       t->name, (unsigned long long)with.schedules, (unsigned long long)without.schedules);
	CHECKF(without.nsigs > 0, "%s: no bug found at all", t->name);
	CHECKF(with.nsigs == without.nsigs, "%s: %d bugs with reduction, %d without", t->name,
	       with.nsigs, without.nsigs);
	for (int i = 0; i < with.nsigs; i++)
		CHECKF(strcmp(with.sigs[i], without.sigs[i]) == 0, "%s: '%s' vs '%s'", t->name,
		       with.sigs[i], without.sigs[i]);
	return TEST_PASS;
}

static const struct ls_target *lookup(const char *spec, int *variant)
{
	const struct ls_target *t;
	char err[256];
	if (!ls_target_spec(spec, &t, variant, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", spec, err);
		exit(TEST_FAIL);
	}
	return t;
}

static int test_reduction_explores_fewer_schedules_and_finds_the_same_bugs(void)
{
	int v;
	const struct ls_target *t;
	CHECK(same_bugs_fewer_schedules(&lost_target, 0, 2, 0) == TEST_PASS);
	t = lookup("demo/abba:buggy", &v);
	CHECK(same_bugs_fewer_schedules(t, v, 2, 1) == TEST_PASS);
	t = lookup("demo/nmi-aa:buggy", &v);
	CHECK(same_bugs_fewer_schedules(t, v, 2, 1) == TEST_PASS);
	return TEST_PASS;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The final states of one search of the current random program: sorted, without repeats, the
 * explored schedules' in `explored`, the abandoned executions' in `abandoned`. */
struct states {
	uint64_t v[4096];
	size_t n;
};

static void unique(struct states *st);

static void add_state(struct states *st, uint64_t h)
{
	if (st->n == sizeof(st->v) / sizeof(st->v[0]))
		unique(st);
	if (st->n == sizeof(st->v) / sizeof(st->v[0])) {
		fprintf(stderr, "more than %zu final states\n", st->n);
		exit(TEST_FAIL);
	}
	st->v[st->n++] = h;
}

static void unique(struct states *st)
{
	qsort(st->v, st->n, sizeof(st->v[0]), cmp_u64);
	size_t j = 0;
	for (size_t i = 0; i < st->n; i++)
		if (!j || st->v[i] != st->v[j - 1])
			st->v[j++] = st->v[i];
	st->n = j;
}

static bool subset(const struct states *a, const struct states *b)
{
	size_t j = 0;
	for (size_t i = 0; i < a->n; i++) {
		while (j < b->n && b->v[j] < a->v[i])
			j++;
		if (j == b->n || b->v[j] != a->v[i])
			return false;
	}
	return true;
}

static uint64_t rp_search(struct ls_session *s, const struct ls_dfs_config *cfg,
			  struct states *explored, struct states *abandoned)
{
	struct ls_dfs d;
	char err[200];
	struct ls_result r;
	explored->n = abandoned->n = 0;
	if (!ls_dfs_init(&d, cfg, err, sizeof(err)))
		exit(TEST_FAIL);
	while (ls_dfs_next(&d)) {
		ls_session_run(s, &d.base, d.exec, &r);
		ls_dfs_done(&d);
		add_state(d.blocked ? abandoned : explored, rp_state(r.kind));
	}
	uint64_t n = d.error[0] ? 0 : d.schedules;
	ls_dfs_finish(&d);
	unique(explored);
	unique(abandoned);
	return n;
}

/* For programs drawn from seeds 0..RP_PROGRAMS-1 and bounds up to K = 2, N = 1: the schedules
 * explored with sleep sets reach every final state the unreduced search reaches, and nothing the
 * unreduced search does not (abandoned executions included). */
#ifndef RP_PROGRAMS
#define RP_PROGRAMS 60
#endif

static int test_reduction_reaches_the_final_states_of_random_programs(void)
{
	static struct states full, red, cut, unused;
	struct ls_session s;
	uint64_t total[2] = { 0, 0 };
	open_target(&s, &rp_target, 0, LS_LOCKDEP_OFF);
	for (uint64_t seed = 0; seed < RP_PROGRAMS; seed++) {
		rp_generate(seed);
		for (unsigned k = 0; k <= 2; k++)
			for (unsigned n = 0; n <= 1; n++) {
				struct ls_dfs_config c0 = config(k, n, false), c1 = config(k, n, true);
				uint64_t a = rp_search(&s, &c0, &full, &unused);
				uint64_t b = rp_search(&s, &c1, &red, &cut);
				CHECKF(a && b, "program %llu K=%u N=%u: the search failed",
				       (unsigned long long)seed, k, n);
				total[0] += a;
				total[1] += b;
				CHECKF(subset(&full, &red) && subset(&red, &full) && subset(&cut, &full),
				       "program %llu K=%u N=%u: %zu final states without reduction, "
				       "%zu with (%zu from abandoned executions)",
				       (unsigned long long)seed, k, n, full.n, red.n, cut.n);
			}
	}
	ls_session_finish(&s);
	printf("random programs: %d programs, K <= 2, N <= 1: %llu schedules without reduction, "
	       "%llu with, the same final states\n",
	       RP_PROGRAMS, (unsigned long long)total[0], (unsigned long long)total[1]);
	return TEST_PASS;
}


/* Shards 0..n-1 of the search explore exactly the unsharded search's schedules: the sorted
 * decision-list hashes of their union equal the unsharded ones, none twice, and the counts add
 * up. */
static int shards_cover(const struct ls_target *t, int variant, unsigned k, unsigned nmis,
			bool por, unsigned n)
{
	struct search all, parts;
	memset(&all, 0, sizeof(all));
	memset(&parts, 0, sizeof(parts));
	all.collect = parts.collect = true;
	uint64_t executions = 0;
	for (unsigned i = 0; i <= n; i++) {
		struct ls_dfs_config cfg = config(k, nmis, por);
		struct search one;
		memset(&one, 0, sizeof(one));
		one.collect = true;
		if (i < n) {
			cfg.shard_i = i;
			cfg.shard_n = n;
		}
		struct ls_session s;
		open_target(&s, t, variant, LS_LOCKDEP_ON);
		run_search(&s, &cfg, false, i < n ? &one : &all);
		ls_session_finish(&s);
		if (i == n)
			break;
		CHECK(!one.error);
		executions += one.executions;
		parts.schedules += one.schedules;
		parts.pruned += one.pruned;
		parts.abandoned += one.abandoned;
		for (size_t j = 0; j < one.nhashes; j++) {
			if (parts.nhashes == parts.caphashes) {
				parts.caphashes = parts.caphashes ? 2 * parts.caphashes : 256;
				parts.hashes = realloc(parts.hashes, parts.caphashes * sizeof(uint64_t));
				if (!parts.hashes)
					exit(TEST_FAIL);
			}
			parts.hashes[parts.nhashes++] = one.hashes[j];
		}
		free(one.hashes);
	}
	CHECK(!all.error);
	qsort(all.hashes, all.nhashes, sizeof(uint64_t), cmp_u64);
	qsort(parts.hashes, parts.nhashes, sizeof(uint64_t), cmp_u64);
	int rc = TEST_PASS;
	if (all.nhashes != all.schedules || parts.nhashes != all.nhashes ||
	    memcmp(all.hashes, parts.hashes, all.nhashes * sizeof(uint64_t)) != 0 ||
	    parts.schedules != all.schedules || parts.pruned != all.pruned ||
	    parts.abandoned != all.abandoned) {
		fprintf(stderr,
			"%s:%s K=%u N=%u %s, %u shards: union %zu schedules (%llu pruned, %llu "
			"abandoned), unsharded %zu (%llu, %llu)\n",
			t->name, t->variants[variant].name, k, nmis, por ? "por" : "no-por", n,
			parts.nhashes, (unsigned long long)parts.pruned,
			(unsigned long long)parts.abandoned, all.nhashes,
			(unsigned long long)all.pruned, (unsigned long long)all.abandoned);
		rc = TEST_FAIL;
	}
	for (size_t j = 1; j < all.nhashes && rc == TEST_PASS; j++)
		if (all.hashes[j] == all.hashes[j - 1]) {
			fprintf(stderr, "%s: one decision list explored twice\n", t->name);
			rc = TEST_FAIL;
		}
	if (rc == TEST_PASS)
		printf("%s:%s K=%u N=%u %s: %u shards cover %llu schedules in %llu executions "
		       "(unsharded %llu)\n",
		       t->name, t->variants[variant].name, k, nmis, por ? "por" : "no-por", n,
		       (unsigned long long)all.schedules, (unsigned long long)executions,
		       (unsigned long long)all.executions);
	free(all.hashes);
	free(parts.hashes);
	return rc;
}

static int test_shards_cover_the_unsharded_search_exactly(void)
{
	int v;
	const struct ls_target *t;
	for (int por = 0; por < 2; por++) {
		CHECK(shards_cover(&pair_target, DEPENDENT, 2, 0, por, 3) == TEST_PASS);
		t = lookup("demo/nmi-aa:trylock", &v);
		CHECK(shards_cover(t, v, 2, 1, por, 3) == TEST_PASS);
		t = lookup("demo/abba:buggy", &v);
		CHECK(shards_cover(t, v, 2, 1, por, 2) == TEST_PASS);
		CHECK(shards_cover(t, v, 2, 1, por, 5) == TEST_PASS);
	}
	return TEST_PASS;
}

static int test_a_too_deep_execution_stops_the_search_with_a_message(void)
{
	struct ls_session s;
	struct search out;
	memset(&out, 0, sizeof(out));
	open_session(&s, "demo/abba:ordered", NULL);
	struct ls_dfs_config cfg = config(1, 0, true);
	cfg.max_depth = 3;
	struct ls_dfs d;
	char err[200];
	CHECK(ls_dfs_init(&d, &cfg, err, sizeof(err)));
	struct ls_result r;
	int runs = 0;
	while (ls_dfs_next(&d)) {
		ls_session_run(&s, &d.base, d.exec, &r);
		runs++;
	}
	CHECKF(runs == 1 && strstr(d.error, "depth limit"), "%d runs, error '%s'", runs, d.error);
	ls_dfs_finish(&d);
	ls_session_finish(&s);
	return TEST_PASS;
}

static int test_a_shard_outside_the_split_is_refused(void)
{
	struct ls_dfs d;
	char err[200];
	struct ls_dfs_config cfg = config(1, 0, true);
	cfg.shard_i = 3;
	cfg.shard_n = 3;
	CHECK(!ls_dfs_init(&d, &cfg, err, sizeof(err)));
	CHECK(strstr(err, "shard") != NULL);
	char label[96];
	cfg.shard_i = 1;
	cfg.por = false;
	ls_dfs_label(&cfg, label, sizeof(label));
	CHECKF(strcmp(label, "dfs preemptions 1 nmis 0 no-por shard 1/3") == 0, "%s", label);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_counts_without_reduction_match_the_hand_count, status);
	RUN(test_counts_with_sleep_sets_match_the_hand_count, status);
	RUN(test_nmi_bound_counts_injection_points, status);
	RUN(test_clean_demo_variants_are_proven_clean_within_two_preemptions, status);
	RUN(test_buggy_demo_variants_are_found_and_their_traces_replay, status);
	RUN(test_reduction_explores_fewer_schedules_and_finds_the_same_bugs, status);
	RUN(test_reduction_reaches_the_final_states_of_random_programs, status);
	RUN(test_shards_cover_the_unsharded_search_exactly, status);
	RUN(test_a_too_deep_execution_stops_the_search_with_a_message, status);
	RUN(test_a_shard_outside_the_split_is_refused, status);
	return status;
}

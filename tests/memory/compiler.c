/* Suite `memory`, compiler reordering (--compiler-reorder, sched/memory.c): a plain store
 * (PLAIN_WRITE()) may be held back by the compiler and emitted later, in any order with the
 * context's other held plain stores except behind an older one to the same bytes.  The context's
 * own loads see what it holds; an interrupt on its CPU and the other CPUs do not until it is
 * emitted; nothing is emitted for a context while it is interrupted.  barrier(), READ_ONCE(),
 * WRITE_ONCE(), every atomic and every barrier emit all of them first, as does the end of the
 * context.  Without --compiler-reorder (under sc) PLAIN_WRITE() is a C store and no point.
 * The cases run under sc unless they say otherwise, so that an emitted store is visible at once. */
#include "memory.h"

static int mode;

#define NMI_ON_CPU0(fn) static const struct ls_irq_decl fn##_nmis[] = { { "nmi", 1u, 1, fn, NULL } }

/* ---- held back -------------------------------------------------------------------------------
 *
 *	CPU0 (t0)				NMI on CPU0
 *	PLAIN_WRITE(h_a, 1);  issued = 1;	ni = issued; n = READ_ONCE(h_a);
 *	own = PLAIN_READ(h_a);
 *	WRITE_ONCE(h_c, 1);
 *
 * With --compiler-reorder: own == 1: Always; ni && n == 0 (the NMI came after the store and did
 * not see it): Sometimes, under sc and under tso.  Without it: Never (under tso the NMI reads the
 * CPU's store buffer). */
static int h_a, h_c;
static volatile int h_issued, h_own, h_ni, h_n;

static void h_t0(void *arg)
{
	(void)arg;
	PLAIN_WRITE(h_a, 1);
	h_issued = 1;
	h_own = PLAIN_READ(h_a);
	WRITE_ONCE(h_c, 1);
}

static void h_nmi(void *arg)
{
	(void)arg;
	h_ni = h_issued;
	h_n = READ_ONCE(h_a);
}

static void h_init(int variant)
{
	(void)variant;
	h_a = h_c = 0;
	h_issued = 0;
	h_own = h_ni = h_n = -1;
}

static const struct ls_task_decl h_tasks[] = { { "t0", 0, h_t0, NULL } };
NMI_ON_CPU0(h_nmi);
MEM_TARGET(h_target, "memory/held-store", .ncpus = 1, .tasks = h_tasks, .ntasks = 1,
	   .nmis = h_nmi_nmis, .nnmis = 1, .init = h_init);

static bool h_own_sees_it(void)
{
	return h_own == 1;
}

static bool h_nmi_misses_it(void)
{
	return h_ni == 1 && h_n == 0;
}

int compiler_plain_store_is_held_back_from_an_nmi_but_not_its_own_context(void)
{
	EXPECT("the context's plain load sees its held store", &h_target, 0, LS_MEM_SC, true, 0, 1,
	       h_own_sees_it, MEM_ALWAYS);
	EXPECT("an NMI after the plain store reads 0", &h_target, 0, LS_MEM_SC, true, 0, 1,
	       h_nmi_misses_it, MEM_SOMETIMES);
	EXPECT("an NMI after the plain store reads 0", &h_target, 0, LS_MEM_TSO, true, 0, 1,
	       h_nmi_misses_it, MEM_SOMETIMES);
	EXPECT("an NMI after the plain store reads 0", &h_target, 0, LS_MEM_SC, false, 0, 1,
	       h_nmi_misses_it, MEM_NEVER);
	EXPECT("an NMI after the plain store reads 0", &h_target, 0, LS_MEM_TSO, false, 0, 1,
	       h_nmi_misses_it, MEM_NEVER);
	return TEST_PASS;
}

/* ---- two words ---------------------------------------------------------------------------------
 *
 *	CPU0 (t0)				NMI on CPU0
 *	PLAIN_WRITE(q_a, 1);			rb = READ_ONCE(q_b);
 *	[separator]				ra = READ_ONCE(q_a);
 *	PLAIN_WRITE(q_b, 1);
 *	PLAIN_READ(q_c); READ_ONCE(q_c);
 *
 * exists rb == 1 && ra == 0: Sometimes with no separator (and Never without
 * --compiler-reorder, where the NMI sees both stores Sometimes: it can land at READ_ONCE(q_c));
 * Never with barrier(), WRITE_ONCE(), READ_ONCE(), atomic_inc() or smp_wmb() between. */
static const struct ls_variant q_variants[] = {
	{ "none", "nothing between the plain stores", LS_KIND_COUNT, 0 },
	{ "barrier", "barrier()", LS_KIND_COUNT, 0 },
	{ "WRITE_ONCE", "WRITE_ONCE(q_d, 1)", LS_KIND_COUNT, 0 },
	{ "READ_ONCE", "READ_ONCE(q_d)", LS_KIND_COUNT, 0 },
	{ "atomic_inc", "atomic_inc(&q_v)", LS_KIND_COUNT, 0 },
	{ "smp_wmb", "smp_wmb()", LS_KIND_COUNT, 0 },
};
enum { Q_NONE, Q_BARRIER, Q_WRITE_ONCE, Q_READ_ONCE, Q_ATOMIC, Q_WMB, Q_N };

static int q_a, q_b, q_c, q_d;
static atomic_t q_v;
static volatile int q_ra, q_rb;

static void q_t0(void *arg)
{
	(void)arg;
	PLAIN_WRITE(q_a, 1);
	switch (mode) {
	case Q_BARRIER:
		barrier();
		break;
	case Q_WRITE_ONCE:
		WRITE_ONCE(q_d, 1);
		break;
	case Q_READ_ONCE:
		(void)READ_ONCE(q_d);
		break;
	case Q_ATOMIC:
		atomic_inc(&q_v);
		break;
	case Q_WMB:
		smp_wmb();
		break;
	default:
		break;
	}
	PLAIN_WRITE(q_b, 1);
	(void)PLAIN_READ(q_c);
	(void)READ_ONCE(q_c);
}

static void q_nmi(void *arg)
{
	(void)arg;
	q_rb = READ_ONCE(q_b);
	q_ra = READ_ONCE(q_a);
}

static void q_init(int variant)
{
	mode = variant;
	q_a = q_b = q_c = q_d = 0;
	atomic_set(&q_v, 0);
	q_ra = q_rb = -1;
}

static const struct ls_task_decl q_tasks[] = { { "t0", 0, q_t0, NULL } };
NMI_ON_CPU0(q_nmi);
MEM_TARGET_V(q_target, "memory/plain-stores", .ncpus = 1, .tasks = q_tasks, .ntasks = 1,
	     .nmis = q_nmi_nmis, .nnmis = 1, .variants = q_variants,
	     .nvariants = MEM_ARRAY_SIZE(q_variants), .init = q_init);

static bool q_second_without_first(void)
{
	return q_rb == 1 && q_ra == 0;
}

static bool q_both(void)
{
	return q_rb == 1 && q_ra == 1;
}

#define Q_OUTCOME "an NMI sees the second plain store, not the first"

int compiler_plain_stores_to_different_words_may_be_emitted_out_of_order(void)
{
	EXPECT(Q_OUTCOME, &q_target, Q_NONE, LS_MEM_SC, true, 0, 1, q_second_without_first,
	       MEM_SOMETIMES);
	EXPECT(Q_OUTCOME, &q_target, Q_NONE, LS_MEM_SC, false, 0, 1, q_second_without_first,
	       MEM_NEVER);
	EXPECT("an NMI sees both plain stores", &q_target, Q_NONE, LS_MEM_SC, false, 0, 1, q_both,
	       MEM_SOMETIMES);
	return TEST_PASS;
}

int compiler_barrier_once_accessors_and_atomics_emit_held_stores_first(void)
{
	char what[128];
	for (int v = Q_BARRIER; v < Q_N; v++) {
		snprintf(what, sizeof(what), Q_OUTCOME " (%s between)", q_variants[v].name);
		EXPECT(what, &q_target, v, LS_MEM_SC, true, 0, 1, q_second_without_first, MEM_NEVER);
	}
	return TEST_PASS;
}

/* ---- one word ------------------------------------------------------------------------------------
 *
 *	CPU0 (t0)				CPU1 (t1)
 *	PLAIN_WRITE(sw_a, 1);			3 times: READ_ONCE(sw_dummy), then notes
 *	PLAIN_WRITE(sw_a, 2);			what memory holds in sw_a
 *	own = PLAIN_READ(sw_a);
 *	PLAIN_READ(sw_c); PLAIN_READ(sw_c);
 *
 * With --compiler-reorder: memory holds 1 after it held 2: Never; sw_a == 2 at the end: Always;
 * own == 2: Always; CPU1 sees memory hold 1 (the first store emitted alone): Sometimes. */
static int sw_a, sw_c, sw_dummy;
static volatile int sw_own, sw_back, sw_one;

static void sw_t0(void *arg)
{
	(void)arg;
	PLAIN_WRITE(sw_a, 1);
	PLAIN_WRITE(sw_a, 2);
	sw_own = PLAIN_READ(sw_a);
	(void)PLAIN_READ(sw_c);
	(void)PLAIN_READ(sw_c);
}

static void sw_t1(void *arg)
{
	(void)arg;
	int last = 0;
	for (int k = 0; k < 3; k++) {
		(void)READ_ONCE(sw_dummy);
		int now = RAW(sw_a);
		sw_back |= now < last;
		sw_one |= now == 1;
		last = now;
	}
}

static void sw_init(int variant)
{
	(void)variant;
	sw_a = sw_c = sw_dummy = 0;
	sw_own = -1;
	sw_back = sw_one = 0;
}

static const struct ls_task_decl sw_tasks[] = { { "t0", 0, sw_t0, NULL },
						{ "t1", 1, sw_t1, NULL } };
MEM_TARGET(sw_target, "memory/plain-one-word", .ncpus = 2, .tasks = sw_tasks, .ntasks = 2,
	   .init = sw_init);

static bool sw_goes_back(void)
{
	return sw_back;
}

static bool sw_final_two(void)
{
	return sw_a == 2;
}

static bool sw_own_two(void)
{
	return sw_own == 2;
}

static bool sw_first_alone(void)
{
	return sw_one;
}

int compiler_plain_stores_to_one_word_stay_in_order(void)
{
	EXPECT("memory holds the first plain store after the second", &sw_target, 0, LS_MEM_SC,
	       true, 0, 0, sw_goes_back, MEM_NEVER);
	EXPECT("the word holds the second plain store at the end", &sw_target, 0, LS_MEM_SC, true, 0,
	       0, sw_final_two, MEM_ALWAYS);
	EXPECT("the context reads back its second plain store", &sw_target, 0, LS_MEM_SC, true, 0, 0,
	       sw_own_two, MEM_ALWAYS);
	EXPECT("another CPU sees the first plain store alone", &sw_target, 0, LS_MEM_SC, true, 0, 0,
	       sw_first_alone, MEM_SOMETIMES);
	return TEST_PASS;
}

/* ---- interrupted -------------------------------------------------------------------------------
 *
 *	CPU0 (t0)				NMI on CPU0
 *	PLAIN_WRITE(i_a, 1);  issued = 1;	ni = issued;
 *	PLAIN_READ(i_c); PLAIN_READ(i_c);	3 times: r[k] = READ_ONCE(i_a)
 *
 * With --compiler-reorder, under sc and tso: the NMI's reads differ (the held store was emitted
 * while it ran): Never; ni && r[0] == 0: Sometimes. */
static int i_a, i_c;
static volatile int i_issued, i_ni, i_r[3];

static void i_t0(void *arg)
{
	(void)arg;
	PLAIN_WRITE(i_a, 1);
	i_issued = 1;
	(void)PLAIN_READ(i_c);
	(void)PLAIN_READ(i_c);
}

static void i_nmi(void *arg)
{
	(void)arg;
	i_ni = i_issued;
	for (int k = 0; k < 3; k++)
		i_r[k] = READ_ONCE(i_a);
}

static void i_init(int variant)
{
	(void)variant;
	i_a = i_c = 0;
	i_issued = 0;
	i_ni = -1;
	for (int k = 0; k < 3; k++)
		i_r[k] = -1;
}

static const struct ls_task_decl i_tasks[] = { { "t0", 0, i_t0, NULL } };
NMI_ON_CPU0(i_nmi);
MEM_TARGET(i_target, "memory/interrupted", .ncpus = 1, .tasks = i_tasks, .ntasks = 1,
	   .nmis = i_nmi_nmis, .nnmis = 1, .init = i_init);

static bool i_changes_under_the_nmi(void)
{
	return i_r[0] != i_r[1] || i_r[1] != i_r[2];
}

static bool i_nmi_misses_it(void)
{
	return i_ni == 1 && i_r[0] == 0;
}

int compiler_interrupted_context_emits_nothing_while_the_interrupt_runs(void)
{
	for (int mm = LS_MEM_SC; mm <= LS_MEM_TSO; mm++) {
		EXPECT("the held store appears while the NMI runs", &i_target, 0,
		       (enum ls_memory_model)mm, true, 0, 1, i_changes_under_the_nmi, MEM_NEVER);
		EXPECT("the NMI after the plain store reads 0", &i_target, 0,
		       (enum ls_memory_model)mm, true, 0, 1, i_nmi_misses_it, MEM_SOMETIMES);
	}
	return TEST_PASS;
}

/* ---- the end of a context ------------------------------------------------------------------------
 *
 *	CPU0 (t0)			NMI on CPU0		CPU1 (t1)
 *	PLAIN_WRITE(e_a, 1);		PLAIN_WRITE(e_b, 1);	3 times: r = READ_ONCE(e_a);
 *	issued = 1;			done = 1;		done = t0 has ended
 *	PLAIN_READ(e_c);
 *	nd = NMI done; rb = READ_ONCE(e_b);
 *
 * With --compiler-reorder: t1 reads 0 after t0 ended: Never; t1 reads 0 after t0 issued the
 * store, before it ended: Sometimes; t0 reads e_b == 0 after the NMI returned: Never. */
static int e_a, e_b, e_c;
static volatile int e_issued, e_nmi_done, e_bad, e_held, e_nd, e_rb;

static void e_t0(void *arg)
{
	(void)arg;
	PLAIN_WRITE(e_a, 1);
	e_issued = 1;
	(void)PLAIN_READ(e_c);
	e_nd = e_nmi_done;
	e_rb = READ_ONCE(e_b);
}

static void e_nmi(void *arg)
{
	(void)arg;
	PLAIN_WRITE(e_b, 1);
	e_nmi_done = 1;
}

static void e_t1(void *arg)
{
	(void)arg;
	const struct ls_ctx *t0 = mem_ctx("t0");
	for (int k = 0; k < 3; k++) {
		int r = READ_ONCE(e_a);
		bool done = t0->state == LS_DONE;
		e_bad |= done && r == 0;
		e_held |= !done && e_issued && r == 0;
	}
}

static void e_init(int variant)
{
	(void)variant;
	e_a = e_b = e_c = 0;
	e_issued = e_nmi_done = e_bad = e_held = 0;
	e_nd = e_rb = -1;
}

static const struct ls_task_decl e_tasks[] = { { "t0", 0, e_t0, NULL },
					       { "t1", 1, e_t1, NULL } };
NMI_ON_CPU0(e_nmi);
MEM_TARGET(e_target, "memory/context-end", .ncpus = 2, .tasks = e_tasks, .ntasks = 2,
	   .nmis = e_nmi_nmis, .nnmis = 1, .init = e_init);

static bool e_unseen_after_the_end(void)
{
	return e_bad;
}

static bool e_unseen_before_the_end(void)
{
	return e_held;
}

static bool e_nmi_store_unseen_after_it_returned(void)
{
	return e_nd == 1 && e_rb == 0;
}

int compiler_end_of_a_context_emits_its_held_stores(void)
{
	EXPECT("another CPU reads 0 after the context ended", &e_target, 0, LS_MEM_SC, true, 0, 1,
	       e_unseen_after_the_end, MEM_NEVER);
	EXPECT("another CPU reads 0 before the context ended", &e_target, 0, LS_MEM_SC, true, 0, 1,
	       e_unseen_before_the_end, MEM_SOMETIMES);
	EXPECT("the task reads 0 after the NMI that stored returned", &e_target, 0, LS_MEM_SC, true,
	       0, 1, e_nmi_store_unseen_after_it_returned, MEM_NEVER);
	return TEST_PASS;
}

/* ---- no reordering: no point -------------------------------------------------------------------
 *
 *	CPU0 (t0)				CPU1 (t1)
 *	WRITE_ONCE(u_z, 1);			r = READ_ONCE(u_a);
 *	PLAIN_WRITE(u_a, 1) or u_a = 1;		READ_ONCE(u_z);
 *	own = PLAIN_READ(u_a) or u_a;
 *	WRITE_ONCE(u_z, 2);
 *
 * Under sc without --compiler-reorder both spellings give the same search (as many executions,
 * each of as many steps, with the same values) and the same random walks; with it the plain
 * spelling has points of its own (more steps). */
static const struct ls_variant u_variants[] = {
	{ "plain", "PLAIN_WRITE() and PLAIN_READ()", LS_KIND_COUNT, 0 },
	{ "raw", "a C store and a C load", LS_KIND_COUNT, 0 },
};

static int u_a, u_z;
static volatile int u_own, u_r;

static void u_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(u_z, 1);
	if (mode == 0) {
		PLAIN_WRITE(u_a, 1);
		u_own = PLAIN_READ(u_a);
	} else {
		u_a = 1;
		u_own = u_a;
	}
	WRITE_ONCE(u_z, 2);
}

static void u_t1(void *arg)
{
	(void)arg;
	u_r = READ_ONCE(u_a);
	(void)READ_ONCE(u_z);
}

static void u_init(int variant)
{
	mode = variant;
	u_a = u_z = 0;
	u_own = u_r = -1;
}

static const struct ls_task_decl u_tasks[] = { { "t0", 0, u_t0, NULL },
					       { "t1", 1, u_t1, NULL } };
MEM_TARGET_V(u_target, "memory/plain-no-reorder", .ncpus = 2, .tasks = u_tasks, .ntasks = 2,
	     .variants = u_variants, .nvariants = 2, .init = u_init);

#define U_MAX 4096

struct u_run {
	uint64_t n;
	uint64_t steps[U_MAX];
	int vals[U_MAX];
};

/* Every execution of variant v under dfs (strategy NULL) or seeds 0..U_MAX-1 of the random walk. */
static int u_explore(int v, bool reorder, bool random, struct u_run *out)
{
	struct ls_config cfg = mem_cfg(LS_MEM_SC, reorder);
	struct ls_session s;
	char err[256];
	memset(out, 0, sizeof(*out));
	if (!ls_session_init(&s, &u_target, v, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return TEST_FAIL;
	}
	if (random) {
		struct ls_random walk;
		ls_random_init(&walk, 0.3, 0.02, 0.05);
		for (uint64_t seed = 0; seed < 256; seed++) {
			struct ls_result r;
			ls_session_run(&s, &walk.base, seed, &r);
			out->steps[out->n] = r.steps;
			out->vals[out->n++] = u_own * 10 + u_r;
		}
		ls_session_finish(&s);
		return TEST_PASS;
	}
	struct ls_dfs d;
	struct ls_dfs_config dc = { .preemptions = MEM_PREEMPTIONS, .nmis = 0, .por = true };
	if (!ls_dfs_init(&d, &dc, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		ls_session_finish(&s);
		return TEST_FAIL;
	}
	while (ls_dfs_next(&d) && out->n < U_MAX) {
		struct ls_result r;
		ls_session_run(&s, &d.base, d.exec, &r);
		out->steps[out->n] = r.steps;
		out->vals[out->n++] = u_own * 10 + u_r;
	}
	int rc = d.error[0] || out->n == U_MAX ? TEST_FAIL : TEST_PASS;
	if (rc != TEST_PASS)
		fprintf(stderr, "the search of variant %d did not complete: %s\n", v, d.error);
	ls_dfs_finish(&d);
	ls_session_finish(&s);
	return rc;
}

static struct u_run u_plain, u_raw;

int compiler_plain_write_without_reorder_is_an_ordinary_store_and_no_point(void)
{
	for (int random = 0; random < 2; random++) {
		const char *how = random ? "random walk, seeds 0..255" : "dfs";
		CHECK(u_explore(0, false, random, &u_plain) == TEST_PASS);
		CHECK(u_explore(1, false, random, &u_raw) == TEST_PASS);
		CHECKF(u_plain.n == u_raw.n, "%s: %" PRIu64 " executions with PLAIN_WRITE, %" PRIu64
		       " with a C store", how, u_plain.n, u_raw.n);
		for (uint64_t i = 0; i < u_plain.n; i++)
			CHECKF(u_plain.steps[i] == u_raw.steps[i] && u_plain.vals[i] == u_raw.vals[i],
			       "%s, execution %" PRIu64 ": %" PRIu64 " steps (values %d) with "
			       "PLAIN_WRITE, %" PRIu64 " (values %d) with a C store", how, i,
			       u_plain.steps[i], u_plain.vals[i], u_raw.steps[i], u_raw.vals[i]);
		printf("  sc: %s: %" PRIu64 " executions, each as long with PLAIN_WRITE as with a C "
		       "store\n", how, u_plain.n);
	}
	/* With --compiler-reorder the plain accesses are points: the default execution is longer. */
	CHECK(u_explore(0, true, false, &u_plain) == TEST_PASS);
	CHECK(u_explore(1, true, false, &u_raw) == TEST_PASS);
	CHECKF(u_plain.steps[0] > u_raw.steps[0], "with --compiler-reorder the default execution "
	       "takes %" PRIu64 " steps with PLAIN_WRITE, %" PRIu64 " with a C store",
	       u_plain.steps[0], u_raw.steps[0]);
	printf("  sc+compiler-reorder: the default execution takes %" PRIu64 " steps with "
	       "PLAIN_WRITE, %" PRIu64 " with a C store\n", u_plain.steps[0], u_raw.steps[0]);
	return TEST_PASS;
}

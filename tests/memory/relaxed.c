/* Suite `memory`, relaxed: the arm64-like model (sched/memory.c).  A CPU's buffer drains in any
 * order except that an entry waits for older entries to its bytes (coherence), for every older
 * entry when it is a release store, and for entries older than an smp_wmb() between them; a load
 * may read an older value of a location, never older than what its CPU already saw there nor
 * older than memory at its last smp_rmb(), smp_mb() or acquire; a relaxed read-modify-write acts
 * on memory; a load through a pointer its context loaded reads no older value than memory held
 * when the pointer was written.  Results in litmus style over every execution of a complete
 * search. */
#include "memory.h"

static int mode;

/* ---- one address: CoWW, CoWR, CoRR ---------------------------------------------------------
 *
 *	CPU0				CPU1
 *	WRITE_ONCE(co_x, 1);		3 times: r[k] = READ_ONCE(co_x); m[k] = memory then
 *	WRITE_ONCE(co_x, 2);
 *	own = READ_ONCE(co_x);
 *
 * Results: co_x == 2 at the end: Always; memory holding 1 after it held 2: Never; own == 2:
 * Always; some r[k] < r[j], j < k (a read older than one before it): Never; some r[k] < m[k] (a
 * read older than memory): Sometimes. */
static int co_x;
static volatile int co_own, co_r[3], co_m[3], co_backwards, co_memory_back;

static void co_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(co_x, 1);
	WRITE_ONCE(co_x, 2);
	co_own = READ_ONCE(co_x);
}

static void co_t1(void *arg)
{
	(void)arg;
	for (int k = 0; k < 3; k++) {
		co_r[k] = READ_ONCE(co_x);
		co_m[k] = RAW(co_x);
		for (int j = 0; j < k; j++) {
			co_backwards |= co_r[k] < co_r[j];
			co_memory_back |= co_m[k] < co_m[j];
		}
	}
}

static void co_init(int variant)
{
	(void)variant;
	co_x = 0;
	co_own = -1;
	co_backwards = co_memory_back = 0;
	for (int k = 0; k < 3; k++)
		co_r[k] = co_m[k] = -1;
}

static const struct ls_task_decl co_tasks[] = { { "t0", 0, co_t0, NULL },
						{ "t1", 1, co_t1, NULL } };
MEM_TARGET(co_target, "memory/coherence", .ncpus = 2, .tasks = co_tasks, .ntasks = 2,
	   .init = co_init);

static bool co_final_is_the_last_store(void)
{
	return co_x == 2;
}

static bool co_memory_goes_back(void)
{
	return co_memory_back;
}

static bool co_own_reads_its_last_store(void)
{
	return co_own == 2;
}

static bool co_reads_go_back(void)
{
	return co_backwards;
}

static bool co_reads_older_than_memory(void)
{
	for (int k = 0; k < 3; k++)
		if (co_r[k] < co_m[k])
			return true;
	return false;
}

int relaxed_stores_to_one_address_land_in_program_order(void)
{
	EXPECT("CoWW: x == 2 at the end", &co_target, 0, LS_MEM_RELAXED, false, 0, 0,
	       co_final_is_the_last_store, MEM_ALWAYS);
	EXPECT("memory holds 1 after it held 2", &co_target, 0, LS_MEM_RELAXED, false, 0, 0,
	       co_memory_goes_back, MEM_NEVER);
	EXPECT("CoWR: the writer reads back its last store", &co_target, 0, LS_MEM_RELAXED, false,
	       0, 0, co_own_reads_its_last_store, MEM_ALWAYS);
	return TEST_PASS;
}

int relaxed_cpu_never_reads_older_than_it_already_read(void)
{
	EXPECT("CoRR: a read older than an earlier read", &co_target, 0, LS_MEM_RELAXED, false, 0, 0,
	       co_reads_go_back, MEM_NEVER);
	EXPECT("a read older than memory", &co_target, 0, LS_MEM_RELAXED, false, 0, 0,
	       co_reads_older_than_memory, MEM_SOMETIMES);
	EXPECT("a read older than memory", &co_target, 0, LS_MEM_TSO, false, 0, 0,
	       co_reads_older_than_memory, MEM_NEVER);
	return TEST_PASS;
}

/* ---- the order stores land in ----------------------------------------------------------------
 *
 *	CPU0					CPU1
 *	WRITE_ONCE(ord_x, 1);			4 times: READ_ONCE(ord_dummy), then notes
 *	WRITE_ONCE(ord_z, 1);			what memory holds
 *	[smp_wmb()]
 *	WRITE_ONCE(ord_y, 1) or smp_store_release(&ord_y, 1);
 *	WRITE_ONCE(ord_w, 1);
 *
 * Memory holding y == 1 while x or z is 0: Sometimes without a barrier, Never with smp_wmb() or
 * with the release.  Memory holding w == 1 while y == 0: Sometimes in every variant (neither
 * orders a later store after y). */
static const struct ls_variant ord_variants[] = {
	{ "none", "WRITE_ONCE(y)", LS_KIND_COUNT, 0 },
	{ "smp_wmb", "smp_wmb(); WRITE_ONCE(y)", LS_KIND_COUNT, 0 },
	{ "release", "smp_store_release(&y)", LS_KIND_COUNT, 0 },
};
enum { ORD_NONE, ORD_WMB, ORD_RELEASE };

static int ord_x, ord_y, ord_z, ord_w, ord_dummy;
static volatile int ord_y_early, ord_w_early;

static void ord_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(ord_x, 1);
	WRITE_ONCE(ord_z, 1);
	if (mode == ORD_WMB)
		smp_wmb();
	if (mode == ORD_RELEASE)
		smp_store_release(&ord_y, 1);
	else
		WRITE_ONCE(ord_y, 1);
	WRITE_ONCE(ord_w, 1);
}

static void ord_t1(void *arg)
{
	(void)arg;
	for (int k = 0; k < 4; k++) {
		(void)READ_ONCE(ord_dummy);
		int x = RAW(ord_x), y = RAW(ord_y), z = RAW(ord_z), w = RAW(ord_w);
		ord_y_early |= y && (!x || !z);
		ord_w_early |= w && !y;
	}
}

static void ord_init(int variant)
{
	mode = variant;
	ord_x = ord_y = ord_z = ord_w = ord_dummy = 0;
	ord_y_early = ord_w_early = 0;
}

static const struct ls_task_decl ord_tasks[] = { { "t0", 0, ord_t0, NULL },
						 { "t1", 1, ord_t1, NULL } };
MEM_TARGET_V(ord_target, "memory/store-order", .ncpus = 2, .tasks = ord_tasks, .ntasks = 2,
	     .variants = ord_variants, .nvariants = 3, .init = ord_init);

static bool ord_y_before_older(void)
{
	return ord_y_early;
}

static bool ord_w_before_y(void)
{
	return ord_w_early;
}

#define ORD_Y "memory holds y before x or z"
#define ORD_W "memory holds w before y"

int relaxed_stores_to_different_addresses_may_land_out_of_order(void)
{
	EXPECT(ORD_Y, &ord_target, ORD_NONE, LS_MEM_RELAXED, false, 0, 0, ord_y_before_older,
	       MEM_SOMETIMES);
	EXPECT(ORD_W, &ord_target, ORD_NONE, LS_MEM_RELAXED, false, 0, 0, ord_w_before_y,
	       MEM_SOMETIMES);
	EXPECT(ORD_Y, &ord_target, ORD_NONE, LS_MEM_TSO, false, 0, 0, ord_y_before_older,
	       MEM_NEVER);
	return TEST_PASS;
}

int relaxed_smp_wmb_orders_drains(void)
{
	EXPECT(ORD_Y " (smp_wmb)", &ord_target, ORD_WMB, LS_MEM_RELAXED, false, 0, 0,
	       ord_y_before_older, MEM_NEVER);
	EXPECT(ORD_W " (smp_wmb)", &ord_target, ORD_WMB, LS_MEM_RELAXED, false, 0, 0,
	       ord_w_before_y, MEM_SOMETIMES);
	return TEST_PASS;
}

int relaxed_smp_store_release_waits_for_every_older_store(void)
{
	EXPECT(ORD_Y " (release)", &ord_target, ORD_RELEASE, LS_MEM_RELAXED, false, 0, 0,
	       ord_y_before_older, MEM_NEVER);
	EXPECT(ORD_W " (release)", &ord_target, ORD_RELEASE, LS_MEM_RELAXED, false, 0, 0,
	       ord_w_before_y, MEM_SOMETIMES);
	return TEST_PASS;
}

/* ---- MP with smp_wmb(): the reader's side ---------------------------------------------------
 *
 *	CPU0				CPU1
 *	WRITE_ONCE(rd_x, 1);		r0 = READ_ONCE(rd_y), smp_load_acquire(&rd_y) or
 *	smp_wmb();			     smp_cond_load_acquire(&rd_y, 1);
 *	WRITE_ONCE(rd_y, 1);		[smp_rmb() or smp_mb()]
 *					r1 = READ_ONCE(rd_x);
 *
 * exists r0 == 1 && r1 == 0: Sometimes with nothing on the reader's side (its loads reorder),
 * Never with smp_rmb(), smp_mb(), smp_load_acquire() or smp_cond_load_acquire(). */
static const struct ls_variant rd_variants[] = {
	{ "none", "READ_ONCE, READ_ONCE", LS_KIND_COUNT, 0 },
	{ "smp_rmb", "READ_ONCE, smp_rmb, READ_ONCE", LS_KIND_COUNT, 0 },
	{ "smp_mb", "READ_ONCE, smp_mb, READ_ONCE", LS_KIND_COUNT, 0 },
	{ "acquire", "smp_load_acquire, READ_ONCE", LS_KIND_COUNT, 0 },
	{ "cond-acquire", "smp_cond_load_acquire, READ_ONCE", LS_KIND_COUNT, 0 },
};
enum { RD_NONE, RD_RMB, RD_MB, RD_ACQUIRE, RD_COND };

static int rd_x, rd_y;
static volatile int rd_r0, rd_r1;

static void rd_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(rd_x, 1);
	smp_wmb();
	WRITE_ONCE(rd_y, 1);
}

static void rd_t1(void *arg)
{
	(void)arg;
	switch (mode) {
	case RD_ACQUIRE:
		rd_r0 = smp_load_acquire(&rd_y);
		break;
	case RD_COND:
		rd_r0 = smp_cond_load_acquire(&rd_y, VAL == 1);
		break;
	default:
		rd_r0 = READ_ONCE(rd_y);
		break;
	}
	if (mode == RD_RMB)
		smp_rmb();
	if (mode == RD_MB)
		smp_mb();
	rd_r1 = READ_ONCE(rd_x);
}

static void rd_init(int variant)
{
	mode = variant;
	rd_x = rd_y = 0;
	rd_r0 = rd_r1 = -1;
}

static const struct ls_task_decl rd_tasks[] = { { "t0", 0, rd_t0, NULL },
						{ "t1", 1, rd_t1, NULL } };
MEM_TARGET_V(rd_target, "memory/mp-reader", .ncpus = 2, .tasks = rd_tasks, .ntasks = 2,
	     .variants = rd_variants, .nvariants = MEM_ARRAY_SIZE(rd_variants), .init = rd_init);

static bool rd_exists(void)
{
	return rd_r0 == 1 && rd_r1 == 0;
}

int relaxed_smp_rmb_and_acquire_catch_up_with_memory(void)
{
	EXPECT("MP+wmb: flag 1, data 0", &rd_target, RD_NONE, LS_MEM_RELAXED, false, 0, 0,
	       rd_exists, MEM_SOMETIMES);
	EXPECT("MP+wmb+rmb: flag 1, data 0", &rd_target, RD_RMB, LS_MEM_RELAXED, false, 0, 0,
	       rd_exists, MEM_NEVER);
	EXPECT("MP+wmb+mb: flag 1, data 0", &rd_target, RD_MB, LS_MEM_RELAXED, false, 0, 0,
	       rd_exists, MEM_NEVER);
	EXPECT("MP+wmb+acquire: flag 1, data 0", &rd_target, RD_ACQUIRE, LS_MEM_RELAXED, false, 0,
	       0, rd_exists, MEM_NEVER);
	EXPECT("MP+wmb+cond-acquire: flag 1, data 0", &rd_target, RD_COND, LS_MEM_RELAXED, false,
	       0, 0, rd_exists, MEM_NEVER);
	return TEST_PASS;
}

/* ---- read-modify-writes ----------------------------------------------------------------------
 *
 *	CPU0				CPU1
 *	atomic_set(&rmw_a, 1);		r0 = atomic_read(&rmw_a);		m0 = memory then
 *					r1 = atomic_fetch_add_relaxed(0, &rmw_a);	m1
 *					r2 = atomic_cmpxchg_relaxed(&rmw_a, 7, 8);	m2
 *
 * r1 != m1 or r2 != m2 (an RMW, successful or not, read anything but the latest value): Never;
 * r0 != m0 (the plain load read an older one): Sometimes. */
static atomic_t rmw_a;
static volatile int rmw_r[3], rmw_m[3];

static void rmw_t0(void *arg)
{
	(void)arg;
	atomic_set(&rmw_a, 1);
}

static void rmw_t1(void *arg)
{
	(void)arg;
	rmw_r[0] = atomic_read(&rmw_a);
	rmw_m[0] = RAW(rmw_a.counter);
	rmw_r[1] = atomic_fetch_add_relaxed(0, &rmw_a);
	rmw_m[1] = RAW(rmw_a.counter);
	rmw_r[2] = atomic_cmpxchg_relaxed(&rmw_a, 7, 8);
	rmw_m[2] = RAW(rmw_a.counter);
}

static void rmw_init(int variant)
{
	(void)variant;
	atomic_set(&rmw_a, 0);
	for (int k = 0; k < 3; k++)
		rmw_r[k] = rmw_m[k] = -1;
}

static const struct ls_task_decl rmw_tasks[] = { { "t0", 0, rmw_t0, NULL },
						 { "t1", 1, rmw_t1, NULL } };
MEM_TARGET(rmw_target, "memory/rmw", .ncpus = 2, .tasks = rmw_tasks, .ntasks = 2,
	   .init = rmw_init);

static bool rmw_reads_older(void)
{
	return rmw_r[1] != rmw_m[1] || rmw_r[2] != rmw_m[2];
}

static bool rmw_load_reads_older(void)
{
	return rmw_r[0] != rmw_m[0];
}

int relaxed_rmw_reads_the_latest_value(void)
{
	EXPECT("a relaxed RMW reads other than the latest value", &rmw_target, 0, LS_MEM_RELAXED,
	       false, 0, 0, rmw_reads_older, MEM_NEVER);
	EXPECT("a relaxed load reads other than the latest value", &rmw_target, 0, LS_MEM_RELAXED,
	       false, 0, 0, rmw_load_reads_older, MEM_SOMETIMES);
	return TEST_PASS;
}

/* ---- address dependency ------------------------------------------------------------------------
 *
 *	CPU0					CPU1
 *	WRITE_ONCE(dep_x, 1);			q = READ_ONCE(dep_p);	(dep_p starts at &dep_y)
 *	smp_store_release(&dep_p, &dep_x);	r = READ_ONCE(*q);
 *
 * exists q == &dep_x && r == 0: Never (MP+onceassign+derefonce).  The same with a flag instead
 * of the pointer (smp_store_release(&dep_f, 1); f = READ_ONCE(dep_f); r = READ_ONCE(dep_x)):
 * exists f == 1 && r == 0: Sometimes (the release alone does not order the reader).  And through
 * a field at an offset, as rcu_dereference(p)->b reads in the kernel ("field": dep_n.b, the node
 * published by smp_store_release(&dep_np, &dep_n), n = READ_ONCE(dep_np), r = READ_ONCE(n->b)):
 * exists n == &dep_n && r == 0: Never under LKMM (an address dependency). */
static const struct ls_variant dep_variants[] = {
	{ "pointer", "the reader loads through the pointer", LS_KIND_COUNT, 0 },
	{ "flag", "the reader loads a flag, then x", LS_KIND_COUNT, 0 },
	{ "field", "the reader loads a field through the pointer", LS_KIND_COUNT, 0 },
};

static int dep_x, dep_y, dep_f;
static int *dep_p;
static struct dep_node {
	int a, b;
} dep_n, dep_n0;
static struct dep_node *dep_np;
static struct dep_node *volatile dep_nq;
static int *volatile dep_q;
static volatile int dep_r, dep_rf;

static void dep_t0(void *arg)
{
	(void)arg;
	if (mode == 2)
		WRITE_ONCE(dep_n.b, 1);
	else
		WRITE_ONCE(dep_x, 1);
	if (mode == 0)
		smp_store_release(&dep_p, &dep_x);
	else if (mode == 1)
		smp_store_release(&dep_f, 1);
	else
		smp_store_release(&dep_np, &dep_n);
}

static void dep_t1(void *arg)
{
	(void)arg;
	if (mode == 0) {
		int *q = READ_ONCE(dep_p);
		dep_q = q;
		dep_r = READ_ONCE(*q);
	} else if (mode == 1) {
		dep_rf = READ_ONCE(dep_f);
		dep_r = READ_ONCE(dep_x);
	} else {
		struct dep_node *n = READ_ONCE(dep_np);
		dep_nq = n;
		dep_r = READ_ONCE(n->b);
	}
}

static void dep_init(int variant)
{
	mode = variant;
	dep_x = dep_y = dep_f = 0;
	dep_p = &dep_y;
	dep_n.a = dep_n.b = dep_n0.a = dep_n0.b = 0;
	dep_np = &dep_n0;
	dep_nq = NULL;
	dep_q = NULL;
	dep_r = dep_rf = -1;
}

static const struct ls_task_decl dep_tasks[] = { { "t0", 0, dep_t0, NULL },
						 { "t1", 1, dep_t1, NULL } };
MEM_TARGET_V(dep_target, "memory/address-dependency", .ncpus = 2, .tasks = dep_tasks,
	     .ntasks = 2, .variants = dep_variants, .nvariants = 3, .init = dep_init);

static bool dep_exists(void)
{
	return dep_q == &dep_x && dep_r == 0;
}

static bool dep_field_exists(void)
{
	return dep_nq == &dep_n && dep_r == 0;
}

static bool dep_flag_exists(void)
{
	return dep_rf == 1 && dep_r == 0;
}

int relaxed_address_dependency_through_a_loaded_pointer_is_ordered(void)
{
	EXPECT("MP+release+deref: p == &x, *p == 0", &dep_target, 0, LS_MEM_RELAXED, false, 0, 0,
	       dep_exists, MEM_NEVER);
	EXPECT("MP+release, no dependency: flag 1, x 0", &dep_target, 1, LS_MEM_RELAXED, false, 0,
	       0, dep_flag_exists, MEM_SOMETIMES);
	return TEST_PASS;
}

int relaxed_address_dependency_to_a_field_of_a_loaded_pointer_is_ordered(void)
{
	EXPECT("MP+release+deref of a field: n == &node, n->b == 0", &dep_target, 2,
	       LS_MEM_RELAXED, false, 0, 0, dep_field_exists, MEM_NEVER);
	return TEST_PASS;
}

/* ---- S: the end of the execution ---------------------------------------------------------------
 *
 *	CPU0				CPU1
 *	WRITE_ONCE(s_x, 2);		r0 = READ_ONCE(s_y);
 *	WRITE_ONCE(s_y, 1);		WRITE_ONCE(s_x, 1);
 *
 * exists s_x == 2 && r0 == 1 (S+poonceonces): Sometimes under relaxed, Never under tso and sc.
 * When CPU1 read y == 1 CPU0 has no point left, and CPU1's store is its last act: both stores to
 * x land after every context ended, and which lands last is the end-of-execution drain's choice. */
static int s_x, s_y;
static volatile int s_r0;

static void s_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(s_x, 2);
	WRITE_ONCE(s_y, 1);
}

static void s_t1(void *arg)
{
	(void)arg;
	s_r0 = READ_ONCE(s_y);
	WRITE_ONCE(s_x, 1);
}

static void s_init(int variant)
{
	(void)variant;
	s_x = s_y = 0;
	s_r0 = -1;
}

static const struct ls_task_decl s_tasks[] = { { "t0", 0, s_t0, NULL }, { "t1", 1, s_t1, NULL } };
MEM_TARGET(s_target, "memory/s", .ncpus = 2, .tasks = s_tasks, .ntasks = 2, .init = s_init);

static bool s_exists(void)
{
	return s_x == 2 && s_r0 == 1;
}

int relaxed_store_lands_after_the_last_store_of_the_last_context(void)
{
	EXPECT("S: x == 2 and CPU1 read y == 1", &s_target, 0, LS_MEM_RELAXED, false, 0, 0, s_exists,
	       MEM_SOMETIMES);
	EXPECT("S: x == 2 and CPU1 read y == 1", &s_target, 0, LS_MEM_TSO, false, 0, 0, s_exists,
	       MEM_NEVER);
	EXPECT("S: x == 2 and CPU1 read y == 1", &s_target, 0, LS_MEM_SC, false, 0, 0, s_exists,
	       MEM_NEVER);
	return TEST_PASS;
}

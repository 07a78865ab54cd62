/* Suite `memory`, tso: x86-TSO (sched/memory.c).  Each CPU has a FIFO store buffer; a load reads
 * the newest buffered store to its address, else memory; every atomic read-modify-write (a locked
 * instruction) and smp_mb() drain the buffer first; smp_wmb() and smp_rmb() are compiler barriers
 * only.  Results are stated in litmus style over every execution of a complete search. */
#include "memory.h"

static const struct ls_variant barrier_variants[] = {
	{ "none", "no barrier", LS_KIND_COUNT, 0 },
	{ "smp_wmb", "smp_wmb() after the store", LS_KIND_COUNT, 0 },
	{ "smp_rmb", "smp_rmb() after the store", LS_KIND_COUNT, 0 },
	{ "smp_mb", "smp_mb() after the store", LS_KIND_COUNT, 0 },
};
enum { B_NONE, B_WMB, B_RMB, B_MB };

static int mode;

static void fence(void)
{
	switch (mode) {
	case B_WMB:
		smp_wmb();
		break;
	case B_RMB:
		smp_rmb();
		break;
	case B_MB:
		smp_mb();
		break;
	default:
		break;
	}
}

/* ---- own store: forwarding ---------------------------------------------------------------
 *
 *	CPU0
 *	WRITE_ONCE(own_x, 1);
 *	[barrier of the variant]
 *	r0 = READ_ONCE(own_x);	m0 = what memory holds then
 *
 * tso: r0 == 1: Always; r0 == 1 && m0 == 0 (read from the buffer): Sometimes, with smp_wmb() or
 * smp_rmb() too (they drain nothing); with smp_mb(): m0 == 0 Never.  sc: m0 == 0 Never. */
static int own_x;
static volatile int own_r0, own_m0;

static void own_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(own_x, 1);
	fence();
	own_r0 = READ_ONCE(own_x);
	own_m0 = RAW(own_x);
}

static void own_init(int variant)
{
	mode = variant;
	own_x = 0;
	own_r0 = own_m0 = -1;
}

static const struct ls_task_decl own_tasks[] = { { "t0", 0, own_t0, NULL } };
MEM_TARGET_V(own_target, "memory/own-store", .ncpus = 1, .tasks = own_tasks, .ntasks = 1,
	     .variants = barrier_variants, .nvariants = 4, .init = own_init);

static bool own_reads_its_store(void)
{
	return own_r0 == 1;
}

static bool own_reads_it_from_the_buffer(void)
{
	return own_r0 == 1 && own_m0 == 0;
}

int tso_cpu_reads_its_own_buffered_store(void)
{
	EXPECT("the load returns the CPU's own store", &own_target, B_NONE, LS_MEM_TSO, false, 0, 0,
	       own_reads_its_store, MEM_ALWAYS);
	EXPECT("... while memory still holds 0 (forwarded)", &own_target, B_NONE, LS_MEM_TSO, false,
	       0, 0, own_reads_it_from_the_buffer, MEM_SOMETIMES);
	EXPECT("... while memory still holds 0", &own_target, B_NONE, LS_MEM_SC, false, 0, 0,
	       own_reads_it_from_the_buffer, MEM_NEVER);
	return TEST_PASS;
}

/* ---- another CPU ---------------------------------------------------------------------------
 *
 *	CPU0			CPU1
 *	WRITE_ONCE(vis_x, 1);	r1 = READ_ONCE(vis_x);	m1 = memory then, i1 = CPU0 issued it
 *	issued = 1;
 *
 * tso: r1 != m1 (CPU1 read anything but memory): Never; i1 && r1 == 0 (issued, not seen):
 * Sometimes.  sc: i1 && r1 == 0: Never. */
static int vis_x;
static volatile int vis_issued, vis_r1, vis_m1, vis_i1;

static void vis_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(vis_x, 1);
	vis_issued = 1;
}

static void vis_t1(void *arg)
{
	(void)arg;
	vis_r1 = READ_ONCE(vis_x);
	vis_m1 = RAW(vis_x);
	vis_i1 = vis_issued;
}

static void vis_init(int variant)
{
	(void)variant;
	vis_x = 0;
	vis_issued = 0;
	vis_r1 = vis_m1 = vis_i1 = -1;
}

static const struct ls_task_decl vis_tasks[] = { { "t0", 0, vis_t0, NULL },
						 { "t1", 1, vis_t1, NULL } };
MEM_TARGET(vis_target, "memory/other-cpu", .ncpus = 2, .tasks = vis_tasks, .ntasks = 2,
	   .init = vis_init);

static bool vis_reads_other_than_memory(void)
{
	return vis_r1 != vis_m1;
}

static bool vis_issued_not_seen(void)
{
	return vis_i1 == 1 && vis_r1 == 0;
}

int tso_other_cpu_sees_a_store_only_once_it_drains(void)
{
	EXPECT("CPU1 reads anything but what memory holds", &vis_target, 0, LS_MEM_TSO, false, 0, 0,
	       vis_reads_other_than_memory, MEM_NEVER);
	EXPECT("CPU1 reads 0 after CPU0 issued its store", &vis_target, 0, LS_MEM_TSO, false, 0, 0,
	       vis_issued_not_seen, MEM_SOMETIMES);
	EXPECT("CPU1 reads 0 after CPU0 issued its store", &vis_target, 0, LS_MEM_SC, false, 0, 0,
	       vis_issued_not_seen, MEM_NEVER);
	return TEST_PASS;
}

/* ---- SB: store buffering -------------------------------------------------------------------
 *
 *	CPU0				CPU1
 *	[write] sb[0] = 1;		[write] sb[1] = 1;
 *	[barrier]			[barrier]
 *	r0 = READ_ONCE(sb[1]);		r1 = READ_ONCE(sb[0]);
 *
 * exists r0 == 0 && r1 == 0.  The write is WRITE_ONCE(), xchg(), cmpxchg(), atomic_inc_return()
 * or atomic_inc(); the barrier none, smp_mb(), smp_wmb() or smp_rmb().
 *   WRITE_ONCE:             sc Never, tso Sometimes, relaxed Sometimes
 *   xchg, cmpxchg, atomic_inc_return: tso Never, relaxed Never (locked; fully ordered)
 *   atomic_inc:             tso Never (locked), relaxed Sometimes (a relaxed RMW orders nothing)
 *   WRITE_ONCE + smp_mb:    tso Never, relaxed Never
 *   WRITE_ONCE + smp_wmb or smp_rmb: tso Sometimes (they drain nothing)
 * And the RMW after the WRITE_ONCE, on a word of its own: tso Never for every one of them (even
 * a cmpxchg that fails is a locked instruction); relaxed Never for the fully ordered ones,
 * Sometimes for atomic_inc. */
static const struct ls_variant sb_variants[] = {
	{ "store", "WRITE_ONCE", LS_KIND_COUNT, 0 },
	{ "xchg", "xchg", LS_KIND_COUNT, 0 },
	{ "cmpxchg", "cmpxchg", LS_KIND_COUNT, 0 },
	{ "atomic_inc_return", "atomic_inc_return", LS_KIND_COUNT, 0 },
	{ "atomic_inc", "atomic_inc", LS_KIND_COUNT, 0 },
	{ "smp_mb", "WRITE_ONCE, smp_mb", LS_KIND_COUNT, 0 },
	{ "smp_wmb", "WRITE_ONCE, smp_wmb", LS_KIND_COUNT, 0 },
	{ "smp_rmb", "WRITE_ONCE, smp_rmb", LS_KIND_COUNT, 0 },
	{ "then-xchg", "WRITE_ONCE, xchg on another word", LS_KIND_COUNT, 0 },
	{ "then-cmpxchg", "WRITE_ONCE, cmpxchg on another word", LS_KIND_COUNT, 0 },
	{ "then-failed-cmpxchg", "WRITE_ONCE, failing cmpxchg on another word", LS_KIND_COUNT, 0 },
	{ "then-atomic_inc_return", "WRITE_ONCE, atomic_inc_return on another word",
	  LS_KIND_COUNT, 0 },
	{ "then-atomic_inc", "WRITE_ONCE, atomic_inc on another word", LS_KIND_COUNT, 0 },
};
enum { SB_STORE, SB_XCHG, SB_CMPXCHG, SB_INC_RETURN, SB_INC, SB_MB, SB_WMB, SB_RMB,
       SB_THEN_XCHG, SB_THEN_CMPXCHG, SB_THEN_FAILED_CMPXCHG, SB_THEN_INC_RETURN, SB_THEN_INC };

static atomic_t sb[2], sb_other[2];
static volatile int sb_r[2];

static void sb_side(int me)
{
	atomic_t *mine = &sb[me], *other = &sb[1 - me];
	switch (mode) {
	case SB_XCHG:
		(void)xchg(&mine->counter, 1);
		break;
	case SB_CMPXCHG:
		(void)cmpxchg(&mine->counter, 0, 1);
		break;
	case SB_INC_RETURN:
		(void)atomic_inc_return(mine);
		break;
	case SB_INC:
		atomic_inc(mine);
		break;
	default:
		WRITE_ONCE(mine->counter, 1);
		break;
	}
	switch (mode) {
	case SB_THEN_XCHG:
		(void)xchg(&sb_other[me].counter, 1);
		break;
	case SB_THEN_CMPXCHG:
		(void)cmpxchg(&sb_other[me].counter, 0, 1);
		break;
	case SB_THEN_FAILED_CMPXCHG:
		(void)cmpxchg(&sb_other[me].counter, 5, 6);
		break;
	case SB_THEN_INC_RETURN:
		(void)atomic_inc_return(&sb_other[me]);
		break;
	case SB_THEN_INC:
		atomic_inc(&sb_other[me]);
		break;
	case SB_MB:
		smp_mb();
		break;
	case SB_WMB:
		smp_wmb();
		break;
	case SB_RMB:
		smp_rmb();
		break;
	default:
		break;
	}
	sb_r[me] = atomic_read(other);
}

static void sb_t0(void *arg)
{
	(void)arg;
	sb_side(0);
}

static void sb_t1(void *arg)
{
	(void)arg;
	sb_side(1);
}

static void sb_init(int variant)
{
	mode = variant;
	atomic_set(&sb[0], 0);
	atomic_set(&sb[1], 0);
	atomic_set(&sb_other[0], 0);
	atomic_set(&sb_other[1], 0);
	sb_r[0] = sb_r[1] = -1;
}

static const struct ls_task_decl sb_tasks[] = { { "t0", 0, sb_t0, NULL },
						{ "t1", 1, sb_t1, NULL } };
MEM_TARGET_V(sb_target, "memory/sb", .ncpus = 2, .tasks = sb_tasks, .ntasks = 2,
	     .variants = sb_variants, .nvariants = MEM_ARRAY_SIZE(sb_variants), .init = sb_init);

static bool sb_exists(void)
{
	return sb_r[0] == 0 && sb_r[1] == 0;
}

#define SB_OUTCOME "SB: both loads read 0"

int tso_store_buffering_sometimes_under_tso_never_under_sc(void)
{
	EXPECT(SB_OUTCOME, &sb_target, SB_STORE, LS_MEM_SC, false, 0, 0, sb_exists, MEM_NEVER);
	EXPECT(SB_OUTCOME, &sb_target, SB_STORE, LS_MEM_TSO, false, 0, 0, sb_exists,
	       MEM_SOMETIMES);
	EXPECT(SB_OUTCOME, &sb_target, SB_STORE, LS_MEM_RELAXED, false, 0, 0, sb_exists,
	       MEM_SOMETIMES);
	return TEST_PASS;
}

int tso_xchg_drains_the_buffer(void)
{
	EXPECT(SB_OUTCOME " (xchg)", &sb_target, SB_XCHG, LS_MEM_TSO, false, 0, 0, sb_exists,
	       MEM_NEVER);
	EXPECT(SB_OUTCOME " (xchg)", &sb_target, SB_XCHG, LS_MEM_RELAXED, false, 0, 0, sb_exists,
	       MEM_NEVER);
	EXPECT(SB_OUTCOME " (WRITE_ONCE, xchg elsewhere)", &sb_target, SB_THEN_XCHG, LS_MEM_TSO,
	       false, 0, 0, sb_exists, MEM_NEVER);
	EXPECT(SB_OUTCOME " (WRITE_ONCE, xchg elsewhere)", &sb_target, SB_THEN_XCHG, LS_MEM_RELAXED,
	       false, 0, 0, sb_exists, MEM_NEVER);
	return TEST_PASS;
}

int tso_cmpxchg_drains_the_buffer(void)
{
	EXPECT(SB_OUTCOME " (cmpxchg)", &sb_target, SB_CMPXCHG, LS_MEM_TSO, false, 0, 0, sb_exists,
	       MEM_NEVER);
	EXPECT(SB_OUTCOME " (cmpxchg)", &sb_target, SB_CMPXCHG, LS_MEM_RELAXED, false, 0, 0,
	       sb_exists, MEM_NEVER);
	EXPECT(SB_OUTCOME " (WRITE_ONCE, cmpxchg elsewhere)", &sb_target, SB_THEN_CMPXCHG, LS_MEM_TSO,
	       false, 0, 0, sb_exists, MEM_NEVER);
	EXPECT(SB_OUTCOME " (WRITE_ONCE, cmpxchg elsewhere)", &sb_target, SB_THEN_CMPXCHG, LS_MEM_RELAXED,
	       false, 0, 0, sb_exists, MEM_NEVER);
	EXPECT(SB_OUTCOME " (WRITE_ONCE, failing cmpxchg elsewhere)", &sb_target,
	       SB_THEN_FAILED_CMPXCHG, LS_MEM_TSO, false, 0, 0, sb_exists, MEM_NEVER);
	return TEST_PASS;
}

int tso_atomic_inc_return_drains_the_buffer(void)
{
	EXPECT(SB_OUTCOME " (atomic_inc_return)", &sb_target, SB_INC_RETURN, LS_MEM_TSO, false, 0,
	       0, sb_exists, MEM_NEVER);
	EXPECT(SB_OUTCOME " (atomic_inc_return)", &sb_target, SB_INC_RETURN, LS_MEM_RELAXED, false,
	       0, 0, sb_exists, MEM_NEVER);
	EXPECT(SB_OUTCOME " (WRITE_ONCE, atomic_inc_return elsewhere)", &sb_target, SB_THEN_INC_RETURN, LS_MEM_TSO,
	       false, 0, 0, sb_exists, MEM_NEVER);
	EXPECT(SB_OUTCOME " (WRITE_ONCE, atomic_inc_return elsewhere)", &sb_target, SB_THEN_INC_RETURN, LS_MEM_RELAXED,
	       false, 0, 0, sb_exists, MEM_NEVER);
	return TEST_PASS;
}

int tso_atomic_inc_without_return_drains_under_tso_not_under_relaxed(void)
{
	EXPECT(SB_OUTCOME " (atomic_inc)", &sb_target, SB_INC, LS_MEM_TSO, false, 0, 0, sb_exists,
	       MEM_NEVER);
	EXPECT(SB_OUTCOME " (atomic_inc)", &sb_target, SB_INC, LS_MEM_RELAXED, false, 0, 0,
	       sb_exists, MEM_SOMETIMES);
	EXPECT(SB_OUTCOME " (WRITE_ONCE, atomic_inc elsewhere)", &sb_target, SB_THEN_INC,
	       LS_MEM_TSO, false, 0, 0, sb_exists, MEM_NEVER);
	EXPECT(SB_OUTCOME " (WRITE_ONCE, atomic_inc elsewhere)", &sb_target, SB_THEN_INC,
	       LS_MEM_RELAXED, false, 0, 0, sb_exists, MEM_SOMETIMES);
	return TEST_PASS;
}

int tso_smp_mb_drains_the_buffer(void)
{
	EXPECT(SB_OUTCOME " (smp_mb)", &sb_target, SB_MB, LS_MEM_TSO, false, 0, 0, sb_exists,
	       MEM_NEVER);
	EXPECT(SB_OUTCOME " (smp_mb)", &sb_target, SB_MB, LS_MEM_RELAXED, false, 0, 0, sb_exists,
	       MEM_NEVER);
	EXPECT("memory holds the store when the CPU reads it back (smp_mb)", &own_target, B_MB,
	       LS_MEM_TSO, false, 0, 0, own_reads_it_from_the_buffer, MEM_NEVER);
	return TEST_PASS;
}

/* ---- MP: the buffer is FIFO ----------------------------------------------------------------
 *
 *	CPU0				CPU1
 *	WRITE_ONCE(mp_x, 1);		r0 = READ_ONCE(mp_y);
 *	[smp_wmb()]			[smp_rmb()]
 *	WRITE_ONCE(mp_y, 1);		r1 = READ_ONCE(mp_x);
 *	WRITE_ONCE(mp_z, 1);		and CPU1 notes what memory holds after each load
 *
 * exists r0 == 1 && r1 == 0: tso Never, with or without the barriers (FIFO; they break nothing),
 * relaxed Sometimes without them.  Memory holding mp_y == 1 or mp_z == 1 while an older store is
 * not in it: tso Never. */
static int mp_x, mp_y, mp_z;
static volatile int mp_r0, mp_r1, mp_out_of_order;

static void mp_note(void)
{
	int x = RAW(mp_x), y = RAW(mp_y), z = RAW(mp_z);
	if ((y && !x) || (z && (!x || !y)))
		mp_out_of_order = 1;
}

static void mp_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(mp_x, 1);
	if (mode == B_WMB)
		smp_wmb();
	WRITE_ONCE(mp_y, 1);
	WRITE_ONCE(mp_z, 1);
}

static void mp_t1(void *arg)
{
	(void)arg;
	mp_r0 = READ_ONCE(mp_y);
	mp_note();
	if (mode == B_WMB)
		smp_rmb();
	mp_note();
	mp_r1 = READ_ONCE(mp_x);
	mp_note();
}

static void mp_init(int variant)
{
	mode = variant;
	mp_x = mp_y = mp_z = 0;
	mp_r0 = mp_r1 = -1;
	mp_out_of_order = 0;
}

static const struct ls_variant mp_variants[] = {
	{ "none", "no barriers", LS_KIND_COUNT, 0 },
	{ "wmb-rmb", "smp_wmb() and smp_rmb()", LS_KIND_COUNT, 0 },
};

static const struct ls_task_decl mp_tasks[] = { { "t0", 0, mp_t0, NULL },
						{ "t1", 1, mp_t1, NULL } };
MEM_TARGET_V(mp_target, "memory/mp", .ncpus = 2, .tasks = mp_tasks, .ntasks = 2,
	     .variants = mp_variants, .nvariants = 2, .init = mp_init);

static bool mp_exists(void)
{
	return mp_r0 == 1 && mp_r1 == 0;
}

static bool mp_memory_out_of_order(void)
{
	return mp_out_of_order;
}

int tso_buffer_drains_in_fifo_order(void)
{
	EXPECT("MP: flag 1, data 0", &mp_target, 0, LS_MEM_TSO, false, 0, 0, mp_exists, MEM_NEVER);
	EXPECT("memory holds a store before an older one", &mp_target, 0, LS_MEM_TSO, false, 0, 0,
	       mp_memory_out_of_order, MEM_NEVER);
	EXPECT("MP: flag 1, data 0", &mp_target, 0, LS_MEM_RELAXED, false, 0, 0, mp_exists,
	       MEM_SOMETIMES);
	return TEST_PASS;
}

int tso_smp_wmb_and_smp_rmb_order_nothing_extra_and_break_nothing(void)
{
	EXPECT(SB_OUTCOME " (smp_wmb)", &sb_target, SB_WMB, LS_MEM_TSO, false, 0, 0, sb_exists,
	       MEM_SOMETIMES);
	EXPECT(SB_OUTCOME " (smp_rmb)", &sb_target, SB_RMB, LS_MEM_TSO, false, 0, 0, sb_exists,
	       MEM_SOMETIMES);
	EXPECT("read back from the buffer across smp_wmb", &own_target, B_WMB, LS_MEM_TSO, false, 0,
	       0, own_reads_it_from_the_buffer, MEM_SOMETIMES);
	EXPECT("read back from the buffer across smp_rmb", &own_target, B_RMB, LS_MEM_TSO, false, 0,
	       0, own_reads_it_from_the_buffer, MEM_SOMETIMES);
	EXPECT("the load returns the CPU's own store (smp_wmb)", &own_target, B_WMB, LS_MEM_TSO,
	       false, 0, 0, own_reads_its_store, MEM_ALWAYS);
	EXPECT("the load returns the CPU's own store (smp_rmb)", &own_target, B_RMB, LS_MEM_TSO,
	       false, 0, 0, own_reads_its_store, MEM_ALWAYS);
	EXPECT("MP: flag 1, data 0 (smp_wmb, smp_rmb)", &mp_target, 1, LS_MEM_TSO, false, 0, 0,
	       mp_exists, MEM_NEVER);
	EXPECT("memory holds a store before an older one (smp_wmb)", &mp_target, 1, LS_MEM_TSO,
	       false, 0, 0, mp_memory_out_of_order, MEM_NEVER);
	return TEST_PASS;
}

/* ---- a bounded wait ---------------------------------------------------------------------------
 *
 *	CPU0
 *	WRITE_ONCE(late_x, 1);
 *	80 times: READ_ONCE(late_dummy), then notes whether memory holds late_x
 *
 * A store waits at most 64 steps in a buffer, then becomes visible by itself.  tso and relaxed:
 * memory does not hold it after the 70th load: Never; after the 60th: Sometimes. */
static int late_x, late_dummy;
static volatile int late_first;		/* the first load after which memory held it, or 0 */

static void late_t0(void *arg)
{
	(void)arg;
	WRITE_ONCE(late_x, 1);
	for (int k = 1; k <= 80; k++) {
		(void)READ_ONCE(late_dummy);
		if (!late_first && RAW(late_x) == 1)
			late_first = k;
	}
}

static void late_init(int variant)
{
	(void)variant;
	late_x = late_dummy = 0;
	late_first = 0;
}

static const struct ls_task_decl late_tasks[] = { { "t0", 0, late_t0, NULL } };
MEM_TARGET(late_target, "memory/bounded-wait", .ncpus = 1, .tasks = late_tasks, .ntasks = 1,
	   .init = late_init);

static bool late_after_70(void)
{
	return late_first == 0 || late_first > 70;
}

static bool late_after_60(void)
{
	return late_first == 0 || late_first > 60;
}

int tso_buffered_store_becomes_visible_by_itself(void)
{
	for (int mm = LS_MEM_TSO; mm <= LS_MEM_RELAXED; mm++) {
		EXPECT("memory does not hold the store after 70 more steps", &late_target, 0,
		       (enum ls_memory_model)mm, false, 0, 0, late_after_70, MEM_NEVER);
		EXPECT("memory does not hold the store after 60 more steps", &late_target, 0,
		       (enum ls_memory_model)mm, false, 0, 0, late_after_60, MEM_SOMETIMES);
	}
	return TEST_PASS;
}

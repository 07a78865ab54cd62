/* Suite `memory`, waking: a store wakes the contexts parked on its word when it becomes visible
 * (sched/memory.c's commit), not when it is issued; when no context can run, a buffered store
 * becomes visible before the machine calls anything a deadlock; a relaxed load that found its
 * wait condition false on an older value looks again rather than park (ls_mem_may_park()). */
#include "memory.h"

static int mode;

/* ---- wake on visibility ----------------------------------------------------------------------
 *
 *	CPU0 (t0)					CPU1 (t1)
 *	smp_cond_load_acquire(&wk_flag, VAL != 0);	WRITE_ONCE(wk_flag, 1);
 *							3 times: READ_ONCE(wk_dummy), then
 *							notes whether memory holds the flag
 *							and whether t0 is parked
 *
 * tso and relaxed: t0 parked while memory holds the flag: Never; t0 parked after the store was
 * issued, memory not holding it yet: Sometimes.  sc: the latter Never (issued is visible). */
static int wk_flag __attribute__((aligned(8))), wk_dummy __attribute__((aligned(8)));
static volatile int wk_parked_visible, wk_parked_issued, wk_r0;

static void wk_t0(void *arg)
{
	(void)arg;
	wk_r0 = smp_cond_load_acquire(&wk_flag, VAL != 0);
}

static void wk_t1(void *arg)
{
	(void)arg;
	const struct ls_ctx *t0 = mem_ctx("t0");
	WRITE_ONCE(wk_flag, 1);
	for (int k = 0; k < 3; k++) {
		(void)READ_ONCE(wk_dummy);
		bool visible = RAW(wk_flag) == 1, parked = t0->state == LS_PARKED;
		wk_parked_visible |= parked && visible;
		wk_parked_issued |= parked && !visible;
	}
}

static void wk_init(int variant)
{
	(void)variant;
	wk_flag = wk_dummy = 0;
	wk_parked_visible = wk_parked_issued = 0;
	wk_r0 = -1;
}

static const struct ls_task_decl wk_tasks[] = { { "t0", 0, wk_t0, NULL },
						{ "t1", 1, wk_t1, NULL } };
MEM_TARGET(wk_target, "memory/wake-on-visibility", .ncpus = 2, .tasks = wk_tasks, .ntasks = 2,
	   .init = wk_init);

static bool wk_parked_while_visible(void)
{
	return wk_parked_visible;
}

static bool wk_parked_while_buffered(void)
{
	return wk_parked_issued;
}

static bool wk_woke_with_the_flag(void)
{
	return wk_r0 == 1;
}

int waking_parked_context_wakes_when_the_store_becomes_visible_not_when_issued(void)
{
	for (int mm = LS_MEM_TSO; mm <= LS_MEM_RELAXED; mm++) {
		EXPECT("the waiter is parked while memory holds the flag", &wk_target, 0,
		       (enum ls_memory_model)mm, false, 0, 0, wk_parked_while_visible, MEM_NEVER);
		EXPECT("the waiter is parked after the store was issued", &wk_target, 0,
		       (enum ls_memory_model)mm, false, 0, 0, wk_parked_while_buffered,
		       MEM_SOMETIMES);
		EXPECT("the waiter returns the flag", &wk_target, 0, (enum ls_memory_model)mm, false,
		       0, 0, wk_woke_with_the_flag, MEM_ALWAYS);
	}
	EXPECT("the waiter is parked after the store was issued", &wk_target, 0, LS_MEM_SC, false,
	       0, 0, wk_parked_while_buffered, MEM_NEVER);
	return TEST_PASS;
}

/* ---- no deadlock while a buffer holds a waking store -----------------------------------------
 *
 *	CPU0 (t0)					CPU1 (t1)
 *	smp_cond_load_acquire(&pp_a, VAL == 1);		WRITE_ONCE(pp_a, WANT);
 *	WRITE_ONCE(pp_b, 1);				smp_cond_load_acquire(&pp_b, VAL == 1);
 *
 * WANT 1 ("wakes"): deadlock: Never under sc, tso and relaxed, although under tso and relaxed t1
 * parks with its store still buffered and nobody can run (Sometimes: t0 is woken by a drain that
 * came after t1 parked).  WANT 2 ("hangs"): deadlock: Always, under every model. */
static const struct ls_variant pp_variants[] = {
	{ "wakes", "t1 stores the value t0 waits for", LS_KIND_COUNT, 0 },
	{ "hangs", "t1 stores another value", LS_KIND_COUNT, 0 },
};

static int pp_a __attribute__((aligned(8))), pp_b __attribute__((aligned(8)));
static volatile int pp_drained_after_park;

/* Whether the store to addr became visible while context c was already parked (the ring holds
 * the execution's recent steps: the drain's, and c's park step is in c). */
static bool drained_while_parked(const void *addr, const struct ls_ctx *c)
{
	const struct ls_machine *m = ls_machine_current();
	if (c->state != LS_PARKED)
		return false;
	for (uint64_t i = m->nring > LS_RING ? m->nring - LS_RING : 0; i < m->nring; i++) {
		const struct ls_step_rec *r = &m->ring[i % LS_RING];
		if (r->op == LS_OP_DRAIN && r->addr == addr && r->step >= c->park_step)
			return true;
	}
	return false;
}

static void pp_t0(void *arg)
{
	(void)arg;
	(void)smp_cond_load_acquire(&pp_a, VAL == 1);
	pp_drained_after_park |= drained_while_parked(&pp_a, mem_ctx("t1"));
	WRITE_ONCE(pp_b, 1);
}

static void pp_t1(void *arg)
{
	(void)arg;
	WRITE_ONCE(pp_a, mode == 0 ? 1 : 2);
	(void)smp_cond_load_acquire(&pp_b, VAL == 1);
}

static void pp_init(int variant)
{
	mode = variant;
	pp_a = pp_b = 0;
	pp_drained_after_park = 0;
}

static const struct ls_task_decl pp_tasks[] = { { "t0", 0, pp_t0, NULL },
						{ "t1", 1, pp_t1, NULL } };
MEM_TARGET_V(pp_target, "memory/buffered-wake", .ncpus = 2, .tasks = pp_tasks, .ntasks = 2,
	     .variants = pp_variants, .nvariants = 2, .init = pp_init);

static bool pp_deadlock(void)
{
	return mem_kind == LS_KIND_DEADLOCK;
}

static bool pp_both_waited_on_the_buffer(void)
{
	return pp_drained_after_park;
}

int waking_no_deadlock_while_a_buffer_holds_a_waking_store(void)
{
	for (int mm = LS_MEM_SC; mm <= LS_MEM_RELAXED; mm++) {
		struct mem_claim wakes = { "deadlock", &pp_target, 0, (enum ls_memory_model)mm,
					   false, 0, 0, pp_deadlock, MEM_NEVER, false };
		struct mem_claim hangs = { "deadlock", &pp_target, 1, (enum ls_memory_model)mm,
					   false, 0, 0, pp_deadlock, MEM_ALWAYS, true };
		struct mem_claim both = { "t0 woken by a store that landed after t1 parked",
					  &pp_target, 0, (enum ls_memory_model)mm, false, 0, 0,
					  pp_both_waited_on_the_buffer,
					  mm == LS_MEM_SC ? MEM_NEVER : MEM_SOMETIMES, false };
		CHECK(mem_check(&wakes) == TEST_PASS);
		CHECK(mem_check(&hangs) == TEST_PASS);
		CHECK(mem_check(&both) == TEST_PASS);
	}
	return TEST_PASS;
}

/* ---- stale reads in a wait -----------------------------------------------------------------------
 *
 *	CPU0 (t0)						CPU1 (t1)
 *	READ_ONCE(st_flag);					WRITE_ONCE(st_other, 1);
 *	smp_cond_load_acquire(&st_flag, VAL == 1)		WRITE_ONCE(st_flag, 1);
 *	    (noting a look that read 0 while memory held 1)
 *
 * relaxed: deadlock: Never; a look read an older value than memory's: Sometimes (it then looks
 * again rather than park). */
static int st_flag __attribute__((aligned(8))), st_other __attribute__((aligned(8)));
static volatile int st_stale;

static void st_t0(void *arg)
{
	(void)arg;
	(void)READ_ONCE(st_flag);
	(void)smp_cond_load_acquire(&st_flag, ({
		if (VAL != 1 && RAW(st_flag) == 1)
			st_stale = 1;
		VAL == 1;
	}));
}

static void st_t1(void *arg)
{
	(void)arg;
	WRITE_ONCE(st_other, 1);
	WRITE_ONCE(st_flag, 1);
}

static void st_init(int variant)
{
	(void)variant;
	st_flag = st_other = 0;
	st_stale = 0;
}

static const struct ls_task_decl st_tasks[] = { { "t0", 0, st_t0, NULL },
						{ "t1", 1, st_t1, NULL } };
MEM_TARGET(st_target, "memory/stale-wait", .ncpus = 2, .tasks = st_tasks, .ntasks = 2,
	   .init = st_init);

static bool st_deadlock(void)
{
	return mem_kind == LS_KIND_DEADLOCK;
}

static bool st_read_stale(void)
{
	return st_stale;
}

int waking_stale_read_never_parks_forever(void)
{
	struct mem_claim never = { "deadlock", &st_target, 0, LS_MEM_RELAXED, false, 0, 0,
				   st_deadlock, MEM_NEVER, true };
	CHECK(mem_check(&never) == TEST_PASS);
	EXPECT("a look of the wait read an older value than memory's", &st_target, 0,
	       LS_MEM_RELAXED, false, 0, 0, st_read_stale, MEM_SOMETIMES);
	return TEST_PASS;
}

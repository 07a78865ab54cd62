/* semantics/window: a store at the end of a 20 ms critical section lands between two loads.
 *
 *	CPU0 (t0)			CPU1 (t1)
 *	spin_lock(&window_lock);	r1 = READ_ONCE(window_x);
 *	mdelay(20);			r2 = READ_ONCE(window_x);
 *	WRITE_ONCE(window_x, 1);	BUG_ON(r1 == 0 && r2 == 1);
 *	spin_unlock(&window_lock);
 *
 * On hardware CPU1's two loads are a few nanoseconds apart and CPU0's store comes 20 ms after
 * its start, so the interleaving needs CPU1 to fall 20 ms behind between its loads (a vCPU
 * descheduled, an SMI): rare, and real.  In the machine a parked CPU costs no steps, so no
 * ordering of steps reaches it: CPU1 runs its two loads long before CPU0's delay ends.  The
 * "slow" choice (sched/clock.c) lets the clock jump to CPU0's deadline while CPU1 is held back
 * between its loads; one switch to t0 then lands the store in the window.
 *
 * Variant "window": Result: Sometimes (LS_KIND_INVARIANT), with one slow and one preemption;
 * Never with cfg.slow_budget 0. */
#include <lockstep/kernel.h>

#include "window.h"

static DEFINE_SPINLOCK(window_lock);
static long window_x;

static void window_writer(void *arg)
{
	(void)arg;
	spin_lock(&window_lock);
	mdelay(20);
	WRITE_ONCE(window_x, 1);
	spin_unlock(&window_lock);
}

static void window_reader(void *arg)
{
	(void)arg;
	long r1 = READ_ONCE(window_x);
	long r2 = READ_ONCE(window_x);
	if (r1 == 0 && r2 == 1)
		ls_fail(LS_SITE("BUG"), "BUG: CPU0's store landed between CPU1's two loads");
}

static void window_init(int variant)
{
	(void)variant;
	window_x = 0;
}

static const struct ls_task_decl window_tasks[] = {
	{ "t0", 0, window_writer, NULL },
	{ "t1", 1, window_reader, NULL },
};

static const struct ls_variant window_variants[] = {
	[WINDOW_VARIANT_WINDOW] = { "window",
				    "CPU1 falls 20 ms behind between two loads: needs a slow",
				    LS_KIND_INVARIANT },
};

const struct ls_target semantics_window_target = {
	.name = "semantics/window",
	.summary = "a store at the end of a 20 ms critical section between two loads",
	.models = "tests/semantics",
	.ncpus = 2,
	.tasks = window_tasks,
	.ntasks = 2,
	.variants = window_variants,
	.nvariants = 1,
	.init = window_init,
};

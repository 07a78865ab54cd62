/* crashy: a target whose code dies on some schedules, for the campaign suite (built outside the
 * tree, like docs/example/mytarget.c).
 *
 *   CPU0 (t0)                 CPU1 (t1)
 *   WRITE_ONCE(flag, 1);      v = READ_ONCE(flag);
 *   WRITE_ONCE(flag, 2);      abort:  v == 1: abort()
 *   WRITE_ONCE(flag, 3);      segv:   v == 1: abort(); v == 2: store through NULL
 *                             hang:   v == 1: spin forever in plain code (no scheduling point)
 *                             clean:  nothing
 *   init: init() aborts, before every execution's first scheduling point
 *
 * t1 sees 1 or 2 only when it runs between t0's writes: some seeds, not most.
 *
 * Expected: abort, segv, hang, init: crash; clean: never.
 */
#include <stdlib.h>

#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum { ABORT, SEGV, HANG, CLEAN, INIT };

static int flag;
static int variant;

static void t0_fn(void *arg)
{
	(void)arg;
	WRITE_ONCE(flag, 1);
	WRITE_ONCE(flag, 2);
	WRITE_ONCE(flag, 3);
}

static void t1_fn(void *arg)
{
	(void)arg;
	int v = READ_ONCE(flag);
	if (variant == CLEAN)
		return;
	if (v == 1 && variant == HANG)
		for (volatile int spin = 1; spin;)
			;
	if (v == 1)
		abort();
	if (v == 2 && variant == SEGV)
		*(volatile int *)(uintptr_t)(v - 2) = v;
}

static void init(int v)
{
	variant = v;
	flag = 0;
	if (variant == INIT)
		abort();
}

static const struct ls_task_decl tasks[] = {
	{ "t0", 0, t0_fn, NULL },
	{ "t1", 1, t1_fn, NULL },
};

static const struct ls_variant variants[] = {
	{ .name = "abort", .summary = "t1 aborts when it sees flag 1", .expect = LS_KIND_CRASH },
	{ .name = "segv", .summary = "t1 aborts on flag 1 and stores through NULL on flag 2",
	  .expect = LS_KIND_CRASH },
	{ .name = "hang", .summary = "t1 spins forever, without a scheduling point, on flag 1",
	  .expect = LS_KIND_CRASH },
	{ .name = "clean", .summary = "t1 only reads", .expect = LS_KIND_NONE },
	{ .name = "init", .summary = "init() aborts", .expect = LS_KIND_CRASH },
};

static const struct ls_target crashy = {
	.name = "crashy",
	.summary = "a target that crashes on some schedules",
	.models = "nothing: it tests lockstep's crash handling",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.variants = variants,
	.nvariants = 5,
	.init = init,
};

LS_TARGET_EXPORT(crashy);

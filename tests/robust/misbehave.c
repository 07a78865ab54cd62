/* misbehave: a target whose code does what target code must not, for the robustness suite
 * (built outside the tree, like docs/example/mytarget.c).
 *
 *   CPU0 (t0)                        CPU1 (t1)
 *   WRITE_ONCE(flag, 1);             v = READ_ONCE(flag);
 *   WRITE_ONCE(flag, 2);             v == 1 or 2: misbehave, as the variant says
 *   spin_lock(&a); spin_lock(&b);    spin_lock(&b); spin_lock(&a);     (abba only)
 *   ...unlock both                   ...unlock both
 *
 * t1 sees 1 or 2 only when it runs between or after t0's first writes: some schedules, not most.
 *
 *   segv     store through NULL          stack   unbounded recursion with 16 KiB frames
 *   abort    abort()                     big     one 1 MiB frame (past any guard page)
 *   init     init() aborts               oom     allocate and touch memory without end
 *   spin     loop forever, no point      exit0   exit(0)
 *   raw-exit _exit(3): no exit handler runs, so no post-mortem either
 *   abba     no misbehaviour, but an ABBA deadlock on a and b
 *   abba-segv  the ABBA, and segv: minimizing its deadlock tries candidates that crash
 *   abba-mixed the ABBA, and t1 spins on 1 and stores through NULL on 2: candidates crash, then
 *              hang in minimize's careful mode
 *   clean    nothing
 *
 * Expected: crash for the misbehaving variants, deadlock for abba and abba-segv, never for clean.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum { SEGV, ABORT, INIT, STACK, BIG, OOM, SPIN, EXIT0, RAW_EXIT, ABBA, ABBA_SEGV, ABBA_MIXED, CLEAN,
       NVARIANTS };

static int flag;
static int variant;
static DEFINE_SPINLOCK(a);
static DEFINE_SPINLOCK(b);

static volatile int deep = 1 << 30;	/* far deeper than any stack */

/* Kept out of line and made to use its frame, so the compiler neither inlines nor shrinks it. */
__attribute__((noinline)) static int recurse(int depth)
{
	if (depth >= deep)
		return 0;
	volatile char frame[16384];
	frame[0] = (char)depth;
	frame[sizeof(frame) - 1] = (char)depth;
	return recurse(depth + 1) + frame[depth % (int)sizeof(frame)];
}

__attribute__((noinline)) static int big_frame(int x)
{
	volatile char frame[1 << 20];
	frame[0] = (char)x;
	return frame[0];
}

/* Touches memory until the parent kills it; aborts past 8 GiB if nothing does. */
static void eat_memory(void)
{
	for (int i = 0; i < 128; i++) {
		char *p = malloc(64 << 20);
		if (!p)
			abort();
		memset(p, i + 1, 64 << 20);
	}
	abort();
}

static void misbehave(int v)
{
	switch (variant) {
	case ABBA_MIXED:
		if (v == 1)
			for (volatile int spin = 1; spin;)
				;
		*(volatile int *)(uintptr_t)(flag - READ_ONCE(flag)) = 1;
		break;
	case RAW_EXIT:
		_exit(3);
	case SEGV:
	case ABBA_SEGV:
		*(volatile int *)(uintptr_t)(flag - READ_ONCE(flag)) = 1;
		break;
	case ABORT:
		abort();
	case STACK:
		recurse(0);
		break;
	case BIG:
		big_frame(1);
		break;
	case OOM:
		eat_memory();
		break;
	case SPIN:
		for (volatile int spin = 1; spin;)
			;
		break;
	case EXIT0:
		exit(0);
	}
}

static void t0_fn(void *arg)
{
	(void)arg;
	WRITE_ONCE(flag, 1);
	WRITE_ONCE(flag, 2);
	if (variant == ABBA || variant == ABBA_SEGV || variant == ABBA_MIXED) {
		spin_lock(&a);
		spin_lock(&b);
		spin_unlock(&b);
		spin_unlock(&a);
	}
}

static void t1_fn(void *arg)
{
	(void)arg;
	int v = READ_ONCE(flag);
	if (v == 1 || v == 2)
		misbehave(v);
	if (variant == ABBA || variant == ABBA_SEGV || variant == ABBA_MIXED) {
		spin_lock(&b);
		spin_lock(&a);
		spin_unlock(&a);
		spin_unlock(&b);
	}
}

static void init(int v)
{
	variant = v;
	flag = 0;
	spin_lock_init(&a);
	spin_lock_init(&b);
	if (variant == INIT)
		abort();
}

static const struct ls_task_decl tasks[] = {
	{ "t0", 0, t0_fn, NULL },
	{ "t1", 1, t1_fn, NULL },
};

static const struct ls_variant variants[NVARIANTS] = {
	[SEGV] = { .name = "segv", .summary = "t1 stores through NULL", .expect = LS_KIND_CRASH },
	[ABORT] = { .name = "abort", .summary = "t1 aborts", .expect = LS_KIND_CRASH },
	[INIT] = { .name = "init", .summary = "init() aborts", .expect = LS_KIND_CRASH },
	[STACK] = { .name = "stack", .summary = "t1 recurses without end",
		    .expect = LS_KIND_CRASH },
	[BIG] = { .name = "big", .summary = "t1 calls a function with a 1 MiB frame",
		  .expect = LS_KIND_CRASH },
	[OOM] = { .name = "oom", .summary = "t1 allocates without end", .expect = LS_KIND_CRASH },
	[SPIN] = { .name = "spin", .summary = "t1 spins forever between scheduling points",
		   .expect = LS_KIND_CRASH },
	[EXIT0] = { .name = "exit0", .summary = "t1 calls exit(0)", .expect = LS_KIND_CRASH },
	[RAW_EXIT] = { .name = "raw-exit", .summary = "t1 calls _exit(3)", .expect = LS_KIND_CRASH },
	[ABBA] = { .name = "abba", .summary = "an ABBA deadlock", .expect = LS_KIND_DEADLOCK },
	[ABBA_SEGV] = { .name = "abba-segv", .summary = "the ABBA, and t1 stores through NULL",
			.expect = LS_KIND_DEADLOCK },
	[ABBA_MIXED] = { .name = "abba-mixed",
			 .summary = "the ABBA, and t1 spins on flag 1 and stores through NULL on 2",
			 .expect = LS_KIND_DEADLOCK },
	[CLEAN] = { .name = "clean", .summary = "t1 only reads", .expect = LS_KIND_NONE },
};

static const struct ls_target misbehave_target = {
	.name = "misbehave",
	.summary = "a target whose code crashes, hangs, exits or eats memory on some schedules",
	.models = "nothing: it tests lockstep's containment of target code",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.variants = variants,
	.nvariants = NVARIANTS,
	.init = init,
};

LS_TARGET_EXPORT(misbehave_target);

/* demo/abba: two CPUs take two spinlocks.
 *
 *   CPU0 (t0)                   CPU1 (t1)
 *   spin_lock(&lock_a);         spin_lock(&lock_b);      <- buggy: opposite order
 *   spin_lock(&lock_b);         spin_lock(&lock_a);
 *   shared++;                   shared++;
 *   spin_unlock(&lock_b);       spin_unlock(&lock_a);
 *   spin_unlock(&lock_a);       spin_unlock(&lock_b);
 *
 * Expected:
 *   buggy    deadlock once t0 holds lock_a and t1 holds lock_b (one preemption between t0's two
 *            acquisitions is enough);
 *   ordered  never: both CPUs take lock_a first.
 * The check after a clean execution asserts that both critical sections ran.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): buggy 1, its one root cause: the ABBA's hang and the validator's report of it are one
 * bug.
 */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum { BUGGY, ORDERED };

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static int shared;
static int variant;

static void critical_section(void)
{
	WRITE_ONCE(shared, READ_ONCE(shared) + 1);
}

static void t0_fn(void *arg)
{
	(void)arg;
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	critical_section();
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);
}

static void t1_fn(void *arg)
{
	(void)arg;
	spinlock_t *first = variant == BUGGY ? &lock_b : &lock_a;
	spinlock_t *second = variant == BUGGY ? &lock_a : &lock_b;
	spin_lock(first);
	spin_lock(second);
	critical_section();
	spin_unlock(second);
	spin_unlock(first);
}

static void init(int v)
{
	variant = v;
	spin_lock_init(&lock_a);
	spin_lock_init(&lock_b);
	shared = 0;
}

static void check(int v)
{
	(void)v;
	LS_BUG_ON(shared != 2);
}

static const struct ls_task_decl tasks[] = {
	{ "t0", 0, t0_fn, NULL },
	{ "t1", 1, t1_fn, NULL },
};

static const struct ls_variant variants[] = {
	{ "buggy", "CPU1 takes lock_b then lock_a: ABBA", LS_KIND_DEADLOCK },
	{ "ordered", "both CPUs take lock_a first", LS_KIND_NONE },
};

const struct ls_target ls_target_demo_abba = {
	.name = "demo/abba",
	.summary = "two CPUs take two spinlocks, in opposite orders when buggy",
	.models = "the textbook ABBA on spinlock_t",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.variants = variants,
	.nvariants = 2,
	.init = init,
	.check = check,
};

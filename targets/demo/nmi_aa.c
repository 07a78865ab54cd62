/* demo/nmi-aa: a task holds a spinlock and an NMI on the same CPU takes it.
 *
 *   CPU0 (t0), CPU1 (t1)          NMI handler (either CPU)
 *   spin_lock(&lock);             buggy:   spin_lock(&lock); count++; spin_unlock(&lock);
 *   count++;                      trylock: if (spin_trylock(&lock)) { count++; spin_unlock(&lock); }
 *   spin_unlock(&lock);                    else missed++;
 *
 * An NMI runs over whatever its CPU was doing, and the interrupted context cannot run until the
 * handler returns.  If the interrupted task holds the lock, the handler spins on a lock that will
 * never be released: an AA deadlock through the NMI, the reason NMI programs may only trylock.
 *
 * Expected:
 *   buggy    deadlock (one NMI landing inside a task's critical section, no preemption needed);
 *   trylock  never; the check asserts every task and every handler that got the lock counted.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): buggy 1, its one root cause, whichever CPU the NMI lands on and whoever queues behind
 * it.
 */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum { BUGGY, TRYLOCK };

static DEFINE_SPINLOCK(lock);
static int count;
/* Per CPU: an NMI only counts on its own CPU, so on real threads (lockstep stress) two NMIs
 * never race on a counter; the check sums them. */
static int missed[LS_MAX_CPUS], handled[LS_MAX_CPUS];
static int variant;

static void task_fn(void *arg)
{
	(void)arg;
	spin_lock(&lock);
	WRITE_ONCE(count, READ_ONCE(count) + 1);
	spin_unlock(&lock);
}

static void nmi_fn(void *arg)
{
	(void)arg;
	handled[smp_processor_id()]++;
	if (variant == BUGGY) {
		spin_lock(&lock);
	} else if (!spin_trylock(&lock)) {
		missed[smp_processor_id()]++;
		return;
	}
	WRITE_ONCE(count, READ_ONCE(count) + 1);
	spin_unlock(&lock);
}

static void init(int v)
{
	variant = v;
	spin_lock_init(&lock);
	count = 0;
	for (int i = 0; i < LS_MAX_CPUS; i++)
		missed[i] = handled[i] = 0;
}

static void check(int v)
{
	(void)v;
	int extra = 0;
	for (int i = 0; i < LS_MAX_CPUS; i++)
		extra += handled[i] - missed[i];
	LS_BUG_ON(count != 2 + extra);
}

static const struct ls_task_decl tasks[] = {
	{ "t0", 0, task_fn, NULL },
	{ "t1", 1, task_fn, NULL },
};

static const struct ls_irq_decl nmis[] = {
	{ "nmi_handler", 0x3, 1, nmi_fn, NULL },
};

static const struct ls_variant variants[] = {
	{ "buggy", "the NMI handler spins on the lock: AA through the NMI", LS_KIND_DEADLOCK },
	{ "trylock", "the NMI handler only trylocks and gives up when busy", LS_KIND_NONE },
};

const struct ls_target ls_target_demo_nmi_aa = {
	.name = "demo/nmi-aa",
	.summary = "a task holds a spinlock and an NMI on its CPU takes it",
	.models = "spin_lock() reached from NMI context",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = 2,
	.init = init,
	.check = check,
};

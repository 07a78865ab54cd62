/* A target with one bug and full symmetry, built out of tree by the `bugs` suite: three CPUs,
 * each with a task that takes one shared pool lock with interrupts on, and an interrupt source
 * on every CPU whose handler takes the same lock.
 *
 *   CPU0 (w0), CPU1 (w1), CPU2 (w2)      perf (NMI) or tick (hardirq), on any CPU
 *   spin_lock(&pool_lock);               nmi, irq:  spin_lock(&pool_lock); ...; unlock
 *   pool++;                              fixed:     spin_trylock(), give up when busy
 *   spin_unlock(&pool_lock);
 *
 * An interrupt that lands while its CPU's task holds the lock, or waits for it in the queue,
 * spins for ever.  The hang shows up in many placements: on any of the three CPUs, with the other
 * tasks and interrupts queued behind it or not, and the validator predicts it in executions
 * that do not hang.  All of them are one bug; the missing irqsave (variant irq) is one bug too;
 * fixed has none.
 *
 * Root causes: nmi 1 (an NMI spins on pool_lock), irq 1 (a hardirq does), fixed 0. */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum { NMI, IRQ, FIXED };

static DEFINE_SPINLOCK(pool_lock);
static int pool, missed;
static int variant;

static void worker(void *arg)
{
	(void)arg;
	spin_lock(&pool_lock);
	WRITE_ONCE(pool, READ_ONCE(pool) + 1);
	spin_unlock(&pool_lock);
}

static void handler(void *arg)
{
	(void)arg;
	if (variant == FIXED) {
		if (!spin_trylock(&pool_lock)) {
			WRITE_ONCE(missed, READ_ONCE(missed) + 1);
			return;
		}
	} else {
		spin_lock(&pool_lock);
	}
	WRITE_ONCE(pool, READ_ONCE(pool) + 1);
	spin_unlock(&pool_lock);
}

static void nmi_handler(void *arg)
{
	if (variant != IRQ)
		handler(arg);
}

static void irq_handler(void *arg)
{
	if (variant == IRQ)
		handler(arg);
}

static void init(int v)
{
	variant = v;
	spin_lock_init(&pool_lock);
	pool = missed = 0;
}

static const struct ls_task_decl tasks[] = {
	{ "w0", 0, worker, NULL },
	{ "w1", 1, worker, NULL },
	{ "w2", 2, worker, NULL },
};

static const struct ls_irq_decl nmis[] = { { "perf", 0x7, 1, nmi_handler, NULL } };
static const struct ls_irq_decl irqs[] = { { "tick", 0x7, 1, irq_handler, NULL } };

static const struct ls_variant variants[] = {
	{ "nmi", "an NMI handler spins on the pool lock its CPU's task may hold", LS_KIND_DEADLOCK, 0 },
	{ "irq", "a hardirq handler does, the tasks taking it without irqsave", LS_KIND_DEADLOCK, 0 },
	{ "fixed", "the NMI handler only trylocks", LS_KIND_NONE, 0 },
};

static const struct ls_target one_bug = {
	.name = "one-bug",
	.summary = "three CPUs, one pool lock, an interrupt on every CPU that takes it",
	.models = "a symmetric scenario with one root cause",
	.ncpus = 3,
	.tasks = tasks,
	.ntasks = 3,
	.nmis = nmis,
	.nnmis = 1,
	.irqs = irqs,
	.nirqs = 1,
	.variants = variants,
	.nvariants = 3,
	.init = init,
};

LS_TARGET_EXPORT(one_bug);

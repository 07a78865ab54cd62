/* Softirq vectors: the handler table and raise_softirq().
 *
 * The runtime owns when a softirq runs (runtime.h: as a hardirq exits, at local_bh_enable(), or
 * where ksoftirqd would preempt the raiser) and calls run_vector() in the CPU's softirq context
 * for each pending vector.  This file only maps vectors to the target's handlers and checks the
 * raise the way the kernel does: raise_softirq_irqoff() asserts that interrupts are off, and
 * raise_softirq() saves and restores them around it, so a softirq raised from a task with
 * interrupts on can run at that restore.  A vector raised with no handler opened runs nothing,
 * as in the kernel.
 */
#include <lockstep/kernel.h>

static void (*actions[NR_SOFTIRQS])(void);

static void run_vector(unsigned nr)
{
	if (nr < NR_SOFTIRQS && actions[nr])
		actions[nr]();
}

void ls_softirqs_reset(void)
{
	for (unsigned i = 0; i < NR_SOFTIRQS; i++)
		actions[i] = NULL;
	ls_set_softirq_handler(run_vector);
}

void ls_open_softirq(unsigned nr, void (*action)(void))
{
	if (nr < NR_SOFTIRQS)
		actions[nr] = action;
}

void ls_raise_softirq(unsigned nr, bool irqoff, const struct ls_site *site)
{
	if (nr >= NR_SOFTIRQS) {
		ls_fail(site, "raise_softirq(%u): no such vector", nr);
		return;
	}
	if (irqoff) {
		ls_lockdep_assert_irqs(true, site);
		ls_softirq_raise(nr);
		return;
	}
	unsigned long flags = ls_irq_save();
	ls_softirq_raise(nr);
	ls_irq_restore(flags);
}

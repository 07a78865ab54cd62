/* Softirqs: open_softirq(), raise_softirq() and the vectors, over the runtime's softirq context.
 *
 *   operation                 context   effect
 *   open_softirq(nr, fn)      init      fn runs for vector nr (target init, before an execution)
 *   raise_softirq_irqoff(nr)  any       nr pending on this CPU; irqs must be off, as in the kernel
 *   raise_softirq(nr)         any       the same with interrupts saved and restored around it
 *   local_bh_disable/enable   any       bottom halves off/on (percpu.h); the enable runs
 *                                       what is pending
 *   spin_lock_bh/unlock_bh    any       spinlock.h
 *
 * When a pending vector runs is the runtime's rule (runtime.h, ls_bh_disable()): as a hardirq
 * exits, at local_bh_enable(), or, raised from a task with bottom halves on, at the first instant
 * that task could be preempted (the kernel wakes ksoftirqd).  Handlers run in softirq context:
 * in_serving_softirq() is true, hardirqs are on, bottom halves and preemption are off, so
 * anything that might sleep there is "sleeping function called from invalid context", and lock
 * usage is marked IN-SOFTIRQ for the validator.
 */
#ifndef LOCKSTEP_SOFTIRQ_H
#define LOCKSTEP_SOFTIRQ_H

#include <lockstep/runtime.h>

/* The kernel's vectors, by number (include/linux/interrupt.h). */
enum {
	HI_SOFTIRQ,
	TIMER_SOFTIRQ,
	NET_TX_SOFTIRQ,
	NET_RX_SOFTIRQ,
	BLOCK_SOFTIRQ,
	IRQ_POLL_SOFTIRQ,
	TASKLET_SOFTIRQ,
	SCHED_SOFTIRQ,
	HRTIMER_SOFTIRQ,
	RCU_SOFTIRQ,
	NR_SOFTIRQS
};

_Static_assert(NR_SOFTIRQS == LS_NR_SOFTIRQS, "the runtime's vector count");

void ls_open_softirq(unsigned nr, void (*action)(void));
void ls_raise_softirq(unsigned nr, bool irqoff, const struct ls_site *site);
/* Forgets every handler: the model library's reset, before each target init. */
void ls_softirqs_reset(void);

#define open_softirq(nr, action) ls_open_softirq((nr), (action))
#define raise_softirq(nr) ls_raise_softirq((nr), false, LS_SITE("raise_softirq"))
#define raise_softirq_irqoff(nr) ls_raise_softirq((nr), true, LS_SITE("raise_softirq_irqoff"))

#endif

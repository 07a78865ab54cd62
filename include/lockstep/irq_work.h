/* irq_work: callbacks queued from any context, NMIs included, that run later in hardirq context
 * on a CPU (include/linux/irq_work.h, kernel/irq_work.c, flag bits from smp_types.h).
 *
 * A work is a list node and a flags word.  Its states, as (node.llist.next, flags & CLAIMED):
 *
 *     free     NULL, 0  -> claimed        nobody holds it
 *     claimed  NULL, 3  -> pending        irq_work_queue() won the claim, not linked yet
 *     pending  next, 3  -> busy           on a CPU's list, callback not started
 *     busy     NULL, 2  -> free, claimed  callback running; a new queue claims it again
 *
 * irq_work_queue() claims with one atomic_fetch_or of PENDING|BUSY.  If PENDING was already set
 * the call does nothing and returns false: the one callback still to come stands for every
 * queue that found it pending, so anything those callers wrote for it before queueing is only
 * seen if the callback reads it after they wrote it (R1, the lost payload).  Otherwise the work
 * goes on this CPU's raised list (the lazy list for IRQ_WORK_LAZY works) and, if that list was
 * empty, a self-interrupt is raised; the caller of a non-empty list relies on the earlier raise
 * (R4).  The interrupt runs irq_work_run() in hardirq context once the CPU takes interrupts:
 * after the NMI that queued returned, and only where the interrupted context has them enabled.
 *
 * Running a list takes all of it (newest first) and for each work clears PENDING before its
 * callback and clears BUSY after, only if no-one claimed it meanwhile.  So a callback may be
 * queued again from inside itself or from an NMI during it, and runs again (R3).  An object that
 * embeds a work must not be freed while the work is pending or busy: irq_work_sync() waits for
 * BUSY to clear (R5).  A callback must not free its own work: flags are written after it.
 *
 * Concurrency contract: irq_work_queue() and irq_work_queue_on() to the current CPU may be called
 * from any context.  irq_work_queue_on() to another CPU must not be called from NMI (a model
 * failure here; the kernel warns).  irq_work_sync() needs task context with interrupts and
 * preemption enabled.  irq_work_run() and irq_work_tick() need interrupts disabled.  The model
 * library installs the raised-interrupt handler before each execution, so targets only queue; a
 * target that installs its own with ls_set_raised_irq_handler() must call irq_work_run() from it.
 * The per-CPU lists are emptied before each execution, and a target's init() re-initialises its
 * works: one left pending by an execution that ended early would stay claimed.
 */
#ifndef LOCKSTEP_IRQ_WORK_H
#define LOCKSTEP_IRQ_WORK_H

#include <stdbool.h>
#include <stdint.h>

#include <lockstep/atomic.h>
#include <lockstep/llist.h>
#include <lockstep/runtime.h>

/* Bits of node.a_flags (the kernel shares the word with call_single_data). */
enum {
	IRQ_WORK_PENDING = 0x01,
	IRQ_WORK_BUSY = 0x02,
	IRQ_WORK_LAZY = 0x04,		/* no interrupt of its own: runs at the next tick */
	IRQ_WORK_HARD_IRQ = 0x08,	/* hardirq even on PREEMPT_RT; every work is, here */
	IRQ_WORK_CLAIMED = IRQ_WORK_PENDING | IRQ_WORK_BUSY,
	CSD_TYPE_IRQ_WORK = 0x20,	/* type tag the claim ORs in */
};

/* The kernel's struct __call_single_node, laid out as on 64-bit kernels: a kernel backend
 * (--kernel-tree, <lockstep/kbackend.h>) runs kernel/irq_work.c on lockstep's works. */
struct ls_call_single_node {
	struct llist_node llist;	/* on a CPU's list while pending, NULL otherwise */
	atomic_t a_flags;		/* IRQ_WORK_* and the type tag */
	uint16_t src, dst;		/* CSD debugging's; unused */
};

struct irq_work {
	struct ls_call_single_node node;
	void (*func)(struct irq_work *);
	void *irqwait;			/* the kernel's struct rcuwait (PREEMPT_RT); unused */
};

#define LS_IRQ_WORK_INIT_FLAGS(fn, flags)                                                         \
	((struct irq_work){ .node = { .llist = { NULL }, .a_flags = ATOMIC_INIT(flags) },      \
			    .func = (fn) })
#define IRQ_WORK_INIT(fn) LS_IRQ_WORK_INIT_FLAGS(fn, 0)
#define IRQ_WORK_INIT_LAZY(fn) LS_IRQ_WORK_INIT_FLAGS(fn, IRQ_WORK_LAZY)
#define IRQ_WORK_INIT_HARD(fn) LS_IRQ_WORK_INIT_FLAGS(fn, IRQ_WORK_HARD_IRQ)
#define DEFINE_IRQ_WORK(name, fn) struct irq_work name = IRQ_WORK_INIT(fn)

/* Initialises a free work and names it for reports ("&obj->work" reads "obj->work"). */
void ls_init_irq_work(struct irq_work *work, void (*func)(struct irq_work *), const char *name);
#define init_irq_work(work, func) ls_init_irq_work((work), (func), #work)

bool ls_irq_work_queue(struct irq_work *work, const struct ls_site *site);
bool ls_irq_work_queue_on(struct irq_work *work, int cpu, const struct ls_site *site);
void ls_irq_work_sync(struct irq_work *work, const struct ls_site *site);

/* Queues work on this CPU.  Returns true if it was queued, false if it was already pending. */
#define irq_work_queue(work) ls_irq_work_queue((work), LS_SITE("irq_work_queue"))
/* Queues work on cpu; the same return value.  From NMI, cpu must be the current CPU. */
#define irq_work_queue_on(work, cpu) ls_irq_work_queue_on((work), (cpu), LS_SITE("irq_work_queue_on"))
/* Waits (parked, not spinning) until the work's callback is not running. */
#define irq_work_sync(work) ls_irq_work_sync((work), LS_SITE("irq_work_sync"))

static inline bool ls_irq_work_flag(struct irq_work *work, int bit, const struct ls_site *site)
{
	return (ls_atomic_read(&work->node.a_flags, site) & bit) != 0;
}

#define irq_work_is_pending(work) ls_irq_work_flag((work), IRQ_WORK_PENDING, LS_SITE("irq_work_is_pending"))
#define irq_work_is_busy(work) ls_irq_work_flag((work), IRQ_WORK_BUSY, LS_SITE("irq_work_is_busy"))
#define irq_work_is_hard(work) ls_irq_work_flag((work), IRQ_WORK_HARD_IRQ, LS_SITE("irq_work_is_hard"))

/* Runs this CPU's raised and lazy lists; interrupts must be disabled.  The raised-interrupt
 * handler calls it, as the kernel's irq_work vector does. */
void irq_work_run(void);
/* The timer tick's share: runs this CPU's raised and lazy lists (interrupts disabled). */
void irq_work_tick(void);
/* Runs one work taken off a list: clear PENDING, callback, clear BUSY if unchanged. */
void irq_work_single(void *arg);

#endif

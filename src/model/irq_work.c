/* irq_work: per-CPU lists of claimed works and the hardirq that runs them.
 *
 * Each CPU has a raised list and a lazy list (struct llist_head, so producers in any context,
 * NMIs included, add with a CAS loop, and the runner takes a whole list with one xchg).  The
 * flags word is the lock: the queue that sets PENDING owns the right to link the node, and the
 * runner owns it again from the moment it takes the list until it clears PENDING.
 *
 *   queue:  fetch_or(flags, PENDING|BUSY|type): PENDING was set -> return false, nothing else.
 *           (NULL,0) -> (NULL,3) or, on a running callback, (NULL,2) -> (NULL,3).
 *           llist_add to the list; (NULL,3) -> (next,3).  The list was empty -> raise.
 *   run:    with interrupts off, llist_del_all the list; for each work, newest first:
 *           (next,3) -> (NULL,2): PENDING cleared by a plain read and set (the owner's store),
 *           smp_mb() pairing with the claim's fetch_or, so a claim that sees PENDING clear also
 *           sees everything the runner did; the callback; then cmpxchg (2 -> 0), which fails
 *           and leaves the work claimed if someone queued it during the callback.
 *   sync:   wait for BUSY to clear.  The kernel spins with cpu_relax(); here the waiter parks on
 *           the flags word and the runner's cmpxchg wakes it.
 *
 * The raise is ls_irq_raise() on the CPU: the machine delivers it as a hardirq when that CPU's
 * running context has interrupts enabled, never over an NMI, so a work queued in an NMI runs after
 * the NMI returns, and one queued with interrupts off runs at local_irq_enable/restore.  The
 * handler installed by ls_irq_work_reset() runs irq_work_run(): the raised list, then the lazy
 * list (non-RT), as the x86 irq_work vector does.
 *
 * Simplifications, each deliberate: a lazy work raises the interrupt too when its list was empty;
 * it stands for the next timer tick, which the kernel would take with the same delivery rules
 * (interrupts on, after any NMI) and some time later.  irq_work_tick() runs both lists, as the
 * kernel's does on an architecture without a self-interrupt.  A remote irq_work_queue_on() links
 * the work on the target CPU's raised list and raises there, where the kernel uses the
 * call_single_queue and its IPI; either way the target CPU runs it in hardirq context.  PREEMPT_RT
 * (lazy works in a thread, HARD_IRQ works in hardirq) and the rcuwait of irq_work_sync() on
 * configurations without a self-interrupt are left out.
 */
#include <lockstep/kernel.h>
#include <lockstep/kbackend.h>

#include <stdio.h>

#include "model.h"

/* With a kernel backend (--kernel-tree), kernel/irq_work.c does all of the above on the same
 * works: each entry point below hands over to it; the lists are then the kernel's. */
#ifdef LS_NATIVE
#define kirq ((const struct ls_kirq_work_ops *)NULL)
#else
#define kirq (ls_kbackend ? ls_kbackend->irq_work : NULL)
#endif

static DEFINE_PER_CPU(struct llist_head, raised_list);
static DEFINE_PER_CPU(struct llist_head, lazy_list);

/* CPUs whose lists are registered with report names in this execution. */
static unsigned named_cpus;

static const char *const raised_names[LS_NR_CPUS] = {
	"raised_list@cpu0", "raised_list@cpu1", "raised_list@cpu2", "raised_list@cpu3",
	"raised_list@cpu4", "raised_list@cpu5", "raised_list@cpu6", "raised_list@cpu7",
};
static const char *const lazy_names[LS_NR_CPUS] = {
	"lazy_list@cpu0", "lazy_list@cpu1", "lazy_list@cpu2", "lazy_list@cpu3",
	"lazy_list@cpu4", "lazy_list@cpu5", "lazy_list@cpu6", "lazy_list@cpu7",
};

_Static_assert(sizeof(raised_names) / sizeof(raised_names[0]) == LS_NR_CPUS,
	       "one list name per CPU");

/* Names the lists of cpu the first time an execution touches them (the registry is cleared
 * before each execution, and registering costs nothing on CPUs a target never queues on). */
static void name_lists(int cpu)
{
	/* One fetch-or: the NMIs and tasks of several CPUs name lists at once under lockstep
	 * stress. */
	if (LS_FETCH_OR(&named_cpus, 1u << cpu) & (1u << cpu))
		return;
	ls_object_register(per_cpu_ptr(&raised_list, cpu), sizeof(struct llist_head),
			   raised_names[cpu], NULL);
	ls_object_register(per_cpu_ptr(&lazy_list, cpu), sizeof(struct llist_head),
			   lazy_names[cpu], NULL);
}

void ls_init_irq_work(struct irq_work *work, void (*func)(struct irq_work *), const char *name)
{
	*work = IRQ_WORK_INIT(func);
	ls_object_register(work, sizeof(*work), name[0] == '&' ? name + 1 : name, NULL);
}

/* Returns false when the work was already pending: the pending callback will do. */
static bool irq_work_claim(struct irq_work *work, const struct ls_site *site)
{
	int oflags = ls_atomic_fetch_op(&work->node.a_flags, LS_ATOMIC_OR,
					IRQ_WORK_CLAIMED | CSD_TYPE_IRQ_WORK, site);
	return !(oflags & IRQ_WORK_PENDING);
}

/* Links a claimed work on this CPU; preemption is disabled. */
static void queue_local(struct irq_work *work, const struct ls_site *site)
{
	int cpu = ls_cpu();
	int flags = ls_atomic_read(&work->node.a_flags, site);
	struct llist_head *list = flags & IRQ_WORK_LAZY ? per_cpu_ptr(&lazy_list, cpu) :
							  per_cpu_ptr(&raised_list, cpu);
	name_lists(cpu);
	if (ls_llist_add(&work->node.llist, list, site))
		ls_irq_raise(cpu);
}

bool ls_irq_work_queue(struct irq_work *work, const struct ls_site *site)
{
	if (kirq)
		return kirq->queue(work);
	if (!irq_work_claim(work, site))
		return false;
	ls_preempt_disable();
	queue_local(work, site);
	ls_preempt_enable();
	return true;
}

bool ls_irq_work_queue_on(struct irq_work *work, int cpu, const struct ls_site *site)
{
	if (kirq && cpu >= 0 && cpu < LS_NR_CPUS)
		return kirq->queue_on(work, cpu);
	if (cpu < 0 || cpu >= LS_NR_CPUS) {
		ls_fail(site, "irq_work_queue_on() to CPU %d, which does not exist", cpu);
		return false;
	}
	if (!irq_work_claim(work, site))
		return false;
	ls_preempt_disable();
	if (cpu == ls_cpu()) {
		queue_local(work, site);
	} else {
		if (in_nmi())
			ls_fail(site, "irq_work_queue_on() to CPU%d from NMI: remote IPIs are not NMI-safe",
				cpu);
		name_lists(cpu);
		if (ls_llist_add(&work->node.llist, per_cpu_ptr(&raised_list, cpu), site))
			ls_irq_raise(cpu);
	}
	ls_preempt_enable();
	return true;
}

void irq_work_single(void *arg)
{
	if (kirq) {
		kirq->single(arg);
		return;
	}
	struct irq_work *work = arg;
	/* PENDING is ours until this store: a plain read and set, as in the kernel. */
	int flags = ls_atomic_read(&work->node.a_flags, LS_SITE("irq_work_single"));
	flags &= ~IRQ_WORK_PENDING;
	ls_atomic_set(&work->node.a_flags, flags, LS_SITE("irq_work_single"));
	/* Pairs with the fetch_or in irq_work_claim(). */
	smp_mb();
	/* lockdep_irq_work_enter(): a work not marked IRQ_WORK_HARD_IRQ may take {3:3} locks. */
	ls_lockdep_irq_work_enter(!(flags & IRQ_WORK_HARD_IRQ));
	work->func(work);
	ls_lockdep_irq_work_exit();
	/* Back to free unless someone claimed the work during the callback. */
	(void)ls_atomic_cmpxchg(&work->node.a_flags, flags, flags & ~IRQ_WORK_BUSY,
				LS_SITE("irq_work_single"));
}

static void irq_work_run_list(struct llist_head *list)
{
	struct irq_work *work, *tmp;
	struct llist_node *llnode;

	if (!ls_irqs_disabled())
		ls_fail(LS_SITE("irq_work_run_list"),
			"irq_work_run_list() with interrupts enabled in %s", ls_ctx_name(ls_ctx_id()));
	if (llist_empty(list))
		return;
	llnode = llist_del_all(list);
	llist_for_each_entry_safe(work, tmp, llnode, node.llist)
		irq_work_single(work);
}

void irq_work_run(void)
{
	if (kirq) {
		kirq->run();
		return;
	}
	irq_work_run_list(this_cpu_ptr(&raised_list));
	irq_work_run_list(this_cpu_ptr(&lazy_list));
}

void irq_work_tick(void)
{
	if (kirq) {
		kirq->tick();
		return;
	}
	irq_work_run_list(this_cpu_ptr(&raised_list));
	irq_work_run_list(this_cpu_ptr(&lazy_list));
}

void ls_irq_work_sync(struct irq_work *work, const struct ls_site *site)
{
	if (kirq) {
		kirq->sync(work);
		return;
	}
	if (!in_task())
		ls_fail(site, "irq_work_sync() from %s context", in_nmi() ? "NMI" : "hardirq");
	if (irqs_disabled())
		ls_fail(site, "irq_work_sync() with interrupts disabled");
	if (preempt_count())
		ls_fail(site, "irq_work_sync() in atomic context (preempt count %d)", preempt_count());
	/* Nothing runs between the read and the park, so the clearing store cannot be missed. */
	while (ls_atomic_read(&work->node.a_flags, site) & IRQ_WORK_BUSY)
		ls_park(&work->node.a_flags, LS_NO_DEADLINE, site);
}

/* The self-interrupt: the kernel's irq_work vector. */
static void raised_irq(int cpu)
{
	(void)cpu;
	irq_work_run();
}

void ls_irq_work_reset(void)
{
	for (int cpu = 0; cpu < LS_NR_CPUS; cpu++) {
		per_cpu(raised_list, cpu).first = NULL;
		per_cpu(lazy_list, cpu).first = NULL;
	}
	named_cpus = 0;
	ls_set_raised_irq_handler(raised_irq);
	static const char *const kinds[3] = { "raised_list", "lazy_list", "call_single_queue" };
	static char names[3][LS_NR_CPUS][32];
	for (int cpu = 0; kirq && cpu < LS_NR_CPUS; cpu++)
		for (int which = 0; which < 3; which++) {
			unsigned size;
			void *list = kirq->list(cpu, which, &size);
			snprintf(names[which][cpu], sizeof(names[which][cpu]), "%s@cpu%d", kinds[which],
				 cpu);
			ls_object_register(list, size, names[which][cpu], NULL);
		}
}

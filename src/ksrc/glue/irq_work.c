/* Glue for kernel/irq_work.c: the kernel's irq_work, with include/linux/irq_work.h and the
 * tree's llist.h.
 *
 * lockstep's struct irq_work has the kernel's layout (checked below), so the model library
 * passes its works, and their callbacks, straight to the kernel's functions.
 *
 * What kernel/smp.c would do for irq_work_queue_on() to another CPU, which this file does not
 * compile: the work's node goes on the target CPU's call_single_queue, and the queue's first
 * entry sends the IPI (ls_irq_raise()).  The target's interrupt flushes the queue oldest first,
 * running each irq_work with irq_work_single(), as __flush_smp_call_function_queue() does, then
 * runs irq_work_run() for the irq_work vector: on x86 two vectors, here one interrupt.
 */
#include "kernel/irq_work.c"

#include <stddef.h>

#include <lockstep/kbackend.h>

_Static_assert(offsetof(struct irq_work, node.llist) == 0, "irq_work layout");
_Static_assert(offsetof(struct irq_work, node.a_flags) == 8, "irq_work layout");
_Static_assert(offsetof(struct irq_work, func) == 16, "irq_work layout");
_Static_assert(sizeof(struct irq_work) == 32, "irq_work layout");

static DEFINE_PER_CPU(struct llist_head, call_single_queue);
/* The call-function IPI is pending on this CPU: its vector, not memory, so no point. */
static DEFINE_PER_CPU(bool, call_single_ipi);

void __smp_call_single_queue(int cpu, struct llist_node *node)
{
	if (llist_add(node, &per_cpu(call_single_queue, cpu))) {
		per_cpu(call_single_ipi, cpu) = true;
		ls_irq_raise(cpu);
	}
}

static void run(void)
{
	bool *ipi = this_cpu_ptr(&call_single_ipi);
	if (*ipi) {
		*ipi = false;
		struct llist_node *entry = llist_del_all(this_cpu_ptr(&call_single_queue));
		struct irq_work *work, *tmp;
		entry = llist_reverse_order(entry);
		llist_for_each_entry_safe(work, tmp, entry, node.llist)
			irq_work_single(work);
	}
	irq_work_run();
}

static bool queue(void *work)
{
	return irq_work_queue(work);
}

static bool queue_on(void *work, int cpu)
{
	return irq_work_queue_on(work, cpu);
}

static void sync(void *work)
{
	irq_work_sync(work);
}

static void single(void *work)
{
	irq_work_single(work);
}

static void *list(int cpu, int which, unsigned *size)
{
	*size = sizeof(struct llist_head);
	return which == 0 ? per_cpu_ptr(&raised_list, cpu) :
	       which == 1 ? per_cpu_ptr(&lazy_list, cpu) : per_cpu_ptr(&call_single_queue, cpu);
}

__attribute__((visibility("hidden"))) const struct ls_kirq_work_ops ls_kglue_irq_work = {
	.queue = queue,
	.queue_on = queue_on,
	.sync = sync,
	.run = run,
	.tick = irq_work_tick,
	.single = single,
	.list = list,
};

/* <linux/smp.h>: CPUs are lockstep's; a remote call lands in the target CPU's call_single_queue (glue/irq_work.c). */
#ifndef LS_KSHIM_LINUX_SMP_H
#define LS_KSHIM_LINUX_SMP_H
#include <ls_kshim.h>
struct llist_node;
void __smp_call_single_queue(int cpu, struct llist_node *node);
#endif

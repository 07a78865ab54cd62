/* Glue for kernel/bpf/rqspinlock.c (v6.15 on): the kernel's resilient queued spinlock as
 * lockstep's rqspinlock_t, whose 4-byte word comes first (checked below).
 *
 * res_spin_lock() and res_spin_unlock() are the tree's asm-generic/rqspinlock.h; the slow path,
 * the held-lock table and the queue nodes are the tree's rqspinlock.c, compiled here so its
 * static nodes are reachable.  The _irqsave forms stay the model library's: its validator must
 * hear of the acquisition after interrupts are off, as raw_res_spin_lock_irqsave() orders them.
 */
#include "kernel/bpf/rqspinlock.c"

#include <lockstep/kbackend.h>

_Static_assert(sizeof(rqspinlock_t) == 4, "lockstep's rqspinlock_t starts with a 4-byte word");

static int lock(void *q)
{
	return res_spin_lock(q);
}

static void unlock(void *q)
{
	res_spin_unlock(q);
}

static void *nodes(int cpu, unsigned *size)
{
	*size = sizeof(rqnodes);
	return per_cpu_ptr(&rqnodes, cpu);
}

static void *held(int cpu, unsigned *size)
{
	*size = sizeof(struct rqspinlock_held);
	return per_cpu_ptr(&rqspinlock_held_locks, cpu);
}

__attribute__((visibility("hidden"))) const struct ls_krqspin_ops ls_kglue_rqspin = {
	.lock = lock,
	.unlock = unlock,
	.nodes = nodes,
	.held = held,
	.nr_held = RES_NR_HELD,
};

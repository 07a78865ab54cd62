/* Glue for kernel/locking/qspinlock.c: the kernel's queued spinlock as raw_spinlock_t.
 *
 * The kernel file is compiled here, in this translation unit, so that its static slow path and
 * per-CPU MCS nodes are reachable; the fast paths are asm-generic/qspinlock.h's inline
 * functions, also from the tree.  lockstep's raw_spinlock_t starts with its 4-byte lock word,
 * which is the struct qspinlock these functions take.
 */
#include "kernel/locking/qspinlock.c"

#include <lockstep/kbackend.h>

_Static_assert(sizeof(struct qspinlock) == 4, "lockstep's raw_spinlock_t holds a 4-byte word");

static void lock(void *q)
{
	queued_spin_lock(q);
}

static int trylock(void *q)
{
	return queued_spin_trylock(q);
}

static void unlock(void *q)
{
	queued_spin_unlock(q);
}

static int is_locked(void *q)
{
	return queued_spin_is_locked(q);
}

static void *nodes(int cpu, unsigned *size)
{
	*size = sizeof(qnodes);
	return per_cpu_ptr(&qnodes, cpu);
}

__attribute__((visibility("hidden"))) const struct ls_kspin_ops ls_kglue_spin = {
	.lock = lock,
	.trylock = trylock,
	.unlock = unlock,
	.is_locked = is_locked,
	.nodes = nodes,
};

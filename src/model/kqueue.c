/* Queue order of a kernel backend's MCS queues, for the wait-for graph: who waits for whom among
 * the waiters of the kernel's own qspinlock.c and rqspinlock.c (--kernel-tree).
 *
 * The kernel's slow path publishes a waiter with xchg_tail(): a 16-bit exchange of the lock
 * word's tail, which holds (cpu + 1) << 2 | idx for the waiter's per-CPU node qnodes[idx] (x86,
 * fewer than 16K CPUs).  The value it puts names the waiter's own node; the value it gets back
 * names the node queued just ahead, whose owner is the context that put that tail earlier.  The
 * shims report every exchange a kernel file makes (ls_kernel_xchged()); the lock models pass on
 * the ones on the tail of the lock a context is acquiring, with the CPU's node array.  From then
 * until the context leaves the slow path:
 *   - spinning on its node's locked word, it waits for the context ahead (LS_WAIT_QUEUED), which
 *     hands it the head with a store to that word;
 *   - spinning on its node's next word (a head waiting for its successor to link in), it waits
 *     for the context that queued behind it (LS_WAIT_FOR).
 * A context ahead that has left (its node taken over by another acquisition) is no longer named:
 * the lock model's own answer, the lock's holder, stands.  Nothing here allocates. */
#include <lockstep/runtime.h>
#include <lockstep/target.h>

#include <stdint.h>
#include <string.h>

#include "model.h"

#define NCTX (LS_MAX_TASKS + 3 * LS_MAX_CPUS)
#define NODES_PER_CPU 4		/* _Q_MAX_NODES */

struct kq_waiter {
	const char *own;	/* its node, NULL outside a queue */
	const char *ahead;	/* the node queued ahead of it, NULL if it was the first */
	unsigned node_size;
};

static struct kq_waiter kq[NCTX];

void ls_kq_reset(void)
{
	memset(kq, 0, sizeof(kq));
}

/* The node a 16-bit tail names, NULL for none or a CPU out of range. */
static const char *tail_node(ls_kq_nodes_fn nodes, unsigned tail, unsigned *node_size)
{
	int cpu = (int)(tail >> 2) - 1, idx = (int)(tail & 3);
	if (tail == 0 || cpu < 0 || cpu >= LS_MAX_CPUS)
		return NULL;
	unsigned size;
	const char *base = nodes(cpu, &size);
	*node_size = size / NODES_PER_CPU;
	return base + (size_t)idx * *node_size;
}

void ls_kq_joined(ls_kq_nodes_fn nodes, unsigned old_tail, unsigned new_tail)
{
	int me = ls_ctx_id();
	if (me < 0 || me >= NCTX)
		return;
	unsigned size = 0, ahead_size = 0;
	kq[me].own = tail_node(nodes, new_tail, &size);
	kq[me].ahead = tail_node(nodes, old_tail, &ahead_size);
	kq[me].node_size = size;
}

void ls_kq_left(int ctx)
{
	if (ctx >= 0 && ctx < NCTX)
		kq[ctx].own = kq[ctx].ahead = NULL;
}

static int owner_of(const char *node, int except)
{
	for (int c = 0; node && c < NCTX; c++)
		if (c != except && kq[c].own == node)
			return c;
	return -1;
}

bool ls_kq_blocker(const void *addr, int waiter, struct ls_blocker *b)
{
	if (waiter < 0 || waiter >= NCTX || !kq[waiter].own)
		return false;
	const char *own = kq[waiter].own, *a = addr;
	if (a < own || a >= own + kq[waiter].node_size)
		return false;
	/* struct mcs_spinlock: next first, then locked. */
	if (a == own) {
		for (int c = 0; c < NCTX; c++)
			if (c != waiter && kq[c].own && kq[c].ahead == own) {
				*b = (struct ls_blocker){ c, LS_WAIT_FOR };
				return true;
			}
		return false;
	}
	int ahead = owner_of(kq[waiter].ahead, waiter);
	if (ahead < 0)
		return false;
	*b = (struct ls_blocker){ ahead, LS_WAIT_QUEUED };
	return true;
}

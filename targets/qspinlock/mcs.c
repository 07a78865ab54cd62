/* qspinlock/mcs: the kernel's queued spinlock, slow path and per-CPU MCS nodes, under weak memory.
 *
 * Models kernel/locking/qspinlock.c (queued_spin_lock_slowpath() without paravirt),
 * include/asm-generic/qspinlock.h (fast path, unlock, trylock) and kernel/locking/mcs_spinlock.h
 * (arch_mcs_spin_lock_contended()/unlock_contended()) for NR_CPUS < 16K: the lock word is
 * (tail:16, pending:8, locked:8), each CPU has four MCS nodes (task, softirq, hardirq, NMI), and
 * qnodes[cpu][0].mcs.count counts the ones in use.  rqspinlock shares this slow path and node
 * layout.  Every access is written with the ordering the kernel's source gives it; the plain ones
 * (node->count++, the node's initialisation) with PLAIN_READ()/PLAIN_WRITE() so that the compiler
 * model sees them.
 *
 *   CPU0 (t0)           CPU1..3 (t1, t2, t3)          NMI on CPU0 (perf)
 *   lock(&lock_l)       lock(&lock_m); unlock(...)    lock(&lock_m)
 *   unlock(&lock_l)     lock(&lock_l); unlock(...)    unlock(&lock_m)
 *
 * Each critical section claims an owner word and bumps a counter, and checks both: two owners at
 * once, or a lost update, is the lock failing; a queue that loses a waiter shows as a deadlock.
 * The NMI takes a lock the task it interrupts never holds, as the kernel's NMI users do, so it
 * nests a second node on CPU0 rather than deadlocking.
 *
 * Variants:
 *   fixed                  today's code.  Expected: clean under every model, with and without
 *                          --compiler-reorder.
 *   no-node-init-barrier   without the smp_wmb() before xchg_tail() that 95bcade33a8a
 *                          ("locking/qspinlock: Ensure node is initialised before updating
 *                          prev->next") added.  xchg_tail() is relaxed, so the node's
 *                          initialisation may become visible after the tail that publishes it:
 *                          the next waiter's WRITE_ONCE(prev->next) lands first and is
 *                          overwritten by node->next = NULL, so the head never learns its
 *                          successor (deadlock).  Expected: found under --memory-model relaxed;
 *                          clean under sc and tso (xchg is a locked instruction on x86).
 *   no-count-barrier       without the barrier() after node->count++ that 11dc13224c97
 *                          ("locking/qspinlock: Ensure node->count is updated before initialising
 *                          node") added.  The compiler may emit the node's initialisation before
 *                          the count's increment; an NMI arriving between them picks the same
 *                          node, queues on it and leaves it dirty (next pointing at its
 *                          successor, locked set by its predecessor), and the task then queues
 *                          with that node.  Expected: found with --compiler-reorder (any model);
 *                          clean without it.
 * The weak-only variants expect nothing under sc (their `expect` is unsettled: the finding depends
 * on the memory model); tests/memory/test_memory_cli.sh pins each verdict per model and engine.
 */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;

enum { FIXED, NO_NODE_INIT_BARRIER, NO_COUNT_BARRIER, NVAR };

#define NCPUS 7
#define MAX_NODES 4

#define _Q_LOCKED_VAL 1u
#define _Q_PENDING_VAL (1u << 8)
#define _Q_LOCKED_MASK 0xffu
#define _Q_PENDING_MASK 0xff00u
#define _Q_LOCKED_PENDING_MASK 0xffffu
#define _Q_TAIL_OFFSET 16
#define _Q_TAIL_IDX_OFFSET 16
#define _Q_TAIL_IDX_MASK (3u << _Q_TAIL_IDX_OFFSET)
#define _Q_TAIL_CPU_OFFSET 18
#define _Q_TAIL_MASK 0xffff0000u
#define _Q_PENDING_LOOPS 1

struct qspinlock {
	union {
		atomic_t val;
		struct {
			u8 locked;
			u8 pending;
		};
		struct {
			u16 locked_pending;
			u16 tail;
		};
	};
};

struct mcs_spinlock {
	struct mcs_spinlock *next;
	int locked;	/* 1 if lock acquired */
	int count;	/* nesting count, see qspinlock.c */
};

struct qnode {
	struct mcs_spinlock mcs;
};

static struct qnode qnodes[NCPUS][MAX_NODES];
/* Each lock in an 8-byte word of its own: a waiter parks on the word holding the lock, so two
 * locks the compiler happened to place in one word would wake each other's waiters, and a build
 * by another compiler (the fuzz harnesses') would offer different choices. */
static struct qspinlock lock_l __attribute__((aligned(8))), lock_m __attribute__((aligned(8)));
static int variant;

/* ---- the lock word ----------------------------------------------------------------------- */

static u32 encode_tail(int cpu, int idx)
{
	return (u32)(cpu + 1) << _Q_TAIL_CPU_OFFSET | (u32)idx << _Q_TAIL_IDX_OFFSET;
}

static struct mcs_spinlock *decode_tail(u32 tail)
{
	int cpu = (int)(tail >> _Q_TAIL_CPU_OFFSET) - 1;
	int idx = (int)((tail & _Q_TAIL_IDX_MASK) >> _Q_TAIL_IDX_OFFSET);
	return &qnodes[cpu][idx].mcs;
}

/* *,1,0 -> *,0,0 */
static void clear_pending(struct qspinlock *lock)
{
	WRITE_ONCE(lock->pending, 0);
}

/* *,1,0 -> *,0,1: one 16-bit store (the lock has no tail while someone is pending). */
static void clear_pending_set_locked(struct qspinlock *lock)
{
	WRITE_ONCE(lock->locked_pending, _Q_LOCKED_VAL);
}

/* p,*,* -> n,*,*: relaxed, so it orders nothing by itself; returns the previous tail. */
static u32 xchg_tail(struct qspinlock *lock, u32 tail)
{
	return (u32)xchg_relaxed(&lock->tail, (u16)(tail >> _Q_TAIL_OFFSET)) << _Q_TAIL_OFFSET;
}

/* 0,0,* -> 0,1,*: returns the old value. */
static u32 queued_fetch_set_pending_acquire(struct qspinlock *lock)
{
	return (u32)atomic_fetch_or_acquire((int)_Q_PENDING_VAL, &lock->val);
}

/* *,*,0 -> *,0,1 */
static void set_locked(struct qspinlock *lock)
{
	WRITE_ONCE(lock->locked, _Q_LOCKED_VAL);
}

static bool queued_spin_trylock(struct qspinlock *lock)
{
	int val = atomic_read(&lock->val);
	if (val)
		return false;
	return atomic_try_cmpxchg_acquire(&lock->val, &val, (int)_Q_LOCKED_VAL);
}

/* ---- the slow path, step by step as queued_spin_lock_slowpath() -------------------------- */

static void queued_spin_lock_slowpath(struct qspinlock *lock, u32 val)
{
	struct mcs_spinlock *prev, *next, *node;
	u32 old, tail;
	int idx, cpu = ls_cpu();

	/* Wait for an in-progress pending -> locked hand-over: 0,1,0 -> 0,0,1 */
	if (val == _Q_PENDING_VAL) {
		int cnt = _Q_PENDING_LOOPS;
		val = (u32)atomic_cond_read_relaxed(&lock->val,
						    ((u32)VAL != _Q_PENDING_VAL) || !cnt--);
	}
	/* Any contention: queue. */
	if (val & ~_Q_LOCKED_MASK)
		goto queue;

	/* trylock || pending: 0,0,* -> 0,1,* -> 0,0,1 */
	val = queued_fetch_set_pending_acquire(lock);
	if (val & ~_Q_LOCKED_MASK) {
		/* Undo PENDING if we set it. */
		if (!(val & _Q_PENDING_MASK))
			clear_pending(lock);
		goto queue;
	}
	/* Pending: wait for the owner to go away, 0,1,1 -> 0,1,0, with an acquire. */
	if (val & _Q_LOCKED_MASK)
		atomic_cond_read_acquire(&lock->val, !((u32)VAL & _Q_LOCKED_MASK));
	clear_pending_set_locked(lock);
	return;

queue:
	node = &qnodes[cpu][0].mcs;
	idx = PLAIN_READ(node->count);	/* idx = node->count++ */
	PLAIN_WRITE(node->count, idx + 1);
	tail = encode_tail(cpu, idx);
	node = &qnodes[cpu][idx].mcs;	/* grab_mcs_node() */

	/* The increment before the node's initialisation, or an interrupt overwrites it
	 * (11dc13224c97). */
	if (variant != NO_COUNT_BARRIER)
		barrier();
	PLAIN_WRITE(node->locked, 0);
	PLAIN_WRITE(node->next, NULL);

	if (queued_spin_trylock(lock))
		goto release;

	/* The initialisation complete before the tail publishes the node (95bcade33a8a). */
	if (variant != NO_NODE_INIT_BARRIER)
		smp_wmb();

	old = xchg_tail(lock, tail);
	next = NULL;

	/* A previous node: link it and wait to be the head of the queue. */
	if (old & _Q_TAIL_MASK) {
		prev = decode_tail(old);
		WRITE_ONCE(prev->next, node);
		smp_cond_load_acquire(&node->locked, VAL);	/* arch_mcs_spin_lock_contended() */
		next = READ_ONCE(node->next);
	}

	/* The head: wait for the owner and pending to go away, *,x,y -> *,0,0, with an acquire. */
	val = (u32)atomic_cond_read_acquire(&lock->val, !((u32)VAL & _Q_LOCKED_PENDING_MASK));

	/* Claim the lock: n,0,0 -> 0,0,1 when the queue is only us, else *,*,0 -> *,*,1. */
	if ((val & _Q_TAIL_MASK) == tail) {
		int v = (int)val;
		if (atomic_try_cmpxchg_relaxed(&lock->val, &v, (int)_Q_LOCKED_VAL))
			goto release;
	}
	set_locked(lock);

	/* Contended: wait for the successor if not seen yet, and make it the head. */
	if (!next)
		next = smp_cond_load_relaxed(&node->next, (VAL));
	smp_store_release(&next->locked, 1);	/* arch_mcs_spin_unlock_contended() */

release:
	idx = PLAIN_READ(qnodes[cpu][0].mcs.count);	/* __this_cpu_dec(qnodes[0].mcs.count) */
	PLAIN_WRITE(qnodes[cpu][0].mcs.count, idx - 1);
}

static void queued_spin_lock(struct qspinlock *lock)
{
	int val = 0;
	if (atomic_try_cmpxchg_acquire(&lock->val, &val, (int)_Q_LOCKED_VAL))
		return;
	queued_spin_lock_slowpath(lock, (u32)val);
}

static void queued_spin_unlock(struct qspinlock *lock)
{
	smp_store_release(&lock->locked, 0);
}

/* ---- the scenarios ----------------------------------------------------------------------- */

#define NOBODY (-1)

struct guarded {
	struct qspinlock *lock;
	int owner;	/* context id inside, NOBODY outside */
	int count;	/* critical sections completed */
};

static struct guarded cs_l = { &lock_l, NOBODY, 0 }, cs_m = { &lock_m, NOBODY, 0 };

/* A critical section that notices a second owner, and a counter that notices a lost update;
 * `slow` nanoseconds inside let the others pile up in the queue. */
static void critical_section(struct guarded *g, uint64_t slow)
{
	queued_spin_lock(g->lock);
	int me = ls_ctx_id();
	LS_BUG_ON(READ_ONCE(g->owner) != NOBODY);
	WRITE_ONCE(g->owner, me);
	WRITE_ONCE(g->count, READ_ONCE(g->count) + 1);
	if (slow)
		ndelay(slow);
	LS_BUG_ON(READ_ONCE(g->owner) != me);
	WRITE_ONCE(g->owner, NOBODY);
	queued_spin_unlock(g->lock);
}

static void init(int v)
{
	static const char *const node_names[NCPUS] = {
		"qnodes[cpu0]", "qnodes[cpu1]", "qnodes[cpu2]", "qnodes[cpu3]",
		"qnodes[cpu4]", "qnodes[cpu5]", "qnodes[cpu6]",
	};
	variant = v;
	memset(qnodes, 0, sizeof(qnodes));
	memset(&lock_l, 0, sizeof(lock_l));
	memset(&lock_m, 0, sizeof(lock_m));
	cs_l.owner = cs_m.owner = NOBODY;
	cs_l.count = cs_m.count = 0;
	/* Names for reports: a hang says which lock word or whose node a CPU spins on. */
	ls_object_register(&lock_l, sizeof(lock_l), "lock_l", NULL);
	ls_object_register(&lock_m, sizeof(lock_m), "lock_m", NULL);
	for (int cpu = 0; cpu < NCPUS; cpu++)
		ls_object_register(qnodes[cpu], sizeof(qnodes[cpu]), node_names[cpu], NULL);
}

/* Every section ran, every node was given back, both locks are free. */
static void check_counts(int l, int m)
{
	LS_BUG_ON(cs_l.count != l);
	LS_BUG_ON(cs_m.count != m);
	for (int cpu = 0; cpu < NCPUS; cpu++)
		LS_BUG_ON(qnodes[cpu][0].mcs.count != 0);
	LS_BUG_ON(atomic_read(&lock_l.val) != 0 || atomic_read(&lock_m.val) != 0);
}

static const struct ls_variant variants[NVAR] = {
	{ "fixed", "today's slow path: clean under every memory model", LS_KIND_NONE },
	{ "no-node-init-barrier",
	  "no smp_wmb() before xchg_tail() (before 95bcade33a8a): a lost successor under "
	  "--memory-model relaxed", LS_KIND_COUNT },
	{ "no-count-barrier",
	  "no barrier() after node->count++ (before 11dc13224c97): a node an NMI reused, under "
	  "--compiler-reorder", LS_KIND_COUNT },
};

/* qspinlock/mcs: four CPUs take both locks, an NMI on CPU0 takes lock_m.
 *
 *   CPU0 (t0)            CPU1..3 (t1, t2, t3)                  NMI on CPU0 (perf)
 *   lock(l); unlock(l)   lock(m); unlock(m); lock(l); unlock(l)  lock(m); unlock(m)
 */
static void mcs_t0(void *arg)
{
	(void)arg;
	critical_section(&cs_l, 0);
}

static void mcs_tn(void *arg)
{
	(void)arg;
	critical_section(&cs_m, 0);
	critical_section(&cs_l, 0);
}

static int nmis_run;

static void mcs_nmi(void *arg)
{
	(void)arg;
	nmis_run++;	/* this CPU's own counter: no other context touches it */
	critical_section(&cs_m, 0);
}

static void mcs_check(int v)
{
	(void)v;
	check_counts(4, 3 + nmis_run);
}

static const struct ls_task_decl mcs_tasks[] = {
	{ "t0", 0, mcs_t0, NULL },
	{ "t1", 1, mcs_tn, NULL },
	{ "t2", 2, mcs_tn, NULL },
	{ "t3", 3, mcs_tn, NULL },
};

static const struct ls_irq_decl mcs_nmis[] = {
	{ "perf", 1u << 0, 1, mcs_nmi, NULL },
};

static void mcs_init(int v)
{
	init(v);
	nmis_run = 0;
}

const struct ls_target ls_target_qspinlock_mcs = {
	.name = "qspinlock/mcs",
	.summary = "queued spinlock slow path and per-CPU MCS nodes: four CPUs, an NMI nesting a node",
	.models = "kernel/locking/qspinlock.c queued_spin_lock_slowpath(), mcs_spinlock.h",
	.ncpus = 4,
	.tasks = mcs_tasks,
	.ntasks = 4,
	.nmis = mcs_nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = NVAR,
	.init = mcs_init,
	.check = mcs_check,
};

/* qspinlock/nmi-node: the queues are long when the NMI comes.  lock_l is held long and its queue
 * has a head when t0 queues; lock_m has an owner, a pending waiter and a queued one when the NMI
 * on CPU0 takes it, so the NMI's node gets a predecessor that hands it the MCS lock
 * (node->locked = 1).  In the variant without the count barrier, t0's node and the NMI's are the
 * same node when the compiler emitted t0's initialisation before the increment and the NMI came
 * in between: t0 then finds locked already set and runs as a second queue head.
 *
 *   CPU0 (t0)              CPU1..3 (t1, t2, t3)        CPU4..6 (t4, t5, t6)   NMI on CPU0
 *   ndelay(500)            lock(l); 10 us; unlock(l)   lock(m); 1 us; unlock  lock(m); unlock(m)
 *   lock(l); unlock(l)
 */
static void node_t0(void *arg)
{
	(void)arg;
	ndelay(500);	/* arrives while the others contend */
	critical_section(&cs_l, 0);
}

static void node_l(void *arg)
{
	(void)arg;
	critical_section(&cs_l, 10000);
}

static void node_m(void *arg)
{
	(void)arg;
	critical_section(&cs_m, 1000);
}

static void node_check(int v)
{
	(void)v;
	check_counts(4, 3 + nmis_run);
}

static const struct ls_task_decl node_tasks[] = {
	{ "t0", 0, node_t0, NULL },
	{ "t1", 1, node_l, NULL },
	{ "t2", 2, node_l, NULL },
	{ "t3", 3, node_l, NULL },
	{ "t4", 4, node_m, NULL },
	{ "t5", 5, node_m, NULL },
	{ "t6", 6, node_m, NULL },
};

const struct ls_target ls_target_qspinlock_nmi_node = {
	.name = "qspinlock/nmi-node",
	.summary = "queued spinlock: an NMI nests a per-CPU MCS node while both queues are long",
	.models = "kernel/locking/qspinlock.c queued_spin_lock_slowpath(), mcs_spinlock.h",
	.ncpus = 7,
	.tasks = node_tasks,
	.ntasks = 7,
	.nmis = mcs_nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = NVAR,
	.init = mcs_init,
	.check = node_check,
};


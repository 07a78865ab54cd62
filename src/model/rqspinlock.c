/* rqspinlock, the resilient queued spin lock (kernel/bpf/rqspinlock.c,
 * include/asm-generic/rqspinlock.h), one scheduling point per shared-memory operation of the
 * kernel's code, so every window an NMI can land in exists here too.
 *
 * The lock word (32 bits) is (tail, pending, locked): locked is bits 0-7, pending bits 8-15
 * (only bit 8 is used), the tail bits 16-31 name the last queued waiter as (cpu + 1, node idx).
 * Every CPU has four MCS queue nodes (task, softirq, hardirq, NMI nesting; rqnodes[0].count is
 * the nesting counter) and one held-lock table of RES_NR_HELD entries that every context nested
 * on that CPU pushes onto: the entry on top is the lock being attempted, the ones below are held
 * or, when an interrupt landed on a waiter, waited for.
 *
 * The slow path, step by step: the kernel's operation (current code), the model's scheduling
 * points for it, and what the model simplifies.  One point is one announced shared-memory
 * operation (ls_point()); "park" is a spin loop parked on its word until a store or a deadline.
 *
 *  step  kernel                                  model                       simplification
 *  ----  --------------------------------------  --------------------------  ------------------
 *  E     grab_held_lock_entry(): cnt++,          RMW cnt, STORE locks[i]     none
 *        locks[cnt-1] = lock
 *  F     try_cmpxchg_acquire(val, 0 -> 0,0,1)    RMW val                     none
 *  P2    0,1,0: re-read while val == 0,1,0,      LOAD val, park with a       the loop's bound is
 *        at most _Q_PENDING_LOOPS times          deadline of 512 spins       time, not a count
 *  P3    pending or tail set: go to queue        (no point)
 *  P4    x86 queued_fetch_set_pending_acquire(): RMW val (bts), LOAD val     none
 *        lock bts, then read the rest; lost
 *        the race: clear pending if we set it
 *  P5    pending waiter: wait for locked == 0    LOAD val, park; checks      the check cadence
 *        with RES_CHECK_TIMEOUT                  as in check_timeout()       (see Time)
 *  P6    failed: clear_pending                   STORE val                   none
 *  P7    clear_pending_set_locked                STORE val                   none
 *  Q0    check_deadlock_AA() before queueing     LOAD table (one scan)       own table: one op
 *  Q1    idx = rqnodes[0].count++;               RMW count; the probes run   none
 *        trace_contention_begin(lock, SPIN)      (trace.h)
 *  Q2    idx >= 4 or (NMI and idx > 0):          one trylock (LOAD, RMW)     none
 *        one trylock, else -EDEADLK
 *  Q3    node->locked = 0, node->next = NULL     STORE, STORE                none
 *  Q4    queued_spin_trylock()                   LOAD val, RMW val           none
 *  Q5    smp_wmb(); xchg_tail()                  FENCE, RMW val              none
 *  Q6    a previous tail: prev->next = node,     STORE prev->next, LOAD and  none
 *        spin on node->locked (no timeout);      park on node->locked
 *        RES_TIMEOUT_VAL: -ETIMEDOUT (-EDEADLK
 *        before v6.19's return-value fix, B12),
 *        leave through W
 *  Q7    head: wait for locked == pending == 0   LOAD val, park; checks      the check cadence
 *        with RES_CHECK_TIMEOUT (500 ms)
 *  Q9    -EDEADLK (v6.19 on, 7bd6e5ce5be6):      LOAD + RMW val (tail        none
 *        keep the queue.  7a3c0289c3c8: if no    reset), LOAD and park on
 *        successor is known, try_cmpxchg_tail    node->next, STORE
 *        (me -> 0, relaxed, keeping locked and   next->locked
 *        pending) and leave; else (or always in
 *        v6.19-v7.1, B11) wait with no bound
 *        for node->next and hand it the MCS
 *        lock (release store of 1).  v6.15-v6.18
 *        take W instead
 *  W     -ETIMEDOUT: try_cmpxchg_tail(me -> 0),  LOAD + RMW val, park on     none
 *        else wait for the successor and give    node->next, STORE
 *        it RES_TIMEOUT_VAL (WRITE_ONCE)         next->locked
 *  Q8    sole waiter: cmpxchg(me,0,0 -> 0,0,1);  RMW val; or STORE val,      none
 *        else set_locked, wait for next, hand    park on node->next, STORE
 *        it the head (release store of 1)        next->locked
 *  R     trace_contention_end(lock, 0), count--  probes; RMW count           none
 *        (the entry stays: the lock is held);
 *        errors after Q1: contention_end(lock,
 *        ret), count--, release the entry
 *  U     res_spin_unlock(): release store of     STORE val, LOAD cnt, STORE  none
 *        locked = 0, locks[cnt-1] = NULL, cnt--  locks[i], RMW cnt
 *
 * check_timeout(): on the first call of a waiting period the AA check (own table, entries below
 * the top) and the deadline; then -ETIMEDOUT past the deadline, and the ABBA check when 1 ms has
 * passed since the last one.  check_deadlock_ABBA() walks the CPUs in order: stop at once (0)
 * when the lock is free under the waiter's mask; skip CPUs with fewer than 2 entries or more than
 * 31; take the remote top entry as what it attempts; if the remote holds this lock below its top,
 * -EDEADLK if this CPU holds the remote's attempted lock below its own top, otherwise 0 at once
 * ("inconclusive").  Only two-party cycles are seen.
 *
 * Time.  A kernel spin loop evaluates RES_CHECK_TIMEOUT every iteration but calls
 * check_timeout() only when a 16-bit counter wraps (every 65536 iterations).  Here a waiter
 * parks on the word it spins on, with the time of its next check as the deadline: one loop
 * iteration is LS_RQS_SPIN_NS of virtual time, so checks come every 65536 * LS_RQS_SPIN_NS ns
 * (0.66 ms), the first at once after RES_INIT_TIMEOUT.  A write to the word wakes it to
 * re-evaluate its condition, as a spinning CPU sees the cache line change.
 *
 * The history (spec 1.10-1.11) is a configuration: where the entry is grabbed (B2), the unlock
 * order (B3), whether the first check runs AA at once (B4), the NMI queueing rule (B1, B5, B6),
 * the AA check before queueing (B7), the test-and-set fallback and its entry (B8), and the order
 * of the irqsave wrappers (B9).
 *
 * Sources: the 6.15-6.18 file as merged, then the v6.19 changes (the Nov 2025 series,
 * 7bd6e5ce5be6, the return-value fix), 82f3b142c99c (v7.0), b48bd16eb9fc (v7.2) and
 * 7a3c0289c3c8 (v7.2-rc7; 7.1.y f54667b0c162), the last as read in its author's tree
 * (kkdwivedi/linux dac585f6c185): no mainline copy of the file after it was available to
 * compare, and Q9 above agrees with that tree step for step.  Ankur Arora's timeout helpers
 * (clock_deadlock(), timeout_err, *_cond_read_acquire_timeout()) were in mm and linux-next in
 * 2026; the tree that carries the tail reset still has RES_CHECK_TIMEOUT, and they are not
 * modelled.
 *
 * Left out: paravirt's virt_spin_lock other than sending every slow path to the TAS fallback,
 * lock events, the BPF report to the program's stderr stream.  The contention tracepoints fire
 * where the kernel fires them (trace.h).  Scans of this CPU's own table are one operation: only this
 * CPU writes it, and a nested context restores it before the one it interrupted runs again.  A
 * scan of a remote table reads its count, its top entry and then its other entries as one
 * operation each.  The machine is sequentially consistent, so the barriers order nothing more.
 *
 * lockstep's own checks, which the kernel does not make: two holders at once; a failed
 * acquisition must leave the table as it found it; -ETIMEDOUT (or a wait longer than
 * stall_ns) is reported as a stall, unless only the time the scheduler held CPUs back
 * (ls_slowed_ns(), sched/clock.c) made the wait that long and it did not end on a cycle of waits
 * (ls_wait_in_cycle()).  The lock carries a lockdep map flagged resilient, so the
 * validator reports cycles through it as averted; the kernel's lockdep never sees it, which
 * --lockdep-compat reproduces. */
#include <lockstep/kernel.h>
#include <lockstep/kbackend.h>
#include <lockstep/rqspinlock.h>
#include <lockstep/target.h>

#include <stdio.h>
#include <string.h>

#include "model.h"

#define _Q_LOCKED_VAL 0x1u
#define _Q_LOCKED_MASK 0xffu
#define _Q_PENDING_VAL 0x100u
#define _Q_PENDING_MASK 0xff00u
#define _Q_LOCKED_PENDING_MASK 0xffffu
#define _Q_TAIL_MASK 0xffff0000u
#define _Q_TAIL_IDX_OFFSET 16
#define _Q_TAIL_CPU_OFFSET 18
#define _Q_MAX_NODES 4
#define _Q_PENDING_LOOPS 512	/* x86 */

#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull
#define LS_RQS_SPIN_NS 10ull			/* one iteration of a spin loop */
#define CHECK_PERIOD (65536ull * LS_RQS_SPIN_NS)	/* the u16 spin counter wraps */
#define MAX_LOCKS 64				/* locks checked at the end of an execution */

struct mcs_spinlock {
	struct mcs_spinlock *next;
	int locked;
	int count;
};

/* Why a context waits on its node's next word, for the report (node_describe()). */
enum node_role {
	NODE_QUEUED,		/* queued; on next only as a head in one of the cases below */
	NODE_OWNER,		/* Q8: holds the lock, hands the queue on */
	NODE_EDEADLK,		/* Q9: a head that saw -EDEADLK keeps the queue for a successor */
	NODE_LEAVING,		/* W: a head (or a kicked waiter) fails the waiter behind it */
};

struct qnode {
	struct mcs_spinlock mcs;
	/* lockstep's bookkeeping for the wait-for graph and the report, on words nobody parks on:
	 * the context using the node, those queued just before and after it (-1: none known), the
	 * lock whose queue it is in and why its context waits on its next word. */
	int ctx, prev_ctx, next_ctx;
	enum node_role role;
	const rqspinlock_t *lock;
};

struct rqspinlock_held {
	int cnt;
	void *locks[RES_NR_HELD];
};

static struct qnode rqnodes[LS_NR_CPUS][_Q_MAX_NODES];
static struct rqspinlock_held held[LS_NR_CPUS];
/* Per context: its last -ETIMEDOUT came while it waited on a cycle of waits. */
static bool timeout_in_cycle[LS_MAX_TASKS + 3 * LS_MAX_CPUS];	/* softirqs' included */

/* The lock word's accesses.  The kernel writes the locked and pending bytes and the tail half
 * with byte and halfword stores; update_word() is one indivisible read-modify-write of the word
 * that leaves the other bytes as it found them, which is what those stores do. */
static unsigned word(const rqspinlock_t *lock)
{
	return (unsigned)LS_RD(&lock->val.counter);
}

/* Returns the value found; stores nv and wakes waiters only if it was old. */
static unsigned cmpxchg_word(rqspinlock_t *lock, unsigned old, unsigned nv)
{
	unsigned found = (unsigned)LS_CMPXCHG(&lock->val.counter, (int)old, (int)nv);
	if (found == old)
		ls_wrote(&lock->val);
	return found;
}

/* word = (word & keep) | set; returns the old word. */
static unsigned update_word(rqspinlock_t *lock, unsigned keep, unsigned set)
{
	unsigned old = word(lock);
	for (;;) {
		unsigned found = (unsigned)LS_CMPXCHG(&lock->val.counter, (int)old,
						       (int)((old & keep) | set));
		if (found == old)
			break;
		old = found;
	}
	ls_wrote(&lock->val);
	return old;
}
static char node_names[LS_NR_CPUS][_Q_MAX_NODES][32];
static char held_names[LS_NR_CPUS][32];
static struct ls_rqs_config cfg;
static rqspinlock_t *locks[MAX_LOCKS];
static int nlocks;

struct rqs_timeout {
	uint64_t timeout_end, duration, cur;
	uint64_t next_check;	/* the virtual time the spin counter next wraps */
};

/* ---- the variants ------------------------------------------------------------------------ */

#define CURRENT .stall_ns = 0	/* the zero configuration is the current code */

const struct ls_rqs_variant ls_rqs_variants[LS_RQS_NVARIANTS] = {
	{ "current", LS_RQS_CURRENT, { CURRENT } },
	{ "v6.15", LS_RQS_V6_15,
	  { .grab_after_cmpxchg = true, .unlock_clear_first = true, .aa_after_1ms = true,
	    .nmi_queue = LS_RQS_Q_V0, .no_aa_before_queue = true, .irqsave_preempt_first = true,
	    .head_deadlock = LS_RQS_HD_TEARDOWN, .kicked_edeadlk = true } },
	{ "grab-after-cmpxchg", LS_RQS_GRAB, { .grab_after_cmpxchg = true } },
	{ "unlock-clear-first", LS_RQS_UNLOCK, { .unlock_clear_first = true } },
	{ "aa-after-1ms", LS_RQS_AA_1MS, { .aa_after_1ms = true } },
	{ "nmi-trylock-loop", LS_RQS_NMI_LOOP, { .nmi_queue = LS_RQS_Q_V1 } },
	{ "no-aa-before-queue", LS_RQS_NO_AA_Q, { .no_aa_before_queue = true } },
	{ "tas-double-grab", LS_RQS_TAS_DG, { .tas = true, .tas_double_grab = true } },
	{ "tas", LS_RQS_TAS, { .tas = true } },
	{ "v6.19", LS_RQS_V6_19,
	  { .irqsave_preempt_first = true, .head_deadlock = LS_RQS_HD_WAIT_NEXT } },
	{ "kicked-edeadlk", LS_RQS_KICKED, { .kicked_edeadlk = true } },
};
const int ls_rqs_nvariants = (int)(sizeof(ls_rqs_variants) / sizeof(ls_rqs_variants[0]));

void ls_rqs_configure(const struct ls_rqs_config *c)
{
	cfg = *c;
}

void ls_rqs_use_variant(int variant, uint64_t stall_ns)
{
	cfg = ls_rqs_variants[variant].cfg;
	cfg.stall_ns = stall_ns;
}

/* ---- per-execution state ----------------------------------------------------------------- */

/* On the lock word wait the pending waiter and the queue head (for the owner, then for the
 * pending waiter to take it) and the fallback loops (for the owner). */
static struct ls_blocker lock_blocker(const void *obj, const void *addr, int waiter)
{
	const rqspinlock_t *lock = obj;
	if (lock->owner >= 0 && lock->owner != waiter)
		return (struct ls_blocker){ lock->owner, LS_WAIT_HOLDER };
	if (lock->pending >= 0 && lock->pending != waiter)
		return (struct ls_blocker){ lock->pending, LS_WAIT_QUEUED };
	return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
}

/* On its node's locked word a queued waiter waits for the one ahead of it to hand it the head;
 * on its node's next word, a head (or a waiter leaving) waits for its successor to link in. */
static struct ls_blocker node_blocker(const void *obj, const void *addr, int waiter)
{
	const struct qnode *q = obj;
	int ctx = addr == &q->mcs.next ? q->next_ctx : q->prev_ctx;
	if (ctx < 0 || ctx == waiter)
		return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
	return (struct ls_blocker){ ctx, addr == &q->mcs.next ? LS_WAIT_FOR : LS_WAIT_QUEUED };
}

/* A node names the lock whose queue it is in and why its context waits: "lock_a's queue
 * (rqnodes[cpu1][1]), head after -EDEADLK, for a successor". */
static bool node_describe(const void *obj, const void *addr, const char *name, char *buf,
			  unsigned len)
{
	const struct qnode *q = obj;
	static const char *const why[] = {
		[NODE_QUEUED] = "head",
		[NODE_OWNER] = "head holding the lock, for a successor to hand it to",
		[NODE_EDEADLK] = "head after -EDEADLK, for a successor",
		[NODE_LEAVING] = "head failing, for a successor to fail in turn",
	};
	if (!q->lock)
		return false;
	if (addr == &q->mcs.next)
		snprintf(buf, len, "%s's queue (%s), %s", q->lock->dep_map.name, name, why[q->role]);
	else
		snprintf(buf, len, "%s's queue (%s)", q->lock->dep_map.name, name);
	return true;
}

/* Whether this execution initialised an rqspinlock: only then does the per-CPU state need
 * names now and a reset before the next execution.  Most targets never touch it, and this
 * keeps them from paying for it on every execution. */
static bool in_use;

/* ---- the kernel's rqspinlock.c (--kernel-tree, <lockstep/kbackend.h>) --------------------
 *
 * With a kernel backend, res_spin_lock() and res_spin_unlock() are the tree's, and so are the
 * held-lock tables and queue nodes: the history configurations above do not apply, the tree is
 * the history.  This file keeps what it does around them for either backend: the validator's
 * annotations, the stall verdict on a timeout, the mutual exclusion and table checks, and for
 * the wait-for graph the owner (from the kernel's store or compare-and-exchange that takes the
 * lock, its contention_end tracepoint, or the fast path's return, until the unlock's release
 * store) and which lock each context is acquiring; the stall verdict takes whether a timed-out
 * wait was on a cycle at the kernel's clock read that decided it (ls_kernel_clock()). */
#ifdef LS_NATIVE
#define krq ((const struct ls_krqspin_ops *)NULL)
#else
#define krq (ls_kbackend ? ls_kbackend->rqspin : NULL)
#endif

static rqspinlock_t *k_acquiring[LS_MAX_TASKS + 3 * LS_MAX_CPUS];
static rqspinlock_t *k_releasing[LS_MAX_TASKS + 3 * LS_MAX_CPUS];	/* inside res_spin_unlock() */

static rqspinlock_t *k_acquiring_of(int ctx)
{
	bool valid = ctx >= 0 && ctx < (int)(sizeof(k_acquiring) / sizeof(k_acquiring[0]));
	return valid ? k_acquiring[ctx] : NULL;
}

/* A waiter on one of the kernel's queue nodes waits for the one queued ahead of it or for a
 * successor to link in (kqueue.c); failing that, for the owner of the lock it acquires. */
static struct ls_blocker k_node_blocker(const void *obj, const void *addr, int waiter)
{
	struct ls_blocker b;
	if (ls_kq_blocker(addr, waiter, &b))
		return b;
	const rqspinlock_t *l = k_acquiring_of(waiter);
	if (!l || l->owner < 0 || l->owner == waiter)
		return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
	return (struct ls_blocker){ l->owner, LS_WAIT_HOLDER };
}

/* The context acquiring lock has it from now on (once). */
static void k_acquired(rqspinlock_t *lock, int me)
{
	if (lock->owner == me)
		return;
	lock->owner = me;
	ls_lock_acquired(&lock->dep_map, LS_SITE("res_spin_lock"));
}

void ls_rqs_kernel_stored(const void *addr)
{
	int me = ls_ctx_id();
	rqspinlock_t *l = k_acquiring_of(me);
	/* set_locked() and clear_pending_set_locked(): the stores that take the lock. */
	if (l && addr == (const void *)&l->val)
		k_acquired(l, me);
	/* The pending waiter's clear_pending_set_locked() (byte 0) or clear_pending() (byte 1). */
	if (l && l->pending == me &&
	    (addr == (const void *)&l->val || addr == (const char *)&l->val + 1))
		l->pending = -1;
}

/* The kernel's xchg_tail() on the lock this context is acquiring: it joined the queue. */
void ls_rqs_kernel_xchged(const void *addr, unsigned int size, uint64_t old, uint64_t new_)
{
	int me = ls_ctx_id();
	rqspinlock_t *l = k_acquiring_of(me);
	if (l && krq && size == 2 && addr == (const char *)&l->val + 2)
		ls_kq_joined(krq->nodes, (unsigned)old, (unsigned)new_);
}

/* The kernel's x86 queued_fetch_set_pending_acquire() set the pending bit: on the lock word a
 * queue head waits for this context once the owner is gone, as lock_blocker() reads it. */
void ls_rqs_kernel_pending(const void *addr)
{
	int me = ls_ctx_id();
	rqspinlock_t *l = k_acquiring_of(me);
	if (l && addr == (const void *)&l->val)
		l->pending = me;
}

/* rqspinlock's check_timeout() reads the clock where it decides that a wait timed out, before the
 * failure path unwinds anything: whether the wait is on a cycle is taken there, as the hand
 * model's check_timeout() takes it (the stall check, check_outcome()).  Taken after the kernel's
 * res_spin_lock() returned, the waiter no longer waits and no timeout would be on a cycle. */
uint64_t ls_kernel_clock(void)
{
	int me = ls_ctx_id();
	rqspinlock_t *l = k_acquiring_of(me);
	if (l)
		timeout_in_cycle[me] = ls_wait_in_cycle(&l->val);
	return ls_now();
}

/* res_spin_unlock()'s release store: the owner goes from here on.  Before it the unlock clears
 * the table entry (B3's window), and an NMI landing there still waits for this owner. */
void ls_rqs_kernel_released(const void *addr)
{
	int me = ls_ctx_id();
	bool valid = me >= 0 && me < (int)(sizeof(k_releasing) / sizeof(k_releasing[0]));
	rqspinlock_t *l = valid ? k_releasing[me] : NULL;
	if (l && addr == (const void *)&l->val && l->owner == me)
		l->owner = -1;
}

void ls_rqs_kernel_contention(const void *lock, bool begin, int ret)
{
	int me = ls_ctx_id();
	rqspinlock_t *l = k_acquiring_of(me);
	if (!l || lock != (const void *)&l->val)
		return;
	if (begin)
		ls_lock_contended(&l->dep_map, LS_SITE("res_spin_lock"));
	else if (ret == 0)
		k_acquired(l, me);
}

static void name_per_cpu_state(void)
{
	static bool named;
	/* The names are written once for every CPU; the objects registered are the machine's. */
	if (!named)
		for (int c = 0; c < LS_NR_CPUS; c++) {
			snprintf(held_names[c], sizeof(held_names[c]), "rqspinlock_held[cpu%d]", c);
			for (int i = 0; i < _Q_MAX_NODES; i++)
				snprintf(node_names[c][i], sizeof(node_names[c][i]),
					 "rqnodes[cpu%d][%d]", c, i);
		}
	named = true;
	for (int c = 0; krq && c < ls_ncpus(); c++) {
		unsigned size;
		ls_object_register(krq->held(c, &size), size, held_names[c], NULL);
		char *nodes = krq->nodes(c, &size);
		for (int i = 0; i < _Q_MAX_NODES; i++)
			ls_object_register(nodes + i * (size / _Q_MAX_NODES), size / _Q_MAX_NODES,
					   node_names[c][i], k_node_blocker);
	}
	for (int c = 0; !krq && c < ls_ncpus(); c++) {
		ls_object_register(&held[c], sizeof(held[c]), held_names[c], NULL);
		for (int i = 0; i < _Q_MAX_NODES; i++)
			ls_object_register_described(&rqnodes[c][i], sizeof(rqnodes[c][i]),
						     node_names[c][i], node_blocker,
						     node_describe);
	}
}

void ls_rqspinlock_reset(void)
{
	memset(&cfg, 0, sizeof(cfg));
	nlocks = 0;
	memset(k_acquiring, 0, sizeof(k_acquiring));
	memset(k_releasing, 0, sizeof(k_releasing));
	if (!in_use)
		return;
	memset(rqnodes, 0, sizeof(rqnodes));
	memset(held, 0, sizeof(held));
	in_use = false;
}

void ls_rqspinlock_init(rqspinlock_t *lock, const char *name, const void *key)
{
	if (!in_use) {
		in_use = true;
		name_per_cpu_state();
	}
	lock->val.counter = 0;
	lock->holders = 0;
	lock->owner = lock->pending = -1;
	ls_lock_mark_fresh(&lock->gen);
	ls_lockdep_init_map(&lock->dep_map, lock, ls_lock_class_name(name), key, LS_WAIT_SPIN,
			    LS_LOCKDEP_RESILIENT);
	ls_object_register(lock, sizeof(lock->val), lock->dep_map.name, lock_blocker);
	/* A lock first used in an execution is initialised by prepare(), possibly on several
	 * threads at once under lockstep stress: claim the slot. */
	int slot = ls_slot_claim(&nlocks, MAX_LOCKS);
	if (slot >= 0)
		locks[slot] = lock;
}

/* The locks recorded for the end-of-execution check. */
static int locks_recorded(void)
{
	return ls_slots_used(&nlocks, MAX_LOCKS);
}

int ls_rqs_held_count(int cpu)
{
	unsigned size;
	return krq ? *(const int *)krq->held(cpu, &size) : held[cpu].cnt;
}

/* ---- the held-lock table ----------------------------------------------------------------- */

static void grab_held_lock_entry(rqspinlock_t *lock, const struct ls_site *site)
{
	struct rqspinlock_held *rqh = &held[ls_cpu()];
	ls_point(LS_OP_RMW, &rqh->cnt, site);	/* this_cpu_inc_return(cnt) */
	int cnt = LS_FETCH_ADD(&rqh->cnt, 1) + 1;
	ls_wrote(&rqh->cnt);
	if (cnt > RES_NR_HELD)
		return;
	ls_point(LS_OP_STORE, &rqh->locks[cnt - 1], site);	/* this_cpu_write(locks[cnt - 1]) */
	LS_WR(&rqh->locks[cnt - 1], (void *)lock);
	ls_wrote(&rqh->locks[cnt - 1]);
}

static void release_held_lock_entry(const struct ls_site *site)
{
	struct rqspinlock_held *rqh = &held[ls_cpu()];
	ls_point(LS_OP_LOAD, &rqh->cnt, site);
	int cnt = LS_RD(&rqh->cnt);
	if (cnt <= RES_NR_HELD && cnt > 0) {
		ls_point(LS_OP_STORE, &rqh->locks[cnt - 1], site);	/* WRITE_ONCE(.., NULL) */
		LS_WR(&rqh->locks[cnt - 1], NULL);
		ls_wrote(&rqh->locks[cnt - 1]);
	}
	ls_point(LS_OP_FENCE, NULL, site);	/* smp_wmb() */
	ls_point(LS_OP_RMW, &rqh->cnt, site);	/* this_cpu_dec(cnt) */
	LS_FETCH_ADD(&rqh->cnt, -1);
	ls_wrote(&rqh->cnt);
}

/* ---- deadlock checks --------------------------------------------------------------------- */

static int check_deadlock_AA(rqspinlock_t *lock, const struct ls_site *site)
{
	struct rqspinlock_held *rqh = &held[ls_cpu()];
	ls_point(LS_OP_LOAD, rqh, site);	/* this CPU's table, entries below the top */
	int cnt = LS_RD(&rqh->cnt) < RES_NR_HELD ? LS_RD(&rqh->cnt) : RES_NR_HELD;
	for (int i = 0; i < cnt - 1; i++)
		if (LS_RD(&rqh->locks[i]) == lock)
			return -EDEADLK;
	return 0;
}

static bool is_lock_released(rqspinlock_t *lock, unsigned mask, const struct ls_site *site)
{
	ls_point(LS_OP_LOAD, &lock->val, site);	/* atomic_read_acquire() */
	return (word(lock) & mask) == 0;
}

static int check_deadlock_ABBA(rqspinlock_t *lock, unsigned mask, const struct ls_site *site)
{
	struct rqspinlock_held *rqh = &held[ls_cpu()];
	int rqh_cnt = rqh->cnt < RES_NR_HELD ? rqh->cnt : RES_NR_HELD;
	int ncpus = ls_ncpus();
	for (int cpu = 0; cpu < ncpus; cpu++) {
		struct rqspinlock_held *rh = &held[cpu];
		ls_point(LS_OP_LOAD, &rh->cnt, site);
		int real_cnt = LS_RD(&rh->cnt);
		int cnt = real_cnt < RES_NR_HELD ? real_cnt : RES_NR_HELD;
		if (is_lock_released(lock, mask, site))
			return 0;
		if (cpu == ls_cpu() || real_cnt < 2 || real_cnt > RES_NR_HELD)
			continue;
		ls_point(LS_OP_LOAD, &rh->locks[cnt - 1], site);
		void *remote_lock = LS_RD(&rh->locks[cnt - 1]);
		if (!remote_lock)
			continue;
		ls_point(LS_OP_LOAD, rh->locks, site);	/* the remote's entries below its top */
		for (int i = 0; i < cnt - 1; i++) {
			if (LS_RD(&rh->locks[i]) != lock)
				continue;
			for (int j = 0; j < rqh_cnt - 1; j++)
				if (rqh->locks[j] == remote_lock)
					return -EDEADLK;
			return 0;	/* inconclusive: retry later */
		}
	}
	return 0;
}

/* ---- timeouts ---------------------------------------------------------------------------- */

static void res_init_timeout(struct rqs_timeout *ts)
{
	ts->timeout_end = 0;
	ts->next_check = 0;	/* spin = 0: the first RES_CHECK_TIMEOUT calls check_timeout */
}

static void res_reset_timeout(struct rqs_timeout *ts, uint64_t duration)
{
	ts->timeout_end = 0;
	ts->duration = duration;
}

static int check_timeout(rqspinlock_t *lock, unsigned mask, struct rqs_timeout *ts,
			 const struct ls_site *site)
{
	uint64_t prev = ts->cur;
	if (!ts->timeout_end) {
		if (!cfg.aa_after_1ms && check_deadlock_AA(lock, site))
			return -EDEADLK;
		ts->cur = ls_now();
		ts->timeout_end = ts->cur + ts->duration;
		return 0;
	}
	uint64_t now = ls_now();
	if (now > ts->timeout_end) {
		/* lockstep: no CPU's speed would have ended this wait (see the stall check). */
		timeout_in_cycle[ls_ctx_id()] = ls_wait_in_cycle(&lock->val);
		return -ETIMEDOUT;
	}
	if (prev + NSEC_PER_MSEC < now) {
		ts->cur = now;
		if (cfg.aa_after_1ms) {
			/* check_deadlock(): AA, then ABBA */
			int ret = check_deadlock_AA(lock, site);
			return ret ? ret : check_deadlock_ABBA(lock, mask, site);
		}
		return check_deadlock_ABBA(lock, mask, site);
	}
	return 0;
}

/* RES_CHECK_TIMEOUT: check_timeout() when the spin counter wraps; 0 between. */
static int res_check_timeout(rqspinlock_t *lock, unsigned mask, struct rqs_timeout *ts,
			     const struct ls_site *site)
{
	if (ls_now() < ts->next_check)
		return 0;
	ts->next_check = ls_now() + CHECK_PERIOD;
	return check_timeout(lock, mask, ts, site);
}

/* Whether the bits the caller waits on are still set, read with no scheduling point.  The
 * deadlock checks inside RES_CHECK_TIMEOUT are scheduling points of their own; a release that
 * lands during them wakes nobody, as this context is not parked yet.  The kernel's loop reads the
 * word again right after the check, so a waiter re-reads it before parking, or it would sleep
 * through the release until its next check (0.65 ms of virtual time, a false stall). */
static bool still_set(const rqspinlock_t *lock, unsigned wait)
{
	return (word(lock) & wait) != 0;
}

/* res_smp_cond_load_acquire(&lock->val, !(VAL & wait) || RES_CHECK_TIMEOUT(ts, ret, mask)):
 * returns the last value read; *ret is the check's verdict. */
static unsigned spin_until_clear(rqspinlock_t *lock, unsigned wait, unsigned mask,
				 struct rqs_timeout *ts, int *ret, const struct ls_site *site)
{
	for (;;) {
		ls_point(LS_OP_LOAD, &lock->val, site);
		unsigned v = word(lock);
		if (!(v & wait))
			return v;
		*ret = res_check_timeout(lock, mask, ts, site);
		if (*ret)
			return v;
		if (still_set(lock, wait))
			ls_park(&lock->val, ts->next_check, site);
	}
}

/* smp_cond_load_*(p, VAL): spin, with no timeout, until the int at p is non-zero. */
static int spin_until_set(int *p, const struct ls_site *site)
{
	for (;;) {
		ls_point(LS_OP_LOAD, p, site);
		int v = LS_RD(p);
		if (v)
			return v;
		ls_park(p, LS_NO_DEADLINE, site);
	}
}

static struct mcs_spinlock *spin_until_next(struct mcs_spinlock *node, const struct ls_site *site)
{
	for (;;) {
		ls_point(LS_OP_LOAD, &node->next, site);
		struct mcs_spinlock *next = LS_RD(&node->next);
		if (next)
			return next;
		ls_park(&node->next, LS_NO_DEADLINE, site);
	}
}

/* ---- lock word primitives ---------------------------------------------------------------- */

/* The operation just run gave the current context the lock. */
static void acquired(rqspinlock_t *lock, const struct ls_site *site)
{
	lock->owner = ls_ctx_id();
	if (lock->pending == lock->owner)
		lock->pending = -1;
	ls_lock_acquired(&lock->dep_map, site);
}

static bool queued_spin_trylock(rqspinlock_t *lock, const struct ls_site *site)
{
	ls_point(LS_OP_LOAD, &lock->val, site);	/* atomic_read() */
	if (word(lock))
		return false;
	ls_point(LS_OP_RMW, &lock->val, site);	/* atomic_try_cmpxchg_acquire(0 -> 0,0,1) */
	if (cmpxchg_word(lock, 0, _Q_LOCKED_VAL) != 0)
		return false;
	acquired(lock, site);
	return true;
}

static void clear_pending(rqspinlock_t *lock, const struct ls_site *site)
{
	ls_point(LS_OP_STORE, &lock->val, site);	/* WRITE_ONCE(lock->pending, 0) */
	update_word(lock, ~_Q_PENDING_MASK, 0);
	if (lock->pending == ls_ctx_id())
		lock->pending = -1;
}

static void clear_pending_set_locked(rqspinlock_t *lock, const struct ls_site *site)
{
	ls_point(LS_OP_STORE, &lock->val, site);	/* WRITE_ONCE(lock->locked_pending, 1) */
	update_word(lock, _Q_TAIL_MASK, _Q_LOCKED_VAL);
	acquired(lock, site);
}

static void set_locked(rqspinlock_t *lock, const struct ls_site *site)
{
	ls_point(LS_OP_STORE, &lock->val, site);	/* WRITE_ONCE(lock->locked, 1) */
	update_word(lock, ~_Q_LOCKED_MASK, _Q_LOCKED_VAL);
	acquired(lock, site);
}

static unsigned xchg_tail(rqspinlock_t *lock, unsigned tail, const struct ls_site *site)
{
	ls_point(LS_OP_RMW, &lock->val, site);	/* xchg_relaxed(&lock->tail, tail) */
	return update_word(lock, _Q_LOCKED_PENDING_MASK, tail) & _Q_TAIL_MASK;
}

static bool try_cmpxchg_tail(rqspinlock_t *lock, unsigned tail, unsigned new_tail,
			     const struct ls_site *site)
{
	ls_point(LS_OP_LOAD, &lock->val, site);	/* atomic_read() */
	unsigned old = word(lock);
	for (;;) {
		if ((old & _Q_TAIL_MASK) != tail)
			return false;
		unsigned nv = (old & _Q_LOCKED_PENDING_MASK) | new_tail;
		ls_point(LS_OP_RMW, &lock->val, site);	/* atomic_try_cmpxchg_relaxed() */
		unsigned found = cmpxchg_word(lock, old, nv);
		if (found == old)
			return true;
		old = found;
	}
}

static unsigned encode_tail(int cpu, int idx)
{
	return ((unsigned)(cpu + 1) << _Q_TAIL_CPU_OFFSET) | ((unsigned)idx << _Q_TAIL_IDX_OFFSET);
}

static struct mcs_spinlock *decode_tail(unsigned tail)
{
	int cpu = (int)(tail >> _Q_TAIL_CPU_OFFSET) - 1;
	int idx = (int)((tail >> _Q_TAIL_IDX_OFFSET) & 3);
	return &rqnodes[cpu][idx].mcs;
}

/* Who queued behind whom, for the wait-for graph: node was queued right after prev. */
static void link_nodes(struct mcs_spinlock *prev, struct mcs_spinlock *node)
{
	struct qnode *p = container_of(prev, struct qnode, mcs);
	struct qnode *n = container_of(node, struct qnode, mcs);
	p->next_ctx = n->ctx;
	n->prev_ctx = p->ctx;
}

/* ---- the test-and-set fallback ----------------------------------------------------------- */

static int resilient_tas_spin_lock(rqspinlock_t *lock, const struct ls_site *site)
{
	struct rqs_timeout ts;
	int ret = 0;
	res_init_timeout(&ts);
	if (cfg.tas_double_grab)
		grab_held_lock_entry(lock, site);
	res_reset_timeout(&ts, NSEC_PER_SEC);
	for (;;) {
		ls_point(LS_OP_LOAD, &lock->val, site);
		bool taken = false;
		if (!word(lock)) {
			ls_point(LS_OP_RMW, &lock->val, site);	/* atomic_try_cmpxchg(0 -> 1) */
			taken = cmpxchg_word(lock, 0, _Q_LOCKED_VAL) == 0;
		}
		if (taken) {
			acquired(lock, site);
			break;
		}
		ret = res_check_timeout(lock, ~0u, &ts, site);
		if (ret)
			break;
		if (still_set(lock, ~0u))
			ls_park(&lock->val, ts.next_check, site);	/* cpu_relax() */
	}
	if (ret)
		release_held_lock_entry(site);
	return ret;
}

/* ---- the slow path ----------------------------------------------------------------------- */

static int resilient_queued_spin_lock_slowpath(rqspinlock_t *lock, unsigned val,
					       const struct ls_site *site)
{
	struct mcs_spinlock *prev, *next, *node;
	struct rqs_timeout ts;
	int idx, ret = 0;
	unsigned old, tail;
	int cpu = ls_cpu();

	if (cfg.tas)	/* P0: virt_spin_lock_enabled() */
		return resilient_tas_spin_lock(lock, site);
	res_init_timeout(&ts);

	/* P2: wait out a pending -> locked hand-over, a bounded number of reads. */
	if (val == _Q_PENDING_VAL) {
		uint64_t until = ls_now() + _Q_PENDING_LOOPS * LS_RQS_SPIN_NS;
		for (;;) {
			ls_point(LS_OP_LOAD, &lock->val, site);
			val = word(lock);
			if (val != _Q_PENDING_VAL || ls_now() >= until)
				break;
			ls_park(&lock->val, until, site);
		}
	}
	/* P3: contention: queue. */
	if (val & ~_Q_LOCKED_MASK)
		goto queue;
	/* P4: trylock || pending.  x86's queued_fetch_set_pending_acquire() is two accesses: a
	 * `lock bts` of the pending bit, then a plain read of the rest of the word. */
	ls_point(LS_OP_RMW, &lock->val, site);	/* lock btsl $_Q_PENDING_OFFSET, val */
	unsigned pend = update_word(lock, ~0u, _Q_PENDING_VAL) & _Q_PENDING_VAL;
	if (!pend)
		lock->pending = ls_ctx_id();
	ls_point(LS_OP_LOAD, &lock->val, site);	/* | atomic_read(val) & ~_Q_PENDING_MASK */
	val = pend | (word(lock) & ~_Q_PENDING_MASK);
	if (val & ~_Q_LOCKED_MASK) {
		/* Lost the race: undo the pending bit only if we set it. */
		if (!(val & _Q_PENDING_MASK))
			clear_pending(lock, site);
		goto queue;
	}
	if (cfg.grab_after_cmpxchg)
		grab_held_lock_entry(lock, site);
	/* P5: we are the pending waiter: wait for the owner to go. */
	if (val & _Q_LOCKED_MASK) {
		res_reset_timeout(&ts, RES_DEF_TIMEOUT);
		spin_until_clear(lock, _Q_LOCKED_MASK, _Q_LOCKED_MASK, &ts, &ret, site);
	}
	if (ret) {	/* P6 */
		clear_pending(lock, site);
		goto err_release_entry;
	}
	clear_pending_set_locked(lock, site);	/* P7 */
	return 0;

queue:
	if (cfg.grab_after_cmpxchg)
		grab_held_lock_entry(lock, site);
	/* Q0: do not queue behind ourselves (an NMI on the owner or the pending waiter). */
	if (!cfg.no_aa_before_queue && check_deadlock_AA(lock, site)) {
		ret = -EDEADLK;
		goto err_release_entry;
	}
	/* Q1 */
	node = &rqnodes[cpu][0].mcs;
	ls_point(LS_OP_RMW, &node->count, site);	/* idx = node->count++ (plain) */
	idx = LS_FETCH_ADD(&node->count, 1);
	ls_wrote(&node->count);
	tail = encode_tail(cpu, idx);
	ls_trace_contention_begin(lock, LCB_F_SPIN);

	/* Q2: no node, or an NMI that interrupted a waiter on this CPU: fall back to trylock. */
	bool fallback;
	switch (cfg.nmi_queue) {
	case LS_RQS_Q_V0:
		fallback = idx >= _Q_MAX_NODES;
		break;
	case LS_RQS_Q_V1:
		fallback = idx >= _Q_MAX_NODES || in_nmi();
		break;
	default:
		fallback = idx >= _Q_MAX_NODES || (in_nmi() && idx > 0);
		break;
	}
	if (fallback) {
		if (cfg.nmi_queue == LS_RQS_Q_V3) {
			if (!queued_spin_trylock(lock, site)) {
				ret = -EDEADLK;
				goto err_release_node;
			}
			goto release;
		}
		res_reset_timeout(&ts, RES_DEF_TIMEOUT);
		while (!queued_spin_trylock(lock, site)) {
			ret = res_check_timeout(lock, ~0u, &ts, site);
			if (ret)
				goto err_release_node;
			if (still_set(lock, ~0u))
				ls_park(&lock->val, ts.next_check, site);	/* cpu_relax() */
		}
		goto release;
	}

	/* Q3 */
	node = &rqnodes[cpu][idx].mcs;
	rqnodes[cpu][idx].ctx = ls_ctx_id();
	rqnodes[cpu][idx].prev_ctx = rqnodes[cpu][idx].next_ctx = -1;
	rqnodes[cpu][idx].role = NODE_QUEUED;
	rqnodes[cpu][idx].lock = lock;
	ls_point(LS_OP_STORE, &node->locked, site);
	LS_WR(&node->locked, 0);
	ls_wrote(&node->locked);
	ls_point(LS_OP_STORE, &node->next, site);
	LS_WR(&node->next, NULL);
	ls_wrote(&node->next);

	/* Q4: one more trylock before queueing. */
	if (queued_spin_trylock(lock, site))
		goto release;

	/* Q5: publish the node. */
	ls_point(LS_OP_FENCE, NULL, site);	/* smp_wmb() */
	old = xchg_tail(lock, tail, site);
	next = NULL;

	/* Q6: a non-head waiter: link behind the previous tail, wait to be made head. */
	if (old & _Q_TAIL_MASK) {
		prev = decode_tail(old);
		link_nodes(prev, node);
		ls_point(LS_OP_STORE, &prev->next, site);	/* WRITE_ONCE(prev->next, node) */
		LS_WR(&prev->next, node);
		ls_wrote(&prev->next);
		int v = spin_until_set(&node->locked, site);	/* arch_mcs_spin_lock_contended() */
		if (v == RES_TIMEOUT_VAL) {
			ret = cfg.kicked_edeadlk ? -EDEADLK : -ETIMEDOUT;
			goto waitq_timeout;
		}
		ls_point(LS_OP_LOAD, &node->next, site);
		next = LS_RD(&node->next);
	}

	/* Q7: the head waits for the owner and the pending waiter to go. */
	res_reset_timeout(&ts, RES_DEF_TIMEOUT * 2);
	val = spin_until_clear(lock, _Q_LOCKED_PENDING_MASK, _Q_LOCKED_PENDING_MASK, &ts, &ret,
			       site);

	/* Q9: a deadlock does not destroy the queue (v6.19 on): the successor goes on as head.
	 * 7a3c0289c3c8 first resets the tail if it is still ours; before it, the head waits for a
	 * successor with no bound, one that may never come. */
	if (ret == -EDEADLK && cfg.head_deadlock != LS_RQS_HD_TEARDOWN) {
		if (!next && cfg.head_deadlock == LS_RQS_HD_RESET_TAIL &&
		    try_cmpxchg_tail(lock, tail, 0, site))
			goto err_release_node;
		rqnodes[cpu][idx].role = NODE_EDEADLK;
		if (!next)
			next = spin_until_next(node, site);
		ls_point(LS_OP_STORE, &next->locked, site);	/* arch_mcs_spin_unlock_contended() */
		LS_WR(&next->locked, 1);
		ls_wrote(&next->locked);
		goto err_release_node;
	}

waitq_timeout:
	if (ret) {
		/* W: leave the queue in FIFO order; whoever queued behind us fails too. */
		rqnodes[cpu][idx].role = NODE_LEAVING;
		if (!try_cmpxchg_tail(lock, tail, 0, site)) {
			next = spin_until_next(node, site);
			ls_point(LS_OP_STORE, &next->locked, site);
			LS_WR(&next->locked, RES_TIMEOUT_VAL);
			ls_wrote(&next->locked);
		}
		goto err_release_node;
	}

	/* Q8: claim the lock. */
	if ((val & _Q_TAIL_MASK) == tail) {
		ls_point(LS_OP_RMW, &lock->val, site);	/* atomic_try_cmpxchg_relaxed() */
		unsigned found = cmpxchg_word(lock, val, _Q_LOCKED_VAL);
		if (found == val) {
			acquired(lock, site);
			goto release;	/* no contention */
		}
		val = found;
	}
	set_locked(lock, site);
	rqnodes[cpu][idx].role = NODE_OWNER;
	if (!next)
		next = spin_until_next(node, site);
	ls_point(LS_OP_STORE, &next->locked, site);	/* arch_mcs_spin_unlock_contended() */
	LS_WR(&next->locked, 1);
	ls_wrote(&next->locked);

release:
	ls_trace_contention_end(lock, 0);
	ls_point(LS_OP_RMW, &rqnodes[cpu][0].mcs.count, site);	/* __this_cpu_dec(count) */
	LS_FETCH_ADD(&rqnodes[cpu][0].mcs.count, -1);
	ls_wrote(&rqnodes[cpu][0].mcs.count);
	return 0;

err_release_node:
	ls_trace_contention_end(lock, ret);
	ls_point(LS_OP_RMW, &rqnodes[cpu][0].mcs.count, site);
	LS_FETCH_ADD(&rqnodes[cpu][0].mcs.count, -1);
	ls_wrote(&rqnodes[cpu][0].mcs.count);
err_release_entry:
	release_held_lock_entry(site);
	return ret;
}

/* ---- the API ----------------------------------------------------------------------------- */

static void prepare(rqspinlock_t *lock, const struct ls_site *site)
{
	if (!ls_lock_fresh(&lock->gen))
		return;
	/* A statically defined lock, first used in this execution. */
	if (!lock->dep_map.key)
		ls_lock_uninitialised(&lock->dep_map, site);
	ls_rqspinlock_init(lock, lock->dep_map.name, lock->dep_map.key);
}

/* What either backend's res_spin_lock() is held to once it returned ret after waiting waited
 * ns (own of them not slowed by the scheduler; cycle: a timeout on a cycle of waits): a failure
 * leaves its CPU's held-lock table as it found it (before; now is the table), a success is the
 * lock's only holder, and a timeout the code caused, or a wait past the variant's threshold,
 * is a stall.  The wait as the code made it: slowed CPUs (sched/clock.c) stretch it, and a
 * timeout they cause is what a CPU that slow would cause, not the lock's doing; a timeout on a
 * cycle of waits (ABBCCA) is the code's however slow the CPUs were. */
static void check_outcome(rqspinlock_t *lock, const struct ls_site *site, int ret, int cpu,
			  const struct rqspinlock_held *before, const struct rqspinlock_held *now,
			  uint64_t waited, uint64_t own, bool cycle)
{
	if (ret) {
		int n = before->cnt < RES_NR_HELD ? before->cnt : RES_NR_HELD;
		bool same = now->cnt == before->cnt;
		for (int i = 0; same && i < n; i++)
			same = now->locks[i] == before->locks[i];
		if (!same)
			ls_fail(site, "rqspinlock: a failed res_spin_lock(%s) left CPU%d's held-lock "
				      "table changed (%d entries before, %d after)",
				lock->dep_map.name, cpu, before->cnt, now->cnt);
	} else if (++lock->holders > 1) {
		ls_fail(site, "rqspinlock: %s has %d holders at once", lock->dep_map.name,
			lock->holders);
	}
	if (ret == -ETIMEDOUT && (own >= RES_DEF_TIMEOUT || cycle))
		ls_stall(site, waited, "res_spin_lock(%s) returned -ETIMEDOUT", lock->dep_map.name);
	else if (cfg.stall_ns && own >= cfg.stall_ns)
		ls_stall(site, waited, "res_spin_lock(%s) waited past the stall threshold, "
				       "returned %s",
			 lock->dep_map.name,
			 ret == 0 ? "0" : ret == -EDEADLK ? "-EDEADLK" : "-ETIMEDOUT");
}

/* res_spin_lock() on the kernel's code; the checks after it are the hand model's, below. */
static int kernel_res_spin_lock(rqspinlock_t *lock, const struct ls_site *site)
{
	int cpu = ls_cpu(), me = ls_ctx_id();
	uint64_t start = ls_now(), slowed = ls_slowed_ns();
	unsigned size;
	const struct rqspinlock_held *table = krq->held(cpu, &size);
	struct rqspinlock_held before;
	memcpy(&before, table, sizeof(before));

	ls_lock_acquire(&lock->dep_map, 0, false, site);
	rqspinlock_t *outer = k_acquiring[me];
	k_acquiring[me] = lock;
	timeout_in_cycle[me] = false;
	int ret = krq->lock(&lock->val);
	/* A timeout on a cycle of waits is the code's however slow the CPUs were (see below), as
	 * ls_kernel_clock() found it when the kernel's check decided. */
	bool cycle = ret == -ETIMEDOUT && timeout_in_cycle[me];
	k_acquiring[me] = outer;
	ls_kq_left(me);
	if (lock->pending == me)
		lock->pending = -1;
	uint64_t waited = ls_now() - start;
	if (ret)
		ls_lock_release(&lock->dep_map, site);
	else
		k_acquired(lock, me);
	check_outcome(lock, site, ret, cpu, &before, table, waited,
		      waited - (ls_slowed_ns() - slowed), cycle);
	return ret;
}

static void kernel_res_spin_unlock(rqspinlock_t *lock, const struct ls_site *site)
{
	ls_lock_release(&lock->dep_map, site);
	lock->holders--;
	int me = ls_ctx_id();
	rqspinlock_t *outer = k_releasing[me];
	k_releasing[me] = lock;
	krq->unlock(&lock->val);
	k_releasing[me] = outer;
	if (lock->owner == me)	/* the tree's unlock stored otherwise */
		lock->owner = -1;
}

int ls_res_spin_lock(rqspinlock_t *lock, const struct ls_site *site)
{
	prepare(lock, site);
	if (krq)
		return kernel_res_spin_lock(lock, site);
	int cpu = ls_cpu();
	uint64_t start = ls_now(), slowed = ls_slowed_ns();
	timeout_in_cycle[ls_ctx_id()] = false;
	/* lockstep: the table as this acquisition found it, to check a failure restores it. */
	struct rqspinlock_held before = held[cpu];
	int ret;

	ls_lock_acquire(&lock->dep_map, 0, false, site);
	if (!cfg.grab_after_cmpxchg)
		grab_held_lock_entry(lock, site);
	ls_point(LS_OP_RMW, &lock->val, site);	/* atomic_try_cmpxchg_acquire(0 -> 0,0,1) */
	unsigned val = cmpxchg_word(lock, 0, _Q_LOCKED_VAL);
	if (val == 0) {
		acquired(lock, site);
		if (cfg.grab_after_cmpxchg)
			grab_held_lock_entry(lock, site);
		ret = 0;
	} else {
		ret = resilient_queued_spin_lock_slowpath(lock, val, site);
	}

	uint64_t waited = ls_now() - start;
	bool cycle = ret == -ETIMEDOUT && timeout_in_cycle[ls_ctx_id()];
	if (ret)
		ls_lock_release(&lock->dep_map, site);
	check_outcome(lock, site, ret, cpu, &before, &held[cpu], waited,
		      waited - (ls_slowed_ns() - slowed), cycle);
	return ret;
}

void ls_res_spin_unlock(rqspinlock_t *lock, const struct ls_site *site)
{
	prepare(lock, site);
	if (krq) {
		kernel_res_spin_unlock(lock, site);
		return;
	}
	struct rqspinlock_held *rqh = &held[ls_cpu()];
	ls_lock_release(&lock->dep_map, site);
	lock->holders--;
	if (cfg.unlock_clear_first) {
		ls_point(LS_OP_LOAD, &rqh->cnt, site);
		if (LS_RD(&rqh->cnt) <= RES_NR_HELD && LS_RD(&rqh->cnt) > 0) {
			ls_point(LS_OP_STORE, &rqh->locks[rqh->cnt - 1], site);
			LS_WR(&rqh->locks[LS_RD(&rqh->cnt) - 1], NULL);
			ls_wrote(&rqh->locks[rqh->cnt - 1]);
		}
		ls_point(LS_OP_STORE, &lock->val, site);	/* smp_store_release(&locked, 0) */
		lock->owner = -1;
		update_word(lock, ~_Q_LOCKED_MASK, 0);
	} else {
		ls_point(LS_OP_STORE, &lock->val, site);	/* smp_store_release(&locked, 0) */
		lock->owner = -1;
		update_word(lock, ~_Q_LOCKED_MASK, 0);
		ls_point(LS_OP_LOAD, &rqh->cnt, site);
		if (LS_RD(&rqh->cnt) <= RES_NR_HELD && LS_RD(&rqh->cnt) > 0) {
			ls_point(LS_OP_STORE, &rqh->locks[rqh->cnt - 1], site);
			LS_WR(&rqh->locks[LS_RD(&rqh->cnt) - 1], NULL);
			ls_wrote(&rqh->locks[rqh->cnt - 1]);
		}
	}
	ls_point(LS_OP_RMW, &rqh->cnt, site);	/* this_cpu_dec(cnt) */
	LS_FETCH_ADD(&rqh->cnt, -1);
	ls_wrote(&rqh->cnt);
}

/* The order in which a failed raw_res_spin_lock_irqsave() and raw_res_spin_unlock_irqrestore()
 * turn preemption and interrupts back on.  A kernel backend's tree has these macros in
 * asm-generic/rqspinlock.h, preemption first since v6.15; the model library runs them itself so
 * that the validator hears of the acquisition with interrupts already off. */
static bool irqsave_preempt_first(void)
{
	return krq ? true : cfg.irqsave_preempt_first;
}

int ls_raw_res_spin_lock_irqsave(rqspinlock_t *lock, unsigned long *flags,
				 const struct ls_site *site)
{
	*flags = ls_irq_save();
	ls_preempt_disable();
	int ret = ls_res_spin_lock(lock, site);
	if (ret) {
		if (irqsave_preempt_first()) {
			ls_preempt_enable();
			ls_irq_restore(*flags);
		} else {
			ls_irq_restore(*flags);
			ls_preempt_enable();
		}
	}
	return ret;
}

void ls_raw_res_spin_unlock_irqrestore(rqspinlock_t *lock, unsigned long flags,
				       const struct ls_site *site)
{
	ls_res_spin_unlock(lock, site);
	if (irqsave_preempt_first()) {
		ls_preempt_enable();
		ls_irq_restore(flags);
	} else {
		ls_irq_restore(flags);
		ls_preempt_enable();
	}
}

void ls_rqs_check_quiescent(int variant)
{
	(void)variant;
	for (int i = 0; i < locks_recorded(); i++)
		if (locks[i]->val.counter)
			ls_fail(LS_SITE("rqspinlock"), "rqspinlock: %s ends with lock word %#x",
				locks[i]->dep_map.name, (unsigned)locks[i]->val.counter);
	for (int c = 0; krq && c < ls_ncpus(); c++) {
		unsigned size;
		int cnt = *(const int *)krq->held(c, &size);
		const struct mcs_spinlock *node0 = krq->nodes(c, &size);
		if (cnt)
			ls_fail(LS_SITE("rqspinlock"), "rqspinlock: CPU%d's held-lock table ends with "
						       "%d entries", c, cnt);
		if (node0->count)
			ls_fail(LS_SITE("rqspinlock"), "rqspinlock: CPU%d's queue-node count ends at %d",
				c, node0->count);
	}
	for (int c = 0; !krq && c < ls_ncpus(); c++) {
		if (held[c].cnt)
			ls_fail(LS_SITE("rqspinlock"), "rqspinlock: CPU%d's held-lock table ends with "
						       "%d entries",
				c, held[c].cnt);
		if (rqnodes[c][0].mcs.count)
			ls_fail(LS_SITE("rqspinlock"), "rqspinlock: CPU%d's queue-node count ends at %d",
				c, rqnodes[c][0].mcs.count);
	}
}


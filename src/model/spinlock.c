/* raw_spinlock_t and spinlock_t as a ticket lock: FIFO by construction, waiters park.
 *
 * The lock word holds two 16-bit counters, (next, owner): next is the ticket the next arrival
 * draws, owner the ticket being served.  The lock is free when they are equal.
 *
 *   lock:    preempt_disable(); lockdep acquire; one fetch_add draws a ticket t
 *              (next, owner): n, o -> n+1, o
 *            if t == o the lock is ours at once; otherwise park on the word and re-read it after
 *            every store to it (unlocks, and other arrivals) until owner == t.
 *   unlock:  lockdep release; one store advances owner
 *              (next, owner): n, o -> n, o+1
 *            which wakes every waiter; only the one holding ticket o+1 goes on, the others
 *            re-park.  Then preempt_enable().
 *   trylock: one read-modify-write that draws a ticket only when next == owner.
 *
 * Waiters are served in the order their fetch_add ran, whatever the scheduler does afterwards:
 * the fairness of the kernel's qspinlock (whose MCS queue is FIFO too), without modelling its
 * per-CPU nodes.  A waiter that parks spins with preemption disabled, so no other task of its CPU
 * runs meanwhile, as on real hardware; interrupts still may if they are enabled.
 *
 * Who waits for whom (the hang report's wait-for graph): the lock belongs to whoever drew the
 * ticket now served, from the release store that serves it on, whether or not that context has
 * run since; each waiter waits for the one that drew the ticket just before its own.  So an NMI
 * that queues behind the task it interrupted, whose ticket is being served, closes a cycle: the
 * task is interrupted by the NMI, which waits for the task.  The lock keeps who drew each
 * outstanding ticket for this, bookkeeping no operation reads.
 *
 * The validator hears of each acquisition three times: before the fetch_add (lockdep's
 * lock_acquire: trying), once the ticket drawn is not served (contended: queued), and at the
 * operation that finds its ticket served (acquired: held from that step on).
 *
 * Left out: CONFIG_DEBUG_SPINLOCK's checks other than unlocking a free lock (an AA simply hangs,
 * as without it), and qspinlock's pending bit and MCS tail, which change how waiting costs, not
 * the arrival order in which the lock is granted.
 *
 * With a kernel backend (--kernel-tree, <lockstep/kbackend.h>) the word is the kernel's struct
 * qspinlock instead and every access to it and to the MCS nodes is the kernel's own
 * queued_spin_lock() and slow path.  This file then keeps only what the kernel does around it
 * (preemption, lockdep's annotations) and, for the wait-for graph, who holds the lock (ticket
 * slot 0: context id + 1, written once the kernel's lock returns) and which lock each context is
 * acquiring: a waiter spinning on the lock word or on its MCS node waits for the holder.
 */
#include <lockstep/kernel.h>
#include <lockstep/kbackend.h>
#include <lockstep/target.h>

#include <stdio.h>
#include <string.h>

#include "model.h"

#define TICKET_SHIFT 16
#define TICKET_MASK 0xffffu

static unsigned generation = 1;

void ls_locks_reset(void)
{
	/* 0 is the generation of a statically defined lock nobody touched yet: never current. */
	if (++generation == 0)
		generation = 1;
}

bool ls_lock_fresh(unsigned *gen)
{
	/* One compare-and-swap: under lockstep stress two CPUs may touch a lock first at once, and
	 * only one of them may put it back in its initial state. */
	unsigned seen = LS_RD(gen);
	return seen != generation && LS_CMPXCHG(gen, seen, generation) == seen;
}

void ls_lock_mark_fresh(unsigned *gen)
{
	*gen = generation;
}

const char *ls_lock_class_name(const char *expr)
{
	if (expr[0] != '&')
		return expr;
	for (const char *p = expr + 1; *p; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (p > expr + 1 && *p >= '0' && *p <= '9')))
			return expr;
	return expr + 1;
}

void ls_lock_uninitialised(struct ls_lockdep_map *map, const struct ls_site *site)
{
	/* Outside an execution ls_fail() records nothing and returns; name the class anyway. */
	map->name = "(uninitialised lock)";
	map->key = NULL;
	ls_fail(site, "INFO: trying to register non-static key: %s on a lock never initialised",
		site ? site->what : "lock");
}

static unsigned tickets_next(unsigned v)
{
	return v >> TICKET_SHIFT;
}

static unsigned tickets_owner(unsigned v)
{
	return v & TICKET_MASK;
}

static int ticket_ctx(const raw_spinlock_t *lock, unsigned ticket)
{
	return (int)lock->ls_tickets[ticket % LS_TICKET_SLOTS] - 1;
}

static void draw(raw_spinlock_t *lock, unsigned ticket)
{
	lock->ls_tickets[ticket % LS_TICKET_SLOTS] = (unsigned char)(ls_ctx_id() + 1);
}

/* Marks, before a fetch-and-add, the ticket it is expected to draw, from the word read just
 * before (see the lock path): only if the slot still holds what it held then, so a mark another
 * context made meanwhile for the same ticket (it drew it first) is never overwritten.  Returns
 * the slot's previous content for unmark(). */
static unsigned char premark(raw_spinlock_t *lock, unsigned expected)
{
	unsigned char *slot = &lock->ls_tickets[expected % LS_TICKET_SLOTS];
	unsigned char was = __atomic_load_n(slot, __ATOMIC_RELAXED);
	unsigned char mine = (unsigned char)(ls_ctx_id() + 1);
	if (!__atomic_compare_exchange_n(slot, &was, mine, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return mine;	/* taken meanwhile: nothing to undo */
	return was;
}

/* After the add drew another ticket than expected: puts back the expected ticket's slot, unless
 * its drawer has marked it since. */
static void unmark(raw_spinlock_t *lock, unsigned expected, unsigned char was)
{
	unsigned char *slot = &lock->ls_tickets[expected % LS_TICKET_SLOTS];
	unsigned char mine = (unsigned char)(ls_ctx_id() + 1);
	__atomic_compare_exchange_n(slot, &mine, was, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* ---- the kernel's qspinlock (see the top of the file) ------------------------------------- */

#ifdef LS_NATIVE
#define kspin ((const struct ls_kspin_ops *)NULL)
#else
#define kspin (ls_kbackend ? ls_kbackend->spin : NULL)
#endif

/* The lock each context is inside the kernel's queued_spin_lock() for (the innermost), NULL
 * otherwise. */
static raw_spinlock_t *acquiring[LS_MAX_TASKS + 3 * LS_MAX_CPUS];
/* The lock each context is inside the kernel's queued_spin_unlock() for. */
static raw_spinlock_t *releasing[LS_MAX_TASKS + 3 * LS_MAX_CPUS];

static int kernel_holder(const raw_spinlock_t *lock)
{
	return (int)lock->ls_tickets[0] - 1;
}

/* The context whose bit-test-and-set set the pending bit, -1 if none (ticket slot 1). */
static int kernel_pending(const raw_spinlock_t *lock)
{
	return (int)lock->ls_tickets[1] - 1;
}

int ls_raw_spin_holder(const raw_spinlock_t *lock)
{
	if (kspin)
		return kernel_holder(lock);
	unsigned v = (unsigned)lock->val.counter;
	if (tickets_next(v) == tickets_owner(v))
		return -1;
	return ticket_ctx(lock, tickets_owner(v));
}

static struct ls_blocker holder_blocker(const raw_spinlock_t *lock, int waiter)
{
	int holder = lock ? kernel_holder(lock) : -1;
	if (holder < 0 || holder == waiter)
		return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
	return (struct ls_blocker){ holder, LS_WAIT_HOLDER };
}

/* On the lock word, the holder; once the lock is free, the pending waiter taking it over. */
static struct ls_blocker word_blocker(const raw_spinlock_t *lock, int waiter)
{
	struct ls_blocker b = holder_blocker(lock, waiter);
	int pending = kernel_pending(lock);
	if (b.ctx < 0 && pending >= 0 && pending != waiter)
		return (struct ls_blocker){ pending, LS_WAIT_QUEUED };
	return b;
}

/* A context spinning on its MCS node waits for the one queued ahead of it, or for a successor
 * to link in (kqueue.c); failing that, for the holder of the lock it is acquiring. */
static struct ls_blocker node_blocker(const void *obj, const void *addr, int waiter)
{
	struct ls_blocker b;
	if (ls_kq_blocker(addr, waiter, &b))
		return b;
	bool valid = waiter >= 0 && waiter < (int)(sizeof(acquiring) / sizeof(acquiring[0]));
	return holder_blocker(valid ? acquiring[waiter] : NULL, waiter);
}

static const char *const node_names[LS_MAX_CPUS] = {
	"qnodes[cpu0]", "qnodes[cpu1]", "qnodes[cpu2]", "qnodes[cpu3]",
	"qnodes[cpu4]", "qnodes[cpu5]", "qnodes[cpu6]", "qnodes[cpu7]",
};

void ls_kspin_reset(void)
{
	const struct ls_kspin_ops *k = kspin;
	if (!k)
		return;
	memset(acquiring, 0, sizeof(acquiring));
	memset(releasing, 0, sizeof(releasing));
	ls_kq_reset();
	for (int cpu = 0; cpu < LS_MAX_CPUS; cpu++) {
		unsigned size;
		void *nodes = k->nodes(cpu, &size);
		ls_object_register(nodes, size, node_names[cpu], node_blocker);
	}
}

void ls_kernel_contention_begin(void *lock, unsigned int flags)
{
	int me = ls_ctx_id();
	raw_spinlock_t *l = me >= 0 ? acquiring[me] : NULL;
	if (l && (void *)&l->val == lock)
		ls_lock_contended(&l->dep_map, LS_SITE("contention_begin"));
	ls_rqs_kernel_contention(lock, true, 0);
	ls_trace_contention_begin(lock, flags);
}

/* A WRITE_ONCE() of the kernel's code (ls_kshim.h).  The only ones to the start of a lock word
 * in the queued spinlock are set_locked() and clear_pending_set_locked(): the context that is
 * acquiring that lock holds it from this store on. */
void ls_kernel_stored(const void *addr)
{
	int me = ls_ctx_id();
	raw_spinlock_t *l = me >= 0 ? acquiring[me] : NULL;
	if (l && addr == (const void *)&l->val)
		l->ls_tickets[0] = (unsigned char)(me + 1);
	/* The pending waiter's clear_pending_set_locked() (byte 0) or clear_pending() (byte 1). */
	if (l && kernel_pending(l) == me &&
	    (addr == (const void *)&l->val || addr == (const char *)&l->val + 1))
		l->ls_tickets[1] = 0;
	ls_rqs_kernel_stored(addr);
}

/* An exchange of the kernel's code: on the tail of the lock the context is acquiring (the lock
 * word's upper half), xchg_tail() queueing it (kqueue.c). */
void ls_kernel_xchged(const void *addr, unsigned int size, uint64_t old, uint64_t new_)
{
	int me = ls_ctx_id();
	raw_spinlock_t *l = me >= 0 ? acquiring[me] : NULL;
	if (l && kspin && size == 2 && addr == (const char *)&l->val + 2)
		ls_kq_joined(kspin->nodes, (unsigned)old, (unsigned)new_);
	ls_rqs_kernel_xchged(addr, size, old, new_);
}

void ls_kernel_pending(const void *addr)
{
	int me = ls_ctx_id();
	raw_spinlock_t *l = me >= 0 ? acquiring[me] : NULL;
	if (l && addr == (const void *)&l->val)
		l->ls_tickets[1] = (unsigned char)(me + 1);
	ls_rqs_kernel_pending(addr);
}

/* A compare-and-exchange of the kernel's code (ls_kshim.h) that set a word's low byte from 0:
 * on a lock word, the context acquiring that lock holds it from here on, as after a store. */
void ls_kernel_exchanged(const void *addr, unsigned int old, unsigned int new_)
{
	if ((old & 0xffu) == 0 && (new_ & 0xffu) != 0)
		ls_kernel_stored(addr);
}

/* A release store of the kernel's code (ls_kshim.h): the unlock's store to the lock word ends the
 * hold, whatever the unlock did before it. */
void ls_kernel_released(const void *addr)
{
	int me = ls_ctx_id();
	raw_spinlock_t *l = me >= 0 ? releasing[me] : NULL;
	if (l && addr == (const void *)&l->val && kernel_holder(l) == me)
		l->ls_tickets[0] = 0;
	ls_rqs_kernel_released(addr);
}

/* The slow path fires contention_end once it holds the lock and before it returns: probes run
 * there with the lock held, so it is held from here on in the wait-for graph (the stores above
 * have said so already, except after a compare-and-exchange). */
void ls_kernel_contention_end(void *lock, int ret)
{
	int me = ls_ctx_id();
	raw_spinlock_t *l = me >= 0 ? acquiring[me] : NULL;
	if (l && (void *)&l->val == lock && ret == 0)
		l->ls_tickets[0] = (unsigned char)(me + 1);
	ls_rqs_kernel_contention(lock, false, ret);
	ls_trace_contention_end(lock, ret);
}

static void kernel_lock(const struct ls_kspin_ops *k, raw_spinlock_t *lock, unsigned subclass,
			const struct ls_site *site);
static int kernel_trylock(const struct ls_kspin_ops *k, raw_spinlock_t *lock,
			  const struct ls_site *site);
static void kernel_unlock(const struct ls_kspin_ops *k, raw_spinlock_t *lock,
			  const struct ls_site *site);

/* A waiter waits for whoever drew the ticket before its newest one: the context served (the
 * holder) or a waiter queued ahead. */
static struct ls_blocker spin_blocker(const void *obj, const void *addr, int waiter)
{
	const raw_spinlock_t *lock = obj;
	if (kspin)
		return word_blocker(lock, waiter);
	unsigned v = (unsigned)lock->val.counter;
	unsigned owner = tickets_owner(v);
	for (unsigned t = tickets_next(v); ((t - owner) & TICKET_MASK) != 0; t--) {
		unsigned mine = (t - 1) & TICKET_MASK;
		if (ticket_ctx(lock, mine) != waiter)
			continue;
		if (mine == owner)
			break;	/* its turn has come: it waits for nobody */
		unsigned ahead = (mine - 1) & TICKET_MASK;
		return (struct ls_blocker){ ticket_ctx(lock, ahead),
					    ahead == owner ? LS_WAIT_HOLDER : LS_WAIT_QUEUED };
	}
	int holder = tickets_next(v) != owner ? ticket_ctx(lock, owner) : -1;
	if (holder < 0 || holder == waiter)
		return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
	return (struct ls_blocker){ holder, LS_WAIT_HOLDER };
}

static void reset_word(raw_spinlock_t *lock)
{
	lock->val.counter = 0;
	lock->ls_tickets[0] = 0;	/* the kernel backend's holder; ticket 0 is unused when free */
	lock->ls_tickets[1] = 0;	/* and its pending waiter */
}

static void publish(raw_spinlock_t *lock)
{
	if (!(lock->dep_map.flags & LS_LOCKDEP_NOVALIDATE))
		ls_object_register(lock, sizeof(*lock), lock->dep_map.name, spin_blocker);
}

void ls_raw_spin_lock_init(raw_spinlock_t *lock, const char *name, const void *key,
			   enum ls_wait_type wait_type)
{
	/* DEBUG_SPINLOCK's __raw_spin_lock_init(): re-initialising a held lock is freeing it. */
	ls_lockdep_check_freed(lock, sizeof(*lock), key);
	reset_word(lock);
	ls_lock_mark_fresh(&lock->gen);
	ls_lockdep_init_map(&lock->dep_map, lock, ls_lock_class_name(name), key, wait_type, 0);
	publish(lock);
}

void ls_raw_spin_lock_init_internal(raw_spinlock_t *lock)
{
	reset_word(lock);
	ls_lock_mark_fresh(&lock->gen);
	ls_lockdep_init_map(&lock->dep_map, lock, "wait_lock", lock, LS_WAIT_SPIN,
			    LS_LOCKDEP_NOVALIDATE);
}

/* The first operation of an execution on a lock that was not initialised during it. */
static void prepare(raw_spinlock_t *lock, const struct ls_site *site)
{
	if (!ls_lock_fresh(&lock->gen))
		return;
	reset_word(lock);
	struct ls_lockdep_map *map = &lock->dep_map;
	if (!map->key)
		ls_lock_uninitialised(map, site);
	ls_lockdep_reset_map(map, lock);
	publish(lock);
}

void ls_raw_spin_lock(raw_spinlock_t *lock, const struct ls_site *site)
{
	ls_raw_spin_lock_nested(lock, 0, site);
}

void ls_raw_spin_lock_nested(raw_spinlock_t *lock, unsigned subclass, const struct ls_site *site)
{
	const struct ls_kspin_ops *k = kspin;
	if (k) {
		kernel_lock(k, lock, subclass, site);
		return;
	}
	ls_preempt_disable();
	prepare(lock, site);
	ls_lock_acquire_nested(&lock->dep_map, subclass, 0, false, site);

	ls_point(LS_OP_RMW, &lock->val, site);
	/* A queued spinlock's second and later waiters go to its `queue:` label and fire
	 * contention_begin there, before xchg_tail() puts them in the queue (the first spins on
	 * the pending bit and fires none).  So a probe runs before its context has a ticket: with
	 * probes registered, such a waiter fires begin first and draws its ticket at a point of its
	 * own after them; without, nothing changes. */
	unsigned seen = (unsigned)LS_RD(&lock->val.counter);
	bool queued = ((tickets_next(seen) - tickets_owner(seen)) & TICKET_MASK) >= 2 &&
		      ls_trace_contention_probed();
	if (queued && ls_trace_contention_begin(lock, LCB_F_SPIN))
		ls_point(LS_OP_RMW, &lock->val, site);
	/* Take a ticket: next += 1 (one fetch-and-add in the kernel's ticket locks).  The ticket
	 * is marked this context's before the add as well as after it: on real threads
	 * (lockstep-stress) an NMI can land between the add and the mark, and if it then spins on
	 * this lock forever, the report would name whoever held the ticket's slot last.  The first
	 * mark is a guess from the word read before the add, made and undone so that it never
	 * overwrites another context's mark (premark()).  Here nothing runs between the three, so
	 * the guess is the ticket drawn. */
	unsigned expected = tickets_next((unsigned)LS_RD(&lock->val.counter));
	unsigned char was = premark(lock, expected);
	unsigned old = LS_FETCH_ADD((unsigned *)&lock->val.counter, 1u << TICKET_SHIFT);
	unsigned ticket = tickets_next(old);
	if (ticket != expected)
		unmark(lock, expected, was);
	draw(lock, ticket);
	/* Every store to the word wakes its watchers, as a cache-line change is seen by every
	 * spinner: a waiter woken by a later arrival re-reads the word and parks again. */
	ls_wrote(&lock->val);
	if (tickets_owner(old) != ticket) {
		ls_lock_contended(&lock->dep_map, site);
		for (;;) {
			ls_park(&lock->val, LS_NO_DEADLINE, site);
			ls_point(LS_OP_LOAD, &lock->val, site);
			if (tickets_owner((unsigned)LS_RD(&lock->val.counter)) == ticket)
				break;
		}
	}
	ls_lock_acquired(&lock->dep_map, site);
	if (queued)
		ls_trace_contention_end(lock, 0);
}

int ls_raw_spin_trylock(raw_spinlock_t *lock, const struct ls_site *site)
{
	const struct ls_kspin_ops *k = kspin;
	if (k)
		return kernel_trylock(k, lock, site);
	ls_preempt_disable();
	prepare(lock, site);
	ls_point(LS_OP_RMW, &lock->val, site);
	unsigned old = (unsigned)LS_RD(&lock->val.counter);
	unsigned nv = (((tickets_next(old) + 1) & TICKET_MASK) << TICKET_SHIFT) | tickets_owner(old);
	if (tickets_next(old) != tickets_owner(old)) {
		ls_preempt_enable();
		return 0;
	}
	unsigned char was = premark(lock, tickets_next(old));	/* before the exchange, as in lock */
	if ((unsigned)LS_CMPXCHG(&lock->val.counter, (int)old, (int)nv) != old) {
		unmark(lock, tickets_next(old), was);
		ls_preempt_enable();
		return 0;
	}
	draw(lock, tickets_next(old));
	ls_wrote(&lock->val);
	ls_lock_acquire(&lock->dep_map, 0, true, site);
	return 1;
}

void ls_raw_spin_unlock(raw_spinlock_t *lock, const struct ls_site *site)
{
	const struct ls_kspin_ops *k = kspin;
	if (k) {
		kernel_unlock(k, lock, site);
		return;
	}
	prepare(lock, site);
	ls_lock_release(&lock->dep_map, site);
	ls_point(LS_OP_STORE, &lock->val, site);
	unsigned v = (unsigned)LS_RD(&lock->val.counter);
	if (tickets_next(v) == tickets_owner(v)) {
		ls_fail(site, "BUG: spinlock already unlocked on CPU#%d: %s", ls_cpu(),
			lock->dep_map.name);
		return;
	}
	/* Only the holder writes the owner half; arrivals add to the next half meanwhile. */
	for (;;) {
		unsigned nv = (v & ~TICKET_MASK) | ((tickets_owner(v) + 1) & TICKET_MASK);
		unsigned found = (unsigned)LS_CMPXCHG(&lock->val.counter, (int)v, (int)nv);
		if (found == v)
			break;
		v = found;
	}
	ls_wrote(&lock->val);
	ls_preempt_enable();
}

int ls_raw_spin_is_locked(raw_spinlock_t *lock, const struct ls_site *site)
{
	prepare(lock, site);
	if (kspin)
		return kspin->is_locked(&lock->val);
	ls_point(LS_OP_LOAD, &lock->val, site);
	unsigned v = (unsigned)LS_RD(&lock->val.counter);
	return tickets_next(v) != tickets_owner(v);
}

/* spin_lock() in the kernel: preemption off, lockdep's acquire, then the architecture's lock. */
static void kernel_lock(const struct ls_kspin_ops *k, raw_spinlock_t *lock, unsigned subclass,
			const struct ls_site *site)
{
	ls_preempt_disable();
	prepare(lock, site);
	ls_lock_acquire_nested(&lock->dep_map, subclass, 0, false, site);
	/* A probe on the slow path's tracepoint may take another lock in this context: the
	 * innermost acquisition is the one its waits belong to, then the outer one again. */
	int me = ls_ctx_id();
	raw_spinlock_t *outer = acquiring[me];
	acquiring[me] = lock;
	k->lock(&lock->val);
	acquiring[me] = outer;
	ls_kq_left(me);
	lock->ls_tickets[0] = (unsigned char)(me + 1);
	if (kernel_pending(lock) == me)
		lock->ls_tickets[1] = 0;
	ls_lock_acquired(&lock->dep_map, site);
}

static int kernel_trylock(const struct ls_kspin_ops *k, raw_spinlock_t *lock,
			  const struct ls_site *site)
{
	ls_preempt_disable();
	prepare(lock, site);
	if (!k->trylock(&lock->val)) {
		ls_preempt_enable();
		return 0;
	}
	lock->ls_tickets[0] = (unsigned char)(ls_ctx_id() + 1);
	ls_lock_acquire(&lock->dep_map, 0, true, site);
	return 1;
}

/* The holder is forgotten at the releasing store (ls_kernel_released()): at its point, before it
 * runs, the lock is still held. */
static void kernel_unlock(const struct ls_kspin_ops *k, raw_spinlock_t *lock,
			  const struct ls_site *site)
{
	prepare(lock, site);
	ls_lock_release(&lock->dep_map, site);
	if (kernel_holder(lock) < 0) {
		ls_fail(site, "BUG: spinlock already unlocked on CPU#%d: %s", ls_cpu(),
			lock->dep_map.name);
		return;
	}
	/* The holder goes at the release store (ls_kernel_released()), or at the return if the
	 * tree's unlock stored otherwise: an interrupt at the store's point still finds it held. */
	int me = ls_ctx_id();
	raw_spinlock_t *outer = releasing[me];
	releasing[me] = lock;
	k->unlock(&lock->val);
	releasing[me] = outer;
	if (kernel_holder(lock) == me)
		lock->ls_tickets[0] = 0;
	ls_preempt_enable();
}

unsigned long ls_raw_spin_lock_irqsave(raw_spinlock_t *lock, const struct ls_site *site)
{
	return ls_raw_spin_lock_irqsave_nested(lock, 0, site);
}

unsigned long ls_raw_spin_lock_irqsave_nested(raw_spinlock_t *lock, unsigned subclass,
					      const struct ls_site *site)
{
	unsigned long flags = ls_irq_save();
	ls_raw_spin_lock_nested(lock, subclass, site);
	return flags;
}

int ls_raw_spin_trylock_bh(raw_spinlock_t *lock, const struct ls_site *site)
{
	ls_bh_disable();
	if (ls_raw_spin_trylock(lock, site))
		return 1;
	ls_bh_enable();
	return 0;
}

int ls_raw_spin_trylock_irqsave(raw_spinlock_t *lock, unsigned long *flags,
				const struct ls_site *site)
{
	*flags = ls_irq_save();
	if (ls_raw_spin_trylock(lock, site))
		return 1;
	ls_irq_restore(*flags);
	return 0;
}

void ls_raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags,
				   const struct ls_site *site)
{
	ls_raw_spin_unlock(lock, site);
	ls_irq_restore(flags);
}

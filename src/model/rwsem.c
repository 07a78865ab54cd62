/* struct rw_semaphore, following kernel/locking/rwsem.c (non-RT) step by step.
 *
 * The count word: bit 0 WRITER_LOCKED, bit 1 FLAG_WAITERS (the wait list is not empty), bit 2
 * FLAG_HANDOFF (the first waiter asked for the lock to be handed to it: nobody may steal it),
 * the reader count from bit 8 up in units of READER_BIAS, and READFAIL as the sign bit.  The
 * owner word names the writer, or carries READER_OWNED and the last reader.  Waiters queue FIFO
 * on a list guarded by wait_lock; a waiter lives on its task's stack.  Below, (W, R, F) is
 * (WRITER_LOCKED, readers, WAITERS|HANDOFF).
 *
 *   down_read fast path:  add_return(READER_BIAS); success iff no READ_FAILED bit is set
 *                           (0, r, 0) -> (0, r+1, 0)
 *                         so any queued waiter sends a new reader to the slow path.
 *   read slow path:       rcnt = readers including us.
 *                         1. reader-owned, rcnt > 1, no writer: queue (readers must not starve a
 *                            sleeping writer: the rule that deadlocks a recursive down_read);
 *                         2. no WRITER_LOCKED and no HANDOFF: steal, keeping the bias; the first
 *                            reader in (rcnt == 1) with waiters wakes the queued readers;
 *                         3. queue: with an empty list and no writer, keep the bias and return;
 *                            else enqueue, take the bias back (setting WAITERS if first), wake
 *                            what the count allows, and sleep until a waker grants the lock by
 *                            clearing waiter.task.
 *   down_read_trylock:    cmpxchg loop adding READER_BIAS while no READ_FAILED bit is set: it
 *                         fails whenever anyone waits.
 *   down_write:           cmpxchg(0 -> WRITER_LOCKED); else one look at a free lock (what is left
 *                         of optimistic spinning), else enqueue (the first waiter sets WAITERS)
 *                         and loop under wait_lock on rwsem_try_write_lock():
 *                           free:                    (0, 0, f) -> (1, 0, f minus HANDOFF, minus
 *                                                    WAITERS when we were the only waiter)
 *                           held, waited too long:   (w, r, f) -> (w, r, f|HANDOFF)
 *                         sleeping in between until rwsem_mark_wake() picks us.
 *   up_read:              add_return(-READER_BIAS); wake when (count & (LOCK_MASK|WAITERS)) is
 *                         exactly WAITERS: the last reader left and someone waits.
 *   up_write:             clear the owner, fetch_add(-WRITER_LOCKED), wake if WAITERS.
 *   rwsem_mark_wake:      first waiter a writer: wake it (WAKE_ANY only).  A reader: grant one
 *                         bias first (backing out, and asking for HANDOFF after the timeout, if a
 *                         writer got in), then grant up to MAX_READERS_WAKEUP readers from
 *                         anywhere in the queue, skipping writers, clearing WAITERS (and HANDOFF)
 *                         when the list empties and HANDOFF when any reader was woken.
 *
 * Time: a waiter's timeout is ls_now() + RWSEM_WAIT_TIMEOUT_NS, checked where the kernel checks
 * jiffies: when the waiter (or its waker) next runs.  A sleeping writer sets no timer of its own,
 * as in the kernel; virtual time passes through other contexts' steps and deadlines.
 *
 * Waking: a waker collects what to wake while holding wait_lock and wakes after dropping it
 * (wake_up_q).  Granted readers park on ls_read_wake and check their waiter.task; writers park on
 * ls_write_wake and check their task state, set before each try as set_current_state() does, so
 * a wake between a failed try and the sleep is never lost.
 *
 * Left out: CONFIG_RWSEM_SPIN_ON_OWNER's owner spinning (a writer looks at the lock once before
 * queueing), the nonspinnable owner bits, RT priorities (no waiter hands off at once), killable
 * and interruptible waits, and DEBUG_RWSEMS checks other than an unbalanced release.
 */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

#include <stddef.h>
#include <string.h>

enum rwsem_waiter_type { RWSEM_WAITING_FOR_WRITE, RWSEM_WAITING_FOR_READ };
enum rwsem_wake_type { RWSEM_WAKE_ANY, RWSEM_WAKE_READERS, RWSEM_WAKE_READ_OWNED };

struct rwsem_waiter {
	struct rwsem_waiter *next, *prev;
	int task;			/* context id + 1 while waiting; 0 once a reader is granted */
	int ctx;
	enum rwsem_waiter_type type;
	uint64_t timeout;		/* virtual ns after which a hand-off may be requested */
	bool handoff_set;		/* this (first) waiter set or inherited HANDOFF */
	struct rwsem_waiter *grant_next;	/* rwsem_mark_wake()'s list of readers to grant */
};

/* What a waker wakes once it dropped wait_lock. */
struct wake_q {
	bool readers;
	int writer;			/* context id, or -1 */
};

#define MAX_CTX (LS_MAX_TASKS + 3 * LS_MAX_CPUS)	/* every context id, softirqs' included */

/* TASK_UNINTERRUPTIBLE (true) or TASK_RUNNING, for contexts sleeping in down_write(); indexed
 * by context id + 1, so that a contended down_write() outside an execution reaches ls_park()'s
 * complaint instead of writing out of bounds. */
static bool sleeping[MAX_CTX + 1];
#define task_sleeping(ctx) sleeping[(ctx) + 1]

/* ---- the owner word and the readers named in reports ------------------------------------- */

static long tag_of(int ctx)
{
	return ((long)ctx + 2) << 3;
}

static int ctx_of(long owner)
{
	return (owner >> 3) ? (int)(owner >> 3) - 2 : -1;
}

static void set_owner(struct rw_semaphore *sem, const struct ls_site *site)
{
	ls_atomic_long_set(&sem->owner, tag_of(ls_ctx_id()), site);
}

static void set_reader_owned(struct rw_semaphore *sem, int ctx, const struct ls_site *site)
{
	ls_atomic_long_set(&sem->owner, tag_of(ctx) | RWSEM_READER_OWNED, site);
}

/* The reader list is bookkeeping for reports, changed by readers with no lock held.  Under
 * lockstep stress readers on several threads change it at once: each change reads the count
 * once and writes back a count within [0, LS_RWSEM_READERS], so a race may lose or keep a name
 * but never moves memory out of the array. */
static void reader_add(struct rw_semaphore *sem, int ctx)
{
	int n = LS_RD(&sem->ls_nreaders);
	if (n < LS_RWSEM_READERS) {
		sem->ls_readers[n] = (signed char)ctx;
		LS_WR(&sem->ls_nreaders, (unsigned char)(n + 1));
	}
}

static void reader_remove_at(struct rw_semaphore *sem, int n, int i)
{
	memmove(&sem->ls_readers[i], &sem->ls_readers[i + 1],
		(size_t)(n - i - 1) * sizeof(sem->ls_readers[0]));
	LS_WR(&sem->ls_nreaders, (unsigned char)(n - 1));
}

/* A release by the holder drops its own entry; a non-owner release, the oldest. */
static void reader_remove(struct rw_semaphore *sem, int ctx, bool owner)
{
	int n = LS_RD(&sem->ls_nreaders);
	if (!n)
		return;
	if (n > LS_RWSEM_READERS)
		n = LS_RWSEM_READERS;
	if (!owner) {
		reader_remove_at(sem, n, 0);
		return;
	}
	for (int i = 0; i < n; i++)
		if (sem->ls_readers[i] == ctx) {
			reader_remove_at(sem, n, i);
			return;
		}
}

static int holder(const struct rw_semaphore *sem)
{
	if (sem->count.counter & RWSEM_WRITER_LOCKED)
		return ctx_of(sem->owner.counter);
	return sem->ls_nreaders ? sem->ls_readers[0] : -1;
}

/* The holder may be the waiter itself: a write lock taken under its own read hold. */
static struct ls_blocker held_by(const struct rw_semaphore *sem, int waiter)
{
	int h = holder(sem);
	if (h < 0)
		return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
	return (struct ls_blocker){ h, LS_WAIT_HOLDER };
}

static struct ls_blocker rwsem_blocker(const void *obj, const void *addr, int waiter)
{
	return held_by(obj, waiter);
}

/* A queued writer waits for the waiter just ahead of it (readers ahead of it are woken as a
 * batch, a writer ahead takes the lock first), the first one for the holder. */
static struct ls_blocker write_waiter_blocker(const void *obj, const void *addr, int waiter)
{
	const struct rw_semaphore *sem = container_of(obj, struct rw_semaphore, ls_write_wake);
	for (const struct rwsem_waiter *w = sem->ls_first; w; w = w->next)
		if (w->ctx == waiter && w->prev)
			return (struct ls_blocker){ w->prev->ctx, LS_WAIT_QUEUED };
	return held_by(sem, waiter);
}

/* A queued reader waits for the writer holding the lock, else for the nearest writer queued
 * ahead of it (the one fairness makes it wait for), else for a holder. */
static struct ls_blocker read_waiter_blocker(const void *obj, const void *addr, int waiter)
{
	const struct rw_semaphore *sem = container_of(obj, struct rw_semaphore, ls_read_wake);
	if (sem->count.counter & RWSEM_WRITER_LOCKED)
		return held_by(sem, waiter);
	const struct rwsem_waiter *ahead = NULL;
	for (const struct rwsem_waiter *w = sem->ls_first; w && w->ctx != waiter; w = w->next)
		if (w->type == RWSEM_WAITING_FOR_WRITE)
			ahead = w;
	if (ahead)
		return (struct ls_blocker){ ahead->ctx, LS_WAIT_QUEUED };
	return held_by(sem, waiter);
}

/* ---- life cycle -------------------------------------------------------------------------- */

static void reset(struct rw_semaphore *sem)
{
	sem->count.counter = 0;
	sem->owner.counter = 0;
	ls_raw_spin_lock_init_internal(&sem->wait_lock);
	sem->ls_first = sem->ls_last = NULL;
	sem->ls_read_wake = sem->ls_write_wake = 0;
	sem->ls_nreaders = 0;
	ls_lock_mark_fresh(&sem->gen);
}

static void publish(struct rw_semaphore *sem)
{
	const char *name = sem->dep_map.name;
	ls_object_register(sem, (unsigned)offsetof(struct rw_semaphore, wait_lock), name,
			   rwsem_blocker);
	ls_object_register(&sem->ls_read_wake, sizeof(long), name, read_waiter_blocker);
	ls_object_register(&sem->ls_write_wake, sizeof(long), name, write_waiter_blocker);
}

void ls_init_rwsem(struct rw_semaphore *sem, const char *name, const void *key)
{
	/* __init_rwsem(): re-initialising a held rwsem is freeing it. */
	ls_lockdep_check_freed(sem, sizeof(*sem), key);
	reset(sem);
	ls_lockdep_init_map(&sem->dep_map, sem, name, key, LS_WAIT_SLEEP, 0);
	publish(sem);
}

static void prepare(struct rw_semaphore *sem, const struct ls_site *site)
{
	if (!ls_lock_fresh(&sem->gen))
		return;
	reset(sem);
	struct ls_lockdep_map *map = &sem->dep_map;
	if (!map->key)
		ls_lock_uninitialised(map, site);
	ls_lockdep_reset_map(map, sem);
	publish(sem);
}

/* ---- the wait list (under wait_lock) ----------------------------------------------------- */

static void add_waiter(struct rw_semaphore *sem, struct rwsem_waiter *w)
{
	w->next = NULL;
	w->prev = sem->ls_last;
	if (sem->ls_last)
		sem->ls_last->next = w;
	else
		sem->ls_first = w;
	sem->ls_last = w;
}

static void del_waiter(struct rw_semaphore *sem, struct rwsem_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		sem->ls_first = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		sem->ls_last = w->prev;
}

static bool timed_out(const struct rwsem_waiter *w)
{
	return ls_now() > w->timeout;
}

/* ---- waking ------------------------------------------------------------------------------ */

static void mark_wake(struct rw_semaphore *sem, enum rwsem_wake_type wake_type,
		      struct wake_q *q, const struct ls_site *site)
{
	struct rwsem_waiter *waiter = sem->ls_first;
	long adjustment = 0, oldcount;
	long woken = 0;

	if (waiter->type == RWSEM_WAITING_FOR_WRITE) {
		/* Readers will see the queued writer and block; another writer may still take
		 * the lock before this one runs. */
		if (wake_type == RWSEM_WAKE_ANY)
			q->writer = waiter->ctx;
		return;
	}

	if (wake_type != RWSEM_WAKE_READ_OWNED) {
		/* Grant one reader first, so a writer that got in is noticed before counting. */
		adjustment = RWSEM_READER_BIAS;
		oldcount = ls_atomic_long_fetch_op(&sem->count, LS_ATOMIC_ADD, adjustment, site);
		if (oldcount & RWSEM_WRITER_MASK) {
			if (timed_out(waiter)) {
				if (!(oldcount & RWSEM_FLAG_HANDOFF))
					adjustment -= RWSEM_FLAG_HANDOFF;
				waiter->handoff_set = true;
			}
			ls_atomic_long_fetch_op(&sem->count, LS_ATOMIC_ADD, -adjustment, site);
			return;
		}
		set_reader_owned(sem, waiter->ctx, site);
	}

	/* Phase-fair: every queued reader (up to the batch limit) goes, writers keep their place. */
	struct rwsem_waiter *grant = NULL, **tail = &grant, *next;
	for (struct rwsem_waiter *w = sem->ls_first; w; w = next) {
		next = w->next;
		if (w->type == RWSEM_WAITING_FOR_WRITE)
			continue;
		del_waiter(sem, w);
		w->grant_next = NULL;
		*tail = w;
		tail = &w->grant_next;
		if (++woken >= MAX_READERS_WAKEUP)
			break;
	}

	adjustment = woken * RWSEM_READER_BIAS - adjustment;
	oldcount = ls_atomic_long_read(&sem->count, site);
	if (!sem->ls_first) {
		adjustment -= RWSEM_FLAG_WAITERS;
		if (oldcount & RWSEM_FLAG_HANDOFF)
			adjustment -= RWSEM_FLAG_HANDOFF;
	} else if (woken && (oldcount & RWSEM_FLAG_HANDOFF)) {
		adjustment -= RWSEM_FLAG_HANDOFF;
	}
	if (adjustment)
		ls_atomic_long_fetch_op(&sem->count, LS_ATOMIC_ADD, adjustment, site);

	/* Second pass: the count already covers every granted reader, so one that runs off and
	 * releases at once cannot drive it below zero. */
	for (struct rwsem_waiter *w = grant; w; w = next) {
		next = w->grant_next;
		reader_add(sem, w->ctx);
		/* smp_store_release(&waiter->task, NULL): the reader may return right after. */
		ls_point(LS_OP_STORE, &w->task, site);
		w->task = 0;
		ls_wrote(&w->task);
		q->readers = true;
	}
}

static void cond_wake_waiter(struct rw_semaphore *sem, long count, struct wake_q *q,
			     const struct ls_site *site)
{
	if (count & RWSEM_WRITER_MASK)
		return;
	mark_wake(sem, (count & RWSEM_READER_MASK) ? RWSEM_WAKE_READERS : RWSEM_WAKE_ANY, q, site);
}

static bool wake_q_empty(const struct wake_q *q)
{
	return !q->readers && q->writer < 0;
}

static void wake_up_q(struct rw_semaphore *sem, struct wake_q *q, const struct ls_site *site)
{
	if (q->readers) {
		ls_point(LS_OP_STORE, &sem->ls_read_wake, site);
		LS_FETCH_ADD(&sem->ls_read_wake, 1);	/* wakers may run on two CPUs at once */
		ls_wrote(&sem->ls_read_wake);
	}
	if (q->writer >= 0) {
		ls_point(LS_OP_STORE, &sem->ls_write_wake, site);
		task_sleeping(q->writer) = false;
		LS_FETCH_ADD(&sem->ls_write_wake, 1);
		ls_wrote(&sem->ls_write_wake);
	}
	q->readers = false;
	q->writer = -1;
}

static void rwsem_wake(struct rw_semaphore *sem, enum rwsem_wake_type type,
		       const struct ls_site *site)
{
	struct wake_q q = { false, -1 };
	unsigned long flags = ls_raw_spin_lock_irqsave(&sem->wait_lock, site);
	if (sem->ls_first)
		mark_wake(sem, type, &q, site);
	ls_raw_spin_unlock_irqrestore(&sem->wait_lock, flags, site);
	wake_up_q(sem, &q, site);
}

/* ---- read side --------------------------------------------------------------------------- */

static void read_queue_and_wait(struct rw_semaphore *sem, const struct ls_site *site)
{
	int me = ls_ctx_id();
	long adjustment = -RWSEM_READER_BIAS;
	struct wake_q q = { false, -1 };
	struct rwsem_waiter waiter = {
		.task = me + 1,
		.ctx = me,
		.type = RWSEM_WAITING_FOR_READ,
		.timeout = ls_now() + RWSEM_WAIT_TIMEOUT_NS,
	};

	ls_irq_disable();
	ls_raw_spin_lock(&sem->wait_lock, site);
	if (!sem->ls_first) {
		/* Nobody queued and no writer: our bias is already in, the lock is ours. */
		if (!(ls_atomic_long_read(&sem->count, site) & RWSEM_WRITER_MASK)) {
			ls_lock_acquired(&sem->dep_map, site);
			reader_add(sem, me);
			ls_raw_spin_unlock(&sem->wait_lock, site);
			ls_irq_enable();
			set_reader_owned(sem, me, site);
			return;
		}
		adjustment += RWSEM_FLAG_WAITERS;
	}
	add_waiter(sem, &waiter);
	ls_lock_contended(&sem->dep_map, site);
	long count = ls_atomic_long_op_return(&sem->count, LS_ATOMIC_ADD, adjustment, site);
	cond_wake_waiter(sem, count, &q, site);
	ls_raw_spin_unlock(&sem->wait_lock, site);
	ls_irq_enable();
	if (!wake_q_empty(&q))
		wake_up_q(sem, &q, site);

	for (;;) {
		/* smp_load_acquire(&waiter.task), then schedule() on the same step. */
		ls_point(LS_OP_LOAD, &sem->ls_read_wake, site);
		if (!waiter.task)
			break;
		ls_park(&sem->ls_read_wake, LS_NO_DEADLINE, site);
	}
	ls_lock_acquired(&sem->dep_map, site);	/* a waker granted it */
}

static void down_read_slowpath(struct rw_semaphore *sem, long count, const struct ls_site *site)
{
	long rcnt = (long)((unsigned long)count >> RWSEM_READER_SHIFT);
	int me = ls_ctx_id();

	/* A stream of readers must not starve a sleeping writer: no stealing from readers. */
	if ((ls_atomic_long_read(&sem->owner, site) & RWSEM_READER_OWNED) && rcnt > 1 &&
	    !(count & RWSEM_WRITER_LOCKED)) {
		read_queue_and_wait(sem, site);
		return;
	}

	/* Optimistic lock stealing: the bias we added holds the lock. */
	if (!(count & (RWSEM_WRITER_LOCKED | RWSEM_FLAG_HANDOFF))) {
		ls_lock_acquired(&sem->dep_map, site);
		reader_add(sem, me);
		set_reader_owned(sem, me, site);
		if (rcnt == 1 && (count & RWSEM_FLAG_WAITERS)) {
			/* The first reader in takes the queued readers along. */
			struct wake_q q = { false, -1 };
			ls_irq_disable();
			ls_raw_spin_lock(&sem->wait_lock, site);
			if (sem->ls_first)
				mark_wake(sem, RWSEM_WAKE_READ_OWNED, &q, site);
			ls_raw_spin_unlock(&sem->wait_lock, site);
			ls_irq_enable();
			wake_up_q(sem, &q, site);
		}
		return;
	}
	read_queue_and_wait(sem, site);
}

void ls_down_read(struct rw_semaphore *sem, const struct ls_site *site)
{
	ls_down_read_nested(sem, 0, site);
}

void ls_down_read_nested(struct rw_semaphore *sem, unsigned subclass, const struct ls_site *site)
{
	ls_might_sleep(site);
	prepare(sem, site);
	ls_lock_acquire_nested(&sem->dep_map, subclass, 1, false, site);
	long count = ls_atomic_long_op_return(&sem->count, LS_ATOMIC_ADD, RWSEM_READER_BIAS, site);
	if (!(count & RWSEM_READ_FAILED_MASK)) {
		ls_lock_acquired(&sem->dep_map, site);
		reader_add(sem, ls_ctx_id());
		set_reader_owned(sem, ls_ctx_id(), site);
		return;
	}
	down_read_slowpath(sem, count, site);
}

int ls_down_read_trylock(struct rw_semaphore *sem, const struct ls_site *site)
{
	prepare(sem, site);
	long tmp = ls_atomic_long_read(&sem->count, site);
	while (!(tmp & RWSEM_READ_FAILED_MASK)) {
		if (ls_atomic_long_try_cmpxchg(&sem->count, &tmp, tmp + RWSEM_READER_BIAS, site)) {
			reader_add(sem, ls_ctx_id());
			set_reader_owned(sem, ls_ctx_id(), site);
			ls_lock_acquire(&sem->dep_map, 1, true, site);
			return 1;
		}
	}
	return 0;
}

static void up_read_common(struct rw_semaphore *sem, bool owner, const struct ls_site *site)
{
	long tmp = ls_atomic_long_op_return(&sem->count, LS_ATOMIC_ADD, -RWSEM_READER_BIAS, site);
	unsigned long before = (unsigned long)tmp + RWSEM_READER_BIAS;
	if (!(before & (unsigned long)RWSEM_READER_MASK & ~(unsigned long)RWSEM_FLAG_READFAIL)) {
		/* DEBUG_RWSEMS_WARN_ON(tmp < 0): more up_read()s than read holds. */
		ls_fail(site, "DEBUG_RWSEMS_WARN_ON(tmp < 0): %s released for read more often than "
			"taken", sem->dep_map.name);
		return;
	}
	reader_remove(sem, ls_ctx_id(), owner);
	if ((tmp & (RWSEM_LOCK_MASK | RWSEM_FLAG_WAITERS)) == RWSEM_FLAG_WAITERS)
		rwsem_wake(sem, RWSEM_WAKE_ANY, site);
}

void ls_up_read(struct rw_semaphore *sem, const struct ls_site *site)
{
	prepare(sem, site);
	ls_lock_release(&sem->dep_map, site);
	up_read_common(sem, true, site);
}

void ls_up_read_non_owner(struct rw_semaphore *sem, const struct ls_site *site)
{
	prepare(sem, site);
	up_read_common(sem, false, site);
}

/* ---- write side -------------------------------------------------------------------------- */

/* Under wait_lock.  Takes the lock, or asks for a hand-off once the waiter waited too long. */
static bool try_write_lock(struct rw_semaphore *sem, struct rwsem_waiter *waiter,
			   const struct ls_site *site)
{
	struct rwsem_waiter *first = sem->ls_first;
	long count = ls_atomic_long_read(&sem->count, site), next;
	do {
		bool has_handoff = count & RWSEM_FLAG_HANDOFF;
		/* Yield only to a hand-off the first waiter asked for. */
		if (has_handoff && first->handoff_set && waiter != first)
			return false;
		next = count;
		if (count & RWSEM_LOCK_MASK) {
			if (has_handoff || !timed_out(waiter))
				return false;
			next |= RWSEM_FLAG_HANDOFF;
		} else {
			next |= RWSEM_WRITER_LOCKED;
			next &= ~RWSEM_FLAG_HANDOFF;
			if (sem->ls_first == sem->ls_last)
				next &= ~RWSEM_FLAG_WAITERS;
		}
	} while (!ls_atomic_long_try_cmpxchg(&sem->count, &count, next, site));

	if (next & RWSEM_FLAG_HANDOFF) {
		first->handoff_set = true;
		return false;
	}
	del_waiter(sem, waiter);
	ls_lock_acquired(&sem->dep_map, site);
	set_owner(sem, site);
	return true;
}

static void down_write_slowpath(struct rw_semaphore *sem, const struct ls_site *site)
{
	int me = ls_ctx_id();
	struct wake_q q = { false, -1 };

	/* All that is left of optimistic spinning: take a free lock without queueing, as a
	 * spinning writer may even when others wait (but never against a hand-off). */
	long count = ls_atomic_long_read(&sem->count, site);
	while (!(count & (RWSEM_LOCK_MASK | RWSEM_FLAG_HANDOFF)))
		if (ls_atomic_long_try_cmpxchg(&sem->count, &count, count | RWSEM_WRITER_LOCKED,
					       site)) {
			ls_lock_acquired(&sem->dep_map, site);
			set_owner(sem, site);
			return;
		}

	struct rwsem_waiter waiter = {
		.task = me + 1,
		.ctx = me,
		.type = RWSEM_WAITING_FOR_WRITE,
		.timeout = ls_now() + RWSEM_WAIT_TIMEOUT_NS,
	};
	ls_irq_disable();
	ls_raw_spin_lock(&sem->wait_lock, site);
	add_waiter(sem, &waiter);
	ls_lock_contended(&sem->dep_map, site);
	if (sem->ls_first != &waiter) {
		cond_wake_waiter(sem, ls_atomic_long_read(&sem->count, site), &q, site);
		if (!wake_q_empty(&q)) {
			ls_raw_spin_unlock(&sem->wait_lock, site);
			ls_irq_enable();
			wake_up_q(sem, &q, site);
			ls_irq_disable();
			ls_raw_spin_lock(&sem->wait_lock, site);
		}
	} else {
		ls_atomic_long_fetch_op(&sem->count, LS_ATOMIC_OR, RWSEM_FLAG_WAITERS, site);
	}

	task_sleeping(me) = true;	/* set_current_state(TASK_UNINTERRUPTIBLE) */
	while (!try_write_lock(sem, &waiter, site)) {
		ls_raw_spin_unlock(&sem->wait_lock, site);
		ls_irq_enable();
		/* schedule(): the state check and the park are one step. */
		while (task_sleeping(me))
			ls_park(&sem->ls_write_wake, LS_NO_DEADLINE, site);
		task_sleeping(me) = true;
		ls_irq_disable();
		ls_raw_spin_lock(&sem->wait_lock, site);
	}
	task_sleeping(me) = false;
	ls_raw_spin_unlock(&sem->wait_lock, site);
	ls_irq_enable();
}

void ls_down_write(struct rw_semaphore *sem, const struct ls_site *site)
{
	ls_down_write_nested(sem, 0, site);
}

void ls_down_write_nested(struct rw_semaphore *sem, unsigned subclass, const struct ls_site *site)
{
	ls_might_sleep(site);
	prepare(sem, site);
	ls_lock_acquire_nested(&sem->dep_map, subclass, 0, false, site);
	if (ls_atomic_long_cmpxchg(&sem->count, 0, RWSEM_WRITER_LOCKED, site) == 0) {
		ls_lock_acquired(&sem->dep_map, site);
		set_owner(sem, site);
		return;
	}
	down_write_slowpath(sem, site);
}

int ls_down_write_trylock(struct rw_semaphore *sem, const struct ls_site *site)
{
	prepare(sem, site);
	if (ls_atomic_long_cmpxchg(&sem->count, 0, RWSEM_WRITER_LOCKED, site) != 0)
		return 0;
	set_owner(sem, site);
	ls_lock_acquire(&sem->dep_map, 0, true, site);
	return 1;
}

void ls_up_write(struct rw_semaphore *sem, const struct ls_site *site)
{
	prepare(sem, site);
	ls_lock_release(&sem->dep_map, site);
	if (!(sem->count.counter & RWSEM_WRITER_LOCKED)) {
		ls_fail(site, "DEBUG_RWSEMS_WARN_ON(!writer): up_write of %s, not held for write",
			sem->dep_map.name);
		return;
	}
	ls_atomic_long_set(&sem->owner, 0, site);
	long tmp = ls_atomic_long_fetch_op(&sem->count, LS_ATOMIC_ADD, -RWSEM_WRITER_LOCKED, site);
	if (tmp & RWSEM_FLAG_WAITERS)
		rwsem_wake(sem, RWSEM_WAKE_ANY, site);
}

void ls_downgrade_write(struct rw_semaphore *sem, const struct ls_site *site)
{
	prepare(sem, site);
	/* lock_downgrade(): the held entry becomes a read hold; no new dependency. */
	ls_lock_release(&sem->dep_map, site);
	ls_lock_acquire(&sem->dep_map, 1, true, site);
	long tmp = ls_atomic_long_fetch_op(&sem->count, LS_ATOMIC_ADD,
					   RWSEM_READER_BIAS - RWSEM_WRITER_LOCKED, site);
	reader_add(sem, ls_ctx_id());
	set_reader_owned(sem, ls_ctx_id(), site);
	if (tmp & RWSEM_FLAG_WAITERS)
		rwsem_wake(sem, RWSEM_WAKE_READ_OWNED, site);
}

void ls_rwsem_might_lock_read(struct rw_semaphore *sem, const struct ls_site *site)
{
	prepare(sem, site);
	ls_lock_acquire(&sem->dep_map, 1, false, site);
	ls_lock_release(&sem->dep_map, site);
}

int ls_rwsem_is_locked(struct rw_semaphore *sem, const struct ls_site *site)
{
	prepare(sem, site);
	return ls_atomic_long_read(&sem->count, site) != 0;
}

/* struct mutex: an owner word, a FIFO wait list under wait_lock, direct hand-off.
 *
 * The owner word is 0 when the mutex is free, else the owner's tag (its context id, shifted)
 * with MUTEX_FLAG_WAITERS set while the wait list is not empty.  Every waiter parks on it.
 *
 *   lock, fast:   cmpxchg(owner, 0 -> me).  Fails whenever WAITERS is set, so a newcomer never
 *                 overtakes a queued waiter.
 *   lock, slow:   under wait_lock: take the mutex if it is free and nobody waits; otherwise queue
 *                 at the tail, the first waiter setting WAITERS
 *                   (owner, WAITERS): o, 0 -> o, 1
 *                 then drop wait_lock and sleep until the owner word names it with PICKUP set
 *                 (the unlocker handed the mutex over; a task that locks a mutex it already owns
 *                 sees its own tag without PICKUP and waits forever) or says free.  The new owner
 *                 clears PICKUP and returns, as __mutex_trylock_common() does.  Free is only seen
 *                 by the first waiter when the holder's fast unlock ran before WAITERS was set:
 *                 it takes the mutex under wait_lock.
 *   unlock, fast: cmpxchg(owner, me -> 0), when WAITERS is clear.
 *   unlock, slow: under wait_lock: dequeue the first waiter and store its tag with PICKUP as
 *                 the owner, in one store (the kernel's __mutex_handoff())
 *                   (owner, WAITERS, PICKUP): me, 1, 0 -> first, (list still not empty), 1
 *                 which wakes it.  The hand-off is that one store: the waiter learns it owns the
 *                 mutex from the word itself, so there is no step at which it could return while
 *                 the word still names the unlocker.
 *
 * The kernel's mutex lets a spinning or newly arriving task steal the lock from a woken waiter
 * until that waiter asks for a hand-off; the model always hands off.  That keeps every execution
 * one the kernel can also produce (the one where no stealer arrives in time) and makes the wait
 * order FIFO.  Optimistic spinning, ww_mutex and DEBUG_MUTEXES checks other than an unlock by a
 * non-owner are left out.
 */
#include <lockstep/kernel.h>

#include <string.h>

struct mutex_waiter {
	struct mutex_waiter *next;
	int ctx;
};

#define MUTEX_FLAG_WAITERS 0x01L
#define MUTEX_FLAG_PICKUP 0x04L	/* handed to the owner named, which has not taken it yet */
#define MUTEX_FLAGS 0x07L

/* Context -1 (init, outside an execution) must not read as "free". */
static long tag_of(int ctx)
{
	return ((long)ctx + 2) << 3;
}

static int ctx_of(long owner)
{
	return (owner & ~MUTEX_FLAGS) ? (int)(owner >> 3) - 2 : -1;
}

/* A queued waiter waits for the waiter ahead of it; the first one (and anyone not queued) for
 * the owner.  The object registered is the owner word. */
static struct ls_blocker mutex_blocker(const void *obj, const void *addr, int waiter)
{
	const struct mutex *lock = container_of(obj, struct mutex, owner);
	const struct mutex_waiter *prev = NULL;
	for (const struct mutex_waiter *w = lock->ls_first; w; prev = w, w = w->next)
		if (w->ctx == waiter) {
			if (prev)
				return (struct ls_blocker){ prev->ctx, LS_WAIT_QUEUED };
			break;
		}
	/* The owner may be the waiter itself: a task locking a mutex it holds waits forever. */
	int owner = ctx_of(lock->owner.counter);
	if (owner < 0)
		return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
	return (struct ls_blocker){ owner, LS_WAIT_HOLDER };
}

static void reset(struct mutex *lock)
{
	lock->owner.counter = 0;
	lock->ls_first = lock->ls_last = NULL;
	ls_raw_spin_lock_init_internal(&lock->wait_lock);
	ls_lock_mark_fresh(&lock->gen);
}

static void publish(struct mutex *lock)
{
	/* Only the owner word: the wait lock inside is not a name for a wait. */
	ls_object_register(&lock->owner, sizeof(lock->owner), lock->dep_map.name, mutex_blocker);
}

void ls_mutex_init(struct mutex *lock, const char *name, const void *key)
{
	/* DEBUG_MUTEXES' debug_mutex_init(): re-initialising a held mutex is freeing it. */
	ls_lockdep_check_freed(lock, sizeof(*lock), key);
	reset(lock);
	ls_lockdep_init_map(&lock->dep_map, lock, ls_lock_class_name(name), key, LS_WAIT_SLEEP, 0);
	publish(lock);
}

static void prepare(struct mutex *lock, const struct ls_site *site)
{
	if (!ls_lock_fresh(&lock->gen))
		return;
	reset(lock);
	struct ls_lockdep_map *map = &lock->dep_map;
	if (!map->key)
		ls_lock_uninitialised(map, site);
	ls_lockdep_reset_map(map, lock);
	publish(lock);
}

/* ---- might_sleep() ----------------------------------------------------------------------- */

static const char *short_path(const char *path)
{
	const char *s = strstr(path, "targets/");
	if (s)
		return s;
	s = strrchr(path, '/');
	return s ? s + 1 : path;
}

void ls_might_sleep(const struct ls_site *site)
{
	int id = ls_ctx_id();
	if (id < 0)
		return;
	bool atomic = ls_ctx_kind() != LS_CTX_TASK || ls_preempt_count() != 0;
	bool irqs_off = ls_irqs_disabled();
	if (!atomic && !irqs_off)
		return;
	ls_fail(site,
		"BUG: sleeping function called from invalid context at %s:%d: in_atomic(): %d, "
		"irqs_disabled(): %d, name: %s",
		site ? short_path(site->file) : "?", site ? site->line : 0, atomic, irqs_off,
		ls_ctx_name(id));
}

/* ---- the wait list (under wait_lock) ----------------------------------------------------- */

static void enqueue(struct mutex *lock, struct mutex_waiter *w)
{
	w->next = NULL;
	if (lock->ls_last)
		lock->ls_last->next = w;
	else
		lock->ls_first = w;
	lock->ls_last = w;
}

static void dequeue_first(struct mutex *lock)
{
	lock->ls_first = lock->ls_first->next;
	if (!lock->ls_first)
		lock->ls_last = NULL;
}

/* ---- lock and unlock --------------------------------------------------------------------- */

void ls_mutex_lock(struct mutex *lock, const struct ls_site *site)
{
	ls_mutex_lock_nested(lock, 0, site);
}

void ls_mutex_lock_nested(struct mutex *lock, unsigned subclass, const struct ls_site *site)
{
	ls_might_sleep(site);
	prepare(lock, site);
	ls_lock_acquire_nested(&lock->dep_map, subclass, 0, false, site);
	long me = tag_of(ls_ctx_id());
	if (ls_atomic_long_cmpxchg(&lock->owner, 0, me, site) == 0) {
		ls_lock_acquired(&lock->dep_map, site);
		return;
	}

	struct mutex_waiter w = { NULL, ls_ctx_id() };
	ls_raw_spin_lock(&lock->wait_lock, site);
	if (!lock->ls_first && ls_atomic_long_cmpxchg(&lock->owner, 0, me, site) == 0) {
		ls_lock_acquired(&lock->dep_map, site);
		ls_raw_spin_unlock(&lock->wait_lock, site);
		return;
	}
	enqueue(lock, &w);
	ls_lock_contended(&lock->dep_map, site);
	if (lock->ls_first == &w)
		ls_atomic_long_fetch_op(&lock->owner, LS_ATOMIC_OR, MUTEX_FLAG_WAITERS, site);
	for (;;) {
		if (lock->ls_first == &w) {
			long v = ls_atomic_long_read(&lock->owner, site);
			if (!(v & ~MUTEX_FLAGS)) {
				/* Free and we are first: the holder unlocked before WAITERS was set. */
				dequeue_first(lock);
				long flags = lock->ls_first ? MUTEX_FLAG_WAITERS : 0;
				ls_atomic_long_set(&lock->owner, me | flags, site);
				ls_lock_acquired(&lock->dep_map, site);
				ls_raw_spin_unlock(&lock->wait_lock, site);
				return;
			}
		}
		ls_raw_spin_unlock(&lock->wait_lock, site);
		for (;;) {
			/* The check and the park are one step apart with no point between them, so the
			 * hand-off store cannot slip in unseen. */
			long v = ls_atomic_long_read(&lock->owner, site);
			if ((v & MUTEX_FLAG_PICKUP) && (v & ~MUTEX_FLAGS) == me) {
				/* Handed off: the unlocker dequeued us and named us owner. */
				ls_atomic_long_fetch_op(&lock->owner, LS_ATOMIC_ANDNOT, MUTEX_FLAG_PICKUP,
							site);
				ls_lock_acquired(&lock->dep_map, site);
				return;
			}
			/* Free is for the first waiter to take; the others wait for its store. */
			if (!(v & ~MUTEX_FLAGS) && lock->ls_first == &w)
				break;
			ls_park(&lock->owner, LS_NO_DEADLINE, site);
		}
		ls_raw_spin_lock(&lock->wait_lock, site);
	}
}

int ls_mutex_trylock(struct mutex *lock, const struct ls_site *site)
{
	prepare(lock, site);
	if (ls_atomic_long_cmpxchg(&lock->owner, 0, tag_of(ls_ctx_id()), site) != 0)
		return 0;
	ls_lock_acquire(&lock->dep_map, 0, true, site);
	return 1;
}

void ls_mutex_unlock(struct mutex *lock, const struct ls_site *site)
{
	prepare(lock, site);
	ls_lock_release(&lock->dep_map, site);
	long me = tag_of(ls_ctx_id());
	long v = ls_atomic_long_cmpxchg(&lock->owner, me, 0, site);
	if (v == me)
		return;
	if ((v & ~MUTEX_FLAGS) != me) {
		ls_fail(site, "DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current): %s unlocked by %s",
			lock->dep_map.name, ls_ctx_name(ls_ctx_id()));
		return;
	}
	ls_raw_spin_lock(&lock->wait_lock, site);
	long next = 0;
	struct mutex_waiter *w = lock->ls_first;
	if (w) {
		dequeue_first(lock);
		next = tag_of(w->ctx) | MUTEX_FLAG_PICKUP | (lock->ls_first ? MUTEX_FLAG_WAITERS : 0);
	}
	ls_atomic_long_set(&lock->owner, next, site);
	ls_raw_spin_unlock(&lock->wait_lock, site);
}

bool ls_mutex_is_locked(struct mutex *lock, const struct ls_site *site)
{
	prepare(lock, site);
	return (ls_atomic_long_read(&lock->owner, site) & ~MUTEX_FLAGS) != 0;
}

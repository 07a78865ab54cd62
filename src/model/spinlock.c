/* spinlock_t as a test-and-set lock with parking.
 *
 * lock:   preempt_disable(); then cmpxchg(val, 0 -> 1) until it succeeds, parking on the word
 *         after each failure (the holder's release store wakes every waiter, which retries).
 * unlock: release store val = 0 (and clear the owner with it), preempt_enable().
 * No fairness and no queue: which waiter wins after a release is the scheduler's choice, which is
 * what a test-and-set lock gives on real hardware too. */
#include <lockstep/kernel.h>

static int spin_owner(const void *addr)
{
	const spinlock_t *lock = addr;
	return lock->val.counter ? lock->owner : -1;
}

void ls_spin_lock_init(spinlock_t *lock, const char *name)
{
	lock->val.counter = 0;
	lock->owner = -1;
	/* spin_lock_init(&lock_a) names the lock "lock_a", as lockdep does. */
	lock->name = name[0] == '&' ? name + 1 : name;
	ls_object_register(lock, sizeof(*lock), lock->name, spin_owner);
}

void ls_spin_lock(spinlock_t *lock, const struct ls_site *site)
{
	ls_preempt_disable();
	while (ls_atomic_cmpxchg(&lock->val, 0, 1, site) != 0)
		ls_park(&lock->val, LS_NO_DEADLINE, site);
	lock->owner = ls_ctx_id();
}

bool ls_spin_trylock(spinlock_t *lock, const struct ls_site *site)
{
	ls_preempt_disable();
	if (ls_atomic_cmpxchg(&lock->val, 0, 1, site) != 0) {
		ls_preempt_enable();
		return false;
	}
	lock->owner = ls_ctx_id();
	return true;
}

void ls_spin_unlock(spinlock_t *lock, const struct ls_site *site)
{
	/* The owner goes with the release store, not before its scheduling point: a context
	 * stopped at that point still holds the lock. */
	ls_atomic_set(&lock->val, 0, site);
	lock->owner = -1;
	ls_preempt_enable();
}

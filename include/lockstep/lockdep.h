/* The lock validator's interface for lock models: lockdep's annotations, under lockstep names.
 *
 * A lock model embeds a struct ls_lockdep_map and reports each acquisition and release:
 *
 *   blocking acquire:  ls_lock_acquire(map, read, false, site) before the first attempt, so the
 *                      validator can warn before the context blocks (lockdep does the same);
 *                      from then on the context is "trying to acquire" it;
 *                      ls_lock_contended(map, site) once it waits in the lock's queue (optional:
 *                      an interrupt that takes the same lock behind it can never get it);
 *                      ls_lock_acquired(map, site) right after the operation that gave it the
 *                      lock: it holds the lock from that step on (lockdep's lock_acquired());
 *                      ls_lock_release(map, site) instead, if the attempt failed;
 *   trylock:           ls_lock_acquire(map, read, true, site) only after it succeeded (held at
 *                      once);
 *   release:           ls_lock_release(map, site) when the lock is given up.
 *
 * read is lockdep's: 0 exclusive, 1 non-recursive read (down_read), 2 recursive read.
 *
 * The class of a lock is its key: the static site of the spin_lock_init()-style call that
 * initialised it, or the lock itself for statically defined locks, so every lock initialised at
 * one line shares one class, as in the kernel.  Classes and the dependency graph outlive an
 * execution: a campaign accumulates them and finds orders that no single execution combined.
 * Held locks live per context (task, hardirq, NMI), so dependencies stay inside one context.
 */
#ifndef LOCKSTEP_LOCKDEP_H
#define LOCKSTEP_LOCKDEP_H

#include <stdbool.h>
#include <stdint.h>

#include <lockstep/runtime.h>

/* Lockdep's wait types, printed as {outer:inner}. */
enum ls_wait_type {
	LS_WAIT_SPIN = 2,	/* raw_spinlock_t */
	LS_WAIT_CONFIG = 3,	/* spinlock_t */
	LS_WAIT_SLEEP = 4,	/* mutex, rw_semaphore */
};

/* Flags of a lock map. */
#define LS_LOCKDEP_RESILIENT 0x1u	/* acquisition can fail (rqspinlock): cycles are averted */
#define LS_LOCKDEP_NOVALIDATE 0x2u	/* never tracked (lockdep_set_novalidate_class) */

struct ls_lockdep_map {
	const char *name;	/* class name for reports: "lock_a", "&mm->mmap_lock" */
	const void *key;	/* class key: init site or the lock itself */
	const void *lock;	/* the lock instance, for instance-level checks and reports */
	uint16_t class_id;	/* cached lookup of key; 0 until the first acquisition */
	uint8_t wait_type;	/* enum ls_wait_type */
	uint8_t flags;		/* LS_LOCKDEP_* */
};

/* Initialises map for the lock at `lock`.  name may start with '&' as lockdep's do. */
void ls_lockdep_init_map(struct ls_lockdep_map *map, const void *lock, const char *name,
			 const void *key, enum ls_wait_type wait_type, unsigned flags);

void ls_lock_acquire(struct ls_lockdep_map *map, int read, bool trylock,
		     const struct ls_site *site);
void ls_lock_contended(struct ls_lockdep_map *map, const struct ls_site *site);
void ls_lock_acquired(struct ls_lockdep_map *map, const struct ls_site *site);
void ls_lock_release(struct ls_lockdep_map *map, const struct ls_site *site);

/* True when the current context holds a lock of map's instance (lockdep_is_held); an acquisition
 * not yet completed counts, as with lockdep. */
bool ls_lockdep_is_held(const struct ls_lockdep_map *map);
/* lockdep_assert_held(): an invariant failure when the current context does not hold map. */
#define lockdep_assert_held(m) ls_lockdep_assert_held(&(m)->dep_map, LS_SITE("lockdep_assert_held"))
void ls_lockdep_assert_held(const struct ls_lockdep_map *map, const struct ls_site *site);

#endif

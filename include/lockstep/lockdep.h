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
#include <stddef.h>
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
	const void *key;	/* class key: init site, the lock itself, or a lock_class_key */
	const void *lock;	/* the lock instance, for instance-level checks and reports */
	uint16_t class_id;	/* cached lookup of key; 0 until the first acquisition */
	uint8_t wait_type;	/* enum ls_wait_type */
	uint8_t flags;		/* LS_LOCKDEP_* */
	uint8_t subclass;	/* lockdep_set_subclass(): the subclass of a plain acquisition */
};

/* Subclasses: a lock class is a (key, subclass) pair, as in lockdep, where subclass n of key k is
 * the class keyed by the byte k + n.  Every key names an object of at least
 * MAX_LOCKDEP_SUBCLASSES bytes (a static ls_site, a lock, a struct lock_class_key), so the
 * subclasses of two keys never meet.  A subclass n > 0 prints as "name/n". */
#define MAX_LOCKDEP_SUBCLASSES 8u
#define SINGLE_DEPTH_NESTING 1

/* A dynamic class key: lockdep_set_class(lock, &key) puts every lock given the same key in one
 * class, whatever line initialised it. */
struct lock_class_key {
	char ls_subkeys[MAX_LOCKDEP_SUBCLASSES];
};

/* Initialises map for the lock at `lock`.  name may start with '&' as lockdep's do. */
void ls_lockdep_init_map(struct ls_lockdep_map *map, const void *lock, const char *name,
			 const void *key, enum ls_wait_type wait_type, unsigned flags);

/* A lock met for the first time in an execution (spinlock.h, ls_lock_fresh()): the same lock as
 * before, class, name and subclass kept; only the cached class lookup is forgotten. */
void ls_lockdep_reset_map(struct ls_lockdep_map *map, const void *lock);

void ls_lock_acquire(struct ls_lockdep_map *map, int read, bool trylock,
		     const struct ls_site *site);
/* As ls_lock_acquire(), for subclass `subclass` (the *_nested() forms); 0 is the map's default. */
void ls_lock_acquire_nested(struct ls_lockdep_map *map, unsigned subclass, int read, bool trylock,
			    const struct ls_site *site);
void ls_lock_contended(struct ls_lockdep_map *map, const struct ls_site *site);
void ls_lock_acquired(struct ls_lockdep_map *map, const struct ls_site *site);
void ls_lock_release(struct ls_lockdep_map *map, const struct ls_site *site);

/* True when the current context holds a lock of map's instance (lockdep_is_held); an acquisition
 * not yet completed counts, as with lockdep. */
bool ls_lockdep_is_held(const struct ls_lockdep_map *map);
/* How the current context holds map: -1 not at all, 0 exclusively, 1 or 2 for reading. */
int ls_lockdep_held_type(const struct ls_lockdep_map *map);

/* The lockdep assertions.  Each is an invariant failure, with lockdep's WARN text, when it does
 * not hold.  Like lockdep's, they say nothing inside an NMI under --lockdep-compat. */
enum ls_assert_held { LS_ASSERT_HELD, LS_ASSERT_NOT_HELD, LS_ASSERT_HELD_WRITE,
		      LS_ASSERT_HELD_READ };
void ls_lockdep_assert(const struct ls_lockdep_map *map, enum ls_assert_held what,
		       const struct ls_site *site);
#define lockdep_assert_held(m)                                                                  \
	ls_lockdep_assert(&(m)->dep_map, LS_ASSERT_HELD, LS_SITE("lockdep_assert_held"))
#define lockdep_assert_not_held(m)                                                              \
	ls_lockdep_assert(&(m)->dep_map, LS_ASSERT_NOT_HELD, LS_SITE("lockdep_assert_not_held"))
#define lockdep_assert_held_write(m)                                                            \
	ls_lockdep_assert(&(m)->dep_map, LS_ASSERT_HELD_WRITE, LS_SITE("lockdep_assert_held_write"))
#define lockdep_assert_held_read(m)                                                             \
	ls_lockdep_assert(&(m)->dep_map, LS_ASSERT_HELD_READ, LS_SITE("lockdep_assert_held_read"))
#define lockdep_is_held(m) ls_lockdep_is_held(&(m)->dep_map)
void ls_lockdep_assert_irqs(bool disabled, const struct ls_site *site);
#define lockdep_assert_irqs_disabled()                                                          \
	ls_lockdep_assert_irqs(true, LS_SITE("lockdep_assert_irqs_disabled"))
#define lockdep_assert_irqs_enabled()                                                           \
	ls_lockdep_assert_irqs(false, LS_SITE("lockdep_assert_irqs_enabled"))

/* ---- classes ------------------------------------------------------------------------------ */

/* lockdep_set_class_and_subclass(): map's lock joins key's class under name.  Call it after the
 * lock's init, as in the kernel. */
void ls_lockdep_set_class(struct ls_lockdep_map *map, const struct lock_class_key *key,
			  const char *name, unsigned subclass);
/* lockdep_set_subclass(): plain acquisitions of map use subclass `subclass` of its key. */
void ls_lockdep_set_subclass(struct ls_lockdep_map *map, unsigned subclass);
#define lockdep_set_class(l, k) ls_lockdep_set_class(&(l)->dep_map, (k), #k, 0)
#define lockdep_set_class_and_name(l, k, n) ls_lockdep_set_class(&(l)->dep_map, (k), (n), 0)
#define lockdep_set_class_and_subclass(l, k, sub)                                               \
	ls_lockdep_set_class(&(l)->dep_map, (k), #k, (sub))
#define lockdep_set_subclass(l, sub) ls_lockdep_set_subclass(&(l)->dep_map, (sub))
#define lockdep_set_novalidate_class(l) ((void)((l)->dep_map.flags |= LS_LOCKDEP_NOVALIDATE))

/* lockdep_irq_work_enter()/_exit(), around an irq_work's function: `config` when the work is not
 * IRQ_WORK_HARD_IRQ, which lets the hardirq running it take spinlock_t-class ({3:3}) locks.  A
 * hardirq source a target declares is taken to be a threaded device interrupt, which may too. */
void ls_lockdep_irq_work_enter(bool config);
void ls_lockdep_irq_work_exit(void);

/* ---- held-lock lifetime ------------------------------------------------------------------- */

/* debug_check_no_locks_freed(): the memory [addr, addr + len) is being freed or re-initialised;
 * a lock inside it that a context holds is lockdep's "WARNING: held lock freed!".  Every lock
 * init calls it on the lock, as the kernel's debug inits do; a target calls it where the code it
 * models frees an object with a lock inside (kfree(), a map element's free). */
void ls_lockdep_check_freed(const void *addr, size_t len, const struct ls_site *site);
#define debug_check_no_locks_freed(addr, len)                                                   \
	ls_lockdep_check_freed((addr), (len), LS_SITE("debug_check_no_locks_freed"))

#endif

/* raw_spinlock_t and spinlock_t: FIFO ticket locks whose waiters park on the lock word.
 *
 * Both types share one implementation (src/model/spinlock.c explains the algorithm); they differ
 * only in their lockdep wait type, {2:2} for raw_spinlock_t and {3:3} for spinlock_t, and in that
 * spinlock_t wraps a raw_spinlock as the kernel's does, so passing one where the other is
 * expected does not compile.
 *
 *   operation                         preemption    interrupts          may be called from
 *   spin_lock / spin_unlock           off inside    unchanged           any context
 *   spin_lock_irq / spin_unlock_irq   off inside    off inside, then on task or irq-safe code
 *   spin_lock_irqsave / _irqrestore   off inside    saved, restored     any context
 *   spin_lock_bh / spin_unlock_bh     off inside    unchanged           any context; bottom halves
 *                                                                       off inside, and a softirq
 *                                                                       pending runs at the unlock
 *   spin_trylock*                     as the lock form when it returns 1; unchanged on 0
 *   *_nested(l, subclass)             as the plain form, validated as subclass `subclass` of the
 *                                     lock's class (lockdep.h), e.g. SINGLE_DEPTH_NESTING
 *
 * Lock classes (lockdep keys):
 *   DEFINE_SPINLOCK(x), DEFINE_RAW_SPINLOCK(x)   key = the lock itself, class name "x";
 *   spin_lock_init(e), raw_spin_lock_init(e)     key = the call site, so every lock initialised
 *                                                at one line shares one class, as in the kernel.
 *                                                The class name is the text of e, as lockdep
 *                                                prints it ("&mm->page_table_lock"), except that
 *                                                the '&' of a plain variable is dropped
 *                                                ("&lock_a" -> "lock_a") so that a static lock
 *                                                reads the same whether defined or initialised.
 *
 * A target rebuilds its state before every execution.  Locks defined with DEFINE_* need no
 * init call: the first operation of each execution finds the lock in its initial, unlocked
 * state (each execution is a fresh boot).  A lock that is neither statically defined nor
 * initialised is reported like lockdep does ("INFO: trying to register non-static key").
 */
#ifndef LOCKSTEP_SPINLOCK_H
#define LOCKSTEP_SPINLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include <lockstep/atomic.h>
#include <lockstep/lockdep.h>
#include <lockstep/runtime.h>

/* Tickets outstanding at once: one per context waiting or holding, and a second for a context
 * that takes a lock it holds (it never gets it, and draws no third). */
#define LS_TICKET_SLOTS 64

typedef struct raw_spinlock {
	atomic_t val;			/* ticket word: next ticket << 16 | ticket now served */
	unsigned gen;			/* execution the state belongs to (see ls_lock_fresh) */
	/* For reports: context id + 1 of whoever drew ticket t, at t % LS_TICKET_SLOTS.  The
	 * tickets from the one served to the next are valid: the holder's and the waiters'. */
	unsigned char ls_tickets[LS_TICKET_SLOTS];
	struct ls_lockdep_map dep_map;
} raw_spinlock_t;

/* Like the kernel's with lockdep on: dep_map overlays rlock.dep_map, so lockdep_assert_held()
 * and friends take either type. */
typedef struct spinlock {
	union {
		struct raw_spinlock rlock;
		struct {
			char ls_pad[offsetof(struct raw_spinlock, dep_map)];
			struct ls_lockdep_map dep_map;
		};
	};
} spinlock_t;

#define LS_RAW_SPINLOCK_INIT(x, wait)                                                           \
	{ .val = ATOMIC_INIT(0), .gen = 0,                                                       \
	  .dep_map = { .name = #x, .key = &(x), .lock = &(x), .wait_type = (wait) } }

#define DEFINE_RAW_SPINLOCK(x) raw_spinlock_t x = LS_RAW_SPINLOCK_INIT(x, LS_WAIT_SPIN)
#define DEFINE_SPINLOCK(x) spinlock_t x = { { .rlock = LS_RAW_SPINLOCK_INIT(x, LS_WAIT_CONFIG) } }

/* ---- the implementation the macros call -------------------------------------------------- */

/* name: the init expression's text, key: the init site (NULL: the lock itself). */
void ls_raw_spin_lock_init(raw_spinlock_t *lock, const char *name, const void *key,
			   enum ls_wait_type wait_type);
void ls_raw_spin_lock(raw_spinlock_t *lock, const struct ls_site *site);
void ls_raw_spin_lock_nested(raw_spinlock_t *lock, unsigned subclass, const struct ls_site *site);
int ls_raw_spin_trylock(raw_spinlock_t *lock, const struct ls_site *site);
void ls_raw_spin_unlock(raw_spinlock_t *lock, const struct ls_site *site);
int ls_raw_spin_is_locked(raw_spinlock_t *lock, const struct ls_site *site);
unsigned long ls_raw_spin_lock_irqsave(raw_spinlock_t *lock, const struct ls_site *site);
unsigned long ls_raw_spin_lock_irqsave_nested(raw_spinlock_t *lock, unsigned subclass,
					      const struct ls_site *site);
int ls_raw_spin_trylock_irqsave(raw_spinlock_t *lock, unsigned long *flags,
				const struct ls_site *site);
void ls_raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags,
				   const struct ls_site *site);

/* A lock internal to another model (an rwsem's or a mutex's wait_lock): not validated, not
 * named in reports. */
void ls_raw_spin_lock_init_internal(raw_spinlock_t *lock);

/* ---- raw_spinlock_t ---------------------------------------------------------------------- */

#define raw_spin_lock_init(l)                                                                   \
	ls_raw_spin_lock_init((l), #l, LS_SITE("raw_spin_lock_init"), LS_WAIT_SPIN)
#define raw_spin_lock(l) ls_raw_spin_lock((l), LS_SITE("raw_spin_lock"))
#define raw_spin_lock_nested(l, sub)                                                            \
	ls_raw_spin_lock_nested((l), (sub), LS_SITE("raw_spin_lock_nested"))
#define raw_spin_trylock(l) ls_raw_spin_trylock((l), LS_SITE("raw_spin_trylock"))
#define raw_spin_unlock(l) ls_raw_spin_unlock((l), LS_SITE("raw_spin_unlock"))
#define raw_spin_is_locked(l) ls_raw_spin_is_locked((l), LS_SITE("raw_spin_is_locked"))
#define raw_spin_lock_irq(l)                                                                    \
	do {                                                                                     \
		ls_irq_disable();                                                                \
		ls_raw_spin_lock((l), LS_SITE("raw_spin_lock_irq"));                             \
	} while (0)
#define raw_spin_unlock_irq(l)                                                                  \
	do {                                                                                     \
		ls_raw_spin_unlock((l), LS_SITE("raw_spin_unlock_irq"));                         \
		ls_irq_enable();                                                                 \
	} while (0)
#define raw_spin_lock_irqsave(l, flags)                                                         \
	do {                                                                                     \
		(flags) = ls_raw_spin_lock_irqsave((l), LS_SITE("raw_spin_lock_irqsave"));       \
	} while (0)
#define raw_spin_lock_irqsave_nested(l, flags, sub)                                             \
	do {                                                                                     \
		(flags) = ls_raw_spin_lock_irqsave_nested((l), (sub),                           \
							  LS_SITE("raw_spin_lock_irqsave_nested")); \
	} while (0)
#define raw_spin_trylock_irqsave(l, flags)                                                      \
	ls_raw_spin_trylock_irqsave((l), &(flags), LS_SITE("raw_spin_trylock_irqsave"))
#define raw_spin_unlock_irqrestore(l, flags)                                                    \
	ls_raw_spin_unlock_irqrestore((l), (flags), LS_SITE("raw_spin_unlock_irqrestore"))

/* ---- spinlock_t -------------------------------------------------------------------------- */

#define spin_lock_init(l)                                                                       \
	ls_raw_spin_lock_init(&(l)->rlock, #l, LS_SITE("spin_lock_init"), LS_WAIT_CONFIG)
#define spin_lock(l) ls_raw_spin_lock(&(l)->rlock, LS_SITE("spin_lock"))
#define spin_lock_nested(l, sub)                                                                \
	ls_raw_spin_lock_nested(&(l)->rlock, (sub), LS_SITE("spin_lock_nested"))
#define spin_trylock(l) ls_raw_spin_trylock(&(l)->rlock, LS_SITE("spin_trylock"))
#define spin_unlock(l) ls_raw_spin_unlock(&(l)->rlock, LS_SITE("spin_unlock"))
#define spin_is_locked(l) ls_raw_spin_is_locked(&(l)->rlock, LS_SITE("spin_is_locked"))
#define spin_lock_irq(l)                                                                        \
	do {                                                                                     \
		ls_irq_disable();                                                                \
		ls_raw_spin_lock(&(l)->rlock, LS_SITE("spin_lock_irq"));                         \
	} while (0)
#define spin_unlock_irq(l)                                                                      \
	do {                                                                                     \
		ls_raw_spin_unlock(&(l)->rlock, LS_SITE("spin_unlock_irq"));                     \
		ls_irq_enable();                                                                 \
	} while (0)
#define spin_lock_irqsave(l, flags)                                                             \
	do {                                                                                     \
		(flags) = ls_raw_spin_lock_irqsave(&(l)->rlock, LS_SITE("spin_lock_irqsave"));   \
	} while (0)
#define spin_lock_irqsave_nested(l, flags, sub)                                                 \
	do {                                                                                     \
		(flags) = ls_raw_spin_lock_irqsave_nested(&(l)->rlock, (sub),                   \
							  LS_SITE("spin_lock_irqsave_nested")); \
	} while (0)
#define spin_trylock_irqsave(l, flags)                                                          \
	ls_raw_spin_trylock_irqsave(&(l)->rlock, &(flags), LS_SITE("spin_trylock_irqsave"))
#define spin_unlock_irqrestore(l, flags)                                                        \
	ls_raw_spin_unlock_irqrestore(&(l)->rlock, (flags), LS_SITE("spin_unlock_irqrestore"))
/* Bottom halves off around the lock; the unlock runs a softirq that became pending meanwhile. */
#define spin_lock_bh(l)                                                                         \
	do {                                                                                     \
		ls_bh_disable();                                                                 \
		ls_raw_spin_lock(&(l)->rlock, LS_SITE("spin_lock_bh"));                          \
	} while (0)
#define spin_unlock_bh(l)                                                                       \
	do {                                                                                     \
		ls_raw_spin_unlock(&(l)->rlock, LS_SITE("spin_unlock_bh"));                      \
		ls_bh_enable();                                                                  \
	} while (0)
#define spin_trylock_bh(l) ls_raw_spin_trylock_bh(&(l)->rlock, LS_SITE("spin_trylock_bh"))
#define raw_spin_lock_bh(l)                                                                     \
	do {                                                                                     \
		ls_bh_disable();                                                                 \
		ls_raw_spin_lock((l), LS_SITE("raw_spin_lock_bh"));                              \
	} while (0)
#define raw_spin_unlock_bh(l)                                                                   \
	do {                                                                                     \
		ls_raw_spin_unlock((l), LS_SITE("raw_spin_unlock_bh"));                          \
		ls_bh_enable();                                                                  \
	} while (0)
/* Returns 1 with bottom halves off and the lock held, 0 with both as they were. */
int ls_raw_spin_trylock_bh(raw_spinlock_t *lock, const struct ls_site *site);

/* ---- for lock models --------------------------------------------------------------------- */

/* Starts a new execution for every lock model: called by the model library's reset. */
void ls_locks_reset(void);
/* True once per execution for each lock: the first operation on a lock in an execution calls
 * it with the lock's gen field and, on true, puts the lock back in its initial state.  A lock
 * initialised during the execution's init is already current. */
bool ls_lock_fresh(unsigned *gen);
/* Marks a lock initialised now as belonging to the current execution. */
void ls_lock_mark_fresh(unsigned *gen);
/* The class name for an init expression's text (see the class note above). */
const char *ls_lock_class_name(const char *expr);
/* The context holding lock, -1 if none: on the hand model, whoever drew the ticket now served
 * (from the release store that served it on, before that context has run again); on a kernel
 * backend, as src/model/spinlock.c records it. */
int ls_raw_spin_holder(const raw_spinlock_t *lock);
/* For a lock that was neither statically defined nor initialised: lockdep's complaint. */
void ls_lock_uninitialised(struct ls_lockdep_map *map, const struct ls_site *site);

#endif

/* struct mutex: a sleeping lock with a FIFO wait list and direct hand-off; might_sleep().
 *
 *   operation          context                          returns
 *   mutex_lock         task, preemptible, irqs on       when the caller owns the mutex
 *   mutex_trylock      task                             1 acquired, 0 busy or waiters queued
 *   mutex_unlock       the owner                        -
 *   mutex_is_locked    any                              true while someone owns it
 *
 * mutex_lock() from a hardirq or NMI, with interrupts disabled or with preemption disabled is
 * the kernel's "BUG: sleeping function called from invalid context": an invariant finding.  A
 * waiter sleeps with preemption enabled, so another task of its CPU may run meanwhile.
 *
 * Lock classes: DEFINE_MUTEX(x) has class "x" keyed by the mutex; mutex_init(e) keys the class
 * by the call site and names it like spin_lock_init() does (see spinlock.h).  Wait type {4:4}.
 * As with spinlocks, a DEFINE_MUTEX needs no init call between executions.
 */
#ifndef LOCKSTEP_MUTEX_H
#define LOCKSTEP_MUTEX_H

#include <stdbool.h>

#include <lockstep/atomic.h>
#include <lockstep/lockdep.h>
#include <lockstep/runtime.h>
#include <lockstep/spinlock.h>

struct mutex_waiter;

struct mutex {
	/* 0 when free; otherwise (owner context id + 1) << 3 | MUTEX_FLAG_WAITERS when the wait
	 * list is not empty.  Waiters park on this word. */
	atomic_long_t owner;
	raw_spinlock_t wait_lock;		/* protects the wait list; internal */
	struct mutex_waiter *ls_first;		/* FIFO wait list: waiters live on their stacks */
	struct mutex_waiter *ls_last;
	unsigned gen;
	struct ls_lockdep_map dep_map;
};

#define DEFINE_MUTEX(x)                                                                         \
	struct mutex x = { .owner = ATOMIC_LONG_INIT(0),                                         \
			   .dep_map = { .name = #x, .key = &(x), .lock = &(x),                   \
					.wait_type = LS_WAIT_SLEEP } }

void ls_mutex_init(struct mutex *lock, const char *name, const void *key);
void ls_mutex_lock(struct mutex *lock, const struct ls_site *site);
void ls_mutex_lock_nested(struct mutex *lock, unsigned subclass, const struct ls_site *site);
int ls_mutex_trylock(struct mutex *lock, const struct ls_site *site);
void ls_mutex_unlock(struct mutex *lock, const struct ls_site *site);
bool ls_mutex_is_locked(struct mutex *lock, const struct ls_site *site);

#define mutex_init(l) ls_mutex_init((l), #l, LS_SITE("mutex_init"))
#define mutex_lock(l) ls_mutex_lock((l), LS_SITE("mutex_lock"))
#define mutex_lock_nested(l, sub) ls_mutex_lock_nested((l), (sub), LS_SITE("mutex_lock_nested"))
#define mutex_trylock(l) ls_mutex_trylock((l), LS_SITE("mutex_trylock"))
#define mutex_unlock(l) ls_mutex_unlock((l), LS_SITE("mutex_unlock"))
#define mutex_is_locked(l) ls_mutex_is_locked((l), LS_SITE("mutex_is_locked"))

/* ---- might_sleep() ----------------------------------------------------------------------- */

/* CONFIG_DEBUG_ATOMIC_SLEEP's check, for every model operation that may sleep: a hardirq or
 * NMI, disabled interrupts or a raised preemption count (in_atomic()) end the execution with
 * "BUG: sleeping function called from invalid context at FILE:LINE". */
void ls_might_sleep(const struct ls_site *site);
#define might_sleep() ls_might_sleep(LS_SITE("might_sleep"))

#endif

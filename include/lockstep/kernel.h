/* The model library: kernel primitives under their kernel names, each operation on shared state a
 * scheduling point.  Targets include this header and read like the kernel code they model.
 *
 * This is the first slice of the library: atomic_t, READ_ONCE/WRITE_ONCE, interrupt and
 * preemption control, context queries, and a test-and-set spinlock_t.  Every macro passes the
 * caller's source site, so reports point at the target's line, not at the library.
 *
 * Concurrency contract: all operations may be called from any context (task, hardirq, NMI); the
 * scheduler serialises them, and each runs atomically at its point.
 */
#ifndef LOCKSTEP_KERNEL_H
#define LOCKSTEP_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include <lockstep/runtime.h>
#include <lockstep/atomic.h>
#include <lockstep/percpu.h>
#include <lockstep/lockdep.h>

/* ---- objects: names for reports ---------------------------------------------------------- */

/* Registers a named object so reports can say "lock_a (held by t1)".  owner, if not NULL,
 * returns the id of the context holding it.  Registrations last until the next execution. */
void ls_object_register(const void *addr, unsigned size, const char *name,
			int (*owner)(const void *addr));
/* Forgets every registration; the executor calls it before each target init. */
void ls_objects_reset(void);
/* Installs the report hooks on the current machine. */
void ls_objects_install(void);

/* ---- spinlock_t -------------------------------------------------------------------------- */

/* A test-and-set lock: enough for the demos.  A waiter parks on the lock word until the holder's
 * release store, so waiting costs no steps.  The queued (FIFO) lock arrives with the full model
 * library. */
typedef struct {
	atomic_t val;		/* 0 unlocked, 1 locked */
	int owner;		/* context id of the holder, -1: for reports only */
	const char *name;
} spinlock_t;

#define DEFINE_SPINLOCK(x) spinlock_t x = { ATOMIC_INIT(0), -1, #x }

void ls_spin_lock_init(spinlock_t *lock, const char *name);
void ls_spin_lock(spinlock_t *lock, const struct ls_site *site);
bool ls_spin_trylock(spinlock_t *lock, const struct ls_site *site);
void ls_spin_unlock(spinlock_t *lock, const struct ls_site *site);

#define spin_lock_init(l) ls_spin_lock_init((l), #l)
#define spin_lock(l) ls_spin_lock((l), LS_SITE("spin_lock"))
#define spin_trylock(l) ls_spin_trylock((l), LS_SITE("spin_trylock"))
#define spin_unlock(l) ls_spin_unlock((l), LS_SITE("spin_unlock"))
#define spin_lock_irqsave(l, flags)                                   \
	do {                                                          \
		(flags) = ls_irq_save();                              \
		ls_spin_lock((l), LS_SITE("spin_lock_irqsave"));      \
	} while (0)
#define spin_unlock_irqrestore(l, flags)                              \
	do {                                                          \
		ls_spin_unlock((l), LS_SITE("spin_unlock_irqrestore")); \
		ls_irq_restore(flags);                                \
	} while (0)

#endif

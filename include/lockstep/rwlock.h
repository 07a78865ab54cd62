/* rwlock_t: the kernel's queued rwlock (qrwlock), a spinning reader-writer lock whose waiters
 * park on the lock word.  src/model/rwlock.c explains the algorithm.
 *
 *   operation                            preemption   interrupts           may be called from
 *   read_lock / read_unlock              off inside   unchanged            any context
 *   write_lock / write_unlock            off inside   unchanged            any context
 *   *_lock_irq / *_unlock_irq            off inside   off inside, then on  task or irq-safe code
 *   *_lock_irqsave / *_unlock_irqrestore off inside   saved, restored      any context
 *   *_lock_bh / *_unlock_bh              off inside   unchanged            any context; bottom
 *                                                                          halves off inside, and
 *                                                                          a softirq pending runs
 *                                                                          at the unlock
 *   read_trylock, write_trylock          as the lock form when they return 1; unchanged on 0
 *   write_lock_nested(l, subclass)       as write_lock, validated as subclass `subclass` of the
 *                                        lock's class (lockdep.h)
 *
 * Who may pass whom:
 *
 *   holding \ asking        read (task)          read (in_interrupt())      write
 *   readers only            shares               shares                     waits
 *   readers, writer waits   waits behind writer  shares                     waits behind writer
 *   writer                  waits                waits                      waits
 *
 * A reader in process context queues behind a waiting writer, so a task that takes a rwlock for
 * read twice deadlocks when a writer starts waiting in between.  in_interrupt() means a hardirq,
 * an NMI, a softirq, or bottom halves disabled: read_lock_bh() in a task is an "interrupt"
 * reader too, and is recursive.
 *
 * Lockdep: wait type {3:3} (a spinning lock, like spinlock_t).  Writes are exclusive (read = 0);
 * a read is recursive (read = 2) when read_lock_is_recursive() says so, as in the kernel: in
 * interrupt context, or when forced (ls_rwlock_force_read_recursive()); otherwise it is a
 * non-recursive read (read = 1), so read-after-read of one class in a task is "possible
 * recursive locking".
 *
 * Lock classes: DEFINE_RWLOCK(x) is class "x" keyed by the lock; rwlock_init(e) keys the class by
 * the call site and names it like spin_lock_init() (see spinlock.h).  As with spinlocks, a
 * DEFINE_RWLOCK needs no init call between executions, and a lock neither defined nor
 * initialised is lockdep's "trying to register non-static key".
 */
#ifndef LOCKSTEP_RWLOCK_H
#define LOCKSTEP_RWLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <lockstep/atomic.h>
#include <lockstep/lockdep.h>
#include <lockstep/runtime.h>
#include <lockstep/spinlock.h>

/* The lock word, as in the kernel: the readers count in units of _QR_BIAS above the writer byte
 * and the waiting bit. */
#define _QW_WAITING 0x100	/* a writer is waiting */
#define _QW_LOCKED 0x0ff	/* a writer holds the lock: the whole wlocked byte */
#define _QW_WMASK 0x1ff		/* writer mask */
#define _QR_SHIFT 9		/* reader count shift */
#define _QR_BIAS (1U << _QR_SHIFT)

#define LS_RWLOCK_READERS 8	/* readers a report can name */

typedef struct rwlock {
	union {
		atomic_t cnts;
		struct {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			uint8_t wlocked;	/* locked for write: write_unlock stores 0 here */
			uint8_t ls_lstate[3];
#else
			uint8_t ls_lstate[3];
			uint8_t wlocked;
#endif
		};
	};
	raw_spinlock_t wait_lock;	/* the queue: internal, not validated */
	/* For reports only, never read by an operation: the context id of the writer holding the
	 * lock (-1: none) and those of the contexts holding it for read.  Reports find the head
	 * of the queue from wait_lock's own record of who drew each ticket. */
	signed char ls_writer;
	unsigned char ls_nreaders;
	signed char ls_readers[LS_RWLOCK_READERS];
	unsigned gen;			/* execution the state belongs to (ls_lock_fresh) */
	struct ls_lockdep_map dep_map;
} rwlock_t;

#define DEFINE_RWLOCK(x)                                                                        \
	rwlock_t x = { .cnts = ATOMIC_INIT(0), .gen = 0,                                         \
		       .dep_map = { .name = #x, .key = &(x), .lock = &(x),                       \
				    .wait_type = LS_WAIT_CONFIG } }

/* lib/locking-selftest.c's force_read_lock_recursive: while on, lockdep takes every read_lock()
 * for a recursive read (read = 2), as it does for rwlocks that are not queued.  Only what the
 * validator is told changes: a process-context reader still queues behind a waiting writer.
 * Off at the start of every execution; a target sets it in its init. */
void ls_rwlock_force_read_recursive(bool on);

/* ---- the implementation the macros call -------------------------------------------------- */

/* name: the init expression's text; key: the init site (NULL: the lock itself). */
void ls_rwlock_init(rwlock_t *lock, const char *name, const void *key);
void ls_read_lock(rwlock_t *lock, const struct ls_site *site);
void ls_write_lock(rwlock_t *lock, const struct ls_site *site);
void ls_write_lock_nested(rwlock_t *lock, unsigned subclass, const struct ls_site *site);
int ls_read_trylock(rwlock_t *lock, const struct ls_site *site);
int ls_write_trylock(rwlock_t *lock, const struct ls_site *site);
void ls_read_unlock(rwlock_t *lock, const struct ls_site *site);
void ls_write_unlock(rwlock_t *lock, const struct ls_site *site);
unsigned long ls_read_lock_irqsave(rwlock_t *lock, const struct ls_site *site);
unsigned long ls_write_lock_irqsave(rwlock_t *lock, const struct ls_site *site);
void ls_read_unlock_irqrestore(rwlock_t *lock, unsigned long flags, const struct ls_site *site);
void ls_write_unlock_irqrestore(rwlock_t *lock, unsigned long flags, const struct ls_site *site);

#define rwlock_init(l) ls_rwlock_init((l), #l, LS_SITE("rwlock_init"))
#define read_lock(l) ls_read_lock((l), LS_SITE("read_lock"))
#define write_lock(l) ls_write_lock((l), LS_SITE("write_lock"))
#define write_lock_nested(l, sub) ls_write_lock_nested((l), (sub), LS_SITE("write_lock_nested"))
#define read_trylock(l) ls_read_trylock((l), LS_SITE("read_trylock"))
#define write_trylock(l) ls_write_trylock((l), LS_SITE("write_trylock"))
#define read_unlock(l) ls_read_unlock((l), LS_SITE("read_unlock"))
#define write_unlock(l) ls_write_unlock((l), LS_SITE("write_unlock"))

#define read_lock_irq(l)                                                                        \
	do {                                                                                     \
		ls_irq_disable();                                                                \
		ls_read_lock((l), LS_SITE("read_lock_irq"));                                     \
	} while (0)
#define read_unlock_irq(l)                                                                      \
	do {                                                                                     \
		ls_read_unlock((l), LS_SITE("read_unlock_irq"));                                 \
		ls_irq_enable();                                                                 \
	} while (0)
#define write_lock_irq(l)                                                                       \
	do {                                                                                     \
		ls_irq_disable();                                                                \
		ls_write_lock((l), LS_SITE("write_lock_irq"));                                   \
	} while (0)
#define write_unlock_irq(l)                                                                     \
	do {                                                                                     \
		ls_write_unlock((l), LS_SITE("write_unlock_irq"));                               \
		ls_irq_enable();                                                                 \
	} while (0)

#define read_lock_irqsave(l, flags)                                                             \
	do {                                                                                     \
		(flags) = ls_read_lock_irqsave((l), LS_SITE("read_lock_irqsave"));               \
	} while (0)
#define read_unlock_irqrestore(l, flags)                                                        \
	ls_read_unlock_irqrestore((l), (flags), LS_SITE("read_unlock_irqrestore"))
#define write_lock_irqsave(l, flags)                                                            \
	do {                                                                                     \
		(flags) = ls_write_lock_irqsave((l), LS_SITE("write_lock_irqsave"));             \
	} while (0)
#define write_unlock_irqrestore(l, flags)                                                       \
	ls_write_unlock_irqrestore((l), (flags), LS_SITE("write_unlock_irqrestore"))

/* Bottom halves off around the lock; the unlock runs a softirq that became pending meanwhile. */
#define read_lock_bh(l)                                                                         \
	do {                                                                                     \
		ls_bh_disable();                                                                 \
		ls_read_lock((l), LS_SITE("read_lock_bh"));                                      \
	} while (0)
#define read_unlock_bh(l)                                                                       \
	do {                                                                                     \
		ls_read_unlock((l), LS_SITE("read_unlock_bh"));                                  \
		ls_bh_enable();                                                                  \
	} while (0)
#define write_lock_bh(l)                                                                        \
	do {                                                                                     \
		ls_bh_disable();                                                                 \
		ls_write_lock((l), LS_SITE("write_lock_bh"));                                    \
	} while (0)
#define write_unlock_bh(l)                                                                      \
	do {                                                                                     \
		ls_write_unlock((l), LS_SITE("write_unlock_bh"));                                \
		ls_bh_enable();                                                                  \
	} while (0)

#endif

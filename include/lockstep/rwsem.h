/* struct rw_semaphore: the kernel's rwsem (kernel/locking/rwsem.c, non-RT), count word and all.
 *
 *   operation            context            returns / effect
 *   down_read            task, may sleep    when the caller holds it for read
 *   down_read_trylock    any context        1 acquired, 0 when a writer holds it or anyone waits
 *   down_write           task, may sleep    when the caller holds it exclusively
 *   down_write_trylock   any                1 acquired, 0 otherwise
 *   up_read, up_write    the holder         may wake waiters
 *   downgrade_write      the writer         now holds it for read; wakes queued readers
 *   up_read_non_owner    any                releases a read hold taken by another context; the
 *                                           acquirer already told lockdep (rwsem_release)
 *
 * Fairness is the kernel's, which is what makes recursive read locking a deadlock: once a writer
 * waits, new readers queue behind it (the read fast path fails on RWSEM_FLAG_WAITERS, and the
 * slow path queues when the lock is reader-owned by more than the caller), so a task that holds
 * the rwsem for read and calls down_read() again waits for a writer that waits for it.
 *
 * Lockdep: down_read is a non-recursive read (read = 1), down_write exclusive, wait type {4:4}.
 * Classes: DECLARE_RWSEM(x) is class "x" keyed by the rwsem; init_rwsem(e) keys it by the call
 * site and names it like spin_lock_init() (see spinlock.h); ls_init_rwsem() takes both, as
 * lockdep_set_class_and_name() does.
 */
#ifndef LOCKSTEP_RWSEM_H
#define LOCKSTEP_RWSEM_H

#include <stdbool.h>

#include <lockstep/atomic.h>
#include <lockstep/lockdep.h>
#include <lockstep/mutex.h>
#include <lockstep/runtime.h>
#include <lockstep/spinlock.h>

/* The count word, as in the kernel. */
#define RWSEM_WRITER_LOCKED (1L << 0)
#define RWSEM_FLAG_WAITERS (1L << 1)
#define RWSEM_FLAG_HANDOFF (1L << 2)
#define RWSEM_FLAG_READFAIL ((long)(1UL << (8 * sizeof(long) - 1)))
#define RWSEM_READER_SHIFT 8
#define RWSEM_READER_BIAS (1L << RWSEM_READER_SHIFT)
#define RWSEM_READER_MASK (~(RWSEM_READER_BIAS - 1))
#define RWSEM_WRITER_MASK RWSEM_WRITER_LOCKED
#define RWSEM_LOCK_MASK (RWSEM_WRITER_MASK | RWSEM_READER_MASK)
#define RWSEM_READ_FAILED_MASK                                                                 \
	(RWSEM_WRITER_MASK | RWSEM_FLAG_WAITERS | RWSEM_FLAG_HANDOFF | RWSEM_FLAG_READFAIL)

/* The owner word: the holder's tag, with RWSEM_READER_OWNED when readers own it (then the tag
 * is the last reader's, and may be stale, as in the kernel). */
#define RWSEM_READER_OWNED (1L << 0)

/* How long the first waiter waits before it may ask for a hand-off (4 ms, one jiffy at HZ=250),
 * in virtual nanoseconds. */
#define RWSEM_WAIT_TIMEOUT_NS 4000000ULL
#define MAX_READERS_WAKEUP 0x100

#define LS_RWSEM_READERS 8	/* readers a report can name */

struct rwsem_waiter;

struct rw_semaphore {
	atomic_long_t count;
	atomic_long_t owner;
	raw_spinlock_t wait_lock;		/* protects the wait list; internal, not validated */
	struct rwsem_waiter *ls_first;		/* the wait list, FIFO; waiters live on stacks */
	struct rwsem_waiter *ls_last;
	long ls_read_wake;			/* waiting readers park here (wake_up_q writes it) */
	long ls_write_wake;			/* waiting writers park here */
	signed char ls_readers[LS_RWSEM_READERS];	/* contexts holding it for read: reports */
	unsigned char ls_nreaders;
	unsigned gen;
	struct ls_lockdep_map dep_map;
};

#define DECLARE_RWSEM(x)                                                                        \
	struct rw_semaphore x = { .count = ATOMIC_LONG_INIT(0), .owner = ATOMIC_LONG_INIT(0),   \
				  .dep_map = { .name = #x, .key = &(x), .lock = &(x),            \
					       .wait_type = LS_WAIT_SLEEP } }

/* name: the class name as lockdep prints it; key: the class key (NULL: the rwsem itself). */
void ls_init_rwsem(struct rw_semaphore *sem, const char *name, const void *key);
void ls_down_read(struct rw_semaphore *sem, const struct ls_site *site);
int ls_down_read_trylock(struct rw_semaphore *sem, const struct ls_site *site);
void ls_down_write(struct rw_semaphore *sem, const struct ls_site *site);
void ls_down_read_nested(struct rw_semaphore *sem, unsigned subclass, const struct ls_site *site);
void ls_down_write_nested(struct rw_semaphore *sem, unsigned subclass, const struct ls_site *site);
int ls_down_write_trylock(struct rw_semaphore *sem, const struct ls_site *site);
void ls_up_read(struct rw_semaphore *sem, const struct ls_site *site);
void ls_up_read_non_owner(struct rw_semaphore *sem, const struct ls_site *site);
void ls_up_write(struct rw_semaphore *sem, const struct ls_site *site);
void ls_downgrade_write(struct rw_semaphore *sem, const struct ls_site *site);
int ls_rwsem_is_locked(struct rw_semaphore *sem, const struct ls_site *site);

#define init_rwsem(sem) ls_init_rwsem((sem), ls_lock_class_name(#sem), LS_SITE("init_rwsem"))
#define down_read(sem) ls_down_read((sem), LS_SITE("down_read"))
#define down_read_trylock(sem) ls_down_read_trylock((sem), LS_SITE("down_read_trylock"))
#define down_write(sem) ls_down_write((sem), LS_SITE("down_write"))
#define down_read_nested(sem, sub) ls_down_read_nested((sem), (sub), LS_SITE("down_read_nested"))
#define down_write_nested(sem, sub) ls_down_write_nested((sem), (sub), LS_SITE("down_write_nested"))
#define down_write_trylock(sem) ls_down_write_trylock((sem), LS_SITE("down_write_trylock"))
#define up_read(sem) ls_up_read((sem), LS_SITE("up_read"))
#define up_read_non_owner(sem) ls_up_read_non_owner((sem), LS_SITE("up_read_non_owner"))
#define up_write(sem) ls_up_write((sem), LS_SITE("up_write"))
#define downgrade_write(sem) ls_downgrade_write((sem), LS_SITE("downgrade_write"))
#define rwsem_is_locked(sem) ls_rwsem_is_locked((sem), LS_SITE("rwsem_is_locked"))

/* Lockdep annotations on their own, for code that moves a hold between contexts (the irq_work
 * mmap unlock tells lockdep the task released mmap_lock, then a hardirq really releases it). */
#define rwsem_acquire(map, subclass, trylock, ip)                                               \
	ls_lock_acquire((map), 0, (trylock), LS_SITE("rwsem_acquire"))
#define rwsem_acquire_read(map, subclass, trylock, ip)                                          \
	ls_lock_acquire((map), 1, (trylock), LS_SITE("rwsem_acquire_read"))
#define rwsem_release(map, ip) ls_lock_release((map), LS_SITE("rwsem_release"))

/* might_lock_read(): tells lockdep the caller could take sem for read here, without taking it
 * (might_fault() does this for mmap_lock on every user access). */
void ls_rwsem_might_lock_read(struct rw_semaphore *sem, const struct ls_site *site);
#define might_lock_read(sem) ls_rwsem_might_lock_read((sem), LS_SITE("might_lock_read"))

#endif

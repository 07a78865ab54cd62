/* rwlock_t as the kernel's queued rwlock (kernel/locking/qrwlock.c, asm-generic/qrwlock.h).
 *
 * The idea (Waiman Long's qrwlock): one word, cnts, counts readers in units of _QR_BIAS above
 * the writer's state, the wlocked byte (_QW_LOCKED) and _QW_WAITING; fairness comes from a plain
 * spinlock, wait_lock, used as the queue.  Whoever cannot take the lock at once queues on
 * wait_lock in arrival order, except a reader in interrupt context, which never queues.  The
 * holder of wait_lock is the head of the queue.  Below, the word as (readers, waiting, wlocked),
 * where readers counts every bias added, also the transient one of a reader about to back off.
 *
 *   read_lock:       fetch_add(_QR_BIAS)                 (r, w, l) -> (r+1, w, l)
 *                    and it is ours if w and l were both 0.  Otherwise, the slow path:
 *     in interrupt:  (in_interrupt(): also a task with bottom halves off) the bias stays in, so
 *                    a waiting writer (w = 1) cannot get the lock before we leave: wait only
 *                    while l is set.  Interrupt readers are recursive: they pass a waiting
 *                    writer, so an interrupt that reads a lock its task holds for read never
 *                    deadlocks against a writer waiting on another CPU.
 *     in a task:     take the bias back (r+1, w, l) -> (r, w, l), queue on wait_lock; as head,
 *                    add it again (r, 0, l) -> (r+1, 0, l) (no writer can be waiting now: a
 *                    waiting writer holds wait_lock), wait while l is set, release wait_lock.
 *                    So a task reader queues behind a waiting writer, even while other readers
 *                    hold the lock: read_lock() twice with a writer arriving in between is a
 *                    deadlock.
 *   write_lock:      cmpxchg (0, 0, 0) -> (0, 0, L).  Otherwise queue on wait_lock; as head, try
 *                    that cmpxchg once more, else announce itself
 *                      atomic_or(_QW_WAITING)            (r, 0, l) -> (r, 1, l)
 *                    which sends every new task reader to the queue, wait until the word is
 *                    exactly (0, 1, 0) and take it
 *                      cmpxchg                           (0, 1, 0) -> (0, 0, L)
 *                    (a reader's transient bias may land in between: then wait again), release
 *                    wait_lock.
 *   read_unlock:     fetch_add(-_QR_BIAS)                (r, w, l) -> (r-1, w, l)
 *   write_unlock:    a byte store to wlocked             (r, w, L) -> (r, w, 0)
 *                    r may be non-zero (readers spinning with their bias in) and w may be set.
 *   read_trylock:    give up if a writer bit is set; else fetch_add(_QR_BIAS), and give the
 *                    bias back if a writer bit appeared meanwhile.
 *   write_trylock:   give up if the word is not 0; else the write fast path's cmpxchg.
 *
 * Every waiter parks on the lock word (or, queued, inside wait_lock's ticket lock) and re-reads
 * it after each store; the check before each park and the park are one step.  Lockdep hears of
 * an acquisition before its first attempt, of contention once it gives up its place (a task
 * reader or a writer entering the queue) or sees a writer holding it (an interrupt reader), and
 * of the acquisition at the step of the operation that gave it the lock.
 *
 * Who waits for whom (hang reports): a queued context waits for the head of the queue (the
 * context holding wait_lock); the waiting writer at the head waits for the writer holding the
 * lock, else for a reader (itself first, when it holds the lock for read); a reader at the head,
 * or in interrupt context, waits for the writer holding it.  The lock keeps, for this, the
 * writer and the readers by context, bookkeeping updated at the step of the operation it records
 * and read by no operation; the head is whoever drew the ticket wait_lock serves.
 *
 * Left out: qspinlock's MCS queue behind wait_lock (the ticket lock serves in the same arrival
 * order), memory ordering (the machine is sequentially consistent), queued_rwlock_is_contended()
 * and the lock-break helpers, the contention tracepoints, CONFIG_DEBUG_SPINLOCK's rwlock checks
 * other than unlocking a lock not held for write, PREEMPT_RT's sleeping rwlock and architectures
 * with their own rwlocks.  Beyond the kernel: read_unlock() of a lock no reader holds, which
 * silently corrupts the count there, is an invariant failure.
 */
#include <lockstep/kernel.h>

#include <string.h>

/* lib/locking-selftest.c's force_read_lock_recursive. */
static bool force_read_recursive;

void ls_rwlock_force_read_recursive(bool on)
{
	force_read_recursive = on;
}

/* lockdep's read_lock_is_recursive(), with CONFIG_QUEUED_RWLOCKS: the read argument of a read
 * acquisition. */
static int read_kind(void)
{
	return force_read_recursive || ls_in_interrupt() ? 2 : 1;
}

/* ---- the bookkeeping reports read ---------------------------------------------------------- */

/* Readers change the list with no lock held.  Under lockstep stress readers on several threads
 * change it at once: each change reads the count once and writes back a count within
 * [0, LS_RWLOCK_READERS], so a race may lose or keep a name but never leaves the array. */
static void reader_add(rwlock_t *lock, int ctx)
{
	int n = LS_RD(&lock->ls_nreaders);
	if (n < LS_RWLOCK_READERS) {
		lock->ls_readers[n] = (signed char)ctx;
		LS_WR(&lock->ls_nreaders, (unsigned char)(n + 1));
	}
}

static void reader_remove(rwlock_t *lock, int ctx)
{
	int n = LS_RD(&lock->ls_nreaders);
	if (n > LS_RWLOCK_READERS)
		n = LS_RWLOCK_READERS;
	for (int i = 0; i < n; i++)
		if (lock->ls_readers[i] == ctx) {
			memmove(&lock->ls_readers[i], &lock->ls_readers[i + 1],
				(size_t)(n - i - 1) * sizeof(lock->ls_readers[0]));
			LS_WR(&lock->ls_nreaders, (unsigned char)(n - 1));
			return;
		}
}

/* The reader a waiting writer names: itself when it holds the lock for read (a write lock taken
 * under its own read hold never comes), else the oldest. */
static int some_reader(const rwlock_t *lock, int waiter)
{
	int n = lock->ls_nreaders;
	if (n > LS_RWLOCK_READERS)
		n = LS_RWLOCK_READERS;
	for (int i = 0; i < n; i++)
		if (lock->ls_readers[i] == waiter)
			return waiter;
	return n ? lock->ls_readers[0] : -1;
}

static struct ls_blocker blocker_of(int ctx, enum ls_wait_rel rel)
{
	if (ctx < 0)
		return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
	return (struct ls_blocker){ ctx, rel };
}

/* The head of the queue: the context holding wait_lock (spinlock.c knows it on either
 * backend). */
static int queue_head(const rwlock_t *lock)
{
	return ls_raw_spin_holder(&lock->wait_lock);
}

/* The object registered is the whole lock, so a context parked inside wait_lock (queued) finds
 * it as well as one parked on the lock word. */
static struct ls_blocker rwlock_blocker(const void *obj, const void *addr, int waiter)
{
	const rwlock_t *lock = obj;
	const char *a = addr, *q = (const char *)&lock->wait_lock;
	if (a >= q && a < q + sizeof(lock->wait_lock)) {
		int head = queue_head(lock);
		/* Its own ticket served: it waits for nobody, it has yet to look. */
		return blocker_of(head == waiter ? -1 : head, LS_WAIT_QUEUED);
	}
	int cnts = lock->cnts.counter;
	if (cnts & _QW_LOCKED)
		return blocker_of(lock->ls_writer, LS_WAIT_HOLDER);
	if ((cnts & _QW_WAITING) && queue_head(lock) == waiter)
		return blocker_of(some_reader(lock, waiter), LS_WAIT_HOLDER);
	return blocker_of(-1, LS_WAIT_NOBODY);
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static void reset(rwlock_t *lock)
{
	lock->cnts.counter = 0;
	ls_raw_spin_lock_init_internal(&lock->wait_lock);
	lock->ls_writer = -1;
	lock->ls_nreaders = 0;
	ls_lock_mark_fresh(&lock->gen);
}

static void publish(rwlock_t *lock)
{
	ls_object_register(lock, sizeof(*lock), lock->dep_map.name, rwlock_blocker);
}

void ls_rwlock_init(rwlock_t *lock, const char *name, const void *key)
{
	/* __rwlock_init(): re-initialising a held lock is freeing it. */
	ls_lockdep_check_freed(lock, sizeof(*lock), key);
	reset(lock);
	ls_lockdep_init_map(&lock->dep_map, lock, ls_lock_class_name(name), key, LS_WAIT_CONFIG, 0);
	publish(lock);
}

/* The first operation of an execution on a lock that was not initialised during it. */
static void prepare(rwlock_t *lock, const struct ls_site *site)
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

/* ---- waiting ------------------------------------------------------------------------------- */

/* Waits, parked on the lock word, until (cnts & mask) == want; returns the value that satisfied
 * it, read at the step the caller's next operation follows.  With contend, tells lockdep before
 * the first park. */
static int wait_cnts(rwlock_t *lock, int mask, int want, bool contend, const struct ls_site *site)
{
	for (;;) {
		ls_point(LS_OP_LOAD, &lock->cnts, site);
		int cnts = LS_RD(&lock->cnts.counter);
		if ((cnts & mask) == want)
			return cnts;
		if (contend) {
			ls_lock_contended(&lock->dep_map, site);
			contend = false;
		}
		ls_park(&lock->cnts, LS_NO_DEADLINE, site);
	}
}

/* Queues on wait_lock: the caller is the head of the queue once it returns. */
static void queue_enter(rwlock_t *lock, const struct ls_site *site)
{
	ls_raw_spin_lock(&lock->wait_lock, site);
}

static void queue_leave(rwlock_t *lock, const struct ls_site *site)
{
	ls_raw_spin_unlock(&lock->wait_lock, site);
}

/* The caller now holds the lock, from the operation just done. */
static void got_read(rwlock_t *lock, const struct ls_site *site)
{
	ls_lock_acquired(&lock->dep_map, site);
	reader_add(lock, ls_ctx_id());
}

static void got_write(rwlock_t *lock, const struct ls_site *site)
{
	ls_lock_acquired(&lock->dep_map, site);
	LS_WR(&lock->ls_writer, (signed char)ls_ctx_id());
}

/* ---- read side ----------------------------------------------------------------------------- */

static void read_lock_slowpath(rwlock_t *lock, const struct ls_site *site)
{
	if (ls_in_interrupt()) {
		/* Our bias stays in: only a writer holding the lock keeps us out. */
		wait_cnts(lock, _QW_LOCKED, 0, true, site);
		got_read(lock, site);
		return;
	}
	ls_atomic_fetch_op(&lock->cnts, LS_ATOMIC_ADD, -(int)_QR_BIAS, site);
	ls_lock_contended(&lock->dep_map, site);
	queue_enter(lock, site);
	ls_atomic_fetch_op(&lock->cnts, LS_ATOMIC_ADD, (int)_QR_BIAS, site);
	wait_cnts(lock, _QW_LOCKED, 0, false, site);
	got_read(lock, site);
	queue_leave(lock, site);
}

void ls_read_lock(rwlock_t *lock, const struct ls_site *site)
{
	ls_preempt_disable();
	prepare(lock, site);
	ls_lock_acquire(&lock->dep_map, read_kind(), false, site);
	int cnts = ls_atomic_op_return(&lock->cnts, LS_ATOMIC_ADD, (int)_QR_BIAS, site);
	if (!(cnts & _QW_WMASK)) {
		got_read(lock, site);
		return;
	}
	read_lock_slowpath(lock, site);
}

int ls_read_trylock(rwlock_t *lock, const struct ls_site *site)
{
	ls_preempt_disable();
	prepare(lock, site);
	int cnts = ls_atomic_read(&lock->cnts, site);
	if (!(cnts & _QW_WMASK)) {
		cnts = ls_atomic_op_return(&lock->cnts, LS_ATOMIC_ADD, (int)_QR_BIAS, site);
		if (!(cnts & _QW_WMASK)) {
			reader_add(lock, ls_ctx_id());
			ls_lock_acquire(&lock->dep_map, read_kind(), true, site);
			return 1;
		}
		ls_atomic_fetch_op(&lock->cnts, LS_ATOMIC_ADD, -(int)_QR_BIAS, site);
	}
	ls_preempt_enable();
	return 0;
}

/* read_unlock() up to, not including, the preempt_enable(). */
static void read_release(rwlock_t *lock, const struct ls_site *site)
{
	prepare(lock, site);
	ls_lock_release(&lock->dep_map, site);
	int old = ls_atomic_fetch_op(&lock->cnts, LS_ATOMIC_ADD, -(int)_QR_BIAS, site);
	if (!((unsigned)old >> _QR_SHIFT)) {
		ls_fail(site, "read_unlock of %s, which no reader holds: the reader count underflows",
			lock->dep_map.name);
		return;
	}
	reader_remove(lock, ls_ctx_id());
}

void ls_read_unlock(rwlock_t *lock, const struct ls_site *site)
{
	read_release(lock, site);
	ls_preempt_enable();
}

/* ---- write side ---------------------------------------------------------------------------- */

static void write_lock_slowpath(rwlock_t *lock, const struct ls_site *site)
{
	ls_lock_contended(&lock->dep_map, site);
	queue_enter(lock, site);
	int cnts = ls_atomic_read(&lock->cnts, site);
	if (!cnts && ls_atomic_try_cmpxchg(&lock->cnts, &cnts, _QW_LOCKED, site)) {
		got_write(lock, site);
		queue_leave(lock, site);
		return;
	}
	ls_atomic_fetch_op(&lock->cnts, LS_ATOMIC_OR, _QW_WAITING, site);
	do {
		cnts = wait_cnts(lock, ~0, _QW_WAITING, false, site);
	} while (!ls_atomic_try_cmpxchg(&lock->cnts, &cnts, _QW_LOCKED, site));
	got_write(lock, site);
	queue_leave(lock, site);
}

static void write_lock_common(rwlock_t *lock, const struct ls_site *site)
{
	int cnts = 0;
	if (ls_atomic_try_cmpxchg(&lock->cnts, &cnts, _QW_LOCKED, site)) {
		got_write(lock, site);
		return;
	}
	write_lock_slowpath(lock, site);
}

void ls_write_lock(rwlock_t *lock, const struct ls_site *site)
{
	ls_preempt_disable();
	prepare(lock, site);
	ls_lock_acquire(&lock->dep_map, 0, false, site);
	write_lock_common(lock, site);
}

void ls_write_lock_nested(rwlock_t *lock, unsigned subclass, const struct ls_site *site)
{
	ls_preempt_disable();
	prepare(lock, site);
	ls_lock_acquire_nested(&lock->dep_map, subclass, 0, false, site);
	write_lock_common(lock, site);
}

int ls_write_trylock(rwlock_t *lock, const struct ls_site *site)
{
	ls_preempt_disable();
	prepare(lock, site);
	int cnts = ls_atomic_read(&lock->cnts, site);
	if (!cnts && ls_atomic_try_cmpxchg(&lock->cnts, &cnts, _QW_LOCKED, site)) {
		LS_WR(&lock->ls_writer, (signed char)ls_ctx_id());
		ls_lock_acquire(&lock->dep_map, 0, true, site);
		return 1;
	}
	ls_preempt_enable();
	return 0;
}

/* write_unlock() up to, not including, the preempt_enable(). */
static void write_release(rwlock_t *lock, const struct ls_site *site)
{
	prepare(lock, site);
	ls_lock_release(&lock->dep_map, site);
	ls_point(LS_OP_STORE, &lock->cnts, site);
	if (!LS_RD(&lock->wlocked)) {
		/* CONFIG_DEBUG_SPINLOCK's debug_write_unlock(): the owner is not current. */
		ls_fail(site, "BUG: rwlock wrong owner on CPU#%d: write_unlock of %s, not locked "
			"for write", ls_cpu(), lock->dep_map.name);
		return;
	}
	LS_WR(&lock->wlocked, (uint8_t)0);
	LS_WR(&lock->ls_writer, (signed char)-1);
	ls_wrote(&lock->cnts);
}

void ls_write_unlock(rwlock_t *lock, const struct ls_site *site)
{
	write_release(lock, site);
	ls_preempt_enable();
}

/* ---- interrupt-saving forms ---------------------------------------------------------------- */

unsigned long ls_read_lock_irqsave(rwlock_t *lock, const struct ls_site *site)
{
	unsigned long flags = ls_irq_save();
	ls_read_lock(lock, site);
	return flags;
}

unsigned long ls_write_lock_irqsave(rwlock_t *lock, const struct ls_site *site)
{
	unsigned long flags = ls_irq_save();
	ls_write_lock(lock, site);
	return flags;
}

/* As the kernel's: interrupts come back before preemption. */
void ls_read_unlock_irqrestore(rwlock_t *lock, unsigned long flags, const struct ls_site *site)
{
	read_release(lock, site);
	ls_irq_restore(flags);
	ls_preempt_enable();
}

void ls_write_unlock_irqrestore(rwlock_t *lock, unsigned long flags, const struct ls_site *site)
{
	write_release(lock, site);
	ls_irq_restore(flags);
	ls_preempt_enable();
}

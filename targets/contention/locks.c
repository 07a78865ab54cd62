/* contention/locks: correct contention on one lock of each model, so that every finding is a
 * false report by lockstep.
 *
 * Four tasks on three CPUs (t0 and t3 share CPU0, t1 is on CPU1, t2 on CPU2) make two
 * acquisitions each of one lock; three CPUs contend at once and two tasks of one CPU contend
 * through preemption (or, for the sleeping locks, by sleeping).  Variants that need them add a
 * hardirq source ("dev", once per CPU) or an NMI source ("perf", once per CPU); elsewhere the
 * handlers return at once.  Every exclusive section is a non-atomic increment of one counter
 * through atomic_read() and atomic_set(), two scheduling points apart, so a lock that let two
 * contexts in would lose an update; it also counts the contexts inside and fails at once when
 * it is not alone.  A shared (read) section fails when a writer is inside, and reads the counter
 * twice: a writer slipping in between would change it.
 *
 *   spin            spin_lock()/spin_unlock() of a spinlock_t.
 *   raw-spin        raw_spin_lock()/raw_spin_unlock() of a raw_spinlock_t.
 *   spin-irq        tasks take it with spin_lock_irqsave() (t2 with spin_lock_irq()); the hardirq
 *                   handler with spin_lock(), interrupts being off in a hardirq.
 *   spin-trylock    t0 retries spin_trylock() a bounded number of times, t2 tries once; t1 and
 *                   t3 use spin_lock(); the NMI handler only trylocks (the NMI-safe form).
 *   mutex           mutex_lock()/mutex_unlock().
 *   mutex-trylock   t0 retries mutex_trylock(), t2 tries once; t1 and t3 use mutex_lock().
 *   rwsem           t1 and t3 read (down_read), t0 and t2 write (down_write).
 *   rwsem-trylock   t0 down_write_trylock() and t1 down_read_trylock(), retried; t2 down_write(),
 *                   t3 down_read().
 *   rwsem-downgrade t0 writes, then downgrade_write() and reads on; t1 and t3 read, t2 writes.
 *   rqspinlock      raw_res_spin_lock()/raw_res_spin_unlock(), tasks only.  An error goes back to
 *                   the caller, which gives up that acquisition as the kernel's callers do; with
 *                   one lock and no NMI the lock has no reason to fail, and the check says so.
 *   rqspinlock-nmi  tasks use raw_res_spin_lock_irqsave(), as the BPF maps do, and the NMI
 *                   handler takes the lock too.  An NMI landing on a CPU that holds or waits for
 *                   the lock gets -EDEADLK (AA) and gives up, and a waiter queued behind an NMI
 *                   that gave up may fail in turn: errors are counted, not bugs.  The validator's
 *                   report of the NMI's attempt is "averted" (the lock's acquisition can fail),
 *                   expected behaviour and no bug for this variant.
 *   spin-bh         tasks take it with spin_lock_bh(); a softirq (NET_RX, raised by the hardirq
 *                   and by each task after its unlock) with spin_lock(), bottom halves being off
 *                   in a softirq.
 *   rwlock          t0 write_lock_irqsave(), t2 write_lock_irq(), t1 and t3 read_lock(); the
 *                   hardirq handler read_lock(): a reader in interrupt context passes a waiting
 *                   writer, so only writers need interrupts off (tasklist_lock's pattern).
 *   spin-traced     spin_lock() with probes on lock:contention_begin and _end (trace.h) that
 *                   write a per-CPU slot, as a BPF program there would: the probe runs between
 *                   a waiter's ticket and its wait, and the lock must still never hang.
 *   mmap-lock       the rwsem of an mm_struct: t0 mmap_write_lock(), t1 mmap_read_lock(), t2
 *                   mmap_read_trylock() falling back to mmap_read_lock() (the fault path's
 *                   pattern), t3 mmap_write_trylock() retried.
 *
 * Expected: never, for every variant.
 * The check after a clean execution: the counter equals the exclusive acquisitions; each task
 * made its attempts, each attempt acquired or gave up; for rqspinlock the lock and the per-CPU
 * tables are idle and (tasks only) no acquisition failed; for mmap-lock, mm_lock_seq advanced
 * once per write hold.
 */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum {
	SPIN,
	RAW_SPIN,
	SPIN_IRQ,
	SPIN_TRYLOCK,
	MUTEX,
	MUTEX_TRYLOCK,
	RWSEM,
	RWSEM_TRYLOCK,
	RWSEM_DOWNGRADE,
	RQSPINLOCK,
	RQSPINLOCK_NMI,
	MMAP_LOCK,
	SPIN_BH,
	RWLOCK,
	SPIN_TRACED,
	NVARIANTS
};

#define NTASKS 4
#define ACQUISITIONS 2		/* attempts per task */
#define TRYLOCK_TRIES 3		/* a bounded retry loop's attempts before it gives up */
#define NCTX (LS_MAX_TASKS + 3 * LS_MAX_CPUS)	/* every context id, softirqs' included */

static DEFINE_SPINLOCK(lock);
static DEFINE_RAW_SPINLOCK(raw_lock);
static DEFINE_MUTEX(mtx);
static DECLARE_RWSEM(sem);
static DEFINE_RWLOCK(rw);
static rqspinlock_t res_lock;
static struct mm_struct mm;

static int variant;
static atomic_t counter;	/* incremented non-atomically inside every exclusive section */
static atomic_t writers;	/* contexts inside an exclusive section */
static atomic_t readers;	/* contexts inside a shared section */
/* Per context (ls_ctx_id()), so no two contexts ever write one slot. */
static int attempts[NCTX], acquired[NCTX], failed[NCTX], writes[NCTX];

static int me(void)
{
	return ls_ctx_id();
}

/* ---- the sections ------------------------------------------------------------------------ */

static void exclusive_section(const char *name)
{
	int others = atomic_inc_return(&writers) - 1;
	int sharing = atomic_read(&readers);
	if (others || sharing)
		ls_fail(LS_SITE("exclusive_section"), "%s: %s inside with %d other writer(s) and "
			"%d reader(s)", name, ls_ctx_name(me()), others, sharing);
	int v = atomic_read(&counter);
	atomic_set(&counter, v + 1);
	atomic_dec(&writers);
	writes[me()]++;
}

static void shared_section(const char *name)
{
	atomic_inc(&readers);
	int before = atomic_read(&counter);
	int inside = atomic_read(&writers);
	int after = atomic_read(&counter);
	if (inside || before != after)
		ls_fail(LS_SITE("shared_section"), "%s: %s reads with %d writer(s) inside, counter "
			"%d then %d", name, ls_ctx_name(me()), inside, before, after);
	atomic_dec(&readers);
}

/* Each attempt to take the lock begins, then either acquires it or gives up. */
static void attempt_begins(void)
{
	attempts[me()]++;
}

static void attempt_acquired(void)
{
	acquired[me()]++;
}

static void attempt_failed(void)
{
	failed[me()]++;
}

/* ---- spinlock_t, raw_spinlock_t ---------------------------------------------------------- */

static void spin_task(int t)
{
	(void)t;
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		spin_lock(&lock);
		attempt_acquired();
		exclusive_section("lock");
		spin_unlock(&lock);
	}
}

static void raw_spin_task(int t)
{
	(void)t;
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		raw_spin_lock(&raw_lock);
		attempt_acquired();
		exclusive_section("raw_lock");
		raw_spin_unlock(&raw_lock);
	}
}

static void spin_irq_task(int t)
{
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		if (t == 2) {
			spin_lock_irq(&lock);
			attempt_acquired();
			exclusive_section("lock");
			spin_unlock_irq(&lock);
		} else {
			unsigned long flags;
			spin_lock_irqsave(&lock, flags);
			attempt_acquired();
			exclusive_section("lock");
			spin_unlock_irqrestore(&lock, flags);
		}
	}
}

/* The hardirq handler: interrupts are off in it, so plain spin_lock() is the kernel's form. */
static void spin_irq_handler(void)
{
	attempt_begins();
	spin_lock(&lock);
	attempt_acquired();
	exclusive_section("lock");
	spin_unlock(&lock);
}

/* Up to tries spin_trylock()s; false when every one found the lock busy. */
static bool spin_trylock_bounded(int tries)
{
	for (int i = 0; i < tries; i++) {
		if (spin_trylock(&lock))
			return true;
		cpu_relax();
	}
	return false;
}

static void spin_trylock_task(int t)
{
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		if (t == 0 || t == 2) {
			if (!spin_trylock_bounded(t == 0 ? TRYLOCK_TRIES : 1)) {
				attempt_failed();
				continue;
			}
		} else {
			spin_lock(&lock);
		}
		attempt_acquired();
		exclusive_section("lock");
		spin_unlock(&lock);
	}
}

static void spin_trylock_nmi(void)
{
	attempt_begins();
	if (!spin_trylock(&lock)) {
		attempt_failed();
		return;
	}
	attempt_acquired();
	exclusive_section("lock");
	spin_unlock(&lock);
}

/* ---- struct mutex ------------------------------------------------------------------------ */

static void mutex_task(int t)
{
	(void)t;
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		mutex_lock(&mtx);
		attempt_acquired();
		exclusive_section("mtx");
		mutex_unlock(&mtx);
	}
}

static bool mutex_trylock_bounded(int tries)
{
	for (int i = 0; i < tries; i++) {
		if (mutex_trylock(&mtx))
			return true;
		cpu_relax();
	}
	return false;
}

static void mutex_trylock_task(int t)
{
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		if (t == 0 || t == 2) {
			if (!mutex_trylock_bounded(t == 0 ? TRYLOCK_TRIES : 1)) {
				attempt_failed();
				continue;
			}
		} else {
			mutex_lock(&mtx);
		}
		attempt_acquired();
		exclusive_section("mtx");
		mutex_unlock(&mtx);
	}
}

/* ---- struct rw_semaphore ----------------------------------------------------------------- */

static void rwsem_task(int t)
{
	bool writer = t == 0 || t == 2;
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		if (writer) {
			down_write(&sem);
			attempt_acquired();
			exclusive_section("sem");
			up_write(&sem);
		} else {
			down_read(&sem);
			attempt_acquired();
			shared_section("sem");
			up_read(&sem);
		}
	}
}

static bool rwsem_trylock_bounded(bool write)
{
	for (int i = 0; i < TRYLOCK_TRIES; i++) {
		if (write ? down_write_trylock(&sem) : down_read_trylock(&sem))
			return true;
		cpu_relax();
	}
	return false;
}

static void rwsem_trylock_task(int t)
{
	bool writer = t == 0 || t == 2;
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		if (t <= 1) {
			if (!rwsem_trylock_bounded(writer)) {
				attempt_failed();
				continue;
			}
		} else if (writer) {
			down_write(&sem);
		} else {
			down_read(&sem);
		}
		attempt_acquired();
		if (writer) {
			exclusive_section("sem");
			up_write(&sem);
		} else {
			shared_section("sem");
			up_read(&sem);
		}
	}
}

static void rwsem_downgrade_task(int t)
{
	if (t != 0) {
		rwsem_task(t);
		return;
	}
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		down_write(&sem);
		attempt_acquired();
		exclusive_section("sem");
		downgrade_write(&sem);
		shared_section("sem");
		up_read(&sem);
	}
}

/* ---- rqspinlock -------------------------------------------------------------------------- */

static void rqspinlock_task(int t)
{
	(void)t;
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		if (raw_res_spin_lock(&res_lock)) {
			attempt_failed();	/* the caller returns the error */
			continue;
		}
		attempt_acquired();
		exclusive_section("res_lock");
		raw_res_spin_unlock(&res_lock);
	}
}

/* Tasks and the NMI handler alike: the map code's form, any error given back to the caller. */
static void rqspinlock_irqsave_attempt(void)
{
	unsigned long flags;
	attempt_begins();
	if (raw_res_spin_lock_irqsave(&res_lock, flags)) {
		attempt_failed();
		return;
	}
	attempt_acquired();
	exclusive_section("res_lock");
	raw_res_spin_unlock_irqrestore(&res_lock, flags);
}

static void rqspinlock_nmi_task(int t)
{
	(void)t;
	for (int i = 0; i < ACQUISITIONS; i++)
		rqspinlock_irqsave_attempt();
}

/* ---- mmap_lock --------------------------------------------------------------------------- */

static bool mmap_write_trylock_bounded(void)
{
	for (int i = 0; i < TRYLOCK_TRIES; i++) {
		if (mmap_write_trylock(&mm))
			return true;
		cpu_relax();
	}
	return false;
}

static void mmap_lock_task(int t)
{
	bool writer = t == 0 || t == 3;
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		if (t == 0) {
			mmap_write_lock(&mm);
		} else if (t == 1) {
			mmap_read_lock(&mm);
		} else if (t == 2) {
			if (!mmap_read_trylock(&mm))
				mmap_read_lock(&mm);
		} else if (!mmap_write_trylock_bounded()) {
			attempt_failed();
			continue;
		}
		attempt_acquired();
		if (writer) {
			exclusive_section("mm->mmap_lock");
			mmap_write_unlock(&mm);
		} else {
			shared_section("mm->mmap_lock");
			mmap_read_unlock(&mm);
		}
	}
}

/* ---- spin_lock_bh() against a softirq ----------------------------------------------------- */

static void spin_bh_task(int t)
{
	(void)t;
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		spin_lock_bh(&lock);
		attempt_acquired();
		exclusive_section("lock");
		spin_unlock_bh(&lock);
		raise_softirq(NET_RX_SOFTIRQ);
	}
}

/* The softirq: bottom halves are off in it, so plain spin_lock() is the kernel's form. */
static void spin_bh_softirq(void)
{
	attempt_begins();
	spin_lock(&lock);
	attempt_acquired();
	exclusive_section("lock");
	spin_unlock(&lock);
}

static void spin_bh_irq(void)
{
	raise_softirq_irqoff(NET_RX_SOFTIRQ);
}

/* ---- rwlock_t ---------------------------------------------------------------------------- */

static void rwlock_task(int t)
{
	for (int i = 0; i < ACQUISITIONS; i++) {
		attempt_begins();
		if (t == 0) {
			unsigned long flags;
			write_lock_irqsave(&rw, flags);
			attempt_acquired();
			exclusive_section("rw");
			write_unlock_irqrestore(&rw, flags);
		} else if (t == 2) {
			write_lock_irq(&rw);
			attempt_acquired();
			exclusive_section("rw");
			write_unlock_irq(&rw);
		} else {
			read_lock(&rw);
			attempt_acquired();
			shared_section("rw");
			read_unlock(&rw);
		}
	}
}

static void rwlock_irq(void)
{
	attempt_begins();
	read_lock(&rw);
	attempt_acquired();
	shared_section("rw");
	read_unlock(&rw);
}

/* ---- spin_lock() under contention tracepoint probes --------------------------------------- */

static DEFINE_PER_CPU(long, probe_slot);

static void traced_begin(void *data, void *l, unsigned int flags)
{
	(void)data;
	(void)flags;
	if (l == &lock.rlock)
		this_cpu_write(probe_slot, this_cpu_read(probe_slot) + 1);
}

static void traced_end(void *data, void *l, int ret)
{
	(void)data;
	(void)ret;
	if (l == &lock.rlock)
		this_cpu_write(probe_slot, this_cpu_read(probe_slot) - 1);
}

/* ---- the scenario table ------------------------------------------------------------------ */

struct scenario {
	void (*task)(int t);		/* task t's whole run */
	void (*irq)(void);		/* the "dev" hardirq's handler, or NULL */
	void (*nmi)(void);		/* the "perf" NMI's handler, or NULL */
};

static const struct scenario scenarios[NVARIANTS] = {
	[SPIN] = { spin_task, NULL, NULL },
	[RAW_SPIN] = { raw_spin_task, NULL, NULL },
	[SPIN_IRQ] = { spin_irq_task, spin_irq_handler, NULL },
	[SPIN_TRYLOCK] = { spin_trylock_task, NULL, spin_trylock_nmi },
	[MUTEX] = { mutex_task, NULL, NULL },
	[MUTEX_TRYLOCK] = { mutex_trylock_task, NULL, NULL },
	[RWSEM] = { rwsem_task, NULL, NULL },
	[RWSEM_TRYLOCK] = { rwsem_trylock_task, NULL, NULL },
	[RWSEM_DOWNGRADE] = { rwsem_downgrade_task, NULL, NULL },
	[RQSPINLOCK] = { rqspinlock_task, NULL, NULL },
	[RQSPINLOCK_NMI] = { rqspinlock_nmi_task, NULL, rqspinlock_irqsave_attempt },
	[MMAP_LOCK] = { mmap_lock_task, NULL, NULL },
	[SPIN_BH] = { spin_bh_task, spin_bh_irq, NULL },
	[RWLOCK] = { rwlock_task, rwlock_irq, NULL },
	[SPIN_TRACED] = { spin_task, NULL, NULL },
};

static void task_fn(void *arg)
{
	scenarios[variant].task((int)(intptr_t)arg);
}

static void irq_fn(void *arg)
{
	(void)arg;
	if (scenarios[variant].irq)
		scenarios[variant].irq();
}

static void nmi_fn(void *arg)
{
	(void)arg;
	if (scenarios[variant].nmi)
		scenarios[variant].nmi();
}

/* ---- hooks ------------------------------------------------------------------------------- */

static void init(int v)
{
	variant = v;
	counter = writers = readers = (atomic_t)ATOMIC_INIT(0);
	for (int i = 0; i < NCTX; i++)
		attempts[i] = acquired[i] = failed[i] = writes[i] = 0;
	/* The DEFINE_ and DECLARE_ locks start each execution unlocked by themselves; these two
	 * have no static form. */
	if (v == RQSPINLOCK || v == RQSPINLOCK_NMI) {
		static const struct ls_rqs_config current_code;	/* the zero config: current */
		ls_rqs_configure(&current_code);
		raw_res_spin_lock_init(&res_lock);
	}
	if (v == MMAP_LOCK)
		ls_mm_init(&mm);
	if (v == SPIN_BH)
		open_softirq(NET_RX_SOFTIRQ, spin_bh_softirq);
	if (v == SPIN_TRACED) {
		for (int c = 0; c < 3; c++)
			*per_cpu_ptr(&probe_slot, c) = 0;
		register_trace_contention_begin(traced_begin, NULL);
		register_trace_contention_end(traced_end, NULL);
	}
}

static void check(int v)
{
	int task_attempts = 0, total_writes = 0, task_failures = 0;
	for (int i = 0; i < NCTX; i++) {
		if (acquired[i] + failed[i] != attempts[i])
			ls_fail(LS_SITE("check"), "context %d: %d attempts, %d acquired, %d gave up", i,
				attempts[i], acquired[i], failed[i]);
		total_writes += writes[i];
		if (i < NTASKS) {
			task_attempts += attempts[i];
			task_failures += failed[i];
		}
	}
	if (task_attempts != NTASKS * ACQUISITIONS)
		ls_fail(LS_SITE("check"), "the tasks made %d attempts, want %d", task_attempts,
			NTASKS * ACQUISITIONS);
	if (counter.counter != total_writes)
		ls_fail(LS_SITE("check"), "counter is %d after %d exclusive sections: an update was "
			"lost", counter.counter, total_writes);
	if (v == RQSPINLOCK || v == RQSPINLOCK_NMI)
		ls_rqs_check_quiescent(v);
	if (v == RQSPINLOCK && task_failures)
		ls_fail(LS_SITE("check"), "raw_res_spin_lock() failed %d time(s) with no NMI and one "
			"lock", task_failures);
	if (v == MMAP_LOCK && mm.mm_lock_seq != total_writes)
		ls_fail(LS_SITE("check"), "mm_lock_seq is %d after %d write holds", mm.mm_lock_seq,
			total_writes);
}

static const struct ls_task_decl tasks[NTASKS] = {
	{ "t0", 0, task_fn, (void *)(intptr_t)0 },
	{ "t1", 1, task_fn, (void *)(intptr_t)1 },
	{ "t2", 2, task_fn, (void *)(intptr_t)2 },
	{ "t3", 0, task_fn, (void *)(intptr_t)3 },
};

static const struct ls_irq_decl irqs[] = { { "dev", 0x7, 1, irq_fn, NULL } };
static const struct ls_irq_decl nmis[] = { { "perf", 0x7, 1, nmi_fn, NULL } };

#define NEVER LS_KIND_NONE

static const struct ls_variant variants[NVARIANTS] = {
	[SPIN] = { "spin", "spin_lock() by four tasks on three CPUs", NEVER },
	[RAW_SPIN] = { "raw-spin", "raw_spin_lock() by four tasks on three CPUs", NEVER },
	[SPIN_IRQ] = { "spin-irq", "spin_lock_irqsave()/_irq() in tasks, spin_lock() in a hardirq",
		       NEVER },
	[SPIN_TRYLOCK] = { "spin-trylock", "spin_trylock() retried or given up, beside "
			   "spin_lock(); an NMI only trylocks", NEVER },
	[MUTEX] = { "mutex", "mutex_lock() by four tasks on three CPUs", NEVER },
	[MUTEX_TRYLOCK] = { "mutex-trylock", "mutex_trylock() retried or given up, beside "
			    "mutex_lock()", NEVER },
	[RWSEM] = { "rwsem", "two readers and two writers", NEVER },
	[RWSEM_TRYLOCK] = { "rwsem-trylock", "down_write_trylock() and down_read_trylock() "
			    "retried, beside down_write() and down_read()", NEVER },
	[RWSEM_DOWNGRADE] = { "rwsem-downgrade", "a writer downgrades to a reader, beside readers "
			      "and a writer", NEVER },
	[RQSPINLOCK] = { "rqspinlock", "raw_res_spin_lock() by four tasks on three CPUs", NEVER },
	/* The validator's averted reports of the NMI's attempts are expected: 0, the default
	 * mask, makes every kind but averted a bug. */
	[RQSPINLOCK_NMI] = { "rqspinlock-nmi", "raw_res_spin_lock_irqsave() in tasks and in an "
			     "NMI, errors given up", NEVER },
	[MMAP_LOCK] = { "mmap-lock", "mmap_lock read, write and trylock", NEVER },
	[SPIN_BH] = { "spin-bh", "spin_lock_bh() in tasks, spin_lock() in a softirq", NEVER },
	[RWLOCK] = { "rwlock", "write_lock_irq*() and read_lock() in tasks, read_lock() in a "
		     "hardirq", NEVER },
	[SPIN_TRACED] = { "spin-traced", "spin_lock() with probes on the contention tracepoints",
			  NEVER },
};

const struct ls_target ls_target_contention_locks = {
	.name = "contention/locks",
	.summary = "correct contention on one lock of each model: any finding is a false report",
	.models = "spin_lock, raw_spin_lock, spin_lock_bh, rwlock, mutex, rwsem, rqspinlock and "
		  "mmap_lock callers around a critical section",
	.ncpus = 3,
	.tasks = tasks,
	.ntasks = NTASKS,
	.nmis = nmis,
	.nnmis = 1,
	.irqs = irqs,
	.nirqs = 1,
	.variants = variants,
	.nvariants = NVARIANTS,
	.init = init,
	.check = check,
};

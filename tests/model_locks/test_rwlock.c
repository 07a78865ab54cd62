/* Suite `rwlock`: rwlock_t, the queued rwlock (include/lockstep/rwlock.h): who may pass whom, and
 * what the validator says about read_lock() in tasks and interrupts. */
#include "locks.h"

static const struct ls_variant two_variants[] = {
	{ "a", "test", LS_KIND_NONE },
	{ "b", "test", LS_KIND_NONE },
};

/* The writer on `l` has announced itself: every new task reader now queues. */
#define WRITER_WAITING(l) atomic_cond_read_acquire(&(l)->cnts, VAL & _QW_WAITING)

/* ---- readers share the lock -------------------------------------------------------------- */

/* Three readers, one by read_trylock(), each waiting inside for the other two to be inside too:
 * only a lock that readers share lets them all get there.  Result: never anything but clean. */
#define SHARE_READERS 3

static DEFINE_RWLOCK(share_lock);
static atomic_t share_inside;
static int share_try_failed;

static void share_reader(void *arg)
{
	if (arg) {
		if (!read_trylock(&share_lock)) {
			share_try_failed++;
			return;
		}
	} else {
		read_lock(&share_lock);
	}
	atomic_inc(&share_inside);
	atomic_cond_read_acquire(&share_inside, VAL == SHARE_READERS);
	read_unlock(&share_lock);
}

static void share_init(int v)
{
	(void)v;
	atomic_set(&share_inside, 0);
	share_try_failed = 0;
}

static const struct ls_task_decl share_tasks[] = {
	{ "r0", 0, share_reader, NULL },
	{ "r1", 1, share_reader, NULL },
	{ "r2", 2, share_reader, (void *)1 },
};
LOCK_TARGET(share_target, "test/rwlock-share", 3, share_tasks, one_variant, share_init);

static int share_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, share_try_failed == 0, "read_trylock() failed among readers");
	return TEST_PASS;
}

static int test_rwlock_readers_share_the_lock(void)
{
	return sweep(&share_target, 0, SEEDS, share_check);
}

/* ---- a writer excludes readers and writers ----------------------------------------------- */

/* Every flavour at once on one lock: task readers and writers on four CPUs and a hardirq reader
 * on the two CPUs whose tasks only read (a hardirq reader over a task writing with interrupts on
 * would deadlock: see the hardirq read_lock vs write_lock test below).  A writer must be alone
 * inside; readers only with readers.  Result: never anything but clean, and the count of write
 * sections exact. */
#define MX_ROUNDS 2

static DEFINE_RWLOCK(mx_lock);
static atomic_t mx_readers;
static int mx_writers, mx_count, mx_state_bad, mx_shared, mx_hardirqs;

static void mx_read_section(void)
{
	if (atomic_inc_return(&mx_readers) > 1)
		mx_shared++;
	LS_BUG_ON(READ_ONCE(mx_writers) != 0);
	cpu_relax();
	atomic_dec(&mx_readers);
}

static void mx_write_section(void)
{
	WRITE_ONCE(mx_writers, READ_ONCE(mx_writers) + 1);
	LS_BUG_ON(READ_ONCE(mx_writers) != 1 || atomic_read(&mx_readers) != 0);
	racy_inc(&mx_count);
	WRITE_ONCE(mx_writers, READ_ONCE(mx_writers) - 1);
}

static void mx_check_state(bool irqs_off, int preempt)
{
	if (irqs_disabled() != irqs_off || preempt_count() != preempt)
		mx_state_bad++;
}

static void mx_plain_reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < MX_ROUNDS; i++) {
		read_lock(&mx_lock);
		mx_check_state(false, 1);
		mx_read_section();
		read_unlock(&mx_lock);
	}
	mx_check_state(false, 0);
}

static void mx_plain_writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < MX_ROUNDS; i++) {
		write_lock(&mx_lock);
		mx_check_state(false, 1);
		mx_write_section();
		write_unlock(&mx_lock);
	}
	while (!write_trylock(&mx_lock))
		cpu_relax();
	mx_write_section();
	write_unlock(&mx_lock);
	write_lock_nested(&mx_lock, SINGLE_DEPTH_NESTING);
	mx_write_section();
	write_unlock(&mx_lock);
	mx_check_state(false, 0);
}

static void mx_irq_writer(void *arg)
{
	(void)arg;
	unsigned long flags;
	for (int i = 0; i < MX_ROUNDS; i++) {
		write_lock_irq(&mx_lock);
		mx_check_state(true, 1);
		mx_write_section();
		write_unlock_irq(&mx_lock);
		write_lock_irqsave(&mx_lock, flags);
		mx_check_state(true, 1);
		mx_write_section();
		write_unlock_irqrestore(&mx_lock, flags);
		write_lock_bh(&mx_lock);
		mx_check_state(false, 2);
		mx_write_section();
		write_unlock_bh(&mx_lock);
	}
	mx_check_state(false, 0);
}

static void mx_irq_reader(void *arg)
{
	(void)arg;
	unsigned long flags;
	for (int i = 0; i < MX_ROUNDS; i++) {
		read_lock_irqsave(&mx_lock, flags);
		mx_check_state(true, 1);
		mx_read_section();
		read_unlock_irqrestore(&mx_lock, flags);
		read_lock_irq(&mx_lock);
		mx_check_state(true, 1);
		mx_read_section();
		read_unlock_irq(&mx_lock);
		read_lock_bh(&mx_lock);
		mx_check_state(false, 2);
		mx_read_section();
		read_unlock_bh(&mx_lock);
		while (!read_trylock(&mx_lock))
			cpu_relax();
		mx_read_section();
		read_unlock(&mx_lock);
	}
	mx_check_state(false, 0);
}

static void mx_hardirq_reader(void *arg)
{
	(void)arg;
	mx_hardirqs++;
	read_lock(&mx_lock);
	mx_read_section();
	read_unlock(&mx_lock);
}

static void mx_init(int v)
{
	(void)v;
	atomic_set(&mx_readers, 0);
	mx_writers = mx_count = mx_state_bad = 0;
}

static const struct ls_task_decl mx_tasks[] = {
	{ "reader", 0, mx_plain_reader, NULL },
	{ "writer", 1, mx_plain_writer, NULL },
	{ "irq_writer", 2, mx_irq_writer, NULL },
	{ "irq_reader", 3, mx_irq_reader, NULL },
};
static const struct ls_irq_decl mx_irqs[] = {
	{ "hardirq_reader", 0x9, 1, mx_hardirq_reader, NULL },
};
LOCK_TARGET(mx_target, "test/rwlock-exclusion", 4, mx_tasks, one_variant, mx_init,
	    .irqs = mx_irqs, .nirqs = 1);

static int mx_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, mx_count == 4 * MX_ROUNDS + 2, "count %d", mx_count);
	SEED_CHECK(r, mx_state_bad == 0, "%d bad interrupt/preemption states", mx_state_bad);
	return TEST_PASS;
}

static int test_rwlock_writer_excludes_readers_and_writers(void)
{
	mx_shared = mx_hardirqs = 0;
	CHECK(sweep(&mx_target, 0, SEEDS, mx_check) == TEST_PASS);
	CHECKF(mx_shared > 0, "readers never held the lock together");
	CHECKF(mx_hardirqs > 0, "no hardirq reader ran in %d seeds", SEEDS);
	return TEST_PASS;
}

/* ---- writer fairness: a task reader queues behind a waiting writer ----------------------- */

/* r1 holds the lock for read; w asks for write and waits; then r2 asks for read.  Readers hold
 * the lock, yet r2 must not pass the waiting writer: it queues behind it.  Only once r2 waits
 * does r1 leave.  Result, in every schedule: r1 in, r1 out, w in, w out, r2 in. */
static DEFINE_RWLOCK(fair_lock);
static int fair_stage;
static atomic_t fair_n;
static const char *fair_log[5];

static void fair_note(const char *what)
{
	int i = atomic_inc_return(&fair_n) - 1;
	if (i < 5)
		fair_log[i] = what;
}

static void fair_r1(void *arg)
{
	(void)arg;
	read_lock(&fair_lock);
	fair_note("r1 in");
	WRITE_ONCE(fair_stage, 1);
	WRITER_WAITING(&fair_lock);
	WRITE_ONCE(fair_stage, 2);
	poll_until(parked_on(2, &fair_lock.wait_lock));	/* r2 queued */
	fair_note("r1 out");
	read_unlock(&fair_lock);
}

static void fair_w(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&fair_stage, VAL >= 1);
	write_lock(&fair_lock);
	fair_note("w in");
	cpu_relax();
	fair_note("w out");
	write_unlock(&fair_lock);
}

static void fair_r2(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&fair_stage, VAL >= 2);
	read_lock(&fair_lock);
	fair_note("r2 in");
	read_unlock(&fair_lock);
}

static void fair_init(int v)
{
	(void)v;
	fair_stage = 0;
	atomic_set(&fair_n, 0);
	memset(fair_log, 0, sizeof(fair_log));
}

static const struct ls_task_decl fair_tasks[] = {
	{ "r1", 0, fair_r1, NULL },
	{ "w", 1, fair_w, NULL },
	{ "r2", 2, fair_r2, NULL },
};
LOCK_TARGET(fair_target, "test/rwlock-writer-fairness", 3, fair_tasks, one_variant, fair_init);

static const char *const fair_expected[5] = { "r1 in", "r1 out", "w in", "w out", "r2 in" };

static int fair_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, fair_n.counter == 5, "%d events", fair_n.counter);
	for (int i = 0; i < 5; i++)
		SEED_CHECK(r, fair_log[i] && strcmp(fair_log[i], fair_expected[i]) == 0,
			   "event %d is \"%s\", expected \"%s\"", i, fair_log[i] ? fair_log[i] : "",
			   fair_expected[i]);
	return TEST_PASS;
}

static int test_rwlock_task_reader_queues_behind_a_waiting_writer(void)
{
	CHECK(sweep(&fair_target, 0, SEEDS, fair_check) == TEST_PASS);
	fprintf(stderr, "  order in all %d seeds:", SEEDS);
	for (int i = 0; i < 5; i++)
		fprintf(stderr, "%s %s", i ? "," : "", fair_expected[i]);
	fputc('\n', stderr);
	return TEST_PASS;
}

/* ---- an interrupt reader passes a waiting writer ----------------------------------------- */

/* tasklist_lock's pattern: t reads with interrupts on, a hardirq on t's CPU reads too, and the
 * writer w, on another CPU, writes with interrupts off.  While t holds the lock for read and w
 * waits, the hardirq reads: it must get the lock at once (it would otherwise wait for w, which
 * waits for t, which it interrupted).  Result: never a deadlock, and in some schedule the
 * hardirq does get in between.  The validator agrees, in both modes: a hardirq read is a
 * recursive read, and the writer keeps interrupts off. */
static DEFINE_RWLOCK(tl_lock);
static int tl_stage, tl_t_holds, tl_passed;

static void tl_t(void *arg)
{
	(void)arg;
	read_lock(&tl_lock);
	WRITE_ONCE(tl_stage, 1);
	WRITER_WAITING(&tl_lock);
	WRITE_ONCE(tl_t_holds, 1);
	for (int i = 0; i < 16; i++)
		cpu_relax();
	WRITE_ONCE(tl_t_holds, 0);
	read_unlock(&tl_lock);
}

static void tl_w(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&tl_stage, VAL >= 1);
	write_lock_irq(&tl_lock);
	cpu_relax();
	write_unlock_irq(&tl_lock);
}

static void tl_hardirq(void *arg)
{
	(void)arg;
	read_lock(&tl_lock);
	if (READ_ONCE(tl_t_holds) && (atomic_read(&tl_lock.cnts) & _QW_WAITING))
		tl_passed++;
	read_unlock(&tl_lock);
}

static void tl_init(int v)
{
	(void)v;
	tl_stage = tl_t_holds = 0;
}

static const struct ls_task_decl tl_tasks[] = {
	{ "t", 0, tl_t, NULL },
	{ "w", 1, tl_w, NULL },
};
static const struct ls_irq_decl tl_irqs[] = { { "reader_irq", 0x1, 1, tl_hardirq, NULL } };
LOCK_TARGET(tl_target, "test/rwlock-interrupt-reader", 2, tl_tasks, one_variant, tl_init,
	    .irqs = tl_irqs, .nirqs = 1);

static int test_rwlock_interrupt_reader_passes_a_waiting_writer(void)
{
	tl_passed = 0;
	CHECK(sweep(&tl_target, 0, SEEDS, expect_clean) == TEST_PASS);
	fprintf(stderr, "  the hardirq passed the waiting writer in %d of %d seeds\n", tl_passed,
		SEEDS);
	CHECKF(tl_passed > 0, "the hardirq never read while t held the lock and w waited");
	CHECK(sweep_mode(&tl_target, 0, SEEDS, LS_LOCKDEP_COMPAT, expect_clean) == TEST_PASS);
	/* Nor is it an AA through the interrupt for the full validator: the instance the hardirq
	 * reads is only held for read below it. */
	CHECK(sweep_mode(&tl_target, 0, SEEDS, LS_LOCKDEP_ON, expect_clean) == TEST_PASS);
	return TEST_PASS;
}

/* ---- read_lock() twice in a task, with a writer arriving in between ---------------------- */

/* The queued rwlock's classic deadlock.  t takes the lock for read twice on CPU0; w asks for it
 * for write on CPU1.  When w starts waiting between t's two read_lock()s, t's second read queues
 * behind w, which waits for t's first: a deadlock.
 *
 *   variant            second read      other task   lockdep told        result
 *   read-read          read_lock        writer       non-recursive       deadlock in some schedule
 *   read-read_bh       read_lock_bh     writer       recursive (bh off)  never: it passes w
 *   no-writer          read_lock        reader       non-recursive       never
 *   no-writer-forced   read_lock        reader       recursive (forced)  never
 *   read-read-forced   read_lock        writer       recursive (forced)  deadlock in some schedule
 *
 * read_lock_bh() is an "interrupt" reader: bottom halves off is in_interrupt().  Forcing reads
 * recursive changes what the validator is told, not the lock. */
static DEFINE_RWLOCK(rec_lock);
static int rec_variant;

enum { REC_READ_READ, REC_READ_BH, REC_NO_WRITER, REC_NO_WRITER_FORCED, REC_READ_READ_FORCED };

static void rec_t(void *arg)
{
	(void)arg;
	read_lock(&rec_lock);
	cpu_relax();
	cpu_relax();
	if (rec_variant == REC_READ_BH) {
		read_lock_bh(&rec_lock);
		read_unlock_bh(&rec_lock);
	} else {
		read_lock(&rec_lock);
		read_unlock(&rec_lock);
	}
	read_unlock(&rec_lock);
}

static void rec_other(void *arg)
{
	(void)arg;
	if (rec_variant == REC_NO_WRITER || rec_variant == REC_NO_WRITER_FORCED) {
		read_lock(&rec_lock);
		read_unlock(&rec_lock);
	} else {
		write_lock(&rec_lock);
		write_unlock(&rec_lock);
	}
}

static void rec_init(int v)
{
	rec_variant = v;
	if (v == REC_NO_WRITER_FORCED || v == REC_READ_READ_FORCED)
		ls_rwlock_force_read_recursive(true);
}

static const struct ls_variant rec_variants[] = {
	[REC_READ_READ] = { "read-read", "deadlocks behind a waiting writer", LS_KIND_DEADLOCK },
	[REC_READ_BH] = { "read-read_bh", "the second read is an interrupt reader", LS_KIND_NONE },
	[REC_NO_WRITER] = { "no-writer", "readers only", LS_KIND_NONE },
	[REC_NO_WRITER_FORCED] = { "no-writer-forced", "readers only, reads forced recursive",
				   LS_KIND_NONE },
	[REC_READ_READ_FORCED] = { "read-read-forced", "as read-read, reads forced recursive",
				   LS_KIND_DEADLOCK },
};
static const struct ls_task_decl rec_tasks[] = {
	{ "t", 0, rec_t, NULL },
	{ "w", 1, rec_other, NULL },
};
LOCK_TARGET(rec_target, "test/rwlock-recursive-read", 2, rec_tasks, rec_variants, rec_init);

static int rec_check(const struct ls_result *r)
{
	if (r->kind != LS_KIND_DEADLOCK ||
	    (rec_variant != REC_READ_READ && rec_variant != REC_READ_READ_FORCED))
		return expect_clean(r);
	SEED_CHECK(r, strcmp(r->signature, "deadlock: t waits in read_lock on rec_lock queued "
					"behind w, which waits in write_lock on rec_lock held by "
					"t") == 0,
		   "signature %s", r->signature);
	return TEST_PASS;
}

static int test_rwlock_recursive_read_deadlocks_behind_a_waiting_writer(void)
{
	CHECK(sweep(&rec_target, REC_READ_READ, SEEDS, rec_check) == TEST_PASS);
	print_kinds("read_lock, read_lock");
	CHECKF(sweep_kinds[LS_KIND_DEADLOCK] > 0, "no deadlock in %d seeds", SEEDS);
	CHECK(sweep(&rec_target, REC_READ_BH, SEEDS, rec_check) == TEST_PASS);
	CHECK(sweep(&rec_target, REC_NO_WRITER, SEEDS, rec_check) == TEST_PASS);
	/* Forced recursive, the lock deadlocks all the same. */
	CHECK(sweep(&rec_target, REC_READ_READ_FORCED, SEEDS, rec_check) == TEST_PASS);
	print_kinds("forced recursive");
	CHECKF(sweep_kinds[LS_KIND_DEADLOCK] > 0, "no deadlock in %d seeds", SEEDS);
	return TEST_PASS;
}

/* The validator sees the bug in every execution, with no writer at all: a task's read_lock() is
 * a non-recursive read (read = 1), so the second is lockdep's "possible recursive locking".  A
 * read_lock_bh() one is a recursive read (read = 2), and so is every read once forced: nothing to
 * say. */
static int rec_lockdep_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_LOCKDEP, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, strncmp(r->signature, "AA: rec_lock", 12) == 0, "signature %s",
		   r->signature);
	return TEST_PASS;
}

static int test_rwlock_recursive_read_is_recursive_locking_unless_forced_recursive(void)
{
	CHECK(sweep_mode(&rec_target, REC_NO_WRITER, SEEDS, LS_LOCKDEP_ON, rec_lockdep_check) ==
	      TEST_PASS);
	CHECK(sweep_mode(&rec_target, REC_READ_BH, SEEDS, LS_LOCKDEP_ON, expect_clean) ==
	      TEST_PASS);
	CHECK(sweep_mode(&rec_target, REC_NO_WRITER_FORCED, SEEDS, LS_LOCKDEP_ON, expect_clean) ==
	      TEST_PASS);
	/* Off again at the start of every execution: the variant that does not force it is
	 * reported after one that did. */
	CHECK(sweep_mode(&rec_target, REC_NO_WRITER, SEEDS, LS_LOCKDEP_ON, rec_lockdep_check) ==
	      TEST_PASS);
	return TEST_PASS;
}

/* ---- hardirq read_lock vs task write_lock with interrupts on ----------------------------- */

/* t writes with interrupts on (variant a) or off (variant b); a hardirq on another CPU reads.
 * Lockdep's {IN-HARDIRQ-R} against {HARDIRQ-ON-W}: had the hardirq hit t's CPU inside the
 * write section it would spin forever.  Result: variant a reports an inconsistent lock state
 * (once: usage bits accumulate over the campaign), variant b never.  The same code with the
 * hardirq on t's CPU does deadlock, in some schedule, with lockdep off. */
static DEFINE_RWLOCK(irqw_lock);
static int irqw_variant;

static void irqw_t(void *arg)
{
	(void)arg;
	if (irqw_variant == 0) {
		write_lock(&irqw_lock);
		cpu_relax();
		write_unlock(&irqw_lock);
	} else {
		write_lock_irq(&irqw_lock);
		cpu_relax();
		write_unlock_irq(&irqw_lock);
	}
}

static void irqw_idle(void *arg)
{
	(void)arg;
	for (int i = 0; i < 8; i++)
		cpu_relax();
}

static void irqw_hardirq(void *arg)
{
	(void)arg;
	read_lock(&irqw_lock);
	read_unlock(&irqw_lock);
}

static void irqw_init(int v)
{
	irqw_variant = v;
}

static const struct ls_task_decl irqw_tasks[] = {
	{ "t", 0, irqw_t, NULL },
	{ "idle", 1, irqw_idle, NULL },
};
static const struct ls_irq_decl irqw_irqs[] = { { "reader_irq", 0x2, 1, irqw_hardirq, NULL } };
LOCK_TARGET(irqw_target, "test/rwlock-irq-read-vs-write", 2, irqw_tasks, two_variants,
	    irqw_init, .irqs = irqw_irqs, .nirqs = 1);

static const struct ls_irq_decl irqw_same_irqs[] = { { "reader_irq", 0x1, 1, irqw_hardirq,
							 NULL } };
LOCK_TARGET(irqw_same_target, "test/rwlock-irq-read-vs-write-same-cpu", 2, irqw_tasks,
	    two_variants, irqw_init, .irqs = irqw_same_irqs, .nirqs = 1);

static int irqw_same_check(const struct ls_result *r)
{
	if (r->kind == LS_KIND_NONE)
		return TEST_PASS;
	SEED_CHECK(r, irqw_variant == 0 && r->kind == LS_KIND_DEADLOCK &&
			      strcmp(r->signature, "deadlock: t is interrupted by reader_irq@cpu0, which "
						   "waits in read_lock on irqw_lock held by t") == 0,
		   "outcome %s: %s", ls_kind_name(r->kind), r->signature);
	return TEST_PASS;
}

static int irqw_check(const struct ls_result *r)
{
	if (r->kind == LS_KIND_NONE)
		return TEST_PASS;
	SEED_CHECK(r, irqw_variant == 0 && r->kind == LS_KIND_LOCKDEP, "outcome %s: %s",
		   ls_kind_name(r->kind), r->signature);
	/* Only an inconsistent-lock-state report carries the two usages in its signature. */
	static const char want[] = "irq-inversion: irqw_lock {HARDIRQ-ON-W} {IN-HARDIRQ-R};";
	SEED_CHECK(r, strncmp(r->signature, want, sizeof(want) - 1) == 0, "signature %s",
		   r->signature);
	return TEST_PASS;
}

static int test_rwlock_hardirq_read_vs_task_write_with_irqs_on_is_inconsistent(void)
{
	CHECK(sweep_mode(&irqw_target, 0, SEEDS, LS_LOCKDEP_ON, irqw_check) == TEST_PASS);
	print_kinds("write_lock");
	CHECKF(sweep_kinds[LS_KIND_LOCKDEP] > 0, "no report in %d seeds", SEEDS);
	CHECK(sweep_mode(&irqw_target, 1, SEEDS, LS_LOCKDEP_ON, irqw_check) == TEST_PASS);
	CHECK(sweep(&irqw_same_target, 0, SEEDS, irqw_same_check) == TEST_PASS);
	print_kinds("write_lock, hardirq on its CPU");
	CHECKF(sweep_kinds[LS_KIND_DEADLOCK] > 0, "no deadlock in %d seeds", SEEDS);
	CHECK(sweep(&irqw_same_target, 1, SEEDS, irqw_same_check) == TEST_PASS);
	return TEST_PASS;
}

/* ---- trylocks ---------------------------------------------------------------------------- */

/* The prober tries both trylocks at each stage: r holding it for read (read succeeds, write
 * fails), w waiting behind r (both fail: a read trylock does not pass a waiting writer), w
 * holding it (both fail), and the lock free (write succeeds). */
static DEFINE_RWLOCK(try_lock);
static int try_stage, try_results[4][2];

static void try_probe(int stage)
{
	try_results[stage][0] = read_trylock(&try_lock);
	if (try_results[stage][0])
		read_unlock(&try_lock);
	try_results[stage][1] = write_trylock(&try_lock);
	if (try_results[stage][1])
		write_unlock(&try_lock);
}

static void try_r(void *arg)
{
	(void)arg;
	read_lock(&try_lock);
	WRITE_ONCE(try_stage, 1);
	smp_cond_load_acquire(&try_stage, VAL == 2);
	WRITE_ONCE(try_stage, 3);
	WRITER_WAITING(&try_lock);
	WRITE_ONCE(try_stage, 4);
	smp_cond_load_acquire(&try_stage, VAL == 5);
	read_unlock(&try_lock);
}

static void try_w(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&try_stage, VAL >= 3);
	write_lock(&try_lock);
	WRITE_ONCE(try_stage, 6);
	smp_cond_load_acquire(&try_stage, VAL == 7);
	write_unlock(&try_lock);
	WRITE_ONCE(try_stage, 8);
}

static void try_prober(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&try_stage, VAL == 1);
	try_probe(0);
	WRITE_ONCE(try_stage, 2);
	smp_cond_load_acquire(&try_stage, VAL == 4);
	try_probe(1);
	WRITE_ONCE(try_stage, 5);
	smp_cond_load_acquire(&try_stage, VAL == 6);
	try_probe(2);
	WRITE_ONCE(try_stage, 7);
	smp_cond_load_acquire(&try_stage, VAL == 8);
	try_probe(3);
}

static void try_init(int v)
{
	(void)v;
	try_stage = 0;
	memset(try_results, 0xff, sizeof(try_results));
}

static const struct ls_task_decl try_tasks[] = {
	{ "r", 0, try_r, NULL },
	{ "w", 1, try_w, NULL },
	{ "prober", 2, try_prober, NULL },
};
LOCK_TARGET(try_target, "test/rwlock-trylock", 3, try_tasks, one_variant, try_init);

static int try_check(const struct ls_result *r)
{
	static const int expected[4][2] = { { 1, 0 }, { 0, 0 }, { 0, 0 }, { 1, 1 } };
	static const char *const stage_name[4] = { "reader holds", "writer waits",
						   "writer holds", "free" };
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	for (int s = 0; s < 4; s++)
		SEED_CHECK(r, try_results[s][0] == expected[s][0] &&
				      try_results[s][1] == expected[s][1],
			   "%s: read_trylock %d, write_trylock %d", stage_name[s],
			   try_results[s][0], try_results[s][1]);
	return TEST_PASS;
}

static int test_rwlock_trylocks_never_pass_a_writer_and_write_needs_a_free_lock(void)
{
	return sweep(&try_target, 0, SEEDS, try_check);
}

/* ---- write_lock_nested() ----------------------------------------------------------------- */

/* Two locks of one class (one init site), the second taken with write_lock_nested(): no
 * recursive locking for the validator (variant a); with plain write_lock(), AA (variant b). */
static rwlock_t nest_locks[2];
static int nest_variant;

static void nest_t(void *arg)
{
	(void)arg;
	write_lock(&nest_locks[0]);
	if (nest_variant == 0)
		write_lock_nested(&nest_locks[1], SINGLE_DEPTH_NESTING);
	else
		write_lock(&nest_locks[1]);
	write_unlock(&nest_locks[1]);
	write_unlock(&nest_locks[0]);
}

static void nest_init(int v)
{
	nest_variant = v;
	for (int i = 0; i < 2; i++)
		rwlock_init(&nest_locks[i]);
}

static const struct ls_task_decl nest_tasks[] = { { "t", 0, nest_t, NULL } };
LOCK_TARGET(nest_target, "test/rwlock-nested", 1, nest_tasks, two_variants, nest_init);

static int nest_aa_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_LOCKDEP && strncmp(r->signature, "AA:", 3) == 0,
		   "outcome %s: %s", ls_kind_name(r->kind), r->signature);
	return TEST_PASS;
}

static int test_rwlock_write_lock_nested_is_not_recursive_locking(void)
{
	CHECK(sweep_mode(&nest_target, 0, 50, LS_LOCKDEP_ON, expect_clean) == TEST_PASS);
	CHECK(sweep_mode(&nest_target, 1, 50, LS_LOCKDEP_ON, nest_aa_check) == TEST_PASS);
	return TEST_PASS;
}

/* ---- rwlock_init() of a held lock ------------------------------------------------------- */

/* __rwlock_init() tells lockdep the memory is re-initialised: a held lock there is freed. */
static rwlock_t reinit_lock;

static void reinit_t(void *arg)
{
	(void)arg;
	write_lock(&reinit_lock);
	rwlock_init(&reinit_lock);
}

static void reinit_init(int v)
{
	(void)v;
	rwlock_init(&reinit_lock);
}

static const struct ls_task_decl reinit_tasks[] = { { "t", 0, reinit_t, NULL } };
LOCK_TARGET(reinit_target, "test/rwlock-reinit-held", 1, reinit_tasks, one_variant,
	    reinit_init);

static int reinit_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_LOCKDEP && strcmp(r->shape, "held-lock-freed") == 0,
		   "outcome %s: %s", ls_kind_name(r->kind), r->signature);
	return TEST_PASS;
}

static int test_rwlock_init_of_a_held_lock_is_a_held_lock_freed(void)
{
	return sweep_mode(&reinit_target, 0, 50, LS_LOCKDEP_ON, reinit_check);
}

/* ---- unlocking a lock not held ----------------------------------------------------------- */

/* write_unlock() of a lock not held for write is CONFIG_DEBUG_SPINLOCK's "wrong owner";
 * read_unlock() of a lock no reader holds would silently corrupt the count: both end the
 * execution as invariant failures. */
static DEFINE_RWLOCK(unheld_lock);
static int unheld_variant;

static void unheld_t(void *arg)
{
	(void)arg;
	if (unheld_variant == 0) {
		read_lock(&unheld_lock);
		write_unlock(&unheld_lock);
	} else {
		write_lock(&unheld_lock);
		write_unlock(&unheld_lock);
		read_unlock(&unheld_lock);
	}
}

static void unheld_init(int v)
{
	unheld_variant = v;
}

static const struct ls_task_decl unheld_tasks[] = { { "t", 0, unheld_t, NULL } };
LOCK_TARGET(unheld_target, "test/rwlock-unlock-unheld", 1, unheld_tasks, two_variants,
	    unheld_init);

static int unheld_check(const struct ls_result *r)
{
	const char *want = unheld_variant == 0 ? "BUG: rwlock wrong owner" : "no reader holds";
	SEED_CHECK(r, r->kind == LS_KIND_INVARIANT && strstr(r->signature, want),
		   "outcome %s: %s", ls_kind_name(r->kind), r->signature);
	return TEST_PASS;
}

static int test_rwlock_unlock_of_a_lock_not_held_is_an_invariant_failure(void)
{
	CHECK(sweep(&unheld_target, 0, 50, unheld_check) == TEST_PASS);
	CHECK(sweep(&unheld_target, 1, 50, unheld_check) == TEST_PASS);
	return TEST_PASS;
}

/* ---- classes, names, and a fresh lock in every execution --------------------------------- */

struct holder_of_rwlock {
	rwlock_t lock;
};

static DEFINE_RWLOCK(static_rw);

static int test_rwlock_class_names_and_keys_follow_lockdep(void)
{
	static rwlock_t dyn_a, dyn_b;
	static struct holder_of_rwlock h;
	struct holder_of_rwlock *hp = &h;

	CHECK(strcmp(static_rw.dep_map.name, "static_rw") == 0);
	CHECK(static_rw.dep_map.key == &static_rw);
	CHECK(static_rw.dep_map.wait_type == LS_WAIT_CONFIG);

	rwlock_init(&dyn_a);
	rwlock_init(&dyn_b);
	rwlock_init(&hp->lock);
	CHECKF(strcmp(dyn_a.dep_map.name, "dyn_a") == 0, "%s", dyn_a.dep_map.name);
	CHECKF(strcmp(hp->lock.dep_map.name, "&hp->lock") == 0, "%s", hp->lock.dep_map.name);
	CHECK(dyn_a.dep_map.wait_type == LS_WAIT_CONFIG);
	CHECK(dyn_a.dep_map.key != dyn_b.dep_map.key);
	CHECK(dyn_a.dep_map.key != &dyn_a);

	/* Outside an execution the operations run without scheduling points. */
	read_lock(&dyn_a);
	CHECK(read_trylock(&dyn_a) == 1);
	CHECK(write_trylock(&dyn_a) == 0);
	read_unlock(&dyn_a);
	read_unlock(&dyn_a);
	CHECK(dyn_a.cnts.counter == 0);
	write_lock(&dyn_a);
	CHECK(dyn_a.cnts.counter == _QW_LOCKED);
	CHECK(read_trylock(&dyn_a) == 0);
	write_unlock(&dyn_a);
	CHECK(dyn_a.cnts.counter == 0);
	CHECK(write_trylock(&dyn_a) == 1);
	write_unlock(&dyn_a);
	return TEST_PASS;
}

/* The task takes a statically defined lock for write and never releases it; the next execution,
 * with no init call, must find it free again. */
static DEFINE_RWLOCK(leaked_rw);
static int leaked_taken;

static void leak_task(void *arg)
{
	(void)arg;
	write_lock(&leaked_rw);
	leaked_taken++;
}

static void leak_init(int v)
{
	(void)v;
}

static const struct ls_task_decl leak_tasks[] = { { "t0", 0, leak_task, NULL } };
LOCK_TARGET(leak_target, "test/rwlock-leak", 1, leak_tasks, one_variant, leak_init);

static int test_rwlock_static_locks_start_unlocked_in_every_execution(void)
{
	leaked_taken = 0;
	CHECK(sweep(&leak_target, 0, 50, expect_clean) == TEST_PASS);
	CHECK(leaked_taken == 50);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_rwlock_readers_share_the_lock, status);
	RUN(test_rwlock_writer_excludes_readers_and_writers, status);
	RUN(test_rwlock_task_reader_queues_behind_a_waiting_writer, status);
	RUN(test_rwlock_interrupt_reader_passes_a_waiting_writer, status);
	RUN(test_rwlock_recursive_read_deadlocks_behind_a_waiting_writer, status);
	RUN(test_rwlock_recursive_read_is_recursive_locking_unless_forced_recursive, status);
	RUN(test_rwlock_hardirq_read_vs_task_write_with_irqs_on_is_inconsistent, status);
	RUN(test_rwlock_trylocks_never_pass_a_writer_and_write_needs_a_free_lock, status);
	RUN(test_rwlock_write_lock_nested_is_not_recursive_locking, status);
	RUN(test_rwlock_init_of_a_held_lock_is_a_held_lock_freed, status);
	RUN(test_rwlock_unlock_of_a_lock_not_held_is_an_invariant_failure, status);
	RUN(test_rwlock_class_names_and_keys_follow_lockdep, status);
	RUN(test_rwlock_static_locks_start_unlocked_in_every_execution, status);
	return status;
}

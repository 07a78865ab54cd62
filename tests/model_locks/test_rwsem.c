/* Suite `rwsem`: struct rw_semaphore's fairness, the consequences kernel-spec §3.5 lists. */
#include "locks.h"

#define WAITER_QUEUED(sem) atomic_cond_read_acquire(&(sem)->count, VAL & RWSEM_FLAG_WAITERS)
/* Two or more waiters: a writer queueing behind another stores nothing, so poll. */
static void second_waiter_queued(const struct rw_semaphore *sem)
{
	poll_until(sem->ls_first != sem->ls_last);
}

static const struct ls_variant two_variants[] = {
	{ "a", "test", LS_KIND_NONE },
	{ "b", "test", LS_KIND_NONE },
};

/* ---- a reader queues behind a queued writer ---------------------------------------------- */

/* r1 holds the rwsem for read; w queues for write; then r2 asks for read while r1 still holds it.
 * The lock is reader-owned, but r2 must wait until w got the lock and released it.
 * Variant b: r1 releases as soon as w queued and r2 comes later: now r2 may steal the free
 * lock before the woken writer runs, which must happen in some schedule. */
static DECLARE_RWSEM(q_sem);
static int q_variant, q_stage, q_w_done, q_w_acquired, q_r1_released;
static int q_r2_after_writer, q_r2_stole;

static void q_r1(void *arg)
{
	(void)arg;
	down_read(&q_sem);
	WRITE_ONCE(q_stage, 1);
	WAITER_QUEUED(&q_sem);
	WRITE_ONCE(q_stage, 2);
	if (q_variant == 0)
		second_waiter_queued(&q_sem);
	up_read(&q_sem);
	WRITE_ONCE(q_r1_released, 1);
}

static void q_w(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&q_stage, VAL >= 1);
	down_write(&q_sem);
	WRITE_ONCE(q_w_acquired, 1);
	cpu_relax();
	WRITE_ONCE(q_w_done, 1);
	up_write(&q_sem);
}

static void q_r2(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&q_stage, VAL >= 2);
	down_read(&q_sem);
	q_r2_after_writer = READ_ONCE(q_w_done);
	if (!READ_ONCE(q_w_acquired) && READ_ONCE(q_r1_released))
		q_r2_stole++;
	up_read(&q_sem);
}

static void q_init(int v)
{
	q_variant = v;
	q_stage = q_w_done = q_w_acquired = q_r1_released = 0;
	q_r2_after_writer = -1;
}

static const struct ls_task_decl q_tasks[] = {
	{ "r1", 0, q_r1, NULL },
	{ "w", 1, q_w, NULL },
	{ "r2", 2, q_r2, NULL },
};
LOCK_TARGET(q_target, "test/rwsem-queue", 3, q_tasks, two_variants, q_init);

static int q_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	if (q_variant == 0)
		SEED_CHECK(r, q_r2_after_writer == 1,
			   "r2 got the read lock before the queued writer released it");
	return TEST_PASS;
}

static int test_rwsem_new_reader_waits_behind_a_queued_writer(void)
{
	return sweep(&q_target, 0, SEEDS, q_check);
}

static int test_rwsem_reader_steals_a_free_lock_from_a_woken_writer(void)
{
	q_r2_stole = 0;
	CHECK(sweep(&q_target, 1, SEEDS, q_check) == TEST_PASS);
	CHECKF(q_r2_stole > 0, "r2 never took the lock between r1's release and the writer");
	fprintf(stderr, "  r2 stole the lock in %d of %d seeds\n", q_r2_stole, SEEDS);
	return TEST_PASS;
}

/* ---- down_read_trylock() ----------------------------------------------------------------- */

/* r1 holds the rwsem for read.  Variant a: a writer queues, then the prober's read trylock must
 * fail although only readers hold the lock.  Variant b: no writer; the trylock must succeed. */
static DECLARE_RWSEM(t_sem);
static int t_variant, t_stage, t_result;

static void t_r1(void *arg)
{
	(void)arg;
	down_read(&t_sem);
	WRITE_ONCE(t_stage, 1);
	if (t_variant == 0)
		WAITER_QUEUED(&t_sem);
	WRITE_ONCE(t_stage, 2);
	smp_cond_load_acquire(&t_stage, VAL == 3);
	up_read(&t_sem);
}

static void t_w(void *arg)
{
	(void)arg;
	if (t_variant != 0)
		return;
	smp_cond_load_acquire(&t_stage, VAL >= 1);
	down_write(&t_sem);
	up_write(&t_sem);
}

static void t_prober(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&t_stage, VAL == 2);
	t_result = down_read_trylock(&t_sem);
	if (t_result)
		up_read(&t_sem);
	WRITE_ONCE(t_stage, 3);
}

static void t_init(int v)
{
	t_variant = v;
	t_stage = 0;
	t_result = -1;
}

static const struct ls_task_decl t_tasks[] = {
	{ "r1", 0, t_r1, NULL },
	{ "w", 1, t_w, NULL },
	{ "prober", 2, t_prober, NULL },
};
LOCK_TARGET(t_target, "test/rwsem-trylock", 3, t_tasks, two_variants, t_init);

static int t_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, t_result == (t_variant == 0 ? 0 : 1), "down_read_trylock() returned %d",
		   t_result);
	return TEST_PASS;
}

static int test_rwsem_read_trylock_fails_with_a_waiter_and_succeeds_among_readers(void)
{
	CHECK(sweep(&t_target, 0, SEEDS, t_check) == TEST_PASS);
	CHECK(sweep(&t_target, 1, SEEDS, t_check) == TEST_PASS);
	return TEST_PASS;
}

/* ---- recursive down_read() --------------------------------------------------------------- */

/* t takes the rwsem for read twice.  With a writer that may queue in between (variant a) some
 * schedule deadlocks: t waits behind w, w waits for t's first hold.  With a second reader
 * instead (variant b), never. */
static DECLARE_RWSEM(rec_sem);
static int rec_variant;

static void rec_t(void *arg)
{
	(void)arg;
	down_read(&rec_sem);
	cpu_relax();
	cpu_relax();
	down_read(&rec_sem);
	up_read(&rec_sem);
	up_read(&rec_sem);
}

static void rec_other(void *arg)
{
	(void)arg;
	if (rec_variant == 0) {
		down_write(&rec_sem);
		up_write(&rec_sem);
	} else {
		down_read(&rec_sem);
		up_read(&rec_sem);
	}
}

static void rec_init(int v)
{
	rec_variant = v;
}

static const struct ls_task_decl rec_tasks[] = {
	{ "t", 0, rec_t, NULL },
	{ "w", 1, rec_other, NULL },
};
LOCK_TARGET(rec_target, "test/rwsem-recursive-read", 2, rec_tasks, two_variants, rec_init);

static int rec_check(const struct ls_result *r)
{
	if (rec_variant == 1 || r->kind != LS_KIND_DEADLOCK)
		return expect_clean(r);
	SEED_CHECK(r, strcmp(r->signature, "deadlock: t waits in down_read on rec_sem queued behind "
					"w, which waits in down_write on rec_sem held by t") == 0,
		   "signature %s", r->signature);
	return TEST_PASS;
}

static int test_rwsem_recursive_read_deadlocks_only_with_a_queued_writer(void)
{
	CHECK(sweep(&rec_target, 0, SEEDS, rec_check) == TEST_PASS);
	print_kinds("with a writer");
	CHECKF(sweep_kinds[LS_KIND_DEADLOCK] > 0, "no deadlock in %d seeds", SEEDS);
	CHECK(sweep(&rec_target, 1, SEEDS, rec_check) == TEST_PASS);
	return TEST_PASS;
}

/* The validator sees the same bug without any writer: down_read() is a non-recursive read
 * (read = 1), so taking it twice is lockdep's "possible recursive locking", in every execution. */
static int rec_lockdep_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_LOCKDEP, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, strncmp(r->signature, "AA", 2) == 0 && strstr(r->signature, "rec_sem"),
		   "signature %s", r->signature);
	return TEST_PASS;
}

static int test_rwsem_recursive_read_is_recursive_locking_to_the_validator(void)
{
	return sweep_mode(&rec_target, 1, SEEDS, LS_LOCKDEP_ON, rec_lockdep_check);
}

/* ---- writer hand-off after the timeout --------------------------------------------------- */

/* r1 holds the rwsem for read until time T; w queues (unless its CPU is slow until T: then it
 * takes the lock at once); r2 and r3 arrive at T, racing r1's release.  A reader arriving when r1 is gone may steal the lock from the woken writer;
 * once the writer has waited RWSEM_WAIT_TIMEOUT and finds the lock taken again, it sets HANDOFF,
 * and no reader may get in before it.  Variant a: T = 5 ms, past the timeout: some schedule
 * sets HANDOFF, and a reader that saw HANDOFF before asking always gets the lock after the
 * writer.  Variant b: T = 2 ms: HANDOFF is never set, and readers do steal. */
static DECLARE_RWSEM(h_sem);
static int h_variant, h_stage, h_w_acquired, h_r1_released;
static uint64_t h_w_start;
static int h_handoff_seen, h_stole;

static uint64_t h_deadline(void)
{
	return h_variant == 0 ? 5000000 : 2000000;
}

static void h_r1(void *arg)
{
	(void)arg;
	down_read(&h_sem);
	WRITE_ONCE(h_stage, 1);
	sleep_until(h_deadline());
	up_read(&h_sem);
	WRITE_ONCE(h_r1_released, 1);
}

static void h_w(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&h_stage, VAL >= 1);
	h_w_start = ls_now();
	down_write(&h_sem);
	WRITE_ONCE(h_w_acquired, 1);
	cpu_relax();
	up_write(&h_sem);
}

/* The writer queued, or, slow until r1 left, took the lock without queueing.  The plain read of
 * h_w_acquired and the park follow the count's point with no point between: no wake-up is lost
 * (up_write() stores to the count after the flag is set). */
static void writer_queued_or_done(void)
{
	for (;;) {
		long c = atomic_long_read(&h_sem.count);
		if ((c & RWSEM_FLAG_WAITERS) || h_w_acquired)
			return;
		ls_park(&h_sem.count, LS_NO_DEADLINE, LS_SITE("writer_queued_or_done"));
	}
}

static void h_reader(void *arg)
{
	(void)arg;
	writer_queued_or_done();
	sleep_until(h_deadline());
	bool handoff = h_sem.count.counter & RWSEM_FLAG_HANDOFF;
	uint64_t asked = ls_now();
	down_read(&h_sem);
	if (handoff) {
		h_handoff_seen++;
		LS_BUG_ON(!READ_ONCE(h_w_acquired));
		LS_BUG_ON(asked < h_w_start + RWSEM_WAIT_TIMEOUT_NS);
	}
	if (!READ_ONCE(h_w_acquired) && READ_ONCE(h_r1_released))
		h_stole++;
	cpu_relax();
	up_read(&h_sem);
}

static void h_init(int v)
{
	h_variant = v;
	h_stage = h_w_acquired = h_r1_released = 0;
	h_w_start = 0;
}

static const struct ls_task_decl h_tasks[] = {
	{ "r1", 0, h_r1, NULL },
	{ "w", 1, h_w, NULL },
	{ "r2", 2, h_reader, NULL },
	{ "r3", 3, h_reader, NULL },
};
LOCK_TARGET(h_target, "test/rwsem-handoff", 4, h_tasks, two_variants, h_init);

static int test_rwsem_writer_hands_off_after_the_timeout(void)
{
	h_handoff_seen = h_stole = 0;
	CHECK(sweep(&h_target, 0, SEEDS, expect_clean) == TEST_PASS);
	fprintf(stderr, "  T = 5 ms: HANDOFF seen by %d readers, %d steals\n", h_handoff_seen,
		h_stole);
	CHECKF(h_handoff_seen > 0, "no reader ever saw HANDOFF in %d seeds", SEEDS);
	h_handoff_seen = h_stole = 0;
	CHECK(sweep(&h_target, 1, SEEDS, expect_clean) == TEST_PASS);
	fprintf(stderr, "  T = 2 ms: HANDOFF seen by %d readers, %d steals\n", h_handoff_seen,
		h_stole);
	CHECKF(h_handoff_seen == 0, "HANDOFF before the timeout");
	CHECKF(h_stole > 0, "no reader stole the lock before the timeout");
	return TEST_PASS;
}

/* ---- readers share, writers exclude ------------------------------------------------------ */

#define RW_ROUNDS 2

static DECLARE_RWSEM(rw_sem);
static atomic_t rw_readers;
static int rw_writers, rw_count, rw_shared;

static void rw_reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < RW_ROUNDS; i++) {
		down_read(&rw_sem);
		/* Readers are inside together: their count must be atomic. */
		if (atomic_inc_return(&rw_readers) > 1)
			rw_shared++;
		LS_BUG_ON(READ_ONCE(rw_writers) != 0);
		sleep_until(ls_now() + 500);
		atomic_dec(&rw_readers);
		up_read(&rw_sem);
	}
}

static void rw_writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < RW_ROUNDS; i++) {
		if (i == 1 && !down_write_trylock(&rw_sem))
			down_write(&rw_sem);
		else if (i != 1)
			down_write(&rw_sem);
		WRITE_ONCE(rw_writers, READ_ONCE(rw_writers) + 1);
		LS_BUG_ON(READ_ONCE(rw_writers) != 1 || atomic_read(&rw_readers) != 0);
		racy_inc(&rw_count);
		WRITE_ONCE(rw_writers, READ_ONCE(rw_writers) - 1);
		up_write(&rw_sem);
	}
}

static void rw_init(int v)
{
	(void)v;
	atomic_set(&rw_readers, 0);
	rw_writers = rw_count = 0;
}

static const struct ls_task_decl rw_tasks[] = {
	{ "r0", 0, rw_reader, NULL },
	{ "r1", 1, rw_reader, NULL },
	{ "w0", 2, rw_writer, NULL },
	{ "w1", 2, rw_writer, NULL },
	{ "r2", 3, rw_reader, NULL },
};
LOCK_TARGET(rw_target, "test/rwsem-exclusion", 4, rw_tasks, one_variant, rw_init);

static int rw_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, rw_count == 2 * RW_ROUNDS, "count %d", rw_count);
	return TEST_PASS;
}

static int test_rwsem_readers_share_and_writers_exclude(void)
{
	rw_shared = 0;
	CHECK(sweep(&rw_target, 0, SEEDS, rw_check) == TEST_PASS);
	CHECKF(rw_shared > 0, "readers never held the rwsem together");
	return TEST_PASS;
}

/* ---- downgrade_write() ------------------------------------------------------------------- */

/* w holds the rwsem for write; reader r queues, then writer w2.  downgrade_write() lets r in
 * while w still holds it for read, but not w2. */
static DECLARE_RWSEM(d_sem);
static int d_stage, d_w_reading, d_r_in, d_r_with_w;

static void d_w(void *arg)
{
	(void)arg;
	down_write(&d_sem);
	WRITE_ONCE(d_stage, 1);
	WAITER_QUEUED(&d_sem);
	WRITE_ONCE(d_stage, 2);
	second_waiter_queued(&d_sem);
	downgrade_write(&d_sem);
	WRITE_ONCE(d_w_reading, 1);
	smp_cond_load_acquire(&d_r_in, VAL != 0);
	WRITE_ONCE(d_w_reading, 0);
	up_read(&d_sem);
}

static void d_r(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&d_stage, VAL >= 1);
	down_read(&d_sem);
	d_r_with_w = !(d_sem.count.counter & RWSEM_WRITER_LOCKED) && d_sem.ls_nreaders == 2;
	WRITE_ONCE(d_r_in, 1);
	up_read(&d_sem);
}

static void d_w2(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&d_stage, VAL >= 2);
	down_write(&d_sem);
	LS_BUG_ON(READ_ONCE(d_w_reading));
	up_write(&d_sem);
}

static void d_init(int v)
{
	(void)v;
	d_stage = d_w_reading = d_r_in = 0;
	d_r_with_w = -1;
}

static const struct ls_task_decl d_tasks[] = {
	{ "w", 0, d_w, NULL },
	{ "r", 1, d_r, NULL },
	{ "w2", 2, d_w2, NULL },
};
LOCK_TARGET(d_target, "test/rwsem-downgrade", 3, d_tasks, one_variant, d_init);

static int d_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, d_r_with_w == 1, "r did not share the lock with the downgraded writer");
	return TEST_PASS;
}

static int test_rwsem_downgrade_lets_queued_readers_in_but_not_writers(void)
{
	return sweep(&d_target, 0, SEEDS, d_check);
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_rwsem_new_reader_waits_behind_a_queued_writer, status);
	RUN(test_rwsem_reader_steals_a_free_lock_from_a_woken_writer, status);
	RUN(test_rwsem_read_trylock_fails_with_a_waiter_and_succeeds_among_readers, status);
	RUN(test_rwsem_recursive_read_deadlocks_only_with_a_queued_writer, status);
	RUN(test_rwsem_recursive_read_is_recursive_locking_to_the_validator, status);
	RUN(test_rwsem_writer_hands_off_after_the_timeout, status);
	RUN(test_rwsem_readers_share_and_writers_exclude, status);
	RUN(test_rwsem_downgrade_lets_queued_readers_in_but_not_writers, status);
	return status;
}

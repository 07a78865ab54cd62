/* Suite `ksrc`, the shims' own rules, without a kernel tree: a spin-wait with a count in its
 * condition is bounded by time, not by how often the condition is evaluated
 * (include/lockstep/kshim/ls_kshim.h, ls_kcond_load()).
 *
 * x86's qspinlock and rqspinlock wait for a pending->locked hand-over with
 * atomic_cond_read_relaxed(&lock->val, (VAL != _Q_PENDING_VAL) || !cnt--), cnt = 2^9: 512 turns
 * of 10 ns.  The waiter here runs that wait on a word another CPU writes after a delay:
 *   - a store within the 512 turns ends the wait with the value stored, when it lands;
 *   - a later store is not waited for: the wait returns the pending value after the turns' time;
 *   - the same condition without a count waits for the store however late it comes.
 * And the timed waits, smp_cond_load_*_timeout() in both shapes they were posted in, end at
 * their timeout when nobody stores, and at the store when it comes first. */
#include <ls_kshim.h>

#include "../check.h"
#include "../harness.h"
#include "../strat.h"

void ls_delay_ns(uint64_t ns, const struct ls_site *site);

#define PENDING 0x100
#define TURNS 512	/* x86's _Q_PENDING_LOOPS */
#define TURN_NS 10

static const struct ls_variant one_variant[] = { { "default", "test", LS_KIND_NONE } };

static atomic_t word;
static uint64_t writer_delay, waited;
static int seen;
static bool counted;
static int timed;	/* 0: no timeout; 3 or 4: the timeout form with that many arguments */

#define TIMEOUT_NS 1000000ull

static void waiter_fn(void *arg)
{
	(void)arg;
	uint64_t start = ls_now();
	if (timed == 3) {
		seen = smp_cond_load_acquire_timeout(&word.counter, VAL != PENDING,
						     ls_now() - start >= TIMEOUT_NS);
	} else if (timed == 4) {
		seen = atomic_cond_read_relaxed_timeout(&word, VAL != PENDING, ls_now(), TIMEOUT_NS);
	} else if (counted) {
		int cnt = TURNS;
		seen = atomic_cond_read_relaxed(&word, (VAL != PENDING) || !cnt--);
	} else {
		seen = atomic_cond_read_relaxed(&word, VAL != PENDING);
	}
	waited = ls_now() - start;
}

static void writer_fn(void *arg)
{
	(void)arg;
	ls_delay_ns(writer_delay, LS_SITE("delay"));
	WRITE_ONCE(word.counter, 1);
}

static void counted_init(int v)
{
	(void)v;
	word.counter = PENDING;
	seen = -1;
	waited = 0;
}

static const struct ls_task_decl tasks[] = {
	{ "waiter", 0, waiter_fn, NULL },
	{ "writer", 1, writer_fn, NULL },
};

static const struct ls_target target = {
	.name = "test/counted-wait",
	.summary = "test",
	.models = "tests",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.variants = one_variant,
	.nvariants = 1,
	.init = counted_init,
};

static enum ls_kind run_timed(int form, bool with_count, uint64_t delay);

static enum ls_kind run(bool with_count, uint64_t delay)
{
	return run_timed(0, with_count, delay);
}

static enum ls_kind run_timed(int form, bool with_count, uint64_t delay)
{
	struct ls_session s;
	struct ls_config cfg;
	struct ls_strategy st;
	struct ls_result r;
	char err[256];
	counted = with_count;
	timed = form;
	writer_delay = delay;
	ls_config_default(&cfg);
	default_strategy_init(&st);
	if (!ls_session_init(&s, &target, 0, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(TEST_FAIL);
	}
	ls_session_run(&s, &st, 0, &r);
	ls_session_finish(&s);
	return r.kind;
}

static int test_counted_wait_sees_a_hand_over_within_its_turns(void)
{
	CHECK(run(true, 1000) == LS_KIND_NONE);
	CHECKF(seen == 1, "returned %#x", seen);
	CHECKF(waited >= 1000 && waited < TURNS * TURN_NS, "waited %llu ns",
	       (unsigned long long)waited);
	return TEST_PASS;
}

static int test_counted_wait_gives_up_after_its_turns_time(void)
{
	CHECK(run(true, 100000) == LS_KIND_NONE);
	CHECKF(seen == PENDING, "returned %#x", seen);
	CHECKF(waited >= TURNS * TURN_NS && waited < TURNS * TURN_NS + 100, "waited %llu ns",
	       (unsigned long long)waited);
	return TEST_PASS;
}

static int test_wait_without_a_count_waits_for_the_store(void)
{
	CHECK(run(false, 100000) == LS_KIND_NONE);
	CHECKF(seen == 1, "returned %#x", seen);
	CHECKF(waited >= 100000, "waited %llu ns", (unsigned long long)waited);
	return TEST_PASS;
}

static int test_timed_wait_ends_at_its_timeout(void)
{
	for (int form = 3; form <= 4; form++) {
		CHECK(run_timed(form, false, 100 * TIMEOUT_NS) == LS_KIND_NONE);
		CHECKF(seen == PENDING, "form %d returned %#x", form, seen);
		CHECKF(waited >= TIMEOUT_NS && waited < 2 * TIMEOUT_NS, "form %d waited %llu ns",
		       form, (unsigned long long)waited);
	}
	return TEST_PASS;
}

static int test_timed_wait_ends_at_a_store_before_its_timeout(void)
{
	for (int form = 3; form <= 4; form++) {
		CHECK(run_timed(form, false, 20000) == LS_KIND_NONE);
		CHECKF(seen == 1, "form %d returned %#x", form, seen);
		CHECKF(waited >= 20000 && waited < TIMEOUT_NS, "form %d waited %llu ns", form,
		       (unsigned long long)waited);
	}
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_counted_wait_sees_a_hand_over_within_its_turns, status);
	RUN(test_counted_wait_gives_up_after_its_turns_time, status);
	RUN(test_wait_without_a_count_waits_for_the_store, status);
	RUN(test_timed_wait_ends_at_its_timeout, status);
	RUN(test_timed_wait_ends_at_a_store_before_its_timeout, status);
	return status;
}

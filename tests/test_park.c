/* Suite `park`: parking on a word, virtual deadlines, deadlock and stall detection. */
#include <lockstep/kernel.h>

#include "check.h"
#include "harness.h"
#include "strat.h"

static const struct ls_variant one_variant[] = { { "default", "test", LS_KIND_NONE } };

#define TARGET(var, name_, tasks_, init_)                                                 \
	static const struct ls_target var = {                                             \
		.name = name_,                                                            \
		.summary = "test",                                                        \
		.models = "tests",                                                        \
		.ncpus = 2,                                                               \
		.tasks = tasks_,                                                          \
		.ntasks = (int)(sizeof(tasks_) / sizeof(tasks_[0])),                      \
		.variants = one_variant,                                                  \
		.nvariants = 1,                                                           \
		.init = init_,                                                            \
	}

static int run_target(const struct ls_target *t, uint64_t step_limit, struct ls_strategy *st,
		      uint64_t seed, struct ls_result *r)
{
	struct ls_session s;
	struct ls_config cfg;
	char err[256];
	ls_config_default(&cfg);
	if (step_limit)
		cfg.step_limit = step_limit;
	if (!ls_session_init(&s, t, 0, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", t->name, err);
		exit(TEST_FAIL);
	}
	ls_session_run(&s, st, seed, r);
	ls_session_finish(&s);
	return r->kind;
}

/* ---- a deadline nobody beats ------------------------------------------------------------- */

static long timeout_word;
static bool timeout_ret;
static uint64_t timeout_deadline, timeout_after;

static void timeout_fn(void *arg)
{
	(void)arg;
	timeout_deadline = ls_now() + 250000000ULL;
	timeout_ret = ls_park(&timeout_word, timeout_deadline, LS_SITE("wait"));
	timeout_after = ls_now();
}

static void timeout_init(int v)
{
	(void)v;
	timeout_word = 0;
	timeout_ret = true;
	timeout_deadline = timeout_after = 0;
}

static const struct ls_task_decl timeout_tasks[] = { { "waiter", 0, timeout_fn, NULL } };
TARGET(timeout_target, "test/timeout", timeout_tasks, timeout_init);

static int test_park_deadline_jumps_the_clock_in_few_steps(void)
{
	struct ls_strategy st;
	struct ls_result r;
	default_strategy_init(&st);
	CHECK(run_target(&timeout_target, 0, &st, 0, &r) == LS_KIND_NONE);
	CHECK(timeout_ret == false);
	CHECKF(timeout_deadline >= 250000000ULL, "deadline %llu",
	       (unsigned long long)timeout_deadline);
	CHECKF(timeout_after == timeout_deadline, "woke at %llu, deadline %llu",
	       (unsigned long long)timeout_after, (unsigned long long)timeout_deadline);
	CHECKF(r.steps < 50, "%llu steps", (unsigned long long)r.steps);
	return TEST_PASS;
}

/* ---- a write wakes a parked task --------------------------------------------------------- */

static int flag;
static int parks, woken_by_write, timeouts;

static void waiter_fn(void *arg)
{
	(void)arg;
	while (READ_ONCE(flag) == 0) {
		parks++;
		if (ls_park(&flag, LS_NO_DEADLINE, LS_SITE("wait")))
			woken_by_write++;
		else
			timeouts++;
	}
}

static void writer_fn(void *arg)
{
	(void)arg;
	WRITE_ONCE(flag, 1);
}

static void wake_init(int v)
{
	(void)v;
	flag = 0;
}

static const struct ls_task_decl wake_tasks[] = {
	{ "waiter", 0, waiter_fn, NULL },
	{ "writer", 1, writer_fn, NULL },
};
TARGET(wake_target, "test/wake", wake_tasks, wake_init);

static int test_write_wakes_a_task_parked_without_deadline(void)
{
	struct ls_strategy st;
	struct ls_result r;
	default_strategy_init(&st);
	parks = woken_by_write = timeouts = 0;
	/* The default schedule runs the waiter (context 0) until it parks, then the writer. */
	CHECK(run_target(&wake_target, 0, &st, 0, &r) == LS_KIND_NONE);
	CHECKF(parks == 1 && woken_by_write == 1 && timeouts == 0,
	       "parks %d, woken %d, timeouts %d", parks, woken_by_write, timeouts);

	/* Under random schedules too: every park ends with a wake, never a deadlock. */
	parks = woken_by_write = timeouts = 0;
	for (uint64_t seed = 0; seed < 300; seed++) {
		struct ls_random rnd;
		ls_random_init(&rnd, 0.3, 0.0, 0.0);
		if (run_target(&wake_target, 0, &rnd.base, seed, &r) != LS_KIND_NONE) {
			fprintf(stderr, "seed %llu: %s %s\n", (unsigned long long)seed,
				ls_kind_name(r.kind), r.signature);
			return TEST_FAIL;
		}
	}
	CHECK(timeouts == 0);
	CHECK(parks == woken_by_write);
	return TEST_PASS;
}

/* ---- everyone parked, nobody to wake them ------------------------------------------------ */

static long lonely_a, lonely_b;

static void lonely_a_fn(void *arg)
{
	(void)arg;
	ls_park(&lonely_a, LS_NO_DEADLINE, LS_SITE("wait_a"));
}

static void lonely_b_fn(void *arg)
{
	(void)arg;
	ls_park(&lonely_b, LS_NO_DEADLINE, LS_SITE("wait_b"));
}

static void lonely_init(int v)
{
	(void)v;
	lonely_a = lonely_b = 0;
}

static const struct ls_task_decl lonely_tasks[] = {
	{ "a", 0, lonely_a_fn, NULL },
	{ "b", 1, lonely_b_fn, NULL },
};
TARGET(lonely_target, "test/lonely", lonely_tasks, lonely_init);

static int test_everyone_parked_without_deadline_is_a_deadlock(void)
{
	struct ls_strategy st;
	struct ls_result r;
	default_strategy_init(&st);
	CHECKF(run_target(&lonely_target, 0, &st, 0, &r) == LS_KIND_DEADLOCK, "outcome %s",
	       ls_kind_name(r.kind));
	CHECK(strncmp(r.signature, "deadlock", 8) == 0);
	return TEST_PASS;
}

/* ---- a task that spins forever ----------------------------------------------------------- */

static int spin_word;

static void spinner_fn(void *arg)
{
	(void)arg;
	while (READ_ONCE(spin_word) == 0)
		;
}

static void spin_init(int v)
{
	(void)v;
	spin_word = 0;
}

static const struct ls_task_decl spin_tasks[] = { { "spinner", 0, spinner_fn, NULL } };
TARGET(spin_target, "test/spin", spin_tasks, spin_init);

static int test_spinning_forever_is_a_stall_at_the_step_limit(void)
{
	struct ls_strategy st;
	struct ls_result r;
	default_strategy_init(&st);
	CHECKF(run_target(&spin_target, 1000, &st, 0, &r) == LS_KIND_STALL, "outcome %s",
	       ls_kind_name(r.kind));
	CHECKF(r.steps >= 1000 && r.steps <= 1001, "%llu steps", (unsigned long long)r.steps);
	CHECK(strncmp(r.signature, "stall", 5) == 0);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_park_deadline_jumps_the_clock_in_few_steps, status);
	RUN(test_write_wakes_a_task_parked_without_deadline, status);
	RUN(test_everyone_parked_without_deadline_is_a_deadlock, status);
	RUN(test_spinning_forever_is_a_stall_at_the_step_limit, status);
	return status;
}

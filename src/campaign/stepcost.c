/* The cost of a scheduler step beside a bare fiber switch, measured in-process.
 *
 * Fiber switch: two fibers ping-pong `rounds` times and return to the caller; the time divided
 * by the one-way switches made.  Step: an execution of a target built here for the purpose, whose
 * tasks only call ls_point() on a word no one else touches, under a strategy that either always
 * keeps the default (one task: the step's own cost) or switches at every point it may (two tasks
 * on two CPUs: a step plus a fiber switch); the time divided by the steps the execution took.
 * Timings use CLOCK_MONOTONIC around whole runs, so the clock's cost is spread over all of them.
 * Medians and the tables are the callers' business. */
#include "stepcost.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <lockstep/runtime.h>
#include <lockstep/target.h>

#include "exec.h"
#include "fiber.h"
#include "machine.h"
#include "strategy.h"

#define STACK_SIZE (64 * 1024)

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the bare fiber switch ----------------------------------------------------------------- */

static struct ls_fiber f_main, f_a, f_b;
static long pingpong_rounds;

/* a -> b -> a ... pingpong_rounds times, then back to main for good. */
static void fa_fn(void *arg)
{
	(void)arg;
	for (long i = 0; i < pingpong_rounds; i++)
		ls_fiber_switch(&f_a, &f_b);
	ls_fiber_switch(&f_a, &f_main);
	abort();	/* never resumed */
}

static void fb_fn(void *arg)
{
	(void)arg;
	for (;;)
		ls_fiber_switch(&f_b, &f_a);
}

/* ns per one-way switch; a round is a->b plus b->a, and main->a, a->main add two more. */
static double fiber_once(long rounds)
{
	pingpong_rounds = rounds;
	ls_fiber_init(&f_a, fa_fn, NULL);
	ls_fiber_init(&f_b, fb_fn, NULL);
	uint64_t t0 = mono_ns();
	ls_fiber_switch(&f_main, &f_a);
	uint64_t t1 = mono_ns();
	return (double)(t1 - t0) / (double)(2 * rounds + 2);
}

bool ls_stepcost_fiber(long rounds, int reps, double *ns, char *err, size_t errlen)
{
	ls_fiber_init_main(&f_main);
	if (!ls_fiber_create_stack(&f_a, STACK_SIZE) || !ls_fiber_create_stack(&f_b, STACK_SIZE)) {
		snprintf(err, errlen, "cannot map fiber stacks");
		return false;
	}
	fiber_once(rounds / 10 + 1);	/* warm-up */
	for (int i = 0; i < reps; i++)
		ns[i] = fiber_once(rounds);
	ls_fiber_destroy_stack(&f_a);
	ls_fiber_destroy_stack(&f_b);
	return true;
}

/* ---- scheduler steps ----------------------------------------------------------------------- */

static long points_per_task;
static int bench_word;

static void point_loop(void *arg)
{
	(void)arg;
	for (long i = 0; i < points_per_task; i++)
		ls_point(LS_OP_LOAD, &bench_word, LS_SITE("bench"));
}

static void bench_target_init(int variant)
{
	(void)variant;
	bench_word = 0;
}

static const struct ls_variant bench_variants[] = {
	{ "default", "no shared state: a loop of scheduling points", LS_KIND_NONE },
};

static const struct ls_task_decl stay_tasks[] = {
	{ "t0", 0, point_loop, NULL },
};

static const struct ls_target stay_target = {
	.name = "bench/stay",
	.summary = "one task on one CPU doing N scheduling points",
	.models = "nothing",
	.ncpus = 1,
	.tasks = stay_tasks,
	.ntasks = 1,
	.variants = bench_variants,
	.nvariants = 1,
	.init = bench_target_init,
};

static const struct ls_task_decl switch_tasks[] = {
	{ "t0", 0, point_loop, NULL },
	{ "t1", 1, point_loop, NULL },
};

static const struct ls_target switch_target = {
	.name = "bench/switch",
	.summary = "two tasks on two CPUs, N scheduling points each",
	.models = "nothing",
	.ncpus = 2,
	.tasks = switch_tasks,
	.ntasks = 2,
	.variants = bench_variants,
	.nvariants = 1,
	.init = bench_target_init,
};

static void begin_nop(struct ls_strategy *s, uint64_t seed)
{
	(void)s;
	(void)seed;
}

static int choose_default(struct ls_strategy *s, struct ls_point *pt)
{
	(void)s;
	(void)pt;
	return 0;
}

/* At every non-forced point, run the other task: the LS_CH_RUN choice (index 1 here). */
static int choose_other(struct ls_strategy *s, struct ls_point *pt)
{
	(void)s;
	if (pt->forced)
		return 0;
	int n = ls_point_choices(pt);
	for (int i = 1; i < n; i++)
		if (pt->choices[i].kind == LS_CH_RUN)
			return i;
	return 0;
}

static struct ls_strategy stay_strategy = { "bench-stay", begin_nop, choose_default };
static struct ls_strategy switch_strategy = { "bench-switch", begin_nop, choose_other };

/* ns per step of one execution, or a negative value (the reason in err) if it was not clean. */
static double steps_once(struct ls_session *s, struct ls_strategy *st, long n, uint64_t *steps,
			 uint64_t *preemptions, char *err, size_t errlen)
{
	struct ls_result r;
	points_per_task = n;
	uint64_t t0 = mono_ns();
	enum ls_kind k = ls_session_run(s, st, 0, &r);
	uint64_t t1 = mono_ns();
	if (k != LS_KIND_NONE || r.steps == 0) {
		snprintf(err, errlen, "step benchmark ended with %s after %llu steps",
			 ls_kind_name(k), (unsigned long long)r.steps);
		return -1;
	}
	*steps = r.steps;
	*preemptions = s->m->preemptions;
	return (double)(t1 - t0) / (double)r.steps;
}

bool ls_stepcost_steps(bool switching, long points, int reps, double *ns, uint64_t *steps,
		       uint64_t *preemptions, char *err, size_t errlen)
{
	const struct ls_target *t = switching ? &switch_target : &stay_target;
	struct ls_strategy *st = switching ? &switch_strategy : &stay_strategy;
	struct ls_config cfg;
	struct ls_session s;
	ls_config_default(&cfg);
	cfg.step_limit = 10000000;
	if ((uint64_t)points * (uint64_t)t->ntasks + 1000 > cfg.step_limit)
		cfg.step_limit = (uint64_t)points * (uint64_t)t->ntasks + 1000;
	if (!ls_session_init(&s, t, 0, &cfg, err, errlen))
		return false;
	/* Full-size warm-up: the first run touches the decision log's pages (one decision per
	 * switching step), which would otherwise land in the first timed repetition. */
	bool ok = steps_once(&s, st, points, steps, preemptions, err, errlen) >= 0;
	for (int i = 0; ok && i < reps; i++)
		ok = (ns[i] = steps_once(&s, st, points, steps, preemptions, err, errlen)) >= 0;
	ls_session_finish(&s);
	return ok;
}

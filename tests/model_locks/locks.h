/* Shared by the spinlock, mutex, rwsem and mm suites: inline targets run over a range of seeds
 * under the random walk, with a per-seed check; a failing seed prints its number and the full
 * report of that execution.  The lock validator is off unless a test asks for it: these suites
 * check what the models do, not what lockdep says about them. */
#ifndef LS_TESTS_LOCKS_H
#define LS_TESTS_LOCKS_H

#include <inttypes.h>
#include <stdarg.h>

#include <lockstep/kernel.h>

#include "../check.h"
#include "../harness.h"
#include "report.h"

/* Seeds per sweep: every "reachable" outcome below shows up well inside it, and every "never"
 * is checked over all of it. */
#define SEEDS 2000

static const struct ls_variant one_variant[] __attribute__((unused)) = {
	{ "default", "test", LS_KIND_NONE },
};

/* An inline target: name, CPUs, the tasks and variants arrays, init, then any other fields. */
#define LOCK_TARGET(var, name_, ncpus_, tasks_, variants_, init_, ...)                       \
	static const struct ls_target var = {                                                \
		.name = name_,                                                               \
		.summary = "test",                                                           \
		.models = "tests/model_locks",                                               \
		.ncpus = ncpus_,                                                             \
		.tasks = tasks_,                                                             \
		.ntasks = (int)(sizeof(tasks_) / sizeof(tasks_[0])),                         \
		.variants = variants_,                                                       \
		.nvariants = (int)(sizeof(variants_) / sizeof(variants_[0])),                \
		.init = init_,                                                               \
		__VA_ARGS__                                                                  \
	}

/* The machine of the running sweep, for tasks that look at other contexts. */
static struct ls_machine *sweep_machine __attribute__((unused));

/* Outcome counts of the last sweep. */
static unsigned sweep_kinds[LS_KIND_COUNT] __attribute__((unused));

typedef int (*seed_check)(const struct ls_result *r);

/* Fails the per-seed check, naming the seed. */
#define SEED_CHECK(r, cond, ...)                                                             \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "seed %" PRIu64 ": CHECK failed: %s: ", (r)->seed,  \
				#cond);                                                      \
			fprintf(stderr, __VA_ARGS__);                                        \
			fputc('\n', stderr);                                                 \
			return TEST_FAIL;                                                    \
		}                                                                            \
	} while (0)

/* Runs seeds 0..nseeds-1 of t:variant under RANDOM_STRATEGY with the validator in mode, and
 * check (if any) after each; stops at the first failing seed, printing its report.  Counts the
 * outcomes in sweep_kinds. */
static inline int sweep_mode(const struct ls_target *t, int variant, uint64_t nseeds,
			     enum ls_lockdep_mode mode, seed_check check)
{
	struct ls_session s;
	struct ls_config cfg;
	char err[256];
	ls_config_default(&cfg);
	if (!ls_session_init(&s, t, variant, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", t->name, err);
		return TEST_FAIL;
	}
	s.lockdep = mode;
	sweep_machine = s.m;
	memset(sweep_kinds, 0, sizeof(sweep_kinds));
	int rc = TEST_PASS;
	for (uint64_t seed = 0; seed < nseeds; seed++) {
		struct ls_result r;
		run_random(&s, seed, &r, NULL);
		sweep_kinds[r.kind]++;
		rc = check ? check(&r) : TEST_PASS;
		if (rc != TEST_PASS) {
			struct ls_buf b = { 0 };
			fprintf(stderr, "  %s:%s, %s seed %" PRIu64 " (outcome %s%s%s):\n", t->name,
				t->variants[variant].name, RANDOM_STRATEGY, seed,
				ls_kind_name(r.kind), r.signature[0] ? ": " : "", r.signature);
			ls_report_write(&s, &r, RANDOM_STRATEGY, NULL, &b);
			fprintf(stderr, "%s", b.s ? b.s : "");
			ls_buf_finish(&b);
			break;
		}
	}
	sweep_machine = NULL;
	ls_session_finish(&s);
	return rc;
}

static inline int sweep(const struct ls_target *t, int variant, uint64_t nseeds, seed_check check)
{
	return sweep_mode(t, variant, nseeds, LS_LOCKDEP_OFF, check);
}

/* A per-seed check for scenarios whose only acceptable outcome is a clean execution. */
static inline int expect_clean(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	return TEST_PASS;
}

static inline void print_kinds(const char *what)
{
	fprintf(stderr, "  %s:", what);
	for (int k = 0; k < LS_KIND_COUNT; k++)
		if (sweep_kinds[k])
			fprintf(stderr, " %s %u", ls_kind_name((enum ls_kind)k), sweep_kinds[k]);
	fputc('\n', stderr);
}

/* ---- helpers for task bodies ------------------------------------------------------------- */

/* Sleeps (parks) until virtual time t: msleep() with an absolute deadline. */
static long sleep_word __attribute__((unused));
static inline void __attribute__((unused)) sleep_until(uint64_t t)
{
	while (ls_now() < t)
		ls_park(&sleep_word, t, LS_SITE("msleep"));
}

/* True when context ctx is parked (waiting) on the word at addr. */
static inline bool __attribute__((unused)) parked_on(int ctx, const void *addr)
{
	const struct ls_ctx *c = &sweep_machine->ctx[ctx];
	return c->state == LS_PARKED && c->park_word == (uintptr_t)addr >> 3;
}

/* Polls every microsecond of virtual time until cond holds: for conditions no store wakes. */
#define poll_until(cond)                                                                     \
	do {                                                                                 \
		while (!(cond))                                                              \
			sleep_until(ls_now() + 1000);                                        \
	} while (0)

/* A shared counter updated in two steps, so a critical section that is not exclusive loses
 * updates. */
static inline void __attribute__((unused)) racy_inc(int *x)
{
	WRITE_ONCE(*x, READ_ONCE(*x) + 1);
}

#endif

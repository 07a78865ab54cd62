/* Shared by the llist and irq_work suites: an inline target run over a fixed range of seeds under
 * the random walk, a per-seed check after each execution, and on failure the seed and the full
 * report of that execution. */
#ifndef LS_TESTS_QUEUE_SWEEP_H
#define LS_TESTS_QUEUE_SWEEP_H

#include <inttypes.h>
#include <stdarg.h>

#include <lockstep/kernel.h>

#include "../check.h"
#include "../harness.h"
#include "report.h"

/* Seeds per sweep: every "reachable" race below is reached well inside this budget, and every
 * "never" is checked over all of it. */
#define SWEEP_SEEDS 2000

/* The machine of the running sweep, for handlers that look at the context they interrupted. */
static struct ls_machine *sweep_machine;

/* The first thing a handler or task found wrong in this execution; the per-seed check fails on
 * it.  Set from inside contexts, where a CHECK cannot return. */
static char sweep_failure[256];

static void note_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void note_failure(const char *fmt, ...)
{
	if (sweep_failure[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sweep_failure, sizeof(sweep_failure), fmt, ap);
	va_end(ap);
}

/* A per-seed check: TEST_PASS, or TEST_FAIL after printing why. */
typedef int (*sweep_check)(int variant, const struct ls_result *r);

/* Fails the per-seed check with the seed in the message. */
#define SEED_CHECK(r, cond, ...)                                                              \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "seed %" PRIu64 ": CHECK failed: %s: ", (r)->seed, #cond); \
			fprintf(stderr, __VA_ARGS__);                                         \
			fputc('\n', stderr);                                                  \
			return TEST_FAIL;                                                     \
		}                                                                             \
	} while (0)

static inline void print_report(const struct ls_session *s, const struct ls_result *r)
{
	struct ls_buf b = { 0 };
	ls_report_write(s, r, RANDOM_STRATEGY, NULL, &b);
	fprintf(stderr, "%s", b.s ? b.s : "");
	ls_buf_finish(&b);
}

/* Runs seeds 0..nseeds-1 of t:variant under RANDOM_STRATEGY and the check after each; stops at the
 * first failing seed, printing its report. */
static inline int sweep(const struct ls_target *t, int variant, uint64_t nseeds,
					 sweep_check check)
{
	struct ls_session s;
	struct ls_config cfg;
	char err[256];
	ls_config_default(&cfg);
	if (!ls_session_init(&s, t, variant, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", t->name, err);
		return TEST_FAIL;
	}
	sweep_machine = s.m;
	int rc = TEST_PASS;
	for (uint64_t seed = 0; seed < nseeds; seed++) {
		struct ls_result r;
		sweep_failure[0] = 0;
		run_random(&s, seed, &r, NULL);
		rc = check(variant, &r);
		if (rc == TEST_PASS && sweep_failure[0]) {
			fprintf(stderr, "seed %" PRIu64 ": %s\n", seed, sweep_failure);
			rc = TEST_FAIL;
		}
		if (rc != TEST_PASS) {
			fprintf(stderr, "  in %s:%s, %s seed %" PRIu64 " (outcome %s%s%s):\n", t->name,
				t->variants[variant].name, RANDOM_STRATEGY, seed, ls_kind_name(r.kind),
				r.signature[0] ? ": " : "", r.signature);
			print_report(&s, &r);
			break;
		}
	}
	sweep_machine = NULL;
	ls_session_finish(&s);
	return rc;
}

/* The context the current interrupt interrupted, NULL outside one. */
static inline const struct ls_ctx *interrupted_context(void)
{
	if (!sweep_machine || ls_ctx_id() < 0)
		return NULL;
	return sweep_machine->ctx[ls_ctx_id()].below;
}

#endif

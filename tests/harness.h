/* Shared helpers for the C suites that drive whole executions. */
#ifndef LS_TESTS_HARNESS_H
#define LS_TESTS_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/buf.h"
#include "../src/exec.h"
#include "../src/trace.h"
#include "../targets/targets.h"

#define RANDOM_STRATEGY "random p-switch 0.1 p-slow 0.02 p-irq 0.05"

/* Opens a session on "target:variant" with the default config; exits 1 on failure. */
static inline void open_session(struct ls_session *s, const char *spec,
				const struct ls_config *cfg_or_null)
{
	const struct ls_target *t;
	int variant;
	char err[256];
	struct ls_config cfg;
	if (!ls_target_spec(spec, &t, &variant, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", spec, err);
		exit(1);
	}
	if (cfg_or_null)
		cfg = *cfg_or_null;
	else
		ls_config_default(&cfg);
	if (!ls_session_init(s, t, variant, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", spec, err);
		exit(1);
	}
}

/* Runs seed under the random walk (0.1, 0.05) and writes the trace into out (reset first). */
static inline enum ls_kind run_random(struct ls_session *s, uint64_t seed, struct ls_result *r,
				      struct ls_buf *out)
{
	struct ls_random rnd;
	ls_random_init(&rnd, 0.1, 0.02, 0.05);
	enum ls_kind k = ls_session_run(s, &rnd.base, seed, r);
	if (out) {
		ls_buf_reset(out);
		ls_trace_write(s, r, RANDOM_STRATEGY, out);
	}
	return k;
}

static inline void print_replay_hint(const char *spec, uint64_t seed)
{
	fprintf(stderr, "  seed %llu; reproduce with: lockstep run %s --seed %llu\n",
		(unsigned long long)seed, spec, (unsigned long long)seed);
}

#endif

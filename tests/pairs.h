/* Running (target, variant) pairs against their declared outcome, for the scenario suites.
 *
 * A pair runs under the random walk (0.1, 0.05) from seed 0 in one session.  A pair that expects a
 * bug must show it within the bug budget, and the first execution that shows it must replay to
 * the same kind, signature and step count in a fresh session.  A clean pair must show no bug for
 * the clean budget.  A pair whose outcome is not settled (expect LS_KIND_COUNT) runs the open
 * budget and prints what it found.  Budgets are per suite (struct pair_budget).
 *
 * The scenario suites also look for one execution: the first seed of a kind whose signature names
 * given words, in a session opened with a chosen lockdep mode. */
#ifndef LS_TESTS_PAIRS_H
#define LS_TESTS_PAIRS_H

#include "check.h"
#include "harness.h"

struct pair_budget {
	uint64_t clean;		/* executions a clean pair must survive */
	uint64_t bug;		/* executions within which an expected bug must show */
	uint64_t open;		/* executions an unsettled pair runs */
	/* The other bug kinds (LS_KIND_BIT()s) a buggy pair may show besides its expected one,
	 * e.g. the validator's report of the same cycle; 0: any (rqspinlock's v6.15 carries
	 * several bugs at once). */
	uint32_t also;
};

/* The trace of the session's last execution, written with the given strategy line, records that
 * line and replays in a fresh session to the same kind, signature and step count. */
static inline int replays_as(const char *spec, struct ls_session *s, const struct ls_result *r,
			     const char *strategy)
{
	struct ls_buf trace = { 0 };
	ls_trace_write(s, r, strategy, &trace);
	char line[160];
	snprintf(line, sizeof(line), "\nstrategy %s\n", strategy);
	struct ls_trace t;
	char err[512];
	int rc = TEST_FAIL;
	if (!strstr(trace.s, line)) {
		fprintf(stderr, "%s: the trace does not record 'strategy %s'\n", spec, strategy);
	} else if (!ls_trace_parse(trace.s, trace.len, &t, err, sizeof(err))) {
		fprintf(stderr, "%s: trace does not parse: %s\n", spec, err);
	} else {
		struct ls_session fresh;
		struct ls_result rr;
		open_session(&fresh, spec, NULL);
		if (ls_trace_replay(&fresh, &t, &rr, NULL, err, sizeof(err)) != LS_REPLAY_APPLIED)
			fprintf(stderr, "%s: replay diverged: %s\n", spec, err);
		else if (rr.kind != r->kind || strcmp(rr.signature, r->signature) != 0 ||
			 rr.steps != r->steps)
			fprintf(stderr,
				"%s: replay gave %s '%s' (%llu steps), recorded %s '%s' (%llu)\n",
				spec, ls_kind_name(rr.kind), rr.signature,
				(unsigned long long)rr.steps, ls_kind_name(r->kind), r->signature,
				(unsigned long long)r->steps);
		else
			rc = TEST_PASS;
		ls_session_finish(&fresh);
		ls_trace_free(&t);
	}
	ls_buf_finish(&trace);
	return rc;
}

/* replays_as() for an execution of the random walk (0.1, 0.05). */
static inline int replays(const char *spec, struct ls_session *s, const struct ls_result *r)
{
	return replays_as(spec, s, r, RANDOM_STRATEGY);
}

/* Runs one pair and checks it against its expected outcome. */
static inline int run_pair(const struct ls_target *t, int v, const struct pair_budget *b)
{
	const struct ls_variant *var = &t->variants[v];
	char spec[160];
	snprintf(spec, sizeof(spec), "%s:%s", t->name, var->name);
	bool settled = var->expect < LS_KIND_COUNT;
	bool clean = var->expect == LS_KIND_NONE;
	uint64_t budget = !settled ? b->open : clean ? b->clean : b->bug;
	struct ls_session s;
	struct ls_result r;
	open_session(&s, spec, NULL);
	uint64_t found_at = UINT64_MAX, bugs = 0;
	uint64_t by_kind[LS_KIND_COUNT] = { 0 };
	int rc = TEST_PASS;
	for (uint64_t seed = 0; seed < budget; seed++) {
		run_random(&s, seed, &r, NULL);
		by_kind[r.kind]++;
		if (!ls_variant_bug(var, r.kind) && r.kind != var->expect)
			continue;
		if (r.kind == var->expect && !clean && found_at == UINT64_MAX) {
			found_at = seed;
			if (replays(spec, &s, &r) != TEST_PASS) {
				print_replay_hint(spec, seed);
				rc = TEST_FAIL;
				break;
			}
		}
		/* A buggy variant may show other bugs on the way, those the budget allows. */
		if (!clean && (!b->also || r.kind == var->expect ||
			       (LS_KIND_BIT(r.kind) & b->also)))
			continue;
		if (clean && r.kind == var->expect)
			continue;
		bugs++;
		if (bugs == 1) {
			fprintf(stderr, "%s: expected %s, seed %llu gave %s: %s\n", spec,
				clean ? "nothing" : ls_kind_name(var->expect),
				(unsigned long long)seed, ls_kind_name(r.kind), r.signature);
			print_replay_hint(spec, seed);
			rc = TEST_FAIL;
		}
		if (clean)
			break;
	}
	if (!settled) {
		printf("%s: unsettled; %llu executions:", spec, (unsigned long long)budget);
		for (int k = 0; k < LS_KIND_COUNT; k++)
			if (by_kind[k])
				printf(" %s %llu", ls_kind_name((enum ls_kind)k),
				       (unsigned long long)by_kind[k]);
		printf("\n");
	} else if (!clean && found_at == UINT64_MAX) {
		fprintf(stderr, "%s: expected %s not found in %llu executions\n", spec,
			ls_kind_name(var->expect), (unsigned long long)budget);
		rc = TEST_FAIL;
	} else if (!clean) {
		printf("%s: %s first at seed %llu; %llu executions:", spec,
		       ls_kind_name(var->expect), (unsigned long long)found_at,
		       (unsigned long long)budget);
		for (int k = 0; k < LS_KIND_COUNT; k++)
			if (by_kind[k])
				printf(" %s %llu", ls_kind_name((enum ls_kind)k),
				       (unsigned long long)by_kind[k]);
		printf("\n");
	}
	ls_session_finish(&s);
	return rc;
}

static inline int run_target(const char *name, const struct pair_budget *b)
{
	const struct ls_target *t;
	int variant;
	char err[256];
	CHECKF(ls_target_spec(name, &t, &variant, err, sizeof(err)), "%s", err);
	int rc = TEST_PASS;
	for (int v = 0; v < t->nvariants; v++)
		if (run_pair(t, v, b) != TEST_PASS)
			rc = TEST_FAIL;
	return rc;
}

/* Opens a session on target:variant with the default config and the validator in mode. */
static inline void open_pair(struct ls_session *s, const char *target, const char *variant,
			     enum ls_lockdep_mode mode)
{
	char spec[160];
	snprintf(spec, sizeof(spec), "%s:%s", target, variant);
	open_session(s, spec, NULL);
	ls_session_set_lockdep(s, mode);
}

/* First seed < limit whose run (into r) is kind k, all n words in its signature; or UINT64_MAX. */
static inline uint64_t scan_seeds(struct ls_session *s, enum ls_kind k, const char *const *words,
				  int n, uint64_t limit, struct ls_result *r)
{
	for (uint64_t seed = 0; seed < limit; seed++) {
		if (run_random(s, seed, r, NULL) != k)
			continue;
		int i = 0;
		while (i < n && strstr(r->signature, words[i]))
			i++;
		if (i == n)
			return seed;
	}
	return UINT64_MAX;
}

/* scan_seeds() in a fresh session of spec with the default config: the seed, or UINT64_MAX. */
static inline uint64_t first_seed(const char *spec, enum ls_kind k, const char *const *words,
				  int n, uint64_t limit)
{
	struct ls_session s;
	struct ls_result r;
	open_session(&s, spec, NULL);
	uint64_t seed = scan_seeds(&s, k, words, n, limit, &r);
	ls_session_finish(&s);
	return seed;
}

#endif

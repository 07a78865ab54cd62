/* Suite `replay`: every finding of a campaign's session parses, resolves, and replays in a fresh
 * session to the same outcome, signature and step count, and re-recording it gives the same
 * bytes. */
#include "check.h"
#include "harness.h"

#define SEEDS 2001	/* seeds 0..2000 */

static const char *const specs[] = { "demo/abba:buggy", "demo/nmi-aa:buggy" };

/* Replays one finding as `lockstep replay` does: in a fresh session, prior executions first. */
static int replay_one(const char *spec, uint64_t seed, const struct ls_result *r,
		      const struct ls_buf *trace)
{
	struct ls_trace t;
	char err[512];
	if (!ls_trace_parse(trace->s, trace->len, &t, err, sizeof(err))) {
		fprintf(stderr, "%s: trace does not parse: %s\n%s\n", spec, err, trace->s);
		return TEST_FAIL;
	}
	int rc = TEST_FAIL;
	struct ls_session s;
	struct ls_buf again = { 0 };
	struct ls_result rr;
	open_session(&s, spec, NULL);
	if (t.kind != r->kind || t.seed != seed || t.nsteps_run != r->steps ||
	    strcmp(t.signature, r->signature) != 0) {
		fprintf(stderr, "%s: parsed trace does not match the run\n", spec);
		goto out;
	}
	if (ls_trace_replay(&s, &t, &rr, &again, err, sizeof(err)) != LS_REPLAY_APPLIED) {
		fprintf(stderr, "%s: replay diverged: %s\n", spec, err);
		goto out;
	}
	if (rr.kind != r->kind || strcmp(rr.signature, r->signature) != 0 ||
	    rr.steps != r->steps) {
		fprintf(stderr, "%s: replay gave %s '%s' after %llu steps, recorded %s '%s' after "
				"%llu\n",
			spec, ls_kind_name(rr.kind), rr.signature, (unsigned long long)rr.steps,
			ls_kind_name(r->kind), r->signature, (unsigned long long)r->steps);
		goto out;
	}
	if (again.len != trace->len || memcmp(again.s, trace->s, trace->len) != 0) {
		fprintf(stderr, "%s: re-recorded trace differs:\n%s\n---\n%s\n", spec, trace->s,
			again.s);
		goto out;
	}
	rc = TEST_PASS;
out:
	if (rc != TEST_PASS)
		print_replay_hint(spec, seed);
	ls_session_finish(&s);
	ls_buf_finish(&again);
	ls_trace_free(&t);
	return rc;
}

static int test_every_finding_replays_to_the_same_outcome_and_bytes(void)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct ls_session s;
		struct ls_buf trace = { 0 };
		struct ls_result r;
		unsigned findings = 0;
		open_session(&s, specs[i], NULL);
		for (uint64_t seed = 0; seed < SEEDS; seed++) {
			if (run_random(&s, seed, &r, &trace) == LS_KIND_NONE)
				continue;
			findings++;
			if (replay_one(specs[i], seed, &r, &trace) != TEST_PASS)
				return TEST_FAIL;
		}
		printf("%s: %u findings replayed\n", specs[i], findings);
		CHECKF(findings > 0, "%s: no finding to replay", specs[i]);
		ls_buf_finish(&trace);
		ls_session_finish(&s);
	}
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_every_finding_replays_to_the_same_outcome_and_bytes, status);
	return status;
}

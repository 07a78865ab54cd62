/* Suite `replay`: every finding's trace parses, resolves, and replays to the same outcome,
 * signature and step count, and re-recording it gives the same bytes. */
#include "check.h"
#include "harness.h"

#define SEEDS 2001	/* seeds 0..2000 */

static const char *const specs[] = { "demo/abba:buggy", "demo/nmi-aa:buggy" };

static int replay_one(struct ls_session *s, const char *spec, uint64_t seed,
		      const struct ls_result *r, const struct ls_buf *trace)
{
	struct ls_trace t;
	char err[512];
	if (!ls_trace_parse(trace->s, trace->len, &t, err, sizeof(err))) {
		fprintf(stderr, "%s: trace does not parse: %s\n%s\n", spec, err, trace->s);
		return TEST_FAIL;
	}
	struct ls_decision *d = calloc(t.nsteps ? t.nsteps : 1, sizeof(*d));
	CHECK(d != NULL);
	int rc = TEST_FAIL;
	struct ls_buf again = { 0 };
	if (!ls_trace_decisions(&t, s->m, d, err, sizeof(err))) {
		fprintf(stderr, "%s: decisions do not resolve: %s\n", spec, err);
		goto out;
	}
	if (t.kind != r->kind || t.seed != seed || t.nsteps_run != r->steps ||
	    strcmp(t.signature, r->signature) != 0) {
		fprintf(stderr, "%s: parsed trace does not match the run\n", spec);
		goto out;
	}
	struct ls_replay rp;
	ls_replay_init(&rp, d, t.nsteps);
	struct ls_result rr;
	ls_session_run(s, &rp.base, t.seed, &rr);
	if (!ls_replay_check_done(&rp)) {
		fprintf(stderr, "%s: replay diverged: %s\n", spec, rp.why);
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
	ls_trace_write(s, &rr, t.strategy, &again);
	if (again.len != trace->len || memcmp(again.s, trace->s, trace->len) != 0) {
		fprintf(stderr, "%s: re-recorded trace differs:\n%s\n---\n%s\n", spec, trace->s,
			again.s);
		goto out;
	}
	rc = TEST_PASS;
out:
	if (rc != TEST_PASS)
		print_replay_hint(spec, seed);
	ls_buf_finish(&again);
	free(d);
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
			if (replay_one(&s, specs[i], seed, &r, &trace) != TEST_PASS)
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

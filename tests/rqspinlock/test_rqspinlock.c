/* Suite `rqspinlock`: every rqspinlock target and variant with a settled outcome, under the
 * random walk (0.1, 0.05) from seed 0 in one session: each expected bug is found within its
 * budget; each clean pair stays clean for 10,000 executions;
 * the first finding of each pair replays to the same outcome in a fresh session.  Pairs whose
 * outcome the kernel's history does not settle are run too, and what they show is printed, not
 * asserted. */
#include "../check.h"
#include "../harness.h"

#include <lockstep/rqspinlock.h>

#define CLEAN_EXECS 10000
#define BUG_BUDGET 5000
#define OPEN_EXECS 2000

static int replays(const char *spec, struct ls_session *s, const struct ls_result *r)
{
	struct ls_buf trace = { 0 };
	ls_trace_write(s, r, RANDOM_STRATEGY, &trace);
	struct ls_trace t;
	char err[512];
	int rc = TEST_FAIL;
	if (!ls_trace_parse(trace.s, trace.len, &t, err, sizeof(err))) {
		fprintf(stderr, "%s: trace does not parse: %s\n", spec, err);
		ls_buf_finish(&trace);
		return TEST_FAIL;
	}
	struct ls_session fresh;
	struct ls_result rr;
	open_session(&fresh, spec, NULL);
	if (ls_trace_replay(&fresh, &t, &rr, NULL, err, sizeof(err)) != LS_REPLAY_APPLIED)
		fprintf(stderr, "%s: replay diverged: %s\n", spec, err);
	else if (rr.kind != r->kind || strcmp(rr.signature, r->signature) != 0 ||
		 rr.steps != r->steps)
		fprintf(stderr, "%s: replay gave %s '%s' (%llu steps), recorded %s '%s' (%llu)\n",
			spec, ls_kind_name(rr.kind), rr.signature, (unsigned long long)rr.steps,
			ls_kind_name(r->kind), r->signature, (unsigned long long)r->steps);
	else
		rc = TEST_PASS;
	ls_session_finish(&fresh);
	ls_trace_free(&t);
	ls_buf_finish(&trace);
	return rc;
}

/* Runs one pair and checks it against its expected outcome. */
static int run_pair(const struct ls_target *t, int v)
{
	const struct ls_variant *var = &t->variants[v];
	char spec[160];
	snprintf(spec, sizeof(spec), "%s:%s", t->name, var->name);
	bool settled = var->expect < LS_KIND_COUNT;
	bool clean = var->expect == LS_KIND_NONE;
	uint64_t budget = !settled ? OPEN_EXECS : clean ? CLEAN_EXECS : BUG_BUDGET;
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
		/* A buggy variant may show other bugs on the way (v6.15 carries several): only
		 * a clean pair must show none. */
		if (!clean || r.kind == var->expect)
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
		printf("%s: %s first at seed %llu\n", spec, ls_kind_name(var->expect),
		       (unsigned long long)found_at);
	}
	ls_session_finish(&s);
	return rc;
}

static int run_target(const char *name)
{
	const struct ls_target *t;
	int variant;
	char err[256];
	CHECKF(ls_target_spec(name, &t, &variant, err, sizeof(err)), "%s", err);
	int rc = TEST_PASS;
	for (int v = 0; v < t->nvariants; v++)
		if (run_pair(t, v) != TEST_PASS)
			rc = TEST_FAIL;
	return rc;
}

static int test_aa_fails_at_once_except_where_history_says(void)
{
	return run_target("rqspinlock/aa");
}

static int test_abba_never_hangs(void)
{
	return run_target("rqspinlock/abba");
}

static int test_abbcca_ends_by_timeout(void)
{
	return run_target("rqspinlock/abbcca");
}

static int test_held_max_times_out_after_250ms(void)
{
	return run_target("rqspinlock/held-max");
}

static int test_ringbuf_nmi_stalls_before_november_2025(void)
{
	return run_target("rqspinlock/ringbuf-nmi");
}

static int test_nmi_stress_v6_15_locks_up(void)
{
	static const char *const targets[] = {
		"rqspinlock/nmi-stress-aa-2cpu",   "rqspinlock/nmi-stress-aa-3cpu",
		"rqspinlock/nmi-stress-abba-2cpu", "rqspinlock/nmi-stress-abba-3cpu",
		"rqspinlock/nmi-stress-abbcca-3cpu",
	};
	int rc = TEST_PASS;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (run_target(targets[i]) != TEST_PASS)
			rc = TEST_FAIL;
	return rc;
}

/* The model's variant table and every target's variant list name the same history. */
static int test_every_target_lists_the_variants_in_order(void)
{
	for (int i = 0; i < ls_ntargets; i++) {
		const struct ls_target *t = ls_targets[i];
		if (strncmp(t->name, "rqspinlock/", 11) != 0)
			continue;
		CHECKF(t->nvariants == ls_rqs_nvariants, "%s: %d variants", t->name, t->nvariants);
		for (int v = 0; v < t->nvariants; v++)
			CHECKF(strcmp(t->variants[v].name, ls_rqs_variants[v].name) == 0,
			       "%s: variant %d is %s, the model's is %s", t->name, v,
			       t->variants[v].name, ls_rqs_variants[v].name);
	}
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_every_target_lists_the_variants_in_order, status);
	RUN(test_aa_fails_at_once_except_where_history_says, status);
	RUN(test_abba_never_hangs, status);
	RUN(test_abbcca_ends_by_timeout, status);
	RUN(test_held_max_times_out_after_250ms, status);
	RUN(test_ringbuf_nmi_stalls_before_november_2025, status);
	RUN(test_nmi_stress_v6_15_locks_up, status);
	return status;
}

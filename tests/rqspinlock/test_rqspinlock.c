/* Suite `rqspinlock`: every rqspinlock target and variant with a settled outcome, under the
 * random walk (0.1, 0.05) from seed 0 in one session: each expected bug is found within its
 * budget; each clean pair stays clean for 10,000 executions;
 * the first finding of each pair replays to the same outcome in a fresh session.  Pairs whose
 * outcome the kernel's history does not settle are run too, and what they show is printed, not
 * asserted. */
#include "../pairs.h"

#include <lockstep/rqspinlock.h>

static const struct pair_budget budget = { .clean = 10000, .bug = 5000, .open = 2000 };

static int test_aa_fails_at_once_except_where_history_says(void)
{
	return run_target("rqspinlock/aa", &budget);
}

static int test_abba_never_hangs(void)
{
	return run_target("rqspinlock/abba", &budget);
}

static int test_abbcca_ends_by_timeout(void)
{
	return run_target("rqspinlock/abbcca", &budget);
}

static int test_held_max_times_out_after_250ms(void)
{
	return run_target("rqspinlock/held-max", &budget);
}

static int test_ringbuf_nmi_stalls_before_november_2025(void)
{
	return run_target("rqspinlock/ringbuf-nmi", &budget);
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
		if (run_target(targets[i], &budget) != TEST_PASS)
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

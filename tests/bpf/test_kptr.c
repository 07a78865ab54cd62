/* Suite `bpf`, kptr/dtor-nmi: the inline dtor deadlocks through the NMI, the three deferral
 * designs of the 2026 thread release every reference exactly once and never in NMI, and the three
 * wrong deferrals lose a release.  Each pair runs under the random walk from seed 0 with the
 * budgets below (tests/pairs.h), and its first finding replays in a fresh session. */
#include "../pairs.h"

static const struct pair_budget budget = { .clean = 50000, .bug = 20000, .open = 0,
	.also = LS_KIND_BIT(LS_KIND_LOCKDEP) };

static int run_variant(const char *variant)
{
	const struct ls_target *t;
	int v;
	char spec[96], err[256];
	snprintf(spec, sizeof(spec), "kptr/dtor-nmi:%s", variant);
	CHECKF(ls_target_spec(spec, &t, &v, err, sizeof(err)), "%s", err);
	return run_pair(t, v, &budget);
}

static int test_inline_dtor_deadlocks_on_the_nocb_lock_through_the_nmi(void)
{
	CHECK(run_variant("inline") == TEST_PASS);
	static const char *const words[] = { "nmi_handler@", "nocb_lock" };
	uint64_t seed = first_seed("kptr/dtor-nmi:inline", LS_KIND_DEADLOCK, words, 2, 2000);
	CHECKF(seed != UINT64_MAX, "no deadlock naming the NMI and the nocb lock in 2000 seeds");
	return TEST_PASS;
}

/* In executions where the NMI takes the lock while its CPU's task does not hold it (before its
 * acquisition completed, or after the release) nothing hangs, and the validator still reports
 * the lock's use in NMI and in task context (inconsistent {INITIAL USE} -> {IN-NMI} usage).  It
 * never says the task already held the lock: it did not. */
static int test_inline_dtor_is_reported_by_the_validator_without_a_hang(void)
{
	static const char *const words[] = { "nmi-inversion", "nocb_lock", "nmi_handler@" };
	uint64_t report = first_seed("kptr/dtor-nmi:inline", LS_KIND_LOCKDEP, words, 3, 2000);
	CHECKF(report != UINT64_MAX, "no validator report in 2000 seeds");
	return TEST_PASS;
}

static int test_global_llist_releases_every_reference_once_outside_nmi(void)
{
	return run_variant("global-llist");
}

static int test_per_map_llist_releases_every_reference_once_outside_nmi(void)
{
	return run_variant("per-map");
}

static int test_skipping_with_irqs_off_leaves_the_release_to_the_allocator(void)
{
	return run_variant("skip-in-irqs-disabled");
}

static int test_queueing_on_a_racy_emptiness_check_leaks_a_reference(void)
{
	CHECK(run_variant("racy-empty-check") == TEST_PASS);
	static const char *const words[] = { "leaked" };
	CHECK(first_seed("kptr/dtor-nmi:racy-empty-check", LS_KIND_INVARIANT, words, 1, 20000) !=
	      UINT64_MAX);
	return TEST_PASS;
}

static int test_skipping_the_queue_while_the_callback_runs_leaks_a_reference(void)
{
	CHECK(run_variant("busy-skip-queue") == TEST_PASS);
	static const char *const words[] = { "leaked" };
	CHECK(first_seed("kptr/dtor-nmi:busy-skip-queue", LS_KIND_INVARIANT, words, 1, 20000) !=
	      UINT64_MAX);
	return TEST_PASS;
}

/* v1 with its node in the element: if the allocator wiped the special-field space when it hands
 * the element out again, the node still on the map's list is destroyed under the callback. */
static int test_wiping_a_reused_elements_node_loses_a_deferred_release(void)
{
	CHECK(run_variant("per-map-zeroed-on-reuse") == TEST_PASS);
	static const char *const words[] = { "deferred node wiped" };
	CHECK(first_seed("kptr/dtor-nmi:per-map-zeroed-on-reuse", LS_KIND_INVARIANT, words, 1,
			 20000) != UINT64_MAX);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_inline_dtor_deadlocks_on_the_nocb_lock_through_the_nmi, status);
	RUN(test_inline_dtor_is_reported_by_the_validator_without_a_hang, status);
	RUN(test_global_llist_releases_every_reference_once_outside_nmi, status);
	RUN(test_per_map_llist_releases_every_reference_once_outside_nmi, status);
	RUN(test_skipping_with_irqs_off_leaves_the_release_to_the_allocator, status);
	RUN(test_queueing_on_a_racy_emptiness_check_leaks_a_reference, status);
	RUN(test_skipping_the_queue_while_the_callback_runs_leaks_a_reference, status);
	RUN(test_wiping_a_reused_elements_node_loses_a_deferred_release, status);
	return status;
}

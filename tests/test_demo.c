/* Suite `demo`: the demo targets find their bugs under the random walk, and their clean
 * variants stay clean. */
#include "check.h"
#include "harness.h"

static unsigned count_findings(const char *spec, uint64_t nseeds, enum ls_kind want,
			       bool stop_on_first)
{
	struct ls_session s;
	struct ls_result r;
	unsigned found = 0;
	open_session(&s, spec, NULL);
	for (uint64_t seed = 0; seed < nseeds; seed++) {
		enum ls_kind k = run_random(&s, seed, &r, NULL);
		if (k == LS_KIND_NONE)
			continue;
		if (k == want) {
			found++;
			continue;
		}
		fprintf(stderr, "%s: unexpected %s: %s\n", spec, ls_kind_name(k), r.signature);
		print_replay_hint(spec, seed);
		found++;
		if (stop_on_first)
			break;
	}
	ls_session_finish(&s);
	return found;
}

static int test_buggy_demos_deadlock_within_2000_seeds(void)
{
	static const char *const specs[] = { "demo/abba:buggy", "demo/nmi-aa:buggy" };
	for (size_t i = 0; i < 2; i++) {
		unsigned n = count_findings(specs[i], 2000, LS_KIND_DEADLOCK, false);
		printf("%s: %u deadlocks in seeds 0..1999\n", specs[i], n);
		CHECKF(n > 0, "%s never deadlocked", specs[i]);
	}
	return TEST_PASS;
}

static int test_clean_demos_find_nothing_in_10000_seeds(void)
{
	static const char *const specs[] = { "demo/abba:ordered", "demo/nmi-aa:trylock" };
	for (size_t i = 0; i < 2; i++) {
		/* Any finding at all is a failure: `want` is a kind that cannot match. */
		unsigned n = count_findings(specs[i], 10000, LS_KIND_COUNT, true);
		CHECKF(n == 0, "%s reported a finding", specs[i]);
	}
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_buggy_demos_deadlock_within_2000_seeds, status);
	RUN(test_clean_demos_find_nothing_in_10000_seeds, status);
	return status;
}

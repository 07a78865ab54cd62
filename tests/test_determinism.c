/* Suite `determinism`: the same seed gives the same execution, byte for byte, whether it runs
 * twice in one session or in two separate sessions.  The validator's graph belongs to the
 * session and accumulates on purpose, so running a seed again in one session compares after a
 * reset of the validator; two sessions are independent and need none. */
#include "check.h"
#include "harness.h"

#define SEEDS 1000

static const char *const specs[] = { "demo/abba:buggy", "demo/nmi-aa:buggy" };

static int test_same_seed_twice_in_one_session_gives_identical_traces_after_a_validator_reset(void)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct ls_session s;
		struct ls_buf a = { 0 }, b = { 0 };
		struct ls_result ra, rb;
		open_session(&s, specs[i], NULL);
		for (uint64_t seed = 0; seed < SEEDS; seed++) {
			ls_session_set_lockdep(&s, LS_LOCKDEP_ON);
			run_random(&s, seed, &ra, &a);
			ls_session_set_lockdep(&s, LS_LOCKDEP_ON);
			run_random(&s, seed, &rb, &b);
			if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0 || ra.kind != rb.kind ||
			    ra.steps != rb.steps) {
				fprintf(stderr, "%s: seed %llu gave different traces:\n%s\n---\n%s\n",
					specs[i], (unsigned long long)seed, a.s, b.s);
				print_replay_hint(specs[i], seed);
				return TEST_FAIL;
			}
		}
		ls_buf_finish(&a);
		ls_buf_finish(&b);
		ls_session_finish(&s);
	}
	return TEST_PASS;
}

static int test_same_seed_in_two_sessions_gives_identical_traces(void)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct ls_session s1, s2;
		struct ls_buf a = { 0 }, b = { 0 };
		struct ls_result ra, rb;
		open_session(&s1, specs[i], NULL);
		open_session(&s2, specs[i], NULL);
		/* Interleave the sessions, and vary the order, so no state leaks between them. */
		for (uint64_t seed = 0; seed < SEEDS; seed++) {
			if (seed & 1) {
				run_random(&s2, seed, &rb, &b);
				run_random(&s1, seed, &ra, &a);
			} else {
				run_random(&s1, seed, &ra, &a);
				run_random(&s2, seed, &rb, &b);
			}
			if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0) {
				fprintf(stderr, "%s: seed %llu differs across sessions:\n%s\n---\n%s\n",
					specs[i], (unsigned long long)seed, a.s, b.s);
				print_replay_hint(specs[i], seed);
				return TEST_FAIL;
			}
		}
		ls_buf_finish(&a);
		ls_buf_finish(&b);
		ls_session_finish(&s1);
		ls_session_finish(&s2);
	}
	return TEST_PASS;
}

/* Every in-tree target and variant: a target keeps its state in statics and must rebuild all of
 * it in init(), so two sessions interleaved seed by seed see identical executions.  A static that
 * init() forgets shows up here as a trace that depends on what the other session ran. */
#define EVERY_PAIR_SEEDS 100

static int test_every_target_and_variant_is_identical_across_interleaved_sessions(void)
{
	struct ls_buf a = { 0 }, b = { 0 };
	int pairs = 0;
	for (int i = 0; i < ls_ntargets; i++) {
		const struct ls_target *t = ls_targets[i];
		for (int v = 0; v < t->nvariants; v++) {
			char spec[160];
			snprintf(spec, sizeof(spec), "%s:%s", t->name, t->variants[v].name);
			/* The other session runs another variant of the same target, so the two
			 * share the target's statics and leave them in different states. */
			char other[160];
			snprintf(other, sizeof(other), "%s:%s", t->name,
				 t->variants[(v + 1) % t->nvariants].name);
			struct ls_session s1, s2, s3;
			struct ls_result ra, rb, rc;
			open_session(&s1, spec, NULL);
			open_session(&s2, spec, NULL);
			open_session(&s3, other, NULL);
			for (uint64_t seed = 0; seed < EVERY_PAIR_SEEDS; seed++) {
				run_random(&s1, seed, &ra, &a);
				run_random(&s3, seed * 7 + 3, &rc, NULL);
				run_random(&s2, seed, &rb, &b);
				if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0) {
					fprintf(stderr, "%s: seed %llu differs across sessions\n", spec,
						(unsigned long long)seed);
					print_replay_hint(spec, seed);
					return TEST_FAIL;
				}
			}
			ls_session_finish(&s1);
			ls_session_finish(&s2);
			ls_session_finish(&s3);
			pairs++;
		}
	}
	ls_buf_finish(&a);
	ls_buf_finish(&b);
	printf("%d pairs, %d seeds each: identical\n", pairs, EVERY_PAIR_SEEDS);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_same_seed_twice_in_one_session_gives_identical_traces_after_a_validator_reset, status);
	RUN(test_same_seed_in_two_sessions_gives_identical_traces, status);
	RUN(test_every_target_and_variant_is_identical_across_interleaved_sessions, status);
	return status;
}

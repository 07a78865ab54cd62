/* Suite `bpf`, targets/maps: the three map deadlocks syzbot found before rqspinlock (the LPM
 * trie's AA in one context, the queue map's AA through an NMI, the LRU hash maps' ABBA across
 * CPUs) hang with raw spinlocks; with rqspinlock the operation fails and its caller goes on.
 * Each pair runs under the random walk from seed 0 (tests/pairs.h), and each first finding
 * replays in a fresh session.  The targets report what their calls returned through ls_maps_*(),
 * read after each execution, so the tests can show that the error paths are really taken.
 */
#include "../pairs.h"

#include <errno.h>

#include <lockstep/rqspinlock.h>

#include "../../targets/maps/maps.h"

static const struct pair_budget budget = { .clean = 50000, .bug = 5000, .open = 0,
	.also = LS_KIND_BIT(LS_KIND_LOCKDEP) };

static int run_variant(const char *target, const char *variant)
{
	const struct ls_target *t;
	int v;
	char spec[96], err[256];
	snprintf(spec, sizeof(spec), "%s:%s", target, variant);
	CHECKF(ls_target_spec(spec, &t, &v, err, sizeof(err)), "%s", err);
	return run_pair(t, v, &budget);
}

/* first_seed() of a deadlock within the bug budget; prints the seed it finds. */
static uint64_t first_deadlock(const char *spec, const char *const *words, int n)
{
	uint64_t found = first_seed(spec, LS_KIND_DEADLOCK, words, n, budget.bug);
	if (found != UINT64_MAX)
		printf("%s: first deadlock naming \"%s\" at seed %llu\n", spec, words[0],
		       (unsigned long long)found);
	return found;
}

/* What the callers saw over an rqspinlock campaign. */
struct campaign {
	uint64_t executions, averted;
	uint64_t with_error;		/* executions where the operation returned the error */
	uint64_t errors;		/* error returns in all */
	uint64_t slow_errors;		/* of them, after a wait of 1 ms or more */
	uint64_t max_wait_ns;		/* the longest wait before an error return */
	uint64_t collateral;		/* executions where a call outside the cycle failed */
};

/* One execution, as the target's calls saw it. */
struct returns {
	int errors;		/* calls that returned the variant's error */
	int timeouts;		/* calls that returned -ETIMEDOUT */
	uint64_t max_wait_ns;	/* the longest wait before an error return, where known */
	int collateral;		/* calls outside the cycle that failed, where known */
};
typedef void (*returns_fn)(struct returns *ret);

/* Runs an rqspinlock pair for the clean budget: no finding but averted ones.  (A stall here
 * once came from the rqspinlock model parking after a release it had missed during its deadlock
 * checks; the model re-reads the word before parking now, and any stall fails.) */
static int run_rqspinlock_campaign(const char *spec, returns_fn returns, struct campaign *c)
{
	struct ls_session s;
	struct ls_result r;
	int rc = TEST_PASS;
	memset(c, 0, sizeof(*c));
	open_session(&s, spec, NULL);
	for (uint64_t seed = 0; seed < budget.clean; seed++) {
		enum ls_kind k = run_random(&s, seed, &r, NULL);
		c->executions++;
		struct returns ret = { 0 };
		returns(&ret);
		if (ret.timeouts) {
			fprintf(stderr, "%s: seed %llu: a call returned -ETIMEDOUT\n", spec,
				(unsigned long long)seed);
			print_replay_hint(spec, seed);
			rc = TEST_FAIL;
			break;
		}
		c->errors += (uint64_t)ret.errors;
		c->with_error += ret.errors > 0;
		c->collateral += ret.collateral > 0;
		if (ret.errors > 0 && ret.max_wait_ns >= 1000000)
			c->slow_errors++;
		if (ret.max_wait_ns > c->max_wait_ns)
			c->max_wait_ns = ret.max_wait_ns;
		if (k == LS_KIND_NONE)
			continue;
		if (k == LS_KIND_AVERTED) {
			c->averted++;
			continue;
		}
		fprintf(stderr, "%s: expected nothing, seed %llu gave %s: %s\n", spec,
			(unsigned long long)seed, ls_kind_name(k), r.signature);
		print_replay_hint(spec, seed);
		rc = TEST_FAIL;
		break;
	}
	ls_session_finish(&s);
	printf("%s: %llu executions: the error path in %llu (%llu error returns, %llu after "
	       ">= 1 ms, longest wait %.3f ms), a failure outside the cycle in %llu, %llu averted "
	       "reports\n",
	       spec, (unsigned long long)c->executions, (unsigned long long)c->with_error,
	       (unsigned long long)c->errors, (unsigned long long)c->slow_errors,
	       (double)c->max_wait_ns / 1e6, (unsigned long long)c->collateral,
	       (unsigned long long)c->averted);
	return rc;
}

/* ---- maps/lpm-trie ----------------------------------------------------------------------- */

static int test_lpm_trie_raw_spinlock_delete_under_update_deadlocks_aa(void)
{
	CHECK(run_variant("maps/lpm-trie", "raw-spinlock") == TEST_PASS);
	/* One context waits on the lock it holds itself. */
	static const char *const words[] = {
		"update0 waits in raw_spin_lock_irqsave on &trie->lock held by update0",
	};
	CHECK(first_deadlock("maps/lpm-trie:raw-spinlock", words, 1) != UINT64_MAX);
	return TEST_PASS;
}

static void lpm_returns(struct returns *ret)
{
	ret->errors = ls_maps_lpm_trie_deletes(-EDEADLK);
	ret->timeouts = ls_maps_lpm_trie_deletes(-ETIMEDOUT);
}

static int test_lpm_trie_rqspinlock_nested_delete_returns_edeadlk(void)
{
	struct campaign c;
	CHECK(run_rqspinlock_campaign("maps/lpm-trie:rqspinlock", lpm_returns, &c) ==
	      TEST_PASS);
	/* Both updates always allocate an intermediate node under the lock, so every execution
	 * runs the nested delete there and gets -EDEADLK. */
	CHECK(c.with_error == c.executions);
	return TEST_PASS;
}

/* ---- maps/queue-stack -------------------------------------------------------------------- */

static int test_queue_stack_raw_spinlock_nmi_deadlocks_aa(void)
{
	CHECK(run_variant("maps/queue-stack", "raw-spinlock") == TEST_PASS);
	/* The cycle through the NMI: it waits on the lock the task it interrupted holds.  (The
	 * other deadlocks of this pair are an NMI queued behind its own task's ticket.) */
	static const char *const words[] = {
		"prog0 is interrupted by perf@cpu0, which waits in raw_spin_lock_irqsave on &qs->lock "
		"held by prog0",
	};
	CHECK(first_deadlock("maps/queue-stack:raw-spinlock", words, 1) != UINT64_MAX);
	return TEST_PASS;
}

static int test_queue_stack_nmi_trylock_never_hangs(void)
{
	return run_variant("maps/queue-stack", "nmi-trylock");
}

/* rqspinlock's errors reach the program as -EBUSY. */
static void qs_returns(struct returns *ret)
{
	ret->errors = ls_maps_queue_stack_nmi_ops(-EBUSY);
}

static int test_queue_stack_rqspinlock_nmi_gets_ebusy_and_never_hangs(void)
{
	struct campaign c;
	CHECK(run_rqspinlock_campaign("maps/queue-stack:rqspinlock", qs_returns, &c) ==
	      TEST_PASS);
	CHECK(c.with_error > 0);
	return TEST_PASS;
}

/* ---- maps/lru-abba ----------------------------------------------------------------------- */

static int test_lru_abba_raw_spinlock_nmis_deadlock_abba_past_map_locked(void)
{
	CHECK(run_variant("maps/lru-abba", "raw-spinlock") == TEST_PASS);
	static const char *const words[] = {
		"perf@cpu0, which waits in raw_spin_lock on &lru_b->lockdep_key held by prog1",
		"perf@cpu1, which waits in raw_spin_lock on &lru_a->lockdep_key held by prog0",
	};
	uint64_t seed = first_deadlock("maps/lru-abba:raw-spinlock", words, 2);
	CHECK(seed != UINT64_MAX);
	/* Run again, the same execution shows how the ABBA got past map_locked: the NMI on CPU0
	 * found lru_a's counter taken by prog0 and got -EBUSY, then went on to lru_b, whose counter
	 * on CPU0 was 0, and hung on its bucket; the NMI on CPU1 hung in its first delete. */
	struct ls_session s;
	struct ls_result r;
	open_session(&s, "maps/lru-abba:raw-spinlock", NULL);
	CHECK(run_random(&s, seed, &r, NULL) == LS_KIND_DEADLOCK);
	ls_session_finish(&s);
	CHECK(ls_maps_lru_abba_nmi_deletes(-EBUSY, NULL) == 1);
	return TEST_PASS;
}

static void lru_returns(struct returns *ret)
{
	ret->errors = ls_maps_lru_abba_nmi_deletes(-EDEADLK, &ret->max_wait_ns);
	ret->timeouts = ls_maps_lru_abba_nmi_deletes(-ETIMEDOUT, NULL) +
			ls_maps_lru_abba_updates(-ETIMEDOUT);
	/* A program's update fails when it queued behind an NMI that then left on -EDEADLK. */
	ret->collateral = ls_maps_lru_abba_updates(-EDEADLK);
}

static int test_lru_abba_rqspinlock_abba_check_fails_one_delete(void)
{
	struct campaign c;
	CHECK(run_rqspinlock_campaign("maps/lru-abba:rqspinlock", lru_returns, &c) ==
	      TEST_PASS);
	/* The AA of an NMI on its own CPU's map is common; the ABBA, which only the ABBA check
	 * resolves after 1 ms, must show too. */
	CHECK(c.with_error > 0);
	CHECK(c.slow_errors > 0);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	setvbuf(stdout, NULL, _IOLBF, 0);	/* keep the summaries in order with the verdicts */
	RUN(test_lpm_trie_raw_spinlock_delete_under_update_deadlocks_aa, status);
	RUN(test_lpm_trie_rqspinlock_nested_delete_returns_edeadlk, status);
	RUN(test_queue_stack_raw_spinlock_nmi_deadlocks_aa, status);
	RUN(test_queue_stack_nmi_trylock_never_hangs, status);
	RUN(test_queue_stack_rqspinlock_nmi_gets_ebusy_and_never_hangs, status);
	RUN(test_lru_abba_raw_spinlock_nmis_deadlock_abba_past_map_locked, status);
	RUN(test_lru_abba_rqspinlock_abba_check_fails_one_delete, status);
	return status;
}

/* Suite `engines`, pct: the PCT strategy (sched/pct.c) finds the demo and scenario bugs within a
 * fixed budget from seed 0, keeps the clean variants clean, makes the same decisions for the
 * same seed (also when a session runs an earlier execution again after k grew), writes traces
 * that replay, and reports the paper's bound for hand-computed cases.  A campaign here is one
 * session and one strategy object running seeds 0, 1, 2, ..., as `lockstep fuzz` does. */
#include "../pairs.h"

/* The trace of the session's last execution under p replays and names the strategy. */
static int pct_replays(const char *spec, struct ls_session *s, const struct ls_result *r,
		       const struct ls_pct *p)
{
	char label[64];
	ls_pct_label(p, label, sizeof(label));
	int rc = replays_as(spec, s, r, label);
	if (rc != TEST_PASS)
		fprintf(stderr, "%s: %s seed %llu\n", spec, label, (unsigned long long)r->seed);
	return rc;
}

/* A pct campaign of `budget` executions from seed 0 that must show the variant's expected kind;
 * the first execution that does must replay.  Prints where it was found. */
static int finds(const char *spec, int depth, uint64_t budget)
{
	struct ls_session s;
	struct ls_result r;
	struct ls_pct p;
	open_session(&s, spec, NULL);
	ls_pct_init(&p, depth);
	const struct ls_variant *var = &s.target->variants[s.variant];
	int rc = TEST_FAIL;
	uint64_t seed;
	for (seed = 0; seed < budget; seed++)
		if (ls_session_run(&s, &p.base, seed, &r) == var->expect)
			break;
	if (seed == budget) {
		fprintf(stderr, "%s: pct depth %d: no %s in %llu executions\n", spec, depth,
			ls_kind_name(var->expect), (unsigned long long)budget);
	} else {
		char sentence[256];
		ls_pct_describe(&p, seed + 1, sentence, sizeof(sentence));
		printf("%s: pct depth %d: %s at execution %llu (%s)\n", spec, depth,
		       ls_kind_name(r.kind), (unsigned long long)seed, sentence);
		rc = pct_replays(spec, &s, &r, &p);
	}
	ls_session_finish(&s);
	return rc;
}

/* A pct campaign of `budget` executions from seed 0 that must show no bug of the variant. */
static int stays_clean(const char *spec, int depth, uint64_t budget)
{
	struct ls_session s;
	struct ls_result r;
	struct ls_pct p;
	open_session(&s, spec, NULL);
	ls_pct_init(&p, depth);
	const struct ls_variant *var = &s.target->variants[s.variant];
	int rc = TEST_PASS;
	for (uint64_t seed = 0; seed < budget; seed++) {
		ls_session_run(&s, &p.base, seed, &r);
		if (ls_variant_bug(var, r.kind)) {
			fprintf(stderr, "%s: pct depth %d, execution %llu: %s: %s\n", spec, depth,
				(unsigned long long)seed, ls_kind_name(r.kind), r.signature);
			rc = TEST_FAIL;
			break;
		}
	}
	ls_session_finish(&s);
	return rc;
}

static bool same_decisions(const struct ls_decision *a, size_t na, const struct ls_decision *b,
			   size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].step != b[i].step || a[i].choice.kind != b[i].choice.kind ||
		    a[i].choice.cpu != b[i].choice.cpu || a[i].choice.ctx != b[i].choice.ctx ||
		    a[i].choice.src != b[i].choice.src)
			return false;
	return true;
}

/* ---- finding bugs ------------------------------------------------------------------------ */

static int test_pct_finds_the_abba_deadlock_of_demo_abba(void)
{
	CHECK(finds("demo/abba:buggy", 2, 200) == TEST_PASS);
	return TEST_PASS;
}

static int test_pct_finds_the_aa_deadlock_through_the_nmi_of_demo_nmi_aa(void)
{
	CHECK(finds("demo/nmi-aa:buggy", 2, 200) == TEST_PASS);
	return TEST_PASS;
}

/* What PCT promises: an ABBA needs one preemption, a depth-2 bug, so each execution finds it with
 * probability at least 1/(n k) for the n and k observed; with no change point (depth 1) the
 * highest-priority task runs its critical sections to the end and it never shows. */
static int hit_rate(int depth, uint64_t execs, struct ls_pct *p)
{
	struct ls_session s;
	struct ls_result r;
	open_session(&s, "demo/abba:buggy", NULL);
	ls_session_set_lockdep(&s, LS_LOCKDEP_OFF);
	ls_pct_init(p, depth);
	int hits = 0;
	for (uint64_t seed = 0; seed < execs; seed++)
		hits += ls_session_run(&s, &p->base, seed, &r) == LS_KIND_DEADLOCK;
	ls_session_finish(&s);
	return hits;
}

static int test_pct_meets_its_bound_on_a_depth_2_bug_and_needs_a_change_point(void)
{
	struct ls_pct p;
	const uint64_t execs = 2000;
	int hits = hit_rate(2, execs, &p);
	double floor = (double)execs / ((double)p.n_max * (double)p.k_max);
	printf("demo/abba:buggy, pct depth 2: %d deadlocks in %llu executions; the bound "
	       "1/(n k) = 1/(%u * %llu) promises %.0f\n",
	       hits, (unsigned long long)execs, p.n_max, (unsigned long long)p.k_max, floor);
	CHECKF(hits >= floor, "%d hits, the bound promises %.0f", hits, floor);
	hits = hit_rate(1, execs, &p);
	CHECKF(hits == 0, "depth 1 (no change point) deadlocked %d times", hits);
	return TEST_PASS;
}

/* lru-abba needs both CPUs inside their bucket locks before either NMI lands: two change points,
 * so depth 3. */
static int test_pct_finds_the_scenario_bugs(void)
{
	static const struct {
		const char *spec;
		int depth;
		uint64_t budget;
	} cases[] = {
		{ "kptr/dtor-nmi:inline", 2, 2000 },
		{ "buildid/stackmap:sleepable-under-mmap-lock", 2, 2000 },
		{ "rqspinlock/nmi-stress-aa-2cpu:v6.15", 2, 2000 },
		{ "maps/lru-abba:raw-spinlock", 3, 5000 },
	};
	int rc = TEST_PASS;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (finds(cases[i].spec, cases[i].depth, cases[i].budget) != TEST_PASS)
			rc = TEST_FAIL;
	return rc;
}

static int test_pct_finds_nothing_in_the_clean_variants(void)
{
	static const char *const specs[] = { "demo/abba:ordered", "kptr/dtor-nmi:global-llist" };
	int rc = TEST_PASS;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		for (int depth = 2; depth <= 3; depth++)
			if (stays_clean(specs[i], depth, 100000) != TEST_PASS)
				rc = TEST_FAIL;
	return rc;
}

/* ---- determinism and replay -------------------------------------------------------------- */

#define DET_SEEDS 300

/* Two campaigns in two sessions, interleaved, make the same decisions seed by seed; and the seed
 * matters: the campaign does not make one schedule over and over. */
static int test_same_seed_gives_the_same_decisions(void)
{
	static const char *const specs[] = { "demo/nmi-aa:buggy", "maps/lru-abba:raw-spinlock" };
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct ls_session s1, s2;
		struct ls_result r1, r2;
		struct ls_pct p1, p2;
		open_session(&s1, specs[i], NULL);
		open_session(&s2, specs[i], NULL);
		ls_pct_init(&p1, 2);
		ls_pct_init(&p2, 2);
		unsigned differ_from_seed0 = 0;
		struct ls_decision first[64];
		size_t nfirst = 0;
		for (uint64_t seed = 0; seed < DET_SEEDS; seed++) {
			ls_session_run(&s1, &p1.base, seed, &r1);
			ls_session_run(&s2, &p2.base, seed, &r2);
			CHECKF(same_decisions(s1.m->log, s1.m->nlog, s2.m->log, s2.m->nlog) &&
				       r1.kind == r2.kind && r1.steps == r2.steps,
			       "%s: seed %llu: %zu and %zu decisions, %s and %s", specs[i],
			       (unsigned long long)seed, s1.m->nlog, s2.m->nlog,
			       ls_kind_name(r1.kind), ls_kind_name(r2.kind));
			if (seed == 0) {
				CHECK(s1.m->nlog <= 64);
				nfirst = s1.m->nlog;
				memcpy(first, s1.m->log, nfirst * sizeof(first[0]));
			} else if (!same_decisions(first, nfirst, s1.m->log, s1.m->nlog)) {
				differ_from_seed0++;
			}
		}
		CHECKF(differ_from_seed0 > DET_SEEDS / 2, "%s: only %u of %d seeds differ from seed 0",
		       specs[i], differ_from_seed0, DET_SEEDS);
		ls_session_finish(&s1);
		ls_session_finish(&s2);
	}
	return TEST_PASS;
}

/* A session runs an earlier execution again to recover its decisions (a validator finding's
 * prior executions); by then k has grown from its default, and the execution must still make
 * the decisions it made the first time. */
static int test_an_earlier_execution_run_again_makes_its_first_decisions(void)
{
	static const char *const specs[] = { "demo/nmi-aa:buggy", "kptr/dtor-nmi:inline" };
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct ls_session s;
		struct ls_result r;
		struct ls_pct p;
		struct ls_decision *log[DET_SEEDS];
		size_t nlog[DET_SEEDS];
		open_session(&s, specs[i], NULL);
		ls_pct_init(&p, 3);
		for (uint64_t seed = 0; seed < DET_SEEDS; seed++) {
			ls_session_run(&s, &p.base, seed, &r);
			nlog[seed] = s.m->nlog;
			log[seed] = malloc((nlog[seed] + 1) * sizeof(*log[seed]));
			CHECK(log[seed] != NULL);
			memcpy(log[seed], s.m->log, nlog[seed] * sizeof(*log[seed]));
		}
		CHECKF(p.nepochs >= 2, "%s: k never changed (%d epochs)", specs[i], p.nepochs);
		for (uint64_t seed = 0; seed < DET_SEEDS; seed++) {
			ls_session_rerun(&s, &p.base, (uint32_t)seed, seed);
			CHECKF(same_decisions(log[seed], nlog[seed], s.m->log, s.m->nlog),
			       "%s: execution %llu run again: %zu decisions, first time %zu", specs[i],
			       (unsigned long long)seed, s.m->nlog, nlog[seed]);
		}
		for (uint64_t seed = 0; seed < DET_SEEDS; seed++)
			free(log[seed]);
		ls_session_finish(&s);
	}
	return TEST_PASS;
}

/* Every finding of a pct campaign, not only the first, replays from its trace. */
static int test_every_pct_finding_replays_from_its_trace(void)
{
	static const char *const specs[] = { "demo/abba:buggy", "demo/nmi-aa:buggy" };
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct ls_session s;
		struct ls_result r;
		struct ls_pct p;
		unsigned findings = 0;
		open_session(&s, specs[i], NULL);
		ls_pct_init(&p, 2);
		for (uint64_t seed = 0; seed < 500; seed++) {
			if (ls_session_run(&s, &p.base, seed, &r) == LS_KIND_NONE)
				continue;
			findings++;
			CHECK(pct_replays(specs[i], &s, &r, &p) == TEST_PASS);
		}
		CHECKF(findings > 0, "%s: no finding to replay", specs[i]);
		ls_session_finish(&s);
	}
	return TEST_PASS;
}

/* The change points are a function of the seed alone (and k, d): the same in every build. */
static int test_change_points_of_a_seed_are_pinned(void)
{
	struct ls_pct p;
	ls_pct_init(&p, 4);
	p.base.begin(&p.base, 12345);
	CHECK(p.k == LS_PCT_DEFAULT_STEPS);
	CHECK(p.nchange == 3);
	printf("change points of seed 12345, depth 4: %llu %llu %llu\n",
	       (unsigned long long)p.change[0], (unsigned long long)p.change[1],
	       (unsigned long long)p.change[2]);
	CHECK(p.change[0] == 359 && p.change[1] == 551 && p.change[2] == 774);
	return TEST_PASS;
}

/* ---- options and the bound --------------------------------------------------------------- */

static int test_depth_is_clamped_and_depth_one_has_no_change_points(void)
{
	struct ls_pct p;
	char label[32];
	ls_pct_init(&p, 0);
	CHECK(p.depth == 1);
	p.base.begin(&p.base, 7);
	CHECK(p.nchange == 0);
	ls_pct_init(&p, 1000);
	CHECK(p.depth == LS_PCT_MAX_DEPTH);
	ls_pct_init(&p, 2);
	ls_pct_label(&p, label, sizeof(label));
	CHECKF(strcmp(label, "pct depth 2") == 0, "label '%s'", label);
	return TEST_PASS;
}

/* Time counts once some point offered to let it pass while a context could run (a delay or a
 * timeout was pending): the stress target's mdelay()s and rqspinlock checks do, the demos never. */
static int test_observed_n_counts_the_tasks_every_allowed_injection_and_time(void)
{
	static const struct {
		const char *spec;
		unsigned n;	/* tasks + sum over sources and their CPUs of the budget (+ time) */
	} cases[] = {
		{ "demo/abba:buggy", 2 },			/* two tasks, no interrupts */
		{ "demo/nmi-aa:buggy", 4 },			/* + one NMI on each of 2 CPUs */
		{ "rqspinlock/nmi-stress-aa-2cpu:v6.15", 7 },	/* + two NMIs on each of 2 CPUs,
								 * + time */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ls_session s;
		struct ls_result r;
		struct ls_pct p;
		uint64_t most = 0;
		open_session(&s, cases[i].spec, NULL);
		ls_pct_init(&p, 2);
		for (uint64_t seed = 0; seed < 20; seed++) {
			ls_session_run(&s, &p.base, seed, &r);
			if (r.steps > most)
				most = r.steps;
		}
		CHECKF(p.n_max == cases[i].n, "%s: n %u, want %u", cases[i].spec, p.n_max,
		       cases[i].n);
		/* k: the last step at which some execution asked for a decision. */
		CHECKF(p.k_max > 0 && p.k_max <= most, "%s: k %llu, most steps %llu",
		       cases[i].spec, (unsigned long long)p.k_max, (unsigned long long)most);
		ls_session_finish(&s);
	}
	return TEST_PASS;
}

static bool near(double a, double b)
{
	double d = a - b;
	return d < 1e-12 && d > -1e-12;
}

static int test_bound_matches_hand_computed_values(void)
{
	/* 1/(n k^(d-1)) = 1/20 per execution; 1 - 0.95^100 over a hundred. */
	CHECK(near(ls_pct_probability(2, 10, 2, 1), 0.05));
	CHECK(near(ls_pct_probability(2, 10, 2, 100), 0.994079470779666));
	/* Depth 1: 1/n; 1 - (3/4)^3. */
	CHECK(near(ls_pct_probability(4, 1000, 1, 3), 0.578125));
	/* Depth 3: 1/(2 * 10^2). */
	CHECK(near(ls_pct_probability(2, 10, 3, 1), 0.005));
	CHECK(ls_pct_probability(2, 10, 2, 0) == 0.0);
	/* Far below the rounding of 1 - p, still a lower bound, and not 0. */
	double tiny = ls_pct_probability(5, 1000000, 4, 1000);
	CHECK(tiny > 0 && tiny <= 1000.0 / (5 * 1e18));

	struct ls_pct p;
	char buf[256];
	ls_pct_init(&p, 2);
	p.n_max = 2;
	p.k_max = 10;
	CHECK(near(ls_pct_bound(&p, 100), 0.994079470779666));
	ls_pct_describe(&p, 100, buf, sizeof(buf));
	CHECKF(strcmp(buf, "pct: n=2 contexts, k=10 steps: a depth-2 bug would have been found "
			   "with probability >= 99.4% over 100 executions") == 0, "'%s'", buf);
	ls_pct_describe(&p, 1, buf, sizeof(buf));
	CHECKF(strcmp(buf, "pct: n=2 contexts, k=10 steps: a depth-2 bug would have been found "
			   "with probability >= 5.0% over 1 execution") == 0, "'%s'", buf);
	/* Rounded down, never up to a certainty it does not have. */
	ls_pct_describe(&p, 1000, buf, sizeof(buf));
	CHECKF(strstr(buf, ">= 99.9999% over 1000 executions") != NULL, "'%s'", buf);
	p.k_max = 420;
	p.n_max = 5;
	ls_pct_describe(&p, 20000, buf, sizeof(buf));
	CHECKF(strstr(buf, ">= 99.992% over 20000 executions") != NULL, "'%s'", buf);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_pct_finds_the_abba_deadlock_of_demo_abba, status);
	RUN(test_pct_finds_the_aa_deadlock_through_the_nmi_of_demo_nmi_aa, status);
	RUN(test_pct_meets_its_bound_on_a_depth_2_bug_and_needs_a_change_point, status);
	RUN(test_pct_finds_the_scenario_bugs, status);
	RUN(test_pct_finds_nothing_in_the_clean_variants, status);
	RUN(test_same_seed_gives_the_same_decisions, status);
	RUN(test_an_earlier_execution_run_again_makes_its_first_decisions, status);
	RUN(test_every_pct_finding_replays_from_its_trace, status);
	RUN(test_change_points_of_a_seed_are_pinned, status);
	RUN(test_depth_is_clamped_and_depth_one_has_no_change_points, status);
	RUN(test_observed_n_counts_the_tasks_every_allowed_injection_and_time, status);
	RUN(test_bound_matches_hand_computed_values, status);
	return status;
}

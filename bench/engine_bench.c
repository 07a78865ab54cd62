/* lockstep-engine-bench: what each exploration strategy costs and buys, over every in-tree
 * target.
 *
 *   1. to first bug   for each variant whose expected outcome is a finding: CAMPAIGNS campaigns
 *                     per engine (random(0.1, 0.02, 0.05), pct depth 2, pct depth 3), campaign k running
 *                     executions k * CAMPAIGN_STRIDE upward in a fresh session until one is of the
 *                     expected kind or a bug for the variant (ls_variant_bug()), capped at
 *                     FIND_CAP; the median campaign by executions, and the median wall time per
 *                     campaign
 *   2. explore        for each variant expected clean: the dfs search at K = 1 and K = 2
 *                     preemptions, one NMI or hardirq injection and one slow (explore's
 *                     defaults), with and without sleep sets;
 *                     schedules explored (with pruned subtrees) and seconds, or "> cap" when
 *                     the search was stopped at MAX_SCHEDULES or MAX_SECONDS
 *
 * A pct object lives for one campaign, as in a fuzz campaign, so it learns k as the campaign
 *   3. --jobs         campaign throughput of `lockstep fuzz --jobs 1` and `--jobs 2` (the
 *                     executable this build made, run as a child process; its --json summary's
 *                     executions per second), median of REPS runs of JOBS_EXECS executions
 *   4. windows        windows at the end of a long delay (sched/clock.c): the conformance case
 *                     semantics/window (a store after a 20 ms critical section between two
 *                     loads) and B3's window after the NMI stress module's mdelay(20); executions
 *                     to the finding as in 1 for random, pct depth 2 and 3, and the executions of
 *                     a dfs search (bounds per window) until it
 *
 * A pct object lives for one campaign, as in a fuzz campaign, so it learns k as the campaign
 * goes.  Execution counts depend only on the code and the seeds; seconds on the machine
 * (CLOCK_MONOTONIC; sections 1 and 2 pin the process to one CPU, section 3 unpins its children).
 * --quick: 3 campaigns, smaller caps, only the demo and BPF targets.  --csv FILE also writes the
 * rows.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lockstep/target.h>

#include "exec.h"
#include "strategy.h"
#include "../targets/targets.h"
#include "../tests/semantics/window.h"
#include "bench_util.h"

#ifndef LS_BENCH_LOCKSTEP
#define LS_BENCH_LOCKSTEP "lockstep"
#endif

#define CAMPAIGNS 20
#define CAMPAIGNS_QUICK 3
#define CAMPAIGN_STRIDE 1000000ull
#define FIND_CAP 50000ull
#define FIND_CAP_QUICK 5000ull
#define MAX_SCHEDULES 200000ull
#define MAX_SCHEDULES_QUICK 20000ull
#define MAX_SECONDS 5.0
#define MAX_SECONDS_QUICK 1.0
#define REPS 3
#define JOBS_EXECS 2000000ull
#define JOBS_EXECS_QUICK 200000ull
#define P_SWITCH 0.1
#define P_SLOW 0.02
#define P_IRQ 0.05

enum engine { RANDOM, PCT2, PCT3, NENGINES };
static const char *const engine_names[NENGINES] = { "random", "pct d=2", "pct d=3" };

static bool quick;

static void open_session(struct ls_session *s, const struct ls_target *t, int v)
{
	struct ls_config cfg;
	char err[256];
	ls_config_default(&cfg);
	if (!ls_session_init(s, t, v, &cfg, err, sizeof(err)))
		die("%s", err);
}

/* Only the demo and BPF scenario targets with --quick. */
static bool wanted(const struct ls_target *t)
{
	return !quick || strncmp(t->name, "rqspinlock/", 11) != 0;
}

/* ---- 1. executions to the first bug ------------------------------------------------------ */

struct find {
	uint64_t execs[CAMPAIGNS];	/* FIND_CAP + 1: not found */
	double secs[CAMPAIGNS];
	int n;
};

/* A campaign's decision source: one of the two, set up for engine e. */
struct engine_state {
	struct ls_random rnd;
	struct ls_pct pct;
};

static struct ls_strategy *engine_init(struct engine_state *es, enum engine e)
{
	if (e == RANDOM) {
		ls_random_init(&es->rnd, P_SWITCH, P_SLOW, P_IRQ);
		return &es->rnd.base;
	}
	ls_pct_init(&es->pct, e == PCT2 ? 2 : 3);
	return &es->pct.base;
}

static uint64_t campaign(const struct ls_target *t, int v, enum engine e, uint64_t first,
			 uint64_t cap)
{
	struct ls_session s;
	struct ls_result r;
	struct engine_state es;
	struct ls_strategy *st = engine_init(&es, e);
	open_session(&s, t, v);
	uint64_t found = cap + 1;
	const struct ls_variant *var = &t->variants[v];
	for (uint64_t i = 0; i < cap; i++) {
		enum ls_kind k = ls_session_run(&s, st, first + i, &r);
		if (k == var->expect || ls_variant_bug(var, k)) {
			found = i + 1;
			break;
		}
	}
	ls_session_finish(&s);
	return found;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void cell_execs(char *buf, size_t len, uint64_t v, uint64_t cap)
{
	if (v > cap)
		snprintf(buf, len, "> %llu", (unsigned long long)cap);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void bench_finds(FILE *csv, int ncampaigns, uint64_t cap)
{
	printf("### executions to the first bug (median of %d campaigns, capped at %llu)\n\n",
	       ncampaigns, (unsigned long long)cap);
	printf("| variant | expected |");
	for (int e = 0; e < NENGINES; e++)
		printf(" %s execs | %s ms |", engine_names[e], engine_names[e]);
	printf("\n|---|---|");
	for (int e = 0; e < NENGINES; e++)
		printf("---:|---:|");
	printf("\n");
	fflush(stdout);
	for (int i = 0; i < ls_ntargets; i++) {
		const struct ls_target *t = ls_targets[i];
		if (!wanted(t))
			continue;
		for (int v = 0; v < t->nvariants; v++) {
			enum ls_kind want = t->variants[v].expect;
			if (want == LS_KIND_NONE || want >= LS_KIND_COUNT)
				continue;
			printf("| %s:%s | %s |", t->name, t->variants[v].name, ls_kind_name(want));
			for (int e = 0; e < NENGINES; e++) {
				struct find f = { .n = ncampaigns };
				for (int k = 0; k < ncampaigns; k++) {
					uint64_t t0 = now_ns();
					f.execs[k] = campaign(t, v, (enum engine)e,
							      (uint64_t)k * CAMPAIGN_STRIDE, cap);
					f.secs[k] = (double)(now_ns() - t0) / 1e9;
				}
				qsort(f.execs, (size_t)f.n, sizeof(f.execs[0]), cmp_u64);
				qsort(f.secs, (size_t)f.n, sizeof(f.secs[0]), cmp_double);
				char cell[32];
				cell_execs(cell, sizeof(cell), f.execs[f.n / 2], cap);
				printf(" %s | %.2f |", cell, f.secs[f.n / 2] * 1e3);
				if (csv)
					fprintf(csv, "\"%s:%s\",first-bug,%s,%s,%.6f\n", t->name,
						t->variants[v].name, engine_names[e], cell,
						f.secs[f.n / 2]);
			}
			printf("\n");
			fflush(stdout);
		}
	}
	printf("\n");
}

/* ---- 2. bounded-exhaustive search of the clean variants ---------------------------------- */

struct search {
	uint64_t schedules, pruned;
	double secs;
	bool complete;
	bool found;
};

static struct search explore(const struct ls_target *t, int v, unsigned k, bool por,
			     uint64_t max_schedules, double max_secs)
{
	struct ls_dfs d;
	struct ls_dfs_config cfg = { .preemptions = k, .nmis = 1, .por = por };
	struct ls_session s;
	struct ls_result r;
	struct search res = { 0 };
	char err[256];
	if (!ls_dfs_init(&d, &cfg, err, sizeof(err)))
		die("%s", err);
	struct ls_config mc;
	ls_config_default(&mc);
	mc.slow_budget = 1;	/* explore's --slow default */
	if (!ls_session_init(&s, t, v, &mc, err, sizeof(err)))
		die("%s", err);
	uint64_t t0 = now_ns();
	bool stopped = false;
	while (ls_dfs_next(&d)) {
		if (ls_variant_bug(&t->variants[v], ls_session_run(&s, &d.base, d.exec, &r)))
			res.found = true;
		ls_dfs_done(&d);	/* counts it now, for the cap */
		if (d.schedules >= max_schedules ||
		    (d.schedules % 256 == 0 && (double)(now_ns() - t0) / 1e9 > max_secs)) {
			stopped = true;
			break;
		}
	}
	res.secs = (double)(now_ns() - t0) / 1e9;
	res.schedules = d.schedules;
	res.pruned = d.pruned;
	res.complete = !stopped && !d.error[0];
	ls_session_finish(&s);
	ls_dfs_finish(&d);
	return res;
}

static void cell_search(char *buf, size_t len, const struct search *x)
{
	snprintf(buf, len, "%s%llu (%llu pruned)%s, %.2f s", x->complete ? "" : "> ",
		 (unsigned long long)x->schedules, (unsigned long long)x->pruned,
		 x->found ? ", BUG" : "", x->secs);
}

static void bench_explore(FILE *csv, uint64_t max_schedules, double max_secs)
{
	printf("### explore: schedules of the clean variants, 1 injection, 1 slow (stopped at %llu "
	       "schedules or %.0f s: \"> N\")\n\n",
	       (unsigned long long)max_schedules, max_secs);
	printf("| variant | K=1 | K=1, no POR | K=2 | K=2, no POR |\n|---|---|---|---|---|\n");
	fflush(stdout);
	for (int i = 0; i < ls_ntargets; i++) {
		const struct ls_target *t = ls_targets[i];
		if (!wanted(t))
			continue;
		for (int v = 0; v < t->nvariants; v++) {
			if (t->variants[v].expect != LS_KIND_NONE)
				continue;
			printf("| %s:%s |", t->name, t->variants[v].name);
			for (unsigned k = 1; k <= 2; k++)
				for (int por = 1; por >= 0; por--) {
					struct search x = explore(t, v, k, por, max_schedules,
								  max_secs);
					char cell[96];
					cell_search(cell, sizeof(cell), &x);
					printf(" %s |", cell);
					if (csv)
						fprintf(csv, "\"%s:%s\",explore-k%u%s,%s%llu,%llu,%.6f\n",
							t->name, t->variants[v].name, k,
							por ? "" : "-nopor", x.complete ? "" : ">",
							(unsigned long long)x.schedules,
							(unsigned long long)x.pruned, x.secs);
					fflush(stdout);
				}
			printf("\n");
		}
	}
	printf("\n");
}

/* ---- 3. campaign throughput with --jobs --------------------------------------------------- */

/* Runs `lockstep fuzz spec --jobs jobs --execs execs` and returns its executions per second, or
 * -1 if it failed. */
static double fuzz_rate(const char *spec, int jobs, uint64_t execs)
{
	char dir[] = "/tmp/lockstep-engine-bench.XXXXXX";
	if (!mkdtemp(dir))
		return -1;
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s' fuzz %s --jobs %d --execs %llu --quiet --json --out %s 2>/dev/null",
		 LS_BENCH_LOCKSTEP, spec, jobs, (unsigned long long)execs, dir);
	FILE *p = popen(cmd, "r");
	double rate = -1;
	if (p) {
		char line[65536], last[65536] = "";
		while (fgets(line, sizeof(line), p))
			memcpy(last, line, sizeof(last));
		pclose(p);
		const char *k = strstr(last, "\"execs_per_s\":");
		if (k)
			rate = strtod(k + 14, NULL);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "lockstep-engine-bench: could not remove %s\n", dir);
	return rate;
}

static void bench_jobs(FILE *csv, uint64_t execs)
{
	/* Executions per campaign: about 2 s of one core each. */
	static const struct {
		const char *spec;
		uint64_t execs;
	} specs[] = { { "demo/abba:buggy", JOBS_EXECS },
		      { "rqspinlock/nmi-stress-abba-3cpu:current", JOBS_EXECS / 20 } };
	/* The children may use every CPU. */
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	sched_setaffinity(0, sizeof(all), &all);
	printf("### fuzz --jobs: executions per second (median of %d campaigns; %ld CPUs "
	       "online)\n\n| target | executions | --jobs 1 | --jobs 2 | speed-up |\n"
	       "|---|---:|---:|---:|---:|\n",
	       REPS, sysconf(_SC_NPROCESSORS_ONLN));
	fflush(stdout);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		double med[2];
		for (int j = 0; j < 2; j++) {
			double v[REPS];
			for (int r = 0; r < REPS; r++)
				v[r] = fuzz_rate(specs[i].spec, j + 1,
						 specs[i].execs * execs / JOBS_EXECS);
			med[j] = summarize(v, REPS).median;
		}
		printf("| %s | %llu | %.0f | %.0f | %.2fx |\n", specs[i].spec,
		       (unsigned long long)(specs[i].execs * execs / JOBS_EXECS), med[0], med[1],
		       med[0] > 0 ? med[1] / med[0] : 0.0);
		if (csv)
			fprintf(csv, "\"%s\",fuzz-jobs,1 and 2,%.0f,%.0f\n", specs[i].spec, med[0],
				med[1]);
		fflush(stdout);
	}
	printf("\n");
}

/* ---- 4. windows at the end of a delay --------------------------------------------------- */

struct window {
	const struct ls_target *t;
	int v;
	const char *what;
	enum ls_kind kind;		/* the finding that shows the window */
	const char *words;		/* and a word its signature has, or NULL */
	struct ls_dfs_config dfs;	/* the search that reaches it */
	uint32_t slow;			/* its slow budget */
};

static bool window_hit(const struct window *w, const struct ls_result *r)
{
	return r->kind == w->kind && (!w->words || strstr(r->signature, w->words));
}

static uint64_t window_campaign(const struct window *w, enum engine e, uint64_t first,
				uint64_t cap)
{
	struct ls_session s;
	struct ls_result r;
	struct engine_state es;
	struct ls_strategy *st = engine_init(&es, e);
	open_session(&s, w->t, w->v);
	uint64_t found = cap + 1;
	for (uint64_t i = 0; i < cap && found > cap; i++)
		if (ls_session_run(&s, st, first + i, &r) != LS_KIND_NONE && window_hit(w, &r))
			found = i + 1;
	ls_session_finish(&s);
	return found;
}

/* Executions of the window's dfs search until it reaches it; cap + 1: not within cap. */
static uint64_t window_dfs(const struct window *w, uint64_t cap)
{
	struct ls_dfs d;
	struct ls_session s;
	struct ls_config cfg;
	struct ls_result r;
	char err[256];
	if (!ls_dfs_init(&d, &w->dfs, err, sizeof(err)))
		die("%s", err);
	ls_config_default(&cfg);
	cfg.slow_budget = w->slow;
	if (!ls_session_init(&s, w->t, w->v, &cfg, err, sizeof(err)))
		die("%s", err);
	uint64_t found = cap + 1;
	while (found > cap && d.executions < cap && ls_dfs_next(&d))
		if (ls_session_run(&s, &d.base, d.exec, &r) != LS_KIND_NONE && window_hit(w, &r))
			found = d.executions;
	ls_session_finish(&s);
	ls_dfs_finish(&d);
	return found;
}

static void bench_windows(FILE *csv, int ncampaigns, uint64_t cap)
{
	const struct ls_target *stress;
	int v;
	char err[256];
	if (!ls_target_spec("rqspinlock/nmi-stress-aa-2cpu:unlock-clear-first", &stress, &v, err,
			    sizeof(err)))
		die("%s", err);
	const struct window windows[] = {
		{ &semantics_window_target, WINDOW_VARIANT_WINDOW,
		  "a store after a 20 ms critical section between two loads", LS_KIND_INVARIANT,
		  NULL, { .preemptions = 1, .nmis = 0, .por = true }, 1 },
		{ stress, v, "B3: an NMI between the cleared entry and the release, after mdelay(20)",
		  LS_KIND_STALL, "-ETIMEDOUT", { .preemptions = 0, .nmis = 1, .por = true }, 0 },
	};
	printf("### windows at the end of a delay: executions to the finding (median of %d "
	       "campaigns, capped at %llu); dfs: executions of the search\n\n",
	       ncampaigns, (unsigned long long)cap);
	printf("| window | target | random | pct d=2 | pct d=3 | dfs (bounds) |\n"
	       "|---|---|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		const struct window *w = &windows[i];
		printf("| %s | %s:%s |", w->what, w->t->name, w->t->variants[w->v].name);
		for (int e = 0; e < NENGINES; e++) {
			uint64_t x[CAMPAIGNS];
			for (int k = 0; k < ncampaigns; k++)
				x[k] = window_campaign(w, (enum engine)e,
						       (uint64_t)k * CAMPAIGN_STRIDE, cap);
			qsort(x, (size_t)ncampaigns, sizeof(x[0]), cmp_u64);
			char cell[32];
			cell_execs(cell, sizeof(cell), x[ncampaigns / 2], cap);
			printf(" %s |", cell);
			if (csv)
				fprintf(csv, "\"%s:%s\",window,%s,%s,\n", w->t->name,
					w->t->variants[w->v].name, engine_names[e], cell);
		}
		char cell[32];
		cell_execs(cell, sizeof(cell), window_dfs(w, cap), cap);
		printf(" %s (K=%u, %u NMI, %u slow) |\n", cell, w->dfs.preemptions, w->dfs.nmis,
		       w->slow);
		if (csv)
			fprintf(csv, "\"%s:%s\",window,dfs,%s,\n", w->t->name,
				w->t->variants[w->v].name, cell);
		fflush(stdout);
	}
	printf("\n");
}

static void usage(FILE *out)
{
	fprintf(out, "usage: lockstep-engine-bench [--quick] [--csv FILE]\n"
		     "  --quick     %d campaigns, smaller caps, demo and BPF targets only\n"
		     "  --csv FILE  also write the results as CSV to FILE\n",
		CAMPAIGNS_QUICK);
}

int main(int argc, char **argv)
{
	struct bench_args args;
	int rc = bench_parse_args(argc, argv, "lockstep-engine-bench", usage, &args);
	if (rc >= 0)
		return rc;
	quick = args.quick;
	bench_print_environment("lockstep engine benchmark", &args);
	printf("- engines: random(p-switch %.2g, p-slow %.2g, p-irq %.2g); pct depth 2 and 3 (sched/pct.c); "
	       "dfs (sched/dfs.c); lock validator on\n\n",
	       P_SWITCH, P_SLOW, P_IRQ);
	fflush(stdout);
	FILE *csv = NULL;
	if (args.csv) {
		csv = fopen(args.csv, "w");
		if (!csv) {
			perror(args.csv);
			return 1;
		}
		fprintf(csv, "variant,benchmark,engine_or_count,value,seconds\n");
	}
	bench_windows(csv, quick ? CAMPAIGNS_QUICK : CAMPAIGNS, quick ? FIND_CAP_QUICK : FIND_CAP);
	bench_finds(csv, quick ? CAMPAIGNS_QUICK : CAMPAIGNS, quick ? FIND_CAP_QUICK : FIND_CAP);
	bench_explore(csv, quick ? MAX_SCHEDULES_QUICK : MAX_SCHEDULES,
		      quick ? MAX_SECONDS_QUICK : MAX_SECONDS);
	bench_jobs(csv, quick ? JOBS_EXECS_QUICK : JOBS_EXECS);
	if (csv && fclose(csv) != 0) {
		perror(args.csv);
		return 1;
	}
	return 0;
}

/* lockstep-bench: what a fiber switch, a scheduling step and an execution cost.
 *
 *   1. bare fiber switch       ns per one-way ls_fiber_switch, two fibers ping-ponging
 *   2. step, staying           ns per scheduling point when the strategy keeps the default
 *   3. step, switching         ns per point when every point switches to the other task
 *   4. ratio                   (3) / (1); goal <= 2.0
 *   5. demo/abba:buggy         executions per second under the random strategy; goal >= 500,000
 *
 * Timings use CLOCK_MONOTONIC; each figure is the median of REPS repetitions after one warm-up.
 * The process pins itself to the CPU it starts on.  Prints a Markdown table; --csv FILE also
 * writes the rows as CSV.  --quick shrinks every workload for CI smoke runs (well under 3 s).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lockstep/runtime.h>
#include <lockstep/target.h>

#include "exec.h"
#include "lockdep/lockdep.h"
#include "machine.h"
#include "strategy.h"
#include "../targets/targets.h"
#include "campaign/stepcost.h"
#include "bench_util.h"

#define REPS 5

/* ---- 1 to 3: src/campaign/stepcost.c measures them (`lockstep bench` runs the same code) -------- */

static struct stat3 bench_fiber(long rounds)
{
	double v[REPS];
	char err[256];
	if (!ls_stepcost_fiber(rounds, REPS, v, err, sizeof(err)))
		die("%s", err);
	return summarize(v, REPS);
}

struct step_result {
	struct stat3 ns;
	uint64_t steps;		/* steps of the last repetition */
	uint64_t preemptions;
};

static struct step_result bench_steps(bool switching, long n)
{
	struct step_result res;
	double v[REPS];
	char err[256];
	if (!ls_stepcost_steps(switching, n, REPS, v, &res.steps, &res.preemptions, err,
			       sizeof(err)))
		die("%s", err);
	res.ns = summarize(v, REPS);
	return res;
}

/* ---- 5. executions per second on demo/abba:buggy ----------------------------------------- */

struct exec_result {
	struct stat3 rate;
	uint64_t execs, deadlocks, other;
	double acquisitions_per_exec;	/* lock acquisitions the validator checked, per execution */
};

static struct exec_result bench_execs(double seconds_per_rep, enum ls_lockdep_mode mode)
{
	const struct ls_target *t;
	int variant;
	char err[256];
	if (!ls_target_spec("demo/abba:buggy", &t, &variant, err, sizeof(err)))
		die("%s", err);
	struct ls_config cfg;
	ls_config_default(&cfg);
	struct ls_session s;
	if (!ls_session_init(&s, t, variant, &cfg, err, sizeof(err)))
		die("%s", err);
	ls_session_set_lockdep(&s, mode);
	struct ls_random rnd;
	ls_random_init(&rnd, 0.1, 0.02, 0.05);
	struct ls_result r;
	struct exec_result res = { { 0, 0, 0 }, 0, 0, 0, 0 };
	uint64_t seed = 0;
	uint64_t budget = (uint64_t)(seconds_per_rep * 1e9);

	/* warm-up, not counted */
	for (int i = 0; i < 1000; i++)
		ls_session_run(&s, &rnd.base, UINT64_MAX - (uint64_t)i, &r);

	double v[REPS];
	uint64_t acq0 = ls_lockdep_acquisitions();
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t n = 0, t0 = now_ns(), t1;
		do {
			for (int i = 0; i < 1024; i++, n++) {
				enum ls_kind k = ls_session_run(&s, &rnd.base, seed++, &r);
				if (k == LS_KIND_DEADLOCK)
					res.deadlocks++;
				else if (k != LS_KIND_NONE)
					res.other++;
			}
			t1 = now_ns();
		} while (t1 - t0 < budget);
		res.execs += n;
		v[rep] = (double)n * 1e9 / (double)(t1 - t0);
	}
	res.acquisitions_per_exec =
		(double)(ls_lockdep_acquisitions() - acq0) / (double)(res.execs ? res.execs : 1);
	ls_session_finish(&s);
	res.rate = summarize(v, REPS);
	return res;
}

/* ---- report ------------------------------------------------------------------------------ */

struct row {
	const char *bench;
	const char *unit;
	struct stat3 v;
	const char *goal;	/* "" when none */
	int met;		/* 1 met, 0 missed, -1 no goal */
	int decimals;
};

static void print_table(const struct row *rows, int n)
{
	printf("| benchmark | unit | median | min | max | goal | status |\n");
	printf("|---|---|---:|---:|---:|---|---|\n");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		int d = r->decimals;
		printf("| %s | %s | %.*f | %.*f | %.*f | %s | %s |\n", r->bench, r->unit, d,
		       r->v.median, d, r->v.min, d, r->v.max, r->goal[0] ? r->goal : "-",
		       r->met < 0 ? "-" : r->met ? "met" : "MISSED");
	}
}

static int write_csv(const char *path, const struct row *rows, int n, const char *cpu,
		     bool quick)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "benchmark,unit,median,min,max,goal,status,cpu,buildtype,mode\n");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		fprintf(f, "\"%s\",%s,%.6g,%.6g,%.6g,\"%s\",%s,\"%s\",%s,%s\n", r->bench, r->unit,
			r->v.median, r->v.min, r->v.max, r->goal,
			r->met < 0 ? "" : r->met ? "met" : "missed", cpu, LS_BENCH_BUILDTYPE,
			quick ? "quick" : "full");
	}
	if (fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: lockstep-bench [--quick] [--csv FILE]\n"
		     "  --quick     small workloads, for CI smoke runs\n"
		     "  --csv FILE  also write the results as CSV to FILE\n");
}

int main(int argc, char **argv)
{
	struct bench_args args;
	int rc = bench_parse_args(argc, argv, "lockstep-bench", usage, &args);
	if (rc >= 0)
		return rc;
	bool quick = args.quick;
	const char *csv = args.csv;

	long fiber_rounds = quick ? 200000 : 5000000;	/* one-way switches: 2x */
	long n_points = quick ? 100000 : 1000000;
	double exec_secs = quick ? 0.08 : 0.4;		/* per repetition; 5 of them */

	bench_print_environment("lockstep scheduler benchmark", &args);
	const char *cpu = args.cpu;
	printf("- each figure: median of %d repetitions (after a warm-up), CLOCK_MONOTONIC\n\n",
	       REPS);
	fflush(stdout);

	struct stat3 fib = bench_fiber(fiber_rounds);
	struct step_result stay = bench_steps(false, n_points);
	struct step_result sw = bench_steps(true, n_points);
	struct exec_result ex = bench_execs(exec_secs, LS_LOCKDEP_ON);
	struct exec_result exoff = bench_execs(exec_secs, LS_LOCKDEP_OFF);
	/* The validator's cost: the time per execution it adds, over the acquisitions it checked. */
	struct stat3 vratio = { exoff.rate.median / ex.rate.median, exoff.rate.min / ex.rate.max,
				exoff.rate.max / ex.rate.min };
	double per_acq = ex.acquisitions_per_exec > 0
				 ? (1e9 / ex.rate.median - 1e9 / exoff.rate.median) /
					   ex.acquisitions_per_exec
				 : 0;
	struct stat3 acq = { per_acq, per_acq, per_acq };

	/* Ratio of the medians; its min and max pair the extremes: best switching step over worst
	 * bare switch, and worst over best. */
	struct stat3 ratio = { sw.ns.median / fib.median, sw.ns.min / fib.max,
			       sw.ns.max / fib.min };
	double dl = ex.execs ? (double)ex.deadlocks / (double)ex.execs : 0;
	struct stat3 dlfrac = { dl, dl, dl };

	char stay_name[96], sw_name[96], ex_name[96];
	snprintf(stay_name, sizeof(stay_name), "scheduler step, staying (1 task, %ld points)",
		 n_points);
	snprintf(sw_name, sizeof(sw_name), "scheduler step, switching (2 tasks, %ld points each)",
		 n_points);
	snprintf(ex_name, sizeof(ex_name), "demo/abba:buggy, random(0.1, 0.02, 0.05), validator on");

	struct row rows[] = {
		{ "bare fiber switch (one-way)", "ns/switch", fib, "", -1, 2 },
		{ stay_name, "ns/step", stay.ns, "", -1, 2 },
		{ sw_name, "ns/step", sw.ns, "", -1, 2 },
		{ "ratio: switching step / bare switch", "x", ratio, "<= 2.0", ratio.median <= 2.0,
		  2 },
		{ ex_name, "execs/s", ex.rate, ">= 500000", ex.rate.median >= 500000, 0 },
		{ "demo/abba:buggy, random(0.1, 0.02, 0.05), validator off", "execs/s", exoff.rate, "", -1,
		  0 },
		{ "validator cost: execs/s off / on", "x", vratio, "< 2.0", vratio.median < 2.0, 2 },
		{ "validator cost per checked acquisition", "ns", acq, "", -1, 1 },
		{ "demo/abba:buggy deadlock fraction", "fraction", dlfrac, "", -1, 4 },
	};
	int nrows = (int)(sizeof(rows) / sizeof(rows[0]));
	print_table(rows, nrows);

	printf("\n- switching run: %llu steps, %llu preemptions per repetition; staying run: %llu "
	       "steps\n",
	       (unsigned long long)sw.steps, (unsigned long long)sw.preemptions,
	       (unsigned long long)stay.steps);
	printf("- demo/abba:buggy: %llu executions (seeds 0..%llu), %llu deadlocks, %llu other "
	       "findings\n",
	       (unsigned long long)ex.execs, (unsigned long long)(ex.execs ? ex.execs - 1 : 0),
	       (unsigned long long)ex.deadlocks, (unsigned long long)ex.other);
	printf("- validator on: %.2f checked acquisitions per execution; the other findings are its "
	       "reports\n",
	       ex.acquisitions_per_exec);

	if (csv) {
		if (write_csv(csv, rows, nrows, cpu, quick) != 0)
			return 1;
		printf("- CSV written to %s\n", csv);
	}
	return 0;
}

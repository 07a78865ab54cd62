/* `lockstep bench`'s measurement (bench.c explains what is measured): time and executions to the
 * first bug of buggy variants, per engine, each run a child process; the CLI renders the tables. */
#ifndef LS_CAMPAIGN_BENCH_H
#define LS_CAMPAIGN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockstep/target.h>

#define LS_BENCH_MAX_SEEDS 40	/* seed 1 + 39 * LS_BENCH_SEED_STRIDE still fits libFuzzer's 32 bits */
#define LS_BENCH_SEED_STRIDE ((uint64_t)100000000)
#define LS_BENCH_STEP_REPS 5	/* the step cost is the median of this many repetitions */

enum ls_bench_engine { E_STRESS, E_RANDOM, E_PCT, E_AFL, E_LIBFUZZER, E_COUNT };
extern const char *const ls_bench_engine_names[E_COUNT];

enum ls_bench_status { RUN_FOUND, RUN_MISSED, RUN_NA, RUN_ERROR, RUN_SKIPPED };
extern const char *const ls_bench_status_names[];

/* One run: one engine on one variant from one seed. */
struct ls_bench_run {
	enum ls_bench_status status;
	double first_s;			/* RUN_FOUND: seconds to the first bug */
	uint64_t first_exec;		/* RUN_FOUND: executions up to it, 0: unknown */
	char kind[24];			/* RUN_FOUND: its kind */
	double elapsed_s;		/* the campaign's own seconds, from its JSON */
	double wall_s;			/* the child process, start to exit */
	uint64_t execs;			/* executions in all; has_execs: known */
	bool has_execs;
	int exit_code;			/* -1: killed or died by a signal */
	char note[200];
};

struct ls_bench_variant {
	const struct ls_target *t;
	int v;
	char name[300];			/* TARGET:VARIANT */
};

/* What every function here shares: the options and the results, runs[variant][engine][seed]. */
struct ls_bench {
	uint64_t seeds, cap;
	bool engine_on[E_COUNT];
	const char *avail[E_COUNT];	/* NULL: available; else "not built" or "unavailable" */
	bool no_lockdep, quiet;
	const char *kernel_tree;	/* absolute; the fuzz engines run the tree's files (NULL: hand) */
	double watchdog;		/* stress --watchdog; 0: its default */
	uint64_t rate_s;		/* the throughput runs' length; 0: none */
	double *rate_execs, *rate_secs;	/* [variant][engine] */
	struct ls_bench_variant *var;
	int nvar;
	struct ls_bench_run *runs;
	char self[4096];
	char tmp[4096];			/* scratch directory: the runs' --out, TMPDIR and cwd */
	double step_stay, step_switch, fiber;	/* ns, medians */
	bool step_ok;
	bool small;			/* smaller step-cost runs (--short) */
	int done, errors;		/* runs measured; those that were errors */
	double total_s;			/* wall time of the whole measurement */
};

/* What one cell of the table says about N runs. */
struct ls_bench_cell {
	const char *unavailable;	/* the engine's reason, or NULL */
	int measured, found, errors, na;
	double median_s;		/* INFINITY: half or more missed */
	double median_exec;		/* INFINITY likewise; NAN: unknown */
	double execs, elapsed;		/* sums over the measured runs that counted executions */
};

/* What the front end is told while the runs go; any hook may be NULL. */
struct ls_bench_hooks {
	void *arg;
	void (*start)(void *arg, const struct ls_bench *b, int total);
	void (*run)(void *arg, const struct ls_bench *b, int v, int e, uint64_t si,
		    const struct ls_bench_run *r, int done, int total);
	void (*rate)(void *arg, const struct ls_bench *b, int v, int e,
		     const struct ls_bench_run *r);
};

/* Run si of engine e on variant v. */
struct ls_bench_run *ls_bench_run_at(const struct ls_bench *b, int v, int e, uint64_t si);
/* The positional TARGET[:VARIANT]s (a target alone: its buggy variants), or every in-tree buggy
 * variant; then only those matching the glob `pattern` (on TARGET:VARIANT or TARGET).  Dies
 * with exit 2 on a variant that is not buggy, or when none is left. */
void ls_bench_pick_variants(struct ls_bench *b, char **pos, int npos, const char *pattern);
/* Every run, then the rate runs, then the step cost; fills b->runs and the rest. */
void ls_bench_measure(struct ls_bench *b, const struct ls_bench_hooks *h);
/* What one cell of the table says about its runs. */
struct ls_bench_cell ls_bench_cell(const struct ls_bench *b, int v, int e);
/* Removes the scratch directory and frees what ls_bench_measure() made. */
void ls_bench_finish(struct ls_bench *b);

#endif

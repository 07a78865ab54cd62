/* External engines of `lockstep fuzz` (external.c explains them): what the driver and the one
 * file per engine (libfuzzer.c, afl.c) share.  Internal to src/campaign/. */
#ifndef LS_CAMPAIGN_EXTERNAL_H
#define LS_CAMPAIGN_EXTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "fuzz.h"

struct ext {
	const char *engine;	/* "libfuzzer" or "afl" */
	char self[4096];	/* the lockstep executable */
	char harness[4200];
	char work[4096];	/* the fuzzer's temporary directory */
	pid_t pid[LS_FUZZ_MAX_JOBS];
	int npid;
	struct ls_fuzz_ext_finding *f;
	int nf;
	uint64_t inputs, unreproduced;
	enum ls_kind first_bug_kind;	/* of the earliest input that is a bug */
};

/* A crash input of an external campaign and when it was found: seconds after the campaign
 * started (< 0: unknown) and the executions up to and including it (0: unknown). */
struct ext_input {
	char *path;
	double found_s;
	uint64_t exec;
};

/* external.c: starts argv[0] (looked up on PATH) with its output in WORK/log-NAME. */
void ls_ext_spawn(struct ext *x, char *const *argv, const char *name);
/* external.c: adds a crash input found found_s after the start (< 0: unknown), after exec
 * executions (0: unknown). */
void ls_ext_add_input(struct ext_input **in, size_t *n, const char *path, double found_s,
		      uint64_t exec);
/* external.c: seconds from t0 (CLOCK_REALTIME) to the last change of path; -1 if unreadable. */
double ls_ext_mtime_since(const char *path, const struct timespec *t0);

/* libfuzzer.c: starts the harness under libFuzzer in x->work; *single: one process, no fork
 * mode (--stop-on-bug with one job), whose final stats count the executions. */
void ls_libfuzzer_start(struct ext *x, const struct ls_fuzz_opts *fo, bool *single);
/* What libFuzzer's output says of the executions it ran. */
struct ls_libfuzzer_log {
	bool has_final;			/* -print_final_stats' stat::number_of_executed_units */
	uint64_t final_execs;
	bool has_progress;		/* the last "#N ..." progress line (fork mode's too) */
	uint64_t progress_execs;
};
void ls_libfuzzer_parse_log(const char *text, struct ls_libfuzzer_log *log);

/* afl.c: starts one main and jobs-1 secondary afl-fuzz instances on x->work/sync; indir gets
 * the starting corpus directory (-i). */
void ls_afl_start(struct ext *x, const struct ls_fuzz_opts *fo, char *indir, size_t indirlen);
/* The fields of an AFL++ instance's fuzzer_stats ("key : value" lines) lockstep reads. */
struct ls_afl_stats {
	bool has_execs;
	uint64_t execs_done;
	double execs_per_sec;
	uint64_t saved_crashes, saved_hangs, run_time;
	uint64_t fuzzer_pid;
};
/* False if text holds no execs_done (not a fuzzer_stats file, or afl-fuzz never got far). */
bool ls_afl_parse_stats(const char *text, struct ls_afl_stats *st);
/* The executions of a crash's instance when it was found, from its file name
 * (id:N,sig:S,src:Q,time:MS,execs:E,...); 0 if the name does not say. */
uint64_t ls_afl_crash_execs(const char *name);
/* The seeds afl-fuzz's dry run found crashing, added as inputs (afl.c says how). */
void ls_afl_seed_crashes(const struct ext *x, const char *indir, const struct timespec *t0,
			 struct ext_input **in, size_t *n);

#endif

/* Fuzz campaigns: many executions of one target with consecutive seeds, by lockstep's own worker
 * processes (pool.c) or by an external fuzzer running the fuzz/ harness (external.c), keeping one
 * trace per bug (src/bug.c) in a findings directory.  A front end fills struct ls_fuzz_opts,
 * calls ls_fuzz_run() or ls_fuzz_external_run(), and prints what the hooks are given. */
#ifndef LS_CAMPAIGN_FUZZ_H
#define LS_CAMPAIGN_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expect.h"
#include "session.h"

#define LS_FUZZ_MAX_JOBS 256
#define LS_FUZZ_SAMPLE_S 0.1	/* how often the sample hook is called */

struct ls_fuzz_opts {
	struct ls_exec_opts o;		/* o.out: the findings directory */
	const char *spec;		/* TARGET[:VARIANT] */
	uint64_t execs;			/* executions in all (0: no limit; lockstep's own engines) */
	uint64_t time_s;		/* wall-time limit (0: none) */
	uint64_t jobs;			/* worker processes (or fuzzer processes), 1..LS_FUZZ_MAX_JOBS */
	bool minimize;			/* each new bug saved is minimized at the end */
	bool stop_on_bug;		/* the first finding that is a bug for the variant ends it */
	const char *seeds;		/* external engines: the starting corpus, or NULL */
};

/* One placement of a bug: a distinct signature (which contexts, on which CPUs). */
struct ls_fuzz_placement {
	char *signature;
	enum ls_kind kind;
	char shape[40];
	uint64_t hits;			/* this campaign's, but for the live workers' shared counts */
	uint64_t first_exec, first_seed;	/* the smallest execution index that reached it */
	uint64_t written_hits;		/* this campaign's hits already merged into the directory */
};

/* One bug of a campaign by lockstep's engines (src/bug.c): its placements, and the one trace
 * kept for it, the smallest (ls_bug_rank(), then decisions, then steps, then execution). */
struct ls_fuzz_finding {
	enum ls_kind kind;		/* of the kept trace */
	unsigned long long hash;	/* the bug's */
	char *bug, *title;
	char shape[40];			/* the kept trace's */
	uint64_t hits;			/* over its placements */
	uint64_t first_exec, first_seed;	/* the smallest execution index that reached it */
	uint64_t kept_exec, kept_seed;	/* the execution whose trace is kept (UINT64_MAX: none) */
	uint64_t kept_decisions, kept_steps;
	int kept_pl;			/* the placement the kept trace is of */
	struct ls_fuzz_placement *pl;	/* in order of first execution */
	int npl, cappl;
	char path[4200];
	bool ours;			/* this campaign wrote its files, so it may replace them */
	bool unsaved;			/* its files could not be written (a full disk) */
	int unsaved_errno;
	uint64_t written_hits;		/* this campaign's hits already merged into the directory */
};

/* A campaign by lockstep's engines as it stands (progress) or ended (summary). */
struct ls_fuzz_result {
	const struct ls_session *s;	/* its target and variant */
	const char *strategy;		/* the engine's label, the traces' strategy line */
	uint64_t jobs, executions;
	double elapsed_s;
	uint64_t interleavings;
	bool interleavings_exact;	/* else an estimate */
	const struct ls_fuzz_finding *f;	/* in order of first execution (summary) */
	int nf;
	char pct_bound[300];		/* pct: what its bound says of the executions run; "" */
	bool bug;			/* a bug for the variant was found, first: */
	double first_bug_s;		/* the earliest wall time after the start one was found */
	uint64_t first_bug_exec;	/* the smallest execution index that found one */
	enum ls_kind first_bug_kind;
	struct ls_expect expect;	/* summary: what was found against what the variant declares */
};

/* A campaign by an external fuzzer, ended. */
struct ls_fuzz_ext_finding {
	char *trace, *title, *input;	/* title: its bug's (a crash: its signature); input: the
					 * first crash input's file name */
	enum ls_kind kind;
	uint64_t hits;
};
struct ls_fuzz_ext_result {
	const struct ls_session *s;
	const char *spec, *engine;
	uint64_t jobs;
	double elapsed_s;
	uint64_t inputs, unreproduced;	/* crash inputs; those with no finding in lockstep */
	const struct ls_fuzz_ext_finding *f;
	int nf;
	bool execs_known;		/* the fuzzer said how many executions it ran: */
	uint64_t execs;
	bool bug;			/* a crash input was a bug for the variant, the first: */
	double first_bug_s;		/* < 0: not known */
	uint64_t first_bug_exec;	/* 0: not known */
	enum ls_kind first_bug_kind;
	struct ls_expect expect;
};

/* What a front end is told; any hook may be NULL. */
struct ls_fuzz_hooks {
	void *arg;
	bool tty;			/* progress rewrites one line of stderr */
	/* A finding was filed under bug f: a new bug (fresh; report is its report), a new
	 * placement pl of a known one (pl >= 0), or a smaller trace of it, from execution exec,
	 * replacing the one from execution was (UINT64_MAX: none was kept). */
	void (*finding)(void *arg, const struct ls_fuzz_finding *f, bool fresh, int pl,
			uint64_t exec, uint64_t was, const char *report, size_t rlen);
	void (*progress)(void *arg, const struct ls_fuzz_result *r);
	/* The campaign as it stands every LS_FUZZ_SAMPLE_S of wall time, and once at its end. */
	void (*sample)(void *arg, const struct ls_fuzz_result *r);
	void (*summary)(void *arg, const struct ls_fuzz_result *r);
	/* An external campaign: a crash input made a new finding (out: replay's output, its
	 * report), or had none. */
	void (*ext_input)(void *arg, const char *input, const struct ls_fuzz_ext_finding *f,
			  const char *out, size_t outlen);
	void (*ext_summary)(void *arg, const struct ls_fuzz_ext_result *r);
};

/* Runs a campaign by lockstep's engines (o->o.engine random or pct) until o->execs, o->time_s,
 * SIGINT/SIGTERM or (stop_on_bug) the first bug; files its findings in o->o.out.  Returns the
 * exit code: LS_EXIT_FOUND if a finding is a bug for the variant, else LS_EXIT_CLEAN; dies with
 * exit 3 if no execution ran (a campaign that ran nothing is not a result). */
int ls_fuzz_run(const struct ls_fuzz_opts *o, const struct ls_fuzz_hooks *h);

/* Runs the fuzz/ harness under libFuzzer or AFL++ (o->o.engine "libfuzzer" or "afl") for
 * o->time_s seconds and files every crash input through `lockstep replay --target`.  Returns the
 * exit code, as ls_fuzz_run(). */
int ls_fuzz_external_run(const struct ls_fuzz_opts *o, const struct ls_fuzz_hooks *h);

/* finish.c: `lockstep minimize` on each bug among f[0..nf) this campaign saved (not crashes), each
 * in a child process whose output goes to stderr. */
void ls_fuzz_minimize_saved(const struct ls_fuzz_finding *f, int nf, const struct ls_variant *var);
/* finish.c: the verdict of findings f[0..nf) after `executions` against the variant's declared
 * outcome. */
void ls_fuzz_judge(const struct ls_variant *var, const struct ls_fuzz_finding *f, int nf,
		   uint64_t executions, struct ls_expect *ex);

#endif

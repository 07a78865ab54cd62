/* The minimizer of `lockstep minimize` (minimize.c explains it): the shortest list of decisions
 * that still shows a trace's bug, run supervised so that a candidate that crashes is only a
 * candidate that does not keep the finding. */
#ifndef LS_CAMPAIGN_MINIMIZE_H
#define LS_CAMPAIGN_MINIMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

/* What a decision list costs, compared in the order of minimize.c's opening comment. */
struct ls_minimize_cost {
	uint64_t preemptions, injections, slows, contexts, steps, decisions;
};

struct ls_minimize_opts {
	const char *file;		/* the trace, for messages */
	char *text;			/* its text and length (ls_input_or_die()), freed by the run */
	size_t len;
	const char *target;		/* --target FILE.so[:VARIANT] for a trace of an object, or NULL */
	const char *kernel_tree;	/* --kernel-tree for a trace recorded with one, or NULL */
	const char *out_path;		/* where the minimized trace goes */
	uint64_t max_attempts;		/* 0: no limit */
	double time_s;			/* wall-time budget, 0: none */
	double hang_s;			/* a candidate's wall-time limit, 0: the default */
};

struct ls_minimize_result {
	const char *file, *out_path;
	const struct ls_session *s;
	const struct ls_result *r;	/* the minimized trace's finding */
	const char *label;		/* its strategy line */
	struct ls_minimize_cost before, after;
	uint64_t attempts, crashed;	/* candidates run; those that crashed their process */
	bool too_many_crashes;
	double seconds;
	bool complete;			/* 1-minimal, not cut short by a budget */
};

struct ls_minimize_hooks {
	void *arg;
	/* Called in the minimizing process, after the trace is written. */
	void (*summary)(void *arg, const struct ls_minimize_result *r);
};

/* Minimizes the trace; returns the exit code (0: a minimized trace written; 1: the bug does not
 * reproduce).  Dies with exit 2 on a trace it cannot use (a crash trace among them). */
int ls_minimize_run(const struct ls_minimize_opts *o, const struct ls_minimize_hooks *h);

/* Turns a raw fuzzer input into a trace with `lockstep replay --target` in a child (the same
 * decoding as the harness), its finding written into the scratch directory dir and its trace to
 * trace; dies with exit 1 if the input shows no bug. */
void ls_minimize_raw_to_trace(const char *target, const char *kernel_tree, bool no_lockdep, bool compat,
			      const char *input,
			      const char *dir, const char *trace);

#endif

/* Bounded-exhaustive search of one target variant (sched/dfs.c), supervised: explore.c explains
 * it; `lockstep explore` is its front end. */
#ifndef LS_CAMPAIGN_EXPLORE_H
#define LS_CAMPAIGN_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

#include "expect.h"
#include "session.h"
#include "../../sched/strategy.h"

struct ls_explore_opts {
	struct ls_exec_opts o;		/* o.cfg.slow_budget: the slows' bound */
	const char *spec;		/* TARGET[:VARIANT] */
	struct ls_dfs_config cfg;	/* the bounds, the reduction, the shard, the depth */
	uint64_t max_schedules;		/* 0: no limit */
	bool in_process;		/* no supervisor: the search runs in this process */
};

/* How a search ended. */
struct ls_explore_result {
	const struct ls_session *s;
	const struct ls_dfs *d;		/* schedules, pruned, abandoned, executions, exec */
	const struct ls_dfs_config *cfg;
	const char *label;		/* the strategy line */
	uint32_t slow;
	double elapsed_s;
	bool found;			/* a bug for the variant ended it */
	bool limited, stopped;		/* --max-schedules, a signal: incomplete */
	bool crashed;			/* executions crashed (the search went on) */
	const struct ls_result *r;	/* the bug, else the first crash */
	const char *path;		/* its trace */
	uint64_t crash_executions, first_crash_exec;
	int crash_signatures;
	uint64_t expected;		/* distinct expected-behaviour signatures saved */
	const char *lockdep_json;	/* the bug's validator JSON fields (ls_json_lockdep()) */
	struct ls_expect expect;
};

struct ls_explore_hooks {
	void *arg;
	bool tty;			/* progress rewrites one line of stderr (every 0.25 s, else 10 s) */
	void (*progress)(void *arg, const struct ls_dfs *d, double elapsed);
	void (*summary)(void *arg, const struct ls_explore_result *r);
};

/* Runs the search; the bug's report, expected behaviour and crashes are printed on stdout as they
 * are saved (unless o.quiet).  Returns LS_EXIT_FOUND for a bug or a crash, else LS_EXIT_CLEAN;
 * dies with exit 3 if no schedule ran. */
int ls_explore_run(const struct ls_explore_opts *o, const struct ls_explore_hooks *h);

#endif

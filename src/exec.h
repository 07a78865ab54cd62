/* One execution of a target variant under a decision source, and what it found.
 * Every front end (CLI commands, fuzz harnesses, tests, benchmarks) runs executions through here. */
#ifndef LS_EXEC_H
#define LS_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sched/machine.h"

/* What the lock validator checks: everything (NMI contexts included), nothing, or exactly
 * what the kernel's lockdep would (blind inside NMIs). */
enum ls_lockdep_mode { LS_LOCKDEP_ON, LS_LOCKDEP_OFF, LS_LOCKDEP_COMPAT };

struct ls_session {
	const struct ls_target *target;
	int variant;
	struct ls_machine *m;
	struct ls_validator *validator;	/* classes and dependencies accumulate over executions */
	enum ls_lockdep_mode lockdep;	/* ls_session_set_lockdep(); LS_LOCKDEP_ON after init */
	enum ls_lockdep_mode applied;	/* the mode the validator runs in; a run applies lockdep */
	uint32_t executions;		/* executions run since the validator was reset */
	/* Findings get no bug (src/bug.c) until the caller asks ls_bug_identify() for it: a fuzz
	 * worker names the bug of a placement it has not met only. */
	bool defer_bug;
	struct ls_strategy *strategy;	/* of the last execution, for ls_session_rerun() */
};

/* Sets the validator's mode and forgets its classes and dependencies: a new campaign. */
void ls_session_set_lockdep(struct ls_session *s, enum ls_lockdep_mode mode);

struct ls_result {
	enum ls_kind kind;
	uint64_t seed;
	uint64_t steps;
	uint64_t clock;
	/* Filled for findings: the placement (the normalized signature, which a replay must meet)
	 * and its hash; the bug it is a placement of (src/bug.c), its hash and its one-line title. */
	char signature[1024];
	unsigned long long hash;
	char bug[768];
	unsigned long long bug_hash;
	char title[256];
	/* Named by shape: "deadlock", "stall", "invariant", or the validator's "AA", "ABBA",
	 * "cycle", "irq-inversion", "nmi-inversion", "unlock-balance", prefixed "averted-". */
	char shape[40];
	/* Earlier executions of the session a validator finding relies on. */
	int nprior;
	uint64_t prior_seed[8];
	uint32_t prior_exec[8];
};

bool ls_session_init(struct ls_session *s, const struct ls_target *t, int variant,
		     const struct ls_config *cfg, char *err, size_t errlen);
void ls_session_finish(struct ls_session *s);

/* Runs one execution; the machine keeps its state for reports until the next run. */
enum ls_kind ls_session_run(struct ls_session *s, struct ls_strategy *st, uint64_t seed,
			    struct ls_result *r);
/* The validator may make several reports in one execution; the first is the finding.  Makes the
 * report whose signature is given the finding instead (a replay of a trace recorded in a
 * campaign, whose graph had already absorbed the earlier reports).  False if none matches. */
bool ls_session_select_report(struct ls_session *s, struct ls_result *r, const char *want);
/* Runs execution number `exec` of the session again (same strategy and seed give the same
 * decisions), to recover the decisions of an earlier execution a finding cites.  The validator's
 * graph already holds everything it adds, so the session's later executions are unaffected. */
void ls_session_rerun(struct ls_session *s, struct ls_strategy *st, uint32_t exec, uint64_t seed);

/* The wait-for graph at the end of a deadlock: each context waits for at most one other. */
struct ls_wait {
	int next;		/* context waited for, or -1 */
	const void *addr;	/* the word it is parked on, NULL if it waits for a CPU */
	const char *how;	/* parked: how it waits for next ("held by", "queued behind", ...);
				 * else "is interrupted by", "waits for the CPU held by" */
};
void ls_wait_graph(const struct ls_machine *m, struct ls_wait *w);
/* The lowest context id on a cycle of the wait-for graph w, or -1 when there is none. */
int ls_wait_cycle_start(const struct ls_wait *w, int nctx);
/* Every live context's line (written by line, from its edge of the wait-for graph), sorted and
 * joined by "; ": the waits (deadlock) or positions (stall) of a finding without a cycle. */
struct ls_buf;
typedef void (*ls_live_line)(const struct ls_machine *m, int ctx, const struct ls_wait *w,
			     char *out, size_t n);
void ls_live_set(const struct ls_machine *m, ls_live_line line, struct ls_buf *b);
/* Writes the cycle through the wait-for graph, if any, as "t0 -> spin_lock(lock_b) -> t1 -> ...".
 * Returns false (and writes nothing) when there is none. */
bool ls_wait_cycle(const struct ls_machine *m, char *buf, size_t n);

#endif

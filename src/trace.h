/* Traces: the text record of one execution that `lockstep replay` re-executes.
 *
 *   lockstep-trace 3               format version (this file's grammar and the machine's meaning)
 *   lockstep 0.1.0                 the version that wrote it (informational)
 *   target demo/abba
 *   target-hash 0123456789abcdef   only for a shared object's target (the path above): FNV-1a
 *                                  of its bytes; replay loads only an object named on its
 *                                  command line, and only if this matches
 *   variant buggy
 *   step-limit 1000000             the options that change execution
 *   time-limit-ns 60000000000
 *   step-ns 10
 *   slow-budget 2
 *   strategy random p-switch 0.1 p-slow 0.02 p-irq 0.05    how the decisions were made
 *                                  (informational)
 *   lockdep on                     the validator's mode: on, off or compat
 *   prior 1                        optional: earlier executions of the campaign that
 *   prior-seed 3                   a validator finding relies on, each a seed and its decisions,
 *   prior-decisions 1              replayed in order before the execution itself
 *   @9 run t1
 *   seed 7
 *   decisions 2                    then that many "@STEP CHOICE" lines, steps increasing
 *   @14 run t1
 *   @17 nmi nmi cpu0
 *   outcome deadlock
 *   signature deadlock: ...         the placement, which a replay must reach again
 *   bug deadlock: ...               optional (absent before bug identities, src/bug.c): the
 *   title deadlock: ...             bug it is a placement of, and its one-line title
 *   steps 31
 *   checksum 0123456789abcdef      FNV-1a of every byte above this line; optional (delete it
 *   end                            after editing a trace by hand)
 *
 * Formats 1 and 2 were written by a machine that took a pending interrupt only at the next point
 * and had no "slow" choice: the same decisions mean another execution now, so they are refused
 * with a message that says so.  Nothing in a trace depends on time, addresses or the
 * environment: the same inputs give the same bytes. */
#ifndef LS_TRACE_H
#define LS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "exec.h"

#define LS_TRACE_FORMAT 3
#define LS_TRACE_MAX_PRIOR 8
/* The longest line the grammar has (a signature line); a longer one is refused, never cut. */
#define LS_TRACE_MAX_LINE 1100

struct ls_trace_step {
	uint64_t step;
	char choice[64];
};

struct ls_trace_prior {
	uint64_t seed;
	struct ls_trace_step *steps;	/* malloc'd */
	size_t nsteps;
};

/* One execution's decisions, for writing. */
struct ls_trace_exec {
	uint64_t seed;
	const struct ls_decision *d;
	size_t n;
};

struct ls_trace {
	int format;
	enum ls_lockdep_mode lockdep;
	struct ls_trace_prior prior[LS_TRACE_MAX_PRIOR];
	int nprior;
	char target[64];
	bool has_target_hash;
	unsigned long long target_hash;
	char variant[64];
	struct ls_config cfg;
	bool has_kernel;		/* kernel-tree and kernel-source lines: --kernel-tree ran */
	char kernel_tree[256];
	unsigned long long kernel_hash;
	char strategy[128];
	uint64_t seed;
	struct ls_trace_step *steps;	/* malloc'd; ls_trace_free() */
	size_t nsteps;
	enum ls_kind kind;
	char signature[1024];
	char bug[768], title[256];	/* "" in a trace written before bug identities */
	uint64_t nsteps_run;
};

/* Writes the trace of the session's last execution. */
void ls_trace_write(const struct ls_session *s, const struct ls_result *r, const char *strategy,
		    struct ls_buf *out);
/* The same with the execution's decisions given (main) and earlier executions before it. */
void ls_trace_write_execs(const struct ls_session *s, const struct ls_result *r,
			  const char *strategy, const struct ls_trace_exec *prior, int nprior,
			  const struct ls_trace_exec *main, struct ls_buf *out);
const char *ls_lockdep_mode_name(enum ls_lockdep_mode mode);

/* Parses a trace.  On failure returns false with a one-line reason in err. */
bool ls_trace_parse(const char *text, size_t len, struct ls_trace *t, char *err, size_t errlen);
void ls_trace_free(struct ls_trace *t);

/* Resolves the parsed decisions against a session's machine; false with err on a bad choice. */
bool ls_trace_decisions(const struct ls_trace *t, const struct ls_machine *m,
			struct ls_decision *out, char *err, size_t errlen);
/* The same for prior execution i. */
bool ls_trace_prior_decisions(const struct ls_trace *t, int i, const struct ls_machine *m,
			      struct ls_decision *out, char *err, size_t errlen);

enum ls_replay_status {
	LS_REPLAY_APPLIED,	/* every decision applied; r holds the outcome */
	LS_REPLAY_DIVERGED,	/* a decision did not apply (reason in why) */
	LS_REPLAY_BAD_TRACE,	/* a choice names nothing in this target, or out of memory */
};

/* Replays a parsed trace in session s: resets the validator to the trace's mode, replays the
 * prior executions, then the execution itself into r.  With rerecord, writes the trace of what
 * was replayed, priors included.  A trace written before bug identities (no bug line) names
 * interrupt contexts "nmi@cpuN" and "irq@cpuN" in its signature; once replayed, its signature is
 * upgraded in place to the names the machine gives them now, their source's ("perf@cpuN"), so
 * it compares with the replay's. */
enum ls_replay_status ls_trace_replay(struct ls_session *s, struct ls_trace *t, struct ls_result *r,
		     struct ls_buf *rerecord, char *why, size_t whylen);
/* The same with each execution's replay strategy passed through wrap (NULL: none), which returns
 * the strategy to run: an observer of the replay, such as crash.h's watch. */
typedef struct ls_strategy *(*ls_replay_wrap)(void *arg, struct ls_strategy *replay);
enum ls_replay_status ls_trace_replay_observed(struct ls_session *s, struct ls_trace *t,
					       struct ls_result *r, struct ls_buf *rerecord,
					       char *why, size_t whylen, ls_replay_wrap wrap,
					       void *arg);

#endif

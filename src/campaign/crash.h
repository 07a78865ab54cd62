/* Crashes: target code run in a child process, so that a target that dies (a signal, a sanitizer
 * report, exit()), runs an execution for too long without end or holds too much memory becomes a
 * finding of kind `crash` instead of taking lockstep down with it.
 *
 * The child publishes what it is doing in a page of memory shared with its parent (struct
 * ls_watch_page): the execution it runs and how many it began, so the parent can kill one that
 * takes longer than the hang timeout, and, through a strategy that wraps the real one (struct
 * ls_watch), the last scheduling point and the context that ran from it, so the parent can say
 * where it died.  The watch also writes every non-default decision to a pipe the moment it is
 * made, so the parent holds the decision prefix of the execution that killed the child: with the
 * seed, a trace that `lockstep replay` re-executes (in a child of its own) up to the same crash.
 * A fuzz worker and explore's search process run without the watch (it costs a call per
 * scheduling point) and publish only their executions; a post-mortem (ls_postmortem_arm()) says
 * where they died and with which decisions, and their crashes are recorded by running the
 * execution again in a watched child.  The parent kills a child whose execution outlasts the
 * hang timeout or whose memory passes ls_rss_limit_mb, after asking it where it is.  A child
 * marks its own exits (ls_child_exit(), ls_die()): an exit without the mark is target code's.
 *
 * A crash signature names how the process died and where, never steps or addresses:
 * "crash: SIGSEGV: t1 after READ_ONCE(flag) in t1_fn", "crash: hang: ...", "crash: sanitizer
 * report: ...", "crash: exit(0): ..." when target code ended the process itself (exit(),
 * _exit()), whatever the code, "...: before the first scheduling point" when it died in
 * init(), or "...: not reproducible alone" when the execution did not crash when run again.
 */
#ifndef LS_CRASH_H
#define LS_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../buf.h"
#include "../exec.h"

/* The wall time one execution may take before its process is killed as hung (--hang-timeout,
 * 0: automatic): LS_HANG_TIMEOUT_S, or LS_HANG_S_PER_STEP for every step the step limit allows
 * if that is longer.  The step and virtual-time limits end runaway schedules; this catches target
 * code that loops or blocks outside the model library. */
#define LS_HANG_TIMEOUT_S 10.0
#define LS_HANG_S_PER_STEP 1e-5
double ls_hang_timeout(double given, uint64_t step_limit);

/* The memory a child running target code may hold (--rss-limit-mb; 0: no limit), as libFuzzer's
 * -rss_limit_mb: its parent polls the child's resident set and kills it past the limit, a crash
 * "out of memory". */
#define LS_RSS_LIMIT_MB 2048
extern uint64_t ls_rss_limit_mb;
/* Why a parent killed a child: ls_death_name()'s killed. */
enum { LS_KILLED_NOT = 0, LS_KILLED_HANG = 1, LS_KILLED_RSS = 2 };
/* Whether process pid holds more than ls_rss_limit_mb of memory. */
bool ls_rss_over(pid_t pid);

#define LS_WATCH_IDLE UINT64_MAX

#define LS_WATCH_UNKNOWN (-2)	/* ctx: where is not known (it did not crash when run alone) */

/* Shared between a child and its parent; the child writes, the parent reads. */
struct ls_watch_page {
	uint64_t exec;		/* the execution running (the caller's numbering), or LS_WATCH_IDLE */
	uint64_t progress;	/* executions begun: a hang stops it */
	/* Written by the watch: the last point, and the context that ran from it (-1: none). */
	uint64_t step;
	int ctx;
	const struct ls_site *site;	/* that context's last announced operation (NULL: none) */
	int sanitizer;		/* a sanitizer is ending the process (its death callback ran) */
	int done;		/* the child is ending by lockstep's own choice (ls_child_exit(),
				 * ls_die()): an exit without it is the target's exit() */
	int stop;		/* written by the parent: a stop signal came; finish early */
	int where;		/* step, ctx, site (and nlog) were written by the child's post-mortem */
	int asks;		/* the child has a post-mortem: ask it (SIGUSR2) before killing it */
	uint64_t nlog;		/* decisions of the running execution in the watch's log */
};

/* Wraps a strategy to publish progress and the last point to page, and to write each non-default
 * decision to fd (-1: none) as it is made, or (log set) into log, shared memory of logcap
 * decisions whose count is page->nlog: no system call per decision, for a child that runs many
 * executions (explore). */
struct ls_watch {
	struct ls_strategy base;
	struct ls_strategy *inner;
	struct ls_watch_page *page;
	int fd;
	struct ls_decision *log;
	size_t logcap;
};
void ls_watch_init(struct ls_watch *w, struct ls_strategy *inner, struct ls_watch_page *page,
		   int fd);

/* Shared anonymous memory for a page (or anything else parent and children share), zeroed. */
void *ls_shared_create(size_t size);
void ls_shared_destroy(void *p, size_t size);

/* A child running target code, seen from its parent. */
struct ls_child {
	pid_t pid;
	int fd;				/* read end of the decision pipe; EOF when the child is gone */
	struct ls_watch_page *page;
	bool own_page;			/* page is unmapped by ls_child_finish() */
	/* Filled by ls_child_wait(). */
	int status;			/* from waitpid() */
	bool hang;			/* killed: an execution outlasted the hang timeout */
	bool rss;			/* killed: it held more than ls_rss_limit_mb */
	bool killed;			/* the parent sent SIGKILL */
	struct ls_decision *d;		/* the decisions of the last execution the child began */
	size_t n, cap;
};

/* Forks a child that publishes to page (reset here); the parent sets page->stop when a stop
 * signal arrives while it waits.  Returns true in the child, whose watch
 * must use *wfd as its decision fd; it ignores SIGINT and SIGTERM (the parent decides when to
 * stop) and dies with its parent.  Returns false in the parent. */
bool ls_child_fork(struct ls_child *c, struct ls_watch_page *page, int *wfd);
/* In a child, instead of a watch (which costs a call at every scheduling point): when the child
 * dies of a signal, calls exit() from target code, dies of a sanitizer report or is asked with
 * SIGUSR2 (ls_child_wait() asks before it kills a child for a hang or its memory), the running
 * machine's context, last announced operation and step go to the child's page, and its decisions
 * so far (at most logcap) to log, shared memory, with their count in page->nlog; page->where
 * says they were written.  The context is the machine's running one (a watch's is the one its
 * last point chose: the same, but where the two could differ the parent runs the execution
 * again under a watch, as fuzz workers' crashes are). */
void ls_postmortem_arm(struct ls_decision *log, size_t logcap);
/* Takes the decisions of the execution the child died in from a watch's shared log. */
void ls_child_take_log(struct ls_child *c, const struct ls_decision *log, size_t cap);
/* Collects the child's decisions until it exits, killing it if one execution takes longer than
 * hang_s seconds or it holds more than ls_rss_limit_mb; then reaps it. */
void ls_child_wait(struct ls_child *c, double hang_s);
/* Whether the child ended other than through ls_child_exit() or ls_die(). */
bool ls_child_crashed(const struct ls_child *c);
/* In a child: ends it with lockstep's exit code, marked as lockstep's own exit. */
_Noreturn void ls_child_exit(int code);
/* In a child: marks the exit that follows as lockstep's own (ls_die() calls it); else nothing. */
void ls_child_exiting(void);
void ls_child_finish(struct ls_child *c);

/* How a process ended, as a signature word: "SIGSEGV", "hang", "out of memory", "sanitizer
 * report", "exit(3)"; killed is LS_KILLED_*. */
void ls_death_name(int status, int killed, bool sanitizer, char *buf, size_t n);
/* Why the parent killed c, LS_KILLED_*. */
int ls_child_killed(const struct ls_child *c);

/* The finding of a child that died running execution `seed` of session s (which must not have
 * run it itself: its machine only names contexts and choices).  r gets kind LS_KIND_CRASH, the
 * signature, its hash, the shape "crash" and, as its steps, the step of the last point. */
void ls_crash_result(const struct ls_session *s, const struct ls_child *c, uint64_t seed,
		     struct ls_result *r);
/* The crash's report (note, if any, is a paragraph of its own) and its trace. */
void ls_crash_report(const struct ls_session *s, const struct ls_child *c,
		     const struct ls_result *r, const char *strategy, const char *note,
		     const char *replay_path, struct ls_buf *b);
void ls_crash_trace(const struct ls_session *s, const struct ls_child *c,
		    const struct ls_result *r, const char *strategy, struct ls_buf *b);

/* Runs execution `seed` of s under st in a child (s itself is left as it was) and records it.
 * Returns true if the child crashed; c then describes how and where (ls_child_finish() it). */
bool ls_crash_record(struct ls_session *s, struct ls_strategy *st, uint64_t seed, double hang_s,
		     struct ls_child *c);

#endif

/* The worker pool of `lockstep fuzz` (pool.c explains the campaign): what the parent, its
 * workers and the files that file findings and crashes share.  Internal to src/campaign/. */
#ifndef LS_CAMPAIGN_POOL_H
#define LS_CAMPAIGN_POOL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "crash.h"
#include "fuzz.h"
#include "interleavings.h"
#include "session.h"
#include "../findings.h"

#define LOCAL_MAX 4096		/* findings per worker whose hits are counted in shared memory */
#define README_PERIOD_S 0.5	/* README.md is rewritten at most this often while running */

/* ---- workers ----------------------------------------------------------------------------------- */

/* What a worker shares with the parent, besides its pipe. */
struct worker_page {
	struct ls_watch_page watch;	/* watch.exec: the execution it is running */
	uint64_t done;			/* executions it finished */
	/* Set by the parent when the campaign stops: the worker checks it before each execution,
	 * so a stop that comes before its SIGTERM handler is installed is not lost. */
	int stop;
	bool has_pct;
	struct ls_pct pct;		/* the pct engine as of its last execution (k is learned) */
	uint64_t hits[LOCAL_MAX];	/* hits of its n-th finding, in the order it reported them */
};

enum { MSG_FINDING = 1, MSG_HIT, MSG_DONE };

struct msg_head {
	uint32_t type, len;		/* len: bytes after the head */
};

/* MSG_FINDING: this, then the texts (enum msg_text), unterminated.  A worker sends one for each
 * placement it reaches first, and again for a placement whose execution is a smaller trace of
 * its bug than any it sent (local: a number it gave before). */
enum msg_text { TX_SIGNATURE, TX_BUG, TX_TITLE, TX_PATH, TX_REPORT, TX_TRACE, TX_COUNT };
struct msg_finding {
	uint32_t local, kind;		/* local: the worker's numbering of its placements */
	uint64_t hash, bug_hash, exec, seed, decisions, steps;
	double wall;			/* ls_wall_s() when the execution ended */
	char shape[40];
	uint32_t len[TX_COUNT];
};

/* Everything a campaign is, in the parent and (copied by fork) in its workers. */
struct campaign {
	struct ls_exec_opts o;
	uint64_t execs;			/* 0: no limit */
	uint64_t jobs;
	struct ls_session s;		/* never runs in the parent: each child runs a copy */
	struct ls_seen *seen;
	struct ls_engine engine;	/* for the label; workers and recorders init their own */
	bool minimize;			/* --minimize: each new bug saved is minimized at the end */
	bool stop_on_bug;		/* --stop-on-bug: the first bug for the variant ends it */
};

struct slot {
	int bug, pl;
};

struct worker {
	int slot;
	pid_t pid;			/* 0: not running */
	int fd;
	struct worker_page *page;
	uint64_t start;			/* first execution of this incarnation */
	char *in;			/* bytes read, not yet a whole message */
	size_t inlen, incap;
	struct slot *map;		/* its local placement number -> bug and placement */
	uint32_t nmap, capmap;
	bool done_msg;			/* it said it finished */
	bool hang;			/* killed: its execution outlasted the hang timeout */
	bool rss;			/* killed: it held more than --rss-limit-mb */
	double rss_checked;		/* when its memory was last looked at */
	double asked;			/* when it was asked where it hangs (0: not) */
	uint64_t last_progress;		/* page->watch.progress: the executions it began */
	double since;			/* when last_progress last changed */
};

struct parent {
	struct campaign *cp;
	const struct ls_fuzz_hooks *h;
	struct worker *w;
	struct ls_fuzz_finding *f;
	int nf, capf;
	uint64_t executions;		/* finished by workers no longer running, and crashed ones */
	unsigned n_max;			/* pct: the most contexts and steps any worker saw */
	uint64_t k_max;
	struct ls_finding_dir dir;
	bool dir_dirty, dir_touched;
	bool dir_failed;		/* the last README.md/index.tsv write failed */
	uint64_t killed_outside;	/* workers killed by someone else (not findings) */
	double dir_written;
	bool tty;
	double hang_s;			/* an execution's wall-time limit */
	double start;			/* ls_wall_s() when the campaign started */
	/* The first bug for the variant: the earliest wall time one was found at, and the smallest
	 * execution index that found one (the same finding with one worker); bug_exec UINT64_MAX:
	 * none yet. */
	double bug_wall;
	uint64_t bug_exec;
	enum ls_kind bug_kind;
	bool bug_stop;			/* --stop-on-bug and a bug was filed: stop the workers */
};

/* workers.c: a worker runs executions start, start+jobs, ... and reports them to fd. */
int ls_fuzz_worker_main(struct campaign *cp, struct worker_page *wp, uint64_t start, int fd);

/* A finding as it reaches the parent: its placement, its bug, the execution and its files. */
struct arrival {
	enum ls_kind kind;
	const char *shape;
	unsigned long long hash, bug_hash;
	const char *signature, *bug, *title, *path;
	uint64_t exec, seed, decisions, steps;
	double wall;
	const char *report, *trace;
	size_t rlen, tlen;
};

/* dedup.c: the findings table, one row per bug with its placements, and the findings
 * directory. */
uint64_t ls_fuzz_total_executions(const struct parent *p);
void ls_fuzz_dir_update(struct parent *p, bool force);
/* The bug and placement of a finding, added if new (their hits are not counted here). */
struct slot ls_fuzz_place(struct parent *p, const struct arrival *a);
/* Whether execution exec would be kept over the bug's present trace. */
bool ls_fuzz_smaller(const struct parent *p, int bug, const struct arrival *a);
/* Files an arrival at its slot: the placement's and the bug's first execution, and the trace
 * if it is the bug's smallest (a trace from an earlier campaign is replaced only by a smaller
 * one).  A bug for the variant is the campaign's first bug if nothing came before. */
void ls_fuzz_file(struct parent *p, struct slot at, const struct arrival *a);
void ls_fuzz_map_local(struct worker *w, uint32_t local, struct slot at);

/* respawn.c: starting workers, and what happens when one is gone. */
void ls_fuzz_spawn(struct parent *p, struct worker *w, uint64_t start);
void ls_fuzz_worker_gone(struct parent *p, struct worker *w, bool respawn);

#endif

/* Explore: bounded-exhaustive search of one target variant (sched/dfs.c), for `lockstep explore`.
 *
 * Runs every schedule with at most --preemptions preemptions, --nmis interrupt injections and
 * --slow slows (the running CPUs falling behind while time passes, sched/clock.c), skipping schedules that only reorder independent operations unless --no-por, and stops at the
 * first bug: its report and trace are written as `run` writes them, and the command exits 1.  A
 * search that runs out (no bug) exits 0 and says within which bounds; one stopped by
 * --max-schedules or a signal says it is incomplete.  A finding the variant does not count as a
 * bug (an averted deadlock, say) is saved once per bug (src/bug.c) and the search goes on.
 *
 * Execution i of a search runs with seed i.  A validator finding that cites earlier executions
 * needs their decisions in its trace; the search does not keep them, so they are recovered by
 * running the same search again, in a fresh session, up to the last execution cited.
 *
 * The target runs in a child process, the search process, supervised by the command's own.  The
 * search (struct ls_dfs and its path) lives in memory they share, and a watch (crash.h) logs
 * each execution's decisions there and publishes which execution runs.  When target code kills
 * the search process (a signal, a sanitizer report, exit(), or an execution that outlasts the
 * hang timeout), the supervisor files a `crash` finding with the decisions of the execution that
 * died, and forks a new search process that continues the search where it stopped: the dead
 * execution is a leaf (sched/dfs.c).  Crashes are saved once per signature and the search goes
 * on; the command then exits 1.  The new process starts with the validator's graph empty, as a
 * fresh campaign: a cycle whose edges were seen on both sides of a crash is not reported, and
 * executions a finding cites are recovered from where that process took the search up.  Without
 * a crash this costs one fork and a store per decision. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "explore.h"
#include "json.h"
#include "../findings.h"
#include "../trace.h"

#define MAX_EXPECTED 64	/* expected-behaviour signatures told apart; later ones are saved again */


/* ---- decisions of executions a finding cites ------------------------------------------- */

/* Replays, for each seed it holds, the decisions that execution made: what ls_save_finding()
 * runs again for a finding's prior executions. */
struct recall {
	struct ls_strategy base;
	struct ls_replay replay;
	int n;
	uint64_t seed[LS_TRACE_MAX_PRIOR];
	struct ls_decision *d[LS_TRACE_MAX_PRIOR];
	size_t nd[LS_TRACE_MAX_PRIOR];
};

static void recall_begin(struct ls_strategy *st, uint64_t seed)
{
	struct recall *rc = (struct recall *)st;
	int i = 0;
	while (i < rc->n && rc->seed[i] != seed)
		i++;
	if (i == rc->n)
		ls_die(LS_EXIT_INTERNAL, "explore: execution %" PRIu64 " was not recovered", seed);
	ls_replay_init(&rc->replay, rc->d[i], rc->nd[i]);
	rc->replay.base.begin(&rc->replay.base, seed);
}

static int recall_choose(struct ls_strategy *st, struct ls_point *pt)
{
	struct recall *rc = (struct recall *)st;
	return rc->replay.base.choose(&rc->replay.base, pt);
}

/* The search process's page, for progress the supervisor's hang clock sees (NULL in-process). */
static struct ls_watch_page *search_page;

/* Runs the search again in a fresh session, from epoch (where this search process took it up)
 * to the last execution r cites, keeping the decisions of those it cites. */
static void recall_priors(const char *spec, const struct ls_exec_opts *o,
			  const struct ls_dfs_config *cfg, const struct ls_dfs *epoch,
			  const struct ls_result *r, struct recall *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->base.name = "dfs";
	rc->base.begin = recall_begin;
	rc->base.choose = recall_choose;
	uint64_t last = 0;
	for (int i = 0; i < r->nprior && i < LS_TRACE_MAX_PRIOR; i++) {
		rc->seed[rc->n++] = r->prior_seed[i];
		if (r->prior_seed[i] > last)
			last = r->prior_seed[i];
	}
	struct ls_session s;
	struct ls_dfs d;
	struct ls_result rr;
	char err[200];
	ls_open_session(spec, o, &s);
	if (!ls_dfs_init(&d, cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "explore: %s", err);
	ls_dfs_copy(&d, epoch);
	while (ls_dfs_next(&d) && d.exec <= last) {
		if (search_page)
			__atomic_add_fetch(&search_page->progress, 1, __ATOMIC_RELAXED);
		ls_session_run(&s, &d.base, d.exec, &rr);
		for (int i = 0; i < rc->n; i++) {
			if (rc->seed[i] != d.exec)
				continue;
			size_t n = s.m->nlog;
			rc->d[i] = malloc((n ? n : 1) * sizeof(*rc->d[i]));
			if (!rc->d[i])
				ls_die(LS_EXIT_INTERNAL, "out of memory");
			memcpy(rc->d[i], s.m->log, n * sizeof(*rc->d[i]));
			rc->nd[i] = n;
		}
	}
	for (int i = 0; i < rc->n; i++)
		if (!rc->d[i])
			ls_die(LS_EXIT_INTERNAL, "explore: could not recover execution %" PRIu64,
			       rc->seed[i]);
	ls_dfs_finish(&d);
	ls_session_finish(&s);
}

static void recall_free(struct recall *rc)
{
	for (int i = 0; i < rc->n; i++)
		free(rc->d[i]);
}

/* ls_save_finding() for the search's last execution, whose prior executions (if it cites any)
 * are recovered first: the session's strategy is the search, which cannot run them again. */
static bool save(struct ls_session *s, const struct ls_result *r, const char *spec,
		 const struct ls_exec_opts *o, const struct ls_dfs_config *cfg,
		 const struct ls_dfs *epoch, const char *label, char *path, size_t pathlen,
		 struct ls_buf *report)
{
	struct recall rc = { .n = 0 };
	struct ls_strategy *search = s->strategy;
	if (r->nprior) {
		recall_priors(spec, o, cfg, epoch, r, &rc);
		s->strategy = &rc.base;
	}
	ls_buf_reset(report);
	bool fresh = ls_save_finding(s, r, label, o->out, path, pathlen, report);
	ls_note_finding(path, r->signature, 1);	/* the directory's README.md and index.tsv */
	s->strategy = search;
	recall_free(&rc);
	return fresh;
}

/* ---- the search ---------------------------------------------------------------------------- */

/* What the search process and its supervisor share; the watch's decision log and the search's
 * path follow it in the same mapping. */
struct shared {
	struct ls_dfs d;
	struct ls_watch_page page;
	double start;			/* ls_wall_s() when the search began */
	uint64_t expected;		/* distinct expected-behaviour bugs, and their hashes */
	unsigned long long seen[MAX_EXPECTED];
	bool found, limited;
	bool rerun;			/* the next process runs the announced execution again */
	struct ls_result r;		/* the bug that ended the search */
	char path[4200];
	char jl[8192];			/* its validator JSON (ls_json_lockdep()) */
};

struct search_args {
	struct shared *sh;
	struct ls_decision *log;
	size_t logcap;
	struct ls_session *s;
	const char *spec;
	const struct ls_exec_opts *o;
	const struct ls_dfs_config *cfg;
	const char *label;
	uint64_t max_schedules;
	const struct ls_explore_hooks *h;
};

/* The search process: runs executions until a bug, the end of the search, --max-schedules or a
 * stop, leaving the outcome in shared memory.  Nothing stands between the machine and the search;
 * watched, a post-mortem (crash.h) says where the process died and with which decisions.
 * Unwatched (--in-process), the search runs in the command's own process. */
static void search(const struct search_args *a, bool watched)
{
	struct shared *sh = a->sh;
	struct ls_dfs *d = &sh->d;
	struct ls_session *s = a->s;
	const struct ls_variant *var = &s->target->variants[s->variant];
	char err[200];
	struct ls_dfs epoch;
	if (!ls_dfs_init(&epoch, a->cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "explore: %s", err);
	ls_dfs_copy(&epoch, d);
	if (watched) {
		ls_postmortem_arm(a->log, a->logcap);
		search_page = &sh->page;
	}

	double last = ls_wall_s(), period = a->h->tty ? 0.25 : 10.0;
	struct ls_result r;
	struct ls_buf report = { 0 };
	bool found = false;
	bool again = sh->rerun;
	sh->rerun = false;
	while (!__atomic_load_n(&sh->page.stop, __ATOMIC_RELAXED) && !ls_stop_signal &&
	       (again || ls_dfs_next(d))) {
		again = false;
		if (a->max_schedules && d->schedules + d->abandoned >= a->max_schedules) {
			sh->limited = true;
			break;
		}
		__atomic_store_n(&sh->page.exec, d->exec, __ATOMIC_RELEASE);
		__atomic_add_fetch(&sh->page.progress, 1, __ATOMIC_RELAXED);
		ls_session_run(s, &d->base, d->exec, &r);
		__atomic_store_n(&sh->page.exec, LS_WATCH_IDLE, __ATOMIC_RELEASE);
		ls_dfs_done(d);
		if (d->owned && r.kind != LS_KIND_NONE) {
			if (ls_variant_bug(var, r.kind)) {
				found = true;
				break;
			}
			/* Expected behaviour for this variant: saved once per bug, the search goes
			 * on. */
			uint64_t n = sh->expected < MAX_EXPECTED ? sh->expected : MAX_EXPECTED, i = 0;
			while (i < n && sh->seen[i] != r.bug_hash)
				i++;
			if (i == n) {
				char p[4200];
				if (sh->expected < MAX_EXPECTED)
					sh->seen[sh->expected] = r.bug_hash;
				sh->expected++;
				save(s, &r, a->spec, a->o, a->cfg, &epoch, a->label, p, sizeof(p), &report);
				if (!a->o->quiet)
					printf("explore: %s at execution %" PRIu64 " is expected behaviour "
					       "for this variant, not a bug: %s\n",
					       r.shape, d->exec, p);
			}
		}
		if ((d->executions & 63) == 0) {
			double t = ls_wall_s();
			if (t - last >= period) {
				if (a->h->progress)
					a->h->progress(a->h->arg, d, t - sh->start);
				last = t;
			}
		}
	}
	if (d->error[0] && !found)
		ls_die(LS_EXIT_USAGE, "explore: %s%s", d->error,
		       strstr(d->error, "depth limit") ? " (raise it with --max-depth)" : "");
	if (found) {
		/* The validator's part of the JSON, before recovering prior executions runs them
		 * again. */
		struct ls_buf jl = { 0 };
		ls_json_lockdep(&jl, s, &r);
		snprintf(sh->jl, sizeof(sh->jl), "%s", jl.s ? jl.s : "");
		ls_buf_finish(&jl);
		save(s, &r, a->spec, a->o, a->cfg, &epoch, a->label, sh->path, sizeof(sh->path),
		     &report);
		if (!a->o->quiet)
			fputs(report.s, stdout);
		sh->r = r;
		sh->found = true;
	}
	ls_buf_finish(&report);
	ls_dfs_finish(&epoch);
	fflush(stdout);
}

/* The crashes the supervisor filed: one trace per signature, the first execution's. */
struct crashes {
	uint64_t executions;		/* that crashed */
	int n;
	struct {
		unsigned long long hash;
		char path[4200];
	} sig[MAX_EXPECTED];
	struct ls_result first;		/* the first crash, and its trace */
	uint64_t first_exec;
	char first_path[4200];
};

/* Execution exec killed the search process c.  With a post-mortem (path NULL: c says where and
 * with which decisions) it may be a hit of a crash already saved; otherwise the execution runs
 * again alone under a watch, as fuzz workers' crashes do, replaying c's decisions or following
 * path, the search's own record of it, and its crash is saved with the trace of that run.  A
 * process killed from outside whose execution runs clean alone is no finding: false, and the
 * execution is to run again in the search. */
static bool file_crash(struct ls_session *s, const struct ls_exec_opts *o, const char *label,
		       struct ls_child *c, uint64_t exec, double hang_s, struct ls_strategy *path_st,
		       struct crashes *cr)
{
	struct ls_result r;
	ls_crash_result(s, c, exec, &r);
	int i = 0;
	while (!path_st && i < cr->n && cr->sig[i].hash != r.hash)
		i++;
	if (path_st)
		i = cr->n;
	struct ls_child rec;
	bool recorded = false;
	if (i == cr->n) {
		struct ls_replay rp;
		ls_replay_init(&rp, c->d, c->n);
		bool again = ls_crash_record(s, path_st ? path_st : &rp.base, exec, hang_s, &rec);
		recorded = true;
		char note[400] = "";
		struct ls_child *shown = &rec;
		struct ls_watch_page unknown = *c->page;
		struct ls_child alone = *c;
		if (!again && !c->killed && WIFSIGNALED(c->status) &&
		    WTERMSIG(c->status) == SIGKILL) {
			fprintf(stderr, "explore: the search process was killed (SIGKILL) from outside "
				"lockstep during execution %" PRIu64 ", which ran to its end when run "
				"again alone: not a finding; the search goes on\n", exec);
			ls_child_finish(&rec);
			return false;
		}
		if (!again && path_st) {
			/* Where, the run alone cannot say. */
			unknown.ctx = LS_WATCH_UNKNOWN;
			alone.page = &unknown;
			c = &alone;
		}
		if (!again) {
			/* Named by how the search process died and where it said it was. */
			shown = c;
			snprintf(note, sizeof(note), "Run again alone in a fresh process, with the "
				 "same decisions, the execution ran to its end: it depends on what the "
				 "search process ran before it.\nThe trace records the run alone, so it "
				 "does not replay this crash.");
		}
		ls_crash_result(s, shown, exec, &r);
		i = 0;
		while (i < cr->n && cr->sig[i].hash != r.hash)
			i++;
		if (i == cr->n) {
			char stem[4096], path[4200];
			ls_finding_stem(o->out, &r, stem, sizeof(stem));
			snprintf(path, sizeof(path), "%s.trace", stem);
			struct ls_buf report = { 0 }, trace = { 0 };
			ls_crash_report(s, shown, &r, label, note, path, &report);
			ls_crash_trace(s, &rec, &r, label, &trace);
			if (!ls_mkdirs(o->out))
				ls_die(LS_EXIT_INTERNAL, "cannot create %s: %s", o->out,
				       strerror(errno));
			if (access(path, F_OK) != 0)	/* a crash's first trace is kept */
				ls_write_finding(path, &report, &trace);
			if (!o->quiet)
				fputs(report.s, stdout);
			printf("explore: %s at execution %" PRIu64 "; the search goes on: %s\n",
			       r.signature, exec, path);
			fflush(stdout);
			ls_buf_finish(&report);
			ls_buf_finish(&trace);
			if (cr->n < MAX_EXPECTED) {
				cr->sig[cr->n].hash = r.hash;
				snprintf(cr->sig[cr->n].path, sizeof(cr->sig[cr->n].path), "%s", path);
				cr->n++;
			}
		}
	}
	const char *path = i < cr->n ? cr->sig[i].path : "";
	if (*path)
		ls_note_finding(path, r.signature, 1);
	if (cr->executions++ == 0) {
		cr->first = r;
		cr->first_exec = exec;
		snprintf(cr->first_path, sizeof(cr->first_path), "%s", path);
	}
	if (recorded)
		ls_child_finish(&rec);
	return true;
}

int ls_explore_run(const struct ls_explore_opts *eo, const struct ls_explore_hooks *h)
{
	static const struct ls_explore_hooks no_hooks;
	if (!h)
		h = &no_hooks;
	struct ls_exec_opts o = eo->o;
	struct ls_dfs_config cfg = eo->cfg;
	uint64_t max_schedules = eo->max_schedules;
	bool in_process = eo->in_process;
	struct ls_session s;
	ls_open_session(eo->spec, &o, &s);
	char err[200], label[128];
	ls_dfs_label(&cfg, label, sizeof(label));

	/* One mapping: the shared state, the watch's decision log (at most one decision per
	 * scheduling point), the search's path. */
	size_t logcap = (size_t)cfg.max_depth + 1;
	size_t head = (sizeof(struct shared) + 63) & ~(size_t)63;
	size_t logbytes = (logcap * sizeof(struct ls_decision) + 63) & ~(size_t)63;
	size_t total = head + logbytes + ls_dfs_stack_bytes(&cfg);
	struct shared *sh = ls_shared_create(total);
	struct ls_decision *log = (struct ls_decision *)((char *)sh + head);
	if (!ls_dfs_init_at(&sh->d, &cfg, (char *)sh + head + logbytes, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "explore: %s", err);
	struct ls_dfs *d = &sh->d;
	struct search_args args = { sh, log, logcap, &s, eo->spec, &o, &cfg, label, max_schedules, h };
	double hang_s = ls_hang_timeout(o.hang_s, o.cfg.step_limit);

	ls_catch_stop_signals();
	bool tty = h->tty;
	double period = tty ? 0.25 : 10.0;
	sh->start = ls_wall_s();
	struct crashes cr;
	memset(&cr, 0, sizeof(cr));
	/* The search as each search process starts it: whole, unlike one killed between
	 * executions, in the middle of ls_dfs_next(). */
	struct ls_dfs snap;
	if (!ls_dfs_init(&snap, &cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "explore: %s", err);
	if (in_process) {
		sh->page.exec = LS_WATCH_IDLE;
		search(&args, false);
	}
	while (!in_process) {
		struct ls_child c;
		int wfd;
		ls_dfs_copy(&snap, d);
		if (ls_child_fork(&c, &sh->page, &wfd)) {
			search(&args, true);
			ls_child_exit(LS_EXIT_CLEAN);
		}
		ls_child_wait(&c, hang_s);
		if (!ls_child_crashed(&c)) {
			int code = WIFEXITED(c.status) ? WEXITSTATUS(c.status) : LS_EXIT_INTERNAL;
			ls_child_finish(&c);
			if (code != LS_EXIT_CLEAN)
				exit(code);	/* the search process said why */
			break;
		}
		uint64_t exec = __atomic_load_n(&sh->page.exec, __ATOMIC_ACQUIRE);
		if (exec == LS_WATCH_IDLE && !c.killed && WIFSIGNALED(c.status) &&
		    WTERMSIG(c.status) == SIGKILL) {
			/* Killed from outside between executions, perhaps while it changed the
			 * search: the next process starts where this one did and runs its executions
			 * again (their findings are saved and counted once). */
			fprintf(stderr, "explore: the search process was killed (SIGKILL) from outside "
				"lockstep between executions; the search goes on from execution %" PRIu64
				"\n", snap.executions);
			ls_dfs_copy(d, &snap);
			ls_child_finish(&c);
			if (ls_stop_signal)
				break;
			continue;
		}
		if (exec == LS_WATCH_IDLE) {
			char how[64];
			ls_death_name(c.status, ls_child_killed(&c), c.page->sanitizer, how, sizeof(how));
			ls_die(LS_EXIT_INTERNAL, "explore: the search process died (%s) outside an "
			       "execution, after %" PRIu64 " executions", how, d->executions);
		}
		if (tty)
			fputc('\n', stderr);
		if (__atomic_load_n(&sh->page.where, __ATOMIC_ACQUIRE)) {
			ls_child_take_log(&c, log, logcap);
			file_crash(&s, &o, label, &c, exec, hang_s, NULL, &cr);
		} else {
			/* No post-mortem (_exit(), a signal it does not catch, a SIGKILL): the
			 * execution runs again along the search's path, which the shared search
			 * holds up to where it died. */
			struct ls_dfs again;
			if (!ls_dfs_init(&again, &cfg, err, sizeof(err)))
				ls_die(LS_EXIT_INTERNAL, "explore: %s", err);
			ls_dfs_copy(&again, d);
			ls_dfs_rewind(&again);
			if (!file_crash(&s, &o, label, &c, exec, hang_s, &again.base, &cr)) {
				/* Cut short by the kill, its path is not a leaf: run it whole. */
				ls_dfs_rewind(d);
				sh->rerun = true;
			}
			ls_dfs_finish(&again);
		}
		ls_child_finish(&c);
		if (ls_stop_signal)
			break;
	}
	double elapsed = ls_wall_s() - sh->start;
	if (tty && elapsed >= period && h->progress)
		h->progress(h->arg, d, elapsed), fputc('\n', stderr);

	bool found = sh->found, limited = sh->limited, crashed = cr.executions > 0;
	bool stopped = ls_stop_signal && !found && !d->finished;
	const struct ls_result *r = found ? &sh->r : &cr.first;
	const char *path = found ? sh->path : cr.first_path;

	/* The search stops at the first bug; crashes do not stop it. */
	uint64_t first[LS_KIND_COUNT];
	for (int kind = 0; kind < LS_KIND_COUNT; kind++)
		first[kind] = LS_EXPECT_NOT_FOUND;
	if (crashed)
		first[LS_KIND_CRASH] = cr.first_exec;
	if (found && (!crashed || sh->r.kind != LS_KIND_CRASH))
		first[sh->r.kind] = d->exec;
	struct ls_explore_result res = {
		.s = &s, .d = d, .cfg = &cfg, .label = label, .slow = o.cfg.slow_budget,
		.elapsed_s = elapsed, .found = found, .limited = limited, .stopped = stopped,
		.crashed = crashed, .r = r, .path = path, .crash_executions = cr.executions,
		.crash_signatures = cr.n, .first_crash_exec = cr.first_exec,
		.expected = sh->expected, .lockdep_json = sh->jl,
	};
	ls_expect_judge(&s.target->variants[s.variant], first, d->schedules, "schedule",
			&res.expect);
	if (h->summary)
		h->summary(h->arg, &res);
	bool none = !found && d->executions == 0 && !ls_stop_signal;
	ls_dfs_finish(&snap);
	ls_shared_destroy(sh, total);
	ls_session_finish(&s);
	if (none)
		ls_die(LS_EXIT_INTERNAL, "explore: no schedule ran: the search is not a result");
	return found || crashed ? LS_EXIT_FOUND : LS_EXIT_CLEAN;
}

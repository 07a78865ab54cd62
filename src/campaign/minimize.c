/* Minimize: the shortest story that still shows a trace's bug (`lockstep minimize`).
 *
 * A finding's trace is a list of decisions (step, choice); everything else is the default.  The
 * minimizer searches smaller lists that keep the finding: the same outcome kind and the same
 * signature.  Candidates are ordered by cost, compared in this order:
 *
 *	(preemptions, injections, slows, contexts, steps, decisions)
 *
 * preemptions are switches away from a context that could go on, injections NMIs and hardirqs,
 * slows the times the running CPUs fell behind while time passed (sched/clock.c), contexts those
 * that reached a scheduling point.  A candidate is accepted only if it keeps the
 * finding and costs strictly less, so the search ends (the cost is a tuple of naturals).
 *
 * A candidate runs under a tolerant decision source: a decision applies at its step if its exact
 * choice is among that point's choices, otherwise the default is kept; it never diverges.  What
 * the machine actually decided (its decision log, as `run` records it) is the candidate's
 * canonical form, so an accepted candidate always replays exactly.
 *
 * Passes, repeated until a whole round accepts nothing:
 *   1. ddmin (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", TSE
 *      2002) over the decision list: remove chunks (complements), then keep single chunks,
 *      refining the granularity;
 *   2. remove each decision, one at a time (the fixpoint is 1-minimal: no single removal keeps
 *      the bug at a lower cost);
 *   3. move each switch later, by 1..MOVE_SPAN steps, alone and then with the decision after it
 *      dropped (that one often only switched back: a preemption moved to the right step can
 *      make the switch after it a forced one, or unnecessary);
 *   4. drop each injection or slow together with the decision after it (its handler's own
 *      switch, or the switch made once time passed);
 *   5. place each injection at every step of the execution, first alone, then among the other
 *      decisions (an NMI at the right step often needs no preemption to set it up).
 * Nothing depends on time or addresses, so the same trace gives the same output; only --time
 * (a wall-clock budget) can stop it earlier on a slower machine.  Prior executions a validator
 * finding cites are replayed unchanged before every candidate; only the execution itself is
 * minimized.  Crash traces are refused: their candidates would need a child process each.
 *
 * Target code runs in a child process, supervised by the command's.  Candidates run in the child
 * one after another; it publishes the number of the attempt it runs in memory they share.  When
 * a candidate kills the child (a signal, a sanitizer report, exit(), a hang), that candidate
 * does not keep the finding: the supervisor notes its attempt number and forks a new child, which
 * minimizes again from the start.  The minimizer is deterministic, so the new child reaches the
 * same attempt in the same state; it skips the noted attempts, reruns the earlier ones in its own
 * process (they ended before), and from there on runs each candidate in a child of its own, so
 * that later crashes cost a fork each instead of a restart.  Without a crash this costs one fork. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash.h"
#include "minimize.h"
#include "../findings.h"
#include "../report.h"
#include "../trace.h"
#include "../../targets/targets.h"

#define MOVE_SPAN 8	/* how far pass 3 moves a switch, in steps */

/* A decision list with its cost; d is malloc'd. */
struct cand {
	struct ls_decision *d;
	size_t n;
	struct ls_minimize_cost c;
};

/* The tolerant decision source (see the top of the file). */
struct tolerant {
	struct ls_strategy base;
	const struct ls_decision *d;
	size_t n, next;
	uint64_t ctxs;		/* bit i: context i reached a point */
};

#define MAX_CRASHED 4096	/* candidates that crashed, noted for the next child to skip */
#define ATTEMPT_REPLAY 0	/* page.exec: the trace's own replay, before any candidate */
#define ATTEMPT_FINAL (UINT64_MAX - 1)	/* the best list, recorded */

/* What the minimizing child and its supervisor share (see the top of the file). */
struct shared {
	struct ls_watch_page page;	/* exec: the attempt running */
	double t0;			/* when minimizing began, for --time */
	bool careful;			/* attempts after last_crash run in a child each */
	uint64_t last_crash;
	int ncrashed;
	uint64_t crashed[MAX_CRASHED];	/* attempts that crashed: each does not keep the finding */
	uint64_t crashes;		/* all of them, noted or not */
};

/* A candidate's outcome, written by the child that ran it apart. */
struct apart {
	bool keeps;
	struct ls_minimize_cost c;
	size_t n;
	struct ls_decision d[];		/* its canonical form */
};

struct minimizer {
	struct ls_session *s;
	const struct ls_trace *t;
	struct ls_decision *pd[LS_TRACE_MAX_PRIOR];	/* the prior executions' decisions */
	struct cand best;
	uint64_t attempts, max_attempts;
	double deadline;	/* ls_wall_s() at which to stop, 0: none */
	bool out_of_budget;
	bool too_many_crashes;
	struct shared *sh;
	struct ls_watch_page *watching;	/* the page of the process running candidates */
	double hang_s;
	/* For candidates run apart: the child's page and the outcome, made on first use. */
	struct ls_watch_page *apage;
	struct apart *out;
	size_t outcap;
};

static void tolerant_begin(struct ls_strategy *st, uint64_t seed)
{
	struct tolerant *tl = (struct tolerant *)st;
	(void)seed;
	tl->next = 0;
	tl->ctxs = 0;
}

static int tolerant_choose(struct ls_strategy *st, struct ls_point *pt)
{
	struct tolerant *tl = (struct tolerant *)st;
	tl->ctxs |= 1ull << pt->ctx;
	while (tl->next < tl->n && tl->d[tl->next].step < pt->step)
		tl->next++;
	if (tl->next >= tl->n || tl->d[tl->next].step != pt->step)
		return 0;
	const struct ls_decision *d = &tl->d[tl->next++];
	int n = ls_point_choices(pt);
	for (int i = 0; i < n; i++)
		if (ls_choice_same(&pt->choices[i], &d->choice))
			return i;
	return 0;
}

static int cost_cmp(const struct ls_minimize_cost *a, const struct ls_minimize_cost *b)
{
	const uint64_t x[] = { a->preemptions, a->injections, a->slows, a->contexts, a->steps,
			       a->decisions };
	const uint64_t y[] = { b->preemptions, b->injections, b->slows, b->contexts, b->steps,
			       b->decisions };
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* Resets the validator and replays the prior executions, as ls_trace_replay() does. */
static void run_priors(struct minimizer *mz)
{
	ls_session_set_lockdep(mz->s, mz->t->lockdep);
	for (int i = 0; i < mz->t->nprior; i++) {
		struct ls_replay rp;
		struct ls_result pr;
		ls_replay_init(&rp, mz->pd[i], mz->t->prior[i].nsteps);
		ls_session_run(mz->s, &rp.base, mz->t->prior[i].seed, &pr);
	}
}

/* Whether r is the trace's finding (selecting the validator report that is, if one is). */
static bool keeps_finding(struct minimizer *mz, struct ls_result *r)
{
	const struct ls_trace *t = mz->t;
	if (r->kind != t->kind)
		return false;
	if (strcmp(r->signature, t->signature) == 0)
		return true;
	bool validator = t->kind == LS_KIND_LOCKDEP || t->kind == LS_KIND_AVERTED;
	return validator && ls_session_select_report(mz->s, r, t->signature);
}

/* Runs the decisions d[0..n) tolerantly in this process; on keeping the finding fills out
 * (canonical form and cost) and returns true. */
static bool run_candidate(struct minimizer *mz, const struct ls_decision *d, size_t n,
			  struct cand *out)
{
	run_priors(mz);
	struct tolerant tl = { .base = { "minimize", tolerant_begin, tolerant_choose }, .d = d,
			       .n = n };
	struct ls_watch w;
	ls_watch_init(&w, &tl.base, mz->watching, -1);
	struct ls_result r;
	ls_session_run(mz->s, &w.base, mz->t->seed, &r);
	if (!keeps_finding(mz, &r))
		return false;
	const struct ls_machine *m = mz->s->m;
	out->n = m->nlog;
	out->d = malloc((m->nlog ? m->nlog : 1) * sizeof(*out->d));
	if (!out->d)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	memcpy(out->d, m->log, m->nlog * sizeof(*out->d));
	out->c = (struct ls_minimize_cost){ m->preemptions, m->injections, m->slows,
				(uint64_t)__builtin_popcountll(tl.ctxs), r.steps, m->nlog };
	return true;
}

/* Notes that attempt a crashed: the next child skips it. */
static void note_crash(struct minimizer *mz, uint64_t a)
{
	struct shared *sh = mz->sh;
	sh->crashes++;
	if (sh->ncrashed < MAX_CRASHED)
		sh->crashed[sh->ncrashed++] = a;
	else
		mz->too_many_crashes = true;
}

/* The candidate in a child of its own: a crash there is this candidate's, not the minimizer's. */
static bool run_apart(struct minimizer *mz, uint64_t a, const struct ls_decision *d, size_t n,
		      struct cand *out)
{
	if (!mz->apage) {
		mz->apage = ls_shared_create(sizeof(*mz->apage));
		mz->outcap = mz->s->m->caplog;
		mz->out = ls_shared_create(sizeof(*mz->out) + mz->outcap * sizeof(mz->out->d[0]));
	}
	/* The supervisor sees this attempt run, and its clock restarts now. */
	__atomic_store_n(&mz->sh->page.exec, a, __ATOMIC_RELEASE);
	__atomic_add_fetch(&mz->sh->page.progress, 1, __ATOMIC_RELAXED);
	struct ls_child c;
	int wfd;
	if (ls_child_fork(&c, mz->apage, &wfd)) {
		struct cand cand;
		mz->watching = mz->apage;
		mz->apage->exec = a;
		mz->out->keeps = run_candidate(mz, d, n, &cand);
		if (mz->out->keeps) {
			mz->out->c = cand.c;
			mz->out->n = cand.n < mz->outcap ? cand.n : mz->outcap;
			memcpy(mz->out->d, cand.d, mz->out->n * sizeof(*cand.d));
		}
		ls_child_exit(LS_EXIT_CLEAN);
	}
	ls_child_wait(&c, mz->hang_s);
	__atomic_add_fetch(&mz->sh->page.progress, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&mz->sh->page.exec, LS_WATCH_IDLE, __ATOMIC_RELEASE);
	bool crashed = ls_child_crashed(&c);
	int code = WIFEXITED(c.status) ? WEXITSTATUS(c.status) : 0;
	ls_child_finish(&c);
	if (crashed) {
		note_crash(mz, a);
		return false;
	}
	if (code != LS_EXIT_CLEAN)
		ls_child_exit(code);	/* lockstep itself failed in the child, which said why */
	if (!mz->out->keeps)
		return false;
	out->n = mz->out->n;
	out->d = malloc((out->n ? out->n : 1) * sizeof(*out->d));
	if (!out->d)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	memcpy(out->d, mz->out->d, out->n * sizeof(*out->d));
	out->c = mz->out->c;
	return true;
}

/* Attempt number mz->attempts + 1: runs the candidate (see the top of the file for where); on
 * keeping the finding fills out and returns true. */
static bool evaluate(struct minimizer *mz, const struct ls_decision *d, size_t n, struct cand *out)
{
	uint64_t a = ++mz->attempts;
	struct shared *sh = mz->sh;
	for (int i = 0; i < sh->ncrashed; i++)
		if (sh->crashed[i] == a)
			return false;
	if (sh->careful && a > sh->last_crash)
		return run_apart(mz, a, d, n, out);
	__atomic_store_n(&sh->page.exec, a, __ATOMIC_RELEASE);
	bool keeps = run_candidate(mz, d, n, out);
	__atomic_store_n(&sh->page.exec, LS_WATCH_IDLE, __ATOMIC_RELEASE);
	return keeps;
}

static bool budget_left(struct minimizer *mz)
{
	if (mz->out_of_budget)
		return false;
	if ((mz->max_attempts && mz->attempts >= mz->max_attempts) ||
	    (mz->deadline > 0 && ls_wall_s() >= mz->deadline) || ls_stop_signal ||
	    __atomic_load_n(&mz->sh->page.stop, __ATOMIC_RELAXED) || mz->too_many_crashes)
		mz->out_of_budget = true;
	return !mz->out_of_budget;
}

/* Tries a candidate list; if it keeps the finding at a lower cost it becomes the best. */
static bool try(struct minimizer *mz, const struct ls_decision *d, size_t n)
{
	if (!budget_left(mz))
		return false;
	struct cand c;
	if (!evaluate(mz, d, n, &c))
		return false;
	if (cost_cmp(&c.c, &mz->best.c) >= 0) {
		free(c.d);
		return false;
	}
	free(mz->best.d);
	mz->best = c;
	return true;
}

/* The best list without the decisions [lo, hi) (keep: only those), into buf. */
static size_t cut(const struct cand *b, size_t lo, size_t hi, bool keep, struct ls_decision *buf)
{
	size_t k = 0;
	for (size_t i = 0; i < b->n; i++)
		if ((i >= lo && i < hi) == keep)
			buf[k++] = b->d[i];
	return k;
}

/* Pass 1: ddmin over the decision list.  Returns whether anything was accepted. */
static bool pass_ddmin(struct minimizer *mz)
{
	bool progress = false;
	size_t gran = 2;
	while (mz->best.n >= 2 && budget_left(mz)) {
		size_t n = mz->best.n;
		if (gran > n)
			gran = n;
		struct ls_decision *buf = malloc(n * sizeof(*buf));
		if (!buf)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
		bool accepted = false;
		/* Complements first: each removes one chunk. */
		for (size_t c = 0; c < gran && !accepted; c++) {
			size_t lo = n * c / gran, hi = n * (c + 1) / gran;
			accepted = try(mz, buf, cut(&mz->best, lo, hi, false, buf));
			if (accepted)
				gran = gran > 2 ? gran - 1 : 2;
		}
		/* Then single chunks. */
		for (size_t c = 0; c < gran && !accepted && gran > 2; c++) {
			size_t lo = n * c / gran, hi = n * (c + 1) / gran;
			accepted = try(mz, buf, cut(&mz->best, lo, hi, true, buf));
			if (accepted)
				gran = 2;
		}
		free(buf);
		if (accepted) {
			progress = true;
			continue;
		}
		if (gran >= n)
			break;
		gran = gran * 2 < n ? gran * 2 : n;
	}
	return progress;
}

/* Pass 2: remove each decision alone. */
static bool pass_remove_one(struct minimizer *mz)
{
	bool progress = false;
	for (size_t i = 0; i < mz->best.n && budget_left(mz);) {
		struct ls_decision *buf = malloc(mz->best.n * sizeof(*buf));
		if (!buf)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
		bool ok = try(mz, buf, cut(&mz->best, i, i + 1, false, buf));
		free(buf);
		if (ok)
			progress = true;	/* the list changed: look at position i again */
		else
			i++;
	}
	return progress;
}

/* Pass 3: move each switch later by 1..MOVE_SPAN steps (staying before the next decision). */
static bool pass_move_later(struct minimizer *mz)
{
	bool progress = false;
	for (size_t i = 0; i < mz->best.n && budget_left(mz); i++) {
		if (mz->best.d[i].choice.kind != LS_CH_RUN)
			continue;
		for (uint64_t k = 1; k <= MOVE_SPAN && i < mz->best.n; k++) {
			uint64_t step = mz->best.d[i].step + k;
			if (i + 1 < mz->best.n && step >= mz->best.d[i + 1].step)
				break;
			size_t n = mz->best.n;
			struct ls_decision *buf = malloc(n * sizeof(*buf));
			if (!buf)
				ls_die(LS_EXIT_INTERNAL, "out of memory");
			memcpy(buf, mz->best.d, n * sizeof(*buf));
			buf[i].step = step;
			bool ok = try(mz, buf, n);
			/* The switch after it may only have undone this one where it was. */
			if (!ok && i + 1 < n) {
				memmove(buf + i + 1, buf + i + 2, (n - i - 2) * sizeof(*buf));
				ok = try(mz, buf, n - 1);
			}
			free(buf);
			if (ok) {
				progress = true;
				break;
			}
		}
	}
	return progress;
}

/* Pass 4: drop each injection or slow with the decision after it. */
static bool pass_drop_injection(struct minimizer *mz)
{
	bool progress = false;
	for (size_t i = 0; i + 1 < mz->best.n && budget_left(mz);) {
		uint8_t kind = mz->best.d[i].choice.kind;
		bool ok = false;
		if (kind == LS_CH_NMI || kind == LS_CH_IRQ || kind == LS_CH_SLOW) {
			struct ls_decision *buf = malloc(mz->best.n * sizeof(*buf));
			if (!buf)
				ls_die(LS_EXIT_INTERNAL, "out of memory");
			ok = try(mz, buf, cut(&mz->best, i, i + 2, false, buf));
			free(buf);
		}
		if (ok)
			progress = true;
		else
			i++;
	}
	return progress;
}

/* Pass 5: each injection alone, at every step of the execution; then at every step with the
 * other decisions kept.  An interrupt placed right often needs no switch to set it up. */
static bool pass_place_injection(struct minimizer *mz)
{
	bool progress = false;
	for (size_t i = 0; i < mz->best.n && budget_left(mz); i++) {
		struct ls_decision inj = mz->best.d[i];
		if (inj.choice.kind != LS_CH_NMI && inj.choice.kind != LS_CH_IRQ)
			continue;
		bool ok = false;
		for (uint64_t step = 0; step <= mz->best.c.steps && !ok && budget_left(mz); step++) {
			struct ls_decision one = { step, inj.choice };
			ok = try(mz, &one, 1);
		}
		for (uint64_t step = 0; step <= mz->best.c.steps && !ok && budget_left(mz); step++) {
			size_t n = mz->best.n, k = 0;
			struct ls_decision *buf = malloc(n * sizeof(*buf));
			if (!buf)
				ls_die(LS_EXIT_INTERNAL, "out of memory");
			bool placed = false, clash = false;
			for (size_t j = 0; j < n; j++) {
				if (j == i)
					continue;
				if (!placed && mz->best.d[j].step >= step) {
					clash = mz->best.d[j].step == step;
					buf[k] = (struct ls_decision){ step, inj.choice };
					k++;
					placed = true;
				}
				buf[k++] = mz->best.d[j];
			}
			if (!placed)
				buf[k++] = (struct ls_decision){ step, inj.choice };
			ok = !clash && try(mz, buf, k);
			free(buf);
		}
		if (ok) {
			progress = true;
			i = (size_t)-1;	/* the list changed: start over */
		}
	}
	return progress;
}

/* An input that shows no bug is refused like a trace whose bug does not reproduce. */
void ls_minimize_raw_to_trace(const char *target, const char *kernel_tree, bool no_lockdep, bool compat,
			      const char *input,
			 const char *dir, const char *trace)
{
	char self[4096];
	ls_self_exe(self, sizeof(self));
	const char *argv[14];
	int a = 0;
	argv[a++] = self;
	argv[a++] = "replay";
	argv[a++] = "--target";
	argv[a++] = target;
	if (kernel_tree) {
		argv[a++] = "--kernel-tree";
		argv[a++] = kernel_tree;
	}
	if (no_lockdep)
		argv[a++] = "--no-lockdep";
	if (compat)
		argv[a++] = "--lockdep-compat";
	argv[a++] = "--out";
	argv[a++] = dir;
	argv[a++] = "--trace";
	argv[a++] = trace;
	argv[a++] = input;
	argv[a] = NULL;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "minimize: fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1);
		execv(self, (char *const *)argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
	if (rc != 1)
		ls_remove_tree(dir);
	if (rc == 0)
		ls_die(LS_EXIT_FOUND, "minimize: %s shows no bug for %s: nothing to minimize", input,
		       target);
	if (rc != 1)
		ls_die(rc == 2 ? LS_EXIT_USAGE : LS_EXIT_INTERNAL, "minimize: %s: replay --target "
		       "failed (exit %d)", input, rc);
}

static struct ls_strategy *watch_wrap(void *arg, struct ls_strategy *inner)
{
	struct ls_watch *w = arg;
	ls_watch_init(w, inner, w->page, -1);
	return &w->base;
}

/* Forks the minimizing child (again after each crash) and waits for it.  Returns -1 in the
 * child, which goes on to minimize; in the supervisor, the command's exit code. */
static int supervise(struct shared *sh, double hang_s, const char *file)
{
	for (;;) {
		struct ls_child c;
		int wfd;
		if (ls_child_fork(&c, &sh->page, &wfd))
			return -1;
		/* Longer than the child's own limit on a candidate it runs apart, so that the child
		 * times that candidate, not this. */
		ls_child_wait(&c, 2 * hang_s + 1);
		if (!ls_child_crashed(&c)) {
			int code = WIFEXITED(c.status) ? WEXITSTATUS(c.status) : LS_EXIT_INTERNAL;
			ls_child_finish(&c);
			return code;	/* the child printed everything */
		}
		uint64_t a = __atomic_load_n(&sh->page.exec, __ATOMIC_ACQUIRE);
		char how[64];
		ls_death_name(c.status, ls_child_killed(&c), c.page->sanitizer, how, sizeof(how));
		ls_child_finish(&c);
		if (a == ATTEMPT_REPLAY) {
			fprintf(stderr, "%s: minimize: the bug does not reproduce: replaying %s killed "
				"the process that ran it (%s)\n", ls_prog, file, how);
			return LS_EXIT_FOUND;
		}
		if (a == LS_WATCH_IDLE || a == ATTEMPT_FINAL)
			ls_die(LS_EXIT_INTERNAL, "minimize: the minimizing process died (%s) %s", how,
			       a == ATTEMPT_FINAL ? "recording the minimized trace" :
			       "outside a candidate");
		sh->crashes++;
		if (sh->ncrashed == MAX_CRASHED)
			ls_die(LS_EXIT_INTERNAL, "minimize: more than %d candidates crashed",
			       MAX_CRASHED);
		sh->crashed[sh->ncrashed++] = a;
		sh->careful = true;
		if (a > sh->last_crash)
			sh->last_crash = a;
		/* After a stop signal the next child sees page.stop (ls_child_wait()) and stops at
		 * its first budget check. */
	}
}

int ls_minimize_run(const struct ls_minimize_opts *mo, const struct ls_minimize_hooks *h)
{
	const char *file = mo->file;
	struct ls_trace t;
	const struct ls_target *target;
	int variant;
	char err[1400];
	ls_trace_open(file, mo->text, mo->len, mo->target, mo->kernel_tree, &t, &target, &variant);
	free(mo->text);
	if (t.kind == LS_KIND_CRASH)
		ls_die(LS_EXIT_USAGE, "%s: crash traces cannot be minimized yet", file);
	struct ls_session s;
	if (!ls_session_init(&s, target, variant, &t.cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "%s", err);
	ls_catch_stop_signals();
	struct shared *sh = ls_shared_create(sizeof(*sh));
	sh->t0 = ls_wall_s();
	double hang_s = ls_hang_timeout(mo->hang_s, t.cfg.step_limit);
	int code = supervise(sh, hang_s, file);
	if (code >= 0) {
		ls_shared_destroy(sh, sizeof(*sh));
		ls_trace_free(&t);
		ls_session_finish(&s);
		return code;
	}
	/* Here, in the child, the minimizer itself. */
	double t0 = sh->t0;

	/* The trace must reproduce as recorded before anything is cut from it. */
	struct ls_result r;
	struct ls_watch watch = { .page = &sh->page };
	__atomic_store_n(&sh->page.exec, ATTEMPT_REPLAY, __ATOMIC_RELEASE);
	enum ls_replay_status st = ls_trace_replay_observed(&s, &t, &r, NULL, err, sizeof(err),
							    watch_wrap, &watch);
	__atomic_store_n(&sh->page.exec, LS_WATCH_IDLE, __ATOMIC_RELEASE);
	if (st == LS_REPLAY_BAD_TRACE)
		ls_die(LS_EXIT_USAGE, "%s: %s", file, err);
	if (st != LS_REPLAY_APPLIED || r.kind != t.kind || strcmp(r.signature, t.signature) != 0) {
		if (st == LS_REPLAY_APPLIED)
			snprintf(err, sizeof(err), "recorded %s, the replay ended with %s%s%s",
				 ls_kind_name(t.kind), ls_kind_name(r.kind),
				 r.kind != LS_KIND_NONE ? ": " : "", r.signature);
		fprintf(stderr, "%s: minimize: the bug does not reproduce: %s\n", ls_prog, err);
		ls_child_exit(LS_EXIT_FOUND);
	}

	struct minimizer mz = { .s = &s, .t = &t, .max_attempts = mo->max_attempts,
				.deadline = mo->time_s > 0 ? t0 + mo->time_s : 0, .sh = sh,
				.watching = &sh->page, .hang_s = hang_s };
	struct ls_trace_exec prior[LS_TRACE_MAX_PRIOR];
	for (int i = 0; i < t.nprior; i++) {
		mz.pd[i] = calloc(t.prior[i].nsteps ? t.prior[i].nsteps : 1, sizeof(*mz.pd[i]));
		if (!mz.pd[i] || !ls_trace_prior_decisions(&t, i, s.m, mz.pd[i], err, sizeof(err)))
			ls_die(LS_EXIT_INTERNAL, "%s: prior execution %d: %s", file, i + 1, err);
		prior[i] = (struct ls_trace_exec){ t.prior[i].seed, mz.pd[i], t.prior[i].nsteps };
	}
	struct ls_decision *orig = calloc(t.nsteps ? t.nsteps : 1, sizeof(*orig));
	if (!orig || !ls_trace_decisions(&t, s.m, orig, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "%s: %s", file, err);
	/* The starting point: the trace's own decisions, in canonical form. */
	if (!evaluate(&mz, orig, t.nsteps, &mz.best))
		ls_die(LS_EXIT_INTERNAL, "%s: the trace reproduces under replay but not under the "
					 "minimizer's decision source", file);
	struct ls_minimize_cost before = mz.best.c;

	bool progress = true;
	while (progress && budget_left(&mz)) {
		progress = pass_ddmin(&mz);
		progress |= pass_remove_one(&mz);
		progress |= pass_move_later(&mz);
		progress |= pass_drop_injection(&mz);
		progress |= pass_place_injection(&mz);
	}
	/* Budget checks happen before a candidate; a round that ended without progress proved a
	 * fixpoint even if the budget ran out just after. */
	bool complete = !progress;

	/* Re-run the best list under the ordinary replay and record it. */
	__atomic_store_n(&sh->page.exec, ATTEMPT_FINAL, __ATOMIC_RELEASE);
	run_priors(&mz);
	struct ls_replay rp;
	ls_replay_init(&rp, mz.best.d, mz.best.n);
	ls_session_run(&s, &rp.base, t.seed, &r);
	__atomic_store_n(&sh->page.exec, LS_WATCH_IDLE, __ATOMIC_RELEASE);
	if (!ls_replay_check_done(&rp) || !keeps_finding(&mz, &r))
		ls_die(LS_EXIT_INTERNAL, "%s: the minimized decisions do not replay: %s", file,
		       rp.why[0] ? rp.why : "different outcome");
	char label[160];
	snprintf(label, sizeof(label), "%s%s", t.strategy,
		 strstr(t.strategy, "minimized") ? "" : " minimized");
	struct ls_buf tb = { 0 };
	struct ls_trace_exec main = { t.seed, s.m->log, s.m->nlog };
	ls_trace_write_execs(&s, &r, label, prior, t.nprior, &main, &tb);
	if (!ls_write_atomic(mo->out_path, tb.s, tb.len))
		ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", mo->out_path, strerror(errno));
	ls_buf_finish(&tb);
	double secs = ls_wall_s() - t0;

	if (h && h->summary) {
		struct ls_minimize_result res = {
			.file = file, .out_path = mo->out_path, .s = &s, .r = &r, .label = label,
			.before = before, .after = mz.best.c, .attempts = mz.attempts,
			.crashed = sh->crashes, .too_many_crashes = mz.too_many_crashes,
			.seconds = secs, .complete = complete,
		};
		h->summary(h->arg, &res);
	}
	/* It wrote a trace that reproduces the finding with no more decisions than the input's:
	 * success, 0.  A finding that does not reproduce was refused above with 1. */
	free(mz.best.d);
	free(orig);
	for (int i = 0; i < t.nprior; i++)
		free(mz.pd[i]);
	ls_trace_free(&t);
	ls_session_finish(&s);
	fflush(stdout);
	ls_child_exit(LS_EXIT_CLEAN);
}

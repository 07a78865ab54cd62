/* Workers of `lockstep fuzz` come and go (pool.c explains the campaign): spawned on a page of
 * shared memory, retired when they end, and when one dies in an execution, that execution is
 * filed as a crash (run again alone in a watched recorder child, or counted as a hit of a hang the
 * campaign already has) and a replacement goes on with the worker's next execution. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool.h"

void ls_fuzz_spawn(struct parent *p, struct worker *w, uint64_t start)
{
	struct campaign *cp = p->cp;
	struct ls_child c;
	int wfd;
	w->start = start;
	w->done_msg = w->hang = w->rss = false;
	w->asked = 0;
	w->nmap = 0;
	w->inlen = 0;
	w->page->done = 0;
	w->page->stop = 0;
	memset(w->page->hits, 0, sizeof(w->page->hits));
	if (ls_child_fork(&c, &w->page->watch, &wfd)) {
		/* The other workers' pipes are the parent's business. */
		for (uint64_t j = 0; j < cp->jobs; j++)
			if (p->w[j].pid)
				close(p->w[j].fd);
		ls_child_exit(ls_fuzz_worker_main(cp, w->page, start, wfd));
	}
	w->pid = c.pid;
	w->fd = c.fd;
	w->last_progress = 0;
	w->since = ls_wall_s();
}

/* The worker is gone: count what it did, and take its shared counts back. */
static void retire(struct parent *p, struct worker *w)
{
	struct worker_page *wp = w->page;
	p->executions += wp->done;
	for (uint32_t k = 0; k < w->nmap && k < LOCAL_MAX; k++) {
		p->f[w->map[k].bug].hits += wp->hits[k];
		p->f[w->map[k].bug].pl[w->map[k].pl].hits += wp->hits[k];
	}
	if (wp->has_pct) {
		if (wp->pct.n_max > p->n_max)
			p->n_max = wp->pct.n_max;
		if (wp->pct.k_max > p->k_max)
			p->k_max = wp->pct.k_max;
	}
	close(w->fd);
	w->fd = -1;
	w->pid = 0;
}

/* Execution exec killed its worker (how: wstatus, killed, LS_KILLED_*; wp: the worker's page):
 * file the crash.
 * It runs again alone in a watched child, which says where it dies and records its decisions. */
static void file_crash(struct parent *p, uint64_t exec, int wstatus, int killed,
		       const struct worker_page *wp)
{
	double wall = ls_wall_s();	/* when the parent saw it die */
	struct campaign *cp = p->cp;
	uint64_t seed = cp->o.seed + exec;
	struct ls_engine e;
	ls_engine_init(&e, &cp->o);
	if (e.kind == LS_ENGINE_PCT && wp->has_pct)
		e.u.pct = wp->pct;
	struct ls_child rec;
	bool again = ls_crash_record(&cp->s, e.st, seed, p->hang_s, &rec);
	char worker_death[64], rec_death[64], note[600] = "";
	ls_death_name(wstatus, killed, wp->watch.sanitizer, worker_death, sizeof(worker_death));
	ls_death_name(rec.status, ls_child_killed(&rec), rec.page->sanitizer, rec_death,
		      sizeof(rec_death));
	struct ls_watch_page unknown = wp->watch;
	struct ls_child shown = rec;
	if (!again && killed == LS_KILLED_NOT && WIFSIGNALED(wstatus) &&
	    WTERMSIG(wstatus) == SIGKILL) {
		/* Nothing in lockstep sends a worker SIGKILL but for a hang or memory, and the
		 * execution ran to its end alone: someone (a user, the OOM killer) killed the worker.
		 * Not a finding. */
		if (p->tty)
			fputc('\n', stderr);
		fprintf(stderr, "fuzz: worker %" PRIu64 " was killed (SIGKILL) from outside lockstep "
				"during execution %" PRIu64 ", which ran to its end when run again "
				"alone: not a finding\n", exec % p->cp->jobs, exec);
		p->killed_outside++;
		ls_child_finish(&rec);
		return;
	}
	if (!again) {
		/* Named by how the worker died; where, the run alone cannot say. */
		unknown.ctx = LS_WATCH_UNKNOWN;
		shown.page = &unknown;
		shown.status = wstatus;
		shown.hang = killed == LS_KILLED_HANG;
		shown.rss = killed == LS_KILLED_RSS;
		snprintf(note, sizeof(note),
			 "Run again alone in a fresh process, as `lockstep replay` runs it, the "
			 "execution ran to its end:\nit depends on what its worker ran before it (the "
			 "lock validator's graph, or target state\nthat init() does not reset).  The "
			 "trace records the run alone, so it does not replay this crash.");
	} else if (strcmp(worker_death, rec_death) != 0) {
		snprintf(note, sizeof(note), "Its worker in the campaign died otherwise: %s.",
			 worker_death);
	}
	struct ls_result r;
	ls_crash_result(&cp->s, &shown, seed, &r);
	r.steps = rec.page->step;
	char stem[4096], path[4200];
	ls_finding_stem(cp->o.out, &r, stem, sizeof(stem));
	snprintf(path, sizeof(path), "%s.trace", stem);
	struct arrival a = {
		.kind = LS_KIND_CRASH, .shape = r.shape, .hash = r.hash, .bug_hash = r.bug_hash,
		.signature = r.signature, .bug = r.bug, .title = r.title, .path = path,
		.exec = exec, .seed = seed, .decisions = rec.page->nlog, .steps = r.steps,
		.wall = wall,
	};
	struct slot at = ls_fuzz_place(p, &a);
	p->f[at.bug].hits++;
	p->f[at.bug].pl[at.pl].hits++;
	if (p->f[at.bug].pl[at.pl].first_exec == UINT64_MAX || ls_fuzz_smaller(p, at.bug, &a)) {
		struct ls_buf report = { 0 }, trace = { 0 };
		ls_crash_report(&cp->s, &shown, &r, e.label, note, path, &report);
		ls_crash_trace(&cp->s, &rec, &r, e.label, &trace);
		a.report = report.s;
		a.rlen = report.len;
		a.trace = trace.s;
		a.tlen = trace.len;
		ls_fuzz_file(p, at, &a);
		ls_buf_finish(&report);
		ls_buf_finish(&trace);
	}
	ls_child_finish(&rec);
}

/* A hang costs the hang timeout; running it again to record it would cost it twice.  When the
 * worker said where it hung (its post-mortem) and the campaign already has that signature, the hang
 * is a hit of that finding and nothing runs again. */
static bool known_hang(struct parent *p, uint64_t exec, int wstatus, int killed,
		       const struct worker_page *wp)
{
	if (killed != LS_KILLED_HANG || !__atomic_load_n(&wp->watch.where, __ATOMIC_ACQUIRE))
		return false;
	struct ls_child k;
	memset(&k, 0, sizeof(k));
	k.page = (struct ls_watch_page *)&wp->watch;
	k.status = wstatus;
	k.hang = true;
	struct ls_result r;
	ls_crash_result(&p->cp->s, &k, p->cp->o.seed + exec, &r);
	for (int i = 0; i < p->nf; i++)
		for (int j = 0; j < p->f[i].npl; j++)
			if (strcmp(p->f[i].pl[j].signature, r.signature) == 0) {
				p->f[i].hits++;
				p->f[i].pl[j].hits++;
				return true;
			}
	return false;
}

void ls_fuzz_worker_gone(struct parent *p, struct worker *w, bool respawn)
{
	int status;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	struct worker_page *wp = w->page;
	bool sanitizer = wp->watch.sanitizer;
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0 && w->done_msg && !sanitizer;
	uint64_t jobs = p->cp->jobs;
	uint64_t exec = __atomic_load_n(&wp->watch.exec, __ATOMIC_ACQUIRE);
	uint64_t next = w->start + wp->done * jobs;	/* the first it did not finish */
	int killed = w->rss ? LS_KILLED_RSS : w->hang ? LS_KILLED_HANG : LS_KILLED_NOT;
	retire(p, w);
	if (clean)
		return;
	/* The page keeps what file_crash() reads until the replacement starts. */
	if (exec == LS_WATCH_IDLE || exec != next) {
		char how[64];
		ls_death_name(status, killed, sanitizer, how, sizeof(how));
		if (p->tty)
			fputc('\n', stderr);
		fprintf(stderr, "fuzz: worker %d ended (%s) outside an execution, after %" PRIu64
				" of its executions%s\n", w->slot, how, wp->done,
			wp->done ? "" : ": not replaced");
		respawn = respawn && wp->done;	/* it would only die again */
		exec = next;
	} else {
		p->executions++;	/* the execution that crashed */
		if (!known_hang(p, exec, status, killed, wp))
			file_crash(p, exec, status, killed, wp);
		exec += jobs;
	}
	if (respawn && (!p->cp->execs || exec < p->cp->execs))
		ls_fuzz_spawn(p, w, exec);
	/* Recording took wall time the other workers' hang clocks must not count. */
	double t = ls_wall_s();
	for (uint64_t j = 0; j < jobs; j++)
		p->w[j].since = t;
}

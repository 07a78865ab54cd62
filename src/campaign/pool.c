/* lockstep fuzz: a campaign of executions with consecutive seeds, run by worker processes, keeping
 * one trace per bug (src/bug.c), its smallest.
 *
 * Work split.  Execution i runs with seed S+i, so any finding is also `lockstep run TARGET --seed
 * S+i` (for the random engine; pct learns its step range from earlier executions, so only the
 * trace reproduces its findings).  With --jobs N, worker w runs the executions i = w, w+N, w+2N,
 * ... in that order, each worker in a session of its own, and --execs E means E executions in
 * all.  With one worker the campaign runs exactly as a single process would.  A session's lock
 * validator accumulates its executions' dependencies, and each worker has its own: a validator
 * finding that combines executions (its trace carries them as `prior` blocks) depends on which
 * executions shared a worker, so with N > 1 such findings may differ from a one-worker campaign,
 * and a report the validator makes once per session (an ABBA, say) counts up to N hits.  Every
 * other finding is a function of its execution alone.
 *
 * Deduplication.  Workers report a placement (a signature) the first time they reach it, and any
 * execution that is a smaller trace of its bug than they sent before, with its report and trace;
 * further hits are counts in memory shared with the parent.  The parent files placements under
 * their bug and keeps, per bug, the smallest trace by (ls_bug_rank(), decisions, steps,
 * execution index), rewriting the trace and report (each atomically) when a smaller one arrives:
 * a total order over executions, so the kept traces are the same for any N and any timing, given
 * the same executions.  A trace an earlier campaign left in the directory is replaced only by a
 * smaller one (dedup.c).
 *
 * Crashes.  Workers are forked and publish the execution they are running (crash.h).  When one
 * dies, the parent files a `crash` finding for that execution: it runs the execution again alone
 * in a watched recorder child, which writes its decisions as it makes them and says where it
 * died, so the trace holds the decision prefix up to the crash and `lockstep replay` reproduces
 * it.  Then it forks a replacement that continues with the worker's next execution (its
 * validator starts empty).  A worker whose execution outlasts the hang timeout, or whose memory
 * passes --rss-limit-mb, is asked where it is (its post-mortem, crash.h), killed and filed the
 * same way, as "crash: hang" or "crash: out of memory"; a hang whose signature the campaign
 * already has is a hit without the second run.  Every crashed execution is a hit.  An execution
 * that does not crash when run alone is filed as "crash: SIG...: not reproducible alone", with
 * the trace of that run and a note, unless the worker was killed with SIGKILL by someone else:
 * that is said on stderr and is no finding.
 *
 * Interleavings.  Each execution's schedule is hashed and the workers add the hashes to a set in
 * shared memory (src/campaign/interleavings.h): exact up to a million, then estimated, "~".
 *
 * Stopping.  --execs, --time, SIGINT and SIGTERM end a campaign, and with --stop-on-bug so does
 * the first finding that is a bug for the variant (a worker that finds one stops by itself): the
 * parent asks its workers to stop after the execution they are in, files everything they
 * reported, rewrites the directory's README.md (findings.h; while running, at most every
 * README_PERIOD_S after a finding is added) and prints its summary.  The summary's first_bug_s
 * and first_bug_exec say when the first bug came: the earliest wall time a worker finished an
 * execution that found one, and the smallest such execution index + 1 (with one worker, the
 * same execution; with --jobs N the two may come from different workers). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"

static void on_message(struct parent *p, struct worker *w, uint32_t type, const char *b,
		       uint32_t len)
{
	switch (type) {
	case MSG_FINDING: {
		struct msg_finding m;
		if (len < sizeof(m))
			ls_die(LS_EXIT_INTERNAL, "worker %d: short message", w->slot);
		memcpy(&m, b, sizeof(m));
		const char *t[TX_COUNT];
		size_t off = sizeof(m);
		for (int k = 0; k < TX_COUNT; k++) {
			t[k] = b + off;
			off += m.len[k];
		}
		if (off != len)
			ls_die(LS_EXIT_INTERNAL, "worker %d: malformed message", w->slot);
		char *txt[TX_PATH + 1];
		for (int k = 0; k <= TX_PATH; k++)
			if (!(txt[k] = strndup(t[k], m.len[k])))
				ls_die(LS_EXIT_INTERNAL, "out of memory");
		struct arrival a = {
			.kind = (enum ls_kind)m.kind, .shape = m.shape, .hash = m.hash,
			.bug_hash = m.bug_hash, .signature = txt[TX_SIGNATURE], .bug = txt[TX_BUG],
			.title = txt[TX_TITLE], .path = txt[TX_PATH], .exec = m.exec, .seed = m.seed,
			.decisions = m.decisions, .steps = m.steps, .wall = m.wall,
			.report = t[TX_REPORT], .rlen = m.len[TX_REPORT],
			.trace = t[TX_TRACE], .tlen = m.len[TX_TRACE],
		};
		struct slot at = ls_fuzz_place(p, &a);
		bool fresh_local = m.local >= w->nmap;
		ls_fuzz_map_local(w, m.local, at);
		if (fresh_local && m.local >= LOCAL_MAX) {
			p->f[at.bug].hits++;
			p->f[at.bug].pl[at.pl].hits++;
		}
		ls_fuzz_file(p, at, &a);
		for (int k = 0; k <= TX_PATH; k++)
			free(txt[k]);
		break;
	}
	case MSG_HIT: {
		uint32_t local;
		if (len != sizeof(local))
			ls_die(LS_EXIT_INTERNAL, "worker %d: malformed message", w->slot);
		memcpy(&local, b, sizeof(local));
		if (local >= w->nmap)
			ls_die(LS_EXIT_INTERNAL, "worker %d: hit of unknown finding %u", w->slot, local);
		p->f[w->map[local].bug].hits++;
		p->f[w->map[local].bug].pl[w->map[local].pl].hits++;
		break;
	}
	case MSG_DONE:
		w->done_msg = true;
		break;
	default:
		ls_die(LS_EXIT_INTERNAL, "worker %d: unknown message %u", w->slot, type);
	}
}

/* Reads what the worker wrote; returns false at end of file. */
static bool drain(struct parent *p, struct worker *w)
{
	for (;;) {
		if (w->incap - w->inlen < 65536) {
			w->incap = w->incap ? 2 * w->incap : 131072;
			w->in = realloc(w->in, w->incap);
			if (!w->in)
				ls_die(LS_EXIT_INTERNAL, "out of memory");
		}
		ssize_t n = read(w->fd, w->in + w->inlen, w->incap - w->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		w->inlen += (size_t)n;
		size_t off = 0;
		while (w->inlen - off >= sizeof(struct msg_head)) {
			struct msg_head h;
			memcpy(&h, w->in + off, sizeof(h));
			if (w->inlen - off - sizeof(h) < h.len)
				break;
			on_message(p, w, h.type, w->in + off + sizeof(h), h.len);
			off += sizeof(h) + h.len;
		}
		memmove(w->in, w->in + off, w->inlen - off);
		w->inlen -= off;
	}
}

static int cmp_first(const void *a, const void *b)
{
	const struct ls_fuzz_finding *x = a, *y = b;
	return x->first_exec < y->first_exec ? -1 : x->first_exec > y->first_exec;
}

/* The campaign as it stands, for the front end's hooks; final: with its pct bound and verdict. */
static void result_of(struct parent *p, double elapsed, bool final, struct ls_fuzz_result *r)
{
	struct campaign *cp = p->cp;
	memset(r, 0, sizeof(*r));
	r->s = &cp->s;
	r->strategy = cp->engine.label;
	r->jobs = cp->jobs;
	r->executions = ls_fuzz_total_executions(p);
	r->elapsed_s = elapsed;
	r->interleavings = ls_seen_count(cp->seen, &r->interleavings_exact);
	r->f = p->f;
	r->nf = p->nf;
	r->bug = p->bug_exec != UINT64_MAX;
	r->first_bug_s = r->bug ? p->bug_wall - p->start : 0;
	r->first_bug_exec = p->bug_exec;
	r->first_bug_kind = p->bug_kind;
	if (!final)
		return;
	if (cp->engine.kind == LS_ENGINE_PCT) {
		struct ls_pct pct;
		ls_pct_init(&pct, (int)cp->o.pct_depth);
		pct.n_max = p->n_max;
		pct.k_max = p->k_max;
		ls_pct_describe(&pct, r->executions, r->pct_bound, sizeof(r->pct_bound));
	}
	ls_fuzz_judge(&cp->s.target->variants[cp->s.variant], p->f, p->nf, r->executions,
		      &r->expect);
}

static void progress(struct parent *p, double elapsed)
{
	if (!p->h->progress)
		return;
	struct ls_fuzz_result r;
	result_of(p, elapsed, false, &r);
	p->h->progress(p->h->arg, &r);
}

static void sample(struct parent *p, double elapsed)
{
	if (!p->h->sample)
		return;
	struct ls_fuzz_result r;
	result_of(p, elapsed, false, &r);
	p->h->sample(p->h->arg, &r);
}

int ls_fuzz_run(const struct ls_fuzz_opts *fo, const struct ls_fuzz_hooks *h)
{
	static const struct ls_fuzz_hooks none;
	struct campaign cp;
	memset(&cp, 0, sizeof(cp));
	cp.o = fo->o;
	struct ls_exec_opts *o = &cp.o;
	cp.execs = fo->execs;
	cp.jobs = fo->jobs;
	cp.minimize = fo->minimize;
	cp.stop_on_bug = fo->stop_on_bug;
	uint64_t time_s = fo->time_s;
	if (!h)
		h = &none;
	if (cp.jobs < 1 || cp.jobs > LS_FUZZ_MAX_JOBS)
		ls_die(LS_EXIT_USAGE, "fuzz: --jobs must be between 1 and %d", LS_FUZZ_MAX_JOBS);
	if (cp.execs && cp.jobs > cp.execs)
		cp.jobs = cp.execs;
	ls_engine_init(&cp.engine, o);
	ls_open_session(fo->spec, o, &cp.s);
	cp.seen = ls_shared_create(sizeof(*cp.seen));

	struct parent p;
	memset(&p, 0, sizeof(p));
	p.cp = &cp;
	p.h = h;
	p.tty = h->tty;
	p.bug_exec = UINT64_MAX;
	p.hang_s = ls_hang_timeout(o->hang_s, o->cfg.step_limit);
	if (!ls_finding_dir_load(&p.dir, o->out))
		ls_die(LS_EXIT_INTERNAL, "cannot read %s: %s", o->out, strerror(errno));
	/* A campaign killed before its last update left README.md and index.tsv behind its traces:
	 * rebuilt from them at once. */
	p.dir_dirty = p.dir_touched = p.dir.n > 0;
	p.w = calloc(cp.jobs, sizeof(*p.w));
	if (!p.w)
		ls_die(LS_EXIT_INTERNAL, "out of memory");

	ls_catch_stop_signals();

	double start = ls_wall_s(), last = start;
	double period = p.tty ? 0.25 : 5.0, last_sample = start;
	p.start = start;
	for (uint64_t j = 0; j < cp.jobs; j++) {
		p.w[j].slot = (int)j;
		p.w[j].fd = -1;
		p.w[j].page = ls_shared_create(sizeof(*p.w[j].page));
		ls_fuzz_spawn(&p, &p.w[j], j);
	}
	bool stopping = false;
	struct pollfd *pfd = calloc(cp.jobs, sizeof(*pfd));
	struct worker **who = calloc(cp.jobs, sizeof(*who));
	if (!pfd || !who)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	for (;;) {
		double t = ls_wall_s();
		if (!stopping && (ls_stop_signal || p.bug_stop ||
				  (time_s && t - start >= (double)time_s))) {
			stopping = true;
			for (uint64_t j = 0; j < cp.jobs; j++)
				if (p.w[j].pid) {
					__atomic_store_n(&p.w[j].page->stop, 1, __ATOMIC_RELEASE);
					kill(p.w[j].pid, SIGTERM);
				}
		}
		int n = 0;
		for (uint64_t j = 0; j < cp.jobs; j++)
			if (p.w[j].pid) {
				pfd[n] = (struct pollfd){ p.w[j].fd, POLLIN, 0 };
				who[n++] = &p.w[j];
			}
		if (!n)
			break;
		int timeout = 100;
		if (time_s && !stopping) {
			double left = (double)time_s - (t - start);
			if (left * 1000 < timeout)
				timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			ls_die(LS_EXIT_INTERNAL, "poll: %s", strerror(errno));
		for (int k = 0; k < n; k++)
			if (pfd[k].revents && !drain(&p, who[k]))
				ls_fuzz_worker_gone(&p, who[k], !stopping);
		t = ls_wall_s();
		for (uint64_t j = 0; j < cp.jobs; j++) {
			struct worker *w = &p.w[j];
			if (!w->pid)
				continue;
			uint64_t prog = __atomic_load_n(&w->page->watch.progress, __ATOMIC_RELAXED);
			if (prog != w->last_progress) {
				w->last_progress = prog;
				w->since = t;
				w->asked = 0;
			} else if (!w->hang && !w->rss && t - w->since > p.hang_s) {
				/* Ask where it is (ls_postmortem_arm()), then kill it. */
				if (!w->asked) {
					w->asked = t;
					kill(w->pid, SIGUSR2);
				} else if (__atomic_load_n(&w->page->watch.where, __ATOMIC_ACQUIRE) ||
					   t - w->asked > 0.2) {
					kill(w->pid, SIGKILL);
					w->hang = true;
				}
			}
			if (!w->hang && !w->rss && t - w->rss_checked >= 0.1) {
				w->rss_checked = t;
				if (ls_rss_over(w->pid)) {
					kill(w->pid, SIGKILL);
					w->rss = true;
				}
			}
		}
		if (t - last_sample >= LS_FUZZ_SAMPLE_S) {
			sample(&p, t - start);
			last_sample = t;
		}
		if (t - last >= period) {
			progress(&p, t - start);
			last = t;
		}
		ls_fuzz_dir_update(&p, false);
	}
	double elapsed = ls_wall_s() - start;
	progress(&p, elapsed);
	sample(&p, elapsed);
	if (p.tty)
		fputc('\n', stderr);
	ls_fuzz_dir_update(&p, true);

	if (p.nf)
		qsort(p.f, (size_t)p.nf, sizeof(*p.f), cmp_first);
	if (cp.minimize)
		ls_fuzz_minimize_saved(p.f, p.nf, &cp.s.target->variants[cp.s.variant]);
	if (h->summary) {
		struct ls_fuzz_result r;
		result_of(&p, elapsed, true, &r);
		h->summary(h->arg, &r);
	}
	/* A campaign that ran nothing found nothing, which is not "clean" (workers that died
	 * before their first execution, say). */
	uint64_t ran = ls_fuzz_total_executions(&p);
	if (ran == 0 && !ls_stop_signal)
		ls_die(LS_EXIT_INTERNAL, "fuzz: no execution ran: the campaign is not a result");
	const struct ls_variant *var = &cp.s.target->variants[cp.s.variant];
	int bugs = 0;
	for (int i = 0; i < p.nf; i++) {
		bool bug = false;
		for (int j = 0; j < p.f[i].npl; j++) {
			bug |= ls_variant_bug(var, p.f[i].pl[j].kind);
			free(p.f[i].pl[j].signature);
		}
		bugs += bug;
		free(p.f[i].pl);
		free(p.f[i].bug);
		free(p.f[i].title);
	}
	for (uint64_t j = 0; j < cp.jobs; j++) {
		free(p.w[j].in);
		free(p.w[j].map);
		ls_shared_destroy(p.w[j].page, sizeof(*p.w[j].page));
	}
	free(pfd);
	free(who);
	free(p.w);
	free(p.f);
	ls_finding_dir_finish(&p.dir);
	ls_shared_destroy(cp.seen, sizeof(*cp.seen));
	ls_session_finish(&cp.s);
	return bugs ? LS_EXIT_FOUND : LS_EXIT_CLEAN;
}

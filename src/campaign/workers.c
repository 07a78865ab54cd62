/* A worker of `lockstep fuzz` (pool.c explains the campaign): it runs its share of the
 * executions in its own session and reports each placement the first time it reaches it, and
 * any execution that is a smaller trace of a bug than it sent before, with its report and trace;
 * later hits are counts in the page it shares with the parent. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"
#include "../bug.h"

static volatile sig_atomic_t worker_stop;

static void on_worker_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

static void send_msg(int fd, uint32_t type, const void *a, size_t alen, const char *const *texts,
		     const size_t *lens, int ntexts)
{
	size_t total = alen;
	for (int i = 0; i < ntexts; i++)
		total += lens[i];
	struct msg_head h = { type, (uint32_t)total };
	char *buf = malloc(sizeof(h) + total);
	if (!buf)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	memcpy(buf, &h, sizeof(h));
	size_t off = sizeof(h);
	if (alen)
		memcpy(buf + off, a, alen);
	off += alen;
	for (int i = 0; i < ntexts; i++) {
		memcpy(buf + off, texts[i], lens[i]);
		off += lens[i];
	}
	for (size_t done = 0; done < off;) {
		ssize_t w = write(fd, buf + done, off - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(LS_EXIT_INTERNAL);	/* the parent is gone */
		done += (size_t)w;
	}
	free(buf);
}

/* A placement it reported, and the smallest trace of its bug it sent (ls_bug_trace_cmp()), if
 * it was this placement's: the parent compares across placements. */
struct local_finding {
	unsigned long long hash, bug_hash;
	char *signature;
	bool sent;
	enum ls_kind kind;
	uint64_t decisions, steps;
};

/* Whether this execution, of bug bug_hash, is a smaller trace of it than every one sent. */
static bool smaller_than_sent(const struct local_finding *local, uint32_t n,
			      unsigned long long bug_hash, const struct ls_result *r,
			      uint64_t decisions)
{
	for (uint32_t k = 0; k < n; k++) {
		const struct local_finding *l = &local[k];
		if (l->sent && l->bug_hash == bug_hash &&
		    ls_bug_trace_cmp(l->kind, l->decisions, l->steps, r->kind, decisions, r->steps) <= 0)
			return false;
	}
	return true;
}

/* A worker: runs executions start, start+jobs, ... and reports to fd. */
int ls_fuzz_worker_main(struct campaign *cp, struct worker_page *wp, uint64_t start, int fd)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_worker_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);

	struct ls_session *s = &cp->s;
	const struct ls_exec_opts *o = &cp->o;
	/* A placement met before has its bug known: only a new one is identified. */
	s->defer_bug = true;
	struct ls_engine e;
	ls_engine_init(&e, o);
	bool pct = e.kind == LS_ENGINE_PCT;
	const struct ls_variant *var = &s->target->variants[s->variant];
	bool stop = false;
	if (pct && wp->has_pct)
		e.u.pct = wp->pct;	/* a replacement goes on with what its predecessor learned */
	/* A worker runs without a watch (a call per scheduling point); asked before it is killed
	 * as hung, it says where it is, so that a hang the campaign already has costs one timeout
	 * (known_hang()). */
	ls_postmortem_arm(NULL, 0);

	struct local_finding *local = NULL;
	uint32_t nlocal = 0, caplocal = 0;
	struct ls_result r;
	struct ls_buf report = { 0 }, trace = { 0 };
	for (uint64_t i = start; (!cp->execs || i < cp->execs) && !worker_stop && !stop &&
				 !__atomic_load_n(&wp->stop, __ATOMIC_ACQUIRE);
	     i += cp->jobs) {
		uint64_t seed = o->seed + i;
		__atomic_store_n(&wp->watch.exec, i, __ATOMIC_RELEASE);
		__atomic_add_fetch(&wp->watch.progress, 1, __ATOMIC_RELEASE);
		/* Executions are numbered by campaign index: a validator report cites them so. */
		s->executions = (uint32_t)i;
		enum ls_kind kind = ls_session_run(s, e.st, seed, &r);
		double wall = ls_wall_s();
		ls_seen_add(cp->seen, ls_schedule_hash(s->m));
		/* --stop-on-bug: this worker's campaign ends here; the parent stops the others. */
		stop = cp->stop_on_bug && ls_variant_bug(var, kind);
		if (kind != LS_KIND_NONE) {
			uint32_t k = 0;
			while (k < nlocal && !(local[k].hash == r.hash &&
					       strcmp(local[k].signature, r.signature) == 0))
				k++;
			uint64_t decisions = s->m->nlog;
			bool known = k < nlocal;
			if (known) {
				if (k < LOCAL_MAX)
					__atomic_add_fetch(&wp->hits[k], 1, __ATOMIC_RELAXED);
				else
					send_msg(fd, MSG_HIT, &k, sizeof(k), NULL, NULL, 0);
			}
			if (!known)
				ls_bug_identify(s->m, &r);
			unsigned long long bug = known ? local[k].bug_hash : r.bug_hash;
			bool smaller = smaller_than_sent(local, nlocal, bug, &r, decisions);
			if (known && smaller)
				ls_bug_identify(s->m, &r);
			if (!known) {
				if (nlocal == caplocal) {
					caplocal = caplocal ? 2 * caplocal : 16;
					local = realloc(local, caplocal * sizeof(*local));
					if (!local)
						ls_die(LS_EXIT_INTERNAL, "out of memory");
				}
				local[nlocal].hash = r.hash;
				local[nlocal].bug_hash = r.bug_hash;
				local[nlocal].signature = strdup(r.signature);
				if (!local[nlocal].signature)
					ls_die(LS_EXIT_INTERNAL, "out of memory");
				local[nlocal].sent = false;
				nlocal++;
			}
			if (!known || smaller) {
				if (smaller) {
					local[k].sent = true;
					local[k].kind = kind;
					local[k].decisions = decisions;
					local[k].steps = r.steps;
				}
				char path[4200];
				ls_buf_reset(&report);
				ls_buf_reset(&trace);
				ls_render_finding(s, &r, e.label, o->out, path, sizeof(path), &report,
						  &trace);
				struct msg_finding m;
				memset(&m, 0, sizeof(m));
				m.local = k;
				m.kind = (uint32_t)kind;
				m.hash = r.hash;
				m.bug_hash = r.bug_hash;
				m.exec = i;
				m.seed = seed;
				m.decisions = decisions;
				m.steps = r.steps;
				m.wall = wall;
				snprintf(m.shape, sizeof(m.shape), "%s", r.shape);
				const char *texts[TX_COUNT] = {
					[TX_SIGNATURE] = r.signature, [TX_BUG] = r.bug,
					[TX_TITLE] = r.title, [TX_PATH] = path,
					[TX_REPORT] = report.s, [TX_TRACE] = trace.s,
				};
				size_t lens[TX_COUNT];
				for (int t = 0; t < TX_COUNT; t++)
					m.len[t] = (uint32_t)(lens[t] = strlen(texts[t]));
				if (!known && k < LOCAL_MAX)
					__atomic_store_n(&wp->hits[k], 1, __ATOMIC_RELAXED);
				send_msg(fd, MSG_FINDING, &m, sizeof(m), texts, lens, TX_COUNT);
			}
		}
		if (pct) {
			wp->pct = e.u.pct;
			wp->has_pct = true;
		}
		__atomic_add_fetch(&wp->done, 1, __ATOMIC_RELEASE);
	}
	send_msg(fd, MSG_DONE, NULL, 0, NULL, NULL, 0);
	for (uint32_t k = 0; k < nlocal; k++)
		free(local[k].signature);
	free(local);
	ls_buf_finish(&report);
	ls_buf_finish(&trace);
	ls_session_finish(s);
	return LS_EXIT_CLEAN;
}

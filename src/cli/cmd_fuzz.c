/* lockstep fuzz: a campaign of executions with consecutive seeds, run by worker processes, keeping
 * one trace per distinct signature.
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
 * Deduplication.  Workers report a signature the first time they reach it, with its report and
 * trace, and count further hits in memory shared with the parent.  The parent keeps the trace of
 * the smallest execution index that reached each signature: a worker runs its executions in
 * increasing order, so its first report is its smallest, and when a report with a smaller index
 * arrives after a larger one the parent rewrites the trace and report (each atomically).  The
 * kept traces are therefore the same for any N and any timing, given the same executions.  A
 * trace already in the directory from an earlier campaign is kept and never replaced.
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
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "../campaign/expect.h"
#include "../campaign/crash.h"
#include "../campaign/interleavings.h"
#include "../findings.h"

#define MAX_JOBS 256
#define LOCAL_MAX 4096		/* findings per worker whose hits are counted in shared memory */
#define README_PERIOD_S 0.5	/* README.md is rewritten at most this often while running */
#define EXT_TIME_S 60		/* --engine libfuzzer|afl without --time: seconds */

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

/* MSG_FINDING: this, then the signature, path, report and trace texts, unterminated. */
struct msg_finding {
	uint32_t local, kind;		/* local: the worker's numbering of its findings */
	uint64_t hash, exec, seed;
	double wall;			/* ls_wall_s() when the execution ended */
	char shape[40];
	uint32_t len[4];
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

struct local_finding {
	unsigned long long hash;
	char *signature;
};

/* A worker: runs executions start, start+jobs, ... and reports to fd. */
static int worker_main(struct campaign *cp, struct worker_page *wp, uint64_t start, int fd)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_worker_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);

	struct ls_session *s = &cp->s;
	const struct ls_exec_opts *o = &cp->o;
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
			if (k < nlocal && k < LOCAL_MAX) {
				__atomic_add_fetch(&wp->hits[k], 1, __ATOMIC_RELAXED);
			} else if (k < nlocal) {
				send_msg(fd, MSG_HIT, &k, sizeof(k), NULL, NULL, 0);
			} else {
				if (nlocal == caplocal) {
					caplocal = caplocal ? 2 * caplocal : 16;
					local = realloc(local, caplocal * sizeof(*local));
					if (!local)
						ls_die(LS_EXIT_INTERNAL, "out of memory");
				}
				local[nlocal].hash = r.hash;
				local[nlocal].signature = strdup(r.signature);
				if (!local[nlocal].signature)
					ls_die(LS_EXIT_INTERNAL, "out of memory");
				nlocal++;
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
				m.exec = i;
				m.seed = seed;
				m.wall = wall;
				snprintf(m.shape, sizeof(m.shape), "%s", r.shape);
				const char *texts[4] = { r.signature, path, report.s, trace.s };
				size_t lens[4];
				for (int t = 0; t < 4; t++)
					m.len[t] = (uint32_t)(lens[t] = strlen(texts[t]));
				if (k < LOCAL_MAX)
					__atomic_store_n(&wp->hits[k], 1, __ATOMIC_RELAXED);
				send_msg(fd, MSG_FINDING, &m, sizeof(m), texts, lens, 4);
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

/* ---- the parent ---------------------------------------------------------------------------- */

struct finding {
	enum ls_kind kind;
	unsigned long long hash;
	char *signature;
	char shape[40];
	uint64_t hits;			/* this campaign's, but for the live workers' shared counts */
	uint64_t first_exec, first_seed;
	char path[4200];
	bool ours;			/* this campaign wrote its files, so it may replace them */
	bool unsaved;			/* its files could not be written (a full disk) */
	int unsaved_errno;
	uint64_t written_hits;		/* this campaign's hits already merged into the directory */
};

struct worker {
	int slot;
	pid_t pid;			/* 0: not running */
	int fd;
	struct worker_page *page;
	uint64_t start;			/* first execution of this incarnation */
	char *in;			/* bytes read, not yet a whole message */
	size_t inlen, incap;
	int *map;			/* its local finding number -> index into the findings */
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
	struct worker *w;
	struct finding *f;
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


static uint64_t total_executions(const struct parent *p)
{
	uint64_t n = p->executions;
	for (uint64_t j = 0; j < p->cp->jobs; j++)
		if (p->w[j].pid)
			n += __atomic_load_n(&p->w[j].page->done, __ATOMIC_ACQUIRE);
	return n;
}

/* Hits of every finding, the live workers' shared counts included. */
static void total_hits(const struct parent *p, uint64_t *hits)
{
	for (int i = 0; i < p->nf; i++)
		hits[i] = p->f[i].hits;
	for (uint64_t j = 0; j < p->cp->jobs; j++) {
		const struct worker *w = &p->w[j];
		if (!w->pid)
			continue;
		for (uint32_t k = 0; k < w->nmap && k < LOCAL_MAX; k++)
			hits[w->map[k]] += __atomic_load_n(&w->page->hits[k], __ATOMIC_RELAXED);
	}
}

static void dir_update(struct parent *p, bool force)
{
	double t = ls_wall_s();
	if (force ? !p->dir_touched : !p->dir_dirty || t - p->dir_written < README_PERIOD_S)
		return;
	uint64_t *hits = calloc((size_t)p->nf + 1, sizeof(*hits));
	if (!hits)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	total_hits(p, hits);
	for (int i = 0; i < p->nf; i++) {
		struct ls_finding_row *row = ls_finding_dir_get(&p->dir, p->f[i].path);
		if (!row)
			continue;
		/* Only what is new since the last write: others may write to the directory too. */
		row->hits = row->hits_on_disk + (hits[i] - p->f[i].written_hits);
		if (p->f[i].ours) {
			row->first_exec = p->f[i].first_exec;
			row->seed = p->f[i].first_seed;
		}
	}
	bool ok = ls_finding_dir_write(&p->dir);
	if (!ok && !p->dir_failed) {
		/* A full disk: said once; the next update tries again. */
		if (p->tty)
			fputc('\n', stderr);
		fprintf(stderr, "fuzz: cannot update %s/README.md and index.tsv: %s; findings are "
				"still reported here\n", p->dir.dir, strerror(errno));
	}
	p->dir_failed = !ok;
	if (ok) {
		for (int i = 0; i < p->nf; i++)
			p->f[i].written_hits = hits[i];
		p->dir_dirty = false;
	}
	free(hits);
	p->dir_written = t;
}

static int find_finding(const struct parent *p, unsigned long long hash, const char *signature)
{
	for (int i = 0; i < p->nf; i++)
		if (p->f[i].hash == hash && strcmp(p->f[i].signature, signature) == 0)
			return i;
	return -1;
}

static int add_finding(struct parent *p, enum ls_kind kind, unsigned long long hash,
		       const char *signature, const char *shape, const char *path)
{
	if (p->nf == p->capf) {
		p->capf = p->capf ? 2 * p->capf : 16;
		p->f = realloc(p->f, (size_t)p->capf * sizeof(*p->f));
		if (!p->f)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
	}
	struct finding *f = &p->f[p->nf];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->hash = hash;
	f->signature = strdup(signature);
	if (!f->signature)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	snprintf(f->shape, sizeof(f->shape), "%s", shape);
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->first_exec = UINT64_MAX;
	return p->nf++;
}

/* Files a report of finding i at execution exec, which ended at wall time `wall`: a new finding,
 * or an earlier execution of one, has its report and trace written (unless its trace is from an
 * earlier campaign).  A bug for the variant is the campaign's first bug if nothing came before. */
static void file_finding(struct parent *p, int i, uint64_t exec, uint64_t seed, double wall,
			 const char *report, size_t rlen, const char *trace, size_t tlen)
{
	struct finding *f = &p->f[i];
	const struct ls_session *s = &p->cp->s;
	if (ls_variant_bug(&s->target->variants[s->variant], f->kind)) {
		if (p->bug_exec == UINT64_MAX || wall < p->bug_wall)
			p->bug_wall = wall;
		if (exec < p->bug_exec) {
			p->bug_exec = exec;
			p->bug_kind = f->kind;
		}
		p->bug_stop = p->cp->stop_on_bug;
	}
	bool fresh = f->first_exec == UINT64_MAX;
	if (!fresh && exec >= f->first_exec)
		return;
	uint64_t was = f->first_exec;
	f->first_exec = exec;
	f->first_seed = seed;
	if (fresh) {
		FILE *old = fopen(f->path, "r");
		if (old)
			fclose(old);	/* from an earlier campaign: the first trace is kept */
		f->ours = !old;
	}
	if (f->ours) {
		struct ls_buf r = { (char *)report, rlen, rlen }, t = { (char *)trace, tlen, tlen };
		f->unsaved = !ls_try_write_finding(f->path, &r, &t);
		if (f->unsaved) {
			f->unsaved_errno = errno;
			if (p->tty)
				fputc('\n', stderr);
			fprintf(stderr, "fuzz: cannot save %s: %s; the finding is reported here only\n",
				f->path, strerror(errno));
		}
	}
	if (fresh)
		ls_finding_dir_get(&p->dir, f->path);	/* a row for it, from the trace's header */
	p->dir_dirty = p->dir_touched = true;
	if (p->tty)
		fputc('\n', stderr);
	if (fresh) {
		if (!p->cp->o.quiet)
			fwrite(report, 1, rlen, stdout);
		printf("fuzz: new finding %s at execution %" PRIu64 " (seed %" PRIu64 "): %s\n",
		       f->shape, exec, seed, f->path);
	} else {
		printf("fuzz: finding %s reached earlier, at execution %" PRIu64 " (seed %" PRIu64
		       ") instead of %" PRIu64 ": %s%s\n",
		       f->shape, exec, seed, was, f->path, f->ours ? " rewritten" : "");
	}
	fflush(stdout);
}

static void map_local(struct worker *w, uint32_t local, int idx)
{
	if (local != w->nmap)
		ls_die(LS_EXIT_INTERNAL, "worker %d numbered a finding %u after %u", w->slot, local,
		       w->nmap);
	if (w->nmap == w->capmap) {
		w->capmap = w->capmap ? 2 * w->capmap : 16;
		w->map = realloc(w->map, w->capmap * sizeof(*w->map));
		if (!w->map)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
	}
	w->map[w->nmap++] = idx;
}

static void on_message(struct parent *p, struct worker *w, uint32_t type, const char *b,
		       uint32_t len)
{
	switch (type) {
	case MSG_FINDING: {
		struct msg_finding m;
		if (len < sizeof(m))
			ls_die(LS_EXIT_INTERNAL, "worker %d: short message", w->slot);
		memcpy(&m, b, sizeof(m));
		const char *t[4];
		size_t off = sizeof(m);
		for (int k = 0; k < 4; k++) {
			t[k] = b + off;
			off += m.len[k];
		}
		if (off != len)
			ls_die(LS_EXIT_INTERNAL, "worker %d: malformed message", w->slot);
		char *sig = strndup(t[0], m.len[0]), *path = strndup(t[1], m.len[1]);
		if (!sig || !path)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
		int i = find_finding(p, m.hash, sig);
		if (i < 0)
			i = add_finding(p, (enum ls_kind)m.kind, m.hash, sig, m.shape, path);
		map_local(w, m.local, i);
		if (m.local >= LOCAL_MAX)
			p->f[i].hits++;
		file_finding(p, i, m.exec, m.seed, m.wall, t[2], m.len[2], t[3], m.len[3]);
		free(sig);
		free(path);
		break;
	}
	case MSG_HIT: {
		uint32_t local;
		if (len != sizeof(local))
			ls_die(LS_EXIT_INTERNAL, "worker %d: malformed message", w->slot);
		memcpy(&local, b, sizeof(local));
		if (local >= w->nmap)
			ls_die(LS_EXIT_INTERNAL, "worker %d: hit of unknown finding %u", w->slot, local);
		p->f[w->map[local]].hits++;
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

static void spawn(struct parent *p, struct worker *w, uint64_t start)
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
		ls_child_exit(worker_main(cp, w->page, start, wfd));
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
	for (uint32_t k = 0; k < w->nmap && k < LOCAL_MAX; k++)
		p->f[w->map[k]].hits += wp->hits[k];
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
	int i = find_finding(p, r.hash, r.signature);
	if (i < 0)
		i = add_finding(p, LS_KIND_CRASH, r.hash, r.signature, r.shape, path);
	p->f[i].hits++;
	if (p->f[i].first_exec == UINT64_MAX || exec < p->f[i].first_exec) {
		struct ls_buf report = { 0 }, trace = { 0 };
		ls_crash_report(&cp->s, &shown, &r, e.label, note, path, &report);
		ls_crash_trace(&cp->s, &rec, &r, e.label, &trace);
		file_finding(p, i, exec, seed, wall, report.s, report.len, trace.s, trace.len);
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
	int i = find_finding(p, r.hash, r.signature);
	if (i < 0)
		return false;
	p->f[i].hits++;
	return true;
}

static void worker_gone(struct parent *p, struct worker *w, bool respawn)
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
		spawn(p, w, exec);
	/* Recording took wall time the other workers' hang clocks must not count. */
	double t = ls_wall_s();
	for (uint64_t j = 0; j < jobs; j++)
		p->w[j].since = t;
}

static void progress(struct parent *p, double elapsed)
{
	uint64_t execs = total_executions(p);
	bool exact;
	uint64_t inter = ls_seen_count(p->cp->seen, &exact);
	uint64_t by_kind[LS_KIND_COUNT] = { 0 };
	for (int i = 0; i < p->nf; i++)
		by_kind[p->f[i].kind]++;
	fprintf(stderr, "%sfuzz: %" PRIu64 " execs, %.0f execs/s, %s%" PRIu64 " interleavings, "
			"%d findings",
		p->tty ? "\r" : "", execs, elapsed > 0 ? (double)execs / elapsed : 0.0,
		exact ? "" : "~", inter, p->nf);
	bool any = false;
	for (int k = 1; k < LS_KIND_COUNT; k++)
		if (by_kind[k]) {
			fprintf(stderr, "%s%s %" PRIu64, any ? ", " : " (",
				ls_kind_name((enum ls_kind)k), by_kind[k]);
			any = true;
		}
	fprintf(stderr, "%s, %.1f s%s", any ? ")" : "", elapsed, p->tty ? "   " : "\n");
	fflush(stderr);
}

static int cmp_first(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	return x->first_exec < y->first_exec ? -1 : x->first_exec > y->first_exec;
}

static void summary(struct parent *p, double elapsed)
{
	struct campaign *cp = p->cp;
	const struct ls_session *s = &cp->s;
	const struct ls_variant *var = &s->target->variants[s->variant];
	uint64_t n = total_executions(p);
	bool exact;
	uint64_t inter = ls_seen_count(cp->seen, &exact);
	double rate = elapsed > 0 ? (double)n / elapsed : 0.0;
	char jobs[32] = "";
	if (cp->jobs > 1)
		snprintf(jobs, sizeof(jobs), ", %" PRIu64 " jobs", cp->jobs);
	printf("\nfuzz %s:%s: %" PRIu64 " executions in %.2f s (%.0f/s%s), %d distinct finding%s%s\n",
	       s->target->name, var->name, n, elapsed, rate, jobs, p->nf, p->nf == 1 ? "" : "s",
	       ls_stop_signal ? " (stopped by signal)" : "");
	for (int i = 0; i < p->nf; i++) {
		const struct finding *f = &p->f[i];
		bool bug = ls_variant_bug(var, f->kind);
		printf("  %-13s hits %-8" PRIu64 " first at execution %" PRIu64 " (seed %" PRIu64
		       ")  %s%s%s%s\n      %s%s\n",
		       f->shape, f->hits, f->first_exec, f->first_seed, f->path,
		       f->unsaved ? " (not saved: " : "",
		       f->unsaved ? strerror(f->unsaved_errno) : "", f->unsaved ? ")" : "",
		       f->signature,
		       bug ? "" : "\n      (expected behaviour: not a bug for this variant)");
	}
	char bound[300] = "";
	if (cp->engine.kind == LS_ENGINE_PCT) {
		struct ls_pct pct;
		ls_pct_init(&pct, (int)cp->o.pct_depth);
		pct.n_max = p->n_max;
		pct.k_max = p->k_max;
		ls_pct_describe(&pct, n, bound, sizeof(bound));
		printf("%s\n", bound);
	}
	if (cp->stop_on_bug && p->bug_exec != UINT64_MAX)
		printf("stopped at the first bug: %s at execution %" PRIu64 ", %.3f s into the "
		       "campaign\n", ls_kind_name(p->bug_kind), p->bug_exec, p->bug_wall - p->start);
	/* What was found against what the variant declares. */
	uint64_t first[LS_KIND_COUNT];
	for (int k = 0; k < LS_KIND_COUNT; k++)
		first[k] = LS_EXPECT_NOT_FOUND;
	for (int i = 0; i < p->nf; i++)
		if (p->f[i].first_exec < first[p->f[i].kind])
			first[p->f[i].kind] = p->f[i].first_exec;
	struct ls_expect ex;
	ls_expect_judge(var, first, n, "execution", &ex);
	printf("%s\n", ex.text);
	if (!cp->o.json)
		return;
	struct ls_buf j = { 0 };
	ls_buf_printf(&j, "{\"command\":\"fuzz\",\"target\":");
	ls_json_str(&j, s->target->name);
	ls_buf_printf(&j, ",\"variant\":");
	ls_json_str(&j, var->name);
	ls_buf_printf(&j, ",\"engine\":");
	ls_json_str(&j, cp->o.engine);
	ls_buf_printf(&j, ",\"strategy\":");
	ls_json_str(&j, cp->engine.label);
	ls_buf_printf(&j, ",\"jobs\":%" PRIu64 ",\"seed\":%" PRIu64 ",\"execs\":%" PRIu64
			  ",\"elapsed_s\":%.3f,\"execs_per_s\":%.0f,\"interleavings\":%" PRIu64
			  ",\"interleavings_exact\":%s,\"stopped_by_signal\":%s",
		      cp->jobs, cp->o.seed, n, elapsed, rate, inter, exact ? "true" : "false",
		      ls_stop_signal ? "true" : "false");
	if (p->bug_exec != UINT64_MAX)
		ls_buf_printf(&j, ",\"first_bug_s\":%.6f,\"first_bug_exec\":%" PRIu64
				  ",\"first_bug_kind\":\"%s\"",
			      p->bug_wall - p->start, p->bug_exec + 1, ls_kind_name(p->bug_kind));
	else
		ls_buf_printf(&j, ",\"first_bug_s\":null,\"first_bug_exec\":null"
				  ",\"first_bug_kind\":null");
	if (bound[0]) {
		ls_buf_printf(&j, ",\"pct_bound\":");
		ls_json_str(&j, bound);
	}
	ls_buf_printf(&j, ",\"findings\":[");
	for (int i = 0; i < p->nf; i++) {
		const struct finding *f = &p->f[i];
		ls_buf_printf(&j, "%s{\"kind\":\"%s\",\"shape\":\"%s\",\"hash\":\"%012llx\",\"hits\":%" PRIu64
				  ",\"first_exec\":%" PRIu64 ",\"seed\":%" PRIu64 ",\"trace\":",
			      i ? "," : "", ls_kind_name(f->kind), f->shape, f->hash & 0xffffffffffffull,
			      f->hits, f->first_exec, f->first_seed);
		ls_json_str(&j, f->path);
		ls_buf_printf(&j, ",\"signature\":");
		ls_json_str(&j, f->signature);
		ls_buf_printf(&j, ",\"bug\":%s,\"saved\":%s}",
			      ls_variant_bug(var, f->kind) ? "true" : "false",
			      f->unsaved ? "false" : "true");
	}
	ls_buf_printf(&j, "]");
	ls_expect_json(&j, var, &ex);
	ls_buf_printf(&j, "}");
	printf("%s\n", j.s);
	ls_buf_finish(&j);
}

/* ---- external engines: libFuzzer and AFL++ run the harness, lockstep files their crashes ------ */

/* One finding of an external campaign: the crash inputs whose replay saved the same trace. */
struct ext_finding {
	char *trace, *signature, *input;	/* input: the first crash input's file name */
	enum ls_kind kind;
	uint64_t hits;
};

struct ext {
	const char *engine;	/* "libfuzzer" or "afl" */
	char self[4096];	/* the lockstep executable */
	char harness[4200];
	char work[4096];	/* the fuzzer's temporary directory */
	pid_t pid[MAX_JOBS];
	int npid;
	struct ext_finding *f;
	int nf;
	uint64_t inputs, unreproduced;
	enum ls_kind first_bug_kind;	/* of the earliest input that is a bug */
};

/* The harness: BUILD/fuzz/lockstep-ENGINE beside BUILD/lockstep, or an installed one. */
static void ext_locate(struct ext *x)
{
	ls_self_exe(x->self, sizeof(x->self));
	char name[64];
	snprintf(name, sizeof(name), "lockstep-%s", x->engine);
	if (!ls_internal_exe(name, "fuzz", x->harness, sizeof(x->harness)))
		ls_die(LS_EXIT_USAGE, "fuzz: --engine %s needs %s, which is not built or installed "
			"(see fuzz/README.md)", x->engine, name);
}

/* Runs the harness once with $LOCKSTEP_HARNESS_CHECK set: it loads the target named by
 * $LOCKSTEP_TARGET and exits.  libFuzzer's fork mode takes a harness that cannot load it (an
 * object with a symbol the harness does not export, say) for a crashing child and goes on, and
 * the campaign would end "clean" without one execution; this refuses it first, with the
 * harness's own last line. */
static void ext_check(const struct ext *x, const char *spec)
{
	int fd[2];
	if (pipe(fd) != 0)
		ls_die(LS_EXIT_INTERNAL, "fuzz: pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "fuzz: fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		dup2(fd[1], STDERR_FILENO);
		close(fd[0]);
		close(fd[1]);
		setenv("LOCKSTEP_HARNESS_CHECK", "1", 1);	/* fuzz/harness.h */
		execl(x->harness, x->harness, (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", x->harness, strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	/* The tail of what it printed: the harness's reason is its last line. */
	char out[4096];
	size_t len = 0;
	ssize_t r;
	while ((r = read(fd[0], out + len, sizeof(out) - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		len += (size_t)r;
		if (len == sizeof(out) - 1) {
			memmove(out, out + len / 2, len - len / 2);
			len -= len / 2;
		}
	}
	close(fd[0]);
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		len--;
	out[len] = 0;
	const char *last = strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			ls_die(LS_EXIT_INTERNAL, "fuzz: waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	const char *why = last;
	if (strncmp(why, "lockstep harness: ", 18) == 0)
		why += 18;
	if (!*why)
		why = WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no message";
	ls_die(WIFEXITED(status) && WEXITSTATUS(status) == 2 ? LS_EXIT_USAGE : LS_EXIT_INTERNAL,
	       "fuzz: %s cannot run %s: %s", x->harness, spec, why);
}

/* Starts argv[0] (looked up on PATH) with its output in WORK/log-NAME. */
static void ext_spawn(struct ext *x, char *const *argv, const char *name)
{
	char log[4300];
	snprintf(log, sizeof(log), "%s/log-%s", x->work, name);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "fuzz: fork: %s", strerror(errno));
	if (pid == 0) {
		FILE *f = freopen(log, "w", stdout);
		if (f && dup2(fileno(stdout), STDERR_FILENO) >= 0)
			execvp(argv[0], argv);
		fprintf(stderr, "fuzz: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	x->pid[x->npid++] = pid;
}

/* Waits for the fuzzers; SIGINT or SIGTERM is passed on to them, and with stop_on_bug the first
 * fuzzer to end (afl-fuzz under AFL_BENCH_UNTIL_CRASH, libFuzzer at its first crash) stops the
 * others.  Returns false if one could not be started or ended with an error other than finding
 * crashes. */
static bool ext_wait(struct ext *x, bool stop_on_bug)
{
	bool ok = true, forwarded = false;
	bool done[MAX_JOBS] = { false };
	int left = x->npid;
	while (left) {
		if (!forwarded && (ls_stop_signal || (stop_on_bug && left < x->npid))) {
			for (int j = 0; j < x->npid; j++)
				if (!done[j])
					kill(x->pid[j], SIGINT);
			forwarded = true;
		}
		bool reaped = false;
		for (int i = 0; i < x->npid; i++) {
			int status;
			if (done[i])
				continue;
			pid_t r = waitpid(x->pid[i], &status, WNOHANG);
			if (r < 0 && errno != EINTR)
				ls_die(LS_EXIT_INTERNAL, "fuzz: waitpid: %s", strerror(errno));
			if (r != x->pid[i])
				continue;
			done[i] = reaped = true;
			left--;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				ok = false;
			/* afl-fuzz exits 0 (or 1 when told to stop by a crash, or when it refuses
			 * seeds that crash); libFuzzer with -ignore_crashes exits 0, or with the
			 * crash's code. */
			else if (WIFEXITED(status) && WEXITSTATUS(status) > 1 && !ls_stop_signal &&
				 strcmp(x->engine, "afl") == 0)
				ok = false;
		}
		if (left && !reaped)
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return ok;
}

/* The value of "key":"..." in a JSON line, unescaped (ASCII \u escapes only); NULL if absent. */
static char *json_field(const char *line, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *p = strstr(line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	char *out = malloc(strlen(p) + 1), *o = out;
	if (!out)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	for (; *p && *p != '"'; p++) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned v = 0;
			if (sscanf(p + 1, "%4x", &v) == 1 && strlen(p + 1) >= 4) {
				*o++ = (char)(v < 0x80 ? v : '?');
				p += 4;
			}
			break;
		}
		default: *o++ = *p; break;
		}
	}
	*o = 0;
	return out;
}

/* Runs `lockstep replay --target` on one crash input, as a user would: it saves the finding in
 * --out unless that signature's trace is there, and adds a hit to its README.md row.  Returns
 * the finding's kind, LS_KIND_NONE if the input has none. */
static enum ls_kind ext_convert(struct ext *x, const char *spec,
				const struct ls_exec_opts *o, const char *input)
{
	int fd[2];
	if (pipe(fd) != 0)
		ls_die(LS_EXIT_INTERNAL, "fuzz: pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "fuzz: fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		const char *argv[16];
		int n = 0;
		argv[n++] = x->self;
		argv[n++] = "replay";
		argv[n++] = "--target";
		argv[n++] = spec;
		if (o->no_lockdep)
			argv[n++] = "--no-lockdep";
		if (o->lockdep_compat)
			argv[n++] = "--lockdep-compat";
		argv[n++] = "--out";
		argv[n++] = o->out;
		argv[n++] = "--json";
		argv[n++] = input;
		argv[n] = NULL;
		execv(x->self, (char *const *)argv);
		fprintf(stderr, "fuzz: cannot run %s: %s\n", x->self, strerror(errno));
		_exit(LS_EXIT_INTERNAL);
	}
	close(fd[1]);
	struct ls_buf b = { 0 };
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ls_buf_printf(&b, "%.*s", (int)n, chunk);
	}
	close(fd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : LS_EXIT_INTERNAL;
	if (code != LS_EXIT_CLEAN && code != LS_EXIT_FOUND)
		ls_die(LS_EXIT_INTERNAL, "fuzz: lockstep replay --target %s %s failed (exit %d)",
		       spec, input, code);
	x->inputs++;
	const char *text = b.s ? b.s : "";
	/* The JSON line is the last one; a crash in the replay prints its report only, whose
	 * "replay: lockstep replay PATH" line names the trace. */
	const char *json = NULL;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (*l == '{')
			json = l;
	char *trace = json ? json_field(json, "trace") : NULL, *sig = NULL;
	enum ls_kind kind = LS_KIND_CRASH;
	if (json) {
		sig = json_field(json, "signature");
		char *outcome = json_field(json, "outcome");
		for (int k = 0; outcome && k < LS_KIND_COUNT; k++)
			if (strcmp(outcome, ls_kind_name((enum ls_kind)k)) == 0)
				kind = (enum ls_kind)k;
		free(outcome);
	} else {
		const char *r = strstr(text, "replay: lockstep replay ");
		if (r) {
			r += strlen("replay: lockstep replay ");
			if (strncmp(r, "--target ", 9) == 0 && strchr(r + 9, ' '))
				r = strchr(r + 9, ' ') + 1;	/* ls_replay_command() */
			trace = strndup(r, strcspn(r, "\n"));
		}
		sig = strdup("crash (see the report)");
	}
	if (!trace) {
		x->unreproduced++;	/* no finding: a fuzzer timeout or out-of-memory input */
		printf("fuzz: %s: no finding when run by lockstep\n", input);
		free(sig);
		ls_buf_finish(&b);
		return LS_KIND_NONE;
	}
	int i = 0;
	while (i < x->nf && strcmp(x->f[i].trace, trace) != 0)
		i++;
	if (i == x->nf) {
		x->f = realloc(x->f, (size_t)(x->nf + 1) * sizeof(*x->f));
		if (!x->f)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
		/* Named by its file: the fuzzer's directory is removed at the end. */
		const char *base = strrchr(input, '/') ? strrchr(input, '/') + 1 : input;
		x->f[i] = (struct ext_finding){ trace, sig ? sig : strdup(""), strdup(base), kind, 0 };
		x->nf++;
		if (!o->quiet)
			fwrite(text, 1, json ? (size_t)(json - text) : strlen(text), stdout);
		printf("fuzz: new finding %s from %s: %s\n", ls_kind_name(kind), input, trace);
	} else {
		free(trace);
		free(sig);
	}
	x->f[i].hits++;
	ls_buf_finish(&b);
	return kind;
}

/* lockstep fuzz --engine libfuzzer|afl: runs the harness binary under its fuzzer for time_s
 * seconds with `jobs` processes, then files every crash input through `replay --target`. */
/* fuzz --minimize: `lockstep minimize` on each bug this campaign saved, in a child process (a
 * candidate schedule that crashed the model would not take the campaign's summary with it); its
 * output goes to stderr, so --json's line stays the last of stdout. */
static void minimize_findings(struct parent *p, const struct ls_variant *var)
{
	char self[4096];
	ls_self_exe(self, sizeof(self));
	for (int i = 0; i < p->nf; i++) {
		const struct finding *f = &p->f[i];
		if (!f->ours || !ls_variant_bug(var, f->kind) || f->kind == LS_KIND_CRASH)
			continue;
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0)
			ls_die(LS_EXIT_INTERNAL, "fuzz: fork: %s", strerror(errno));
		if (pid == 0) {
			dup2(2, 1);
			const char *argv[] = { self, "minimize", f->path, "--quiet", NULL };
			execv(self, (char *const *)argv);
			_exit(127);
		}
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fprintf(stderr, "fuzz: could not minimize %s\n", f->path);
	}
}

/* A crash input of an external campaign and when it was found: seconds after the campaign
 * started (< 0: unknown) and the executions up to and including it (0: unknown). */
struct ext_input {
	char *path;
	double found_s;
	uint64_t exec;
};

/* Seconds from t0 (CLOCK_REALTIME) to the last change of path; -1 if it cannot be read. */
static double mtime_since(const char *path, const struct timespec *t0)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	double d = (double)(st.st_mtim.tv_sec - t0->tv_sec) +
		   (double)(st.st_mtim.tv_nsec - t0->tv_nsec) * 1e-9;
	return d < 0 ? 0 : d;
}

/* The number after `key` in text (e.g. "stat::number_of_executed_units:"), skipping blanks;
 * last: the last occurrence, else the first.  0 if absent. */
static uint64_t text_number(const char *text, const char *key, bool last)
{
	const char *hit = NULL;
	for (const char *p = text; p && (p = strstr(p, key)); p += strlen(key)) {
		hit = p;
		if (!last)
			break;
	}
	if (!hit)
		return 0;
	hit += strlen(key);
	while (*hit == ' ' || *hit == '\t' || *hit == ':')
		hit++;
	return strtoull(hit, NULL, 10);
}

static void add_input(struct ext_input **in, size_t *n, const char *path, double found_s,
		      uint64_t exec)
{
	*in = realloc(*in, (*n + 1) * sizeof(**in));
	if (!*in || !((*in)[*n].path = strdup(path)))
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	(*in)[*n].found_s = found_s;
	(*in)[*n].exec = exec;
	(*n)++;
}

static int cmp_input(const void *a, const void *b)
{
	return strcmp(((const struct ext_input *)a)->path, ((const struct ext_input *)b)->path);
}

/* afl-fuzz's dry run of the seed inputs: every seed that crashes is logged as "Test case 'NAME'
 * results in a crash" (NAME: its copy in the instance's queue, "id:...,orig:SEED") and skipped,
 * and when every seed crashes afl-fuzz refuses to start ("We need at least one valid input seed
 * that does not crash").  Those seeds are the campaign's first findings: each is added as an
 * input, found at the dry run (dated by the log when afl-fuzz gave up, else by the instance's
 * fuzzer_setup, written just before the dry run) after as many executions as the dry run had
 * reached (a lower bound: seeds that do not crash are calibrated with several). */
static void afl_seed_crashes(const struct ext *x, const char *indir, const struct timespec *t0,
			     struct ext_input **in, size_t *n)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/log-main", x->work);
	size_t loglen;
	char *log = ls_read_file(path, &loglen);
	if (!log)
		return;
	bool refused = strstr(log, "We need at least one valid input seed") != NULL;
	char setup[4400];
	snprintf(setup, sizeof(setup), "%s/sync/main/fuzzer_setup", x->work);
	double when = mtime_since(refused ? path : setup, t0);
	const char *tag = "Test case '";
	for (const char *p = log; (p = strstr(p, tag)); p++) {
		p += strlen(tag);
		size_t len = strcspn(p, "'\n");
		if (strncmp(p + len, "' results in a crash", 20) != 0)
			continue;
		char entry[1024];
		snprintf(entry, sizeof(entry), "%.*s", (int)(len < 1000 ? len : 1000), p);
		/* Its position in the dry run: how many "Attempting dry run" lines up to it. */
		uint64_t pos = 0;
		for (const char *d = log; (d = strstr(d, "Attempting dry run with '")) && d < p; d++)
			pos++;
		char file[6000];
		snprintf(file, sizeof(file), "%s/sync/main/queue/%s", x->work, entry);
		const char *orig = strstr(entry, "orig:");
		if (access(file, R_OK) != 0 && orig)
			snprintf(file, sizeof(file), "%s/%s", indir, orig + 5);
		if (access(file, R_OK) != 0) {
			fprintf(stderr, "fuzz: afl-fuzz: seed %s crashes, but is gone\n", entry);
			continue;
		}
		fprintf(stderr, "fuzz: afl-fuzz %s seed %s: it crashes; filed as a crash input\n",
			refused ? "refused" : "skipped", file);
		add_input(in, n, file, when, pos ? pos : 1);
	}
	free(log);
}

static int ext_campaign(const char *engine, const char *spec_in, struct ls_exec_opts *o,
			uint64_t jobs, uint64_t time_s, const char *seeds, bool stop_on_bug)
{
	struct ext x;
	memset(&x, 0, sizeof(x));
	x.engine = engine;
	ext_locate(&x);
	struct ls_session s;
	ls_open_session(spec_in, o, &s);
	const struct ls_variant *var = &s.target->variants[s.variant];
	char spec[300];
	snprintf(spec, sizeof(spec), "%s:%s", s.target->name, var->name);

	setenv("LOCKSTEP_TARGET", spec, 1);
	setenv("LOCKSTEP_LOCKDEP", o->no_lockdep ? "off" : o->lockdep_compat ? "compat" : "on", 1);
	ext_check(&x, spec);
	const char *tmpdir = getenv("TMPDIR");
	snprintf(x.work, sizeof(x.work), "%s/lockstep-fuzz-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(x.work))
		ls_die(LS_EXIT_INTERNAL, "fuzz: cannot create %s: %s", x.work, strerror(errno));

	char t[32], seed[48], a[4300], b[4300], c[4300], name[32];
	snprintf(t, sizeof(t), "%" PRIu64, time_s);
	ls_catch_stop_signals();
	double start = ls_wall_s();
	struct timespec start_real;	/* the fuzzers' files are dated by the real-time clock */
	clock_gettime(CLOCK_REALTIME, &start_real);
	bool single = false;		/* one libFuzzer process, no fork mode */
	fprintf(stderr, "fuzz: %s on %s, %" PRIu64 " job%s, %" PRIu64 " s, in %s\n", engine, spec,
		jobs, jobs == 1 ? "" : "s", time_s, x.work);
	if (strcmp(engine, "libfuzzer") == 0) {
		/* Fork mode, crashes ignored: the campaign runs its time and keeps every crash
		 * (the crash files' times then say when fork mode last wrote them). */
		char fork_arg[48], total[48];
		snprintf(fork_arg, sizeof(fork_arg), "-fork=%" PRIu64, jobs);
		snprintf(total, sizeof(total), "-max_total_time=%" PRIu64, time_s);
		snprintf(seed, sizeof(seed), "-seed=%" PRIu64, o->seed ? o->seed : 1);
		snprintf(a, sizeof(a), "-artifact_prefix=%s/crashes/", x.work);
		snprintf(b, sizeof(b), "%s/corpus", x.work);
		snprintf(c, sizeof(c), "%s/crashes", x.work);
		if (!ls_mkdirs(b) || !ls_mkdirs(c))
			ls_die(LS_EXIT_INTERNAL, "fuzz: cannot create %s: %s", b, strerror(errno));
		/* The first corpus directory is written to; the seeds are read only.  With
		 * --stop-on-bug crashes are not ignored, so libFuzzer stops at the first; with one
		 * job it runs without fork mode, and its final stats count the executions. */
		single = stop_on_bug && jobs == 1;
		/* The same limits as lockstep's own engines: --rss-limit-mb and --hang-timeout. */
		char rss[48], hang[48];
		snprintf(rss, sizeof(rss), "-rss_limit_mb=%" PRIu64, ls_rss_limit_mb);
		snprintf(hang, sizeof(hang), "-timeout=%.0f",
			 ceil(ls_hang_timeout(o->hang_s, o->cfg.step_limit)));
		char *argv[20];
		int n = 0;
		argv[n++] = x.harness;
		argv[n++] = rss;
		argv[n++] = hang;
		if (!single) {
			argv[n++] = fork_arg;
			argv[n++] = "-ignore_timeouts=1";
			argv[n++] = "-ignore_ooms=1";
		}
		if (!stop_on_bug)
			argv[n++] = "-ignore_crashes=1";
		argv[n++] = "-print_final_stats=1";
		argv[n++] = total;
		argv[n++] = seed;
		argv[n++] = a;
		argv[n++] = b;
		argv[n++] = (char *)seeds;	/* NULL without --seeds */
		argv[n] = NULL;
		ext_spawn(&x, argv, "libfuzzer");
	} else {
		/* One main and jobs-1 secondaries on one sync directory.  The harness is not
		 * sanitized, and afl-fuzz refuses sanitizer options it does not expect. */
		unsetenv("ASAN_OPTIONS");
		unsetenv("UBSAN_OPTIONS");
		unsetenv("LSAN_OPTIONS");
		unsetenv("MSAN_OPTIONS");
		setenv("AFL_SKIP_CPUFREQ", "1", 0);
		setenv("AFL_NO_UI", "1", 0);
		setenv("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1", 0);
		if (stop_on_bug)
			setenv("AFL_BENCH_UNTIL_CRASH", "1", 1);
		snprintf(a, sizeof(a), "%s/in", x.work);
		snprintf(b, sizeof(b), "%s/in/zero", x.work);
		snprintf(c, sizeof(c), "%s/sync", x.work);
		if (seeds)
			snprintf(a, sizeof(a), "%s", seeds);	/* afl-fuzz -i: the starting corpus */
		else if (!ls_mkdirs(a) || !ls_write_atomic(b, "", 1))
			ls_die(LS_EXIT_INTERNAL, "fuzz: cannot create %s: %s", b, strerror(errno));
		char mem[32], hang[32];
		if (ls_rss_limit_mb)
			snprintf(mem, sizeof(mem), "%" PRIu64, ls_rss_limit_mb);
		else
			snprintf(mem, sizeof(mem), "none");
		snprintf(hang, sizeof(hang), "%.0f",
			 ceil(ls_hang_timeout(o->hang_s, o->cfg.step_limit) * 1000));
		for (uint64_t j = 0; j < jobs; j++) {
			snprintf(name, sizeof(name), j ? "s%" PRIu64 : "main", j);
			snprintf(seed, sizeof(seed), "%" PRIu64, o->seed + j);
			char *argv[] = { "afl-fuzz", j ? "-S" : "-M", name, "-V", t, "-s", seed,
					 "-m", mem, "-t", hang, "-i", a, "-o", c, "--", x.harness,
					 NULL };
			ext_spawn(&x, argv, name);
		}
	}
	bool ran = ext_wait(&x, stop_on_bug);
	double elapsed = ls_wall_s() - start;
	if (!ran) {
		fprintf(stderr, "fuzz: %s did not run; its log is in %s/log-*:\n", engine, x.work);
		char cmd[4400];
		snprintf(cmd, sizeof(cmd), "tail -n 5 %s/log-* >&2", x.work);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: (cannot show the log)\n");
		ls_session_finish(&s);
		return LS_EXIT_INTERNAL;
	}

	/* The crash inputs, in name order, each through `replay --target`. */
	char pattern[4400];
	if (strcmp(engine, "libfuzzer") == 0)
		snprintf(pattern, sizeof(pattern), "%s/crashes", x.work);
	else
		snprintf(pattern, sizeof(pattern), "%s/sync", x.work);
	struct ext_input *files = NULL;
	size_t nfiles = 0;
	char find[4500];
	snprintf(find, sizeof(find), "find '%s' -type f \\( -name 'crash-*' -o -name 'timeout-*' "
		 "-o -path '*/crashes/id:*' \\) 2>/dev/null", pattern);
	FILE *lst = popen(find, "r");
	char line[4600];
	bool afl = strcmp(engine, "afl") == 0;
	char logpath[4400];
	size_t loglen;
	snprintf(logpath, sizeof(logpath), "%s/log-libfuzzer", x.work);
	char *lflog = afl ? NULL : ls_read_file(logpath, &loglen);
	/* libFuzzer alone prints its executions at the end (-print_final_stats); in fork mode
	 * only its progress lines ("#N ...") say how many ran. */
	uint64_t lf_execs = 0;
	if (lflog)
		lf_execs = single ? text_number(lflog, "stat::number_of_executed_units", false)
				  : text_number(lflog, "\n#", true);
	while (lst && fgets(line, sizeof(line), lst)) {
		line[strcspn(line, "\n")] = 0;
		/* AFL++ names a crash id:N,sig:S,src:Q,time:MS,execs:E,...: E is the instance's
		 * executions, the campaign's with one job. */
		const char *base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
		const char *e = strstr(base, ",execs:");
		uint64_t exec = afl ? (jobs == 1 && e ? strtoull(e + 7, NULL, 10) : 0)
				    : (single ? lf_execs : 0);
		add_input(&files, &nfiles, line, mtime_since(line, &start_real), exec);
	}
	if (lst)
		pclose(lst);
	if (nfiles)
		qsort(files, nfiles, sizeof(*files), cmp_input);
	if (afl)
		afl_seed_crashes(&x, a, &start_real, &files, &nfiles);

	/* Executions in all: AFL++'s fuzzer_stats (execs_done, per instance), libFuzzer's log;
	 * when afl-fuzz refused its seeds, none ran beyond the dry run. */
	uint64_t execs = lf_execs;
	bool execs_known = !afl && lflog && lf_execs;
	free(lflog);
	for (uint64_t j = 0; afl && j < jobs; j++) {
		snprintf(name, sizeof(name), j ? "s%" PRIu64 : "main", j);
		snprintf(logpath, sizeof(logpath), "%s/sync/%s/fuzzer_stats", x.work, name);
		char *stats = ls_read_file(logpath, &loglen);
		if (stats && strstr(stats, "execs_done")) {
			execs += text_number(stats, "execs_done", false);
			execs_known = true;
		}
		free(stats);
	}
	struct ext_input *first = NULL;	/* the first bug: the earliest found */
	uint64_t kind_exec[LS_KIND_COUNT];	/* per kind, the execution of its first input */
	for (int k = 0; k < LS_KIND_COUNT; k++)
		kind_exec[k] = LS_EXPECT_NOT_FOUND;
	for (size_t i = 0; i < nfiles; i++) {
		enum ls_kind kind = ext_convert(&x, spec, o, files[i].path);
		if (kind != LS_KIND_NONE) {
			uint64_t at = files[i].exec ? files[i].exec : LS_EXPECT_FOUND;
			if (kind_exec[kind] == LS_EXPECT_NOT_FOUND || at < kind_exec[kind])
				kind_exec[kind] = at;
		}
		if (ls_variant_bug(var, kind) && files[i].found_s >= 0 &&
		    (!first || files[i].found_s < first->found_s)) {
			first = &files[i];
			x.first_bug_kind = kind;
		}
	}
	if (afl && !execs_known && first) {
		execs = first->exec;	/* afl-fuzz stopped in its dry run */
		execs_known = execs != 0;
	}

	int bugs = 0;
	printf("\nfuzz %s: %s, %" PRIu64 " job%s, %.2f s, %" PRIu64 " crash input%s, %d distinct "
	       "finding%s%s\n", spec, engine, jobs, jobs == 1 ? "" : "s", elapsed, x.inputs,
	       x.inputs == 1 ? "" : "s", x.nf, x.nf == 1 ? "" : "s",
	       ls_stop_signal ? " (stopped by signal)" : "");
	for (int i = 0; i < x.nf; i++) {
		bool bug = ls_variant_bug(var, x.f[i].kind);
		bugs += bug;
		printf("  %-13s hits %-8" PRIu64 " %s\n      %s%s\n", ls_kind_name(x.f[i].kind),
		       x.f[i].hits, x.f[i].trace, x.f[i].signature,
		       bug ? "" : "\n      (expected behaviour: not a bug for this variant)");
	}
	if (x.unreproduced)
		printf("  %" PRIu64 " crash input%s with no finding when run by lockstep\n",
		       x.unreproduced, x.unreproduced == 1 ? "" : "s");
	if (stop_on_bug && first) {
		printf("stopped at the first bug: %s, %.3f s into the campaign",
		       ls_kind_name(x.first_bug_kind), first->found_s);
		if (first->exec)
			printf(", after %" PRIu64 " executions", first->exec);
		printf("\n");
	}
	struct ls_expect ex;
	ls_expect_judge(var, kind_exec, execs_known ? execs : LS_EXPECT_UNCOUNTED, "execution",
			&ex);
	printf("%s\n", ex.text);
	if (o->json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"fuzz\",\"target\":");
		ls_json_str(&j, s.target->name);
		ls_buf_printf(&j, ",\"variant\":");
		ls_json_str(&j, var->name);
		ls_buf_printf(&j, ",\"engine\":");
		ls_json_str(&j, engine);
		ls_buf_printf(&j, ",\"jobs\":%" PRIu64 ",\"seed\":%" PRIu64 ",\"elapsed_s\":%.3f"
				  ",\"crash_inputs\":%" PRIu64 ",\"unreproduced\":%" PRIu64
				  ",\"stopped_by_signal\":%s",
			      jobs, o->seed, elapsed, x.inputs, x.unreproduced,
			      ls_stop_signal ? "true" : "false");
		if (execs_known)
			ls_buf_printf(&j, ",\"execs\":%" PRIu64 ",\"execs_per_s\":%.0f", execs,
				      elapsed > 0 ? (double)execs / elapsed : 0.0);
		else
			ls_buf_printf(&j, ",\"execs\":null,\"execs_per_s\":null");
		if (first) {
			ls_buf_printf(&j, ",\"first_bug_s\":%.6f,\"first_bug_exec\":", first->found_s);
			ls_buf_printf(&j, first->exec ? "%" PRIu64 : "null", first->exec);
			ls_buf_printf(&j, ",\"first_bug_kind\":\"%s\"", ls_kind_name(x.first_bug_kind));
		} else {
			ls_buf_printf(&j, ",\"first_bug_s\":null,\"first_bug_exec\":null"
					  ",\"first_bug_kind\":null");
		}
		ls_buf_printf(&j, ",\"findings\":[");
		for (int i = 0; i < x.nf; i++) {
			ls_buf_printf(&j, "%s{\"kind\":\"%s\",\"hits\":%" PRIu64 ",\"trace\":",
				      i ? "," : "", ls_kind_name(x.f[i].kind), x.f[i].hits);
			ls_json_str(&j, x.f[i].trace);
			ls_buf_printf(&j, ",\"signature\":");
			ls_json_str(&j, x.f[i].signature);
			ls_buf_printf(&j, ",\"input\":");
			ls_json_str(&j, x.f[i].input);
			ls_buf_printf(&j, ",\"bug\":%s}",
				      ls_variant_bug(var, x.f[i].kind) ? "true" : "false");
		}
		ls_buf_printf(&j, "]");
		ls_expect_json(&j, var, &ex);
		ls_buf_printf(&j, "}");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	for (int i = 0; i < x.nf; i++) {
		free(x.f[i].trace);
		free(x.f[i].signature);
		free(x.f[i].input);
	}
	free(x.f);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].path);
	free(files);
	/* The raw inputs are now traces in --out; the fuzzer's directory goes. */
	char rm[4200];
	snprintf(rm, sizeof(rm), "rm -rf '%s'", x.work);
	if (system(rm) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", x.work);
	ls_session_finish(&s);
	return bugs ? LS_EXIT_FOUND : LS_EXIT_CLEAN;
}

int ls_cmd_fuzz(int argc, char **argv)
{
	struct campaign cp;
	memset(&cp, 0, sizeof(cp));
	struct ls_exec_opts *o = &cp.o;
	uint64_t time_s = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cp.jobs = cores < 1 ? 1 : cores > MAX_JOBS ? MAX_JOBS : (uint64_t)cores;
	bool execs_seen = false, time_seen = false;
	const char *seeds = NULL;
	ls_exec_opts_default(o);
	const struct ls_opt opts[] = {
		LS_ENGINE_OPTS(*o),
		{ "execs", LS_OPT_U64, "N", "stop after N executions in all (default 100000 without "
		  "--time)", &cp.execs, &execs_seen },
		{ "time", LS_OPT_U64, "S", "stop after S seconds of wall time (--engine libfuzzer or "
		  "afl, which run the fuzz/ harness built next to lockstep: 60 s by default)", &time_s,
		  &time_seen },
		{ "jobs", LS_OPT_U64, "N", "worker processes, one per online core by default (execution i runs in worker i mod N)", &cp.jobs,
		  NULL },
		{ "minimize", LS_OPT_FLAG, NULL, "minimize each new bug this campaign saves (lockstep "
		  "minimize; KIND-HASH.min.trace beside it)", &cp.minimize, NULL },
		{ "seeds", LS_OPT_STR, "DIR", "--engine libfuzzer or afl: the starting corpus, e.g. "
		  "seeds/demo/abba (seeds/make-seeds.sh)", &seeds, NULL },
		{ "stop-on-bug", LS_OPT_FLAG, NULL, "end the campaign at the first finding that is a "
		  "bug for the variant (the JSON's first_bug_s and first_bug_exec say when)",
		  &cp.stop_on_bug, NULL },
		LS_EXEC_OPTS(*o),
		{ 0 },
	};
	char *pos[1];
	if (ls_parse(ls_cmd_lookup("fuzz"), opts, argc, argv, pos, 1) != 1)
		ls_die(LS_EXIT_USAGE, "fuzz: expected TARGET[:VARIANT] (see --help)");
	ls_exec_opts_check(o);
	if (strcmp(o->engine, "libfuzzer") == 0 || strcmp(o->engine, "afl") == 0) {
		if (execs_seen)
			ls_die(LS_EXIT_USAGE, "fuzz: --engine %s runs for --time S, not --execs",
			       o->engine);
		if (time_seen && time_s == 0)
			ls_die(LS_EXIT_USAGE, "fuzz: --time must be positive");
		if (cp.jobs < 1 || cp.jobs > MAX_JOBS)
			ls_die(LS_EXIT_USAGE, "fuzz: --jobs must be between 1 and %d", MAX_JOBS);
		if (seeds) {
			struct stat st;
			if (stat(seeds, &st) != 0 || !S_ISDIR(st.st_mode))
				ls_die(LS_EXIT_USAGE, "fuzz: --seeds %s is not a directory", seeds);
		}
		return ext_campaign(o->engine, pos[0], o, cp.jobs, time_seen ? time_s : EXT_TIME_S,
				    seeds, cp.stop_on_bug);
	}
	if (seeds)
		ls_die(LS_EXIT_USAGE, "fuzz: --seeds is for --engine libfuzzer or afl");
	if (!execs_seen && !time_seen)
		cp.execs = 100000;
	if ((execs_seen && cp.execs == 0) || (time_seen && time_s == 0))
		ls_die(LS_EXIT_USAGE, "fuzz: --execs and --time must be positive");
	if (cp.jobs < 1 || cp.jobs > MAX_JOBS)
		ls_die(LS_EXIT_USAGE, "fuzz: --jobs must be between 1 and %d", MAX_JOBS);
	if (cp.execs && cp.jobs > cp.execs)
		cp.jobs = cp.execs;
	ls_engine_init(&cp.engine, o);
	ls_open_session(pos[0], o, &cp.s);
	cp.seen = ls_shared_create(sizeof(*cp.seen));

	struct parent p;
	memset(&p, 0, sizeof(p));
	p.cp = &cp;
	p.tty = isatty(STDERR_FILENO);
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
	double period = p.tty ? 0.25 : 5.0;
	p.start = start;
	for (uint64_t j = 0; j < cp.jobs; j++) {
		p.w[j].slot = (int)j;
		p.w[j].fd = -1;
		p.w[j].page = ls_shared_create(sizeof(*p.w[j].page));
		spawn(&p, &p.w[j], j);
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
				worker_gone(&p, who[k], !stopping);
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
		if (t - last >= period) {
			progress(&p, t - start);
			last = t;
		}
		dir_update(&p, false);
	}
	double elapsed = ls_wall_s() - start;
	progress(&p, elapsed);
	if (p.tty)
		fputc('\n', stderr);
	dir_update(&p, true);

	if (p.nf)
		qsort(p.f, (size_t)p.nf, sizeof(*p.f), cmp_first);
	if (cp.minimize)
		minimize_findings(&p, &cp.s.target->variants[cp.s.variant]);
	summary(&p, elapsed);
	/* A campaign that ran nothing found nothing, which is not "clean" (workers that died
	 * before their first execution, say). */
	uint64_t ran = total_executions(&p);
	if (ran == 0 && !ls_stop_signal)
		ls_die(LS_EXIT_INTERNAL, "fuzz: no execution ran: the campaign is not a result");
	const struct ls_variant *var = &cp.s.target->variants[cp.s.variant];
	int bugs = 0;
	for (int i = 0; i < p.nf; i++) {
		bugs += ls_variant_bug(var, p.f[i].kind);
		free(p.f[i].signature);
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

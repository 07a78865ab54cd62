/* Crashes: children that run target code, how they died, and the finding that makes (crash.h). */
#define _GNU_SOURCE
#include "crash.h"
#include "../ksrc/ksrc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "session.h"
#include "../bug.h"
#include "../report.h"
#include "../trace.h"

/* ---- the watch: a strategy that publishes what the child is doing ------------------------- */

/* A begin marker in the decision stream: the decisions after it belong to a new execution. */
#define BEGIN_MARK UINT64_MAX

static void write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(LS_EXIT_INTERNAL);	/* the parent is gone */
		s += w;
		n -= (size_t)w;
	}
}

static void watch_begin(struct ls_strategy *st, uint64_t seed)
{
	struct ls_watch *w = (struct ls_watch *)st;
	w->page->ctx = -1;
	w->page->site = NULL;
	w->page->step = 0;
	__atomic_add_fetch(&w->page->progress, 1, __ATOMIC_RELAXED);
	w->page->nlog = 0;
	if (w->fd >= 0) {
		struct ls_decision d;
		memset(&d, 0, sizeof(d));
		d.step = BEGIN_MARK;
		write_all(w->fd, &d, sizeof(d));
	}
	w->inner->begin(w->inner, seed);
}

static int watch_choose(struct ls_strategy *st, struct ls_point *pt)
{
	struct ls_watch *w = (struct ls_watch *)st;
	struct ls_watch_page *p = w->page;
	int idx = w->inner->choose(w->inner, pt);
	if (idx == 0 && !pt->forced) {
		p->step = pt->step;
		p->ctx = pt->ctx;
		p->site = pt->site;
		return idx;
	}
	if (pt->n < 0)
		ls_point_choices(pt);
	const struct ls_choice *ch = &pt->choices[idx >= 0 && idx < pt->n ? idx : 0];
	const struct ls_machine *m = pt->m;
	p->step = pt->step;
	switch (ch->kind) {
	case LS_CH_RUN:
		p->ctx = ch->ctx;
		p->site = m->ctx[ch->ctx].site;
		break;
	case LS_CH_NMI:
		p->ctx = m->cpu[ch->cpu].nmi->id;
		p->site = NULL;
		break;
	case LS_CH_IRQ:
		p->ctx = m->cpu[ch->cpu].hardirq->id;
		p->site = NULL;
		break;
	default:
		p->ctx = pt->ctx;
		p->site = pt->site;
		break;
	}
	if (idx != 0 && w->log) {
		if (p->nlog < w->logcap) {
			memset(&w->log[p->nlog], 0, sizeof(w->log[p->nlog]));
			w->log[p->nlog].step = pt->step;
			w->log[p->nlog].choice = *ch;
			p->nlog++;
		}
	} else if (idx != 0 && w->fd >= 0) {
		struct ls_decision d;
		memset(&d, 0, sizeof(d));
		d.step = pt->step;
		d.choice = *ch;
		write_all(w->fd, &d, sizeof(d));
	}
	return idx;
}

void ls_watch_init(struct ls_watch *w, struct ls_strategy *inner, struct ls_watch_page *page,
		   int fd)
{
	memset(w, 0, sizeof(*w));
	w->base.name = inner ? inner->name : "watch";
	w->base.begin = watch_begin;
	w->base.choose = watch_choose;
	w->inner = inner;
	w->page = page;
	w->fd = fd;
}

uint64_t ls_rss_limit_mb = LS_RSS_LIMIT_MB;

bool ls_rss_over(pid_t pid)
{
	if (!ls_rss_limit_mb)
		return false;
	char path[64], buf[128];
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	unsigned long long size, resident;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return false;
	return resident * (unsigned long long)sysconf(_SC_PAGESIZE) > ls_rss_limit_mb << 20;
}

double ls_hang_timeout(double given, uint64_t step_limit)
{
	double scaled = (double)step_limit * LS_HANG_S_PER_STEP;
	return given > 0 ? given : scaled > LS_HANG_TIMEOUT_S ? scaled : LS_HANG_TIMEOUT_S;
}

void *ls_shared_create(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		ls_die(LS_EXIT_INTERNAL, "cannot map %zu bytes of shared memory: %s", size,
		       strerror(errno));
	return p;
}

void ls_shared_destroy(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

/* ---- children ------------------------------------------------------------------------------ */

/* The page of this process, if it is a child: where the sanitizer death callback reports. */
static struct ls_watch_page *own_page;

/* Declared weak: present only when a sanitizer runtime is linked in. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void pm_write(void);

static void on_sanitizer_death(void)
{
	pm_write();
	if (own_page)
		__atomic_store_n(&own_page->sanitizer, 1, __ATOMIC_SEQ_CST);
}

/* ---- post-mortem: where a child was, said by the child as it dies ---------------------------- */

static struct ls_decision *pm_log;	/* shared: the dying execution's decisions */
static size_t pm_logcap;
static bool pm_armed;
static const int pm_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS };
static struct sigaction pm_old[sizeof(pm_signals) / sizeof(pm_signals[0])];

/* Writes where the running machine is, and its decisions so far, to the child's page: what a
 * watch would hold, taken from the machine instead of at every point.  Async-signal-safe. */
static void pm_write(void)
{
	struct ls_watch_page *p = own_page;
	const struct ls_machine *m = ls_machine_current();
	if (!pm_armed || !p || !m || __atomic_load_n(&p->where, __ATOMIC_ACQUIRE))
		return;
	const struct ls_ctx *c = m->cur;
	p->step = m->step;
	p->ctx = c ? c->id : -1;
	p->site = c ? c->site : NULL;
	if (pm_log) {
		size_t n = m->nlog < pm_logcap ? m->nlog : pm_logcap;
		memcpy(pm_log, m->log, n * sizeof(*pm_log));
		p->nlog = n;
	}
	__atomic_store_n(&p->where, 1, __ATOMIC_RELEASE);
}

static void pm_fatal(int sig, siginfo_t *info, void *uc)
{
	pm_write();
	for (size_t i = 0; i < sizeof(pm_signals) / sizeof(pm_signals[0]); i++) {
		if (pm_signals[i] != sig)
			continue;
		/* Whoever handled it before (a sanitizer) reports it; else the default kills. */
		const struct sigaction *old = &pm_old[i];
		if (old->sa_flags & SA_SIGINFO && old->sa_sigaction) {
			old->sa_sigaction(sig, info, uc);
			return;
		}
		if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN && old->sa_handler) {
			old->sa_handler(sig);
			return;
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);	/* pending until this returns; a fault that re-executes dies as well */
}

/* The parent asks only when it is about to kill: say where, then stay there, so that the
 * execution said is the one killed. */
static void pm_ask(int sig)
{
	(void)sig;
	pm_write();
	for (;;)
		pause();
}

void ls_postmortem_arm(struct ls_decision *log, size_t logcap)
{
	pm_log = log;
	pm_logcap = logcap;
	pm_armed = true;
	if (own_page)
		own_page->asks = 1;
	/* A stack overflow faults on the fiber's guard: the handler needs a stack of its own,
	 * unless a sanitizer set one up. */
	stack_t old;
	if (sigaltstack(NULL, &old) == 0 && (old.ss_flags & SS_DISABLE)) {
		static char alt[1 << 16];
		stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt), .ss_flags = 0 };
		sigaltstack(&ss, NULL);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = pm_fatal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	for (size_t i = 0; i < sizeof(pm_signals) / sizeof(pm_signals[0]); i++)
		sigaction(pm_signals[i], &sa, &pm_old[i]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pm_ask;
	sa.sa_flags = SA_RESTART | SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
}

/* exit() called by target code: end the process at once with the target's status.  The exit
 * handlers still to run belong to the process the target interrupted (stdio buffers of a command
 * that is not done, LeakSanitizer's check of a heap whose roots are on a stack it cannot see from
 * a fiber), and would only blur how it died. */
static void on_target_exit(int status, void *arg)
{
	(void)arg;
	if (own_page && !__atomic_load_n(&own_page->done, __ATOMIC_ACQUIRE)) {
		pm_write();
		_exit(status);
	}
}

bool ls_child_fork(struct ls_child *c, struct ls_watch_page *page, int *wfd)
{
	memset(c, 0, sizeof(*c));
	c->page = page;
	page->exec = LS_WATCH_IDLE;
	page->progress = 0;
	page->step = 0;
	page->ctx = -1;
	page->site = NULL;
	page->sanitizer = 0;
	page->done = 0;
	page->stop = 0;
	page->where = 0;
	page->asks = 0;
	page->nlog = 0;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		ls_die(LS_EXIT_INTERNAL, "pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGPIPE, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(LS_EXIT_INTERNAL);
		if (!own_page)
			on_exit(on_target_exit, NULL);	/* once: a grandchild inherits it */
		own_page = page;
		if (__sanitizer_set_death_callback)
			__sanitizer_set_death_callback(on_sanitizer_death);
		*wfd = fds[1];
		return true;
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	c->pid = pid;
	c->fd = fds[0];
	return false;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add_decision(struct ls_child *c, const struct ls_decision *d)
{
	if (d->step == BEGIN_MARK) {
		c->n = 0;
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->d = realloc(c->d, c->cap * sizeof(*c->d));
		if (!c->d)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
	}
	c->d[c->n++] = *d;
}

/* Reads what the pipe holds into buf (have bytes kept between calls), adding whole decisions to
 * c.  Returns the bytes read: 0 at EOF, -1 when nothing is there now. */
static ssize_t read_decisions(struct ls_child *c, char *buf, size_t size, size_t *have)
{
	ssize_t n = read(c->fd, buf + *have, size - *have);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -1 : 0;
	*have += (size_t)n;
	size_t off = 0;
	for (; *have - off >= sizeof(struct ls_decision); off += sizeof(struct ls_decision)) {
		struct ls_decision d;
		memcpy(&d, buf + off, sizeof(d));
		add_decision(c, &d);
	}
	memmove(buf, buf + off, *have - off);
	*have -= off;
	return n;
}

void ls_child_wait(struct ls_child *c, double hang_s)
{
	char buf[4096];
	size_t have = 0;
	uint64_t last = __atomic_load_n(&c->page->progress, __ATOMIC_RELAXED);
	double since = now_s(), rss_checked = since, asked = 0;
	bool over = false;	/* the hang timeout or the memory limit is passed */
	bool reaped = false;
	for (;;) {
		/* EOF on the pipe is the usual end; a process the target forked may hold its write
		 * end open, so the child's own end is watched too. */
		if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
			reaped = true;
			while (read_decisions(c, buf, sizeof(buf), &have) > 0)
				;	/* what it wrote before it died */
			break;
		}
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, 100);
		if (pr < 0 && errno != EINTR)
			ls_die(LS_EXIT_INTERNAL, "poll: %s", strerror(errno));
		if (pr > 0 && read_decisions(c, buf, sizeof(buf), &have) == 0)
			break;
		if (ls_stop_signal)
			__atomic_store_n(&c->page->stop, 1, __ATOMIC_RELAXED);
		uint64_t p = __atomic_load_n(&c->page->progress, __ATOMIC_RELAXED);
		double t = now_s();
		if (p != last) {
			last = p;
			since = t;
		}
		/* Memory first: a process filling it is also slow to finish its execution. */
		if (!over && t - rss_checked >= 0.1) {
			rss_checked = t;
			if (ls_rss_over(c->pid))
				over = c->rss = true;
		}
		if (!over && hang_s > 0 && t - since > hang_s)
			over = c->hang = true;
		/* A child with a post-mortem (ls_postmortem_arm()) is asked where it is first. */
		if (over && !c->killed) {
			if (c->page->asks && !asked) {
				asked = t;
				kill(c->pid, SIGUSR2);
			} else if (!c->page->asks ||
				   __atomic_load_n(&c->page->where, __ATOMIC_ACQUIRE) ||
				   t - asked > 0.2) {
				kill(c->pid, SIGKILL);
				c->killed = true;
			}
		}
	}
	while (!reaped && waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	close(c->fd);
	c->fd = -1;
}

void ls_child_take_log(struct ls_child *c, const struct ls_decision *log, size_t cap)
{
	c->n = 0;
	for (uint64_t i = 0; i < c->page->nlog && i < cap; i++)
		add_decision(c, &log[i]);
}

bool ls_child_crashed(const struct ls_child *c)
{
	return c->hang || c->rss || c->page->sanitizer || !WIFEXITED(c->status) ||
	       !__atomic_load_n(&c->page->done, __ATOMIC_ACQUIRE);
}

void ls_child_exiting(void)
{
	if (own_page)
		__atomic_store_n(&own_page->done, 1, __ATOMIC_RELEASE);
}

_Noreturn void ls_child_exit(int code)
{
	ls_child_exiting();
	exit(code);
}

void ls_child_finish(struct ls_child *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->d);
	c->d = NULL;
	c->n = c->cap = 0;
	if (c->own_page)
		ls_shared_destroy(c->page, sizeof(*c->page));
	c->page = NULL;
	c->own_page = false;
}

/* ---- naming a death ------------------------------------------------------------------------ */

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGSYS: return "SIGSYS";
	case SIGKILL: return "SIGKILL";
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGQUIT: return "SIGQUIT";
	case SIGHUP: return "SIGHUP";
	case SIGPIPE: return "SIGPIPE";
	case SIGALRM: return "SIGALRM";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	case SIGXCPU: return "SIGXCPU";
	case SIGXFSZ: return "SIGXFSZ";
	default: return NULL;
	}
}

int ls_child_killed(const struct ls_child *c)
{
	return c->rss ? LS_KILLED_RSS : c->hang ? LS_KILLED_HANG : LS_KILLED_NOT;
}

void ls_death_name(int status, int killed, bool sanitizer, char *buf, size_t n)
{
	if (killed == LS_KILLED_HANG)
		snprintf(buf, n, "hang");
	else if (killed == LS_KILLED_RSS)
		snprintf(buf, n, "out of memory");
	else if (sanitizer)
		snprintf(buf, n, "sanitizer report");
	else if (WIFSIGNALED(status) && signal_name(WTERMSIG(status)))
		snprintf(buf, n, "%s", signal_name(WTERMSIG(status)));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "exit(%d)", WEXITSTATUS(status));
}

/* Where it died: "t1 after READ_ONCE in t1_fn", "nmi@cpu0 at its start", or before any point. */
static void where(const struct ls_session *s, const struct ls_watch_page *p, char *buf, size_t n)
{
	if (p->ctx == LS_WATCH_UNKNOWN)
		snprintf(buf, n, "not reproducible alone");
	else if (p->ctx < 0 || p->ctx >= s->m->nctx)
		snprintf(buf, n, "before the first scheduling point");
	else if (!p->site)
		snprintf(buf, n, "%s at its start", s->m->ctx[p->ctx].name);
	else
		snprintf(buf, n, "%s after %s in %s", s->m->ctx[p->ctx].name, p->site->what,
			 p->site->func);
}

void ls_crash_result(const struct ls_session *s, const struct ls_child *c, uint64_t seed,
		     struct ls_result *r)
{
	char death[64], at[200];
	memset(r, 0, sizeof(*r));
	ls_death_name(c->status, ls_child_killed(c), c->page->sanitizer, death, sizeof(death));
	where(s, c->page, at, sizeof(at));
	r->kind = LS_KIND_CRASH;
	r->seed = seed;
	r->steps = c->page->step;
	snprintf(r->signature, sizeof(r->signature), "crash: %s: %s", death, at);
	r->hash = ls_fnv1a(r->signature, strlen(r->signature));
	ls_bug_from_signature(r);
	snprintf(r->shape, sizeof(r->shape), "crash");
}

void ls_crash_report(const struct ls_session *s, const struct ls_child *c,
		     const struct ls_result *r, const char *strategy, const char *note,
		     const char *replay_path, struct ls_buf *b)
{
	char title[200], death[64];
	const struct ls_watch_page *p = c->page;
	ls_death_name(c->status, ls_child_killed(c), p->sanitizer, death, sizeof(death));
	if (c->rss)
		snprintf(title, sizeof(title), "WARNING: lockstep: crash: out of memory: the process "
					       "held more than --rss-limit-mb %" PRIu64 " MB and was "
					       "killed", ls_rss_limit_mb);
	else if (c->hang)
		snprintf(title, sizeof(title), "WARNING: lockstep: crash: hang: the execution "
					       "outlasted the hang timeout and was killed");
	else if (p->sanitizer)
		snprintf(title, sizeof(title), "WARNING: lockstep: crash: a sanitizer reported an "
					       "error (its report is on standard error)");
	else if (WIFSIGNALED(c->status))
		snprintf(title, sizeof(title), "WARNING: lockstep: crash: %s (%s)", death,
			 strsignal(WTERMSIG(c->status)));
	else
		snprintf(title, sizeof(title), "WARNING: lockstep: crash: the target called %s, "
					       "ending the process that ran it", death);
	size_t len = strlen(title);
	char rule[256];
	if (len >= sizeof(rule))
		len = sizeof(rule) - 1;
	ls_buf_printf(b, "\n");
	memset(rule, '=', len);
	rule[len] = 0;
	ls_buf_printf(b, "%s\n%s\n", rule, title);
	memset(rule, '-', len);
	ls_buf_printf(b, "%s\n", rule);
	ls_buf_printf(b, "%s:%s, %s seed %" PRIu64 ": died after step %" PRIu64 ", %zu decision%s\n",
		      s->target->name, s->target->variants[s->variant].name, strategy, r->seed,
		      r->steps, c->n, c->n == 1 ? "" : "s");
	ls_buf_printf(b, "signature %012llx: %s\n\n", r->hash & 0xffffffffffffull, r->signature);
	if (p->ctx == LS_WATCH_UNKNOWN) {
		/* the note says why */
	} else if (p->ctx < 0 || p->ctx >= s->m->nctx) {
		ls_buf_printf(b, "It died before the execution reached its first scheduling point "
				 "(in the target's init(), or in lockstep).\n");
	} else if (!p->site) {
		ls_buf_printf(b, "It died in %s, which had just started, before its first "
				 "operation.\n", s->m->ctx[p->ctx].name);
	} else {
		ls_buf_printf(b, "It died in %s, which ran on from %s in %s (%s:%d):\nin that "
				 "operation, in the code after it, or in the target's check() if the "
				 "execution had ended.\n",
			      s->m->ctx[p->ctx].name, p->site->what, p->site->func,
			      ls_site_file(p->site->file), p->site->line);
	}
	if (note && *note)
		ls_buf_printf(b, "\n%s\n", note);
	if (replay_path) {
		ls_buf_printf(b, "\nreplay: ");
		const struct ls_ksrc_build *k = ls_ksrc_active();
		ls_replay_command(s->target->name, k ? k->tree : NULL, replay_path, b);
		ls_buf_printf(b, "\n");
	}
}

void ls_crash_trace(const struct ls_session *s, const struct ls_child *c,
		    const struct ls_result *r, const char *strategy, struct ls_buf *b)
{
	struct ls_trace_exec main = { r->seed, c->d, c->n };
	ls_trace_write_execs(s, r, strategy, NULL, 0, &main, b);
}

bool ls_crash_record(struct ls_session *s, struct ls_strategy *st, uint64_t seed, double hang_s,
		     struct ls_child *c)
{
	struct ls_watch_page *page = ls_shared_create(sizeof(*page));
	int wfd;
	if (ls_child_fork(c, page, &wfd)) {
		struct ls_watch w;
		struct ls_result r;
		ls_watch_init(&w, st, page, wfd);
		page->exec = 0;
		ls_session_run(s, &w.base, seed, &r);
		ls_child_exiting();
		_exit(0);
	}
	c->own_page = true;
	ls_child_wait(c, hang_s);
	return ls_child_crashed(c);
}

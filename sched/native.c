/* The native runtime: the same targets and model library on real threads, for `lockstep stress`.
 *
 * This file implements runtime.h a second time, for a build of the model library and the targets
 * compiled with LS_NATIVE (every access under a point is then a hardware atomic, see runtime.h).
 * Nothing is serialized: it is what a stress test does today, the baseline the engines are
 * measured against.
 *
 *   CPUs and tasks.  Each task is a pthread, pinned to core (its CPU mod the online cores).  The
 *   tasks of one simulated CPU share it through an ownership word: a task runs only while it
 *   owns its CPU, and hands it over where it is preemptible (interrupts on, preempt count zero):
 *   now and then at a point, and while it waits.  Per-CPU data is therefore only ever touched
 *   by its CPU's running context and the interrupts over it, as in the kernel.
 *   A task that finishes keeps its CPU, idle with interrupts on, unless another task needs it.
 *
 *   Rounds.  One round is one execution: model reset and the target's init(), every task's
 *   function once, then the target's check().  Tasks wait for a round by spinning (then on a
 *   futex), so they start together; the last task to finish closes the round, runs the check
 *   and starts the next one.
 *
 *   Interrupts.  NMIs are signals from a per-thread POSIX timer, armed at a uniformly random
 *   moment within twice the mean round length; the handler runs the NMI source's function as
 *   the CPU's NMI context on the interrupted thread, whatever it was doing.  Hardirqs are
 *   another timer's signal, and ls_irq_raise() (a self-IPI or a pthread_kill to the CPU's
 *   owner).  Interrupt disabling is a per-context flag, as lazy irq masking is: a hardirq that
 *   arrives while interrupts are off is left pending on its CPU and runs when they come back
 *   on.  NMIs never nest and ignore the flag.  Each source fires at most its budget per CPU
 *   per round, as in the simulator.
 *
 *   Waiting.  ls_park() spins (with pause, yielding now and then) until the word changes or its
 *   deadline passes; a deadline is in real nanoseconds since the round began, so rqspinlock's
 *   timeouts take their real 250 ms.  The word is compared with its value at the context's last
 *   point on it, so a release between the caller's check and the park is not slept through; and
 *   after 20 us of an unchanged word the park returns anyway, as a spurious wake-up (callers
 *   re-check): a check that read the word without a point, or a store of the same value, costs
 *   at most that.
 *
 *   Findings.  A failed check or a model BUG (ls_fail) and the first stall of a round are
 *   written to the shared page.  A hang is not seen here: the parent's watchdog sees the round
 *   count stop, and this process's reporter thread then describes what each context waits for,
 *   from the model's own names and owners, following the waits into a cycle when there is one.
 *
 * Left out: the lock validator (it is not thread-safe; lockdep_* calls are no-ops here), traces
 * (nothing here is deterministic, so nothing replays), and out-of-tree targets (compiled for the
 * simulator, their atomics are plain accesses).
 */
#define _GNU_SOURCE
#include "native.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <lockstep/runtime.h>

#include "cycle.h"

#define MAX_CTX (LS_MAX_TASKS + 3 * LS_MAX_CPUS)
#define SIG_NMI (SIGRTMIN)
#define SIG_IRQ (SIGRTMIN + 1)
#define SIG_KICK (SIGRTMIN + 2)
#define RAISED_BIT 31u
#define SPURIOUS_NS 20000ull
#define GAP_NS 100000ull

enum { NS_IDLE, NS_RUN, NS_PARKED, NS_DONE };

struct nctx {
	int id, cpu;
	enum ls_ctx_kind kind;
	const char *name;
	char namebuf[24];
	bool irqs_off;
	int preempt;
	int bh;				/* local_bh_disable() depth */
	int state;			/* NS_*, read by the reporter */
	const struct ls_site *site;	/* of the last point or park */
	const void *addr;
	const void *seen_addr;		/* the last point's address, and its 8-byte word */
	uint64_t seen;			/* as that point found it */
	uint64_t points;
	struct nctx *over;		/* the interrupt running over this context */
	struct nctx *below;		/* for an interrupt: the context it interrupted */
};

struct nthread {
	int task;
	int cpu;
	pthread_t tid;
	timer_t timer[2];		/* NMI, hardirq; armed only if the target has such sources */
	bool has_timer[2];
	struct nctx *cur;		/* NULL outside a round */
	bool owns;			/* owns its CPU */
	bool delivering;
	uint64_t rng;
	uint64_t gen;			/* the last round it ran */
	/* Time the host took this thread away this round (see sample()). */
	uint64_t last_sample, stolen;
	unsigned npoints;
};

struct ncpu {
	int owner;			/* task index owning the CPU, -1 none */
	unsigned pending;		/* hardirq sources pending; RAISED_BIT: ls_irq_raise() */
	int nmi_left[LS_MAX_IRQ_SOURCES];
	int irq_left[LS_MAX_IRQ_SOURCES];
	int ntasks;
	int undone;			/* tasks of this CPU not finished this round */
	int waiting;			/* tasks of this CPU waiting for it */
	struct nctx *hardirq, *nmi, *softirq;
	unsigned softirq_pending;	/* raised vectors; only the CPU's owner touches it */
};

static struct {
	const struct ls_target *t;
	int variant;
	struct ls_native_shared *sh;
	int ncpus, ntasks, nctx, ncores;
	struct nctx ctx[MAX_CTX];
	struct ncpu cpu[LS_MAX_CPUS];
	struct nthread thr[LS_MAX_TASKS];
	uint64_t gen;			/* futex word (low half): the round number */
	unsigned gen_futex;
	int quit;
	int closing;			/* the round is over: interrupts that arrive now do nothing */
	int inflight;			/* interrupt handlers running */
	int done;			/* tasks finished this round */
	uint64_t round_t0;		/* CLOCK_MONOTONIC at the round's start */
	uint64_t mean_round_ns;
	int stalled;			/* a stall was recorded this round */
	uint64_t stall_waited;
	char stall_text[LS_NATIVE_TEXT];
	const struct ls_model_hooks *hooks;
	void (*reset)(void);		/* the layer above's, before each round */
	void (*raised_irq)(int cpu);
	void (*softirq_fn)(unsigned nr);
	int fail_lock;
} N;

static __thread struct nthread *self;

/* ---- small helpers ------------------------------------------------------------------------ */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ull);	/* splitmix64 */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)

static void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static void futex_wait(unsigned *w, unsigned v)
{
	syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void futex_wake(unsigned *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

/* ---- names, as the simulator gives them (reports use the same ids and names) --------------- */

const char *ls_op_name(enum ls_op op)
{
	static const char *const names[LS_OP_COUNT] = {
		"load", "store", "rmw", "fence", "park", "enter", "exit",
	};
	return (unsigned)op < LS_OP_COUNT ? names[op] : "?";
}

const char *ls_kind_name(enum ls_kind kind)
{
	static const char *const names[LS_KIND_COUNT] = {
		"none", "deadlock", "stall", "invariant", "lockdep", "averted", "crash",
	};
	return (unsigned)kind < LS_KIND_COUNT ? names[kind] : "?";
}

/* Host noise.  A kernel CPU spinning with preemption off is never taken away; a thread is, and
 * a waiter whose thread (or whose lock holder's thread) the host descheduled sees a long wait
 * that is no stall of the code.  Every thread samples the clock now and then (every 16th point,
 * while it waits, as an interrupt handler begins and ends, and as a task ends) and counts what a
 * gap between samples has beyond GAP_NS as stolen.  A stall in a round where some thread had at least half the
 * stall's wait stolen is put down to the host: counted, not reported. */
static void sample(struct nthread *t, uint64_t now)
{
	uint64_t gap = now - t->last_sample;
	if (gap > GAP_NS)
		t->stolen += gap - GAP_NS;
	t->last_sample = now;
}

/* ---- the runtime API ---------------------------------------------------------------------- */

/* The aligned 8-byte word holding addr, as the simulator parks on it. */
static inline const uint64_t *word_of(const void *addr)
{
	return (const uint64_t *)((uintptr_t)addr & ~(uintptr_t)7);
}

/* Reads that word.  It may reach past a smaller object into its neighbour (never past a page:
 * the word is aligned), which AddressSanitizer would call an overflow; only equality with an
 * earlier read of the same word matters here. */
__attribute__((no_sanitize_address, noinline)) static uint64_t read_word(const uint64_t *w)
{
	return __atomic_load_n(w, __ATOMIC_ACQUIRE);
}

static inline struct nctx *cur(void)
{
	return self ? self->cur : NULL;
}

static void cpu_acquire(struct nthread *t)
{
	struct ncpu *c = &N.cpu[t->cpu];
	if (t->owns)
		return;
	ADD(&c->waiting, 1);
	for (unsigned n = 0;; n++) {
		int expect = -1;
		if (LOAD(&c->owner) == -1 &&
		    __atomic_compare_exchange_n(&c->owner, &expect, t->task, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			break;
		if ((n & 63) == 63)
			sched_yield();
		else
			cpu_pause();
	}
	ADD(&c->waiting, -1);
	t->owns = true;
}

static void cpu_release(struct nthread *t)
{
	if (!t->owns)
		return;
	t->owns = false;
	STORE(&N.cpu[t->cpu].owner, -1);
}

static bool preemptible(const struct nctx *c)
{
	return c->kind == LS_CTX_TASK && !c->irqs_off && c->preempt == 0;
}

static bool interruptible(const struct nctx *c)
{
	return (c->kind == LS_CTX_TASK && (c->state == NS_DONE || !c->irqs_off)) ||
	       (c->kind == LS_CTX_SOFTIRQ && !c->irqs_off);
}

static void run_softirqs(struct nthread *t, bool preemptible);

/* Runs fn as the CPU's hardirq or NMI context over whatever the thread was running. */
static void run_interrupt(struct nthread *t, struct nctx *h, void (*fn)(void *), void *arg,
			  void (*raised)(int))
{
	ADD(&N.inflight, 1);
	if (__atomic_load_n(&N.closing, __ATOMIC_SEQ_CST) || !t->owns || !t->cur) {
		ADD(&N.inflight, -1);
		return;
	}
	struct nctx *prev = t->cur;
	sample(t, mono_ns());
	h->irqs_off = h->kind != LS_CTX_SOFTIRQ;
	h->preempt = 0;
	h->bh = 0;
	h->over = NULL;
	h->below = prev;
	h->site = NULL;
	h->seen_addr = NULL;
	STORE(&h->state, NS_RUN);
	/* The thread's context first: an NMI landing in between runs over h, not prev. */
	t->cur = h;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	STORE(&prev->over, h);
	if (raised)
		raised(t->cpu);
	else
		fn(arg);
	STORE(&prev->over, NULL);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->cur = prev;
	STORE(&h->state, NS_IDLE);
	sample(t, mono_ns());
	ADD(&N.inflight, -1);
}

/* Runs the CPU's pending hardirqs if the thread owns it and may be interrupted now. */
static void try_deliver(struct nthread *t)
{
	if (!t || !t->owns || !t->cur || t->delivering || !interruptible(t->cur))
		return;
	struct ncpu *c = &N.cpu[t->cpu];
	unsigned p;
again:
	t->delivering = true;
	while ((p = __atomic_exchange_n(&c->pending, 0, __ATOMIC_SEQ_CST))) {
		if (p & (1u << RAISED_BIT)) {
			if (N.raised_irq)
				run_interrupt(t, c->hardirq, NULL, NULL, N.raised_irq);
		}
		for (int s = 0; s < N.t->nirqs; s++)
			if (p & (1u << s))
				run_interrupt(t, c->hardirq, N.t->irqs[s].fn, N.t->irqs[s].arg, NULL);
	}
	t->delivering = false;
	/* A hardirq raised after the last exchange found us delivering and left it pending. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (LOAD(&c->pending))
		goto again;
	run_softirqs(t, false);	/* irq_exit() */
}

/* The CPU's pending softirqs, as the simulator runs them (sched/machine.c): over a task with
 * bottom halves on (and, where ksoftirqd would have to preempt it, interrupts and preemption on
 * too), in the CPU's softirq context, with interrupts on. */
static void softirq_vector(void *arg)
{
	if (N.softirq_fn)
		N.softirq_fn((unsigned)(uintptr_t)arg);
}

static void run_softirqs(struct nthread *t, bool preemptible)
{
	struct nctx *c = t ? t->cur : NULL;
	if (!c || !t->owns || c->kind != LS_CTX_TASK || c->bh ||
	    (preemptible && (c->irqs_off || c->preempt)))
		return;
	struct ncpu *cpu = &N.cpu[t->cpu];
	unsigned p;
	while ((p = __atomic_exchange_n(&cpu->softirq_pending, 0, __ATOMIC_SEQ_CST)))
		for (; p; p &= p - 1)
			run_interrupt(t, cpu->softirq, softirq_vector,
				      (void *)(uintptr_t)__builtin_ctz(p), NULL);
}

void ls_point(enum ls_op op, const void *addr, const struct ls_site *site)
{
	struct nthread *t = self;
	struct nctx *c = t ? t->cur : NULL;
	if (!c)
		return;
	c->site = site;
	c->addr = addr;
	c->seen_addr = addr;
	if (addr)
		c->seen = read_word(word_of(addr));
	__atomic_store_n(&c->points, c->points + 1, __ATOMIC_RELAXED);
	if (op == LS_OP_FENCE)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if ((++t->npoints & 15) == 0)
		sample(t, mono_ns());
	/* Another task of this CPU wants it: sometimes let it run, where the kernel could. */
	if (t->cur == c && preemptible(c) && LOAD(&N.cpu[t->cpu].waiting) &&
	    (rnd(&t->rng) & 7) == 0) {
		cpu_release(t);
		sched_yield();
		cpu_acquire(t);
		try_deliver(t);
	}
}

void ls_wrote(const void *addr)
{
	(void)addr;	/* waiters watch the word itself */
}

uint64_t ls_now(void)
{
	return self && self->cur ? mono_ns() - LOAD(&N.round_t0) : 0;
}

/* Real CPUs are slow on their own here; the scheduler holds none back. */
uint64_t ls_slowed_ns(void)
{
	return 0;
}

bool ls_wait_in_cycle(const void *addr)
{
	(void)addr;
	return false;
}

bool ls_park(const void *addr, uint64_t deadline, const struct ls_site *site)
{
	struct nthread *t = self;
	struct nctx *c = t ? t->cur : NULL;
	if (!c)
		return true;
	const uint64_t *w = word_of(addr);
	uint64_t v0 = c->seen_addr == addr ? c->seen : read_word(w);
	c->seen_addr = NULL;	/* a second park without a point reads the word afresh */
	c->site = site;
	c->addr = addr;
	STORE(&c->state, NS_PARKED);
	bool give = preemptible(c) && N.cpu[t->cpu].ntasks > 1;
	if (give)
		cpu_release(t);
	uint64_t start = mono_ns();
	bool woken = true;
	for (unsigned n = 1;; n++) {
		if (read_word(w) != v0)
			break;
		if ((n & 31) == 0) {
			uint64_t now = mono_ns();
			sample(t, now);
			if (deadline != LS_NO_DEADLINE && now - LOAD(&N.round_t0) >= deadline) {
				woken = false;
				break;
			}
			if (now - start >= SPURIOUS_NS)
				break;
			if ((n & 1023) == 0 && N.ntasks > N.ncores)
				sched_yield();
		}
		cpu_pause();
	}
	if (give)
		cpu_acquire(t);
	STORE(&c->state, NS_RUN);
	try_deliver(t);
	return woken;
}

int ls_ctx_id(void)
{
	struct nctx *c = cur();
	return c ? c->id : -1;
}

int ls_cpu(void)
{
	struct nctx *c = cur();
	return c ? c->cpu : 0;
}

int ls_ncpus(void)
{
	return N.ncpus;
}

int ls_ntasks(void)
{
	return N.ntasks;
}

int ls_ctx_task(void)
{
	const struct nctx *c = cur();
	while (c && c->kind != LS_CTX_TASK)
		c = c->below;
	return c ? c->id : -1;
}

enum ls_ctx_kind ls_ctx_kind(void)
{
	struct nctx *c = cur();
	return c ? c->kind : LS_CTX_TASK;
}

const char *ls_ctx_name(int id)
{
	return id >= 0 && id < N.nctx ? N.ctx[id].name : "none";
}

unsigned long ls_irq_save(void)
{
	struct nctx *c = cur();
	if (!c)
		return 0;
	unsigned long flags = c->irqs_off;
	c->irqs_off = true;
	return flags;
}

void ls_irq_restore(unsigned long flags)
{
	struct nctx *c = cur();
	if (!c)
		return;
	c->irqs_off = flags != 0;
	if (!c->irqs_off) {
		try_deliver(self);
		run_softirqs(self, true);
	}
}

void ls_irq_disable(void)
{
	struct nctx *c = cur();
	if (c)
		c->irqs_off = true;
}

void ls_irq_enable(void)
{
	ls_irq_restore(0);
}

bool ls_irqs_disabled(void)
{
	struct nctx *c = cur();
	return c && c->irqs_off;
}

void ls_preempt_disable(void)
{
	struct nctx *c = cur();
	if (c)
		c->preempt++;
}

void ls_preempt_enable(void)
{
	struct nctx *c = cur();
	if (!c)
		return;
	if (c->preempt <= 0)
		ls_fail(NULL, "preempt_enable() without preempt_disable() in %s", c->name);
	c->preempt--;
	if (c->preempt == 0)
		run_softirqs(self, true);
}

int ls_preempt_count(void)
{
	struct nctx *c = cur();
	return c ? c->preempt + c->bh : 0;
}

void ls_bh_disable(void)
{
	struct nctx *c = cur();
	if (c)
		c->bh++;
}

void ls_bh_enable(void)
{
	struct nctx *c = cur();
	if (!c)
		return;
	if (c->bh <= 0)
		ls_fail(NULL, "local_bh_enable() without local_bh_disable() in %s", c->name);
	if (--c->bh == 0)
		run_softirqs(self, false);
}

static bool chain_softirq(const struct nctx *c, bool bh)
{
	for (; c; c = c->below)
		if (c->kind == LS_CTX_SOFTIRQ || (bh && c->bh))
			return true;
	return false;
}

bool ls_in_interrupt(void)
{
	struct nctx *c = cur();
	return c && (c->kind != LS_CTX_TASK || c->bh);
}

bool ls_in_softirq(void)
{
	return chain_softirq(cur(), true);
}

bool ls_in_serving_softirq(void)
{
	return chain_softirq(cur(), false);
}

bool ls_softirqs_enabled(void)
{
	return !chain_softirq(cur(), true);
}

void ls_softirq_raise(unsigned nr)
{
	struct nthread *t = self;
	if (!t || !t->cur || nr >= LS_NR_SOFTIRQS)
		return;
	__atomic_fetch_or(&N.cpu[t->cpu].softirq_pending, 1u << nr, __ATOMIC_SEQ_CST);
	run_softirqs(t, true);
}

void ls_set_softirq_handler(void (*fn)(unsigned nr))
{
	N.softirq_fn = fn;
}

void ls_irq_raise(int cpu)
{
	if (cpu < 0 || cpu >= N.ncpus)
		return;
	__atomic_fetch_or(&N.cpu[cpu].pending, 1u << RAISED_BIT, __ATOMIC_SEQ_CST);
	struct nthread *t = self;
	if (t && t->cpu == cpu) {
		try_deliver(t);
		return;
	}
	int owner = LOAD(&N.cpu[cpu].owner);
	if (owner >= 0)
		pthread_kill(N.thr[owner].tid, SIG_KICK);
}

void ls_set_raised_irq_handler(void (*fn)(int cpu))
{
	N.raised_irq = fn;
}

void ls_set_model_hooks(const struct ls_model_hooks *hooks)
{
	N.hooks = hooks;
}

static uint64_t since_start(void)
{
	return mono_ns() - N.sh->start_ns;
}

static void site_text(const struct ls_site *site, char *buf, size_t n)
{
	if (site)
		snprintf(buf, n, " at %s:%d (%s, %s)", ls_site_file(site->file), site->line,
			 site->func, site->what);
	else
		buf[0] = 0;
}

/* A finding's message and the " at file:line (function, API)" of its site. */
static void note_text(char *what, size_t wn, char *where, size_t hn, const struct ls_site *site,
		      const char *fmt, va_list ap)
{
	vsnprintf(what, wn, fmt, ap);
	site_text(site, where, hn);
}

/* A failure inside a context ends the whole run at once: the other threads may be mid-way
 * through anything, and the finding is already on the shared page. */
void ls_fail(const struct ls_site *site, const char *fmt, ...)
{
	struct ls_native_shared *sh = N.sh;
	if (!sh)
		return;
	int expect = 0;
	if (!__atomic_compare_exchange_n(&N.fail_lock, &expect, 1, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST)) {
		if (cur())
			for (;;)
				pause();	/* another context is reporting and exiting */
		return;
	}
	char what[1024], where[512];
	va_list ap;
	va_start(ap, fmt);
	note_text(what, sizeof(what), where, sizeof(where), site, fmt, ap);
	va_end(ap);
	struct nctx *c = cur();
	snprintf(sh->text, sizeof(sh->text), "invariant: %s\n  in %s%s\n", what,
		 c ? c->name : "the target's check", where);
	sh->found_round = LOAD(&sh->rounds);
	sh->found_ns = since_start();
	STORE(&sh->kind, LS_KIND_INVARIANT);
	/* In a context nothing can go on; in check() it is recorded and close_round() judges it. */
	if (c)
		_exit(LS_NATIVE_EXIT_FOUND);
}

void ls_stall(const struct ls_site *site, uint64_t waited_ns, const char *fmt, ...)
{
	struct nctx *c = cur();
	int expect = 0;
	if (!c || !__atomic_compare_exchange_n(&N.stalled, &expect, 1, false, __ATOMIC_SEQ_CST,
					       __ATOMIC_SEQ_CST))
		return;
	char what[1024], where[512];
	va_list ap;
	va_start(ap, fmt);
	note_text(what, sizeof(what), where, sizeof(where), site, fmt, ap);
	va_end(ap);
	N.stall_waited = waited_ns;
	snprintf(N.stall_text, sizeof(N.stall_text),
		 "stall: %s on CPU%d: %s\n  in %s%s, after %llu.%llu ms\n", c->name, c->cpu, what,
		 c->name, where, (unsigned long long)(waited_ns / 1000000),
		 (unsigned long long)(waited_ns / 100000 % 10));
}

/* ---- interrupts --------------------------------------------------------------------------- */

static void arm(struct nthread *t, int which)
{
	if (!t->has_timer[which])
		return;
	uint64_t span = 2 * LOAD(&N.mean_round_ns);
	uint64_t d = 1000 + (span ? rnd(&t->rng) % span : 0);
	struct itimerspec its = { .it_value = { (time_t)(d / 1000000000ull),
						(long)(d % 1000000000ull) } };
	timer_settime(t->timer[which], 0, &its, NULL);
}

/* Takes one unit of a random source's budget on cpu; -1 when none is left. */
static int take_source(struct nthread *t, int *left, int n)
{
	if (n == 0)
		return -1;
	int first = (int)(rnd(&t->rng) % (unsigned)n);
	for (int k = 0; k < n; k++) {
		int s = (first + k) % n;
		int v = LOAD(&left[s]);
		while (v > 0)
			if (__atomic_compare_exchange_n(&left[s], &v, v - 1, false,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				return s;
	}
	return -1;
}

static void on_nmi(int sig)
{
	(void)sig;
	int saved = errno;
	struct nthread *t = self;
	if (t && t->owns && t->cur && t->cur->kind != LS_CTX_NMI && !LOAD(&N.closing)) {
		struct ncpu *c = &N.cpu[t->cpu];
		int s = take_source(t, c->nmi_left, N.t->nnmis);
		if (s >= 0) {
			run_interrupt(t, c->nmi, N.t->nmis[s].fn, N.t->nmis[s].arg, NULL);
			try_deliver(t);	/* a hardirq the NMI raised, if the context below allows */
			arm(t, 0);	/* for what is left of the budget */
		}
	}
	errno = saved;
}

static void on_irq(int sig)
{
	int saved = errno;
	struct nthread *t = self;
	if (t && sig == SIG_IRQ && t->owns && t->cur && !LOAD(&N.closing)) {
		struct ncpu *c = &N.cpu[t->cpu];
		int s = take_source(t, c->irq_left, N.t->nirqs);
		if (s >= 0) {
			__atomic_fetch_or(&c->pending, 1u << s, __ATOMIC_SEQ_CST);
			arm(t, 1);
		}
	}
	try_deliver(t);
	errno = saved;
}

static bool install(int sig, void (*fn)(int), bool block_nmi)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIG_IRQ);
	sigaddset(&sa.sa_mask, SIG_KICK);
	if (block_nmi)
		sigaddset(&sa.sa_mask, SIG_NMI);
	return sigaction(sig, &sa, NULL) == 0;
}

/* ---- the hang reporter -------------------------------------------------------------------- */

static const char *state_name(const struct nctx *c)
{
	switch (LOAD(&c->state)) {
	case NS_PARKED:
		return "waits";
	case NS_DONE:
		return "finished";
	case NS_RUN:
		return "runs";
	default:
		return "idle";
	}
}

/* One link of a chain: what c waits for, and the context holding it (-1: nobody known). */
static int describe_wait(const struct ls_model_hooks *hooks, const struct nctx *c, char *buf,
			 size_t n)
{
	const struct nctx *h = LOAD(&c->over);
	if (h) {
		snprintf(buf, n, "%s is interrupted by %s", c->name, h->name);
		return h->id;
	}
	if (LOAD(&c->state) != NS_PARKED) {
		const struct ls_site *s = c->site;
		snprintf(buf, n, "%s %s%s%s", c->name, state_name(c), s ? " in " : "",
			 s ? s->what : "");
		return -1;
	}
	char name[160] = "an unnamed word";
	const void *addr = c->addr;
	if (hooks && !(hooks->describe_wait && hooks->describe_wait(addr, name, sizeof(name))) &&
	    hooks->describe)
		hooks->describe(addr, name, sizeof(name));
	struct ls_blocker b = { -1, LS_WAIT_NOBODY };
	if (hooks && hooks->blocker)
		b = hooks->blocker(addr, c->id);
	bool known = b.ctx >= 0 && b.ctx < N.nctx && b.ctx != c->id;
	if (known)
		snprintf(buf, n, "%s waits in %s on %s %s %s", c->name,
			 c->site ? c->site->what : "?", name, ls_wait_rel_text(b.rel),
			 N.ctx[b.ctx].name);
	else
		snprintf(buf, n, "%s waits in %s on %s", c->name, c->site ? c->site->what : "?",
			 name);
	return known ? b.ctx : -1;
}

static void hang_report(struct ls_native_shared *sh)
{
	/* Everything waits (a deadlock), or something still runs without finishing the round (a
	 * livelock, reported as a stall).  Waiters leave ls_park() now and then to re-check, so a
	 * context counts as running only if it is seen outside a wait in most of 20 samples. */
	int running[MAX_CTX] = { 0 };
	for (int k = 0; k < 20; k++) {
		for (int i = 0; i < N.nctx; i++) {
			const struct nctx *c = &N.ctx[i];
			if (LOAD(&c->state) == NS_RUN && !LOAD(&c->over))
				running[i]++;
		}
		struct timespec pause_ts = { 0, 2500 * 1000 };
		nanosleep(&pause_ts, NULL);
	}
	bool moving = false;
	for (int i = 0; i < N.nctx; i++)
		if (running[i] > 10)
			moving = true;

	char *out = sh->report;
	size_t n = sizeof(sh->report), len = 0;
	/* One read of the hooks: a round that turns out live may reset them meanwhile. */
	const struct ls_model_hooks *hooks = __atomic_load_n(&N.hooks, __ATOMIC_ACQUIRE);
	/* Each context's link, taken once.  A context the samples saw waiting may be caught
	 * between two looks of its wait: it is asked again, for up to 20 ms, until it waits. */
	int next[MAX_CTX];
	static char links[MAX_CTX][256];
	for (int i = 0; i < N.nctx; i++)
		for (int k = 0;; k++) {
			const struct nctx *c = &N.ctx[i];
			next[i] = describe_wait(hooks, c, links[i], sizeof(links[i]));
			if (moving || running[i] > 10 || k == 40 || LOAD(&c->state) != NS_RUN ||
			    LOAD(&c->over))
				break;
			struct timespec again_ts = { 0, 500 * 1000 };
			nanosleep(&again_ts, NULL);
		}
	/* The chain: the wait-for cycle from its lowest context, as the simulator words it, or
	 * else from the first blocked task as far as it goes. */
	int start = ls_cycle_start(next, N.nctx);
	for (int i = 0; i < N.ntasks && start < 0; i++)
		if (LOAD(&N.ctx[i].state) == NS_PARKED || LOAD(&N.ctx[i].over))
			start = i;
	for (int i = 0; i < N.ntasks && start < 0; i++)
		if (LOAD(&N.ctx[i].state) == NS_RUN)
			start = i;
	len += (size_t)snprintf(out + len, n - len, "%s: ", moving ? "stall" : "deadlock");
	bool seen[MAX_CTX] = { false };
	for (int c = start, hops = 0; c >= 0 && hops < N.nctx && len < n; hops++) {
		if (seen[c])
			break;
		seen[c] = true;
		const char *link = links[c];
		len += (size_t)snprintf(out + len, n - len, "%s%s", hops ? ", which " : "",
					hops ? strchr(link, ' ') + 1 : link);
		c = next[c];
	}
	if (start < 0 && len < n)
		len += (size_t)snprintf(out + len, n - len, "no context is running");
	if (len < n)
		len += (size_t)snprintf(out + len, n - len, "\n");
	for (int i = 0; i < N.nctx && len < n; i++) {
		const struct nctx *c = &N.ctx[i];
		int st = LOAD(&c->state);
		if (c->kind != LS_CTX_TASK && st == NS_IDLE)
			continue;
		char link[256], where[512];
		describe_wait(hooks, c, link, sizeof(link));
		site_text(c->site, where, sizeof(where));
		len += (size_t)snprintf(out + len, n - len, "  cpu%d %s%s\n", c->cpu, link,
					st == NS_DONE ? "" : where);
	}
	sh->report_kind = moving ? LS_KIND_STALL : LS_KIND_DEADLOCK;
}

static void *reporter(void *arg)
{
	struct ls_native_shared *sh = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		while (!LOAD(&sh->report_req))
			syscall(SYS_futex, &sh->report_req, FUTEX_WAIT, 0, NULL, NULL, 0);
		hang_report(sh);
		STORE(&sh->report_done, 1);
		syscall(SYS_futex, &sh->report_done, FUTEX_WAKE, 1, NULL, NULL, 0);
		STORE(&sh->report_req, 0);
	}
	return NULL;
}

/* ---- rounds ------------------------------------------------------------------------------- */

static void reset_round(void)
{
	const struct ls_target *t = N.t;
	N.hooks = NULL;
	N.raised_irq = NULL;
	if (N.reset)
		N.reset();
	t->init(N.variant);
	for (int i = 0; i < N.ncpus; i++) {
		struct ncpu *c = &N.cpu[i];
		c->owner = -1;
		c->pending = 0;
		c->undone = c->ntasks;
		for (int s = 0; s < t->nnmis; s++)
			c->nmi_left[s] = (t->nmis[s].cpus >> i) & 1 ?
					 (int)(t->nmis[s].budget ? t->nmis[s].budget : 1) : 0;
		for (int s = 0; s < t->nirqs; s++)
			c->irq_left[s] = (t->irqs[s].cpus >> i) & 1 ?
					 (int)(t->irqs[s].budget ? t->irqs[s].budget : 1) : 0;
	}
	for (int i = 0; i < N.nctx; i++) {
		struct nctx *c = &N.ctx[i];
		c->irqs_off = false;
		c->preempt = 0;
		c->over = NULL;
		c->site = NULL;
		c->addr = NULL;
		c->seen_addr = NULL;
		c->state = c->kind == LS_CTX_TASK ? NS_RUN : NS_IDLE;
	}
	for (int i = 0; i < N.ntasks; i++)
		STORE(&N.thr[i].owns, false);
	N.done = 0;
	N.stalled = 0;
	__atomic_store_n(&N.closing, 0, __ATOMIC_SEQ_CST);
}

static void start_round(void)
{
	STORE(&N.round_t0, mono_ns());
	uint64_t g = ADD(&N.gen, 1);
	STORE(&N.gen_futex, (unsigned)g);
	futex_wake(&N.gen_futex);
}

/* The last task to finish: close the round, judge it, start the next.  Returns false to stop. */
static bool close_round(void)
{
	struct ls_native_shared *sh = N.sh;
	/* Dekker with run_interrupt(): both sides store, then load, sequentially consistent. */
	__atomic_store_n(&N.closing, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&N.inflight, __ATOMIC_SEQ_CST))
		cpu_pause();
	uint64_t len = mono_ns() - LOAD(&N.round_t0);
	N.mean_round_ns = (N.mean_round_ns * 15 + len) / 16;
	if (len > sh->max_round_ns)
		STORE(&sh->max_round_ns, len);

	const struct ls_variant *v = &N.t->variants[N.variant];
	if (N.t->check)
		N.t->check(N.variant);	/* ls_fail() records a failure on the shared page */
	int kind = LOAD(&sh->kind);
	if (kind == LS_KIND_INVARIANT && !ls_variant_bug(v, LS_KIND_INVARIANT)) {
		sh->other[LS_KIND_INVARIANT]++;
		STORE(&sh->kind, 0);
		N.fail_lock = 0;
		kind = 0;
	}
	uint64_t stolen = 0;
	for (int i = 0; i < N.ntasks; i++)
		if (N.thr[i].stolen > stolen)
			stolen = N.thr[i].stolen;
	if (!kind && N.stalled && 2 * stolen >= N.stall_waited) {
		sh->stalls_discarded++;
	} else if (!kind && N.stalled) {
		if (ls_variant_bug(v, LS_KIND_STALL)) {
			snprintf(sh->text, sizeof(sh->text), "%s", N.stall_text);
			sh->found_round = LOAD(&sh->rounds);
			sh->found_ns = since_start();
			STORE(&sh->kind, LS_KIND_STALL);
			kind = LS_KIND_STALL;
		} else {
			sh->other[LS_KIND_STALL]++;
		}
	}
	ADD(&sh->rounds, 1);
	if (kind) {
		STORE(&N.quit, 1);
		return false;
	}
	if (LOAD(&sh->stop)) {
		STORE(&N.quit, 1);
		return false;
	}
	reset_round();
	start_round();
	return true;
}

static void wait_round(struct nthread *t)
{
	for (unsigned n = 0;; n++) {
		uint64_t g = LOAD(&N.gen);
		if (g != t->gen || LOAD(&N.quit)) {
			t->gen = g;
			return;
		}
		if (n < 20000) {
			cpu_pause();
		} else {
			try_deliver(t);	/* idle: a pending hardirq runs here */
			futex_wait(&N.gen_futex, (unsigned)g);
		}
	}
}

static void *task_main(void *arg)
{
	struct nthread *t = arg;
	self = t;
	struct nctx *me = &N.ctx[t->task];
	const struct ls_task_decl *d = &N.t->tasks[t->task];
	for (int w = 0; w < 2; w++) {
		if (!t->has_timer[w])
			continue;
		struct sigevent sev;
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = w == 0 ? SIG_NMI : SIG_IRQ;
		sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
		if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer[w]) != 0)
			t->has_timer[w] = false;
	}
	sigset_t mine;
	sigemptyset(&mine);
	sigaddset(&mine, SIG_NMI);
	sigaddset(&mine, SIG_IRQ);
	sigaddset(&mine, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &mine, NULL);
	for (;;) {
		wait_round(t);
		if (LOAD(&N.quit))
			return NULL;
		cpu_acquire(t);
		t->stolen = 0;
		t->last_sample = mono_ns();
		t->cur = me;
		arm(t, 0);
		arm(t, 1);
		d->fn(d->arg);
		sample(t, mono_ns());	/* a deschedule in the last points counts too */
		struct ncpu *c = &N.cpu[t->cpu];
		STORE(&me->state, NS_DONE);
		me->irqs_off = false;
		/* Give the CPU to a task of it that has not run yet; else stay on it, idle. */
		if (ADD(&c->undone, -1) > 0)
			cpu_release(t);
		else
			try_deliver(t);
		if (ADD(&N.done, 1) == N.ntasks) {
			t->cur = NULL;
			if (!close_round()) {
				/* A new futex value, or a waiter that read quit == 0 just before
				 * would sleep through the wake-up. */
				ADD(&N.gen_futex, 1);
				futex_wake(&N.gen_futex);
				return NULL;
			}
		}
	}
}

int ls_native_child(const struct ls_target *t, int variant, struct ls_native_shared *sh,
		    uint64_t seed, void (*reset)(void))
{
	memset(&N, 0, sizeof(N));
	N.reset = reset;
	N.t = t;
	N.variant = variant;
	N.sh = sh;
	N.ncpus = t->ncpus;
	N.ntasks = t->ntasks;
	N.nctx = t->ntasks + 3 * t->ncpus;
	N.mean_round_ns = 5000;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	N.ncores = cores > 0 ? (int)cores : 1;
	for (int i = 0; i < N.nctx; i++) {
		struct nctx *c = &N.ctx[i];
		c->id = i;
		if (i < t->ntasks) {
			c->kind = LS_CTX_TASK;
			c->cpu = t->tasks[i].cpu;
			c->name = t->tasks[i].name;
			N.cpu[c->cpu].ntasks++;
		} else if (i >= t->ntasks + 2 * t->ncpus) {
			c->cpu = i - t->ntasks - 2 * t->ncpus;
			c->kind = LS_CTX_SOFTIRQ;
			snprintf(c->namebuf, sizeof(c->namebuf), "softirq@cpu%d", c->cpu);
			c->name = c->namebuf;
			N.cpu[c->cpu].softirq = c;
		} else {
			int k = i - t->ntasks;
			c->cpu = k / 2;
			c->kind = (k & 1) ? LS_CTX_NMI : LS_CTX_HARDIRQ;
			snprintf(c->namebuf, sizeof(c->namebuf), "%s@cpu%d",
				 c->kind == LS_CTX_NMI ? "nmi" : "irq", c->cpu);
			c->name = c->namebuf;
			if (c->kind == LS_CTX_NMI)
				N.cpu[c->cpu].nmi = c;
			else
				N.cpu[c->cpu].hardirq = c;
		}
	}

	/* The task threads take these signals; every other thread blocks them. */
	sigset_t mine;
	sigemptyset(&mine);
	sigaddset(&mine, SIG_NMI);
	sigaddset(&mine, SIG_IRQ);
	sigaddset(&mine, SIG_KICK);
	pthread_sigmask(SIG_BLOCK, &mine, NULL);
	if (!install(SIG_NMI, on_nmi, true) || !install(SIG_IRQ, on_irq, false) ||
	    !install(SIG_KICK, on_irq, false)) {
		snprintf(sh->text, sizeof(sh->text), "cannot install signal handlers");
		return LS_NATIVE_EXIT_ERROR;
	}

	pthread_t rep;
	if (pthread_create(&rep, NULL, reporter, sh) != 0) {
		snprintf(sh->text, sizeof(sh->text), "cannot start the reporter thread");
		return LS_NATIVE_EXIT_ERROR;
	}

	reset_round();
	sh->threads = t->ntasks;
	for (int i = 0; i < t->ntasks; i++) {
		struct nthread *th = &N.thr[i];
		th->task = i;
		th->cpu = t->tasks[i].cpu;
		th->rng = seed * 0x100000001b3ull + (uint64_t)i;
		th->has_timer[0] = false;
		th->has_timer[1] = false;
		for (int s = 0; s < t->nnmis; s++)
			if ((t->nmis[s].cpus >> th->cpu) & 1)
				th->has_timer[0] = true;
		for (int s = 0; s < t->nirqs; s++)
			if ((t->irqs[s].cpus >> th->cpu) & 1)
				th->has_timer[1] = true;
	}
	for (int i = 0; i < t->ntasks; i++) {
		struct nthread *th = &N.thr[i];
		if (pthread_create(&th->tid, NULL, task_main, th) != 0) {
			snprintf(sh->text, sizeof(sh->text), "cannot start thread %d", i);
			return LS_NATIVE_EXIT_ERROR;
		}
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(th->cpu % N.ncores, &set);
		if (pthread_setaffinity_np(th->tid, sizeof(set), &set) == 0 &&
		    N.cpu[th->cpu].ntasks == 1 && t->ncpus <= N.ncores)
			sh->pinned++;
	}
	sh->start_ns = mono_ns();
	start_round();
	for (int i = 0; i < t->ntasks; i++)
		pthread_join(N.thr[i].tid, NULL);
	return LOAD(&sh->kind) ? LS_NATIVE_EXIT_FOUND : LS_NATIVE_EXIT_CLEAN;
}

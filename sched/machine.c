/* The cooperative scheduler: simulated CPUs, their context stacks, choices and interrupts.
 *
 * One host thread runs every simulated context (tasks, and per CPU a hardirq and an NMI context)
 * on a fiber of its own.  A context runs until it reaches a scheduling point, the call a model
 * makes before each operation on shared state.  There the strategy picks one of an ordered set of
 * choices: continue, run another context, let time pass (sched/clock.c), or inject an interrupt.
 * The choice is made on the current fiber's stack and the switch goes straight to the chosen
 * fiber, so a switching step costs one fiber switch.
 *
 * Each CPU holds a stack of contexts: a task at the bottom, then possibly a softirq, a hardirq
 * and an NMI.  Only the top of a stack runs; an interrupted context does not advance until the
 * interrupt returns.  NMIs never nest; hardirqs enter only over a task, a softirq (or an idle CPU)
 * whose interrupts are enabled; a softirq enters only over a task with bottom halves enabled (or
 * an idle CPU), and runs with interrupts on.  Several tasks may share a CPU: another of them may
 * run when the bottom task is preemptible (interrupts on, preempt count and bottom halves zero)
 * or done.
 *
 * The hardware's delivery rules, kept exactly:
 *   - an injected NMI or hardirq lands at a scheduling point, before the operation announced
 *     there, on any CPU: one that runs, one whose context waits (spins, sits in a delay, sleeps
 *     with a deadline), at the first instant of a wait and right after a store wakes a waiter;
 *   - a hardirq raised while it cannot be taken (interrupts off, or from an NMI) stays pending,
 *     and is taken at the instruction that makes it deliverable: when the NMI returns, or inside
 *     the local_irq_restore()/local_irq_enable() that turns interrupts back on, before the next
 *     operation of the context that did it (that context resumes with LS_OP_RESUME).  A self-IPI
 *     raised with interrupts on is taken before the raise returns;
 *   - a preemption by another task of the CPU is a choice at every point where the task is
 *     preemptible, so one made possible by preempt_enable() can come before the next operation;
 *   - a raised softirq runs as the hardirq exits when what it returns to may take it (irq_exit()),
 *     inside the local_bh_enable() that enables bottom halves with one pending, and, raised from
 *     a task with bottom halves on, at the first instant that task is preemptible (the raise
 *     itself, or the call that turns interrupts or preemption back on): where the kernel would
 *     wake ksoftirqd, lockstep runs the softirq at once over the task.  A softirq is no choice
 *     of the strategy; it follows from the hardirqs and the code.
 *
 * Time and waiting (parking, deadlines, jumps, slow CPUs) are clock.c's.  When nothing can run and
 * no deadline is pending, the execution ends as a deadlock; the step and virtual-time limits end
 * runaway ones.
 *
 * Memory models other than sequential consistency are sched/memory.c's; their choices come after
 * every other kind.  Deliberately left out: real preemption of code between points, and ksoftirqd
 * as a task of its own (a softirq it would run later is run at the raiser's first preemptible
 * instant).
 */
#define _GNU_SOURCE
#include "machine_impl.h"

#include "cycle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define LS_STACK_SIZE (512 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LS_STACK_SIZE (512 * 1024)
#endif
#endif
#ifndef LS_STACK_SIZE
#define LS_STACK_SIZE (128 * 1024)
#endif

struct ls_machine *ls_running;

static const char *const op_names[LS_OP_COUNT] = {
	[LS_OP_LOAD] = "load", [LS_OP_STORE] = "store", [LS_OP_RMW] = "rmw",
	[LS_OP_FENCE] = "fence", [LS_OP_PARK] = "park", [LS_OP_ENTER] = "enter",
	[LS_OP_EXIT] = "exit", [LS_OP_RESUME] = "resume", [LS_OP_TIME] = "time",
	[LS_OP_DRAIN] = "drain",
};

const char *ls_op_name(enum ls_op op)
{
	return (unsigned)op < LS_OP_COUNT ? op_names[op] : "?";
}

void ls_config_default(struct ls_config *cfg)
{
	cfg->step_limit = 1000000;
	cfg->time_limit_ns = 60ull * 1000 * 1000 * 1000;
	cfg->step_ns = 10;
	cfg->slow_budget = 2;
	cfg->memory_model = LS_MEM_SC;
	cfg->compiler_reorder = false;
	cfg->reorder_budget = 8;
}

_Noreturn void ls_machine_internal(const char *what)
{
	fprintf(stderr, "lockstep: internal error: %s\n", what);
	abort();
}

/* ---- creation ---------------------------------------------------------------------------- */

static bool ctx_stacks(struct ls_ctx *c, int n)
{
	for (int i = 0; i < n; i++)
		if (!ls_fiber_create_stack(&c->fiber[i], LS_STACK_SIZE))
			return false;
	return true;
}

struct ls_machine *ls_machine_create(const struct ls_target *t, const struct ls_config *cfg,
				     char *err, size_t errlen)
{
	if (t->ncpus < 1 || t->ncpus > LS_MAX_CPUS) {
		snprintf(err, errlen, "target %s declares %d CPUs (1..%d supported)", t->name,
			 t->ncpus, LS_MAX_CPUS);
		return NULL;
	}
	if (t->ntasks < 1 || t->ntasks > LS_MAX_TASKS || t->nnmis > LS_MAX_IRQ_SOURCES ||
	    t->nirqs > LS_MAX_IRQ_SOURCES) {
		snprintf(err, errlen, "target %s declares too many tasks or interrupt sources",
			 t->name);
		return NULL;
	}
	for (int i = 0; i < t->ntasks; i++)
		if (t->tasks[i].cpu < 0 || t->tasks[i].cpu >= t->ncpus) {
			snprintf(err, errlen, "target %s: task %s is on CPU %d of %d", t->name,
				 t->tasks[i].name, t->tasks[i].cpu, t->ncpus);
			return NULL;
		}

	struct ls_machine *m = calloc(1, sizeof(*m));
	if (!m)
		goto oom;
	m->target = t;
	m->cfg = *cfg;
	m->ncpus = t->ncpus;
	m->ntasks = t->ntasks;
	m->nctx = t->ntasks + 3 * t->ncpus;
	ls_fiber_init_main(&m->main);

	for (int i = 0; i < m->nctx; i++) {
		struct ls_ctx *c = &m->ctx[i];
		c->id = i;
		c->src = -1;
		if (i < t->ntasks) {
			c->kind = LS_CTX_TASK;
			c->cpu = t->tasks[i].cpu;
			c->name = t->tasks[i].name;
			c->fn = t->tasks[i].fn;
			c->arg = t->tasks[i].arg;
			m->cpu[c->cpu].ntasks++;
			if (!ctx_stacks(c, 1))
				goto oom;
		} else if (i >= t->ntasks + 2 * t->ncpus) {
			c->cpu = i - t->ntasks - 2 * t->ncpus;
			c->kind = LS_CTX_SOFTIRQ;
			snprintf(c->namebuf, sizeof(c->namebuf), "softirq@cpu%d", c->cpu);
			c->name = c->namebuf;
			if (!ctx_stacks(c, 2))
				goto oom;
			m->cpu[c->cpu].softirq = c;
		} else {
			int k = i - t->ntasks;
			c->cpu = k / 2;
			c->kind = (k & 1) ? LS_CTX_NMI : LS_CTX_HARDIRQ;
			snprintf(c->namebuf, sizeof(c->namebuf), "%s@cpu%d",
				 c->kind == LS_CTX_NMI ? "nmi" : "irq", c->cpu);
			c->name = c->namebuf;
			if (!ctx_stacks(c, 2))
				goto oom;
			const struct ls_irq_decl *d = c->kind == LS_CTX_NMI ? t->nmis : t->irqs;
			int nd = c->kind == LS_CTX_NMI ? t->nnmis : t->nirqs;
			for (int s = 0; s < nd; s++)
				snprintf(c->srclabel[s], sizeof(c->srclabel[s]), "%s@cpu%d",
					 d[s].name, c->cpu);
			if (c->kind == LS_CTX_NMI)
				m->cpu[c->cpu].nmi = c;
			else
				m->cpu[c->cpu].hardirq = c;
		}
	}

	for (int i = 0; i < m->nctx; i++)
		m->ctx[i].label = m->ctx[i].name;

	/* One decision per step at most; untouched pages of the mapping cost nothing. */
	m->caplog = cfg->step_limit + 1;
	m->log = mmap(NULL, m->caplog * sizeof(*m->log), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->log == MAP_FAILED) {
		m->log = NULL;
		goto oom;
	}
	return m;
oom:
	snprintf(err, errlen, "out of memory creating the machine for %s", t->name);
	ls_machine_destroy(m);
	return NULL;
}

void ls_machine_destroy(struct ls_machine *m)
{
	if (!m)
		return;
	for (int i = 0; i < LS_MAX_CTX; i++)
		for (int j = 0; j < 2; j++)
			ls_fiber_destroy_stack(&m->ctx[i].fiber[j]);
	if (m->log)
		munmap(m->log, m->caplog * sizeof(*m->log));
	if (ls_running == m)
		ls_running = NULL;
	free(m);
}

/* ---- context stacks ---------------------------------------------------------------------- */

static inline bool is_top(const struct ls_machine *m, const struct ls_ctx *c)
{
	return m->cpu[c->cpu].top == c;
}

/* The bottom task may give the CPU to another task of the same CPU. */
static inline bool cpu_task_switchable(const struct ls_cpu *cpu)
{
	const struct ls_ctx *t = cpu->top;
	return t && t->kind == LS_CTX_TASK &&
	       (t->state == LS_DONE || (!t->irqs_off && t->preempt == 0 && t->bh == 0));
}

/* A hardirq may enter: an idle CPU, or a task or softirq with interrupts on. */
static inline bool cpu_interruptible(const struct ls_cpu *cpu)
{
	const struct ls_ctx *t = cpu->top;
	return !t || (t->kind == LS_CTX_TASK && (t->state == LS_DONE || !t->irqs_off)) ||
	       (t->kind == LS_CTX_SOFTIRQ && !t->irqs_off);
}

static void ctx_main(void *arg);

static void push_interrupt(struct ls_machine *m, struct ls_ctx *c, int src)
{
	struct ls_cpu *cpu = &m->cpu[c->cpu];
	c->below = cpu->top;
	c->src = src;
	c->label = c->kind != LS_CTX_SOFTIRQ && src >= 0 ? c->srclabel[src] : c->name;
	c->state = LS_READY;
	c->irqs_off = c->kind != LS_CTX_SOFTIRQ;
	c->preempt = 0;
	c->bh = 0;
	c->op = LS_OP_ENTER;
	c->addr = NULL;
	c->site = NULL;
	c->ip = NULL;
	c->fsel ^= 1;
	ls_fiber_init(&c->fiber[c->fsel], ctx_main, c);
	cpu->top = c;
	m->live++;
	ls_ring_add(m, c, LS_OP_ENTER, NULL, NULL);
}

/* A pending hardirq enters if the CPU can take it now; true if it did. */
static bool try_deliver(struct ls_machine *m, int cpuno)
{
	struct ls_cpu *cpu = &m->cpu[cpuno];
	if (!cpu->irq_pending || cpu->hardirq->state != LS_IDLE || !cpu_interruptible(cpu))
		return false;
	push_interrupt(m, cpu->hardirq, -1);
	return true;
}

/* A pending softirq enters if the CPU can take it now: an idle CPU, or a task that finished or
 * has bottom halves on and, when `preemptible` is asked (ksoftirqd would have to preempt it),
 * interrupts and preemption on too.  True if it did. */
static bool try_softirq(struct ls_machine *m, int cpuno, bool preemptible)
{
	struct ls_cpu *cpu = &m->cpu[cpuno];
	const struct ls_ctx *t = cpu->top;
	if (!cpu->softirq_pending || cpu->softirq->state != LS_IDLE)
		return false;
	if (t && (t->kind != LS_CTX_TASK ||
		  (t->state != LS_DONE && (t->bh || (preemptible && (t->irqs_off || t->preempt))))))
		return false;
	push_interrupt(m, cpu->softirq, -1);
	return true;
}

/* ---- switching --------------------------------------------------------------------------- */

/* Compares fibers, not contexts: an interrupt entered again at its own exit point is the same
 * context on its other stack, and must still leave the stack it is finishing on. */
static void switch_to(struct ls_machine *m, struct ls_fiber *from, struct ls_ctx *to)
{
	struct ls_fiber *f = &to->fiber[to->fsel];
	m->cur = to;
	if (from != f)
		ls_fiber_switch(from, f);
}

/* The running context c made a pending hardirq of its CPU deliverable between two points: the
 * CPU takes it at once, before c's next operation, and c goes on when it returns. */
static void run_entered(struct ls_machine *m, struct ls_ctx *c)
{
	c->op = LS_OP_RESUME;
	c->addr = NULL;
	switch_to(m, &c->fiber[c->fsel], m->cpu[c->cpu].top);
	ls_ring_add(m, c, LS_OP_RESUME, NULL, c->site);
}

static void take_interrupt(struct ls_machine *m, struct ls_ctx *c)
{
	if (try_deliver(m, c->cpu))
		run_entered(m, c);
}

/* Likewise for a pending softirq (see try_softirq()). */
static void take_softirq(struct ls_machine *m, struct ls_ctx *c, bool preemptible)
{
	if (try_softirq(m, c->cpu, preemptible))
		run_entered(m, c);
}

/* ---- ending ------------------------------------------------------------------------------ */

static _Noreturn void end_execution(struct ls_machine *m, enum ls_kind kind)
{
	struct ls_ctx *c = m->cur;
	m->out.kind = kind;
	m->cur = NULL;
	ls_fiber_switch(&c->fiber[c->fsel], &m->main);
	ls_machine_internal("an ended execution was resumed");
}

_Noreturn void ls_machine_end_limit(struct ls_machine *m, const char *what)
{
	m->out.ctx = m->cur->id;
	m->out.site = m->cur->site;
	snprintf(m->out.detail, sizeof(m->out.detail), "%s", what);
	end_execution(m, LS_KIND_STALL);
}

/* ---- choices ----------------------------------------------------------------------------- */

static inline void add_choice(struct ls_point *pt, uint8_t kind, int cpu, int ctx, int src)
{
	if (pt->n >= LS_MAX_CHOICES)
		ls_machine_internal("more choices at one point than LS_MAX_CHOICES");
	struct ls_choice *ch = &pt->choices[pt->n++];
	ch->kind = kind;
	ch->cpu = (uint8_t)cpu;
	ch->ctx = (uint8_t)ctx;
	ch->src = (uint8_t)src;
}

static int count_runnable(struct ls_machine *m, struct ls_point *pt, const struct ls_ctx *cur)
{
	int before = pt->n;
	for (int k = 0; k < m->ncpus; k++) {
		int cpuno = cur->cpu + k < m->ncpus ? cur->cpu + k : cur->cpu + k - m->ncpus;
		struct ls_cpu *cpu = &m->cpu[cpuno];
		struct ls_ctx *top = cpu->top;
		if (top && top->state == LS_READY && !(top == cur && !pt->forced))
			add_choice(pt, LS_CH_RUN, cpuno, top->id, 0);
		if (cpu->ntasks > 1 && cpu_task_switchable(cpu))
			for (int i = 0; i < m->ntasks; i++) {
				struct ls_ctx *t = &m->ctx[i];
				if (t->cpu == cpuno && t != top && t->state == LS_READY)
					add_choice(pt, LS_CH_RUN, cpuno, t->id, 0);
			}
	}
	return pt->n - before;
}

static void add_injections(struct ls_machine *m, struct ls_point *pt)
{
	const struct ls_target *t = m->target;
	if (!t->nnmis && !t->nirqs)
		return;
	for (int cpuno = 0; cpuno < m->ncpus; cpuno++) {
		struct ls_cpu *cpu = &m->cpu[cpuno];
		if (cpu->nmi->state == LS_IDLE)
			for (int s = 0; s < t->nnmis; s++)
				if (cpu->nmi_left[s])
					add_choice(pt, LS_CH_NMI, cpuno, 0, s);
	}
	for (int cpuno = 0; cpuno < m->ncpus; cpuno++) {
		struct ls_cpu *cpu = &m->cpu[cpuno];
		if (cpu->hardirq->state == LS_IDLE && cpu_interruptible(cpu))
			for (int s = 0; s < t->nirqs; s++)
				if (cpu->irq_left[s])
					add_choice(pt, LS_CH_IRQ, cpuno, 0, s);
	}
}

/* After the runnable contexts (at least one): slow, if offered, then the injections, then under
 * a weak memory model its choices (sched/memory.c). */
static void finish_choices(struct ls_machine *m, struct ls_point *pt)
{
	if (ls_clock_can_slow(m))
		add_choice(pt, LS_CH_SLOW, 0, 0, 0);	/* no CPU or context: all fall behind */
	add_injections(m, pt);
	if (m->mem.active)
		ls_mem_add_choices(m, pt);
}

int ls_point_choices(struct ls_point *pt)
{
	if (pt->n >= 0)
		return pt->n;
	struct ls_machine *m = pt->m;
	const struct ls_ctx *cur = &m->ctx[pt->ctx];
	pt->n = 0;
	if (!pt->forced)
		add_choice(pt, LS_CH_CONTINUE, cur->cpu, cur->id, 0);
	count_runnable(m, pt, cur);
	finish_choices(m, pt);
	return pt->n;
}

/* ---- deciding ---------------------------------------------------------------------------- */

static void apply(struct ls_machine *m, struct ls_ctx *cur, const struct ls_choice *ch)
{
	struct ls_fiber *from = &cur->fiber[cur->fsel];
	struct ls_ctx *to;
	switch (ch->kind) {
	case LS_CH_RUN:
		to = &m->ctx[ch->ctx];
		if (to->kind == LS_CTX_TASK) {
			m->cpu[to->cpu].task = to;
			m->cpu[to->cpu].top = to;
		}
		break;
	case LS_CH_NMI:
		m->cpu[ch->cpu].nmi_left[ch->src]--;
		to = m->cpu[ch->cpu].nmi;
		push_interrupt(m, to, ch->src);
		m->injections++;
		break;
	case LS_CH_IRQ:
		m->cpu[ch->cpu].irq_left[ch->src]--;
		to = m->cpu[ch->cpu].hardirq;
		push_interrupt(m, to, ch->src);
		m->injections++;
		break;
	default:
		ls_machine_internal("applying an unknown choice");
	}
	switch_to(m, from, to);
}

static void point_init(struct ls_point *pt, struct ls_machine *m, struct ls_ctx *cur, bool forced)
{
	pt->step = m->step;
	pt->ctx = cur->id;
	pt->op = cur->op;
	pt->addr = cur->addr;
	pt->site = cur->site;
	pt->m = m;
	pt->forced = forced || cur->state != LS_READY || !is_top(m, cur);
	pt->n = -1;
}

static void record(struct ls_machine *m, const struct ls_choice *ch)
{
	struct ls_decision *d = &m->log[m->nlog++];
	d->step = m->step;
	d->choice = *ch;
	m->mark = true;
	m->mark_choice = *ch;
}

/* No context can run, or none is left, while stores wait in store buffers: one becomes visible,
 * the oldest by default, another buffer's or a later drainable entry if the strategy says so
 * (within cfg.reorder_budget).  A step of its own. */
static void settle(struct ls_machine *m, struct ls_ctx *cur, bool ending)
{
	struct ls_point pt;
	point_init(&pt, m, cur, true);
	pt.n = 0;
	ls_mem_add_drains(m, &pt);
	int idx = pt.n > 1 ? m->strategy->choose(m->strategy, &pt) : 0;
	if (idx < 0 || idx >= pt.n)
		ls_machine_internal("strategy chose outside the choice list");
	const struct ls_choice *ch = &pt.choices[idx];
	if (idx != 0) {
		record(m, ch);
		m->mem.used++;
	}
	ls_mem_drain(m, ch->cpu, ch->src);
	if (ending) {
		/* Every context is done: landing what they left is no step the limit counts. */
		m->step++;
		m->clock += m->cfg.step_ns;
		m->mark = false;
		return;
	}
	ls_machine_tick(m);
	ls_machine_age_stores(m);
}

/* Nobody can run: time must pass, unless an interrupt lands first (choice 0 is the jump).  Returns
 * the choice to apply, or -1 once the clock jumped. */
static int idle(struct ls_machine *m, struct ls_ctx *cur, struct ls_point *pt)
{
	if (m->next_deadline == LS_NO_DEADLINE)
		end_execution(m, m->live ? LS_KIND_DEADLOCK : LS_KIND_NONE);
	add_choice(pt, LS_CH_SLOW, 0, 0, 0);
	add_injections(m, pt);
	int idx = pt->n > 1 ? m->strategy->choose(m->strategy, pt) : 0;
	if (idx < 0 || idx >= pt->n)
		ls_machine_internal("strategy chose outside the choice list");
	if (idx > 0)
		return idx;
	ls_clock_pass(m, cur, false);
	return -1;
}

void ls_machine_decide(struct ls_machine *m, struct ls_ctx *cur, bool forced)
{
	for (;;) {
		struct ls_point pt;
		int idx;
		point_init(&pt, m, cur, forced);
		if (pt.forced) {
			pt.n = 0;
			if (count_runnable(m, &pt, cur) == 0) {
				/* Buffered stores become visible before anyone is called stuck. */
				if (ls_mem_buffered(m)) {
					settle(m, cur, false);
					continue;
				}
				if ((idx = idle(m, cur, &pt)) < 0)
					continue;
			} else {
				finish_choices(m, &pt);
				idx = m->strategy->choose(m->strategy, &pt);
			}
		} else {
			idx = m->strategy->choose(m->strategy, &pt);
			if (idx == 0)
				return;
			if (pt.n < 0)
				ls_point_choices(&pt);
		}
		if (idx < 0 || idx >= pt.n)
			ls_machine_internal("strategy chose outside the choice list");
		const struct ls_choice *ch = &pt.choices[idx];
		if (idx != 0) {
			record(m, ch);
			if (ch->kind == LS_CH_RUN && !pt.forced)
				m->preemptions++;
		}
		if (ch->kind == LS_CH_SLOW) {
			ls_clock_pass(m, cur, true);
			continue;
		}
		if (ch->kind == LS_CH_DRAIN || ch->kind == LS_CH_EMIT) {
			/* A step of its own, so that decisions keep increasing steps. */
			ls_mem_apply(m, ch->kind, ch->cpu, ch->ctx, ch->src);
			ls_machine_tick(m);
			ls_machine_age_stores(m);
			continue;
		}
		if (ch->kind == LS_CH_OLD) {
			m->mem.used++;
			cur->mem_old = ch->src;
			return;
		}
		apply(m, cur, ch);
		return;
	}
}

void ls_point(enum ls_op op, const void *addr, const struct ls_site *site)
{
	struct ls_machine *m = ls_running;
	struct ls_ctx *c;
	if (!m || !(c = m->cur))
		return;
	ls_machine_point(m, c, op, addr, 0, site, __builtin_return_address(0));
	if (m->mem.active)
		ls_mem_model_point(m, c, c->op);	/* a model's own access: a full barrier */
}

/* Every context's fiber starts here. */
static void ctx_main(void *arg)
{
	struct ls_ctx *c = arg;
	struct ls_machine *m = ls_running;
	const struct ls_target *t = m->target;
	struct ls_cpu *cpu = &m->cpu[c->cpu];

	switch (c->kind) {
	case LS_CTX_TASK:
		ls_ring_add(m, c, LS_OP_ENTER, NULL, NULL);	/* it starts at this step */
		c->fn(c->arg);
		c->state = LS_DONE;
		break;
	case LS_CTX_NMI:
		t->nmis[c->src].fn(t->nmis[c->src].arg);
		break;
	case LS_CTX_HARDIRQ:
		if (c->src >= 0)
			t->irqs[c->src].fn(t->irqs[c->src].arg);
		while (cpu->irq_pending) {
			cpu->irq_pending = false;
			if (m->raised_irq)
				m->raised_irq(c->cpu);
		}
		break;
	case LS_CTX_SOFTIRQ:
		/* __do_softirq(): every vector pending at entry, lowest first, then again for those
		 * raised meanwhile. */
		while (cpu->softirq_pending) {
			unsigned pending = cpu->softirq_pending;
			cpu->softirq_pending = 0;
			for (; pending; pending &= pending - 1)
				if (m->softirq_fn)
					m->softirq_fn((unsigned)__builtin_ctz(pending));
		}
		break;
	}

	if (m->hooks && m->hooks->ctx_exit)
		m->hooks->ctx_exit();
	if (m->mem.active)
		ls_mem_emit_held(m, c);	/* the compiler emits what it held back */
	c->op = LS_OP_EXIT;
	c->addr = NULL;
	c->site = NULL;
	c->ip = NULL;
	ls_machine_tick(m);
	ls_ring_add(m, c, LS_OP_EXIT, NULL, NULL);
	m->live--;
	if (c->kind != LS_CTX_TASK) {
		cpu->top = c->below;
		c->below = NULL;
		c->state = LS_IDLE;
	}
	/* irq_exit() runs what the hardirq raised, over whatever it returns to that may take it; a
	 * finished task lets ksoftirqd in. */
	if (c->kind == LS_CTX_HARDIRQ || c->kind == LS_CTX_TASK)
		try_softirq(m, c->cpu, c->kind == LS_CTX_TASK);
	/* A hardirq raised under an NMI is taken as it returns. */
	try_deliver(m, c->cpu);
	if (m->live == 0) {
		/* Every context emitted what the compiler held back as it ended; the buffers land,
		 * in an order that is a choice too. */
		while (ls_mem_buffered(m))
			settle(m, c, true);
		end_execution(m, LS_KIND_NONE);
	}
	ls_machine_decide(m, c, true);
	ls_machine_internal("a finished context was resumed");
}

/* ---- executions -------------------------------------------------------------------------- */

struct ls_machine *ls_machine_current(void)
{
	return ls_running;
}

void ls_machine_select(struct ls_machine *m)
{
	ls_running = m;
}

enum ls_kind ls_machine_run(struct ls_machine *m, struct ls_strategy *s, uint64_t seed)
{
	const struct ls_target *t = m->target;
	ls_running = m;
	m->strategy = s;
	m->step = 0;
	m->clock = 0;
	m->nparked = 0;
	m->next_deadline = LS_NO_DEADLINE;
	m->nlog = 0;
	m->nring = 0;
	m->preemptions = 0;
	m->injections = 0;
	m->slows = 0;
	m->slowed_ns = 0;
	m->mark = false;
	m->out.kind = LS_KIND_NONE;
	m->out.ctx = -1;
	m->out.site = NULL;
	m->out.detail[0] = 0;
	m->out.what[0] = 0;
	m->stall.set = false;
	m->live = m->ntasks;
	ls_mem_reset(m);

	for (int i = 0; i < m->ncpus; i++) {
		struct ls_cpu *cpu = &m->cpu[i];
		cpu->top = NULL;
		cpu->task = NULL;
		cpu->irq_pending = false;
		cpu->softirq_pending = 0;
		for (int s2 = 0; s2 < t->nnmis; s2++)
			cpu->nmi_left[s2] = (t->nmis[s2].cpus >> i) & 1 ?
					    (uint8_t)(t->nmis[s2].budget ? t->nmis[s2].budget : 1) : 0;
		for (int s2 = 0; s2 < t->nirqs; s2++)
			cpu->irq_left[s2] = (t->irqs[s2].cpus >> i) & 1 ?
					    (uint8_t)(t->irqs[s2].budget ? t->irqs[s2].budget : 1) : 0;
	}
	for (int i = 0; i < m->nctx; i++) {
		struct ls_ctx *c = &m->ctx[i];
		c->below = NULL;
		c->irqs_off = false;
		c->preempt = 0;
		c->bh = 0;
		c->op = LS_OP_ENTER;
		c->addr = NULL;
		c->site = NULL;
		c->src = -1;
		c->label = c->name;
		if (c->kind == LS_CTX_TASK) {
			c->state = LS_READY;
			c->fsel = 0;
			ls_fiber_init(&c->fiber[0], ctx_main, c);
			struct ls_cpu *cpu = &m->cpu[c->cpu];
			if (!cpu->task) {
				cpu->task = c;
				cpu->top = c;
			}
		} else {
			c->state = LS_IDLE;
		}
	}

	s->begin(s, seed);
	struct ls_ctx *first = &m->ctx[0];
	m->cur = first;
	ls_fiber_switch(&m->main, &first->fiber[0]);
	/* Back here when end_execution() switched to main. */
	m->cur = NULL;
	ls_mem_on = 0;
	return m->out.kind;
}

/* ---- the current context, for models ----------------------------------------------------- */

static inline struct ls_ctx *cur_ctx(void)
{
	return ls_running ? ls_running->cur : NULL;
}

int ls_ctx_id(void)
{
	struct ls_ctx *c = cur_ctx();
	return c ? c->id : -1;
}

int ls_cpu(void)
{
	struct ls_ctx *c = cur_ctx();
	return c ? c->cpu : 0;
}

int ls_ncpus(void)
{
	return ls_running ? ls_running->ncpus : 0;
}

int ls_ntasks(void)
{
	return ls_running ? ls_running->ntasks : 0;
}

int ls_ctx_task(void)
{
	const struct ls_ctx *c = cur_ctx();
	while (c && c->kind != LS_CTX_TASK)
		c = c->below;
	return c ? c->id : -1;
}

enum ls_ctx_kind ls_ctx_kind(void)
{
	struct ls_ctx *c = cur_ctx();
	return c ? c->kind : LS_CTX_TASK;
}

const char *ls_ctx_name(int id)
{
	if (!ls_running || id < 0 || id >= ls_running->nctx)
		return "none";
	return ls_running->ctx[id].label;
}

/* local_irq_*(), preempt_*() and local_bh_*() are compiler barriers in the kernel: the compiler
 * emits the plain stores it held back before them (--compiler-reorder). */
static inline struct ls_ctx *barrier_ctx(void)
{
	struct ls_ctx *c = cur_ctx();
	if (c && ls_running->mem.active)
		ls_mem_emit_held(ls_running, c);
	return c;
}

unsigned long ls_irq_save(void)
{
	struct ls_ctx *c = barrier_ctx();
	if (!c)
		return 0;
	unsigned long flags = c->irqs_off;
	c->irqs_off = true;
	return flags;
}

void ls_irq_restore(unsigned long flags)
{
	struct ls_ctx *c = barrier_ctx();
	if (!c)
		return;
	bool was_off = c->irqs_off;
	c->irqs_off = flags != 0;
	if (c->irqs_off)
		return;
	if (was_off && ls_running->hooks && ls_running->hooks->irqs_on)
		ls_running->hooks->irqs_on();
	take_interrupt(ls_running, c);
	if (c->kind == LS_CTX_TASK)
		take_softirq(ls_running, c, true);
}

void ls_irq_disable(void)
{
	struct ls_ctx *c = barrier_ctx();
	if (c)
		c->irqs_off = true;
}

void ls_irq_enable(void)
{
	ls_irq_restore(0);
}

bool ls_irqs_disabled(void)
{
	struct ls_ctx *c = cur_ctx();
	return c && c->irqs_off;
}

void ls_preempt_disable(void)
{
	struct ls_ctx *c = barrier_ctx();
	if (c)
		c->preempt++;
}

void ls_preempt_enable(void)
{
	struct ls_ctx *c = barrier_ctx();
	if (!c)
		return;
	if (c->preempt <= 0)
		ls_fail(NULL, "preempt_enable() without preempt_disable() in %s", c->name);
	c->preempt--;
	if (c->kind == LS_CTX_TASK && c->preempt == 0)
		take_softirq(ls_running, c, true);
}

int ls_preempt_count(void)
{
	struct ls_ctx *c = cur_ctx();
	return c ? c->preempt + c->bh : 0;
}

/* ---- bottom halves ----------------------------------------------------------------------- */

void ls_bh_disable(void)
{
	struct ls_ctx *c = barrier_ctx();
	if (c)
		c->bh++;
}

void ls_bh_enable(void)
{
	struct ls_ctx *c = barrier_ctx();
	if (!c)
		return;
	if (c->bh <= 0)
		ls_fail(NULL, "local_bh_enable() without local_bh_disable() in %s", c->name);
	if (--c->bh || c->kind != LS_CTX_TASK)
		return;
	/* __local_bh_enable_ip(): lockdep hears of it, then do_softirq() runs what is pending. */
	if (ls_running->hooks && ls_running->hooks->softirqs_on)
		ls_running->hooks->softirqs_on();
	take_softirq(ls_running, c, false);
}

/* Whether a context in c's chain (c and what it interrupted) is a softirq, or has bottom halves
 * disabled with `bh`: the kernel keeps both in the per-CPU preempt count. */
static bool chain_softirq(const struct ls_ctx *c, bool bh)
{
	for (; c; c = c->below)
		if (c->kind == LS_CTX_SOFTIRQ || (bh && c->bh))
			return true;
	return false;
}

bool ls_in_interrupt(void)
{
	struct ls_ctx *c = cur_ctx();
	return c && (c->kind != LS_CTX_TASK || c->bh);
}

bool ls_in_softirq(void)
{
	return chain_softirq(cur_ctx(), true);
}

bool ls_in_serving_softirq(void)
{
	return chain_softirq(cur_ctx(), false);
}

bool ls_softirqs_enabled(void)
{
	struct ls_ctx *c = cur_ctx();
	return !c || !chain_softirq(c, true);
}

void ls_softirq_raise(unsigned nr)
{
	struct ls_machine *m = ls_running;
	struct ls_ctx *c = cur_ctx();
	if (!c || nr >= LS_NR_SOFTIRQS)
		return;
	m->cpu[c->cpu].softirq_pending |= (uint16_t)(1u << nr);
	if (c->kind == LS_CTX_TASK)
		take_softirq(m, c, true);	/* ksoftirqd, if the raiser can be preempted */
}

void ls_set_softirq_handler(void (*fn)(unsigned nr))
{
	if (ls_running)
		ls_running->softirq_fn = fn;
}

void ls_irq_raise(int cpu)
{
	struct ls_machine *m = ls_running;
	if (!m || cpu < 0 || cpu >= m->ncpus)
		return;
	m->cpu[cpu].irq_pending = true;
	struct ls_ctx *c = m->cur;
	if (c && c->cpu == cpu)
		take_interrupt(m, c);	/* a self-IPI: taken now if interrupts are on */
	else
		try_deliver(m, cpu);
}

void ls_set_raised_irq_handler(void (*fn)(int cpu))
{
	if (ls_running)
		ls_running->raised_irq = fn;
}

void ls_set_model_hooks(const struct ls_model_hooks *hooks)
{
	if (ls_running)
		ls_running->hooks = hooks;
}

void ls_fail(const struct ls_site *site, const char *fmt, ...)
{
	struct ls_machine *m = ls_running;
	if (!m)
		return;
	if (m->out.kind == LS_KIND_INVARIANT)
		return;	/* the first failure is the finding */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->out.detail, sizeof(m->out.detail), fmt, ap);
	va_end(ap);
	m->out.site = site;
	m->out.kind = LS_KIND_INVARIANT;
	if (m->cur) {
		m->out.ctx = m->cur->id;
		end_execution(m, LS_KIND_INVARIANT);
	}
	m->out.ctx = -1;
}

void ls_stall(const struct ls_site *site, uint64_t waited_ns, const char *fmt, ...)
{
	struct ls_machine *m = ls_running;
	if (!m || !m->cur || m->stall.set)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->stall.what, sizeof(m->stall.what), fmt, ap);
	va_end(ap);
	m->stall.set = true;
	m->stall.ctx = m->cur->id;
	m->stall.cpu = m->cur->cpu;
	m->stall.site = site;
	m->stall.waited = waited_ns;
}

/* ---- names ------------------------------------------------------------------------------- */

int ls_choice_format(const struct ls_machine *m, const struct ls_choice *c, char *buf, size_t n)
{
	const struct ls_target *t = m->target;
	switch (c->kind) {
	case LS_CH_CONTINUE:
		return snprintf(buf, n, "continue");
	case LS_CH_RUN:
		return snprintf(buf, n, "run %s", m->ctx[c->ctx].name);
	case LS_CH_NMI:
		return snprintf(buf, n, "nmi %s cpu%d", t->nmis[c->src].name, c->cpu);
	case LS_CH_IRQ:
		return snprintf(buf, n, "irq %s cpu%d", t->irqs[c->src].name, c->cpu);
	case LS_CH_SLOW:
		return snprintf(buf, n, "slow");
	case LS_CH_DRAIN:
		return snprintf(buf, n, "drain cpu%d %d", c->cpu, c->src);
	case LS_CH_EMIT:
		return snprintf(buf, n, "emit %s %d", m->ctx[c->ctx].name, c->src);
	case LS_CH_OLD:
		return snprintf(buf, n, "old %d", c->src);
	}
	return snprintf(buf, n, "?");
}

static bool parse_src_cpu(const struct ls_irq_decl *decl, int ndecl, int ncpus, const char *s,
			  struct ls_choice *c)
{
	char name[64];
	int cpu;
	if (sscanf(s, "%63s cpu%d", name, &cpu) != 2 || cpu < 0 || cpu >= ncpus)
		return false;
	for (int i = 0; i < ndecl; i++)
		if (strcmp(decl[i].name, name) == 0) {
			c->src = (uint8_t)i;
			c->cpu = (uint8_t)cpu;
			return true;
		}
	return false;
}

bool ls_choice_parse(const struct ls_machine *m, const char *s, struct ls_choice *c)
{
	const struct ls_target *t = m->target;
	memset(c, 0, sizeof(*c));
	if (strcmp(s, "slow") == 0) {
		c->kind = LS_CH_SLOW;
		return true;
	}
	if (strncmp(s, "run ", 4) == 0) {
		for (int i = 0; i < m->nctx; i++)
			if (strcmp(m->ctx[i].name, s + 4) == 0) {
				c->kind = LS_CH_RUN;
				c->ctx = (uint8_t)i;
				c->cpu = (uint8_t)m->ctx[i].cpu;
				return true;
			}
		return false;
	}
	if (strncmp(s, "nmi ", 4) == 0) {
		c->kind = LS_CH_NMI;
		return parse_src_cpu(t->nmis, t->nnmis, m->ncpus, s + 4, c);
	}
	if (strncmp(s, "irq ", 4) == 0) {
		c->kind = LS_CH_IRQ;
		return parse_src_cpu(t->irqs, t->nirqs, m->ncpus, s + 4, c);
	}
	int cpu, idx, len = 0;
	if (sscanf(s, "drain cpu%d %d%n", &cpu, &idx, &len) == 2 && !s[len] && cpu >= 0 &&
	    cpu < m->ncpus && idx >= 0 && idx < LS_MEM_BUF) {
		c->kind = LS_CH_DRAIN;
		c->cpu = (uint8_t)cpu;
		c->src = (uint8_t)idx;
		return true;
	}
	if (sscanf(s, "old %d%n", &idx, &len) == 1 && !s[len] && idx > 0 && idx <= LS_MEM_HIST) {
		c->kind = LS_CH_OLD;
		c->src = (uint8_t)idx;
		return true;
	}
	if (strncmp(s, "emit ", 5) == 0) {
		const char *sp = strrchr(s, ' ');
		if (sp == s + 4 || sscanf(sp + 1, "%d%n", &idx, &len) != 1 || sp[1 + len] ||
		    idx < 0 || idx >= LS_MEM_HELD)
			return false;
		for (int i = 0; i < m->nctx; i++)
			if (strlen(m->ctx[i].name) == (size_t)(sp - s - 5) &&
			    strncmp(m->ctx[i].name, s + 5, (size_t)(sp - s - 5)) == 0) {
				c->kind = LS_CH_EMIT;
				c->ctx = (uint8_t)i;
				c->cpu = (uint8_t)m->ctx[i].cpu;
				c->src = (uint8_t)idx;
				return true;
			}
	}
	return false;
}

int ls_machine_waits_for(const struct ls_machine *m, int ctx, const void **addr, const char **how)
{
	const struct ls_ctx *c = &m->ctx[ctx];
	*addr = NULL;
	*how = NULL;
	if (c->state == LS_IDLE || c->state == LS_DONE)
		return -1;
	const struct ls_cpu *cpu = &m->cpu[c->cpu];
	if (cpu->top != c) {
		for (int j = 0; j < m->nctx; j++)
			if (m->ctx[j].below == c && m->ctx[j].state != LS_IDLE) {
				*how = "is interrupted by";
				return j;
			}
		if (c->kind == LS_CTX_TASK && cpu->top) {
			*how = "waits for the CPU held by";
			return cpu->top->id;
		}
	}
	if (c->state != LS_PARKED)
		return -1;
	struct ls_blocker b = { -1, LS_WAIT_NOBODY };
	if (m->hooks && m->hooks->blocker)
		b = m->hooks->blocker(c->addr, c->id);
	*addr = c->addr;
	*how = ls_wait_rel_text(b.rel);
	return b.ctx >= 0 && b.ctx < m->nctx ? b.ctx : -1;
}

bool ls_wait_in_cycle(const void *addr)
{
	struct ls_machine *m = ls_running;
	struct ls_ctx *c = m ? m->cur : NULL;
	if (!c || !m->hooks || !m->hooks->blocker)
		return false;
	int x = m->hooks->blocker(addr, c->id).ctx;
	for (int hops = 0; x >= 0 && x < m->nctx && hops <= m->nctx; hops++) {
		if (x == c->id)
			return true;
		const void *a;
		const char *how;
		x = ls_machine_waits_for(m, x, &a, &how);
	}
	return false;
}

bool ls_machine_describe(const struct ls_machine *m, const void *addr, char *buf, unsigned n)
{
	if (m->hooks && m->hooks->describe && m->hooks->describe(addr, buf, n))
		return true;
	snprintf(buf, n, "an unnamed word");
	return false;
}

bool ls_machine_describe_wait(const struct ls_machine *m, const void *addr, char *buf, unsigned n)
{
	if (m->hooks && m->hooks->describe_wait && m->hooks->describe_wait(addr, buf, n))
		return true;
	return ls_machine_describe(m, addr, buf, n);
}

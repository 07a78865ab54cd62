/* Reports: what a finding looks like to a kernel developer.
 *
 * A kernel-style header names the outcome; then the wait-for cycle, each CPU's context stack as it
 * ended (bottom first, with interrupt state and the operation each context was at), the last steps
 * of the contexts the finding is about (a deadlock's cycle, a stall's chain) as a timeline with
 * one column per CPU, and the command that replays it.  Everything printed is a
 * function of the execution: no addresses, no wall time. */
#include "report.h"
#include "ksrc/ksrc.h"

#include "lockdep/lockdep.h"
#include "../targets/targets.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TIMELINE_STEPS 24

static void rule(struct ls_buf *b, char c, size_t n)
{
	char line[128];
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memset(line, c, n);
	line[n] = 0;
	ls_buf_printf(b, "%s\n", line);
}

static void header(struct ls_buf *b, const char *title)
{
	ls_buf_printf(b, "\n");
	rule(b, '=', strlen(title));
	ls_buf_printf(b, "%s\n", title);
	rule(b, '-', strlen(title));
}

static void site_text(const struct ls_machine *m, const void *addr, const struct ls_site *site,
		      char *buf, size_t n)
{
	char obj[160];
	if (!site) {
		snprintf(buf, n, "?");
		return;
	}
	if (addr && ls_machine_describe(m, addr, obj, sizeof(obj))) {
		snprintf(buf, n, "%s(%s) in %s (%s:%d)", site->what, obj, site->func,
			 ls_site_file(site->file), site->line);
	} else {
		snprintf(buf, n, "%s in %s (%s:%d)", site->what, site->func, ls_site_file(site->file),
			 site->line);
	}
}

static const char *kind_word(enum ls_ctx_kind k)
{
	return k == LS_CTX_TASK	   ? "task"
	       : k == LS_CTX_HARDIRQ ? "hardirq"
	       : k == LS_CTX_SOFTIRQ ? "softirq"
				     : "NMI";
}

static void ctx_line(struct ls_buf *b, const struct ls_machine *m, const struct ls_ctx *c)
{
	char state[224], at[200], obj[160];
	switch (c->state) {
	case LS_PARKED:
		ls_machine_describe_wait(m, c->addr, obj, sizeof(obj));
		snprintf(state, sizeof(state), "waiting on %s since step %" PRIu64, obj, c->park_step);
		break;
	case LS_DONE:
		snprintf(state, sizeof(state), "done");
		break;
	case LS_READY:
		snprintf(state, sizeof(state), m->cpu[c->cpu].top == c ? "runnable" : "interrupted");
		break;
	default:
		snprintf(state, sizeof(state), "idle");
		break;
	}
	ls_buf_printf(b, "  %-7s %-10s %s, irqs %s, preempt %d\n", kind_word(c->kind), c->label, state,
		      c->irqs_off ? "off" : "on", c->preempt);
	if (c->state != LS_DONE && c->site) {
		site_text(m, c->addr, c->site, at, sizeof(at));
		ls_buf_printf(b, "          at %s%s\n",
			      c->state == LS_PARKED	 ? ""
			      : c->op == LS_OP_RESUME ? "an interrupt taken after "
						      : "next: ",
			      at);
		if (c->ip) {
			ls_buf_printf(b, "          ");
			ls_code_line(c->ip, b);
		}
	}
}

static void cpu_stacks(struct ls_buf *b, const struct ls_machine *m)
{
	for (int cpuno = 0; cpuno < m->ncpus; cpuno++) {
		const struct ls_cpu *cpu = &m->cpu[cpuno];
		ls_buf_printf(b, "CPU%d:%s\n", cpuno, cpu->top ? "" : " idle");
		/* The bottom task first, then its other tasks, then the interrupts over it. */
		if (cpu->task)
			ctx_line(b, m, cpu->task);
		for (int i = 0; i < m->ntasks; i++)
			if (m->ctx[i].cpu == cpuno && &m->ctx[i] != cpu->task)
				ctx_line(b, m, &m->ctx[i]);
		/* An NMI always sits above a hardirq it shares the CPU with: hardirqs never
		 * enter over an NMI. */
		if (cpu->hardirq->state != LS_IDLE)
			ctx_line(b, m, cpu->hardirq);
		if (cpu->nmi->state != LS_IDLE)
			ctx_line(b, m, cpu->nmi);
	}
}

/* What a record says a context did, as one cell. */
static void event_text(const struct ls_machine *m, const struct ls_step_rec *r, char *cell,
		       size_t n)
{
	const struct ls_ctx *c = &m->ctx[r->ctx];
	const char *name = ls_rec_label(m, r);
	char obj[64];
	/* A CPU has one NMI and one hardirq context: the column and the mark name it. */
	const char *who = c->kind == LS_CTX_NMI ? "[NMI]" : c->kind == LS_CTX_HARDIRQ ? "[IRQ]" :
			  c->kind == LS_CTX_SOFTIRQ ? "[SOFTIRQ]" : name;
	const char *what = r->site ? r->site->what : "?";
	bool named = r->addr && ls_machine_describe(m, r->addr, obj, sizeof(obj));
	switch (r->op) {
	case LS_OP_ENTER:
		snprintf(cell, n, c->kind == LS_CTX_TASK ? "%s starts" : ">> %s enters", name);
		break;
	case LS_OP_EXIT:
		snprintf(cell, n, "<< %s returns", name);
		break;
	case LS_OP_RESUME:
		snprintf(cell, n, "%s: %s%s", who, r->addr ? "wakes in " : "resumes after ", what);
		break;
	case LS_OP_DRAIN:
		/* A store issued earlier (weak memory models) reaches memory: every CPU sees it. */
		if (named)
			snprintf(cell, n, "%s: %s(%s) visible", who, what, obj);
		else
			snprintf(cell, n, "%s: %s visible", who, what);
		break;
	case LS_OP_PARK:
		if (named)
			snprintf(cell, n, "%s: wait %s(%s)", who, what, obj);
		else
			snprintf(cell, n, "%s: wait %s", who, what);
		break;
	default:
		if (named)
			snprintf(cell, n, "%s: %s(%s)", who, what, obj);
		else
			snprintf(cell, n, "%s: %s", who, what);
		break;
	}
}

/* The contexts a report's event window follows: for a deadlock, those on the wait-for cycle; for
 * a stall the model reported, the stalled context and the chain of contexts it waits for.  Returns
 * how many, 0 for every context (no cycle, a limit's stall, an invariant, a validator report). */
static int focus(const struct ls_machine *m, enum ls_kind kind, bool *in)
{
	struct ls_wait w[LS_MAX_CTX];
	memset(in, 0, sizeof(bool) * LS_MAX_CTX);
	int start = -1;
	if (kind == LS_KIND_DEADLOCK || kind == LS_KIND_STALL)
		ls_wait_graph(m, w);
	if (kind == LS_KIND_DEADLOCK)
		start = ls_wait_cycle_start(w, m->nctx);
	else if (kind == LS_KIND_STALL && m->stall.set)
		start = m->stall.ctx;
	int n = 0;
	for (int c = start; c >= 0 && c < m->nctx && !in[c]; c = w[c].next, n++)
		in[c] = true;
	return n;
}

/* The last TIMELINE_STEPS events of the contexts the finding is about (focus()), one column per
 * CPU, each column as wide as its longest event so no name is cut; the events of other contexts
 * in between are counted, not shown. */
static void timeline(struct ls_buf *b, const struct ls_machine *m, enum ls_kind kind)
{
	bool in[LS_MAX_CTX];
	int nfocus = focus(m, kind, in);
	uint64_t first = m->nring > LS_RING ? m->nring - LS_RING : 0;
	uint64_t from = m->nring, shown = 0, hidden = 0;
	while (from > first && shown < TIMELINE_STEPS) {
		const struct ls_step_rec *r = &m->ring[(from - 1) % LS_RING];
		from--;
		if (!nfocus || r->op == LS_OP_TIME || in[r->ctx])
			shown++;
		else
			hidden++;
	}
	/* Each CPU's column: as wide as its widest event, at least its heading. */
	int width[LS_MAX_CPUS];
	char cell[256];
	for (int c = 0; c < m->ncpus; c++)
		width[c] = 4;
	for (uint64_t i = from; i < m->nring; i++) {
		const struct ls_step_rec *r = &m->ring[i % LS_RING];
		if (r->op == LS_OP_TIME || (nfocus && !in[r->ctx]))
			continue;
		event_text(m, r, cell, sizeof(cell));
		int cpu = m->ctx[r->ctx].cpu, len = (int)strlen(cell);
		if (len > width[cpu])
			width[cpu] = len;
	}
	if (nfocus) {
		ls_buf_printf(b, "last %" PRIu64 " events of ", shown);
		int k = 0;
		for (int c = 0; c < m->nctx; c++)
			if (in[c])
				ls_buf_printf(b, "%s%s", k++ ? (k == nfocus ? " and " : ", ") : "",
					      m->ctx[c].label);
		ls_buf_printf(b, ", the context%s %s, each at the step it ran (~> marks a "
			      "scheduler decision)", nfocus == 1 ? "" : "s",
			      kind == LS_KIND_DEADLOCK ? "in the cycle"
						       : "that stalled and what it waits for");
		if (hidden)
			ls_buf_printf(b, "; %" PRIu64 " event%s of other contexts in between not "
				      "shown", hidden, hidden == 1 ? "" : "s");
		ls_buf_printf(b, ":\n");
	} else {
		ls_buf_printf(b, "last %" PRIu64 " events, each at the step it ran (~> marks a "
			      "scheduler decision):\n", shown);
	}
	ls_buf_printf(b, "  %8s %12s", "step", "time(ns)");
	for (int c = 0; c < m->ncpus; c++) {
		char h[16];
		snprintf(h, sizeof(h), "CPU%d", c);
		ls_buf_printf(b, "  %-*s", width[c], h);
	}
	while (b->len && b->s[b->len - 1] == ' ')
		b->s[--b->len] = 0;
	ls_buf_printf(b, "\n");
	for (uint64_t i = from; i < m->nring; i++) {
		const struct ls_step_rec *r = &m->ring[i % LS_RING];
		const struct ls_ctx *c = &m->ctx[r->ctx];
		if (r->op != LS_OP_TIME && nfocus && !in[r->ctx])
			continue;
		ls_buf_printf(b, "  %8" PRIu64 " %12" PRIu64, r->step, r->clock);
		if (r->op == LS_OP_TIME) {
			/* No CPU runs: one line across the columns. */
			ls_buf_printf(b, "  -- time passes: %s --\n",
				      r->decided ? "the running CPUs are slow until the next deadline"
						 : "every context waits until the next deadline");
			continue;
		}
		event_text(m, r, cell, sizeof(cell));
		for (int col = 0; col < m->ncpus; col++)
			ls_buf_printf(b, "  %-*s", width[col], col == c->cpu ? cell : "");
		/* Trailing spaces make diffs noisy. */
		while (b->len && b->s[b->len - 1] == ' ')
			b->s[--b->len] = 0;
		ls_buf_printf(b, "\n");
		if (r->decided) {
			char ch[64];
			ls_choice_format(m, &r->choice, ch, sizeof(ch));
			ls_buf_printf(b, "  %8s %12s", "", "");
			for (int col = 0; col < c->cpu; col++)
				ls_buf_printf(b, "  %-*s", width[col], "");
			ls_buf_printf(b, "    ~> %s\n", ch);
		}
	}
}

void ls_report_write(const struct ls_session *s, const struct ls_result *r, const char *strategy,
		     const char *replay_path, struct ls_buf *b)
{
	const struct ls_machine *m = s->m;
	char title[1100], cycle[1000];
	const struct ls_lockdep_report *ld = r->kind != LS_KIND_NONE ? ls_lockdep_report() : NULL;
	bool validator_finding = r->kind == LS_KIND_LOCKDEP || r->kind == LS_KIND_AVERTED;
	switch (r->kind) {
	case LS_KIND_DEADLOCK:
		snprintf(title, sizeof(title), "WARNING: lockstep: deadlock: no context can make progress");
		break;
	case LS_KIND_STALL:
		snprintf(title, sizeof(title), "WARNING: lockstep: stall: %s", m->out.detail);
		break;
	case LS_KIND_INVARIANT:
		snprintf(title, sizeof(title), "WARNING: lockstep: invariant violated: %s", m->out.detail);
		break;
	default:
		snprintf(title, sizeof(title), "lockstep: execution completed, nothing found");
		break;
	}
	if (validator_finding && ld) {
		ls_lockdep_render(ld, m, b);
		ls_buf_printf(b, "\n");
	} else {
		header(b, title);
	}
	ls_buf_printf(b, "%s:%s, %s seed %" PRIu64 ": %" PRIu64 " steps, %" PRIu64
			 " ns virtual, %zu decision%s (%" PRIu64 " preemptions, %" PRIu64
			 " interrupts injected)\n",
		      s->target->name, s->target->variants[s->variant].name, strategy, r->seed,
		      r->steps, r->clock, m->nlog, m->nlog == 1 ? "" : "s", m->preemptions,
		      m->injections);
	if (r->kind != LS_KIND_NONE) {
		ls_buf_printf(b, "bug %012llx: %s\n", r->bug_hash & 0xffffffffffffull, r->title);
		ls_buf_printf(b, "signature %012llx: %s\n", r->hash & 0xffffffffffffull, r->signature);
	}

	if (r->kind == LS_KIND_INVARIANT && m->out.site) {
		char at[200];
		site_text(m, NULL, m->out.site, at, sizeof(at));
		ls_buf_printf(b, "\n%s failed at %s\n", m->out.ctx >= 0 ? m->ctx[m->out.ctx].label : "check",
			      at);
	}
	if (r->kind == LS_KIND_DEADLOCK) {
		ls_buf_printf(b, "\nwait-for cycle:\n");
		if (ls_wait_cycle(m, cycle, sizeof(cycle)))
			ls_buf_printf(b, "  %s\n", cycle);
		else
			ls_buf_printf(b, "  none: a context waits on a word no live context holds\n");
	}
	if (ld && !validator_finding) {
		ls_buf_printf(b, "\nthe lock validator reported, before the end:\n");
		ls_lockdep_render(ld, m, b);
	}
	if (validator_finding)
		ls_buf_printf(b, "\nthe execution went on to completion; how it reached the report:\n");
	ls_buf_printf(b, "\n");
	cpu_stacks(b, m);
	ls_buf_printf(b, "\n");
	timeline(b, m, r->kind);
	if (r->kind == LS_KIND_DEADLOCK)
		ls_buf_printf(b, "\n *** DEADLOCK ***\n");
	if (replay_path) {
		ls_buf_printf(b, "\nreplay: ");
		const struct ls_ksrc_build *k = ls_ksrc_active();
		ls_replay_command(s->target->name, k ? k->tree : NULL, replay_path, b);
		ls_buf_printf(b, "\n");
	}
}

void ls_replay_command(const char *target, const char *kernel_tree, const char *path,
		       struct ls_buf *b)
{
	ls_buf_printf(b, "lockstep replay");
	if (ls_target_names_object(target))
		ls_buf_printf(b, " --target %s", target);
	if (kernel_tree && *kernel_tree)
		ls_buf_printf(b, " --kernel-tree %s", kernel_tree);
	ls_buf_printf(b, " %s", path);
}

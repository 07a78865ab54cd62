/* The executor: resets the model library and the target, runs one execution on the machine, and
 * names what it found with a signature that is stable across runs, builds and schedules.
 *
 * A signature says what went wrong in terms of contexts and named objects, never steps, times or
 * addresses, so two schedules that reach the same hang share one signature and one crash file.
 * For a deadlock it is the wait-for cycle, rotated to start at the lowest context id; without a
 * cycle it is the sorted set of waits.  In the wait-for graph each waiting context points at the
 * one it waits for: for a word it is parked on, whom the lock model names (the holder, or for a
 * FIFO lock the waiter queued just ahead, so a cycle may run through queue order); the interrupt
 * sitting on top of it; or the task holding its CPU. */
#include "exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lockstep/kernel.h>

#include "lockdep/lockdep.h"
#include "model/model.h"

#include "buf.h"
#include "bug.h"
#include "../sched/cycle.h"

bool ls_session_init(struct ls_session *s, const struct ls_target *t, int variant,
		     const struct ls_config *cfg, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->target = t;
	s->variant = variant;
	s->m = ls_machine_create(t, cfg, err, errlen);
	if (!s->m)
		return false;
	s->validator = ls_validator_create();
	if (!s->validator) {
		snprintf(err, errlen, "out of memory for the lock validator");
		ls_session_finish(s);
		return false;
	}
	ls_session_set_lockdep(s, LS_LOCKDEP_ON);
	return true;
}

void ls_session_set_lockdep(struct ls_session *s, enum ls_lockdep_mode mode)
{
	static const enum ls_validate modes[] = {
		[LS_LOCKDEP_ON] = LS_VALIDATE_ON,
		[LS_LOCKDEP_OFF] = LS_VALIDATE_OFF,
		[LS_LOCKDEP_COMPAT] = LS_VALIDATE_COMPAT,
	};
	s->lockdep = s->applied = mode;
	s->executions = 0;
	ls_lockdep_reset(s->validator, modes[mode]);
}

void ls_session_finish(struct ls_session *s)
{
	ls_machine_destroy(s->m);
	ls_validator_destroy(s->validator);
	s->m = NULL;
	s->validator = NULL;
}

void ls_wait_graph(const struct ls_machine *m, struct ls_wait *w)
{
	for (int i = 0; i < m->nctx; i++) {
		const void *addr;
		const char *how;
		int next = ls_machine_waits_for(m, i, &addr, &how);
		w[i] = (struct ls_wait){ next, addr, how };
	}
}

static void edge_text(const struct ls_machine *m, const struct ls_ctx *c, const struct ls_wait *w,
		      struct ls_buf *b)
{
	if (w->addr) {
		char obj[160];
		ls_machine_describe_wait(m, w->addr, obj, sizeof(obj));
		ls_buf_printf(b, "waits in %s on %s", c->site ? c->site->what : "?", obj);
		if (w->next >= 0) {
			const struct ls_ctx *n = &m->ctx[w->next];
			ls_buf_printf(b, " %s %s", w->how, n->label);
			if (n->state == LS_DONE)
				ls_buf_printf(b, ", which returned");
		}
	} else {
		ls_buf_printf(b, "%s %s", w->how, m->ctx[w->next].label);
	}
}

int ls_wait_cycle_start(const struct ls_wait *w, int nctx)
{
	int next[LS_MAX_CTX];
	for (int i = 0; i < nctx; i++)
		next[i] = w[i].next;
	return ls_cycle_start(next, nctx);
}

bool ls_wait_cycle(const struct ls_machine *m, char *out, size_t n)
{
	struct ls_wait w[LS_MAX_CTX];
	ls_wait_graph(m, w);
	int start = ls_wait_cycle_start(w, m->nctx);
	if (start < 0)
		return false;
	struct ls_buf b = { 0 };
	ls_buf_printf(&b, "%s ", m->ctx[start].label);
	int x = start;
	do {
		if (x != start)
			ls_buf_printf(&b, ", which ");
		edge_text(m, &m->ctx[x], &w[x], &b);
		x = w[x].next;
	} while (x != start);
	snprintf(out, n, "%s", b.s);
	ls_buf_finish(&b);
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void ls_live_set(const struct ls_machine *m, ls_live_line line, struct ls_buf *b)
{
	struct ls_wait w[LS_MAX_CTX];
	ls_wait_graph(m, w);
	char lines[LS_MAX_CTX][320];
	char *sorted[LS_MAX_CTX];
	int n = 0;
	for (int i = 0; i < m->nctx; i++) {
		const struct ls_ctx *c = &m->ctx[i];
		if (c->state == LS_IDLE || c->state == LS_DONE)
			continue;
		line(m, i, &w[i], lines[n], sizeof(lines[n]));
		sorted[n] = lines[n];
		n++;
	}
	qsort(sorted, (size_t)n, sizeof(sorted[0]), cmp_str);
	for (int i = 0; i < n; i++)
		ls_buf_printf(b, "%s%s", i ? "; " : "", sorted[i]);
}

/* A live context's line of a signature: its name and what it waits for or runs. */
static void wait_line(const struct ls_machine *m, int ctx, const struct ls_wait *w, char *out,
		      size_t n)
{
	const struct ls_ctx *c = &m->ctx[ctx];
	struct ls_buf e = { 0 };
	if (w->addr || w->next >= 0)
		edge_text(m, c, w, &e);
	else
		ls_buf_printf(&e, "runs %s", c->site ? c->site->func : "?");
	snprintf(out, n, "%s %s", c->label, e.s);
	ls_buf_finish(&e);
}

static void signature(const struct ls_machine *m, enum ls_kind kind, struct ls_result *r)
{
	struct ls_buf b = { 0 };
	char cycle[1000];
	ls_buf_printf(&b, "%s: ", ls_kind_name(kind));
	switch (kind) {
	case LS_KIND_DEADLOCK:
		if (ls_wait_cycle(m, cycle, sizeof(cycle)))
			ls_buf_printf(&b, "%s", cycle);
		else
			ls_live_set(m, wait_line, &b);
		break;
	case LS_KIND_STALL:
		/* A model stall is named by who stalled in what, never by how long. */
		if (m->out.what[0]) {
			ls_buf_printf(&b, "%s: %s", ls_ctx_name(m->out.ctx), m->out.what);
			break;
		}
		ls_buf_printf(&b, "%s: ", m->out.detail);
		ls_live_set(m, wait_line, &b);
		break;
	case LS_KIND_INVARIANT:
		ls_buf_printf(&b, "%s", m->out.detail);
		if (m->out.site)
			ls_buf_printf(&b, " in %s", m->out.site->func);
		break;
	case LS_KIND_LOCKDEP:
	case LS_KIND_AVERTED:
		/* The validator's signature names its shape first: "ABBA: lock_a, lock_b; t0, t1". */
		ls_buf_reset(&b);
		ls_lockdep_signature(ls_lockdep_report(), m, &b);
		break;
	default:
		break;
	}
	snprintf(r->signature, sizeof(r->signature), "%s", b.s);
	r->hash = ls_fnv1a(r->signature, strlen(r->signature));
	ls_buf_finish(&b);
}

/* The finding's bug, unless the session leaves that to its caller (defer_bug). */
static void identify(const struct ls_session *s, struct ls_result *r)
{
	r->bug[0] = r->title[0] = 0;
	r->bug_hash = 0;
	if (!s->defer_bug)
		ls_bug_identify(s->m, r);
}

/* The shape and the cited executions of a validator finding. */
static void validator_finding(struct ls_result *r, const struct ls_lockdep_report *ld)
{
	snprintf(r->shape, sizeof(r->shape), "%s%s", ld->averted ? "averted-" : "", ld->shape);
	r->nprior = ld->nprior;
	for (int i = 0; i < ld->nprior; i++) {
		r->prior_seed[i] = ld->prior_seed[i];
		r->prior_exec[i] = ld->prior_exec[i];
	}
}

bool ls_session_select_report(struct ls_session *s, struct ls_result *r, const char *want)
{
	if (r->kind != LS_KIND_LOCKDEP && r->kind != LS_KIND_AVERTED)
		return false;
	for (int i = 0; i < ls_lockdep_nreports(); i++) {
		const struct ls_lockdep_report *ld = ls_lockdep_report_at(i);
		ls_lockdep_select(i);
		r->kind = ld->averted ? LS_KIND_AVERTED : LS_KIND_LOCKDEP;
		signature(s->m, r->kind, r);
		if (strcmp(r->signature, want) == 0) {
			identify(s, r);
			validator_finding(r, ld);
			return true;
		}
	}
	/* None matches: back to the first. */
	ls_lockdep_select(0);
	const struct ls_lockdep_report *ld = ls_lockdep_report();
	r->kind = ld->averted ? LS_KIND_AVERTED : LS_KIND_LOCKDEP;
	signature(s->m, r->kind, r);
	identify(s, r);
	validator_finding(r, ld);
	return false;
}

static enum ls_kind execute(struct ls_session *s, struct ls_strategy *st, uint32_t exec,
			    uint64_t seed)
{
	struct ls_machine *m = s->m;
	ls_machine_select(m);
	m->raised_irq = NULL;
	if (s->lockdep != s->applied)
		ls_session_set_lockdep(s, s->lockdep);
	ls_model_reset();
	ls_lockdep_begin(s->validator, exec, seed);
	s->target->init(s->variant);
	return ls_machine_run(m, st, seed);
}

void ls_session_rerun(struct ls_session *s, struct ls_strategy *st, uint32_t exec, uint64_t seed)
{
	execute(s, st, exec, seed);
}

enum ls_kind ls_session_run(struct ls_session *s, struct ls_strategy *st, uint64_t seed,
			    struct ls_result *r)
{
	struct ls_machine *m = s->m;
	s->strategy = st;
	enum ls_kind kind = execute(s, st, s->executions++, seed);
	if (kind == LS_KIND_NONE && s->target->check) {
		s->target->check(s->variant);
		kind = m->out.kind;
	}
	/* A stall the model reported while the execution went on. */
	if (kind == LS_KIND_NONE && m->stall.set) {
		const struct ls_stall_note *sn = &m->stall;
		kind = m->out.kind = LS_KIND_STALL;
		m->out.ctx = sn->ctx;
		m->out.site = sn->site;
		snprintf(m->out.what, sizeof(m->out.what), "%s", sn->what);
		snprintf(m->out.detail, sizeof(m->out.detail), "%s on CPU%d stalled %llu.%llu ms: %s",
			 ls_ctx_name(sn->ctx), sn->cpu, (unsigned long long)(sn->waited / 1000000),
			 (unsigned long long)(sn->waited / 100000 % 10), sn->what);
	}
	/* A hang or a failed check is the stronger finding; the validator's report, if any, is
	 * printed with it.  Otherwise the validator's report is the finding. */
	const struct ls_lockdep_report *ld = ls_lockdep_report();
	if (kind == LS_KIND_NONE && ld)
		kind = ld->averted ? LS_KIND_AVERTED : LS_KIND_LOCKDEP;
	r->kind = kind;
	r->seed = seed;
	r->steps = m->step;
	r->clock = m->clock;
	r->nprior = 0;
	r->shape[0] = 0;
	if (kind != LS_KIND_NONE) {
		signature(m, kind, r);
		identify(s, r);
		snprintf(r->shape, sizeof(r->shape), "%s", ls_kind_name(kind));
	} else {
		r->signature[0] = 0;
		r->hash = 0;
		r->bug[0] = r->title[0] = 0;
		r->bug_hash = 0;
	}
	if ((kind == LS_KIND_LOCKDEP || kind == LS_KIND_AVERTED) && ld)
		validator_finding(r, ld);
	return kind;
}

static const char *const kind_names[LS_KIND_COUNT] = {
	[LS_KIND_NONE] = "none",
	[LS_KIND_DEADLOCK] = "deadlock",
	[LS_KIND_STALL] = "stall",
	[LS_KIND_INVARIANT] = "invariant",
	[LS_KIND_LOCKDEP] = "lockdep",
	[LS_KIND_AVERTED] = "averted",
	[LS_KIND_CRASH] = "crash",
};

const char *ls_kind_name(enum ls_kind kind)
{
	return (unsigned)kind < LS_KIND_COUNT ? kind_names[kind] : "?";
}

/* The executor: resets the model library and the target, runs one execution on the machine, and
 * names what it found with a signature that is stable across runs, builds and schedules.
 *
 * A signature says what went wrong in terms of contexts and named objects, never steps, times or
 * addresses, so two schedules that reach the same hang share one signature and one crash file.
 * For a deadlock it is the wait-for cycle (each waiting context points at the one it waits for:
 * the holder of the word it is parked on, or the interrupt sitting on top of it), rotated to
 * start at the lowest context id; without a cycle it is the sorted set of waits. */
#include "exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lockstep/kernel.h>

#include "model/model.h"

#include "buf.h"

bool ls_session_init(struct ls_session *s, const struct ls_target *t, int variant,
		     const struct ls_config *cfg, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->target = t;
	s->variant = variant;
	s->m = ls_machine_create(t, cfg, err, errlen);
	return s->m != NULL;
}

void ls_session_finish(struct ls_session *s)
{
	ls_machine_destroy(s->m);
	s->m = NULL;
}

void ls_wait_graph(const struct ls_machine *m, struct ls_wait *w)
{
	for (int i = 0; i < m->nctx; i++) {
		const struct ls_ctx *c = &m->ctx[i];
		w[i] = (struct ls_wait){ -1, NULL, NULL };
		if (c->state == LS_IDLE || c->state == LS_DONE)
			continue;
		const struct ls_cpu *cpu = &m->cpu[c->cpu];
		if (cpu->top != c) {
			const struct ls_ctx *above = NULL;
			for (int j = 0; j < m->nctx; j++)
				if (m->ctx[j].below == c && m->ctx[j].state != LS_IDLE)
					above = &m->ctx[j];
			if (above) {
				w[i] = (struct ls_wait){ above->id, NULL, "is interrupted by" };
				continue;
			}
			if (c->kind == LS_CTX_TASK && cpu->top) {
				w[i] = (struct ls_wait){ cpu->top->id, NULL,
							 "waits for the CPU held by" };
				continue;
			}
		}
		if (c->state == LS_PARKED) {
			int owner = m->hooks && m->hooks->owner ? m->hooks->owner(c->addr) : -1;
			w[i] = (struct ls_wait){ owner, c->addr, "waits" };
		}
	}
}

static void edge_text(const struct ls_machine *m, const struct ls_ctx *c, const struct ls_wait *w,
		      struct ls_buf *b)
{
	if (w->addr) {
		char obj[64];
		ls_machine_describe(m, w->addr, obj, sizeof(obj));
		ls_buf_printf(b, "waits in %s on %s", c->site ? c->site->what : "?", obj);
		if (w->next >= 0)
			ls_buf_printf(b, " held by %s", m->ctx[w->next].name);
	} else {
		ls_buf_printf(b, "%s %s", w->how, m->ctx[w->next].name);
	}
}

bool ls_wait_cycle(const struct ls_machine *m, char *out, size_t n)
{
	struct ls_wait w[LS_MAX_CTX];
	ls_wait_graph(m, w);
	for (int start = 0; start < m->nctx; start++) {
		/* Walk at most nctx edges; if we come back to start, it is on a cycle. */
		int x = start, len = 0;
		do {
			x = w[x].next;
			len++;
		} while (x >= 0 && x != start && len <= m->nctx);
		if (x != start)
			continue;
		/* start is the lowest id on its cycle, since lower starts were tried first. */
		struct ls_buf b = { 0 };
		ls_buf_printf(&b, "%s ", m->ctx[start].name);
		x = start;
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
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The waits (deadlock) or positions (stall) of every live context, sorted, joined by "; ". */
static void wait_set(const struct ls_machine *m, struct ls_buf *b)
{
	struct ls_wait w[LS_MAX_CTX];
	ls_wait_graph(m, w);
	char lines[LS_MAX_CTX][160];
	char *sorted[LS_MAX_CTX];
	int n = 0;
	for (int i = 0; i < m->nctx; i++) {
		const struct ls_ctx *c = &m->ctx[i];
		if (c->state == LS_IDLE || c->state == LS_DONE)
			continue;
		struct ls_buf e = { 0 };
		if (w[i].addr || w[i].next >= 0)
			edge_text(m, c, &w[i], &e);
		else
			ls_buf_printf(&e, "runs %s", c->site ? c->site->func : "?");
		snprintf(lines[n], sizeof(lines[n]), "%s %s", c->name, e.s);
		ls_buf_finish(&e);
		sorted[n] = lines[n];
		n++;
	}
	qsort(sorted, (size_t)n, sizeof(sorted[0]), cmp_str);
	for (int i = 0; i < n; i++)
		ls_buf_printf(b, "%s%s", i ? "; " : "", sorted[i]);
}

static void signature(const struct ls_machine *m, struct ls_result *r)
{
	struct ls_buf b = { 0 };
	char cycle[400];
	ls_buf_printf(&b, "%s: ", ls_kind_name(m->out.kind));
	switch (m->out.kind) {
	case LS_KIND_DEADLOCK:
		if (ls_wait_cycle(m, cycle, sizeof(cycle)))
			ls_buf_printf(&b, "%s", cycle);
		else
			wait_set(m, &b);
		break;
	case LS_KIND_STALL:
		ls_buf_printf(&b, "%s: ", m->out.detail);
		wait_set(m, &b);
		break;
	case LS_KIND_INVARIANT:
		ls_buf_printf(&b, "%s", m->out.detail);
		if (m->out.site)
			ls_buf_printf(&b, " in %s", m->out.site->func);
		break;
	default:
		break;
	}
	snprintf(r->signature, sizeof(r->signature), "%s", b.s);
	r->hash = ls_fnv1a(r->signature, strlen(r->signature));
	ls_buf_finish(&b);
}

enum ls_kind ls_session_run(struct ls_session *s, struct ls_strategy *st, uint64_t seed,
			    struct ls_result *r)
{
	struct ls_machine *m = s->m;
	ls_machine_select(m);
	m->raised_irq = NULL;
	ls_model_reset();
	s->target->init(s->variant);
	enum ls_kind kind = ls_machine_run(m, st, seed);
	if (kind == LS_KIND_NONE && s->target->check) {
		s->target->check(s->variant);
		kind = m->out.kind;
	}
	r->kind = kind;
	r->seed = seed;
	r->steps = m->step;
	r->clock = m->clock;
	if (kind != LS_KIND_NONE) {
		signature(m, r);
	} else {
		r->signature[0] = 0;
		r->hash = 0;
	}
	return kind;
}

static const char *const kind_names[LS_KIND_COUNT] = {
	[LS_KIND_NONE] = "none",
	[LS_KIND_DEADLOCK] = "deadlock",
	[LS_KIND_STALL] = "stall",
	[LS_KIND_INVARIANT] = "invariant",
};

const char *ls_kind_name(enum ls_kind kind)
{
	return (unsigned)kind < LS_KIND_COUNT ? kind_names[kind] : "?";
}

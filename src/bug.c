/* Bug identity.  A finding has a placement (its signature: which contexts, on which CPUs, in
 * which order the machine met them) and a bug (what went wrong, whatever the placement).  A
 * campaign counts bugs; it keeps one trace per bug and lists the placements seen under it.
 *
 * The canonical form of a deadlock is its wait-for cycle written as a ring of participants, each
 * its context's kind and what it waits for:
 *
 *   NMI perf waits for &st->lock -> task is interrupted
 *
 * A kind is "task", "softirq", "hardirq SOURCE" or "NMI SOURCE" (the declared source name; a
 * source called "nmi" or "irq" is left out as saying nothing more), never a task's name or a CPU.
 * A lock is named by its validator class (a held-stack entry still trying or queued: the
 * acquisition the context is parked in; with the validator off, the lock's name), or without
 * one by the model's name for the word, CPU numbers taken out.  Three normalisations make one bug of its placements:
 *   - bystanders: a context queued behind another that waits on the same lock instance waits,
 *     in effect, for whatever that one waits for; queue edges are followed through such waiters
 *     before the cycle is looked for, so contexts merely queued behind the cycle drop out;
 *   - mirror images and CPU numbers: nothing in a participant names a CPU or a context, and the
 *     ring is rotated to its lexicographically smallest rotation;
 *   - the validator's view: the reports that predict a deadlock are written as the ring they
 *     predict.  A cycle of dependencies d0..dn closed by the acquisition of `next` while holding
 *     `prev` is the ring "acquirer waits for next, then each dependency's first context waits
 *     for its `to`" (dependency i's context holds its `from`, which the previous one waits for);
 *     recursive locking is a one-context ring; an interrupt's AA, and inconsistent usage where
 *     one side is "used in" an interrupt, is "the other side is interrupted, the interrupt waits
 *     for the lock".  So the hang and the report that predicts it are one bug.
 * Other validator reports (irq inversion and irq-safe -> irq-unsafe orders, whose hang needs a
 * third context; bad unlocks, freed or leaked locks, wait-context violations) are identified by
 * their shape, their sorted classes and the sorted set of their contexts' kinds.  A stall is its
 * stalled context's kind and what the model says it stalled in; a limit stall is its live
 * contexts' kinds and waits, sorted.  An invariant is its message, every number in it written
 * N, and its function; a crash its signature with CPU numbers taken out.
 *
 * A bug's title is one line in the kernel's words, made from the canonical form alone, so every
 * placement and view of one bug gets the same title. */
#include "bug.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lockdep/lockdep.h"
#include "../sched/cycle.h"

enum part_what { PART_WAITS, PART_INTERRUPTED, PART_CPU, PART_RUNS };

struct part {
	char kind[64];
	enum part_what what;
	char obj[160];		/* the lock (PART_WAITS) or function (PART_RUNS) */
};

struct ring {
	struct part p[LS_MAX_CTX];
	int n;
};

/* Copies s, with every CPU number replaced by '*': "cpu1", "CPU#1", "CPU1" and "[1]" after
 * "cpu" stay recognisable ("rqnodes[cpu*][1]"), and only digits right after "cpu" go. */
static void uncpu(const char *s, char *out, size_t n)
{
	size_t o = 0;
	while (*s && o + 1 < n) {
		if ((s[0] == 'c' || s[0] == 'C') && (s[1] == 'p' || s[1] == 'P') &&
		    (s[2] == 'u' || s[2] == 'U')) {
			size_t k = 3;
			if (s[k] == '#')
				k++;
			if (isdigit((unsigned char)s[k])) {
				for (size_t i = 0; i < k && o + 1 < n; i++)
					out[o++] = s[i];
				if (o + 1 < n)
					out[o++] = '*';
				s += k;
				while (isdigit((unsigned char)*s))
					s++;
				continue;
			}
		}
		out[o++] = *s++;
	}
	out[o] = 0;
}

/* A context's kind as a bug names it, from its kind and its label ("perf@cpu0"). */
static void kind_of(enum ls_ctx_kind k, const char *label, char *out, size_t n)
{
	const char *word = k == LS_CTX_NMI ? "NMI" : k == LS_CTX_HARDIRQ ? "hardirq" :
			   k == LS_CTX_SOFTIRQ ? "softirq" : "task";
	if (k != LS_CTX_NMI && k != LS_CTX_HARDIRQ) {
		snprintf(out, n, "%s", word);
		return;
	}
	const char *at = label ? strchr(label, '@') : NULL;
	int len = at ? (int)(at - label) : 0;
	if (!len || (len == 3 && (strncmp(label, "nmi", 3) == 0 || strncmp(label, "irq", 3) == 0)))
		snprintf(out, n, "%s", word);
	else
		snprintf(out, n, "%s %.*s", word, len, label);
}

static void ctx_kind(const struct ls_machine *m, int ctx, char *out, size_t n)
{
	kind_of(m->ctx[ctx].kind, m->ctx[ctx].label, out, n);
}

/* The lock a parked context waits for: its class and instance from the validator's held stack,
 * or the model's name for the word and the word itself. */
static void waited_lock(const struct ls_machine *m, int ctx, const void *addr, char *cls,
			size_t n, const void **inst)
{
	const struct ls_held *h;
	int d = ls_lockdep_held(ctx, &h);
	for (int i = d - 1; i >= 0; i--)
		if (h[i].state != LS_HELD_HELD) {
			const char *name = ls_lockdep_classes_valid() ?
					   ls_lockdep_class(h[i].class_id)->name :
					   h[i].map ? h[i].map->name : NULL;
			snprintf(cls, n, "%s", name ? name : "?");
			*inst = h[i].lock;
			return;
		}
	char name[160];
	ls_machine_describe(m, addr, name, sizeof(name));
	uncpu(name, cls, n);
	*inst = addr;
}

static void part_text(const struct part *p, char *out, size_t n)
{
	switch (p->what) {
	case PART_WAITS:
		snprintf(out, n, "%s waits for %s", p->kind, p->obj);
		break;
	case PART_INTERRUPTED:
		snprintf(out, n, "%s is interrupted", p->kind);
		break;
	case PART_CPU:
		snprintf(out, n, "%s waits for its CPU", p->kind);
		break;
	case PART_RUNS:
		snprintf(out, n, "%s runs %s", p->kind, p->obj);
		break;
	}
}

static int part_cmp(const struct part *a, const struct part *b)
{
	char x[256], y[256];
	part_text(a, x, sizeof(x));
	part_text(b, y, sizeof(y));
	return strcmp(x, y);
}

/* Rotates the ring to its smallest rotation, comparing participant by participant. */
static void rotate_min(struct ring *r)
{
	int best = 0;
	for (int s = 1; s < r->n; s++)
		for (int i = 0; i < r->n; i++) {
			int c = part_cmp(&r->p[(s + i) % r->n], &r->p[(best + i) % r->n]);
			if (c < 0)
				best = s;
			if (c)
				break;
		}
	struct ring t = *r;
	for (int i = 0; i < r->n; i++)
		r->p[i] = t.p[(best + i) % r->n];
}

static struct part *ring_add(struct ring *r, enum part_what what)
{
	if (r->n == LS_MAX_CTX)
		return NULL;
	struct part *p = &r->p[r->n++];
	memset(p, 0, sizeof(*p));
	p->what = what;
	return p;
}

/* The hang's ring: the wait-for cycle, queue edges followed through waiters of the same lock. */
static bool hang_ring(const struct ls_machine *m, struct ring *r)
{
	struct ls_wait w[LS_MAX_CTX];
	ls_wait_graph(m, w);
	int n = m->nctx, next[LS_MAX_CTX];
	const void *inst[LS_MAX_CTX] = { 0 };
	char cls[LS_MAX_CTX][160];
	for (int i = 0; i < n; i++) {
		cls[i][0] = 0;
		if (w[i].addr)
			waited_lock(m, i, w[i].addr, cls[i], sizeof(cls[i]), &inst[i]);
	}
	for (int i = 0; i < n; i++) {
		next[i] = w[i].next;
		if (!w[i].addr || next[i] < 0 || !w[i].how || strcmp(w[i].how, "queued behind") != 0)
			continue;
		int x = next[i];
		for (int k = 0; k < n && x >= 0 && x != i && w[x].addr && inst[x] == inst[i]; k++)
			x = w[x].next;
		next[i] = x;
	}
	int start = ls_cycle_start(next, n);
	if (start < 0) {
		for (int i = 0; i < n; i++)
			next[i] = w[i].next;
		start = ls_cycle_start(next, n);
	}
	if (start < 0)
		return false;
	int x = start;
	do {
		bool cpu = w[x].how && strncmp(w[x].how, "waits for the CPU", 17) == 0;
		struct part *p = ring_add(r, w[x].addr ? PART_WAITS : cpu ? PART_CPU : PART_INTERRUPTED);
		if (!p)
			break;
		ctx_kind(m, x, p->kind, sizeof(p->kind));
		snprintf(p->obj, sizeof(p->obj), "%s", cls[x]);
		x = next[x];
	} while (x != start);
	return true;
}

static const char *class_name(int id)
{
	const char *n = ls_lockdep_class(id)->name;
	return n ? n : "?";
}

static bool used_in(int bit)
{
	return bit >= LS_USED_IN_NMI || (bit < LS_USED && !(bit & LS_USAGE_DIR));
}

/* The ring a validator report predicts; false for reports that predict none by themselves. */
static bool lockdep_ring(const struct ls_machine *m, const struct ls_lockdep_report *ld,
			 struct ring *r)
{
	struct part *p;
	switch (ld->bug) {
	case LS_BUG_CIRCULAR:
		if (ld->chain_truncated)
			return false;
		p = ring_add(r, PART_WAITS);
		kind_of(ld->ctx_kind, ls_ctx_name(ld->ctx), p->kind, sizeof(p->kind));
		snprintf(p->obj, sizeof(p->obj), "%s", class_name(ld->next.class_id));
		for (int i = 0; i < ld->nchain && (p = ring_add(r, PART_WAITS)); i++) {
			const struct ls_dep *d = ls_lockdep_dep(ld->chain[i]);
			kind_of(d->origin.kind, d->origin.ctx, p->kind, sizeof(p->kind));
			snprintf(p->obj, sizeof(p->obj), "%s", class_name(d->to));
		}
		return true;
	case LS_BUG_RECURSIVE:
		p = ring_add(r, PART_WAITS);
		kind_of(ld->ctx_kind, ls_ctx_name(ld->ctx), p->kind, sizeof(p->kind));
		snprintf(p->obj, sizeof(p->obj), "%s", class_name(ld->next.class_id));
		return true;
	case LS_BUG_INTERRUPT_AA:
		if (ld->other_ctx < 0)
			return false;
		p = ring_add(r, PART_INTERRUPTED);
		ctx_kind(m, ld->other_ctx, p->kind, sizeof(p->kind));
		p = ring_add(r, PART_WAITS);
		kind_of(ld->ctx_kind, ls_ctx_name(ld->ctx), p->kind, sizeof(p->kind));
		snprintf(p->obj, sizeof(p->obj), "%s", class_name(ld->next.class_id));
		return true;
	case LS_BUG_USAGE: {
		const struct ls_lock_class *c = ls_lockdep_class(ld->next.class_id);
		const struct ls_origin *old = &c->first[ld->usage_old];
		char now[64], then[64];
		kind_of(ld->ctx_kind, ls_ctx_name(ld->ctx), now, sizeof(now));
		kind_of(old->kind, old->ctx, then, sizeof(then));
		const char *irq, *other;
		if (used_in(ld->usage_new) && !used_in(ld->usage_old)) {
			irq = now;
			other = then;
		} else if (used_in(ld->usage_old) && !used_in(ld->usage_new)) {
			irq = then;
			other = now;
		} else {
			return false;
		}
		p = ring_add(r, PART_INTERRUPTED);
		snprintf(p->kind, sizeof(p->kind), "%s", other);
		p = ring_add(r, PART_WAITS);
		snprintf(p->kind, sizeof(p->kind), "%s", irq);
		snprintf(p->obj, sizeof(p->obj), "%s", class_name(ld->next.class_id));
		return true;
	}
	default:
		return false;
	}
}

static void ring_key(const char *family, const struct ring *r, struct ls_buf *b)
{
	ls_buf_printf(b, "%s: ", family);
	for (int i = 0; i < r->n; i++) {
		char t[256];
		part_text(&r->p[i], t, sizeof(t));
		ls_buf_printf(b, "%s%s", i ? " -> " : "", t);
	}
}

static void ring_title(bool averted, const struct ring *r, struct ls_buf *b)
{
	const char *pre = averted ? "averted: " : "";
	bool all_wait = true;
	for (int i = 0; i < r->n; i++)
		all_wait &= r->p[i].what == PART_WAITS;
	if (r->n == 2 && r->p[0].what != r->p[1].what &&
	    (r->p[0].what == PART_INTERRUPTED || r->p[1].what == PART_INTERRUPTED) &&
	    (r->p[0].what == PART_WAITS || r->p[1].what == PART_WAITS)) {
		const struct part *irq = r->p[0].what == PART_WAITS ? &r->p[0] : &r->p[1];
		const struct part *under = irq == &r->p[0] ? &r->p[1] : &r->p[0];
		ls_buf_printf(b, "%sdeadlock: %s spins on %s, which the %s it interrupted holds or "
			      "waits for", pre, irq->kind, irq->obj, under->kind);
		return;
	}
	if (all_wait && r->n == 1) {
		ls_buf_printf(b, "%spossible recursive locking: %s (%s)", pre, r->p[0].obj,
			      r->p[0].kind);
		return;
	}
	if (all_wait) {
		ls_buf_printf(b, "%spossible circular locking dependency: ", pre);
		for (int i = 0; i < r->n; i++)
			ls_buf_printf(b, "%s%s", i ? " -> " : "", r->p[i].obj);
		ls_buf_printf(b, " (");
		for (int i = 0; i < r->n; i++)
			ls_buf_printf(b, "%s%s", i ? ", " : "", r->p[i].kind);
		ls_buf_printf(b, ")");
		return;
	}
	ls_buf_printf(b, "%sdeadlock: ", pre);
	for (int i = 0; i < r->n; i++) {
		char t[256];
		part_text(&r->p[i], t, sizeof(t));
		ls_buf_printf(b, "%s%s", i ? ", " : "", t);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A live context's line of a bug without a cycle: its kind and what it waits for or runs. */
static void kind_line(const struct ls_machine *m, int ctx, const struct ls_wait *w, char *out,
		      size_t n)
{
	const struct ls_ctx *c = &m->ctx[ctx];
	struct part p = { .what = PART_RUNS };
	ctx_kind(m, ctx, p.kind, sizeof(p.kind));
	if (w->addr) {
		const void *inst;
		p.what = PART_WAITS;
		waited_lock(m, ctx, w->addr, p.obj, sizeof(p.obj), &inst);
	} else if (w->next >= 0) {
		p.what = w->how && strncmp(w->how, "waits for the CPU", 17) == 0 ? PART_CPU :
										    PART_INTERRUPTED;
	} else {
		snprintf(p.obj, sizeof(p.obj), "%s", c->site ? c->site->func : "?");
	}
	part_text(&p, out, n);
}

/* The kind of the context a report calls `name` (a label, or a context's own name). */
static void kind_by_name(const struct ls_machine *m, const char *name, char *out, size_t n)
{
	for (int i = 0; i < m->nctx; i++) {
		const struct ls_ctx *c = &m->ctx[i];
		bool match = strcmp(c->name, name) == 0 || strcmp(c->label, name) == 0;
		for (int s = 0; !match && s < LS_MAX_IRQ_SOURCES; s++)
			match = c->kind != LS_CTX_TASK && strcmp(c->srclabel[s], name) == 0;
		if (match) {
			kind_of(c->kind, name, out, n);
			return;
		}
	}
	snprintf(out, n, "%s", name);
}

/* A report that predicts no ring by itself: its shape and classes as the validator's signature
 * has them, then the sorted set of its contexts' kinds. */
static void generic_lockdep(const struct ls_machine *m, const struct ls_lockdep_report *ld,
			    struct ls_buf *key, struct ls_buf *title)
{
	struct ls_buf sig = { 0 };
	ls_lockdep_signature(ld, m, &sig);
	char *semi = strrchr(sig.s, ';');
	char *colon = strchr(sig.s, ':');
	if (semi)
		*semi = 0;
	static char kinds[2 * LS_MAX_CTX][64];
	char *sorted[2 * LS_MAX_CTX];
	int n = 0;
	for (char *tok = semi ? semi + 1 : NULL; tok && *tok && n < 2 * LS_MAX_CTX;) {
		while (*tok == ' ')
			tok++;
		size_t len = strcspn(tok, ",");
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)len, tok);
		kind_by_name(m, name, kinds[n], sizeof(kinds[n]));
		bool dup = false;
		for (int i = 0; i < n; i++)
			dup |= strcmp(sorted[i], kinds[n]) == 0;
		if (!dup) {
			sorted[n] = kinds[n];
			n++;
		}
		tok += len;
		if (*tok == ',')
			tok++;
	}
	qsort(sorted, (size_t)n, sizeof(sorted[0]), cmp_str);
	ls_buf_printf(key, "%s; ", sig.s);
	ls_buf_printf(title, "%s%s:%s (", ld->averted ? "averted: " : "",
		      ls_lockdep_bug_title(ld->bug), colon ? colon + 1 : "");
	for (int i = 0; i < n; i++) {
		ls_buf_printf(key, "%s%s", i ? ", " : "", sorted[i]);
		ls_buf_printf(title, "%s%s", i ? ", " : "", sorted[i]);
	}
	ls_buf_printf(title, ")");
	ls_buf_finish(&sig);
}

static void finish(struct ls_result *r, struct ls_buf *key, struct ls_buf *title)
{
	uncpu(key->s ? key->s : "", r->bug, sizeof(r->bug));
	uncpu(title->s ? title->s : "", r->title, sizeof(r->title));
	r->bug_hash = ls_fnv1a(r->bug, strlen(r->bug));
}

/* An invariant's message with its numbers (counts, indices, addresses) written N: the check
 * that fired and the objects it names, not what the counters held at the time. */
static void unnumber(const char *s, struct ls_buf *b)
{
	char prev = 0;
	while (*s) {
		/* A number, not the digits of a name ("lock_a1", "CPU1": uncpu() takes those). */
		if (isdigit((unsigned char)*s) && !(isalnum((unsigned char)prev) || prev == '_')) {
			bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
			s += hex ? 2 : 0;
			while (hex ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s))
				s++;
			ls_buf_printf(b, "N");
			prev = 'N';
			continue;
		}
		prev = *s;
		ls_buf_printf(b, "%c", *s++);
	}
}

void ls_bug_from_signature(struct ls_result *r)
{
	struct ls_buf k = { 0 };
	ls_buf_printf(&k, "%s", r->signature);
	finish(r, &k, &k);
	ls_buf_finish(&k);
}

void ls_bug_identify(const struct ls_machine *m, struct ls_result *r)
{
	struct ls_buf key = { 0 }, title = { 0 };
	struct ring ring = { .n = 0 };
	const struct ls_lockdep_report *ld = ls_lockdep_report();
	switch (r->kind) {
	case LS_KIND_DEADLOCK:
		if (hang_ring(m, &ring)) {
			rotate_min(&ring);
			ring_key("deadlock", &ring, &key);
			ring_title(false, &ring, &title);
		} else {
			ls_buf_printf(&key, "deadlock: ");
			ls_live_set(m, kind_line, &key);
			ls_buf_printf(&title, "%s", key.s);
		}
		break;
	case LS_KIND_STALL: {
		if (m->out.what[0]) {
			char k[64];
			ctx_kind(m, m->out.ctx, k, sizeof(k));
			ls_buf_printf(&key, "stall: %s: %s", k, m->out.what);
			ls_buf_printf(&title, "stall: %s in %s", m->out.what, k);
			break;
		}
		ls_buf_printf(&key, "stall: %s: ", m->out.detail);
		ls_live_set(m, kind_line, &key);
		ls_buf_printf(&title, "%s", key.s);
		break;
	}
	case LS_KIND_LOCKDEP:
	case LS_KIND_AVERTED:
		if (ld && lockdep_ring(m, ld, &ring)) {
			rotate_min(&ring);
			ring_key(ld->averted ? "averted" : "deadlock", &ring, &key);
			ring_title(ld->averted, &ring, &title);
		} else if (ld) {
			generic_lockdep(m, ld, &key, &title);
		} else {
			ls_buf_printf(&key, "%s", r->signature);
			ls_buf_printf(&title, "%s", r->signature);
		}
		break;
	case LS_KIND_INVARIANT:
		unnumber(r->signature, &key);
		ls_buf_printf(&title, "%s", key.s);
		break;
	default:
		ls_buf_printf(&key, "%s", r->signature);
		ls_buf_printf(&title, "%s", r->signature);
		break;
	}
	finish(r, &key, &title);
	ls_buf_finish(&key);
	ls_buf_finish(&title);
}

void ls_bug_family(const char *key, char *buf, size_t n)
{
	size_t len = strcspn(key, ": ");
	snprintf(buf, n, "%.*s", (int)len, key);
	for (char *c = buf; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-')
			*c = '-';
	if (!buf[0])
		snprintf(buf, n, "bug");
}

int ls_bug_rank(enum ls_kind kind)
{
	return kind == LS_KIND_LOCKDEP ? 1 : kind == LS_KIND_AVERTED ? 2 : 0;
}

int ls_bug_trace_cmp(enum ls_kind ka, uint64_t da, uint64_t sa, enum ls_kind kb, uint64_t db,
		     uint64_t sb)
{
	int ra = ls_bug_rank(ka), rb = ls_bug_rank(kb);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (da != db)
		return da < db ? -1 : 1;
	return sa < sb ? -1 : sa > sb;
}

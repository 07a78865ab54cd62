/* The replay's interleaving timeline: one execution as one HTML page, self-contained (inline CSS
 * and a small script, nothing fetched) and byte-identical for the same trace and build.
 *
 * Recording.  A strategy wraps the replay's (ls_timeline_wrap) and, at every scheduling point,
 * copies the machine's newest step records (m->ring: what ran at each step, at the step it ran:
 * an operation, a park, an exit, an entry, a resumption, time passing) before the ring can
 * overwrite them; a decision adds at most a few records, so none is lost.  A row keeps the step,
 * the virtual time, the context, the operation, the source site, the name the model gives the
 * address (asked at once: objects come and go during an execution), the decision that made it
 * run, if any, and which contexts each CPU's stack holds after it (the task, an entered hardirq,
 * an entered NMI), drawn as nested bands in the CPU's lane.  The machine is not changed: the
 * cost is one wrapped strategy call per point, paid only by `replay --html`.
 *
 * Lock holds.  The lock validator keeps each context's held-lock stack: a blocking acquisition is
 * pushed at its annotation, before the first attempt, and is taken at the step of the operation
 * that gave it the lock (its held_step); a release pops it before the unlocking store.  After
 * each copy, the stack of every context that ran is compared with the holds open for it: an
 * entry not seen before opens a hold at the context's newest row, hatched (trying, or queued)
 * until the row of the operation that took the lock; an open hold whose entry is gone closes at
 * the context's next row, its unlocking store's, once that store ran (a context stopped before
 * it, interrupted for good, still holds the lock).  Only the running context changes its stack,
 * so nothing is missed; at the end every context is compared once more.  A hold that leaves the
 * stack without being taken (rqspinlock's -ETIMEDOUT) was never owned.
 * Bars sit in slots beside their CPU's lane, each hold in the first slot free over its rows
 * (interval colouring in row order).
 *
 * The highlight comes from the machine and the validator as the execution ended:
 *   deadlock:  exec.c's wait-for graph (ls_wait_graph), its cycle found as ls_wait_cycle() finds
 *              it: the row where each context of the cycle parked (or where the interrupt that
 *              sits on it entered), the locks they wait on, and the cycle's holds of them still
 *              open at the end; without a cycle, every parked context;
 *   lockdep:   the classes the report names (the acquired lock, the held one it conflicts with,
 *              each class of its dependency chain), every hold of them, and the row of the
 *              acquiring context's first operation after the annotation that triggered it;
 *   stall:     the park rows of the stalled context (after a step or time limit: of every live
 *              one), the holds it never got, and the open holds of what it last waited on;
 *   invariant: the failing context's last row.
 *
 * Folding.  The participants are the contexts the highlight names (a validator report's classes
 * may have holds in any context, so there only the contexts the report names), and for a stall
 * also those holding what it waited on.  The other contexts' rows get the class "other", and each
 * run of them is followed by a marker row ("... 12 rows of t2, softirq@cpu1 folded") drawn with
 * the bands and holds that go on past it.  The static page hides the markers and nothing else; the
 * script adds the class "folded" to the body, which swaps the two, and a button swaps them back.
 * So without the script every row shows, and the HTML stays one function of the trace.
 *
 * Names.  Instances of one lock class get one name from the model (&rcu_data[cpu].nocb_lock).  When
 * every instance sharing a name was used on one CPU only, no two on the same, each is named by its
 * CPU ("(cpu1)"): an observation of this execution, not the lock's declaration.  Else they are
 * numbered (#1, #2) in order of first hold.
 *
 * Layout.  Narrower than STACKED_PX, or whenever the script finds the timeline does not fit beside
 * it, the report goes below the timeline; narrower than COMPACT_PX, the bars are named by key
 * ("L3", listed with the locks) instead of by name; site and decision cells wrap; the timeline
 * scrolls in its own box, so a page with many CPUs is never cut off, only scrolled.
 *
 * Left out: memory contents, what a context does between two points (it runs as one step), and
 * holds the validator does not track (novalidate locks; NMIs under --lockdep-compat).  A page shows
 * the last MAX_ROWS rows, so a runaway execution ended by the step limit keeps where it ended. */
#include "timeline.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "lockdep/lockdep.h"
#include "version.h"

#define MAX_ROWS 20000		/* rows a page shows: the last of the execution */
#define MAX_SLOTS 64		/* lock-bar slots per CPU; a hold that finds none is not drawn */
#define SLOT_PX 7
#define STACKED_PX 1600		/* narrower pages put the report below the timeline (wider ones
				 * too when the timeline does not fit beside it) */
#define COMPACT_PX 1400		/* narrower pages name lock bars by key ("L3") */
#define OPEN UINT64_MAX

struct row {
	uint64_t step, clock;
	const struct ls_site *site;
	uint32_t obj;			/* name index + 1; 0: no address, or one the model cannot name */
	uint32_t bands;			/* 4 bits per CPU, bit = enum ls_ctx_kind: the contexts on its stack */
	uint8_t ctx, op;
	bool decided, hot;
	struct ls_choice choice;
};

struct hold {
	uint64_t from, to;		/* rows: opened; closed (OPEN while held at the end) */
	uint64_t owned;			/* row of the operation that took the lock; OPEN: never */
	uint64_t released;		/* its context's newest row when it left the validator's
					 * stack; OPEN: not yet */
	uint64_t from_step, owned_step, released_step;	/* steps: of the annotation, the taking
							 * operation, the release */
	uint64_t acq_step;		/* the validator's step of the acquisition: with map, its identity */
	const struct ls_lockdep_map *map;	/* compared, never read: the lock may be gone */
	const void *key;		/* its class key, to match a report's classes */
	const struct ls_site *site;	/* where it was asked for */
	uint32_t lock;			/* lock instance */
	uint8_t ctx;
	uint8_t slot;			/* MAX_SLOTS: not drawn */
	bool hot;
};

struct lock_inst {
	const void *ptr;		/* compared, never read: the lock may be gone */
	uint32_t name;
	uint32_t nholds;
	uint32_t nth;			/* among the instances of its name, from 1; 0: the only one */
	int8_t only_cpu;		/* the CPU of every hold of it; -1: holds on several */
	int8_t label_cpu;		/* named "(cpuN)" by this CPU instead of nth; -1: not */
	bool hot;
};

struct ls_timeline {
	struct ls_strategy base;
	struct ls_strategy *inner;
	struct ls_machine *m;
	uint64_t seen;			/* ring records copied so far (m->nring at the last copy) */
	uint64_t lost;			/* records overwritten before they were copied: never expected */
	struct row *rows;		/* row i at rows[i % MAX_ROWS], allocated as they come */
	size_t rows_cap;
	uint64_t nrows;
	struct hold *holds;		/* in order of `from` */
	size_t nholds, holds_cap;
	uint32_t open[LS_MAX_CTX][LS_MAX_LOCK_DEPTH];	/* holds open per context */
	int nopen[LS_MAX_CTX];
	struct lock_inst *locks;	/* in order of first hold */
	size_t nlocks, locks_cap;
	char **names;			/* interned strings; names[i] is name index i */
	size_t nnames, names_cap;
	uint32_t *table;		/* open addressing: name index + 1 */
	size_t table_cap;
	uint64_t last_row[LS_MAX_CTX];	/* each context's newest row; OPEN: none yet */
	uint8_t tasks[LS_MAX_CPUS];	/* tasks of each CPU that have not returned */
	uint32_t stacks;		/* the bands after the last row */
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (!p)
		ls_out_of_memory("the timeline");
	*cap = n;
	return p;
}

/* ---- recording --------------------------------------------------------------------------- */

static uint32_t intern(struct ls_timeline *tl, const char *s)
{
	if (2 * (tl->nnames + 1) > tl->table_cap) {
		size_t cap = tl->table_cap ? 2 * tl->table_cap : 256;
		uint32_t *t = calloc(cap, sizeof(*t));
		if (!t)
			ls_out_of_memory("the timeline");
		for (size_t i = 0; i < tl->nnames; i++) {
			size_t h = ls_fnv1a(tl->names[i], strlen(tl->names[i])) & (cap - 1);
			while (t[h])
				h = (h + 1) & (cap - 1);
			t[h] = (uint32_t)i + 1;
		}
		free(tl->table);
		tl->table = t;
		tl->table_cap = cap;
	}
	size_t h = ls_fnv1a(s, strlen(s)) & (tl->table_cap - 1);
	for (; tl->table[h]; h = (h + 1) & (tl->table_cap - 1))
		if (strcmp(tl->names[tl->table[h] - 1], s) == 0)
			return tl->table[h] - 1;
	tl->names = grow(tl->names, &tl->names_cap, tl->nnames + 1, sizeof(*tl->names));
	char *copy = strdup(s);
	if (!copy)
		ls_out_of_memory("the timeline");
	tl->names[tl->nnames] = copy;
	tl->table[h] = (uint32_t)tl->nnames + 1;
	return (uint32_t)tl->nnames++;
}

/* The model's name for addr as a name index + 1, or 0. */
static uint32_t obj_name(struct ls_timeline *tl, const void *addr)
{
	char buf[64];
	if (!addr || !ls_machine_describe(tl->m, addr, buf, sizeof(buf)))
		return 0;
	return intern(tl, buf) + 1;
}

static struct row *row_at(const struct ls_timeline *tl, uint64_t i)
{
	return &tl->rows[i % MAX_ROWS];
}

static void add_row(struct ls_timeline *tl, const struct ls_step_rec *rec)
{
	const struct ls_ctx *c = &tl->m->ctx[rec->ctx];
	if (tl->nrows < MAX_ROWS)
		tl->rows = grow(tl->rows, &tl->rows_cap, tl->nrows + 1, sizeof(*tl->rows));
	unsigned shift = 4u * (unsigned)c->cpu;
	uint32_t bit = 1u << c->kind;
	if (rec->op == LS_OP_ENTER)
		tl->stacks |= bit << shift;
	tl->last_row[rec->ctx] = tl->nrows;
	struct row *r = row_at(tl, tl->nrows++);
	*r = (struct row){
		.step = rec->step, .clock = rec->clock, .site = rec->site,
		.obj = obj_name(tl, rec->addr), .bands = tl->stacks,
		.ctx = rec->ctx, .op = rec->op, .decided = rec->decided, .choice = rec->choice,
	};
	/* A context's exit row still shows its band; the stack drops it after. */
	if (rec->op == LS_OP_EXIT) {
		if (c->kind != LS_CTX_TASK)
			tl->stacks &= ~(bit << shift);
		else if (tl->tasks[c->cpu] && --tl->tasks[c->cpu] == 0)
			tl->stacks &= ~(1u << shift);
	}
}

/* Copies the records not yet seen; returns the contexts they are of (bit = context id). */
static uint64_t copy_records(struct ls_timeline *tl)
{
	const struct ls_machine *m = tl->m;
	uint64_t ran = 0;
	if (m->nring - tl->seen > LS_RING) {
		tl->lost += m->nring - LS_RING - tl->seen;
		tl->seen = m->nring - LS_RING;
	}
	for (; tl->seen < m->nring; tl->seen++) {
		const struct ls_step_rec *rec = &m->ring[tl->seen % LS_RING];
		add_row(tl, rec);
		ran |= 1ull << rec->ctx;
	}
	return ran;
}

static uint32_t lock_of(struct ls_timeline *tl, const struct ls_held *h)
{
	const void *ptr = h->lock ? h->lock : (const void *)h->map;
	for (size_t i = tl->nlocks; i > 0; i--)
		if (tl->locks[i - 1].ptr == ptr)
			return (uint32_t)(i - 1);
	char buf[64];
	const char *name = h->map && h->map->name ? h->map->name : "?";
	if (h->lock && ls_machine_describe(tl->m, h->lock, buf, sizeof(buf)))
		name = buf;
	tl->locks = grow(tl->locks, &tl->locks_cap, tl->nlocks + 1, sizeof(*tl->locks));
	tl->locks[tl->nlocks] = (struct lock_inst){ .ptr = ptr, .name = intern(tl, name) };
	return (uint32_t)tl->nlocks++;
}

/* The oldest row still kept (and shown). */
static uint64_t first_shown(const struct ls_timeline *tl)
{
	return tl->nrows > MAX_ROWS ? tl->nrows - MAX_ROWS : 0;
}

/* The row of ctx's record at `step`, searching back from row `at`; `at` if none is shown. */
static uint64_t row_of_step(const struct ls_timeline *tl, int ctx, uint64_t at, uint64_t step)
{
	for (uint64_t i = at + 1; i > first_shown(tl); i--) {
		const struct row *r = row_at(tl, i - 1);
		if (r->ctx == ctx && r->step == step)
			return i - 1;
		if (r->step < step)
			break;
	}
	return at;
}

/* ctx's first row after row `after` up to `at`: where its next record ran. */
static uint64_t next_row_of(const struct ls_timeline *tl, int ctx, uint64_t after, uint64_t at)
{
	for (uint64_t i = after + 1; i <= at; i++)
		if (row_at(tl, i)->ctx == ctx)
			return i;
	return at;
}

/* Compares context ctx's held-lock stack with its open holds at row `at`, its newest.  A release
 * leaves the stack before its unlocking store, which is ctx's next record: so a hold released
 * after row X closes at ctx's first row after X, and stays held to the end if there is none. */
static void diff_held(struct ls_timeline *tl, int ctx, uint64_t at)
{
	const struct ls_held *h;
	int n = ls_lockdep_held(ctx, &h);
	bool kept[LS_MAX_LOCK_DEPTH] = { false };
	int o = 0;
	for (int k = 0; k < tl->nopen[ctx]; k++) {
		struct hold *ho = &tl->holds[tl->open[ctx][k]];
		if (ho->released != OPEN) {
			if (at > ho->released)
				ho->to = next_row_of(tl, ctx, ho->released, at);
			else
				tl->open[ctx][o++] = tl->open[ctx][k];
			continue;
		}
		const struct ls_held *e = NULL;
		for (int i = 0; i < n && !e; i++)
			if (!kept[i] && h[i].map == ho->map && h[i].step == ho->acq_step) {
				kept[i] = true;
				e = &h[i];
			}
		if (!e) {
			ho->released = at;
			ho->released_step = row_at(tl, at)->step;
		} else if (ho->owned == OPEN && e->state == LS_HELD_HELD) {
			ho->owned = row_of_step(tl, ctx, at, e->held_step);
			ho->owned_step = e->held_step;
		}
		tl->open[ctx][o++] = tl->open[ctx][k];
	}
	tl->nopen[ctx] = o;
	for (int i = 0; i < n && tl->nopen[ctx] < LS_MAX_LOCK_DEPTH; i++) {
		if (kept[i])
			continue;
		tl->holds = grow(tl->holds, &tl->holds_cap, tl->nholds + 1, sizeof(*tl->holds));
		uint32_t lock = lock_of(tl, &h[i]);
		tl->locks[lock].nholds++;
		bool held = h[i].state == LS_HELD_HELD;
		uint64_t owned = held ? row_of_step(tl, ctx, at, h[i].held_step) : OPEN;
		tl->holds[tl->nholds] = (struct hold){
			.from = held && owned < at ? owned : at, .to = OPEN, .owned = owned,
			.released = OPEN, .from_step = h[i].step,
			.owned_step = held ? h[i].held_step : 0, .acq_step = h[i].step,
			.map = h[i].map, .key = h[i].map ? h[i].map->key : NULL, .site = h[i].site,
			.lock = lock, .ctx = (uint8_t)ctx, .slot = MAX_SLOTS,
		};
		tl->open[ctx][tl->nopen[ctx]++] = (uint32_t)tl->nholds++;
	}
}

static void tl_begin(struct ls_strategy *st, uint64_t seed)
{
	struct ls_timeline *tl = (struct ls_timeline *)st;
	tl->m = ls_machine_current();
	tl->seen = tl->lost = tl->nrows = 0;
	tl->nholds = tl->nlocks = 0;
	memset(tl->nopen, 0, sizeof(tl->nopen));
	memset(tl->last_row, 0xff, sizeof(tl->last_row));
	memset(tl->tasks, 0, sizeof(tl->tasks));
	tl->stacks = 0;
	for (int i = 0; i < tl->m->nctx; i++) {
		const struct ls_ctx *c = &tl->m->ctx[i];
		if (c->kind == LS_CTX_TASK && tl->tasks[c->cpu]++ == 0)
			tl->stacks |= 1u << (4 * c->cpu);
	}
	tl->inner->begin(tl->inner, seed);
}

/* The stacks of the contexts that ran since the last copy, each at its newest row. */
static void diff_ran(struct ls_timeline *tl, uint64_t ran)
{
	for (; ran; ran &= ran - 1) {
		int ctx = __builtin_ctzll(ran);
		if (tl->last_row[ctx] != OPEN)
			diff_held(tl, ctx, tl->last_row[ctx]);
	}
}

static int tl_choose(struct ls_strategy *st, struct ls_point *pt)
{
	struct ls_timeline *tl = (struct ls_timeline *)st;
	int idx = tl->inner->choose(tl->inner, pt);
	diff_ran(tl, copy_records(tl));
	return idx;
}

struct ls_timeline *ls_timeline_create(void)
{
	return calloc(1, sizeof(struct ls_timeline));
}

void ls_timeline_destroy(struct ls_timeline *tl)
{
	if (!tl)
		return;
	for (size_t i = 0; i < tl->nnames; i++)
		free(tl->names[i]);
	free(tl->names);
	free(tl->table);
	free(tl->rows);
	free(tl->holds);
	free(tl->locks);
	free(tl);
}

struct ls_strategy *ls_timeline_wrap(struct ls_timeline *tl, struct ls_strategy *inner)
{
	tl->inner = inner;
	tl->base.name = inner->name;
	tl->base.begin = tl_begin;
	tl->base.choose = tl_choose;
	return &tl->base;
}

/* The records after the last point (the step that ended the execution: a last exit or park
 * asks the strategy nothing), and every context's held stack as the execution ended, compared at
 * the context's last row as at a point of it. */
static void flush(struct ls_timeline *tl)
{
	if (!tl->m)
		return;
	diff_ran(tl, copy_records(tl));
	for (int i = 0; i < tl->m->nctx; i++) {
		uint64_t at = tl->last_row[i];
		if (at != OPEN && at + MAX_ROWS >= tl->nrows)
			diff_held(tl, i, at);
	}
}

/* ---- the finding's highlight ------------------------------------------------------------- */

/* What the finding panel lists, besides the hot locks. */
struct finding {
	char title[160];
	char text[600];
	bool ctx_hot[LS_MAX_CTX];
	uint32_t words[LS_MAX_CTX];	/* names (index + 1) of waited words that are not locks */
	int nwords;
	bool part[LS_MAX_CTX];		/* the participants: their rows are never folded */
	bool fold;			/* some shown row is of a context that is not one */
};

static void hot_last_row(struct ls_timeline *tl, int ctx, int op, uint64_t step)
{
	for (uint64_t i = tl->nrows; i > first_shown(tl); i--) {
		struct row *r = row_at(tl, i - 1);
		if (r->ctx == ctx && (op < 0 || r->op == op) && (step == OPEN || r->step == step)) {
			r->hot = true;
			return;
		}
	}
}

static void hot_hold(struct ls_timeline *tl, struct hold *h)
{
	h->hot = true;
	tl->locks[h->lock].hot = true;
}

/* Marks the holds still open at the end on locks named in names[0..n), of hot contexts only if
 * hot_ctx_only. */
static void hot_open_holds(struct ls_timeline *tl, const struct finding *f, const uint32_t *names,
			   int n, bool hot_ctx_only)
{
	for (size_t i = 0; i < tl->nholds; i++) {
		struct hold *h = &tl->holds[i];
		if (h->to != OPEN || (hot_ctx_only && !f->ctx_hot[h->ctx]))
			continue;
		for (int k = 0; k < n; k++)
			if (names[k] == tl->locks[h->lock].name + 1)
				hot_hold(tl, h);
	}
}

static void add_word(struct finding *f, uint32_t name)
{
	for (int i = 0; i < f->nwords; i++)
		if (f->words[i] == name)
			return;
	if (name && f->nwords < LS_MAX_CTX)
		f->words[f->nwords++] = name;
}

static void mark_deadlock(struct ls_timeline *tl, struct finding *f)
{
	const struct ls_machine *m = tl->m;
	struct ls_wait w[LS_MAX_CTX];
	ls_wait_graph(m, w);
	int start = ls_wait_cycle_start(w, m->nctx);
	bool cycle = start >= 0;
	for (int x = start; cycle;) {
		f->ctx_hot[x] = true;
		x = w[x].next;
		if (x == start)
			break;
	}
	snprintf(f->title, sizeof(f->title), "deadlock: %s", cycle ? "the wait-for cycle" :
		 "no cycle: a context waits on a word no live context holds");
	if (cycle)
		ls_wait_cycle(m, f->text, sizeof(f->text));
	for (int i = 0; i < m->nctx && !cycle; i++)
		f->ctx_hot[i] = m->ctx[i].state == LS_PARKED;
	for (int i = 0; i < m->nctx; i++) {
		if (!f->ctx_hot[i])
			continue;
		if (w[i].addr) {
			add_word(f, obj_name(tl, w[i].addr));
			hot_last_row(tl, i, LS_OP_PARK, m->ctx[i].park_step);
		} else if (w[i].next >= 0) {
			hot_last_row(tl, w[i].next, LS_OP_ENTER, OPEN);
		}
	}
	hot_open_holds(tl, f, f->words, f->nwords, true);
}

static void mark_lockdep(struct ls_timeline *tl, struct finding *f)
{
	const struct ls_lockdep_report *ld = ls_lockdep_report();
	if (!ld)
		return;
	snprintf(f->title, sizeof(f->title), "lock validator: %s%s", ld->averted ? "averted " : "",
		 ld->shape);
	int cls[2 * LS_MAX_CHAIN + 8], n = 0;
	cls[n++] = ld->next.class_id;
	if (ld->prev.map)
		cls[n++] = ld->prev.class_id;
	for (int i = 0; i < ld->nchain; i++) {
		const struct ls_dep *d = ls_lockdep_dep(ld->chain[i]);
		cls[n++] = d->from;
		cls[n++] = d->to;
	}
	if (ld->other_class >= 0)
		cls[n++] = ld->other_class;
	if (ld->unsafe_class >= 0)
		cls[n++] = ld->unsafe_class;
	struct ls_buf b = { 0 };
	for (int k = 0; k < n; k++) {
		bool dup = false;
		for (int j = 0; j < k; j++)
			dup |= cls[j] == cls[k];
		if (dup)
			continue;
		const struct ls_lock_class *c = ls_lockdep_class(cls[k]);
		ls_buf_printf(&b, "%s%s", b.len ? ", " : "the report's classes: ",
			      c->name ? c->name : "?");
		for (size_t i = 0; i < tl->nholds; i++)
			if (tl->holds[i].key && tl->holds[i].key == c->key)
				hot_hold(tl, &tl->holds[i]);
	}
	snprintf(f->text, sizeof(f->text), "%s", b.len ? b.s : "");
	ls_buf_finish(&b);
	if (ld->ctx >= 0 && ld->ctx < LS_MAX_CTX)
		f->ctx_hot[ld->ctx] = true;
	if (ld->other_ctx >= 0 && ld->other_ctx < LS_MAX_CTX)
		f->ctx_hot[ld->other_ctx] = true;
	for (int i = 0; i < ld->nchain; i++) {
		const char *who = ls_lockdep_dep(ld->chain[i])->origin.ctx;
		for (int k = 0; who && k < tl->m->nctx; k++)
			f->ctx_hot[k] |= strcmp(tl->m->ctx[k].name, who) == 0 ||
					  strcmp(tl->m->ctx[k].label, who) == 0;
	}
	/* The acquiring context's first operation after the annotation. */
	for (uint64_t i = first_shown(tl); i < tl->nrows; i++) {
		struct row *r = row_at(tl, i);
		if (r->ctx == ld->ctx && r->step > ld->step && r->op != LS_OP_ENTER) {
			r->hot = true;
			break;
		}
	}
}

static void mark_stall(struct ls_timeline *tl, struct finding *f)
{
	const struct ls_machine *m = tl->m;
	snprintf(f->title, sizeof(f->title), "stall");
	snprintf(f->text, sizeof(f->text), "%s", m->out.detail);
	/* A model's stall (ls_stall) names its context; a limit names only who ran last. */
	if (m->out.what[0] && m->out.ctx >= 0 && m->out.ctx < m->nctx)
		f->ctx_hot[m->out.ctx] = true;
	else
		for (int i = 0; i < m->nctx; i++)
			f->ctx_hot[i] = m->ctx[i].state == LS_PARKED || m->ctx[i].state == LS_READY;
	bool parked[LS_MAX_CTX] = { false };
	uint32_t last_wait[LS_MAX_CTX] = { 0 };
	for (uint64_t i = first_shown(tl); i < tl->nrows; i++) {
		struct row *r = row_at(tl, i);
		if (f->ctx_hot[r->ctx] && r->op == LS_OP_PARK) {
			r->hot = parked[r->ctx] = true;
			last_wait[r->ctx] = r->obj;
		}
	}
	for (int i = 0; i < m->nctx; i++) {
		if (!f->ctx_hot[i])
			continue;
		if (!parked[i])
			hot_last_row(tl, i, -1, OPEN);
		add_word(f, last_wait[i]);
	}
	for (size_t i = 0; i < tl->nholds; i++)
		if (f->ctx_hot[tl->holds[i].ctx] && tl->holds[i].owned == OPEN)
			hot_hold(tl, &tl->holds[i]);
	hot_open_holds(tl, f, f->words, f->nwords, false);
}

/* A row the page folds: of a context that takes no part in the finding, neither highlighted nor
 * the clock's. */
static bool folded(const struct ls_timeline *tl, const struct finding *f, uint64_t i)
{
	const struct row *r = row_at(tl, i);
	return f->fold && !f->part[r->ctx] && !r->hot && r->op != LS_OP_TIME;
}

/* The participants are the highlighted contexts and, for a stall, those whose holds of what it
 * waited on are highlighted; a validator report's classes may have holds anywhere, so there only
 * the contexts the report names take part.  With none, nothing is folded. */
static void plan_folds(struct ls_timeline *tl, enum ls_kind kind, struct finding *f)
{
	bool any = false;
	for (int i = 0; i < tl->m->nctx; i++)
		any |= f->part[i] = f->ctx_hot[i];
	for (size_t i = 0; kind == LS_KIND_STALL && i < tl->nholds; i++)
		if (tl->holds[i].hot)
			f->part[tl->holds[i].ctx] = true;
	f->fold = any;
	bool some = false;
	for (uint64_t i = first_shown(tl); any && i < tl->nrows && !some; i++)
		some = folded(tl, f, i);
	f->fold = some;
}

static void mark_finding(struct ls_timeline *tl, const struct ls_result *r, struct finding *f)
{
	const struct ls_machine *m = tl->m;
	switch (r->kind) {
	case LS_KIND_DEADLOCK:
		mark_deadlock(tl, f);
		break;
	case LS_KIND_LOCKDEP:
	case LS_KIND_AVERTED:
		mark_lockdep(tl, f);
		break;
	case LS_KIND_STALL:
		mark_stall(tl, f);
		break;
	case LS_KIND_INVARIANT:
		snprintf(f->title, sizeof(f->title), "invariant violated");
		snprintf(f->text, sizeof(f->text), "%s", m->out.detail);
		if (m->out.ctx >= 0 && m->out.ctx < m->nctx) {
			f->ctx_hot[m->out.ctx] = true;
			hot_last_row(tl, m->out.ctx, -1, OPEN);
		}
		break;
	default:
		break;
	}
	plan_folds(tl, r->kind, f);
}

static size_t label_len(const struct ls_timeline *tl, uint32_t lock)
{
	const struct lock_inst *l = &tl->locks[lock];
	return strlen(tl->names[l->name]) + (l->label_cpu >= 0 ? 7 : l->nth ? 4 : 0);
}

/* Tells apart the instances that share a name: by CPU when each was only used on one CPU and no
 * two on the same one (the per-CPU instances of one lock), else numbered in order of first hold. */
static void number_locks(struct ls_timeline *tl)
{
	enum { NONE_YET = -2, SEVERAL = -1 };
	for (size_t i = 0; i < tl->nlocks; i++) {
		tl->locks[i].only_cpu = NONE_YET;
		tl->locks[i].label_cpu = -1;
	}
	for (size_t i = 0; i < tl->nholds; i++) {
		struct lock_inst *l = &tl->locks[tl->holds[i].lock];
		int cpu = tl->m->ctx[tl->holds[i].ctx].cpu;
		if (l->only_cpu == NONE_YET)
			l->only_cpu = (int8_t)cpu;
		else if (l->only_cpu != cpu)
			l->only_cpu = SEVERAL;
	}
	for (size_t i = 0; i < tl->nlocks; i++) {
		struct lock_inst *l = &tl->locks[i];
		uint32_t before = 0, same = 0, cpus = 0;
		bool by_cpu = true;
		for (size_t k = 0; k < tl->nlocks; k++) {
			const struct lock_inst *o = &tl->locks[k];
			if (o->name != l->name)
				continue;
			same++;
			before += k < i;
			by_cpu &= o->only_cpu >= 0 && !(cpus & 1u << o->only_cpu);
			if (o->only_cpu >= 0)
				cpus |= 1u << o->only_cpu;
		}
		l->nth = same > 1 ? before + 1 : 0;
		if (same > 1 && by_cpu)
			l->label_cpu = l->only_cpu;
	}
}

/* Gives each hold the first slot of its CPU free over its rows; returns the slots used, the
 * longest lock label and the longest lock key ("L12") per CPU. */
static void assign_slots(struct ls_timeline *tl, int used[LS_MAX_CPUS], size_t label[LS_MAX_CPUS],
			 size_t key[LS_MAX_CPUS])
{
	uint64_t end[LS_MAX_CPUS][MAX_SLOTS];
	bool busy[LS_MAX_CPUS][MAX_SLOTS] = { { false } };
	for (size_t i = 0; i < tl->nholds; i++) {
		struct hold *h = &tl->holds[i];
		int cpu = tl->m->ctx[h->ctx].cpu;
		uint64_t to = h->to == OPEN ? tl->nrows - 1 : h->to;
		if (to < first_shown(tl))
			continue;
		for (int s = 0; s < MAX_SLOTS; s++)
			if (!busy[cpu][s] || end[cpu][s] < h->from) {
				busy[cpu][s] = true;
				end[cpu][s] = to;
				h->slot = (uint8_t)s;
				if (s + 1 > used[cpu])
					used[cpu] = s + 1;
				if (label_len(tl, h->lock) > label[cpu])
					label[cpu] = label_len(tl, h->lock);
				size_t k = (size_t)snprintf(NULL, 0, "L%" PRIu32, h->lock);
				if (k > key[cpu])
					key[cpu] = k;
				break;
			}
	}
}

/* ---- the page ---------------------------------------------------------------------------- */

/* Appends s with &, <, >, " and ' escaped. */
static void esc(struct ls_buf *b, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *e;
		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		ls_buf_printf(b, "%.*s%s", (int)(s - run), run, e);
		run = s + 1;
	}
	ls_buf_printf(b, "%s", run);
}

/* A lock's name, told apart from the other instances of its name by the one CPU it was used on
 * ("&rcu_data[cpu].nocb_lock (cpu1)") or by number ("&t->lock #2"); see number_locks(). */
static void lock_label(struct ls_buf *b, const struct ls_timeline *tl, uint32_t lock)
{
	const struct lock_inst *l = &tl->locks[lock];
	esc(b, tl->names[l->name]);
	if (l->label_cpu >= 0)
		ls_buf_printf(b, " (cpu%d)", l->label_cpu);
	else if (l->nth)
		ls_buf_printf(b, " #%" PRIu32, l->nth);
}

static void meta(struct ls_buf *b, const char *key, const char *value)
{
	ls_buf_printf(b, "<tr><th>%s</th><td>", key);
	esc(b, value ? value : "");
	ls_buf_printf(b, "</td></tr>\n");
}

static const char page_style[] =
	"body{font:13px/1.35 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}\n"
	"header,section{padding:4px 12px}\n"
	"h1{font-size:16px;margin:6px 0}h2{font-size:14px;margin:4px 0}\n"
	"table.meta{border-collapse:collapse}\n"
	"table.meta th{color:#666;font-weight:normal;text-align:left;padding:0 10px 0 0}\n"
	"table.meta td{font-family:monospace;padding:0}\n"
	"#summary{color:#555;margin:4px 0}\n"
	".finding{border-left:4px solid #c62828;background:#fff3f3;margin:4px 12px}\n"
	".finding.k-none{border-color:#2e7d32;background:#f1f8f1}\n"
	".finding p{margin:2px 0;font-family:monospace}\n"
	".hot-lock,.lkn,.hot-word{display:inline-block;padding:0 5px;margin:1px 2px;"
	"border-radius:3px;background:#e8e8e8;font-family:monospace;cursor:default}\n"
	".hot-lock,.lkn.hot{background:#ffcdd2}\n"
	".hot-word{background:#ffe0b2}\n"
	".hot-ctx{font-family:monospace;font-weight:bold;margin-right:6px}\n"
	"#main{display:flex;align-items:flex-start;gap:8px;padding:4px 12px 12px}\n"
	"#tlwrap{flex:1 1 auto;overflow:auto;max-height:100vh;background:#fff}\n"
	"#report{flex:0 0 36%;max-width:36%;position:sticky;top:0;max-height:100vh;overflow:auto;"
	"background:#fff;border:1px solid #ddd}\n"
	"#report h2{padding:4px 6px}\n"
	"#report pre{margin:0;padding:4px 6px;font:11px/1.3 monospace;white-space:pre}\n"
	"#tl{border-collapse:collapse;font:12px/1.3 monospace;background:#fff}\n"
	"#tl th{position:sticky;top:0;background:#eee;z-index:2;text-align:left;padding:2px 6px;"
	"border-bottom:1px solid #bbb;vertical-align:bottom}\n"
	"#tl th small{font-weight:normal;color:#666}\n"
	"#tl td{padding:0 6px;white-space:nowrap;height:18px;border-bottom:1px solid #f0f0f0}\n"
	"#tl td.n,#tl td.t{text-align:right;color:#666}\n"
	"#tl td.st,#tl td.dec{white-space:normal}#tl td.st span{display:inline-block}\n"
	"#tl td.ln{position:relative;padding-left:38px;min-width:80px;border-left:1px solid #ccc;"
	"border-bottom:0}\n"
	"#tl td.lk{position:relative;padding:0;border-bottom:0;overflow:hidden}\n"
	".b{position:absolute;top:0;bottom:0}\n"
	".bt{left:2px;width:30px;background:#dbe8fb}\n"
	".bs{left:6px;width:26px;background:#d4edc9}\n"
	".bi{left:10px;width:22px;background:#ffd9a8}\n"
	".bn{left:16px;width:16px;background:#f6b4cb}\n"
	".bt.r{background:#7fa7e6}.bs.r{background:#6cb85a}.bi.r{background:#f0a040}"
	".bn.r{background:#d9527f}\n"
	".kt{color:#1a4fa0}.ks{color:#2e7d32}.ki{color:#a85400}.kn{color:#ad1457}\n"
	".h{position:absolute;top:0;bottom:0;width:5px;background:#78909c}\n"
	".h.a{top:3px;border-radius:3px 3px 0 0}\n"
	".h.e{bottom:3px;border-radius:0 0 3px 3px}\n"
	".h.w{background:repeating-linear-gradient(45deg,#90a4ae 0 2px,#fff 2px 4px)}\n"
	".h.hot{background:#c62828}\n"
	".h.hot.w{background:repeating-linear-gradient(45deg,#c62828 0 2px,#fff 2px 4px)}\n"
	".hn{position:absolute;top:1px;font:10px/1.2 monospace;color:#37474f;white-space:nowrap}\n"
	".hn.hot{color:#c62828;font-weight:bold}\n"
	"#tl tr.hot td{background:#ffebee}\n"
	"#tl tr.hot td.n{color:#c62828;font-weight:bold}\n"
	"#tl tr.lsel td{background:#fff6cc}\n"
	".sel{outline:2px solid #f9a825}\n"
	".dec{color:#6a1b9a}\n"
	"#tl tr.skip td{color:#777;font-style:italic}\n"
	"#tl tr.time td{color:#555;background:#f3f3f3;font-style:italic}\n"
	"#tl tr.vis td.st{color:#7a3e00}\n"
	"#tl tr.fold,body.folded #tl tr.other{display:none}\n"
	"body.folded #tl tr.fold{display:table-row;cursor:pointer}\n"
	"#tl tr.fold td{color:#555;background:#f3f3f3;font-style:italic}\n"
	"#tl tr.fold:hover td.fm{text-decoration:underline}\n"
	"#foldctl button{font:inherit;margin-right:6px}\n"
	".hn .ky,.lkn .ky{display:none}.lkn .ky{color:#666}\n";

/* Hovering a lock (a bar, its name) marks every bar and row of its holds; the summary is filled
 * in here, so a page whose summary says "lanes" ran its script.  It folds the rows of contexts
 * outside the finding (#all in the address: not at first) behind a "show all contexts" button,
 * and stacks the report below the timeline when they do not fit side by side. */
static const char page_script[] =
	"(function(){\n"
	"var q=function(s){return Array.prototype.slice.call(document.querySelectorAll(s));};\n"
	"var lanes=q('#tl thead th.lane').length,rows=q('#tl tbody tr.row').length;\n"
	"var hot=q('#finding .hot-lock').map(function(e){return e.textContent;});\n"
	"var s=document.getElementById('summary');\n"
	"s.setAttribute('data-lanes',lanes);s.setAttribute('data-rows',rows);\n"
	"s.setAttribute('data-nmi-bands',q('#tl .bn').length);\n"
	"s.setAttribute('data-hot-rows',q('#tl tr.hot').length);\n"
	"s.setAttribute('data-hot-bars',q('#tl .h.hot').length);\n"
	"s.textContent=lanes+' CPU lanes, '+rows+' rows, '+q('#locks .lkn').length+' locks'+\n"
	"  (hot.length?'; highlighted: '+hot.join(', '):'')+'. Hover a lock to mark its holds.';\n"
	"var main=document.getElementById('main'),wrap=document.getElementById('tlwrap');\n"
	"var fit=function(){document.body.classList.remove('stack');\n"
	"  if(getComputedStyle(main).display==='flex'&&wrap.scrollWidth>wrap.clientWidth)\n"
	"    document.body.classList.add('stack');};\n"
	"window.addEventListener('resize',fit);\n"
	"var others=q('#tl tr.other');\n"
	"if(others.length){\n"
	"  var ctl=document.createElement('p'),btn=document.createElement('button'),\n"
	"    note=document.createElement('span'),folded=function(){\n"
	"      return document.body.classList.contains('folded');};\n"
	"  var fold=function(on){document.body.classList.toggle('folded',on);\n"
	"    btn.textContent=on?'show all contexts':'fold other contexts';\n"
	"    note.textContent=on?others.length+' rows of contexts that take no part in the '+\n"
	"      'finding are folded':'every context is shown';\n"
	"    s.setAttribute('data-folded',on?others.length:0);fit();};\n"
	"  ctl.id='foldctl';btn.id='fold-toggle';btn.type='button';\n"
	"  ctl.appendChild(btn);ctl.appendChild(note);\n"
	"  document.getElementById('finding').appendChild(ctl);\n"
	"  btn.addEventListener('click',function(){fold(!folded());});\n"
	"  q('#tl tr.fold').forEach(function(tr){tr.title='click to show every context';\n"
	"    tr.addEventListener('click',function(){fold(false);\n"
	"      document.getElementById(tr.getAttribute('data-from')).scrollIntoView({block:'center'});});});\n"
	"  fold(location.hash!=='#all');\n"
	"} else fit();\n"
	"document.body.setAttribute('data-js','ran');\n"
	"var cur=null;\n"
	"function mark(id,on){q('[data-lock=\"'+id+'\"]').forEach(function(e){\n"
	"  e.classList.toggle('sel',on);var tr=e.closest('tr.row');\n"
	"  if(tr)tr.classList.toggle('lsel',on);});}\n"
	"document.addEventListener('mouseover',function(ev){\n"
	"  var e=ev.target.closest?ev.target.closest('[data-lock]'):null;\n"
	"  var id=e?e.getAttribute('data-lock'):null;if(id===cur)return;\n"
	"  if(cur)mark(cur,false);cur=id;if(cur)mark(cur,true);});\n"
	"})();\n";

static const char *kind_class(enum ls_ctx_kind k)
{
	return k == LS_CTX_TASK ? "kt" : k == LS_CTX_SOFTIRQ ? "ks" : k == LS_CTX_HARDIRQ ? "ki" : "kn";
}

static const char *band_class(enum ls_ctx_kind k)
{
	return k == LS_CTX_TASK ? "bt" : k == LS_CTX_SOFTIRQ ? "bs" : k == LS_CTX_HARDIRQ ? "bi" : "bn";
}

static void render_finding(struct ls_buf *b, const struct ls_timeline *tl,
			   const struct ls_machine *m, const struct ls_result *r,
			   const struct finding *f, const struct ls_timeline_page *p)
{
	ls_buf_printf(b, "<section id=\"finding\" class=\"finding k-%s\">\n<h2>",
		      ls_kind_name(r->kind));
	esc(b, f->title[0] ? f->title : r->kind == LS_KIND_NONE ? "nothing found" :
						 ls_kind_name(r->kind));
	ls_buf_printf(b, "</h2>\n");
	if (f->text[0]) {
		ls_buf_printf(b, "<p>");
		esc(b, f->text);
		ls_buf_printf(b, "</p>\n");
	}
	if (p->note) {
		ls_buf_printf(b, "<p>");
		esc(b, p->note);
		ls_buf_printf(b, "</p>\n");
	}
	bool any = false;
	for (size_t i = 0; tl && i < tl->nlocks; i++) {
		if (!tl->locks[i].hot)
			continue;
		ls_buf_printf(b, "%s<span class=\"hot-lock\" data-lock=\"L%zu\">",
			      any ? "" : "<p>locks: ", i);
		lock_label(b, tl, (uint32_t)i);
		ls_buf_printf(b, "</span>");
		any = true;
	}
	for (int i = 0; i < f->nwords; i++) {
		bool lock = false;
		for (size_t k = 0; tl && k < tl->nlocks; k++)
			lock |= tl->locks[k].hot && tl->locks[k].name + 1 == f->words[i];
		if (lock)
			continue;
		ls_buf_printf(b, "%s<span class=\"hot-word\">", any ? "" : "<p>waits on: ");
		esc(b, tl->names[f->words[i] - 1]);
		ls_buf_printf(b, "</span>");
		any = true;
	}
	if (any)
		ls_buf_printf(b, "</p>\n");
	any = false;
	for (int i = 0; i < m->nctx; i++) {
		if (!f->ctx_hot[i])
			continue;
		ls_buf_printf(b, "%s<span class=\"hot-ctx %s\">", any ? "" : "<p>contexts: ",
			      kind_class(m->ctx[i].kind));
		esc(b, m->ctx[i].label);
		ls_buf_printf(b, "</span>");
		any = true;
	}
	if (any)
		ls_buf_printf(b, "</p>\n");
	ls_buf_printf(b, "</section>\n");
}

static void render_locks(struct ls_buf *b, const struct ls_timeline *tl)
{
	ls_buf_printf(b, "<section id=\"locks\"><h2>locks</h2>\n");
	if (!tl || !tl->nlocks)
		ls_buf_printf(b, "<p>no lock the validator tracks was taken</p>\n");
	for (size_t i = 0; tl && i < tl->nlocks; i++) {
		const struct lock_inst *l = &tl->locks[i];
		ls_buf_printf(b, "<span class=\"lkn%s\" data-lock=\"L%zu\" title=\"%" PRIu32 " hold%s",
			      l->hot ? " hot" : "", i, l->nholds, l->nholds == 1 ? "" : "s");
		if (l->only_cpu >= 0)
			ls_buf_printf(b, ", %son cpu%d", l->nholds == 1 ? "" : "all ", l->only_cpu);
		ls_buf_printf(b, "\"><span class=\"ky\">L%zu </span>", i);
		lock_label(b, tl, (uint32_t)i);
		ls_buf_printf(b, "</span>\n");
	}
	ls_buf_printf(b, "</section>\n");
}

static void render_head(struct ls_buf *b, const struct ls_machine *m)
{
	ls_buf_printf(b, "<thead><tr><th>step</th><th>time (ns)</th>");
	for (int cpu = 0; cpu < m->ncpus; cpu++) {
		ls_buf_printf(b, "<th class=\"lane\" data-cpu=\"%d\" colspan=\"2\">CPU%d<br><small>",
			      cpu, cpu);
		bool first = true;
		for (int i = 0; i < m->nctx; i++)
			if (m->ctx[i].kind == LS_CTX_TASK && m->ctx[i].cpu == cpu) {
				ls_buf_printf(b, "%s", first ? "" : ", ");
				esc(b, m->ctx[i].label);
				first = false;
			}
		ls_buf_printf(b, "</small></th>");
	}
	ls_buf_printf(b, "<th>op</th><th>object</th><th>site</th><th>decision</th></tr></thead>\n");
}

/* "lock_a: t1 waits from step 4, holds from step 9 to step 12" */
static void hold_title(struct ls_buf *b, const struct ls_timeline *tl, const struct hold *h)
{
	lock_label(b, tl, h->lock);
	ls_buf_printf(b, ": ");
	esc(b, tl->m->ctx[h->ctx].label);
	if (h->owned == OPEN)
		ls_buf_printf(b, " waits from step %" PRIu64 " and never gets it", h->from_step);
	else if (h->owned != h->from)
		ls_buf_printf(b, " waits from step %" PRIu64 ", holds from step %" PRIu64,
			      h->from_step, h->owned_step);
	else
		ls_buf_printf(b, " holds from step %" PRIu64, h->from_step);
	if (h->to != OPEN)
		ls_buf_printf(b, " %s step %" PRIu64, h->owned == OPEN ? "until" : "to",
			      h->released_step);
	else if (h->released != OPEN)
		ls_buf_printf(b, " to the end: released at step %" PRIu64 ", its unlocking store "
			      "never ran", h->released_step);
	else if (h->owned != OPEN)
		ls_buf_printf(b, " to the end");
}

/* The lane cells of row i, or of the marker of the folded rows lo..i: each CPU's bands (of its
 * stack `bands`, the one `runner` runs in drawn darker) and the holds in `active`, each named at
 * the first shown row of it: where it starts, at the top if it started before the page. */
static void render_lanes(struct ls_buf *b, const struct ls_timeline *tl, uint32_t all_bands,
			 const struct ls_ctx *runner, const struct row *r, uint64_t lo, uint64_t i,
			 uint64_t first, int64_t active[LS_MAX_CPUS][MAX_SLOTS])
{
	const struct ls_machine *m = tl->m;
	for (int cpu = 0; cpu < m->ncpus; cpu++) {
		uint32_t bands = all_bands >> (4 * cpu);
		bool here = runner && runner->cpu == cpu;
		ls_buf_printf(b, "<td class=\"ln\">");
		/* Drawn outermost first: task, softirq, hardirq, NMI. */
		static const enum ls_ctx_kind order[4] = { LS_CTX_TASK, LS_CTX_SOFTIRQ, LS_CTX_HARDIRQ,
							   LS_CTX_NMI };
		for (int k = 0; k < 4; k++)
			if (bands & (1u << order[k]))
				ls_buf_printf(b, "<i class=\"b %s%s\"></i>", band_class(order[k]),
					      here && runner->kind == order[k] ? " r" : "");
		if (here) {
			ls_buf_printf(b, "<span class=\"who %s\">%s", kind_class(runner->kind),
				      r->op == LS_OP_ENTER ? "&gt;&gt; " : r->op == LS_OP_EXIT ? "&lt;&lt; " : "");
			esc(b, runner->label);
			ls_buf_printf(b, "</span>");
		}
		ls_buf_printf(b, "</td><td class=\"lk k%d\">", cpu);
		for (int s = 0; s < MAX_SLOTS; s++) {
			if (active[cpu][s] < 0)
				continue;
			const struct hold *h = &tl->holds[active[cpu][s]];
			bool start = (h->from >= lo && h->from <= i) || (lo == first && h->from < first);
			ls_buf_printf(b, "<i class=\"h s%d%s%s%s%s\" data-lock=\"L%" PRIu32 "\"", s,
				      start ? " a" : "", h->to == i ? " e" : "",
				      h->owned == OPEN || i < h->owned ? " w" : "",
				      h->hot ? " hot" : "", h->lock);
			if (start) {
				ls_buf_printf(b, " title=\"");
				hold_title(b, tl, h);
				ls_buf_printf(b, "\"></i>");
				ls_buf_printf(b, "<span class=\"hn%s\" data-lock=\"L%" PRIu32 "\" title=\"",
					      h->hot ? " hot" : "", h->lock);
				lock_label(b, tl, h->lock);
				ls_buf_printf(b, "\"><span class=\"nm\">");
				lock_label(b, tl, h->lock);
				ls_buf_printf(b, "</span><span class=\"ky\">L%" PRIu32 "</span></span>",
					      h->lock);
			} else {
				ls_buf_printf(b, "></i>");
			}
		}
		ls_buf_printf(b, "</td>");
	}
}

static void render_row(struct ls_buf *b, struct ls_timeline *tl, uint64_t i, uint64_t first,
		       bool other, int64_t active[LS_MAX_CPUS][MAX_SLOTS])
{
	const struct ls_machine *m = tl->m;
	const struct row *r = row_at(tl, i);
	const struct ls_ctx *c = &m->ctx[r->ctx];
	bool time = r->op == LS_OP_TIME, vis = r->op == LS_OP_DRAIN;
	ls_buf_printf(b, "<tr class=\"row%s%s%s%s\" id=\"r%" PRIu64 "\" data-step=\"%" PRIu64
			 "\" data-ctx=\"", r->hot ? " hot" : "", time ? " time" : "",
		      vis ? " vis" : "", other ? " other" : "", i, r->step);
	esc(b, c->label);
	ls_buf_printf(b, "\"><td class=\"n\">%" PRIu64 "</td><td class=\"t\">%" PRIu64 "</td>",
		      r->step, r->clock);
	render_lanes(b, tl, r->bands, time ? NULL : c, r, i, i, first, active);
	ls_buf_printf(b, "<td>%s</td><td class=\"o\">", ls_op_name((enum ls_op)r->op));
	if (r->obj)
		esc(b, tl->names[r->obj - 1]);
	ls_buf_printf(b, "</td><td class=\"st\">");
	if (time) {
		ls_buf_printf(b, r->decided ? "time passes: the running CPUs are slow until the next "
					      "deadline"
					    : "time passes: every context waits for the next deadline");
	} else if (r->site) {
		/* Two halves, each a block in the line: a narrow page wraps between them first.  A
		 * store that waited (weak memory models) has two rows: its issue, and this one. */
		ls_buf_printf(b, "<span>%s<b>", vis ? "visible to every CPU: " : "");
		esc(b, r->site->what ? r->site->what : "?");
		ls_buf_printf(b, "</b> in ");
		esc(b, r->site->func ? r->site->func : "?");
		ls_buf_printf(b, "</span> <span>(");
		esc(b, r->site->file ? ls_site_file(r->site->file) : "?");
		ls_buf_printf(b, ":%d)</span>", r->site->line);
	}
	ls_buf_printf(b, "</td><td class=\"dec\">");
	if (r->decided) {
		char ch[64];
		ls_choice_format(m, &r->choice, ch, sizeof(ch));
		ls_buf_printf(b, "~&gt; ");
		esc(b, ch);
	}
	ls_buf_printf(b, "</td></tr>\n");
}

/* Where rows lo..i were folded: "... 3 rows of t1, nmi@cpu1 folded", with the bands both
 * neighbours show and the holds that go on past it, as if it were a row after row i.  Hidden
 * unless the page's script folds the rows; a click on it shows them. */
static void render_fold(struct ls_buf *b, const struct ls_timeline *tl, uint64_t lo, uint64_t i,
			uint64_t first, int64_t active[LS_MAX_CPUS][MAX_SLOTS])
{
	const struct ls_machine *m = tl->m;
	bool of[LS_MAX_CTX] = { false };
	for (uint64_t k = lo; k <= i; k++)
		of[row_at(tl, k)->ctx] = true;
	uint32_t bands = row_at(tl, i)->bands;
	if (lo > first)
		bands &= row_at(tl, lo - 1)->bands;
	if (i + 1 < tl->nrows)
		bands &= row_at(tl, i + 1)->bands;
	ls_buf_printf(b, "<tr class=\"fold\" data-from=\"r%" PRIu64 "\" data-rows=\"%" PRIu64
			 "\"><td class=\"n\">&#8230;</td><td class=\"t\"></td>", lo, i - lo + 1);
	render_lanes(b, tl, bands, NULL, NULL, lo, i, first, active);
	ls_buf_printf(b, "<td colspan=\"4\" class=\"fm\">&#8230; %" PRIu64 " row%s of ", i - lo + 1,
		      i == lo ? "" : "s");
	bool any = false;
	for (int c = 0; c < m->nctx; c++) {
		if (!of[c])
			continue;
		ls_buf_printf(b, "%s", any ? ", " : "");
		esc(b, m->ctx[c].label);
		any = true;
	}
	ls_buf_printf(b, " folded</td></tr>\n");
}

static void render_rows(struct ls_buf *b, struct ls_timeline *tl, const struct finding *f)
{
	const struct ls_machine *m = tl->m;
	int64_t active[LS_MAX_CPUS][MAX_SLOTS];
	memset(active, -1, sizeof(active));
	uint64_t first = first_shown(tl);
	int cols = 2 + 2 * m->ncpus + 4;
	if (tl->lost)
		ls_buf_printf(b, "<tr class=\"skip\"><td colspan=\"%d\">%" PRIu64 " records were "
				 "lost between two points</td></tr>\n", cols, tl->lost);
	if (first)
		ls_buf_printf(b, "<tr class=\"skip\"><td colspan=\"%d\">the first %" PRIu64 " rows are "
				 "left out: a page shows the last %d</td></tr>\n", cols, first,
			      MAX_ROWS);
	size_t next = 0;
	uint64_t run = 0;		/* the first row of the folded rows up to this one */
	for (uint64_t i = first; i < tl->nrows; i++) {
		for (; next < tl->nholds && tl->holds[next].from <= i; next++) {
			const struct hold *h = &tl->holds[next];
			uint64_t to = h->to == OPEN ? tl->nrows - 1 : h->to;
			if (h->slot < MAX_SLOTS && to >= i)
				active[m->ctx[h->ctx].cpu][h->slot] = (int64_t)next;
		}
		bool other = folded(tl, f, i);
		if (other && (i == first || !folded(tl, f, i - 1)))
			run = i;
		render_row(b, tl, i, first, other, active);
		for (int cpu = 0; cpu < m->ncpus; cpu++)
			for (int s = 0; s < MAX_SLOTS; s++) {
				if (active[cpu][s] < 0)
					continue;
				const struct hold *h = &tl->holds[active[cpu][s]];
				if ((h->to == OPEN ? tl->nrows - 1 : h->to) <= i)
					active[cpu][s] = -1;
			}
		if (other && (i + 1 == tl->nrows || !folded(tl, f, i + 1)))
			render_fold(b, tl, run, i, first, active);
	}
}

void ls_timeline_render(struct ls_timeline *tl, const struct ls_session *s,
			const struct ls_result *r, const struct ls_timeline_page *p,
			struct ls_buf *b)
{
	const struct ls_machine *m = s->m;
	struct finding f;
	memset(&f, 0, sizeof(f));
	int used[LS_MAX_CPUS] = { 0 };
	size_t label[LS_MAX_CPUS] = { 0 }, key[LS_MAX_CPUS] = { 0 };
	if (tl && tl->m != m)
		tl = NULL;
	if (tl) {
		flush(tl);
		number_locks(tl);
		mark_finding(tl, r, &f);
		assign_slots(tl, used, label, key);
	}
	const char *variant = s->target->variants[s->variant].name;

	ls_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<meta name=\"generator\" content=\"lockstep %s\">\n<title>lockstep: ",
		      LS_VERSION);
	esc(b, s->target->name);
	ls_buf_printf(b, ":");
	esc(b, variant);
	ls_buf_printf(b, " %s</title>\n<style>\n%s", ls_kind_name(r->kind), page_style);
	for (int k = 0; k < MAX_SLOTS; k++)
		ls_buf_printf(b, ".s%d{left:%dpx}\n", k, 2 + k * SLOT_PX);
	for (int cpu = 0; cpu < m->ncpus; cpu++)
		ls_buf_printf(b, "td.k%d{min-width:%dpx}td.k%d .hn{left:%dpx}\n", cpu,
			      used[cpu] ? 10 + used[cpu] * SLOT_PX + 6 * (int)label[cpu] : 6, cpu,
			      4 + used[cpu] * SLOT_PX);
	ls_buf_printf(b, "@media (max-width:%dpx){#main{display:block}#report{position:static;"
			 "max-width:none;max-height:80vh;margin-top:8px}}\n", STACKED_PX - 1);
	ls_buf_printf(b, "body.stack #main{display:block}body.stack #report{position:static;"
			 "max-width:none;max-height:80vh;margin-top:8px}\n");
	ls_buf_printf(b, "@media (max-width:%dpx){.hn .nm{display:none}.hn .ky,.lkn .ky{display:inline}",
		      COMPACT_PX - 1);
	for (int cpu = 0; cpu < m->ncpus; cpu++)
		ls_buf_printf(b, "td.k%d{min-width:%dpx}", cpu,
			      used[cpu] ? 10 + used[cpu] * SLOT_PX + 6 * (int)key[cpu] : 6);
	ls_buf_printf(b, "}\n");
	ls_buf_printf(b, "</style>\n</head>\n<body>\n<header>\n<h1>lockstep timeline: ");
	esc(b, s->target->name);
	ls_buf_printf(b, ":");
	esc(b, variant);
	ls_buf_printf(b, "</h1>\n<table class=\"meta\">\n");
	char num[64];
	meta(b, "target", s->target->name);
	meta(b, "variant", variant);
	snprintf(num, sizeof(num), "%" PRIu64, r->seed);
	meta(b, "seed", num);
	meta(b, "strategy", p->strategy);
	meta(b, "outcome", ls_kind_name(r->kind));
	if (r->kind != LS_KIND_NONE) {
		struct ls_buf sig = { 0 };
		ls_buf_printf(&sig, "%012llx: %s", r->bug_hash & 0xffffffffffffull, r->title);
		meta(b, "bug", sig.s);
		ls_buf_reset(&sig);
		ls_buf_printf(&sig, "%012llx: %s", r->hash & 0xffffffffffffull, r->signature);
		meta(b, "signature", sig.s);
		ls_buf_finish(&sig);
	}
	snprintf(num, sizeof(num), "%" PRIu64 " steps, %" PRIu64 " ns virtual", r->steps,
		 tl ? r->clock : 0);
	meta(b, "execution", tl ? num : "not recorded");
	meta(b, "replay", p->verdict);
	meta(b, "file", p->source);
	ls_buf_printf(b, "</table>\n<p id=\"summary\">This page's script did not run.</p>\n"
			 "</header>\n");
	render_finding(b, tl, m, r, &f, p);
	render_locks(b, tl);
	ls_buf_printf(b, "<div id=\"main\">\n<div id=\"tlwrap\">\n<table id=\"tl\">\n");
	render_head(b, m);
	ls_buf_printf(b, "<tbody>\n");
	if (tl)
		render_rows(b, tl, &f);
	ls_buf_printf(b, "</tbody>\n</table>\n</div>\n<aside id=\"report\"><h2>report</h2><pre>");
	esc(b, p->report ? p->report : "");
	ls_buf_printf(b, "</pre></aside>\n</div>\n<script>\n%s</script>\n</body>\n</html>\n",
		      page_script);
}


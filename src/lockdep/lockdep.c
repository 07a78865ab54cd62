/* The lock validator: lockdep's rules, applied to every context the machine runs, NMIs included.
 *
 * Lock classes.  A lock's class is its key (the init site, or the lock itself for static locks).
 * Classes, their usage bits and the dependency graph belong to the session: they accumulate over
 * every execution of a campaign, so two executions that each take one half of an ABBA make a
 * finding together, as lockdep finds orders that no single boot ever deadlocked on.
 *
 * Held locks.  Each context (task, hardirq, NMI) has its own stack of held acquisitions.  A
 * dependency prev -> next is recorded when next is acquired while prev is held in the same
 * context; walking down the stack stops after the first held lock that is not a trylock, as
 * lockdep's check_prevs_add() does, and transitivity covers the rest.  Every dependency keeps the
 * context, site, step, execution and backtrace of its first acquisition.
 *
 * Acquisitions.  A blocking acquisition is announced before its first attempt (lockdep's
 * lock_acquire(), where every check below runs), may then wait in the lock's queue
 * (ls_lock_contended()), and is taken when the model says so (ls_lock_acquired(), at the step of
 * the operation that gave it the lock).  It sits on the held stack from its announcement, as in
 * lockdep, but reports and the timeline call it held only once it was taken.
 *
 * On each blocking acquisition, in lockdep's order:
 *   1. usage: mark USED_IN_HARDIRQ (in a hardirq), ENABLED_HARDIRQ (in a task with interrupts on),
 *      USED_IN_NMI (in an NMI) and USED; a new bit that conflicts with one already set is an
 *      inconsistent lock state, and a new bit that conflicts with a class reachable through the
 *      graph is an irq inversion (check_usage_forwards/backwards);
 *   2. recursion: a lock of the same class already held by this context (AA), except a recursive
 *      read after a read; then, beyond lockdep, the same lock instance held by a context this
 *      interrupt interrupted (AA through an interrupt);
 *   3. each new dependency: a breadth-first search from next for a strong path back to prev
 *      (lockdep's rule for read locks: no -(*R)-> edge followed by a -(S*)-> edge) is a circular
 *      dependency; otherwise irq-safe locks behind prev reaching irq-unsafe locks after next is an
 *      irq-safe -> irq-unsafe order.
 * Trylocks are checked for nothing and add no incoming dependency, but sit on the held stack as a
 * predecessor for later acquisitions.
 *
 * NMIs.  The kernel's lockdep is off inside NMIs: it only checks, on a blocking NMI acquisition,
 * that the class was never used outside NMI (verify_lock_unused).  LS_VALIDATE_COMPAT reproduces
 * exactly that.  LS_VALIDATE_ON tracks NMI contexts like any other, marks IN-NMI usage in both
 * orders, and so finds NMI cycles and NMI-vs-task inversions lockdep cannot.
 *
 * Resilient locks (acquisition may fail, like rqspinlock) take part in the graph, but a cycle or
 * a recursion through one is reported as averted: the kernel code gets -EDEADLK or -ETIMEDOUT
 * back instead of hanging.
 *
 * Reports.  Lockdep prints its first report and turns itself off.  Here checking goes on for the
 * rest of the execution and every report is kept (up to LS_MAX_REPORTS): the graph an execution
 * leaves behind then does not depend on what was reported, and a finding made late in a campaign,
 * when the graph already held what an earlier report was about, is still among the reports of
 * the same execution replayed on a fresh graph.  The first report is the execution's finding;
 * a replay selects the one its trace recorded.  Nothing here allocates after create. */
#include "lockdep.h"

#include <stdlib.h>
#include <string.h>

#define KEY_SLOTS 1024	/* open-addressing table from key to class; twice LS_MAX_CLASSES or more */

#define BIT(b) (1u << (b))
#define DIR_BIT 2	/* usage bit ^ DIR_BIT: the opposite direction (used-in <-> enabled) */

struct ctx_held {
	struct ls_held held[LS_MAX_LOCK_DEPTH];
	int depth;
	bool overflow;
};

struct ls_validator {
	enum ls_validate mode;
	struct ls_lock_class classes[LS_MAX_CLASSES];
	int nclasses;
	uint16_t slots[KEY_SLOTS];	/* class id + 1, 0 for empty */
	struct ls_dep deps[LS_MAX_EDGES];
	int ndeps;
	uint64_t adj[LS_MAX_CLASSES][LS_MAX_CLASSES / 64];
	bool full;			/* a table filled up: checking stopped for the session */
	uint64_t acquisitions;
	/* The current execution. */
	uint32_t exec;
	uint64_t seed;
	struct ctx_held ctx[LS_MAX_CTX];
	/* The execution's reports, in the order made; the first LS_MAX_REPORTS are kept. */
	struct ls_lockdep_report reports[LS_MAX_REPORTS];
	int nreports, selected;
	struct ls_lockdep_report spare;	/* where reports past the limit, or repeats, go */
};

/* Annotations outside any session's execution land here, and are not checked. */
static struct ls_validator idle = { .mode = LS_VALIDATE_OFF };
/* The validator of the execution running now (ls_lockdep_begin()). */
static struct ls_validator *ld = &idle;

/* Breadth-first search scratch, shared by every search (the validator runs on one thread). */
static struct {
	int queue[2 * LS_MAX_CLASSES];
	int parent_dep[2 * LS_MAX_CLASSES];	/* the dependency that reached a state, -1 at the root */
	int parent[2 * LS_MAX_CLASSES];		/* the state it was reached from */
	uint8_t seen[2 * LS_MAX_CLASSES];
} bfs;

struct ls_validator *ls_validator_create(void)
{
	struct ls_validator *v = malloc(sizeof(*v));
	if (v)
		ls_lockdep_reset(v, LS_VALIDATE_ON);
	return v;
}

void ls_validator_destroy(struct ls_validator *v)
{
	if (ld == v)
		ld = &idle;
	free(v);
}

void ls_lockdep_reset(struct ls_validator *v, enum ls_validate mode)
{
	v->mode = mode;
	v->nclasses = 0;
	v->ndeps = 0;
	v->full = false;
	v->acquisitions = 0;
	memset(v->slots, 0, sizeof(v->slots));
	memset(v->adj, 0, sizeof(v->adj));
	v->exec = 0;
	v->nreports = v->selected = 0;
}

void ls_lockdep_begin(struct ls_validator *v, uint32_t exec, uint64_t seed)
{
	ld = v;
	ld->exec = exec;
	ld->seed = seed;
	for (int i = 0; i < LS_MAX_CTX; i++) {
		ld->ctx[i].depth = 0;
		ld->ctx[i].overflow = false;
	}
	ld->nreports = ld->selected = 0;
}

const struct ls_lockdep_report *ls_lockdep_report(void)
{
	return ld->nreports ? &ld->reports[ld->selected] : NULL;
}

int ls_lockdep_nreports(void)
{
	return ld->nreports < LS_MAX_REPORTS ? ld->nreports : LS_MAX_REPORTS;
}

const struct ls_lockdep_report *ls_lockdep_report_at(int i)
{
	return &ld->reports[i];
}

void ls_lockdep_select(int i)
{
	ld->selected = i;
}

uint64_t ls_lockdep_acquisitions(void)
{
	return ld->acquisitions;
}

const struct ls_lock_class *ls_lockdep_class(int id)
{
	return &ld->classes[id];
}

const struct ls_dep *ls_lockdep_dep(int id)
{
	return &ld->deps[id];
}

/* ---- classes ----------------------------------------------------------------------------- */

/* The class id of map, registering its class on first sight; -1 when the table is full. */
static int class_of(struct ls_lockdep_map *map)
{
	/* The cached id is checked against the class it names: a statically initialized map
	 * outlives a reset of the graph, and may meet another session's validator. */
	int cached = map->class_id - 1;
	if (cached >= 0 && cached < ld->nclasses && ld->classes[cached].key == map->key)
		return cached;
	uintptr_t k = (uintptr_t)map->key;
	unsigned h = (unsigned)((k >> 4) ^ (k >> 13)) & (KEY_SLOTS - 1);
	for (;; h = (h + 1) & (KEY_SLOTS - 1)) {
		int slot = ld->slots[h];
		if (!slot)
			break;
		if (ld->classes[slot - 1].key == map->key) {
			map->class_id = (uint16_t)slot;
			return slot - 1;
		}
	}
	if (ld->nclasses == LS_MAX_CLASSES) {
		ld->full = true;
		return -1;
	}
	int id = ld->nclasses++;
	struct ls_lock_class *c = &ld->classes[id];
	memset(c, 0, sizeof(*c));
	c->key = map->key;
	c->name = map->name;
	c->wait_type = map->wait_type;
	c->flags = map->flags;
	c->out = c->in = -1;
	ld->slots[h] = (uint16_t)(id + 1);
	map->class_id = (uint16_t)(id + 1);
	return id;
}

static bool has_dep(int from, int to)
{
	return ld->adj[from][to / 64] >> (to % 64) & 1;
}

static bool resilient(int cls)
{
	return ld->classes[cls].flags & LS_LOCKDEP_RESILIENT;
}

/* ---- reports ----------------------------------------------------------------------------- */

static void origin_here(struct ls_origin *o, const struct ls_site *site, int skip)
{
	o->ctx = ls_ctx_name(ls_ctx_id());
	o->kind = (uint8_t)ls_ctx_kind();
	o->site = site;
	o->step = ls_machine_current()->step;
	o->exec = ld->exec;
	o->seed = ld->seed;
	ls_backtrace_capture(&o->bt, skip + 1);
}

/* Starts a report about the current context.  A recursion the context already reported in this
 * execution (a loop taking the lock again) and reports past the limit go to a spare slot. */
static struct ls_lockdep_report *report_begin(enum ls_lockdep_bug bug, const char *shape,
					      const struct ls_held *next)
{
	int id = ls_ctx_id();
	struct ls_lockdep_report *r = &ld->spare;
	bool repeat = false;
	for (int i = 0; i < ls_lockdep_nreports(); i++) {
		const struct ls_lockdep_report *o = &ld->reports[i];
		repeat |= o->bug == bug && o->ctx == id && o->next.class_id == next->class_id &&
			  (bug == LS_BUG_RECURSIVE || bug == LS_BUG_INTERRUPT_AA ||
			   bug == LS_BUG_UNLOCK);
	}
	if (!repeat && ld->nreports++ < LS_MAX_REPORTS)
		r = &ld->reports[ld->nreports - 1];
	r->bug = bug;
	r->shape = shape;
	r->averted = false;
	r->ctx = id;
	r->ctx_kind = ls_ctx_kind();
	r->cpu = ls_cpu();
	r->step = ls_machine_current()->step;
	r->exec = ld->exec;
	r->next = *next;
	memset(&r->prev, 0, sizeof(r->prev));
	r->other_ctx = -1;
	r->nchain = 0;
	r->chain_truncated = false;
	r->usage_old = r->usage_new = -1;
	r->other_class = -1;
	r->unsafe_class = -1;
	r->nheld = ld->ctx[id].depth;
	memcpy(r->held, ld->ctx[id].held, (size_t)r->nheld * sizeof(r->held[0]));
	r->nprior = 0;
	ls_backtrace_capture(&r->bt, 3);
	return r;
}

static void cite_execution(struct ls_lockdep_report *r, const struct ls_origin *o)
{
	if (o->exec == ld->exec)
		return;
	int i = 0;
	while (i < r->nprior && r->prior_exec[i] < o->exec)
		i++;
	if (i < r->nprior && r->prior_exec[i] == o->exec)
		return;
	if (r->nprior == LS_MAX_PRIOR)
		return;
	memmove(&r->prior_exec[i + 1], &r->prior_exec[i], (size_t)(r->nprior - i) * sizeof(uint32_t));
	memmove(&r->prior_seed[i + 1], &r->prior_seed[i], (size_t)(r->nprior - i) * sizeof(uint64_t));
	r->prior_exec[i] = o->exec;
	r->prior_seed[i] = o->seed;
	r->nprior++;
}

/* ---- graph searches ---------------------------------------------------------------------- */

/* Breadth-first search over dependencies from `start`, forwards (out edges) or backwards.
 * A state is (class, arrived over a recursive-read edge), so lockdep's strong-path rule can be
 * applied: a -(*R)-> edge may not be followed by a -(S*)-> edge.  Stops at the first class for
 * which match() holds and returns it (its path is in bfs.parent_dep), or -1. */
static int search(int start, bool start_recursive, bool forwards, bool strong,
		  bool (*match)(int cls, bool arrived_recursive, const void *arg), const void *arg)
{
	int head = 0, tail = 0;
	memset(bfs.seen, 0, (size_t)ld->nclasses * 2);
	int s0 = start * 2 + (strong && start_recursive);
	bfs.seen[s0] = 1;
	bfs.parent_dep[s0] = -1;
	bfs.queue[tail++] = s0;
	while (head < tail) {
		int st = bfs.queue[head++];
		int cls = st / 2;
		bool arrived_r = st & 1;
		if (st != s0 && match(cls, arrived_r, arg))
			return st;
		for (int e = forwards ? ld->classes[cls].out : ld->classes[cls].in; e >= 0;
		     e = forwards ? ld->deps[e].next_out : ld->deps[e].next_in) {
			const struct ls_dep *d = &ld->deps[e];
			int nxt;
			bool r;
			if (forwards) {
				if (strong && arrived_r && d->from_read)
					continue;
				nxt = d->to;
				r = d->to_recursive;
			} else {
				nxt = d->from;
				r = false;
			}
			int ns = nxt * 2 + (strong && r);
			if (bfs.seen[ns])
				continue;
			bfs.seen[ns] = 1;
			bfs.parent_dep[ns] = e;
			bfs.parent[ns] = st;
			bfs.queue[tail++] = ns;
		}
	}
	return -1;
}

struct cycle_goal {
	int prev;
	bool prev_read;		/* the closing dependency's held side is shared */
};

static bool reaches_prev(int cls, bool arrived_r, const void *arg)
{
	const struct cycle_goal *g = arg;
	return cls == g->prev && !(arrived_r && g->prev_read);
}

static bool has_usage(int cls, bool arrived_r, const void *arg)
{
	(void)arrived_r;
	return ld->classes[cls].usage & *(const uint32_t *)arg;
}

/* The dependencies on the path that reached state st, from the search's start outwards. */
static int path_to(int st, int *out, int max, bool *truncated)
{
	int tmp[2 * LS_MAX_CLASSES], n = 0;
	for (; bfs.parent_dep[st] >= 0; st = bfs.parent[st])
		tmp[n++] = bfs.parent_dep[st];
	*truncated = n > max;
	int k = 0;
	for (int i = n - 1; i >= 0 && k < max; i--)
		out[k++] = tmp[i];
	return k;
}

/* ---- usage ------------------------------------------------------------------------------- */

static const char *const usage_names[LS_USAGE_BITS] = {
	[LS_USED_IN_HARDIRQ] = "IN-HARDIRQ-W",
	[LS_USED_IN_HARDIRQ_READ] = "IN-HARDIRQ-R",
	[LS_ENABLED_HARDIRQ] = "HARDIRQ-ON-W",
	[LS_ENABLED_HARDIRQ_READ] = "HARDIRQ-ON-R",
	[LS_USED_IN_NMI] = "IN-NMI",
	[LS_USED_IN_NMI_READ] = "IN-NMI-R",
	[LS_USED] = "INITIAL USE",
	[LS_USED_READ] = "INITIAL READ USE",
};

const char *ls_usage_name(int bit);
const char *ls_usage_name(int bit)
{
	return bit >= 0 && bit < LS_USAGE_BITS ? usage_names[bit] : "?";
}

/* The usage bits that conflict with a new bit on the same class, lockdep's exclusive_bit() and
 * its read-in-write rule, with NMI usage conflicting with any use outside NMI. */
static uint32_t conflicts(int bit)
{
	switch (bit) {
	case LS_USED_IN_HARDIRQ:
		return BIT(LS_ENABLED_HARDIRQ) | BIT(LS_ENABLED_HARDIRQ_READ);
	case LS_USED_IN_HARDIRQ_READ:
		return BIT(LS_ENABLED_HARDIRQ);
	case LS_ENABLED_HARDIRQ:
		return BIT(LS_USED_IN_HARDIRQ) | BIT(LS_USED_IN_HARDIRQ_READ);
	case LS_ENABLED_HARDIRQ_READ:
		return BIT(LS_USED_IN_HARDIRQ);
	case LS_USED_IN_NMI:
		return BIT(LS_USED) | BIT(LS_USED_READ);
	case LS_USED_IN_NMI_READ:
		return BIT(LS_USED);
	case LS_USED:
		return BIT(LS_USED_IN_NMI) | BIT(LS_USED_IN_NMI_READ);
	case LS_USED_READ:
		return BIT(LS_USED_IN_NMI);
	default:
		return 0;
	}
}

static const char *usage_shape(int bit)
{
	return bit == LS_USED_IN_NMI || bit == LS_USED_IN_NMI_READ || bit == LS_USED ||
			       bit == LS_USED_READ
		       ? "nmi-inversion"
		       : "irq-inversion";
}

/* Marks a usage bit; reports a conflict on the class, then through the graph. */
static void mark(int cls, int bit, const struct ls_held *h, const struct ls_site *site)
{
	struct ls_lock_class *c = &ld->classes[cls];
	if (c->usage & BIT(bit))
		return;
	c->usage |= BIT(bit);
	origin_here(&c->first[bit], site, 2);
	uint32_t bad = conflicts(bit) & c->usage;
	if (bad) {
		int old = __builtin_ctz(bad);
		struct ls_lockdep_report *r = report_begin(LS_BUG_USAGE, usage_shape(bit), h);
		r->usage_old = old;
		r->usage_new = bit;
		r->averted = resilient(cls);
		cite_execution(r, &c->first[old]);
		return;
	}
	/* Hardirq usage against the graph: a lock taken in hardirqs must not lead to a lock
	 * taken with hardirqs on, and vice versa. */
	uint32_t want;
	bool forwards;
	switch (bit) {
	case LS_USED_IN_HARDIRQ:
		want = BIT(LS_ENABLED_HARDIRQ) | BIT(LS_ENABLED_HARDIRQ_READ);
		forwards = true;
		break;
	case LS_USED_IN_HARDIRQ_READ:
		want = BIT(LS_ENABLED_HARDIRQ);
		forwards = true;
		break;
	case LS_ENABLED_HARDIRQ:
		want = BIT(LS_USED_IN_HARDIRQ) | BIT(LS_USED_IN_HARDIRQ_READ);
		forwards = false;
		break;
	case LS_ENABLED_HARDIRQ_READ:
		want = BIT(LS_USED_IN_HARDIRQ);
		forwards = false;
		break;
	default:
		return;
	}
	if (c->out < 0 && c->in < 0)
		return;
	int st = search(cls, false, forwards, false, has_usage, &want);
	if (st < 0)
		return;
	struct ls_lockdep_report *r = report_begin(LS_BUG_INVERSION, "irq-inversion", h);
	r->usage_new = bit;
	r->other_class = st / 2;
	r->usage_old = __builtin_ctz(ld->classes[st / 2].usage & want);
	r->nchain = path_to(st, r->chain, LS_MAX_CHAIN, &r->chain_truncated);
	for (int i = 0; i < r->nchain; i++)
		cite_execution(r, &ld->deps[r->chain[i]].origin);
	cite_execution(r, &ld->classes[st / 2].first[r->usage_old]);
}

static void mark_acquire(int cls, const struct ls_held *h, enum ls_ctx_kind kind, bool irqs_off,
			 const struct ls_site *site)
{
	bool rd = h->read != 0;
	if (kind == LS_CTX_NMI) {
		if (!h->trylock)
			mark(cls, rd ? LS_USED_IN_NMI_READ : LS_USED_IN_NMI, h, site);
		return;
	}
	if (!h->trylock) {
		if (kind == LS_CTX_HARDIRQ)
			mark(cls, rd ? LS_USED_IN_HARDIRQ_READ : LS_USED_IN_HARDIRQ, h, site);
		else if (!irqs_off)
			mark(cls, rd ? LS_ENABLED_HARDIRQ_READ : LS_ENABLED_HARDIRQ, h, site);
	}
	mark(cls, rd ? LS_USED_READ : LS_USED, h, site);
}

/* lockdep's verify_lock_unused(): the one check the kernel makes inside an NMI. */
static void verify_lock_unused(int cls, const struct ls_held *h)
{
	uint32_t used = BIT(LS_USED) | (h->read ? 0 : BIT(LS_USED_READ));
	struct ls_lock_class *c = &ld->classes[cls];
	if (!(c->usage & used))
		return;
	struct ls_lockdep_report *r = report_begin(LS_BUG_USAGE, "nmi-inversion", h);
	r->usage_old = __builtin_ctz(c->usage & used);
	r->usage_new = LS_USED_IN_NMI;
	r->averted = resilient(cls);
	cite_execution(r, &c->first[r->usage_old]);
}

/* ---- dependencies ------------------------------------------------------------------------ */

static void add_dep(const struct ls_held *prev, const struct ls_held *next,
		    const struct ls_site *site)
{
	int from = prev->class_id, to = next->class_id;
	if (has_dep(from, to))
		return;
	{
		/* check_noncircular: a strong path next ~> prev closes a cycle with prev -> next. */
		struct cycle_goal g = { from, prev->read != 0 };
		int st = search(to, next->read == 2, true, true, reaches_prev, &g);
		if (st >= 0) {
			struct ls_lockdep_report *r = report_begin(LS_BUG_CIRCULAR, "cycle", next);
			r->prev = *prev;
			r->nchain = path_to(st, r->chain, LS_MAX_CHAIN, &r->chain_truncated);
			r->shape = r->nchain == 1 ? "ABBA" : "cycle";
			r->averted = resilient(from) || resilient(to);
			for (int i = 0; i < r->nchain; i++) {
				const struct ls_dep *d = &ld->deps[r->chain[i]];
				r->averted |= resilient(d->to);
				cite_execution(r, &d->origin);
			}
		}
	}
	{
		/* check_irq_usage: hardirq-safe locks behind prev must not reach hardirq-unsafe
		 * locks from next. */
		uint32_t safe = BIT(LS_USED_IN_HARDIRQ) | BIT(LS_USED_IN_HARDIRQ_READ);
		uint32_t unsafe = BIT(LS_ENABLED_HARDIRQ) | BIT(LS_ENABLED_HARDIRQ_READ);
		bool prev_safe = ld->classes[from].usage & safe;
		int safe_st = -1;
		if (!prev_safe)
			safe_st = search(from, false, false, false, has_usage, &safe);
		if (prev_safe || safe_st >= 0) {
			int safe_cls = prev_safe ? from : safe_st / 2;
			int unsafe_cls = -1;
			if (ld->classes[to].usage & unsafe)
				unsafe_cls = to;
			else {
				int st = search(to, false, true, false, has_usage, &unsafe);
				if (st >= 0)
					unsafe_cls = st / 2;
			}
			if (unsafe_cls >= 0) {
				struct ls_lockdep_report *r =
					report_begin(LS_BUG_IRQ_ORDER, "irq-inversion", next);
				r->prev = *prev;
				r->other_class = safe_cls;
				r->unsafe_class = unsafe_cls;
				cite_execution(r, &ld->classes[safe_cls].first[__builtin_ctz(
							  ld->classes[safe_cls].usage & safe)]);
				cite_execution(r, &ld->classes[unsafe_cls].first[__builtin_ctz(
							  ld->classes[unsafe_cls].usage & unsafe)]);
			}
		}
	}
	if (ld->ndeps == LS_MAX_EDGES) {
		ld->full = true;
		return;
	}
	int e = ld->ndeps++;
	struct ls_dep *d = &ld->deps[e];
	d->from = (uint16_t)from;
	d->to = (uint16_t)to;
	d->from_read = prev->read != 0;
	d->to_recursive = next->read == 2;
	d->from_site = prev->site;
	origin_here(&d->origin, site, 2);
	d->next_out = ld->classes[from].out;
	ld->classes[from].out = e;
	d->next_in = ld->classes[to].in;
	ld->classes[to].in = e;
	ld->adj[from][to / 64] |= 1ull << (to % 64);
}

/* ---- the annotations --------------------------------------------------------------------- */

/* The kernel's lockdep never sees a resilient lock (rqspinlock has no lockdep map). */
static bool compat_hidden(const struct ls_lockdep_map *map)
{
	return ld->mode == LS_VALIDATE_COMPAT && (map->flags & LS_LOCKDEP_RESILIENT);
}

static bool tracked(enum ls_ctx_kind kind)
{
	return !(ld->mode == LS_VALIDATE_COMPAT && kind == LS_CTX_NMI);
}

/* Beyond lockdep: an interrupt acquiring the very lock a context under it on the same CPU holds,
 * or waits for in the lock's FIFO queue (ahead of the interrupt, which then never gets it),
 * spins forever, whatever the classes' usage history.  A context that only announced the
 * acquisition has nothing yet: the interrupt takes the lock first and returns.  The entry is
 * the interrupted context's acquisition. */
static const struct ls_held *interrupted_holder(const struct ls_lockdep_map *map, int *holder)
{
	const struct ls_machine *m = ls_machine_current();
	const struct ls_ctx *c = m->cur;
	if (!map->lock)
		return NULL;
	for (const struct ls_ctx *b = c->below; b; b = b->below) {
		const struct ctx_held *h = &ld->ctx[b->id];
		for (int i = 0; i < h->depth; i++)
			if (h->held[i].lock == map->lock && h->held[i].state != LS_HELD_TRYING) {
				*holder = b->id;
				return &h->held[i];
			}
	}
	return NULL;
}

static void validate(struct ls_held *h, int cls, enum ls_ctx_kind kind,
		     const struct ls_site *site)
{
	struct ctx_held *c = &ld->ctx[ls_ctx_id()];
	if (ld->mode == LS_VALIDATE_COMPAT && kind == LS_CTX_NMI) {
		if (!h->trylock)
			verify_lock_unused(cls, h);
		return;
	}
	/* Beyond lockdep, first: the concrete instance, before its class's usage history. */
	if (kind != LS_CTX_TASK && !h->trylock && ld->mode == LS_VALIDATE_ON) {
		int holder;
		const struct ls_held *p = interrupted_holder(h->map, &holder);
		if (p) {
			struct ls_lockdep_report *r = report_begin(LS_BUG_INTERRUPT_AA, "AA", h);
			r->prev = *p;
			r->other_ctx = holder;
			r->averted = resilient(cls);
		}
	}
	mark_acquire(cls, h, kind, h->irqs_off, site);
	if (h->trylock)
		return;
	/* check_deadlock(): the same class already held here. */
	for (int i = c->depth - 1; i >= 0; i--) {
		const struct ls_held *p = &c->held[i];
		if (p->class_id != cls)
			continue;
		if (h->read == 2 && p->read)
			continue;
		struct ls_lockdep_report *r = report_begin(LS_BUG_RECURSIVE, "AA", h);
		r->prev = *p;
		r->averted = resilient(cls);
		return;
	}
	/* check_prevs_add(): from the top of the stack down to the first non-trylock. */
	for (int i = c->depth - 1; i >= 0; i--) {
		const struct ls_held *p = &c->held[i];
		add_dep(p, h, site);
		if (!p->trylock)
			break;
	}
}

void ls_lock_acquire(struct ls_lockdep_map *map, int read, bool trylock,
		     const struct ls_site *site)
{
	int id = ls_ctx_id();
	if (id < 0 || (map->flags & LS_LOCKDEP_NOVALIDATE) || compat_hidden(map))
		return;
	enum ls_ctx_kind kind = ls_ctx_kind();
	uint64_t step = ls_machine_current()->step;
	struct ls_held h = {
		.map = map,
		.lock = map->lock,
		.read = (uint8_t)read,
		.state = trylock ? LS_HELD_HELD : LS_HELD_TRYING,
		.trylock = trylock,
		.irqs_off = ls_irqs_disabled(),
		.site = site,
		.step = step,
		.held_step = trylock ? step : UINT64_MAX,
	};
	if (ld->mode != LS_VALIDATE_OFF && !ld->full) {
		int cls = class_of(map);
		if (cls >= 0) {
			h.class_id = (uint16_t)cls;
			ld->acquisitions++;
			validate(&h, cls, kind, site);
		}
	}
	if (!tracked(kind))
		return;
	struct ctx_held *c = &ld->ctx[id];
	if (c->depth == LS_MAX_LOCK_DEPTH) {
		c->overflow = true;	/* lockdep: "BUG: MAX_LOCK_DEPTH too low!" */
		return;
	}
	c->held[c->depth++] = h;
}

/* The current context's newest acquisition of map not yet taken, or NULL.  An untracked map or
 * context never pushed one, so it is not found; the acquisition is nearly always on top. */
static struct ls_held *pending_acquisition(const struct ls_machine *m,
					   const struct ls_lockdep_map *map)
{
	if (!m || !m->cur)
		return NULL;
	struct ctx_held *c = &ld->ctx[m->cur->id];
	for (int i = c->depth - 1; i >= 0; i--)
		if (c->held[i].map == map)
			return c->held[i].state == LS_HELD_HELD ? NULL : &c->held[i];
	return NULL;
}

void ls_lock_contended(struct ls_lockdep_map *map, const struct ls_site *site)
{
	struct ls_held *h = pending_acquisition(ls_machine_current(), map);
	if (h)
		h->state = LS_HELD_WAITING;
}

void ls_lock_acquired(struct ls_lockdep_map *map, const struct ls_site *site)
{
	const struct ls_machine *m = ls_machine_current();
	struct ls_held *h = pending_acquisition(m, map);
	if (h) {
		h->state = LS_HELD_HELD;
		h->held_step = m->step;
	}
}

void ls_lock_release(struct ls_lockdep_map *map, const struct ls_site *site)
{
	int id = ls_ctx_id();
	if (id < 0 || (map->flags & LS_LOCKDEP_NOVALIDATE) || !tracked(ls_ctx_kind()) ||
	    compat_hidden(map))
		return;
	struct ctx_held *c = &ld->ctx[id];
	for (int i = c->depth - 1; i >= 0; i--)
		if (c->held[i].map == map) {
			memmove(&c->held[i], &c->held[i + 1],
				(size_t)(c->depth - i - 1) * sizeof(c->held[0]));
			c->depth--;
			return;
		}
	if (c->overflow || ld->mode == LS_VALIDATE_OFF)
		return;
	/* lockdep: "WARNING: bad unlock balance detected!" */
	struct ls_held h = { .map = map, .lock = map->lock, .site = site,
			     .step = ls_machine_current()->step };
	int cls = class_of(map);
	if (cls < 0)
		return;
	h.class_id = (uint16_t)cls;
	report_begin(LS_BUG_UNLOCK, "unlock-balance", &h);
}

/* Interrupts just came back on in the current context: every lock it holds is now held with
 * hardirqs enabled (lockdep's mark_held_locks()). */
void ls_lockdep_irqs_on(void);
void ls_lockdep_irqs_on(void)
{
	int id = ls_ctx_id();
	if (id < 0 || ld->mode != LS_VALIDATE_ON || ls_ctx_kind() != LS_CTX_TASK)
		return;
	struct ctx_held *c = &ld->ctx[id];
	for (int i = 0; i < c->depth; i++) {
		const struct ls_held *h = &c->held[i];
		if (h->trylock || ld->full)
			continue;
		mark(h->class_id, h->read ? LS_ENABLED_HARDIRQ_READ : LS_ENABLED_HARDIRQ, h, h->site);
	}
}

bool ls_lockdep_is_held(const struct ls_lockdep_map *map)
{
	int id = ls_ctx_id();
	if (id < 0)
		return false;
	const struct ctx_held *c = &ld->ctx[id];
	for (int i = 0; i < c->depth; i++)
		if (c->held[i].map == map)
			return true;
	return false;
}

void ls_lockdep_assert_held(const struct ls_lockdep_map *map, const struct ls_site *site)
{
	if (ls_ctx_id() >= 0 && tracked(ls_ctx_kind()) && !ls_lockdep_is_held(map))
		ls_fail(site, "lockdep_assert_held(%s) failed", map->name);
}

int ls_lockdep_held(int ctx, const struct ls_held **held)
{
	if (ctx < 0 || ctx >= LS_MAX_CTX) {
		*held = NULL;
		return 0;
	}
	*held = ld->ctx[ctx].held;
	return ld->ctx[ctx].depth;
}

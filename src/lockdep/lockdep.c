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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SLOTS 1024	/* open-addressing table from key to class; twice LS_MAX_CLASSES or more */

#define BIT(b) (1u << (b))
#define DIR_BIT 2	/* usage bit ^ DIR_BIT: the opposite direction (used-in <-> enabled) */

struct ctx_held {
	struct ls_held held[LS_MAX_LOCK_DEPTH];
	int depth;
	bool overflow;
	bool irq_config;		/* running an irq_work that is not IRQ_WORK_HARD_IRQ */
};

struct ls_validator {
	enum ls_validate mode;
	struct ls_lock_class classes[LS_MAX_CLASSES];
	int nclasses;
	uint16_t slots[KEY_SLOTS];	/* class id + 1, 0 for empty */
	struct ls_dep deps[LS_MAX_EDGES];
	int ndeps;
	uint8_t adj[LS_MAX_CLASSES][LS_MAX_CLASSES];	/* dependency types seen, DEP_* bits */
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
		ld->ctx[i].irq_config = false;
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

/* The class id of subclass `sub` of map's key (0: the map's default subclass), registering the
 * class on first sight; -1 when the table is full. */
static int class_of(struct ls_lockdep_map *map, unsigned sub)
{
	sub = sub ? sub : map->subclass;
	const void *key = (const char *)map->key + sub;
	/* The cached id (of the default subclass) is checked against the class it names: a
	 * statically initialized map outlives a reset of the graph, and may meet another session's
	 * validator. */
	int cached = map->class_id - 1;
	if (sub == map->subclass && cached >= 0 && cached < ld->nclasses &&
	    ld->classes[cached].key == key)
		return cached;
	uintptr_t k = (uintptr_t)key;
	unsigned h = (unsigned)((k >> 4) ^ (k >> 13)) & (KEY_SLOTS - 1);
	for (;; h = (h + 1) & (KEY_SLOTS - 1)) {
		int slot = ld->slots[h];
		if (!slot)
			break;
		if (ld->classes[slot - 1].key == key) {
			if (sub == map->subclass)
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
	c->key = key;
	c->name = map->name;
	c->subclass = (uint8_t)sub;
	if (sub) {
		/* lockdep prints a subclass as "name/n". */
		snprintf(c->namebuf, sizeof(c->namebuf), "%s/%u", map->name ? map->name : "?", sub);
		c->name = c->namebuf;
	}
	c->wait_type = map->wait_type;
	c->flags = map->flags;
	c->out = c->in = -1;
	ld->slots[h] = (uint16_t)(id + 1);
	if (sub == map->subclass)
		map->class_id = (uint16_t)(id + 1);
	return id;
}

/* lockdep's dependency types: the held side exclusive or shared, the acquired side
 * non-recursive or recursive (-(EN)->, -(ER)->, -(SN)->, -(SR)->).  One class pair may have
 * several; each is its own ls_dep. */
static unsigned dep_type(bool from_read, bool to_recursive)
{
	return 1u << (from_read * 2 + to_recursive);
}

static bool has_dep(int from, int to, unsigned type)
{
	return ld->adj[from][to] & type;
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

/* Breadth-first search over dependencies from `start`, forwards (out edges) or backwards, along
 * strong paths only (lockdep's __bfs()): a -(*R)-> edge is never followed by a -(S*)-> edge.  A
 * state is (class, only_xr): forwards, every way it was reached ends in a -(*R)-> edge, so the next
 * edge must be -(E*)->; backwards, every way ends in a -(S*)-> edge, so the next must be -(*N)->.
 * The root's only_xr is given, as lockdep's bfs_init_root() sets it from the held lock.  The root
 * is matched too.  Stops at the first state for which match() holds and returns it (its path is in
 * bfs.parent_dep), or -1. */
static int search(int start, bool start_xr, bool forwards,
		  bool (*match)(int cls, bool only_xr, const void *arg), const void *arg)
{
	int head = 0, tail = 0;
	memset(bfs.seen, 0, (size_t)ld->nclasses * 2);
	int s0 = start * 2 + start_xr;
	bfs.seen[s0] = 1;
	bfs.parent_dep[s0] = -1;
	bfs.queue[tail++] = s0;
	while (head < tail) {
		int st = bfs.queue[head++];
		int cls = st / 2;
		bool xr = st & 1;
		if (match(cls, xr, arg))
			return st;
		for (int e = forwards ? ld->classes[cls].out : ld->classes[cls].in; e >= 0;
		     e = forwards ? ld->deps[e].next_out : ld->deps[e].next_in) {
			const struct ls_dep *d = &ld->deps[e];
			int nxt;
			bool r;
			if (forwards) {
				if (xr && d->from_read)
					continue;
				nxt = d->to;
				r = d->to_recursive;
			} else {
				if (xr && d->to_recursive)
					continue;
				nxt = d->from;
				r = d->from_read;
			}
			int ns = nxt * 2 + r;
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

/* lockdep's hlock_conflict(): back at prev, unless the path ends -(*R)-> and prev is held
 * shared. */
static bool reaches_prev(int cls, bool only_xr, const void *arg)
{
	const struct cycle_goal *g = arg;
	return cls == g->prev && !(only_xr && g->prev_read);
}

/* The write forms of the irq usage bits, lockdep's LOCKF_IRQ. */
#define USAGE_IRQ_WRITE                                                                         \
	(BIT(LS_USED_IN_HARDIRQ) | BIT(LS_ENABLED_HARDIRQ) | BIT(LS_USED_IN_SOFTIRQ) |            \
	 BIT(LS_ENABLED_SOFTIRQ))
#define USAGE_USED_IN_ALL                                                                       \
	(BIT(LS_USED_IN_HARDIRQ) | BIT(LS_USED_IN_HARDIRQ_READ) | BIT(LS_USED_IN_SOFTIRQ) |       \
	 BIT(LS_USED_IN_SOFTIRQ_READ))
#define USAGE_ENABLED_ALL (USAGE_USED_IN_ALL << LS_USAGE_DIR)

/* lockdep's usage_match(): a class reached only through -(*R)-> edges (forwards) or -(S*)->
 * edges (backwards) counts only its write usage. */
static uint32_t usage_seen(int cls, bool only_xr)
{
	uint32_t u = ld->classes[cls].usage;
	return only_xr ? u & USAGE_IRQ_WRITE : u;
}

static bool has_usage(int cls, bool only_xr, const void *arg)
{
	return usage_seen(cls, only_xr) & *(const uint32_t *)arg;
}

/* lockdep's exclusive_mask(): for each irq usage bit, both forms of the opposite direction (a
 * read on either side can deadlock with a read or a write on the other). */
static uint32_t exclusive_mask(uint32_t mask)
{
	uint32_t excl = ((mask & USAGE_ENABLED_ALL) >> LS_USAGE_DIR) |
			((mask & USAGE_USED_IN_ALL) << LS_USAGE_DIR);
	excl |= (excl & ~USAGE_IRQ_WRITE & (USAGE_USED_IN_ALL | USAGE_ENABLED_ALL)) >> 1;
	excl |= (excl & USAGE_IRQ_WRITE) << 1;
	return excl;
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
	[LS_USED_IN_SOFTIRQ] = "IN-SOFTIRQ-W",
	[LS_USED_IN_SOFTIRQ_READ] = "IN-SOFTIRQ-R",
	[LS_ENABLED_SOFTIRQ] = "SOFTIRQ-ON-W",
	[LS_ENABLED_SOFTIRQ_READ] = "SOFTIRQ-ON-R",
	[LS_USED] = "INITIAL USE",
	[LS_USED_READ] = "INITIAL READ USE",
	[LS_USED_IN_NMI] = "IN-NMI",
	[LS_USED_IN_NMI_READ] = "IN-NMI-R",
};

const char *ls_usage_name(int bit);
const char *ls_usage_name(int bit)
{
	return bit >= 0 && bit < LS_USAGE_BITS ? usage_names[bit] : "?";
}

static bool irq_bit(int bit)
{
	return bit < LS_USED;
}

/* lockdep's exclusive_bit(): the write bit of the same state in the other direction. */
static int exclusive_bit(int bit)
{
	return (bit & ~(LS_USAGE_DIR | LS_USAGE_READ)) | ((bit & LS_USAGE_DIR) ^ LS_USAGE_DIR);
}

/* The usage bits that conflict with a new bit on the same class: lockdep's valid_state() on the
 * exclusive bit, and for a write bit also on its read form (read-in-write); NMI usage, lockstep's
 * own, conflicts with any use outside NMI. */
static uint32_t conflicts(int bit)
{
	if (irq_bit(bit)) {
		int excl = exclusive_bit(bit);
		return BIT(excl) | (bit & LS_USAGE_READ ? 0 : BIT(excl | LS_USAGE_READ));
	}
	switch (bit) {
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
	return irq_bit(bit) ? "irq-inversion" : "nmi-inversion";
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
	/* Against the graph (check_usage_forwards/backwards): a lock taken in an interrupt must not
	 * lead to a lock taken with that interrupt enabled, and vice versa. */
	/* check_usage_forwards/backwards(): the write bit of the other direction or its read
	 * form, from a root whose only_xr is bfs_init_root()'s (forwards: a recursive read) or
	 * bfs_init_rootb()'s (backwards: any read). */
	if (!irq_bit(bit) || (c->out < 0 && c->in < 0))
		return;
	int excl = exclusive_bit(bit);
	uint32_t want = BIT(excl) | BIT(excl | LS_USAGE_READ);
	bool forwards = !(bit & LS_USAGE_DIR);
	bool root_xr = forwards ? h->read == 2 : h->read != 0;
	int st = search(cls, root_xr, forwards, has_usage, &want);
	if (st < 0 || st / 2 == cls)
		return;
	struct ls_lockdep_report *r = report_begin(LS_BUG_INVERSION, "irq-inversion", h);
	r->usage_new = bit;
	r->other_class = st / 2;
	uint32_t found = ld->classes[st / 2].usage & want;
	r->usage_old = found & BIT(excl) ? excl : excl | LS_USAGE_READ;
	r->nchain = path_to(st, r->chain, LS_MAX_CHAIN, &r->chain_truncated);
	for (int i = 0; i < r->nchain; i++)
		cite_execution(r, &ld->deps[r->chain[i]].origin);
	cite_execution(r, &ld->classes[st / 2].first[r->usage_old]);
}

/* lockdep's mark_usage(): a blocking acquisition in a hardirq or while serving a softirq marks
 * USED_IN for that state (both, for a hardirq over a softirq); any acquisition, trylocks too,
 * made with hardirqs on marks ENABLED_HARDIRQ, and ENABLED_SOFTIRQ when bottom halves are on as
 * well; then USED.  In an NMI, lockstep marks IN-NMI and nothing else. */
static void mark_acquire(int cls, const struct ls_held *h, enum ls_ctx_kind kind, bool irqs_off,
			 const struct ls_site *site)
{
	int rd = h->read ? LS_USAGE_READ : 0;
	if (kind == LS_CTX_NMI) {
		if (!h->trylock)
			mark(cls, LS_USED_IN_NMI | rd, h, site);
		return;
	}
	if (!h->trylock) {
		if (kind == LS_CTX_HARDIRQ)
			mark(cls, LS_USED_IN_HARDIRQ | rd, h, site);
		if (ls_in_serving_softirq())
			mark(cls, LS_USED_IN_SOFTIRQ | rd, h, site);
	}
	if (!irqs_off) {
		mark(cls, LS_ENABLED_HARDIRQ | rd, h, site);
		if (ls_softirqs_enabled())
			mark(cls, LS_ENABLED_SOFTIRQ | rd, h, site);
	}
	mark(cls, LS_USED | rd, h, site);
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

/* The accumulated usage of every class a backward search from `start` reaches (lockdep's
 * usage_accumulate()), masked as usage_match() masks. */
static bool accumulate(int cls, bool only_xr, const void *arg)
{
	*(uint32_t *)arg |= usage_seen(cls, only_xr);
	return false;
}

/* check_irq_usage(): irq-safe locks behind prev (reached backwards along strong paths) must not
 * reach, through the new dependency, irq-unsafe locks after next.  In lockdep's four steps:
 * accumulate the USED_IN bits behind prev, find a class after next with an exclusive bit, find a
 * class behind prev whose usage is the original of that, and name the pair of bits. */
static void check_irq_usage(const struct ls_held *prev, const struct ls_held *next)
{
	int from = prev->class_id, to = next->class_id;
	uint32_t behind = 0;
	search(from, prev->read != 0, false, accumulate, &behind);
	behind &= USAGE_USED_IN_ALL;
	if (!behind)
		return;
	uint32_t forward_mask = exclusive_mask(behind);
	int st = search(to, next->read == 2, true, has_usage, &forward_mask);
	if (st < 0)
		return;
	int unsafe_cls = st / 2;
	uint32_t backward_mask = exclusive_mask(ld->classes[unsafe_cls].usage & USAGE_ENABLED_ALL);
	st = search(from, prev->read != 0, false, has_usage, &backward_mask);
	if (st < 0)
		return;
	int safe_cls = st / 2;
	/* find_exclusive_match(): the first safe bit whose exclusive write, or else read, bit the
	 * unsafe class has. */
	uint32_t su = ld->classes[safe_cls].usage, uu = ld->classes[unsafe_cls].usage;
	int safe_bit = -1, unsafe_bit = -1;
	for (int bit = 0; bit < LS_USED && safe_bit < 0; bit++) {
		if (!(su & BIT(bit)))
			continue;
		int excl = exclusive_bit(bit);
		if (uu & BIT(excl))
			safe_bit = bit, unsafe_bit = excl;
		else if (uu & BIT(excl | LS_USAGE_READ))
			safe_bit = bit, unsafe_bit = excl | LS_USAGE_READ;
	}
	if (safe_bit < 0)
		return;
	struct ls_lockdep_report *r = report_begin(LS_BUG_IRQ_ORDER, "irq-inversion", next);
	r->prev = *prev;
	r->other_class = safe_cls;
	r->unsafe_class = unsafe_cls;
	r->usage_old = safe_bit;
	r->usage_new = unsafe_bit;
	cite_execution(r, &ld->classes[safe_cls].first[safe_bit]);
	cite_execution(r, &ld->classes[unsafe_cls].first[unsafe_bit]);
}

/* check_prev_add(): the checks run for every new type of dependency between two classes (lockdep
 * runs them for every new lock chain, and a chain's key includes the read state), then the
 * dependency is recorded with its type. */
static void add_dep(const struct ls_held *prev, const struct ls_held *next,
		    const struct ls_site *site)
{
	int from = prev->class_id, to = next->class_id;
	unsigned type = dep_type(prev->read != 0, next->read == 2);
	if (has_dep(from, to, type))
		return;
	{
		/* check_noncircular: a strong path next ~> prev closes a cycle with prev -> next. */
		struct cycle_goal g = { from, prev->read != 0 };
		int st = search(to, next->read == 2, true, reaches_prev, &g);
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
	check_irq_usage(prev, next);
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
	ld->adj[from][to] |= (uint8_t)type;
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

/* lockdep's task_wait_context(): the innermost wait type a lock taken here may have, before the
 * held locks narrow it.  A task may sleep; a softirq may take {3:3} locks; so may a hardirq that
 * is threadable (a device interrupt: every hardirq source a target declares) or runs an irq_work
 * not marked IRQ_WORK_HARD_IRQ; any other hardirq only {2:2}. */
static int context_wait_type(enum ls_ctx_kind kind, const struct ctx_held *c)
{
	if (kind == LS_CTX_TASK)
		return LS_WAIT_SLEEP;
	if (kind == LS_CTX_HARDIRQ && ls_machine_current()->cur->src < 0 && !c->irq_config)
		return LS_WAIT_SPIN;
	return LS_WAIT_CONFIG;
}

void ls_lockdep_irq_work_enter(bool config)
{
	int id = ls_ctx_id();
	if (id >= 0)
		ld->ctx[id].irq_config = config;
}

void ls_lockdep_irq_work_exit(void)
{
	ls_lockdep_irq_work_enter(false);
}

/* check_wait_context(): a blocking acquisition whose wait type is wider than what the context and
 * the locks it holds allow, e.g. a spinlock_t or a mutex under a raw_spinlock_t, is lockdep's
 * "BUG: Invalid wait context".  NMIs are left out, as lockdep leaves them. */
static void check_wait_context(const struct ls_held *h, int cls, enum ls_ctx_kind kind,
			       const struct ctx_held *c)
{
	int next = ld->classes[cls].wait_type;
	if (!next || h->trylock || kind == LS_CTX_NMI)
		return;
	int inner = context_wait_type(kind, c);
	for (int i = 0; i < c->depth; i++) {
		int w = ld->classes[c->held[i].class_id].wait_type;
		if (w && w < inner)
			inner = w;
	}
	if (next <= inner)
		return;
	struct ls_lockdep_report *r = report_begin(LS_BUG_WAIT_CONTEXT, "invalid-wait-context", h);
	r->curr_inner = inner;
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
		/* A recursive read waits only for a writer that holds the lock (a queued rwlock's
		 * reader in interrupt context): it passes readers and queued waiters. */
		if (p && !(h->read == 2 && (p->read || p->state != LS_HELD_HELD))) {
			struct ls_lockdep_report *r = report_begin(LS_BUG_INTERRUPT_AA, "AA", h);
			r->prev = *p;
			r->other_ctx = holder;
			r->averted = resilient(cls);
		}
	}
	mark_acquire(cls, h, kind, h->irqs_off, site);
	check_wait_context(h, cls, kind, c);
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
	ls_lock_acquire_nested(map, 0, read, trylock, site);
}

void ls_lock_acquire_nested(struct ls_lockdep_map *map, unsigned subclass, int read, bool trylock,
			    const struct ls_site *site)
{
	int id = ls_ctx_id();
	if (id < 0 || (map->flags & LS_LOCKDEP_NOVALIDATE) || compat_hidden(map))
		return;
	if (subclass >= MAX_LOCKDEP_SUBCLASSES) {
		ls_fail(site, "BUG: looking up invalid subclass: %u", subclass);
		return;
	}
	enum ls_ctx_kind kind = ls_ctx_kind();
	uint64_t step = ls_machine_current()->step;
	struct ls_held h = {
		.map = map,
		.lock = map->lock,
		.read = (uint8_t)read,
		.state = trylock ? LS_HELD_HELD : LS_HELD_TRYING,
		.trylock = trylock,
		.irqs_off = ls_irqs_disabled(),
		.bh_off = !ls_softirqs_enabled(),
		.site = site,
		.step = step,
		.held_step = trylock ? step : UINT64_MAX,
	};
	if (ld->mode != LS_VALIDATE_OFF && !ld->full) {
		int cls = class_of(map, subclass);
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
	int cls = class_of(map, 0);
	if (cls < 0)
		return;
	h.class_id = (uint16_t)cls;
	report_begin(LS_BUG_UNLOCK, "unlock-balance", &h);
}

/* lockdep's mark_held_locks(): every lock the current context holds (trylocks too) gets usage
 * bit `base` (its read form for a read hold).  Only a task or a softirq turns interrupts or
 * bottom halves back on with locks held; a hardirq or an NMI that does is no business of this. */
static void mark_held(int base)
{
	int id = ls_ctx_id();
	enum ls_ctx_kind kind = ls_ctx_kind();
	if (id < 0 || ld->mode == LS_VALIDATE_OFF || ld->full ||
	    (kind != LS_CTX_TASK && kind != LS_CTX_SOFTIRQ))
		return;
	struct ctx_held *c = &ld->ctx[id];
	for (int i = 0; i < c->depth; i++) {
		const struct ls_held *h = &c->held[i];
		mark(h->class_id, base | (h->read ? LS_USAGE_READ : 0), h, h->site);
	}
}

/* Interrupts just came back on: the held locks are now held with hardirqs enabled, and with
 * softirqs enabled too if bottom halves are on (lockdep's __trace_hardirqs_on_caller()). */
void ls_lockdep_irqs_on(void)
{
	mark_held(LS_ENABLED_HARDIRQ);
	if (ls_softirqs_enabled())
		mark_held(LS_ENABLED_SOFTIRQ);
}

/* Bottom halves just came back on (lockdep_softirqs_on()): with hardirqs on, the held locks are
 * now held with softirqs enabled. */
void ls_lockdep_softirqs_on(void)
{
	if (!ls_irqs_disabled())
		mark_held(LS_ENABLED_SOFTIRQ);
}

/* A context is about to end: locks it still holds are lockdep_sys_exit()'s "lock held when
 * returning to user space" for a task; lockstep says the same of an interrupt handler that
 * returns holding a lock. */
void ls_lockdep_ctx_exit(void)
{
	int id = ls_ctx_id();
	if (id < 0 || ld->mode == LS_VALIDATE_OFF || !tracked(ls_ctx_kind()))
		return;
	struct ctx_held *c = &ld->ctx[id];
	if (c->depth == 0)
		return;
	struct ls_held h = c->held[c->depth - 1];
	report_begin(LS_BUG_HELD_AT_EXIT, "lock-held-at-exit", &h);
}

/* debug_check_no_locks_freed(): lockdep checks the current task's held locks; lockstep checks
 * every context's in its default mode (freeing a lock another context holds is as wrong), and
 * only the current one's under --lockdep-compat. */
void ls_lockdep_check_freed(const void *addr, size_t len, const struct ls_site *site)
{
	int id = ls_ctx_id();
	if (id < 0 || ld->mode == LS_VALIDATE_OFF || !addr || !len)
		return;
	const char *from = addr, *to = from + len;
	const struct ls_machine *m = ls_machine_current();
	for (int k = 0; k < m->nctx; k++) {
		if (ld->mode == LS_VALIDATE_COMPAT && k != id)
			continue;
		const struct ctx_held *c = &ld->ctx[k];
		for (int i = 0; i < c->depth; i++) {
			const char *map = (const char *)c->held[i].map;
			if (map < from || map >= to)
				continue;
			struct ls_lockdep_report *r =
				report_begin(LS_BUG_FREED, "held-lock-freed", &c->held[i]);
			r->other_ctx = k;
			r->at = site;
			r->len = (unsigned)len;
			return;
		}
	}
}

int ls_lockdep_held_type(const struct ls_lockdep_map *map)
{
	int id = ls_ctx_id();
	if (id < 0)
		return -1;
	const struct ctx_held *c = &ld->ctx[id];
	for (int i = 0; i < c->depth; i++)
		if (c->held[i].map == map)
			return c->held[i].read;
	return -1;
}

bool ls_lockdep_is_held(const struct ls_lockdep_map *map)
{
	return ls_lockdep_held_type(map) >= 0;
}

void ls_lockdep_assert(const struct ls_lockdep_map *map, enum ls_assert_held what,
		       const struct ls_site *site)
{
	if (ls_ctx_id() < 0 || !tracked(ls_ctx_kind()) || ld->mode == LS_VALIDATE_OFF ||
	    compat_hidden(map))
		return;
	int t = ls_lockdep_held_type(map);
	static const char *const text[] = {
		[LS_ASSERT_HELD] = "lockdep_assert_held(%s)",
		[LS_ASSERT_NOT_HELD] = "lockdep_assert_not_held(%s)",
		[LS_ASSERT_HELD_WRITE] = "lockdep_assert_held_write(%s)",
		[LS_ASSERT_HELD_READ] = "lockdep_assert_held_read(%s)",
	};
	bool ok = what == LS_ASSERT_HELD ? t >= 0 :
		  what == LS_ASSERT_NOT_HELD ? t < 0 :
		  what == LS_ASSERT_HELD_WRITE ? t == 0 : t > 0;
	if (!ok) {
		char msg[128];
		snprintf(msg, sizeof(msg), text[what], map->name ? map->name : "?");
		ls_fail(site, "WARNING: %s failed", msg);
	}
}

/* lockdep_assert_irqs_disabled()/_enabled(): lockdep checks its own irq-state tracking, which the
 * machine's state is. */
void ls_lockdep_assert_irqs(bool disabled, const struct ls_site *site)
{
	if (ls_ctx_id() < 0 || ld->mode == LS_VALIDATE_OFF)
		return;
	if (ls_irqs_disabled() != disabled)
		ls_fail(site, "WARNING: lockdep_assert_irqs_%s() failed",
			disabled ? "disabled" : "enabled");
}

bool ls_lockdep_classes_valid(void)
{
	return ld->mode != LS_VALIDATE_OFF && !ld->full;
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

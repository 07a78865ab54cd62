/* DFS: stateless bounded-exhaustive search with sleep-set partial-order reduction.
 *
 * Musuvathi, Qadeer, "Iterative Context Bounding for Systematic Testing of Multithreaded
 * Programs", PLDI 2007 (CHESS): most concurrency bugs need few preemptions, and the schedules with
 * at most K preemptions are polynomially many in the length of an execution, so they can all be
 * run.  A preemption is a switch away from a context that could go on (a RUN choice at a point
 * that is not forced); a switch at a forced point (the context parked, finished or sits under an
 * interrupt) is free.  Interrupts get a second bound: at most N NMI and hardirq injections.  The
 * "slow" choice (the running CPUs fall behind while time passes to the next deadline,
 * sched/clock.c) is bounded by the machine's own budget, cfg.slow_budget (explore --slow).
 *
 * The search tree.  A node is a scheduling point, its children the point's choices
 * (ls_point_choices(): continue, run a context, inject an interrupt).  The search is stateless:
 * each execution replays the choices of a prefix of the previous one, takes one new choice at the
 * branch node, and extends the path with the lowest allowed choice at every new point (the
 * default, unless the sleep set forbids it).  Afterwards it backtracks to the deepest node with
 * an allowed choice above the one on the path.  A choice is allowed when it stays within the
 * bounds (a preemption needs preemptions < K, an injection injections < N; the machine counts
 * both) and its context is not asleep.  The path lives in one array allocated by ls_dfs_init();
 * an execution longer than it is an error, never an allocation.  A replayed node must show the
 * same step and context as recorded, or the target is not deterministic and the search stops.
 *
 * Sleep sets (Godefroid, "Partial-Order Methods for the Verification of Concurrent Systems",
 * LNCS 1032, 1996).  A transition is what one context does when it runs: the operation it
 * announced, then its own code up to its next point.  Two transitions that commute reach the same
 * state in either order, so once the subtree of choice a at node s is explored, a later sibling
 * b need not schedule a's context again until some transition dependent with a has run: every
 * such schedule is equivalent to one already explored under a.  The sleep set of a node is the
 * set of contexts in that situation; their choices are not taken there, and each is counted as a
 * pruned subtree.  A path on which every choice is asleep is abandoned: the machine cannot stop
 * an execution early, so it ends on default choices, unrecorded and unexplored below; a finding
 * on it is still a real finding.
 *
 * The dependence relation, from what the contexts announced (op, addr) and where they run:
 *
 *   - transitions of contexts on the same CPU are dependent: they share the CPU's context stack,
 *     interrupt and preemption state, and which task of the CPU may run;
 *   - an injection, and a slow or idle jump of the clock, is dependent with everything: it is
 *     never put to sleep and wakes every sleeper;
 *   - otherwise two operations are independent unless they touch the same 8-byte word (the
 *     granularity of parking) and are not both loads.  Fences, a task's first transition (ENTER)
 *     and other operations without an address touch no shared word.  A PARK counts as touching
 *     its word for writing, so it is dependent with every operation on that word: a store that
 *     would wake a parked context is ordered with the wait;
 *   - a transition observed to change another CPU's context stack or pending hardirq (a remote
 *     ls_irq_raise()) is dependent with everything, and so is every transition that runs while a
 *     timed park is pending or during which the clock jumped: a timeout fires at a point fixed in
 *     global time, so reordering anything around it changes who sees it.
 *
 * Under a weak memory model (sched/memory.c) no two transitions are independent: a fence or a
 * model's own access drains a store buffer, and a drain writes words no context announced, so
 * the reduction is off there and the memory model's choices (drain, emit, old) are enumerated
 * like the others, within cfg.reorder_budget.
 *
 * Known gap: virtual time.  The clock advances with every step, and model code may read it
 * between points (ls_now() in rqspinlock's timeout and deadlock-check intervals, the rwsem
 * hand-off timer, mdelay()).  Moving an independent transition of another CPU changes the step,
 * and so the time, at which such code runs; only pending timed parks and clock jumps are treated
 * as global above.  For targets whose outcome depends on when a time check runs (timeouts that
 * fire within the explored steps), run with --no-por to be exhaustive.  Where nothing can run,
 * the point before the clock jumps is a node too (choice 0 lets time pass, the others inject):
 * an interrupt may land there, in the first instant of every context's wait.
 *
 * Soundness rests on the contract in runtime.h: shared state is touched only by announced
 * operations, one per point.  Validator bookkeeping between points is not shared state in this
 * sense: equivalent schedules run the same per-context acquisition sequences, so the dependency
 * graph gets the same edges (the report may name a different closing acquisition).
 *
 * Sleep sets and the preemption bound.  Plain sleep sets are unsound under a preemption bound
 * (Musuvathi, Qadeer, MSR-TR-2007-12; Coons et al., "Bounded Partial-Order Reduction", OOPSLA
 * 2013): the explored representative of a pruned schedule may need more preemptions than the
 * pruned one.  Say a was explored before b at s, a schedule s.b.u.a.w is pruned, and s.a.b.u.w
 * stands for it.  Counting switches, the two differ only where a was moved: the representative
 * pays [s -> a] + [a -> b] + [end of u -> w], the pruned one [s -> b] + [end of u -> a] +
 * [a -> w], where a switch away from a context costs 1 when that context could go on.  When a
 * is s's own continuation, [s -> a] is free and [s -> b] costs 1, which pays for [a -> b]; when a
 * is a switch after which a's context cannot go on (it parked, finished, or is not on top), [a ->
 * b] is free and [s -> a] = [s -> b]; and [end of u -> w] never costs more than [end of u -> a]
 * (a's context does not run in u).  In both cases the representative costs no more than the
 * pruned schedule, and injections are never reordered.  So only such transitions are put to
 * sleep in their siblings ("eligible"); a switch to a context that goes on after its step is
 * explored without reduction.  Every schedule within the bounds is then explored or equivalent to
 * an explored schedule within them, so the same final states, hence the same bugs, are reached.
 * Eligibility is observed at the point after the transition, on the first execution through it,
 * before any later sibling is explored.  tests/engines/test_dfs.c compares the final states of
 * random programs with and without reduction (plain sleep sets fail it at once).
 *
 * Shards.  Shards split the tree into units and deal the units round-robin in the order the
 * search reaches them; every shard walks the same tree in the same order, so it can number the
 * units without running them.  A deviation is a choice other than the node's lowest allowed one.
 * A node with exactly SHARD_DEVIATIONS-1 deviations above it starts a unit: the subtrees of all
 * its alternatives, kept together because the sleep sets of later alternatives depend on earlier
 * ones.  The executions with fewer deviations are their own units; every shard runs them, since
 * the unit starts hang off them, but only their owner counts and reports them (`owned`).  Units
 * are contiguous in search order, so the shards' schedules partition the unsharded search's.
 *
 * A search outlives a process that dies running it.  Its state is the struct and the path; with
 * both in memory shared with a supervisor (ls_dfs_init_at()), a replacement process goes on from
 * ls_dfs_next(): the execution that died is a leaf where it died, its node choices taken, and the
 * search backtracks from there (`lockstep explore` files it as a crash and continues).
 *
 * Left out: dynamic partial-order reduction (Flanagan, Godefroid, POPL 2005): pruned by the bound
 * it misses schedules within the bound unless it adds the backtrack points BPOR describes;
 * iterating the bound from 0 up as CHESS does (the first finding is not always the one with
 * fewest preemptions); state caching.
 */
#include "strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"

/* Deviations that fix a shard unit; more makes smaller units and more runs every shard repeats. */
#define SHARD_DEVIATIONS 2

_Static_assert(LS_MAX_CHOICES <= 64, "a node's choices are a 64-bit mask");
_Static_assert(LS_MAX_CTX <= 64, "a sleep set is a 64-bit mask of context ids");

struct ls_dfs_node {
	uint64_t step;		/* of the point; a replay must meet the same */
	uint64_t allowed;	/* choices this search takes here: within the bounds and not asleep */
	uint64_t eligible;	/* explored choices whose context sleeps in later siblings' subtrees */
	uint64_t sleep;		/* contexts asleep on arrival, bit = context id */
	uint8_t n;		/* choices at the point */
	uint8_t first;		/* lowest allowed choice, taken on the way down */
	uint8_t chosen;		/* choice on the current path; the allowed ones below it are done */
	uint8_t ctx;		/* the context at the point */
	uint8_t dev;		/* deviations (chosen != first) above, saturating at SHARD_DEVIATIONS */
	bool own;		/* dev == SHARD_DEVIATIONS-1: its alternatives are this shard's unit */
};

/* ---- dependence -------------------------------------------------------------------------- */

static int choice_ctx(const struct ls_point *pt, const struct ls_choice *ch)
{
	switch (ch->kind) {
	case LS_CH_CONTINUE:
	case LS_CH_OLD:
		return pt->ctx;
	case LS_CH_RUN:
		return ch->ctx;
	default:
		return -1;	/* an injection */
	}
}

static bool touches_word(const struct ls_ctx *c)
{
	return c->addr && (c->op == LS_OP_LOAD || c->op == LS_OP_STORE || c->op == LS_OP_RMW ||
			   c->op == LS_OP_PARK);
}

/* The pending transitions of contexts a and b commute (relation at the top of the file). */
static bool independent(const struct ls_machine *m, int a, int b)
{
	const struct ls_ctx *x = &m->ctx[a], *y = &m->ctx[b];
	/* Under a weak memory model a fence or a model's own access drains a store buffer, which
	 * writes words nobody announced: no two transitions are taken to commute. */
	if (a == b || x->cpu == y->cpu || m->mem.active)
		return false;
	if (!touches_word(x) || !touches_word(y))
		return true;
	if ((uintptr_t)x->addr >> 3 != (uintptr_t)y->addr >> 3)
		return true;
	return x->op == LS_OP_LOAD && y->op == LS_OP_LOAD;
}

/* The sleep set of the child reached by choice i at node nd: the node's sleepers and its explored
 * eligible siblings, those independent of choice i's transition. */
static uint64_t child_sleep(const struct ls_dfs *d, const struct ls_dfs_node *nd,
			    const struct ls_point *pt, int i)
{
	int x = choice_ctx(pt, &pt->choices[i]);
	if (!d->cfg.por || x < 0)
		return 0;
	uint64_t cand = nd->sleep;
	for (uint64_t e = nd->eligible & ((1ull << i) - 1); e; e &= e - 1) {
		int c = choice_ctx(pt, &pt->choices[__builtin_ctzll(e)]);
		if (c >= 0)
			cand |= 1ull << c;
	}
	uint64_t out = 0;
	for (; cand; cand &= cand - 1) {
		int t = __builtin_ctzll(cand);
		if (independent(pt->m, x, t))
			out |= 1ull << t;
	}
	return out;
}

/* What the machine looks like as choice i leaves node nd; observe() compares at the next point. */
static void take(struct ls_dfs *d, const struct ls_dfs_node *nd, const struct ls_point *pt, int i)
{
	const struct ls_machine *m = pt->m;
	d->child = child_sleep(d, nd, pt, i);
	d->ran_ctx = choice_ctx(pt, &pt->choices[i]);
	d->ran_kind = pt->choices[i].kind;
	d->snap_step = pt->step;
	d->snap_clock = m->clock;
	d->snap_timed = m->next_deadline != LS_NO_DEADLINE;
	for (int c = 0; c < m->ncpus; c++) {
		d->snap_top[c] = (int8_t)(m->cpu[c].top ? m->cpu[c].top->id : -1);
		d->snap_irq[c] = m->cpu[c].irq_pending;
	}
}

/* At the point after the transition the parent node took: was it global (dependent with
 * everything), and may its context sleep in the parent's later siblings? */
static void observe(struct ls_dfs *d, const struct ls_point *pt)
{
	struct ls_dfs_node *parent = &d->stack[d->pos - 1];
	const struct ls_machine *m = pt->m;
	bool global = d->ran_ctx < 0 || pt->ctx != d->ran_ctx || d->snap_timed ||
		      m->next_deadline != LS_NO_DEADLINE ||
		      m->clock != d->snap_clock + (pt->step - d->snap_step) * m->cfg.step_ns;
	for (int c = 0; c < m->ncpus && !global; c++) {
		int top = m->cpu[c].top ? m->cpu[c].top->id : -1;
		if (c != m->ctx[d->ran_ctx].cpu &&
		    (top != d->snap_top[c] || m->cpu[c].irq_pending != d->snap_irq[c]))
			global = true;
	}
	if (global)
		d->child = 0;
	else if (d->cfg.por && (d->ran_kind == LS_CH_CONTINUE || pt->forced))
		parent->eligible |= 1ull << parent->chosen;
}

/* ---- one execution ----------------------------------------------------------------------- */

static int stop(struct ls_dfs *d, const struct ls_point *pt, const char *why)
{
	snprintf(d->error, sizeof(d->error), "execution %llu, step %llu: %s",
		 (unsigned long long)d->exec, (unsigned long long)pt->step, why);
	d->off = true;
	return 0;
}

static int replayed(struct ls_dfs *d, struct ls_point *pt)
{
	struct ls_dfs_node *nd = &d->stack[d->pos];
	if (nd->step != pt->step || nd->ctx != pt->ctx)
		return stop(d, pt, "the target is not deterministic: a replayed prefix reached a "
				   "different point");
	if (d->pos == d->replay - 1) {
		if (ls_point_choices(pt) != nd->n)
			return stop(d, pt, "the target is not deterministic: a replayed point has "
					   "different choices");
		take(d, nd, pt, nd->chosen);
	}
	d->pos++;
	return nd->chosen;
}

static int extend(struct ls_dfs *d, struct ls_point *pt)
{
	uint32_t k = d->pos;
	if (k >= d->cap) {
		char why[120];
		snprintf(why, sizeof(why),
			 "an execution has more than %u scheduling points (the depth limit)", d->cap);
		return stop(d, pt, why);
	}
	const struct ls_machine *m = pt->m;
	struct ls_dfs_node *nd = &d->stack[k];
	int n = ls_point_choices(pt);
	nd->step = pt->step;
	nd->ctx = (uint8_t)pt->ctx;
	nd->n = (uint8_t)n;
	nd->eligible = 0;
	nd->own = false;
	nd->sleep = k ? d->child : 0;
	nd->dev = 0;
	if (k) {
		const struct ls_dfs_node *up = &d->stack[k - 1];
		unsigned dev = up->dev + (up->chosen != up->first);
		nd->dev = (uint8_t)(dev < SHARD_DEVIATIONS ? dev : SHARD_DEVIATIONS);
	}
	bool preempt = m->preemptions < d->cfg.preemptions;
	bool inject = m->injections < d->cfg.nmis;
	uint64_t allowed = 0;
	unsigned asleep = 0;
	for (int i = 0; i < n; i++) {
		const struct ls_choice *ch = &pt->choices[i];
		int c = choice_ctx(pt, ch);
		if (ch->kind == LS_CH_RUN && !pt->forced && !preempt)
			continue;
		if ((ch->kind == LS_CH_NMI || ch->kind == LS_CH_IRQ) && !inject)
			continue;
		if (c >= 0 && (nd->sleep >> c & 1))
			asleep++;
		else
			allowed |= 1ull << i;
	}
	/* Each node is made by one execution, so each pruned subtree is counted by one shard. */
	if (d->owned)
		d->pruned += asleep;
	if (!allowed) {
		/* Choice 0 is always within the bounds, so it is asleep: the path is redundant. */
		d->blocked = true;
		d->off = true;
		return 0;
	}
	nd->allowed = allowed;
	nd->first = nd->chosen = (uint8_t)__builtin_ctzll(allowed);
	d->pos = d->depth = k + 1;
	if (d->depth > d->deepest)
		d->deepest = d->depth;
	take(d, nd, pt, nd->chosen);
	return nd->chosen;
}

static void dfs_begin(struct ls_strategy *s, uint64_t seed)
{
	struct ls_dfs *d = (struct ls_dfs *)s;
	(void)seed;
	d->pos = 0;
	d->blocked = false;
	d->off = d->error[0] != 0;
}

static int dfs_choose(struct ls_strategy *s, struct ls_point *pt)
{
	struct ls_dfs *d = (struct ls_dfs *)s;
	if (d->off)
		return 0;
	if (d->pos > 0 && d->pos >= d->replay)
		observe(d, pt);
	if (d->pos < d->replay)
		return replayed(d, pt);
	return extend(d, pt);
}

/* ---- the search -------------------------------------------------------------------------- */

static unsigned nshards(const struct ls_dfs *d)
{
	return d->cfg.shard_n ? d->cfg.shard_n : 1;
}

/* The next unit in search order: is it this shard's? */
static bool next_unit(struct ls_dfs *d)
{
	return d->units++ % nshards(d) == d->cfg.shard_i;
}

/* Moves to the deepest node with an allowed choice not yet taken, skipping other shards' units. */
static bool backtrack(struct ls_dfs *d)
{
	for (uint32_t k = d->depth; k-- > 0;) {
		struct ls_dfs_node *nd = &d->stack[k];
		uint64_t rest = nd->allowed & ~((2ull << nd->chosen) - 1);
		if (!rest)
			continue;
		if (nd->dev == SHARD_DEVIATIONS - 1) {
			if (nd->chosen == nd->first)
				nd->own = next_unit(d);
			if (!nd->own)
				continue;
			d->owned = true;
		} else if (nd->dev < SHARD_DEVIATIONS - 1) {
			d->owned = next_unit(d);
		} else {
			d->owned = true;	/* inside a unit this shard entered */
		}
		nd->chosen = (uint8_t)__builtin_ctzll(rest);
		d->depth = d->replay = k + 1;
		return true;
	}
	return false;
}

void ls_dfs_done(struct ls_dfs *d)
{
	if (d->settled || !d->started)
		return;
	d->settled = true;
	if (!d->owned)
		return;
	if (d->blocked)
		d->abandoned++;
	else
		d->schedules++;
}

bool ls_dfs_next(struct ls_dfs *d)
{
	if (d->finished || d->error[0])
		return false;
	if (!d->started) {
		d->started = true;
		d->depth = d->replay = 0;
		d->owned = next_unit(d);
	} else {
		ls_dfs_done(d);
		if (d->error[0] || !backtrack(d)) {
			d->finished = true;
			return false;
		}
	}
	d->settled = false;
	d->exec = d->executions++;
	return true;
}

bool ls_dfs_init_at(struct ls_dfs *d, const struct ls_dfs_config *cfg, void *stack, char *err,
		    size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->base.name = "dfs";
	d->base.begin = dfs_begin;
	d->base.choose = dfs_choose;
	d->cfg = *cfg;
	if (d->cfg.shard_n == 0)
		d->cfg.shard_n = 1;
	if (d->cfg.shard_i >= d->cfg.shard_n) {
		snprintf(err, errlen, "shard %u of %u does not exist (0 <= shard < %u)",
			 d->cfg.shard_i, d->cfg.shard_n, d->cfg.shard_n);
		return false;
	}
	d->cap = d->cfg.max_depth ? d->cfg.max_depth : LS_DFS_DEFAULT_DEPTH;
	if (stack) {
		d->stack = stack;	/* zeroed (fresh mmap), or nodes extend() overwrites */
		d->own_stack = false;
		return true;
	}
	d->stack = calloc(d->cap, sizeof(*d->stack));
	d->own_stack = true;
	if (!d->stack) {
		snprintf(err, errlen, "out of memory for a search stack of %u points", d->cap);
		return false;
	}
	return true;
}

bool ls_dfs_init(struct ls_dfs *d, const struct ls_dfs_config *cfg, char *err, size_t errlen)
{
	return ls_dfs_init_at(d, cfg, NULL, err, errlen);
}

size_t ls_dfs_stack_bytes(const struct ls_dfs_config *cfg)
{
	return (size_t)(cfg->max_depth ? cfg->max_depth : LS_DFS_DEFAULT_DEPTH) *
	       sizeof(struct ls_dfs_node);
}

void ls_dfs_copy(struct ls_dfs *dst, const struct ls_dfs *src)
{
	struct ls_dfs_node *stack = dst->stack;
	bool own = dst->own_stack;
	uint32_t cap = dst->cap;
	*dst = *src;
	dst->stack = stack;
	dst->own_stack = own;
	dst->cap = cap;
	/* Only the path: extend() writes every field of a node before the search reads it. */
	uint32_t n = src->depth > src->replay ? src->depth : src->replay;
	if (n > cap)
		n = cap;
	memcpy(dst->stack, src->stack, (size_t)n * sizeof(*stack));
}

void ls_dfs_rewind(struct ls_dfs *d)
{
	d->replay = d->depth;
	d->pos = 0;
	d->error[0] = 0;
}

void ls_dfs_finish(struct ls_dfs *d)
{
	if (!d)
		return;
	if (d->own_stack)
		free(d->stack);
	d->stack = NULL;
}

int ls_dfs_label(const struct ls_dfs_config *cfg, char *buf, size_t len)
{
	int n = snprintf(buf, len, "dfs preemptions %u nmis %u%s", cfg->preemptions, cfg->nmis,
			 cfg->por ? "" : " no-por");
	if (cfg->shard_n > 1 && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " shard %u/%u", cfg->shard_i, cfg->shard_n);
	return n;
}

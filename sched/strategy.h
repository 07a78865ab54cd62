/* The seam between the runtime and an exploration strategy.
 *
 * At every scheduling point the machine hands the strategy a point: the step number, the context
 * that announced an operation, and, on request, the ordered list of choices.  Choice 0 is always
 * the default: "continue" when the current context can go on, otherwise the first runnable
 * context counting from the current CPU, or, when no context can run, letting time pass to the
 * next deadline.  The list is: continue (if the context can go on), the runs, ordered by CPU from
 * the current one, then by context id; "slow" (time passes while the runnable contexts fall
 * behind, sched/clock.c) when a deadline is pending and the budget allows; NMI injections by CPU
 * then source; hardirq injections likewise; under a weak memory model, last, its drains, emits
 * and older values (sched/memory.c).  Only choices other than 0 are recorded, so a
 * schedule is {seed, [(step, choice)]} and a short list means few preemptions.  Building the list
 * costs a little, so a strategy that keeps the default (most of the time) should not ask for it.
 */
#ifndef LS_STRATEGY_H
#define LS_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockstep/runtime.h>

enum ls_choice_kind {
	LS_CH_CONTINUE,	/* the current context runs its announced operation */
	LS_CH_RUN,	/* switch to context `ctx` */
	LS_CH_NMI,	/* inject NMI source `src` on `cpu` */
	LS_CH_IRQ,	/* inject hardirq source `src` on `cpu` */
	LS_CH_SLOW,	/* the clock jumps to the next deadline before anything runnable runs */
	/* Weak memory models only (sched/memory.c), after every other kind: */
	LS_CH_DRAIN,	/* entry `src` of `cpu`'s store buffer becomes visible */
	LS_CH_EMIT,	/* the compiler emits plain store `src` that context `ctx` holds back */
	LS_CH_OLD,	/* the current context's load reads its `src`-th older value */
};

struct ls_choice {
	uint8_t kind;
	uint8_t cpu;
	uint8_t ctx;	/* LS_CH_RUN */
	uint8_t src;	/* LS_CH_NMI, LS_CH_IRQ */
};

struct ls_decision {
	uint64_t step;
	struct ls_choice choice;
};

/* Whether two choices mean the same: the fields their kind uses. */
static inline bool ls_choice_same(const struct ls_choice *a, const struct ls_choice *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case LS_CH_RUN:
		return a->ctx == b->ctx;
	case LS_CH_NMI:
	case LS_CH_IRQ:
	case LS_CH_DRAIN:
		return a->cpu == b->cpu && a->src == b->src;
	case LS_CH_EMIT:
		return a->ctx == b->ctx && a->src == b->src;
	case LS_CH_OLD:
		return a->src == b->src;
	default:
		return true;
	}
}

#define LS_MAX_CHOICES 64

/* How often the random and PCT strategies take one of the memory model's choices at a point that
 * offers any. */
#define LS_MEM_CHOICE_P 0.25

struct ls_machine;

struct ls_point {
	uint64_t step;
	int ctx;		/* the context that reached the point */
	enum ls_op op;		/* what it announced */
	const void *addr;
	const struct ls_site *site;
	bool forced;		/* the current context cannot continue: choice 0 is not "continue" */
	/* Filled by ls_point_choices(); n < 0 until then. */
	int n;
	struct ls_choice choices[LS_MAX_CHOICES];
	struct ls_machine *m;
};

/* The ordered choices at pt (computed once, on first call). */
int ls_point_choices(struct ls_point *pt);

/* The index of the first memory-model choice at pt (they come last), or the number of choices. */
static inline int ls_first_memory_choice(struct ls_point *pt)
{
	int n = ls_point_choices(pt);
	while (n > 0 && pt->choices[n - 1].kind >= LS_CH_DRAIN)
		n--;
	return n;
}

struct ls_strategy {
	const char *name;
	/* Called at the start of every execution with that execution's seed. */
	void (*begin)(struct ls_strategy *s, uint64_t seed);
	/* Returns an index into the point's choices; 0 keeps the default. */
	int (*choose)(struct ls_strategy *s, struct ls_point *pt);
};

/* Seeded random walk: at each point, switch with probability p_switch, let time pass with the
 * runnable contexts slow with probability p_slow (where offered), and inject an NMI or a hardirq
 * with probability p_irq; forced points otherwise pick uniformly among the runnable contexts. */
struct ls_random {
	struct ls_strategy base;
	uint64_t rng;
	uint64_t switch_threshold;	/* p_switch scaled to 2^64 */
	uint64_t irq_threshold;		/* p_switch + p_irq, scaled */
	uint64_t slow_threshold;	/* p_switch + p_irq + p_slow, scaled */
};
void ls_random_init(struct ls_random *r, double p_switch, double p_slow, double p_irq);

/* Replays a recorded decision list; records where and why it first diverged. */
struct ls_replay {
	struct ls_strategy base;
	const struct ls_decision *d;
	size_t n, next;
	bool diverged;
	char why[160];
};
void ls_replay_init(struct ls_replay *r, const struct ls_decision *d, size_t n);
/* After an execution: true if some recorded decision was never applied. */
bool ls_replay_check_done(struct ls_replay *r);

/* Raw bytes, as a fuzzer supplies them: the input is a sequence of (gap, choice) byte pairs: run
 * `gap` points on the default, then take choice `byte % n` at the next point.  An exhausted input
 * keeps the default forever, so every byte string is valid and a short one means few switches. */
struct ls_bytes {
	struct ls_strategy base;
	const uint8_t *data;
	size_t len, pos;
	unsigned gap;
};
void ls_bytes_init(struct ls_bytes *b, const uint8_t *data, size_t len);

/* splitmix64: seeds streams and derives per-execution seeds. */
static inline uint64_t ls_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010; sched/pct.c): random
 * distinct priorities for the tasks and for every injection the target allows, d-1 priority
 * change points in [1, k], the highest-priority choice at every point.  k is learned from the
 * object's earlier executions; n_max and k_max (read them, do not write) are the most agents and
 * steps seen, the n and k of the bound. */
#include <lockstep/target.h>

#define LS_PCT_MAX_DEPTH 16
#define LS_PCT_DEFAULT_STEPS 1000	/* k before any execution has run */
#define LS_PCT_MAX_EPOCHS 64		/* changes of k remembered; k stays after that many */

struct ls_pct {
	struct ls_strategy base;
	int depth;			/* d, 1..LS_PCT_MAX_DEPTH */
	/* Over every execution of this object. */
	unsigned n_max;			/* most agents: tasks + injections the target allows */
	uint64_t k_max;			/* highest step asked about; 0 before the first execution */
	struct { uint64_t seed, k; } epoch[LS_PCT_MAX_EPOCHS];	/* k in force from seed on */
	int nepochs;			/* seeds increasing; epoch[0] holds the default k */
	bool started;
	uint64_t last_seed;		/* highest seed begun */
	/* This execution. */
	uint64_t k;			/* change points are in [1, k] */
	uint64_t salt;			/* an agent's initial priority derives from it */
	uint64_t change[LS_PCT_MAX_DEPTH - 1];	/* increasing */
	int nchange, next_change;
	struct { uint64_t agent, prio; } lowered[LS_PCT_MAX_DEPTH - 1];
	int nlowered;
	uint16_t injected[2][LS_MAX_CPUS][LS_MAX_IRQ_SOURCES];	/* [nmi][cpu][src]: consumed */
	uint64_t irq_agent[2][LS_MAX_CPUS];	/* [nmi][cpu]: the agent its interrupt context runs */
	bool counted;			/* n_max includes this execution */
	bool saw_time;			/* a point offered "slow": time is an agent */
};
/* depth is clamped to 1..LS_PCT_MAX_DEPTH; depth 1 has no change points. */
void ls_pct_init(struct ls_pct *p, int depth);
/* "pct depth D", the strategy line of a trace. */
int ls_pct_label(const struct ls_pct *p, char *buf, size_t len);
/* 1 - (1 - 1/(n k^(d-1)))^executions: the chance a depth-d bug shows at least once. */
double ls_pct_probability(unsigned n, uint64_t k, int depth, uint64_t executions);
/* The same for the n and k this object observed (its n_max, k_max and depth). */
double ls_pct_bound(const struct ls_pct *p, uint64_t executions);
/* "pct: n=5 contexts, k=420 steps: a depth-2 bug would have been found with probability >=
 * 99.9% over 20000 executions" (the probability rounded down). */
void ls_pct_describe(const struct ls_pct *p, uint64_t executions, char *buf, size_t len);

/* Bounded-exhaustive search (sched/dfs.c): every schedule with at most `preemptions` preemptions
 * (CHESS's context bounding, Musuvathi & Qadeer, PLDI 2007) and `nmis` NMI and hardirq
 * injections, depth first, with sleep-set reduction (Godefroid 1996) of schedules that only
 * reorder independent operations.  One object runs one search; its execution number is the seed:
 *
 *	while (ls_dfs_next(&d)) {
 *		ls_session_run(&s, &d.base, d.exec, &r);
 *		ls_dfs_done(&d);	(optional: ls_dfs_next() does it; counts the execution)
 *		if (d.owned && ...)	a finding of this shard
 *	}
 *	d.error[0] ? failed : complete
 *
 * With shard_n > 1 the tree is dealt out in units so that shards 0..shard_n-1 of the same
 * configuration explore its schedules with no overlap and no gap; a shard also runs a few
 * executions of other shards' units (to find its own), for which `owned` is false. */
#include <lockstep/target.h>

#define LS_DFS_DEFAULT_DEPTH 65536	/* scheduling points per execution the stack holds */

struct ls_dfs_config {
	unsigned preemptions;		/* K */
	unsigned nmis;			/* N: NMI and hardirq injections */
	bool por;			/* sleep sets */
	unsigned shard_i, shard_n;	/* this shard, 0 <= shard_i < shard_n; shard_n 0 or 1: all */
	uint32_t max_depth;		/* scheduling points per execution; 0: LS_DFS_DEFAULT_DEPTH */
};

struct ls_dfs_node;

struct ls_dfs {
	struct ls_strategy base;
	struct ls_dfs_config cfg;
	/* Results: this shard's, but executions counts every execution run. */
	uint64_t schedules;		/* executions explored to their end */
	uint64_t pruned;		/* choices not taken because asleep: subtrees left out */
	uint64_t abandoned;		/* executions cut short where every choice was asleep */
	uint64_t executions;		/* run, other shards' units included */
	uint32_t deepest;		/* most scheduling points of one execution */
	/* The execution ls_dfs_next() announced. */
	uint64_t exec;			/* its number, the seed to run it with */
	bool owned;			/* it is this shard's: count and report it */
	bool blocked;			/* (once run) the sleep sets cut it short */
	char error[200];		/* why the search stopped early (depth limit, nondeterminism) */
	/* Private to dfs.c. */
	struct ls_dfs_node *stack;	/* the current path; cap nodes, allocated once */
	bool own_stack;			/* ls_dfs_finish() frees it */
	uint32_t cap, depth;		/* depth: nodes on the path */
	uint32_t replay;		/* nodes an execution replays; the last is the branch */
	uint32_t pos;			/* next node of the running execution */
	uint64_t units;			/* shard units reached so far, in search order */
	bool started, finished, settled, off;
	uint64_t child;			/* sleep set for the node after the last choice */
	int ran_ctx;			/* what the last choice ran, and the machine before it */
	uint8_t ran_kind;
	bool snap_timed;
	uint64_t snap_step, snap_clock;
	int8_t snap_top[LS_MAX_CPUS];
	bool snap_irq[LS_MAX_CPUS];
};

/* Allocates the stack; false with a message on a bad shard or no memory. */
bool ls_dfs_init(struct ls_dfs *d, const struct ls_dfs_config *cfg, char *err, size_t errlen);
/* The same with the stack in the caller's zeroed memory of ls_dfs_stack_bytes(cfg) bytes (NULL:
 * allocated): memory shared with a supervisor lets another process continue the search. */
bool ls_dfs_init_at(struct ls_dfs *d, const struct ls_dfs_config *cfg, void *stack, char *err,
		    size_t errlen);
size_t ls_dfs_stack_bytes(const struct ls_dfs_config *cfg);
/* Makes dst (initialised with the same configuration) the search src is, path included. */
void ls_dfs_copy(struct ls_dfs *dst, const struct ls_dfs *src);
/* Makes the next execution run d's current path again (the execution last announced, as far as
 * it got), then extend it as the search would: to re-run an execution whose process died. */
void ls_dfs_rewind(struct ls_dfs *d);
void ls_dfs_finish(struct ls_dfs *d);
/* Prepares the next execution; false when the search is over (complete, or error[] says why). */
bool ls_dfs_next(struct ls_dfs *d);
/* Counts the execution that just ran (idempotent; ls_dfs_next() calls it). */
void ls_dfs_done(struct ls_dfs *d);
/* "dfs preemptions 2 nmis 1" (then " no-por", " shard 1/4"): a trace's strategy line. */
int ls_dfs_label(const struct ls_dfs_config *cfg, char *buf, size_t len);

#endif

/* The seam between the runtime and an exploration strategy.
 *
 * At every scheduling point the machine hands the strategy a point: the step number, the context
 * that announced an operation, and, on request, the ordered list of choices.  Choice 0 is always
 * the default: "continue" when the current context can go on, otherwise the first runnable
 * context counting from the current CPU.  Runs are ordered by CPU from the current one, then by
 * context id; NMI injections by CPU then source; hardirq injections likewise.  Only choices other
 * than 0 are recorded, so a schedule is {seed, [(step, choice)]} and a short list means few
 * preemptions.  Building the list costs a little, so a strategy that keeps the default (most of
 * the time) should not ask for it.
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

#define LS_MAX_CHOICES 64

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

struct ls_strategy {
	const char *name;
	/* Called at the start of every execution with that execution's seed. */
	void (*begin)(struct ls_strategy *s, uint64_t seed);
	/* Returns an index into the point's choices; 0 keeps the default. */
	int (*choose)(struct ls_strategy *s, struct ls_point *pt);
};

/* Seeded random walk: at each point, switch with probability p_switch and inject an NMI or a
 * hardirq with probability p_irq; forced points pick uniformly among the runnable contexts. */
struct ls_random {
	struct ls_strategy base;
	uint64_t rng;
	uint64_t switch_threshold;	/* p_switch scaled to 2^64 */
	uint64_t irq_threshold;		/* p_switch + p_irq, scaled */
};
void ls_random_init(struct ls_random *r, double p_switch, double p_irq);

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

#endif

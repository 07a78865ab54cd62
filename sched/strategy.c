/* The decision sources: a seeded random walk, replay of a recorded list, and raw fuzzer bytes.
 * Each keeps the default unless it has a reason not to, and asks for the choice list only then. */
#include "strategy.h"

#include <stdio.h>
#include <string.h>

#include "machine.h"

/* ---- random walk ------------------------------------------------------------------------- */

static inline uint64_t rnd(struct ls_random *r)
{
	return ls_mix64(r->rng++);
}

/* Uniform in [0, n) from the high half of a fresh draw. */
static inline int below(struct ls_random *r, int n)
{
	return (int)(((rnd(r) >> 32) * (uint64_t)n) >> 32);
}

static void random_begin(struct ls_strategy *s, uint64_t seed)
{
	struct ls_random *r = (struct ls_random *)s;
	r->rng = ls_mix64(seed ^ 0x6c6f636b73746570ull);
}

/* One draw x in [0, 2^64) picks the kind of choice: [0, switch) a switch, [switch, irq) an
 * injection (a switch when nothing can be injected), [irq, slow) a slow (the default when none
 * is offered), the rest the default.  At a forced point, where something else must run anyway,
 * the draw shifted past the switch band decides injection and slow with their own
 * probabilities, and otherwise one of the runnable contexts runs (at a point where none can,
 * time passes: the default). */
static int random_choose(struct ls_strategy *s, struct ls_point *pt)
{
	struct ls_random *r = (struct ls_random *)s;
	/* Under a weak memory model a draw of its own first: one of its choices (drain, emit, old)
	 * at LS_MEM_CHOICE_P of the points that offer any.  Under sc no draw is made, so every
	 * sequentially consistent schedule stays what it was. */
	if (pt->m->mem.active) {
		uint64_t y = rnd(r);
		if ((y >> 11) * 0x1.0p-53 < LS_MEM_CHOICE_P) {
			int all = ls_point_choices(pt), first = ls_first_memory_choice(pt);
			if (first < all)
				return first + below(r, all - first);
		}
	}
	uint64_t x = rnd(r);
	if (!pt->forced && x >= r->slow_threshold)
		return 0;

	int n = ls_first_memory_choice(pt);
	int first_run = pt->forced ? 0 : 1, runs = 0;
	while (first_run + runs < n && pt->choices[first_run + runs].kind == LS_CH_RUN)
		runs++;
	int slow = first_run + runs;
	bool has_slow = slow < n && pt->choices[slow].kind == LS_CH_SLOW;
	int first_inj = slow + has_slow, injections = n - first_inj;

	if (pt->forced)
		x = x < r->slow_threshold - r->switch_threshold ? x + r->switch_threshold : UINT64_MAX;
	if (x >= r->switch_threshold && x < r->irq_threshold && injections > 0)
		return first_inj + below(r, injections);
	if (x >= r->irq_threshold && x < r->slow_threshold && has_slow)
		return slow;
	if (runs == 0)
		return 0;
	if (pt->forced)
		return below(r, runs);
	return x < r->irq_threshold ? first_run + below(r, runs) : 0;
}

static uint64_t scale(double p)
{
	if (p <= 0)
		return 0;
	if (p >= 1)
		return UINT64_MAX;
	return (uint64_t)(p * 18446744073709551616.0);
}

void ls_random_init(struct ls_random *r, double p_switch, double p_slow, double p_irq)
{
	memset(r, 0, sizeof(*r));
	r->base.name = "random";
	r->base.begin = random_begin;
	r->base.choose = random_choose;
	r->switch_threshold = scale(p_switch);
	r->irq_threshold = scale(p_switch + p_irq);
	r->slow_threshold = scale(p_switch + p_irq + p_slow);
}

/* ---- replay ------------------------------------------------------------------------------ */

static void replay_begin(struct ls_strategy *s, uint64_t seed)
{
	struct ls_replay *r = (struct ls_replay *)s;
	(void)seed;
	r->next = 0;
	r->diverged = false;
	r->why[0] = 0;
}

static int replay_choose(struct ls_strategy *s, struct ls_point *pt)
{
	struct ls_replay *r = (struct ls_replay *)s;
	if (r->next >= r->n || r->d[r->next].step != pt->step)
		return 0;
	const struct ls_decision *d = &r->d[r->next++];
	int n = ls_point_choices(pt);
	for (int i = 0; i < n; i++)
		if (ls_choice_same(&pt->choices[i], &d->choice))
			return i;
	if (!r->diverged) {
		char want[64];
		ls_choice_format(pt->m, &d->choice, want, sizeof(want));
		snprintf(r->why, sizeof(r->why),
			 "at step %llu the recorded decision '%s' is not a choice (%s is at %s)",
			 (unsigned long long)pt->step, want, pt->m->ctx[pt->ctx].name,
			 ls_op_name(pt->op));
		r->diverged = true;
	}
	return 0;
}

void ls_replay_init(struct ls_replay *r, const struct ls_decision *d, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->base.name = "replay";
	r->base.begin = replay_begin;
	r->base.choose = replay_choose;
	r->d = d;
	r->n = n;
}

bool ls_replay_check_done(struct ls_replay *r)
{
	if (r->diverged)
		return false;
	if (r->next < r->n) {
		snprintf(r->why, sizeof(r->why),
			 "the execution ended before the recorded decision at step %llu",
			 (unsigned long long)r->d[r->next].step);
		r->diverged = true;
		return false;
	}
	return true;
}

/* ---- raw bytes --------------------------------------------------------------------------- */

#define GAP_EXHAUSTED UINT32_MAX

static void bytes_begin(struct ls_strategy *s, uint64_t seed)
{
	struct ls_bytes *b = (struct ls_bytes *)s;
	(void)seed;
	b->pos = 0;
	b->gap = b->len ? b->data[b->pos++] : GAP_EXHAUSTED;
}

static int bytes_choose(struct ls_strategy *s, struct ls_point *pt)
{
	struct ls_bytes *b = (struct ls_bytes *)s;
	if (b->gap == GAP_EXHAUSTED)
		return 0;
	if (b->gap > 0) {
		b->gap--;
		return 0;
	}
	if (b->pos >= b->len) {
		b->gap = GAP_EXHAUSTED;
		return 0;
	}
	int n = ls_point_choices(pt);
	int idx = b->data[b->pos++] % n;
	b->gap = b->pos < b->len ? b->data[b->pos++] : GAP_EXHAUSTED;
	return idx;
}

void ls_bytes_init(struct ls_bytes *b, const uint8_t *data, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->base.name = "bytes";
	b->base.begin = bytes_begin;
	b->base.choose = bytes_choose;
	b->data = data;
	b->len = len;
}

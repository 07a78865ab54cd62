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

static int random_choose(struct ls_strategy *s, struct ls_point *pt)
{
	struct ls_random *r = (struct ls_random *)s;
	uint64_t x = rnd(r);
	if (!pt->forced && x >= r->irq_threshold)
		return 0;

	int n = ls_point_choices(pt);
	int runs = 0, first_run = pt->forced ? 0 : 1;
	while (first_run + runs < n && pt->choices[first_run + runs].kind == LS_CH_RUN)
		runs++;
	int injections = n - first_run - runs;

	bool inject = pt->forced ? x < r->irq_threshold - r->switch_threshold
				 : x >= r->switch_threshold;
	if (inject && injections > 0)
		return first_run + runs + below(r, injections);
	if (pt->forced)
		return below(r, runs);
	return runs > 0 ? first_run + below(r, runs) : 0;
}

static uint64_t scale(double p)
{
	if (p <= 0)
		return 0;
	if (p >= 1)
		return UINT64_MAX;
	return (uint64_t)(p * 18446744073709551616.0);
}

void ls_random_init(struct ls_random *r, double p_switch, double p_irq)
{
	memset(r, 0, sizeof(*r));
	r->base.name = "random";
	r->base.begin = random_begin;
	r->base.choose = random_choose;
	r->switch_threshold = scale(p_switch);
	r->irq_threshold = scale(p_switch + p_irq);
}

/* ---- replay ------------------------------------------------------------------------------ */

static bool same_choice(const struct ls_choice *a, const struct ls_choice *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case LS_CH_RUN:
		return a->ctx == b->ctx;
	case LS_CH_NMI:
	case LS_CH_IRQ:
		return a->cpu == b->cpu && a->src == b->src;
	default:
		return true;
	}
}

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
		if (same_choice(&pt->choices[i], &d->choice))
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

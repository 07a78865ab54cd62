/* The interleavings a campaign has run (interleavings.h). */
#include "interleavings.h"

#include "../../sched/strategy.h"

void ls_seen_add(struct ls_seen *s, uint64_t h)
{
	h = h ? h : 1;
	uint8_t *reg = &s->hll[h >> (64 - LS_HLL_BITS)];
	uint64_t rest = (h << LS_HLL_BITS) | (1ull << (LS_HLL_BITS - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	uint8_t old = __atomic_load_n(reg, __ATOMIC_RELAXED);
	while (old < rank &&
	       !__atomic_compare_exchange_n(reg, &old, rank, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (__atomic_load_n(&s->full, __ATOMIC_RELAXED))
		return;
	for (uint32_t i = (uint32_t)h & (LS_SEEN_SLOTS - 1);; i = (i + 1) & (LS_SEEN_SLOTS - 1)) {
		uint64_t cur = __atomic_load_n(&s->slots[i], __ATOMIC_RELAXED);
		if (cur == h)
			return;
		if (cur == 0) {
			if (!__atomic_compare_exchange_n(&s->slots[i], &cur, h, false,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
				if (cur == h)
					return;
				continue;	/* taken by another hash: probe on */
			}
			if (__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED) >= LS_SEEN_EXACT_MAX)
				__atomic_store_n(&s->full, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

uint64_t ls_seen_count(const struct ls_seen *s, bool *exact)
{
	*exact = !__atomic_load_n(&s->full, __ATOMIC_RELAXED);
	if (*exact)
		return __atomic_load_n(&s->count, __ATOMIC_RELAXED);
	/* Past LS_SEEN_EXACT_MAX the raw estimate is far above the small-range correction's 2.5 m. */
	double m = (double)(1u << LS_HLL_BITS), sum = 0;
	for (uint32_t j = 0; j < (1u << LS_HLL_BITS); j++)
		sum += 1.0 / (double)(1ull << s->hll[j]);
	return (uint64_t)(0.7213 / (1 + 1.079 / m) * m * m / sum);
}

uint64_t ls_schedule_hash(const struct ls_machine *m)
{
	uint64_t h = 0x696e7465726c6561ull;
	for (size_t i = 0; i < m->nlog; i++) {
		const struct ls_choice *c = &m->log[i].choice;
		h = ls_mix64(h ^ m->log[i].step);
		h = ls_mix64(h ^ ((uint64_t)c->kind | (uint64_t)c->cpu << 8 | (uint64_t)c->ctx << 16 |
				  (uint64_t)c->src << 24));
	}
	return h;
}

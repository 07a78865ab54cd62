/* Small custom strategies for tests that drive inline targets. */
#ifndef LS_TESTS_STRAT_H
#define LS_TESTS_STRAT_H

#include "strategy.h"

/* Always keeps the default choice: a fully deterministic, preemption-free schedule. */
static inline void default_begin(struct ls_strategy *s, uint64_t seed)
{
	(void)s;
	(void)seed;
}

static inline int default_choose(struct ls_strategy *s, struct ls_point *pt)
{
	(void)s;
	(void)pt;
	return 0;
}

static inline void default_strategy_init(struct ls_strategy *s)
{
	s->name = "default";
	s->begin = default_begin;
	s->choose = default_choose;
}

#endif

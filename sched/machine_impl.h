/* What machine.c and clock.c share and nobody else sees: the running machine, the step record,
 * the end of an execution and the decision loop. */
#ifndef LS_MACHINE_IMPL_H
#define LS_MACHINE_IMPL_H

#include "machine.h"

/* The machine running an execution (NULL outside one); models reach it through runtime.h. */
extern struct ls_machine *ls_running;

/* Records what runs at the current step (struct ls_step_rec); the first record after a
 * non-default choice carries it. */
static inline void ls_ring_add(struct ls_machine *m, const struct ls_ctx *c, enum ls_op op,
			       const void *addr, const struct ls_site *site)
{
	struct ls_step_rec *r = &m->ring[m->nring++ % LS_RING];
	r->step = m->step;
	r->clock = m->clock;
	r->ctx = (uint8_t)c->id;
	r->op = (uint8_t)op;
	r->src = (int8_t)(c->kind == LS_CTX_SOFTIRQ ? -1 : c->src);
	r->addr = addr;
	r->site = site;
	r->decided = m->mark;
	if (m->mark) {
		r->choice = m->mark_choice;
		m->mark = false;
	}
}

/* A broken invariant of the machine: says so and aborts, in every build. */
_Noreturn void ls_machine_internal(const char *what);

/* Ends the execution as a stall by the step or time limit, in the current context. */
_Noreturn void ls_machine_end_limit(struct ls_machine *m, const char *what);

/* Asks the strategy what runs next and does it; returns when cur runs again (machine.c). */
void ls_machine_decide(struct ls_machine *m, struct ls_ctx *cur, bool forced);

/* clock.c: wakes, in parking order, every context whose deadline the clock reached. */
void ls_clock_wake_expired(struct ls_machine *m);

/* A context reached a point: one more step, cfg.step_ns more virtual time. */
static inline void ls_machine_tick(struct ls_machine *m)
{
	m->step++;
	m->clock += m->cfg.step_ns;
	m->mark = false;	/* a decision whose context ran no record before its next point */
	if (m->step > m->cfg.step_limit)
		ls_machine_end_limit(m, "step limit reached");
	if (m->clock > m->cfg.time_limit_ns)
		ls_machine_end_limit(m, "virtual time limit reached");
	if (m->clock >= m->next_deadline)
		ls_clock_wake_expired(m);
}

/* After a tick, where a store that becomes visible may wake a context: not inside ls_park()
 * before the caller is parked, or the wake-up would be lost. */
static inline void ls_machine_age_stores(struct ls_machine *m)
{
	if (m->mem.pending)
		ls_mem_tick(m);
}
/* A context reached a scheduling point (ls_point(), ls_mem_point()): it announces op on addr
 * (size bytes, 0 when not the memory model's access) from site, called from code address ip;
 * the step passes, then the strategy decides who runs, and when c runs again its operation is
 * recorded at the step of the decision that let it go on. */
static inline void ls_machine_point(struct ls_machine *m, struct ls_ctx *c, enum ls_op op,
				    const void *addr, unsigned size, const struct ls_site *site,
				    const void *ip)
{
	c->op = op;
	c->addr = addr;
	c->site = site;
	c->ip = ip;
	c->mem_size = (uint8_t)size;
	c->mem_old = 0;
	ls_machine_tick(m);
	ls_machine_age_stores(m);
	ls_machine_decide(m, c, false);
	/* It is still the operation c announced (read back: fewer registers across the call). */
	ls_ring_add(m, c, c->op, c->addr, c->site);
}

/* clock.c: the clock jumps to the earliest deadline, a step of its own; slow: some context
 * could have run (counted against the budget). */
void ls_clock_pass(struct ls_machine *m, struct ls_ctx *cur, bool slow);

/* Whether a point may offer LS_CH_SLOW: a deadline is pending and the budget is not spent. */
static inline bool ls_clock_can_slow(const struct ls_machine *m)
{
	return m->next_deadline != LS_NO_DEADLINE && m->slows < m->cfg.slow_budget;
}

#endif

/* Virtual time: the clock, waits with deadlines, and the two ways time passes.
 *
 * The clock.  Every execution starts at 0 ns, and each step (a context reaching a scheduling
 * point) advances the clock by cfg.step_ns: the instructions between two points are a few
 * nanoseconds' work.  Models read it with ls_now() (rqspinlock's timeouts, the rwsem hand-off
 * timer, mdelay()); nothing in an execution depends on wall time, so the same decisions give the
 * same times on every run.
 *
 * Waiting.  A context that waits parks (ls_park()) on an 8-byte word until a store to it wakes it
 * (ls_wrote()), and optionally until a deadline, a virtual time at which it wakes anyway.  A
 * spinning CPU parks on the word it spins on; a CPU in mdelay() parks on a word nobody writes,
 * with the end of the delay as its deadline; rqspinlock's waiters park until their next timeout
 * check.  A parked context takes no steps: a 20 ms delay costs one step, not two million.
 *
 * Time passing.  Other than by steps, the clock moves only by jumping to the earliest pending
 * deadline, in one of two ways, each a step of its own (an LS_OP_TIME record):
 *   - idle: no context can run.  The jump is the point's default choice; the strategy may inject
 *     an interrupt instead, which then lands on a waiting CPU in the first instant of its wait.
 *   - slow: some context could run, and the strategy chooses LS_CH_SLOW ("slow" in traces).  Every
 *     context that could run falls behind: none of them runs while the clock jumps, as if their
 *     CPUs stalled (a vCPU descheduled, an SMI, cache misses, an interrupt storm) for as long as
 *     the earliest delay or timeout of the waiting contexts takes to elapse.  A window at the end
 *     of another CPU's 20 ms critical section, to be hit in the middle of a few instructions, is
 *     then one decision away instead of two million steps.  Slow is offered only while some
 *     deadline is pending (with nothing to wait for, falling behind is what a switch already
 *     expresses), and at most cfg.slow_budget times per execution (--slow): each one stretches a
 *     critical section, so a timeout it causes is one a CPU that slow would cause.
 * After a jump every context whose deadline has come wakes, in the order they parked, and the
 * strategy decides at the next step who runs first.
 *
 * What it can represent: any order of the running contexts' steps (the scheduler's job); a CPU
 * slowed at any point for as long as the next pending deadline takes, repeatedly up to the budget;
 * an interrupt landing on a waiting CPU at every step another CPU takes, in the first instant of
 * the wait, at every deadline, and right after a store wakes it.
 * What it cannot: a jump to a time that is no deadline (so an interrupt cannot land at an instant
 * strictly inside a delay unless another CPU steps or a deadline falls there, and a slow cannot
 * stop half-way); CPUs of different speeds beyond what switches and slows express; the cost of
 * spinning (a spinning CPU's loop takes no virtual time of its own).
 */
#include "machine_impl.h"

#include <string.h>

static void recompute_deadline(struct ls_machine *m)
{
	uint64_t d = LS_NO_DEADLINE;
	for (int i = 0; i < m->nparked; i++)
		if (m->parked[i]->deadline < d)
			d = m->parked[i]->deadline;
	m->next_deadline = d;
}

/* Removes parked[i], keeping parking order (wake order is part of determinism). */
static void unpark(struct ls_machine *m, int i, bool timed_out)
{
	struct ls_ctx *c = m->parked[i];
	memmove(&m->parked[i], &m->parked[i + 1],
		(size_t)(m->nparked - i - 1) * sizeof(m->parked[0]));
	m->nparked--;
	c->state = LS_READY;
	c->timed_out = timed_out;
}

void ls_clock_wake_expired(struct ls_machine *m)
{
	for (int i = 0; i < m->nparked;) {
		if (m->parked[i]->deadline <= m->clock)
			unpark(m, i, true);
		else
			i++;
	}
	recompute_deadline(m);
}

void ls_clock_pass(struct ls_machine *m, struct ls_ctx *cur, bool slow)
{
	if (m->mem.active) {
		ls_mem_time_passes(m);
		/* A store that landed may have woken the only context with a deadline. */
		if (m->next_deadline == LS_NO_DEADLINE)
			return;
	}
	if (slow)
		m->slowed_ns += m->next_deadline - m->clock;
	m->clock = m->next_deadline;
	if (m->clock > m->cfg.time_limit_ns)
		ls_machine_end_limit(m, "virtual time limit reached");
	ls_ring_add(m, cur, LS_OP_TIME, NULL, NULL);
	if (slow)
		m->slows++;
	ls_clock_wake_expired(m);
	/* The decision after the jump is a step of its own. */
	if (++m->step > m->cfg.step_limit)
		ls_machine_end_limit(m, "step limit reached");
}

bool ls_park(const void *addr, uint64_t deadline, const struct ls_site *site)
{
	struct ls_machine *m = ls_running;
	struct ls_ctx *c;
	if (!m || !(c = m->cur))
		ls_machine_internal("ls_park called outside an execution");
	if (m->mem.active)
		ls_mem_model_point(m, c, LS_OP_PARK);
	c->op = LS_OP_PARK;
	c->addr = addr;
	c->site = site;
	c->ip = __builtin_return_address(0);
	ls_machine_tick(m);
	ls_ring_add(m, c, LS_OP_PARK, addr, site);
	c->state = LS_PARKED;
	c->park_word = (uintptr_t)addr >> 3;
	c->deadline = deadline;
	c->park_step = m->step;
	c->timed_out = false;
	m->parked[m->nparked++] = c;
	if (deadline < m->next_deadline)
		m->next_deadline = deadline;
	if (m->clock >= m->next_deadline)
		ls_clock_wake_expired(m);
	ls_machine_age_stores(m);	/* now: a store that becomes visible wakes c */
	ls_machine_decide(m, c, true);
	ls_ring_add(m, c, LS_OP_RESUME, addr, site);
	return !c->timed_out;
}

/* Nobody writes it: a pause with no announced word before it waits for its deadline only. */
static char relax_word;

bool ls_relax(uint64_t ns, const struct ls_site *site)
{
	struct ls_machine *m = ls_running;
	struct ls_ctx *c;
	if (!m || !(c = m->cur))
		ls_machine_internal("ls_relax called outside an execution");
	const void *addr = c->addr ? c->addr : (const void *)&relax_word;
	uint64_t until = m->clock + ns;
	return ls_park(addr, until < m->clock ? LS_NO_DEADLINE : until, site);
}

void ls_wrote(const void *addr)
{
	struct ls_machine *m = ls_running;
	if (!m || !m->nparked)
		return;
	uintptr_t w = (uintptr_t)addr >> 3;
	bool woke = false;
	for (int i = 0; i < m->nparked;) {
		if (m->parked[i]->park_word == w) {
			unpark(m, i, false);
			woke = true;
		} else {
			i++;
		}
	}
	if (woke)
		recompute_deadline(m);
}

uint64_t ls_now(void)
{
	return ls_running ? ls_running->clock : 0;
}

uint64_t ls_slowed_ns(void)
{
	return ls_running ? ls_running->slowed_ns : 0;
}

/* PCT: Probabilistic Concurrency Testing, a randomized priority scheduler with a guarantee.
 *
 * Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized Scheduler with Probabilistic
 * Guarantees of Finding Bugs", ASPLOS 2010.  A bug has depth d when d ordering constraints
 * between steps of different threads make it happen.  For a program of n threads and k steps, one
 * execution of the scheduler below hits a given depth-d bug with probability at least
 * 1 / (n * k^(d-1)):
 *
 *  - give the n threads distinct random priorities d, d+1, ..., d+n-1;
 *  - pick d-1 change points k_1 <= ... <= k_{d-1} uniformly in [1, k];
 *  - at every step run the enabled thread of highest priority; when the running thread executes
 *    step k_i its priority becomes d-i, below every initial one.
 *
 * The random priorities satisfy the first constraint with probability 1/n, and each change point
 * satisfies one more with probability 1/k.
 *
 * Adapted to this scheduler:
 *
 *  - Threads are the machine's agents: its tasks, and every interrupt it may inject.  An
 *    injectable (kind, cpu, source) with a budget of b injections per execution is b agents, one
 *    per injection, so n = tasks + the sum of the budgets over the CPUs each source may hit.
 *    An agent's priority is a 64-bit key drawn from the execution's seed with the top bit set; the
 *    keys order the agents as a random permutation would (a tie, about one in 2^63 per pair, goes
 *    to the earlier choice), and change point i sets the key to d-i, below every initial one.
 *  - An injection is a scheduling choice like a switch: at each point the choices the machine
 *    offers (continue, run a context, inject an NMI or hardirq) are ranked by the priority of the
 *    agent each would run, and the highest wins.  An injection's agent is the next unconsumed one
 *    of its source on that CPU; injecting consumes it, and the interrupt context runs with that
 *    agent's priority until it returns.  So an interrupt that outranks everything fires at the
 *    first point where it can, one ranked below the tasks fires only when a change point drops
 *    the running task below it (say, while it holds a lock), or when everything ranked above it
 *    waits or is done.
 *    A hardirq the model raised itself (ls_irq_raise(), delivered by the machine, not chosen)
 *    runs with the priority of the context it interrupted: it is that context's doing.
 *  - Time is an agent too, when the machine may let the running CPUs fall behind (the "slow"
 *    choice, sched/clock.c): its priority is d, below every initial priority and above every
 *    lowered one.  So time passes while something could run only after a change point dropped
 *    the running agent: the CPU it runs on is slow at exactly that step, and the window at the
 *    end of another CPU's delay opens there.  A change point never lowers time itself.  Where
 *    nothing can run, letting time pass runs the context whose deadline comes first: that
 *    choice has its agent, so an interrupt lands in the wait only if it outranks the context
 *    the wait is for, as it would land on that context once it ran.
 *  - Steps are the machine's steps, and change point i applies at the first point whose step is
 *    >= k_i, to the context that announced it.  k is learned: an execution draws its change
 *    points in [1, k] with k the highest step at which any earlier execution of the same
 *    strategy object asked for a decision (LS_PCT_DEFAULT_STEPS before the first).  n is
 *    counted from the target.
 *  - Every draw comes from splitmix64 streams of the execution's seed and the learned k, so the
 *    decisions are a function of (seed, depth, k).  A session may run an earlier execution again
 *    (ls_session_rerun()) after k grew; to give it its old k the object keeps the seeds at which
 *    k changed.  For seeds run in increasing order, as a campaign runs them, an execution run
 *    again makes the decisions it made the first time; a seed at or below the highest seen so
 *    far gets the k that was in force when the campaign passed it.
 *
 * The guarantee is per execution, so over E executions a depth-d bug is missed with probability
 * at most (1 - 1/(n k^(d-1)))^E; ls_pct_bound() reports one minus that with the largest n and k
 * observed.  It assumes what the paper does: the bug needs only d ordering constraints and the
 * execution stays within k steps (an execution that sets a new record of steps had its change
 * points drawn in a smaller range).  Left out: the paper's handling of threads that spin without
 * blocking (a model waits only through ls_park(), so the highest-priority context never starves
 * the one it waits for), and its later refinements (PCTCP, partial-order-aware PCT).
 */
#include "strategy.h"

#include <stdio.h>
#include <string.h>

#include "machine.h"

#define PCT_SALT 0x7063742d64657074ull	/* "pct-dept" */
#define TOP_BIT (1ull << 63)

/* Agents: a task is its context id; an injection is (kind, cpu, source, n-th of the source). */
#define AGENT_NMI 1ull
#define AGENT_IRQ 2ull
#define AGENT_RAISED 3ull
#define AGENT_TIME (4ull << 40)

static inline uint64_t agent_injection(uint64_t kind, int cpu, int src, unsigned nth)
{
	return kind << 40 | (uint64_t)cpu << 32 | (uint64_t)src << 16 | nth;
}

/* The agent an interrupt context of kind `nmi` on cpu runs (0: hardirq, 1: NMI). */
static inline uint64_t *running_agent(struct ls_pct *p, bool nmi, int cpu)
{
	return &p->irq_agent[nmi][cpu];
}

/* ---- priorities ---------------------------------------------------------------------------- */

static uint64_t priority(const struct ls_pct *p, uint64_t agent)
{
	if (agent == AGENT_TIME)
		return (uint64_t)p->depth;
	for (int i = 0; i < p->nlowered; i++)
		if (p->lowered[i].agent == agent)
			return p->lowered[i].prio;
	return TOP_BIT | ls_mix64(p->salt ^ ls_mix64(agent)) >> 1;
}

/* Change point i (1-based): the agent's priority becomes d - i. */
static void lower(struct ls_pct *p, uint64_t agent, int i)
{
	uint64_t prio = (uint64_t)(p->depth - i);
	for (int j = 0; j < p->nlowered; j++)
		if (p->lowered[j].agent == agent) {
			p->lowered[j].prio = prio;
			return;
		}
	p->lowered[p->nlowered].agent = agent;
	p->lowered[p->nlowered].prio = prio;
	p->nlowered++;
}

/* The agent a context runs: a task its own; an injected interrupt the injection's; a raised
 * hardirq the one of the context it interrupted. */
static uint64_t agent_of(struct ls_pct *p, const struct ls_machine *m, int id)
{
	const struct ls_ctx *c = &m->ctx[id];
	for (;;) {
		if (c->kind == LS_CTX_TASK)
			return (uint64_t)c->id;
		if (c->src >= 0)
			return *running_agent(p, c->kind == LS_CTX_NMI, c->cpu);
		if (!c->below)
			return agent_injection(AGENT_RAISED, c->cpu, 0, 0);
		c = c->below;
	}
}

/* The context that wakes first when time passes: parked earliest among the earliest deadline. */
static int first_to_wake(const struct ls_machine *m)
{
	for (int i = 0; i < m->nparked; i++)
		if (m->parked[i]->deadline == m->next_deadline)
			return m->parked[i]->id;
	return -1;
}

static uint64_t choice_agent(struct ls_pct *p, const struct ls_point *pt, const struct ls_choice *ch)
{
	switch (ch->kind) {
	case LS_CH_CONTINUE:
		return agent_of(p, pt->m, pt->ctx);
	case LS_CH_RUN:
		return agent_of(p, pt->m, ch->ctx);
	case LS_CH_NMI:
		return agent_injection(AGENT_NMI, ch->cpu, ch->src, p->injected[1][ch->cpu][ch->src]);
	case LS_CH_SLOW:
		/* At a point where nothing can run (slow is the default there), the waker's. */
		if (pt->choices[0].kind == LS_CH_SLOW && first_to_wake(pt->m) >= 0)
			return agent_of(p, pt->m, first_to_wake(pt->m));
		return AGENT_TIME;
	default:
		return agent_injection(AGENT_IRQ, ch->cpu, ch->src, p->injected[0][ch->cpu][ch->src]);
	}
}

/* n: the tasks, every injection the target allows, as the machine budgets them, and time once
 * some point offered to let it pass with a context runnable. */
static unsigned count_agents(const struct ls_pct *p, const struct ls_machine *m)
{
	const struct ls_target *t = m->target;
	unsigned n = (unsigned)t->ntasks + p->saw_time;
	for (int kind = 0; kind < 2; kind++) {
		const struct ls_irq_decl *d = kind ? t->nmis : t->irqs;
		int nd = kind ? t->nnmis : t->nirqs;
		for (int s = 0; s < nd; s++)
			for (int cpu = 0; cpu < m->ncpus; cpu++)
				if ((d[s].cpus >> cpu) & 1)
					n += (uint8_t)(d[s].budget ? d[s].budget : 1);
	}
	return n;
}

/* ---- the strategy -------------------------------------------------------------------------- */

/* The k in force when the campaign reached seed (see the top of the file). */
static uint64_t k_for(struct ls_pct *p, uint64_t seed)
{
	if (!p->started || seed > p->last_seed) {
		uint64_t want = p->k_max ? p->k_max : LS_PCT_DEFAULT_STEPS;
		if (p->nepochs == 0 ||
		    (want != p->epoch[p->nepochs - 1].k && p->nepochs < LS_PCT_MAX_EPOCHS)) {
			p->epoch[p->nepochs].seed = seed;
			p->epoch[p->nepochs].k = want;
			p->nepochs++;
		}
		p->started = true;
		p->last_seed = seed;
		return p->epoch[p->nepochs - 1].k;
	}
	uint64_t k = p->epoch[0].k;
	for (int i = 1; i < p->nepochs && p->epoch[i].seed <= seed; i++)
		k = p->epoch[i].k;
	return k;
}

static void pct_begin(struct ls_strategy *s, uint64_t seed)
{
	struct ls_pct *p = (struct ls_pct *)s;
	uint64_t rng = ls_mix64(seed ^ PCT_SALT);
	p->k = k_for(p, seed);
	p->salt = ls_mix64(rng++);
	p->counted = false;
	p->nlowered = 0;
	p->next_change = 0;
	memset(p->injected, 0, sizeof(p->injected));
	memset(p->irq_agent, 0, sizeof(p->irq_agent));

	/* d-1 change points in [1, k], distinct while k allows, in increasing order. */
	p->nchange = p->depth - 1;
	for (int i = 0; i < p->nchange; i++) {
		uint64_t c;
		bool dup;
		int tries = 0;
		do {
			c = 1 + ls_mix64(rng++) % p->k;
			dup = false;
			for (int j = 0; j < i; j++)
				dup |= p->change[j] == c;
		} while (dup && (uint64_t)p->nchange <= p->k && ++tries < 64);
		int j = i;
		while (j > 0 && p->change[j - 1] > c) {
			p->change[j] = p->change[j - 1];
			j--;
		}
		p->change[j] = c;
	}
}

/* The index of the choice whose agent has the highest priority (the first of equals). */
static int highest(struct ls_pct *p, struct ls_point *pt, int n)
{
	int best = 0;
	uint64_t best_prio = priority(p, choice_agent(p, pt, &pt->choices[0]));
	for (int i = 1; i < n; i++) {
		uint64_t prio = priority(p, choice_agent(p, pt, &pt->choices[i]));
		if (prio > best_prio) {
			best = i;
			best_prio = prio;
		}
	}
	return best;
}

static int pct_choose(struct ls_strategy *s, struct ls_point *pt)
{
	struct ls_pct *p = (struct ls_pct *)s;
	struct ls_machine *m = pt->m;
	if (pt->step > p->k_max)
		p->k_max = pt->step;
	int all = ls_point_choices(pt), n = ls_first_memory_choice(pt);
	if (!p->saw_time && n > 1 && pt->choices[0].kind != LS_CH_SLOW)
		for (int i = 1; i < n; i++)
			if (pt->choices[i].kind == LS_CH_SLOW) {
				p->saw_time = true;
				p->counted = false;
			}
	if (!p->counted) {
		unsigned agents = count_agents(p, m);
		if (agents > p->n_max)
			p->n_max = agents;
		p->counted = true;
	}
	/* The memory model's choices are no agents: a draw of their own, from the salt and the
	 * step, takes one of them at LS_MEM_CHOICE_P of the points that offer any (a point that
	 * offers nothing else keeps its default otherwise). */
	if (n < all) {
		uint64_t x = ls_mix64(p->salt ^ (pt->step * 0x9e3779b97f4a7c15ull) ^ 0x6d656dull);
		if ((x >> 11) * 0x1.0p-53 < LS_MEM_CHOICE_P)
			return n + (int)((x & 0x7ff) % (uint64_t)(all - n));
		if (n == 0)
			return 0;
	}
	int best = highest(p, pt, n);
	/* At change point i the agent that would run this step (the paper's thread that executes
	 * step k_i: at a forced point not the one that announced it) drops to d - i; then the
	 * highest priority is picked again. */
	while (p->next_change < p->nchange && p->change[p->next_change] <= pt->step) {
		uint64_t agent = choice_agent(p, pt, &pt->choices[best]);
		if (agent == AGENT_TIME)
			break;
		p->next_change++;
		lower(p, agent, p->next_change);
		best = highest(p, pt, n);
	}

	const struct ls_choice *ch = &pt->choices[best];
	if (ch->kind == LS_CH_NMI || ch->kind == LS_CH_IRQ) {
		bool nmi = ch->kind == LS_CH_NMI;
		*running_agent(p, nmi, ch->cpu) = choice_agent(p, pt, ch);
		p->injected[nmi][ch->cpu][ch->src]++;
	}
	return best;
}

void ls_pct_init(struct ls_pct *p, int depth)
{
	memset(p, 0, sizeof(*p));
	p->base.name = "pct";
	p->base.begin = pct_begin;
	p->base.choose = pct_choose;
	if (depth < 1)
		depth = 1;
	if (depth > LS_PCT_MAX_DEPTH)
		depth = LS_PCT_MAX_DEPTH;
	p->depth = depth;
}

int ls_pct_label(const struct ls_pct *p, char *buf, size_t len)
{
	return snprintf(buf, len, "pct depth %d", p->depth);
}

/* ---- the guarantee ------------------------------------------------------------------------- */

/* x^e by squaring: no libm, and exact enough for a printed bound (relative error ~ e * 2^-53). */
static double pow_u64(double x, uint64_t e)
{
	double r = 1.0;
	while (e) {
		if (e & 1)
			r *= x;
		x *= x;
		e >>= 1;
	}
	return r;
}

double ls_pct_probability(unsigned n, uint64_t k, int depth, uint64_t executions)
{
	if (n == 0 || executions == 0)
		return 0.0;
	if (k == 0)
		k = 1;
	double denom = (double)n;
	for (int i = 1; i < depth; i++)
		denom *= (double)k;
	double per = 1.0 / denom;
	double miss = 1.0 - per;
	if (miss == 1.0) {
		/* per is below the rounding of 1 - per: 1 - (1-p)^E >= 1 - e^(-pE) >= pE / (1 + pE). */
		double pe = per * (double)executions;
		return pe / (1.0 + pe);
	}
	return 1.0 - pow_u64(miss, executions);
}

double ls_pct_bound(const struct ls_pct *p, uint64_t executions)
{
	return ls_pct_probability(p->n_max, p->k_max, p->depth, executions);
}

/* A percentage rounded down, with as many decimals as it takes to show it is not 100%. */
static void percent_floor(double prob, char *buf, size_t len)
{
	static const double ten[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };
	double pct = prob * 100.0;
	if (!(pct > 0)) {
		snprintf(buf, len, "0%%");
		return;
	}
	if (pct > 99.9999)
		pct = 99.9999;
	int dec = 1;
	if (pct < 1) {
		/* Two significant digits. */
		while (dec < 8 && pct * ten[dec] < 10)
			dec++;
	} else {
		while (dec < 4 && pct >= 100.0 - 1.0 / ten[dec])
			dec++;
	}
	double scaled = (double)(uint64_t)(pct * ten[dec]);
	snprintf(buf, len, "%.*f%%", dec, scaled / ten[dec]);
}

void ls_pct_describe(const struct ls_pct *p, uint64_t executions, char *buf, size_t len)
{
	char pct[32];
	percent_floor(ls_pct_bound(p, executions), pct, sizeof(pct));
	snprintf(buf, len,
		 "pct: n=%u contexts, k=%llu steps: a depth-%d bug would have been found with "
		 "probability >= %s over %llu execution%s",
		 p->n_max, (unsigned long long)p->k_max, p->depth, pct,
		 (unsigned long long)executions, executions == 1 ? "" : "s");
}

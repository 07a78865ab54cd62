/* Suite `semantics`: what every file of the suite shares.  The cases (one function each, listed
 * in test_semantics.c), the helpers that open sessions on inline targets, and a strategy that
 * takes the choice a case asks for and otherwise walks at random.
 *
 * A case is one rule of the simulated machine (sched/machine.c, sched/clock.c) or of the record
 * it keeps (the validator's held stack, the wait-for graph, traces), checked on a small target of
 * its own with a fixed seed range or a complete bounded search.  A case returns TEST_PASS or
 * TEST_FAIL (check.h); a failing one prints the seed and the strategy that show it, and
 * `test_semantics CASE` runs that case alone. */
#ifndef LS_TESTS_SEMANTICS_H
#define LS_TESTS_SEMANTICS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <lockstep/kernel.h>

#include "exec.h"
#include "lockdep/lockdep.h"
#include "machine.h"
#include "strategy.h"
#include "trace.h"

#include "../check.h"

/* The random walk of `lockstep run` and `fuzz` (harness.h's RANDOM_STRATEGY). */
#define SEM_P_SWITCH 0.1
#define SEM_P_SLOW 0.02
#define SEM_P_IRQ 0.05

static const struct ls_variant sem_one_variant[] __attribute__((unused)) = {
	{ "default", "a semantics case", LS_KIND_COUNT },
};

#define SEM_ARRAY_SIZE(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* An inline target with one variant; the remaining fields (ncpus, tasks, nmis, irqs, init,
 * check) follow as designated initialisers. */
#define SEM_TARGET(var, name_, ...)                                                            \
	static const struct ls_target var = {                                                  \
		.name = name_,                                                                 \
		.summary = "tests/semantics",                                                  \
		.models = "tests/semantics",                                                   \
		.variants = sem_one_variant,                                                   \
		.nvariants = 1,                                                                \
		__VA_ARGS__                                                                    \
	}

/* Opens a session on t:variant with cfg (NULL: the defaults); exits 1 if it cannot. */
void sem_open(struct ls_session *s, const struct ls_target *t, int variant,
	      const struct ls_config *cfg);

/* Prints why a case failed at one execution: the seed, the strategy, the outcome and the
 * machine's report of it. */
void sem_explain(struct ls_session *s, const struct ls_result *r, const char *strategy);

/* ---- a strategy with a purpose --------------------------------------------------------------
 *
 * At every point the case's pick() may return the index of a choice it wants (pick sees the
 * point and may compute its choices); where it returns -1 the random walk decides. */
struct sem_strategy;
typedef int (*sem_pick_fn)(struct sem_strategy *s, struct ls_point *pt);

struct sem_strategy {
	struct ls_strategy base;
	struct ls_random walk;
	sem_pick_fn pick;
	unsigned picked;		/* choices pick() made in this execution */
};

void sem_strategy_init(struct sem_strategy *s, sem_pick_fn pick, double p_switch, double p_slow,
		       double p_irq);

/* The index of the first choice of kind at pt (on cpu, or any CPU when cpu < 0), or -1. */
int sem_choice(struct ls_point *pt, enum ls_choice_kind kind, int cpu);
/* The index of the choice that runs context ctx, or -1. */
int sem_run_choice(struct ls_point *pt, int ctx);

/* Whether the running execution's machine offers kind on cpu at pt, a check on the offer. */
static inline bool sem_offers(struct ls_point *pt, enum ls_choice_kind kind, int cpu)
{
	return sem_choice(pt, kind, cpu) >= 0;
}

/* The running machine (cases read contexts' states from their handlers). */
static inline struct ls_machine *sem_machine(void)
{
	return ls_machine_current();
}

/* ---- dfs ------------------------------------------------------------------------------------ */

/* What a per-execution check returns: go on, stop as failed (the execution is explained), or
 * stop because what the case looks for was found. */
enum { SEM_GO_ON = 0, SEM_FAILED = TEST_FAIL, SEM_FOUND = 2 };

/* Runs the whole dfs search of t:variant with the given bounds, with or without sleep sets
 * (por; a "never" is checked without them, on every schedule within the bounds), in a session
 * of config cfg (NULL: defaults), calling each(s, r, arg) after every execution; a return other
 * than SEM_GO_ON stops the search and is returned.  Returns SEM_GO_ON when the search completed,
 * -1 when it stopped with an error (printed).  *executions counts the executions run. */
int sem_dfs(const struct ls_target *t, int variant, const struct ls_config *cfg,
	    unsigned preemptions, unsigned nmis, bool por,
	    int (*each)(struct ls_session *s, const struct ls_result *r, void *arg), void *arg,
	    uint64_t *executions);

/* ---- targets shared between files ---------------------------------------------------------- */

/* waiting.c: t0 (CPU0) and t1 (CPU1) take spinlock L, an NMI on CPU0 looks (WAKE_OBSERVE) or
 * takes L too (WAKE_TAKE). */
enum { WAKE_OBSERVE, WAKE_TAKE };
extern const struct ls_target semantics_wake_target;
/* The hang when the NMI takes L over t0 once t0's ticket is served (t1 released). */
#define TICKET_SIGNATURE \
	"deadlock: t0 is interrupted by nmi@cpu0, which waits in spin_lock on L held by t0"
/* t1 released L, whose store woke t0, and t0 has not re-read the lock word yet. */
bool wake_t0_woken_not_reread(const struct ls_machine *m);

/* ---- the cases ------------------------------------------------------------------------------ */

/* delivery.c */
int irq_pending_at_local_irq_restore_runs_before_the_next_instruction(void);
int irq_pending_at_local_irq_enable_runs_before_the_next_instruction(void);
int irq_pending_at_spin_unlock_irq_runs_before_the_next_instruction(void);
int irq_pending_at_spin_unlock_irqrestore_runs_before_the_next_instruction(void);
int irq_work_queued_by_nmi_never_runs_over_the_next_lock_dfs(void);
int irq_work_queued_by_nmi_never_runs_over_the_next_lock_random(void);
int self_ipi_with_irqs_on_runs_before_the_raise_returns(void);
int hardirq_raised_in_nmi_runs_when_the_nmi_returns(void);
int hardirq_source_never_lands_with_irqs_off(void);
int nmi_lands_with_irqs_off(void);
int nmis_never_nest(void);
int hardirq_never_enters_over_an_nmi(void);

/* preemption.c */
int tasks_of_one_cpu_never_interleave_in_atomic_sections(void);
int preemption_after_preempt_enable_comes_before_the_next_op(void);

/* waiting.c */
int nmi_lands_on_a_cpu_spinning_in_spin_lock(void);
int nmi_lands_inside_a_lone_cpus_mdelay(void);
int nmi_lands_on_a_waiter_between_its_wake_and_its_reread(void);
int hardirq_lands_on_a_cpu_spinning_with_irqs_on(void);
int hardirq_never_lands_on_a_cpu_spinning_in_spin_lock_irqsave(void);

/* time.c */
int mdelay_costs_a_handful_of_steps(void);
int idle_clock_jumps_to_each_deadline_in_turn(void);
int window_found_by_random_walk(void);
int window_found_by_pct(void);
int window_found_by_dfs_with_one_preemption_and_one_slow(void);
int window_never_found_without_slow(void);
int clock_after_slow_is_the_earliest_deadline(void);
int timeout_caused_only_by_slowing_is_no_stall(void);
int wait_past_the_threshold_without_slowing_is_a_stall(void);
int timeout_on_a_cycle_of_waits_is_a_stall_however_slow(void);

/* acquisitions.c */
int lock_only_announced_is_not_held_under_an_nmi(void);
int lock_only_announced_is_not_held_under_a_hardirq(void);
int lock_held_from_the_step_that_took_it(void);
int nmi_queued_behind_the_waiter_it_interrupted_is_AA(void);

/* waitfor.c */
int ticket_served_to_an_interrupted_waiter_is_held_by_it(void);
int spinlock_waiter_behind_a_waiter_is_queued_behind_it(void);
int mutex_cycle_runs_through_the_second_waiter(void);
int rqspinlock_nmi_queued_behind_the_head_it_interrupted(void);
int hang_report_uses_the_objects_description_of_the_waiters_word(void);

/* traces.c */
int trace_with_slow_replays_to_the_same_signature(void);
int bytes_strategy_can_choose_slow(void);
int format2_trace_is_refused_as_older(void);

/* softirq.c */
int softirq_raised_in_hardirq_runs_at_irq_exit(void);
int softirq_never_runs_over_bh_disabled_task_and_runs_at_local_bh_enable(void);
int spin_unlock_bh_runs_pending_softirq(void);
int softirq_raised_from_task_runs_at_first_preemptible_instant(void);
int hardirq_interrupts_a_softirq(void);
int softirq_in_softirq_never_nests(void);
int nmi_lands_in_softirq(void);
int might_sleep_in_softirq_is_invalid_context(void);
int validator_marks_in_softirq_usage(void);

#endif

/* Suite `semantics`: the simulated machine keeps the hardware's and the kernel's rules.
 *
 * Each row below is one case: the group of rules it belongs to, whether the machine already
 * kept the behaviour before commit f4e2293 ("kept": the case guards it) or broke it until then
 * ("new": the case failed, or could not be expressed, before that commit), and the function that
 * checks it, named after the behaviour.  Each target's comment says the same ("Kept before
 * f4e2293", or "New in f4e2293: " and what happened before) and states its expected results in
 * litmus style (Always, Sometimes, Never).  The rules, as sched/machine.c and sched/clock.c state
 * them:
 *
 *   delivery     a hardirq pending when interrupts come back on runs inside the call that
 *                enables them; a self-IPI with interrupts on runs before the raise returns; one
 *                raised in an NMI runs when the NMI returns; no hardirq lands with interrupts off
 *                or over an NMI; NMIs land anywhere and never nest.
 *   preemption   another task of the CPU runs only where the running one is preemptible.
 *   waiting      interrupts land on CPUs that spin, sit in mdelay() or were just woken.
 *   time         a parked CPU costs no steps; the clock jumps to deadlines; "slow" lets the
 *                running CPUs fall behind, and a wait made long only by it is no stall.
 *   acquisition  a lock counts as held from the step that took it, not from its announcement.
 *   wait-for     a hang's signature is a cycle through holders and queue order; a waiter's word
 *                reads as its model describes it then (whose queue, why it waits there).
 *   traces       format 3 records slows and replays them; older formats are refused.
 *   softirq      a raised softirq runs as the hardirq exits, inside the local_bh_enable() or
 *                spin_unlock_bh() that enables bottom halves, or at the raising task's first
 *                preemptible instant; never over bottom halves off, never nested; hardirqs and
 *                NMIs land on it; in it might_sleep() is a BUG and locks are IN-SOFTIRQ.
 *
 * Usage: test_semantics [CASE...]   (no argument: every case; exit 0 pass, 1 fail)
 * The window scenario of the time and trace cases is in window.c; the format-2 trace refused by
 * the CLI is checked by test_trace_cli.sh.  The softirq cases came with the softirq context,
 * after f4e2293; "new" says they could not be expressed before it. */
#include "semantics.h"

struct sem_case {
	const char *group;
	const char *status;	/* "new": failed (or inexpressible) before f4e2293; "kept" */
	const char *name;
	int (*fn)(void);
};

#define CASE(group, status, fn) { group, status, #fn, fn }

static const struct sem_case cases[] = {
	/* group          status  case */
	CASE("delivery", "new", irq_pending_at_local_irq_restore_runs_before_the_next_instruction),
	CASE("delivery", "new", irq_pending_at_local_irq_enable_runs_before_the_next_instruction),
	CASE("delivery", "new", irq_pending_at_spin_unlock_irq_runs_before_the_next_instruction),
	CASE("delivery", "new",
	     irq_pending_at_spin_unlock_irqrestore_runs_before_the_next_instruction),
	CASE("delivery", "new", irq_work_queued_by_nmi_never_runs_over_the_next_lock_dfs),
	CASE("delivery", "new", irq_work_queued_by_nmi_never_runs_over_the_next_lock_random),
	CASE("delivery", "new", self_ipi_with_irqs_on_runs_before_the_raise_returns),
	CASE("delivery", "kept", hardirq_raised_in_nmi_runs_when_the_nmi_returns),
	CASE("delivery", "kept", hardirq_source_never_lands_with_irqs_off),
	CASE("delivery", "kept", nmi_lands_with_irqs_off),
	CASE("delivery", "kept", nmis_never_nest),
	CASE("delivery", "kept", hardirq_never_enters_over_an_nmi),
	CASE("preemption", "kept", tasks_of_one_cpu_never_interleave_in_atomic_sections),
	CASE("preemption", "kept", preemption_after_preempt_enable_comes_before_the_next_op),
	CASE("waiting", "kept", nmi_lands_on_a_cpu_spinning_in_spin_lock),
	CASE("waiting", "new", nmi_lands_inside_a_lone_cpus_mdelay),
	CASE("waiting", "kept", nmi_lands_on_a_waiter_between_its_wake_and_its_reread),
	CASE("waiting", "kept", hardirq_lands_on_a_cpu_spinning_with_irqs_on),
	CASE("waiting", "kept", hardirq_never_lands_on_a_cpu_spinning_in_spin_lock_irqsave),
	CASE("time", "kept", mdelay_costs_a_handful_of_steps),
	CASE("time", "kept", idle_clock_jumps_to_each_deadline_in_turn),
	CASE("time", "new", window_found_by_random_walk),
	CASE("time", "new", window_found_by_pct),
	CASE("time", "new", window_found_by_dfs_with_one_preemption_and_one_slow),
	CASE("time", "kept", window_never_found_without_slow),
	CASE("time", "new", clock_after_slow_is_the_earliest_deadline),
	CASE("time", "new", timeout_caused_only_by_slowing_is_no_stall),
	CASE("time", "kept", wait_past_the_threshold_without_slowing_is_a_stall),
	CASE("time", "new", timeout_on_a_cycle_of_waits_is_a_stall_however_slow),
	CASE("acquisition", "new", lock_only_announced_is_not_held_under_an_nmi),
	CASE("acquisition", "new", lock_only_announced_is_not_held_under_a_hardirq),
	CASE("acquisition", "new", lock_held_from_the_step_that_took_it),
	CASE("acquisition", "new", nmi_queued_behind_the_waiter_it_interrupted_is_AA),
	CASE("wait-for", "new", ticket_served_to_an_interrupted_waiter_is_held_by_it),
	CASE("wait-for", "new", spinlock_waiter_behind_a_waiter_is_queued_behind_it),
	CASE("wait-for", "new", mutex_cycle_runs_through_the_second_waiter),
	CASE("wait-for", "new", rqspinlock_nmi_queued_behind_the_head_it_interrupted),
	CASE("wait-for", "new", hang_report_uses_the_objects_description_of_the_waiters_word),
	CASE("traces", "new", trace_with_slow_replays_to_the_same_signature),
	CASE("traces", "new", bytes_strategy_can_choose_slow),
	CASE("traces", "new", format2_trace_is_refused_as_older),
	CASE("softirq", "new", softirq_raised_in_hardirq_runs_at_irq_exit),
	CASE("softirq", "new",
	     softirq_never_runs_over_bh_disabled_task_and_runs_at_local_bh_enable),
	CASE("softirq", "new", spin_unlock_bh_runs_pending_softirq),
	CASE("softirq", "new", softirq_raised_from_task_runs_at_first_preemptible_instant),
	CASE("softirq", "new", hardirq_interrupts_a_softirq),
	CASE("softirq", "new", softirq_in_softirq_never_nests),
	CASE("softirq", "new", nmi_lands_in_softirq),
	CASE("softirq", "new", might_sleep_in_softirq_is_invalid_context),
	CASE("softirq", "new", validator_marks_in_softirq_usage),
};

static bool selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	int status = TEST_PASS, ran = 0;
	for (int i = 1; i < argc; i++) {
		bool known = false;
		for (int c = 0; c < SEM_ARRAY_SIZE(cases); c++)
			known |= strcmp(argv[i], cases[c].name) == 0;
		if (!known) {
			fprintf(stderr, "test_semantics: no case named %s\n", argv[i]);
			return TEST_FAIL;
		}
	}
	for (int c = 0; c < SEM_ARRAY_SIZE(cases); c++) {
		const struct sem_case *k = &cases[c];
		if (!selected(k->name, argc, argv))
			continue;
		fflush(stdout);
		int rc = k->fn();
		fflush(stdout);
		fprintf(stderr, "%s %-11s %-4s %s\n",
			rc == TEST_PASS ? "ok  " : rc == TEST_SKIP ? "skip" : "FAIL", k->group,
			k->status, k->name);
		if (rc == TEST_FAIL) {
			fprintf(stderr, "     run it alone: test_semantics %s\n", k->name);
			status = TEST_FAIL;
		}
		ran++;
	}
	fprintf(stderr, "%d case(s)\n", ran);
	return status;
}

/* Suite `memory`: the weak memory models keep their rules (sched/memory.c states them).
 *
 * Each row below is one case: the group of rules it belongs to and the function that checks it,
 * named after the behaviour.  A case explores small targets of its own exhaustively (dfs with
 * preemptions enough that no schedule is left out, NMIs where the rule is about interrupts,
 * sleep sets on) under the configurations the rule names, and states what an outcome does over
 * all executions in litmus style: Always, Sometimes or Never.  Every rule comes with a control
 * where one makes the claim meaningful: the same outcome under a model where it must differ, or
 * the weak behaviour the rule rules out shown to exist without the ordering.  The rules:
 *
 *   tso          a CPU reads its own buffered store; another CPU sees it once it drains; SB is
 *                Sometimes under tso and Never under sc; an atomic RMW (locked) and smp_mb()
 *                drain the buffer; the buffer is FIFO; smp_wmb() and smp_rmb() order nothing
 *                extra and break nothing.
 *   relaxed      CoWW, CoWR, CoRR; stores to different addresses land in any order, except
 *                across smp_wmb() and before a release; smp_rmb(), smp_mb() and acquire catch
 *                up; an RMW reads the latest value; an address dependency through a loaded
 *                pointer is ordered; the end of an execution drains in any order.
 *   compiler     --compiler-reorder holds plain stores back from interrupts and other CPUs, not
 *                from their own context; emits them in any order but per word in order;
 *                barrier(), ONCE accessors and atomics emit them first; an interrupted context
 *                emits nothing while the interrupt runs; the end of a context emits them;
 *                without --compiler-reorder PLAIN_WRITE() is a C store and no point.
 *   waking       a parked context wakes when the store becomes visible; nothing is a deadlock
 *                while a buffer holds a store that wakes someone; a wait that read an older
 *                value looks again rather than park.
 *   determinism  the random walk is byte-for-byte reproducible under each weak model; sc traces
 *                have no memory-model line; traces replay to their signature.
 *
 * Usage: test_memory [CASE...]   (no argument: every case; exit 0 pass, 1 fail) */
#include "memory.h"

struct mem_case {
	const char *group;
	const char *name;
	int (*fn)(void);
};

#define CASE(group, fn) { group, #fn, fn }

static const struct mem_case cases[] = {
	CASE("tso", tso_cpu_reads_its_own_buffered_store),
	CASE("tso", tso_other_cpu_sees_a_store_only_once_it_drains),
	CASE("tso", tso_store_buffering_sometimes_under_tso_never_under_sc),
	CASE("tso", tso_xchg_drains_the_buffer),
	CASE("tso", tso_cmpxchg_drains_the_buffer),
	CASE("tso", tso_atomic_inc_return_drains_the_buffer),
	CASE("tso", tso_atomic_inc_without_return_drains_under_tso_not_under_relaxed),
	CASE("tso", tso_smp_mb_drains_the_buffer),
	CASE("tso", tso_buffer_drains_in_fifo_order),
	CASE("tso", tso_smp_wmb_and_smp_rmb_order_nothing_extra_and_break_nothing),
	CASE("tso", tso_buffered_store_becomes_visible_by_itself),
	CASE("relaxed", relaxed_stores_to_one_address_land_in_program_order),
	CASE("relaxed", relaxed_cpu_never_reads_older_than_it_already_read),
	CASE("relaxed", relaxed_stores_to_different_addresses_may_land_out_of_order),
	CASE("relaxed", relaxed_smp_wmb_orders_drains),
	CASE("relaxed", relaxed_smp_store_release_waits_for_every_older_store),
	CASE("relaxed", relaxed_smp_rmb_and_acquire_catch_up_with_memory),
	CASE("relaxed", relaxed_rmw_reads_the_latest_value),
	CASE("relaxed", relaxed_address_dependency_through_a_loaded_pointer_is_ordered),
	CASE("relaxed", relaxed_address_dependency_to_a_field_of_a_loaded_pointer_is_ordered),
	CASE("relaxed", relaxed_store_lands_after_the_last_store_of_the_last_context),
	CASE("compiler", compiler_plain_store_is_held_back_from_an_nmi_but_not_its_own_context),
	CASE("compiler", compiler_plain_stores_to_different_words_may_be_emitted_out_of_order),
	CASE("compiler", compiler_barrier_once_accessors_and_atomics_emit_held_stores_first),
	CASE("compiler", compiler_plain_stores_to_one_word_stay_in_order),
	CASE("compiler", compiler_interrupted_context_emits_nothing_while_the_interrupt_runs),
	CASE("compiler", compiler_end_of_a_context_emits_its_held_stores),
	CASE("compiler", compiler_plain_write_without_reorder_is_an_ordinary_store_and_no_point),
	CASE("waking", waking_parked_context_wakes_when_the_store_becomes_visible_not_when_issued),
	CASE("waking", waking_no_deadlock_while_a_buffer_holds_a_waking_store),
	CASE("waking", waking_stale_read_never_parks_forever),
	CASE("determinism", determinism_same_seed_gives_byte_identical_traces_under_each_weak_model),
	CASE("determinism", determinism_sc_traces_have_no_memory_model_line_and_replay),
	CASE("determinism", determinism_weak_traces_replay_to_the_same_signature),
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
	int status = TEST_PASS, ran = 0, failed = 0;
	for (int i = 1; i < argc; i++) {
		bool known = false;
		for (int c = 0; c < MEM_ARRAY_SIZE(cases); c++)
			known |= strcmp(argv[i], cases[c].name) == 0;
		if (!known) {
			fprintf(stderr, "test_memory: no case named %s\n", argv[i]);
			return TEST_FAIL;
		}
	}
	for (int c = 0; c < MEM_ARRAY_SIZE(cases); c++) {
		const struct mem_case *k = &cases[c];
		if (!selected(k->name, argc, argv))
			continue;
		printf("%s\n", k->name);
		fflush(stdout);
		int rc = k->fn();
		fflush(stdout);
		fprintf(stderr, "%s %-11s %s\n", rc == TEST_PASS ? "ok  " : "FAIL", k->group, k->name);
		if (rc != TEST_PASS) {
			fprintf(stderr, "     run it alone: test_memory %s\n", k->name);
			status = TEST_FAIL;
			failed++;
		}
		ran++;
	}
	fprintf(stderr, "%d case(s), %d failed\n", ran, failed);
	return status;
}

/* Suite `memory`: what every file of the suite shares.  The cases (one function each, listed in
 * test_memory.c and named after the rule they check), the helpers that explore a small inline
 * target exhaustively under one memory configuration and compare what an outcome does over all
 * its executions with the verdict the rule gives (Always, Sometimes, Never), and the helpers the
 * trace cases share.
 *
 * A case returns TEST_PASS or TEST_FAIL (check.h); a failing one says which target, model and
 * bounds show it, and `test_memory CASE` runs that case alone. */
#ifndef LS_TESTS_MEMORY_H
#define LS_TESTS_MEMORY_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <lockstep/kernel.h>

#include "exec.h"
#include "machine.h"
#include "strategy.h"
#include "trace.h"

#include "../check.h"

/* What memory holds at this instant, bypassing the model: a store the model still buffers or
 * the compiler still holds back is not in it.  Also the test's own bookkeeping (flags the
 * targets set and the outcome functions read), which no model ever sees. */
#define RAW(x) (*(volatile __typeof__(x) *)&(x))

static const struct ls_variant mem_one_variant[] __attribute__((unused)) = {
	{ "default", "a memory-model case", LS_KIND_COUNT, 0 },
};

#define MEM_ARRAY_SIZE(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* An inline target with one variant; ncpus, tasks, nmis, init and check follow as designated
 * initialisers. */
#define MEM_TARGET(var, name_, ...)                                                            \
	static const struct ls_target var = {                                                  \
		.name = name_,                                                                 \
		.summary = "tests/memory",                                                     \
		.models = "tests/memory",                                                      \
		.variants = mem_one_variant,                                                   \
		.nvariants = 1,                                                                \
		__VA_ARGS__                                                                    \
	}

/* The same with its own variants (.variants and .nvariants among the initialisers). */
#define MEM_TARGET_V(var, name_, ...)                                                          \
	static const struct ls_target var = {                                                  \
		.name = name_,                                                                 \
		.summary = "tests/memory",                                                     \
		.models = "tests/memory",                                                      \
		__VA_ARGS__                                                                    \
	}

/* The defaults with the memory model and compiler reordering given. */
struct ls_config mem_cfg(enum ls_memory_model mm, bool reorder);
/* "tso", "sc+compiler-reorder", ... */
const char *mem_cfg_name(const struct ls_config *cfg, char *buf, size_t n);

/* ---- exhaustive exploration ----------------------------------------------------------------- */

enum mem_verdict { MEM_NEVER, MEM_SOMETIMES, MEM_ALWAYS };

/* The kind the execution just explored ended with, for outcome functions of cases that expect
 * findings. */
extern enum ls_kind mem_kind;

/* One claim: over every execution of t:variant under (mm, reorder) within `preemptions`
 * preemptions (0: MEM_PREEMPTIONS) and `nmis` injections, with sleep sets on, outcome() holds
 * `want`.  Unless any_kind, every execution must also end cleanly. */
struct mem_claim {
	const char *what;		/* the outcome, as the rule words it */
	const struct ls_target *t;
	int variant;
	enum ls_memory_model mm;
	bool reorder;
	unsigned preemptions, nmis;
	bool (*outcome)(void);
	enum mem_verdict want;
	bool any_kind;
};

/* Enough for every target of the suite to have no schedule left out: none has more points than
 * this in all, so no execution can take more preemptions. */
#define MEM_PREEMPTIONS 12

/* Checks the claim; prints one line with the verdict and counts.  TEST_PASS or TEST_FAIL. */
int mem_check(const struct mem_claim *c);

/* In a case function: checks a claim and returns TEST_FAIL from the case if it does not hold. */
#define EXPECT(...)                                                                            \
	do {                                                                                   \
		struct mem_claim mem_c_ = { __VA_ARGS__ };                                     \
		if (mem_check(&mem_c_) != TEST_PASS)                                           \
			return TEST_FAIL;                                                      \
	} while (0)

/* The running machine's context named name (for outcomes read while a target runs), or NULL. */
const struct ls_ctx *mem_ctx(const char *name);

/* ---- the cases ------------------------------------------------------------------------------ */

/* tso.c */
int tso_cpu_reads_its_own_buffered_store(void);
int tso_other_cpu_sees_a_store_only_once_it_drains(void);
int tso_store_buffering_sometimes_under_tso_never_under_sc(void);
int tso_xchg_drains_the_buffer(void);
int tso_cmpxchg_drains_the_buffer(void);
int tso_atomic_inc_return_drains_the_buffer(void);
int tso_atomic_inc_without_return_drains_under_tso_not_under_relaxed(void);
int tso_smp_mb_drains_the_buffer(void);
int tso_buffer_drains_in_fifo_order(void);
int tso_smp_wmb_and_smp_rmb_order_nothing_extra_and_break_nothing(void);
int tso_buffered_store_becomes_visible_by_itself(void);

/* relaxed.c */
int relaxed_stores_to_one_address_land_in_program_order(void);
int relaxed_cpu_never_reads_older_than_it_already_read(void);
int relaxed_stores_to_different_addresses_may_land_out_of_order(void);
int relaxed_smp_wmb_orders_drains(void);
int relaxed_smp_store_release_waits_for_every_older_store(void);
int relaxed_smp_rmb_and_acquire_catch_up_with_memory(void);
int relaxed_rmw_reads_the_latest_value(void);
int relaxed_address_dependency_through_a_loaded_pointer_is_ordered(void);
int relaxed_address_dependency_to_a_field_of_a_loaded_pointer_is_ordered(void);
int relaxed_store_lands_after_the_last_store_of_the_last_context(void);

/* compiler.c */
int compiler_plain_store_is_held_back_from_an_nmi_but_not_its_own_context(void);
int compiler_plain_stores_to_different_words_may_be_emitted_out_of_order(void);
int compiler_barrier_once_accessors_and_atomics_emit_held_stores_first(void);
int compiler_plain_stores_to_one_word_stay_in_order(void);
int compiler_interrupted_context_emits_nothing_while_the_interrupt_runs(void);
int compiler_end_of_a_context_emits_its_held_stores(void);
int compiler_plain_write_without_reorder_is_an_ordinary_store_and_no_point(void);

/* waking.c */
int waking_parked_context_wakes_when_the_store_becomes_visible_not_when_issued(void);
int waking_no_deadlock_while_a_buffer_holds_a_waking_store(void);
int waking_stale_read_never_parks_forever(void);

/* traces.c */
int determinism_same_seed_gives_byte_identical_traces_under_each_weak_model(void);
int determinism_sc_traces_have_no_memory_model_line_and_replay(void);
int determinism_weak_traces_replay_to_the_same_signature(void);

#endif

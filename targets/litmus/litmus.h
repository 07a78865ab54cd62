/* Litmus tests as lockstep targets: the memory-model conformance table.
 *
 * Each test is one scenario from the kernel's tools/memory-model/litmus-tests/ (or its
 * documentation), written with lockstep's accessors: thread Pn runs as task "Pn" on CPU n, shared
 * variables start at 0, and the test's `exists` clause is checked after every execution.  Through
 * `lockstep run|fuzz|explore litmus/NAME` an execution that satisfies it is an invariant finding;
 * `lockstep litmus` explores every test under every memory model and compares what it finds with
 * the verdict the test states up front: herd7's under LKMM for `relaxed`, x86-TSO's for `tso`,
 * and sequential consistency's for `sc`.
 */
#ifndef LS_LITMUS_H
#define LS_LITMUS_H

#include <stdbool.h>

#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum ls_litmus_result { LS_LITMUS_NEVER, LS_LITMUS_SOMETIMES, LS_LITMUS_ALWAYS };

struct ls_litmus {
	const struct ls_target *target;		/* "litmus/NAME", one variant: "exists" */
	bool (*exists)(void);			/* the final condition, over registers and memory */
	const char *exists_text;		/* as the litmus file writes it */
	/* Expected verdicts: [LS_MEM_SC], [LS_MEM_TSO] (x86-TSO), [LS_MEM_RELAXED] (LKMM). */
	enum ls_litmus_result expect[3];
	/* Where lockstep's relaxed model gives another verdict than LKMM: that verdict and why
	 * (sched/memory.c says where the model is stronger or weaker); NULL when they agree. */
	const char *differs;
	enum ls_litmus_result relaxed;		/* lockstep's own verdict when differs is set */
};

extern const struct ls_litmus *const ls_litmus_tests[];
extern const int ls_nlitmus;

/* The litmus test whose target is named name ("litmus/SB+poonceonces"), or NULL. */
const struct ls_litmus *ls_litmus_find(const char *name);
const char *ls_litmus_result_name(enum ls_litmus_result r);

#endif

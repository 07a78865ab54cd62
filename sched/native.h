/* The native runtime's interface to `lockstep stress` (src/campaign/stress.c).
 *
 * The stress command forks a child that runs a target on real threads (native.c) and watches it
 * from the parent.  They share one page, struct ls_native_shared: the child counts the rounds it
 * finishes and writes the first finding; the parent declares a hang when the count stops moving
 * and asks the child's reporter thread to describe where every context is.
 */
#ifndef LS_NATIVE_RUNTIME_H
#define LS_NATIVE_RUNTIME_H

#include <stdint.h>

#include <lockstep/target.h>

#define LS_NATIVE_TEXT 4096

struct ls_native_shared {
	/* Written by the child. */
	uint64_t rounds;		/* executions finished */
	uint64_t start_ns;		/* CLOCK_MONOTONIC when the first round began */
	uint64_t other[LS_KIND_COUNT];	/* findings that are not bugs for the variant, by kind */
	uint64_t stalls_discarded;	/* stalls in rounds where the host descheduled a thread */
	uint64_t max_round_ns;		/* the longest round so far */
	int threads;			/* task threads */
	int pinned;			/* threads pinned to a core of their own */
	/* The first bug the child saw itself (a failed check, a stall); kind 0 while none. */
	int kind;
	uint64_t found_ns;		/* since start_ns */
	uint64_t found_round;
	char text[LS_NATIVE_TEXT];	/* signature on the first line, then details */
	/* Parent -> child. */
	int stop;			/* finish the current round and exit */
	int report_req;			/* futex: 1 asks the reporter for a hang report */
	/* Child -> parent, in answer to report_req. */
	int report_done;		/* futex: 1 when report holds the answer */
	int report_kind;		/* LS_KIND_DEADLOCK (everything waits) or LS_KIND_STALL */
	char report[LS_NATIVE_TEXT];
};

/* Exit statuses of the child. */
#define LS_NATIVE_EXIT_CLEAN 0
#define LS_NATIVE_EXIT_FOUND 1
#define LS_NATIVE_EXIT_ERROR 3

/* Runs rounds of target:variant on one thread per task until sh->stop or a bug; returns the
 * child's exit status.  Runs in the forked child only: it installs signal handlers and timers.
 * reset() runs before each round's init(): the layer above resets its objects there (the model
 * library's, ls_model_reset()), which this layer does not know. */
int ls_native_child(const struct ls_target *t, int variant, struct ls_native_shared *sh,
		    uint64_t seed, void (*reset)(void));

#endif

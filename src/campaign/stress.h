/* The baseline of `lockstep stress` (stress.c explains it): a target's code on real threads in
 * lockstep-stress, watched for hangs. */
#ifndef LS_CAMPAIGN_STRESS_H
#define LS_CAMPAIGN_STRESS_H

#include <stdbool.h>
#include <stdint.h>

#include <lockstep/target.h>

#include "common.h"
#include "../../sched/native.h"

struct ls_stress_opts {
	const char *spec;		/* TARGET[:VARIANT], in-tree */
	double time_s;			/* stop after this long */
	double watchdog_s;		/* a hang: no round for this long (at least 4x the longest) */
	uint64_t seed;
};

struct ls_stress_result {
	const struct ls_target *t;
	int variant;
	const struct ls_native_shared *sh;	/* the child's page: threads, counts, report */
	enum ls_kind kind;		/* what ended the run, LS_KIND_NONE: nothing */
	bool found;			/* kind is a bug for the variant */
	const char *text;		/* its report, NULL if none */
	const char *signature;		/* the report's first line */
	bool hang;			/* declared by the watchdog: */
	double hang_period, hang_since;
	double found_s;
	uint64_t found_round;		/* 1-based */
	double elapsed_s;
	uint64_t rounds;
};

struct ls_stress_hooks {
	void *arg;
	void (*summary)(void *arg, const struct ls_stress_result *r);
};

/* Runs the target in lockstep-stress until the first bug or so->time_s.  Returns LS_EXIT_FOUND
 * if it found a bug for the variant, else LS_EXIT_CLEAN; dies with exit 2 on an unknown or
 * out-of-tree target, 3 if the child fails. */
int ls_stress_run(const struct ls_stress_opts *o, const struct ls_stress_hooks *h);

#endif

/* One execution of a target from a fuzzer's input bytes: the function every fuzz entry point
 * (libfuzzer.c, afl.c) calls, and the interleaving coverage it can feed the fuzzer. */
#ifndef LS_HARNESS_H
#define LS_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "exec.h"

/* Chooses the target once per process: spec is TARGET[:VARIANT] (the entry points read it from
 * $LOCKSTEP_TARGET).  Also reads $LOCKSTEP_LOCKDEP (on, the default, off or compat) and
 * $LOCKSTEP_INTERLEAVING_COVERAGE (1, the default, or 0).  A bad spec or value prints one line
 * on stderr and exits 2. */
void ls_harness_init(const char *spec);
/* The spec of the empty harness: every input is accepted and nothing runs.  The rate benchmark
 * measures a fuzzer's own speed with it. */
#define LS_HARNESS_EMPTY "empty"
/* Set in the environment: ls_harness_init() exits 0 once the target is loaded (exit 2 or 3
 * with one line on stderr if it cannot be). */
#define LS_HARNESS_CHECK "LOCKSTEP_HARNESS_CHECK"

/* Where interleaving coverage goes: n counters (a power of two), bumped at scheduling points;
 * NULL turns it off.  The entry point owns the memory (libFuzzer's extra counters, AFL++'s map). */
void ls_harness_set_counters(uint8_t *counters, size_t n);

/* Runs one execution whose decisions are decoded from data; fills r.  Deterministic: the same
 * bytes give the same decisions and outcome, whatever ran before (the lock validator forgets
 * the earlier executions).  Returns whether the outcome is a bug for the variant. */
bool ls_harness_exec(const uint8_t *data, size_t len, struct ls_result *r);

/* ls_harness_exec(); on a bug prints the finding's signature and the command that turns the
 * input into a trace on stderr and abort()s, so the fuzzer keeps the input as a crash.
 * Returns 0 otherwise. */
int ls_harness_run(const uint8_t *data, size_t len);

/* The target and variant chosen, "demo/abba:buggy", and the replay options the mode implies
 * ("" or " --no-lockdep" or " --lockdep-compat"). */
const char *ls_harness_spec(void);
const char *ls_harness_replay_opts(void);

#endif

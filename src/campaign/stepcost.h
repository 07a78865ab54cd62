/* What a scheduler step costs beside a bare fiber switch: the measurement `lockstep bench` runs
 * in-process and bench/sched_bench.c (lockstep-bench) tabulates. */
#ifndef LS_STEPCOST_H
#define LS_STEPCOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* After one warm-up, `reps` timings of ns per one-way switch between two fibers that ping-pong
 * `rounds` times.  False, with the reason in err, if their stacks cannot be mapped. */
bool ls_stepcost_fiber(long rounds, int reps, double *ns, char *err, size_t errlen);

/* After one full-size warm-up, `reps` timings of ns per scheduling point of one execution:
 * staying (one task doing `points` points, every point keeps the default) or switching (two
 * tasks on two CPUs, `points` each, every point switches to the other).  *steps and
 * *preemptions are the last repetition's.  False, with the reason in err, on failure. */
bool ls_stepcost_steps(bool switching, long points, int reps, double *ns, uint64_t *steps,
		       uint64_t *preemptions, char *err, size_t errlen);

#endif

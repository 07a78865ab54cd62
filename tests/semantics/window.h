/* The window at the end of a long critical section: the case that needs time to pass while a
 * CPU could run (the "slow" choice, sched/clock.c).  Shared by the semantics suite's time and
 * trace cases and by benchmarks; window.c states the scenario and its expected result. */
#ifndef LS_TESTS_SEMANTICS_WINDOW_H
#define LS_TESTS_SEMANTICS_WINDOW_H

#include <lockstep/target.h>

enum { WINDOW_VARIANT_WINDOW };

/* "semantics/window", one variant, "window", expecting LS_KIND_INVARIANT. */
extern const struct ls_target semantics_window_target;

#endif

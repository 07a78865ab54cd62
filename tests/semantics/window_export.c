/* The window scenario (window.c) as a shared object, for the command-line cases of
 * test_trace_cli.sh: `lockstep fuzz path/semantics_window.so:window`. */
#include "window.h"

LS_TARGET_EXPORT(semantics_window_target);

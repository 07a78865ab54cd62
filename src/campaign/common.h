/* What every command and campaign shares: exit codes, errors, stop signals, wall time, child
 * commands, and the inputs and outputs a command line names. */
#ifndef LS_CAMPAIGN_COMMON_H
#define LS_CAMPAIGN_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../buf.h"

/* Exit codes, the contract every command keeps. */
enum {
	LS_EXIT_CLEAN = 0,	/* nothing found; for replay: reproduced */
	LS_EXIT_FOUND = 1,	/* a bug was found; for replay: diverged */
	LS_EXIT_USAGE = 2,	/* bad usage or input */
	LS_EXIT_INTERNAL = 3,	/* internal error */
};

/* The program name errors start with ("lockstep"). */
extern const char *ls_prog;
/* Prints "lockstep: MESSAGE" on one line (control characters as \xNN) and exits with code. */
_Noreturn void ls_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


/* SIGINT or SIGTERM, once ls_catch_stop_signals() installed the handler that records it; 0
 * until then.  Long-running commands poll it, finish what they reported and print a summary. */
extern volatile sig_atomic_t ls_stop_signal;
void ls_catch_stop_signals(void);
/* Seconds of CLOCK_MONOTONIC: progress lines and wall-time budgets only, never a trace. */
double ls_wall_s(void);
/* The path of this lockstep executable (for child commands and the fuzz/ harnesses beside it);
 * dies with exit 3 if /proc/self/exe cannot be read. */
void ls_self_exe(char *buf, size_t len);
/* The internal executable NAME (lockstep-stress, lockstep-afl, lockstep-libfuzzer): in a build
 * tree beside this executable (in build_subdir, NULL for none), or where `meson install` puts
 * it, PREFIX/libexec/lockstep, found relative to this executable.  False if neither exists
 * (buf then holds the installed path, for the message). */
bool ls_internal_exe(const char *name, const char *build_subdir, char *buf, size_t len);
/* Dies with exit 2 and one line if path (NULL: nothing to check) cannot be written as option's
 * output, before the work that produces it (findings.h, ls_output_check()). */
void ls_output_or_die(const char *cmd, const char *option, const char *path);
/* Runs argv in its own process group (in dir, also its TMPDIR, unless NULL), its stdout
 * collected into out and its stderr into errpath; kills the group after limit_s.  Returns the
 * exit code, -1 if it was killed or died by a signal; *wall is how long it ran. */
int ls_run_child(char *const *argv, const char *dir, double limit_s, const char *errpath,
		 struct ls_buf *out, double *wall);
/* Dies with exit 2 unless dir (NULL: none) is a place for findings: new, an empty directory, or
 * one that already holds findings (an index or a trace); force accepts any writable directory. */
void ls_out_dir_or_die(const char *dir, bool force);
/* Reads an input file named on the command line (findings.h, ls_read_input()); dies with exit 2
 * and one line if it is not a regular file of at most LS_INPUT_MAX_BYTES. */
char *ls_input_or_die(const char *path, size_t *len);
/* Whether an input's text is a trace (it starts as one) rather than a raw fuzzer input. */
bool ls_input_is_trace(const char *text, size_t len);

/* The last line of the file at path (a child's last word on stderr), after prefix and ": ";
 * just prefix if the file is empty or unreadable. */
void ls_last_line(const char *path, const char *prefix, char *out, size_t n);
/* Removes dir and everything below it (a scratch directory); false if dir is still there. */
bool ls_remove_tree(const char *dir);

#endif

/* What the subcommands share: option tables, errors, execution options, findings, JSON. */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../buf.h"
#include "../exec.h"

/* Exit codes, the contract every command keeps. */
enum {
	LS_EXIT_CLEAN = 0,	/* nothing found; for replay: reproduced */
	LS_EXIT_FOUND = 1,	/* a bug was found; for replay: diverged */
	LS_EXIT_USAGE = 2,	/* bad usage or input */
	LS_EXIT_INTERNAL = 3,	/* internal error */
};

enum ls_opt_type { LS_OPT_FLAG, LS_OPT_STR, LS_OPT_U64, LS_OPT_F64 };

/* One command-line option: the same entry drives parsing and --help. */
struct ls_opt {
	const char *name;	/* without the leading "--" */
	enum ls_opt_type type;
	const char *metavar;
	const char *help;
	void *dest;		/* bool, const char *, uint64_t or double */
	bool *seen;		/* optional: set when given */
};

struct ls_cmd {
	const char *name;
	const char *args;	/* positional arguments, for usage */
	const char *summary;
	int (*run)(int argc, char **argv);
};

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
/* Reads an input file named on the command line (findings.h, ls_read_input()); dies with exit 2
 * and one line if it is not a regular file of at most LS_INPUT_MAX_BYTES. */
char *ls_input_or_die(const char *path, size_t *len);
/* Whether an input's text is a trace (it starts as one) rather than a raw fuzzer input. */
bool ls_input_is_trace(const char *text, size_t len);
struct ls_trace;
/* Parses the trace in text (read from file) and finds its target and variant; dies with exit 2
 * and one line on any error.  Nothing is loaded because the trace says so: a trace of a shared
 * object needs the object named by target_opt (--target FILE.so[:VARIANT]), whose content hash
 * must be the trace's target-hash; a trace of an in-tree target takes no --target but its own
 * name. */
void ls_trace_open(const char *file, const char *text, size_t len, const char *target_opt,
		   struct ls_trace *t, const struct ls_target **target, int *variant);
/* The last line of a command's output that starts with '{' (its --json summary); NULL if none. */
const char *ls_last_json(const char *text);

/* Parses argv (after the command name) against opts, terminated by a zero entry.  Positional
 * arguments go to pos (at most maxpos).  --help prints the command's help and exits 0; a bad
 * option dies with exit 2. */
int ls_parse(const struct ls_cmd *cmd, const struct ls_opt *opts, int argc, char **argv,
	     char **pos, int maxpos);

/* Options every executing command takes. */
struct ls_exec_opts {
	uint64_t seed;
	struct ls_config cfg;
	double p_switch, p_slow, p_irq;
	const char *out;
	bool json, quiet;
	bool lockdep_compat, no_lockdep;
	bool force;		/* --force: --out may be a directory of something else */
	const char *engine;	/* LS_ENGINE_OPTS: the decision source, ls_engine_init() */
	uint64_t pct_depth;
	uint64_t slow;		/* --slow: cfg.slow_budget, checked */
	double hang_s;		/* an execution's wall-time limit, 0: ls_hang_timeout()'s default */
};
void ls_exec_opts_default(struct ls_exec_opts *o);
/* Dies with exit 2 on a bad value; applies the ones parsed apart (--slow). */
void ls_exec_opts_check(struct ls_exec_opts *o);
/* Dies with exit 2 unless dir (NULL: none) is a place for findings: new, an empty directory, or
 * one that already holds findings (an index or a trace); force accepts any writable directory. */
void ls_out_dir_or_die(const char *dir, bool force);

#define LS_EXEC_OPTS(o)                                                                          \
	{ "seed", LS_OPT_U64, "N", "seed of the (first) execution", &(o).seed, NULL },           \
	{ "p-switch", LS_OPT_F64, "P", "random walk: probability of a switch at a point",        \
	  &(o).p_switch, NULL },                                                                 \
	{ "p-slow", LS_OPT_F64, "P",                                                             \
	  "random walk: probability that the running CPUs are slow while time passes",           \
	  &(o).p_slow, NULL },                                                                   \
	{ "p-irq", LS_OPT_F64, "P", "random walk: probability of injecting an interrupt",        \
	  &(o).p_irq, NULL },                                                                    \
	{ "slow", LS_OPT_U64, "N",                                                               \
	  "at most N times per execution, the running CPUs fall behind while time passes to the " \
	  "next delay or timeout", &(o).slow, NULL },                                            \
	{ "step-limit", LS_OPT_U64, "N", "end an execution as a stall after N steps",            \
	  &(o).cfg.step_limit, NULL },                                                           \
	{ "time-limit-ns", LS_OPT_U64, "NS", "end an execution as a stall at this virtual time", \
	  &(o).cfg.time_limit_ns, NULL },                                                        \
	{ "out", LS_OPT_STR, "DIR", "where findings are written", &(o).out, NULL },              \
	{ "force", LS_OPT_FLAG, NULL,                                                            \
	  "write findings into --out even when it is a non-empty directory of something else",   \
	  &(o).force, NULL },                                                                    \
	{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output",          \
	  &(o).json, NULL },                                                                     \
	{ "quiet", LS_OPT_FLAG, NULL, "print no reports, only the summary", &(o).quiet, NULL },   \
	{ "lockdep-compat", LS_OPT_FLAG, NULL,                                                   \
	  "validate locks as the kernel's lockdep does: blind inside NMIs",                     \
	  &(o).lockdep_compat, NULL },                                                           \
	{ "no-lockdep", LS_OPT_FLAG, NULL, "turn the lock validator off (hangs are still found)", \
	  &(o).no_lockdep, NULL }

/* The options of commands that draw decisions (run, fuzz): which engine, and the hang timeout
 * of the child that runs target code. */
#define LS_ENGINE_OPTS(o)                                                                        \
	{ "engine", LS_OPT_STR, "NAME", "decision source: random or pct (fuzz: also libfuzzer or afl)", &(o).engine, NULL },  \
	{ "pct-depth", LS_OPT_U64, "D", "pct: the bug depth d (priority change points + 1)",    \
	  &(o).pct_depth, NULL },                                                                \
	{ "hang-timeout", LS_OPT_F64, "S",                                                       \
	  "kill an execution after S s of wall time, a crash: hang (0: 10 s, 10 us per step "    \
	  "if more)", &(o).hang_s, NULL },                                                       \
	LS_RSS_OPT

extern uint64_t ls_rss_limit_mb;	/* crash.h */
/* --rss-limit-mb, for every command that runs target code in a child (crash.h). */
#define LS_RSS_OPT                                                                               \
	{ "rss-limit-mb", LS_OPT_U64, "MB",                                                      \
	  "kill a process running target code that holds more than MB of memory, a crash: out "  \
	  "of memory (0: no limit)", &ls_rss_limit_mb, NULL }

/* "random p-switch 0.1 p-slow 0.02 p-irq 0.05": the trace's strategy line. */
void ls_random_label(const struct ls_exec_opts *o, char *buf, size_t n);

/* The decision source of an execution, chosen by name in this one place: the strategy and the
 * text of the trace's strategy line.  st points into the struct: do not copy it. */
enum ls_engine_kind { LS_ENGINE_RANDOM, LS_ENGINE_PCT };
struct ls_engine {
	enum ls_engine_kind kind;
	struct ls_strategy *st;
	char label[128];
	union {
		struct ls_random random;
		struct ls_pct pct;
	} u;
};
/* Sets e up for o->engine; dies with exit 2 on an unknown engine. */
void ls_engine_init(struct ls_engine *e, const struct ls_exec_opts *o);

/* Parses TARGET[:VARIANT] and creates the session with the options' validator mode, dying with
 * exit 2 or 3 on failure. */
void ls_open_session(const char *spec, const struct ls_exec_opts *o, struct ls_session *s);

/* Saves the session's last execution as a finding in dir unless that signature's trace is already
 * there.  Fills path with the trace path; the report is written to `report` (replay line
 * included).  Returns true if new files were written.  Dies with exit 3 on I/O failure. */
bool ls_save_finding(struct ls_session *s, const struct ls_result *r, const char *strategy,
		     const char *dir, char *path, size_t pathlen, struct ls_buf *report);
/* What ls_save_finding() writes, without writing it: the trace path in dir, the report (replay
 * line included) and the trace (earlier executions a validator finding cites included). */
void ls_render_finding(struct ls_session *s, const struct ls_result *r, const char *strategy,
		       const char *dir, char *path, size_t pathlen, struct ls_buf *report,
		       struct ls_buf *trace);
/* Writes a finding's report and then its trace (path ends in .trace), each atomically; creates
 * the directory.  Dies with exit 3 on I/O failure. */
void ls_write_finding(const char *path, const struct ls_buf *report, const struct ls_buf *trace);
/* The same, returning false with errno set instead of dying (a campaign goes on when the disk is
 * full); a report whose trace could not be written is removed. */
bool ls_try_write_finding(const char *path, const struct ls_buf *report,
			  const struct ls_buf *trace);
/* Adds `hits` to the row of the trace at path in its directory's README.md and index.tsv
 * (findings.h), as `run` does for the finding it saved.  Dies with exit 3 on I/O failure. */
void ls_note_finding(const char *path, uint64_t hits);
/* The JSON fields of a finding's validator report (",\"lockdep\":{...}"), if it has one. */
void ls_json_lockdep(struct ls_buf *b, const struct ls_session *s, const struct ls_result *r);

/* JSON string with escapes, quotes included. */
void ls_json_str(struct ls_buf *b, const char *s);

extern const char *ls_prog;
const struct ls_cmd *ls_cmd_lookup(const char *name);

int ls_cmd_list(int argc, char **argv);
int ls_cmd_run(int argc, char **argv);
int ls_cmd_fuzz(int argc, char **argv);
int ls_cmd_replay(int argc, char **argv);
int ls_cmd_explore(int argc, char **argv);
int ls_cmd_minimize(int argc, char **argv);
int ls_cmd_stress(int argc, char **argv);
int ls_cmd_bench(int argc, char **argv);
int ls_cmd_check(int argc, char **argv);

#endif

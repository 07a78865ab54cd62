/* What the subcommands share: option tables, errors, execution options, findings, JSON. */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../campaign/common.h"
#include "../campaign/json.h"
#include "../campaign/session.h"
#include "../campaign/crash.h"	/* ls_rss_limit_mb */

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


/* Parses argv (after the command name) against opts, terminated by a zero entry.  Positional
 * arguments go to pos (at most maxpos).  --help prints the command's help and exits 0; a bad
 * option dies with exit 2. */
int ls_parse(const struct ls_cmd *cmd, const struct ls_opt *opts, int argc, char **argv,
	     char **pos, int maxpos);

/* Dies with exit 2 on a bad value; applies the ones parsed apart (--slow). */
void ls_exec_opts_check(struct ls_exec_opts *o);

/* The memory model (sched/memory.c), for every command that executes. */
#define LS_MEMORY_OPTS(o)                                                                        \
	{ "memory-model", LS_OPT_STR, "MODEL",                                                   \
	  "sc (every access in order), tso (x86 store buffers) or relaxed (arm64-like, LKMM)",   \
	  &(o).memory_model, NULL },                                                             \
	{ "compiler-reorder", LS_OPT_FLAG, NULL,                                                 \
	  "the compiler may hold back and reorder plain stores (PLAIN_WRITE)",                   \
	  &(o).cfg.compiler_reorder, NULL },                                                     \
	{ "reorder-budget", LS_OPT_U64, "N",                                                     \
	  "at most N memory-model choices (drain, emit, old) per execution",                    \
	  &(o).reorder_budget, NULL }

/* A kernel tree whose locking files replace the hand models (docs/kernel-source.md). */
#define LS_KERNEL_OPTS(o)                                                                        \
	{ "kernel-tree", LS_OPT_STR, "PATH",                                                     \
	  "run the kernel's own qspinlock.c, llist.c, irq_work.c and rqspinlock.c from this "   \
	  "source tree, compiled against "                                                     \
	  "lockstep's shims", &(o).kernel_tree, NULL }

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
	LS_MEMORY_OPTS(o),                                                                       \
	LS_KERNEL_OPTS(o),                                                                       \
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

/* --rss-limit-mb, for every command that runs target code in a child (crash.h). */
#define LS_RSS_OPT                                                                               \
	{ "rss-limit-mb", LS_OPT_U64, "MB",                                                      \
	  "kill a process running target code that holds more than MB of memory, a crash: out "  \
	  "of memory (0: no limit)", &ls_rss_limit_mb, NULL }




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
int ls_cmd_ksrc(int argc, char **argv);
int ls_cmd_litmus(int argc, char **argv);

#endif

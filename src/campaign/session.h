/* Sessions as the commands open them: the execution options, the decision source, the target,
 * and saving what an execution found into a findings directory. */
#ifndef LS_CAMPAIGN_SESSION_H
#define LS_CAMPAIGN_SESSION_H

#include "common.h"
#include "../exec.h"

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
	const char *memory_model;	/* --memory-model: cfg.memory_model, checked */
	uint64_t reorder_budget;	/* --reorder-budget: cfg.reorder_budget, checked */
	const char *kernel_tree;	/* --kernel-tree: loaded by ls_exec_opts_check() */
};
void ls_exec_opts_default(struct ls_exec_opts *o);


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

/* Saves the session's last execution as a finding in dir unless the trace there of its bug is at
 * least as small (ls_finding_kept_over()).  Fills path with the trace path; the report is written to `report` (replay line
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
 * (findings.h), and to its placement `signature`, as `run` does for the finding it saved.  Dies
 * with exit 3 on I/O failure. */
void ls_note_finding(const char *path, const char *signature, uint64_t hits);
/* The JSON fields of a finding's bug (",\"bug_hash\":...,\"title\":...,\"identity\":..."), if
 * it is one. */
void ls_json_bug(struct ls_buf *b, const struct ls_result *r);
/* The JSON fields of a finding's validator report (",\"lockdep\":{...}"), if it has one. */
void ls_json_lockdep(struct ls_buf *b, const struct ls_session *s, const struct ls_result *r);

struct ls_trace;
/* Parses the trace in text (read from file) and finds its target and variant; dies with exit 2
 * and one line on any error.  Nothing is loaded because the trace says so: a trace of a shared
 * object needs the object named by target_opt (--target FILE.so[:VARIANT]), whose content hash
 * must be the trace's target-hash; a trace of an in-tree target takes no --target but its own
 * name.  Likewise a trace recorded with --kernel-tree needs kernel_opt, the tree, whose files
 * must hash to the trace's kernel-source; a trace of the hand models refuses one. */
void ls_trace_open(const char *file, const char *text, size_t len, const char *target_opt,
		   const char *kernel_opt, struct ls_trace *t, const struct ls_target **target,
		   int *variant);

#endif

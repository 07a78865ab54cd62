/* lockstep explore: bounded-exhaustive search of one target variant (sched/dfs.c).
 *
 * Runs every schedule with at most --preemptions preemptions, --nmis interrupt injections and
 * --slow slows (the running CPUs falling behind while time passes, sched/clock.c), skipping schedules that only reorder independent operations unless --no-por, and stops at the
 * first bug: its report and trace are written as `run` writes them, and the command exits 1.  A
 * search that runs out (no bug) exits 0 and says within which bounds; one stopped by
 * --max-schedules or a signal says it is incomplete.  A finding the variant does not count as a
 * bug (an averted deadlock, say) is saved once per signature and the search goes on.
 *
 * Execution i of a search runs with seed i.  A validator finding that cites earlier executions
 * needs their decisions in its trace; the search does not keep them, so they are recovered by
 * running the same search again, in a fresh session, up to the last execution cited. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "expect.h"
#include "../trace.h"

#define MAX_EXPECTED 64	/* expected-behaviour signatures told apart; later ones are saved again */


/* ---- decisions of executions a finding cites ------------------------------------------- */

/* Replays, for each seed it holds, the decisions that execution made: what ls_save_finding()
 * runs again for a finding's prior executions. */
struct recall {
	struct ls_strategy base;
	struct ls_replay replay;
	int n;
	uint64_t seed[LS_TRACE_MAX_PRIOR];
	struct ls_decision *d[LS_TRACE_MAX_PRIOR];
	size_t nd[LS_TRACE_MAX_PRIOR];
};

static void recall_begin(struct ls_strategy *st, uint64_t seed)
{
	struct recall *rc = (struct recall *)st;
	int i = 0;
	while (i < rc->n && rc->seed[i] != seed)
		i++;
	if (i == rc->n)
		ls_die(LS_EXIT_INTERNAL, "explore: execution %" PRIu64 " was not recovered", seed);
	ls_replay_init(&rc->replay, rc->d[i], rc->nd[i]);
	rc->replay.base.begin(&rc->replay.base, seed);
}

static int recall_choose(struct ls_strategy *st, struct ls_point *pt)
{
	struct recall *rc = (struct recall *)st;
	return rc->replay.base.choose(&rc->replay.base, pt);
}

/* Runs the search cfg again in a fresh session up to the last execution r cites, keeping the
 * decisions of those it cites. */
static void recall_priors(const char *spec, const struct ls_exec_opts *o,
			  const struct ls_dfs_config *cfg, const struct ls_result *r,
			  struct recall *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->base.name = "dfs";
	rc->base.begin = recall_begin;
	rc->base.choose = recall_choose;
	uint64_t last = 0;
	for (int i = 0; i < r->nprior && i < LS_TRACE_MAX_PRIOR; i++) {
		rc->seed[rc->n++] = r->prior_seed[i];
		if (r->prior_seed[i] > last)
			last = r->prior_seed[i];
	}
	struct ls_session s;
	struct ls_dfs d;
	struct ls_result rr;
	char err[200];
	ls_open_session(spec, o, &s);
	if (!ls_dfs_init(&d, cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "explore: %s", err);
	while (ls_dfs_next(&d) && d.exec <= last) {
		ls_session_run(&s, &d.base, d.exec, &rr);
		for (int i = 0; i < rc->n; i++) {
			if (rc->seed[i] != d.exec)
				continue;
			size_t n = s.m->nlog;
			rc->d[i] = malloc((n ? n : 1) * sizeof(*rc->d[i]));
			if (!rc->d[i])
				ls_die(LS_EXIT_INTERNAL, "out of memory");
			memcpy(rc->d[i], s.m->log, n * sizeof(*rc->d[i]));
			rc->nd[i] = n;
		}
	}
	for (int i = 0; i < rc->n; i++)
		if (!rc->d[i])
			ls_die(LS_EXIT_INTERNAL, "explore: could not recover execution %" PRIu64,
			       rc->seed[i]);
	ls_dfs_finish(&d);
	ls_session_finish(&s);
}

static void recall_free(struct recall *rc)
{
	for (int i = 0; i < rc->n; i++)
		free(rc->d[i]);
}

/* ls_save_finding() for the search's last execution, whose prior executions (if it cites any)
 * are recovered first: the session's strategy is the search, which cannot run them again. */
static bool save(struct ls_session *s, const struct ls_result *r, const char *spec,
		 const struct ls_exec_opts *o, const struct ls_dfs_config *cfg, const char *label,
		 char *path, size_t pathlen, struct ls_buf *report)
{
	struct recall rc = { .n = 0 };
	struct ls_strategy *search = s->strategy;
	if (r->nprior) {
		recall_priors(spec, o, cfg, r, &rc);
		s->strategy = &rc.base;
	}
	ls_buf_reset(report);
	bool fresh = ls_save_finding(s, r, label, o->out, path, pathlen, report);
	ls_note_finding(path, 1);	/* the directory's README.md and index.tsv */
	s->strategy = search;
	recall_free(&rc);
	return fresh;
}

/* ---- the command ------------------------------------------------------------------------- */

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void progress(const struct ls_dfs *d, double elapsed, bool tty)
{
	fprintf(stderr, "%sexplore: %" PRIu64 " schedules, %" PRIu64 " pruned, %.0f executions/s, "
			"%.1f s%s",
		tty ? "\r" : "", d->schedules, d->pruned,
		elapsed > 0 ? (double)d->executions / elapsed : 0.0, elapsed, tty ? "   " : "\n");
	fflush(stderr);
}

static void parse_shard(const char *s, struct ls_dfs_config *cfg)
{
	unsigned i, n;
	int used = 0;
	if (sscanf(s, "%u/%u%n", &i, &n, &used) != 2 || s[used] || s[0] == '-' || n == 0 ||
	    i >= n || n > 1000000)
		ls_die(LS_EXIT_USAGE, "explore: --shard expects I/N with 0 <= I < N, got '%s'", s);
	cfg->shard_i = i;
	cfg->shard_n = n;
}

int ls_cmd_explore(int argc, char **argv)
{
	struct ls_exec_opts o;
	uint64_t k = 2, nmis = 1, max_schedules = 0, max_depth = LS_DFS_DEFAULT_DEPTH;
	bool no_por = false;
	const char *shard = NULL;
	ls_exec_opts_default(&o);
	o.slow = 1;
	const struct ls_opt opts[] = {
		{ "preemptions", LS_OPT_U64, "K", "explore every schedule with at most K preemptions",
		  &k, NULL },
		{ "nmis", LS_OPT_U64, "N", "and at most N injected interrupts (NMIs and hardirqs)",
		  &nmis, NULL },
		{ "slow", LS_OPT_U64, "S",
		  "and at most S times the running CPUs fall behind while time passes to the next "
		  "delay or timeout",
		  &o.slow, NULL },
		{ "no-por", LS_OPT_FLAG, NULL,
		  "no partial-order reduction: also run schedules that only reorder independent "
		  "operations",
		  &no_por, NULL },
		{ "shard", LS_OPT_STR, "I/N",
		  "explore part I of N (0 <= I < N); the N parts cover the search with no overlap",
		  &shard, NULL },
		{ "max-schedules", LS_OPT_U64, "M",
		  "stop after M executions (explored or abandoned by the reduction) and report the "
		  "search incomplete; 0: no limit",
		  &max_schedules, NULL },
		{ "max-depth", LS_OPT_U64, "D", "scheduling points an execution may have",
		  &max_depth, NULL },
		{ "step-limit", LS_OPT_U64, "N", "end an execution as a stall after N steps",
		  &o.cfg.step_limit, NULL },
		{ "time-limit-ns", LS_OPT_U64, "NS", "end an execution as a stall at this virtual time",
		  &o.cfg.time_limit_ns, NULL },
		{ "out", LS_OPT_STR, "DIR", "where findings are written", &o.out, NULL },
		{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output",
		  &o.json, NULL },
		{ "quiet", LS_OPT_FLAG, NULL, "print no reports, only the summary", &o.quiet, NULL },
		{ "lockdep-compat", LS_OPT_FLAG, NULL,
		  "validate locks as the kernel's lockdep does: blind inside NMIs", &o.lockdep_compat,
		  NULL },
		{ "no-lockdep", LS_OPT_FLAG, NULL,
		  "turn the lock validator off (hangs are still found)", &o.no_lockdep, NULL },
		{ 0 },
	};
	char *pos[1];
	if (ls_parse(ls_cmd_lookup("explore"), opts, argc, argv, pos, 1) != 1)
		ls_die(LS_EXIT_USAGE, "explore: expected TARGET[:VARIANT] (see --help)");
	ls_exec_opts_check(&o);
	if (k > 1000 || nmis > 1000)
		ls_die(LS_EXIT_USAGE, "explore: --preemptions and --nmis must be at most 1000");
	if (max_depth == 0 || max_depth > (1u << 26))
		ls_die(LS_EXIT_USAGE, "explore: --max-depth must be between 1 and %u", 1u << 26);
	struct ls_dfs_config cfg = {
		.preemptions = (unsigned)k,
		.nmis = (unsigned)nmis,
		.por = !no_por,
		.max_depth = (uint32_t)max_depth,
	};
	if (shard)
		parse_shard(shard, &cfg);

	struct ls_session s;
	ls_open_session(pos[0], &o, &s);
	const struct ls_variant *var = &s.target->variants[s.variant];
	struct ls_dfs d;
	char err[200], label[128];
	if (!ls_dfs_init(&d, &cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "explore: %s", err);
	ls_dfs_label(&cfg, label, sizeof(label));

	ls_catch_stop_signals();

	bool tty = isatty(STDERR_FILENO);
	double start = ls_wall_s(), last = start, period = tty ? 0.25 : 10.0;
	struct ls_result r;
	struct ls_buf report = { 0 };
	char path[4200] = "";
	bool found = false, limited = false;
	uint64_t expected = 0, seen[MAX_EXPECTED];	/* distinct expected-behaviour signatures */

	while (!ls_stop_signal && ls_dfs_next(&d)) {
		if (max_schedules && d.schedules + d.abandoned >= max_schedules) {
			limited = true;
			break;
		}
		ls_session_run(&s, &d.base, d.exec, &r);
		ls_dfs_done(&d);
		if (d.owned && r.kind != LS_KIND_NONE) {
			if (ls_variant_bug(var, r.kind)) {
				found = true;
				break;
			}
			/* Expected behaviour for this variant: saved once per signature, the search
			 * goes on. */
			uint64_t n = expected < MAX_EXPECTED ? expected : MAX_EXPECTED, i = 0;
			while (i < n && seen[i] != r.hash)
				i++;
			if (i == n) {
				char p[4200];
				if (expected < MAX_EXPECTED)
					seen[expected] = r.hash;
				expected++;
				save(&s, &r, pos[0], &o, &cfg, label, p, sizeof(p), &report);
				if (!o.quiet)
					printf("explore: %s at execution %" PRIu64 " is expected behaviour "
					       "for this variant, not a bug: %s\n",
					       r.shape, d.exec, p);
			}
		}
		if ((d.executions & 63) == 0) {
			double t = ls_wall_s();
			if (t - last >= period) {
				progress(&d, t - start, tty);
				last = t;
			}
		}
	}
	double elapsed = ls_wall_s() - start;
	if (tty && elapsed >= period)
		progress(&d, elapsed, tty), fputc('\n', stderr);
	if (d.error[0] && !found)
		ls_die(LS_EXIT_USAGE, "explore: %s%s", d.error,
		       strstr(d.error, "depth limit") ? " (raise it with --max-depth)" : "");

	/* The validator's part of the JSON, before recovering prior executions runs them again. */
	struct ls_buf jl = { 0 };
	if (found) {
		ls_json_lockdep(&jl, &s, &r);
		save(&s, &r, pos[0], &o, &cfg, label, path, sizeof(path), &report);
		if (!o.quiet)
			fputs(report.s, stdout);
	}

	char shard_note[48] = "";
	if (cfg.shard_n > 1)
		snprintf(shard_note, sizeof(shard_note), "shard %u/%u: ", cfg.shard_i, cfg.shard_n);
	char bounds[128];
	snprintf(bounds, sizeof(bounds), "%u preemption%s, %u NMI%s and %u slow%s", cfg.preemptions,
		 plural(cfg.preemptions), cfg.nmis, plural(cfg.nmis), o.cfg.slow_budget,
		 plural(o.cfg.slow_budget));
	printf("%sexplored %" PRIu64 " schedule%s (%" PRIu64 " pruned): ", shard_note, d.schedules,
	       plural(d.schedules), d.pruned);
	if (found)
		printf("%s within %s: %s\n", r.shape, bounds, path);
	else if (limited || ls_stop_signal)
		printf("incomplete, stopped %s; no bug so far within %s\n",
		       ls_stop_signal ? "by a signal" : "at --max-schedules", bounds);
	else
		printf("no bug within %s\n", bounds);
	/* The search stops at the first bug: the expected kind, if found, is that one. */
	uint64_t first[LS_KIND_COUNT];
	for (int kind = 0; kind < LS_KIND_COUNT; kind++)
		first[kind] = LS_EXPECT_NOT_FOUND;
	if (found)
		first[r.kind] = d.exec;
	struct ls_expect ex;
	ls_expect_judge(var, first, d.schedules, "schedule", &ex);
	printf("%s\n", ex.text);

	if (o.json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"explore\",\"target\":");
		ls_json_str(&j, s.target->name);
		ls_buf_printf(&j, ",\"variant\":");
		ls_json_str(&j, var->name);
		ls_buf_printf(&j, ",\"strategy\":");
		ls_json_str(&j, label);
		ls_buf_printf(&j, ",\"preemptions\":%u,\"nmis\":%u,\"slow\":%u,\"por\":%s,\"shard\":",
			      cfg.preemptions, cfg.nmis, o.cfg.slow_budget, cfg.por ? "true" : "false");
		if (cfg.shard_n > 1)
			ls_buf_printf(&j, "\"%u/%u\"", cfg.shard_i, cfg.shard_n);
		else
			ls_buf_printf(&j, "null");
		ls_buf_printf(&j, ",\"schedules\":%" PRIu64 ",\"pruned\":%" PRIu64
				  ",\"abandoned\":%" PRIu64 ",\"executions\":%" PRIu64
				  ",\"complete\":%s,\"seconds\":%.3f,\"expected\":%" PRIu64 ",\"finding\":",
			      d.schedules, d.pruned, d.abandoned, d.executions,
			      found || limited || ls_stop_signal ? "false" : "true", elapsed, expected);
		if (found) {
			ls_buf_printf(&j, "{\"kind\":\"%s\",\"execution\":%" PRIu64 ",\"signature\":",
				      ls_kind_name(r.kind), d.exec);
			ls_json_str(&j, r.signature);
			ls_buf_printf(&j, ",\"hash\":\"%012llx\",\"trace\":", r.hash & 0xffffffffffffull);
			ls_json_str(&j, path);
			ls_buf_printf(&j, "%s}", jl.s ? jl.s : "");
		} else {
			ls_buf_printf(&j, "null");
		}
		ls_expect_json(&j, var, &ex);
		ls_buf_printf(&j, "}");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	ls_buf_finish(&jl);
	ls_buf_finish(&report);
	bool none = !found && d.executions == 0 && !ls_stop_signal;
	ls_dfs_finish(&d);
	ls_session_finish(&s);
	if (none)
		ls_die(LS_EXIT_INTERNAL, "explore: no schedule ran: the search is not a result");
	return found ? LS_EXIT_FOUND : LS_EXIT_CLEAN;
}

/* lockstep explore: the front end of the bounded-exhaustive search (src/campaign/explore.c
 * explains it): its options, the progress line and the summary. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../campaign/explore.h"

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void on_progress(void *arg, const struct ls_dfs *d, double elapsed)
{
	fprintf(stderr, "%sexplore: %" PRIu64 " schedules, %" PRIu64 " pruned, %.0f executions/s, "
			"%.1f s%s",
		*(const bool *)arg ? "\r" : "", d->schedules, d->pruned,
		elapsed > 0 ? (double)d->executions / elapsed : 0.0, elapsed, *(const bool *)arg ? "   " : "\n");
	fflush(stderr);
}

static void on_summary(void *arg, const struct ls_explore_result *res)
{
	bool fr_json = *((const bool *)arg + 1);
	const struct ls_dfs_config *cfg = res->cfg;
	const struct ls_variant *var = &res->s->target->variants[res->s->variant];
	char shard_note[48] = "";
	if (cfg->shard_n > 1)
		snprintf(shard_note, sizeof(shard_note), "shard %u/%u: ", cfg->shard_i, cfg->shard_n);
	char bounds[128];
	snprintf(bounds, sizeof(bounds), "%u preemption%s, %u NMI%s and %u slow%s", cfg->preemptions,
		 plural(cfg->preemptions), cfg->nmis, plural(cfg->nmis), res->slow,
		 plural(res->slow));
	printf("%sexplored %" PRIu64 " schedule%s (%" PRIu64 " pruned): ", shard_note, res->d->schedules,
	       plural(res->d->schedules), res->d->pruned);
	if (res->found)
		printf("%s within %s: %s", res->r->shape, bounds, res->path);
	else if (res->limited || res->stopped)
		printf("incomplete, stopped %s; %s within %s", res->stopped ? "by a signal" :
		       "at --max-schedules", res->crashed ? "crashes so far" : "no bug so far", bounds);
	else if (res->crashed)
		printf("crash within %s: %s", bounds, res->path);
	else
		printf("no bug within %s", bounds);
	if (res->crashed)
		printf(" (%" PRIu64 " execution%s crashed, %d signature%s)", res->crash_executions,
		       plural(res->crash_executions), res->crash_signatures,
		       res->crash_signatures == 1 ? "" : "s");
	printf("\n");
	printf("%s\n", res->expect.text);

	if (fr_json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"explore\",\"target\":");
		ls_json_str(&j, res->s->target->name);
		ls_buf_printf(&j, ",\"variant\":");
		ls_json_str(&j, var->name);
		ls_buf_printf(&j, ",\"strategy\":");
		ls_json_str(&j, res->label);
		ls_buf_printf(&j, ",\"preemptions\":%u,\"nmis\":%u,\"slow\":%u,\"por\":%s,\"shard\":",
			      cfg->preemptions, cfg->nmis, res->slow, cfg->por ? "true" : "false");
		if (cfg->shard_n > 1)
			ls_buf_printf(&j, "\"%u/%u\"", cfg->shard_i, cfg->shard_n);
		else
			ls_buf_printf(&j, "null");
		ls_buf_printf(&j, ",\"schedules\":%" PRIu64 ",\"pruned\":%" PRIu64
				  ",\"abandoned\":%" PRIu64 ",\"executions\":%" PRIu64
				  ",\"complete\":%s,\"seconds\":%.3f,\"expected\":%" PRIu64
				  ",\"crashes\":%" PRIu64 ",\"finding\":",
			      res->d->schedules, res->d->pruned, res->d->abandoned, res->d->executions,
			      res->found || res->limited || res->stopped ? "false" : "true",
			      res->elapsed_s, res->expected,
			      res->crash_executions);
		if (res->found || res->crashed) {
			ls_buf_printf(&j, "{\"kind\":\"%s\",\"execution\":%" PRIu64 ",\"signature\":",
				      ls_kind_name(res->r->kind),
			      res->found ? res->d->exec : res->first_crash_exec);
			ls_json_str(&j, res->r->signature);
			ls_buf_printf(&j, ",\"hash\":\"%012llx\",\"trace\":",
			      res->r->hash & 0xffffffffffffull);
			ls_json_str(&j, res->path);
			ls_buf_printf(&j, "%s}", res->found ? res->lockdep_json : "");
		} else {
			ls_buf_printf(&j, "null");
		}
		ls_expect_json(&j, var, &res->expect);
		ls_buf_printf(&j, "}");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
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
	bool no_por = false, in_process = false;
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
		LS_MEMORY_OPTS(o),
		LS_KERNEL_OPTS(o),
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
		{ "hang-timeout", LS_OPT_F64, "S",
		  "kill an execution after S s of wall time, a crash: hang (0: 10 s, 10 us per step "
		  "if more); the search goes on", &o.hang_s, NULL },
		LS_RSS_OPT,
		{ "in-process", LS_OPT_FLAG, NULL,
		  "run the target in this process, without a supervisor: a little faster, but a "
		  "target that crashes or hangs takes the command with it (for a debugger)",
		  &in_process, NULL },
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
	bool flags[2] = { isatty(STDERR_FILENO), o.json };	/* tty, json */
	struct ls_explore_opts eo = { o, pos[0], cfg, max_schedules, in_process };
	struct ls_explore_hooks h = { flags, flags[0], on_progress, on_summary };
	return ls_explore_run(&eo, &h);
}


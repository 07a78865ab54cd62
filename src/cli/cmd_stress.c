/* lockstep stress: the baseline.  The target's code runs on real threads, as a stress test runs
 * kernel code today, and a watchdog declares the hangs.
 *
 * The threads run in lockstep-stress, built beside this executable from the same model library
 * and targets compiled for real concurrency (sched/native.c says how CPUs, interrupts and waits
 * map onto threads, timers and signals).  This command checks the arguments, hands the child a
 * shared page (a memfd) and watches it:
 *   - the child counts finished rounds (executions); when the count has not moved for the
 *     watchdog period, that is a hang.  The child's reporter thread is asked where every context
 *     is and what it waits for, then the child is killed.  A hang counts as found when the
 *     watchdog fires: the time includes the watchdog period, as it would for a person watching
 *     a stress test (the kernel's own lockup detectors wait 10 to 20 s);
 *   - a failed check or model BUG and a stall are reported by the child itself;
 *   - a child that dies of a signal is a crash.
 * The run stops at the first bug for the variant, or after --time; nothing here is
 * deterministic, so a finding has no trace to replay: replay and minimize are the simulator's.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "../campaign/stress.h"

struct stress_opts {
	double time_s;
	double watchdog_s;
	uint64_t seed;
	bool json, quiet;
};

static void on_summary(void *arg, const struct ls_stress_result *r)
{
	const struct stress_opts *fr = arg;
	const struct ls_native_shared *sh = r->sh;
	const struct ls_variant *v = &r->t->variants[r->variant];
	if (r->text && !fr->quiet) {
		if (r->hang)
			printf("hang: no round finished for %.1f s (watchdog) since %.2f s, in round "
			       "%" PRIu64 "\n", r->hang_period, r->hang_since, r->found_round);
		fputs(r->text, stdout);
	}
	double rate = r->elapsed_s > 0 ? (double)r->rounds / r->elapsed_s : 0;
	printf("stress %s:%s: %d threads (%d pinned), %" PRIu64 " rounds in %.2f s (%.0f/s): ",
	       r->t->name, v->name, sh->threads, sh->pinned, r->rounds, r->elapsed_s, rate);
	if (r->kind != LS_KIND_NONE)
		printf("%s %s at %.2f s (round %" PRIu64 ")\n", ls_kind_name(r->kind),
		       r->found ? "found" : "seen (not a bug for this variant)", r->found_s,
		       r->found_round);
	else
		printf("nothing found\n");
	if (sh->stalls_discarded)
		printf("  (%" PRIu64 " stall%s not reported: the host descheduled a thread for at "
		       "least half the wait)\n", sh->stalls_discarded,
		       sh->stalls_discarded == 1 ? "" : "s");

	if (fr->json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"stress\",\"target\":");
		ls_json_str(&j, r->t->name);
		ls_buf_printf(&j, ",\"variant\":");
		ls_json_str(&j, v->name);
		ls_buf_printf(&j, ",\"engine\":\"stress\",\"seed\":%" PRIu64 ",\"threads\":%d,"
				  "\"pinned\":%d,\"watchdog_s\":%g,\"time_s\":%g,\"elapsed_s\":%.6f,"
				  "\"rounds\":%" PRIu64 ",\"rounds_per_s\":%.0f,"
				  "\"stopped_by_signal\":%s",
			      fr->seed, sh->threads, sh->pinned, fr->watchdog_s, fr->time_s, r->elapsed_s,
			      r->rounds,
			      rate, ls_stop_signal ? "true" : "false");
		if (r->found) {
			ls_buf_printf(&j, ",\"first_bug_kind\":\"%s\",\"first_bug_s\":%.6f,"
					  "\"first_bug_round\":%" PRIu64 ",\"signature\":",
				      ls_kind_name(r->kind), r->found_s, r->found_round);
			ls_json_str(&j, r->signature);
		} else {
			ls_buf_printf(&j, ",\"first_bug_kind\":null,\"first_bug_s\":null,"
					  "\"first_bug_round\":null,\"signature\":null");
		}
		if (r->hang)
			ls_buf_printf(&j, ",\"hang_since_s\":%.6f,\"watchdog_period_s\":%.3f",
				      r->hang_since, r->hang_period);
		ls_buf_printf(&j, ",\"stalls_discarded\":%" PRIu64, sh->stalls_discarded);
		ls_buf_printf(&j, ",\"other\":{");
		bool first = true;
		for (int k = 1; k < LS_KIND_COUNT; k++)
			if (sh->other[k]) {
				ls_buf_printf(&j, "%s\"%s\":%" PRIu64, first ? "" : ",",
					      ls_kind_name((enum ls_kind)k), sh->other[k]);
				first = false;
			}
		ls_buf_printf(&j, "}}\n");
		fputs(j.s, stdout);
		ls_buf_finish(&j);
	}
}

int ls_cmd_stress(int argc, char **argv)
{
	const struct ls_cmd *cmd = ls_cmd_lookup("stress");
	struct stress_opts o = { .time_s = 10, .watchdog_s = 2 };
	const struct ls_opt opts[] = {
		{ "time", LS_OPT_F64, "S", "stop after S seconds of wall time", &o.time_s, NULL },
		{ "watchdog", LS_OPT_F64, "S",
		  "declare a hang when no round finishes for S seconds (at least 4x the longest "
		  "round so far)", &o.watchdog_s, NULL },
		{ "seed", LS_OPT_U64, "N", "seed of the interrupt timing and preemption choices",
		  &o.seed, NULL },
		{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output",
		  &o.json, NULL },
		{ "quiet", LS_OPT_FLAG, NULL, "print no report, only the summary", &o.quiet, NULL },
		{ 0 },
	};
	char *pos[1];
	int npos = ls_parse(cmd, opts, argc, argv, pos, 1);
	if (npos != 1)
		ls_die(LS_EXIT_USAGE, "stress: expected one TARGET[:VARIANT] (see lockstep list)");
	if (!(o.time_s > 0) || !(o.watchdog_s > 0))
		ls_die(LS_EXIT_USAGE, "stress: --time and --watchdog must be positive");

	struct ls_stress_opts so = { pos[0], o.time_s, o.watchdog_s, o.seed };
	struct ls_stress_hooks h = { &o, on_summary };
	return ls_stress_run(&so, &h);
}

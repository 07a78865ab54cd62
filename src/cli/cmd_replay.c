/* lockstep replay: re-execute a trace and check that its outcome reappears. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../findings.h"
#include "../report.h"
#include "../trace.h"
#include "../../targets/targets.h"

int ls_cmd_replay(int argc, char **argv)
{
	bool json = false, quiet = false;
	const char *out_trace = NULL;
	const struct ls_opt opts[] = {
		{ "trace", LS_OPT_STR, "FILE", "write the re-recorded trace to FILE", &out_trace,
		  NULL },
		{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output", &json,
		  NULL },
		{ "quiet", LS_OPT_FLAG, NULL, "print no report, only the verdict", &quiet, NULL },
		{ 0 },
	};
	char *pos[1];
	if (ls_parse(ls_cmd_lookup("replay"), opts, argc, argv, pos, 1) != 1)
		ls_die(LS_EXIT_USAGE, "replay: expected a trace file (see --help)");
	const char *file = pos[0];

	size_t len;
	char *text = ls_read_file(file, &len);
	if (!text)
		ls_die(LS_EXIT_USAGE, "cannot read %s: %s", file, strerror(errno));
	if (memchr(text, 0, len))
		ls_die(LS_EXIT_USAGE, "%s: not a lockstep trace (binary data)", file);
	struct ls_trace t;
	char err[512];
	if (!ls_trace_parse(text, len, &t, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "%s: %s", file, err);
	free(text);

	const struct ls_target *target = ls_target_find(t.target, err, sizeof(err));
	if (!target)
		ls_die(LS_EXIT_USAGE, "%s: %s", file, err);
	int variant = ls_variant_find(target, t.variant);
	if (variant < 0)
		ls_die(LS_EXIT_USAGE, "%s: target %s has no variant '%s'", file, t.target, t.variant);
	struct ls_session s;
	if (!ls_session_init(&s, target, variant, &t.cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "%s", err);
	struct ls_result r;
	struct ls_buf tb = { 0 };
	char why[1400] = "";
	enum ls_replay_status st =
		ls_trace_replay(&s, &t, &r, out_trace ? &tb : NULL, why, sizeof(why));
	if (st == LS_REPLAY_BAD_TRACE)
		ls_die(LS_EXIT_USAGE, "%s: %s", file, why);
	/* A divergence has its reason in why already. */
	if (st == LS_REPLAY_APPLIED && r.kind != t.kind)
		snprintf(why, sizeof(why), "the trace recorded outcome %s, the replay ended with %s",
			 ls_kind_name(t.kind), ls_kind_name(r.kind));
	else if (st == LS_REPLAY_APPLIED && strcmp(r.signature, t.signature) != 0)
		snprintf(why, sizeof(why), "same outcome, different signature: recorded '%s', got '%s'",
			 t.signature, r.signature);
	else if (st == LS_REPLAY_APPLIED && r.steps != t.nsteps_run)
		snprintf(why, sizeof(why), "the outcome reappeared after %" PRIu64
					   " steps instead of %" PRIu64,
			 r.steps, t.nsteps_run);
	bool reproduced = why[0] == 0;

	if (out_trace && st == LS_REPLAY_APPLIED) {
		if (!ls_write_atomic(out_trace, tb.s, tb.len))
			ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", out_trace, strerror(errno));
	}
	if (!quiet && r.kind != LS_KIND_NONE) {
		struct ls_buf rep = { 0 };
		ls_report_write(&s, &r, t.strategy, file, &rep);
		fputs(rep.s, stdout);
		ls_buf_finish(&rep);
	}
	if (reproduced)
		printf("replay: reproduced %s%s%s (%" PRIu64 " steps)\n", ls_kind_name(r.kind),
		       r.kind != LS_KIND_NONE ? ": " : "", r.signature, r.steps);
	else
		printf("replay: diverged: %s\n", why);
	if (json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"replay\",\"trace\":");
		ls_json_str(&j, file);
		ls_buf_printf(&j, ",\"target\":");
		ls_json_str(&j, t.target);
		ls_buf_printf(&j, ",\"variant\":");
		ls_json_str(&j, t.variant);
		ls_buf_printf(&j, ",\"reproduced\":%s,\"outcome\":\"%s\",\"steps\":%" PRIu64,
			      reproduced ? "true" : "false", ls_kind_name(r.kind), r.steps);
		if (r.kind != LS_KIND_NONE) {
			ls_buf_printf(&j, ",\"signature\":");
			ls_json_str(&j, r.signature);
		}
		if (!reproduced) {
			ls_buf_printf(&j, ",\"diverged\":");
			ls_json_str(&j, why);
		}
		ls_buf_printf(&j, "}");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	ls_buf_finish(&tb);
	ls_trace_free(&t);
	ls_session_finish(&s);
	return reproduced ? LS_EXIT_CLEAN : LS_EXIT_FOUND;
}

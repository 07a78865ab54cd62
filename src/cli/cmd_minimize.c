/* lockstep minimize: the front end of the minimizer (src/campaign/minimize.c explains it): its
 * options, a raw fuzzer input made a trace first, and the counts before and after. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../campaign/minimize.h"
#include "../report.h"
#include "../../targets/targets.h"

struct front {
	bool json, quiet;
};

static void print_cost(const char *label, const struct ls_minimize_cost *c)
{
	printf("minimize: %-6s %" PRIu64 " decisions, %" PRIu64 " preemptions, %" PRIu64
	       " injections, %" PRIu64 " slows, %" PRIu64 " contexts, %" PRIu64 " steps\n",
	       label, c->decisions, c->preemptions, c->injections, c->slows, c->contexts, c->steps);
}

static void json_cost(struct ls_buf *j, const char *key, const struct ls_minimize_cost *c)
{
	ls_buf_printf(j, ",\"%s\":{\"decisions\":%" PRIu64 ",\"preemptions\":%" PRIu64
			 ",\"injections\":%" PRIu64 ",\"slows\":%" PRIu64 ",\"contexts\":%" PRIu64
			 ",\"steps\":%" PRIu64 "}",
		      key, c->decisions, c->preemptions, c->injections, c->slows, c->contexts,
		      c->steps);
}

static void on_summary(void *arg, const struct ls_minimize_result *res)
{
	const struct front *fr = arg;
	if (!fr->quiet) {
		struct ls_buf rep = { 0 };
		ls_report_write((struct ls_session *)res->s, res->r, res->label, res->out_path, &rep);
		fputs(rep.s, stdout);
		ls_buf_finish(&rep);
	}
	print_cost("before", &res->before);
	print_cost("after", &res->after);
	if (res->crashed)
		printf("minimize: %" PRIu64 " candidate%s crashed the process that ran %s (each "
		       "counted as not keeping the finding)%s\n", res->crashed,
		       res->crashed == 1 ? "" : "s", res->crashed == 1 ? "it" : "them",
		       res->too_many_crashes ? "; stopped: too many" : "");
	if (res->complete)
		printf("minimize: 1-minimal after %" PRIu64 " attempts (%.2f s): %s\n", res->attempts,
		       res->seconds, res->out_path);
	else
		printf("minimize: the budget ran out after %" PRIu64 " attempts (%.2f s); kept the "
		       "best trace so far, which may not be minimal: %s\n", res->attempts, res->seconds,
		       res->out_path);
	if (fr->json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"minimize\",\"trace\":");
		ls_json_str(&j, res->file);
		ls_buf_printf(&j, ",\"output\":");
		ls_json_str(&j, res->out_path);
		ls_buf_printf(&j, ",\"outcome\":\"%s\",\"signature\":", ls_kind_name(res->r->kind));
		ls_json_str(&j, res->r->signature);
		json_cost(&j, "before", &res->before);
		json_cost(&j, "after", &res->after);
		ls_buf_printf(&j, ",\"attempts\":%" PRIu64 ",\"crashed\":%" PRIu64
				 ",\"seconds\":%.3f,\"complete\":%s}",
			      res->attempts, res->crashed, res->seconds, res->complete ? "true" : "false");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
}

int ls_cmd_minimize(int argc, char **argv)
{
	const char *out_path = NULL;
	const char *raw_target = NULL;
	const char *kernel_tree = NULL;
	bool raw_no_lockdep = false, raw_compat = false;
	uint64_t max_attempts = 0;
	double time_s = 0;
	bool json = false, quiet = false;
	double hang_opt = 0;
	const struct ls_opt opts[] = {
		{ "output", LS_OPT_STR, "OUT", "write the minimized trace to OUT "
					       "(default: NAME.min.trace beside the input)",
		  &out_path, NULL },
		{ "attempts", LS_OPT_U64, "N", "stop after N candidate executions (0: no limit); "
					       "the best trace so far is kept", &max_attempts, NULL },
		{ "time", LS_OPT_F64, "S", "stop after S s of wall time (0: no limit); the best "
					   "trace so far is kept, so the output may then depend on "
					   "the machine's speed", &time_s, NULL },
		{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output", &json,
		  NULL },
		{ "quiet", LS_OPT_FLAG, NULL, "print no report, only the counts", &quiet, NULL },
		{ "hang-timeout", LS_OPT_F64, "S",
		  "kill a candidate after S s of wall time: it does not keep the finding (0: 10 s, "
		  "10 us per step if more)", &hang_opt, NULL },
		LS_RSS_OPT,
		{ "target", LS_OPT_STR, "TARGET[:VARIANT]", "for a trace of a shared object, the "
		  "object (FILE.so), as replay --target; for a raw AFL++/libFuzzer input, its target "
		  "(made a trace first, as replay --target does)", &raw_target, NULL },
		{ "kernel-tree", LS_OPT_STR, "PATH", "the kernel tree the trace (or the fuzz campaign "
		  "of a raw input) ran, as replay --kernel-tree", &kernel_tree, NULL },
		{ "no-lockdep", LS_OPT_FLAG, NULL, "with --target: the harness ran without the lock "
		  "validator (LOCKSTEP_LOCKDEP=off)", &raw_no_lockdep, NULL },
		{ "lockdep-compat", LS_OPT_FLAG, NULL, "with --target: the harness ran the validator "
		  "as lockdep (LOCKSTEP_LOCKDEP=compat)", &raw_compat, NULL },
		{ 0 },
	};
	char *pos[1];
	int npos = ls_parse(ls_cmd_lookup("minimize"), opts, argc, argv, pos, 1);
	if (npos != 1)
		ls_die(LS_EXIT_USAGE, "minimize: expected a trace file (see --help)");
	const char *file = pos[0];
	if (time_s < 0)
		ls_die(LS_EXIT_USAGE, "--time must not be negative");
	if (hang_opt < 0)
		ls_die(LS_EXIT_USAGE, "--hang-timeout must not be negative");
	size_t len;
	char *text = ls_input_or_die(file, &len);
	/* --target with a raw input picks the harness's target; with a trace, it names the shared
	 * object the trace needs (ls_trace_open()). */
	bool raw = raw_target && !ls_input_is_trace(text, len);
	if (!raw && (raw_no_lockdep || raw_compat))
		ls_die(LS_EXIT_USAGE, "minimize: --no-lockdep and --lockdep-compat go with --target "
		       "and a raw fuzzer input");
	char rawtrace[4200], rawdir[] = "/tmp/lockstep-minimize.XXXXXX";
	const char *input = file;
	if (raw) {
		/* Refused here, in one line, rather than by the child's replay. */
		const struct ls_target *rt;
		int rv;
		char rerr[512];
		if (!ls_target_spec(raw_target, &rt, &rv, rerr, sizeof(rerr)))
			ls_die(LS_EXIT_USAGE, "%s", rerr);
		if (!mkdtemp(rawdir))
			ls_die(LS_EXIT_INTERNAL, "minimize: mkdtemp: %s", strerror(errno));
		snprintf(rawtrace, sizeof(rawtrace), "%s/input.trace", rawdir);
		ls_minimize_raw_to_trace(raw_target, kernel_tree, raw_no_lockdep, raw_compat, file, rawdir, rawtrace);
		file = rawtrace;
		free(text);
		text = ls_input_or_die(file, &len);
		ls_remove_tree(rawdir);	/* the trace is read: the scratch finding goes */
	}
	char defpath[4200];
	if (!out_path) {
		size_t n = strlen(input);
		size_t stem = n > 6 && strcmp(input + n - 6, ".trace") == 0 ? n - 6 : n;
		snprintf(defpath, sizeof(defpath), "%.*s.min.trace", (int)stem, input);
		out_path = defpath;
	}
	ls_output_or_die("minimize", "--output", out_path);

	struct ls_minimize_opts mo = { file, text, len, raw_target, kernel_tree, out_path,
				       max_attempts, time_s, hang_opt };
	struct front fr = { json, quiet };
	struct ls_minimize_hooks h = { &fr, on_summary };
	return ls_minimize_run(&mo, &h);
}

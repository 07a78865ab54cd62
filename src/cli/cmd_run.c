/* lockstep run: one execution under the seeded random walk. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "../findings.h"
#include "../report.h"
#include "../trace.h"

int ls_cmd_run(int argc, char **argv)
{
	struct ls_exec_opts o;
	const char *trace_path = NULL;
	ls_exec_opts_default(&o);
	const struct ls_opt opts[] = {
		LS_EXEC_OPTS(o),
		{ "trace", LS_OPT_STR, "FILE", "also write this execution's trace to FILE",
		  &trace_path, NULL },
		{ 0 },
	};
	char *pos[1];
	if (ls_parse(ls_cmd_lookup("run"), opts, argc, argv, pos, 1) != 1)
		ls_die(LS_EXIT_USAGE, "run: expected TARGET[:VARIANT] (see --help)");
	ls_exec_opts_check(&o);

	struct ls_session s;
	ls_open_session(pos[0], &o, &s);
	struct ls_random rnd;
	ls_random_init(&rnd, o.p_switch, o.p_irq);
	char label[96];
	ls_random_label(&o, label, sizeof(label));

	struct ls_result r;
	ls_session_run(&s, &rnd.base, o.seed, &r);

	char path[4200] = "";
	struct ls_buf report = { 0 };
	bool found = r.kind != LS_KIND_NONE;
	if (found)
		ls_save_finding(&s, &r, label, o.out, path, sizeof(path), &report);
	if (trace_path) {
		struct ls_buf t = { 0 };
		ls_trace_write(&s, &r, label, &t);
		if (!ls_write_atomic(trace_path, t.s, t.len))
			ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", trace_path, strerror(errno));
		ls_buf_finish(&t);
	}
	if (found && !o.quiet)
		fputs(report.s, stdout);
	if (!found && !o.quiet)
		printf("%s:%s seed %" PRIu64 ": no finding (%" PRIu64 " steps, %zu decisions)\n",
		       s.target->name, s.target->variants[s.variant].name, o.seed, r.steps,
		       s.m->nlog);
	if (o.json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"run\",\"target\":");
		ls_json_str(&j, s.target->name);
		ls_buf_printf(&j, ",\"variant\":");
		ls_json_str(&j, s.target->variants[s.variant].name);
		ls_buf_printf(&j, ",\"seed\":%" PRIu64 ",\"outcome\":\"%s\",\"steps\":%" PRIu64
				  ",\"decisions\":%zu",
			      o.seed, ls_kind_name(r.kind), r.steps, s.m->nlog);
		if (found) {
			ls_buf_printf(&j, ",\"signature\":");
			ls_json_str(&j, r.signature);
			ls_buf_printf(&j, ",\"hash\":\"%012llx\",\"trace\":", r.hash & 0xffffffffffffull);
			ls_json_str(&j, path);
			ls_json_lockdep(&j, &s, &r);
		}
		ls_buf_printf(&j, "}");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	ls_buf_finish(&report);
	ls_session_finish(&s);
	return ls_variant_bug(&s.target->variants[s.variant], r.kind) ? LS_EXIT_FOUND
								      : LS_EXIT_CLEAN;
}

/* lockstep run: one execution under the chosen engine (the seeded random walk by default).
 *
 * The execution runs in a child process (crash.h), which prints and saves as if it were the
 * command; if the target kills it, the parent files the crash from what the child published. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "../campaign/crash.h"
#include "../findings.h"
#include "../report.h"
#include "../trace.h"

static void json_head(struct ls_buf *j, const struct ls_session *s, const struct ls_exec_opts *o,
		      const struct ls_result *r, size_t decisions)
{
	ls_buf_printf(j, "{\"command\":\"run\",\"target\":");
	ls_json_str(j, s->target->name);
	ls_buf_printf(j, ",\"variant\":");
	ls_json_str(j, s->target->variants[s->variant].name);
	ls_buf_printf(j, ",\"seed\":%" PRIu64 ",\"outcome\":\"%s\",\"steps\":%" PRIu64
			 ",\"decisions\":%zu",
		      o->seed, ls_kind_name(r->kind), r->steps, decisions);
}

static void write_trace_copy(const char *trace_path, const struct ls_buf *t)
{
	if (!ls_write_atomic(trace_path, t->s, t->len))
		ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", trace_path, strerror(errno));
}

/* The command itself, in the child. */
static int run_here(struct ls_session *s, const struct ls_exec_opts *o, struct ls_strategy *st,
		    const char *label, const char *trace_path)
{
	struct ls_result r;
	ls_session_run(s, st, o->seed, &r);

	char path[4200] = "";
	struct ls_buf report = { 0 };
	bool found = r.kind != LS_KIND_NONE;
	if (found) {
		ls_save_finding(s, &r, label, o->out, path, sizeof(path), &report);
		ls_note_finding(path, r.signature, 1);
	}
	if (trace_path) {
		struct ls_buf t = { 0 };
		ls_trace_write(s, &r, label, &t);
		write_trace_copy(trace_path, &t);
		ls_buf_finish(&t);
	}
	if (found && !o->quiet)
		fputs(report.s, stdout);
	if (!found && !o->quiet)
		printf("%s:%s seed %" PRIu64 ": no finding (%" PRIu64 " steps, %zu decisions)\n",
		       s->target->name, s->target->variants[s->variant].name, o->seed, r.steps,
		       s->m->nlog);
	if (o->json) {
		struct ls_buf j = { 0 };
		json_head(&j, s, o, &r, s->m->nlog);
		if (found) {
			ls_buf_printf(&j, ",\"signature\":");
			ls_json_str(&j, r.signature);
			ls_buf_printf(&j, ",\"hash\":\"%012llx\",\"trace\":", r.hash & 0xffffffffffffull);
			ls_json_str(&j, path);
			ls_json_bug(&j, &r);
			ls_json_lockdep(&j, s, &r);
		}
		ls_buf_printf(&j, "}");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	ls_buf_finish(&report);
	return ls_variant_bug(&s->target->variants[s->variant], r.kind) ? LS_EXIT_FOUND
									: LS_EXIT_CLEAN;
}

/* The child died: file the crash it was running. */
static int crashed(struct ls_session *s, const struct ls_exec_opts *o, const struct ls_child *c,
		   const char *label, const char *trace_path)
{
	struct ls_result r;
	ls_crash_result(s, c, o->seed, &r);
	char stem[4096], path[4200];
	ls_finding_stem(o->out, &r, stem, sizeof(stem));
	snprintf(path, sizeof(path), "%s.trace", stem);
	struct ls_buf report = { 0 }, trace = { 0 };
	ls_crash_report(s, c, &r, label, NULL, path, &report);
	ls_crash_trace(s, c, &r, label, &trace);
	if (!ls_mkdirs(o->out))
		ls_die(LS_EXIT_INTERNAL, "cannot create %s: %s", o->out, strerror(errno));
	FILE *f = fopen(path, "r");
	if (f)
		fclose(f);	/* a crash's bug is its signature: its first trace is kept */
	else
		ls_write_finding(path, &report, &trace);
	ls_note_finding(path, r.signature, 1);
	if (trace_path)
		write_trace_copy(trace_path, &trace);
	if (!o->quiet)
		fputs(report.s, stdout);
	if (o->json) {
		struct ls_buf j = { 0 };
		json_head(&j, s, o, &r, c->n);
		ls_buf_printf(&j, ",\"signature\":");
		ls_json_str(&j, r.signature);
		ls_buf_printf(&j, ",\"hash\":\"%012llx\",\"trace\":", r.hash & 0xffffffffffffull);
		ls_json_str(&j, path);
		ls_json_bug(&j, &r);
		ls_buf_printf(&j, ",\"shape\":\"crash\"}");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	ls_buf_finish(&report);
	ls_buf_finish(&trace);
	return LS_EXIT_FOUND;
}

int ls_cmd_run(int argc, char **argv)
{
	struct ls_exec_opts o;
	const char *trace_path = NULL;
	bool in_process = false;
	ls_exec_opts_default(&o);
	const struct ls_opt opts[] = {
		LS_EXEC_OPTS(o),
		LS_ENGINE_OPTS(o),
		{ "trace", LS_OPT_STR, "FILE", "also write this execution's trace to FILE",
		  &trace_path, NULL },
		{ "in-process", LS_OPT_FLAG, NULL,
		  "run the target in this process, without a child: a target that crashes or hangs "
		  "takes the command with it (for a debugger)", &in_process, NULL },
		{ 0 },
	};
	char *pos[1];
	if (ls_parse(ls_cmd_lookup("run"), opts, argc, argv, pos, 1) != 1)
		ls_die(LS_EXIT_USAGE, "run: expected TARGET[:VARIANT] (see --help)");
	ls_exec_opts_check(&o);
	ls_output_or_die("run", "--trace", trace_path);

	struct ls_session s;
	ls_open_session(pos[0], &o, &s);
	struct ls_engine e;
	ls_engine_init(&e, &o);
	if (in_process) {
		int code = run_here(&s, &o, e.st, e.label, trace_path);
		ls_session_finish(&s);
		return code;
	}

	struct ls_watch_page *page = ls_shared_create(sizeof(*page));
	struct ls_child c;
	int wfd;
	if (ls_child_fork(&c, page, &wfd)) {
		struct ls_watch w;
		ls_watch_init(&w, e.st, page, wfd);
		page->exec = 0;
		int code = run_here(&s, &o, &w.base, e.label, trace_path);
		ls_session_finish(&s);
		ls_child_exit(code);
	}
	ls_child_wait(&c, ls_hang_timeout(o.hang_s, o.cfg.step_limit));
	int code = ls_child_crashed(&c) ? crashed(&s, &o, &c, e.label, trace_path)
					: WEXITSTATUS(c.status);
	ls_child_finish(&c);
	ls_shared_destroy(page, sizeof(*page));
	ls_session_finish(&s);
	return code;
}

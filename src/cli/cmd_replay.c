/* lockstep replay: re-execute a trace and check that its outcome reappears.
 *
 * The replay runs in a child process (crash.h), so a trace of a crash can be replayed: the child
 * dies as the recorded execution did, and the parent compares how and where with the trace.
 *
 * With --target, FILE is a raw fuzzer input instead (a libFuzzer or AFL++ crash file): it runs
 * through the decoding the fuzz harness uses (struct ls_bytes, fuzz/harness.c), and its finding is
 * saved and printed as `run` does, as a trace that replays like any other.
 *
 * With --html FILE the replayed execution is also drawn as a page (timeline.h), written by the
 * process that ran it, after everything else is printed.  A FILE that cannot be created is refused
 * before anything runs (exit 2); a write that fails afterwards is an internal error (exit 3). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "../campaign/crash.h"
#include "../timeline.h"
#include "../findings.h"
#include "../report.h"
#include "../trace.h"
#include "../../targets/targets.h"

struct replay_opts {
	const char *file;
	const char *out_trace;
	const char *html;
	bool json, quiet;
};

static void json_verdict(const struct replay_opts *ro, const struct ls_trace *t,
			 const struct ls_result *r, bool reproduced, const char *why)
{
	struct ls_buf j = { 0 };
	ls_buf_printf(&j, "{\"command\":\"replay\",\"trace\":");
	ls_json_str(&j, ro->file);
	ls_buf_printf(&j, ",\"target\":");
	ls_json_str(&j, t->target);
	ls_buf_printf(&j, ",\"variant\":");
	ls_json_str(&j, t->variant);
	ls_buf_printf(&j, ",\"reproduced\":%s,\"outcome\":\"%s\",\"steps\":%" PRIu64,
		      reproduced ? "true" : "false", ls_kind_name(r->kind), r->steps);
	if (r->kind != LS_KIND_NONE) {
		ls_buf_printf(&j, ",\"signature\":");
		ls_json_str(&j, r->signature);
		ls_json_bug(&j, r);
	}
	if (!reproduced) {
		ls_buf_printf(&j, ",\"diverged\":");
		ls_json_str(&j, why);
	}
	ls_buf_printf(&j, "}");
	printf("%s\n", j.s);
	ls_buf_finish(&j);
}

/* Why the replay's outcome r differs from the recorded one, or "" if it does not. */
static void compare(const struct ls_trace *t, const struct ls_result *r, char *why, size_t n)
{
	if (r->kind != t->kind)
		snprintf(why, n, "the trace recorded outcome %s, the replay ended with %s",
			 ls_kind_name(t->kind), ls_kind_name(r->kind));
	else if (strcmp(r->signature, t->signature) != 0)
		snprintf(why, n, "same outcome, different signature: recorded '%s', got '%s'",
			 t->signature, r->signature);
	else if (r->steps != t->nsteps_run)
		snprintf(why, n, "the outcome reappeared after %" PRIu64 " steps instead of %" PRIu64,
			 r->steps, t->nsteps_run);
}

/* What a replayed execution's strategy passes through: the crash watch, then (--html) the
 * timeline's recorder. */
struct observers {
	struct ls_watch *w;
	struct ls_timeline *tl;
	int executions;		/* begun: prior executions first, the trace's own last */
};

static struct ls_strategy *observe_replay(void *arg, struct ls_strategy *replay)
{
	struct observers *o = arg;
	struct ls_watch *w = o->w;
	w->inner = replay;
	w->base.name = replay->name;
	o->executions++;
	return o->tl ? ls_timeline_wrap(o->tl, &w->base) : &w->base;
}

/* Writes the --html page; tl NULL: the execution's steps are not known. */
static void write_html(const struct replay_opts *ro, struct ls_timeline *tl,
		       const struct ls_session *s, const struct ls_result *r, const char *strategy,
		       const char *printed, const char *verdict, const char *note)
{
	struct ls_timeline_page p = {
		.source = ro->file, .strategy = strategy, .verdict = verdict, .report = printed,
		.note = note,
	};
	struct ls_buf page = { 0 };
	ls_timeline_render(tl, s, r, &p, &page);
	if (!ls_write_atomic(ro->html, page.s, page.len))
		ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", ro->html, strerror(errno));
	ls_buf_finish(&page);
}

/* The replay itself, in the child: everything the command prints when nothing crashes. */
static int replay_here(struct ls_session *s, struct ls_trace *t,
		       const struct replay_opts *ro, struct ls_watch *w)
{
	struct ls_result r;
	struct ls_buf tb = { 0 };
	char why[2200] = "";
	struct observers obs = { .w = w };
	if (ro->html && !(obs.tl = ls_timeline_create()))
		ls_die(LS_EXIT_INTERNAL, "out of memory for the timeline");
	enum ls_replay_status st = ls_trace_replay_observed(s, t, &r, ro->out_trace ? &tb : NULL,
							    why, sizeof(why), observe_replay, &obs);
	if (st == LS_REPLAY_BAD_TRACE)
		ls_die(LS_EXIT_USAGE, "%s: %s", ro->file, why);
	/* A divergence has its reason in why already. */
	if (st == LS_REPLAY_APPLIED)
		compare(t, &r, why, sizeof(why));
	bool reproduced = why[0] == 0;

	if (ro->out_trace && st == LS_REPLAY_APPLIED) {
		if (!ls_write_atomic(ro->out_trace, tb.s, tb.len))
			ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", ro->out_trace,
			       strerror(errno));
	}
	/* The report is rendered for the --html page even when --quiet does not print it. */
	struct ls_buf rep = { 0 }, verdict = { 0 };
	if (r.kind != LS_KIND_NONE && (!ro->quiet || ro->html))
		ls_report_write(s, &r, t->strategy, ro->file, &rep);
	if (!ro->quiet && rep.len)
		fputs(rep.s, stdout);
	if (reproduced)
		ls_buf_printf(&verdict, "replay: reproduced %s%s%s (%" PRIu64 " steps)",
			      ls_kind_name(r.kind), r.kind != LS_KIND_NONE ? ": " : "", r.signature,
			      r.steps);
	else
		ls_buf_printf(&verdict, "replay: diverged: %s", why);
	printf("%s\n", verdict.s);
	if (reproduced && r.kind != LS_KIND_NONE && !t->bug[0])
		fprintf(stderr, "replay: %s was written before lockstep named bugs; it is a placement "
				"of: %s (--trace FILE writes it with its bug)\n", ro->file,
			r.title);
	if (ro->json)
		json_verdict(ro, t, &r, reproduced, why);
	if (ro->html) {
		fflush(stdout);
		ls_buf_printf(&rep, "%s\n", verdict.s);
		/* A divergence in a prior execution leaves the trace's own one unrun. */
		bool ran = obs.executions == t->nprior + 1;
		write_html(ro, ran ? obs.tl : NULL, s, &r, t->strategy, rep.s, verdict.s,
			   ran ? NULL : "the replay diverged before the trace's own execution ran");
	}
	ls_buf_finish(&rep);
	ls_buf_finish(&verdict);
	ls_timeline_destroy(obs.tl);
	ls_buf_finish(&tb);
	return reproduced ? LS_EXIT_CLEAN : LS_EXIT_FOUND;
}

/* The child died replaying: the crash reappeared if the trace recorded this one. */
static int replay_crashed(struct ls_session *s, const struct ls_trace *t,
			  const struct replay_opts *ro, const struct ls_child *c)
{
	struct ls_result r;
	char why[2200] = "";
	ls_crash_result(s, c, t->seed, &r);
	compare(t, &r, why, sizeof(why));
	if (t->kind == LS_KIND_CRASH && c->n != t->nsteps && !why[0])
		snprintf(why, sizeof(why), "the crash reappeared after %zu of the trace's %zu "
					   "decisions", c->n, t->nsteps);
	bool reproduced = why[0] == 0;
	if (ro->out_trace && t->kind == LS_KIND_CRASH && !t->nprior) {
		struct ls_buf tb = { 0 };
		ls_crash_trace(s, c, &r, t->strategy, &tb);
		if (!ls_write_atomic(ro->out_trace, tb.s, tb.len))
			ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", ro->out_trace,
			       strerror(errno));
		ls_buf_finish(&tb);
	}
	struct ls_buf rep = { 0 }, verdict = { 0 };
	if (!ro->quiet || ro->html)
		ls_crash_report(s, c, &r, t->strategy, NULL, ro->file, &rep);
	if (!ro->quiet)
		fputs(rep.s, stdout);
	if (reproduced)
		ls_buf_printf(&verdict, "replay: reproduced crash: %s (%" PRIu64 " steps)",
			      r.signature, r.steps);
	else
		ls_buf_printf(&verdict, "replay: diverged: %s", why);
	printf("%s\n", verdict.s);
	if (reproduced && r.kind != LS_KIND_NONE && !t->bug[0])
		fprintf(stderr, "replay: %s was written before lockstep named bugs; it is a placement "
				"of: %s (--trace FILE writes it with its bug)\n", ro->file,
			r.title);
	if (ro->json)
		json_verdict(ro, t, &r, reproduced, why);
	if (ro->html) {
		fflush(stdout);
		ls_buf_printf(&rep, "%s\n", verdict.s);
		write_html(ro, NULL, s, &r, t->strategy, rep.s, verdict.s,
			   "the execution ended the process that replayed it: its steps are not "
			   "recorded (the report says where it died)");
	}
	ls_buf_finish(&rep);
	ls_buf_finish(&verdict);
	return reproduced ? LS_EXIT_CLEAN : LS_EXIT_FOUND;
}

/* The raw input's execution, in the child: what `run` prints and saves. */
static int raw_here(struct ls_session *s, const struct ls_exec_opts *o,
		    const struct replay_opts *ro, struct ls_strategy *st)
{
	struct ls_result r;
	struct ls_timeline *tl = NULL;
	if (ro->html && !(tl = ls_timeline_create()))
		ls_die(LS_EXIT_INTERNAL, "out of memory for the timeline");
	ls_session_run(s, tl ? ls_timeline_wrap(tl, st) : st, 0, &r);
	char path[4200] = "";
	struct ls_buf report = { 0 }, verdict = { 0 };
	if (r.kind != LS_KIND_NONE) {
		ls_save_finding(s, &r, "bytes", o->out, path, sizeof(path), &report);
		ls_note_finding(path, r.signature, 1);
		if (!ro->quiet)
			fputs(report.s, stdout);
		ls_buf_printf(&verdict, "%s: %s, saved as %s", ro->file, ls_kind_name(r.kind), path);
	} else {
		ls_buf_printf(&verdict, "%s: no finding (%" PRIu64 " steps, %zu decisions)", ro->file,
			      r.steps, s->m->nlog);
		printf("%s\n", verdict.s);
		ls_buf_printf(&report, "%s\n", verdict.s);
	}
	if (ro->out_trace) {
		struct ls_buf t = { 0 };
		ls_trace_write(s, &r, "bytes", &t);
		if (!ls_write_atomic(ro->out_trace, t.s, t.len))
			ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", ro->out_trace,
			       strerror(errno));
		ls_buf_finish(&t);
	}
	if (ro->json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"replay\",\"input\":");
		ls_json_str(&j, ro->file);
		ls_buf_printf(&j, ",\"target\":");
		ls_json_str(&j, s->target->name);
		ls_buf_printf(&j, ",\"variant\":");
		ls_json_str(&j, s->target->variants[s->variant].name);
		ls_buf_printf(&j, ",\"outcome\":\"%s\",\"steps\":%" PRIu64, ls_kind_name(r.kind),
			      r.steps);
		if (r.kind != LS_KIND_NONE) {
			ls_buf_printf(&j, ",\"signature\":");
			ls_json_str(&j, r.signature);
			ls_json_bug(&j, &r);
			ls_buf_printf(&j, ",\"trace\":");
			ls_json_str(&j, path);
		}
		ls_buf_printf(&j, "}");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	if (ro->html) {
		fflush(stdout);
		write_html(ro, tl, s, &r, "bytes", report.s, verdict.s, NULL);
	}
	ls_timeline_destroy(tl);
	ls_buf_finish(&report);
	ls_buf_finish(&verdict);
	return ls_variant_bug(&s->target->variants[s->variant], r.kind) ? LS_EXIT_FOUND
									: LS_EXIT_CLEAN;
}

/* replay --target SPEC FILE: a fuzzer input, run in a child as `run` runs a seed. */
static int replay_raw(const char *spec, struct ls_exec_opts *o, const struct replay_opts *ro,
		      char *data, size_t len)
{
	struct ls_session s;
	ls_open_session(spec, o, &s);
	struct ls_bytes b;
	ls_bytes_init(&b, (const uint8_t *)data, len);

	struct ls_watch_page *page = ls_shared_create(sizeof(*page));
	struct ls_child c;
	int wfd;
	if (ls_child_fork(&c, page, &wfd)) {
		struct ls_watch w;
		ls_watch_init(&w, &b.base, page, wfd);
		page->exec = 0;
		int code = raw_here(&s, o, ro, &w.base);
		ls_session_finish(&s);
		ls_child_exit(code);
	}
	ls_child_wait(&c, ls_hang_timeout(o->hang_s, o->cfg.step_limit));
	int code = WEXITSTATUS(c.status);
	if (ls_child_crashed(&c)) {
		struct ls_result r;
		ls_crash_result(&s, &c, 0, &r);
		char stem[4096], path[4200];
		ls_finding_stem(o->out, &r, stem, sizeof(stem));
		snprintf(path, sizeof(path), "%s.trace", stem);
		struct ls_buf report = { 0 }, trace = { 0 };
		ls_crash_report(&s, &c, &r, "bytes", NULL, path, &report);
		ls_crash_trace(&s, &c, &r, "bytes", &trace);
		ls_write_finding(path, &report, &trace);
		ls_note_finding(path, r.signature, 1);
		if (ro->out_trace && !ls_write_atomic(ro->out_trace, trace.s, trace.len))
			ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", ro->out_trace,
			       strerror(errno));
		if (!ro->quiet)
			fputs(report.s, stdout);
		if (ro->html) {
			fflush(stdout);
			char verdict[4400];
			snprintf(verdict, sizeof(verdict), "%s: crash, saved as %s", ro->file, path);
			write_html(ro, NULL, &s, &r, "bytes", report.s, verdict,
				   "the execution ended the process that ran it: its steps are not "
				   "recorded (the report says where it died)");
		}
		ls_buf_finish(&report);
		ls_buf_finish(&trace);
		code = LS_EXIT_FOUND;
	}
	ls_child_finish(&c);
	ls_shared_destroy(page, sizeof(*page));
	ls_session_finish(&s);
	free(data);
	return code;
}

int ls_cmd_replay(int argc, char **argv)
{
	struct replay_opts ro = { 0 };
	double hang_s = 0;
	const char *raw_spec = NULL;
	struct ls_exec_opts o;
	bool raw_only = false;	/* an option that only --target takes was given */
	ls_exec_opts_default(&o);
	const struct ls_opt opts[] = {
		{ "trace", LS_OPT_STR, "FILE", "write the re-recorded trace to FILE", &ro.out_trace,
		  NULL },
		{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output",
		  &ro.json, NULL },
		{ "quiet", LS_OPT_FLAG, NULL, "print no report, only the verdict", &ro.quiet, NULL },
		{ "html", LS_OPT_STR, "FILE",
		  "also write the execution as a self-contained HTML page: a lane per CPU, lock "
		  "holds, the finding highlighted, the report", &ro.html, NULL },
		{ "hang-timeout", LS_OPT_F64, "S",
		  "kill an execution after S s of wall time, a crash: hang (0: 10 s, 10 us per step "
		  "if more)", &hang_s, NULL },
		LS_RSS_OPT,
		{ "target", LS_OPT_STR, "TARGET[:VARIANT]",
		  "for a trace of a shared object, the object (FILE.so): a trace never loads one by "
		  "itself, and its hash must be the trace's; for a raw fuzzer input, its target: run "
		  "it as the fuzz harness does and save its finding as run does", &raw_spec, NULL },
		{ "kernel-tree", LS_OPT_STR, "PATH",
		  "the kernel tree a trace was recorded with (its files must hash as they did), or, "
		  "--target, the one the fuzz campaign ran", &o.kernel_tree, NULL },
		{ "out", LS_OPT_STR, "DIR", "--target: where the finding is written", &o.out, &raw_only },
		{ "no-lockdep", LS_OPT_FLAG, NULL, "--target: turn the lock validator off",
		  &o.no_lockdep, &raw_only },
		{ "lockdep-compat", LS_OPT_FLAG, NULL,
		  "--target: validate locks as the kernel's lockdep does", &o.lockdep_compat, &raw_only },
		{ "memory-model", LS_OPT_STR, "MODEL",
		  "--target: sc, tso or relaxed, as the fuzz campaign ran (a trace records its own)",
		  &o.memory_model, &raw_only },
		{ "compiler-reorder", LS_OPT_FLAG, NULL,
		  "--target: the compiler may hold back plain stores, as the fuzz campaign ran",
		  &o.cfg.compiler_reorder, &raw_only },
		{ "reorder-budget", LS_OPT_U64, "N",
		  "--target: at most N memory-model choices per execution, as the fuzz campaign ran",
		  &o.reorder_budget, &raw_only },
		{ 0 },
	};
	char *pos[1];
	if (ls_parse(ls_cmd_lookup("replay"), opts, argc, argv, pos, 1) != 1)
		ls_die(LS_EXIT_USAGE, "replay: expected a trace file (see --help)");
	ro.file = pos[0];
	if (hang_s < 0)
		ls_die(LS_EXIT_USAGE, "--hang-timeout must not be negative");
	ls_output_or_die("replay", "--html", ro.html);
	ls_output_or_die("replay", "--trace", ro.out_trace);
	size_t len;
	char *text = ls_input_or_die(ro.file, &len);
	/* --target with a raw input picks the harness's target; with a trace, it names the shared
	 * object the trace needs (ls_trace_open()). */
	if (raw_spec && !ls_input_is_trace(text, len)) {
		o.hang_s = hang_s;
		ls_exec_opts_check(&o);
		return replay_raw(raw_spec, &o, &ro, text, len);
	}
	if (raw_only)
		ls_die(LS_EXIT_USAGE, "--out, --no-lockdep and --lockdep-compat go with --target and "
		       "a raw fuzzer input");
	struct ls_trace t;
	const struct ls_target *target;
	int variant;
	ls_trace_open(ro.file, text, len, raw_spec, o.kernel_tree, &t, &target, &variant);
	free(text);
	char err[512];
	struct ls_session s;
	if (!ls_session_init(&s, target, variant, &t.cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "%s", err);

	struct ls_watch_page *page = ls_shared_create(sizeof(*page));
	struct ls_child c;
	int wfd;
	if (ls_child_fork(&c, page, &wfd)) {
		struct ls_watch w;
		ls_watch_init(&w, NULL, page, wfd);
		page->exec = 0;
		int code = replay_here(&s, &t, &ro, &w);
		ls_trace_free(&t);
		ls_session_finish(&s);
		ls_child_exit(code);
	}
	ls_child_wait(&c, ls_hang_timeout(hang_s, t.cfg.step_limit));
	int code = ls_child_crashed(&c) ? replay_crashed(&s, &t, &ro, &c) : WEXITSTATUS(c.status);
	ls_child_finish(&c);
	ls_shared_destroy(page, sizeof(*page));
	ls_trace_free(&t);
	ls_session_finish(&s);
	return code;
}

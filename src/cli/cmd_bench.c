/* lockstep bench: would a stress test have found this bug anyway?  The front end of the
 * measurement in src/campaign/bench.c (which explains what is measured): its options, its
 * progress lines, and the report it renders, a Markdown table of time and executions to the first
 * bug per variant and engine, a rate table and the step cost, with --csv one row per run and
 * --json a summary line. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "svg.h"
#include "version.h"
#include "../campaign/bench.h"
#include "../findings.h"
#include "../ksrc/ksrc.h"

#define MAX_POS 256

static void fmt_time(double s, char *buf, size_t n)
{
	if (s < 1e-3)
		snprintf(buf, n, "%.0f us", s * 1e6);
	else if (s < 1)
		snprintf(buf, n, "%.1f ms", s * 1e3);
	else
		snprintf(buf, n, "%.2f s", s);
}

static void fmt_cell(const struct ls_bench *b, const struct ls_bench_cell *c, char *buf, size_t n)
{
	char t[32], x[32];
	if (c->unavailable) {
		snprintf(buf, n, "%s", c->unavailable);
		return;
	}
	if (!c->measured) {
		snprintf(buf, n, "%s", c->errors ? "error" : "n/a");
		return;
	}
	if (isinf(c->median_s))
		snprintf(t, sizeof(t), "> %" PRIu64 " s", b->cap);
	else
		fmt_time(c->median_s, t, sizeof(t));
	if (isnan(c->median_exec))
		snprintf(x, sizeof(x), "?");
	else if (isinf(c->median_exec))
		snprintf(x, sizeof(x), "-");
	else
		snprintf(x, sizeof(x), "%.0f", c->median_exec);
	int k = snprintf(buf, n, "%s / %s / %d of %d", t, x, c->found, c->measured);
	if (c->errors && k > 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, " (%d error%s)", c->errors,
			 c->errors == 1 ? "" : "s");
}

static void fmt_rate(double execs, double elapsed, char *buf, size_t n)
{
	if (elapsed <= 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.0f", execs / elapsed);
}

static void cpu_model(char *buf, size_t n)
{
	snprintf(buf, n, "unknown CPU");
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');
		if (strncmp(line, "model name", 10) != 0 || !p)
			continue;
		p += 1 + strspn(p + 1, " \t");
		p[strcspn(p, "\n")] = 0;
		snprintf(buf, n, "%s", p);
		break;
	}
	if (f)
		fclose(f);
}

/* The Markdown report: the time table, the rate table and the step-cost line. */
static void render_md(struct ls_bench *b, struct ls_buf *md, double total_s)
{
	char cpu[256], date[32];
	cpu_model(cpu, sizeof(cpu));
	time_t now = time(NULL);
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&now));
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	ls_buf_printf(md, "# lockstep bench: time and executions to the first bug\n\n");
	ls_buf_printf(md, "- lockstep %s, %s, %ld core%s, %s; %" PRIu64 " seed%s per cell, cap %"
		      PRIu64 " s per run, one run at a time, each engine in one process; "
		      "validator %s for the fuzz engines; %.0f s in all\n",
		      LS_VERSION, cpu, cores, cores == 1 ? "" : "s", date, b->seeds,
		      b->seeds == 1 ? "" : "s", b->cap, b->no_lockdep ? "off" : "on", total_s);
	if (b->kernel_tree) {
		const struct ls_ksrc_build *k = ls_ksrc_active();
		ls_buf_printf(md, "- the fuzz engines ran the kernel's own files from %s "
			      "(kernel-source %016llx)\n", b->kernel_tree, k ? k->hash : 0ull);
	}
	ls_buf_printf(md, "- cell: median time to the first bug / median executions up to it / "
		      "runs that found it; a run that found nothing within the cap counts as "
		      "infinite, so \"> %" PRIu64 " s\" and \"-\" mean half or more missed\n\n",
		      b->cap);
	ls_buf_printf(md, "| variant | expected |");
	for (int e = 0; e < E_COUNT; e++)
		if (b->engine_on[e])
			ls_buf_printf(md, " %s |", ls_bench_engine_names[e]);
	ls_buf_printf(md, "\n|---|---|");
	for (int e = 0; e < E_COUNT; e++)
		if (b->engine_on[e])
			ls_buf_printf(md, "---:|");
	ls_buf_printf(md, "\n");
	for (int v = 0; v < b->nvar; v++) {
		const struct ls_bench_variant *bv = &b->var[v];
		ls_buf_printf(md, "| %s | %s |", bv->name,
			      ls_kind_name(bv->t->variants[bv->v].expect));
		for (int e = 0; e < E_COUNT; e++) {
			if (!b->engine_on[e])
				continue;
			struct ls_bench_cell c = ls_bench_cell(b, v, e);
			char buf[128];
			fmt_cell(b, &c, buf, sizeof(buf));
			ls_buf_printf(md, " %s |", buf);
		}
		ls_buf_printf(md, "\n");
	}

	ls_buf_printf(md, "\nExecutions per second (one run of %" PRIu64 " s per variant and "
		      "engine that does not stop at bugs, start-up included; stress stops at its "
		      "first bug, and a hang's watchdog wait is not counted):\n\n| variant |",
		      b->rate_s);
	for (int e = 0; e < E_COUNT; e++)
		if (b->engine_on[e])
			ls_buf_printf(md, " %s |", ls_bench_engine_names[e]);
	ls_buf_printf(md, "\n|---|");
	for (int e = 0; e < E_COUNT; e++)
		if (b->engine_on[e])
			ls_buf_printf(md, "---:|");
	double all_x[E_COUNT] = { 0 }, all_t[E_COUNT] = { 0 };
	for (int v = 0; v < b->nvar; v++) {
		ls_buf_printf(md, "\n| %s |", b->var[v].name);
		for (int e = 0; e < E_COUNT; e++) {
			if (!b->engine_on[e])
				continue;
			struct ls_bench_cell c = ls_bench_cell(b, v, e);
			char buf[64];
			double x = b->rate_execs[v * E_COUNT + e], t = b->rate_secs[v * E_COUNT + e];
			if (c.unavailable)
				snprintf(buf, sizeof(buf), "%s", c.unavailable);
			else
				fmt_rate(x, t, buf, sizeof(buf));
			all_x[e] += x;
			all_t[e] += t;
			ls_buf_printf(md, " %s |", buf);
		}
	}
	ls_buf_printf(md, "\n| **all** |");
	for (int e = 0; e < E_COUNT; e++) {
		if (!b->engine_on[e])
			continue;
		char buf[64];
		if (b->avail[e])
			snprintf(buf, sizeof(buf), "%s", b->avail[e]);
		else
			fmt_rate(all_x[e], all_t[e], buf, sizeof(buf));
		ls_buf_printf(md, " **%s** |", buf);
	}
	ls_buf_printf(md, "\n\n");
	if (b->step_ok)
		ls_buf_printf(md, "Scheduler: %.1f ns per step staying on a task, %.1f ns per step "
			      "switching tasks, bare fiber switch %.1f ns (a switching step is %.1fx "
			      "a fiber switch; medians of %d).\n",
			      b->step_stay, b->step_switch, b->fiber, b->step_switch / b->fiber,
			      LS_BENCH_STEP_REPS);
	else
		ls_buf_printf(md, "Scheduler: not measured.\n");

	bool any_note = false;
	for (int v = 0; v < b->nvar; v++)
		for (int e = 0; e < E_COUNT; e++)
			for (uint64_t s = 0; b->engine_on[e] && !b->avail[e] && s < b->seeds; s++) {
				const struct ls_bench_run *r = ls_bench_run_at(b, v, e, s);
				if (r->status != RUN_ERROR && r->status != RUN_NA)
					continue;
				if (!any_note)
					ls_buf_printf(md, "\nRuns that measured nothing:\n\n");
				any_note = true;
				ls_buf_printf(md, "- %s, %s, seed %" PRIu64 ": %s: %s\n",
					      b->var[v].name, ls_bench_engine_names[e], 1 + s * LS_BENCH_SEED_STRIDE,
					      ls_bench_status_names[r->status], r->note);
			}
}

static void csv_field(struct ls_buf *c, const char *s)
{
	ls_buf_printf(c, "\"");
	for (; *s; s++)
		ls_buf_printf(c, *s == '"' ? "\"\"" : "%c", *s);
	ls_buf_printf(c, "\"");
}

/* One row per (variant, engine, seed), raw numbers; empty fields are unknown or not applicable. */
static void render_csv(struct ls_bench *b, struct ls_buf *c)
{
	ls_buf_printf(c, "variant,expected,engine,seed,status,found,first_bug_s,first_bug_exec,"
		      "first_bug_kind,elapsed_s,wall_s,execs,execs_per_s,cap_s,exit_code,note\n");
	for (int v = 0; v < b->nvar; v++)
		for (int e = 0; e < E_COUNT; e++)
			for (uint64_t s = 0; b->engine_on[e] && s < b->seeds; s++) {
				const struct ls_bench_run *r = ls_bench_run_at(b, v, e, s);
				const struct ls_bench_variant *bv = &b->var[v];
				const char *st = b->avail[e] ? b->avail[e] : ls_bench_status_names[r->status];
				csv_field(c, bv->name);	/* an out-of-tree target is a path */
				ls_buf_printf(c, ",%s,%s,%" PRIu64 ",%s,%d,",
					      ls_kind_name(bv->t->variants[bv->v].expect),
					      ls_bench_engine_names[e], 1 + s * LS_BENCH_SEED_STRIDE, st,
					      r->status == RUN_FOUND);
				bool ran = !b->avail[e] && r->status != RUN_SKIPPED;
				bool measured = r->status == RUN_FOUND || r->status == RUN_MISSED;
				if (r->status == RUN_FOUND)
					ls_buf_printf(c, "%.6f,", r->first_s);
				else
					ls_buf_printf(c, ",");
				if (r->status == RUN_FOUND && r->first_exec)
					ls_buf_printf(c, "%" PRIu64 ",", r->first_exec);
				else
					ls_buf_printf(c, ",");
				ls_buf_printf(c, "%s,", r->status == RUN_FOUND ? r->kind : "");
				if (measured)
					ls_buf_printf(c, "%.6f,", r->elapsed_s);
				else
					ls_buf_printf(c, ",");
				if (ran)
					ls_buf_printf(c, "%.6f,", r->wall_s);
				else
					ls_buf_printf(c, ",");
				if (measured && r->has_execs)
					ls_buf_printf(c, "%" PRIu64 ",%.0f,", r->execs,
						      r->elapsed_s > 0 ? (double)r->execs / r->elapsed_s
								       : 0.0);
				else
					ls_buf_printf(c, ",,");
				ls_buf_printf(c, "%" PRIu64 ",", b->cap);
				if (ran)
					ls_buf_printf(c, "%d,", r->exit_code);
				else
					ls_buf_printf(c, ",");
				csv_field(c, r->note);
				ls_buf_printf(c, "\n");
			}
}

static void render_json(struct ls_bench *b, struct ls_buf *j, double total_s, int runs, int errors)
{
	ls_buf_printf(j, "{\"command\":\"bench\",\"seeds\":%" PRIu64 ",\"cap_s\":%" PRIu64
		      ",\"elapsed_s\":%.3f,\"runs\":%d,\"errors\":%d,\"engines\":{",
		      b->seeds, b->cap, total_s, runs, errors);
	bool first = true;
	for (int e = 0; e < E_COUNT; e++) {
		if (!b->engine_on[e])
			continue;
		ls_buf_printf(j, "%s\"%s\":\"%s\"", first ? "" : ",", ls_bench_engine_names[e],
			      b->avail[e] ? b->avail[e] : "ok");
		first = false;
	}
	ls_buf_printf(j, "},");
	if (b->step_ok)
		ls_buf_printf(j, "\"ns_per_step_staying\":%.2f,\"ns_per_step_switching\":%.2f,"
			      "\"ns_fiber_switch\":%.2f,", b->step_stay, b->step_switch, b->fiber);
	else
		ls_buf_printf(j, "\"ns_per_step_staying\":null,\"ns_per_step_switching\":null,"
			      "\"ns_fiber_switch\":null,");
	ls_buf_printf(j, "\"results\":[");
	first = true;
	for (int v = 0; v < b->nvar; v++)
		for (int e = 0; e < E_COUNT; e++) {
			if (!b->engine_on[e])
				continue;
			struct ls_bench_cell c = ls_bench_cell(b, v, e);
			ls_buf_printf(j, "%s{\"variant\":", first ? "" : ",");
			ls_json_str(j, b->var[v].name);
			ls_buf_printf(j, ",\"engine\":\"%s\",\"status\":\"%s\",\"measured\":%d,"
				      "\"found\":%d,\"errors\":%d", ls_bench_engine_names[e],
				      c.unavailable ? c.unavailable : c.measured ? "ok"
						     : c.errors ? "error" : "n/a",
				      c.measured, c.found, c.errors);
			if (c.measured && isfinite(c.median_s))
				ls_buf_printf(j, ",\"median_s\":%.6f", c.median_s);
			else
				ls_buf_printf(j, ",\"median_s\":null");
			if (c.measured && isfinite(c.median_exec))
				ls_buf_printf(j, ",\"median_exec\":%.0f", c.median_exec);
			else
				ls_buf_printf(j, ",\"median_exec\":null");
			if (c.elapsed > 0)
				ls_buf_printf(j, ",\"execs_per_s\":%.0f}", c.execs / c.elapsed);
			else
				ls_buf_printf(j, ",\"execs_per_s\":null}");
			first = false;
		}
	ls_buf_printf(j, "]}");
}

static void write_file(const char *path, const struct ls_buf *text)
{
	if (!ls_write_atomic(path, text->s ? text->s : "", text->len))
		ls_die(LS_EXIT_INTERNAL, "bench: cannot write %s: %s", path, strerror(errno));
}

/* --svg FILE: the time table as bars, one per engine that ran, the median time to the first bug
 * (missed: to the cap; not measured: none). */
static void write_svg(const struct ls_bench *b, const char *path)
{
	const char *rows[b->nvar > 0 ? b->nvar : 1];
	const char *cols[E_COUNT];
	int ecol[E_COUNT], ncols = 0;
	for (int e = 0; e < E_COUNT; e++)
		if (b->engine_on[e])
			ecol[ncols++] = e;
	double *value = calloc((size_t)(b->nvar * ncols + 1), sizeof(*value));
	if (!value)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	char (*labels)[64] = calloc((size_t)ncols + 1, sizeof(*labels));
	if (!labels)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	for (int c = 0; c < ncols; c++) {
		int e = ecol[c];
		snprintf(labels[c], sizeof(labels[c]), "%s%s%s%s", ls_bench_engine_names[e],
			 b->avail[e] ? " (" : "", b->avail[e] ? b->avail[e] : "", b->avail[e] ? ")" : "");
		cols[c] = labels[c];
	}
	for (int v = 0; v < b->nvar; v++) {
		rows[v] = b->var[v].name;
		for (int c = 0; c < ncols; c++) {
			struct ls_bench_cell cell = ls_bench_cell(b, v, ecol[c]);
			value[v * ncols + c] = cell.unavailable || !cell.measured ? NAN : cell.median_s;
		}
	}
	char title[200];
	snprintf(title, sizeof(title), "lockstep bench: median time to the first bug (%" PRIu64
		 " run%s per cell, cap %" PRIu64 " s)", b->seeds, b->seeds == 1 ? "" : "s", b->cap);
	struct ls_buf svg = { 0 };
	ls_svg_log_bars(&svg, title, rows, b->nvar, cols, ncols, value, (double)b->cap);
	write_file(path, &svg);
	ls_buf_finish(&svg);
	free(value);
	free(labels);
}

static void on_start(void *arg, const struct ls_bench *b, int total)
{
	fprintf(stderr, "bench: %d variant%s, %d runs of at most %" PRIu64 " s, in %s\n", b->nvar,
		b->nvar == 1 ? "" : "s", total, b->cap, b->tmp);
}

static void on_run(void *arg, const struct ls_bench *b, int v, int e, uint64_t s,
		   const struct ls_bench_run *r, int done, int total)
{
	char t[32] = "";
	if (r->status == RUN_FOUND)
		fmt_time(r->first_s, t, sizeof(t));
	fprintf(stderr, "bench: [%d/%d] %s %s seed %" PRIu64 ": ", done, total, b->var[v].name,
		ls_bench_engine_names[e], 1 + s * LS_BENCH_SEED_STRIDE);
	if (r->status == RUN_FOUND && r->first_exec)
		fprintf(stderr, "%s in %s, execution %" PRIu64 "\n", r->kind, t, r->first_exec);
	else if (r->status == RUN_FOUND)
		fprintf(stderr, "%s in %s\n", r->kind, t);
	else if (r->status == RUN_MISSED)
		fprintf(stderr, "nothing in %" PRIu64 " s%s%s\n", b->cap, r->note[0] ? ": " : "",
			r->note);
	else
		fprintf(stderr, "%s: %s\n", ls_bench_status_names[r->status], r->note);
}

static void on_rate(void *arg, const struct ls_bench *b, int v, int e, const struct ls_bench_run *r)
{
	fprintf(stderr, "bench: rate %s %s: %" PRIu64 " executions in %.2f s\n", b->var[v].name,
		ls_bench_engine_names[e], r->execs, r->elapsed_s);
}


int ls_cmd_bench(int argc, char **argv)
{
	struct ls_bench b;
	memset(&b, 0, sizeof(b));
	b.seeds = 5;
	b.cap = 10;
	const char *pattern = NULL, *engines = NULL, *md_path = NULL, *csv_path = NULL;
	const char *svg_path = NULL, *kernel_tree = NULL;
	bool json = false, shortmode = false, seeds_seen = false, cap_seen = false, rate_seen = false;
	b.rate_s = 2;
	const struct ls_opt opts[] = {
		{ "seeds", LS_OPT_U64, "N", "runs per engine and variant, each from its own seed",
		  &b.seeds, &seeds_seen },
		{ "cap", LS_OPT_U64, "S", "a run that has not found the bug after S seconds missed it",
		  &b.cap, &cap_seen },
		{ "targets", LS_OPT_STR, "PATTERN", "only variants whose TARGET:VARIANT or TARGET "
		  "matches this shell glob, e.g. 'kptr/*'", &pattern, NULL },
		{ "engines", LS_OPT_STR, "LIST", "comma-separated, from stress, random, pct, afl, "
		  "libfuzzer (default: all)", &engines, NULL },
		{ "no-lockdep", LS_OPT_FLAG, NULL, "the fuzz engines run without the lock validator, "
		  "so only hangs and failed checks count", &b.no_lockdep, NULL },
		{ "kernel-tree", LS_OPT_STR, "PATH", "the fuzz engines run the kernel's own locking "
		  "files from this tree (stress, which runs the hand models, is left out)",
		  &kernel_tree, NULL },
		{ "watchdog", LS_OPT_F64, "S", "stress: declare a hang after S seconds without "
		  "progress (default: stress's own, 2 s)", &b.watchdog, NULL },
		{ "rate", LS_OPT_U64, "S", "the executions-per-second runs' length (0: none)",
		  &b.rate_s, &rate_seen },
		{ "short", LS_OPT_FLAG, NULL, "quick check: demo/abba:buggy and demo/nmi-aa:buggy, 1 "
		  "seed, cap 3 s, rate runs of 1 s, stress watchdog 0.5 s, smaller step-cost runs",
		  &shortmode, NULL },
		{ "md", LS_OPT_STR, "FILE", "also write the Markdown report to FILE", &md_path, NULL },
		{ "svg", LS_OPT_STR, "FILE", "also draw the time-to-first-bug table in FILE: variants "
		  "by engines, on a log scale", &svg_path, NULL },
		{ "csv", LS_OPT_STR, "FILE", "also write one CSV row per run to FILE", &csv_path,
		  NULL },
		{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output", &json,
		  NULL },
		{ "quiet", LS_OPT_FLAG, NULL, "no progress lines on stderr", &b.quiet, NULL },
		{ 0 },
	};
	char *pos[MAX_POS];
	int npos = ls_parse(ls_cmd_lookup("bench"), opts, argc, argv, pos, MAX_POS);
	ls_output_or_die("bench", "--md", md_path);
	ls_output_or_die("bench", "--svg", svg_path);
	ls_output_or_die("bench", "--csv", csv_path);
	if (shortmode) {
		if (!seeds_seen)
			b.seeds = 1;
		if (!cap_seen)
			b.cap = 3;
		if (b.watchdog == 0)
			b.watchdog = 0.5;
		if (!rate_seen)
			b.rate_s = 1;
	}
	static char tree_abs[4096];
	if (kernel_tree) {
		/* Built here once, so each run finds it in the cache and a tree the shims cannot
		 * compile is refused before any run; absolute, as the runs start elsewhere. */
		char err[2048];
		if (!realpath(kernel_tree, tree_abs))
			ls_die(LS_EXIT_USAGE, "bench: --kernel-tree %s: %s", kernel_tree,
			       strerror(errno));
		if (!ls_ksrc_load(tree_abs, err, sizeof(err)))
			ls_die(LS_EXIT_USAGE, "bench: --kernel-tree: %s", err);
		b.kernel_tree = tree_abs;
	}
	if (b.seeds < 1 || b.seeds > LS_BENCH_MAX_SEEDS)
		ls_die(LS_EXIT_USAGE, "bench: --seeds must be between 1 and %d", LS_BENCH_MAX_SEEDS);
	if (b.cap < 1 || b.cap > 86400)
		ls_die(LS_EXIT_USAGE, "bench: --cap must be between 1 and 86400 seconds");
	for (int e = 0; e < E_COUNT; e++)
		b.engine_on[e] = !engines;
	if (engines) {
		char *list = strdup(engines), *save = NULL;
		for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			int e = 0;
			while (e < E_COUNT && strcmp(w, ls_bench_engine_names[e]) != 0)
				e++;
			if (e == E_COUNT)
				ls_die(LS_EXIT_USAGE, "bench: unknown engine '%s' (stress, random, pct, "
				       "afl, libfuzzer)", w);
			b.engine_on[e] = true;
		}
		free(list);
	}
	char *short_pos[] = { "demo/abba:buggy", "demo/nmi-aa:buggy" };
	if (shortmode && npos == 0)
		ls_bench_pick_variants(&b, short_pos, 2, pattern);
	else
		ls_bench_pick_variants(&b, pos, npos, pattern);

	b.small = shortmode;
	struct ls_bench_hooks h = { &b.quiet, on_start, on_run, on_rate };
	ls_bench_measure(&b, b.quiet ? NULL : &h);
	double total_s = b.total_s;
	int done = b.done, errors = b.errors;

	struct ls_buf md = { 0 }, csv = { 0 };
	render_md(&b, &md, total_s);
	render_csv(&b, &csv);
	printf("%s", md.s);
	if (md_path)
		write_file(md_path, &md);
	if (svg_path)
		write_svg(&b, svg_path);
	if (csv_path)
		write_file(csv_path, &csv);
	if (json) {
		struct ls_buf j = { 0 };
		render_json(&b, &j, total_s, done, errors);
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	ls_buf_finish(&md);
	ls_buf_finish(&csv);
	ls_bench_finish(&b);
	if (done > 0 && errors == done)
		return LS_EXIT_INTERNAL;
	return LS_EXIT_CLEAN;
}

/* lockstep fuzz: the front end of a fuzz campaign (src/campaign/fuzz.h; pool.c explains lockstep's
 * own engines, external.c libFuzzer's and AFL++'s): its options, and what it prints, the progress
 * line on stderr, each finding's report as it is filed, and the summary (--json: its JSON line
 * last). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "svg.h"
#include "../campaign/fuzz.h"
#include "../findings.h"

#define EXT_TIME_S 60		/* --engine libfuzzer|afl without --time: seconds */

struct front {
	bool quiet, json, tty, stop_on_bug;
	uint64_t seed;
	const char *engine;
	/* --plot: the samples, one every LS_FUZZ_SAMPLE_S, then thinned (add_sample()). */
	size_t n, cap, every, seen;
	double last[4];			/* the newest sample, kept or not: the campaign's end */
	double *t, *execs, *inter, *finds;
};

#define MAX_SAMPLES 4096	/* a long campaign's plot keeps every other sample, again and again */

static void add_sample(struct front *fr, double t, double execs, double inter, double finds)
{
	if (fr->n == MAX_SAMPLES) {
		/* Keep the even ones (the origin included), and from now on one in twice as many. */
		for (size_t i = 0; 2 * i < fr->n; i++) {
			fr->t[i] = fr->t[2 * i];
			fr->execs[i] = fr->execs[2 * i];
			fr->inter[i] = fr->inter[2 * i];
			fr->finds[i] = fr->finds[2 * i];
		}
		fr->n = (fr->n + 1) / 2;
		fr->every *= 2;
	}
	if (fr->n == fr->cap) {
		fr->cap = fr->cap ? 2 * fr->cap : 256;
		double **v[] = { &fr->t, &fr->execs, &fr->inter, &fr->finds };
		for (int i = 0; i < 4; i++)
			if (!(*v[i] = realloc(*v[i], fr->cap * sizeof(double))))
				ls_die(LS_EXIT_INTERNAL, "out of memory");
	}
	fr->t[fr->n] = t;
	fr->execs[fr->n] = execs;
	fr->inter[fr->n] = inter;
	fr->finds[fr->n] = finds;
	fr->n++;
}

static void on_sample(void *arg, const struct ls_fuzz_result *r)
{
	struct front *fr = arg;
	if (fr->n == 0) {
		fr->every = 1;
		add_sample(fr, 0, 0, 0, 0);	/* nothing ran at 0 s */
	}
	double v[4] = { r->elapsed_s, (double)r->executions, (double)r->interleavings, r->nf };
	memcpy(fr->last, v, sizeof(v));
	if (fr->seen++ % fr->every == 0)
		add_sample(fr, v[0], v[1], v[2], v[3]);
}

/* --plot FILE: executions, distinct interleavings and bugs over the campaign's time. */
static void write_plot(struct front *fr, const char *spec, const char *path)
{
	if (fr->n && fr->t[fr->n - 1] < fr->last[0])	/* the end, if thinning skipped it */
		add_sample(fr, fr->last[0], fr->last[1], fr->last[2], fr->last[3]);
	const struct ls_svg_series s[] = {
		{ "executions", fr->t, fr->execs, fr->n, false },
		{ "distinct interleavings", fr->t, fr->inter, fr->n, false },
		{ "bugs", fr->t, fr->finds, fr->n, true },
	};
	char title[400];
	snprintf(title, sizeof(title), "lockstep fuzz %s", spec);
	struct ls_buf b = { 0 };
	ls_svg_time_panels(&b, title, s, 3);
	if (!ls_write_atomic(path, b.s, b.len))
		ls_die(LS_EXIT_INTERNAL, "fuzz: cannot write %s: %s", path, strerror(errno));
	ls_buf_finish(&b);
	free(fr->t);
	free(fr->execs);
	free(fr->inter);
	free(fr->finds);
}

static void on_finding(void *arg, const struct ls_fuzz_finding *f, bool fresh, int pl,
		       uint64_t exec, uint64_t was, const char *report, size_t rlen)
{
	const struct front *fr = arg;
	bool smaller = !fresh && f->kept_exec == exec;
	if (!fresh && !smaller && fr->quiet)
		return;
	if (fr->tty)
		fputc('\n', stderr);
	if (fresh) {
		if (!fr->quiet)
			fwrite(report, 1, rlen, stdout);
		printf("fuzz: new bug at execution %" PRIu64 " (seed %" PRIu64 "): %s\n      %s\n",
		       exec, f->first_seed, f->title, f->path);
	} else if (pl >= 0 && !fr->quiet) {
		/* The first placement of its kind (the hang a validator report predicted): its
		 * report too. */
		bool seen = false;
		for (int j = 0; j < f->npl; j++)
			seen |= j != pl && f->pl[j].kind == f->pl[pl].kind;
		if (!seen)
			fwrite(report, 1, rlen, stdout);
		printf("fuzz: another placement of %s at execution %" PRIu64 ": %s\n", f->path, exec,
		       f->pl[pl].signature);
	}
	if (smaller) {
		printf("fuzz: a smaller trace of %s at execution %" PRIu64 " (seed %" PRIu64 "): %"
		       PRIu64 " decision%s, %" PRIu64 " steps", f->path, exec, f->kept_seed,
		       f->kept_decisions, f->kept_decisions == 1 ? "" : "s", f->kept_steps);
		if (was != UINT64_MAX)
			printf(", replacing execution %" PRIu64 "'s", was);
		printf("\n");
	}
	fflush(stdout);
}

static void on_progress(void *arg, const struct ls_fuzz_result *r)
{
	const struct front *fr = arg;
	uint64_t by_kind[LS_KIND_COUNT] = { 0 };
	for (int i = 0; i < r->nf; i++)
		by_kind[r->f[i].kind]++;
	fprintf(stderr, "%sfuzz: %" PRIu64 " execs, %.0f execs/s, %s%" PRIu64 " interleavings, "
			"%d bug%s",
		fr->tty ? "\r" : "", r->executions,
		r->elapsed_s > 0 ? (double)r->executions / r->elapsed_s : 0.0,
		r->interleavings_exact ? "" : "~", r->interleavings, r->nf, r->nf == 1 ? "" : "s");
	bool any = false;
	for (int k = 1; k < LS_KIND_COUNT; k++)
		if (by_kind[k]) {
			fprintf(stderr, "%s%s %" PRIu64, any ? ", " : " (",
				ls_kind_name((enum ls_kind)k), by_kind[k]);
			any = true;
		}
	fprintf(stderr, "%s, %.1f s%s", any ? ")" : "", r->elapsed_s, fr->tty ? "   " : "\n");
	fflush(stderr);
}

/* Placements listed under a bug in the summary; the findings directory's README.md has all. */
#define SUMMARY_PLACEMENTS 8

static void print_bug(const struct ls_variant *var, const struct ls_fuzz_finding *f)
{
	bool bug = false;
	for (int j = 0; j < f->npl; j++)
		bug |= ls_variant_bug(var, f->pl[j].kind);
	printf("  %-13s %s\n", f->shape, f->title);
	printf("      hits %" PRIu64 ", first at execution %" PRIu64 " (seed %" PRIu64 ")", f->hits,
	       f->first_exec, f->first_seed);
	if (f->kept_exec != UINT64_MAX)
		printf("; kept: execution %" PRIu64 " (seed %" PRIu64 "), %" PRIu64 " decision%s, %"
		       PRIu64 " steps", f->kept_exec, f->kept_seed, f->kept_decisions,
		       f->kept_decisions == 1 ? "" : "s", f->kept_steps);
	printf("\n      %s%s%s%s\n", f->path, f->unsaved ? " (not saved: " : "",
	       f->unsaved ? strerror(f->unsaved_errno) : "", f->unsaved ? ")" : "");
	if (!bug)
		printf("      (expected behaviour: not a bug for this variant)\n");
	printf("      %d placement%s:\n", f->npl, f->npl == 1 ? "" : "s");
	/* Earliest first: the order workers reported them in depends on their timing. */
	bool shown[SUMMARY_PLACEMENTS * 64] = { false };
	for (int n = 0; n < f->npl && n < SUMMARY_PLACEMENTS; n++) {
		int best = -1;
		for (int j = 0; j < f->npl && j < (int)sizeof(shown); j++)
			if (!shown[j] && (best < 0 || f->pl[j].first_exec < f->pl[best].first_exec))
				best = j;
		if (best < 0)
			break;
		shown[best] = true;
		printf("      %8" PRIu64 "  %s\n", f->pl[best].hits, f->pl[best].signature);
	}
	if (f->npl > SUMMARY_PLACEMENTS)
		printf("      ... and %d more (the findings directory's README.md lists them)\n",
		       f->npl - SUMMARY_PLACEMENTS);
}

static void on_summary(void *arg, const struct ls_fuzz_result *r)
{
	const struct front *fr = arg;
	const struct ls_session *s = r->s;
	const struct ls_variant *var = &s->target->variants[s->variant];
	uint64_t n = r->executions;
	double elapsed = r->elapsed_s;
	double rate = elapsed > 0 ? (double)n / elapsed : 0.0;
	char jobs[32] = "";
	if (r->jobs > 1)
		snprintf(jobs, sizeof(jobs), ", %" PRIu64 " jobs", r->jobs);
	int npl = 0;
	for (int i = 0; i < r->nf; i++)
		npl += r->f[i].npl;
	printf("\nfuzz %s:%s: %" PRIu64 " executions in %.2f s (%.0f/s%s), %d bug%s (%d "
	       "placement%s)%s\n",
	       s->target->name, var->name, n, elapsed, rate, jobs, r->nf, r->nf == 1 ? "" : "s",
	       npl, npl == 1 ? "" : "s", ls_stop_signal ? " (stopped by signal)" : "");
	for (int i = 0; i < r->nf; i++)
		print_bug(var, &r->f[i]);
	if (r->pct_bound[0])
		printf("%s\n", r->pct_bound);
	if (fr->stop_on_bug && r->bug)
		printf("stopped at the first bug: %s at execution %" PRIu64 ", %.3f s into the "
		       "campaign\n", ls_kind_name(r->first_bug_kind), r->first_bug_exec,
		       r->first_bug_s);
	printf("%s\n", r->expect.text);
	if (!fr->json)
		return;
	struct ls_buf j = { 0 };
	ls_buf_printf(&j, "{\"command\":\"fuzz\",\"target\":");
	ls_json_str(&j, s->target->name);
	ls_buf_printf(&j, ",\"variant\":");
	ls_json_str(&j, var->name);
	ls_buf_printf(&j, ",\"engine\":");
	ls_json_str(&j, fr->engine);
	ls_buf_printf(&j, ",\"strategy\":");
	ls_json_str(&j, r->strategy);
	ls_buf_printf(&j, ",\"jobs\":%" PRIu64 ",\"seed\":%" PRIu64 ",\"execs\":%" PRIu64
			  ",\"elapsed_s\":%.3f,\"execs_per_s\":%.0f,\"interleavings\":%" PRIu64
			  ",\"interleavings_exact\":%s,\"stopped_by_signal\":%s",
		      r->jobs, fr->seed, n, elapsed, rate, r->interleavings,
		      r->interleavings_exact ? "true" : "false", ls_stop_signal ? "true" : "false");
	if (r->bug)
		ls_buf_printf(&j, ",\"first_bug_s\":%.6f,\"first_bug_exec\":%" PRIu64
				  ",\"first_bug_kind\":\"%s\"",
			      r->first_bug_s, r->first_bug_exec + 1, ls_kind_name(r->first_bug_kind));
	else
		ls_buf_printf(&j, ",\"first_bug_s\":null,\"first_bug_exec\":null"
				  ",\"first_bug_kind\":null");
	if (r->pct_bound[0]) {
		ls_buf_printf(&j, ",\"pct_bound\":");
		ls_json_str(&j, r->pct_bound);
	}
	ls_buf_printf(&j, ",\"findings\":[");
	for (int i = 0; i < r->nf; i++) {
		const struct ls_fuzz_finding *f = &r->f[i];
		bool bug = false;
		for (int k = 0; k < f->npl; k++)
			bug |= ls_variant_bug(var, f->pl[k].kind);
		ls_buf_printf(&j, "%s{\"kind\":\"%s\",\"shape\":", i ? "," : "",
			      ls_kind_name(f->kind));
		ls_json_str(&j, f->shape);
		ls_buf_printf(&j, ",\"hash\":\"%012llx\",\"title\":", f->hash & 0xffffffffffffull);
		ls_json_str(&j, f->title);
		ls_buf_printf(&j, ",\"identity\":");
		ls_json_str(&j, f->bug);
		ls_buf_printf(&j, ",\"hits\":%" PRIu64 ",\"first_exec\":%" PRIu64 ",\"seed\":%"
				  PRIu64, f->hits, f->first_exec, f->first_seed);
		if (f->kept_exec != UINT64_MAX)
			ls_buf_printf(&j, ",\"kept_exec\":%" PRIu64 ",\"kept_seed\":%" PRIu64
					  ",\"decisions\":%" PRIu64 ",\"steps\":%" PRIu64 ",\"signature\":",
				      f->kept_exec, f->kept_seed, f->kept_decisions, f->kept_steps);
		else
			ls_buf_printf(&j, ",\"kept_exec\":null,\"signature\":");
		ls_json_str(&j, f->pl[f->kept_exec != UINT64_MAX ? f->kept_pl : 0].signature);
		ls_buf_printf(&j, ",\"trace\":");
		ls_json_str(&j, f->path);
		ls_buf_printf(&j, ",\"placements\":[");
		for (int k = 0; k < f->npl; k++) {
			ls_buf_printf(&j, "%s{\"kind\":\"%s\",\"hits\":%" PRIu64 ",\"first_exec\":%"
					  PRIu64 ",\"signature\":", k ? "," : "",
				      ls_kind_name(f->pl[k].kind), f->pl[k].hits, f->pl[k].first_exec);
			ls_json_str(&j, f->pl[k].signature);
			ls_buf_printf(&j, "}");
		}
		ls_buf_printf(&j, "],\"bug\":%s,\"saved\":%s}", bug ? "true" : "false",
			      f->unsaved ? "false" : "true");
	}
	ls_buf_printf(&j, "]");
	ls_expect_json(&j, var, &r->expect);
	ls_buf_printf(&j, "}");
	printf("%s\n", j.s);
	ls_buf_finish(&j);
}

static void on_ext_input(void *arg, const char *input, const struct ls_fuzz_ext_finding *f,
			 const char *out, size_t outlen)
{
	const struct front *fr = arg;
	if (!f) {
		printf("fuzz: %s: no finding when run by lockstep\n", input);
		return;
	}
	if (!fr->quiet)
		fwrite(out, 1, outlen, stdout);
	printf("fuzz: %s from %s: %s\n", ls_kind_name(f->kind), input, f->trace);
}

static void on_ext_summary(void *arg, const struct ls_fuzz_ext_result *r)
{
	const struct front *fr = arg;
	const struct ls_variant *var = &r->s->target->variants[r->s->variant];
	printf("\nfuzz %s: %s, %" PRIu64 " job%s, %.2f s, %" PRIu64 " crash input%s, %d bug%s%s\n", r->spec, r->engine, r->jobs, r->jobs == 1 ? "" : "s", r->elapsed_s,
	       r->inputs, r->inputs == 1 ? "" : "s", r->nf, r->nf == 1 ? "" : "s",
	       ls_stop_signal ? " (stopped by signal)" : "");
	for (int i = 0; i < r->nf; i++) {
		bool bug = ls_variant_bug(var, r->f[i].kind);
		printf("  %-13s hits %-8" PRIu64 " %s\n      %s%s\n", ls_kind_name(r->f[i].kind),
		       r->f[i].hits, r->f[i].trace, r->f[i].title,
		       bug ? "" : "\n      (expected behaviour: not a bug for this variant)");
	}
	if (r->unreproduced)
		printf("  %" PRIu64 " crash input%s with no finding when run by lockstep\n",
		       r->unreproduced, r->unreproduced == 1 ? "" : "s");
	if (fr->stop_on_bug && r->bug) {
		printf("stopped at the first bug: %s, %.3f s into the campaign",
		       ls_kind_name(r->first_bug_kind), r->first_bug_s);
		if (r->first_bug_exec)
			printf(", after %" PRIu64 " executions", r->first_bug_exec);
		printf("\n");
	}
	printf("%s\n", r->expect.text);
	if (!fr->json)
		return;
	struct ls_buf j = { 0 };
	ls_buf_printf(&j, "{\"command\":\"fuzz\",\"target\":");
	ls_json_str(&j, r->s->target->name);
	ls_buf_printf(&j, ",\"variant\":");
	ls_json_str(&j, var->name);
	ls_buf_printf(&j, ",\"engine\":");
	ls_json_str(&j, r->engine);
	ls_buf_printf(&j, ",\"jobs\":%" PRIu64 ",\"seed\":%" PRIu64 ",\"elapsed_s\":%.3f"
			  ",\"crash_inputs\":%" PRIu64 ",\"unreproduced\":%" PRIu64
			  ",\"stopped_by_signal\":%s",
		      r->jobs, fr->seed, r->elapsed_s, r->inputs, r->unreproduced,
		      ls_stop_signal ? "true" : "false");
	if (r->execs_known)
		ls_buf_printf(&j, ",\"execs\":%" PRIu64 ",\"execs_per_s\":%.0f", r->execs,
			      r->elapsed_s > 0 ? (double)r->execs / r->elapsed_s : 0.0);
	else
		ls_buf_printf(&j, ",\"execs\":null,\"execs_per_s\":null");
	if (r->bug) {
		ls_buf_printf(&j, ",\"first_bug_s\":%.6f,\"first_bug_exec\":", r->first_bug_s);
		ls_buf_printf(&j, r->first_bug_exec ? "%" PRIu64 : "null", r->first_bug_exec);
		ls_buf_printf(&j, ",\"first_bug_kind\":\"%s\"", ls_kind_name(r->first_bug_kind));
	} else {
		ls_buf_printf(&j, ",\"first_bug_s\":null,\"first_bug_exec\":null"
				  ",\"first_bug_kind\":null");
	}
	ls_buf_printf(&j, ",\"findings\":[");
	for (int i = 0; i < r->nf; i++) {
		ls_buf_printf(&j, "%s{\"kind\":\"%s\",\"hits\":%" PRIu64 ",\"trace\":",
			      i ? "," : "", ls_kind_name(r->f[i].kind), r->f[i].hits);
		ls_json_str(&j, r->f[i].trace);
		ls_buf_printf(&j, ",\"title\":");
		ls_json_str(&j, r->f[i].title);
		ls_buf_printf(&j, ",\"input\":");
		ls_json_str(&j, r->f[i].input);
		ls_buf_printf(&j, ",\"bug\":%s}",
			      ls_variant_bug(var, r->f[i].kind) ? "true" : "false");
	}
	ls_buf_printf(&j, "]");
	ls_expect_json(&j, var, &r->expect);
	ls_buf_printf(&j, "}");
	printf("%s\n", j.s);
	ls_buf_finish(&j);
}

int ls_cmd_fuzz(int argc, char **argv)
{
	struct ls_fuzz_opts fo;
	memset(&fo, 0, sizeof(fo));
	struct ls_exec_opts *o = &fo.o;
	uint64_t time_s = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	fo.jobs = cores < 1 ? 1 : cores > LS_FUZZ_MAX_JOBS ? LS_FUZZ_MAX_JOBS : (uint64_t)cores;
	bool execs_seen = false, time_seen = false;
	const char *plot = NULL;
	ls_exec_opts_default(o);
	const struct ls_opt opts[] = {
		LS_ENGINE_OPTS(*o),
		{ "execs", LS_OPT_U64, "N", "stop after N executions in all (default 100000 without "
		  "--time)", &fo.execs, &execs_seen },
		{ "time", LS_OPT_U64, "S", "stop after S seconds of wall time (--engine libfuzzer or "
		  "afl, which run the fuzz/ harness built next to lockstep: 60 s by default)", &time_s,
		  &time_seen },
		{ "jobs", LS_OPT_U64, "N", "worker processes, one per online core by default (execution i runs in worker i mod N)", &fo.jobs,
		  NULL },
		{ "plot", LS_OPT_STR, "FILE", "write an SVG of executions, distinct interleavings and "
		  "bugs over the campaign's time to FILE (random and pct)", &plot, NULL },
		{ "minimize", LS_OPT_FLAG, NULL, "minimize each new bug this campaign saves (lockstep "
		  "minimize; KIND-HASH.min.trace beside it)", &fo.minimize, NULL },
		{ "seeds", LS_OPT_STR, "DIR", "--engine libfuzzer or afl: the starting corpus, e.g. "
		  "seeds/demo/abba (seeds/make-seeds.sh)", &fo.seeds, NULL },
		{ "stop-on-bug", LS_OPT_FLAG, NULL, "end the campaign at the first finding that is a "
		  "bug for the variant (the JSON's first_bug_s and first_bug_exec say when)",
		  &fo.stop_on_bug, NULL },
		LS_EXEC_OPTS(*o),
		{ 0 },
	};
	char *pos[1];
	if (ls_parse(ls_cmd_lookup("fuzz"), opts, argc, argv, pos, 1) != 1)
		ls_die(LS_EXIT_USAGE, "fuzz: expected TARGET[:VARIANT] (see --help)");
	ls_exec_opts_check(o);
	ls_output_or_die("fuzz", "--plot", plot);
	fo.spec = pos[0];
	struct front fr = { o->quiet, o->json, isatty(STDERR_FILENO), fo.stop_on_bug, o->seed,
			    o->engine, 0, 0, 0, 0, { 0 }, NULL, NULL, NULL, NULL };
	struct ls_fuzz_hooks h = { &fr, fr.tty, on_finding, on_progress, plot ? on_sample : NULL,
				   on_summary, on_ext_input, on_ext_summary };
	if (strcmp(o->engine, "libfuzzer") == 0 || strcmp(o->engine, "afl") == 0) {
		if (plot)
			ls_die(LS_EXIT_USAGE, "fuzz: --plot is for --engine random or pct");
		if (execs_seen)
			ls_die(LS_EXIT_USAGE, "fuzz: --engine %s runs for --time S, not --execs",
			       o->engine);
		if (time_seen && time_s == 0)
			ls_die(LS_EXIT_USAGE, "fuzz: --time must be positive");
		if (fo.jobs < 1 || fo.jobs > LS_FUZZ_MAX_JOBS)
			ls_die(LS_EXIT_USAGE, "fuzz: --jobs must be between 1 and %d", LS_FUZZ_MAX_JOBS);
		if (fo.seeds) {
			struct stat st;
			if (stat(fo.seeds, &st) != 0 || !S_ISDIR(st.st_mode))
				ls_die(LS_EXIT_USAGE, "fuzz: --seeds %s is not a directory", fo.seeds);
		}
		fo.time_s = time_seen ? time_s : EXT_TIME_S;
		return ls_fuzz_external_run(&fo, &h);
	}
	if (fo.seeds)
		ls_die(LS_EXIT_USAGE, "fuzz: --seeds is for --engine libfuzzer or afl");
	if (!execs_seen && !time_seen)
		fo.execs = 100000;
	if ((execs_seen && fo.execs == 0) || (time_seen && time_s == 0))
		ls_die(LS_EXIT_USAGE, "fuzz: --execs and --time must be positive");
	if (fo.jobs < 1 || fo.jobs > LS_FUZZ_MAX_JOBS)
		ls_die(LS_EXIT_USAGE, "fuzz: --jobs must be between 1 and %d", LS_FUZZ_MAX_JOBS);
	fo.time_s = time_s;
	int code = ls_fuzz_run(&fo, &h);
	if (plot)
		write_plot(&fr, pos[0], plot);
	return code;
}

/* lockstep check: does every variant still behave as it declares?  The command a kernel
 * developer puts in CI next to a patch.
 *
 * The arguments name variants: "target:variant", "target" (all its variants), a shell glob over
 * "target:variant" and target names (e.g. rqspinlock/[a-z]*, *:current), or a shared object
 * (./mytarget.so, ./mytarget.so:buggy); none means every in-tree target.  Each variant is one
 * campaign, `lockstep fuzz SPEC --execs BUDGET --seed SEED --json --quiet` in a child process (a
 * target that crashes or hangs ends its own campaign, not the check), whose JSON summary carries
 * the verdict of expect.c: the declared bug found, or for a variant declared clean, no bug.
 * Unsettled variants are run and reported, never judged.
 *
 * One line per variant, then a summary; exit 0 when every settled variant behaved as declared,
 * 1 when one did not (each is named), 3 when a campaign could not run (no JSON summary, or an
 * exit status other than 0 and 1), 2 for bad usage.  Findings go to a scratch directory, kept
 * and named when a variant failed, removed otherwise.
 *
 * --kernel-tree runs every campaign on the tree's own locking files (docs/kernel-source.md).
 * With --differential as well, each variant runs twice on the same seed, on the hand models and
 * on the tree, and the two must agree: the same verdict, and the same kinds of outcome found
 * (validator reports, predictions of a hang, are shown but not compared: found_kinds()).  A
 * disagreement is a failure (DIFF) to trace to the source: one of the model and the shims is
 * wrong there. */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "../../targets/targets.h"
#include "../ksrc/ksrc.h"

#define MAX_SPECS 4096

struct check {
	char self[4096];
	char tmp[4096];
	uint64_t budget, seed, jobs;
	const char *engine;
	const char *memory_model;	/* passed to each campaign */
	const char *kernel_tree;	/* --kernel-tree, checked by loading it here */
	bool differential;
	bool no_lockdep, json, quiet, settled, compiler_reorder;
	char *specs[MAX_SPECS];
	int nspecs;
};

/* Adds "target:variant" (variant NULL: target is already a whole spec), once. */
static void add_spec(struct check *c, const char *target, const char *variant)
{
	if (c->nspecs == MAX_SPECS)
		ls_die(LS_EXIT_USAGE, "check: more than %d variants", MAX_SPECS);
	size_t n = strlen(target) + (variant ? strlen(variant) : 0) + 2;
	char *s = malloc(n);
	if (!s)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	snprintf(s, n, "%s%s%s", target, variant ? ":" : "", variant ? variant : "");
	for (int i = 0; i < c->nspecs; i++)
		if (strcmp(c->specs[i], s) == 0) {
			free(s);
			return;
		}
	c->specs[c->nspecs++] = s;
}

static void add_target(struct check *c, const char *name, const struct ls_target *t)
{
	for (int v = 0; v < t->nvariants; v++)
		add_spec(c, name, t->variants[v].name);
}

/* One argument: a glob over the in-tree targets, or a target or variant (in-tree or .so). */
static void expand(struct check *c, const char *arg)
{
	if (strpbrk(arg, "*?[")) {
		int before = c->nspecs;
		for (int i = 0; i < ls_ntargets; i++) {
			const struct ls_target *t = ls_targets[i];
			for (int v = 0; v < t->nvariants; v++) {
				char tv[256];
				snprintf(tv, sizeof(tv), "%s:%s", t->name, t->variants[v].name);
				if (fnmatch(arg, tv, 0) == 0 || fnmatch(arg, t->name, 0) == 0)
					add_spec(c, t->name, t->variants[v].name);
			}
		}
		if (c->nspecs == before)
			ls_die(LS_EXIT_USAGE, "check: '%s' matches no in-tree target or variant", arg);
		return;
	}
	const struct ls_target *t;
	int v;
	char err[512];
	if (!ls_target_spec(arg, &t, &v, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "check: %s", err);
	const char *colon = strrchr(arg, ':');
	if (colon && !strchr(colon, '/'))
		add_spec(c, arg, NULL);	/* one variant, as given */
	else
		add_target(c, arg, t);
}

/* Runs one campaign; returns its exit status (-1: it died), its stdout in out. */
static int campaign(struct check *c, const char *spec, bool kernel, const char *outdir,
		    struct ls_buf *out, const char *errpath)
{
	char execs[32], seed[32], jobs[32];
	snprintf(execs, sizeof(execs), "%" PRIu64, c->budget);
	snprintf(seed, sizeof(seed), "%" PRIu64, c->seed);
	snprintf(jobs, sizeof(jobs), "%" PRIu64, c->jobs);
	const char *argv[24];
	int a = 0;
	argv[a++] = c->self;
	argv[a++] = "fuzz";
	argv[a++] = spec;
	argv[a++] = "--execs";
	argv[a++] = execs;
	argv[a++] = "--seed";
	argv[a++] = seed;
	argv[a++] = "--engine";
	argv[a++] = c->engine;
	if (c->jobs) {
		argv[a++] = "--jobs";
		argv[a++] = jobs;
	}
	if (c->no_lockdep)
		argv[a++] = "--no-lockdep";
	argv[a++] = "--memory-model";
	argv[a++] = c->memory_model;
	if (c->compiler_reorder)
		argv[a++] = "--compiler-reorder";
	if (kernel) {
		argv[a++] = "--kernel-tree";
		argv[a++] = c->kernel_tree;
	}
	argv[a++] = "--out";
	argv[a++] = outdir;
	argv[a++] = "--json";
	argv[a++] = "--quiet";
	argv[a] = NULL;

	double wall;
	return ls_run_child((char *const *)argv, NULL, 1e9, errpath, out, &wall);
}

/* The kinds of bug a campaign's JSON summary lists, sorted, joined by ','; "none" if none.
 * Without lockdep when outcomes_only: a validator report predicts a hang, and which of a bug's
 * predictions a budget reaches first is sampling; the outcomes (a hang, a stall, an averted
 * deadlock, an invariant, a crash) are what the two backends must share. */
static void found_kinds(const json_t *json, bool outcomes_only, char *buf, size_t n)
{
	const char *kinds[32];
	int nk = 0;
	json_t *findings = json ? json_object_get(json, "findings") : NULL;
	size_t i;
	json_t *f;
	json_array_foreach(findings, i, f) {
		const char *k = ls_json_string(f, "kind");
		if (k && outcomes_only && strcmp(k, "lockdep") == 0)
			continue;
		bool seen = false;
		for (int j = 0; j < nk && k; j++)
			seen |= strcmp(kinds[j], k) == 0;
		if (k && !seen && nk < 32)
			kinds[nk++] = k;
	}
	for (int a = 0; a < nk; a++)
		for (int b = a + 1; b < nk; b++)
			if (strcmp(kinds[b], kinds[a]) < 0) {
				const char *t = kinds[a];
				kinds[a] = kinds[b];
				kinds[b] = t;
			}
	size_t at = 0;
	buf[0] = '\0';
	for (int a = 0; a < nk && at < n; a++)
		at += (size_t)snprintf(buf + at, n - at, "%s%s", a ? "," : "", kinds[a]);
	if (!nk)
		snprintf(buf, n, "none");
}

int ls_cmd_check(int argc, char **argv)
{
	const struct ls_cmd *cmd = ls_cmd_lookup("check");
	static struct check c;
	c.budget = 20000;
	c.engine = "random";
	c.memory_model = "sc";
	const struct ls_opt opts[] = {
		{ "budget", LS_OPT_U64, "N",
		  "executions per variant: a variant declared buggy must show its bug within them, "
		  "one declared clean must show none", &c.budget, NULL },
		{ "seed", LS_OPT_U64, "N", "seed of each campaign's first execution", &c.seed, NULL },
		{ "engine", LS_OPT_STR, "NAME", "random or pct", &c.engine, NULL },
		{ "jobs", LS_OPT_U64, "N", "worker processes per campaign (0: fuzz's default)",
		  &c.jobs, NULL },
		{ "no-lockdep", LS_OPT_FLAG, NULL,
		  "run without the lock validator (a variant that declares lockdep then fails)",
		  &c.no_lockdep, NULL },
		{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output",
		  &c.json, NULL },
		{ "quiet", LS_OPT_FLAG, NULL, "print only the variants that failed and the summary",
		  &c.quiet, NULL },
		{ "settled", LS_OPT_FLAG, NULL,
		  "skip the unsettled variants, which are run and reported but never judged",
		  &c.settled, NULL },
		{ "memory-model", LS_OPT_STR, "MODEL",
		  "run every campaign under sc, tso or relaxed: a variant declared clean must stay "
		  "clean under it", &c.memory_model, NULL },
		{ "compiler-reorder", LS_OPT_FLAG, NULL,
		  "every campaign with the compiler's reordering of plain stores", &c.compiler_reorder,
		  NULL },
		{ "kernel-tree", LS_OPT_STR, "PATH",
		  "every campaign on this kernel tree's qspinlock.c, llist.c, irq_work.c and "
		  "rqspinlock.c instead of the hand models", &c.kernel_tree, NULL },
		{ "differential", LS_OPT_FLAG, NULL,
		  "with --kernel-tree: run each variant on the hand models and on the tree, same seed; "
		  "their verdicts and the kinds of outcome found (lockdep's predictions aside) must "
		  "agree", &c.differential, NULL },
		{ 0 },
	};
	char *pos[MAX_SPECS];
	int npos = ls_parse(cmd, opts, argc, argv, pos, MAX_SPECS);
	if (!c.budget)
		ls_die(LS_EXIT_USAGE, "check: --budget must be at least 1");
	if (strcmp(c.engine, "random") != 0 && strcmp(c.engine, "pct") != 0)
		ls_die(LS_EXIT_USAGE, "check: --engine must be random or pct, got '%s'", c.engine);
	enum ls_memory_model mm;
	if (!ls_memory_model_parse(c.memory_model, &mm))
		ls_die(LS_EXIT_USAGE, "check: --memory-model must be sc, tso or relaxed, got '%s'",
		       c.memory_model);
	if (c.differential && !c.kernel_tree)
		ls_die(LS_EXIT_USAGE, "check: --differential compares against --kernel-tree PATH");
	if (c.kernel_tree) {
		/* Built once here, so each campaign finds it in the cache; a tree the shims cannot
		 * compile is refused before any campaign runs. */
		char err[2048];
		if (!ls_ksrc_load(c.kernel_tree, err, sizeof(err)))
			ls_die(LS_EXIT_USAGE, "check: --kernel-tree: %s", err);
	}
	if (npos == 0)
		for (int i = 0; i < ls_ntargets; i++)
			add_target(&c, ls_targets[i]->name, ls_targets[i]);
	for (int i = 0; i < npos; i++)
		expand(&c, pos[i]);
	if (c.settled) {
		int kept = 0;
		for (int i = 0; i < c.nspecs; i++) {
			const struct ls_target *t;
			int v;
			char err[512];
			if (ls_target_spec(c.specs[i], &t, &v, err, sizeof(err)) &&
			    t->variants[v].expect >= LS_KIND_COUNT)
				free(c.specs[i]);
			else
				c.specs[kept++] = c.specs[i];
		}
		c.nspecs = kept;
	}

	ls_self_exe(c.self, sizeof(c.self));
	const char *tmpdir = getenv("TMPDIR");
	snprintf(c.tmp, sizeof(c.tmp), "%s/lockstep-check-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(c.tmp))
		ls_die(LS_EXIT_INTERNAL, "check: mkdtemp: %s", strerror(errno));
	ls_catch_stop_signals();

	int met = 0, failed = 0, unsettled = 0, broken = 0;
	struct ls_buf fails = { 0 }, js = { 0 };
	double t0 = ls_wall_s();
	for (int i = 0; i < c.nspecs && !ls_stop_signal; i++) {
		const char *spec = c.specs[i];
		char outdir[4200], errpath[4200];
		snprintf(outdir, sizeof(outdir), "%s/%d", c.tmp, i);
		snprintf(errpath, sizeof(errpath), "%s/%d.err", c.tmp, i);
		struct ls_buf out = { 0 };
		int rc = campaign(&c, spec, c.kernel_tree && !c.differential, outdir, &out, errpath);
		json_t *json = ls_json_last_object(out.s);
		json_t *verdict = json ? json_object_get(json, "expectation_met") : NULL;
		const char *expectation = ls_json_string(json, "expectation");
		char text[400] = "";
		bool ran = (rc == 0 || rc == 1) && verdict && expectation;
		if (ran)
			snprintf(text, sizeof(text), "%s", expectation);
		bool differs = false;
		if (ran && c.differential) {
			/* The same campaign on the tree: the second opinion. */
			struct ls_buf kout = { 0 };
			char kdir[4200], kerr[4200];
			snprintf(kdir, sizeof(kdir), "%s/%d-kernel", c.tmp, i);
			snprintf(kerr, sizeof(kerr), "%s/%d-kernel.err", c.tmp, i);
			int krc = campaign(&c, spec, true, kdir, &kout, kerr);
			json_t *kjson = ls_json_last_object(kout.s);
			json_t *kverdict = kjson ? json_object_get(kjson, "expectation_met") : NULL;
			if ((krc == 0 || krc == 1) && kverdict) {
				char hk[128], kk[128], ho[128], ko[128];
				found_kinds(json, false, hk, sizeof(hk));
				found_kinds(kjson, false, kk, sizeof(kk));
				found_kinds(json, true, ho, sizeof(ho));
				found_kinds(kjson, true, ko, sizeof(ko));
				differs = strcmp(ho, ko) != 0 || !json_equal(verdict, kverdict);
				snprintf(text, sizeof(text), "hand %s%s, kernel %s%s", hk,
					 json_is_false(verdict) ? " (not as declared)" : "", kk,
					 json_is_false(kverdict) ? " (not as declared)" : "");
				/* Judged on the tree from here on: the hand side only had to agree. */
				verdict = kverdict;
			} else {
				ran = false;
				snprintf(errpath, sizeof(errpath), "%s", kerr);
				rc = krc;
			}
			json_decref(kjson);
			ls_buf_finish(&kout);
		}
		const char *mark;
		if (differs) {
			mark = "DIFF";
			failed++;
		} else if (!ran) {
			char what[48];
			snprintf(what, sizeof(what), "the campaign did not run (exit %d)", rc);
			ls_last_line(errpath, what, text, sizeof(text));
			mark = "ERROR";
			broken++;
		} else if (json_is_true(verdict)) {
			mark = "ok";
			met++;
		} else if (json_is_false(verdict)) {
			mark = "FAIL";
			failed++;
		} else {
			mark = "--";
			unsettled++;
		}
		bool bad = !ran || strcmp(mark, "FAIL") == 0 || differs;
		if (bad)
			ls_buf_printf(&fails, "%s%s", fails.len ? ", " : "", spec);
		if (!c.quiet || bad) {
			printf("%-5s %-50s %s\n", mark, spec, text);
			fflush(stdout);
		}
		if (c.json) {
			ls_buf_printf(&js, "%s{\"variant\":", js.len ? "," : "");
			ls_json_str(&js, spec);
			ls_buf_printf(&js, ",\"result\":\"%s\",\"text\":",
				      differs ? "differs" : !ran ? "error" : strcmp(mark, "ok") == 0 ? "met"
						   : strcmp(mark, "FAIL") == 0	 ? "not met"
										 : "unsettled");
			ls_json_str(&js, text);
			ls_buf_printf(&js, "}");
		}
		json_decref(json);
		ls_buf_finish(&out);
	}
	double secs = ls_wall_s() - t0;
	int total = met + failed + unsettled + broken;
	printf("check: %d variant%s in %.1f s: %d as declared, %d not, %d unsettled, %d could not "
	       "run%s\n", total, total == 1 ? "" : "s", secs, met, failed, unsettled, broken,
	       ls_stop_signal ? " (stopped by signal)" : "");
	if (failed || broken)
		printf("check: not as declared: %s; findings kept in %s\n", fails.s, c.tmp);
	else
		ls_remove_tree(c.tmp);
	if (c.json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"check\",\"budget\":%" PRIu64 ",\"seed\":%" PRIu64
				  ",\"engine\":",
			      c.budget, c.seed);
		ls_json_str(&j, c.engine);
		ls_buf_printf(&j, ",\"variants\":%d,\"met\":%d,\"not_met\":%d,\"unsettled\":%d,"
				  "\"errors\":%d,\"seconds\":%.3f,\"stopped_by_signal\":%s,\"results\":[%s]}",
			      total, met, failed, unsettled, broken, secs,
			      ls_stop_signal ? "true" : "false", js.s ? js.s : "");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	ls_buf_finish(&fails);
	ls_buf_finish(&js);
	for (int i = 0; i < c.nspecs; i++)
		free(c.specs[i]);
	if (broken || ls_stop_signal)
		return LS_EXIT_INTERNAL;
	return failed ? LS_EXIT_FOUND : LS_EXIT_CLEAN;
}

/* lockstep bench: would a stress test have found this bug anyway?  Time and executions to the
 * first bug of every buggy variant, per engine, side by side.
 *
 * What is measured.  For each buggy variant (its expected kind is a bug for it: not "never", not
 * unsettled, not an expected behaviour its `bugs` mask leaves out)
 * and each engine, N runs (--seeds), each from its own seed (1 + i * SEED_STRIDE, so the random
 * walk's ranges of consecutive seeds do not overlap), each capped at --cap seconds, one at a
 * time so that no two runs share the machine.  A run ends at its first finding that is a bug for
 * the variant (ls_variant_bug(): the JSON's "bug":true), or at the cap.  The table's cell is the
 * median over the N runs of the time to that finding and of the executions up to and including
 * it, a run that found nothing ranking as +infinity, so the median reads "> S s" when half or
 * more of the runs missed; with it, how many runs found the bug.  The median is the upper one
 * (sorted value n/2), always one of the measured values.  Each run is a child process of this
 * executable, with its output parsed from the JSON line it prints last:
 *
 *   stress     `lockstep stress T:V --time S --seed N --json --quiet`: native pthreads, its own
 *              first_bug_s and first_bug_round (executions: first_bug_round; in all: rounds);
 *   random,    `lockstep fuzz T:V --engine E --stop-on-bug --jobs 1 --time S --seed N --out TMP
 *   pct        --json --quiet` (and --kernel-tree PATH, which leaves stress out: it runs the
 *              hand models): first_bug_s is the wall time from the campaign's start to the end
 *              of the execution that found the bug, first_bug_exec its index + 1 (execution i is
 *              seed N + i; with one worker every earlier execution ran before it);
 *   afl        the same with --engine afl: afl-fuzz under AFL_BENCH_UNTIL_CRASH, so it exits at
 *              its first crash (the harness aborts on bugs only); the time is the crash file's
 *              modification time since the campaign's start (afl-fuzz's start-up included), the
 *              executions AFL++'s own count in the file name (execs:, calibration included).  A
 *              seed input that crashes in afl-fuzz's dry run is a finding at the dry run;
 *   libfuzzer  the same with --engine libfuzzer: one libFuzzer process without -fork, which
 *              stops at its first crash; the time is the crash file's modification time, the
 *              executions its final stat::number_of_executed_units.
 *
 * So every time includes its engine's start-up after the child process began (afl-fuzz's fork
 * server and dry run, libFuzzer's initialisation), not the start of the child process itself,
 * and every engine runs one process (--jobs 1).  A run found the bug if first_bug_s is a number
 * no larger than the cap (afl-fuzz's -V counts from after its own start-up, so it may report a
 * crash past the cap, which counts as missed).
 *
 * Executions per second: executions over campaign seconds (the JSON's execs or rounds, and
 * elapsed_s) summed over a variant's runs, and over all runs for the overall figure.  Runs that
 * stop at their first bug are dominated by start-up, so the overall figure mostly speaks for the
 * runs that went on to the cap.
 *
 * Failures.  A run that exits 2 (the engine refuses the target: "n/a") is no measurement; one
 * that crashes, exits 3, prints no JSON or outlives twice the cap plus GRACE_S (killed, with its
 * process group) is an "error", and the cell's median is over the other runs.  Engines whose
 * harness was not built (fuzz/lockstep-afl, fuzz/lockstep-libfuzzer beside this executable) are
 * "not built"; afl without afl-fuzz on PATH, and stress while `lockstep stress --help` fails, are
 * "unavailable".  The command exits 3 only if every run it tried was an error; a bug found is
 * the expected result, so it exits 0.
 *
 * The scheduler's cost per step beside a bare fiber switch is measured in-process (stepcost.c,
 * the code lockstep-bench uses), medians of LS_BENCH_STEP_REPS repetitions. */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "common.h"
#include "json.h"
#include "stepcost.h"
#include "../findings.h"
#include "../../targets/targets.h"

#define GRACE_S 20		/* a run is killed after 2 * cap + GRACE_S seconds */

const char *const ls_bench_engine_names[E_COUNT] = { "stress", "random", "pct", "afl",
						     "libfuzzer" };
const char *const ls_bench_status_names[] = { "found", "missed", "n/a", "error", "skipped" };

struct ls_bench_run *ls_bench_run_at(const struct ls_bench *b, int v, int e, uint64_t s)
{
	return &b->runs[((size_t)v * E_COUNT + (size_t)e) * b->seeds + s];
}

/* ---- running a child ---------------------------------------------------------------------- */

/* One run: to the first bug within the cap, or (rate) a throughput run of --rate seconds that
 * does not stop at bugs (stress always stops at its first). */
static void bench_run(struct ls_bench *b, int v, enum ls_bench_engine e, uint64_t si, struct ls_bench_run *r,
		      bool rate)
{
	const struct ls_bench_variant *bv = &b->var[v];
	uint64_t seed = 1 + si * LS_BENCH_SEED_STRIDE;
	char seedarg[32], caparg[32], out[4200], errpath[4200];
	snprintf(seedarg, sizeof(seedarg), "%" PRIu64, seed);
	snprintf(caparg, sizeof(caparg), "%" PRIu64, rate ? b->rate_s : b->cap);
	snprintf(out, sizeof(out), "%s/out-%d-%s-%" PRIu64, b->tmp, v, ls_bench_engine_names[e], si);
	snprintf(errpath, sizeof(errpath), "%s/stderr", b->tmp);
	char *argv[32];
	int n = 0;
	argv[n++] = b->self;
	char wdarg[32];
	if (e == E_STRESS) {
		argv[n++] = "stress";
		argv[n++] = (char *)bv->name;
		if (b->watchdog > 0) {
			snprintf(wdarg, sizeof(wdarg), "%g", b->watchdog);
			argv[n++] = "--watchdog";
			argv[n++] = wdarg;
		}
	} else {
		argv[n++] = "fuzz";
		argv[n++] = (char *)bv->name;
		argv[n++] = "--engine";
		argv[n++] = (char *)ls_bench_engine_names[e];
		if (!rate)
			argv[n++] = "--stop-on-bug";
		argv[n++] = "--jobs";
		argv[n++] = "1";
		argv[n++] = "--out";
		argv[n++] = out;
		if (b->no_lockdep)
			argv[n++] = "--no-lockdep";
		if (b->kernel_tree) {
			argv[n++] = "--kernel-tree";
			argv[n++] = (char *)b->kernel_tree;
		}
	}
	argv[n++] = "--time";
	argv[n++] = caparg;
	argv[n++] = "--seed";
	argv[n++] = seedarg;
	argv[n++] = "--json";
	argv[n++] = "--quiet";
	argv[n] = NULL;

	memset(r, 0, sizeof(*r));
	struct ls_buf text = { 0 };
	r->exit_code = ls_run_child(argv, b->tmp, 2.0 * (double)b->cap + GRACE_S, errpath, &text,
				 &r->wall_s);
	json_t *j = ls_json_last_object(text.s);
	double first_s, exec, elapsed, execs;
	if (r->exit_code == LS_EXIT_USAGE) {
		r->status = RUN_NA;
		ls_last_line(errpath, "", r->note, sizeof(r->note));
	} else if (r->exit_code == -1 || (r->exit_code != LS_EXIT_CLEAN &&
					   r->exit_code != LS_EXIT_FOUND) || !j) {
		r->status = RUN_ERROR;
		char what[64];
		if (r->exit_code == -1)
			snprintf(what, sizeof(what), "killed or died by a signal after %.1f s",
				 r->wall_s);
		else
			snprintf(what, sizeof(what), "exit %d%s", r->exit_code,
				 j ? "" : " without a JSON summary");
		ls_last_line(errpath, what, r->note, sizeof(r->note));
	} else {
		bool is_stress = e == E_STRESS;
		if (ls_json_number(j, "elapsed_s", &elapsed))
			r->elapsed_s = elapsed;
		/* A hang's watchdog period is no execution time. */
		if (is_stress && ls_json_number(j, "hang_since_s", &elapsed))
			r->elapsed_s = elapsed;
		if (ls_json_number(j, is_stress ? "rounds" : "execs", &execs)) {
			r->execs = (uint64_t)execs;
			r->has_execs = true;
		}
		r->status = RUN_MISSED;
		if (ls_json_number(j, "first_bug_s", &first_s)) {
			if (first_s <= (double)b->cap) {
				r->status = RUN_FOUND;
				r->first_s = first_s;
				if (ls_json_number(j, is_stress ? "first_bug_round" : "first_bug_exec", &exec))
					r->first_exec = (uint64_t)exec;
				const char *kind = ls_json_string(j, "first_bug_kind");
				snprintf(r->kind, sizeof(r->kind), "%s", kind ? kind : "?");
			} else {
				snprintf(r->note, sizeof(r->note), "found at %.3f s, past the cap",
					 first_s);
			}
		}
	}
	json_decref(j);
	ls_buf_finish(&text);
}

/* ---- which engines can run ---------------------------------------------------------------- */

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path)
		return false;
	char *copy = strdup(path), *save = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char full[4200];
		snprintf(full, sizeof(full), "%s/%s", *d ? d : ".", prog);
		found = access(full, X_OK) == 0;
	}
	free(copy);
	return found;
}

static void probe_engines(struct ls_bench *b)
{
	char name[64], harness[4300];
	for (int e = E_AFL; e <= E_LIBFUZZER; e++) {
		snprintf(name, sizeof(name), "lockstep-%s", ls_bench_engine_names[e]);
		if (!ls_internal_exe(name, "fuzz", harness, sizeof(harness)))
			b->avail[e] = "not built";
	}
	if (!b->avail[E_AFL] && !on_path("afl-fuzz"))
		b->avail[E_AFL] = "unavailable";
	/* lockstep stress runs the hand models on threads: beside a kernel tree's code it would
	 * measure other code. */
	if (b->kernel_tree)
		b->avail[E_STRESS] = "hand models only";
	if (b->engine_on[E_STRESS] && !b->avail[E_STRESS]) {
		char *argv[] = { b->self, "stress", "--help", NULL };
		char errpath[4200];
		snprintf(errpath, sizeof(errpath), "%s/stderr", b->tmp);
		struct ls_buf out = { 0 };
		double wall;
		if (ls_run_child(argv, b->tmp, 30, errpath, &out, &wall) != LS_EXIT_CLEAN)
			b->avail[E_STRESS] = "unavailable";
		ls_buf_finish(&out);
	}
}

/* ---- which variants ----------------------------------------------------------------------- */

static bool buggy(const struct ls_variant *v)
{
	/* Its expected outcome is a bug for it: not "never", not unsettled, and not an expected
	 * behaviour such as rqspinlock's known ABBCCA timeout (a stall its `bugs` leaves out). */
	return v->expect != LS_KIND_NONE && v->expect != LS_KIND_COUNT &&
	       ls_variant_bug(v, v->expect);
}

static void add_variant(struct ls_bench *b, const struct ls_target *t, int v)
{
	for (int i = 0; i < b->nvar; i++)
		if (b->var[i].t == t && b->var[i].v == v)
			return;
	b->var = realloc(b->var, (size_t)(b->nvar + 1) * sizeof(*b->var));
	if (!b->var)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	struct ls_bench_variant *bv = &b->var[b->nvar++];
	bv->t = t;
	bv->v = v;
	snprintf(bv->name, sizeof(bv->name), "%s:%s", t->name, t->variants[v].name);
}

/* The positional TARGET[:VARIANT]s (a target alone: its buggy variants), or every in-tree
 * buggy variant; then only those matching the glob `pattern` (on TARGET:VARIANT or TARGET). */
void ls_bench_pick_variants(struct ls_bench *b, char **pos, int npos, const char *pattern)
{
	if (npos == 0) {
		for (int i = 0; i < ls_ntargets; i++)
			for (int v = 0; v < ls_targets[i]->nvariants; v++)
				if (buggy(&ls_targets[i]->variants[v]))
					add_variant(b, ls_targets[i], v);
	}
	for (int i = 0; i < npos; i++) {
		const struct ls_target *t;
		int v;
		char err[512];
		if (!ls_target_spec(pos[i], &t, &v, err, sizeof(err)))
			ls_die(LS_EXIT_USAGE, "bench: %s", err);
		if (strchr(pos[i], ':')) {
			const struct ls_variant *var = &t->variants[v];
			if (!buggy(var))
				ls_die(LS_EXIT_USAGE,
				       "bench: %s is not a buggy variant (expected: %s%s)", pos[i],
				       var->expect == LS_KIND_NONE	 ? "never"
				       : var->expect >= LS_KIND_COUNT ? "unsettled"
								      : ls_kind_name(var->expect),
				       var->expect != LS_KIND_NONE && var->expect < LS_KIND_COUNT
					       ? ", which is expected behaviour, not a bug, for it"
					       : "");
			add_variant(b, t, v);
			continue;
		}
		int before = b->nvar;
		for (int k = 0; k < t->nvariants; k++)
			if (buggy(&t->variants[k]))
				add_variant(b, t, k);
		if (b->nvar == before)
			ls_die(LS_EXIT_USAGE, "bench: %s has no buggy variant", pos[i]);
	}
	if (pattern) {
		int k = 0;
		for (int i = 0; i < b->nvar; i++)
			if (fnmatch(pattern, b->var[i].name, 0) == 0 ||
			    fnmatch(pattern, b->var[i].t->name, 0) == 0)
				b->var[k++] = b->var[i];
		b->nvar = k;
	}
	if (b->nvar == 0)
		ls_die(LS_EXIT_USAGE, "bench: no buggy variant matches%s%s", pattern ? " " : "",
		       pattern ? pattern : "");
}

/* ---- summaries ---------------------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;
	return a < c ? -1 : a > c;
}

struct ls_bench_cell ls_bench_cell(const struct ls_bench *b, int v, int e)
{
	struct ls_bench_cell c;
	memset(&c, 0, sizeof(c));
	c.unavailable = b->avail[e];
	c.median_s = c.median_exec = NAN;
	if (c.unavailable)
		return c;
	double t[LS_BENCH_MAX_SEEDS], x[LS_BENCH_MAX_SEEDS];
	int nx = 0;
	for (uint64_t s = 0; s < b->seeds; s++) {
		const struct ls_bench_run *r = ls_bench_run_at(b, v, e, s);
		if (r->status == RUN_ERROR)
			c.errors++;
		if (r->status == RUN_NA)
			c.na++;
		if (r->status != RUN_FOUND && r->status != RUN_MISSED)
			continue;
		bool found = r->status == RUN_FOUND;
		t[c.measured++] = found ? r->first_s : INFINITY;
		c.found += found;
		if (!found || r->first_exec)
			x[nx++] = found ? (double)r->first_exec : INFINITY;
		if (r->has_execs) {
			c.execs += (double)r->execs;
			c.elapsed += r->elapsed_s;
		}
	}
	if (c.measured) {
		qsort(t, (size_t)c.measured, sizeof(*t), cmp_double);
		c.median_s = t[c.measured / 2];
	}
	if (nx) {
		qsort(x, (size_t)nx, sizeof(*x), cmp_double);
		c.median_exec = x[nx / 2];
	}
	return c;
}

/* ---- the command -------------------------------------------------------------------------- */

static void measure_steps(struct ls_bench *b, bool small)
{
	double v[LS_BENCH_STEP_REPS];
	uint64_t steps, preemptions;
	char err[256];
	long rounds = small ? 200000 : 2000000, points = small ? 50000 : 300000;
	b->step_ok = ls_stepcost_fiber(rounds, LS_BENCH_STEP_REPS, v, err, sizeof(err));
	if (b->step_ok) {
		qsort(v, LS_BENCH_STEP_REPS, sizeof(*v), cmp_double);
		b->fiber = v[LS_BENCH_STEP_REPS / 2];
		b->step_ok = ls_stepcost_steps(false, points, LS_BENCH_STEP_REPS, v, &steps, &preemptions, err,
					       sizeof(err));
	}
	if (b->step_ok) {
		qsort(v, LS_BENCH_STEP_REPS, sizeof(*v), cmp_double);
		b->step_stay = v[LS_BENCH_STEP_REPS / 2];
		b->step_ok = ls_stepcost_steps(true, points, LS_BENCH_STEP_REPS, v, &steps, &preemptions, err,
					       sizeof(err));
	}
	if (b->step_ok) {
		qsort(v, LS_BENCH_STEP_REPS, sizeof(*v), cmp_double);
		b->step_switch = v[LS_BENCH_STEP_REPS / 2];
	} else {
		fprintf(stderr, "bench: the scheduler's step cost was not measured: %s\n", err);
	}
}

void ls_bench_measure(struct ls_bench *b, const struct ls_bench_hooks *h)
{
	static const struct ls_bench_hooks none;
	if (!h)
		h = &none;
	ls_self_exe(b->self, sizeof(b->self));
	const char *tmpdir = getenv("TMPDIR");
	snprintf(b->tmp, sizeof(b->tmp), "%s/lockstep-bench-XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(b->tmp))
		ls_die(LS_EXIT_INTERNAL, "bench: cannot create %s: %s", b->tmp, strerror(errno));
	ls_catch_stop_signals();
	double start = ls_wall_s();
	probe_engines(b);

	b->runs = calloc((size_t)b->nvar * E_COUNT * b->seeds, sizeof(*b->runs));
	if (!b->runs)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	int total = 0;
	for (int e = 0; e < E_COUNT; e++)
		total += b->engine_on[e] && !b->avail[e] ? b->nvar * (int)b->seeds : 0;
	if (h->start)
		h->start(h->arg, b, total);
	for (int v = 0; v < b->nvar; v++)
		for (int e = 0; e < E_COUNT; e++)
			for (uint64_t s = 0; b->engine_on[e] && !b->avail[e] && s < b->seeds; s++) {
				struct ls_bench_run *r = ls_bench_run_at(b, v, e, s);
				if (ls_stop_signal) {
					r->status = RUN_SKIPPED;
					snprintf(r->note, sizeof(r->note), "stopped by signal");
					continue;
				}
				bench_run(b, v, (enum ls_bench_engine)e, s, r, false);
				b->done++;
				b->errors += r->status == RUN_ERROR;
				if (h->run)
					h->run(h->arg, b, v, e, s, r, b->done, total);
			}
	/* Throughput: one run per variant and engine that does not stop at bugs. */
	b->rate_execs = calloc((size_t)b->nvar * E_COUNT, sizeof(double));
	b->rate_secs = calloc((size_t)b->nvar * E_COUNT, sizeof(double));
	if (!b->rate_execs || !b->rate_secs)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	for (int v = 0; b->rate_s && v < b->nvar; v++)
		for (int e = 0; e < E_COUNT; e++) {
			if (!b->engine_on[e] || b->avail[e] || ls_stop_signal)
				continue;
			struct ls_bench_run rr;
			bench_run(b, v, (enum ls_bench_engine)e, 0, &rr, true);
			if (rr.status != RUN_FOUND && rr.status != RUN_MISSED)
				continue;
			b->rate_execs[v * E_COUNT + e] = (double)rr.execs;
			b->rate_secs[v * E_COUNT + e] = rr.elapsed_s;
			if (h->rate)
				h->rate(h->arg, b, v, e, &rr);
		}
	measure_steps(b, b->small);
	b->total_s = ls_wall_s() - start;
}

void ls_bench_finish(struct ls_bench *b)
{
	ls_remove_tree(b->tmp);
	free(b->runs);
	free(b->var);
	free(b->rate_execs);
	free(b->rate_secs);
}

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
 *   pct        --json --quiet`: first_bug_s is the wall time from the campaign's start to the end
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
 * the code lockstep-bench uses), medians of STEP_REPS repetitions. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "../campaign/stepcost.h"
#include "version.h"
#include "../findings.h"
#include "../../targets/targets.h"

#define MAX_SEEDS 40		/* seed 1 + 39 * SEED_STRIDE still fits libFuzzer's 32 bits */
#define SEED_STRIDE ((uint64_t)100000000)
#define GRACE_S 20		/* a run is killed after 2 * cap + GRACE_S seconds */
#define MAX_POS 256
#define STEP_REPS 5

enum engine { E_STRESS, E_RANDOM, E_PCT, E_AFL, E_LIBFUZZER, E_COUNT };
static const char *const engine_names[E_COUNT] = { "stress", "random", "pct", "afl", "libfuzzer" };

enum run_status { RUN_FOUND, RUN_MISSED, RUN_NA, RUN_ERROR, RUN_SKIPPED };
static const char *const status_names[] = { "found", "missed", "n/a", "error", "skipped" };

/* One run: one engine on one variant from one seed. */
struct run {
	enum run_status status;
	double first_s;			/* RUN_FOUND: seconds to the first bug */
	uint64_t first_exec;		/* RUN_FOUND: executions up to it, 0: unknown */
	char kind[24];			/* RUN_FOUND: its kind */
	double elapsed_s;		/* the campaign's own seconds, from its JSON */
	double wall_s;			/* the child process, start to exit */
	uint64_t execs;			/* executions in all; has_execs: known */
	bool has_execs;
	int exit_code;			/* -1: killed or died by a signal */
	char note[200];
};

struct bvariant {
	const struct ls_target *t;
	int v;
	char name[300];			/* TARGET:VARIANT */
};

/* What every function here shares: the options and the results, runs[variant][engine][seed]. */
struct bench {
	uint64_t seeds, cap;
	bool engine_on[E_COUNT];
	const char *avail[E_COUNT];	/* NULL: available; else "not built" or "unavailable" */
	bool no_lockdep, quiet;
	double watchdog;		/* stress --watchdog; 0: its default */
	uint64_t rate_s;		/* the throughput runs' length; 0: none */
	double *rate_execs, *rate_secs;	/* [variant][engine] */
	struct bvariant *var;
	int nvar;
	struct run *runs;
	char self[4096];
	char tmp[4096];			/* scratch directory: the runs' --out, TMPDIR and cwd */
	double step_stay, step_switch, fiber;	/* ns, medians */
	bool step_ok;
};

static struct run *run_at(struct bench *b, int v, int e, uint64_t s)
{
	return &b->runs[((size_t)v * E_COUNT + (size_t)e) * b->seeds + s];
}

/* ---- the JSON line a child prints last ---------------------------------------------------- */

/* The value of the top-level key in a one-line JSON object: a pointer to its first character,
 * NULL if absent.  Strings and nested objects are skipped, so a key inside "findings" is not
 * taken for one of the summary's. */
static const char *json_top(const char *j, const char *key)
{
	int depth = 0;
	size_t klen = strlen(key);
	for (const char *p = j; *p; p++) {
		if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		} else if (*p == '"') {
			const char *s = ++p;
			while (*p && *p != '"')
				p += p[0] == '\\' && p[1] ? 2 : 1;
			if (!*p)
				return NULL;
			const char *q = p + 1;
			while (*q == ' ')
				q++;
			if (depth == 1 && *q == ':' && (size_t)(p - s) == klen &&
			    strncmp(s, key, klen) == 0) {
				q++;
				while (*q == ' ')
					q++;
				return q;
			}
		}
	}
	return NULL;
}

/* A number-valued key: false if absent or null. */
static bool json_num(const char *j, const char *key, double *out)
{
	const char *v = json_top(j, key);
	if (!v || strncmp(v, "null", 4) == 0)
		return false;
	char *end;
	double d = strtod(v, &end);
	if (end == v)
		return false;
	*out = d;
	return true;
}

/* A string-valued key without escapes, truncated to n: false if absent or null. */
static bool json_text(const char *j, const char *key, char *out, size_t n)
{
	const char *v = json_top(j, key);
	if (!v || *v != '"')
		return false;
	size_t len = strcspn(v + 1, "\"");
	snprintf(out, n, "%.*s", (int)len, v + 1);
	return true;
}

/* ---- running a child ---------------------------------------------------------------------- */

/* The last line of the file at path (a child's last word on stderr), after `prefix`. */
static void last_line(const char *path, const char *prefix, char *out, size_t n)
{
	size_t len;
	char *s = ls_read_file(path, &len);
	snprintf(out, n, "%s", prefix);
	if (!s)
		return;
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = 0;
	const char *p = strrchr(s, '\n') ? strrchr(s, '\n') + 1 : s;
	size_t k = strlen(out);
	snprintf(out + k, n - k, "%s%s", k && *p ? ": " : "", p);
	free(s);
}

/* One run of engine e on variant v from seed index si, filled into r. */
/* One run: to the first bug within the cap, or (rate) a throughput run of --rate seconds that
 * does not stop at bugs (stress always stops at its first). */
static void bench_run(struct bench *b, int v, enum engine e, uint64_t si, struct run *r,
		      bool rate)
{
	const struct bvariant *bv = &b->var[v];
	uint64_t seed = 1 + si * SEED_STRIDE;
	char seedarg[32], caparg[32], out[4200], errpath[4200];
	snprintf(seedarg, sizeof(seedarg), "%" PRIu64, seed);
	snprintf(caparg, sizeof(caparg), "%" PRIu64, rate ? b->rate_s : b->cap);
	snprintf(out, sizeof(out), "%s/out-%d-%s-%" PRIu64, b->tmp, v, engine_names[e], si);
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
		argv[n++] = (char *)engine_names[e];
		if (!rate)
			argv[n++] = "--stop-on-bug";
		argv[n++] = "--jobs";
		argv[n++] = "1";
		argv[n++] = "--out";
		argv[n++] = out;
		if (b->no_lockdep)
			argv[n++] = "--no-lockdep";
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
	const char *j = text.s ? ls_last_json(text.s) : NULL;
	double first_s, exec, elapsed, execs;
	if (r->exit_code == LS_EXIT_USAGE) {
		r->status = RUN_NA;
		last_line(errpath, "", r->note, sizeof(r->note));
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
		last_line(errpath, what, r->note, sizeof(r->note));
	} else {
		bool is_stress = e == E_STRESS;
		if (json_num(j, "elapsed_s", &elapsed))
			r->elapsed_s = elapsed;
		/* A hang's watchdog period is no execution time. */
		if (is_stress && json_num(j, "hang_since_s", &elapsed))
			r->elapsed_s = elapsed;
		if (json_num(j, is_stress ? "rounds" : "execs", &execs)) {
			r->execs = (uint64_t)execs;
			r->has_execs = true;
		}
		r->status = RUN_MISSED;
		if (json_num(j, "first_bug_s", &first_s)) {
			if (first_s <= (double)b->cap) {
				r->status = RUN_FOUND;
				r->first_s = first_s;
				if (json_num(j, is_stress ? "first_bug_round" : "first_bug_exec", &exec))
					r->first_exec = (uint64_t)exec;
				if (!json_text(j, "first_bug_kind", r->kind, sizeof(r->kind)))
					snprintf(r->kind, sizeof(r->kind), "?");
			} else {
				snprintf(r->note, sizeof(r->note), "found at %.3f s, past the cap",
					 first_s);
			}
		}
	}
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

static void probe_engines(struct bench *b)
{
	char name[64], harness[4300];
	for (int e = E_AFL; e <= E_LIBFUZZER; e++) {
		snprintf(name, sizeof(name), "lockstep-%s", engine_names[e]);
		if (!ls_internal_exe(name, "fuzz", harness, sizeof(harness)))
			b->avail[e] = "not built";
	}
	if (!b->avail[E_AFL] && !on_path("afl-fuzz"))
		b->avail[E_AFL] = "unavailable";
	if (b->engine_on[E_STRESS]) {
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

static void add_variant(struct bench *b, const struct ls_target *t, int v)
{
	for (int i = 0; i < b->nvar; i++)
		if (b->var[i].t == t && b->var[i].v == v)
			return;
	b->var = realloc(b->var, (size_t)(b->nvar + 1) * sizeof(*b->var));
	if (!b->var)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	struct bvariant *bv = &b->var[b->nvar++];
	bv->t = t;
	bv->v = v;
	snprintf(bv->name, sizeof(bv->name), "%s:%s", t->name, t->variants[v].name);
}

/* The positional TARGET[:VARIANT]s (a target alone: its buggy variants), or every in-tree
 * buggy variant; then only those matching the glob `pattern` (on TARGET:VARIANT or TARGET). */
static void pick_variants(struct bench *b, char **pos, int npos, const char *pattern)
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

/* What one cell of the table says about N runs. */
struct cell {
	const char *unavailable;	/* the engine's reason, or NULL */
	int measured, found, errors, na;
	double median_s;		/* INFINITY: half or more missed */
	double median_exec;		/* INFINITY likewise; NAN: unknown */
	double execs, elapsed;		/* sums over the measured runs that counted executions */
};

static struct cell summarize_cell(struct bench *b, int v, int e)
{
	struct cell c;
	memset(&c, 0, sizeof(c));
	c.unavailable = b->avail[e];
	c.median_s = c.median_exec = NAN;
	if (c.unavailable)
		return c;
	double t[MAX_SEEDS], x[MAX_SEEDS];
	int nx = 0;
	for (uint64_t s = 0; s < b->seeds; s++) {
		const struct run *r = run_at(b, v, e, s);
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

static void fmt_time(double s, char *buf, size_t n)
{
	if (s < 1e-3)
		snprintf(buf, n, "%.0f us", s * 1e6);
	else if (s < 1)
		snprintf(buf, n, "%.1f ms", s * 1e3);
	else
		snprintf(buf, n, "%.2f s", s);
}

static void fmt_cell(const struct bench *b, const struct cell *c, char *buf, size_t n)
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
static void render_md(struct bench *b, struct ls_buf *md, double total_s)
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
	ls_buf_printf(md, "- cell: median time to the first bug / median executions up to it / "
		      "runs that found it; a run that found nothing within the cap counts as "
		      "infinite, so \"> %" PRIu64 " s\" and \"-\" mean half or more missed\n\n",
		      b->cap);
	ls_buf_printf(md, "| variant | expected |");
	for (int e = 0; e < E_COUNT; e++)
		if (b->engine_on[e])
			ls_buf_printf(md, " %s |", engine_names[e]);
	ls_buf_printf(md, "\n|---|---|");
	for (int e = 0; e < E_COUNT; e++)
		if (b->engine_on[e])
			ls_buf_printf(md, "---:|");
	ls_buf_printf(md, "\n");
	for (int v = 0; v < b->nvar; v++) {
		const struct bvariant *bv = &b->var[v];
		ls_buf_printf(md, "| %s | %s |", bv->name,
			      ls_kind_name(bv->t->variants[bv->v].expect));
		for (int e = 0; e < E_COUNT; e++) {
			if (!b->engine_on[e])
				continue;
			struct cell c = summarize_cell(b, v, e);
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
			ls_buf_printf(md, " %s |", engine_names[e]);
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
			struct cell c = summarize_cell(b, v, e);
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
			      STEP_REPS);
	else
		ls_buf_printf(md, "Scheduler: not measured.\n");

	bool any_note = false;
	for (int v = 0; v < b->nvar; v++)
		for (int e = 0; e < E_COUNT; e++)
			for (uint64_t s = 0; b->engine_on[e] && !b->avail[e] && s < b->seeds; s++) {
				const struct run *r = run_at(b, v, e, s);
				if (r->status != RUN_ERROR && r->status != RUN_NA)
					continue;
				if (!any_note)
					ls_buf_printf(md, "\nRuns that measured nothing:\n\n");
				any_note = true;
				ls_buf_printf(md, "- %s, %s, seed %" PRIu64 ": %s: %s\n",
					      b->var[v].name, engine_names[e], 1 + s * SEED_STRIDE,
					      status_names[r->status], r->note);
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
static void render_csv(struct bench *b, struct ls_buf *c)
{
	ls_buf_printf(c, "variant,expected,engine,seed,status,found,first_bug_s,first_bug_exec,"
		      "first_bug_kind,elapsed_s,wall_s,execs,execs_per_s,cap_s,exit_code,note\n");
	for (int v = 0; v < b->nvar; v++)
		for (int e = 0; e < E_COUNT; e++)
			for (uint64_t s = 0; b->engine_on[e] && s < b->seeds; s++) {
				const struct run *r = run_at(b, v, e, s);
				const struct bvariant *bv = &b->var[v];
				const char *st = b->avail[e] ? b->avail[e] : status_names[r->status];
				csv_field(c, bv->name);	/* an out-of-tree target is a path */
				ls_buf_printf(c, ",%s,%s,%" PRIu64 ",%s,%d,",
					      ls_kind_name(bv->t->variants[bv->v].expect),
					      engine_names[e], 1 + s * SEED_STRIDE, st,
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

static void render_json(struct bench *b, struct ls_buf *j, double total_s, int runs, int errors)
{
	ls_buf_printf(j, "{\"command\":\"bench\",\"seeds\":%" PRIu64 ",\"cap_s\":%" PRIu64
		      ",\"elapsed_s\":%.3f,\"runs\":%d,\"errors\":%d,\"engines\":{",
		      b->seeds, b->cap, total_s, runs, errors);
	bool first = true;
	for (int e = 0; e < E_COUNT; e++) {
		if (!b->engine_on[e])
			continue;
		ls_buf_printf(j, "%s\"%s\":\"%s\"", first ? "" : ",", engine_names[e],
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
			struct cell c = summarize_cell(b, v, e);
			ls_buf_printf(j, "%s{\"variant\":", first ? "" : ",");
			ls_json_str(j, b->var[v].name);
			ls_buf_printf(j, ",\"engine\":\"%s\",\"status\":\"%s\",\"measured\":%d,"
				      "\"found\":%d,\"errors\":%d", engine_names[e],
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

/* ---- the command -------------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void measure_steps(struct bench *b, bool small)
{
	double v[STEP_REPS];
	uint64_t steps, preemptions;
	char err[256];
	long rounds = small ? 200000 : 2000000, points = small ? 50000 : 300000;
	b->step_ok = ls_stepcost_fiber(rounds, STEP_REPS, v, err, sizeof(err));
	if (b->step_ok) {
		qsort(v, STEP_REPS, sizeof(*v), cmp_double);
		b->fiber = v[STEP_REPS / 2];
		b->step_ok = ls_stepcost_steps(false, points, STEP_REPS, v, &steps, &preemptions, err,
					       sizeof(err));
	}
	if (b->step_ok) {
		qsort(v, STEP_REPS, sizeof(*v), cmp_double);
		b->step_stay = v[STEP_REPS / 2];
		b->step_ok = ls_stepcost_steps(true, points, STEP_REPS, v, &steps, &preemptions, err,
					       sizeof(err));
	}
	if (b->step_ok) {
		qsort(v, STEP_REPS, sizeof(*v), cmp_double);
		b->step_switch = v[STEP_REPS / 2];
	} else {
		fprintf(stderr, "bench: the scheduler's step cost was not measured: %s\n", err);
	}
}

static void write_file(const char *path, const struct ls_buf *text)
{
	if (!ls_write_atomic(path, text->s ? text->s : "", text->len))
		ls_die(LS_EXIT_INTERNAL, "bench: cannot write %s: %s", path, strerror(errno));
}

int ls_cmd_bench(int argc, char **argv)
{
	struct bench b;
	memset(&b, 0, sizeof(b));
	b.seeds = 5;
	b.cap = 10;
	const char *pattern = NULL, *engines = NULL, *md_path = NULL, *csv_path = NULL;
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
		{ "watchdog", LS_OPT_F64, "S", "stress: declare a hang after S seconds without "
		  "progress (default: stress's own, 2 s)", &b.watchdog, NULL },
		{ "rate", LS_OPT_U64, "S", "the executions-per-second runs' length (0: none)",
		  &b.rate_s, &rate_seen },
		{ "short", LS_OPT_FLAG, NULL, "quick check: demo/abba:buggy and demo/nmi-aa:buggy, 1 "
		  "seed, cap 3 s, rate runs of 1 s, stress watchdog 0.5 s, smaller step-cost runs",
		  &shortmode, NULL },
		{ "md", LS_OPT_STR, "FILE", "also write the Markdown report to FILE", &md_path, NULL },
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
	if (b.seeds < 1 || b.seeds > MAX_SEEDS)
		ls_die(LS_EXIT_USAGE, "bench: --seeds must be between 1 and %d", MAX_SEEDS);
	if (b.cap < 1 || b.cap > 86400)
		ls_die(LS_EXIT_USAGE, "bench: --cap must be between 1 and 86400 seconds");
	for (int e = 0; e < E_COUNT; e++)
		b.engine_on[e] = !engines;
	if (engines) {
		char *list = strdup(engines), *save = NULL;
		for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			int e = 0;
			while (e < E_COUNT && strcmp(w, engine_names[e]) != 0)
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
		pick_variants(&b, short_pos, 2, pattern);
	else
		pick_variants(&b, pos, npos, pattern);

	ls_self_exe(b.self, sizeof(b.self));
	const char *tmpdir = getenv("TMPDIR");
	snprintf(b.tmp, sizeof(b.tmp), "%s/lockstep-bench-XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(b.tmp))
		ls_die(LS_EXIT_INTERNAL, "bench: cannot create %s: %s", b.tmp, strerror(errno));
	ls_catch_stop_signals();
	double start = ls_wall_s();
	probe_engines(&b);

	b.runs = calloc((size_t)b.nvar * E_COUNT * b.seeds, sizeof(*b.runs));
	if (!b.runs)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	int total = 0, done = 0, errors = 0;
	for (int e = 0; e < E_COUNT; e++)
		total += b.engine_on[e] && !b.avail[e] ? b.nvar * (int)b.seeds : 0;
	if (!b.quiet)
		fprintf(stderr, "bench: %d variant%s, %d runs of at most %" PRIu64 " s, in %s\n",
			b.nvar, b.nvar == 1 ? "" : "s", total, b.cap, b.tmp);
	for (int v = 0; v < b.nvar; v++)
		for (int e = 0; e < E_COUNT; e++)
			for (uint64_t s = 0; b.engine_on[e] && !b.avail[e] && s < b.seeds; s++) {
				struct run *r = run_at(&b, v, e, s);
				if (ls_stop_signal) {
					r->status = RUN_SKIPPED;
					snprintf(r->note, sizeof(r->note), "stopped by signal");
					continue;
				}
				bench_run(&b, v, (enum engine)e, s, r, false);
				done++;
				errors += r->status == RUN_ERROR;
				if (b.quiet)
					continue;
				char t[32] = "";
				if (r->status == RUN_FOUND)
					fmt_time(r->first_s, t, sizeof(t));
				fprintf(stderr, "bench: [%d/%d] %s %s seed %" PRIu64 ": ", done, total,
					b.var[v].name, engine_names[e], 1 + s * SEED_STRIDE);
				if (r->status == RUN_FOUND && r->first_exec)
					fprintf(stderr, "%s in %s, execution %" PRIu64 "\n", r->kind, t,
						r->first_exec);
				else if (r->status == RUN_FOUND)
					fprintf(stderr, "%s in %s\n", r->kind, t);
				else if (r->status == RUN_MISSED)
					fprintf(stderr, "nothing in %" PRIu64 " s%s%s\n", b.cap,
						r->note[0] ? ": " : "", r->note);
				else
					fprintf(stderr, "%s: %s\n", status_names[r->status], r->note);
			}
	/* Throughput: one run per variant and engine that does not stop at bugs. */
	b.rate_execs = calloc((size_t)b.nvar * E_COUNT, sizeof(double));
	b.rate_secs = calloc((size_t)b.nvar * E_COUNT, sizeof(double));
	if (!b.rate_execs || !b.rate_secs)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	for (int v = 0; b.rate_s && v < b.nvar; v++)
		for (int e = 0; e < E_COUNT; e++) {
			if (!b.engine_on[e] || b.avail[e] || ls_stop_signal)
				continue;
			struct run rr;
			bench_run(&b, v, (enum engine)e, 0, &rr, true);
			if (rr.status != RUN_FOUND && rr.status != RUN_MISSED)
				continue;
			b.rate_execs[v * E_COUNT + e] = (double)rr.execs;
			b.rate_secs[v * E_COUNT + e] = rr.elapsed_s;
			if (!b.quiet)
				fprintf(stderr, "bench: rate %s %s: %" PRIu64 " executions in %.2f s\n",
					b.var[v].name, engine_names[e], rr.execs, rr.elapsed_s);
		}
	measure_steps(&b, shortmode);
	double total_s = ls_wall_s() - start;

	struct ls_buf md = { 0 }, csv = { 0 };
	render_md(&b, &md, total_s);
	render_csv(&b, &csv);
	printf("%s", md.s);
	if (md_path)
		write_file(md_path, &md);
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
	nftw(b.tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(b.runs);
	free(b.var);
	free(b.rate_execs);
	free(b.rate_secs);
	if (done > 0 && errors == done)
		return LS_EXIT_INTERNAL;
	return LS_EXIT_CLEAN;
}

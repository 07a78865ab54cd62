/* External engines of `lockstep fuzz`: libFuzzer and AFL++ run the fuzz/ harness (one file each
 * says how: libfuzzer.c, afl.c), and lockstep files their crashes.
 *
 * The harness is found beside lockstep (BUILD/fuzz/lockstep-ENGINE) or installed, and run once
 * first with $LOCKSTEP_HARNESS_CHECK, so a target it cannot load is refused in one line instead of
 * a campaign that ends "clean" without one execution.  The fuzzers run for --time S in a temporary
 * directory; SIGINT or SIGTERM is passed on to them, and with --stop-on-bug the first to end
 * stops the others.  Then every crash input, in name order, goes through `lockstep replay --target
 * SPEC --json INPUT` as a user would run it: replay saves the finding in --out unless its trace is
 * there, and its JSON line (read with jansson, json.c) names the trace, signature and outcome.
 * Inputs that saved the same trace are one finding, counted in hits.  The first bug is the
 * earliest-dated input that is a bug for the variant; executions come from the fuzzers' own
 * accounts (libfuzzer.c, afl.c), and are "not known" when they give none. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "external.h"
#include "json.h"
#include "../ksrc/ksrc.h"
#include "../findings.h"

/* The harness: BUILD/fuzz/lockstep-ENGINE beside BUILD/lockstep, or an installed one. */
static void ext_locate(struct ext *x)
{
	ls_self_exe(x->self, sizeof(x->self));
	char name[64];
	snprintf(name, sizeof(name), "lockstep-%s", x->engine);
	if (!ls_internal_exe(name, "fuzz", x->harness, sizeof(x->harness)))
		ls_die(LS_EXIT_USAGE, "fuzz: --engine %s needs %s, which is not built or installed "
			"(see fuzz/README.md)", x->engine, name);
}

/* Runs argv (argv[0] a path) with its stdout, and with merge_stderr its stderr too, collected
 * into out; its stderr otherwise goes where ours does.  Returns its wait status. */
static int capture(char *const *argv, bool merge_stderr, struct ls_buf *out)
{
	int fd[2];
	if (pipe(fd) != 0)
		ls_die(LS_EXIT_INTERNAL, "fuzz: pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "fuzz: fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		if (merge_stderr)
			dup2(fd[1], STDERR_FILENO);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		fprintf(stderr, "fuzz: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ls_buf_printf(out, "%.*s", (int)n, chunk);
	}
	close(fd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			ls_die(LS_EXIT_INTERNAL, "fuzz: waitpid: %s", strerror(errno));
	return status;
}

/* Runs the harness once with $LOCKSTEP_HARNESS_CHECK set: it loads the target named by
 * $LOCKSTEP_TARGET and exits.  libFuzzer's fork mode takes a harness that cannot load it (an
 * object with a symbol the harness does not export, say) for a crashing child and goes on, and
 * the campaign would end "clean" without one execution; this refuses it first, with the
 * harness's own last line. */
static void ext_check(const struct ext *x, const char *spec)
{
	setenv("LOCKSTEP_HARNESS_CHECK", "1", 1);	/* fuzz/harness.h */
	char *const argv[] = { (char *)x->harness, NULL };
	struct ls_buf b = { 0 };
	int status = capture(argv, true, &b);
	unsetenv("LOCKSTEP_HARNESS_CHECK");
	/* The harness's reason is the last line it printed. */
	ls_buf_printf(&b, "%s", "");	/* a buffer even if it printed nothing */
	size_t len = b.len;
	char *out = b.s;
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		len--;
	out[len] = 0;
	const char *last = strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		ls_buf_finish(&b);
		return;
	}
	const char *why = last;
	if (strncmp(why, "lockstep harness: ", 18) == 0)
		why += 18;
	if (!*why)
		why = WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no message";
	ls_die(WIFEXITED(status) && WEXITSTATUS(status) == 2 ? LS_EXIT_USAGE : LS_EXIT_INTERNAL,
	       "fuzz: %s cannot run %s: %s", x->harness, spec, why);
}

void ls_ext_spawn(struct ext *x, char *const *argv, const char *name)
{
	char log[4300];
	snprintf(log, sizeof(log), "%s/log-%s", x->work, name);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "fuzz: fork: %s", strerror(errno));
	if (pid == 0) {
		FILE *f = freopen(log, "w", stdout);
		if (f && dup2(fileno(stdout), STDERR_FILENO) >= 0)
			execvp(argv[0], argv);
		fprintf(stderr, "fuzz: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	x->pid[x->npid++] = pid;
}

/* Waits for the fuzzers; SIGINT or SIGTERM is passed on to them, and with stop_on_bug the first
 * fuzzer to end (afl-fuzz under AFL_BENCH_UNTIL_CRASH, libFuzzer at its first crash) stops the
 * others.  Returns false if one could not be started or ended with an error other than finding
 * crashes. */
static bool ext_wait(struct ext *x, bool stop_on_bug)
{
	bool ok = true, forwarded = false;
	bool done[LS_FUZZ_MAX_JOBS] = { false };
	int left = x->npid;
	while (left) {
		if (!forwarded && (ls_stop_signal || (stop_on_bug && left < x->npid))) {
			for (int j = 0; j < x->npid; j++)
				if (!done[j])
					kill(x->pid[j], SIGINT);
			forwarded = true;
		}
		bool reaped = false;
		for (int i = 0; i < x->npid; i++) {
			int status;
			if (done[i])
				continue;
			pid_t r = waitpid(x->pid[i], &status, WNOHANG);
			if (r < 0 && errno != EINTR)
				ls_die(LS_EXIT_INTERNAL, "fuzz: waitpid: %s", strerror(errno));
			if (r != x->pid[i])
				continue;
			done[i] = reaped = true;
			left--;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				ok = false;
			/* afl-fuzz exits 0 (or 1 when told to stop by a crash, or when it refuses
			 * seeds that crash); libFuzzer with -ignore_crashes exits 0, or with the
			 * crash's code. */
			else if (WIFEXITED(status) && WEXITSTATUS(status) > 1 && !ls_stop_signal &&
				 strcmp(x->engine, "afl") == 0)
				ok = false;
		}
		if (left && !reaped)
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return ok;
}

/* Runs `lockstep replay --target` on one crash input, as a user would: it saves the finding in
 * --out unless that signature's trace is there, and adds a hit to its README.md row.  Returns
 * the finding's kind, LS_KIND_NONE if the input has none. */
static enum ls_kind ext_convert(struct ext *x, const char *spec, const struct ls_exec_opts *o,
				const char *input, const struct ls_fuzz_hooks *h)
{
	const char *argv[20];
	int n = 0;
	argv[n++] = x->self;
	argv[n++] = "replay";
	argv[n++] = "--target";
	argv[n++] = spec;
	if (o->no_lockdep)
		argv[n++] = "--no-lockdep";
	if (o->lockdep_compat)
		argv[n++] = "--lockdep-compat";
	char budget[16];
	if (ls_config_weak(&o->cfg)) {
		argv[n++] = "--memory-model";
		argv[n++] = ls_memory_model_name(o->cfg.memory_model);
		if (o->cfg.compiler_reorder)
			argv[n++] = "--compiler-reorder";
		snprintf(budget, sizeof(budget), "%u", (unsigned)o->cfg.reorder_budget);
		argv[n++] = "--reorder-budget";
		argv[n++] = budget;
	}
	const struct ls_ksrc_build *tree = ls_ksrc_active();
	if (tree) {
		argv[n++] = "--kernel-tree";
		argv[n++] = tree->tree;
	}
	argv[n++] = "--out";
	argv[n++] = o->out;
	argv[n++] = "--json";
	argv[n++] = input;
	argv[n] = NULL;
	struct ls_buf b = { 0 };
	int status = capture((char *const *)argv, false, &b);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : LS_EXIT_INTERNAL;
	if (code != LS_EXIT_CLEAN && code != LS_EXIT_FOUND)
		ls_die(LS_EXIT_INTERNAL, "fuzz: lockstep replay --target %s %s failed (exit %d)",
		       spec, input, code);
	x->inputs++;
	const char *text = b.s ? b.s : "";
	/* The JSON line is the last one; a crash in the replay prints its report only, whose
	 * "replay: lockstep replay PATH" line names the trace. */
	const char *json = ls_last_json(text);
	json_t *j = ls_json_last_object(text);
	char *trace = NULL, *sig = NULL;
	enum ls_kind kind = LS_KIND_CRASH;
	if (!j)
		json = NULL;	/* a line of the report, not a summary */
	if (j) {
		const char *v = ls_json_string(j, "trace");
		trace = v ? strdup(v) : NULL;
		/* The bug's title names it; a replay by an older lockstep gives the signature. */
		v = ls_json_string(j, "title");
		if (!v)
			v = ls_json_string(j, "signature");
		sig = v ? strdup(v) : NULL;
		const char *outcome = ls_json_string(j, "outcome");
		for (int k = 0; outcome && k < LS_KIND_COUNT; k++)
			if (strcmp(outcome, ls_kind_name((enum ls_kind)k)) == 0)
				kind = (enum ls_kind)k;
		json_decref(j);
	} else {
		const char *r = strstr(text, "replay: lockstep replay ");
		if (r) {
			r += strlen("replay: lockstep replay ");
			/* ls_replay_command()'s options come before the path. */
			while (!strncmp(r, "--target ", 9) || !strncmp(r, "--kernel-tree ", 14)) {
				const char *next = strchr(strchr(r, ' ') + 1, ' ');
				if (!next)
					break;
				r = next + 1;
			}
			trace = strndup(r, strcspn(r, "\n"));
		}
		sig = strdup("crash (see the report)");
	}
	if (!trace) {
		x->unreproduced++;	/* no finding: a fuzzer timeout or out-of-memory input */
		if (h->ext_input)
			h->ext_input(h->arg, input, NULL, text, 0);
		free(sig);
		ls_buf_finish(&b);
		return LS_KIND_NONE;
	}
	int i = 0;
	while (i < x->nf && strcmp(x->f[i].trace, trace) != 0)
		i++;
	if (i == x->nf) {
		x->f = realloc(x->f, (size_t)(x->nf + 1) * sizeof(*x->f));
		if (!x->f)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
		/* Named by its file: the fuzzer's directory is removed at the end. */
		const char *base = strrchr(input, '/') ? strrchr(input, '/') + 1 : input;
		x->f[i] = (struct ls_fuzz_ext_finding){ trace, sig ? sig : strdup(""), strdup(base),
							kind, 0 };
		x->nf++;
		if (h->ext_input)
			h->ext_input(h->arg, input, &x->f[i], text,
				     json ? (size_t)(json - text) : strlen(text));
	} else {
		free(trace);
		free(sig);
	}
	x->f[i].hits++;
	ls_buf_finish(&b);
	return kind;
}

double ls_ext_mtime_since(const char *path, const struct timespec *t0)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	double d = (double)(st.st_mtim.tv_sec - t0->tv_sec) +
		   (double)(st.st_mtim.tv_nsec - t0->tv_nsec) * 1e-9;
	return d < 0 ? 0 : d;
}

void ls_ext_add_input(struct ext_input **in, size_t *n, const char *path, double found_s,
		      uint64_t exec)
{
	*in = realloc(*in, (*n + 1) * sizeof(**in));
	if (!*in || !((*in)[*n].path = strdup(path)))
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	(*in)[*n].found_s = found_s;
	(*in)[*n].exec = exec;
	(*n)++;
}

static int cmp_input(const void *a, const void *b)
{
	return strcmp(((const struct ext_input *)a)->path, ((const struct ext_input *)b)->path);
}

int ls_fuzz_external_run(const struct ls_fuzz_opts *fo, const struct ls_fuzz_hooks *h)
{
	static const struct ls_fuzz_hooks none;
	const struct ls_exec_opts *o = &fo->o;
	const char *engine = o->engine;
	uint64_t jobs = fo->jobs;
	if (!h)
		h = &none;
	if (jobs < 1 || jobs > LS_FUZZ_MAX_JOBS)
		ls_die(LS_EXIT_USAGE, "fuzz: --jobs must be between 1 and %d", LS_FUZZ_MAX_JOBS);
	if (fo->time_s == 0)
		ls_die(LS_EXIT_USAGE, "fuzz: --time must be positive");
	struct ext x;
	memset(&x, 0, sizeof(x));
	x.engine = engine;
	ext_locate(&x);
	struct ls_session s;
	ls_open_session(fo->spec, o, &s);
	const struct ls_variant *var = &s.target->variants[s.variant];
	char spec[300];
	snprintf(spec, sizeof(spec), "%s:%s", s.target->name, var->name);

	setenv("LOCKSTEP_TARGET", spec, 1);
	setenv("LOCKSTEP_LOCKDEP", o->no_lockdep ? "off" : o->lockdep_compat ? "compat" : "on", 1);
	setenv("LOCKSTEP_MEMORY_MODEL", ls_memory_model_name(o->cfg.memory_model), 1);
	setenv("LOCKSTEP_COMPILER_REORDER", o->cfg.compiler_reorder ? "1" : "0", 1);
	char budget[16];
	snprintf(budget, sizeof(budget), "%u", (unsigned)o->cfg.reorder_budget);
	setenv("LOCKSTEP_REORDER_BUDGET", budget, 1);
	const struct ls_ksrc_build *tree = ls_ksrc_active();
	if (tree)
		setenv("LOCKSTEP_KSRC_TREE", tree->tree, 1);
	else
		unsetenv("LOCKSTEP_KSRC_TREE");
	ext_check(&x, spec);
	const char *tmpdir = getenv("TMPDIR");
	snprintf(x.work, sizeof(x.work), "%s/lockstep-fuzz-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(x.work))
		ls_die(LS_EXIT_INTERNAL, "fuzz: cannot create %s: %s", x.work, strerror(errno));

	ls_catch_stop_signals();
	double start = ls_wall_s();
	struct timespec start_real;	/* the fuzzers' files are dated by the real-time clock */
	clock_gettime(CLOCK_REALTIME, &start_real);
	bool single = false;		/* one libFuzzer process, no fork mode */
	bool afl = strcmp(engine, "afl") == 0;
	char indir[4300] = "";
	fprintf(stderr, "fuzz: %s on %s, %" PRIu64 " job%s, %" PRIu64 " s, in %s\n", engine, spec,
		jobs, jobs == 1 ? "" : "s", fo->time_s, x.work);
	if (afl)
		ls_afl_start(&x, fo, indir, sizeof(indir));
	else
		ls_libfuzzer_start(&x, fo, &single);
	bool ran = ext_wait(&x, fo->stop_on_bug);
	double elapsed = ls_wall_s() - start;
	if (!ran) {
		fprintf(stderr, "fuzz: %s did not run; its log is in %s/log-*:\n", engine, x.work);
		char cmd[4400];
		snprintf(cmd, sizeof(cmd), "tail -n 5 %s/log-* >&2", x.work);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: (cannot show the log)\n");
		ls_session_finish(&s);
		return LS_EXIT_INTERNAL;
	}

	/* The crash inputs, in name order, each through `replay --target`. */
	char pattern[4400];
	snprintf(pattern, sizeof(pattern), "%s/%s", x.work, afl ? "sync" : "crashes");
	struct ext_input *files = NULL;
	size_t nfiles = 0;
	char find[4500];
	snprintf(find, sizeof(find), "find '%s' -type f \\( -name 'crash-*' -o -name 'timeout-*' "
		 "-o -path '*/crashes/id:*' \\) 2>/dev/null", pattern);
	FILE *lst = popen(find, "r");
	char line[4600], logpath[4400];
	size_t loglen;
	struct ls_libfuzzer_log lf = { 0 };
	snprintf(logpath, sizeof(logpath), "%s/log-libfuzzer", x.work);
	char *lflog = afl ? NULL : ls_read_file(logpath, &loglen);
	if (lflog)
		ls_libfuzzer_parse_log(lflog, &lf);
	uint64_t lf_execs = single ? lf.final_execs : lf.progress_execs;
	while (lst && fgets(line, sizeof(line), lst)) {
		line[strcspn(line, "\n")] = 0;
		uint64_t exec = afl ? (jobs == 1 ? ls_afl_crash_execs(line) : 0)
				    : (single ? lf_execs : 0);
		ls_ext_add_input(&files, &nfiles, line, ls_ext_mtime_since(line, &start_real), exec);
	}
	if (lst)
		pclose(lst);
	if (nfiles)
		qsort(files, nfiles, sizeof(*files), cmp_input);
	if (afl)
		ls_afl_seed_crashes(&x, indir, &start_real, &files, &nfiles);

	/* Executions in all: AFL++'s fuzzer_stats (execs_done, per instance), libFuzzer's log;
	 * when afl-fuzz refused its seeds, none ran beyond the dry run. */
	struct ls_fuzz_ext_result r;
	memset(&r, 0, sizeof(r));
	r.execs = lf_execs;
	r.execs_known = !afl && lflog && lf_execs;
	free(lflog);
	for (uint64_t j = 0; afl && j < jobs; j++) {
		char name[32];
		snprintf(name, sizeof(name), j ? "s%" PRIu64 : "main", j);
		snprintf(logpath, sizeof(logpath), "%s/sync/%s/fuzzer_stats", x.work, name);
		char *text = ls_read_file(logpath, &loglen);
		struct ls_afl_stats st;
		if (text && ls_afl_parse_stats(text, &st)) {
			r.execs += st.execs_done;
			r.execs_known = true;
		}
		free(text);
	}
	struct ext_input *first = NULL;	/* the first bug: the earliest found */
	uint64_t kind_exec[LS_KIND_COUNT];	/* per kind, the execution of its first input */
	for (int k = 0; k < LS_KIND_COUNT; k++)
		kind_exec[k] = LS_EXPECT_NOT_FOUND;
	for (size_t i = 0; i < nfiles; i++) {
		enum ls_kind kind = ext_convert(&x, spec, o, files[i].path, h);
		if (kind != LS_KIND_NONE) {
			uint64_t at = files[i].exec ? files[i].exec : LS_EXPECT_FOUND;
			if (kind_exec[kind] == LS_EXPECT_NOT_FOUND || at < kind_exec[kind])
				kind_exec[kind] = at;
		}
		if (ls_variant_bug(var, kind) && files[i].found_s >= 0 &&
		    (!first || files[i].found_s < first->found_s)) {
			first = &files[i];
			x.first_bug_kind = kind;
		}
	}
	if (afl && !r.execs_known && first) {
		r.execs = first->exec;	/* afl-fuzz stopped in its dry run */
		r.execs_known = r.execs != 0;
	}

	int bugs = 0;
	for (int i = 0; i < x.nf; i++)
		bugs += ls_variant_bug(var, x.f[i].kind);
	r.s = &s;
	r.spec = spec;
	r.engine = engine;
	r.jobs = jobs;
	r.elapsed_s = elapsed;
	r.inputs = x.inputs;
	r.unreproduced = x.unreproduced;
	r.f = x.f;
	r.nf = x.nf;
	r.bug = first != NULL;
	r.first_bug_s = first ? first->found_s : -1;
	r.first_bug_exec = first ? first->exec : 0;
	r.first_bug_kind = x.first_bug_kind;
	ls_expect_judge(var, kind_exec, r.execs_known ? r.execs : LS_EXPECT_UNCOUNTED, "execution",
			&r.expect);
	if (h->ext_summary)
		h->ext_summary(h->arg, &r);
	for (int i = 0; i < x.nf; i++) {
		free(x.f[i].trace);
		free(x.f[i].title);
		free(x.f[i].input);
	}
	free(x.f);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].path);
	free(files);
	/* The raw inputs are now traces in --out; the fuzzer's directory goes. */
	if (!ls_remove_tree(x.work))
		fprintf(stderr, "fuzz: cannot remove %s\n", x.work);
	ls_session_finish(&s);
	return bugs ? LS_EXIT_FOUND : LS_EXIT_CLEAN;
}

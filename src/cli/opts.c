/* Option parsing and help, driven by each command's option table; errors and shared helpers. */
#define _GNU_SOURCE
#include "cli.h"
#include "version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "../findings.h"
#include "../report.h"
#include "../trace.h"
#include "../../targets/targets.h"
#include "../lockdep/lockdep.h"

const char *ls_prog = "lockstep";

void ls_die(int code, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, and no terminal escape from a name or path the user (or a trace) gave:
	 * control characters are written as \xNN. */
	fprintf(stderr, "%s: ", ls_prog);
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
	ls_child_exiting();	/* in a child running target code: lockstep's exit, not the target's */
	exit(code);
}

/* The short spellings of common options, for the commands that have the long one. */
static const struct {
	char letter;
	const char *name;
} shorts[] = {
	{ 'j', "jobs" }, { 's', "seed" }, { 't', "time" }, { 'o', "out" }, { 'o', "output" },
	{ 'q', "quiet" },
};

static char short_of(const char *name)
{
	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
		if (strcmp(shorts[i].name, name) == 0)
			return shorts[i].letter;
	return 0;
}

static void help(const struct ls_cmd *cmd, const struct ls_opt *opts)
{
	printf("usage: %s %s [options] %s\n\n%s\n\noptions:\n", ls_prog, cmd->name, cmd->args,
	       cmd->summary);
	for (const struct ls_opt *o = opts; o->name; o++) {
		char left[48], letter = short_of(o->name);
		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", letter ? '-' : ' ',
			 letter ? letter : ' ', letter ? ", " : "  ", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		printf("  %-28s %s", left, o->help);
		switch (o->type) {
		case LS_OPT_U64:
			printf(" (default %llu)", (unsigned long long)*(uint64_t *)o->dest);
			break;
		case LS_OPT_F64:
			printf(" (default %g)", *(double *)o->dest);
			break;
		case LS_OPT_STR:
			if (*(const char **)o->dest)
				printf(" (default %s)", *(const char **)o->dest);
			break;
		default:
			break;
		}
		printf("\n");
	}
	printf("  %-28s %s\n", "-h, --help", "show this help");
	printf("  %-28s %s\n", "-V, --version", "print lockstep's version and exit");
}

static void set_value(const struct ls_cmd *cmd, const struct ls_opt *o, const char *v)
{
	char *end;
	switch (o->type) {
	case LS_OPT_STR:
		*(const char **)o->dest = v;
		break;
	case LS_OPT_U64: {
		/* Decimal digits only: no sign, no space, no octal or hex reading of a leading 0. */
		errno = 0;
		unsigned long long x = strtoull(v, &end, 10);
		if (errno || !*v || *end || strspn(v, "0123456789") != strlen(v))
			ls_die(LS_EXIT_USAGE, "%s: --%s expects a non-negative decimal integer, got '%s'",
			       cmd->name, o->name, v);
		*(uint64_t *)o->dest = x;
		break;
	}
	case LS_OPT_F64: {
		errno = 0;
		double x = strtod(v, &end);
		if (errno || !*v || *end || !isfinite(x))
			ls_die(LS_EXIT_USAGE, "%s: --%s expects a number, got '%s'", cmd->name,
			       o->name, v);
		*(double *)o->dest = x;
		break;
	}
	case LS_OPT_FLAG:
		*(bool *)o->dest = true;
		break;
	}
	if (o->seen)
		*o->seen = true;
}

/* Options are parsed by getopt_long(), from the command's table: GNU's rules, so an option may
 * come anywhere, be abbreviated to a unique prefix (--exec for --execs), take its value as the
 * next argument or after '=', and "--" ends them; -h, -V and the short spellings above stand for
 * --help, --version and their long options. */
#define MAX_OPTS 64

int ls_parse(const struct ls_cmd *cmd, const struct ls_opt *opts, int argc, char **argv,
	     char **pos, int maxpos)
{
	struct option longopts[MAX_OPTS + 3];
	/* ':' first: a missing value is its own case.  No '+': GNU's permutation, so options may
	 * come after the positional arguments. */
	char shortopts[3 * MAX_OPTS + 8] = ":hV";
	size_t ns = strlen(shortopts);
	int n = 0;
	for (const struct ls_opt *o = opts; o->name; o++, n++) {
		if (n == MAX_OPTS)
			ls_die(LS_EXIT_INTERNAL, "%s: more than %d options", cmd->name, MAX_OPTS);
		longopts[n] = (struct option){ o->name,
					       o->type == LS_OPT_FLAG ? no_argument :
					       required_argument, NULL, 256 + n };
		char c = short_of(o->name);
		if (c) {
			shortopts[ns++] = c;
			if (o->type != LS_OPT_FLAG)
				shortopts[ns++] = ':';
		}
	}
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n] = (struct option){ 0 };
	shortopts[ns] = 0;

	/* getopt_long() counts argv[0] as the program: give it one.  Kept in a static, so that a
	 * --help or an error that exits from the loop leaves nothing unreachable behind. */
	static char **args;
	free(args);
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	args[0] = (char *)cmd->name;
	memcpy(args + 1, argv, (size_t)argc * sizeof(*args));
	int nargs = argc + 1;
	opterr = 0;
	optind = 0;	/* a full reset: a command may parse more than once */
	int c, idx;
	while ((c = getopt_long(nargs, args, shortopts, longopts, &idx)) != -1) {
		if (c == 'h') {
			help(cmd, opts);
			exit(LS_EXIT_CLEAN);
		}
		if (c == 'V') {
			printf("lockstep %s\n", LS_VERSION);
			exit(LS_EXIT_CLEAN);
		}
		/* optopt is the short letter, a long option's table value (256 + its index), or 0
		 * for a long name that is unknown or ambiguous. */
		const struct ls_opt *bad = optopt >= 256 && optopt < 256 + MAX_OPTS ?
					   &opts[optopt - 256] : NULL;
		if (c == ':' && bad)
			ls_die(LS_EXIT_USAGE, "%s: --%s needs a value", cmd->name, bad->name);
		if (c == ':')
			ls_die(LS_EXIT_USAGE, "%s: -%c needs a value", cmd->name, optopt);
		if (c == '?' && bad)
			ls_die(LS_EXIT_USAGE, "%s: --%s takes no value", cmd->name, bad->name);
		if (c == '?' && optopt)
			ls_die(LS_EXIT_USAGE, "%s: unknown option '-%c' (see --help)", cmd->name,
			       optopt);
		if (c == '?')
			ls_die(LS_EXIT_USAGE, "%s: unknown or ambiguous option '%s' (see --help)",
			       cmd->name, args[optind - 1]);
		const struct ls_opt *o = NULL;
		if (c >= 256) {
			o = &opts[c - 256];
		} else {
			for (const struct ls_opt *p = opts; p->name && !o; p++)
				if (short_of(p->name) == c)
					o = p;
		}
		if (!o)
			ls_die(LS_EXIT_INTERNAL, "%s: option table", cmd->name);
		set_value(cmd, o, o->type == LS_OPT_FLAG ? NULL : optarg);
	}
	int npos = 0;
	for (int i = optind; i < nargs; i++) {
		if (npos == maxpos)
			ls_die(LS_EXIT_USAGE, "%s: unexpected argument '%s' (see --help)", cmd->name,
			       args[i]);
		pos[npos++] = args[i];
	}
	return npos;
}

void ls_exec_opts_default(struct ls_exec_opts *o)
{
	memset(o, 0, sizeof(*o));
	ls_config_default(&o->cfg);
	o->p_switch = 0.1;
	o->p_slow = 0.02;
	o->p_irq = 0.05;
	o->slow = o->cfg.slow_budget;
	o->out = "crashes";
	o->engine = "random";
	o->pct_depth = 3;
}

void ls_exec_opts_check(struct ls_exec_opts *o)
{
	if (o->p_switch < 0 || o->p_slow < 0 || o->p_irq < 0 ||
	    o->p_switch + o->p_slow + o->p_irq > 1)
		ls_die(LS_EXIT_USAGE,
		       "--p-switch, --p-slow and --p-irq must be >= 0 and add up to at most 1");
	if (o->slow > 255)
		ls_die(LS_EXIT_USAGE, "--slow must be between 0 and 255");
	o->cfg.slow_budget = (uint32_t)o->slow;
	if (o->cfg.step_limit == 0 || o->cfg.step_limit > 1000000000)
		ls_die(LS_EXIT_USAGE, "--step-limit must be between 1 and 1000000000");
	if (o->cfg.time_limit_ns == 0)
		ls_die(LS_EXIT_USAGE, "--time-limit-ns must be positive");
	if (o->lockdep_compat && o->no_lockdep)
		ls_die(LS_EXIT_USAGE, "--lockdep-compat and --no-lockdep exclude each other");
	if (o->pct_depth < 1 || o->pct_depth > LS_PCT_MAX_DEPTH)
		ls_die(LS_EXIT_USAGE, "--pct-depth must be between 1 and %d", LS_PCT_MAX_DEPTH);
	if (o->hang_s < 0)
		ls_die(LS_EXIT_USAGE, "--hang-timeout must not be negative");
	ls_out_dir_or_die(o->out, o->force);
}

void ls_out_dir_or_die(const char *dir, bool force)
{
	if (!dir)
		return;
	struct stat st;
	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			return;	/* made at the first finding */
		ls_die(LS_EXIT_USAGE, "--out %s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		ls_die(LS_EXIT_USAGE, "--out %s: not a directory", dir);
	if (access(dir, W_OK | X_OK) != 0)
		ls_die(LS_EXIT_USAGE, "--out %s: %s", dir, strerror(errno));
	if (force)
		return;
	/* A findings directory: empty, holding findings (an index or a trace), or holding only
	 * what a campaign writes on its way there (another campaign starting in it at the same
	 * time): reports, README.md, the index lock, temporary files. */
	DIR *dh = opendir(dir);
	if (!dh)
		ls_die(LS_EXIT_USAGE, "--out %s: %s", dir, strerror(errno));
	bool other = false, ours = false;
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (strcmp(n, "index.tsv") == 0 || (len > 6 && strcmp(n + len - 6, ".trace") == 0))
			ours = true;
		else if (!(strcmp(n, "README.md") == 0 || strcmp(n, ".index.lock") == 0 ||
			   (len > 4 && strcmp(n + len - 4, ".txt") == 0) ||
			   (n[0] == '.' && strstr(n, ".tmp."))))
			other = true;
	}
	closedir(dh);
	if (other && !ours)
		ls_die(LS_EXIT_USAGE, "--out %s: a non-empty directory that holds no lockstep findings "
				      "(give an empty or new one, or --force)", dir);
}

void ls_random_label(const struct ls_exec_opts *o, char *buf, size_t n)
{
	snprintf(buf, n, "random p-switch %g p-slow %g p-irq %g", o->p_switch, o->p_slow, o->p_irq);
}

void ls_engine_init(struct ls_engine *e, const struct ls_exec_opts *o)
{
	memset(e, 0, sizeof(*e));
	if (strcmp(o->engine, "random") == 0) {
		e->kind = LS_ENGINE_RANDOM;
		ls_random_init(&e->u.random, o->p_switch, o->p_slow, o->p_irq);
		ls_random_label(o, e->label, sizeof(e->label));
		e->st = &e->u.random.base;
	} else if (strcmp(o->engine, "pct") == 0) {
		e->kind = LS_ENGINE_PCT;
		ls_pct_init(&e->u.pct, (int)o->pct_depth);
		ls_pct_label(&e->u.pct, e->label, sizeof(e->label));
		e->st = &e->u.pct.base;
	} else {
		ls_die(LS_EXIT_USAGE, "unknown engine '%s' (available: random, pct)", o->engine);
	}
}

void ls_open_session(const char *spec, const struct ls_exec_opts *o, struct ls_session *s)
{
	const struct ls_config *cfg = &o->cfg;
	const struct ls_target *t;
	int variant;
	char err[512];
	if (!ls_target_spec(spec, &t, &variant, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "%s", err);
	if (!ls_session_init(s, t, variant, cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "%s", err);
	ls_session_set_lockdep(s, o->no_lockdep ? LS_LOCKDEP_OFF
			       : o->lockdep_compat ? LS_LOCKDEP_COMPAT : LS_LOCKDEP_ON);
}

/* The trace of a finding that cites earlier executions: their decisions come from running them
 * again (the session's strategy and their seeds make the same decisions), after the report and
 * the finding's own decisions are taken from the machine. */
static void trace_with_priors(struct ls_session *s, const struct ls_result *r,
			      const char *strategy, struct ls_buf *trace)
{
	struct ls_machine *m = s->m;
	struct ls_trace_exec main = { r->seed, NULL, m->nlog };
	struct ls_decision *own = malloc((m->nlog ? m->nlog : 1) * sizeof(*own));
	struct ls_trace_exec prior[8];
	struct ls_decision *copies[8] = { 0 };
	if (!own)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	memcpy(own, m->log, m->nlog * sizeof(*own));
	main.d = own;
	for (int i = 0; i < r->nprior; i++) {
		ls_session_rerun(s, s->strategy, r->prior_exec[i], r->prior_seed[i]);
		copies[i] = malloc((m->nlog ? m->nlog : 1) * sizeof(*copies[i]));
		if (!copies[i])
			ls_die(LS_EXIT_INTERNAL, "out of memory");
		memcpy(copies[i], m->log, m->nlog * sizeof(*copies[i]));
		prior[i] = (struct ls_trace_exec){ r->prior_seed[i], copies[i], m->nlog };
	}
	ls_trace_write_execs(s, r, strategy, prior, r->nprior, &main, trace);
	for (int i = 0; i < r->nprior; i++)
		free(copies[i]);
	free(own);
}

void ls_render_finding(struct ls_session *s, const struct ls_result *r, const char *strategy,
		       const char *dir, char *path, size_t pathlen, struct ls_buf *report,
		       struct ls_buf *trace)
{
	char stem[4096];
	ls_finding_stem(dir, r, stem, sizeof(stem));
	snprintf(path, pathlen, "%s.trace", stem);
	ls_report_write(s, r, strategy, path, report);
	if (r->nprior)
		trace_with_priors(s, r, strategy, trace);
	else
		ls_trace_write(s, r, strategy, trace);
}

bool ls_try_write_finding(const char *path, const struct ls_buf *report,
			  const struct ls_buf *trace)
{
	char dir[4096], report_path[4200];
	size_t n = strlen(path);
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	snprintf(report_path, sizeof(report_path), "%.*s.txt",
		 (int)(n > 6 && strcmp(path + n - 6, ".trace") == 0 ? n - 6 : n), path);
	if (!ls_mkdirs(dir))
		return false;
	if (!ls_write_atomic(report_path, report->s, report->len))
		return false;
	if (!ls_write_atomic(path, trace->s, trace->len)) {
		/* No report without its trace (an earlier trace of the signature keeps its). */
		int e = errno;
		if (access(path, F_OK) != 0)
			unlink(report_path);
		errno = e;
		return false;
	}
	return true;
}

void ls_write_finding(const char *path, const struct ls_buf *report, const struct ls_buf *trace)
{
	if (!ls_try_write_finding(path, report, trace))
		ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", path, strerror(errno));
}

void ls_note_finding(const char *path, uint64_t hits)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	struct ls_finding_dir d;
	if (!ls_finding_dir_load(&d, dir))
		ls_die(LS_EXIT_INTERNAL, "cannot read %s: %s", dir, strerror(errno));
	struct ls_finding_row *row = ls_finding_dir_get(&d, path);
	if (row)
		row->hits += hits;
	if (!ls_finding_dir_write(&d))
		ls_die(LS_EXIT_INTERNAL, "cannot write the index of %s: %s", dir, strerror(errno));
	ls_finding_dir_finish(&d);
}

bool ls_save_finding(struct ls_session *s, const struct ls_result *r, const char *strategy,
		     const char *dir, char *path, size_t pathlen, struct ls_buf *report)
{
	char stem[4096];
	ls_finding_stem(dir, r, stem, sizeof(stem));
	snprintf(path, pathlen, "%s.trace", stem);
	if (!ls_mkdirs(dir))
		ls_die(LS_EXIT_INTERNAL, "cannot create %s: %s", dir, strerror(errno));
	FILE *f = fopen(path, "r");
	if (f) {
		fclose(f);
		ls_report_write(s, r, strategy, path, report);
		return false;	/* the first trace of each signature is kept */
	}
	struct ls_buf trace = { 0 };
	ls_render_finding(s, r, strategy, dir, path, pathlen, report, &trace);
	ls_write_finding(path, report, &trace);
	ls_buf_finish(&trace);
	return true;
}

void ls_json_str(struct ls_buf *b, const char *s)
{
	ls_buf_printf(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			ls_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			ls_buf_printf(b, "\\u%04x", c);
		else
			ls_buf_printf(b, "%c", c);
	}
	ls_buf_printf(b, "\"");
}

void ls_json_lockdep(struct ls_buf *b, const struct ls_session *s, const struct ls_result *r)
{
	const struct ls_lockdep_report *ld = r->kind != LS_KIND_NONE ? ls_lockdep_report() : NULL;
	ls_buf_printf(b, ",\"shape\":");
	ls_json_str(b, r->shape[0] ? r->shape : ls_kind_name(r->kind));
	if (!ld)
		return;
	static const char *const bugs[] = {
		[LS_BUG_CIRCULAR] = "possible circular locking dependency",
		[LS_BUG_RECURSIVE] = "possible recursive locking",
		[LS_BUG_INTERRUPT_AA] = "possible recursive locking through an interrupt",
		[LS_BUG_USAGE] = "inconsistent lock state",
		[LS_BUG_IRQ_ORDER] = "HARDIRQ-safe -> HARDIRQ-unsafe lock order",
		[LS_BUG_INVERSION] = "possible irq lock inversion dependency",
		[LS_BUG_UNLOCK] = "bad unlock balance",
	};
	ls_buf_printf(b, ",\"lockdep\":{\"mode\":\"%s\",\"bug\":", ls_lockdep_mode_name(s->lockdep));
	ls_json_str(b, bugs[ld->bug]);
	ls_buf_printf(b, ",\"shape\":");
	ls_json_str(b, ld->shape);
	ls_buf_printf(b, ",\"averted\":%s,\"context\":", ld->averted ? "true" : "false");
	ls_json_str(b, ls_ctx_name(ld->ctx));
	ls_buf_printf(b, ",\"step\":%" PRIu64 ",\"acquiring\":", ld->step);
	ls_json_str(b, ls_lockdep_class(ld->next.class_id)->name);
	if (ld->bug == LS_BUG_CIRCULAR || ld->bug == LS_BUG_RECURSIVE ||
	    ld->bug == LS_BUG_INTERRUPT_AA || ld->bug == LS_BUG_IRQ_ORDER) {
		ls_buf_printf(b, ",\"holding\":");
		ls_json_str(b, ls_lockdep_class(ld->prev.class_id)->name);
	}
	if (ld->usage_old >= 0 && ld->bug != LS_BUG_IRQ_ORDER) {
		ls_buf_printf(b, ",\"usage\":[");
		ls_json_str(b, ls_usage_name(ld->usage_old));
		ls_buf_printf(b, ",");
		ls_json_str(b, ls_usage_name(ld->usage_new));
		ls_buf_printf(b, "]");
	}
	ls_buf_printf(b, ",\"chain\":[");
	for (int i = 0; i < ld->nchain; i++) {
		const struct ls_dep *d = ls_lockdep_dep(ld->chain[i]);
		ls_buf_printf(b, "%s{\"from\":", i ? "," : "");
		ls_json_str(b, ls_lockdep_class(d->from)->name);
		ls_buf_printf(b, ",\"to\":");
		ls_json_str(b, ls_lockdep_class(d->to)->name);
		ls_buf_printf(b, ",\"context\":");
		ls_json_str(b, d->origin.ctx);
		ls_buf_printf(b, ",\"step\":%" PRIu64 ",\"execution\":%" PRIu32 ",\"seed\":%" PRIu64
				 ",\"site\":",
			      d->origin.step, d->origin.exec, d->origin.seed);
		char site[300];
		const char *file = d->origin.site ? d->origin.site->file : "?";
		if (strstr(file, "targets/"))
			file = strstr(file, "targets/");
		snprintf(site, sizeof(site), "%s:%d", file,
			 d->origin.site ? d->origin.site->line : 0);
		ls_json_str(b, site);
		ls_buf_printf(b, "}");
	}
	ls_buf_printf(b, "],\"prior_seeds\":[");
	for (int i = 0; i < ld->nprior; i++)
		ls_buf_printf(b, "%s%" PRIu64, i ? "," : "", ld->prior_seed[i]);
	ls_buf_printf(b, "]}");
}

volatile sig_atomic_t ls_stop_signal;

static void on_stop_signal(int sig)
{
	ls_stop_signal = sig;
}

void ls_catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;	/* output to a pipe goes on while the command winds down */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

double ls_wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ls_self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0)
		ls_die(LS_EXIT_INTERNAL, "cannot read /proc/self/exe: %s", strerror(errno));
	buf[n] = 0;
}

bool ls_internal_exe(const char *name, const char *build_subdir, char *buf, size_t len)
{
	char dir[4096];
	ls_self_exe(dir, sizeof(dir));
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	/* The build tree: BUILD/lockstep, BUILD/SUBDIR/NAME. */
	snprintf(buf, len, "%s/%s%s%s", dir, build_subdir ? build_subdir : "",
		 build_subdir ? "/" : "", name);
	if (access(buf, X_OK) == 0)
		return true;
	/* An install: PREFIX/bin/lockstep, PREFIX/libexec/lockstep/NAME, found relative to the
	 * executable so that a staged (DESTDIR) or moved install works too. */
	snprintf(buf, len, "%s/%s/lockstep/%s", dir, LS_BIN_TO_LIBEXEC, name);
	if (access(buf, X_OK) == 0)
		return true;
	return false;
}

void ls_output_or_die(const char *cmd, const char *option, const char *path)
{
	char why[4400];
	if (path && !ls_output_check(path, why, sizeof(why)))
		ls_die(LS_EXIT_USAGE, "%s: %s: %s", cmd, option, why);
}

char *ls_input_or_die(const char *path, size_t *len)
{
	char why[4400];
	char *text = ls_read_input(path, LS_INPUT_MAX_BYTES, len, why, sizeof(why));
	if (!text)
		ls_die(LS_EXIT_USAGE, "%s", why);
	return text;
}

bool ls_input_is_trace(const char *text, size_t len)
{
	static const char magic[] = "lockstep-trace ";
	return len >= sizeof(magic) - 1 && memcmp(text, magic, sizeof(magic) - 1) == 0;
}

void ls_trace_open(const char *file, const char *text, size_t len, const char *target_opt,
		   struct ls_trace *t, const struct ls_target **target, int *variant)
{
	char err[1400];
	if (memchr(text, 0, len))
		ls_die(LS_EXIT_USAGE, "%s: not a lockstep trace (binary data)", file);
	if (!ls_trace_parse(text, len, t, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "%s: %s", file, err);
	char name[4096];
	const char *want = NULL;
	if (target_opt && !ls_target_spec_split(target_opt, name, sizeof(name), &want))
		ls_die(LS_EXIT_USAGE, "--target: expected TARGET[:VARIANT] or FILE.so, got '%s'",
		       target_opt);
	if (want && strcmp(want, t->variant) != 0)
		ls_die(LS_EXIT_USAGE, "%s is a trace of variant %s; --target names variant %s", file,
		       t->variant, want);
	const char *load = t->target;
	if (!ls_target_names_object(t->target)) {
		if (target_opt && strcmp(name, t->target) != 0)
			ls_die(LS_EXIT_USAGE, "%s is a trace of %s; --target names %s", file,
			       t->target, name);
	} else if (!target_opt) {
		ls_die(LS_EXIT_USAGE, "%s: the trace's target %s is a shared object, and lockstep "
		       "never loads code because a trace names it: pass --target %s (the object "
		       "the trace was recorded with)", file, t->target, t->target);
	} else if (!ls_target_names_object(name)) {
		ls_die(LS_EXIT_USAGE, "%s is a trace of the shared object %s; --target names %s",
		       file, t->target, name);
	} else {
		unsigned long long hash;
		if (!ls_object_hash(name, &hash, err, sizeof(err)))
			ls_die(LS_EXIT_USAGE, "%s", err);
		if (!t->has_target_hash)
			fprintf(stderr, "%s: note: %s has no target-hash line (an older lockstep "
				"wrote it): %s is loaded unchecked\n", ls_prog, file, name);
		else if (hash != t->target_hash)
			ls_die(LS_EXIT_USAGE, "%s is not the object %s was recorded with: its content "
			       "hash is %016llx, the trace's target-hash %016llx (rebuild the object "
			       "as it was, or record the trace again)", name, file, hash,
			       t->target_hash);
		load = name;
	}
	*target = ls_target_find(load, err, sizeof(err));
	if (!*target)
		ls_die(LS_EXIT_USAGE, "%s: %s", file, err);
	unsigned long long loaded;
	if (t->has_target_hash && ls_target_object_hash(*target, &loaded) && loaded != t->target_hash)
		ls_die(LS_EXIT_USAGE, "%s changed while it was loaded: its content hash is now %016llx, "
		       "the trace's %016llx", load, loaded, t->target_hash);
	*variant = ls_variant_find(*target, t->variant);
	if (*variant < 0)
		ls_die(LS_EXIT_USAGE, "%s: target %s has no variant '%s'", file, load, t->variant);
}

const char *ls_last_json(const char *text)
{
	const char *json = NULL;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (*l == '{')
			json = l;
	return json;
}

int ls_run_child(char *const *argv, const char *dir, double limit_s, const char *errpath,
		 struct ls_buf *out, double *wall)
{
	int fd[2];
	if (pipe(fd) != 0)
		ls_die(LS_EXIT_INTERNAL, "pipe: %s", strerror(errno));
	fflush(NULL);
	double t0 = ls_wall_s();
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "fork: %s", strerror(errno));
	if (pid == 0) {
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		int err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (null < 0 || err < 0 || dup2(null, 0) < 0 || dup2(fd[1], 1) < 0 ||
		    dup2(err, 2) < 0 || (dir && chdir(dir) != 0))
			_exit(LS_EXIT_INTERNAL);
		close(fd[0]);
		close(fd[1]);
		if (dir)
			setenv("TMPDIR", dir, 1);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);	/* also here: the kill below must not race the child's own */
	close(fd[1]);
	bool killed = false;
	for (;;) {
		double left = limit_s - (ls_wall_s() - t0);
		if (!killed && (left <= 0 || ls_stop_signal)) {
			kill(-pid, SIGKILL);
			killed = true;
		}
		struct pollfd pfd = { fd[0], POLLIN, 0 };
		int timeout = killed ? 1000 : left < 0.1 ? 100 : (int)(left * 1000) + 1;
		int r = poll(&pfd, 1, timeout > 1000 ? 1000 : timeout);
		if (r < 0 && errno != EINTR)
			ls_die(LS_EXIT_INTERNAL, "poll: %s", strerror(errno));
		if (r <= 0)
			continue;
		char chunk[65536];
		ssize_t n = read(fd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ls_buf_printf(out, "%.*s", (int)n, chunk);
	}
	close(fd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);	/* anything of its group left behind (a fuzzer's own children) */
	*wall = ls_wall_s() - t0;
	if (killed || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

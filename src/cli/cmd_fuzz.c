/* lockstep fuzz: many executions with consecutive seeds, one saved trace per distinct signature.
 *
 * Execution i runs with seed S+i, so any finding is also reproducible with `lockstep run
 * TARGET --seed S+i`.  Findings are deduplicated by signature in memory; the first execution that
 * reaches a signature has its trace and report written (atomically) the moment it is found, so a
 * campaign stopped by SIGINT or SIGTERM keeps everything it already reported. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct finding {
	enum ls_kind kind;
	unsigned long long hash;
	char *signature;
	char shape[40];
	uint64_t hits;
	uint64_t first_exec;
	uint64_t first_seed;
	char path[4200];
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(FILE *f, bool tty, uint64_t execs, double elapsed, const struct finding *fs,
		     int nf)
{
	uint64_t by_kind[LS_KIND_COUNT] = { 0 };
	for (int i = 0; i < nf; i++)
		by_kind[fs[i].kind]++;
	fprintf(f, "%sfuzz: %" PRIu64 " execs, %.0f execs/s, %d findings", tty ? "\r" : "", execs,
		elapsed > 0 ? (double)execs / elapsed : 0.0, nf);
	bool any = false;
	for (int k = 1; k < LS_KIND_COUNT; k++)
		if (by_kind[k]) {
			fprintf(f, "%s%s %" PRIu64, any ? ", " : " (", ls_kind_name((enum ls_kind)k),
				by_kind[k]);
			any = true;
		}
	fprintf(f, "%s, %.1f s%s", any ? ")" : "", elapsed, tty ? "   " : "\n");
	fflush(f);
}

int ls_cmd_fuzz(int argc, char **argv)
{
	struct ls_exec_opts o;
	const char *engine = "random";
	uint64_t execs = 0, time_s = 0;
	bool execs_seen = false, time_seen = false;
	ls_exec_opts_default(&o);
	const struct ls_opt opts[] = {
		{ "engine", LS_OPT_STR, "NAME", "decision source: random", &engine, NULL },
		{ "execs", LS_OPT_U64, "N", "stop after N executions (default 100000 without --time)",
		  &execs, &execs_seen },
		{ "time", LS_OPT_U64, "S", "stop after S seconds of wall time", &time_s, &time_seen },
		LS_EXEC_OPTS(o),
		{ 0 },
	};
	char *pos[1];
	if (ls_parse(ls_cmd_lookup("fuzz"), opts, argc, argv, pos, 1) != 1)
		ls_die(LS_EXIT_USAGE, "fuzz: expected TARGET[:VARIANT] (see --help)");
	ls_exec_opts_check(&o);
	if (strcmp(engine, "random") != 0)
		ls_die(LS_EXIT_USAGE, "fuzz: unknown engine '%s' (available: random)", engine);
	if (!execs_seen && !time_seen)
		execs = 100000;
	if ((execs_seen && execs == 0) || (time_seen && time_s == 0))
		ls_die(LS_EXIT_USAGE, "fuzz: --execs and --time must be positive");

	struct ls_session s;
	ls_open_session(pos[0], &o, &s);
	struct ls_random rnd;
	ls_random_init(&rnd, o.p_switch, o.p_irq);
	char label[96];
	ls_random_label(&o, label, sizeof(label));

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	bool tty = isatty(STDERR_FILENO);
	double start = now_s(), last = start;
	double period = tty ? 0.25 : 10.0;
	struct finding *fs = NULL;
	int nf = 0, capf = 0;
	uint64_t n = 0;
	struct ls_result r;
	struct ls_buf report = { 0 };

	while (!stop_signal && (!execs || n < execs)) {
		uint64_t seed = o.seed + n;
		enum ls_kind kind = ls_session_run(&s, &rnd.base, seed, &r);
		n++;
		if (kind != LS_KIND_NONE) {
			int i = 0;
			while (i < nf && !(fs[i].hash == r.hash && strcmp(fs[i].signature, r.signature) == 0))
				i++;
			if (i < nf) {
				fs[i].hits++;
			} else {
				if (nf == capf) {
					capf = capf ? 2 * capf : 16;
					fs = realloc(fs, (size_t)capf * sizeof(*fs));
					if (!fs)
						ls_die(LS_EXIT_INTERNAL, "out of memory");
				}
				struct finding *f = &fs[nf++];
				memset(f, 0, sizeof(*f));
				f->kind = kind;
				snprintf(f->shape, sizeof(f->shape), "%s", r.shape);
				f->hash = r.hash;
				f->signature = strdup(r.signature);
				f->hits = 1;
				f->first_exec = n - 1;
				f->first_seed = seed;
				ls_buf_reset(&report);
				ls_save_finding(&s, &r, label, o.out, f->path, sizeof(f->path), &report);
				if (tty)
					fputc('\n', stderr);
				if (!o.quiet)
					fputs(report.s, stdout);
				printf("fuzz: new finding %s at execution %" PRIu64 " (seed %" PRIu64
				       "): %s\n",
				       f->shape, f->first_exec, seed, f->path);
				fflush(stdout);
			}
		}
		if ((n & 255) == 0) {
			double t = now_s();
			if (time_s && t - start >= (double)time_s)
				break;
			if (t - last >= period) {
				progress(stderr, tty, n, t - start, fs, nf);
				last = t;
			}
		}
	}
	double elapsed = now_s() - start;
	if (tty)
		progress(stderr, tty, n, elapsed, fs, nf), fputc('\n', stderr);

	printf("\nfuzz %s:%s: %" PRIu64 " executions in %.2f s (%.0f/s), %d distinct finding%s%s\n",
	       s.target->name, s.target->variants[s.variant].name, n, elapsed,
	       elapsed > 0 ? (double)n / elapsed : 0.0, nf, nf == 1 ? "" : "s",
	       stop_signal ? " (stopped by signal)" : "");
	const struct ls_variant *var = &s.target->variants[s.variant];
	int bugs = 0;
	for (int i = 0; i < nf; i++) {
		bool bug = ls_variant_bug(var, fs[i].kind);
		bugs += bug;
		printf("  %-13s hits %-8" PRIu64 " first at execution %" PRIu64 " (seed %" PRIu64
		       ")  %s\n      %s%s\n",
		       fs[i].shape, fs[i].hits, fs[i].first_exec, fs[i].first_seed,
		       fs[i].path, fs[i].signature, bug ? "" : "\n      (expected behaviour: not a bug for this variant)");
	}
	if (o.json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"fuzz\",\"target\":");
		ls_json_str(&j, s.target->name);
		ls_buf_printf(&j, ",\"variant\":");
		ls_json_str(&j, s.target->variants[s.variant].name);
		ls_buf_printf(&j, ",\"engine\":\"random\",\"seed\":%" PRIu64 ",\"execs\":%" PRIu64
				  ",\"elapsed_s\":%.3f,\"execs_per_s\":%.0f,\"stopped_by_signal\":%s,"
				  "\"findings\":[",
			      o.seed, n, elapsed, elapsed > 0 ? (double)n / elapsed : 0.0,
			      stop_signal ? "true" : "false");
		for (int i = 0; i < nf; i++) {
			ls_buf_printf(&j, "%s{\"kind\":\"%s\",\"shape\":\"%s\",\"hash\":\"%012llx\",\"hits\":%" PRIu64
					  ",\"first_exec\":%" PRIu64 ",\"seed\":%" PRIu64 ",\"trace\":",
				      i ? "," : "", ls_kind_name(fs[i].kind), fs[i].shape,
				      fs[i].hash & 0xffffffffffffull, fs[i].hits, fs[i].first_exec,
				      fs[i].first_seed);
			ls_json_str(&j, fs[i].path);
			ls_buf_printf(&j, ",\"signature\":");
			ls_json_str(&j, fs[i].signature);
			ls_buf_printf(&j, ",\"bug\":%s}",
				      ls_variant_bug(var, fs[i].kind) ? "true" : "false");
		}
		ls_buf_printf(&j, "]}");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	for (int i = 0; i < nf; i++)
		free(fs[i].signature);
	free(fs);
	ls_buf_finish(&report);
	ls_session_finish(&s);
	return bugs ? LS_EXIT_FOUND : LS_EXIT_CLEAN;
}

/* AFL++ as an engine of `lockstep fuzz` (external.c explains external engines): how the harness
 * is started under afl-fuzz, and what its files say.
 *
 * One main instance (-M main) and jobs-1 secondaries (-S sN) share WORK/sync; each runs for the
 * campaign's time (-V) with seed S+j, the memory limit from --rss-limit-mb (-m) and the hang
 * timeout in ms (-t).  The harness is not sanitized, and afl-fuzz refuses sanitizer options it
 * does not expect, so they are unset.  With --stop-on-bug, AFL_BENCH_UNTIL_CRASH stops an
 * instance at its first crash.
 *
 * What it writes: crash inputs WORK/sync/INSTANCE/crashes/id:N,sig:S,src:Q,time:MS,execs:E,...
 * (E: the instance's executions when it was found, the campaign's with one job), and each
 * instance's fuzzer_stats, "key : value" lines, whose execs_done counts its executions.
 *
 * The dry run: afl-fuzz first runs every seed input; one that crashes is logged as "Test case
 * 'NAME' results in a crash" (NAME: its copy in the instance's queue, "id:...,orig:SEED") and
 * skipped, and when every seed crashes afl-fuzz refuses to start ("We need at least one valid
 * input seed that does not crash").  Those seeds are the campaign's first findings: each is added
 * as an input, found at the dry run (dated by the log when afl-fuzz gave up, else by the
 * instance's fuzzer_setup, written just before the dry run) after as many executions as the dry
 * run had reached (a lower bound: seeds that do not crash are calibrated with several). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "external.h"
#include "../findings.h"

void ls_afl_start(struct ext *x, const struct ls_fuzz_opts *fo, char *indir, size_t indirlen)
{
	const struct ls_exec_opts *o = &fo->o;
	unsetenv("ASAN_OPTIONS");
	unsetenv("UBSAN_OPTIONS");
	unsetenv("LSAN_OPTIONS");
	unsetenv("MSAN_OPTIONS");
	setenv("AFL_SKIP_CPUFREQ", "1", 0);
	setenv("AFL_NO_UI", "1", 0);
	setenv("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1", 0);
	if (fo->stop_on_bug)
		setenv("AFL_BENCH_UNTIL_CRASH", "1", 1);
	char zero[4300], sync[4300];
	snprintf(indir, indirlen, "%s/in", x->work);
	snprintf(zero, sizeof(zero), "%s/in/zero", x->work);
	snprintf(sync, sizeof(sync), "%s/sync", x->work);
	if (fo->seeds)
		snprintf(indir, indirlen, "%s", fo->seeds);	/* -i: the starting corpus */
	else if (!ls_mkdirs(indir) || !ls_write_atomic(zero, "", 1))
		ls_die(LS_EXIT_INTERNAL, "fuzz: cannot create %s: %s", zero, strerror(errno));
	char t[32], mem[32], hang[32], name[32], seed[48];
	snprintf(t, sizeof(t), "%" PRIu64, fo->time_s);
	if (ls_rss_limit_mb)
		snprintf(mem, sizeof(mem), "%" PRIu64, ls_rss_limit_mb);
	else
		snprintf(mem, sizeof(mem), "none");
	snprintf(hang, sizeof(hang), "%.0f",
		 ceil(ls_hang_timeout(o->hang_s, o->cfg.step_limit) * 1000));
	for (uint64_t j = 0; j < fo->jobs; j++) {
		snprintf(name, sizeof(name), j ? "s%" PRIu64 : "main", j);
		snprintf(seed, sizeof(seed), "%" PRIu64, o->seed + j);
		char *argv[] = { "afl-fuzz", j ? "-S" : "-M", name, "-V", t, "-s", seed,
				 "-m", mem, "-t", hang, "-i", indir, "-o", sync, "--", x->harness,
				 NULL };
		ls_ext_spawn(x, argv, name);
	}
}

bool ls_afl_parse_stats(const char *text, struct ls_afl_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t klen = strcspn(l, " :\n");
		const char *v = l + klen;
		while (*v == ' ')
			v++;
		if (*v != ':')
			continue;
		v++;
		while (*v == ' ')
			v++;
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)(klen < 63 ? klen : 63), l);
		if (*v < '0' || *v > '9')
			continue;
		if (strcmp(key, "execs_done") == 0) {
			st->execs_done = strtoull(v, NULL, 10);
			st->has_execs = true;
		} else if (strcmp(key, "execs_per_sec") == 0) {
			st->execs_per_sec = strtod(v, NULL);
		} else if (strcmp(key, "saved_crashes") == 0 || strcmp(key, "unique_crashes") == 0) {
			st->saved_crashes = strtoull(v, NULL, 10);	/* named unique_ before 4.0 */
		} else if (strcmp(key, "saved_hangs") == 0 || strcmp(key, "unique_hangs") == 0) {
			st->saved_hangs = strtoull(v, NULL, 10);
		} else if (strcmp(key, "run_time") == 0) {
			st->run_time = strtoull(v, NULL, 10);
		} else if (strcmp(key, "fuzzer_pid") == 0) {
			st->fuzzer_pid = strtoull(v, NULL, 10);
		}
	}
	return st->has_execs;
}

uint64_t ls_afl_crash_execs(const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	const char *e = strstr(base, ",execs:");
	return e ? strtoull(e + 7, NULL, 10) : 0;
}

void ls_afl_seed_crashes(const struct ext *x, const char *indir, const struct timespec *t0,
			     struct ext_input **in, size_t *n)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/log-main", x->work);
	size_t loglen;
	char *log = ls_read_file(path, &loglen);
	if (!log)
		return;
	bool refused = strstr(log, "We need at least one valid input seed") != NULL;
	char setup[4400];
	snprintf(setup, sizeof(setup), "%s/sync/main/fuzzer_setup", x->work);
	double when = ls_ext_mtime_since(refused ? path : setup, t0);
	const char *tag = "Test case '";
	for (const char *p = log; (p = strstr(p, tag)); p++) {
		p += strlen(tag);
		size_t len = strcspn(p, "'\n");
		if (strncmp(p + len, "' results in a crash", 20) != 0)
			continue;
		char entry[1024];
		snprintf(entry, sizeof(entry), "%.*s", (int)(len < 1000 ? len : 1000), p);
		/* Its position in the dry run: how many "Attempting dry run" lines up to it. */
		uint64_t pos = 0;
		for (const char *d = log; (d = strstr(d, "Attempting dry run with '")) && d < p; d++)
			pos++;
		char file[6000];
		snprintf(file, sizeof(file), "%s/sync/main/queue/%s", x->work, entry);
		const char *orig = strstr(entry, "orig:");
		if (access(file, R_OK) != 0 && orig)
			snprintf(file, sizeof(file), "%s/%s", indir, orig + 5);
		if (access(file, R_OK) != 0) {
			fprintf(stderr, "fuzz: afl-fuzz: seed %s crashes, but is gone\n", entry);
			continue;
		}
		fprintf(stderr, "fuzz: afl-fuzz %s seed %s: it crashes; filed as a crash input\n",
			refused ? "refused" : "skipped", file);
		ls_ext_add_input(in, n, file, when, pos ? pos : 1);
	}
	free(log);
}
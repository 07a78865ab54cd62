/* libFuzzer as an engine of `lockstep fuzz` (external.c explains external engines): how the
 * harness is started under it, and what its output says.
 *
 * Started in fork mode with crashes, timeouts and out-of-memory inputs ignored, so a campaign runs
 * its time and keeps every crash input in WORK/crashes; with --stop-on-bug crashes are not
 * ignored, so libFuzzer stops at the first, and with one job it runs without fork mode.  The
 * limits are lockstep's own: -rss_limit_mb from --rss-limit-mb, -timeout from the hang timeout.
 *
 * Its output: alone, libFuzzer prints its executions at the end (-print_final_stats:
 * "stat::number_of_executed_units: N"); in fork mode only its progress lines ("#N\t..." alone,
 * "#N: cov: ..." in fork mode) say how many ran. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"
#include "external.h"
#include "../findings.h"

void ls_libfuzzer_start(struct ext *x, const struct ls_fuzz_opts *fo, bool *single)
{
	const struct ls_exec_opts *o = &fo->o;
	char fork_arg[48], total[48], seed[48], a[4300], b[4300], c[4300];
	snprintf(fork_arg, sizeof(fork_arg), "-fork=%" PRIu64, fo->jobs);
	snprintf(total, sizeof(total), "-max_total_time=%" PRIu64, fo->time_s);
	snprintf(seed, sizeof(seed), "-seed=%" PRIu64, o->seed ? o->seed : 1);
	snprintf(a, sizeof(a), "-artifact_prefix=%s/crashes/", x->work);
	snprintf(b, sizeof(b), "%s/corpus", x->work);
	snprintf(c, sizeof(c), "%s/crashes", x->work);
	if (!ls_mkdirs(b) || !ls_mkdirs(c))
		ls_die(LS_EXIT_INTERNAL, "fuzz: cannot create %s: %s", b, strerror(errno));
	/* The first corpus directory is written to; the seeds are read only. */
	*single = fo->stop_on_bug && fo->jobs == 1;
	char rss[48], hang[48];
	snprintf(rss, sizeof(rss), "-rss_limit_mb=%" PRIu64, ls_rss_limit_mb);
	snprintf(hang, sizeof(hang), "-timeout=%.0f",
		 ceil(ls_hang_timeout(o->hang_s, o->cfg.step_limit)));
	char *argv[20];
	int n = 0;
	argv[n++] = x->harness;
	argv[n++] = rss;
	argv[n++] = hang;
	if (!*single) {
		argv[n++] = fork_arg;
		argv[n++] = "-ignore_timeouts=1";
		argv[n++] = "-ignore_ooms=1";
	}
	if (!fo->stop_on_bug)
		argv[n++] = "-ignore_crashes=1";
	argv[n++] = "-print_final_stats=1";
	argv[n++] = total;
	argv[n++] = seed;
	argv[n++] = a;
	argv[n++] = b;
	argv[n++] = (char *)fo->seeds;	/* NULL without --seeds */
	argv[n] = NULL;
	ls_ext_spawn(x, argv, "libfuzzer");
}

/* The decimal number at p (after blanks); false if there is none. */
static bool number_at(const char *p, uint64_t *out)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	*out = strtoull(p, NULL, 10);
	return true;
}

void ls_libfuzzer_parse_log(const char *text, struct ls_libfuzzer_log *log)
{
	static const char final[] = "stat::number_of_executed_units:";
	memset(log, 0, sizeof(*log));
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		uint64_t v;
		if (l[0] == '#' && number_at(l + 1, &v)) {
			log->has_progress = true;
			log->progress_execs = v;
		} else if (!log->has_final && strncmp(l, final, sizeof(final) - 1) == 0 &&
			   number_at(l + sizeof(final) - 1, &v)) {
			log->has_final = true;
			log->final_execs = v;
		}
	}
}

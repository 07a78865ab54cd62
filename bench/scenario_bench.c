/* lockstep-rqs-bench: how fast the rqspinlock targets run, and how soon a campaign finds a bug.
 *
 *   1. execs/s        executions per second under random(0.1, 0.05), validator on, seeds 0, 1,
 *                     2, ... for a few clean (:current) variants; median of REPS timed
 *                     repetitions after a warm-up
 *   2. execs to find  for each (target, variant) pair in finds[]: CAMPAIGNS campaigns, campaign k
 *                     running seeds k * CAMPAIGN_STRIDE upward in a fresh session, each counting
 *                     the executions up to and including the first whose kind is a bug for the
 *                     variant (ls_variant_bug()), stopping at FIND_CAP; median, min and max over
 *                     the campaigns, and what the median campaign found
 *
 * Timings use CLOCK_MONOTONIC.  The process pins itself to the CPU it starts on.  Prints a
 * Markdown table; --csv FILE also writes the rows as CSV.  --quick shortens each repetition and
 * runs fewer campaigns, for CI smoke runs.  The counts of (2) depend only on the seeds, not on the
 * machine: the same build gives the same counts.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lockstep/target.h>

#include "exec.h"
#include "strategy.h"
#include "../targets/targets.h"
#include "bench_util.h"

#ifndef LS_BENCH_BUILDTYPE
#define LS_BENCH_BUILDTYPE "unknown"
#endif
#ifndef LS_BENCH_SANITIZE
#define LS_BENCH_SANITIZE "unknown"
#endif
#ifndef LS_BENCH_FIBER
#define LS_BENCH_FIBER "unknown"
#endif

#define REPS 5
#define CAMPAIGNS 20
#define CAMPAIGNS_QUICK 3
#define CAMPAIGN_STRIDE 1000000ull	/* campaign k starts at seed k * CAMPAIGN_STRIDE */
#define FIND_CAP 200000ull		/* executions a campaign runs before giving up */
#define P_SWITCH 0.1
#define P_IRQ 0.05

/* The clean variants whose speed (1) measures. */
static const char *const rate_specs[] = {
	"rqspinlock/abba:current",
	"rqspinlock/nmi-stress-abba-3cpu:current",
	"rqspinlock/nmi-stress-aa-2cpu:current",
};

/* The buggy variants (2) hunts; the expected outcomes are in the top comments of the files in
 * targets/rqspinlock/. */
static const char *const find_specs[] = {
	"rqspinlock/ringbuf-nmi:v6.15",
	"rqspinlock/ringbuf-nmi:grab-after-cmpxchg",
	"rqspinlock/ringbuf-nmi:unlock-clear-first",
	"rqspinlock/ringbuf-nmi:aa-after-1ms",
	"rqspinlock/ringbuf-nmi:tas-double-grab",
	"rqspinlock/nmi-stress-aa-2cpu:v6.15",
	"rqspinlock/nmi-stress-aa-2cpu:grab-after-cmpxchg",
	"rqspinlock/nmi-stress-aa-2cpu:no-aa-before-queue",
	"rqspinlock/aa:aa-after-1ms",
	"rqspinlock/abba:tas-double-grab",
};

#define NRATE ((int)(sizeof(rate_specs) / sizeof(rate_specs[0])))
#define NFIND ((int)(sizeof(find_specs) / sizeof(find_specs[0])))

/* A fresh session on spec with the default config: the validator on, its graph empty. */
static void open_session(struct ls_session *s, const char *spec)
{
	const struct ls_target *t;
	int variant;
	char err[256];
	struct ls_config cfg;
	if (!ls_target_spec(spec, &t, &variant, err, sizeof(err)))
		die("%s", err);
	ls_config_default(&cfg);
	if (!ls_session_init(s, t, variant, &cfg, err, sizeof(err)))
		die("%s", err);
}

/* ---- 1. executions per second ------------------------------------------------------------ */

struct rate_result {
	struct stat3 rate;
	uint64_t execs;			/* over all timed repetitions: seeds 0 .. execs - 1 */
	uint64_t findings[LS_KIND_COUNT];	/* by kind, LS_KIND_NONE counting clean ones */
};

static struct rate_result bench_rate(const char *spec, double seconds_per_rep)
{
	struct ls_session s;
	struct ls_random rnd;
	struct ls_result r;
	struct rate_result res;
	uint64_t seed = 0, budget = (uint64_t)(seconds_per_rep * 1e9);
	double v[REPS];

	memset(&res, 0, sizeof(res));
	open_session(&s, spec);
	ls_random_init(&rnd, P_SWITCH, P_IRQ);

	/* warm-up, not counted, on seeds the timed runs do not use */
	for (int i = 0; i < 200; i++)
		ls_session_run(&s, &rnd.base, UINT64_MAX - (uint64_t)i, &r);

	for (int rep = 0; rep < REPS; rep++) {
		uint64_t n = 0, t0 = now_ns(), t1;
		do {
			for (int i = 0; i < 64; i++, n++)
				res.findings[ls_session_run(&s, &rnd.base, seed++, &r)]++;
			t1 = now_ns();
		} while (t1 - t0 < budget);
		res.execs += n;
		v[rep] = (double)n * 1e9 / (double)(t1 - t0);
	}
	ls_session_finish(&s);
	res.rate = summarize(v, REPS);
	return res;
}

/* ---- 2. executions to the first finding -------------------------------------------------- */

struct campaign {
	uint64_t execs;		/* up to and including the finding; FIND_CAP when none */
	uint64_t seed;		/* of the finding */
	bool found;
	enum ls_kind kind;
	char signature[512];
};

/* Runs seeds first, first + 1, ... in a fresh session until an execution's kind is a bug for
 * the variant, or FIND_CAP executions have run. */
static void run_campaign(const char *spec, uint64_t first, struct campaign *c)
{
	struct ls_session s;
	struct ls_random rnd;
	struct ls_result r;

	open_session(&s, spec);
	ls_random_init(&rnd, P_SWITCH, P_IRQ);
	const struct ls_variant *v = &s.target->variants[s.variant];
	memset(c, 0, sizeof(*c));
	c->execs = FIND_CAP;
	for (uint64_t i = 0; i < FIND_CAP; i++) {
		enum ls_kind k = ls_session_run(&s, &rnd.base, first + i, &r);
		if (ls_variant_bug(v, k)) {
			c->execs = i + 1;
			c->seed = first + i;
			c->found = true;
			c->kind = k;
			snprintf(c->signature, sizeof(c->signature), "%s", r.signature);
			break;
		}
	}
	ls_session_finish(&s);
}

struct find_result {
	int ncampaigns;
	int capped;		/* campaigns that hit FIND_CAP */
	int median;		/* index into c[] of the median campaign */
	int min, max;		/* indices of the fewest and the most executions */
	uint64_t total;		/* executions over all campaigns */
	double seconds;
	struct campaign c[CAMPAIGNS];
};

static const struct campaign *sort_base;

static int cmp_by_execs(const void *a, const void *b)
{
	uint64_t x = sort_base[*(const int *)a].execs, y = sort_base[*(const int *)b].execs;
	if (x != y)
		return x < y ? -1 : 1;
	return *(const int *)a - *(const int *)b;	/* ties: the earlier campaign first */
}

static void bench_find(const char *spec, int ncampaigns, struct find_result *res)
{
	int order[CAMPAIGNS];
	uint64_t t0 = now_ns();

	memset(res, 0, sizeof(*res));
	res->ncampaigns = ncampaigns;
	for (int k = 0; k < ncampaigns; k++) {
		run_campaign(spec, (uint64_t)k * CAMPAIGN_STRIDE, &res->c[k]);
		res->total += res->c[k].execs;
		res->capped += !res->c[k].found;
		order[k] = k;
	}
	res->seconds = (double)(now_ns() - t0) / 1e9;
	sort_base = res->c;
	qsort(order, (size_t)ncampaigns, sizeof(order[0]), cmp_by_execs);
	res->min = order[0];
	res->median = order[ncampaigns / 2];
	res->max = order[ncampaigns - 1];
}

/* ---- report ------------------------------------------------------------------------------ */

/* A row's cells are text, so a campaign that hit the cap can read "> 200000". */
struct row {
	char bench[128];
	const char *unit;
	char median[32], min[32], max[32];
};

static void cell_rate(char *buf, double v)
{
	snprintf(buf, 32, "%.0f", v);
}

static void cell_count(char *buf, const struct campaign *c)
{
	if (c->found)
		snprintf(buf, 32, "%llu", (unsigned long long)c->execs);
	else
		snprintf(buf, 32, "> %llu", (unsigned long long)FIND_CAP);
}

static void print_table(const struct row *rows, int n)
{
	printf("| benchmark | unit | median | min | max |\n");
	printf("|---|---|---:|---:|---:|\n");
	for (int i = 0; i < n; i++)
		printf("| %s | %s | %s | %s | %s |\n", rows[i].bench, rows[i].unit, rows[i].median,
		       rows[i].min, rows[i].max);
}

static int write_csv(const char *path, const struct row *rows, int n, const char *cpu,
		     bool quick)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "benchmark,unit,median,min,max,cpu,buildtype,mode\n");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		fprintf(f, "\"%s\",%s,\"%s\",\"%s\",\"%s\",\"%s\",%s,%s\n", r->bench, r->unit,
			r->median, r->min, r->max, cpu, LS_BENCH_BUILDTYPE, quick ? "quick" : "full");
	}
	if (fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: lockstep-rqs-bench [--quick] [--csv FILE]\n"
		     "  --quick     short repetitions and %d campaigns instead of %d, for CI smoke "
		     "runs\n"
		     "  --csv FILE  also write the results as CSV to FILE\n",
		CAMPAIGNS_QUICK, CAMPAIGNS);
}

int main(int argc, char **argv)
{
	struct bench_args args;
	int rc = bench_parse_args(argc, argv, "lockstep-rqs-bench", usage, &args);
	if (rc >= 0)
		return rc;
	bool quick = args.quick;
	const char *csv = args.csv;

	double rate_secs = quick ? 0.05 : 0.5;	/* per repetition; REPS of them */
	int ncampaigns = quick ? CAMPAIGNS_QUICK : CAMPAIGNS;

	bench_print_environment("lockstep rqspinlock benchmark", &args);
	const char *cpu = args.cpu;
	printf("- strategy: random(p-switch %.2g, p-irq %.2g), lock validator on\n", P_SWITCH,
	       P_IRQ);
	printf("- execs/s: median of %d repetitions of %.2f s (after a warm-up), CLOCK_MONOTONIC, "
	       "seeds 0, 1, 2, ...\n",
	       REPS, rate_secs);
	printf("- execs to first bug: %d campaigns, campaign k from seed k*%llu upward in a fresh "
	       "session, capped at %llu executions; the median is the campaign at sorted index "
	       "%d\n\n",
	       ncampaigns, (unsigned long long)CAMPAIGN_STRIDE, (unsigned long long)FIND_CAP,
	       ncampaigns / 2);
	fflush(stdout);

	static struct rate_result rates[NRATE];
	static struct find_result finds[NFIND];
	static struct row rows[NRATE + NFIND];
	int nrows = 0;

	for (int i = 0; i < NRATE; i++) {
		struct row *row = &rows[nrows++];
		rates[i] = bench_rate(rate_specs[i], rate_secs);
		snprintf(row->bench, sizeof(row->bench), "%s, random(%.2g, %.2g), validator on",
			 rate_specs[i], P_SWITCH, P_IRQ);
		row->unit = "execs/s";
		cell_rate(row->median, rates[i].rate.median);
		cell_rate(row->min, rates[i].rate.min);
		cell_rate(row->max, rates[i].rate.max);
	}
	for (int i = 0; i < NFIND; i++) {
		struct row *row = &rows[nrows++];
		struct find_result *f = &finds[i];
		bench_find(find_specs[i], ncampaigns, f);
		snprintf(row->bench, sizeof(row->bench), "%s, execs to first bug (%d campaigns)",
			 find_specs[i], ncampaigns);
		row->unit = "execs";
		cell_count(row->median, &f->c[f->median]);
		cell_count(row->min, &f->c[f->min]);
		cell_count(row->max, &f->c[f->max]);
	}
	print_table(rows, nrows);

	printf("\n");
	for (int i = 0; i < NRATE; i++) {
		const struct rate_result *r = &rates[i];
		printf("- %s: %llu executions, %llu clean", rate_specs[i],
		       (unsigned long long)r->execs,
		       (unsigned long long)r->findings[LS_KIND_NONE]);
		for (int k = LS_KIND_NONE + 1; k < LS_KIND_COUNT; k++)
			if (r->findings[k])
				printf(", %llu %s", (unsigned long long)r->findings[k],
				       ls_kind_name((enum ls_kind)k));
		printf("\n");
	}
	for (int i = 0; i < NFIND; i++) {
		const struct find_result *f = &finds[i];
		const struct campaign *m = &f->c[f->median];
		printf("- %s: ", find_specs[i]);
		if (m->found)
			/* The signature starts with the shape: "stall: ...", "ABBA: ...". */
			printf("median campaign (from seed %llu) found %s at seed %llu: %s",
			       (unsigned long long)((uint64_t)f->median * CAMPAIGN_STRIDE),
			       ls_kind_name(m->kind), (unsigned long long)m->seed, m->signature);
		else
			printf("median campaign (from seed %llu) found nothing",
			       (unsigned long long)((uint64_t)f->median * CAMPAIGN_STRIDE));
		int bykind[LS_KIND_COUNT] = { 0 };
		for (int k = 0; k < f->ncampaigns; k++)
			if (f->c[k].found)
				bykind[f->c[k].kind]++;
		printf("; campaigns by first bug:");
		for (int k = LS_KIND_NONE + 1; k < LS_KIND_COUNT; k++)
			if (bykind[k])
				printf(" %d %s,", bykind[k], ls_kind_name((enum ls_kind)k));
		printf(" %d hit the cap; %llu executions in %.3f s\n", f->capped,
		       (unsigned long long)f->total, f->seconds);
	}

	if (csv) {
		if (write_csv(csv, rows, nrows, cpu, quick) != 0)
			return 1;
		printf("- CSV written to %s\n", csv);
	}
	return 0;
}

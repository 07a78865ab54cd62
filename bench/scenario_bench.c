/* lockstep-scenario-bench: how fast the scenario targets run, and how soon a campaign finds a
 * bug.  Scenarios come in sets (rqspinlock, bpf); --set picks one, the default runs them all.
 *
 *   1. execs/s        executions per second under random(0.1, 0.02, 0.05), validator on, seeds 0, 1,
 *                     2, ... for the set's clean variants (one per target, mostly); median of
 *                     REPS timed repetitions after a warm-up
 *   2. execs to find  for each buggy (target, variant) pair of the set: CAMPAIGNS campaigns, campaign k
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

#define REPS 5
#define CAMPAIGNS 20
#define CAMPAIGNS_QUICK 3
#define CAMPAIGN_STRIDE 1000000ull	/* campaign k starts at seed k * CAMPAIGN_STRIDE */
#define FIND_CAP 200000ull		/* executions a campaign runs before giving up */
#define P_SWITCH 0.1
#define P_SLOW 0.02
#define P_IRQ 0.05

/* A set of scenarios: the clean variants whose speed (1) measures, one per target, and the buggy
 * variants (2) hunts.  The expected outcomes are in the top comments of the target files. */
struct bench_set {
	const char *name;
	const char *const *rate;
	const char *const *find;
};

static const char *const rqs_rate[] = {
	"rqspinlock/abba:current",
	"rqspinlock/nmi-stress-abba-3cpu:current",
	"rqspinlock/nmi-stress-aa-2cpu:current",
	NULL,
};

static const char *const rqs_find[] = {
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
	NULL,
};

/* The BPF scenarios (issue 5): each scenario's speed on its fix, every buggy design's hunt. */
static const char *const bpf_rate[] = {
	"kptr/dtor-nmi:global-llist",
	"buildid/stackmap:snapshot-then-parse",
	"bpf/task-vma:per-vma-lock",
	"maps/lpm-trie:rqspinlock",
	"maps/queue-stack:rqspinlock",
	"maps/lru-abba:rqspinlock",
	NULL,
};

static const char *const bpf_find[] = {
	"kptr/dtor-nmi:inline",
	"kptr/dtor-nmi:racy-empty-check",
	"kptr/dtor-nmi:busy-skip-queue",
	"kptr/dtor-nmi:per-map-zeroed-on-reuse",
	"buildid/stackmap:sleepable-under-mmap-lock",
	"buildid/stackmap:nofault-irq-work-unlock",
	"bpf/task-vma:mmap-lock-held",
	"maps/lpm-trie:raw-spinlock",
	"maps/queue-stack:raw-spinlock",
	"maps/lru-abba:raw-spinlock",
	NULL,
};

static const struct bench_set sets[] = {
	{ "rqspinlock", rqs_rate, rqs_find },
	{ "bpf", bpf_rate, bpf_find },
};
#define NSETS ((int)(sizeof(sets) / sizeof(sets[0])))
#define MAX_SPECS 16

static int count_specs(const char *const *specs)
{
	int n = 0;
	while (specs[n])
		n++;
	return n;
}

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
	ls_random_init(&rnd, P_SWITCH, P_SLOW, P_IRQ);

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
	char signature[1024];
	/* The first execution of the variant's expected kind, which may come later than the first
	 * bug (a validator report before the first hang). */
	uint64_t expect_execs;	/* FIND_CAP when none */
	bool expect_found;
	bool settled;		/* the variant expects a bug of one kind */
	uint64_t ran;		/* executions the campaign ran */
};

/* Runs seeds first, first + 1, ... in a fresh session until an execution's kind is a bug for
 * the variant and one has been of its expected kind, or FIND_CAP executions have run. */
static void run_campaign(const char *spec, uint64_t first, struct campaign *c)
{
	struct ls_session s;
	struct ls_random rnd;
	struct ls_result r;

	open_session(&s, spec);
	ls_random_init(&rnd, P_SWITCH, P_SLOW, P_IRQ);
	const struct ls_variant *v = &s.target->variants[s.variant];
	bool settled = v->expect != LS_KIND_NONE && v->expect < LS_KIND_COUNT;
	memset(c, 0, sizeof(*c));
	c->execs = c->expect_execs = c->ran = FIND_CAP;
	c->settled = settled;
	for (uint64_t i = 0; i < FIND_CAP; i++) {
		enum ls_kind k = ls_session_run(&s, &rnd.base, first + i, &r);
		if (!c->found && ls_variant_bug(v, k)) {
			c->execs = i + 1;
			c->seed = first + i;
			c->found = true;
			c->kind = k;
			snprintf(c->signature, sizeof(c->signature), "%s", r.signature);
		}
		if (settled && !c->expect_found && k == v->expect) {
			c->expect_execs = i + 1;
			c->expect_found = true;
		}
		if (c->found && (c->expect_found || !settled)) {
			c->ran = i + 1;
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
	/* The same for the first execution of the expected kind, and whether that row says more
	 * than the first-bug row (some campaign's first bug was of another kind). */
	int exp_median, exp_min, exp_max;
	bool exp_differs;
	uint64_t total;		/* executions over all campaigns */
	double seconds;
	struct campaign c[CAMPAIGNS];
};

static const struct campaign *sort_base;
static bool sort_by_expected;

static int cmp_by_execs(const void *a, const void *b)
{
	const struct campaign *ca = &sort_base[*(const int *)a], *cb = &sort_base[*(const int *)b];
	uint64_t x = sort_by_expected ? ca->expect_execs : ca->execs;
	uint64_t y = sort_by_expected ? cb->expect_execs : cb->execs;
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
		const struct campaign *c = &res->c[k];
		run_campaign(spec, (uint64_t)k * CAMPAIGN_STRIDE, &res->c[k]);
		res->total += c->ran;
		res->capped += !c->found;
		res->exp_differs |= c->settled && c->execs != c->expect_execs;
		order[k] = k;
	}
	res->seconds = (double)(now_ns() - t0) / 1e9;
	sort_base = res->c;
	sort_by_expected = false;
	qsort(order, (size_t)ncampaigns, sizeof(order[0]), cmp_by_execs);
	res->min = order[0];
	res->median = order[ncampaigns / 2];
	res->max = order[ncampaigns - 1];
	sort_by_expected = true;
	qsort(order, (size_t)ncampaigns, sizeof(order[0]), cmp_by_execs);
	res->exp_min = order[0];
	res->exp_median = order[ncampaigns / 2];
	res->exp_max = order[ncampaigns - 1];
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

static void cell_expected(char *buf, const struct campaign *c)
{
	if (c->expect_found)
		snprintf(buf, 32, "%llu", (unsigned long long)c->expect_execs);
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
	fprintf(out, "usage: lockstep-scenario-bench [--set NAME] [--quick] [--csv FILE]\n"
		     "  --set NAME  only this set of scenarios: rqspinlock or bpf (default: every "
		     "set)\n"
		     "  --quick     short repetitions and %d campaigns instead of %d, for CI smoke "
		     "runs\n"
		     "  --csv FILE  also write the results as CSV to FILE\n",
		CAMPAIGNS_QUICK, CAMPAIGNS);
}

/* Measures one set: prints its table and the lines under it, appends its rows. */
static void run_set(const struct bench_set *set, double rate_secs, int ncampaigns,
		    struct row *rows, int *nrows)
{
	static struct rate_result rates[MAX_SPECS];
	static struct find_result finds[MAX_SPECS];
	int nrate = count_specs(set->rate), nfind = count_specs(set->find);
	struct row *first = &rows[*nrows];
	int start = *nrows;

	printf("### %s\n\n", set->name);
	fflush(stdout);
	for (int i = 0; i < nrate; i++) {
		struct row *row = &rows[(*nrows)++];
		rates[i] = bench_rate(set->rate[i], rate_secs);
		snprintf(row->bench, sizeof(row->bench), "%s, random(%.2g, %.2g, %.2g), validator on",
			 set->rate[i], P_SWITCH, P_SLOW, P_IRQ);
		row->unit = "execs/s";
		cell_rate(row->median, rates[i].rate.median);
		cell_rate(row->min, rates[i].rate.min);
		cell_rate(row->max, rates[i].rate.max);
	}
	for (int i = 0; i < nfind; i++) {
		struct row *row = &rows[(*nrows)++];
		struct find_result *f = &finds[i];
		bench_find(set->find[i], ncampaigns, f);
		snprintf(row->bench, sizeof(row->bench), "%s, execs to first bug (%d campaigns)",
			 set->find[i], ncampaigns);
		row->unit = "execs";
		cell_count(row->median, &f->c[f->median]);
		cell_count(row->min, &f->c[f->min]);
		cell_count(row->max, &f->c[f->max]);
		if (!f->exp_differs)
			continue;
		/* Some campaign found another bug first (a validator report before the hang): the
		 * executions to the expected kind as well. */
		const struct ls_target *t;
		int v;
		char err[256];
		if (!ls_target_spec(set->find[i], &t, &v, err, sizeof(err)))
			die("%s", err);
		row = &rows[(*nrows)++];
		snprintf(row->bench, sizeof(row->bench), "%s, execs to first %s (%d campaigns)",
			 set->find[i], ls_kind_name(t->variants[v].expect), ncampaigns);
		row->unit = "execs";
		cell_expected(row->median, &f->c[f->exp_median]);
		cell_expected(row->min, &f->c[f->exp_min]);
		cell_expected(row->max, &f->c[f->exp_max]);
	}
	print_table(first, *nrows - start);

	printf("\n");
	for (int i = 0; i < nrate; i++) {
		const struct rate_result *r = &rates[i];
		printf("- %s: %llu executions, %llu clean", set->rate[i],
		       (unsigned long long)r->execs,
		       (unsigned long long)r->findings[LS_KIND_NONE]);
		for (int k = LS_KIND_NONE + 1; k < LS_KIND_COUNT; k++)
			if (r->findings[k])
				printf(", %llu %s", (unsigned long long)r->findings[k],
				       ls_kind_name((enum ls_kind)k));
		printf("\n");
	}
	for (int i = 0; i < nfind; i++) {
		const struct find_result *f = &finds[i];
		const struct campaign *m = &f->c[f->median];
		printf("- %s: ", set->find[i]);
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
	printf("\n");
}

int main(int argc, char **argv)
{
	/* --set is this program's own; the rest is the shared command line. */
	const char *only = NULL;
	char *rest[64];
	int nrest = 0;
	for (int i = 0; i < argc && nrest < 64; i++) {
		if (i > 0 && !strcmp(argv[i], "--set") && i + 1 < argc)
			only = argv[++i];
		else if (i > 0 && !strncmp(argv[i], "--set=", 6))
			only = argv[i] + 6;
		else
			rest[nrest++] = argv[i];
	}
	struct bench_args args;
	int rc = bench_parse_args(nrest, rest, "lockstep-scenario-bench", usage, &args);
	if (rc >= 0)
		return rc;
	int selected = -1;
	for (int i = 0; only && i < NSETS; i++)
		if (!strcmp(sets[i].name, only))
			selected = i;
	if (only && selected < 0)
		die("unknown set '%s' (rqspinlock, bpf)", only);
	bool quick = args.quick;
	const char *csv = args.csv;

	double rate_secs = quick ? 0.05 : 0.5;	/* per repetition; REPS of them */
	int ncampaigns = quick ? CAMPAIGNS_QUICK : CAMPAIGNS;

	bench_print_environment("lockstep scenario benchmark", &args);
	const char *cpu = args.cpu;
	printf("- strategy: random(p-switch %.2g, p-slow %.2g, p-irq %.2g), lock validator on\n",
	       P_SWITCH, P_SLOW, P_IRQ);
	printf("- execs/s: median of %d repetitions of %.2f s (after a warm-up), CLOCK_MONOTONIC, "
	       "seeds 0, 1, 2, ...\n",
	       REPS, rate_secs);
	printf("- execs to first bug: %d campaigns, campaign k from seed k*%llu upward in a fresh "
	       "session, capped at %llu executions; the median is the campaign at sorted index "
	       "%d\n\n",
	       ncampaigns, (unsigned long long)CAMPAIGN_STRIDE, (unsigned long long)FIND_CAP,
	       ncampaigns / 2);
	fflush(stdout);

	static struct row rows[NSETS * 3 * MAX_SPECS];
	int nrows = 0;
	for (int i = 0; i < NSETS; i++)
		if (selected < 0 || selected == i)
			run_set(&sets[i], rate_secs, ncampaigns, rows, &nrows);

	if (csv) {
		if (write_csv(csv, rows, nrows, cpu, quick) != 0)
			return 1;
		printf("- CSV written to %s\n", csv);
	}
	return 0;
}

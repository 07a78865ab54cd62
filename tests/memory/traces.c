/* Suite `memory`, determinism: the memory model's choices are drawn, recorded and replayed like
 * every other choice.  The same seed under the random walk gives byte-identical traces under each
 * weak configuration; a trace under plain sc has no memory-model line (its bytes are those of a
 * lockstep without memory models) and replays; a weak trace records its model and replays to the
 * same signature. */
#include <stdlib.h>

#include "memory.h"

#define WALK_LABEL "random p-switch 0.1 p-slow 0.02 p-irq 0.05"

static void walk_init(struct ls_random *walk)
{
	ls_random_init(walk, 0.1, 0.02, 0.05);
}

static int mode;

/* ---- targets -----------------------------------------------------------------------------------
 *
 * race: t0 and t1 each increment dm_c with READ_ONCE() and WRITE_ONCE(); a lost update fails the
 * check, under every model.
 * sb, mp: the store-buffering and message-passing shapes with no barrier; the check fails on the
 * weak outcome (tso finds sb, relaxed finds both).
 * plain: t0 makes two plain stores; an NMI on CPU0 that sees the second without the first fails
 * the check (found with --compiler-reorder). */
static const struct ls_variant dm_variants[] = {
	{ "race", "a lost update", LS_KIND_INVARIANT, 0 },
	{ "sb", "store buffering", LS_KIND_COUNT, 0 },
	{ "mp", "message passing", LS_KIND_COUNT, 0 },
	{ "plain", "plain stores out of order", LS_KIND_COUNT, 0 },
};
enum { DM_RACE, DM_SB, DM_MP, DM_PLAIN };

static int dm_c, dm_x, dm_y, dm_a, dm_b, dm_z;
static volatile int dm_r[2], dm_na, dm_nb;

static void dm_task(int me)
{
	switch (mode) {
	case DM_RACE: {
		int v = READ_ONCE(dm_c);
		WRITE_ONCE(dm_c, v + 1);
		break;
	}
	case DM_SB:
		WRITE_ONCE(*(me ? &dm_y : &dm_x), 1);
		dm_r[me] = READ_ONCE(*(me ? &dm_x : &dm_y));
		break;
	case DM_MP:
		if (me == 0) {
			WRITE_ONCE(dm_x, 1);
			WRITE_ONCE(dm_y, 1);
		} else {
			dm_r[0] = READ_ONCE(dm_y);
			dm_r[1] = READ_ONCE(dm_x);
		}
		break;
	default:
		if (me == 0) {
			PLAIN_WRITE(dm_a, 1);
			PLAIN_WRITE(dm_b, 1);
			(void)PLAIN_READ(dm_z);
			(void)PLAIN_READ(dm_z);
		}
		break;
	}
}

static void dm_t0(void *arg)
{
	(void)arg;
	dm_task(0);
}

static void dm_t1(void *arg)
{
	(void)arg;
	dm_task(1);
}

static void dm_nmi(void *arg)
{
	(void)arg;
	if (mode != DM_PLAIN)
		return;
	dm_nb = READ_ONCE(dm_b);
	dm_na = READ_ONCE(dm_a);
}

static void dm_init(int variant)
{
	mode = variant;
	dm_c = dm_x = dm_y = dm_a = dm_b = dm_z = 0;
	dm_r[0] = dm_r[1] = -1;
	dm_na = dm_nb = -1;
}

static void dm_check(int variant)
{
	switch (variant) {
	case DM_RACE:
		if (dm_c != 2)
			ls_fail(LS_SITE("check"), "lost update: c == %d", dm_c);
		break;
	case DM_SB:
		if (dm_r[0] == 0 && dm_r[1] == 0)
			ls_fail(LS_SITE("check"), "SB: both loads read 0");
		break;
	case DM_MP:
		if (dm_r[0] == 1 && dm_r[1] == 0)
			ls_fail(LS_SITE("check"), "MP: flag 1, data 0");
		break;
	default:
		if (dm_nb == 1 && dm_na == 0)
			ls_fail(LS_SITE("check"), "the NMI saw the second plain store alone");
		break;
	}
}

static const struct ls_task_decl dm_tasks[] = { { "t0", 0, dm_t0, NULL },
						{ "t1", 1, dm_t1, NULL } };
static const struct ls_irq_decl dm_nmis[] = { { "nmi", 1u, 1, dm_nmi, NULL } };
MEM_TARGET_V(dm_target, "memory/determinism", .ncpus = 2, .tasks = dm_tasks, .ntasks = 2,
	     .nmis = dm_nmis, .nnmis = 1, .variants = dm_variants,
	     .nvariants = MEM_ARRAY_SIZE(dm_variants), .init = dm_init, .check = dm_check);

/* The weak configurations and the variant each finds something in. */
static const struct {
	enum ls_memory_model mm;
	bool reorder;
	int variant;
} weak[] = {
	{ LS_MEM_TSO, false, DM_SB },
	{ LS_MEM_RELAXED, false, DM_MP },
	{ LS_MEM_SC, true, DM_PLAIN },
	{ LS_MEM_TSO, true, DM_PLAIN },
	{ LS_MEM_RELAXED, true, DM_PLAIN },
};

static bool open_session(struct ls_session *s, int variant, const struct ls_config *cfg)
{
	char err[256];
	if (ls_session_init(s, &dm_target, variant, cfg, err, sizeof(err)))
		return true;
	fprintf(stderr, "%s\n", err);
	return false;
}

/* Whether a trace has a decision of the memory model ("@STEP drain|emit|old ..."). */
static bool has_memory_decision(const char *text)
{
	for (const char *p = text; (p = strchr(p, '@')) != NULL; p++) {
		if (p != text && p[-1] != '\n')
			continue;
		const char *sp = strchr(p, ' ');
		if (sp && (strncmp(sp, " drain ", 7) == 0 || strncmp(sp, " emit ", 6) == 0 ||
			   strncmp(sp, " old ", 5) == 0))
			return true;
	}
	return false;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == ' '))
			return true;
	return false;
}

/* ---- byte-identical traces ---------------------------------------------------------------------
 *
 * For each weak configuration, seeds 0..SEEDS-1 of the random walk run in two sessions, the
 * second in reverse order.  Result: each seed's traces are byte-identical: Always; a trace with
 * a memory-model decision and a finding: Sometimes (the walk does take the model's choices). */
#define SEEDS 300

static char *trace_of(struct ls_session *s, struct ls_random *walk, uint64_t seed,
		      enum ls_kind *kind)
{
	struct ls_result r;
	struct ls_buf b = { 0 };
	*kind = ls_session_run(s, &walk->base, seed, &r);
	ls_trace_write(s, &r, WALK_LABEL, &b);
	return b.s;
}

int determinism_same_seed_gives_byte_identical_traces_under_each_weak_model(void)
{
	static char *first[SEEDS];
	for (int w = 0; w < MEM_ARRAY_SIZE(weak); w++) {
		struct ls_config cfg = mem_cfg(weak[w].mm, weak[w].reorder);
		struct ls_session a, b;
		struct ls_random wa, wb;
		char cname[48], want[64];
		int decided = 0, found = 0, rc = TEST_PASS;
		enum ls_kind kind;
		mem_cfg_name(&cfg, cname, sizeof(cname));
		snprintf(want, sizeof(want), "memory-model %s", ls_memory_model_name(weak[w].mm));
		walk_init(&wa);
		walk_init(&wb);
		CHECK(open_session(&a, weak[w].variant, &cfg));
		CHECK(open_session(&b, weak[w].variant, &cfg));
		for (uint64_t seed = 0; seed < SEEDS; seed++) {
			first[seed] = trace_of(&a, &wa, seed, &kind);
			found += kind != LS_KIND_NONE;
			decided += has_memory_decision(first[seed]);
		}
		for (uint64_t i = 0; i < SEEDS && rc == TEST_PASS; i++) {
			uint64_t seed = SEEDS - 1 - i;
			char *again = trace_of(&b, &wb, seed, &kind);
			if (strcmp(first[seed], again) != 0) {
				fprintf(stderr, "%s, seed %" PRIu64 ": two traces differ:\n%s---\n%s",
					cname, seed, first[seed], again);
				rc = TEST_FAIL;
			} else if (!has_line(again, want) ||
				   has_line(again, "compiler-reorder") != weak[w].reorder) {
				fprintf(stderr, "%s, seed %" PRIu64 ": the trace does not record the "
					"configuration:\n%s", cname, seed, again);
				rc = TEST_FAIL;
			}
			free(again);
		}
		for (uint64_t seed = 0; seed < SEEDS; seed++)
			free(first[seed]);
		ls_session_finish(&a);
		ls_session_finish(&b);
		if (rc != TEST_PASS)
			return rc;
		printf("  %-26s %s: %d seeds, identical traces; %d with memory decisions, %d "
		       "findings\n", cname, dm_variants[weak[w].variant].name, SEEDS, decided, found);
		CHECKF(decided > 0 && found > 0, "%s: %d traces with a memory decision, %d findings: "
		       "the walk never exercised the model", cname, decided, found);
	}
	return TEST_PASS;
}

/* ---- replay ------------------------------------------------------------------------------------ */

/* The first finding of the walk (one with a memory decision when `decided`), its trace in *text;
 * false if none within `limit` seeds. */
static bool first_finding(int variant, const struct ls_config *cfg, bool decided, int limit,
			  char **text, uint64_t *seed_out)
{
	struct ls_session s;
	struct ls_random walk;
	walk_init(&walk);
	if (!open_session(&s, variant, cfg))
		return false;
	for (int seed = 0; seed < limit; seed++) {
		enum ls_kind kind;
		char *t = trace_of(&s, &walk, (uint64_t)seed, &kind);
		if (kind != LS_KIND_NONE && (!decided || has_memory_decision(t))) {
			*text = t;
			*seed_out = (uint64_t)seed;
			ls_session_finish(&s);
			return true;
		}
		free(t);
	}
	ls_session_finish(&s);
	return false;
}

/* Parses text and replays it in a fresh session of the configuration it records: the same kind,
 * signature and steps, and the re-recorded trace is the same bytes. */
static int replays(const char *text, int variant, const struct ls_config *want_cfg)
{
	struct ls_trace t;
	struct ls_session s;
	struct ls_result r;
	struct ls_buf again = { 0 };
	char err[512];
	int rc = TEST_FAIL;
	if (!ls_trace_parse(text, strlen(text), &t, err, sizeof(err))) {
		fprintf(stderr, "the trace does not parse: %s\n%s", err, text);
		return TEST_FAIL;
	}
	if (t.cfg.memory_model != want_cfg->memory_model ||
	    t.cfg.compiler_reorder != want_cfg->compiler_reorder ||
	    (ls_config_weak(want_cfg) && t.cfg.reorder_budget != want_cfg->reorder_budget)) {
		fprintf(stderr, "the trace parses as %s%s, reorder budget %u\n%s",
			ls_memory_model_name((enum ls_memory_model)t.cfg.memory_model),
			t.cfg.compiler_reorder ? "+compiler-reorder" : "", t.cfg.reorder_budget,
			text);
		ls_trace_free(&t);
		return TEST_FAIL;
	}
	if (!open_session(&s, variant, &t.cfg)) {
		ls_trace_free(&t);
		return TEST_FAIL;
	}
	enum ls_replay_status st = ls_trace_replay(&s, &t, &r, &again, err, sizeof(err));
	if (st != LS_REPLAY_APPLIED)
		fprintf(stderr, "the replay did not apply: %s\n%s", err, text);
	else if (r.kind != t.kind || strcmp(r.signature, t.signature) != 0 ||
		 r.steps != t.nsteps_run)
		fprintf(stderr, "the replay gave %s '%s' in %" PRIu64 " steps:\n%s",
			ls_kind_name(r.kind), r.signature, r.steps, text);
	else if (again.len != strlen(text) || memcmp(again.s, text, again.len) != 0)
		fprintf(stderr, "re-recorded differently:\n%s---\n%s", text, again.s);
	else
		rc = TEST_PASS;
	ls_buf_finish(&again);
	ls_session_finish(&s);
	ls_trace_free(&t);
	return rc;
}

/* race under sc: the first finding's trace has no memory-model, compiler-reorder or
 * reorder-budget line, and replays: Always.  A clean execution's trace has none either. */
int determinism_sc_traces_have_no_memory_model_line_and_replay(void)
{
	struct ls_config cfg = mem_cfg(LS_MEM_SC, false);
	char *text = NULL;
	uint64_t seed;
	CHECKF(first_finding(DM_RACE, &cfg, false, 2000, &text, &seed),
	       "no lost update in 2000 seeds under sc");
	int rc = TEST_PASS;
	if (has_line(text, "memory-model") || has_line(text, "compiler-reorder") ||
	    has_line(text, "reorder-budget")) {
		fprintf(stderr, "an sc trace records the memory model:\n%s", text);
		rc = TEST_FAIL;
	} else {
		rc = replays(text, DM_RACE, &cfg);
	}
	free(text);
	CHECK(rc == TEST_PASS);
	printf("  sc: the trace of seed %" PRIu64 " (a lost update) has no memory-model line and "
	       "replays\n", seed);

	/* A clean execution too. */
	struct ls_session s;
	struct ls_random walk;
	enum ls_kind kind;
	walk_init(&walk);
	CHECK(open_session(&s, DM_SB, &cfg));
	text = trace_of(&s, &walk, 0, &kind);
	ls_session_finish(&s);
	bool line = has_line(text, "memory-model") || has_line(text, "reorder-budget");
	if (line)
		fprintf(stderr, "a clean sc trace records the memory model:\n%s", text);
	free(text);
	CHECK(kind == LS_KIND_NONE && !line);
	return TEST_PASS;
}

/* For each weak configuration, the walk's first finding with a memory-model decision: its trace
 * records the model (and compiler-reorder), replays to the same signature, re-records the same
 * bytes: Always.  And under tso the race replays too. */
int determinism_weak_traces_replay_to_the_same_signature(void)
{
	for (int w = 0; w < MEM_ARRAY_SIZE(weak); w++) {
		struct ls_config cfg = mem_cfg(weak[w].mm, weak[w].reorder);
		char cname[48], *text = NULL;
		uint64_t seed;
		mem_cfg_name(&cfg, cname, sizeof(cname));
		CHECKF(first_finding(weak[w].variant, &cfg, true, 5000, &text, &seed),
		       "%s: no finding with a memory decision in 5000 seeds", cname);
		int rc = replays(text, weak[w].variant, &cfg);
		free(text);
		CHECKF(rc == TEST_PASS, "%s, seed %" PRIu64, cname, seed);
		printf("  %-26s %s: the trace of seed %" PRIu64 " replays to its signature\n", cname,
		       dm_variants[weak[w].variant].name, seed);
	}
	struct ls_config tso = mem_cfg(LS_MEM_TSO, false);
	char *text = NULL;
	uint64_t seed;
	CHECK(first_finding(DM_RACE, &tso, false, 2000, &text, &seed));
	int rc = replays(text, DM_RACE, &tso);
	free(text);
	CHECKF(rc == TEST_PASS, "tso race, seed %" PRIu64, seed);
	return TEST_PASS;
}

/* Suite `semantics`, traces and engines: format 3 records the slow budget and "@STEP slow"
 * decisions and replays them to the same finding; raw fuzzer bytes can choose slow; a format-2
 * trace, whose decisions meant another execution on the old machine, is refused.  The window
 * scenario (window.c) is the execution recorded. */
#include <stdlib.h>

#include "semantics.h"
#include "window.h"

#define TRACE_STRATEGY "random p-switch 0.1 p-slow 0.02 p-irq 0.05"
#define WINDOW_BUDGET 20000

/* ---- a recorded slow -------------------------------------------------------------------------
 *
 * The random walk's first window finding is written as a trace.  Results: the trace has a
 * "slow-budget 2" line and an "@STEP slow" decision; it parses as format 3, replays in a fresh
 * session to the same kind, signature and step count, and the replay re-records the same bytes:
 * Always.  New in f4e2293 (format 3). */
static bool has_slow_decision(const char *text)
{
	for (const char *p = strchr(text, '@'); p; p = strchr(p + 1, '@')) {
		const char *sp = strchr(p, ' ');
		if (sp && (p == text || p[-1] == '\n') && strncmp(sp, " slow\n", 6) == 0)
			return true;
	}
	return false;
}

int trace_with_slow_replays_to_the_same_signature(void)
{
	struct ls_session s, fresh;
	struct ls_result r, rr;
	struct ls_random walk;
	struct ls_buf trace = { 0 }, again = { 0 };
	struct ls_trace t;
	char err[512];
	uint64_t seed;
	int rc = TEST_FAIL;
	ls_random_init(&walk, SEM_P_SWITCH, SEM_P_SLOW, SEM_P_IRQ);
	sem_open(&s, &semantics_window_target, WINDOW_VARIANT_WINDOW, NULL);
	for (seed = 0; seed < WINDOW_BUDGET; seed++)
		if (ls_session_run(&s, &walk.base, seed, &r) != LS_KIND_NONE)
			break;
	if (seed == WINDOW_BUDGET || r.kind != LS_KIND_INVARIANT) {
		fprintf(stderr, "no window finding to record in %d executions\n", WINDOW_BUDGET);
		ls_session_finish(&s);
		return TEST_FAIL;
	}
	ls_trace_write(&s, &r, TRACE_STRATEGY, &trace);
	ls_session_finish(&s);
	if (!strstr(trace.s, "\nslow-budget 2\n") || !has_slow_decision(trace.s)) {
		fprintf(stderr, "the trace of seed %" PRIu64 " has no slow-budget line or no slow "
			"decision:\n%s", seed, trace.s);
		goto out;
	}
	if (!ls_trace_parse(trace.s, trace.len, &t, err, sizeof(err))) {
		fprintf(stderr, "the trace does not parse: %s\n%s", err, trace.s);
		goto out;
	}
	sem_open(&fresh, &semantics_window_target, WINDOW_VARIANT_WINDOW, &t.cfg);
	enum ls_replay_status st = ls_trace_replay(&fresh, &t, &rr, &again, err, sizeof(err));
	if (st != LS_REPLAY_APPLIED)
		fprintf(stderr, "the replay diverged: %s\n", err);
	else if (rr.kind != r.kind || strcmp(rr.signature, r.signature) != 0 || rr.steps != r.steps)
		fprintf(stderr, "the replay gave %s '%s' in %" PRIu64 " steps, the trace %s '%s' "
			"in %" PRIu64 "\n", ls_kind_name(rr.kind), rr.signature, rr.steps,
			ls_kind_name(r.kind), r.signature, r.steps);
	else if (t.format != 3 || t.cfg.slow_budget != 2 || again.len != trace.len ||
		 memcmp(again.s, trace.s, trace.len) != 0)
		fprintf(stderr, "format %d, slow budget %u; re-recorded:\n%s", t.format,
			t.cfg.slow_budget, again.s ? again.s : "");
	else
		rc = TEST_PASS;
	ls_session_finish(&fresh);
	ls_trace_free(&t);
out:
	if (rc != TEST_PASS)
		fprintf(stderr, "  the window target, %s, seed %" PRIu64 "\n", TRACE_STRATEGY,
			seed);
	ls_buf_finish(&trace);
	ls_buf_finish(&again);
	return rc;
}

/* ---- raw bytes -------------------------------------------------------------------------------
 *
 * ls_bytes reads (gap, choice) byte pairs.  Over the inputs {g, c1, 0, c2} (g < 32, c1, c2 < 8),
 * tried in that order: Result: one finds the window, and its decisions include a slow:
 * Sometimes (new in f4e2293: there was no slow for a byte to choose). */
int bytes_strategy_can_choose_slow(void)
{
	struct ls_session s;
	struct ls_result r;
	struct ls_bytes b;
	uint8_t in[4] = { 0, 0, 0, 0 };
	bool found = false, slow = false;
	unsigned tried = 0;
	sem_open(&s, &semantics_window_target, WINDOW_VARIANT_WINDOW, NULL);
	for (unsigned g = 0; g < 32 && !found; g++)
		for (unsigned c1 = 0; c1 < 8 && !found; c1++)
			for (unsigned c2 = 0; c2 < 8 && !found; c2++) {
				in[0] = (uint8_t)g;
				in[1] = (uint8_t)c1;
				in[3] = (uint8_t)c2;
				ls_bytes_init(&b, in, sizeof(in));
				tried++;
				if (ls_session_run(&s, &b.base, 0, &r) == LS_KIND_NONE)
					continue;
				if (r.kind != LS_KIND_INVARIANT) {
					sem_explain(&s, &r, "bytes");
					ls_session_finish(&s);
					return TEST_FAIL;
				}
				found = true;
				for (size_t i = 0; i < s.m->nlog; i++)
					slow |= s.m->log[i].choice.kind == LS_CH_SLOW;
			}
	ls_session_finish(&s);
	CHECKF(found, "no input of %u found the window", tried);
	printf("bytes {%u, %u, 0, %u} find the window (input %u tried)\n", in[0], in[1], in[3],
	       tried);
	CHECK(slow);
	return TEST_PASS;
}

/* ---- an older format -------------------------------------------------------------------------
 *
 * format2.trace is a trace as lockstep wrote it before f4e2293 (format 2: no slow-budget line,
 * and a machine that took pending interrupts at the next point).  Result: ls_trace_parse()
 * refuses it with a message that names an older lockstep: Always.  test_trace_cli.sh checks
 * `lockstep replay` exits 2 on it.  New in f4e2293. */
int format2_trace_is_refused_as_older(void)
{
	const char *path = SEM_DIR "/format2.trace";
	char text[4096], err[512];
	struct ls_trace t;
	FILE *f = fopen(path, "r");
	CHECKF(f, "cannot open %s", path);
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = 0;
	CHECKF(strncmp(text, "lockstep-trace 2\n", 17) == 0, "%s is not a format-2 trace", path);
	CHECKF(strstr(text, "slow-budget") == NULL, "%s has a slow-budget line", path);
	bool parsed = ls_trace_parse(text, len, &t, err, sizeof(err));
	if (parsed)
		ls_trace_free(&t);
	CHECKF(!parsed, "%s parsed as format %d", path, t.format);
	CHECKF(strstr(err, "older lockstep") != NULL, "refused with: %s", err);
	return TEST_PASS;
}

/* Suite `robust`, trace-mutants: the trace parser and replay on damaged input.
 *
 * Inputs are the traces the repository ships (tests/findings/, tests/semantics/format2.trace): every
 * truncation of each, byte by byte, and MUTANTS mutants drawn with a fixed seed, each one to
 * three edits (a byte changed, a line deleted, doubled, swapped or replaced by another trace's,
 * a number replaced by an awkward one, a line made very long, the checksum line dropped so that
 * the edit reaches the grammar behind it).  Each input must be refused with a one-line reason or
 * parse; one that parses and names an in-tree target replays, in a session of that target, to
 * an outcome, a divergence or a refusal of its decisions.  No input may take longer than
 * LIMIT_S (a hang, not a benchmark), and the ASan/UBSan build runs the same inputs for memory
 * errors.  Shared objects named by a mutated target line are never loaded (a trace is inert).
 *
 * With --write DIR N it writes N mutants (the same draw) as DIR/mNNNNN.trace instead, for the
 * command-line half of the suite (test_trace_cli.sh). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "exec.h"
#include "findings.h"
#include "trace.h"
#include "../targets/targets.h"

#define MUTANTS 20000
#define LIMIT_S 5.0
#define MAX_INPUTS 16

static char *inputs[MAX_INPUTS];
static size_t input_len[MAX_INPUTS];
static int ninputs;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A growable text. */
struct text {
	char *s;
	size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = 0;
}

/* The lines of s (each with its newline, the last perhaps without). */
static int split(const char *s, size_t len, const char **line, size_t *n, int max)
{
	int k = 0;
	for (size_t i = 0; i < len && k < max;) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - s) + 1 : len;
		line[k] = s + i;
		n[k++] = end - i;
		i = end;
	}
	return k;
}

static const char *const awkward[] = {
	"0", "1", "-1", "+1", " 1", "1 ", "010", "0x10", "1e9", "", "18446744073709551615",
	"18446744073709551616", "99999999999999999999999", "1000000000", "4294967296", "nan",
};

/* One edit of t. */
static void mutate_once(struct text *t)
{
	const char *line[4096];
	size_t n[4096];
	int k = split(t->s, t->len, line, n, 4096);
	if (k == 0)
		return;
	struct text out = { 0 };
	int op = (int)(next() % 9), a = (int)(next() % (uint64_t)k), b = (int)(next() % (uint64_t)k);
	switch (op) {
	case 0:		/* a byte */
		if (t->len)
			t->s[next() % t->len] = (char)(next() & 0xff);
		return;
	case 1:		/* truncate anywhere */
		t->len = (size_t)(next() % (t->len + 1));
		t->s[t->len] = 0;
		return;
	default:
		break;
	}
	for (int i = 0; i < k; i++) {
		if (op == 2 && i == a)		/* delete a line */
			continue;
		if (op == 3 && i == a)		/* double it */
			put(&out, line[i], n[i]);
		if (op == 4 && (i == a || i == b)) {	/* swap two */
			int j = i == a ? b : a;
			put(&out, line[j], n[j]);
			continue;
		}
		if (op == 5 && i == a) {	/* a number made awkward */
			const char *sp = memchr(line[i], ' ', n[i]);
			if (sp) {
				put(&out, line[i], (size_t)(sp - line[i]) + 1);
				const char *w = awkward[next() % (sizeof(awkward) / sizeof(*awkward))];
				put(&out, w, strlen(w));
				put(&out, "\n", 1);
				continue;
			}
		}
		if (op == 6 && i == a) {	/* another trace's line */
			const char *ol[4096];
			size_t on[4096];
			int oi = (int)(next() % (uint64_t)ninputs);
			int ok = split(inputs[oi], input_len[oi], ol, on, 4096);
			int j = (int)(next() % (uint64_t)ok);
			put(&out, ol[j], on[j]);
			continue;
		}
		if (op == 7 && i == a) {	/* a very long line */
			put(&out, line[i], n[i] && line[i][n[i] - 1] == '\n' ? n[i] - 1 : n[i]);
			for (int r = 0; r < 300; r++)
				put(&out, "xxxxxxx", 7);
			put(&out, "\n", 1);
			continue;
		}
		if (op == 8 && i == a && n[i] > 1) {	/* a line cut short */
			size_t cut = (size_t)(next() % n[i]);
			put(&out, line[i], cut);
			put(&out, "\n", 1);
			continue;
		}
		put(&out, line[i], n[i]);
	}
	free(t->s);
	*t = out;
	if (!t->s)
		put(t, "", 0);
}

/* Mutant number i of the draw (the draw is sequential: call in order). */
static void mutant(struct text *t)
{
	int src = (int)(next() % (uint64_t)ninputs);
	t->len = 0;
	put(t, inputs[src], input_len[src]);
	/* Most edits would only break the checksum: drop it first, mostly. */
	if (next() % 10 < 8) {
		char *c = strstr(t->s, "\nchecksum ");
		if (c) {
			char *nl = strchr(c + 1, '\n');
			if (nl) {
				memmove(c + 1, nl + 1, strlen(nl + 1) + 1);
				t->len = strlen(t->s);
			}
		}
	}
	int edits = 1 + (int)(next() % 3);
	for (int e = 0; e < edits; e++)
		mutate_once(t);
}

static uint64_t parsed, replayed, refused;
static double slowest;

/* One input through the parser and, if it parses, a replay. */
static int check_input(const char *what, const char *s, size_t len)
{
	double t0 = now_s();
	struct ls_trace t;
	char err[1500];
	err[0] = 0;
	bool ok = ls_trace_parse(s, len, &t, err, sizeof(err));
	if (!ok) {
		refused++;
		CHECKF(err[0] && !strchr(err, '\n'), "%s: refused without a one-line reason: '%s'",
		       what, err);
	} else {
		parsed++;
		const struct ls_target *target = NULL;
		char terr[512];
		if (!ls_target_names_object(t.target))
			target = ls_target_find(t.target, terr, sizeof(terr));
		int v = target ? ls_variant_find(target, t.variant) : -1;
		/* A mutated limit may ask for a billion steps: a real request, not a hang. */
		if (v >= 0 && t.cfg.step_limit <= 1000000 && t.cfg.time_limit_ns <= 60000000000ull) {
			struct ls_session sess;
			char serr[256];
			CHECKF(ls_session_init(&sess, target, v, &t.cfg, serr, sizeof(serr)), "%s: %s",
			       what, serr);
			struct ls_result r;
			char why[512];
			why[0] = 0;
			enum ls_replay_status st = ls_trace_replay(&sess, &t, &r, NULL, why,
								   sizeof(why));
			CHECKF(st == LS_REPLAY_APPLIED || (why[0] && !strchr(why, '\n')),
			       "%s: replay failed without a one-line reason", what);
			ls_session_finish(&sess);
			replayed++;
		}
		ls_trace_free(&t);
	}
	double dt = now_s() - t0;
	if (dt > slowest)
		slowest = dt;
	CHECKF(dt < LIMIT_S, "%s: took %.1f s", what, dt);
	return TEST_PASS;
}

static int load_inputs(const char *src)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/findings", src);
	DIR *d = opendir(path);
	CHECKF(d, "cannot open %s", path);
	struct dirent *e;
	char *names[MAX_INPUTS];
	int n = 0;
	while ((e = readdir(d)) && n < MAX_INPUTS - 1) {
		size_t l = strlen(e->d_name);
		if (l > 6 && strcmp(e->d_name + l - 6, ".trace") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	/* readdir's order is the file system's: sort for the same draw everywhere. */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char *x = names[i];
				names[i] = names[j];
				names[j] = x;
			}
	for (int i = 0; i <= n; i++) {
		if (i < n)
			snprintf(path, sizeof(path), "%s/tests/findings/%s", src, names[i]);
		else
			snprintf(path, sizeof(path), "%s/tests/semantics/format2.trace", src);
		inputs[ninputs] = ls_read_file(path, &input_len[ninputs]);
		CHECKF(inputs[ninputs], "cannot read %s", path);
		ninputs++;
		if (i < n)
			free(names[i]);
	}
	CHECKF(ninputs >= 2, "no shipped traces in %s/tests/findings", src);
	return TEST_PASS;
}

static int every_truncation_is_refused_or_replays(void)
{
	for (int i = 0; i < ninputs; i++)
		for (size_t len = 0; len <= input_len[i]; len++) {
			char what[64];
			snprintf(what, sizeof(what), "input %d cut at %zu", i, len);
			char *copy = malloc(len + 1);
			memcpy(copy, inputs[i], len);
			copy[len] = 0;
			int rc = check_input(what, copy, len);
			free(copy);
			if (rc != TEST_PASS)
				return rc;
		}
	return TEST_PASS;
}

static int mutants_are_refused_or_replay(void)
{
	struct text t = { 0 };
	for (int i = 0; i < MUTANTS; i++) {
		char what[32];
		snprintf(what, sizeof(what), "mutant %d", i);
		mutant(&t);
		int rc = check_input(what, t.s, t.len);
		if (rc != TEST_PASS) {
			fprintf(stderr, "---- %s ----\n%.*s\n----\n", what, (int)t.len, t.s);
			return rc;
		}
	}
	free(t.s);
	fprintf(stderr, "     %d mutants: %llu refused, %llu parsed, %llu replayed; slowest "
			"input %.3f s\n", MUTANTS, (unsigned long long)refused,
		(unsigned long long)parsed, (unsigned long long)replayed, slowest);
	/* The draw must reach the grammar behind the checksum, or it tests little. */
	CHECK(parsed > MUTANTS / 50 && replayed > 0);
	return TEST_PASS;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_trace_mutants SOURCE_DIR [--write DIR N]\n");
		return TEST_FAIL;
	}
	if (load_inputs(argv[1]) != TEST_PASS)
		return TEST_FAIL;
	if (argc == 5 && strcmp(argv[2], "--write") == 0) {
		struct text t = { 0 };
		int n = atoi(argv[4]);
		for (int i = 0; i < n; i++) {
			char path[4096];
			mutant(&t);
			snprintf(path, sizeof(path), "%s/m%05d.trace", argv[3], i);
			FILE *f = fopen(path, "wb");
			CHECKF(f && fwrite(t.s, 1, t.len, f) == t.len && fclose(f) == 0, "writing %s",
			       path);
		}
		free(t.s);
		return TEST_PASS;
	}
	int status = TEST_PASS;
	RUN(every_truncation_is_refused_or_replays, status);
	RUN(mutants_are_refused_or_replay, status);
	return status;
}

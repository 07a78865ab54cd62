/* Writing and parsing traces (grammar in trace.h).  The parser is strict: every line must be
 * what the grammar says at that position, so a truncated or damaged file is refused with the
 * line that broke it rather than half-replayed. */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

void ls_trace_write(const struct ls_session *s, const struct ls_result *r, const char *strategy,
		    struct ls_buf *out)
{
	const struct ls_machine *m = s->m;
	size_t start = out->len;
	ls_buf_printf(out, "lockstep-trace %d\n", LS_TRACE_FORMAT);
	ls_buf_printf(out, "lockstep %s\n", LS_VERSION);
	ls_buf_printf(out, "target %s\n", s->target->name);
	ls_buf_printf(out, "variant %s\n", s->target->variants[s->variant].name);
	ls_buf_printf(out, "step-limit %" PRIu64 "\n", m->cfg.step_limit);
	ls_buf_printf(out, "time-limit-ns %" PRIu64 "\n", m->cfg.time_limit_ns);
	ls_buf_printf(out, "step-ns %" PRIu32 "\n", m->cfg.step_ns);
	ls_buf_printf(out, "strategy %s\n", strategy);
	ls_buf_printf(out, "seed %" PRIu64 "\n", r->seed);
	ls_buf_printf(out, "decisions %zu\n", m->nlog);
	for (size_t i = 0; i < m->nlog; i++) {
		char c[64];
		ls_choice_format(m, &m->log[i].choice, c, sizeof(c));
		ls_buf_printf(out, "@%" PRIu64 " %s\n", m->log[i].step, c);
	}
	ls_buf_printf(out, "outcome %s\n", ls_kind_name(r->kind));
	if (r->kind != LS_KIND_NONE)
		ls_buf_printf(out, "signature %s\n", r->signature);
	ls_buf_printf(out, "steps %" PRIu64 "\n", r->steps);
	ls_buf_printf(out, "checksum %016llx\n", ls_fnv1a(out->s + start, out->len - start));
	ls_buf_printf(out, "end\n");
}

struct reader {
	const char *p, *end, *text;
	int line;
	char buf[600];
	char *err;
	size_t errlen;
};

/* Next line into r->buf without its newline; false at the end of the text. */
static bool next_line(struct reader *r)
{
	if (r->p >= r->end)
		return false;
	const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	size_t n = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
	if (n >= sizeof(r->buf))
		n = sizeof(r->buf) - 1;
	memcpy(r->buf, r->p, n);
	r->buf[n] = 0;
	if (n && r->buf[n - 1] == '\r')
		r->buf[n - 1] = 0;
	r->p = nl ? nl + 1 : r->end;
	r->line++;
	return true;
}

static bool fail(struct reader *r, const char *what)
{
	/* A last line without its newline means the file was cut, whatever the line says. */
	bool cut = r->p == r->end && r->end > r->text && r->end[-1] != '\n' &&
		   strncmp(what, "truncated", 9) != 0;
	snprintf(r->err, r->errlen, "line %d: %s%s", r->line, cut ? "truncated: " : "", what);
	return false;
}

/* Reads the next line, which must be "key value"; returns the value. */
static const char *expect(struct reader *r, const char *key)
{
	if (!next_line(r)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "truncated: the trace ends before '%s'", key);
		r->line++;
		fail(r, msg);
		return NULL;
	}
	size_t k = strlen(key);
	if (strncmp(r->buf, key, k) != 0 || (r->buf[k] != ' ' && r->buf[k] != 0)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "expected '%s'", key);
		fail(r, msg);
		return NULL;
	}
	return r->buf[k] ? r->buf + k + 1 : r->buf + k;
}

static bool parse_u64(struct reader *r, const char *s, uint64_t *v)
{
	char *end;
	if (!*s || *s == '-')
		return fail(r, "expected a number");
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return fail(r, "expected a number");
	*v = x;
	return true;
}

static bool copy_value(struct reader *r, const char *v, char *dst, size_t n)
{
	if (!*v || strlen(v) >= n)
		return fail(r, "missing or over-long value");
	memcpy(dst, v, strlen(v) + 1);
	return true;
}

bool ls_trace_parse(const char *text, size_t len, struct ls_trace *t, char *err, size_t errlen)
{
	struct reader r = { text, text + len, text, 0, { 0 }, err, errlen };
	const char *v;
	uint64_t x;
	memset(t, 0, sizeof(*t));

	if (len == 0) {
		snprintf(err, errlen, "empty file");
		return false;
	}
	if (!(v = expect(&r, "lockstep-trace")))
		return false;
	if (!parse_u64(&r, v, &x))
		return false;
	if (x != LS_TRACE_FORMAT) {
		snprintf(err, errlen, "trace format version %s is not supported (this lockstep reads %d)",
			 v, LS_TRACE_FORMAT);
		return false;
	}
	t->format = (int)x;
	if (!expect(&r, "lockstep"))
		return false;
	if (!(v = expect(&r, "target")) || !copy_value(&r, v, t->target, sizeof(t->target)))
		return false;
	if (!(v = expect(&r, "variant")) || !copy_value(&r, v, t->variant, sizeof(t->variant)))
		return false;
	if (!(v = expect(&r, "step-limit")) || !parse_u64(&r, v, &t->cfg.step_limit))
		return false;
	if (t->cfg.step_limit == 0 || t->cfg.step_limit > 1000000000)
		return fail(&r, "step-limit out of range (1..1000000000)");
	if (!(v = expect(&r, "time-limit-ns")) || !parse_u64(&r, v, &t->cfg.time_limit_ns))
		return false;
	if (!(v = expect(&r, "step-ns")) || !parse_u64(&r, v, &x))
		return false;
	if (x == 0 || x > 1000000)
		return fail(&r, "step-ns out of range (1..1000000)");
	t->cfg.step_ns = (uint32_t)x;
	if (!(v = expect(&r, "strategy")) || !copy_value(&r, v, t->strategy, sizeof(t->strategy)))
		return false;
	if (!(v = expect(&r, "seed")) || !parse_u64(&r, v, &t->seed))
		return false;
	if (!(v = expect(&r, "decisions")) || !parse_u64(&r, v, &x))
		return false;
	if (x > t->cfg.step_limit)
		return fail(&r, "more decisions than steps");
	t->nsteps = (size_t)x;
	t->steps = calloc(t->nsteps ? t->nsteps : 1, sizeof(*t->steps));
	if (!t->steps)
		return fail(&r, "out of memory");
	for (size_t i = 0; i < t->nsteps; i++) {
		if (!next_line(&r)) {
			r.line++;
			ls_trace_free(t);
			return fail(&r, "truncated: fewer decisions than announced");
		}
		char *sp = strchr(r.buf, ' ');
		if (r.buf[0] != '@' || !sp) {
			ls_trace_free(t);
			return fail(&r, "expected a decision '@STEP CHOICE'");
		}
		*sp = 0;
		if (!parse_u64(&r, r.buf + 1, &t->steps[i].step) ||
		    !copy_value(&r, sp + 1, t->steps[i].choice, sizeof(t->steps[i].choice))) {
			ls_trace_free(t);
			return false;
		}
		if (i && t->steps[i].step <= t->steps[i - 1].step) {
			ls_trace_free(t);
			return fail(&r, "decision steps must increase");
		}
	}
	if (!(v = expect(&r, "outcome")))
		goto bad;
	t->kind = LS_KIND_COUNT;
	for (int k = 0; k < LS_KIND_COUNT; k++)
		if (strcmp(v, ls_kind_name((enum ls_kind)k)) == 0)
			t->kind = (enum ls_kind)k;
	if (t->kind == LS_KIND_COUNT) {
		fail(&r, "unknown outcome");
		goto bad;
	}
	if (t->kind != LS_KIND_NONE) {
		if (!(v = expect(&r, "signature")) ||
		    !copy_value(&r, v, t->signature, sizeof(t->signature)))
			goto bad;
	}
	if (!(v = expect(&r, "steps")) || !parse_u64(&r, v, &t->nsteps_run))
		goto bad;

	/* Optional checksum over every byte before its line. */
	const char *line_start = r.p;
	if (!next_line(&r)) {
		r.line++;
		fail(&r, "truncated: no 'end' line");
		goto bad;
	}
	if (strncmp(r.buf, "checksum ", 9) == 0) {
		unsigned long long want;
		char *end;
		errno = 0;
		want = strtoull(r.buf + 9, &end, 16);
		if (errno || *end || strlen(r.buf + 9) != 16) {
			fail(&r, "malformed checksum");
			goto bad;
		}
		if (ls_fnv1a(text, (size_t)(line_start - text)) != want) {
			fail(&r, "checksum mismatch: the trace is corrupted (or was edited: delete "
				 "the checksum line to replay an edited trace)");
			goto bad;
		}
		if (!next_line(&r)) {
			r.line++;
			fail(&r, "truncated: no 'end' line");
			goto bad;
		}
	}
	if (strcmp(r.buf, "end") != 0) {
		fail(&r, "expected 'end'");
		goto bad;
	}
	while (next_line(&r))
		if (r.buf[0]) {
			fail(&r, "text after 'end'");
			goto bad;
		}
	return true;
bad:
	ls_trace_free(t);
	return false;
}

void ls_trace_free(struct ls_trace *t)
{
	free(t->steps);
	t->steps = NULL;
	t->nsteps = 0;
}

bool ls_trace_decisions(const struct ls_trace *t, const struct ls_machine *m,
			struct ls_decision *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->nsteps; i++) {
		out[i].step = t->steps[i].step;
		if (!ls_choice_parse(m, t->steps[i].choice, &out[i].choice)) {
			snprintf(err, errlen, "decision @%" PRIu64 " '%s' names nothing in %s",
				 t->steps[i].step, t->steps[i].choice, m->target->name);
			return false;
		}
	}
	return true;
}

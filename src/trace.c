/* Writing and parsing traces (grammar in trace.h).  The parser is strict: every line must be
 * what the grammar says at that position, so a truncated or damaged file is refused with the
 * line that broke it rather than half-replayed. */
#include "trace.h"
#include "ksrc/ksrc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"
#include "../targets/targets.h"

static const char *const mode_names[] = {
	[LS_LOCKDEP_ON] = "on",
	[LS_LOCKDEP_OFF] = "off",
	[LS_LOCKDEP_COMPAT] = "compat",
};

const char *ls_lockdep_mode_name(enum ls_lockdep_mode mode)
{
	return mode_names[mode];
}

static void write_decisions(const struct ls_machine *m, const char *key,
			    const struct ls_trace_exec *e, struct ls_buf *out)
{
	ls_buf_printf(out, "%s %zu\n", key, e->n);
	for (size_t i = 0; i < e->n; i++) {
		char c[64];
		ls_choice_format(m, &e->d[i].choice, c, sizeof(c));
		ls_buf_printf(out, "@%" PRIu64 " %s\n", e->d[i].step, c);
	}
}

void ls_trace_write(const struct ls_session *s, const struct ls_result *r, const char *strategy,
		    struct ls_buf *out)
{
	struct ls_trace_exec main = { r->seed, s->m->log, s->m->nlog };
	ls_trace_write_execs(s, r, strategy, NULL, 0, &main, out);
}

void ls_trace_write_execs(const struct ls_session *s, const struct ls_result *r,
			  const char *strategy, const struct ls_trace_exec *prior, int nprior,
			  const struct ls_trace_exec *main, struct ls_buf *out)
{
	const struct ls_machine *m = s->m;
	size_t start = out->len;
	ls_buf_printf(out, "lockstep-trace %d\n", LS_TRACE_FORMAT);
	ls_buf_printf(out, "lockstep %s\n", LS_VERSION);
	ls_buf_printf(out, "target %s\n", s->target->name);
	unsigned long long hash;
	if (ls_target_object_hash(s->target, &hash))
		ls_buf_printf(out, "target-hash %016llx\n", hash);
	ls_buf_printf(out, "variant %s\n", s->target->variants[s->variant].name);
	ls_buf_printf(out, "step-limit %" PRIu64 "\n", m->cfg.step_limit);
	ls_buf_printf(out, "time-limit-ns %" PRIu64 "\n", m->cfg.time_limit_ns);
	ls_buf_printf(out, "step-ns %" PRIu32 "\n", m->cfg.step_ns);
	ls_buf_printf(out, "slow-budget %" PRIu32 "\n", m->cfg.slow_budget);
	if (ls_config_weak(&m->cfg)) {
		/* Only then: a sequentially consistent trace keeps its bytes. */
		ls_buf_printf(out, "memory-model %s\n", ls_memory_model_name(m->cfg.memory_model));
		if (m->cfg.compiler_reorder)
			ls_buf_printf(out, "compiler-reorder\n");
		ls_buf_printf(out, "reorder-budget %" PRIu32 "\n", m->cfg.reorder_budget);
	}
	const struct ls_ksrc_build *k = ls_ksrc_active();
	if (k) {
		/* Only then, as the memory model: a trace of the hand models keeps its bytes. */
		ls_buf_printf(out, "kernel-tree %s\n", k->tree);
		ls_buf_printf(out, "kernel-source %016llx\n", k->hash);
	}
	ls_buf_printf(out, "strategy %s\n", strategy);
	ls_buf_printf(out, "lockdep %s\n", ls_lockdep_mode_name(s->lockdep));
	if (nprior)
		ls_buf_printf(out, "prior %d\n", nprior);
	for (int i = 0; i < nprior; i++) {
		ls_buf_printf(out, "prior-seed %" PRIu64 "\n", prior[i].seed);
		write_decisions(m, "prior-decisions", &prior[i], out);
	}
	ls_buf_printf(out, "seed %" PRIu64 "\n", main->seed);
	write_decisions(m, "decisions", main, out);
	ls_buf_printf(out, "outcome %s\n", ls_kind_name(r->kind));
	if (r->kind != LS_KIND_NONE) {
		ls_buf_printf(out, "signature %s\n", r->signature);
		ls_buf_printf(out, "bug %s\n", r->bug);
		ls_buf_printf(out, "title %s\n", r->title);
	}
	ls_buf_printf(out, "steps %" PRIu64 "\n", r->steps);
	ls_buf_printf(out, "checksum %016llx\n", ls_fnv1a(out->s + start, out->len - start));
	ls_buf_printf(out, "end\n");
}

struct reader {
	const char *p, *end, *text;
	int line;
	char buf[LS_TRACE_MAX_LINE + 1];
	char *err;
	size_t errlen;
	bool broken;	/* err already says why (an over-long line) */
};

static bool fail(struct reader *r, const char *what);

/* Next line into r->buf without its newline; false at the end of the text, or (broken set)
 * at a line longer than any the grammar allows, which is refused rather than cut. */
static bool next_line(struct reader *r)
{
	if (r->broken || r->p >= r->end)
		return false;
	const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	size_t n = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
	if (n > LS_TRACE_MAX_LINE) {
		r->line++;
		char msg[80];
		snprintf(msg, sizeof(msg), "line longer than %d bytes", LS_TRACE_MAX_LINE);
		fail(r, msg);
		r->broken = true;
		return false;
	}
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
	if (r->broken)
		return false;
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
		if (r->broken)
			return NULL;
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
	if (*s < '0' || *s > '9')	/* no sign, no space: strtoull() would take both */
		return fail(r, "expected a number");
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return fail(r, "expected a number");
	*v = x;
	return true;
}

/* Exactly 16 hexadecimal digits (no sign, no 0x). */
static bool parse_hex16(const char *s, unsigned long long *v)
{
	unsigned long long x = 0;
	int i = 0;
	for (; i < 16 && s[i]; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return false;
		x = x << 4 | (unsigned)d;
	}
	if (i != 16 || s[16])
		return false;
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

/* Reads n "@STEP CHOICE" lines into a new array, grown as lines arrive: the count is the
 * file's claim, and a file that claims a billion decisions and holds three costs three. */
static bool read_decisions(struct reader *r, const struct ls_trace *t, uint64_t n,
			   struct ls_trace_step **out, size_t *nout)
{
	if (n > t->cfg.step_limit)
		return fail(r, "more decisions than steps");
	size_t cap = 16;
	struct ls_trace_step *steps = malloc(cap * sizeof(*steps));
	if (!steps)
		return fail(r, "out of memory");
	*out = steps;
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		if (!next_line(r)) {
			if (r->broken)
				return false;
			r->line++;
			return fail(r, "truncated: fewer decisions than announced");
		}
		if (i == cap) {
			struct ls_trace_step *more = realloc(steps, 2 * cap * sizeof(*steps));
			if (!more)
				return fail(r, "out of memory");
			*out = steps = more;
			cap *= 2;
		}
		memset(&steps[i], 0, sizeof(steps[i]));
		*nout = i + 1;
		char *sp = strchr(r->buf, ' ');
		if (r->buf[0] != '@' || !sp)
			return fail(r, "expected a decision '@STEP CHOICE'");
		*sp = 0;
		if (!parse_u64(r, r->buf + 1, &steps[i].step) ||
		    !copy_value(r, sp + 1, steps[i].choice, sizeof(steps[i].choice)))
			return false;
		if (i && steps[i].step <= steps[i - 1].step)
			return fail(r, "decision steps must increase");
	}
	return true;
}

bool ls_trace_parse(const char *text, size_t len, struct ls_trace *t, char *err, size_t errlen)
{
	struct reader r = { .p = text, .end = text + len, .text = text, .err = err,
			    .errlen = errlen };
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
	if (x < LS_TRACE_FORMAT) {
		/* The same decisions would replay a different execution: say so, never guess. */
		snprintf(err, errlen,
			 "trace format %s was recorded by an older lockstep, whose machine took "
			 "interrupts and passed time differently: its decisions no longer mean the same "
			 "execution; record it again (this lockstep reads format %d)",
			 v, LS_TRACE_FORMAT);
		return false;
	}
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
	const char *at = r.p;
	int at_line = r.line;
	if ((v = expect(&r, "target-hash")) != NULL) {
		if (!parse_hex16(v, &t->target_hash))
			return fail(&r, "target-hash must be 16 hexadecimal digits");
		t->has_target_hash = true;
	} else if (r.broken) {
		return false;
	} else {
		r.p = at;
		r.line = at_line;
	}
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
	if (!(v = expect(&r, "slow-budget")) || !parse_u64(&r, v, &x))
		return false;
	if (x > 255)
		return fail(&r, "slow-budget out of range (0..255)");
	t->cfg.slow_budget = (uint32_t)x;
	t->cfg.memory_model = LS_MEM_SC;
	t->cfg.compiler_reorder = false;
	t->cfg.reorder_budget = 0;
	at = r.p;
	at_line = r.line;
	if ((v = expect(&r, "memory-model")) != NULL) {
		enum ls_memory_model mm;
		if (!ls_memory_model_parse(v, &mm))
			return fail(&r, "memory-model must be sc, tso or relaxed");
		t->cfg.memory_model = (uint8_t)mm;
		at = r.p;
		at_line = r.line;
		if ((v = expect(&r, "compiler-reorder")) != NULL && !*v) {
			t->cfg.compiler_reorder = true;
		} else if (r.broken) {
			return false;
		} else {
			r.p = at;
			r.line = at_line;
		}
		if (!(v = expect(&r, "reorder-budget")) || !parse_u64(&r, v, &x))
			return false;
		if (x > 255)
			return fail(&r, "reorder-budget out of range (0..255)");
		t->cfg.reorder_budget = (uint32_t)x;
	} else if (r.broken) {
		return false;
	} else {
		r.p = at;
		r.line = at_line;
	}
	t->has_kernel = false;
	at = r.p;
	at_line = r.line;
	if ((v = expect(&r, "kernel-tree")) != NULL) {
		if (!copy_value(&r, v, t->kernel_tree, sizeof(t->kernel_tree)))
			return false;
		if (!(v = expect(&r, "kernel-source")))
			return false;
		if (!parse_hex16(v, &t->kernel_hash))
			return fail(&r, "kernel-source must be 16 hex digits");
		t->has_kernel = true;
	} else if (r.broken) {
		return false;
	} else {
		r.p = at;
		r.line = at_line;
	}
	if (!(v = expect(&r, "strategy")) || !copy_value(&r, v, t->strategy, sizeof(t->strategy)))
		return false;
	if (!(v = expect(&r, "lockdep")))
		return false;
	int mode = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(v, mode_names[i]) == 0)
			mode = i;
	if (mode < 0)
		return fail(&r, "lockdep must be on, off or compat");
	t->lockdep = (enum ls_lockdep_mode)mode;
	const char *before = r.p;
	int line = r.line;
	if ((v = expect(&r, "prior")) != NULL) {
		if (!parse_u64(&r, v, &x))
			return false;
		if (x == 0 || x > LS_TRACE_MAX_PRIOR)
			return fail(&r, "prior count out of range (1..8)");
		t->nprior = (int)x;
		for (int i = 0; i < t->nprior; i++) {
			if (!(v = expect(&r, "prior-seed")) ||
			    !parse_u64(&r, v, &t->prior[i].seed) ||
			    !(v = expect(&r, "prior-decisions")) || !parse_u64(&r, v, &x) ||
			    !read_decisions(&r, t, x, &t->prior[i].steps, &t->prior[i].nsteps)) {
				ls_trace_free(t);
				return false;
			}
		}
	} else {
		r.p = before;
		r.line = line;
	}
	if (!(v = expect(&r, "seed")) || !parse_u64(&r, v, &t->seed)) {
		ls_trace_free(t);
		return false;
	}
	if (!(v = expect(&r, "decisions")) || !parse_u64(&r, v, &x) ||
	    !read_decisions(&r, t, x, &t->steps, &t->nsteps)) {
		ls_trace_free(t);
		return false;
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
		/* Optional: traces written before bug identities have neither. */
		static const char *const opt[] = { "bug", "title" };
		char *dst[] = { t->bug, t->title };
		size_t cap[] = { sizeof(t->bug), sizeof(t->title) };
		for (int i = 0; i < 2; i++) {
			size_t k = strlen(opt[i]);
			if (r.end - r.p > (ptrdiff_t)k && strncmp(r.p, opt[i], k) == 0 &&
			    r.p[k] == ' ' && (!(v = expect(&r, opt[i])) ||
					      !copy_value(&r, v, dst[i], cap[i])))
				goto bad;
		}
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
		if (!parse_hex16(r.buf + 9, &want)) {
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
	if (r.broken)
		goto bad;
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
	for (int i = 0; i < LS_TRACE_MAX_PRIOR; i++) {
		free(t->prior[i].steps);
		t->prior[i].steps = NULL;
		t->prior[i].nsteps = 0;
	}
	t->nprior = 0;
}

static bool resolve(const struct ls_trace_step *steps, size_t n, const struct ls_machine *m,
		    struct ls_decision *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		out[i].step = steps[i].step;
		if (!ls_choice_parse(m, steps[i].choice, &out[i].choice)) {
			snprintf(err, errlen, "decision @%" PRIu64 " '%s' names nothing in %s",
				 steps[i].step, steps[i].choice, m->target->name);
			return false;
		}
	}
	return true;
}

bool ls_trace_decisions(const struct ls_trace *t, const struct ls_machine *m,
			struct ls_decision *out, char *err, size_t errlen)
{
	return resolve(t->steps, t->nsteps, m, out, err, errlen);
}

bool ls_trace_prior_decisions(const struct ls_trace *t, int i, const struct ls_machine *m,
			      struct ls_decision *out, char *err, size_t errlen)
{
	return resolve(t->prior[i].steps, t->prior[i].nsteps, m, out, err, errlen);
}

enum ls_replay_status ls_trace_replay(struct ls_session *s, struct ls_trace *t, struct ls_result *r,
		     struct ls_buf *rerecord, char *why, size_t whylen)
{
	return ls_trace_replay_observed(s, t, r, rerecord, why, whylen, NULL, NULL);
}

/* The upgrade ls_trace_replay() describes: each interrupt context's own name becomes its label. */
static void upgrade_names(struct ls_trace *t, const struct ls_machine *m)
{
	if (t->bug[0] || t->kind == LS_KIND_NONE)
		return;
	for (int i = 0; i < m->nctx; i++) {
		const struct ls_ctx *c = &m->ctx[i];
		if (c->label == c->name)
			continue;
		char out[sizeof(t->signature)];
		size_t o = 0, k = strlen(c->name), l = strlen(c->label);
		for (const char *p = t->signature; *p;) {
			if (strncmp(p, c->name, k) == 0 && !(p[k] >= '0' && p[k] <= '9') &&
			    o + l < sizeof(out)) {
				memcpy(out + o, c->label, l);
				o += l;
				p += k;
			} else if (o + 1 < sizeof(out)) {
				out[o++] = *p++;
			} else {
				break;
			}
		}
		out[o] = 0;
		memcpy(t->signature, out, o + 1);
	}
}

enum ls_replay_status ls_trace_replay_observed(struct ls_session *s, struct ls_trace *t,
					       struct ls_result *r, struct ls_buf *rerecord,
					       char *why, size_t whylen, ls_replay_wrap wrap,
					       void *arg)
{
	struct ls_decision *pd[LS_TRACE_MAX_PRIOR] = { 0 };
	struct ls_trace_exec prior[LS_TRACE_MAX_PRIOR];
	struct ls_decision *d = NULL;
	enum ls_replay_status st = LS_REPLAY_BAD_TRACE;
	char err[400];
	memset(r, 0, sizeof(*r));
	ls_session_set_lockdep(s, t->lockdep);
	/* Earlier executions a validator finding cites run first, in order: their dependencies
	 * are what the finding combines with its own. */
	for (int i = 0; i < t->nprior; i++) {
		pd[i] = calloc(t->prior[i].nsteps ? t->prior[i].nsteps : 1, sizeof(*pd[i]));
		if (!pd[i]) {
			snprintf(why, whylen, "out of memory");
			goto out;
		}
		if (!ls_trace_prior_decisions(t, i, s->m, pd[i], err, sizeof(err))) {
			snprintf(why, whylen, "prior execution %d: %s", i + 1, err);
			goto out;
		}
		struct ls_replay rp;
		struct ls_result pr;
		ls_replay_init(&rp, pd[i], t->prior[i].nsteps);
		ls_session_run(s, wrap ? wrap(arg, &rp.base) : &rp.base, t->prior[i].seed, &pr);
		if (!ls_replay_check_done(&rp)) {
			snprintf(why, whylen, "prior execution %d: %s", i + 1, rp.why);
			st = LS_REPLAY_DIVERGED;
			goto out;
		}
		prior[i] = (struct ls_trace_exec){ t->prior[i].seed, pd[i], t->prior[i].nsteps };
	}
	d = calloc(t->nsteps ? t->nsteps : 1, sizeof(*d));
	if (!d) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (!ls_trace_decisions(t, s->m, d, why, whylen))
		goto out;
	struct ls_replay rp;
	ls_replay_init(&rp, d, t->nsteps);
	ls_session_run(s, wrap ? wrap(arg, &rp.base) : &rp.base, t->seed, r);
	if (!ls_replay_check_done(&rp)) {
		snprintf(why, whylen, "%s", rp.why);
		st = LS_REPLAY_DIVERGED;
		goto out;
	}
	upgrade_names(t, s->m);
	bool validator = t->kind == LS_KIND_LOCKDEP || t->kind == LS_KIND_AVERTED;
	if (validator && strcmp(r->signature, t->signature) != 0)
		ls_session_select_report(s, r, t->signature);
	if (rerecord) {
		struct ls_trace_exec main = { t->seed, s->m->log, s->m->nlog };
		ls_trace_write_execs(s, r, t->strategy, prior, t->nprior, &main, rerecord);
	}
	st = LS_REPLAY_APPLIED;
out:
	for (int i = 0; i < t->nprior; i++)
		free(pd[i]);
	free(d);
	return st;
}

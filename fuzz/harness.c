/* The fuzz harness: one execution of the target chosen at startup, its decisions decoded from
 * the fuzzer's input, and the interleaving coverage the fuzzer sees.
 *
 * Bytes to decisions (struct ls_bytes, sched/strategy.c).  The input is read as pairs
 * (gap, choice): let `gap` scheduling points keep the default ("the current context goes on"),
 * then take choice `choice % n` at the next point, where n is the number of choices there
 * (index 0 is the default, then the other runnable contexts by CPU and id, then the interrupts
 * the target allows; sched/strategy.h).  When the input runs out every later point keeps the
 * default, so every byte string is a valid schedule, the empty input is the schedule with no
 * preemption, and a byte flipped by the fuzzer moves or changes one decision.  A forced point
 * (the current context is parked or done) also consumes a pair: its choice 0 is the first
 * runnable context, not "continue".
 *
 * Interleaving coverage.  Edge coverage of the target's code sees which branches ran, not in
 * which order the contexts ran them.  At every scheduling point the harness bumps two counters
 * in a map the entry point provides (libFuzzer's extra counters, AFL++'s map):
 *   - (site of this operation, site of the last operation announced by another context): which
 *     operations of two contexts met, the pairs a data race or an ABBA is made of;
 *   - (site, kind of context) for read-modify-writes and parks, the operations that take or wait
 *     for locks: a lock site reached from an NMI or a hardirq is a new state even when the task
 *     reached it before.
 * Sites are static objects, so their addresses are stable within the process, which is all the
 * fuzzer compares.  The signal is switchable ($LOCKSTEP_INTERLEAVING_COVERAGE=0) to measure it.
 *
 * Each execution starts from a reset lock validator, so an input's outcome does not depend on
 * the inputs before it: a crash input replays alone (`lockstep replay --target`).  The session
 * (machine, fibers, validator) is created once; an execution allocates nothing.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strategy.h"
#include "../targets/targets.h"
#include "ksrc/ksrc.h"

/* Wraps the bytes strategy to feed the counters at every point. */
struct cover {
	struct ls_strategy base;
	struct ls_bytes bytes;
	/* This execution: the context of the last point, and the last site of another context. */
	int last_ctx;
	const struct ls_site *last_site;	/* of last_ctx's last point */
	const struct ls_site *other_site;	/* the last point of a context other than last_ctx */
};

static struct {
	bool ready;
	bool empty;			/* LOCKSTEP_TARGET=empty: nothing runs */
	struct ls_session s;
	char spec[256];
	enum ls_lockdep_mode lockdep;
	const char *replay_opts;
	bool cover_off;			/* $LOCKSTEP_INTERLEAVING_COVERAGE=0 */
	uint8_t *counters;		/* NULL: no interleaving coverage */
	size_t mask;			/* counters - 1 */
	struct cover cover;
} h;

static _Noreturn __attribute__((format(printf, 1, 2))) void bad(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lockstep harness: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static inline uint64_t hash2(uintptr_t a, uintptr_t b)
{
	return ls_mix64(a * 0x9e3779b97f4a7c15ull ^ b);
}

static inline void bump(uint64_t hv)
{
	uint8_t *c = &h.counters[hv & h.mask];
	if (*c != UINT8_MAX)
		(*c)++;
}

static void cover_begin(struct ls_strategy *st, uint64_t seed)
{
	struct cover *c = (struct cover *)st;
	c->last_ctx = -1;
	c->last_site = c->other_site = NULL;
	c->bytes.base.begin(&c->bytes.base, seed);
}

static int cover_choose(struct ls_strategy *st, struct ls_point *pt)
{
	struct cover *c = (struct cover *)st;
	if (pt->ctx != c->last_ctx) {
		c->other_site = c->last_site;
		c->last_ctx = pt->ctx;
	}
	c->last_site = pt->site;
	bump(hash2((uintptr_t)pt->site, (uintptr_t)c->other_site));
	if (pt->op == LS_OP_RMW || pt->op == LS_OP_PARK)
		bump(hash2((uintptr_t)pt->site, 1 + (uintptr_t)pt->m->ctx[pt->ctx].kind) + 1);
	return c->bytes.base.choose(&c->bytes.base, pt);
}

void ls_harness_set_counters(uint8_t *counters, size_t n)
{
	if (counters && (n == 0 || (n & (n - 1))))
		bad("the coverage map size must be a power of two, not %zu", n);
	h.counters = counters;
	h.mask = counters ? n - 1 : 0;
}

void ls_harness_init(const char *spec)
{
	if (h.ready)
		return;
	if (!spec || !*spec)
		bad("set LOCKSTEP_TARGET to TARGET[:VARIANT] (see lockstep list)");
	if (!strcmp(spec, LS_HARNESS_EMPTY)) {
		/* The baseline of the rate benchmark: the fuzzer's own cost per input. */
		h.empty = true;
		snprintf(h.spec, sizeof(h.spec), "%s", spec);
		h.replay_opts = "";
		h.ready = true;
		return;
	}
	const struct ls_target *t;
	int variant;
	char err[512];
	if (!ls_target_spec(spec, &t, &variant, err, sizeof(err)))
		bad("LOCKSTEP_TARGET=%s: %s", spec, err);

	const char *mode = getenv("LOCKSTEP_LOCKDEP");
	if (!mode || !*mode || !strcmp(mode, "on")) {
		h.lockdep = LS_LOCKDEP_ON;
		h.replay_opts = "";
	} else if (!strcmp(mode, "off")) {
		h.lockdep = LS_LOCKDEP_OFF;
		h.replay_opts = " --no-lockdep";
	} else if (!strcmp(mode, "compat")) {
		h.lockdep = LS_LOCKDEP_COMPAT;
		h.replay_opts = " --lockdep-compat";
	} else {
		bad("LOCKSTEP_LOCKDEP=%s: expected on, off or compat", mode);
	}
	const char *cov = getenv("LOCKSTEP_INTERLEAVING_COVERAGE");
	if (cov && strcmp(cov, "0") && strcmp(cov, "1"))
		bad("LOCKSTEP_INTERLEAVING_COVERAGE=%s: expected 0 or 1", cov);
	h.cover_off = cov && !strcmp(cov, "0");

	struct ls_config cfg;
	ls_config_default(&cfg);
	/* The memory model, as `lockstep fuzz --memory-model ... --compiler-reorder` set it. */
	const char *mm = getenv("LOCKSTEP_MEMORY_MODEL");
	enum ls_memory_model model = LS_MEM_SC;
	if (mm && *mm && !ls_memory_model_parse(mm, &model))
		bad("LOCKSTEP_MEMORY_MODEL=%s: expected sc, tso or relaxed", mm);
	cfg.memory_model = (uint8_t)model;
	const char *cr = getenv("LOCKSTEP_COMPILER_REORDER");
	if (cr && strcmp(cr, "0") && strcmp(cr, "1"))
		bad("LOCKSTEP_COMPILER_REORDER=%s: expected 0 or 1", cr);
	cfg.compiler_reorder = cr && !strcmp(cr, "1");
	const char *rb = getenv("LOCKSTEP_REORDER_BUDGET");
	if (rb && *rb) {
		char *end;
		unsigned long b = strtoul(rb, &end, 10);
		if (*end || b > 255 || rb[0] == '-')
			bad("LOCKSTEP_REORDER_BUDGET=%s: expected 0..255", rb);
		cfg.reorder_budget = (uint32_t)b;
	}
	/* The kernel tree, as `lockstep fuzz --kernel-tree` loaded it (built there: here it is
	 * found in the cache). */
	const char *tree = getenv("LOCKSTEP_KSRC_TREE");
	if (tree && *tree) {
		char kerr[2048];
		if (!ls_ksrc_load(tree, kerr, sizeof(kerr)))
			bad("LOCKSTEP_KSRC_TREE=%s: %s", tree, kerr);
		static char opts[4200];
		snprintf(opts, sizeof(opts), "%s --kernel-tree %s", h.replay_opts, tree);
		h.replay_opts = opts;
	}
	if (!ls_session_init(&h.s, t, variant, &cfg, err, sizeof(err))) {
		fprintf(stderr, "lockstep harness: %s\n", err);
		exit(3);
	}
	snprintf(h.spec, sizeof(h.spec), "%s:%s", t->name, t->variants[variant].name);
	h.cover.base.name = "bytes";
	h.cover.base.begin = cover_begin;
	h.cover.base.choose = cover_choose;
	h.ready = true;
	/* `lockstep fuzz` asks first whether the target loads here, before it starts a fuzzer
	 * that would swallow the error and report a campaign without executions as clean. */
	if (getenv(LS_HARNESS_CHECK))
		exit(0);
}

bool ls_harness_exec(const uint8_t *data, size_t len, struct ls_result *r)
{
	if (!h.ready) {
		fprintf(stderr, "lockstep harness: ls_harness_exec() before ls_harness_init()\n");
		abort();
	}
	if (h.empty) {
		/* One counter by input length, or libFuzzer finds nothing to keep and stops. */
		if (h.counters)
			h.counters[len & h.mask]++;
		memset(r, 0, sizeof(*r));
		return false;
	}
	/* A fresh validator: the outcome depends on these bytes only. */
	ls_session_set_lockdep(&h.s, h.lockdep);
	ls_bytes_init(&h.cover.bytes, data, len);
	struct ls_strategy *st = h.counters && !h.cover_off ? &h.cover.base : &h.cover.bytes.base;
	ls_session_run(&h.s, st, 0, r);
	return ls_variant_bug(&h.s.target->variants[h.s.variant], r->kind);
}

int ls_harness_run(const uint8_t *data, size_t len)
{
	static struct ls_result r;	/* 1 KiB: off the fuzzer's stack */
	if (!ls_harness_exec(data, len, &r))
		return 0;
	fprintf(stderr, "lockstep: %s: %s (%s, %llu steps, %zu decisions)\n"
			"lockstep: its trace and report: lockstep replay --target %s%s INPUT\n",
		h.spec, r.signature, ls_kind_name(r.kind), (unsigned long long)r.steps,
		h.s.m->nlog, h.spec, h.replay_opts);
	abort();
}

const char *ls_harness_spec(void)
{
	return h.spec;
}

const char *ls_harness_replay_opts(void)
{
	return h.replay_opts;
}

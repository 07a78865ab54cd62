/* Suite `lockdep-selftest`: the kernel's lib/locking-selftest.c, case by case, against the lock
 * validator.  Each case runs for one execution under each validator mode (the default, and
 * --lockdep-compat) on a graph of its own, as the selftest resets lockdep between cases, and its
 * verdict is compared with the selftest's: FAILURE wants a first report of the right family,
 * SUCCESS wants no report and a clean execution.
 *
 *   test_lockdep_selftest [-v] [CASE...] [default|compat]
 *
 * prints one line per (case, mode), "ok NAME MODE" or "FAIL NAME MODE", then the totals, and exits
 * 1 on any failure.  CASE names run only those cases; -v prints every report in lockdep's layout.
 * README.md lists the cases and where lockstep's verdict deliberately differs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sched/strategy.h"
#include "../../src/buf.h"
#include "../../src/exec.h"
#include "../../src/lockdep/lockdep.h"

#include "selftest.h"

/* ---- the strategy ------------------------------------------------------------------------ */

/* The default choice everywhere (the task runs on; a self-IPI or a softirq runs where the
 * runtime delivers it), except an NMI at the marker st_nmi() loads. */
static int choose(struct ls_strategy *s, struct ls_point *pt)
{
	(void)s;
	if (!st_nmi_wanted || pt->addr != &st_nmi_marker)
		return 0;
	int n = ls_point_choices(pt);
	for (int i = 0; i < n; i++)
		if (pt->choices[i].kind == LS_CH_NMI)
			return i;
	return 0;
}

static void begin(struct ls_strategy *s, uint64_t seed)
{
	(void)s;
	(void)seed;
}

static struct ls_strategy strategy = { "selftest", begin, choose };

/* ---- verdicts ---------------------------------------------------------------------------- */

static const char *const family_names[F_NFAMILIES] = {
	"possible recursive locking",
	"interrupt takes a held instance (AA)",
	"possible circular locking dependency",
	"inconsistent lock state",
	"possible irq lock inversion dependency",
	"irq-safe -> irq-unsafe lock order",
	"bad unlock balance",
	"held lock freed",
	"invalid wait context",
	"lock held at context exit",
	"sleeping function called from invalid context",
	"unknown report",
};

static unsigned family_of(const struct ls_lockdep_report *r)
{
	switch (r->bug) {
	case LS_BUG_RECURSIVE:
		return F_AA;
	case LS_BUG_INTERRUPT_AA:
		return F_IRQ_AA;
	case LS_BUG_CIRCULAR:
		return F_CYCLE;
	case LS_BUG_USAGE:
		return F_USAGE;
	case LS_BUG_INVERSION:
		return F_INVERSION;
	case LS_BUG_IRQ_ORDER:
		return F_ORDER;
	case LS_BUG_UNLOCK:
		return F_UNLOCK;
	case LS_BUG_FREED:
		return F_FREED;
	case LS_BUG_HELD_AT_EXIT:
		return F_EXIT;
	case LS_BUG_WAIT_CONTEXT:
		return F_WAIT;
	default:
		return F_OTHER;
	}
}

static const char *family_name(unsigned f)
{
	return family_names[__builtin_ctz(f)];
}

/* What one execution said: the validator's reports, or the execution's own finding. */
struct said {
	enum ls_kind kind;
	int nreports;
	unsigned family[LS_MAX_REPORTS];
	char detail[256];
};

static bool sleep_bug(const struct said *s)
{
	return s->kind == LS_KIND_INVARIANT &&
	       strstr(s->detail, "sleeping function called from invalid context");
}

/* The family of what was said first, 0 for nothing. */
static unsigned first_family(const struct said *s)
{
	if (s->nreports)
		return s->family[0];
	return sleep_bug(s) ? F_SLEEP : 0;
}

static bool agrees(unsigned expect, const struct said *s)
{
	if (expect == SUCCESS)
		return s->nreports == 0 && s->kind == LS_KIND_NONE;
	return (first_family(s) & expect) != 0;
}

static void describe_expect(unsigned expect, char *buf, size_t n)
{
	if (expect == SUCCESS) {
		snprintf(buf, n, "SUCCESS (no report)");
		return;
	}
	size_t k = (size_t)snprintf(buf, n, "FAILURE (");
	for (unsigned f = 1; f && k < n; f <<= 1)
		if (expect & f)
			k += (size_t)snprintf(buf + k, n - k, "%s%s", k > 9 ? " or " : "",
					      family_name(f));
	if (k < n)
		snprintf(buf + k, n - k, ")");
}

static void describe_said(const struct said *s, char *buf, size_t n)
{
	if (s->nreports == 0) {
		if (s->kind == LS_KIND_NONE)
			snprintf(buf, n, "no report");
		else
			snprintf(buf, n, "no report; the execution ended as %s: %s",
				 ls_kind_name(s->kind), s->detail);
		return;
	}
	size_t k = (size_t)snprintf(buf, n, "%s", family_name(s->family[0]));
	for (int i = 1; i < s->nreports && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, ", then %s", family_name(s->family[i]));
	if (s->kind != LS_KIND_NONE && s->kind != LS_KIND_LOCKDEP && k < n)
		snprintf(buf + k, n - k, " (the execution ended as %s)", ls_kind_name(s->kind));
}

/* ---- running ----------------------------------------------------------------------------- */

static const char *const mode_names[M_NMODES] = { "default", "compat" };
static const enum ls_lockdep_mode modes[M_NMODES] = { LS_LOCKDEP_ON, LS_LOCKDEP_COMPAT };

static struct said run_case(struct ls_session *s, int i, enum st_mode mode, bool verbose)
{
	struct said out = { 0 };
	struct ls_result r;
	s->variant = i;
	ls_session_set_lockdep(s, modes[mode]);
	out.kind = ls_session_run(s, &strategy, 0, &r);
	out.nreports = ls_lockdep_nreports();
	for (int k = 0; k < out.nreports; k++)
		out.family[k] = family_of(ls_lockdep_report_at(k));
	snprintf(out.detail, sizeof(out.detail), "%s", s->m->out.detail);
	if (verbose) {
		for (int k = 0; k < out.nreports; k++) {
			struct ls_buf b = { 0 };
			ls_lockdep_render(ls_lockdep_report_at(k), s->m, &b);
			printf("%s\n", b.s ? b.s : "");
			ls_buf_finish(&b);
		}
		if (out.kind != LS_KIND_NONE && out.kind != LS_KIND_LOCKDEP)
			printf("execution: %s: %s\n", ls_kind_name(out.kind), out.detail);
	}
	return out;
}

static bool selected(const char *name, int argc, char **argv, int first)
{
	bool any = false;
	for (int a = first; a < argc; a++) {
		if (strcmp(argv[a], "default") == 0 || strcmp(argv[a], "compat") == 0)
			continue;
		any = true;
		if (strcmp(argv[a], name) == 0)
			return true;
	}
	return !any;
}

int main(int argc, char **argv)
{
	bool verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	int first = verbose ? 2 : 1;
	bool want_mode[M_NMODES] = { false, false }, any_mode = false;
	for (int a = first; a < argc; a++)
		for (int m = 0; m < M_NMODES; m++)
			if (strcmp(argv[a], mode_names[m]) == 0)
				want_mode[m] = any_mode = true;
	if (!any_mode)
		want_mode[M_DEFAULT] = want_mode[M_COMPAT] = true;

	st_cases_basic();
	st_cases_rwlock();
	st_cases_irq();
	st_cases_wait();
	st_cases_nest();
	st_cases_lockstep();
	st_target_ready();

	int total = 0, failed = 0;
	for (int m = 0; m < M_NMODES; m++) {
		if (!want_mode[m])
			continue;
		struct ls_session s;
		struct ls_config cfg;
		char err[256];
		ls_config_default(&cfg);
		if (!ls_session_init(&s, &st_target, 0, &cfg, err, sizeof(err))) {
			fprintf(stderr, "lockdep-selftest: %s\n", err);
			return 1;
		}
		for (int i = 0; i < st_ncases; i++) {
			const struct st_case *c = &st_cases[i];
			if (!selected(c->name, argc, argv, first))
				continue;
			struct said said = run_case(&s, i, (enum st_mode)m, verbose);
			bool ok = agrees(c->expect[m], &said);
			char got[512];
			describe_said(&said, got, sizeof(got));
			total++;
			if (ok) {
				printf("ok %s %s  # %s\n", c->name, mode_names[m], got);
				continue;
			}
			failed++;
			char want[256];
			describe_expect(c->expect[m], want, sizeof(want));
			printf("FAIL %s %s  # lockdep: %s; lockstep: %s\n", c->name, mode_names[m],
			       want, got);
			printf("  reproduce: %s -v %s %s\n", argv[0], c->name, mode_names[m]);
		}
		ls_session_finish(&s);
	}
	printf("lockdep-selftest: %d combinations, %d passed, %d failed\n", total, total - failed,
	       failed);
	return failed ? 1 : 0;
}

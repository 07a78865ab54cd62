/* Suite `nmi`, test `nmi-reentry`: back-to-back NMIs on one CPU.
 *
 * When an NMI handler returns, its exit is a forced scheduling point that may inject the next
 * NMI on the same CPU.  That re-enters the very context that is exiting, on its other stack; the
 * scheduler once compared contexts instead of fibers there, never left the dying stack and
 * aborted ("a finished context was resumed").  The second NMI must run after the first returned
 * and the execution end cleanly. */
#include <lockstep/kernel.h>

#include "check.h"
#include "harness.h"

static int x, nmi_runs;

static void task_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++)
		WRITE_ONCE(x, i);
}

static void nmi_fn(void *arg)
{
	(void)arg;
	nmi_runs++;
	(void)READ_ONCE(x);
}

static void target_init(int v)
{
	(void)v;
	x = nmi_runs = 0;
}

static const struct ls_task_decl tasks[] = { { "t0", 0, task_fn, NULL } };
static const struct ls_irq_decl nmis[] = { { "nmi", 0x1, 2, nmi_fn, NULL } };
static const struct ls_variant variants[] = { { "default", "test", LS_KIND_NONE } };
static const struct ls_target target = {
	.name = "test/nmi-reentry",
	.summary = "test",
	.models = "tests",
	.ncpus = 1,
	.tasks = tasks,
	.ntasks = 1,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = 1,
	.init = target_init,
};

static void first_nmi_begin(struct ls_strategy *s, uint64_t seed)
{
	(void)s;
	(void)seed;
}

/* Takes an NMI injection whenever one is offered. */
static int first_nmi_choose(struct ls_strategy *s, struct ls_point *pt)
{
	(void)s;
	int n = ls_point_choices(pt);
	for (int i = 0; i < n; i++)
		if (pt->choices[i].kind == LS_CH_NMI)
			return i;
	return 0;
}

static int test_back_to_back_nmis_on_one_cpu_both_run(void)
{
	struct ls_session s;
	struct ls_config cfg;
	struct ls_result r;
	char err[256];
	ls_config_default(&cfg);
	CHECKF(ls_session_init(&s, &target, 0, &cfg, err, sizeof(err)), "%s", err);
	struct ls_strategy st = { "nmi-first", first_nmi_begin, first_nmi_choose };
	enum ls_kind k = ls_session_run(&s, &st, 0, &r);
	CHECKF(k == LS_KIND_NONE, "outcome %s %s", ls_kind_name(k), r.signature);
	CHECK(nmi_runs == 2);
	ls_session_finish(&s);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_back_to_back_nmis_on_one_cpu_both_run, status);
	return status;
}

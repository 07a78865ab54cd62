/* Suite `nmi`: NMI semantics under a strategy that injects an NMI at every opportunity.
 *
 * The inline target has one task per CPU.  Each task writes its CPU's progress counter at every
 * step, first with interrupts off (local_irq_save), then with them back on.  The NMI handler
 * reads the counter at its start and end, raises a hardirq on its own CPU (ls_irq_raise), and
 * checks it is not nested.  The raised-irq handler checks it runs outside any NMI, in hardirq
 * context, and after the interrupted task re-enabled interrupts. */
#include <stdarg.h>

#include <lockstep/kernel.h>

#include "check.h"
#include "harness.h"

#define NCPUS 2
#define SEEDS 500

static int counter[NCPUS];
static int in_critical[NCPUS];	/* plain: the task is between local_irq_save and _restore */
static int nmi_depth[NCPUS];	/* plain: handlers of this CPU currently entered */
static int dummy;
static DEFINE_SPINLOCK(other_lock);
static unsigned nmi_runs, nmi_in_critical, raised_runs;
static char failure[512];

static void fail_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail_once(const char *fmt, ...)
{
	if (failure[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(failure, sizeof(failure), fmt, ap);
	va_end(ap);
}

static void task_fn(void *arg)
{
	int cpu = (int)(intptr_t)arg;
	unsigned long flags;
	int n = 0;
	if (ls_cpu() != cpu)
		fail_once("task for CPU%d runs on CPU%d", cpu, ls_cpu());
	local_irq_save(flags);
	in_critical[cpu] = 1;
	for (int i = 0; i < 4; i++)
		WRITE_ONCE(counter[cpu], ++n);
	in_critical[cpu] = 0;
	local_irq_restore(flags);
	for (int i = 0; i < 3; i++)
		WRITE_ONCE(counter[cpu], ++n);
	spin_lock(&other_lock);
	WRITE_ONCE(counter[cpu], ++n);
	spin_unlock(&other_lock);
}

static void nmi_fn(void *arg)
{
	(void)arg;
	int cpu = ls_cpu();
	nmi_runs++;
	if (!in_nmi())
		fail_once("NMI handler on CPU%d: in_nmi() is false", cpu);
	if (!irqs_disabled())
		fail_once("NMI handler on CPU%d runs with interrupts enabled", cpu);
	if (nmi_depth[cpu]++ != 0)
		fail_once("NMI nested inside an NMI on CPU%d", cpu);
	if (in_critical[cpu])
		nmi_in_critical++;
	int before = READ_ONCE(counter[cpu]);
	ls_irq_raise(cpu);
	(void)READ_ONCE(dummy);
	(void)READ_ONCE(dummy);
	int after = READ_ONCE(counter[cpu]);
	if (before != after)
		fail_once("the task on CPU%d advanced from %d to %d under its NMI", cpu, before,
			  after);
	nmi_depth[cpu]--;
}

static void raised_fn(int cpu)
{
	raised_runs++;
	if (!in_hardirq())
		fail_once("raised irq on CPU%d does not run in hardirq context", cpu);
	if (ls_cpu() != cpu)
		fail_once("raised irq for CPU%d runs on CPU%d", cpu, ls_cpu());
	if (nmi_depth[cpu] != 0)
		fail_once("raised irq on CPU%d runs before its NMI returned", cpu);
	if (in_critical[cpu])
		fail_once("raised irq on CPU%d runs while the task has interrupts disabled", cpu);
	(void)READ_ONCE(dummy);
}

static void target_init(int v)
{
	(void)v;
	for (int i = 0; i < NCPUS; i++)
		counter[i] = in_critical[i] = nmi_depth[i] = 0;
	dummy = 0;
	spin_lock_init(&other_lock);
	ls_set_raised_irq_handler(raised_fn);
}

static const struct ls_task_decl tasks[] = {
	{ "t0", 0, task_fn, (void *)(intptr_t)0 },
	{ "t1", 1, task_fn, (void *)(intptr_t)1 },
};
static const struct ls_irq_decl nmis[] = {
	{ "test_nmi", 0x3, 4, nmi_fn, NULL },
};
static const struct ls_variant variants[] = {
	{ "default", "NMI semantics", LS_KIND_NONE },
};
static const struct ls_target nmi_target = {
	.name = "test/nmi",
	.summary = "NMI semantics",
	.models = "tests",
	.ncpus = NCPUS,
	.tasks = tasks,
	.ntasks = 2,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = 1,
	.init = target_init,
};

/* Injects an NMI whenever one is offered (a random one of those offered), otherwise picks a
 * random choice; checks that no NMI is offered on a CPU whose NMI is active. */
struct nmi_eager {
	struct ls_strategy base;
	uint64_t rng;
	unsigned offered_while_active;
	unsigned nmi_offers;
};

static void eager_begin(struct ls_strategy *s, uint64_t seed)
{
	((struct nmi_eager *)s)->rng = ls_mix64(seed + 1);
}

static int eager_choose(struct ls_strategy *s, struct ls_point *pt)
{
	struct nmi_eager *e = (struct nmi_eager *)s;
	int n = ls_point_choices(pt);
	int nmi_idx[LS_MAX_CHOICES], nn = 0;
	int other_idx[LS_MAX_CHOICES], no = 0;
	for (int i = 0; i < n; i++) {
		if (pt->choices[i].kind != LS_CH_NMI) {
			other_idx[no++] = i;
			continue;
		}
		int cpu = pt->choices[i].cpu;
		e->nmi_offers++;
		if (pt->m->cpu[cpu].nmi->state != LS_IDLE || nmi_depth[cpu] != 0)
			e->offered_while_active++;
		nmi_idx[nn++] = i;
	}
	e->rng = ls_mix64(e->rng);
	if (nn > 0)
		return nmi_idx[e->rng % (uint64_t)nn];
	return other_idx[e->rng % (uint64_t)no];
}

static int test_nmi_handlers_never_nest_and_freeze_the_interrupted_task(void)
{
	struct ls_session s;
	struct ls_config cfg;
	char err[256];
	ls_config_default(&cfg);
	CHECKF(ls_session_init(&s, &nmi_target, 0, &cfg, err, sizeof(err)), "%s", err);
	struct nmi_eager e = { { "nmi-eager", eager_begin, eager_choose }, 0, 0, 0 };
	nmi_runs = nmi_in_critical = raised_runs = 0;
	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		struct ls_result r;
		failure[0] = 0;
		enum ls_kind k = ls_session_run(&s, &e.base, seed, &r);
		if (failure[0] || k != LS_KIND_NONE || e.offered_while_active) {
			fprintf(stderr, "seed %llu: outcome %s %s; %s; %u NMI offers on a CPU in NMI\n",
				(unsigned long long)seed, ls_kind_name(k), r.signature,
				failure[0] ? failure : "no handler failure", e.offered_while_active);
			return TEST_FAIL;
		}
		for (int c = 0; c < NCPUS; c++)
			CHECKF(!s.m->cpu[c].irq_pending, "seed %llu: raised irq on CPU%d never ran",
			       (unsigned long long)seed, c);
	}
	printf("%u NMIs (%u inside irq-off sections), %u raised irqs, %u NMI offers\n", nmi_runs,
	       nmi_in_critical, raised_runs, e.nmi_offers);
	/* Every execution injects the whole budget: 4 per CPU. */
	CHECK(nmi_runs == SEEDS * 4 * NCPUS);
	CHECK(nmi_in_critical > 0);
	CHECK(raised_runs > 0);
	ls_session_finish(&s);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_nmi_handlers_never_nest_and_freeze_the_interrupted_task, status);
	return status;
}

/* Suite `semantics`, waiting: interrupts land on CPUs that wait.  A CPU that spins on a lock, sits
 * in mdelay() or waits with a deadline is still a CPU: an NMI (and a hardirq, when its
 * interrupts are on) may land on it at every step another CPU takes, right after the store that
 * wakes it, and at the first instant of its wait, where nothing else can run. */
#include "semantics.h"

/* ---- a CPU spinning in spin_lock ---------------------------------------------------------------
 *
 * semantics/spinner: t1 (CPU1) holds sp_lock for three stores; t0 (CPU0) takes it with
 * spin_lock() (variant spin_lock) or spin_lock_irqsave() (variant spin_lock_irqsave), with a
 * plain flag sp_inside set around the call and the unlock.  An NMI source and a hardirq source
 * on CPU0 note whether t0 was parked (spinning) when they landed.
 *
 *	t0 (CPU0)				t1 (CPU1)
 *	WRITE_ONCE(sp_word, 1)			spin_lock(&sp_lock)
 *	sp_inside = 1				WRITE_ONCE(sp_word, 10..12)
 *	spin_lock[_irqsave](&sp_lock)		spin_unlock(&sp_lock)
 *	WRITE_ONCE(sp_word, 2)
 *	spin_unlock[_irqrestore](&sp_lock)
 *	sp_inside = 0
 *
 * Results: an NMI on the spinning t0: Sometimes, in both variants.  A hardirq on the spinning t0:
 * Sometimes with spin_lock, Never with spin_lock_irqsave (nor anywhere inside it).  Kept before
 * f4e2293 (interrupts could land on a waiting CPU whenever another CPU took a step). */
enum { SP_SPIN_LOCK, SP_SPIN_LOCK_IRQSAVE };

static DEFINE_SPINLOCK(sp_lock);
static long sp_word;
static int sp_variant, sp_inside, sp_nmi_on_spinner, sp_irq_on_spinner, sp_irq_runs;

static void sp_waiter(void *arg)
{
	(void)arg;
	unsigned long f = 0;
	WRITE_ONCE(sp_word, 1);
	sp_inside = 1;
	if (sp_variant == SP_SPIN_LOCK_IRQSAVE)
		spin_lock_irqsave(&sp_lock, f);
	else
		spin_lock(&sp_lock);
	WRITE_ONCE(sp_word, 2);
	if (sp_variant == SP_SPIN_LOCK_IRQSAVE)
		spin_unlock_irqrestore(&sp_lock, f);
	else
		spin_unlock(&sp_lock);
	sp_inside = 0;
}

static void sp_holder(void *arg)
{
	(void)arg;
	spin_lock(&sp_lock);
	for (int i = 10; i < 13; i++)
		WRITE_ONCE(sp_word, i);
	spin_unlock(&sp_lock);
}

static bool sp_t0_spinning(void)
{
	return sem_machine()->ctx[0].state == LS_PARKED;
}

static void sp_nmi(void *arg)
{
	(void)arg;
	sp_nmi_on_spinner += sp_t0_spinning();
	(void)READ_ONCE(sp_word);
}

static void sp_irq(void *arg)
{
	(void)arg;
	sp_irq_runs++;
	sp_irq_on_spinner += sp_t0_spinning();
	if (sp_variant == SP_SPIN_LOCK_IRQSAVE && sp_inside)
		ls_fail(LS_SITE("sp_irq"), "a hardirq landed inside spin_lock_irqsave()'s section");
	(void)READ_ONCE(sp_word);
}

static void sp_init(int variant)
{
	sp_variant = variant;
	sp_word = 0;
	sp_inside = sp_nmi_on_spinner = sp_irq_on_spinner = sp_irq_runs = 0;
	spin_lock_init(&sp_lock);
}

static const struct ls_task_decl sp_tasks[] = {
	{ "t0", 0, sp_waiter, NULL },
	{ "t1", 1, sp_holder, NULL },
};
static const struct ls_irq_decl sp_nmis[] = { { "nmi", 0x1, 1, sp_nmi, NULL } };
static const struct ls_irq_decl sp_irqs[] = { { "irq", 0x1, 1, sp_irq, NULL } };
static const struct ls_variant sp_variants[] = {
	[SP_SPIN_LOCK] = { "spin_lock", "interrupts on while spinning", LS_KIND_NONE },
	[SP_SPIN_LOCK_IRQSAVE] = { "spin_lock_irqsave", "interrupts off while spinning",
				   LS_KIND_NONE },
};
static const struct ls_target spinner_target = {
	.name = "semantics/spinner",
	.summary = "interrupts on a CPU spinning in spin_lock",
	.models = "tests/semantics",
	.ncpus = 2,
	.tasks = sp_tasks,
	.ntasks = 2,
	.nmis = sp_nmis,
	.nnmis = 1,
	.irqs = sp_irqs,
	.nirqs = 1,
	.variants = sp_variants,
	.nvariants = SEM_ARRAY_SIZE(sp_variants),
	.init = sp_init,
};

#define SP_SEEDS 3000

/* Runs the random walk on variant v until *hits is non-zero; returns the seed, or SP_SEEDS.
 * Fails (returns UINT64_MAX) on an execution that is not clean. */
static uint64_t sp_first(int v, int *hits)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	uint64_t seed;
	sem_open(&s, &spinner_target, v, NULL);
	sem_strategy_init(&walk, NULL, SEM_P_SWITCH, SEM_P_SLOW, SEM_P_IRQ);
	for (seed = 0; seed < SP_SEEDS; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if (r.kind != LS_KIND_NONE) {
			sem_explain(&s, &r, "random");
			seed = UINT64_MAX;
			break;
		}
		if (*hits)
			break;
	}
	ls_session_finish(&s);
	return seed;
}

int nmi_lands_on_a_cpu_spinning_in_spin_lock(void)
{
	for (int v = 0; v < SEM_ARRAY_SIZE(sp_variants); v++) {
		uint64_t seed = sp_first(v, &sp_nmi_on_spinner);
		CHECK(seed != UINT64_MAX);
		CHECKF(seed < SP_SEEDS, "%s: no NMI on the spinning CPU in %d random executions",
		       sp_variants[v].name, SP_SEEDS);
		printf("%s: an NMI on the spinning CPU at seed %" PRIu64 "\n", sp_variants[v].name,
		       seed);
	}
	return TEST_PASS;
}

int hardirq_lands_on_a_cpu_spinning_with_irqs_on(void)
{
	uint64_t seed = sp_first(SP_SPIN_LOCK, &sp_irq_on_spinner);
	CHECK(seed != UINT64_MAX);
	CHECKF(seed < SP_SEEDS, "no hardirq on the spinning CPU in %d random executions", SP_SEEDS);
	printf("a hardirq on the spinning CPU at seed %" PRIu64 "\n", seed);
	return TEST_PASS;
}

struct sp_tally {
	uint64_t irqs, on_spinner;
};

static int sp_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	struct sp_tally *t = arg;
	(void)s;
	t->irqs += (uint64_t)sp_irq_runs;
	t->on_spinner += (uint64_t)sp_irq_on_spinner;
	return r->kind == LS_KIND_NONE && !sp_irq_on_spinner ? SEM_GO_ON : SEM_FAILED;
}

int hardirq_never_lands_on_a_cpu_spinning_in_spin_lock_irqsave(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	struct sp_tally t = { 0, 0 };
	uint64_t executions;
	sem_open(&s, &spinner_target, SP_SPIN_LOCK_IRQSAVE, NULL);
	sem_strategy_init(&walk, NULL, SEM_P_SWITCH, SEM_P_SLOW, 0.3);
	for (uint64_t seed = 0; seed < SP_SEEDS; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if (sp_each(&s, &r, &t) != SEM_GO_ON) {
			sem_explain(&s, &r, "random p-switch 0.1 p-slow 0.02 p-irq 0.3");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
	}
	ls_session_finish(&s);
	int rc = sem_dfs(&spinner_target, SP_SPIN_LOCK_IRQSAVE, NULL, 1, 1, false, sp_each, &t,
			 &executions);
	CHECKF(rc == SEM_GO_ON, "dfs preemptions 1 nmis 1: stopped at execution %" PRIu64,
	       executions - 1);
	printf("%" PRIu64 " hardirqs in %d random executions and %" PRIu64 " dfs executions, "
	       "none on the spinning CPU\n", t.irqs, SP_SEEDS, executions);
	CHECK(t.irqs > 0);
	return TEST_PASS;
}

/* ---- a lone CPU in mdelay() ------------------------------------------------------------------
 *
 * semantics/lone-delay: one CPU, one task.
 *
 *	t0					NMI
 *	dl_end = ls_now() + 20 ms		if dl_in: t = ls_now()
 *	dl_in = 1
 *	mdelay(20)
 *	dl_in = 0
 *
 * While t0 waits nothing can run, so the point before the clock jumps offers the NMI (choice 0
 * there is "let time pass").  Result: the NMI lands inside the delay with t < dl_end: Sometimes.
 * New in f4e2293: before it the clock jumped to the deadline without offering anything, so an
 * NMI came at the end of the delay at the earliest. */
#define DL_NS ((uint64_t)20 * 1000 * 1000)

static long dl_word;
static uint64_t dl_end;
static int dl_in, dl_inside_before_end, dl_nmi_runs;

static void dl_task(void *arg)
{
	(void)arg;
	dl_end = ls_now() + DL_NS;
	dl_in = 1;
	mdelay(20);
	dl_in = 0;
	WRITE_ONCE(dl_word, 1);
}

static void dl_nmi(void *arg)
{
	(void)arg;
	dl_nmi_runs++;
	if (dl_in && ls_now() < dl_end)
		dl_inside_before_end++;
	(void)READ_ONCE(dl_word);
}

static void dl_init(int variant)
{
	(void)variant;
	dl_word = 0;
	dl_end = 0;
	dl_in = dl_inside_before_end = dl_nmi_runs = 0;
}

static const struct ls_task_decl dl_tasks[] = { { "t0", 0, dl_task, NULL } };
static const struct ls_irq_decl dl_nmis[] = { { "nmi", 0x1, 1, dl_nmi, NULL } };
SEM_TARGET(lone_delay_target, "semantics/lone-delay", .ncpus = 1, .tasks = dl_tasks, .ntasks = 1,
	   .nmis = dl_nmis, .nnmis = 1, .init = dl_init);

#define DL_SEEDS 2000

static int dl_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	(void)s;
	(void)arg;
	if (r->kind != LS_KIND_NONE)
		return SEM_FAILED;
	return dl_inside_before_end ? SEM_FOUND : SEM_GO_ON;
}

int nmi_lands_inside_a_lone_cpus_mdelay(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	uint64_t seed, executions;
	int rc = SEM_GO_ON;
	sem_open(&s, &lone_delay_target, 0, NULL);
	sem_strategy_init(&walk, NULL, SEM_P_SWITCH, SEM_P_SLOW, SEM_P_IRQ);
	for (seed = 0; seed < DL_SEEDS && rc == SEM_GO_ON; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if ((rc = dl_each(&s, &r, NULL)) == SEM_FAILED)
			sem_explain(&s, &r, "random");
	}
	ls_session_finish(&s);
	CHECKF(rc == SEM_FOUND, "random: %s", rc == SEM_GO_ON ? "not found" : "failed");
	printf("random: an NMI inside the delay at seed %" PRIu64 "\n", seed - 1);
	rc = sem_dfs(&lone_delay_target, 0, NULL, 0, 1, true, dl_each, NULL, &executions);
	CHECKF(rc == SEM_FOUND, "dfs nmis 1: %s after %" PRIu64 " executions",
	       rc == SEM_GO_ON ? "not found" : "failed", executions);
	printf("dfs nmis 1: found at execution %" PRIu64 "\n", executions - 1);
	return TEST_PASS;
}

/* ---- between the wake and the re-read ---------------------------------------------------------
 *
 * semantics/wake, variant observe: t1 (CPU1) holds L; t0 (CPU0) waits for it.  t1's release
 * store wakes t0; before t0 re-reads the lock word, an NMI on CPU0 lands.
 *
 *	t0 (CPU0)		t1 (CPU1)		NMI (CPU0)
 *	spin_lock(&L)		spin_lock(&L)		woken, not re-read?
 *	wk_t0_took = 1		WRITE_ONCE(wk_word, 1)
 *	spin_unlock(&L)		spin_unlock(&L)
 *				wk_released = 1
 *				WRITE_ONCE(wk_word, 2)
 *
 * The strategy injects the NMI at the first point where t1 released, t0 has not taken L, and the
 * machine shows t0 woken (ready) with its park still its announced operation.  Result: such a
 * landing: Sometimes; the execution ends cleanly: Always.  Kept before f4e2293.
 *
 * The same target serves the acquisition and wait-for cases (variant take: the NMI takes L). */
static DEFINE_SPINLOCK(L);
static long wk_word;
static int wk_variant, wk_t0_took, wk_released, wk_between;

static void wk_t0(void *arg)
{
	(void)arg;
	spin_lock(&L);
	wk_t0_took = 1;
	spin_unlock(&L);
}

static void wk_t1(void *arg)
{
	(void)arg;
	spin_lock(&L);
	WRITE_ONCE(wk_word, 1);
	spin_unlock(&L);
	wk_released = 1;
	WRITE_ONCE(wk_word, 2);
}

bool wake_t0_woken_not_reread(const struct ls_machine *m)
{
	const struct ls_ctx *t0 = &m->ctx[0];
	return wk_released && !wk_t0_took && t0->state == LS_READY && t0->op == LS_OP_PARK;
}

static void wk_nmi(void *arg)
{
	(void)arg;
	if (wk_variant == WAKE_OBSERVE) {
		wk_between += wake_t0_woken_not_reread(sem_machine());
		(void)READ_ONCE(wk_word);
		return;
	}
	spin_lock(&L);
	WRITE_ONCE(wk_word, 3);
	spin_unlock(&L);
}

static void wk_init(int variant)
{
	wk_variant = variant;
	wk_word = 0;
	wk_t0_took = wk_released = wk_between = 0;
}

static const struct ls_task_decl wk_tasks[] = {
	{ "t0", 0, wk_t0, NULL },
	{ "t1", 1, wk_t1, NULL },
};
static const struct ls_irq_decl wk_nmis[] = { { "nmi", 0x1, 1, wk_nmi, NULL } };
static const struct ls_variant wk_variants[] = {
	[WAKE_OBSERVE] = { "observe", "the NMI only looks", LS_KIND_NONE },
	[WAKE_TAKE] = { "take", "the NMI takes L", LS_KIND_COUNT },
};
const struct ls_target semantics_wake_target = {
	.name = "semantics/wake",
	.summary = "an NMI on a waiter between its wake and its re-read",
	.models = "tests/semantics",
	.ncpus = 2,
	.tasks = wk_tasks,
	.ntasks = 2,
	.nmis = wk_nmis,
	.nnmis = 1,
	.variants = wk_variants,
	.nvariants = SEM_ARRAY_SIZE(wk_variants),
	.init = wk_init,
};

static int pick_nmi_between_wake_and_reread(struct sem_strategy *s, struct ls_point *pt)
{
	(void)s;
	return wake_t0_woken_not_reread(pt->m) ? sem_choice(pt, LS_CH_NMI, 0) : -1;
}

#define WK_SEEDS 3000

int nmi_lands_on_a_waiter_between_its_wake_and_its_reread(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy st;
	uint64_t seed, first = UINT64_MAX;
	sem_open(&s, &semantics_wake_target, WAKE_OBSERVE, NULL);
	sem_strategy_init(&st, pick_nmi_between_wake_and_reread, SEM_P_SWITCH, 0, 0);
	for (seed = 0; seed < WK_SEEDS; seed++) {
		ls_session_run(&s, &st.base, seed, &r);
		if (r.kind != LS_KIND_NONE) {
			sem_explain(&s, &r, "NMI between the wake and the re-read, else random");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
		if (wk_between && first == UINT64_MAX)
			first = seed;
	}
	ls_session_finish(&s);
	CHECKF(first != UINT64_MAX, "no NMI between the wake and the re-read in %d executions",
	       WK_SEEDS);
	printf("an NMI between the wake and the re-read first at seed %" PRIu64 "\n", first);
	return TEST_PASS;
}

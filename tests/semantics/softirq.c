/* Suite `semantics`, softirq: where a softirq runs, what it may be interrupted by, and what the
 * kernel's checks say about code that runs in it.
 *
 * Each CPU has one softirq context.  A raised vector runs there as the hardirq that raised it
 * exits (irq_exit()), unless what it returns to serves a softirq or has bottom halves disabled;
 * inside the local_bh_enable() (or spin_unlock_bh()) that turns bottom halves back on; and,
 * raised from a task, at the first instant the task could be preempted (where the kernel would
 * wake ksoftirqd).  It runs with interrupts on, so hardirqs and NMIs land on it; one raised while
 * a softirq is served runs after the current handler, in the same entry, never nested.  In it
 * in_serving_softirq() and in_interrupt() are true, might_sleep() is a BUG, and locks taken are
 * marked IN-SOFTIRQ for the validator.
 *
 * None of these could be expressed before the machine had a softirq context (after f4e2293), so
 * the table marks them "new". */
#include "semantics.h"

/* The softirq context of CPU cpu in the running machine. */
static const struct ls_ctx *softirq_ctx(int cpu)
{
	return sem_machine()->cpu[cpu].softirq;
}

/* Fails the execution unless the caller runs as a softirq handler should: in CPU cpu's softirq
 * context, over task `task`, serving a softirq, in interrupt, with interrupts on. */
static void check_softirq_context(const char *who, int cpu, int task)
{
	const char *name = ls_ctx_name(ls_ctx_id());
	char want[24];
	snprintf(want, sizeof(want), "softirq@cpu%d", cpu);
	if (ls_ctx_kind() != LS_CTX_SOFTIRQ || ls_cpu() != cpu || strcmp(name, want) != 0)
		ls_fail(LS_SITE("check_softirq_context"), "%s ran in %s (kind %d) on CPU%d", who,
			name, (int)ls_ctx_kind(), ls_cpu());
	if (!in_serving_softirq() || !in_softirq() || !in_interrupt())
		ls_fail(LS_SITE("check_softirq_context"), "%s: in_serving_softirq() %d, "
			"in_softirq() %d, in_interrupt() %d", who, in_serving_softirq(),
			in_softirq(), in_interrupt());
	if (irqs_disabled())
		ls_fail(LS_SITE("check_softirq_context"), "%s ran with interrupts off", who);
	if (ls_ctx_task() != task)
		ls_fail(LS_SITE("check_softirq_context"), "%s ran over context %d, not task %d", who,
			ls_ctx_task(), task);
}

/* Runs seeds [0, n) of t:variant under st, calling each() after every execution as sem_dfs()
 * does; on a failure explains it under `label`.  Returns SEM_GO_ON or TEST_FAIL. */
static int sweep(const struct ls_target *t, int variant, struct sem_strategy *st, uint64_t n,
		 const char *label,
		 int (*each)(struct ls_session *s, const struct ls_result *r, void *arg), void *arg)
{
	struct ls_session s;
	struct ls_result r;
	sem_open(&s, t, variant, NULL);
	for (uint64_t seed = 0; seed < n; seed++) {
		ls_session_run(&s, &st->base, seed, &r);
		if (each(&s, &r, arg) != SEM_GO_ON) {
			sem_explain(&s, &r, label);
			ls_session_finish(&s);
			return TEST_FAIL;
		}
	}
	ls_session_finish(&s);
	return SEM_GO_ON;
}

/* ---- irq_exit() ------------------------------------------------------------------------------
 *
 * semantics/softirq-irq-exit: one CPU, interrupts and bottom halves always on in the task.  The
 * task makes four stores, counting them in a plain counter.  A hardirq source (one injection)
 * notes the count, raises NET_RX, and makes a load before it returns.
 *
 *	task				hardirq				NET_RX (softirq)
 *	WRITE_ONCE(ie_word, i)		n = ie_ops; ie_in_irq = 1	the hardirq returned?
 *	ie_ops++	(x4)		raise_softirq(NET_RX_SOFTIRQ)	ie_ops == n ?
 *					READ_ONCE(ie_word)		context: softirq@cpu0
 *					ie_in_irq = 0			READ_ONCE(ie_word)
 *
 * Result: NET_RX runs once per hardirq, after the hardirq returned and before the task's next
 * store, in softirq@cpu0 with in_serving_softirq(), in_interrupt() and interrupts on: Always. */
static long ie_word;
static int ie_ops, ie_ops_at_irq, ie_in_irq, ie_irq_runs, ie_softirq_runs;

static void ie_task(void *arg)
{
	(void)arg;
	for (int i = 1; i <= 4; i++) {
		WRITE_ONCE(ie_word, i);
		ie_ops++;
	}
}

static void ie_irq(void *arg)
{
	(void)arg;
	ie_irq_runs++;
	ie_ops_at_irq = ie_ops;
	ie_in_irq = 1;
	raise_softirq(NET_RX_SOFTIRQ);
	(void)READ_ONCE(ie_word);
	if (ie_softirq_runs)
		ls_fail(LS_SITE("ie_irq"), "the softirq ran inside the hardirq that raised it");
	ie_in_irq = 0;
}

static void ie_softirq(void)
{
	ie_softirq_runs++;
	check_softirq_context("NET_RX", 0, 0);
	if (ie_in_irq || softirq_ctx(0)->below != &sem_machine()->ctx[0])
		ls_fail(LS_SITE("ie_softirq"), "the softirq ran before the hardirq returned");
	if (ie_ops != ie_ops_at_irq)
		ls_fail(LS_SITE("ie_softirq"), "the task made %d stores between the hardirq and the "
			"softirq it raised", ie_ops - ie_ops_at_irq);
	(void)READ_ONCE(ie_word);
}

static void ie_init(int variant)
{
	(void)variant;
	ie_word = 0;
	ie_ops = ie_ops_at_irq = ie_in_irq = ie_irq_runs = ie_softirq_runs = 0;
	open_softirq(NET_RX_SOFTIRQ, ie_softirq);
}

static void ie_check(int variant)
{
	(void)variant;
	if (ie_softirq_runs != ie_irq_runs)
		ls_fail(LS_SITE("ie_check"), "%d hardirqs raised NET_RX, it ran %d times",
			ie_irq_runs, ie_softirq_runs);
}

static const struct ls_task_decl ie_tasks[] = { { "t0", 0, ie_task, NULL } };
static const struct ls_irq_decl ie_irqs[] = { { "raiser", 0x1, 1, ie_irq, NULL } };
SEM_TARGET(irq_exit_target, "semantics/softirq-irq-exit", .ncpus = 1, .tasks = ie_tasks,
	   .ntasks = 1, .irqs = ie_irqs, .nirqs = 1, .init = ie_init, .check = ie_check);

static int ie_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	uint64_t *ran = arg;
	(void)s;
	*ran += (uint64_t)ie_softirq_runs;
	return r->kind == LS_KIND_NONE ? SEM_GO_ON : SEM_FAILED;
}

#define IE_SEEDS 2000

int softirq_raised_in_hardirq_runs_at_irq_exit(void)
{
	struct sem_strategy walk;
	uint64_t ran = 0, executions;
	sem_strategy_init(&walk, NULL, 0, 0, 0.3);
	if (sweep(&irq_exit_target, 0, &walk, IE_SEEDS, "random p-irq 0.3", ie_each, &ran))
		return TEST_FAIL;
	printf("random: the softirq ran in %" PRIu64 " of %d executions\n", ran, IE_SEEDS);
	CHECK(ran > 0);
	ran = 0;
	int rc = sem_dfs(&irq_exit_target, 0, NULL, 0, 1, false, ie_each, &ran, &executions);
	CHECKF(rc == SEM_GO_ON, "dfs preemptions 0 nmis 1: stopped at execution %" PRIu64,
	       executions - 1);
	printf("dfs preemptions 0 nmis 1: %" PRIu64 " schedules, the softirq ran in %" PRIu64 "\n",
	       executions, ran);
	CHECK(ran > 0);
	return TEST_PASS;
}

/* ---- local_bh_enable() and spin_unlock_bh() ------------------------------------------------
 *
 * semantics/bh-enable: one CPU.  The task turns bottom halves off (local_bh_disable(), or
 * spin_lock_bh(): the variant), makes two stores, turns them back on the same way, then sets a
 * plain flag `bh_after` (no scheduling point between the call and the flag) and makes a last
 * store.  A hardirq source (one injection) raises NET_TX.
 *
 *	task				hardirq					NET_TX (softirq)
 *	<bh off>			raise_softirq_irqoff(NET_TX_SOFTIRQ)	task has bh on?
 *	WRITE_ONCE(bh_word, 1)						r = bh_after
 *	WRITE_ONCE(bh_word, 2)
 *	<bh on>
 *	bh_after = 1			(plain)
 *	WRITE_ONCE(bh_word, 3)
 *
 * Results: NET_TX runs over the task while it has bottom halves off: Never (so not as a hardirq
 * landing in the section exits); when the hardirq landed in the section, NET_TX runs once with
 * r == 0, inside the enabling call: Always. */
enum { BH_LOCAL, BH_SPIN };

static DEFINE_SPINLOCK(bh_lock);
static long bh_word;
static int bh_variant, bh_after, bh_irq_runs, bh_irq_in_section, bh_softirq_runs;

static void bh_task(void *arg)
{
	(void)arg;
	if (bh_variant == BH_LOCAL)
		local_bh_disable();
	else
		spin_lock_bh(&bh_lock);
	WRITE_ONCE(bh_word, 1);
	WRITE_ONCE(bh_word, 2);
	if (bh_variant == BH_LOCAL)
		local_bh_enable();
	else
		spin_unlock_bh(&bh_lock);
	bh_after = 1;
	WRITE_ONCE(bh_word, 3);
}

static void bh_irq(void *arg)
{
	(void)arg;
	bh_irq_runs++;
	/* Where it landed, as the machine has it: the task's own bottom-half state. */
	if (sem_machine()->ctx[0].bh)
		bh_irq_in_section++;
	raise_softirq_irqoff(NET_TX_SOFTIRQ);
}

static void bh_softirq(void)
{
	bh_softirq_runs++;
	check_softirq_context("NET_TX", 0, 0);
	if (sem_machine()->ctx[0].bh)
		ls_fail(LS_SITE("bh_softirq"), "the softirq ran over a task with bottom halves off");
	if (bh_irq_in_section && bh_after)
		ls_fail(LS_SITE("bh_softirq"), "the softirq pending at the enabling call ran after "
					      "the plain code that follows it");
}

static void bh_init(int variant)
{
	bh_variant = variant;
	bh_word = 0;
	bh_after = bh_irq_runs = bh_irq_in_section = bh_softirq_runs = 0;
	spin_lock_init(&bh_lock);
	open_softirq(NET_TX_SOFTIRQ, bh_softirq);
}

static void bh_check(int variant)
{
	(void)variant;
	if (bh_softirq_runs != bh_irq_runs)
		ls_fail(LS_SITE("bh_check"), "%d hardirqs raised NET_TX, it ran %d times",
			bh_irq_runs, bh_softirq_runs);
}

static const struct ls_task_decl bh_tasks[] = { { "t0", 0, bh_task, NULL } };
static const struct ls_irq_decl bh_irqs[] = { { "raiser", 0x1, 1, bh_irq, NULL } };
static const struct ls_variant bh_variants[] = {
	[BH_LOCAL] = { "local_bh_enable", "taken inside the enable", LS_KIND_NONE },
	[BH_SPIN] = { "spin_unlock_bh", "taken inside the unlock", LS_KIND_NONE },
};
static const struct ls_target bh_enable_target = {
	.name = "semantics/bh-enable",
	.summary = "a pending softirq runs inside the call that enables bottom halves",
	.models = "tests/semantics",
	.ncpus = 1,
	.tasks = bh_tasks,
	.ntasks = 1,
	.irqs = bh_irqs,
	.nirqs = 1,
	.variants = bh_variants,
	.nvariants = SEM_ARRAY_SIZE(bh_variants),
	.init = bh_init,
	.check = bh_check,
};

/* Injects the hardirq at the first point where the task has bottom halves off. */
static int pick_irq_while_task_bh_off(struct sem_strategy *s, struct ls_point *pt)
{
	(void)s;
	if (!pt->m->ctx[0].bh)
		return -1;
	return sem_choice(pt, LS_CH_IRQ, 0);
}

static int bh_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	uint64_t *in_section = arg;
	(void)s;
	*in_section += (uint64_t)bh_irq_in_section;
	return r->kind == LS_KIND_NONE ? SEM_GO_ON : SEM_FAILED;
}

/* Every eager execution has the hardirq in the section and runs the softirq there. */
static int bh_each_eager(struct ls_session *s, const struct ls_result *r, void *arg)
{
	(void)s;
	(void)arg;
	if (r->kind == LS_KIND_NONE && bh_irq_in_section == 1 && bh_softirq_runs == 1)
		return SEM_GO_ON;
	fprintf(stderr, "hardirq inside the bh-off section: %d, softirqs run: %d\n",
		bh_irq_in_section, bh_softirq_runs);
	return SEM_FAILED;
}

#define BH_EAGER_SEEDS 200
#define BH_RANDOM_SEEDS 2000

static int enabling_call_runs_the_pending_softirq(int variant)
{
	struct sem_strategy eager, walk;
	uint64_t in_section = 0, executions;
	sem_strategy_init(&eager, pick_irq_while_task_bh_off, SEM_P_SWITCH, 0, 0);
	if (sweep(&bh_enable_target, variant, &eager, BH_EAGER_SEEDS,
		  "hardirq at the first point with bh off, else random", bh_each_eager, NULL))
		return TEST_FAIL;
	/* Anywhere else too: a hardirq over the task with bottom halves on runs it at its exit. */
	sem_strategy_init(&walk, NULL, SEM_P_SWITCH, 0, 0.3);
	if (sweep(&bh_enable_target, variant, &walk, BH_RANDOM_SEEDS,
		  "random p-switch 0.1 p-irq 0.3", bh_each, &in_section))
		return TEST_FAIL;
	printf("%s: %" PRIu64 " of %d random executions had the hardirq inside the section\n",
	       bh_variants[variant].name, in_section, BH_RANDOM_SEEDS);
	CHECK(in_section > 0);
	in_section = 0;
	int rc = sem_dfs(&bh_enable_target, variant, NULL, 0, 1, false, bh_each, &in_section,
			 &executions);
	CHECKF(rc == SEM_GO_ON, "dfs preemptions 0 nmis 1: stopped at execution %" PRIu64,
	       executions - 1);
	printf("%s: dfs preemptions 0 nmis 1: %" PRIu64 " schedules, %" PRIu64
	       " with the hardirq inside the section\n", bh_variants[variant].name, executions,
	       in_section);
	CHECK(in_section > 0);
	return TEST_PASS;
}

int softirq_never_runs_over_bh_disabled_task_and_runs_at_local_bh_enable(void)
{
	return enabling_call_runs_the_pending_softirq(BH_LOCAL);
}

int spin_unlock_bh_runs_pending_softirq(void)
{
	return enabling_call_runs_the_pending_softirq(BH_SPIN);
}

/* ---- raised from a task ----------------------------------------------------------------------
 *
 * semantics/task-raise: two CPUs, a task on each.  Each raises BLOCK on its own CPU: with
 * interrupts, preemption and bottom halves on (raise_softirq()), inside preempt_disable() (then
 * two stores and preempt_enable()), or with raise_softirq_irqoff() inside local_irq_save() (then
 * two stores and local_irq_restore()): the variant.  A plain phase says whether the task passed
 * the call that made it preemptible again.
 *
 *	task (CPU n)					BLOCK (softirq on CPU n)
 *	tr_phase[n] = 1					tr_phase[n] == 1 ?
 *	[preempt_disable() | local_irq_save(f)]		task preemptible (irqs, preempt, bh) ?
 *	raise_softirq[_irqoff](BLOCK_SOFTIRQ)
 *	  r0 = tr_runs[n]	(section variants)
 *	  WRITE_ONCE(tr_word[n], 1), (.., 2)
 *	  [preempt_enable() | local_irq_restore(f)]
 *	r1 = tr_runs[n]; tr_phase[n] = 2
 *	WRITE_ONCE(tr_word[n], 3)
 *
 * Result: r0 == 0 and r1 == 1, the softirq in softirq@cpuN over a preemptible task: Always. */
enum { TR_RAISE, TR_PREEMPT, TR_IRQSAVE };

static long tr_word[2];
static int tr_variant, tr_phase[2], tr_runs[2];

static void tr_task(void *arg)
{
	int n = (int)(intptr_t)arg;
	unsigned long f = 0;
	tr_phase[n] = 1;
	if (tr_variant == TR_RAISE) {
		raise_softirq(BLOCK_SOFTIRQ);
	} else {
		if (tr_variant == TR_PREEMPT) {
			preempt_disable();
			raise_softirq(BLOCK_SOFTIRQ);
		} else {
			local_irq_save(f);
			raise_softirq_irqoff(BLOCK_SOFTIRQ);
		}
		if (tr_runs[n])
			ls_fail(LS_SITE("tr_task"), "the softirq ran over a task that could not be "
				"preempted");
		WRITE_ONCE(tr_word[n], 1);
		WRITE_ONCE(tr_word[n], 2);
		if (tr_variant == TR_PREEMPT)
			preempt_enable();
		else
			local_irq_restore(f);
	}
	if (tr_runs[n] != 1)
		ls_fail(LS_SITE("tr_task"), "the softirq had run %d times when the task became "
			"preemptible", tr_runs[n]);
	tr_phase[n] = 2;
	WRITE_ONCE(tr_word[n], 3);
}

static void tr_softirq(void)
{
	int n = ls_cpu();
	const struct ls_ctx *t = &sem_machine()->ctx[n];
	tr_runs[n]++;
	check_softirq_context("BLOCK", n, n);
	if (tr_phase[n] != 1 || t->irqs_off || t->preempt || t->bh)
		ls_fail(LS_SITE("tr_softirq"), "the softirq ran over t%d in phase %d with irqs_off "
			"%d, preempt %d, bh %d", n, tr_phase[n], t->irqs_off, t->preempt, t->bh);
}

static void tr_init(int variant)
{
	tr_variant = variant;
	for (int n = 0; n < 2; n++)
		tr_word[n] = tr_phase[n] = tr_runs[n] = 0;
	open_softirq(BLOCK_SOFTIRQ, tr_softirq);
}

static const struct ls_task_decl tr_tasks[] = {
	{ "t0", 0, tr_task, (void *)(intptr_t)0 },
	{ "t1", 1, tr_task, (void *)(intptr_t)1 },
};
static const struct ls_variant tr_variants[] = {
	[TR_RAISE] = { "raise_softirq", "run before the raise returns", LS_KIND_NONE },
	[TR_PREEMPT] = { "preempt_enable", "run inside preempt_enable()", LS_KIND_NONE },
	[TR_IRQSAVE] = { "local_irq_restore", "run inside local_irq_restore()", LS_KIND_NONE },
};
static const struct ls_target task_raise_target = {
	.name = "semantics/task-raise",
	.summary = "a softirq raised by a task runs at its first preemptible instant",
	.models = "tests/semantics",
	.ncpus = 2,
	.tasks = tr_tasks,
	.ntasks = 2,
	.variants = tr_variants,
	.nvariants = SEM_ARRAY_SIZE(tr_variants),
	.init = tr_init,
};

static int tr_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	(void)s;
	(void)arg;
	return r->kind == LS_KIND_NONE && tr_runs[0] == 1 && tr_runs[1] == 1 ? SEM_GO_ON
									     : SEM_FAILED;
}

#define TR_SEEDS 500

int softirq_raised_from_task_runs_at_first_preemptible_instant(void)
{
	struct sem_strategy walk;
	uint64_t executions;
	sem_strategy_init(&walk, NULL, 0.3, 0, 0);
	for (int v = 0; v < SEM_ARRAY_SIZE(tr_variants); v++) {
		if (sweep(&task_raise_target, v, &walk, TR_SEEDS, "random p-switch 0.3", tr_each,
			  NULL))
			return TEST_FAIL;
		int rc = sem_dfs(&task_raise_target, v, NULL, 1, 0, false, tr_each, NULL,
				 &executions);
		CHECKF(rc == SEM_GO_ON, "%s: dfs preemptions 1: stopped at execution %" PRIu64,
		       tr_variants[v].name, executions - 1);
		printf("%s: dfs preemptions 1: %" PRIu64 " schedules\n", tr_variants[v].name,
		       executions);
	}
	return TEST_PASS;
}

/* ---- interrupts over a softirq ---------------------------------------------------------------
 *
 * semantics/softirq-interrupted: one CPU.  The task raises NET_RX with everything on (it runs at
 * once, over the task) and makes two stores.  NET_RX makes three stores, two more inside
 * local_irq_save() (a plain flag si_off set right after the save and cleared right before the
 * restore), and a last one.  A hardirq source (two injections) and an NMI source (one) note
 * whether they landed on the softirq and inside its irqs-off section.
 *
 *	task				NET_RX (softirq)		hardirq / NMI
 *	raise_softirq(NET_RX_SOFTIRQ)	si_serving = 1			in_serving_softirq() ?
 *	WRITE_ONCE(si_word, 1)		3 x WRITE_ONCE(si_word, ..)	si_off ?
 *	WRITE_ONCE(si_word, 2)		local_irq_save(f); si_off = 1
 *					2 x WRITE_ONCE(si_word, ..)
 *					si_off = 0; local_irq_restore(f)
 *					WRITE_ONCE(si_word, ..); si_serving = 0
 *
 * Results: a hardirq over the softirq (in_serving_softirq() in it): Sometimes; a hardirq inside
 * the softirq's irqs-off section, or offered there: Never.  An NMI over the softirq: Sometimes;
 * inside its irqs-off section: Sometimes. */
static long si_word;
static int si_serving, si_off, si_softirq_runs;
static int si_irq_over, si_nmi_over, si_nmi_over_off;

static void si_task(void *arg)
{
	(void)arg;
	raise_softirq(NET_RX_SOFTIRQ);
	WRITE_ONCE(si_word, 1);
	WRITE_ONCE(si_word, 2);
}

static void si_softirq(void)
{
	unsigned long f;
	si_softirq_runs++;
	check_softirq_context("NET_RX", 0, 0);
	si_serving = 1;
	for (int i = 0; i < 3; i++)
		WRITE_ONCE(si_word, 10 + i);
	local_irq_save(f);
	si_off = 1;
	WRITE_ONCE(si_word, 20);
	WRITE_ONCE(si_word, 21);
	si_off = 0;
	local_irq_restore(f);
	WRITE_ONCE(si_word, 30);
	si_serving = 0;
}

/* Whether the interrupt running now landed right on the softirq (the context it interrupted). */
static bool si_over_softirq(void)
{
	const struct ls_ctx *top = sem_machine()->cpu[0].top;
	return top && top->below && top->below->kind == LS_CTX_SOFTIRQ;
}

static void si_irq(void *arg)
{
	(void)arg;
	if (!in_hardirq() || !in_interrupt())
		ls_fail(LS_SITE("si_irq"), "the hardirq handler ran outside hardirq context");
	if (si_serving && (!in_serving_softirq() || !si_over_softirq()))
		ls_fail(LS_SITE("si_irq"), "a hardirq over the softirq does not see it: "
			"in_serving_softirq() %d", in_serving_softirq());
	if (in_serving_softirq()) {
		si_irq_over++;
		if (si_off || softirq_ctx(0)->irqs_off)
			ls_fail(LS_SITE("si_irq"), "a hardirq landed where the softirq had "
				"interrupts off");
	}
	(void)READ_ONCE(si_word);
}

static void si_nmi(void *arg)
{
	(void)arg;
	if (!in_nmi())
		ls_fail(LS_SITE("si_nmi"), "the NMI handler ran outside NMI context");
	/* It may also land on a hardirq that interrupted the softirq: in_serving_softirq() then
	 * too, but only one landing right on the softirq counts. */
	if (si_serving && !in_serving_softirq())
		ls_fail(LS_SITE("si_nmi"), "an NMI over the softirq does not see it");
	if (si_over_softirq()) {
		si_nmi_over++;
		si_nmi_over_off += si_off;
	}
	(void)READ_ONCE(si_word);
}

static void si_init(int variant)
{
	(void)variant;
	si_word = 0;
	si_serving = si_off = si_softirq_runs = 0;
	si_irq_over = si_nmi_over = si_nmi_over_off = 0;
	open_softirq(NET_RX_SOFTIRQ, si_softirq);
}

static void si_check(int variant)
{
	(void)variant;
	if (si_softirq_runs != 1)
		ls_fail(LS_SITE("si_check"), "NET_RX ran %d times, raised once", si_softirq_runs);
}

static const struct ls_task_decl si_tasks[] = { { "t0", 0, si_task, NULL } };
static const struct ls_irq_decl si_irqs[] = { { "irq", 0x1, 2, si_irq, NULL } };
static const struct ls_irq_decl si_nmis[] = { { "nmi", 0x1, 1, si_nmi, NULL } };
SEM_TARGET(softirq_interrupted_target, "semantics/softirq-interrupted", .ncpus = 1,
	   .tasks = si_tasks, .ntasks = 1, .irqs = si_irqs, .nirqs = 1, .nmis = si_nmis,
	   .nnmis = 1, .init = si_init, .check = si_check);

static unsigned si_offered_inside;

/* Never picks; counts hardirq offers made while the softirq has interrupts off. */
static int watch_irq_offers_in_softirq(struct sem_strategy *s, struct ls_point *pt)
{
	(void)s;
	const struct ls_ctx *top = pt->m->cpu[0].top;
	if (top && top->kind == LS_CTX_SOFTIRQ && (top->irqs_off || si_off) &&
	    sem_offers(pt, LS_CH_IRQ, 0))
		si_offered_inside++;
	return -1;
}

struct si_tally {
	uint64_t irq_over, nmi_over, nmi_over_off;
};

static int si_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	struct si_tally *t = arg;
	(void)s;
	t->irq_over += (uint64_t)si_irq_over;
	t->nmi_over += (uint64_t)si_nmi_over;
	t->nmi_over_off += (uint64_t)si_nmi_over_off;
	if (si_offered_inside) {
		fprintf(stderr, "hardirq offers inside the softirq's irqs-off section: %u\n",
			si_offered_inside);
		return SEM_FAILED;
	}
	return r->kind == LS_KIND_NONE ? SEM_GO_ON : SEM_FAILED;
}

#define SI_SEEDS 2000

/* The random walk and the complete dfs search with one injection over the target. */
static int si_sweeps(struct si_tally *walk_t, struct si_tally *dfs_t)
{
	struct sem_strategy walk;
	uint64_t executions;
	memset(walk_t, 0, sizeof(*walk_t));
	memset(dfs_t, 0, sizeof(*dfs_t));
	si_offered_inside = 0;
	sem_strategy_init(&walk, watch_irq_offers_in_softirq, 0, 0, 0.3);
	if (sweep(&softirq_interrupted_target, 0, &walk, SI_SEEDS, "random p-irq 0.3", si_each,
		  walk_t))
		return TEST_FAIL;
	int rc = sem_dfs(&softirq_interrupted_target, 0, NULL, 0, 1, false, si_each, dfs_t,
			 &executions);
	CHECKF(rc == SEM_GO_ON, "dfs preemptions 0 nmis 1: stopped at execution %" PRIu64,
	       executions - 1);
	return TEST_PASS;
}

int hardirq_interrupts_a_softirq(void)
{
	struct si_tally w, d;
	if (si_sweeps(&w, &d) != TEST_PASS)
		return TEST_FAIL;
	printf("hardirqs over the softirq: %" PRIu64 " in %d random executions, %" PRIu64
	       " in the dfs search; none inside its irqs-off section\n", w.irq_over, SI_SEEDS,
	       d.irq_over);
	CHECK(w.irq_over > 0);
	CHECK(d.irq_over > 0);
	return TEST_PASS;
}

int nmi_lands_in_softirq(void)
{
	struct si_tally w, d;
	if (si_sweeps(&w, &d) != TEST_PASS)
		return TEST_FAIL;
	printf("NMIs over the softirq: %" PRIu64 " (%" PRIu64 " with its interrupts off) in %d "
	       "random executions, %" PRIu64 " (%" PRIu64 ") in the dfs search\n", w.nmi_over,
	       w.nmi_over_off, SI_SEEDS, d.nmi_over, d.nmi_over_off);
	CHECK(w.nmi_over > 0);
	CHECK(w.nmi_over_off > 0);
	CHECK(d.nmi_over > 0);
	CHECK(d.nmi_over_off > 0);
	return TEST_PASS;
}

/* ---- a softirq raised in a softirq -----------------------------------------------------------
 *
 * semantics/softirq-nest: one CPU.  The task makes a store, raises HI with everything on and
 * makes two more stores.  HI makes a store, raises TASKLET and makes two more.  A hardirq
 * source (one injection) notes whether it landed on the softirq and raises TIMER.  Every handler
 * counts the handlers running (depth); the machine's step record counts the softirq context's
 * entries.
 *
 *	task				HI (softirq)			hardirq
 *	WRITE_ONCE(sn_word, 1)		WRITE_ONCE(sn_word, 10)		over = in_serving_softirq()
 *	raise_softirq(HI_SOFTIRQ)	raise_softirq(TASKLET_SOFTIRQ)	raise_softirq(TIMER_SOFTIRQ)
 *	WRITE_ONCE(sn_word, 2)		WRITE_ONCE(sn_word, 11)
 *	WRITE_ONCE(sn_word, 3)		WRITE_ONCE(sn_word, 12)		TASKLET, TIMER: one store
 *
 * Results: a handler runs inside another: Never; TASKLET runs once, after HI returned: Always;
 * the softirq context is entered once, plus once for a hardirq that landed on the task rather
 * than on the softirq: Always. */
static long sn_word;
static int sn_depth, sn_hi_runs, sn_hi_done, sn_tasklet_runs, sn_timer_runs;
static int sn_irq_runs, sn_irq_over_task;

static void sn_enter(const char *who)
{
	if (sn_depth++)
		ls_fail(LS_SITE("sn_enter"), "%s ran inside another softirq handler", who);
	check_softirq_context(who, 0, 0);
}

static void sn_task(void *arg)
{
	(void)arg;
	WRITE_ONCE(sn_word, 1);
	raise_softirq(HI_SOFTIRQ);
	WRITE_ONCE(sn_word, 2);
	WRITE_ONCE(sn_word, 3);
}

static void sn_hi(void)
{
	sn_enter("HI");
	sn_hi_runs++;
	WRITE_ONCE(sn_word, 10);
	raise_softirq(TASKLET_SOFTIRQ);
	WRITE_ONCE(sn_word, 11);
	WRITE_ONCE(sn_word, 12);
	if (sn_tasklet_runs)
		ls_fail(LS_SITE("sn_hi"), "TASKLET ran before the HI handler that raised it "
			"returned");
	sn_hi_done = 1;
	sn_depth--;
}

static void sn_tasklet(void)
{
	sn_enter("TASKLET");
	sn_tasklet_runs++;
	if (!sn_hi_done)
		ls_fail(LS_SITE("sn_tasklet"), "TASKLET ran before HI returned");
	WRITE_ONCE(sn_word, 20);
	sn_depth--;
}

static void sn_timer(void)
{
	sn_enter("TIMER");
	sn_timer_runs++;
	WRITE_ONCE(sn_word, 30);
	sn_depth--;
}

static void sn_irq(void *arg)
{
	(void)arg;
	sn_irq_runs++;
	sn_irq_over_task += !in_serving_softirq();
	raise_softirq(TIMER_SOFTIRQ);
}

static void sn_init(int variant)
{
	(void)variant;
	sn_word = 0;
	sn_depth = sn_hi_runs = sn_hi_done = sn_tasklet_runs = sn_timer_runs = 0;
	sn_irq_runs = sn_irq_over_task = 0;
	open_softirq(HI_SOFTIRQ, sn_hi);
	open_softirq(TASKLET_SOFTIRQ, sn_tasklet);
	open_softirq(TIMER_SOFTIRQ, sn_timer);
}

static void sn_check(int variant)
{
	(void)variant;
	if (sn_hi_runs != 1 || sn_tasklet_runs != 1 || sn_timer_runs != sn_irq_runs)
		ls_fail(LS_SITE("sn_check"), "HI ran %d times, TASKLET %d, TIMER %d for %d "
			"hardirqs", sn_hi_runs, sn_tasklet_runs, sn_timer_runs, sn_irq_runs);
}

static const struct ls_task_decl sn_tasks[] = { { "t0", 0, sn_task, NULL } };
static const struct ls_irq_decl sn_irqs[] = { { "raiser", 0x1, 1, sn_irq, NULL } };
SEM_TARGET(softirq_nest_target, "semantics/softirq-nest", .ncpus = 1, .tasks = sn_tasks,
	   .ntasks = 1, .irqs = sn_irqs, .nirqs = 1, .init = sn_init, .check = sn_check);

/* The softirq context's entries in the execution that just ran, from the machine's step record;
 * -1 when the execution outgrew it. */
static int sn_entries(const struct ls_machine *m)
{
	int id = m->cpu[0].softirq->id, n = 0;
	if (m->nring > LS_RING)
		return -1;
	for (uint64_t i = 0; i < m->nring; i++)
		n += m->ring[i].ctx == id && m->ring[i].op == LS_OP_ENTER;
	return n;
}

struct sn_tally {
	uint64_t irq_over_task, irq_over_softirq;
};

static int sn_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	struct sn_tally *t = arg;
	int entries = sn_entries(s->m), want = 1 + sn_irq_over_task;
	t->irq_over_task += (uint64_t)sn_irq_over_task;
	t->irq_over_softirq += (uint64_t)(sn_irq_runs - sn_irq_over_task);
	if (r->kind != LS_KIND_NONE)
		return SEM_FAILED;
	if (entries != want) {
		fprintf(stderr, "softirq entries: %d (-1: more than %d steps recorded), want %d\n",
			entries, LS_RING, want);
		return SEM_FAILED;
	}
	return SEM_GO_ON;
}

#define SN_SEEDS 2000

int softirq_in_softirq_never_nests(void)
{
	struct sem_strategy walk;
	struct sn_tally w = { 0, 0 }, d = { 0, 0 };
	uint64_t executions;
	sem_strategy_init(&walk, NULL, 0, 0, 0.3);
	if (sweep(&softirq_nest_target, 0, &walk, SN_SEEDS, "random p-irq 0.3", sn_each, &w))
		return TEST_FAIL;
	int rc = sem_dfs(&softirq_nest_target, 0, NULL, 0, 1, false, sn_each, &d, &executions);
	CHECKF(rc == SEM_GO_ON, "dfs preemptions 0 nmis 1: stopped at execution %" PRIu64,
	       executions - 1);
	printf("hardirqs over the softirq / over the task: random %" PRIu64 " / %" PRIu64
	       ", dfs (%" PRIu64 " schedules) %" PRIu64 " / %" PRIu64 "\n", w.irq_over_softirq,
	       w.irq_over_task, executions, d.irq_over_softirq, d.irq_over_task);
	CHECK(w.irq_over_softirq > 0 && w.irq_over_task > 0);
	CHECK(d.irq_over_softirq > 0 && d.irq_over_task > 0);
	return TEST_PASS;
}

/* ---- might_sleep() -------------------------------------------------------------------------
 *
 * semantics/softirq-sleep: one CPU.  The task raises BLOCK with everything on; the handler takes
 * and releases a mutex.  In the "task" variant the task takes the mutex itself instead.
 *
 *	task				BLOCK (softirq)
 *	raise_softirq(BLOCK_SOFTIRQ)	mutex_lock(&sl_mutex)
 *	WRITE_ONCE(sl_word, 1)		WRITE_ONCE(sl_word, 2)
 *					mutex_unlock(&sl_mutex)
 *
 * Results: every execution ends in the invariant "BUG: sleeping function called from invalid
 * context", named in softirq@cpu0: Always.  The task variant: no finding: Always. */
enum { SL_SOFTIRQ, SL_TASK };

static DEFINE_MUTEX(sl_mutex);
static long sl_word;
static int sl_variant;

static void sl_take(void)
{
	mutex_lock(&sl_mutex);
	WRITE_ONCE(sl_word, 2);
	mutex_unlock(&sl_mutex);
}

static void sl_task(void *arg)
{
	(void)arg;
	if (sl_variant == SL_SOFTIRQ)
		raise_softirq(BLOCK_SOFTIRQ);
	else
		sl_take();
	WRITE_ONCE(sl_word, 1);
}

static void sl_init(int variant)
{
	sl_variant = variant;
	sl_word = 0;
	mutex_init(&sl_mutex);
	open_softirq(BLOCK_SOFTIRQ, sl_take);
}

static const struct ls_task_decl sl_tasks[] = { { "t0", 0, sl_task, NULL } };
static const struct ls_variant sl_variants[] = {
	[SL_SOFTIRQ] = { "softirq", "mutex_lock() in a softirq", LS_KIND_INVARIANT },
	[SL_TASK] = { "task", "mutex_lock() in the task", LS_KIND_NONE },
};
static const struct ls_target softirq_sleep_target = {
	.name = "semantics/softirq-sleep",
	.summary = "might_sleep() in a softirq is a BUG",
	.models = "tests/semantics",
	.ncpus = 1,
	.tasks = sl_tasks,
	.ntasks = 1,
	.variants = sl_variants,
	.nvariants = SEM_ARRAY_SIZE(sl_variants),
	.init = sl_init,
};

#define SL_BUG "BUG: sleeping function called from invalid context"

static int sl_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	(void)arg;
	if (sl_variant == SL_TASK)
		return r->kind == LS_KIND_NONE ? SEM_GO_ON : SEM_FAILED;
	if (r->kind == LS_KIND_INVARIANT && strstr(r->signature, SL_BUG) &&
	    strstr(s->m->out.detail, "name: softirq@cpu0"))
		return SEM_GO_ON;
	fprintf(stderr, "want the invariant \"%s ... name: softirq@cpu0\"\n", SL_BUG);
	return SEM_FAILED;
}

#define SL_SEEDS 200

int might_sleep_in_softirq_is_invalid_context(void)
{
	struct sem_strategy walk;
	uint64_t executions;
	sem_strategy_init(&walk, NULL, SEM_P_SWITCH, 0, 0);
	for (int v = 0; v < SEM_ARRAY_SIZE(sl_variants); v++) {
		if (sweep(&softirq_sleep_target, v, &walk, SL_SEEDS, "random p-switch 0.1", sl_each,
			  NULL))
			return TEST_FAIL;
		int rc = sem_dfs(&softirq_sleep_target, v, NULL, 1, 0, false, sl_each, NULL,
				 &executions);
		CHECKF(rc == SEM_GO_ON, "%s: dfs preemptions 1: stopped at execution %" PRIu64,
		       sl_variants[v].name, executions - 1);
	}
	return TEST_PASS;
}

/* ---- IN-SOFTIRQ usage ------------------------------------------------------------------------
 *
 * semantics/softirq-usage: one CPU.  NET_RX takes and releases su_lock with spin_lock().  The
 * task raises NET_RX with everything on (it runs at once) before or after taking su_lock with
 * spin_lock() (the variants "softirq-first", "task-first"), or takes it with spin_lock_bh() and
 * raises NET_RX before the section, inside it (run at the spin_unlock_bh()) and after it
 * ("spin_lock_bh").
 *
 *	task (softirq-first)		task (task-first)		NET_RX (softirq)
 *	raise_softirq(NET_RX_SOFTIRQ)	spin_lock(&su_lock)		spin_lock(&su_lock)
 *	spin_lock(&su_lock)		WRITE_ONCE(su_word, 1)		WRITE_ONCE(su_word, 2)
 *	WRITE_ONCE(su_word, 1)		spin_unlock(&su_lock)		spin_unlock(&su_lock)
 *	spin_unlock(&su_lock)		raise_softirq(NET_RX_SOFTIRQ)
 *
 * Results, in a fresh session: the first execution reports the inconsistent lock state
 * {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} (softirq-first) or {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W}
 * (task-first), shape irq-inversion; later ones report nothing new: Always.  spin_lock_bh: no
 * report: Always. */
enum { SU_SOFTIRQ_FIRST, SU_TASK_FIRST, SU_BH };

static DEFINE_SPINLOCK(su_lock);
static long su_word;
static int su_variant, su_runs;

static void su_section(void)
{
	spin_lock(&su_lock);
	WRITE_ONCE(su_word, 1);
	spin_unlock(&su_lock);
}

static void su_task(void *arg)
{
	(void)arg;
	switch (su_variant) {
	case SU_SOFTIRQ_FIRST:
		raise_softirq(NET_RX_SOFTIRQ);
		su_section();
		break;
	case SU_TASK_FIRST:
		su_section();
		raise_softirq(NET_RX_SOFTIRQ);
		break;
	case SU_BH:
		raise_softirq(NET_RX_SOFTIRQ);
		spin_lock_bh(&su_lock);
		WRITE_ONCE(su_word, 1);
		raise_softirq(NET_RX_SOFTIRQ);
		spin_unlock_bh(&su_lock);
		raise_softirq(NET_RX_SOFTIRQ);
		break;
	}
}

static void su_softirq(void)
{
	su_runs++;
	check_softirq_context("NET_RX", 0, 0);
	spin_lock(&su_lock);
	WRITE_ONCE(su_word, 2);
	spin_unlock(&su_lock);
}

static void su_init(int variant)
{
	su_variant = variant;
	su_word = 0;
	su_runs = 0;
	open_softirq(NET_RX_SOFTIRQ, su_softirq);
}

static void su_check(int variant)
{
	int want = variant == SU_BH ? 3 : 1;
	if (su_runs != want)
		ls_fail(LS_SITE("su_check"), "NET_RX ran %d times, want %d", su_runs, want);
}

static const struct ls_task_decl su_tasks[] = { { "t0", 0, su_task, NULL } };
static const struct ls_variant su_variants[] = {
	[SU_SOFTIRQ_FIRST] = { "softirq-first", "IN-SOFTIRQ-W, then SOFTIRQ-ON-W",
			       LS_KIND_LOCKDEP },
	[SU_TASK_FIRST] = { "task-first", "SOFTIRQ-ON-W, then IN-SOFTIRQ-W", LS_KIND_LOCKDEP },
	[SU_BH] = { "spin_lock_bh", "bottom halves off around the task's section",
		    LS_KIND_NONE },
};
static const struct ls_target softirq_usage_target = {
	.name = "semantics/softirq-usage",
	.summary = "a lock taken in a softirq and with bottom halves on",
	.models = "tests/semantics",
	.ncpus = 1,
	.tasks = su_tasks,
	.ntasks = 1,
	.variants = su_variants,
	.nvariants = SEM_ARRAY_SIZE(su_variants),
	.init = su_init,
	.check = su_check,
};

/* The inconsistent-lock-state line of the report, old usage first. */
static const char *const su_want[] = {
	[SU_SOFTIRQ_FIRST] = "inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage.",
	[SU_TASK_FIRST] = "inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage.",
	[SU_BH] = NULL,
};

/* Whether the execution that just ran made exactly the report variant v wants. */
static bool su_reported(struct ls_session *s, const struct ls_result *r, int v)
{
	const struct ls_lockdep_report *ld = ls_lockdep_report();
	struct ls_buf b = { 0 };
	bool ok;
	if (r->kind != LS_KIND_LOCKDEP || !ld || ld->bug != LS_BUG_USAGE ||
	    ls_lockdep_nreports() != 1 || strcmp(r->shape, "irq-inversion") != 0)
		return false;
	ls_lockdep_render(ld, s->m, &b);
	ok = b.s && strstr(b.s, su_want[v]);
	if (!ok)
		fprintf(stderr, "the report says:\n%s", b.s ? b.s : "");
	ls_buf_finish(&b);
	return ok;
}

#define SU_SEEDS 100

int validator_marks_in_softirq_usage(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	sem_strategy_init(&walk, NULL, SEM_P_SWITCH, 0, 0);
	for (int v = 0; v < SEM_ARRAY_SIZE(su_variants); v++) {
		sem_open(&s, &softirq_usage_target, v, NULL);
		for (uint64_t seed = 0; seed < SU_SEEDS; seed++) {
			ls_session_run(&s, &walk.base, seed, &r);
			bool ok;
			if (v == SU_BH)
				ok = r.kind == LS_KIND_NONE && ls_lockdep_nreports() == 0;
			else if (seed == 0)
				ok = su_reported(&s, &r, v);
			else
				ok = r.kind == LS_KIND_NONE;
			if (!ok) {
				fprintf(stderr, "%s: want %s\n", su_variants[v].name,
					v == SU_BH ? "no report" :
					seed == 0 ? su_want[v] : "nothing after the first execution");
				sem_explain(&s, &r, "random p-switch 0.1");
				ls_session_finish(&s);
				return TEST_FAIL;
			}
		}
		ls_session_finish(&s);
	}
	return TEST_PASS;
}

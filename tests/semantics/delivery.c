/* Suite `semantics`, delivery: where a hardirq runs, and where an NMI may land.
 *
 * The hardware takes a pending interrupt at the instruction that makes it deliverable: the
 * local_irq_restore()/local_irq_enable() (or the unlock that does one) that turns interrupts
 * back on, the return from the NMI that raised it, or, for a self-IPI raised with interrupts on,
 * the raise itself.  The machine must run the handler inside that call, before the caller's next
 * operation and before any plain code after the call.  A hardirq never lands where interrupts
 * are off nor over an NMI; NMIs land anywhere and never nest. */
#include "semantics.h"

/* ---- the enabling instruction ----------------------------------------------------------------
 *
 * semantics/enable: one CPU.  The task turns interrupts off one of four ways (the variant), makes
 * two stores, turns them back on the same way, then sets a plain flag `en_after` (no scheduling
 * point between the call and the flag) and makes a last store.  An NMI raises a hardirq on its
 * own CPU (ls_irq_raise), which the raised-irq handler this target installs takes.
 *
 *	task				NMI			raised hardirq
 *	<irqs off>			ls_irq_raise(cpu)	r = en_after
 *	WRITE_ONCE(en_word, 1)
 *	WRITE_ONCE(en_word, 2)
 *	<irqs on>
 *	en_after = 1			(plain)
 *	WRITE_ONCE(en_word, 3)
 *
 * Result, when the NMI landed with interrupts off: the hardirq runs once, with r == 0: Always.
 * New in f4e2293: before it the hardirq was pushed at the enabling call but ran only at the
 * task's next scheduling point, after en_after = 1. */
enum { EN_RESTORE, EN_ENABLE, EN_UNLOCK_IRQ, EN_UNLOCK_IRQRESTORE };

static DEFINE_SPINLOCK(en_lock);
static long en_word;
static int en_variant, en_after, en_nmi_runs, en_nmi_irqs_off, en_raised_runs;

static void en_task(void *arg)
{
	(void)arg;
	unsigned long flags = 0;
	switch (en_variant) {
	case EN_RESTORE:
		local_irq_save(flags);
		break;
	case EN_ENABLE:
		local_irq_disable();
		break;
	case EN_UNLOCK_IRQ:
		spin_lock_irq(&en_lock);
		break;
	case EN_UNLOCK_IRQRESTORE:
		spin_lock_irqsave(&en_lock, flags);
		break;
	}
	WRITE_ONCE(en_word, 1);
	WRITE_ONCE(en_word, 2);
	switch (en_variant) {
	case EN_RESTORE:
		local_irq_restore(flags);
		break;
	case EN_ENABLE:
		local_irq_enable();
		break;
	case EN_UNLOCK_IRQ:
		spin_unlock_irq(&en_lock);
		break;
	case EN_UNLOCK_IRQRESTORE:
		spin_unlock_irqrestore(&en_lock, flags);
		break;
	}
	en_after = 1;
	WRITE_ONCE(en_word, 3);
}

static void en_nmi(void *arg)
{
	(void)arg;
	en_nmi_runs++;
	/* Where it landed, as the machine has it: the task's own interrupt state. */
	if (sem_machine()->ctx[0].irqs_off)
		en_nmi_irqs_off++;
	ls_irq_raise(ls_cpu());
}

static void en_raised(int cpu)
{
	(void)cpu;
	en_raised_runs++;
	if (sem_machine()->ctx[0].irqs_off)
		ls_fail(LS_SITE("en_raised"), "the raised hardirq ran while the task had irqs off");
	if (en_nmi_irqs_off && en_after)
		ls_fail(LS_SITE("en_raised"), "the hardirq pending at the enabling call ran after "
					      "the plain code that follows it");
}

static void en_init(int variant)
{
	en_variant = variant;
	en_word = 0;
	en_after = en_nmi_runs = en_nmi_irqs_off = en_raised_runs = 0;
	spin_lock_init(&en_lock);
	/* After the model library's reset, which installed irq_work's handler. */
	ls_set_raised_irq_handler(en_raised);
}

static void en_check(int variant)
{
	(void)variant;
	if (en_nmi_runs != en_raised_runs)
		ls_fail(LS_SITE("en_check"), "%d NMIs raised a hardirq, %d hardirqs ran",
			en_nmi_runs, en_raised_runs);
}

static const struct ls_task_decl en_tasks[] = { { "t0", 0, en_task, NULL } };
static const struct ls_irq_decl en_nmis[] = { { "raiser", 0x1, 1, en_nmi, NULL } };
static const struct ls_variant en_variants[] = {
	[EN_RESTORE] = { "local_irq_restore", "taken inside the restore", LS_KIND_NONE },
	[EN_ENABLE] = { "local_irq_enable", "taken inside the enable", LS_KIND_NONE },
	[EN_UNLOCK_IRQ] = { "spin_unlock_irq", "taken inside the unlock", LS_KIND_NONE },
	[EN_UNLOCK_IRQRESTORE] = { "spin_unlock_irqrestore", "taken inside the unlock",
				   LS_KIND_NONE },
};
static const struct ls_target enable_target = {
	.name = "semantics/enable",
	.summary = "a pending hardirq runs inside the call that enables interrupts",
	.models = "tests/semantics",
	.ncpus = 1,
	.tasks = en_tasks,
	.ntasks = 1,
	.nmis = en_nmis,
	.nnmis = 1,
	.variants = en_variants,
	.nvariants = SEM_ARRAY_SIZE(en_variants),
	.init = en_init,
	.check = en_check,
};

/* Injects the NMI at the first point where the task has interrupts off. */
static int pick_nmi_while_task_irqs_off(struct sem_strategy *s, struct ls_point *pt)
{
	(void)s;
	if (!pt->m->ctx[0].irqs_off)
		return -1;
	return sem_choice(pt, LS_CH_NMI, 0);
}

#define EN_EAGER_SEEDS 200
#define EN_RANDOM_SEEDS 2000

static int enabling_call_takes_the_pending_irq(int variant)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy eager, walk;
	unsigned in_section = 0;
	sem_open(&s, &enable_target, variant, NULL);
	sem_strategy_init(&eager, pick_nmi_while_task_irqs_off, SEM_P_SWITCH, 0, 0);
	for (uint64_t seed = 0; seed < EN_EAGER_SEEDS; seed++) {
		ls_session_run(&s, &eager.base, seed, &r);
		if (r.kind != LS_KIND_NONE || en_nmi_irqs_off != 1 || en_raised_runs != 1) {
			fprintf(stderr, "NMI inside the irqs-off section: %d, hardirqs run: %d\n",
				en_nmi_irqs_off, en_raised_runs);
			sem_explain(&s, &r, "NMI at the first point with irqs off, else random");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
	}
	/* Anywhere else too: an NMI with interrupts on raises a hardirq taken at its return. */
	sem_strategy_init(&walk, NULL, SEM_P_SWITCH, 0, 0.3);
	for (uint64_t seed = 0; seed < EN_RANDOM_SEEDS; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if (r.kind != LS_KIND_NONE) {
			sem_explain(&s, &r, "random p-switch 0.1 p-irq 0.3");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
		in_section += en_nmi_irqs_off;
	}
	ls_session_finish(&s);
	printf("%s: %u of %d random executions had the NMI inside the section\n",
	       en_variants[variant].name, in_section, EN_RANDOM_SEEDS);
	CHECK(in_section > 0);
	return TEST_PASS;
}

int irq_pending_at_local_irq_restore_runs_before_the_next_instruction(void)
{
	return enabling_call_takes_the_pending_irq(EN_RESTORE);
}

int irq_pending_at_local_irq_enable_runs_before_the_next_instruction(void)
{
	return enabling_call_takes_the_pending_irq(EN_ENABLE);
}

int irq_pending_at_spin_unlock_irq_runs_before_the_next_instruction(void)
{
	return enabling_call_takes_the_pending_irq(EN_UNLOCK_IRQ);
}

int irq_pending_at_spin_unlock_irqrestore_runs_before_the_next_instruction(void)
{
	return enabling_call_takes_the_pending_irq(EN_UNLOCK_IRQRESTORE);
}

/* ---- the false AA ------------------------------------------------------------------
 *
 * semantics/irq-work-ab: one CPU.  The task holds lock_a with interrupts off, releases it with
 * spin_unlock_irqrestore(), then takes lock_b with spin_lock_irqsave().  An NMI queues an
 * irq_work on the CPU; its callback takes lock_b with spin_lock_irqsave().
 *
 *	task				NMI			irq_work callback
 *	ab_phase = 1			irq_work_queue()	spin_lock_irqsave(&lock_b)
 *	spin_lock_irqsave(&lock_a, f)				WRITE_ONCE(ab_x, 3)
 *	WRITE_ONCE(ab_x, 1)					spin_unlock_irqrestore()
 *	spin_unlock_irqrestore(&lock_a, f)
 *	ab_phase = 2
 *	spin_lock_irqsave(&lock_b, f2)
 *	WRITE_ONCE(ab_x, 2)
 *	spin_unlock_irqrestore(&lock_b, f2)
 *
 * An NMI inside lock_a's section leaves the irq_work's hardirq pending; it must run inside the
 * restore of lock_a, while ab_phase is still 1.  Nothing here is a bug: Result: Never (no
 * finding of any kind).  New in f4e2293: before it the hardirq ran at the task's next point,
 * inside spin_lock_irqsave(&lock_b), with interrupts off and lock_b announced, and the validator
 * said AA within five schedules. */
static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static struct irq_work ab_work;
static long ab_x;
static int ab_phase, ab_nmi_phase, ab_nmi_runs, ab_callback_runs, ab_in_restore;

static void ab_task(void *arg)
{
	(void)arg;
	unsigned long f, f2;
	ab_phase = 1;
	spin_lock_irqsave(&lock_a, f);
	WRITE_ONCE(ab_x, 1);
	spin_unlock_irqrestore(&lock_a, f);
	ab_phase = 2;
	spin_lock_irqsave(&lock_b, f2);
	WRITE_ONCE(ab_x, 2);
	spin_unlock_irqrestore(&lock_b, f2);
}

static void ab_callback(struct irq_work *work)
{
	(void)work;
	unsigned long f;
	if (ab_nmi_phase == 1 && ab_phase != 1)
		ls_fail(LS_SITE("ab_callback"), "the irq_work queued inside lock_a's section ran "
						"after the restore that enabled interrupts");
	ab_in_restore += ab_phase == 1;
	spin_lock_irqsave(&lock_b, f);
	WRITE_ONCE(ab_x, 3);
	spin_unlock_irqrestore(&lock_b, f);
	ab_callback_runs++;
}

static void ab_nmi(void *arg)
{
	(void)arg;
	ab_nmi_runs++;
	ab_nmi_phase = ab_phase;
	irq_work_queue(&ab_work);
}

static void ab_init(int variant)
{
	(void)variant;
	ab_x = 0;
	ab_phase = ab_nmi_phase = ab_nmi_runs = ab_callback_runs = ab_in_restore = 0;
	init_irq_work(&ab_work, ab_callback);
}

static void ab_check(int variant)
{
	(void)variant;
	if (ab_callback_runs != ab_nmi_runs)
		ls_fail(LS_SITE("ab_check"), "%d NMIs queued the irq_work, its callback ran %d "
			"times", ab_nmi_runs, ab_callback_runs);
}

static const struct ls_task_decl ab_tasks[] = { { "t0", 0, ab_task, NULL } };
static const struct ls_irq_decl ab_nmis[] = { { "queuer", 0x1, 1, ab_nmi, NULL } };
SEM_TARGET(irq_work_ab_target, "semantics/irq-work-ab", .ncpus = 1, .tasks = ab_tasks,
	   .ntasks = 1, .nmis = ab_nmis, .nnmis = 1, .init = ab_init, .check = ab_check);

struct ab_tally {
	uint64_t executions, in_restore;
};

static int ab_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	struct ab_tally *t = arg;
	(void)s;
	t->executions++;
	t->in_restore += ab_in_restore;
	return r->kind == LS_KIND_NONE ? SEM_GO_ON : SEM_FAILED;
}

int irq_work_queued_by_nmi_never_runs_over_the_next_lock_dfs(void)
{
	struct ab_tally t = { 0, 0 };
	uint64_t executions;
	int rc = sem_dfs(&irq_work_ab_target, 0, NULL, 0, 1, false, ab_each, &t, &executions);
	CHECKF(rc == SEM_GO_ON, "dfs preemptions 0 nmis 1: stopped at execution %" PRIu64,
	       executions - 1);
	printf("dfs preemptions 0 nmis 1: %" PRIu64 " schedules, %" PRIu64
	       " with the callback inside the restore\n", executions, t.in_restore);
	CHECK(t.in_restore > 0);
	return TEST_PASS;
}

#define AB_RANDOM_SEEDS 20000

int irq_work_queued_by_nmi_never_runs_over_the_next_lock_random(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	struct ab_tally t = { 0, 0 };
	sem_open(&s, &irq_work_ab_target, 0, NULL);
	sem_strategy_init(&walk, NULL, SEM_P_SWITCH, SEM_P_SLOW, 0.2);
	for (uint64_t seed = 0; seed < AB_RANDOM_SEEDS; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if (ab_each(&s, &r, &t) != SEM_GO_ON) {
			sem_explain(&s, &r, "random p-switch 0.1 p-slow 0.02 p-irq 0.2");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
	}
	ls_session_finish(&s);
	printf("random: %d executions, %" PRIu64 " with the callback inside the restore\n",
	       AB_RANDOM_SEEDS, t.in_restore);
	CHECK(t.in_restore > 0);
	return TEST_PASS;
}

/* ---- a self-IPI with interrupts on -----------------------------------------------------------
 *
 * semantics/self-ipi: two CPUs, each task queues its own irq_work with interrupts on, then reads
 * a plain counter its callback increments.
 *
 *	task (CPU n)				callback (hardirq on CPU n)
 *	irq_work_queue(&ipi_work[n])		ipi_runs[n]++
 *	r = ipi_runs[n]		(plain)
 *
 * Result: r == 1, the callback in hardirq context over this task: Always.  New in f4e2293:
 * before it the raise pushed the hardirq and returned; it ran at the task's next point. */
static struct irq_work ipi_work[2];
static int ipi_runs[2];
static long ipi_word[2];

static void ipi_callback(struct irq_work *work)
{
	int n = work == &ipi_work[0] ? 0 : 1;
	if (!in_hardirq() || ls_cpu() != n || ls_ctx_task() != n)
		ls_fail(LS_SITE("ipi_callback"), "callback %d ran in %s on CPU%d over context %d",
			n, in_nmi() ? "NMI" : in_hardirq() ? "hardirq" : "task", ls_cpu(),
			ls_ctx_task());
	ipi_runs[n]++;
}

static void ipi_task(void *arg)
{
	int n = (int)(intptr_t)arg;
	WRITE_ONCE(ipi_word[n], 1);
	irq_work_queue(&ipi_work[n]);
	if (ipi_runs[n] != 1)
		ls_fail(LS_SITE("ipi_task"), "irq_work_queue() returned before its self-IPI ran");
	WRITE_ONCE(ipi_word[n], 2);
}

static void ipi_init(int variant)
{
	(void)variant;
	for (int n = 0; n < 2; n++) {
		init_irq_work(&ipi_work[n], ipi_callback);
		ipi_runs[n] = 0;
		ipi_word[n] = 0;
	}
}

static const struct ls_task_decl ipi_tasks[] = {
	{ "t0", 0, ipi_task, (void *)(intptr_t)0 },
	{ "t1", 1, ipi_task, (void *)(intptr_t)1 },
};
SEM_TARGET(self_ipi_target, "semantics/self-ipi", .ncpus = 2, .tasks = ipi_tasks, .ntasks = 2,
	   .init = ipi_init);

#define IPI_SEEDS 500

int self_ipi_with_irqs_on_runs_before_the_raise_returns(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	sem_open(&s, &self_ipi_target, 0, NULL);
	sem_strategy_init(&walk, NULL, 0.3, 0, 0);
	for (uint64_t seed = 0; seed < IPI_SEEDS; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if (r.kind != LS_KIND_NONE || ipi_runs[0] != 1 || ipi_runs[1] != 1) {
			sem_explain(&s, &r, "random p-switch 0.3");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
	}
	ls_session_finish(&s);
	return TEST_PASS;
}

/* ---- a hardirq raised in an NMI ------------------------------------------------------------
 *
 * semantics/nmi-raise: one CPU, interrupts always on.  The task makes four stores, counting them
 * in a plain counter.  The NMI notes the count, raises a hardirq on its CPU and makes two loads.
 *
 *	task				NMI				raised hardirq
 *	WRITE_ONCE(nr_word, i)		n = nr_ops			nr_ops == n ?
 *	nr_ops++	(x4)		ls_irq_raise(cpu)		NMI returned ?
 *					READ_ONCE(nr_word) (x2)
 *
 * Result: the hardirq runs once per NMI, after the NMI returned and before the task's next
 * operation (nr_ops unchanged): Always.  Kept before f4e2293 (the NMI's exit pushed it). */
static long nr_word;
static int nr_ops, nr_ops_at_nmi, nr_nmi_runs, nr_raised_runs;

static void nr_task(void *arg)
{
	(void)arg;
	for (int i = 1; i <= 4; i++) {
		WRITE_ONCE(nr_word, i);
		nr_ops++;
	}
}

static void nr_nmi(void *arg)
{
	(void)arg;
	nr_nmi_runs++;
	nr_ops_at_nmi = nr_ops;
	ls_irq_raise(ls_cpu());
	if (nr_raised_runs)
		ls_fail(LS_SITE("nr_nmi"), "the hardirq raised in the NMI ran inside it");
	(void)READ_ONCE(nr_word);
	(void)READ_ONCE(nr_word);
}

static void nr_raised(int cpu)
{
	nr_raised_runs++;
	if (sem_machine()->cpu[cpu].nmi->state != LS_IDLE)
		ls_fail(LS_SITE("nr_raised"), "the hardirq ran while the NMI was still entered");
	if (nr_ops != nr_ops_at_nmi)
		ls_fail(LS_SITE("nr_raised"), "the task made %d stores between the NMI and the "
					      "hardirq it raised", nr_ops - nr_ops_at_nmi);
}

static void nr_init(int variant)
{
	(void)variant;
	nr_word = 0;
	nr_ops = nr_ops_at_nmi = nr_nmi_runs = nr_raised_runs = 0;
	ls_set_raised_irq_handler(nr_raised);
}

static void nr_check(int variant)
{
	(void)variant;
	if (nr_raised_runs != nr_nmi_runs)
		ls_fail(LS_SITE("nr_check"), "%d NMIs, %d hardirqs", nr_nmi_runs, nr_raised_runs);
}

static const struct ls_task_decl nr_tasks[] = { { "t0", 0, nr_task, NULL } };
static const struct ls_irq_decl nr_nmis[] = { { "raiser", 0x1, 1, nr_nmi, NULL } };
SEM_TARGET(nmi_raise_target, "semantics/nmi-raise", .ncpus = 1, .tasks = nr_tasks, .ntasks = 1,
	   .nmis = nr_nmis, .nnmis = 1, .init = nr_init, .check = nr_check);

#define NR_SEEDS 2000

int hardirq_raised_in_nmi_runs_when_the_nmi_returns(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	unsigned with_nmi = 0;
	sem_open(&s, &nmi_raise_target, 0, NULL);
	sem_strategy_init(&walk, NULL, 0, 0, 0.3);
	for (uint64_t seed = 0; seed < NR_SEEDS; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if (r.kind != LS_KIND_NONE) {
			sem_explain(&s, &r, "random p-irq 0.3");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
		with_nmi += nr_nmi_runs;
	}
	ls_session_finish(&s);
	printf("%u of %d executions took the NMI\n", with_nmi, NR_SEEDS);
	CHECK(with_nmi > 0);
	return TEST_PASS;
}

/* ---- interrupts and irqs-off sections -----------------------------------------------------
 *
 * semantics/irqs-off: one CPU.  The task makes stores inside four irqs-off sections (local_irq_
 * save/restore, spin_lock_irqsave, spin_lock_irq, local_irq_disable/enable) and between them; a
 * plain flag io_off is set right after each section begins and cleared right before it ends.
 * A hardirq source and an NMI source (three injections each) note whether they landed inside.
 *
 * Results: hardirq inside a section: Never; a hardirq offered there: Never; hardirqs land
 * elsewhere: Sometimes.  NMI inside a section: Sometimes.  Both kept before f4e2293. */
static DEFINE_SPINLOCK(io_lock);
static long io_word;
static int io_off, io_irq_runs, io_nmi_runs, io_nmi_inside;

static void io_stores(int n)
{
	for (int i = 0; i < n; i++)
		WRITE_ONCE(io_word, i);
}

static void io_task(void *arg)
{
	(void)arg;
	unsigned long f;
	local_irq_save(f);
	io_off = 1;
	io_stores(2);
	io_off = 0;
	local_irq_restore(f);
	io_stores(1);
	spin_lock_irqsave(&io_lock, f);
	io_off = 1;
	io_stores(2);
	io_off = 0;
	spin_unlock_irqrestore(&io_lock, f);
	io_stores(1);
	spin_lock_irq(&io_lock);
	io_off = 1;
	io_stores(2);
	io_off = 0;
	spin_unlock_irq(&io_lock);
	io_stores(1);
	local_irq_disable();
	io_off = 1;
	io_stores(2);
	io_off = 0;
	local_irq_enable();
	io_stores(1);
}

static void io_irq(void *arg)
{
	(void)arg;
	io_irq_runs++;
	if (io_off || sem_machine()->ctx[0].irqs_off)
		ls_fail(LS_SITE("io_irq"), "a hardirq landed inside an irqs-off section");
	(void)READ_ONCE(io_word);
}

static void io_nmi(void *arg)
{
	(void)arg;
	io_nmi_runs++;
	io_nmi_inside += io_off;
	(void)READ_ONCE(io_word);
}

static void io_init(int variant)
{
	(void)variant;
	io_word = 0;
	io_off = io_irq_runs = io_nmi_runs = io_nmi_inside = 0;
	spin_lock_init(&io_lock);
}

static const struct ls_task_decl io_tasks[] = { { "t0", 0, io_task, NULL } };
static const struct ls_irq_decl io_nmis[] = { { "nmi", 0x1, 3, io_nmi, NULL } };
static const struct ls_irq_decl io_irqs[] = { { "irq", 0x1, 3, io_irq, NULL } };
SEM_TARGET(irqs_off_target, "semantics/irqs-off", .ncpus = 1, .tasks = io_tasks, .ntasks = 1,
	   .nmis = io_nmis, .nnmis = 1, .irqs = io_irqs, .nirqs = 1, .init = io_init);

static unsigned io_offered_inside;

/* Never picks; counts hardirq offers made while the task is inside a section. */
static int watch_irq_offers(struct sem_strategy *s, struct ls_point *pt)
{
	(void)s;
	if ((io_off || pt->m->ctx[0].irqs_off) && sem_offers(pt, LS_CH_IRQ, 0))
		io_offered_inside++;
	return -1;
}

#define IO_SEEDS 2000

int hardirq_source_never_lands_with_irqs_off(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	unsigned landed = 0;
	sem_open(&s, &irqs_off_target, 0, NULL);
	sem_strategy_init(&walk, watch_irq_offers, 0, 0, 0.5);
	io_offered_inside = 0;
	for (uint64_t seed = 0; seed < IO_SEEDS; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if (r.kind != LS_KIND_NONE || io_offered_inside) {
			fprintf(stderr, "hardirq offers inside a section: %u\n", io_offered_inside);
			sem_explain(&s, &r, "random p-irq 0.5");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
		landed += io_irq_runs;
	}
	ls_session_finish(&s);
	printf("%u hardirqs landed in %d executions, none inside a section\n", landed, IO_SEEDS);
	CHECK(landed > 0);
	return TEST_PASS;
}

int nmi_lands_with_irqs_off(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	uint64_t seed;
	sem_open(&s, &irqs_off_target, 0, NULL);
	sem_strategy_init(&walk, NULL, 0, 0, SEM_P_IRQ);
	for (seed = 0; seed < IO_SEEDS; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if (io_nmi_inside)
			break;
	}
	ls_session_finish(&s);
	CHECKF(seed < IO_SEEDS, "no NMI inside an irqs-off section in %d executions of random "
	       "p-irq 0.05", IO_SEEDS);
	printf("an NMI inside an irqs-off section at seed %" PRIu64 " (random p-irq 0.05)\n", seed);
	return TEST_PASS;
}

/* ---- nesting -------------------------------------------------------------------------------
 *
 * semantics/nest: one CPU.  The task makes six stores.  An NMI source (two per execution) counts
 * its depth and raises a hardirq; a hardirq source (two per execution) and the raised hardirq
 * check that no NMI is entered on the CPU.  The strategy injects whatever it is offered, NMIs
 * first, so an NMI offered during an NMI, or a hardirq offered over one, would be taken.
 *
 * Results: an NMI inside an NMI: Never, and never offered; a hardirq over an NMI: Never, and
 * never offered; both NMIs of the budget run: Always.  Kept before f4e2293. */
static long ns_word;
static int ns_nmi_depth, ns_nmi_runs, ns_irq_runs;
static unsigned ns_bad_offers;

static void ns_task(void *arg)
{
	(void)arg;
	for (int i = 0; i < 6; i++)
		WRITE_ONCE(ns_word, i);
}

static void ns_no_nmi_below(const char *who)
{
	if (ns_nmi_depth || sem_machine()->cpu[0].nmi->state != LS_IDLE)
		ls_fail(LS_SITE("ns_no_nmi_below"), "%s entered over an NMI", who);
	ns_irq_runs++;
	(void)READ_ONCE(ns_word);
}

static void ns_nmi(void *arg)
{
	(void)arg;
	if (ns_nmi_depth++)
		ls_fail(LS_SITE("ns_nmi"), "an NMI nested inside an NMI");
	ns_nmi_runs++;
	(void)READ_ONCE(ns_word);
	ls_irq_raise(ls_cpu());
	(void)READ_ONCE(ns_word);
	ns_nmi_depth--;
}

static void ns_irq(void *arg)
{
	(void)arg;
	ns_no_nmi_below("the hardirq source");
}

static void ns_raised(int cpu)
{
	(void)cpu;
	ns_no_nmi_below("the raised hardirq");
}

static void ns_init(int variant)
{
	(void)variant;
	ns_word = 0;
	ns_nmi_depth = ns_nmi_runs = ns_irq_runs = 0;
	ls_set_raised_irq_handler(ns_raised);
}

static const struct ls_task_decl ns_tasks[] = { { "t0", 0, ns_task, NULL } };
static const struct ls_irq_decl ns_nmis[] = { { "nmi", 0x1, 2, ns_nmi, NULL } };
static const struct ls_irq_decl ns_irqs[] = { { "irq", 0x1, 2, ns_irq, NULL } };
SEM_TARGET(nest_target, "semantics/nest", .ncpus = 1, .tasks = ns_tasks, .ntasks = 1,
	   .nmis = ns_nmis, .nnmis = 1, .irqs = ns_irqs, .nirqs = 1, .init = ns_init);

/* Injects every interrupt offered, NMIs first; counts offers that break the rules. */
static int pick_any_interrupt(struct sem_strategy *s, struct ls_point *pt)
{
	(void)s;
	const struct ls_cpu *cpu = &pt->m->cpu[0];
	bool nmi_in = cpu->nmi->state != LS_IDLE;
	if (nmi_in && sem_offers(pt, LS_CH_NMI, 0))
		ns_bad_offers++;
	if (cpu->top && cpu->top->kind == LS_CTX_NMI && sem_offers(pt, LS_CH_IRQ, 0))
		ns_bad_offers++;
	int i = sem_choice(pt, LS_CH_NMI, 0);
	return i >= 0 ? i : sem_choice(pt, LS_CH_IRQ, 0);
}

#define NS_SEEDS 300

static int nest_sweep(unsigned *irqs)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy eager;
	sem_open(&s, &nest_target, 0, NULL);
	sem_strategy_init(&eager, pick_any_interrupt, 0, 0, 0);
	ns_bad_offers = 0;
	*irqs = 0;
	for (uint64_t seed = 0; seed < NS_SEEDS; seed++) {
		ls_session_run(&s, &eager.base, seed, &r);
		if (r.kind != LS_KIND_NONE || ns_bad_offers || ns_nmi_runs != 2) {
			fprintf(stderr, "NMIs run: %d of 2; offers breaking the rules: %u\n",
				ns_nmi_runs, ns_bad_offers);
			sem_explain(&s, &r, "every interrupt offered, NMIs first");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
		*irqs += (unsigned)ns_irq_runs;
	}
	ls_session_finish(&s);
	return TEST_PASS;
}

int nmis_never_nest(void)
{
	unsigned irqs;
	return nest_sweep(&irqs);
}

int hardirq_never_enters_over_an_nmi(void)
{
	unsigned irqs;
	if (nest_sweep(&irqs) != TEST_PASS)
		return TEST_FAIL;
	printf("%u hardirqs ran in %d executions, none over an NMI\n", irqs, NS_SEEDS);
	CHECK(irqs >= NS_SEEDS);
	return TEST_PASS;
}

/* Suite `semantics`, preemption: another task of the same CPU runs only where the running task is
 * preemptible (interrupts on, preempt count 0), and at every such point, the first operation
 * after a preempt_enable() included. */
#include "semantics.h"

/* ---- atomic sections -------------------------------------------------------------------------
 *
 * semantics/atomic-sections: t0 and t1 share CPU0, t2 runs on CPU1.  Each task of CPU0 makes
 * stores inside three atomic sections (preempt_disable, local_irq_save, spin_lock of a lock t2
 * takes too) and between them.  A plain owner word says which task of CPU0 is inside a section;
 * after every store inside, the task checks it still owns it.
 *
 *	t0, t1 (CPU0)					t2 (CPU1)
 *	preempt_disable()   enter; 2 stores; leave	spin_lock(&as_lock)
 *	preempt_enable()				WRITE_ONCE(as_word, 9)
 *	local_irq_save()    enter; 2 stores; leave	spin_unlock(&as_lock)
 *	local_irq_restore()
 *	spin_lock()         enter; 2 stores; leave
 *	spin_unlock()
 *
 * Results: the other task of CPU0 runs inside a section: Never; the tasks of CPU0 interleave
 * between sections: Sometimes.  Kept before f4e2293. */
static DEFINE_SPINLOCK(as_lock);
static long as_word;
static int as_owner, as_interleaved;
static bool as_started[2], as_finished[2];

static void as_enter(int me)
{
	if (as_owner >= 0)
		ls_fail(LS_SITE("as_enter"), "t%d entered an atomic section while t%d was inside "
			"one", me, as_owner);
	as_owner = me;
}

static void as_stores(int me)
{
	for (int i = 0; i < 2; i++) {
		WRITE_ONCE(as_word, me * 10 + i);
		if (as_owner != me)
			ls_fail(LS_SITE("as_stores"), "t%d was preempted inside an atomic section",
				me);
	}
	as_owner = -1;
}

static void as_task(void *arg)
{
	int me = (int)(intptr_t)arg;
	unsigned long f;
	as_started[me] = true;
	if (as_started[!me] && !as_finished[!me])
		as_interleaved = 1;
	preempt_disable();
	as_enter(me);
	as_stores(me);
	preempt_enable();
	WRITE_ONCE(as_word, 100 + me);
	local_irq_save(f);
	as_enter(me);
	as_stores(me);
	local_irq_restore(f);
	WRITE_ONCE(as_word, 200 + me);
	spin_lock(&as_lock);
	as_enter(me);
	as_stores(me);
	spin_unlock(&as_lock);
	as_finished[me] = true;
}

static void as_other_cpu(void *arg)
{
	(void)arg;
	spin_lock(&as_lock);
	WRITE_ONCE(as_word, 9);
	spin_unlock(&as_lock);
}

static void as_init(int variant)
{
	(void)variant;
	as_word = 0;
	as_owner = -1;
	as_interleaved = 0;
	as_started[0] = as_started[1] = as_finished[0] = as_finished[1] = false;
	spin_lock_init(&as_lock);
}

static const struct ls_task_decl as_tasks[] = {
	{ "t0", 0, as_task, (void *)(intptr_t)0 },
	{ "t1", 0, as_task, (void *)(intptr_t)1 },
	{ "t2", 1, as_other_cpu, NULL },
};
SEM_TARGET(atomic_sections_target, "semantics/atomic-sections", .ncpus = 2, .tasks = as_tasks,
	   .ntasks = 3, .init = as_init);

struct as_tally {
	uint64_t interleaved;
};

static int as_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	struct as_tally *t = arg;
	(void)s;
	t->interleaved += as_interleaved;
	return r->kind == LS_KIND_NONE ? SEM_GO_ON : SEM_FAILED;
}

#define AS_SEEDS 5000

int tasks_of_one_cpu_never_interleave_in_atomic_sections(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	struct as_tally t = { 0 };
	uint64_t executions;
	sem_open(&s, &atomic_sections_target, 0, NULL);
	sem_strategy_init(&walk, NULL, 0.3, 0, 0);
	for (uint64_t seed = 0; seed < AS_SEEDS; seed++) {
		ls_session_run(&s, &walk.base, seed, &r);
		if (as_each(&s, &r, &t) != SEM_GO_ON) {
			sem_explain(&s, &r, "random p-switch 0.3");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
	}
	ls_session_finish(&s);
	printf("random: %" PRIu64 " of %d executions interleaved t0 and t1\n", t.interleaved,
	       AS_SEEDS);
	CHECK(t.interleaved > 0);
	t.interleaved = 0;
	int rc = sem_dfs(&atomic_sections_target, 0, NULL, 2, 0, false, as_each, &t, &executions);
	CHECKF(rc == SEM_GO_ON, "dfs preemptions 2: stopped at execution %" PRIu64, executions - 1);
	printf("dfs preemptions 2: %" PRIu64 " executions, %" PRIu64 " interleaved\n", executions,
	       t.interleaved);
	CHECK(t.interleaved > 0);
	return TEST_PASS;
}

/* ---- the point after preempt_enable() --------------------------------------------------------
 *
 * semantics/preempt-enable: t0 and t1 share CPU0.
 *
 *	t0				t1
 *	preempt_disable()		r1 = READ_ONCE(pe_x)
 *	WRITE_ONCE(pe_x, 1)		r2 = READ_ONCE(pe_y)
 *	preempt_enable()		BUG_ON(r1 == 1 && r2 == 0)
 *	WRITE_ONCE(pe_y, 1)
 *
 * The BUG fires when t1 runs both loads between t0's preempt_enable() and its next store: a
 * preemption made possible by preempt_enable(), before t0's next operation.  Result: Sometimes,
 * with one preemption.  Kept before f4e2293. */
static long pe_x, pe_y;

static void pe_writer(void *arg)
{
	(void)arg;
	preempt_disable();
	WRITE_ONCE(pe_x, 1);
	preempt_enable();
	WRITE_ONCE(pe_y, 1);
}

static void pe_reader(void *arg)
{
	(void)arg;
	long r1 = READ_ONCE(pe_x);
	long r2 = READ_ONCE(pe_y);
	if (r1 == 1 && r2 == 0)
		ls_fail(LS_SITE("BUG"), "BUG: t1 ran between t0's preempt_enable() and its next "
			"store");
}

static void pe_init(int variant)
{
	(void)variant;
	pe_x = pe_y = 0;
}

static const struct ls_task_decl pe_tasks[] = {
	{ "t0", 0, pe_writer, NULL },
	{ "t1", 0, pe_reader, NULL },
};
SEM_TARGET(preempt_enable_target, "semantics/preempt-enable", .ncpus = 1, .tasks = pe_tasks,
	   .ntasks = 2, .init = pe_init);

static int pe_each(struct ls_session *s, const struct ls_result *r, void *arg)
{
	(void)s;
	(void)arg;
	if (r->kind == LS_KIND_INVARIANT)
		return SEM_FOUND;
	return r->kind == LS_KIND_NONE ? SEM_GO_ON : SEM_FAILED;
}

#define PE_SEEDS 2000

int preemption_after_preempt_enable_comes_before_the_next_op(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	uint64_t seed, executions;
	int rc = sem_dfs(&preempt_enable_target, 0, NULL, 1, 0, true, pe_each, NULL, &executions);
	CHECKF(rc == SEM_FOUND, "dfs preemptions 1: %s after %" PRIu64 " executions",
	       rc == SEM_GO_ON ? "not found" : "failed", executions);
	printf("dfs preemptions 1: found at execution %" PRIu64 "\n", executions - 1);
	sem_open(&s, &preempt_enable_target, 0, NULL);
	sem_strategy_init(&walk, NULL, SEM_P_SWITCH, SEM_P_SLOW, SEM_P_IRQ);
	for (seed = 0; seed < PE_SEEDS; seed++)
		if (ls_session_run(&s, &walk.base, seed, &r) != LS_KIND_NONE)
			break;
	if (seed < PE_SEEDS && r.kind != LS_KIND_INVARIANT) {
		sem_explain(&s, &r, "random");
		ls_session_finish(&s);
		return TEST_FAIL;
	}
	ls_session_finish(&s);
	CHECKF(seed < PE_SEEDS, "random: not found in %d executions", PE_SEEDS);
	printf("random: found at seed %" PRIu64 "\n", seed);
	return TEST_PASS;
}

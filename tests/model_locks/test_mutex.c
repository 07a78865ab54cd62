/* Suite `mutex`: struct mutex and might_sleep() (include/lockstep/mutex.h). */
#include "locks.h"

/* ---- mutual exclusion, with sleeping waiters sharing CPUs -------------------------------- */

/* Four tasks on two CPUs take one mutex twice each and sleep inside it.  The sections must not
 * overlap, and since a waiter sleeps with preemption enabled, the other task of its CPU must
 * sometimes get the mutex while its CPU sibling waits for it. */
#define MX_ROUNDS 2

static DEFINE_MUTEX(mx);
static int mx_inside, mx_count, mx_sibling_ran;

static void mx_task(void *arg)
{
	int sibling = (int)(intptr_t)arg;
	for (int i = 0; i < MX_ROUNDS; i++) {
		mutex_lock(&mx);
		WRITE_ONCE(mx_inside, READ_ONCE(mx_inside) + 1);
		LS_BUG_ON(READ_ONCE(mx_inside) != 1);
		if (parked_on(sibling, &mx.owner))
			mx_sibling_ran++;
		racy_inc(&mx_count);
		sleep_until(ls_now() + 1000);
		WRITE_ONCE(mx_inside, READ_ONCE(mx_inside) - 1);
		mutex_unlock(&mx);
	}
}

static void mx_init(int v)
{
	(void)v;
	mx_inside = mx_count = 0;
}

static const struct ls_task_decl mx_tasks[] = {
	{ "a0", 0, mx_task, (void *)1 },
	{ "a1", 0, mx_task, (void *)0 },
	{ "b0", 1, mx_task, (void *)3 },
	{ "b1", 1, mx_task, (void *)2 },
};
LOCK_TARGET(mx_target, "test/mutex-exclusion", 2, mx_tasks, one_variant, mx_init);

static int mx_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, mx_count == 4 * MX_ROUNDS, "count %d", mx_count);
	return TEST_PASS;
}

static int test_mutex_excludes_and_a_sleeping_waiter_frees_its_cpu(void)
{
	mx_sibling_ran = 0;
	CHECK(sweep(&mx_target, 0, SEEDS, mx_check) == TEST_PASS);
	CHECKF(mx_sibling_ran > 0, "no task ever took the mutex while its CPU sibling waited");
	return TEST_PASS;
}

/* ---- FIFO hand-off ----------------------------------------------------------------------- */

/* The holder lets w1, w2, w3 (all on one CPU) queue one after the other, then unlocks: they must
 * get the mutex in that order. */
#define FIFO_WAITERS 3

static DEFINE_MUTEX(fifo);
static int fifo_go[FIFO_WAITERS + 1];
static int fifo_order[FIFO_WAITERS], fifo_n;

static void fifo_holder(void *arg)
{
	(void)arg;
	mutex_lock(&fifo);
	for (int i = 1; i <= FIFO_WAITERS; i++) {
		WRITE_ONCE(fifo_go[i], 1);
		poll_until(parked_on(i, &fifo.owner));
	}
	mutex_unlock(&fifo);
}

static void fifo_waiter(void *arg)
{
	int me = (int)(intptr_t)arg;
	smp_cond_load_acquire(&fifo_go[me], VAL != 0);
	mutex_lock(&fifo);
	fifo_order[fifo_n++] = me;
	mutex_unlock(&fifo);
}

static void fifo_init(int v)
{
	(void)v;
	memset(fifo_go, 0, sizeof(fifo_go));
	fifo_n = 0;
}

static const struct ls_task_decl fifo_tasks[] = {
	{ "holder", 0, fifo_holder, NULL },
	{ "w1", 1, fifo_waiter, (void *)1 },
	{ "w2", 1, fifo_waiter, (void *)2 },
	{ "w3", 1, fifo_waiter, (void *)3 },
};
LOCK_TARGET(fifo_target, "test/mutex-fifo", 2, fifo_tasks, one_variant, fifo_init);

static int fifo_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, fifo_n == FIFO_WAITERS, "%d acquisitions", fifo_n);
	for (int i = 0; i < FIFO_WAITERS; i++)
		SEED_CHECK(r, fifo_order[i] == i + 1, "position %d went to w%d", i, fifo_order[i]);
	return TEST_PASS;
}

static int test_mutex_hands_off_to_waiters_in_arrival_order(void)
{
	return sweep(&fifo_target, 0, SEEDS, fifo_check);
}

/* ---- trylock ----------------------------------------------------------------------------- */

/* While the holder holds the mutex, and again after it handed it to a queued waiter, a trylock
 * fails; once everyone is gone it succeeds. */
static DEFINE_MUTEX(try_m);
static int try_stage, try_held_result, try_handed_result, try_free_result, try_locked_seen;

static void try_holder(void *arg)
{
	(void)arg;
	mutex_lock(&try_m);
	WRITE_ONCE(try_stage, 1);
	poll_until(parked_on(1, &try_m.owner));
	WRITE_ONCE(try_stage, 2);
	smp_cond_load_acquire(&try_stage, VAL == 3);
	mutex_unlock(&try_m);
	WRITE_ONCE(try_stage, 4);
}

static void try_waiter(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&try_stage, VAL >= 1);
	mutex_lock(&try_m);
	smp_cond_load_acquire(&try_stage, VAL == 5);
	mutex_unlock(&try_m);
	WRITE_ONCE(try_stage, 6);
}

static void try_prober(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&try_stage, VAL == 2);
	try_locked_seen = mutex_is_locked(&try_m);
	try_held_result = mutex_trylock(&try_m);
	WRITE_ONCE(try_stage, 3);
	smp_cond_load_acquire(&try_stage, VAL == 4);
	try_handed_result = mutex_trylock(&try_m);
	WRITE_ONCE(try_stage, 5);
	smp_cond_load_acquire(&try_stage, VAL == 6);
	try_free_result = mutex_trylock(&try_m);
	if (try_free_result)
		mutex_unlock(&try_m);
}

static void try_init(int v)
{
	(void)v;
	try_stage = 0;
	try_held_result = try_handed_result = try_free_result = try_locked_seen = -1;
}

static const struct ls_task_decl try_tasks[] = {
	{ "holder", 0, try_holder, NULL },
	{ "waiter", 1, try_waiter, NULL },
	{ "prober", 2, try_prober, NULL },
};
LOCK_TARGET(try_target, "test/mutex-trylock", 3, try_tasks, one_variant, try_init);

static int try_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, try_locked_seen == 1, "mutex_is_locked() %d while held", try_locked_seen);
	SEED_CHECK(r, try_held_result == 0, "trylock %d while held", try_held_result);
	SEED_CHECK(r, try_handed_result == 0, "trylock %d after the hand-off", try_handed_result);
	SEED_CHECK(r, try_free_result == 1, "trylock %d on a free mutex", try_free_result);
	return TEST_PASS;
}

static int test_mutex_trylock_fails_while_held_or_handed_off(void)
{
	return sweep(&try_target, 0, SEEDS, try_check);
}

/* ---- might_sleep() ----------------------------------------------------------------------- */

/* mutex_lock() from an NMI, under a spinlock, or with interrupts off: the kernel's "sleeping
 * function called from invalid context", every time it happens. */
enum { SLEEP_NMI, SLEEP_SPINLOCK, SLEEP_IRQS_OFF, SLEEP_OK };

static DEFINE_MUTEX(sleep_m);
static DEFINE_SPINLOCK(sleep_spin);
static int sleep_variant, sleep_nmis;

static void sleep_task(void *arg)
{
	(void)arg;
	switch (sleep_variant) {
	case SLEEP_SPINLOCK:
		spin_lock(&sleep_spin);
		mutex_lock(&sleep_m);
		mutex_unlock(&sleep_m);
		spin_unlock(&sleep_spin);
		break;
	case SLEEP_IRQS_OFF:
		local_irq_disable();
		mutex_lock(&sleep_m);
		mutex_unlock(&sleep_m);
		local_irq_enable();
		break;
	default:
		for (int i = 0; i < 4; i++) {
			mutex_lock(&sleep_m);
			cpu_relax();
			mutex_unlock(&sleep_m);
		}
		break;
	}
}

static void sleep_nmi(void *arg)
{
	(void)arg;
	sleep_nmis++;
	if (sleep_variant != SLEEP_NMI)
		return;
	mutex_lock(&sleep_m);
	mutex_unlock(&sleep_m);
}

static void sleep_init(int v)
{
	sleep_variant = v;
	sleep_nmis = 0;
}

static const struct ls_variant sleep_variants[] = {
	{ "nmi", "mutex_lock() in an NMI", LS_KIND_INVARIANT },
	{ "spinlock", "mutex_lock() under spin_lock()", LS_KIND_INVARIANT },
	{ "irqs-off", "mutex_lock() with interrupts disabled", LS_KIND_INVARIANT },
	{ "ok", "mutex_lock() from a task", LS_KIND_NONE },
};
static const struct ls_task_decl sleep_tasks[] = { { "t0", 0, sleep_task, NULL } };
static const struct ls_irq_decl sleep_nmi_decl[] = { { "nmi", 0x1, 1, sleep_nmi, NULL } };
LOCK_TARGET(sleep_target, "test/mutex-might-sleep", 1, sleep_tasks, sleep_variants, sleep_init,
	    .nmis = sleep_nmi_decl, .nnmis = 1);

static const char *sleep_expect;

static int sleep_check(const struct ls_result *r)
{
	bool must_fail = sleep_variant != SLEEP_OK && (sleep_variant != SLEEP_NMI || sleep_nmis);
	if (!must_fail) {
		SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
			   r->signature);
		return TEST_PASS;
	}
	SEED_CHECK(r, r->kind == LS_KIND_INVARIANT, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, strstr(r->signature, "BUG: sleeping function called from invalid context "
				"at test_mutex.c:"),
		   "signature %s", r->signature);
	SEED_CHECK(r, strstr(r->signature, sleep_expect), "signature %s, want %s", r->signature,
		   sleep_expect);
	return TEST_PASS;
}

static int test_mutex_lock_in_atomic_context_is_sleeping_in_invalid_context(void)
{
	static const char *const expect[] = {
		[SLEEP_NMI] = "in_atomic(): 1, irqs_disabled(): 1, name: nmi@cpu0",
		[SLEEP_SPINLOCK] = "in_atomic(): 1, irqs_disabled(): 0, name: t0",
		[SLEEP_IRQS_OFF] = "in_atomic(): 0, irqs_disabled(): 1, name: t0",
		[SLEEP_OK] = "",
	};
	for (int v = SLEEP_NMI; v <= SLEEP_OK; v++) {
		sleep_expect = expect[v];
		CHECK(sweep(&sleep_target, v, SEEDS, sleep_check) == TEST_PASS);
		if (v != SLEEP_OK)
			CHECKF(sweep_kinds[LS_KIND_INVARIANT] > 0, "variant %s never failed",
			       sleep_variants[v].name);
	}
	return TEST_PASS;
}

/* ---- AA ---------------------------------------------------------------------------------- */

static DEFINE_MUTEX(aa_m);

static void aa_task(void *arg)
{
	(void)arg;
	mutex_lock(&aa_m);
	mutex_lock(&aa_m);
}

static void aa_init(int v)
{
	(void)v;
}

static const struct ls_task_decl aa_tasks[] = { { "t0", 0, aa_task, NULL } };
LOCK_TARGET(aa_target, "test/mutex-aa", 1, aa_tasks, one_variant, aa_init);

static int aa_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_DEADLOCK, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, strcmp(r->signature, "deadlock: t0 waits in mutex_lock on aa_m held by t0") == 0,
		   "signature %s", r->signature);
	return TEST_PASS;
}

static int test_mutex_lock_twice_deadlocks_on_itself(void)
{
	return sweep(&aa_target, 0, SEEDS, aa_check);
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_mutex_excludes_and_a_sleeping_waiter_frees_its_cpu, status);
	RUN(test_mutex_hands_off_to_waiters_in_arrival_order, status);
	RUN(test_mutex_trylock_fails_while_held_or_handed_off, status);
	RUN(test_mutex_lock_in_atomic_context_is_sleeping_in_invalid_context, status);
	RUN(test_mutex_lock_twice_deadlocks_on_itself, status);
	return status;
}

/* Suite `spinlock`: raw_spinlock_t and spinlock_t (include/lockstep/spinlock.h). */
#include "locks.h"

/* ---- FIFO: waiters acquire in the order they arrived ------------------------------------- */

/* The holder lets waiter 1 start, waits until it waits (its ticket is drawn), lets waiter 2
 * start, and so on; then it releases.  Whatever the scheduler does, the waiters must get the
 * lock in the order 1, 2, 3, each alone. */
#define FIFO_WAITERS 3

static DEFINE_SPINLOCK(fifo_lock);
static int fifo_go[FIFO_WAITERS + 1];
static int fifo_order[FIFO_WAITERS];
static int fifo_n, fifo_inside, fifo_count;

/* Waiters (contexts drawing a ticket) beyond the holder, read off the ticket word. */
static int ticket_waiters(int v)
{
	return (int)(((unsigned)v >> 16) - ((unsigned)v & 0xffff)) - 1;
}

static void fifo_holder(void *arg)
{
	(void)arg;
	spin_lock(&fifo_lock);
	for (int i = 1; i <= FIFO_WAITERS; i++) {
		WRITE_ONCE(fifo_go[i], 1);
		atomic_cond_read_acquire(&fifo_lock.rlock.val, ticket_waiters(VAL) >= i);
	}
	spin_unlock(&fifo_lock);
}

static void fifo_waiter(void *arg)
{
	int me = (int)(intptr_t)arg;
	smp_cond_load_acquire(&fifo_go[me], VAL != 0);
	spin_lock(&fifo_lock);
	WRITE_ONCE(fifo_inside, READ_ONCE(fifo_inside) + 1);
	LS_BUG_ON(READ_ONCE(fifo_inside) != 1);
	fifo_order[fifo_n++] = me;
	racy_inc(&fifo_count);
	WRITE_ONCE(fifo_inside, READ_ONCE(fifo_inside) - 1);
	spin_unlock(&fifo_lock);
}

static void fifo_init(int v)
{
	(void)v;
	memset(fifo_go, 0, sizeof(fifo_go));
	fifo_n = fifo_inside = fifo_count = 0;
}

static const struct ls_task_decl fifo_tasks[] = {
	{ "holder", 0, fifo_holder, NULL },
	{ "w1", 1, fifo_waiter, (void *)1 },
	{ "w2", 2, fifo_waiter, (void *)2 },
	{ "w3", 3, fifo_waiter, (void *)3 },
};
LOCK_TARGET(fifo_target, "test/spin-fifo", 4, fifo_tasks, one_variant, fifo_init);

static int fifo_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, fifo_n == FIFO_WAITERS && fifo_count == FIFO_WAITERS, "%d entries, count %d",
		   fifo_n, fifo_count);
	for (int i = 0; i < FIFO_WAITERS; i++)
		SEED_CHECK(r, fifo_order[i] == i + 1, "position %d went to w%d", i, fifo_order[i]);
	return TEST_PASS;
}

static int test_spinlock_waiters_acquire_in_arrival_order(void)
{
	return sweep(&fifo_target, 0, SEEDS, fifo_check);
}

/* ---- mutual exclusion under every flavour ------------------------------------------------ */

#define MX_ROUNDS 2

static DEFINE_RAW_SPINLOCK(mx_raw);
static spinlock_t mx_lock;
static int mx_inside, mx_count, mx_raw_count, mx_irq_state_bad;

static void mx_section(void)
{
	WRITE_ONCE(mx_inside, READ_ONCE(mx_inside) + 1);
	LS_BUG_ON(READ_ONCE(mx_inside) != 1);
	racy_inc(&mx_count);
	WRITE_ONCE(mx_inside, READ_ONCE(mx_inside) - 1);
}

/* Each task uses another flavour; all of them exclude each other through one lock. */
static void mx_plain(void *arg)
{
	(void)arg;
	for (int i = 0; i < MX_ROUNDS; i++) {
		spin_lock(&mx_lock);
		mx_section();
		spin_unlock(&mx_lock);
	}
}

static void mx_irqsave(void *arg)
{
	(void)arg;
	for (int i = 0; i < MX_ROUNDS; i++) {
		unsigned long flags;
		spin_lock_irqsave(&mx_lock, flags);
		if (!irqs_disabled() || preempt_count() != 1)
			mx_irq_state_bad++;
		mx_section();
		spin_unlock_irqrestore(&mx_lock, flags);
		if (irqs_disabled() || preempt_count() != 0)
			mx_irq_state_bad++;
	}
}

static void mx_trylock(void *arg)
{
	(void)arg;
	for (int i = 0; i < MX_ROUNDS;) {
		if (!spin_trylock(&mx_lock)) {
			cpu_relax();
			continue;
		}
		if (preempt_count() != 1)
			mx_irq_state_bad++;
		mx_section();
		spin_unlock(&mx_lock);
		i++;
	}
}

static void mx_irq_bh(void *arg)
{
	(void)arg;
	for (int i = 0; i < MX_ROUNDS; i++) {
		spin_lock_irq(&mx_lock);
		mx_section();
		spin_unlock_irq(&mx_lock);
		spin_lock_bh(&mx_lock);
		if (preempt_count() != 2)
			mx_irq_state_bad++;
		mx_section();
		spin_unlock_bh(&mx_lock);
	}
	if (irqs_disabled() || preempt_count() != 0)
		mx_irq_state_bad++;
}

/* A hardirq counts too, under a raw lock of its own that its CPU's task takes with interrupts
 * off (spin_lock() with interrupts on would deadlock against it: see the next test). */
static void mx_hardirq(void *arg)
{
	(void)arg;
	raw_spin_lock(&mx_raw);
	racy_inc(&mx_raw_count);
	raw_spin_unlock(&mx_raw);
}

static void mx_raw_user(void *arg)
{
	(void)arg;
	unsigned long flags;
	raw_spin_lock_irqsave(&mx_raw, flags);
	racy_inc(&mx_raw_count);
	raw_spin_unlock_irqrestore(&mx_raw, flags);
	if (raw_spin_trylock_irqsave(&mx_raw, flags)) {
		racy_inc(&mx_raw_count);
		raw_spin_unlock_irqrestore(&mx_raw, flags);
	} else {
		mx_irq_state_bad += irqs_disabled();
		/* The racy increment below needs the lock: take it the blocking way. */
		raw_spin_lock_irqsave(&mx_raw, flags);
		racy_inc(&mx_raw_count);
		raw_spin_unlock_irqrestore(&mx_raw, flags);
	}
}

static int mx_hardirqs;

static void mx_hardirq_counted(void *arg)
{
	mx_hardirqs++;
	mx_hardirq(arg);
}

static void mx_init(int v)
{
	(void)v;
	spin_lock_init(&mx_lock);
	mx_inside = mx_count = mx_raw_count = mx_irq_state_bad = mx_hardirqs = 0;
}

static const struct ls_task_decl mx_tasks[] = {
	{ "plain", 0, mx_plain, NULL },
	{ "irqsave", 1, mx_irqsave, NULL },
	{ "trylock", 2, mx_trylock, NULL },
	{ "irq_bh", 3, mx_irq_bh, NULL },
	{ "raw", 3, mx_raw_user, NULL },
};
static const struct ls_irq_decl mx_irqs[] = {
	{ "counter_irq", 0x8, 1, mx_hardirq_counted, NULL },
};
LOCK_TARGET(mx_target, "test/spin-mutex", 4, mx_tasks, one_variant, mx_init, .irqs = mx_irqs,
	    .nirqs = 1);

static int mx_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, mx_count == 5 * MX_ROUNDS, "count %d", mx_count);
	SEED_CHECK(r, mx_raw_count == 2 + mx_hardirqs, "raw count %d with %d hardirqs",
		   mx_raw_count, mx_hardirqs);
	SEED_CHECK(r, mx_irq_state_bad == 0, "%d bad interrupt/preemption states",
		   mx_irq_state_bad);
	return TEST_PASS;
}

static int test_spinlock_excludes_across_lock_flavours(void)
{
	return sweep(&mx_target, 0, SEEDS, mx_check);
}

/* ---- spin_lock() vs a hardirq on the same CPU -------------------------------------------- */

/* A task takes the lock with plain spin_lock() (interrupts stay on) and a hardirq on its CPU
 * takes it too: some schedule lands the interrupt inside the critical section, an AA deadlock.
 * With spin_lock_irqsave() the hardirq cannot enter there: never. */
static DEFINE_SPINLOCK(irq_lock);
static int irq_variant;

static void irq_task(void *arg)
{
	(void)arg;
	if (irq_variant == 0) {
		spin_lock(&irq_lock);
		cpu_relax();
		spin_unlock(&irq_lock);
	} else {
		unsigned long flags;
		spin_lock_irqsave(&irq_lock, flags);
		cpu_relax();
		spin_unlock_irqrestore(&irq_lock, flags);
	}
}

static void irq_handler(void *arg)
{
	(void)arg;
	spin_lock(&irq_lock);
	spin_unlock(&irq_lock);
}

static const struct ls_variant irq_variants[] = {
	{ "spin_lock", "hardirq AA", LS_KIND_DEADLOCK },
	{ "irqsave", "interrupts off inside", LS_KIND_NONE },
};

static void irq_init(int v)
{
	irq_variant = v;
}

static const struct ls_task_decl irq_tasks[] = { { "t0", 0, irq_task, NULL } };
static const struct ls_irq_decl irq_irqs[] = { { "handler", 0x1, 1, irq_handler, NULL } };
LOCK_TARGET(irq_target, "test/spin-irq", 1, irq_tasks, irq_variants, irq_init, .irqs = irq_irqs,
	    .nirqs = 1);

static int irq_check_spin_lock(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE || r->kind == LS_KIND_DEADLOCK, "outcome %s: %s",
		   ls_kind_name(r->kind), r->signature);
	if (r->kind == LS_KIND_DEADLOCK)
		SEED_CHECK(r, strstr(r->signature, "t0 is interrupted by handler@cpu0, which waits in "
					"spin_lock on irq_lock held by t0"),
			   "signature %s", r->signature);
	return TEST_PASS;
}

static int test_spin_lock_without_irqsave_deadlocks_against_a_hardirq(void)
{
	CHECK(sweep(&irq_target, 0, SEEDS, irq_check_spin_lock) == TEST_PASS);
	print_kinds("spin_lock");
	CHECKF(sweep_kinds[LS_KIND_DEADLOCK] > 0, "no deadlock in %d seeds", SEEDS);
	CHECK(sweep(&irq_target, 1, SEEDS, expect_clean) == TEST_PASS);
	return TEST_PASS;
}

/* ---- classes and names ------------------------------------------------------------------- */

struct holder_of_lock {
	spinlock_t lock;
};

static DEFINE_SPINLOCK(static_lock);
static DEFINE_RAW_SPINLOCK(static_raw);

static int test_spinlock_class_names_and_keys_follow_lockdep(void)
{
	static spinlock_t dyn_a, dyn_b;
	static struct holder_of_lock h;
	struct holder_of_lock *hp = &h;

	CHECK(strcmp(static_lock.dep_map.name, "static_lock") == 0);
	CHECK(static_lock.dep_map.key == &static_lock);
	CHECK(static_lock.dep_map.wait_type == LS_WAIT_CONFIG);
	CHECK(strcmp(static_raw.dep_map.name, "static_raw") == 0);
	CHECK(static_raw.dep_map.wait_type == LS_WAIT_SPIN);

	spin_lock_init(&dyn_a);
	spin_lock_init(&dyn_b);
	spin_lock_init(&hp->lock);
	CHECKF(strcmp(dyn_a.dep_map.name, "dyn_a") == 0, "%s", dyn_a.dep_map.name);
	CHECKF(strcmp(hp->lock.dep_map.name, "&hp->lock") == 0, "%s", hp->lock.dep_map.name);
	/* One key per init site: two sites, two classes; the key is not the lock. */
	CHECK(dyn_a.dep_map.key != dyn_b.dep_map.key);
	CHECK(dyn_a.dep_map.key != &dyn_a);
	for (int i = 0; i < 2; i++) {
		static spinlock_t loop_locks[2];
		spin_lock_init(&loop_locks[i]);
		if (i == 1)
			CHECK(loop_locks[0].dep_map.key == loop_locks[1].dep_map.key);
	}
	CHECK(spin_is_locked(&dyn_a) == 0);
	spin_lock(&dyn_a);
	CHECK(spin_is_locked(&dyn_a) == 1);
	CHECK(spin_trylock(&dyn_a) == 0);
	spin_unlock(&dyn_a);
	CHECK(spin_trylock(&dyn_a) == 1);
	spin_unlock(&dyn_a);
	return TEST_PASS;
}

/* ---- a static lock comes back unlocked in every execution -------------------------------- */

/* The task takes a statically defined lock and never releases it (the execution ends holding
 * it); the next execution, with no init call, must find it free again. */
static DEFINE_SPINLOCK(leaked_lock);
static int leaked_taken;

static void leak_task(void *arg)
{
	(void)arg;
	spin_lock(&leaked_lock);
	leaked_taken++;
}

static void leak_init(int v)
{
	(void)v;
}

static const struct ls_task_decl leak_tasks[] = { { "t0", 0, leak_task, NULL } };
LOCK_TARGET(leak_target, "test/spin-leak", 1, leak_tasks, one_variant, leak_init);

static int test_static_locks_start_unlocked_in_every_execution(void)
{
	leaked_taken = 0;
	CHECK(sweep(&leak_target, 0, 50, expect_clean) == TEST_PASS);
	CHECK(leaked_taken == 50);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_spinlock_waiters_acquire_in_arrival_order, status);
	RUN(test_spinlock_excludes_across_lock_flavours, status);
	RUN(test_spin_lock_without_irqsave_deadlocks_against_a_hardirq, status);
	RUN(test_spinlock_class_names_and_keys_follow_lockdep, status);
	RUN(test_static_locks_start_unlocked_in_every_execution, status);
	return status;
}

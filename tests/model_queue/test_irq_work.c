/* Suite `irq_work`: the irq_work model, its delivery rules and the races of kernel-spec §2.4.
 *
 * Each test is an inline target run over seeds 0..SWEEP_SEEDS-1 of the random walk (p-switch 0.1,
 * p-irq 0.05) with a check after every execution.  Callbacks and handlers record what they saw in
 * plain variables (nothing runs between two points, so a plain update is atomic here) and
 * note_failure() what breaks a rule.  A race the model must reproduce is asserted both ways: some
 * seed of the buggy variant reaches it, and no seed of the clean variant does. */
#include <string.h>

#include "sweep.h"

#define work_container(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static int dummy;
static unsigned long irq_flags;

static void points(int n)
{
	for (int i = 0; i < n; i++)
		(void)READ_ONCE(dummy);
}

static bool signature_has(const struct ls_result *r, const char *what)
{
	return strstr(r->signature, what) != NULL;
}

/* ---- the state table, newest-first order, and queueing a pending work -------------------- */

static struct irq_work order_works[3];
static int order_ran[3], order_nran;
static unsigned order_checked;

static int work_index(struct irq_work *w, struct irq_work *arr, int n)
{
	for (int i = 0; i < n; i++)
		if (w == &arr[i])
			return i;
	return -1;
}

static void order_callback(struct irq_work *w)
{
	int flags = atomic_read(&w->node.a_flags);
	if (!in_hardirq() || !irqs_disabled())
		note_failure("callback outside hardirq or with interrupts on");
	if ((flags & IRQ_WORK_CLAIMED) != IRQ_WORK_BUSY)
		note_failure("flags %#x in the callback: want busy (PENDING clear, BUSY set)", flags);
	if (order_nran == 3)
		ls_fail(LS_SITE("order_callback"), "a fourth callback for three works");
	order_ran[order_nran++] = work_index(w, order_works, 3);
}

static void order_task(void *arg)
{
	(void)arg;
	local_irq_save(irq_flags);
	for (int i = 0; i < 3; i++) {
		if (!irq_work_queue(&order_works[i]))
			note_failure("queueing free work %d returned false", i);
		int flags = atomic_read(&order_works[i].node.a_flags);
		if ((flags & IRQ_WORK_CLAIMED) != IRQ_WORK_CLAIMED || !(flags & CSD_TYPE_IRQ_WORK))
			note_failure("flags %#x after queueing: want pending (PENDING|BUSY, type)",
				     flags);
	}
	/* Linked newest first: 2 -> 1 -> 0 -> NULL. */
	if (order_works[2].node.llist.next != &order_works[1].node.llist ||
	    order_works[1].node.llist.next != &order_works[0].node.llist ||
	    order_works[0].node.llist.next != NULL)
		note_failure("works not linked newest first on the raised list");
	if (irq_work_queue(&order_works[1]))
		note_failure("queueing a pending work returned true");
	if (!irq_work_is_pending(&order_works[1]) || !irq_work_is_busy(&order_works[1]))
		note_failure("a pending work is not pending and busy");
	if (READ_ONCE(order_nran) != 0)
		note_failure("a callback ran while interrupts were off");
	local_irq_restore(irq_flags);
	for (int i = 0; i < 3; i++) {
		int flags = atomic_read(&order_works[i].node.a_flags);
		if (flags & IRQ_WORK_CLAIMED)
			note_failure("flags %#x of work %d after its callback: want free", flags, i);
	}
	if (irq_work_is_busy(&order_works[0]) || irq_work_is_pending(&order_works[0]))
		note_failure("a finished work is busy or pending");
}

static void order_init(int v)
{
	(void)v;
	for (int i = 0; i < 3; i++)
		init_irq_work(&order_works[i], order_callback);
	order_nran = 0;
}

static const struct ls_variant clean_variant[] = { { "default", "clean", LS_KIND_NONE } };
static const struct ls_task_decl order_tasks[] = { { "t0", 0, order_task, NULL } };
static const struct ls_target order_target = {
	.name = "test/irq-work-order",
	.summary = "three works queued with interrupts off, one queued twice",
	.models = "kernel/irq_work.c",
	.ncpus = 1,
	.tasks = order_tasks,
	.ntasks = 1,
	.variants = clean_variant,
	.nvariants = 1,
	.init = order_init,
};

static int order_check(int variant, const struct ls_result *r)
{
	(void)variant;
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	SEED_CHECK(r, order_nran == 3, "%d callbacks for 3 works queued (one of them twice)",
		   order_nran);
	SEED_CHECK(r, order_ran[0] == 2 && order_ran[1] == 1 && order_ran[2] == 0,
		   "callbacks ran %d,%d,%d: want newest first 2,1,0", order_ran[0], order_ran[1],
		   order_ran[2]);
	order_checked++;
	return TEST_PASS;
}

static int test_works_run_newest_first_and_queueing_a_pending_work_is_a_noop(void)
{
	order_checked = 0;
	CHECK(sweep(&order_target, 0, 20, order_check) == TEST_PASS);
	CHECK(order_checked == 20);
	return TEST_PASS;
}

/* ---- R1: producers that find the work pending lose their payload ------------------------- *
 *
 * A task with interrupts off and an NMI on its CPU each publish a payload and queue one work.
 * "slot": one payload word, as the mmap_unlock irq_work does: a queue that finds the work pending
 * is a no-op and the callback sees only the last payload.  "llist": each payload is a node on an
 * llist the callback drains, so a no-op queue loses nothing. */

enum { R1_SLOT, R1_LLIST };

static const struct ls_variant r1_variants[] = {
	{ "slot", "one payload word: the no-op queue's payload is overwritten", LS_KIND_NONE },
	{ "llist", "payloads on an llist drained by the callback: nothing lost", LS_KIND_NONE },
};

struct payload {
	struct llist_node node;
	int id;
};

static struct irq_work r1_work;
static int r1_variant;
static int r1_slot, r1_last_written;
static struct payload r1_payloads[3];
static struct llist_head r1_list;
static int r1_produced[3], r1_seen[3];
static int r1_true, r1_false, r1_runs;
static unsigned r1_noop_seeds, r1_lost_seeds;

static void r1_callback(struct irq_work *w)
{
	(void)w;
	r1_runs++;
	if (r1_variant == R1_SLOT) {
		int id = READ_ONCE(r1_slot);
		if (id != r1_last_written)
			note_failure("callback saw payload %d, last written %d", id, r1_last_written);
		r1_seen[id]++;
		return;
	}
	struct llist_node *chain = llist_del_all(&r1_list);
	struct payload *p, *tmp;
	llist_for_each_entry_safe(p, tmp, chain, node)
		r1_seen[p->id]++;
}

static void r1_produce(int id)
{
	if (r1_variant == R1_SLOT) {
		WRITE_ONCE(r1_slot, id);
		r1_last_written = id;
	} else {
		r1_payloads[id].id = id;
		llist_add(&r1_payloads[id].node, &r1_list);
	}
	r1_produced[id] = 1;
	if (irq_work_queue(&r1_work))
		r1_true++;
	else
		r1_false++;
}

static void r1_task(void *arg)
{
	(void)arg;
	local_irq_save(irq_flags);
	r1_produce(1);
	points(2);
	local_irq_restore(irq_flags);
	points(1);
}

static void r1_nmi(void *arg)
{
	(void)arg;
	r1_produce(2);
}

static void r1_init(int v)
{
	r1_variant = v;
	init_irq_work(&r1_work, r1_callback);
	init_llist_head(&r1_list);
	r1_slot = r1_last_written = 0;
	memset(r1_produced, 0, sizeof(r1_produced));
	memset(r1_seen, 0, sizeof(r1_seen));
	r1_true = r1_false = r1_runs = 0;
}

static const struct ls_task_decl r1_tasks[] = { { "t0", 0, r1_task, NULL } };
static const struct ls_irq_decl r1_nmis[] = { { "producer", 0x1, 1, r1_nmi, NULL } };
static const struct ls_target r1_target = {
	.name = "test/irq-work-payload",
	.summary = "R1: two producers, one work",
	.models = "kernel/irq_work.c",
	.ncpus = 1,
	.tasks = r1_tasks,
	.ntasks = 1,
	.nmis = r1_nmis,
	.nnmis = 1,
	.variants = r1_variants,
	.nvariants = 2,
	.init = r1_init,
};

static int r1_check(int variant, const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	SEED_CHECK(r, r1_runs == r1_true, "%d callbacks for %d successful queues", r1_runs, r1_true);
	int lost = 0;
	for (int id = 1; id <= 2; id++) {
		if (r1_produced[id] && !r1_seen[id])
			lost++;
		SEED_CHECK(r, variant == R1_SLOT || r1_seen[id] == r1_produced[id],
			   "llist: payload %d produced %d times, seen %d", id, r1_produced[id],
			   r1_seen[id]);
	}
	if (r1_false) {
		r1_noop_seeds++;
		SEED_CHECK(r, r1_runs == 1, "%d callbacks after a no-op queue", r1_runs);
		if (variant == R1_SLOT)
			SEED_CHECK(r, lost == 1, "%d payloads lost after a no-op queue", lost);
	}
	if (lost)
		r1_lost_seeds++;
	return TEST_PASS;
}

static int test_queueing_a_pending_work_is_a_noop_that_loses_the_payload(void)
{
	r1_noop_seeds = r1_lost_seeds = 0;
	CHECK(sweep(&r1_target, R1_SLOT, SWEEP_SEEDS, r1_check) == TEST_PASS);
	printf("slot: a no-op queue in %u seeds, a payload lost in %u\n", r1_noop_seeds,
	       r1_lost_seeds);
	CHECK(r1_noop_seeds > 0);
	/* Every no-op loses one; an NMI that writes between the callback's clearing of PENDING and
	 * its read of the slot loses one too, although both queues succeed. */
	CHECK(r1_lost_seeds >= r1_noop_seeds);

	r1_noop_seeds = r1_lost_seeds = 0;
	CHECK(sweep(&r1_target, R1_LLIST, SWEEP_SEEDS, r1_check) == TEST_PASS);
	printf("llist: a no-op queue in %u seeds, a payload lost in %u\n", r1_noop_seeds,
	       r1_lost_seeds);
	CHECK(r1_noop_seeds > 0);
	CHECK(r1_lost_seeds == 0);
	return TEST_PASS;
}

/* ---- R2: check-then-queue ---------------------------------------------------------------- *
 *
 * "check-busy": a producer uses the work only if irq_work_is_busy() is false, then writes its
 * payload and queues.  An NMI between the check and the queue does the same first, so the outer
 * queue is a no-op although its check said the work was free.  "claim-first": the producer claims
 * an owner word with cmpxchg and the callback releases it, so a producer that got the work always
 * queues it. */

enum { R2_CHECK_BUSY, R2_CLAIM_FIRST };

static const struct ls_variant r2_variants[] = {
	{ "check-busy", "irq_work_is_busy() then irq_work_queue(): a nested NMI queues between",
	  LS_KIND_NONE },
	{ "claim-first", "cmpxchg on an owner word released by the callback", LS_KIND_NONE },
};

static struct irq_work r2_work;
static int r2_variant, r2_slot;
static atomic_t r2_owner;
static int r2_produced[3], r2_seen[3], r2_broken, r2_true, r2_runs;
static unsigned r2_broken_seeds;

static void r2_callback(struct irq_work *w)
{
	(void)w;
	r2_runs++;
	r2_seen[READ_ONCE(r2_slot)]++;
	if (r2_variant == R2_CLAIM_FIRST)
		atomic_set(&r2_owner, 0);
}

static void r2_produce(int id)
{
	if (r2_variant == R2_CHECK_BUSY) {
		if (irq_work_is_busy(&r2_work))
			return;	/* the caller's fallback */
	} else if (atomic_cmpxchg(&r2_owner, 0, 1) != 0) {
		return;
	}
	WRITE_ONCE(r2_slot, id);
	r2_produced[id] = 1;
	if (irq_work_queue(&r2_work))
		r2_true++;
	else
		r2_broken++;	/* the check said free, yet the queue found it pending */
}

static void r2_task(void *arg)
{
	(void)arg;
	local_irq_save(irq_flags);
	r2_produce(1);
	points(2);
	local_irq_restore(irq_flags);
	points(1);
}

static void r2_nmi(void *arg)
{
	(void)arg;
	r2_produce(2);
}

static void r2_init(int v)
{
	r2_variant = v;
	init_irq_work(&r2_work, r2_callback);
	atomic_set(&r2_owner, 0);
	r2_slot = 0;
	memset(r2_produced, 0, sizeof(r2_produced));
	memset(r2_seen, 0, sizeof(r2_seen));
	r2_broken = r2_true = r2_runs = 0;
}

static const struct ls_task_decl r2_tasks[] = { { "t0", 0, r2_task, NULL } };
static const struct ls_irq_decl r2_nmis[] = { { "producer", 0x1, 1, r2_nmi, NULL } };
static const struct ls_target r2_target = {
	.name = "test/irq-work-check-then-queue",
	.summary = "R2: irq_work_is_busy() then irq_work_queue()",
	.models = "kernel/bpf/stackmap.c",
	.ncpus = 1,
	.tasks = r2_tasks,
	.ntasks = 1,
	.nmis = r2_nmis,
	.nnmis = 1,
	.variants = r2_variants,
	.nvariants = 2,
	.init = r2_init,
};

static int r2_check(int variant, const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	SEED_CHECK(r, r2_runs == r2_true, "%d callbacks for %d successful queues", r2_runs, r2_true);
	if (r2_broken) {
		r2_broken_seeds++;
		/* Two producers, one callback: the one it saw overwrote the other. */
		SEED_CHECK(r, r2_runs == 1 && r2_produced[1] && r2_produced[2] &&
				      r2_seen[1] + r2_seen[2] == 1,
			   "runs %d, seen %d/%d", r2_runs, r2_seen[1], r2_seen[2]);
	}
	SEED_CHECK(r, variant == R2_CHECK_BUSY || r2_broken == 0,
		   "claim-first: a claimed work's queue was a no-op");
	for (int id = 1; id <= 2; id++)
		SEED_CHECK(r, variant == R2_CHECK_BUSY || r2_seen[id] == r2_produced[id],
			   "claim-first: payload %d produced %d, seen %d", id, r2_produced[id],
			   r2_seen[id]);
	return TEST_PASS;
}

static int test_check_then_queue_loses_to_a_nested_nmi(void)
{
	r2_broken_seeds = 0;
	CHECK(sweep(&r2_target, R2_CHECK_BUSY, SWEEP_SEEDS, r2_check) == TEST_PASS);
	printf("check-busy: the queue after a 'not busy' check was a no-op in %u seeds\n",
	       r2_broken_seeds);
	CHECK(r2_broken_seeds > 0);
	r2_broken_seeds = 0;
	CHECK(sweep(&r2_target, R2_CLAIM_FIRST, SWEEP_SEEDS, r2_check) == TEST_PASS);
	CHECK(r2_broken_seeds == 0);
	return TEST_PASS;
}

/* ---- R3: queueing again while the callback runs ------------------------------------------ *
 *
 * t0 queues a work on CPU0; the callback queues it again ("from-callback"), or an NMI queues it,
 * sometimes while the callback runs ("from-nmi").  Either way the queue succeeds and the callback
 * runs again.  An observer on CPU1 checks the state table meanwhile: a pending work is busy too,
 * also between the first callback's end and the second's start. */

enum { R3_FROM_CALLBACK, R3_FROM_NMI };

static const struct ls_variant r3_variants[] = {
	{ "from-callback", "the callback queues its own work", LS_KIND_NONE },
	{ "from-nmi", "an NMI queues the work, sometimes while its callback runs", LS_KIND_NONE },
};

static struct irq_work r3_work;
static int r3_variant, r3_runs, r3_true, r3_in_callback, r3_during, r3_during_ret;
static unsigned r3_during_seeds, r3_observed_requeued;

static void r3_callback(struct irq_work *w)
{
	r3_runs++;
	if (r3_variant == R3_FROM_CALLBACK) {
		if (r3_runs == 1) {
			if (irq_work_queue(w))
				r3_true++;
			else
				note_failure("queueing from the callback returned false");
		}
		return;
	}
	r3_in_callback = 1;
	points(3);
	r3_in_callback = 0;
}

static void r3_task(void *arg)
{
	(void)arg;
	if (irq_work_queue(&r3_work))
		r3_true++;
	points(3);
}

static void r3_observer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 6; i++) {
		int flags = atomic_read(&r3_work.node.a_flags);
		if ((flags & IRQ_WORK_PENDING) && !(flags & IRQ_WORK_BUSY))
			note_failure("flags %#x: pending but not busy", flags);
		/* Seen pending again after the first callback started: the window that matters. */
		if ((flags & IRQ_WORK_PENDING) && r3_runs > 0)
			r3_observed_requeued++;
	}
}

static void r3_nmi(void *arg)
{
	(void)arg;
	bool during = r3_in_callback;
	bool ok = irq_work_queue(&r3_work);
	r3_true += ok;
	if (during) {
		r3_during = 1;
		r3_during_ret = ok;
	}
}

static void r3_init(int v)
{
	r3_variant = v;
	init_irq_work(&r3_work, r3_callback);
	r3_runs = r3_true = r3_in_callback = r3_during = r3_during_ret = 0;
}

static const struct ls_task_decl r3_tasks[] = {
	{ "t0", 0, r3_task, NULL },
	{ "observer", 1, r3_observer, NULL },
};
static const struct ls_irq_decl r3_nmis[] = { { "requeue", 0x1, 1, r3_nmi, NULL } };

static int r3_check(int variant, const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	SEED_CHECK(r, r3_runs == r3_true, "%d callbacks for %d successful queues", r3_runs, r3_true);
	if (variant == R3_FROM_CALLBACK)
		SEED_CHECK(r, r3_runs == 2, "%d callbacks", r3_runs);
	if (r3_during) {
		r3_during_seeds++;
		SEED_CHECK(r, r3_during_ret && r3_runs == 2,
			   "queue during the callback returned %d, %d callbacks", r3_during_ret,
			   r3_runs);
	}
	int flags = r3_work.node.a_flags.counter;
	SEED_CHECK(r, !(flags & IRQ_WORK_CLAIMED), "flags %#x at the end", flags);
	return TEST_PASS;
}

static int test_requeue_while_the_callback_runs_succeeds_and_runs_it_again(void)
{
	static const struct ls_target from_callback = {
		.name = "test/irq-work-requeue",
		.summary = "R3: queueing again while the callback runs",
		.models = "kernel/irq_work.c",
		.ncpus = 2,
		.tasks = r3_tasks,
		.ntasks = 2,
		.variants = r3_variants,
		.nvariants = 2,
		.init = r3_init,
	};
	static const struct ls_target from_nmi = {
		.name = "test/irq-work-requeue",
		.summary = "R3: queueing again while the callback runs",
		.models = "kernel/irq_work.c",
		.ncpus = 2,
		.tasks = r3_tasks,
		.ntasks = 2,
		.nmis = r3_nmis,
		.nnmis = 1,
		.variants = r3_variants,
		.nvariants = 2,
		.init = r3_init,
	};
	r3_observed_requeued = 0;
	CHECK(sweep(&from_callback, R3_FROM_CALLBACK, SWEEP_SEEDS, r3_check) == TEST_PASS);
	printf("from-callback: the observer saw the re-queued work pending %u times\n",
	       r3_observed_requeued);
	CHECK(r3_observed_requeued > 0);
	r3_during_seeds = 0;
	CHECK(sweep(&from_nmi, R3_FROM_NMI, SWEEP_SEEDS, r3_check) == TEST_PASS);
	printf("from-nmi: the NMI queued during the callback in %u seeds\n", r3_during_seeds);
	CHECK(r3_during_seeds > 0);
	return TEST_PASS;
}

/* ---- R4: a queue onto a non-empty list raises nothing and still runs --------------------- *
 *
 * t0 queues w1 with interrupts off, which raises.  An NMI queues w2.  The target installs its own
 * raised-interrupt handler, which counts its runs and calls irq_work_run() after a short window.
 * When the NMI lands while t0 still has interrupts off, or inside that window (the interrupt was
 * taken, w1 still on the list), its llist_add finds the list non-empty: w2 must still run, in the
 * same handler run, and in the window case no second handler run may follow (a second raise
 * would cause one). */

static struct irq_work r4_w1, r4_w2;
static int r4_t0_window, r4_handler_window, r4_handler_runs;
static int r4_nmi_case, r4_w1_runs, r4_w2_runs, r4_w2_in_run, r4_nmi_true;
static unsigned r4_irqs_off_seeds, r4_handler_seeds;

enum { R4_NONE, R4_T0_IRQS_OFF, R4_IN_HANDLER };

static void r4_callback(struct irq_work *w)
{
	if (w == &r4_w1) {
		r4_w1_runs++;
	} else {
		r4_w2_runs++;
		r4_w2_in_run = r4_handler_runs;
	}
}

static void r4_handler(int cpu)
{
	(void)cpu;
	r4_handler_runs++;
	r4_handler_window = r4_handler_runs == 1;
	points(2);
	r4_handler_window = 0;
	irq_work_run();
}

static void r4_task(void *arg)
{
	(void)arg;
	local_irq_save(irq_flags);
	irq_work_queue(&r4_w1);
	r4_t0_window = 1;
	points(2);
	r4_t0_window = 0;
	local_irq_restore(irq_flags);
	points(2);
}

static void r4_nmi(void *arg)
{
	(void)arg;
	r4_nmi_case = r4_t0_window ? R4_T0_IRQS_OFF : r4_handler_window ? R4_IN_HANDLER : R4_NONE;
	r4_nmi_true = irq_work_queue(&r4_w2);
}

static void r4_init(int v)
{
	(void)v;
	init_irq_work(&r4_w1, r4_callback);
	init_irq_work(&r4_w2, r4_callback);
	r4_t0_window = r4_handler_window = r4_handler_runs = 0;
	r4_nmi_case = r4_w1_runs = r4_w2_runs = r4_w2_in_run = r4_nmi_true = 0;
	/* After the model's reset, which installed irq_work's own handler. */
	ls_set_raised_irq_handler(r4_handler);
}

static const struct ls_task_decl r4_tasks[] = { { "t0", 0, r4_task, NULL } };
static const struct ls_irq_decl r4_nmis[] = { { "second", 0x1, 1, r4_nmi, NULL } };
static const struct ls_target r4_target = {
	.name = "test/irq-work-no-raise",
	.summary = "R4: the second queue finds the list non-empty",
	.models = "kernel/irq_work.c",
	.ncpus = 1,
	.tasks = r4_tasks,
	.ntasks = 1,
	.nmis = r4_nmis,
	.nnmis = 1,
	.variants = clean_variant,
	.nvariants = 1,
	.init = r4_init,
};

static int r4_check(int variant, const struct ls_result *r)
{
	(void)variant;
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	SEED_CHECK(r, r4_w1_runs == 1, "w1 ran %d times", r4_w1_runs);
	SEED_CHECK(r, r4_w2_runs == r4_nmi_true, "w2 ran %d times, queued %d", r4_w2_runs,
		   r4_nmi_true);
	if (r4_nmi_case == R4_NONE)
		return TEST_PASS;
	SEED_CHECK(r, r4_nmi_true && r4_w2_runs == 1 && r4_w2_in_run == 1,
		   "w2 queued %d, ran %d times, in handler run %d", r4_nmi_true, r4_w2_runs,
		   r4_w2_in_run);
	if (r4_nmi_case == R4_IN_HANDLER) {
		r4_handler_seeds++;
		SEED_CHECK(r, r4_handler_runs == 1, "%d handler runs: the second queue raised",
			   r4_handler_runs);
	} else {
		r4_irqs_off_seeds++;
	}
	return TEST_PASS;
}

static int test_queue_onto_a_non_empty_list_raises_nothing_and_still_runs(void)
{
	r4_irqs_off_seeds = r4_handler_seeds = 0;
	CHECK(sweep(&r4_target, 0, SWEEP_SEEDS, r4_check) == TEST_PASS);
	printf("the NMI queued onto w1's list in %u seeds with t0's interrupts off, in %u inside "
	       "the taken interrupt\n", r4_irqs_off_seeds, r4_handler_seeds);
	CHECK(r4_irqs_off_seeds > 0);
	CHECK(r4_handler_seeds > 0);
	return TEST_PASS;
}

/* ---- where and when callbacks run -------------------------------------------------------- *
 *
 * Two CPUs; each task queues its own work inside an interrupts-off section and checks the
 * callback has not run until local_irq_restore(), then has; again between local_irq_disable()
 * and local_irq_enable().  NMIs on both CPUs queue a work of
 * their CPU.  Every callback checks: hardirq, interrupts off, its CPU, no NMI active on it, the
 * interrupted task not inside an interrupts-off section. */

static struct irq_work ctx_task_work[2], ctx_nmi_work[2];
static int ctx_in_critical[2], ctx_nmi_active[2];
static int ctx_task_runs[2], ctx_nmi_runs[2], ctx_nmi_true[2];
static unsigned ctx_nmi_queued_in_critical;

static void ctx_callback(struct irq_work *w)
{
	int cpu = ls_cpu();
	int t = work_index(w, ctx_task_work, 2), n = work_index(w, ctx_nmi_work, 2);
	int want = t >= 0 ? t : n;
	if (!in_hardirq() || !irqs_disabled())
		note_failure("callback on CPU%d: in_hardirq %d, irqs_disabled %d", cpu,
			     (int)in_hardirq(), (int)irqs_disabled());
	if (cpu != want)
		note_failure("work of CPU%d ran on CPU%d", want, cpu);
	if (ctx_nmi_active[cpu])
		note_failure("callback on CPU%d before its NMI returned", cpu);
	if (ctx_in_critical[cpu])
		note_failure("callback on CPU%d while the task had interrupts off", cpu);
	if (t >= 0)
		ctx_task_runs[t]++;
	else
		ctx_nmi_runs[n]++;
}

static void ctx_task(void *arg)
{
	int cpu = (int)(intptr_t)arg;
	unsigned long flags;
	local_irq_save(flags);
	ctx_in_critical[cpu] = 1;
	if (!irq_work_queue(&ctx_task_work[cpu]))
		note_failure("CPU%d: queueing a free work returned false", cpu);
	for (int i = 0; i < 3; i++)
		if (READ_ONCE(ctx_task_runs[cpu]))
			note_failure("CPU%d: callback ran before local_irq_restore", cpu);
	ctx_in_critical[cpu] = 0;
	local_irq_restore(flags);
	if (READ_ONCE(ctx_task_runs[cpu]) != 1)
		note_failure("CPU%d: callback did not run at local_irq_restore", cpu);
	points(2);
	local_irq_disable();
	ctx_in_critical[cpu] = 1;
	if (!irq_work_queue(&ctx_task_work[cpu]))
		note_failure("CPU%d: queueing a finished work returned false", cpu);
	points(3);
	if (READ_ONCE(ctx_task_runs[cpu]) != 1)
		note_failure("CPU%d: callback ran before local_irq_enable", cpu);
	ctx_in_critical[cpu] = 0;
	local_irq_enable();
	if (READ_ONCE(ctx_task_runs[cpu]) != 2)
		note_failure("CPU%d: callback did not run at local_irq_enable", cpu);
	points(2);
}

static void ctx_nmi(void *arg)
{
	(void)arg;
	int cpu = ls_cpu();
	ctx_nmi_active[cpu] = 1;
	if (ctx_in_critical[cpu])
		ctx_nmi_queued_in_critical++;
	ctx_nmi_true[cpu] += irq_work_queue(&ctx_nmi_work[cpu]);
	points(2);
	ctx_nmi_active[cpu] = 0;
}

static void ctx_init(int v)
{
	(void)v;
	for (int c = 0; c < 2; c++) {
		init_irq_work(&ctx_task_work[c], ctx_callback);
		init_irq_work(&ctx_nmi_work[c], ctx_callback);
		ctx_in_critical[c] = ctx_nmi_active[c] = 0;
		ctx_task_runs[c] = ctx_nmi_runs[c] = ctx_nmi_true[c] = 0;
	}
}

static const struct ls_task_decl ctx_tasks[] = {
	{ "t0", 0, ctx_task, (void *)(intptr_t)0 },
	{ "t1", 1, ctx_task, (void *)(intptr_t)1 },
};
static const struct ls_irq_decl ctx_nmis[] = { { "queuer", 0x3, 2, ctx_nmi, NULL } };
static const struct ls_target ctx_target = {
	.name = "test/irq-work-context",
	.summary = "callbacks in hardirq, after the NMI, with the task's interrupts on",
	.models = "kernel/irq_work.c",
	.ncpus = 2,
	.tasks = ctx_tasks,
	.ntasks = 2,
	.nmis = ctx_nmis,
	.nnmis = 1,
	.variants = clean_variant,
	.nvariants = 1,
	.init = ctx_init,
};

static unsigned ctx_nmi_callbacks;

static int ctx_check(int variant, const struct ls_result *r)
{
	(void)variant;
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	for (int c = 0; c < 2; c++) {
		SEED_CHECK(r, ctx_task_runs[c] == 2, "CPU%d task work ran %d times", c,
			   ctx_task_runs[c]);
		SEED_CHECK(r, ctx_nmi_runs[c] == ctx_nmi_true[c], "CPU%d NMI work ran %d, queued %d",
			   c, ctx_nmi_runs[c], ctx_nmi_true[c]);
		ctx_nmi_callbacks += ctx_nmi_runs[c];
	}
	return TEST_PASS;
}

static int test_callbacks_run_in_hardirq_after_the_nmi_and_once_irqs_are_on(void)
{
	ctx_nmi_callbacks = ctx_nmi_queued_in_critical = 0;
	CHECK(sweep(&ctx_target, 0, SWEEP_SEEDS, ctx_check) == TEST_PASS);
	printf("%u callbacks of NMI-queued works, %u NMIs queued inside a task's irqs-off "
	       "section\n", ctx_nmi_callbacks, ctx_nmi_queued_in_critical);
	CHECK(ctx_nmi_callbacks > 0);
	CHECK(ctx_nmi_queued_in_critical > 0);
	return TEST_PASS;
}

/* ---- irq_work_queue_on ------------------------------------------------------------------- */

enum { QON_TASK, QON_NMI_REMOTE, QON_NMI_LOCAL };

static const struct ls_variant qon_variants[] = {
	{ "task", "a task queues on the other CPU", LS_KIND_NONE },
	{ "nmi-remote", "an NMI queues on the other CPU: not NMI-safe", LS_KIND_INVARIANT },
	{ "nmi-local", "an NMI queues on its own CPU", LS_KIND_NONE },
};

static struct irq_work qon_work;
static int qon_variant, qon_runs, qon_cpu, qon_in_critical, qon_nmi_true;

static void qon_callback(struct irq_work *w)
{
	(void)w;
	qon_runs++;
	qon_cpu = ls_cpu();
	if (!in_hardirq() || !irqs_disabled())
		note_failure("remote callback outside hardirq");
	if (qon_cpu == 1 && qon_in_critical)
		note_failure("callback on CPU1 while its task had interrupts off");
}

static void qon_t0(void *arg)
{
	(void)arg;
	if (qon_variant == QON_TASK && !irq_work_queue_on(&qon_work, 1))
		note_failure("queue_on of a free work returned false");
	points(3);
}

static void qon_t1(void *arg)
{
	(void)arg;
	unsigned long flags;
	local_irq_save(flags);
	qon_in_critical = 1;
	points(3);
	qon_in_critical = 0;
	local_irq_restore(flags);
	points(2);
}

static void qon_nmi(void *arg)
{
	(void)arg;
	if (qon_variant == QON_TASK)
		return;
	int cpu = qon_variant == QON_NMI_REMOTE ? 1 : smp_processor_id();
	qon_nmi_true += irq_work_queue_on(&qon_work, cpu);
}

static void qon_init(int v)
{
	qon_variant = v;
	init_irq_work(&qon_work, qon_callback);
	qon_runs = qon_in_critical = qon_nmi_true = 0;
	qon_cpu = -1;
}

static const struct ls_task_decl qon_tasks[] = {
	{ "t0", 0, qon_t0, NULL },
	{ "t1", 1, qon_t1, NULL },
};
static const struct ls_irq_decl qon_nmis[] = { { "queuer", 0x1, 1, qon_nmi, NULL } };

static unsigned qon_invariants;

static int qon_check(int variant, const struct ls_result *r)
{
	if (variant == QON_NMI_REMOTE && r->kind == LS_KIND_INVARIANT) {
		SEED_CHECK(r, signature_has(r, "from NMI") && signature_has(r, "irq_work_queue_on"),
			   "signature '%s'", r->signature);
		qon_invariants++;
		return TEST_PASS;
	}
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	if (variant == QON_TASK)
		SEED_CHECK(r, qon_runs == 1 && qon_cpu == 1, "ran %d times, on CPU%d", qon_runs,
			   qon_cpu);
	else
		SEED_CHECK(r, qon_runs == qon_nmi_true && (!qon_runs || qon_cpu == 0),
			   "ran %d times (queued %d), on CPU%d", qon_runs, qon_nmi_true, qon_cpu);
	return TEST_PASS;
}

static int test_queue_on_runs_on_the_target_cpu_and_fails_from_nmi_to_another(void)
{
	static const struct ls_target qon_target = {
		.name = "test/irq-work-queue-on",
		.summary = "irq_work_queue_on() from a task and from NMI",
		.models = "kernel/irq_work.c",
		.ncpus = 2,
		.tasks = qon_tasks,
		.ntasks = 2,
		.nmis = qon_nmis,
		.nnmis = 1,
		.variants = qon_variants,
		.nvariants = 3,
		.init = qon_init,
	};
	CHECK(sweep(&qon_target, QON_TASK, SWEEP_SEEDS, qon_check) == TEST_PASS);
	qon_invariants = 0;
	CHECK(sweep(&qon_target, QON_NMI_LOCAL, SWEEP_SEEDS, qon_check) == TEST_PASS);
	CHECK(qon_invariants == 0);
	CHECK(sweep(&qon_target, QON_NMI_REMOTE, SWEEP_SEEDS, qon_check) == TEST_PASS);
	printf("nmi-remote: invariant failure in %u seeds (the others injected no NMI)\n",
	       qon_invariants);
	CHECK(qon_invariants > 0);
	return TEST_PASS;
}

/* ---- irq_work_sync ----------------------------------------------------------------------- *
 *
 * t0 queues a work on CPU0; its callback marks itself running, takes a few steps, marks itself
 * done.  t1 on CPU1 reads irq_work_is_busy(), then syncs: if the work was busy, the callback must
 * be done when the sync returns. */

static struct irq_work sync_work;
static int sync_state;	/* 0 not started, 1 running, 2 done */
static unsigned sync_waited_running, sync_waited_pending;

static void sync_callback(struct irq_work *w)
{
	(void)w;
	WRITE_ONCE(sync_state, 1);
	points(3);
	WRITE_ONCE(sync_state, 2);
}

static void sync_t0(void *arg)
{
	(void)arg;
	irq_work_queue(&sync_work);
	points(2);
}

static void sync_t1(void *arg)
{
	(void)arg;
	bool busy = irq_work_is_busy(&sync_work);
	int before = READ_ONCE(sync_state);
	irq_work_sync(&sync_work);
	int after = READ_ONCE(sync_state);
	if (busy && after != 2)
		note_failure("irq_work_sync returned with the callback in state %d", after);
	if (busy && before == 1)
		sync_waited_running++;
	if (busy && before == 0)
		sync_waited_pending++;
}

static void sync_init(int v)
{
	(void)v;
	init_irq_work(&sync_work, sync_callback);
	sync_state = 0;
}

static const struct ls_task_decl sync_tasks[] = {
	{ "t0", 0, sync_t0, NULL },
	{ "t1", 1, sync_t1, NULL },
};
static const struct ls_target sync_target = {
	.name = "test/irq-work-sync",
	.summary = "irq_work_sync() against a running callback",
	.models = "kernel/irq_work.c",
	.ncpus = 2,
	.tasks = sync_tasks,
	.ntasks = 2,
	.variants = clean_variant,
	.nvariants = 1,
	.init = sync_init,
};

static int sync_check(int variant, const struct ls_result *r)
{
	(void)variant;
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	SEED_CHECK(r, sync_state == 2, "callback state %d at the end", sync_state);
	return TEST_PASS;
}

static int test_sync_waits_for_a_running_callback(void)
{
	sync_waited_running = sync_waited_pending = 0;
	CHECK(sweep(&sync_target, 0, SWEEP_SEEDS, sync_check) == TEST_PASS);
	printf("irq_work_sync found the callback running in %u seeds, pending in %u\n",
	       sync_waited_running, sync_waited_pending);
	CHECK(sync_waited_running > 0);
	return TEST_PASS;
}

/* ---- irq_work_sync misuse ---------------------------------------------------------------- */

enum { MIS_CLEAN, MIS_IRQS_OFF, MIS_PREEMPT_OFF, MIS_HARDIRQ, MIS_NMI };

static const struct ls_variant mis_variants[] = {
	{ "clean", "task context, interrupts and preemption on", LS_KIND_NONE },
	{ "irqs-off", "irq_work_sync with interrupts disabled", LS_KIND_INVARIANT },
	{ "preempt-off", "irq_work_sync with preemption disabled", LS_KIND_INVARIANT },
	{ "hardirq", "irq_work_sync from a callback", LS_KIND_INVARIANT },
	{ "nmi", "irq_work_sync from NMI", LS_KIND_INVARIANT },
};

static struct irq_work mis_work, mis_other;
static int mis_variant;

static void mis_other_callback(struct irq_work *w)
{
	(void)w;
}

static void mis_callback(struct irq_work *w)
{
	(void)w;
	if (mis_variant == MIS_HARDIRQ)
		irq_work_sync(&mis_other);
}

static void mis_task(void *arg)
{
	(void)arg;
	switch (mis_variant) {
	case MIS_IRQS_OFF:
		local_irq_disable();
		irq_work_sync(&mis_work);
		local_irq_enable();
		break;
	case MIS_PREEMPT_OFF:
		preempt_disable();
		irq_work_sync(&mis_work);
		preempt_enable();
		break;
	case MIS_HARDIRQ:
		irq_work_queue(&mis_work);
		break;
	default:
		irq_work_queue(&mis_work);
		irq_work_sync(&mis_work);
		break;
	}
	points(3);
}

static void mis_nmi(void *arg)
{
	(void)arg;
	if (mis_variant == MIS_NMI)
		irq_work_sync(&mis_other);
}

static void mis_init(int v)
{
	mis_variant = v;
	init_irq_work(&mis_work, mis_callback);
	init_irq_work(&mis_other, mis_other_callback);
}

static const struct ls_task_decl mis_tasks[] = { { "t0", 0, mis_task, NULL } };
static const struct ls_irq_decl mis_nmis[] = { { "syncer", 0x1, 1, mis_nmi, NULL } };
static unsigned mis_invariants;

static int mis_check(int variant, const struct ls_result *r)
{
	static const char *const why[] = {
		[MIS_IRQS_OFF] = "interrupts disabled",
		[MIS_PREEMPT_OFF] = "atomic context",
		[MIS_HARDIRQ] = "from hardirq",
		[MIS_NMI] = "from NMI",
	};
	if (variant == MIS_CLEAN || (variant == MIS_NMI && r->kind == LS_KIND_NONE)) {
		SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
		return TEST_PASS;
	}
	SEED_CHECK(r, r->kind == LS_KIND_INVARIANT && signature_has(r, "irq_work_sync") &&
			      signature_has(r, why[variant]),
		   "outcome %s: '%s'", ls_kind_name(r->kind), r->signature);
	mis_invariants++;
	return TEST_PASS;
}

static int test_sync_outside_task_context_or_with_irqs_off_is_an_invariant_failure(void)
{
	static const struct ls_target mis_target = {
		.name = "test/irq-work-sync-misuse",
		.summary = "irq_work_sync() where it may not be called",
		.models = "kernel/irq_work.c",
		.ncpus = 1,
		.tasks = mis_tasks,
		.ntasks = 1,
		.nmis = mis_nmis,
		.nnmis = 1,
		.variants = mis_variants,
		.nvariants = 5,
		.init = mis_init,
	};
	for (int v = MIS_CLEAN; v <= MIS_NMI; v++) {
		mis_invariants = 0;
		CHECKF(sweep(&mis_target, v, SWEEP_SEEDS, mis_check) == TEST_PASS, "variant %s",
		       mis_variants[v].name);
		if (v == MIS_CLEAN)
			CHECK(mis_invariants == 0);
		else if (v == MIS_NMI)
			CHECKF(mis_invariants > 0, "no NMI ever synced");
		else
			CHECKF(mis_invariants == SWEEP_SEEDS, "variant %s: %u of %d seeds failed",
			       mis_variants[v].name, mis_invariants, SWEEP_SEEDS);
	}
	return TEST_PASS;
}

/* ---- R5: teardown ------------------------------------------------------------------------ *
 *
 * t0 queues the work embedded in obj with interrupts off and publishes obj for teardown; t1
 * waits for it and frees it ("free") or first calls irq_work_sync() ("sync").  The callback
 * checks obj is not freed when it starts and after a few steps.  Expected: "free" reaches a
 * freed object in some seed, "sync" never (the work is claimed, so busy, before it is
 * published, and stays busy until its callback returned). */

enum { R5_FREE, R5_SYNC };

static const struct ls_variant r5_variants[] = {
	{ "free", "frees the object while its work is pending or busy", LS_KIND_INVARIANT },
	{ "sync", "irq_work_sync() before the free", LS_KIND_NONE },
};

struct r5_object {
	int payload;
	struct irq_work work;
	int freed;
};

static struct r5_object r5_obj;
static int r5_variant, r5_published;

static void r5_callback(struct irq_work *w)
{
	struct r5_object *obj = work_container(w, struct r5_object, work);
	if (READ_ONCE(obj->freed))
		ls_fail(LS_SITE("use-after-free"), "callback started on a freed object");
	points(2);
	if (READ_ONCE(obj->freed))
		ls_fail(LS_SITE("use-after-free"), "object freed while its callback ran");
	(void)READ_ONCE(obj->payload);
}

static void r5_producer(void *arg)
{
	(void)arg;
	local_irq_save(irq_flags);
	WRITE_ONCE(r5_obj.payload, 1);
	irq_work_queue(&r5_obj.work);
	WRITE_ONCE(r5_published, 1);
	points(2);
	local_irq_restore(irq_flags);
	points(1);
}

static void r5_teardown(void *arg)
{
	(void)arg;
	(void)smp_cond_load_acquire(&r5_published, VAL);
	if (r5_variant == R5_SYNC)
		irq_work_sync(&r5_obj.work);
	WRITE_ONCE(r5_obj.freed, 1);
}

static void r5_init(int v)
{
	r5_variant = v;
	memset(&r5_obj, 0, sizeof(r5_obj));
	init_irq_work(&r5_obj.work, r5_callback);
	r5_published = 0;
}

static const struct ls_task_decl r5_tasks[] = {
	{ "producer", 0, r5_producer, NULL },
	{ "teardown", 1, r5_teardown, NULL },
};
static unsigned r5_started_freed, r5_freed_during;

static int r5_check(int variant, const struct ls_result *r)
{
	if (variant == R5_FREE && r->kind == LS_KIND_INVARIANT) {
		if (signature_has(r, "callback started on a freed object"))
			r5_started_freed++;
		else if (signature_has(r, "freed while its callback ran"))
			r5_freed_during++;
		else
			SEED_CHECK(r, false, "signature '%s'", r->signature);
		return TEST_PASS;
	}
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	return TEST_PASS;
}

static int test_freeing_a_pending_or_busy_work_is_caught_unless_synced(void)
{
	static const struct ls_target r5_target = {
		.name = "test/irq-work-teardown",
		.summary = "R5: freeing the object that embeds a work",
		.models = "kernel/irq_work.c",
		.ncpus = 2,
		.tasks = r5_tasks,
		.ntasks = 2,
		.variants = r5_variants,
		.nvariants = 2,
		.init = r5_init,
	};
	r5_started_freed = r5_freed_during = 0;
	CHECK(sweep(&r5_target, R5_FREE, SWEEP_SEEDS, r5_check) == TEST_PASS);
	printf("free: callback started on a freed object in %u seeds, object freed during the "
	       "callback in %u\n", r5_started_freed, r5_freed_during);
	CHECK(r5_started_freed > 0);
	CHECK(r5_freed_during > 0);
	r5_started_freed = r5_freed_during = 0;
	CHECK(sweep(&r5_target, R5_SYNC, SWEEP_SEEDS, r5_check) == TEST_PASS);
	return TEST_PASS;
}

/* ---- lazy works and the tick ------------------------------------------------------------- */

static struct irq_work lazy_work, lazy_plain;
static int lazy_runs, lazy_hardirq_runs, plain_runs;

static void lazy_callback(struct irq_work *w)
{
	if (w == &lazy_plain) {
		plain_runs++;
		return;
	}
	lazy_runs++;
	lazy_hardirq_runs += in_hardirq();
}

static void lazy_task(void *arg)
{
	(void)arg;
	local_irq_save(irq_flags);
	irq_work_queue(&lazy_work);
	irq_work_queue(&lazy_plain);
	if (READ_ONCE(lazy_runs) || READ_ONCE(plain_runs))
		note_failure("a callback ran with interrupts off before the tick");
	/* The tick's share runs both lists here and now (called from the task for the test). */
	irq_work_tick();
	if (lazy_runs != 1 || plain_runs != 1)
		note_failure("after irq_work_tick: lazy ran %d, plain ran %d", lazy_runs, plain_runs);
	irq_work_queue(&lazy_work);
	local_irq_restore(irq_flags);
	if (READ_ONCE(lazy_runs) != 2 || lazy_hardirq_runs != 1)
		note_failure("lazy work queued again: ran %d times, %d in hardirq", lazy_runs,
			     lazy_hardirq_runs);
}

static void lazy_init(int v)
{
	(void)v;
	lazy_work = IRQ_WORK_INIT_LAZY(lazy_callback);
	lazy_plain = IRQ_WORK_INIT_HARD(lazy_callback);
	lazy_runs = lazy_hardirq_runs = plain_runs = 0;
}

static const struct ls_task_decl lazy_tasks[] = { { "t0", 0, lazy_task, NULL } };
static const struct ls_target lazy_target = {
	.name = "test/irq-work-lazy",
	.summary = "a lazy work runs at the tick or from the interrupt",
	.models = "kernel/irq_work.c",
	.ncpus = 1,
	.tasks = lazy_tasks,
	.ntasks = 1,
	.variants = clean_variant,
	.nvariants = 1,
	.init = lazy_init,
};

static int lazy_check(int variant, const struct ls_result *r)
{
	(void)variant;
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	return TEST_PASS;
}

static int test_lazy_work_runs_at_the_tick_or_from_the_interrupt(void)
{
	return sweep(&lazy_target, 0, 20, lazy_check);
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_works_run_newest_first_and_queueing_a_pending_work_is_a_noop, status);
	RUN(test_queueing_a_pending_work_is_a_noop_that_loses_the_payload, status);
	RUN(test_check_then_queue_loses_to_a_nested_nmi, status);
	RUN(test_requeue_while_the_callback_runs_succeeds_and_runs_it_again, status);
	RUN(test_queue_onto_a_non_empty_list_raises_nothing_and_still_runs, status);
	RUN(test_callbacks_run_in_hardirq_after_the_nmi_and_once_irqs_are_on, status);
	RUN(test_queue_on_runs_on_the_target_cpu_and_fails_from_nmi_to_another, status);
	RUN(test_sync_waits_for_a_running_callback, status);
	RUN(test_sync_outside_task_context_or_with_irqs_off_is_an_invariant_failure, status);
	RUN(test_freeing_a_pending_or_busy_work_is_caught_unless_synced, status);
	RUN(test_lazy_work_runs_at_the_tick_or_from_the_interrupt, status);
	return status;
}

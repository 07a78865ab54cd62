/* kptr/dtor-nmi: referenced kptrs in map values, released from an NMI program (kernel-spec §2).
 *
 * Models:
 *   kernel/bpf/helpers.c   bpf_kptr_xchg(): one xchg of the value's kptr slot.
 *   kernel/bpf/syscall.c   bpf_obj_free_fields() for a BPF_KPTR_REF field: old = xchg(slot,
 *                          NULL) and, if old is not NULL, the type's registered dtor; in the final
 *                          design nothing unsafe runs while irqs_disabled() (NMI included).
 *   kernel/bpf/hashtab.c   htab_map_update_elem() and htab_map_delete_elem(): whoever replaces
 *                          or removes an element frees its fields (free_htab_elem() ->
 *                          check_and_free_fields(), after the bucket lock is dropped);
 *                          htab_map_free() frees what is left.  A key's bucket is one slot
 *                          swapped with xchg, which is what the bucket lock makes of it.
 *   kernel/bpf/helpers.c   bpf_task_release_dtor() -> put_task_struct_rcu_user(): the last
 *                          rcu_users reference call_rcu()s delayed_put_task_struct().
 *   kernel/rcu/tree.c      call_rcu() on an offloaded (rcu_nocb) CPU: local_irq_save(), the CPU's
 *                          nocb lock (a raw spinlock: local_irq_save() does not mask NMIs), the
 *                          callback appended with plain stores; rcu_barrier() runs them all.
 *   kernel/bpf/memalloc.c  bpf_mem_cache_free() of an element, and (final design) the
 *                          per-element dtor that free_all() runs before the physical free.
 *   The three designs of the 2026 "kptr dtor in NMI" thread (§2.2): v1 a list and an irq_work
 *   per map, v2 one global llist and one irq_work, the final one skipping unsafe frees while
 *   interrupts are off.
 *
 * Scenario (2 CPUs, one hash map of two keys, four task references):
 *   prog0 (CPU0)  a syscall-side program, interrupts on: twice, take a task reference,
 *                 bpf_kptr_xchg() it into a fresh element and update key 0 (the second update
 *                 frees the first element); then delete key 0.
 *   prog1 (CPU1)  a tracing program that runs with interrupts off does the same on key 1; then,
 *                 interrupts back on and prog0 done, the map is freed (htab_map_free):
 *                 detach the NMI program and wait for running ones (synchronize_rcu()), delete
 *                 what is left, tear the deferral down as the variant does, rcu_barrier().
 *   nmi (each CPU once)  a tp_btf/nmi_handler program deleting the key numbered as its CPU.
 *
 * Invariants, checked when an execution ends without a hang: every task reference is released
 * exactly once (its dtor ran once, its RCU callback once) and none is left at teardown; no dtor
 * ran in NMI, for the designs built to prevent it; nothing was used after it was freed (an
 * element or a task reference); every deferral list is empty.
 *
 * Variants and expected outcomes:
 *   inline                  the dtor runs wherever the free happens, NMI included.  An NMI that
 *                           lands while its CPU's program is inside call_rcu() spins on the
 *                           nocb lock the interrupted context holds: deadlock.
 *   global-llist            in NMI the reference goes on one global llist and one global
 *                           irq_work is queued; the work drains the list until it is empty;
 *                           map free syncs the work: clean.
 *   per-map                 v1: the same with the list and the work in the map: clean.
 *   skip-in-irqs-disabled   with interrupts off (NMI included) the kptr stays in the element,
 *                           which goes back to the allocator; its per-element dtor releases the
 *                           reference in task context when the allocator frees it: clean.
 *   racy-empty-check        global-llist, except the producer queues the work only if
 *                           llist_empty() said the list was empty before its llist_add().  The
 *                           work may drain between the two, and the reference is never
 *                           released: invariant (a leak at teardown).
 *   busy-skip-queue         global-llist, except the producer skips irq_work_queue() when
 *                           irq_work_is_busy() says the callback is running, trusting it to see
 *                           the new entry.  The callback may already have emptied the list for
 *                           the last time: invariant (a leak at teardown).
 *
 * Not modelled: the "work freed while pending" mistake.  Map free comes after an RCU grace
 * period, and a CPU with the work pending runs it as soon as it enables interrupts, before it can
 * report a quiescent state; a model of it would need a weaker grace period than the kernel's.
 */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum {
	INLINE,
	GLOBAL_LLIST,
	PER_MAP,
	SKIP_IRQS_OFF,
	RACY_EMPTY,
	BUSY_SKIP,
	NVARIANTS
};

#define NKEYS 2
#define ITERATIONS 2
#define NOBJS (NKEYS * ITERATIONS)

/* ---- call_rcu() on an offloaded CPU ------------------------------------------------------ */

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

struct rcu_data {
	raw_spinlock_t nocb_lock;
	struct rcu_head *head;
	struct rcu_head **tail;
};

static struct rcu_data rcu_data[2];

static void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *))
{
	struct rcu_data *rdp = &rcu_data[smp_processor_id()];
	unsigned long flags;

	head->func = func;
	head->next = NULL;
	local_irq_save(flags);
	raw_spin_lock(&rdp->nocb_lock);		/* rcu_nocb_lock() */
	/* rcu_segcblist_enqueue(): two plain stores, not NMI-safe. */
	WRITE_ONCE(*rdp->tail, head);
	WRITE_ONCE(rdp->tail, &head->next);
	raw_spin_unlock(&rdp->nocb_lock);
	local_irq_restore(flags);
}

/* Every callback queued so far, run in the caller's (task) context. */
static void rcu_barrier(void)
{
	for (int cpu = 0; cpu < 2; cpu++) {
		struct rcu_data *rdp = &rcu_data[cpu];
		unsigned long flags;
		raw_spin_lock_irqsave(&rdp->nocb_lock, flags);
		struct rcu_head *list = READ_ONCE(rdp->head);
		WRITE_ONCE(rdp->head, NULL);
		WRITE_ONCE(rdp->tail, &rdp->head);
		raw_spin_unlock_irqrestore(&rdp->nocb_lock, flags);
		while (list) {
			struct rcu_head *next = list->next;
			list->func(list);
			list = next;
		}
	}
}

/* ---- task references and their dtor ------------------------------------------------------ */

struct task_ref {
	atomic_t rcu_users;
	struct rcu_head rcu;
	struct llist_node defer;	/* v1/v2: on a deferral list */
	int dtors;			/* bpf_task_release_dtor() calls */
	int dtors_in_nmi;
	int puts;			/* delayed_put_task_struct() calls */
	bool taken;			/* handed to a program */
};

static struct task_ref refs[NOBJS];

static void delayed_put_task_struct(struct rcu_head *head)
{
	struct task_ref *t = container_of(head, struct task_ref, rcu);
	if (t->puts++)
		ls_fail(LS_SITE("delayed_put_task_struct"), "task reference %d freed twice",
			(int)(t - refs));
}

static void bpf_task_release_dtor(struct task_ref *t)
{
	if (t->puts)
		ls_fail(LS_SITE("bpf_task_release_dtor"), "dtor of task reference %d after it was freed",
			(int)(t - refs));
	t->dtors++;
	t->dtors_in_nmi += in_nmi();
	/* put_task_struct_rcu_user() */
	if (atomic_dec_and_test(&t->rcu_users))
		call_rcu(&t->rcu, delayed_put_task_struct);
}

/* ---- the map, its elements, the allocator ------------------------------------------------ */

enum elem_state { ELEM_UNUSED, ELEM_LIVE, ELEM_FREED, ELEM_DESTROYED };

struct htab_elem {
	struct task_ref *kptr;		/* the value's BPF_KPTR_REF field */
	struct llist_node free_node;	/* on the allocator's list once freed */
	enum elem_state state;
};

struct bpf_htab {
	struct htab_elem *slot[NKEYS];
	/* v1: the deferral of this map's kptr field. */
	struct llist_head dtor_list;
	struct irq_work dtor_work;
	bool freed;
};

static struct htab_elem elems[NOBJS];
static struct bpf_htab htab;
/* v2: one list and one work for every map. */
static struct llist_head global_dtor_list;
static struct irq_work global_dtor_work;
/* The allocator's freed elements, one list per CPU (bpf_mem_cache's free_llist). */
static struct llist_head ma_freed[2];

static int variant;
static int attached, prog0_done;
static atomic_t prog_running;	/* NMI programs inside their RCU read section */

static void elem_fail_if_freed(struct htab_elem *e, const char *what)
{
	if (e->state != ELEM_LIVE)
		ls_fail(LS_SITE("use-after-free"), "%s on element %d after it was freed", what,
			(int)(e - elems));
}

/* ---- deferral (v1, v2) ------------------------------------------------------------------- */

static void drain(struct llist_head *list)
{
	struct llist_node *batch;
	/* Loop: a producer may add (and find the work still pending) while this runs. */
	while ((batch = llist_del_all(list))) {
		struct task_ref *t, *n;
		llist_for_each_entry_safe(t, n, batch, defer)
			bpf_task_release_dtor(t);
	}
}

static void global_dtor_work_fn(struct irq_work *work)
{
	(void)work;
	drain(&global_dtor_list);
}

static void map_dtor_work_fn(struct irq_work *work)
{
	struct bpf_htab *h = container_of(work, struct bpf_htab, dtor_work);
	if (READ_ONCE(h->freed))
		ls_fail(LS_SITE("map_dtor_work_fn"), "irq_work callback runs on the freed map");
	drain(&h->dtor_list);
}

static void defer_dtor(struct task_ref *t)
{
	switch (variant) {
	case GLOBAL_LLIST:
		llist_add(&t->defer, &global_dtor_list);
		irq_work_queue(&global_dtor_work);
		break;
	case RACY_EMPTY: {
		bool was_empty = llist_empty(&global_dtor_list);
		llist_add(&t->defer, &global_dtor_list);
		if (was_empty)
			irq_work_queue(&global_dtor_work);
		break;
	}
	case BUSY_SKIP:
		llist_add(&t->defer, &global_dtor_list);
		if (!irq_work_is_busy(&global_dtor_work))
			irq_work_queue(&global_dtor_work);
		break;
	default:	/* PER_MAP */
		llist_add(&t->defer, &htab.dtor_list);
		irq_work_queue(&htab.dtor_work);
		break;
	}
}

/* bpf_obj_free_fields() for the value's one field, a referenced kptr. */
static void bpf_obj_free_fields(struct htab_elem *e)
{
	if (variant == SKIP_IRQS_OFF && irqs_disabled())
		return;	/* left for the allocator's dtor */
	elem_fail_if_freed(e, "bpf_obj_free_fields");
	struct task_ref *old = xchg(&e->kptr, NULL);
	if (!old)
		return;
	if (variant != INLINE && variant != SKIP_IRQS_OFF && in_nmi())
		defer_dtor(old);
	else
		bpf_task_release_dtor(old);
}

/* free_htab_elem(): fields first, then the element goes back to the allocator. */
static void free_htab_elem(struct htab_elem *e)
{
	bpf_obj_free_fields(e);
	elem_fail_if_freed(e, "bpf_mem_cache_free");
	e->state = ELEM_FREED;
	llist_add(&e->free_node, &ma_freed[smp_processor_id()]);
}

static void htab_update(int key, struct htab_elem *e)
{
	struct htab_elem *old = xchg(&htab.slot[key], e);
	if (old)
		free_htab_elem(old);
}

static void htab_delete(int key)
{
	struct htab_elem *old = xchg(&htab.slot[key], NULL);
	if (old)
		free_htab_elem(old);
}

/* bpf_mem_alloc_destroy() -> free_all(): the per-element dtor, then the physical free. */
static void bpf_mem_alloc_destroy(void)
{
	for (int cpu = 0; cpu < 2; cpu++) {
		struct llist_node *list = llist_del_all(&ma_freed[cpu]);
		struct htab_elem *e, *n;
		llist_for_each_entry_safe(e, n, list, free_node) {
			if (variant == SKIP_IRQS_OFF) {
				struct task_ref *old = xchg(&e->kptr, NULL);
				if (old)
					bpf_task_release_dtor(old);
			}
			e->state = ELEM_DESTROYED;
		}
	}
}

/* ---- the programs ------------------------------------------------------------------------ */

static void update_twice_then_delete(int key)
{
	for (int i = 0; i < ITERATIONS; i++) {
		int idx = key * ITERATIONS + i;
		struct task_ref *t = &refs[idx];
		struct htab_elem *e = &elems[idx];
		t->taken = true;
		e->state = ELEM_LIVE;
		struct task_ref *prev = xchg(&e->kptr, t);	/* bpf_kptr_xchg() */
		LS_BUG_ON(prev != NULL);
		htab_update(key, e);
	}
	htab_delete(key);
}

static void htab_map_free(void)
{
	/* Detach the NMI program; synchronize_rcu() waits for the ones already running. */
	WRITE_ONCE(attached, 0);
	atomic_cond_read_acquire(&prog_running, VAL == 0);

	for (int key = 0; key < NKEYS; key++)
		htab_delete(key);
	switch (variant) {
	case GLOBAL_LLIST:
	case RACY_EMPTY:
	case BUSY_SKIP:
		irq_work_sync(&global_dtor_work);
		break;
	case PER_MAP:
		irq_work_sync(&htab.dtor_work);
		break;
	default:
		break;
	}
	WRITE_ONCE(htab.freed, true);	/* kfree(htab), the work inside it included */
	bpf_mem_alloc_destroy();
	rcu_barrier();
}

static void prog0_fn(void *arg)
{
	(void)arg;
	update_twice_then_delete(0);
	smp_store_release(&prog0_done, 1);
}

static void prog1_fn(void *arg)
{
	(void)arg;
	unsigned long flags;
	local_irq_save(flags);
	update_twice_then_delete(1);
	local_irq_restore(flags);
	smp_cond_load_acquire(&prog0_done, VAL != 0);
	htab_map_free();
}

static void nmi_prog(void *arg)
{
	(void)arg;
	/* rcu_read_lock(), then the program array says whether the program is attached. */
	atomic_inc(&prog_running);
	if (READ_ONCE(attached))
		htab_delete(smp_processor_id());
	atomic_dec(&prog_running);
}

/* ---- setting up and checking ------------------------------------------------------------- */

static void init(int v)
{
	variant = v;
	for (int cpu = 0; cpu < 2; cpu++) {
		raw_spin_lock_init(&rcu_data[cpu].nocb_lock);
		rcu_data[cpu].head = NULL;
		rcu_data[cpu].tail = &rcu_data[cpu].head;
		init_llist_head(&ma_freed[cpu]);
	}
	for (int i = 0; i < NOBJS; i++) {
		refs[i] = (struct task_ref){ .rcu_users = ATOMIC_INIT(1) };
		elems[i] = (struct htab_elem){ .state = ELEM_UNUSED };
	}
	htab = (struct bpf_htab){ .freed = false };
	init_llist_head(&htab.dtor_list);
	init_irq_work(&htab.dtor_work, map_dtor_work_fn);
	init_llist_head(&global_dtor_list);
	init_irq_work(&global_dtor_work, global_dtor_work_fn);
	attached = 1;
	atomic_set(&prog_running, 0);
	prog0_done = 0;
}

static void check(int v)
{
	for (int i = 0; i < NOBJS; i++) {
		const struct task_ref *t = &refs[i];
		if (!t->taken)
			continue;
		/* The messages leave out which reference, so one bug is one signature. */
		if (t->dtors == 0)
			ls_fail(LS_SITE("check"), "a task reference leaked: its dtor never ran");
		else if (t->dtors > 1)
			ls_fail(LS_SITE("check"), "a task reference released %d times", t->dtors);
		else if (t->puts != 1)
			ls_fail(LS_SITE("check"), "a task reference's RCU callback ran %d times", t->puts);
		if (t->dtors_in_nmi && v != INLINE)
			ls_fail(LS_SITE("check"), "a task reference's dtor ran in NMI");
	}
	if (global_dtor_list.first || htab.dtor_list.first)
		ls_fail(LS_SITE("check"), "a deferral list is not empty after teardown");
	for (int i = 0; i < NOBJS; i++)
		if (elems[i].state == ELEM_LIVE || elems[i].state == ELEM_FREED)
			ls_fail(LS_SITE("check"), "element %d not freed at teardown", i);
}

static const struct ls_task_decl tasks[] = {
	{ "prog0", 0, prog0_fn, NULL },
	{ "prog1", 1, prog1_fn, NULL },
};

static const struct ls_irq_decl nmis[] = {
	{ "nmi_handler", 0x3, 1, nmi_prog, NULL },
};

static const struct ls_variant variants[NVARIANTS] = {
	[INLINE] = { "inline",
		     "the dtor runs in NMI too: call_rcu()'s nocb lock taken over its holder",
		     LS_KIND_DEADLOCK, 0 },
	[GLOBAL_LLIST] = { "global-llist",
			   "v2: one global llist and irq_work, drained in a loop, synced at map free",
			   LS_KIND_NONE, 0 },
	[PER_MAP] = { "per-map", "v1: a list and an irq_work per map, synced at map free",
		      LS_KIND_NONE, 0 },
	[SKIP_IRQS_OFF] = { "skip-in-irqs-disabled",
			    "final: with irqs off the kptr stays; the allocator's element dtor frees it",
			    LS_KIND_NONE, 0 },
	[RACY_EMPTY] = { "racy-empty-check",
			 "the producer queues only if llist_empty() held before its add: a leak",
			 LS_KIND_INVARIANT, 0 },
	[BUSY_SKIP] = { "busy-skip-queue",
			"the producer does not queue while the callback runs: a leak",
			LS_KIND_INVARIANT, 0 },
};

const struct ls_target ls_target_kptr_dtor_nmi = {
	.name = "kptr/dtor-nmi",
	.summary = "a referenced kptr's dtor reached from an NMI program deleting map elements",
	.models = "bpf_obj_free_fields(), bpf_task_release_dtor(), call_rcu() on a nocb CPU, "
		  "the 2026 deferral designs",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = NVARIANTS,
	.init = init,
	.check = check,
};

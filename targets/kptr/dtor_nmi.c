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
 *   kernel/bpf/memalloc.c  bpf_mem_cache_alloc()/bpf_mem_cache_free(): a freed element goes on
 *                          its CPU's free list and is handed out again first; alloc_htab_elem()'s
 *                          copy_map_value() leaves the special-field space as it was.  And (final
 *                          design) the per-element dtor that free_all() runs before the physical
 *                          free.
 *   The three designs of the 2026 "kptr dtor in NMI" thread (§2.2): v1, an llist node and the
 *   object pointer next to each kptr, a list and an irq_work per map; v2, one global llist and
 *   irq_work with offload jobs preallocated so the pool stays ahead of NMI frees; the final one,
 *   skipping unsafe frees while interrupts are off.
 *
 * Scenario (2 CPUs, one hash map of two keys, four task references):
 *   prog0 (CPU0)  a syscall-side program, interrupts on: twice, take a task reference, allocate
 *                 an element, bpf_kptr_xchg() the reference into it (releasing what it hands
 *                 back, as the verifier demands) and update key 0 (the second update frees the
 *                 first element); then delete key 0.
 *   prog1 (CPU1)  a tracing program that runs with interrupts off does the same on key 1; then,
 *                 interrupts back on and prog0 done, the map is freed (htab_map_free):
 *                 detach the NMI program and wait for running ones (synchronize_rcu()), delete
 *                 what is left, tear the deferral down as the variant does, free the elements
 *                 (bpf_mem_alloc_destroy()), rcu_barrier().
 *   nmi (each CPU once)  a tp_btf/nmi_handler program deleting the key numbered as its CPU.
 *   An NMI on CPU1 frees an element while prog1 runs with interrupts off, so prog1's next
 *   allocation gets that element back before any irq_work could run: the reuse windows of v1's
 *   node and of the final design's skipped kptr (both reached in about 7% of executions).
 *
 * Invariants, checked when an execution ends without a hang: every task reference is released
 * exactly once (one put, one RCU callback) and none is left at teardown; no release ran in NMI,
 * for the designs built to prevent it; nothing was used after it was freed (an element, a task
 * reference, a deferred node); every deferral list is empty and every offload job back in its
 * pool.
 *
 * Variants and expected outcomes:
 *   inline                  the dtor runs wherever the free happens, NMI included.  An NMI that
 *                           lands while its CPU's program is inside call_rcu() spins on the
 *                           nocb lock the interrupted context holds: deadlock.
 *   global-llist            v2: in NMI a job from this CPU's pool carries the reference onto
 *                           one global llist and one global irq_work is queued; the work drains
 *                           the list until it is empty and returns the jobs; map free syncs the
 *                           work: clean.
 *   per-map                 v1: in NMI the element's own node goes on the map's list and the
 *                           map's work is queued; synced at map free: clean, because a reused
 *                           element keeps its special-field space (the node may sit on the list
 *                           while the element is live again).
 *   skip-in-irqs-disabled   with interrupts off (NMI included) the kptr stays in the element,
 *                           which goes back to the allocator.  A program that gets the element
 *                           back receives the old reference from bpf_kptr_xchg() and releases
 *                           it; otherwise the allocator's per-element dtor releases it in task
 *                           context at free_all(): clean.
 *   racy-empty-check        global-llist, except the producer queues the work only if
 *                           llist_empty() said the list was empty before its llist_add().  The
 *                           work may drain between the two, and the reference is never
 *                           released: invariant (a leak at teardown).
 *   busy-skip-queue         global-llist, except the producer skips irq_work_queue() when
 *                           irq_work_is_busy() says the callback is running, trusting it to see
 *                           the new entry.  The callback may already have emptied the list for
 *                           the last time: invariant (a leak at teardown).
 *   per-map-zeroed-on-reuse v1 if handing an element out again zeroed its special-field space,
 *                           node included (bpf_obj_init() zeroes special fields where a map
 *                           initialises a value; whether v1's node sat in that space, and whether
 *                           a reused hash element is initialised again, the thread does not say):
 *                           the node still queued is wiped, and the callback finds a NULL object:
 *                           invariant.
 *
 * Not modelled: the "work freed while pending" mistake.  Map free comes after an RCU grace
 * period, and a CPU with the work pending runs it as soon as it enables interrupts, before it can
 * report a quiescent state; a model of it would need a weaker grace period than the kernel's.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): inline, racy-empty-check and busy-skip-queue 1 each, their one root cause;
 * per-map-zeroed-on-reuse 2 for its one root cause (the wiped node), seen as two checks failing:
 * the callback finds the node wiped, or the check finds the reference leaked.
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
	PER_MAP_ZEROED,
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

/* ---- task references and their release --------------------------------------------------- */

struct task_ref {
	atomic_t rcu_users;
	struct rcu_head rcu;
	int releases;			/* put_task_struct_rcu_user() calls: dtor or kfunc */
	int releases_in_nmi;
	int puts;			/* delayed_put_task_struct() calls */
	bool taken;			/* handed to a program */
};

static struct task_ref refs[NOBJS];

static void delayed_put_task_struct(struct rcu_head *head)
{
	struct task_ref *t = container_of(head, struct task_ref, rcu);
	if (LS_FETCH_ADD(&t->puts, 1))
		ls_fail(LS_SITE("delayed_put_task_struct"), "task reference %d freed twice",
			(int)(t - refs));
}

static void put_task_struct_rcu_user(struct task_ref *t)
{
	if (t->puts)
		ls_fail(LS_SITE("put_task_struct_rcu_user"),
			"task reference %d released after it was freed", (int)(t - refs));
	/* Fetch-adds: under lockstep stress a double release may come from two CPUs at once, and
	 * a lost count would hide it. */
	LS_FETCH_ADD(&t->releases, 1);
	LS_FETCH_ADD(&t->releases_in_nmi, (int)in_nmi());
	if (atomic_dec_and_test(&t->rcu_users))
		call_rcu(&t->rcu, delayed_put_task_struct);
}

/* The dtor registered for task_struct kptrs, and the kfunc a program releases with. */
static void bpf_task_release_dtor(struct task_ref *t)
{
	put_task_struct_rcu_user(t);
}

static void bpf_task_release(struct task_ref *t)
{
	put_task_struct_rcu_user(t);
}

/* ---- the map, its elements, the allocator ------------------------------------------------ */

enum elem_state { ELEM_UNUSED, ELEM_LIVE, ELEM_FREED, ELEM_DESTROYED };

struct htab_elem {
	struct task_ref *kptr;		/* the value's BPF_KPTR_REF field */
	/* v1: the auxiliary node and object pointer next to the kptr, on the map's list while
	 * the dtor is deferred.  Special-field space: copy_map_value() never writes it. */
	struct llist_node dtor_node;
	struct task_ref *dtor_obj;
	struct llist_node free_node;	/* on the allocator's free list */
	enum elem_state state;
};

struct bpf_htab {
	struct htab_elem *slot[NKEYS];
	/* v1: the deferral of this map's kptr field. */
	struct llist_head dtor_list;
	struct irq_work dtor_work;
	bool freed;
};

/* v2: an offload job, preallocated; it goes back to its CPU's pool once the dtor ran. */
struct dtor_job {
	struct llist_node node;
	struct task_ref *obj;
	int cpu;
};

static struct htab_elem elems[NOBJS];
static atomic_t elems_used;		/* never-used elements handed out so far */
static struct bpf_htab htab;
/* v2: one list and one work for every map, and per-CPU pools of jobs.  A pool holds a job for
 * every reference that can be live ("the pool stays ahead of NMI frees"); only the NMI of its
 * CPU takes from it, so llist_del_first() has one consumer. */
static struct llist_head global_dtor_list;
static struct irq_work global_dtor_work;
static struct dtor_job jobs[2][NOBJS];
static struct llist_head job_pool[2];
/* The allocator's freed elements, one list per CPU (bpf_mem_cache's free_llist): freed
 * elements are handed out again first, as the kernel's caches do. */
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

/* bpf_mem_cache_alloc(): this CPU's free list first (interrupts off: its only consumer), then
 * fresh memory.  The value's special fields keep what they held: copy_map_value() skips them. */
static struct htab_elem *bpf_mem_cache_alloc(void)
{
	unsigned long flags;
	local_irq_save(flags);
	struct llist_node *n = llist_del_first(&ma_freed[smp_processor_id()]);
	local_irq_restore(flags);
	struct htab_elem *e;
	if (n) {
		e = container_of(n, struct htab_elem, free_node);
	} else {
		int i = atomic_fetch_inc(&elems_used);
		LS_BUG_ON(i >= NOBJS);
		e = &elems[i];
	}
	if (e->state == ELEM_LIVE)
		ls_fail(LS_SITE("bpf_mem_cache_alloc"), "element %d handed out twice",
			(int)(e - elems));
	if (variant == PER_MAP_ZEROED) {
		/* check_and_init_map_value() on the special-field space, v1's node included. */
		WRITE_ONCE(e->dtor_node.next, NULL);
		WRITE_ONCE(e->dtor_obj, NULL);
	}
	e->state = ELEM_LIVE;
	return e;
}

static void bpf_mem_cache_free(struct htab_elem *e)
{
	elem_fail_if_freed(e, "bpf_mem_cache_free");
	e->state = ELEM_FREED;
	llist_add(&e->free_node, &ma_freed[smp_processor_id()]);
}

/* ---- deferral (v1, v2) ------------------------------------------------------------------- */

static void drain_jobs(struct llist_head *list)
{
	struct llist_node *batch;
	/* Loop: a producer may add (and find the work still pending) while this runs. */
	while ((batch = llist_del_all(list))) {
		struct dtor_job *job, *n;
		llist_for_each_entry_safe(job, n, batch, node) {
			bpf_task_release_dtor(job->obj);
			llist_add(&job->node, &job_pool[job->cpu]);
		}
	}
}

static void global_dtor_work_fn(struct irq_work *work)
{
	(void)work;
	drain_jobs(&global_dtor_list);
}

static void map_dtor_work_fn(struct irq_work *work)
{
	struct bpf_htab *h = container_of(work, struct bpf_htab, dtor_work);
	struct llist_node *batch;
	if (READ_ONCE(h->freed))
		ls_fail(LS_SITE("map_dtor_work_fn"), "irq_work callback runs on the freed map");
	while ((batch = llist_del_all(&h->dtor_list))) {
		struct htab_elem *e, *n;
		llist_for_each_entry_safe(e, n, batch, dtor_node) {
			struct task_ref *t = READ_ONCE(e->dtor_obj);
			if (!t)	/* the kernel would oops here */
				ls_fail(LS_SITE("map_dtor_work_fn"),
					"deferred node wiped: its element was handed out again");
			bpf_task_release_dtor(t);
		}
	}
}

/* v2: an offload job from this CPU's pool. */
static struct dtor_job *get_job(struct task_ref *t)
{
	int cpu = smp_processor_id();
	struct llist_node *n = llist_del_first(&job_pool[cpu]);
	if (!n)
		ls_fail(LS_SITE("get_job"), "no offload job left on CPU%d", cpu);
	struct dtor_job *job = container_of(n, struct dtor_job, node);
	job->obj = t;
	return job;
}

static void defer_dtor(struct htab_elem *e, struct task_ref *t)
{
	struct dtor_job *job;
	switch (variant) {
	case GLOBAL_LLIST:
		job = get_job(t);
		llist_add(&job->node, &global_dtor_list);
		irq_work_queue(&global_dtor_work);
		break;
	case RACY_EMPTY: {
		job = get_job(t);
		bool was_empty = llist_empty(&global_dtor_list);
		llist_add(&job->node, &global_dtor_list);
		if (was_empty)
			irq_work_queue(&global_dtor_work);
		break;
	}
	case BUSY_SKIP:
		job = get_job(t);
		llist_add(&job->node, &global_dtor_list);
		if (!irq_work_is_busy(&global_dtor_work))
			irq_work_queue(&global_dtor_work);
		break;
	default:	/* PER_MAP, PER_MAP_ZEROED */
		WRITE_ONCE(e->dtor_obj, t);
		llist_add(&e->dtor_node, &htab.dtor_list);
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
		defer_dtor(e, old);
	else
		bpf_task_release_dtor(old);
}

/* free_htab_elem(): fields first, then the element goes back to the allocator. */
static void free_htab_elem(struct htab_elem *e)
{
	bpf_obj_free_fields(e);
	bpf_mem_cache_free(e);
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

/* bpf_mem_alloc_destroy() -> free_all(): the per-element dtor (the final design's), then the
 * physical free. */
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

/* What the verifier makes a program do: the reference bpf_kptr_xchg() hands back is released.
 * It is not NULL where a reused element still holds a kptr its last free skipped. */
static void update_twice_then_delete(int key)
{
	for (int i = 0; i < ITERATIONS; i++) {
		struct task_ref *t = &refs[key * ITERATIONS + i];
		t->taken = true;
		struct htab_elem *e = bpf_mem_cache_alloc();	/* alloc_htab_elem() */
		struct task_ref *old = xchg(&e->kptr, t);	/* bpf_kptr_xchg() */
		if (old)
			bpf_task_release(old);
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
	case PER_MAP_ZEROED:
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
		init_llist_head(&job_pool[cpu]);
		for (int j = 0; j < NOBJS; j++) {
			jobs[cpu][j] = (struct dtor_job){ .cpu = cpu };
			jobs[cpu][j].node.next = job_pool[cpu].first;
			job_pool[cpu].first = &jobs[cpu][j].node;
		}
	}
	for (int i = 0; i < NOBJS; i++) {
		refs[i] = (struct task_ref){ .rcu_users = ATOMIC_INIT(1) };
		elems[i] = (struct htab_elem){ .state = ELEM_UNUSED };
	}
	atomic_set(&elems_used, 0);
	htab = (struct bpf_htab){ .freed = false };
	init_llist_head(&htab.dtor_list);
	init_irq_work(&htab.dtor_work, map_dtor_work_fn);
	init_llist_head(&global_dtor_list);
	init_irq_work(&global_dtor_work, global_dtor_work_fn);
	attached = 1;
	atomic_set(&prog_running, 0);
	prog0_done = 0;
}

static int pool_size(const struct llist_head *pool)
{
	int n = 0;
	for (const struct llist_node *p = pool->first; p; p = p->next)
		n++;
	return n;
}

static void check(int v)
{
	for (int i = 0; i < NOBJS; i++) {
		const struct task_ref *t = &refs[i];
		if (!t->taken)
			continue;
		/* The messages leave out which reference, so one bug is one signature. */
		if (t->releases == 0)
			ls_fail(LS_SITE("check"), "a task reference leaked: never released");
		else if (t->releases > 1)
			ls_fail(LS_SITE("check"), "a task reference released %d times", t->releases);
		else if (t->puts != 1)
			ls_fail(LS_SITE("check"), "a task reference's RCU callback ran %d times", t->puts);
		if (t->releases_in_nmi && v != INLINE)
			ls_fail(LS_SITE("check"), "a task reference's dtor ran in NMI");
	}
	if (global_dtor_list.first || htab.dtor_list.first)
		ls_fail(LS_SITE("check"), "a deferral list is not empty after teardown");
	for (int cpu = 0; cpu < 2; cpu++)
		if (pool_size(&job_pool[cpu]) != NOBJS)
			ls_fail(LS_SITE("check"), "CPU%d's offload jobs not all back in its pool", cpu);
	for (int i = 0; i < NOBJS; i++)
		if (elems[i].state == ELEM_LIVE || elems[i].state == ELEM_FREED)
			ls_fail(LS_SITE("check"), "an element was not freed at teardown");
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
			   "v2: preallocated jobs on one global llist and irq_work, synced at map free",
			   LS_KIND_NONE, 0 },
	[PER_MAP] = { "per-map",
		      "v1: the element's node on a per-map list and irq_work, synced at map free",
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
	[PER_MAP_ZEROED] = { "per-map-zeroed-on-reuse",
			     "v1 with special fields zeroed on reuse: a queued node is wiped",
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

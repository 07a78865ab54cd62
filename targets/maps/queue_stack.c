/* maps/queue-stack: a perf NMI program pops and pushes the queue map its CPU's program is using.
 *
 * Models (kernel/bpf/queue_stack_maps.c):
 *   __queue_map_get()            pop: under qs->lock, -ENOENT when empty, else copy the element
 *                                at tail and advance tail (wrapping at size = max_entries + 1).
 *   queue_stack_map_push_elem()  push: under qs->lock, -E2BIG when full (no BPF_EXIST), else
 *                                copy the value at head and advance head.
 *   qs->lock, per variant:
 *     raw-spinlock  raw_spinlock_t taken with raw_spin_lock_irqsave() in every context: the code
 *                   from the map's introduction until September 2023.  The in_nmi() trylock
 *                   that came next is not in it (see nmi-trylock).
 *     rqspinlock    rqspinlock_t, raw_res_spin_lock_irqsave(); any error becomes -EBUSY (the
 *                   2025 conversion, 2f41503d6476; current code).
 *     nmi-trylock   raw_spinlock_t; in NMI raw_spin_trylock_irqsave(), -EBUSY when it fails
 *                   (a34a9f1a19af, September 2023, until the rqspinlock conversion).
 *   bpf_overflow_handler()       a perf program runs only if this CPU's bpf_prog_active was 0,
 *                                which is why the task side here is a tp_btf program: the bpf
 *                                syscall and kprobe programs raise bpf_prog_active around their
 *                                work, and the NMI program would then not run on that CPU.
 *
 * syzbot's report (6.13-rc5, "possible recursive locking detected", &qs->lock in __queue_map_get
 * while __queue_map_get holds it) names two lock addresses: a tracing program, not in NMI so the
 * in_nmi() trylock did not apply, nested an operation on a second queue map of the same class.
 * This target models the shape that trylock was added for and that the rqspinlock conversion
 * covers by itself: the same map, re-entered from an NMI on the CPU that holds its lock.
 *
 * Scenario (2 CPUs, a queue of 8 entries, empty at the start):
 *   prog0 (CPU0)     push, push, pop, pop;
 *   prog1 (CPU1)     push, pop;
 *   perf (NMI, once on each CPU)  pop, then push.
 * Each pushed value names its producer and its rank, so the check can follow every element.
 *
 * Expected:
 *   raw-spinlock  deadlock: an NMI that lands while its CPU's program holds qs->lock spins on it
 *                 and the holder cannot run again (AA through the NMI).
 *   rqspinlock    clean: the NMI's attempt finds qs->lock below the top of its CPU's held table
 *                 (the pending waiter's first check, or the AA check before queueing; at worst
 *                 after the bounded wait for a pending hand-over, 512 reads), fails with -EDEADLK
 *                 and the operation returns -EBUSY.  A wait of 1 ms or more is a stall.
 *   nmi-trylock   clean: the NMI's trylock fails on the held lock and returns -EBUSY.
 *
 * Check (after an execution that did not hang): every value pushed successfully is either popped
 * once or still queued, nothing else is queued or popped, the element count is head - tail
 * (mod size), each producer's values leave in the order they came in, bpf_prog_active is back
 * to 0, and for rqspinlock the lock and held tables are idle.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): raw-spinlock 1, its one root cause.
 */
#include <errno.h>
#include <string.h>

#include <lockstep/kernel.h>
#include <lockstep/target.h>

#include "maps.h"

enum { RAW_SPINLOCK, RQSPINLOCK, NMI_TRYLOCK };

#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_EXIST 2

#define MAX_ENTRIES 8
#define QUEUE_SIZE (MAX_ENTRIES + 1)
#define NPRODUCERS 4		/* prog0, prog1, the NMI on CPU0, the NMI on CPU1 */
#define RANKS 4
#define NVALUES (NPRODUCERS * RANKS)
#define STALL_NS 1000000ull	/* an NMI must not wait on the lock its CPU holds */

struct bpf_queue_stack {
	raw_spinlock_t lock;	/* raw-spinlock, nmi-trylock */
	rqspinlock_t res_lock;	/* rqspinlock, where the field is named lock */
	uint32_t head, tail;
	uint32_t size;		/* max_entries + 1 */
	int elements[QUEUE_SIZE];
};

static int variant;
static struct bpf_queue_stack the_queue;
static DEFINE_PER_CPU(int, bpf_prog_active);

/* lockstep: what each call returned, for the check and for tests/bpf/test_maps.c.  Each
 * producer is one context, so next_rank[p] and pushed[] have one writer each; pops and the NMI
 * records come from both CPUs at once under lockstep stress, so popped[] counts with a fetch-add
 * and an NMI claims its nmi_ret slot (ls_slot_claim). */
static int next_rank[NPRODUCERS];
static bool pushed[NVALUES];
static int popped[NVALUES];
static int nmi_ret[16];
static int nmi_calls;

#define NMI_SLOTS ((int)(sizeof(nmi_ret) / sizeof(nmi_ret[0])))

static int value_of(int producer, int rank)
{
	return producer * RANKS + rank;
}

/* ---- the map ----------------------------------------------------------------------------- */

static bool queue_stack_map_is_empty(struct bpf_queue_stack *qs)
{
	return READ_ONCE(qs->head) == READ_ONCE(qs->tail);
}

static bool queue_stack_map_is_full(struct bpf_queue_stack *qs)
{
	uint32_t next = READ_ONCE(qs->head) + 1;
	if (next >= qs->size)
		next = 0;
	return next == READ_ONCE(qs->tail);
}

/* How every operation of the map takes qs->lock, in each version; 0 or -EBUSY. */
static int queue_stack_lock(struct bpf_queue_stack *qs, unsigned long *flags)
{
	switch (variant) {
	case RQSPINLOCK:
		if (raw_res_spin_lock_irqsave(&qs->res_lock, *flags))
			return -EBUSY;
		return 0;
	case NMI_TRYLOCK:
		if (in_nmi()) {
			if (!raw_spin_trylock_irqsave(&qs->lock, *flags))
				return -EBUSY;
			return 0;
		}
		raw_spin_lock_irqsave(&qs->lock, *flags);
		return 0;
	default:
		raw_spin_lock_irqsave(&qs->lock, *flags);
		return 0;
	}
}

static void queue_stack_unlock(struct bpf_queue_stack *qs, unsigned long flags)
{
	if (variant == RQSPINLOCK)
		raw_res_spin_unlock_irqrestore(&qs->res_lock, flags);
	else
		raw_spin_unlock_irqrestore(&qs->lock, flags);
}

static long __queue_map_get(struct bpf_queue_stack *qs, int *value, bool delete)
{
	unsigned long flags;
	int err = queue_stack_lock(qs, &flags);
	if (err)
		return err;

	if (queue_stack_map_is_empty(qs)) {
		*value = 0;
		err = -ENOENT;
		goto out;
	}
	uint32_t tail = READ_ONCE(qs->tail);
	*value = READ_ONCE(qs->elements[tail]);
	if (delete)
		WRITE_ONCE(qs->tail, tail + 1 >= qs->size ? 0 : tail + 1);
out:
	queue_stack_unlock(qs, flags);
	return err;
}

static long queue_map_pop_elem(struct bpf_queue_stack *qs, int *value)
{
	return __queue_map_get(qs, value, true);
}

static long queue_stack_map_push_elem(struct bpf_queue_stack *qs, int value, uint64_t flags)
{
	bool replace = flags & BPF_EXIST;
	unsigned long irq_flags;
	int err;

	if ((flags & BPF_NOEXIST) || flags > BPF_EXIST)
		return -EINVAL;

	err = queue_stack_lock(qs, &irq_flags);
	if (err)
		return err;

	if (queue_stack_map_is_full(qs)) {
		if (!replace) {
			err = -E2BIG;
			goto out;
		}
		/* Make room: the oldest element is dropped. */
		uint32_t tail = READ_ONCE(qs->tail);
		WRITE_ONCE(qs->tail, tail + 1 >= qs->size ? 0 : tail + 1);
	}
	uint32_t head = READ_ONCE(qs->head);
	WRITE_ONCE(qs->elements[head], value);
	WRITE_ONCE(qs->head, head + 1 >= qs->size ? 0 : head + 1);
out:
	queue_stack_unlock(qs, irq_flags);
	return err;
}

/* ---- the programs ------------------------------------------------------------------------ */

/* bpf_map_push_elem(&queue, value, BPF_ANY) with the next value of this producer. */
static long push(int producer)
{
	int value = value_of(producer, next_rank[producer]++);
	long ret = queue_stack_map_push_elem(&the_queue, value, BPF_ANY);
	if (!ret)
		pushed[value] = true;
	return ret;
}

/* bpf_map_pop_elem(&queue, &value). */
static long pop(void)
{
	int value;
	long ret = queue_map_pop_elem(&the_queue, &value);
	if (!ret && value >= 0 && value < NVALUES)
		LS_FETCH_ADD(&popped[value], 1);
	return ret;
}

static void prog0_fn(void *arg)
{
	(void)arg;
	push(0);
	push(0);
	pop();
	pop();
}

static void prog1_fn(void *arg)
{
	(void)arg;
	push(1);
	pop();
}

static void record_nmi(long ret)
{
	int slot = ls_slot_claim(&nmi_calls, NMI_SLOTS);
	if (slot >= 0)
		nmi_ret[slot] = (int)ret;
}

/* bpf_overflow_handler() running the perf_event program. */
static void perf_nmi(void *arg)
{
	(void)arg;
	if (this_cpu_inc_return(bpf_prog_active) == 1) {
		record_nmi(pop());
		record_nmi(push(2 + smp_processor_id()));
	}
	this_cpu_dec(bpf_prog_active);
}

static void init(int v)
{
	struct bpf_queue_stack *qs = &the_queue;

	variant = v;
	memset(qs, 0, sizeof(*qs));
	qs->size = QUEUE_SIZE;
	if (v == RQSPINLOCK) {
		ls_rqs_use_variant(0, STALL_NS);	/* current */
		/* raw_res_spin_lock_init(&qs->lock) */
		ls_rqspinlock_init(&qs->res_lock, "&qs->lock", LS_SITE("raw_res_spin_lock_init"));
	} else {
		raw_spin_lock_init(&qs->lock);
	}
	memset(bpf_prog_active, 0, sizeof(bpf_prog_active));
	memset(next_rank, 0, sizeof(next_rank));
	memset(pushed, 0, sizeof(pushed));
	memset(popped, 0, sizeof(popped));
	nmi_calls = 0;
}

/* ---- the check --------------------------------------------------------------------------- */

static void check(int v)
{
	const struct bpf_queue_stack *qs = &the_queue;
	int queued[NVALUES] = { 0 };
	int last_rank[NPRODUCERS];
	int npushed = 0, npopped = 0;

	/* Each producer's queued values, oldest first, have increasing ranks. */
	for (int p = 0; p < NPRODUCERS; p++)
		last_rank[p] = -1;
	for (uint32_t i = qs->tail; i != qs->head; i = i + 1 >= qs->size ? 0 : i + 1) {
		int value = qs->elements[i];
		if (value < 0 || value >= NVALUES) {
			ls_fail(LS_SITE("check"), "queue: slot %u holds %d, never pushed", i, value);
			return;
		}
		int p = value / RANKS, rank = value % RANKS;
		if (rank <= last_rank[p])
			ls_fail(LS_SITE("check"), "queue: producer %d's value %d queued after %d", p,
				rank, last_rank[p]);
		last_rank[p] = rank;
		queued[value]++;
	}
	for (int value = 0; value < NVALUES; value++) {
		npushed += pushed[value];
		npopped += popped[value];
		if (popped[value] + queued[value] != (int)pushed[value])
			ls_fail(LS_SITE("check"), "queue: value %d (producer %d, rank %d) pushed %d, "
						  "popped %d, queued %d",
				value, value / RANKS, value % RANKS, pushed[value], popped[value],
				queued[value]);
		/* A later value of the producer left while this one stayed: not FIFO. */
		int p = value / RANKS;
		if (queued[value])
			for (int later = value + 1; later < (p + 1) * RANKS; later++)
				if (popped[later])
					ls_fail(LS_SITE("check"), "queue: value %d popped before %d",
						later, value);
	}
	uint32_t count = (qs->head + qs->size - qs->tail) % qs->size;
	LS_BUG_ON((int)count != npushed - npopped);
	for (int c = 0; c < 2; c++)
		LS_BUG_ON(bpf_prog_active[c] != 0);
	if (v == RQSPINLOCK)
		ls_rqs_check_quiescent(v);
}

/* How many of the last execution's NMI-side map operations returned err. */
int ls_maps_queue_stack_nmi_ops(int err)
{
	int n = 0, calls = ls_slots_used(&nmi_calls, NMI_SLOTS);
	for (int i = 0; i < calls; i++)
		n += nmi_ret[i] == err;
	return n;
}

static const struct ls_task_decl tasks[] = {
	{ "prog0", 0, prog0_fn, NULL },
	{ "prog1", 1, prog1_fn, NULL },
};

static const struct ls_irq_decl nmis[] = { { "perf", 0x3, 1, perf_nmi, NULL } };

static const struct ls_variant variants[] = {
	{ "raw-spinlock", "raw_spinlock_t in every context: the NMI spins on the lock its CPU "
			  "holds (AA)", LS_KIND_DEADLOCK, 0 },
	{ "rqspinlock", "rqspinlock: the NMI's attempt fails with -EDEADLK at once, -EBUSY",
	  LS_KIND_NONE, 0 },
	{ "nmi-trylock", "Sep 2023 to v6.14: in NMI only a trylock, -EBUSY when it fails",
	  LS_KIND_NONE, 0 },
};

const struct ls_target ls_target_maps_queue_stack = {
	.name = "maps/queue-stack",
	.summary = "a perf NMI program pops and pushes the queue map its CPU's program holds",
	.models = "queue_stack_maps.c: __queue_map_get(), queue_stack_map_push_elem(), qs->lock",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = 3,
	.init = init,
	.check = check,
};

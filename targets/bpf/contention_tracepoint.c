/* bpf/contention-tracepoint: a lock-contention profiler's BPF program, loaded twice, on
 * lock:contention_begin and lock:contention_end.  The slow paths it watches run it, its own map
 * operations contend, and it runs again inside itself: the v7.0 field lockup, where CPUs waking
 * from idle spun on jiffies_lock behind a CPU whose program waited for ever at the head of a
 * bucket lock's queue.
 *
 * Models:
 *   kernel/time/tick-broadcast.c, tick-sched.c  the broadcast clock event on CPU0 (the
 *                 timekeeper): tick_handle_oneshot_broadcast() -> tick_do_broadcast() IPIs
 *                 every other CPU, idle with its local timer stopped; CPU0's own tick counts the
 *                 period (tick_sched_do_timer() -> tick_do_update_jiffies64()).  A woken CPU:
 *                 irq_enter() -> tick_irq_enter() -> tick_nohz_irq_enter() ->
 *                 tick_nohz_update_jiffies() -> tick_do_update_jiffies64().
 *   tick_do_update_jiffies64()  the lockless quick check of tick_next_period
 *                 (smp_load_acquire), raw_spin_lock(&jiffies_lock) (a queued spinlock), the
 *                 re-check under it, jiffies_64 += ticks, smp_store_release(&tick_next_period).
 *   the contention tracepoints (<lockstep/trace.h>)  fired by the lock models: the queued
 *                 spinlock's second and later waiters at `queue:` and once they hold the lock;
 *                 rqspinlock's queue path at `queue:`, at `release:` (the lock held), and with
 *                 the error after queueing.
 *   kernel/trace/bpf_trace.c  __bpf_trace_run(): if this_cpu_inc_return(*(prog->active)) != 1,
 *                 bpf_prog_inc_misses_counter() and skip.  The guard is per program and per CPU:
 *                 a nested run of the same program is refused, another program's is not.
 *   kernel/bpf/hashtab.c  htab_lock_bucket() and htab_unlock_bucket():
 *                 v6.14      preempt_disable(), local_irq_save(), this CPU's map_locked[hash &
 *                            min(HASHTAB_MAP_LOCK_MASK, n_buckets - 1)] incremented: if it was
 *                            not 0, undo and return -EBUSY; else raw_spin_lock(&b->raw_lock);
 *                 v6.15 on   raw_res_spin_lock_irqsave(&b->raw_lock), its error returned.
 *                 htab_lru_map_update_elem(): prealloc_lru_pop() before the bucket lock; under
 *                 it, link the new element and unlink the old; htab_lru_push_free() of the old
 *                 one after it.  htab_lru_map_delete_elem(): unlink under the bucket lock, free
 *                 after it.
 *   kernel/bpf/bpf_lru_list.c  lru-list-spinlock only: bpf_lru_pop_free() and
 *                 bpf_lru_push_free() under the common LRU list's lock, a raw_spinlock_t taken
 *                 with raw_spin_lock_irqsave() in 7.0.  The per-CPU local lists, which batch the
 *                 pops, are left out: every pop and every push takes the list lock.
 *   kernel/bpf/syscall.c  map_delete_elem(): bpf_disable_instrumentation() (bpf_prog_active,
 *                 which __bpf_trace_run() does not read), the map operation,
 *                 bpf_enable_instrumentation().
 *   kernel/bpf/rqspinlock.c  what a queue head does with -EDEADLK (src/model/rqspinlock.c, Q9):
 *                 v6.15-v6.18 tear the queue down, v6.19-v7.1 (7bd6e5ce5be6) wait with no bound
 *                 for a successor to hand the MCS lock to, 7a3c0289c3c8 first resets the tail.
 *
 * The program, loaded by two profilers (copy a with its map tstamp_a, copy b with tstamp_b), is
 * one bpf_prog attached to both tracepoints and keyed by pid, the idle task's 0 on every CPU:
 *   contention_begin(lock, flags)  bpf_map_update_elem(&tstamp, &pid, &now, BPF_ANY)
 *   contention_end(lock, ret)      bpf_map_delete_elem(&tstamp, &pid)
 * Copy a was attached first, so its probes run first.  per-cpu-slot's program instead writes this
 * CPU's slot of a per-CPU array and takes no lock.  The maps are LRU hash maps; every key in play
 * hashes to one bucket, so each map has one bucket lock here: A (tstamp_a's) and B (tstamp_b's).
 * Elements are preallocated and never evicted (the pool is larger than an execution needs).
 *
 * Scenario (4 CPUs):
 *   user (CPU0)   the profilers' user side, through the syscall: delete pid 0 from tstamp_b, then
 *                 from tstamp_a, twice.  A contended bucket lock runs both programs inside it.
 *   broadcast (hardirq on CPU0, up to four times)  each time one period later: IPIs to CPUs
 *                 1-3, then CPU0's tick.  So four CPUs update jiffies at once; the third and
 *                 fourth to wait on jiffies_lock fire contention_begin, and each fires
 *                 contention_end once it holds it.  Each run of the programs takes A, then B.
 * A bucket lock's third contender fires the tracepoints inside rqspinlock's slow path, and the
 * other copy runs there (its own is refused by its guard): one CPU goes for B inside A's slow
 * path, or holding A after it, and another CPU for A inside or holding B.  That is the ABBA the
 * heads of A's and B's queues detect.  Four CPUs, not three: the field's shape needs two CPUs
 * running programs from jiffies_lock's tracepoints at once, so a holder and a first waiter of
 * jiffies_lock besides them.
 *
 * Expected:
 *   v6.14         deadlock, the model's finding (the field report expected none): map_locked is
 *                 per map and per CPU.  A program nested on its own map's bucket gets -EBUSY, but
 *                 one CPU holding A across contention_end runs copy b, which spins on B, held
 *                 across contention_end on another CPU whose copy a spins on A: syzbot's
 *                 lru-abba cycle (maps/lru-abba), through the tracepoints this time.
 *   v6.15         never: a head that detects the ABBA tears its queue down; the program and
 *                 whoever queued behind it get -EDEADLK (B12), and nobody waits without bound.
 *   v6.19         deadlock: two CPUs at the heads of A's and B's queues, each holding or
 *                 attempting the other's lock, each detect the ABBA and wait for a successor to
 *                 hand the queue to; every other CPU spins on jiffies_lock, which one of the heads
 *                 holds, or has nothing more to run.  Before that, the same wait ends as soon as
 *                 a later operation queues behind the head (the field's 1-7 s stalls).
 *   fixed         never: the head that is still the tail resets it and leaves (7a3c0289c3c8).
 *   lru-list-spinlock  deadlock: 7.0's LRU list lock, a raw spinlock, held across
 *                 contention_end (it was contended), is taken again by the program that
 *                 tracepoint runs: AA in the user's syscall, or ABBA between the two maps' list
 *                 locks across CPUs.  The bucket locks are as fixed.  (89edbdfc5d03 converts the
 *                 LRU locks to rqspinlock; the shape of that fix is inferred, not modelled.)
 *   per-cpu-slot  never: the program takes no lock.
 * The errors a program or the syscall gets back are expected (-EBUSY from map_locked, -EDEADLK
 * and -ETIMEDOUT from rqspinlock).  An rqspinlock wait that ends in -ETIMEDOUT is a stall, found
 * in v6.15, v6.19 and fixed where the cycle runs through queue order: the two CPUs of the ABBA
 * each queued behind a head that is no party to it (four CPUs in the cycle).  Only heads check,
 * and a head sees only a two-party cycle it is in; rqspinlock's documented limit, so stalls are
 * not bugs of these variants.
 *
 * Check (after an execution that did not hang): every operation returned 0, -ENOENT or the
 * variant's errors; in each map pid 0 is linked at most once, the linked elements are the claimed
 * ones and the per-CPU element counts add up to them; map_locked, the programs' active counts and
 * bpf_prog_active are 0; jiffies counts the latest period a tick finished in; the locks are free.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): v6.14 4, v6.19 3 and lru-list-spinlock 5 bugs, for 1, 1 and 2 root causes.  A bug's
 * identity includes the kind of each context in its cycle, and here the same cycle forms between a
 * tick (a raised hardirq), the broadcast hardirq and the user's task in several combinations, each
 * a bug of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum { V6_14, V6_15, V6_19, FIXED, LRU_LIST_SPINLOCK, PER_CPU_SLOT, NVARIANTS };

#define NCPUS 4
#define BROADCASTS 4		/* broadcast events per execution */
#define USER_ROUNDS 2		/* the user side's passes over both maps */
#define BPF_ANY 0
#define HASHTAB_MAP_LOCK_COUNT 8
#define HASHTAB_MAP_LOCK_MASK (HASHTAB_MAP_LOCK_COUNT - 1)
#define N_BUCKETS 1		/* the bucket every key in play hashes to */
#define POOL 16			/* preallocated elements: more than an execution claims */
#define IDLE_PID 0

static int variant;

/* ---- kernel/time: CPUs woken from idle by the broadcast timer ----------------------------- */

static DEFINE_RAW_SPINLOCK(jiffies_lock);
static uint64_t jiffies_64;
static uint64_t tick_next_period;	/* the first period not counted yet */
static uint64_t broadcast_period;	/* the period of the latest broadcast event */
static uint64_t ticked;			/* lockstep: the latest finished tick's period */

static void tick_do_update_jiffies64(uint64_t now)
{
	/* The lockless quick check: another CPU may have counted this period already. */
	if (now < smp_load_acquire(&tick_next_period))
		return;

	raw_spin_lock(&jiffies_lock);
	/* Re-evaluate with the lock held. */
	uint64_t next = READ_ONCE(tick_next_period);
	if (now < next) {
		raw_spin_unlock(&jiffies_lock);
		return;
	}
	WRITE_ONCE(jiffies_64, READ_ONCE(jiffies_64) + (now - next + 1));
	/* Pairs with the quick check's smp_load_acquire(). */
	smp_store_release(&tick_next_period, now + 1);
	raw_spin_unlock(&jiffies_lock);
}

/* Both ways a CPU comes to count the period. */
static void tick_update(void)
{
	uint64_t now = READ_ONCE(broadcast_period);
	tick_do_update_jiffies64(now);
	if (now > ticked)
		ticked = now;	/* lockstep's record, not the kernel's */
}

/* An IPI'd CPU: irq_enter() -> tick_irq_enter() -> tick_nohz_irq_enter() ->
 * tick_nohz_update_jiffies(), its tick having been stopped in idle. */
static void tick_broadcast_ipi(int cpu)
{
	(void)cpu;
	tick_update();
}

/* tick_handle_oneshot_broadcast() on CPU0: every other CPU's event expired, tick_do_broadcast()
 * wakes them; then CPU0's own tick, tick_sched_do_timer() of the timekeeper. */
static void broadcast_interrupt(void *arg)
{
	(void)arg;
	WRITE_ONCE(broadcast_period, READ_ONCE(broadcast_period) + 1);
	for (int cpu = 1; cpu < NCPUS; cpu++)
		ls_irq_raise(cpu);
	tick_update();
}

/* ---- kernel/bpf/bpf_lru_list.c: the common LRU list (lru-list-spinlock) ------------------- */

struct bpf_lru {
	raw_spinlock_t lock;	/* lru->common_lru.lru_list.lock */
};

/* One lock class for every LRU list, as raw_spin_lock_init() in bpf_lru_list_init() gives. */
static const char lru_lock_key;

/* ---- kernel/bpf/hashtab.c ---------------------------------------------------------------- */

struct htab_elem {
	struct htab_elem *next;	/* hash_node */
	uint32_t hash;
	uint32_t key;
	uint64_t value;
	int claimed;		/* the LRU's: 1 while off its free list */
};

struct bucket {
	struct htab_elem *head;
	raw_spinlock_t raw_lock;	/* up to v6.14 */
	rqspinlock_t res_lock;		/* v6.15 on, where it is named raw_lock */
};

struct bpf_htab {
	const char *name;
	struct bucket buckets[N_BUCKETS];
	struct htab_elem elems[POOL];
	struct bpf_lru lru;
	uint32_t n_buckets;
	char lockdep_key;		/* struct lock_class_key: one class per map */
	int map_locked[HASHTAB_MAP_LOCK_COUNT][LS_NR_CPUS];	/* up to v6.14 */
	long elem_count[LS_NR_CPUS];
};

static struct bpf_htab tstamp_a, tstamp_b;
static DEFINE_PER_CPU(int, bpf_prog_active);

static bool rqspinlock_buckets(void)
{
	return variant != V6_14;
}

static uint32_t htab_map_hash(uint32_t key)
{
	return key * 0x9e3779b1u;	/* stands for jhash */
}

static struct bucket *__select_bucket(struct bpf_htab *htab, uint32_t hash)
{
	return &htab->buckets[hash & (htab->n_buckets - 1)];
}

static uint32_t map_locked_index(const struct bpf_htab *htab, uint32_t hash)
{
	uint32_t mask = htab->n_buckets - 1;
	if (mask > HASHTAB_MAP_LOCK_MASK)
		mask = HASHTAB_MAP_LOCK_MASK;
	return hash & mask;
}

static int htab_lock_bucket(struct bpf_htab *htab, struct bucket *b, uint32_t hash,
			    unsigned long *pflags)
{
	unsigned long flags;

	if (rqspinlock_buckets()) {
		int ret = raw_res_spin_lock_irqsave(&b->res_lock, flags);
		if (ret)
			return ret;
		*pflags = flags;
		return 0;
	}

	hash = map_locked_index(htab, hash);
	preempt_disable();
	local_irq_save(flags);
	if (__this_cpu_inc_return(htab->map_locked[hash]) != 1) {
		/* This map is already being changed on this CPU: refuse to nest. */
		__this_cpu_dec(htab->map_locked[hash]);
		local_irq_restore(flags);
		preempt_enable();
		return -EBUSY;
	}
	raw_spin_lock(&b->raw_lock);
	*pflags = flags;
	return 0;
}

static void htab_unlock_bucket(struct bpf_htab *htab, struct bucket *b, uint32_t hash,
			       unsigned long flags)
{
	if (rqspinlock_buckets()) {
		raw_res_spin_unlock_irqrestore(&b->res_lock, flags);
		return;
	}
	hash = map_locked_index(htab, hash);
	raw_spin_unlock(&b->raw_lock);
	__this_cpu_dec(htab->map_locked[hash]);
	local_irq_restore(flags);
	preempt_enable();
}

/* bpf_lru_pop_free(): claim a free element, under the LRU list lock where it is modelled. */
static struct htab_elem *prealloc_lru_pop(struct bpf_htab *htab, uint32_t key, uint32_t hash)
{
	struct htab_elem *found = NULL;
	unsigned long flags = 0;

	if (variant == LRU_LIST_SPINLOCK)
		raw_spin_lock_irqsave(&htab->lru.lock, flags);
	for (int i = 0; i < POOL && !found; i++)
		if (cmpxchg(&htab->elems[i].claimed, 0, 1) == 0)
			found = &htab->elems[i];
	if (variant == LRU_LIST_SPINLOCK)
		raw_spin_unlock_irqrestore(&htab->lru.lock, flags);
	if (!found)
		return NULL;
	this_cpu_inc(htab->elem_count);	/* bpf_map_inc_elem_count() */
	found->key = key;
	found->hash = hash;
	return found;
}

/* htab_lru_push_free() -> bpf_lru_push_free(): back to the free list. */
static void htab_lru_push_free(struct bpf_htab *htab, struct htab_elem *l)
{
	unsigned long flags = 0;

	this_cpu_dec(htab->elem_count);	/* bpf_map_dec_elem_count() */
	if (variant == LRU_LIST_SPINLOCK)
		raw_spin_lock_irqsave(&htab->lru.lock, flags);
	smp_store_release(&l->claimed, 0);
	if (variant == LRU_LIST_SPINLOCK)
		raw_spin_unlock_irqrestore(&htab->lru.lock, flags);
}

/* Only with the bucket lock held. */
static struct htab_elem *lookup_elem_raw(struct bucket *b, uint32_t hash, uint32_t key)
{
	for (struct htab_elem *l = READ_ONCE(b->head); l; l = READ_ONCE(l->next))
		if (l->hash == hash && l->key == key)
			return l;
	return NULL;
}

static void hlist_del(struct bucket *b, struct htab_elem *victim)
{
	struct htab_elem **pp = &b->head;
	for (struct htab_elem *l; (l = READ_ONCE(*pp)); pp = &l->next)
		if (l == victim) {
			WRITE_ONCE(*pp, READ_ONCE(victim->next));
			return;
		}
}

/* BPF_ANY: no flags to check. */
static long htab_lru_map_update_elem(struct bpf_htab *htab, uint32_t key, uint64_t value)
{
	struct htab_elem *l_new, *l_old;
	unsigned long flags;
	uint32_t hash = htab_map_hash(key);
	struct bucket *b = __select_bucket(htab, hash);
	int ret;

	/* The element comes from the LRU before the bucket lock: taking one may evict, and
	 * eviction takes bucket locks. */
	l_new = prealloc_lru_pop(htab, key, hash);
	if (!l_new)
		return -ENOMEM;
	l_new->value = value;

	ret = htab_lock_bucket(htab, b, hash, &flags);
	if (ret) {
		htab_lru_push_free(htab, l_new);
		return ret;
	}
	l_old = lookup_elem_raw(b, hash, key);
	WRITE_ONCE(l_new->next, READ_ONCE(b->head));
	WRITE_ONCE(b->head, l_new);
	if (l_old)
		hlist_del(b, l_old);
	htab_unlock_bucket(htab, b, hash, flags);
	if (l_old)
		htab_lru_push_free(htab, l_old);
	return 0;
}

static long htab_lru_map_delete_elem(struct bpf_htab *htab, uint32_t key)
{
	unsigned long flags;
	uint32_t hash = htab_map_hash(key);
	struct bucket *b = __select_bucket(htab, hash);

	int ret = htab_lock_bucket(htab, b, hash, &flags);
	if (ret)
		return ret;
	struct htab_elem *l = lookup_elem_raw(b, hash, key);
	if (l)
		hlist_del(b, l);
	else
		ret = -ENOENT;
	htab_unlock_bucket(htab, b, hash, flags);
	if (l)
		htab_lru_push_free(htab, l);
	return ret;
}

/* ---- lockstep's record: what the operations returned, where the programs are ------------- */

enum caller { PROG_A, PROG_B, SYSCALL };

struct call {
	enum caller caller;
	int ret;
	bool in_irq;		/* a tick's */
};

static struct call calls[64];
static int ncalls;
#define CALL_SLOTS ((int)(sizeof(calls) / sizeof(calls[0])))

static void record(enum caller who, long ret)
{
	int slot = ls_slot_claim(&ncalls, CALL_SLOTS);
	if (slot >= 0)
		calls[slot] = (struct call){ who, (int)ret, in_hardirq() };
}

/* Per CPU, the programs running and nested: which copy, from which tracepoint of which lock, on
 * which map.  A CPU's contexts nest, so one stack per CPU; plain bookkeeping, no model state. */
#define MAX_NEST 8

struct frame {
	const struct bpf_prog *prog;
	bool begin;
	const void *lock;
};

static struct {
	struct frame f[MAX_NEST];
	int n;
} nest[LS_NR_CPUS];

static void frame_push(const struct bpf_prog *prog, bool begin, const void *lock)
{
	int cpu = ls_cpu();
	if (nest[cpu].n < MAX_NEST)
		nest[cpu].f[nest[cpu].n] = (struct frame){ prog, begin, lock };
	nest[cpu].n++;
}

static void frame_pop(void)
{
	nest[ls_cpu()].n--;
}

/* ---- kernel/trace/bpf_trace.c and the program ---------------------------------------------- */

struct bpf_prog {
	enum caller id;
	struct bpf_htab *tstamp;
	int active[LS_NR_CPUS];		/* prog->active, per CPU */
	long misses;			/* bpf_prog_inc_misses_counter() */
	long runs;			/* lockstep: runs the guard let through */
};

static struct bpf_prog prog_a, prog_b;

/* per-cpu-slot: a BPF_MAP_TYPE_PERCPU_ARRAY of one entry. */
struct contention_slot {
	const void *lock;
	uint64_t since;
};
static DEFINE_PER_CPU(struct contention_slot, tstamp_cpu);

/* bpf_get_current_pid_tgid() & 0xffffffff: in an interrupt the interrupted task's pid, the idle
 * task's 0 on an idle CPU. */
static uint32_t current_pid(void)
{
	return (uint32_t)current->pid;
}

/* The profiler's program: one body for both tracepoints. */
static void lockprof(struct bpf_prog *prog, bool begin, const void *lock)
{
	uint32_t pid = current_pid();

	if (variant == PER_CPU_SLOT) {
		struct contention_slot *slot = this_cpu_ptr(&tstamp_cpu);
		if (begin) {
			WRITE_ONCE(slot->lock, lock);
			WRITE_ONCE(slot->since, ls_now());
		} else if (READ_ONCE(slot->lock) == lock) {
			WRITE_ONCE(slot->lock, NULL);
		}
		return;
	}
	if (begin)
		record(prog->id, htab_lru_map_update_elem(prog->tstamp, pid, ls_now()));
	else
		record(prog->id, htab_lru_map_delete_elem(prog->tstamp, pid));
}

static void __bpf_trace_run(struct bpf_prog *prog, bool begin, const void *lock)
{
	if (this_cpu_inc_return(prog->active) != 1) {
		LS_FETCH_ADD(&prog->misses, 1);	/* bpf_prog_inc_misses_counter() */
		goto out;
	}
	/* migrate_disable(); rcu_read_lock(): nothing here depends on them. */
	LS_FETCH_ADD(&prog->runs, 1);
	frame_push(prog, begin, lock);
	lockprof(prog, begin, lock);
	frame_pop();
out:
	this_cpu_dec(prog->active);
}

static void contention_begin_probe(void *data, void *lock, unsigned int flags)
{
	(void)flags;
	__bpf_trace_run(data, true, lock);
}

static void contention_end_probe(void *data, void *lock, int ret)
{
	(void)ret;
	__bpf_trace_run(data, false, lock);
}

/* ---- kernel/bpf/syscall.c: the profilers' user side ---------------------------------------- */

static void bpf_disable_instrumentation(void)
{
	preempt_disable();
	this_cpu_inc(bpf_prog_active);
}

static void bpf_enable_instrumentation(void)
{
	this_cpu_dec(bpf_prog_active);
	preempt_enable();
}

/* map_delete_elem(), BPF_MAP_DELETE_ELEM. */
static long map_delete_elem(struct bpf_htab *htab, uint32_t key)
{
	bpf_disable_instrumentation();
	long ret = htab_lru_map_delete_elem(htab, key);
	bpf_enable_instrumentation();
	return ret;
}

static void user_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < USER_ROUNDS; i++) {
		record(SYSCALL, map_delete_elem(&tstamp_b, IDLE_PID));
		record(SYSCALL, map_delete_elem(&tstamp_a, IDLE_PID));
	}
}

/* ---- set-up and check -------------------------------------------------------------------- */

static void htab_init(struct bpf_htab *htab, const char *name, const char *bucket_name,
		      const char *lru_name)
{
	memset(htab, 0, sizeof(*htab));
	htab->name = name;
	htab->n_buckets = N_BUCKETS;
	for (uint32_t i = 0; i < htab->n_buckets; i++) {
		struct bucket *b = &htab->buckets[i];
		/* raw_spin_lock_init() and lockdep_set_class(, &htab->lockdep_key), or
		 * raw_res_spin_lock_init(): one lock class per map. */
		if (rqspinlock_buckets())
			ls_rqspinlock_init(&b->res_lock, bucket_name, &htab->lockdep_key);
		else
			ls_raw_spin_lock_init(&b->raw_lock, bucket_name, &htab->lockdep_key,
					      LS_WAIT_SPIN);
	}
	if (variant == LRU_LIST_SPINLOCK)
		ls_raw_spin_lock_init(&htab->lru.lock, lru_name, &lru_lock_key, LS_WAIT_SPIN);
	/* The idle entry an earlier contention left. */
	struct htab_elem *l = &htab->elems[0];
	l->key = IDLE_PID;
	l->hash = htab_map_hash(IDLE_PID);
	l->claimed = 1;
	__select_bucket(htab, l->hash)->head = l;
	htab->elem_count[0] = 1;
}

/* The point of rqspinlock's history each variant's bucket locks are at (ls_rqs_variants[]). */
static const char *const rqs_point[NVARIANTS] = {
	[V6_15] = "v6.15",
	[V6_19] = "v6.19",
	[FIXED] = "current",
	[LRU_LIST_SPINLOCK] = "current",
	[PER_CPU_SLOT] = "current",
};

static void init(int v)
{
	variant = v;
	if (rqspinlock_buckets())
		for (int i = 0; i < ls_rqs_nvariants; i++)
			if (strcmp(ls_rqs_variants[i].name, rqs_point[v]) == 0)
				ls_rqs_use_variant(i, 0);	/* only -ETIMEDOUT is a stall */
	htab_init(&tstamp_a, "tstamp_a", "&tstamp_a->lockdep_key", "&tstamp_a->lru.lock");
	htab_init(&tstamp_b, "tstamp_b", "&tstamp_b->lockdep_key", "&tstamp_b->lru.lock");
	memset(bpf_prog_active, 0, sizeof(bpf_prog_active));
	memset(tstamp_cpu, 0, sizeof(tstamp_cpu));
	prog_a = (struct bpf_prog){ .id = PROG_A, .tstamp = &tstamp_a };
	prog_b = (struct bpf_prog){ .id = PROG_B, .tstamp = &tstamp_b };
	jiffies_64 = 0;
	tick_next_period = 1;
	broadcast_period = 0;
	ticked = 0;
	memset(calls, 0, sizeof(calls));
	ncalls = 0;
	memset(nest, 0, sizeof(nest));
	ls_set_raised_irq_handler(tick_broadcast_ipi);
	register_trace_contention_begin(contention_begin_probe, &prog_a);
	register_trace_contention_end(contention_end_probe, &prog_a);
	register_trace_contention_begin(contention_begin_probe, &prog_b);
	register_trace_contention_end(contention_end_probe, &prog_b);
}

static void check_htab(const struct bpf_htab *htab)
{
	int linked = 0, claimed = 0, idle_keys = 0;
	long count = 0;

	for (int c = 0; c < LS_NR_CPUS; c++)
		count += htab->elem_count[c];
	for (int i = 0; i < POOL; i++)
		claimed += htab->elems[i].claimed;
	for (uint32_t i = 0; i < htab->n_buckets; i++)
		for (const struct htab_elem *l = htab->buckets[i].head; l; l = l->next) {
			if (!l->claimed)
				ls_fail(LS_SITE("check"), "%s: key %u linked but free", htab->name,
					l->key);
			idle_keys += l->key == IDLE_PID;
			if (++linked > POOL) {
				ls_fail(LS_SITE("check"), "%s: bucket %u loops", htab->name, i);
				return;
			}
		}
	if (idle_keys > 1)
		ls_fail(LS_SITE("check"), "%s: key %u linked %d times", htab->name, IDLE_PID,
			idle_keys);
	if (linked != claimed || count != linked)
		ls_fail(LS_SITE("check"), "%s: %d elements linked, %d claimed, count %ld",
			htab->name, linked, claimed, count);
	for (int h = 0; h < HASHTAB_MAP_LOCK_COUNT; h++)
		for (int c = 0; c < LS_NR_CPUS; c++)
			if (htab->map_locked[h][c])
				ls_fail(LS_SITE("check"), "%s: map_locked[%d] on CPU%d is %d",
					htab->name, h, c, htab->map_locked[h][c]);
	/* The ticket word: next and owner are equal when the lock is free. */
	unsigned lru_word = (unsigned)htab->lru.lock.val.counter;
	if (variant == LRU_LIST_SPINLOCK && (lru_word >> 16) != (lru_word & 0xffff))
		ls_fail(LS_SITE("check"), "%s: LRU list lock still held", htab->name);
}

static bool expected_ret(int ret)
{
	if (ret == 0 || ret == -ENOENT)
		return true;
	if (variant == V6_14)
		return ret == -EBUSY;
	return ret == -EDEADLK || ret == -ETIMEDOUT;
}

static void check(int v)
{
	for (int i = 0; i < ls_slots_used(&ncalls, CALL_SLOTS); i++)
		if (!expected_ret(calls[i].ret))
			ls_fail(LS_SITE("check"), "a map operation returned %d", calls[i].ret);
	check_htab(&tstamp_a);
	check_htab(&tstamp_b);
	for (int c = 0; c < NCPUS; c++) {
		LS_BUG_ON(bpf_prog_active[c] != 0);
		LS_BUG_ON(prog_a.active[c] != 0);
		LS_BUG_ON(prog_b.active[c] != 0);
		LS_BUG_ON(nest[c].n != 0);
	}
	if (jiffies_64 != ticked)
		ls_fail(LS_SITE("check"), "jiffies %llu after ticks in periods up to %llu",
			(unsigned long long)jiffies_64, (unsigned long long)ticked);
	if (rqspinlock_buckets())
		ls_rqs_check_quiescent(v);
}

/* ---- what the tests read after an execution ---------------------------------------------- */

int ls_bpf_contention_calls(int caller, int ret);
int ls_bpf_contention_tick_calls(void);
long ls_bpf_contention_misses(void);
long ls_bpf_contention_runs(void);
int ls_bpf_contention_where(int cpu, char *buf, size_t len);

/* How many map operations by caller (0: copy a, 1: copy b, 2: the syscall; -1: any) returned
 * ret. */
int ls_bpf_contention_calls(int caller, int ret)
{
	int n = 0;
	for (int i = 0; i < ls_slots_used(&ncalls, CALL_SLOTS); i++)
		n += (caller < 0 || (int)calls[i].caller == caller) && calls[i].ret == ret;
	return n;
}

/* How many of the programs' map operations ran in a tick. */
int ls_bpf_contention_tick_calls(void)
{
	int n = 0;
	for (int i = 0; i < ls_slots_used(&ncalls, CALL_SLOTS); i++)
		n += calls[i].in_irq;
	return n;
}

/* The program runs the recursion guard refused. */
long ls_bpf_contention_misses(void)
{
	return prog_a.misses + prog_b.misses;
}

/* The program runs the guard let through. */
long ls_bpf_contention_runs(void)
{
	return prog_a.runs + prog_b.runs;
}

static const char *lock_name(const void *lock)
{
	if (lock == &jiffies_lock)
		return "jiffies_lock";
	if (lock == &tstamp_a.buckets[0].res_lock || lock == &tstamp_a.buckets[0].raw_lock)
		return "&tstamp_a->lockdep_key";
	if (lock == &tstamp_b.buckets[0].res_lock || lock == &tstamp_b.buckets[0].raw_lock)
		return "&tstamp_b->lockdep_key";
	if (lock == &tstamp_a.lru.lock)
		return "&tstamp_a->lru.lock";
	if (lock == &tstamp_b.lru.lock)
		return "&tstamp_b->lru.lock";
	return "?";
}

/* Where CPU cpu's programs stand, innermost first, e.g. "b's update of tstamp_b in
 * contention_begin(&tstamp_a->lockdep_key) < a's delete of tstamp_a in
 * contention_end(jiffies_lock)"; "" if none runs.  Returns the number of programs running. */
int ls_bpf_contention_where(int cpu, char *buf, size_t len)
{
	int n = nest[cpu].n < MAX_NEST ? nest[cpu].n : MAX_NEST;
	size_t used = 0;
	buf[0] = 0;
	for (int i = n - 1; i >= 0 && used < len; i--) {
		const struct frame *f = &nest[cpu].f[i];
		int w = snprintf(buf + used, len - used, "%s%s's %s of %s in contention_%s(%s)",
				 i == n - 1 ? "" : " < ", f->prog == &prog_a ? "a" : "b",
				 f->begin ? "update" : "delete", f->prog->tstamp->name,
				 f->begin ? "begin" : "end", lock_name(f->lock));
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return nest[cpu].n;
}

static const struct ls_task_decl tasks[] = { { "user", 0, user_fn, NULL } };

static const struct ls_irq_decl irqs[] = {
	{ "broadcast", 0x1, BROADCASTS, broadcast_interrupt, NULL },
};

static const struct ls_variant variants[NVARIANTS] = {
	[V6_14] = { "v6.14", "map_locked refuses only its own map: bucket locks held across "
			     "contention_end cross (ABBA)",
		    LS_KIND_DEADLOCK, 0 },
	[V6_15] = { "v6.15", "a head that detects the ABBA tears its queue down: errors, no hang",
		    LS_KIND_NONE, LS_RQS_BUGS_BUT_STALLS },
	[V6_19] = { "v6.19", "7bd6e5ce5be6: heads that detect the ABBA wait for successors that "
			     "never come",
		    LS_KIND_DEADLOCK, LS_RQS_BUGS_BUT_STALLS },
	[FIXED] = { "fixed", "7a3c0289c3c8: a head still the tail resets it and leaves",
		    LS_KIND_NONE, LS_RQS_BUGS_BUT_STALLS },
	[LRU_LIST_SPINLOCK] = { "lru-list-spinlock", "7.0's raw spinlock LRU list lock, held "
						     "across contention_end, taken again",
				LS_KIND_DEADLOCK, LS_RQS_BUGS_BUT_STALLS },
	[PER_CPU_SLOT] = { "per-cpu-slot", "the program writes a per-CPU slot and takes no lock",
			   LS_KIND_NONE, 0 },
};

const struct ls_target ls_target_bpf_contention_tracepoint = {
	.name = "bpf/contention-tracepoint",
	.summary = "a profiler on lock:contention_begin/end, loaded twice, re-enters its LRU maps "
		   "from their bucket locks' slow paths while CPUs spin on jiffies_lock",
	.models = "tick_do_update_jiffies64(), __bpf_trace_run(), htab_lock_bucket(), "
		  "htab_lru_map_update/delete_elem(), rqspinlock's queue head on -EDEADLK",
	.ncpus = NCPUS,
	.tasks = tasks,
	.ntasks = 1,
	.irqs = irqs,
	.nirqs = 1,
	.variants = variants,
	.nvariants = NVARIANTS,
	.init = init,
	.check = check,
};

/* maps/lru-abba: two LRU hash maps, and NMI programs that take one map's bucket lock while their
 * CPU holds the other's, in opposite orders on two CPUs.
 *
 * Models (kernel/bpf/hashtab.c as of v6.14, and as converted to rqspinlock for v6.15):
 *   htab_lock_bucket(), htab_unlock_bucket()
 *     raw-spinlock  as of v6.14 (the form since late 2023): preempt_disable(), local_irq_save(),
 *                   then this CPU's map_locked[hash & min(HASHTAB_MAP_LOCK_MASK, n_buckets - 1)]
 *                   counter of the map: if it was not 0 the map is already being changed on this
 *                   CPU and the call returns -EBUSY; else raw_spin_lock(&b->raw_lock).  Unlock
 *                   in reverse.
 *     rqspinlock    v6.15 on: raw_res_spin_lock_irqsave(&b->raw_lock) and its error (-EDEADLK,
 *                   -ETIMEDOUT) returned; map_locked is gone.
 *   htab_lru_map_update_elem()  an element from the LRU first (prealloc_lru_pop()), then under
 *                   the bucket lock: look the key up, check the flags, link the new element at
 *                   the head and unlink the old one; after the unlock the loser goes back to
 *                   the LRU (htab_lru_push_free()).
 *   htab_lru_map_delete_elem()  under the bucket lock: look up and unlink; free after the unlock.
 *   bpf_map_inc_elem_count()/bpf_map_dec_elem_count(): the per-CPU element count.
 *   bpf_overflow_handler()  a perf program runs only if this CPU's bpf_prog_active was 0; the
 *                   task side is a tp_btf program, which does not raise it (the bpf syscall and
 *                   kprobe programs do, and the NMI program would then not run on that CPU).
 * Left out: the LRU lists themselves (bpf_lru_list.c) with their locks, rotation and eviction
 * (htab_lru_map_delete_node() under the LRU lock): each map's preallocated elements are claimed
 * and released with one cmpxchg each, and the maps are large enough never to evict.  The LRU
 * locks' own NMI re-entry deadlock is a separate 2026 report.  The key hash stands for jhash.
 *
 * The shape.  syzbot's report (6.13-rc1, "possible circular locking dependency", between
 * &htab->lockdep_key#434 and #435, both taken in htab_lru_map_delete_elem()) came from two
 * programs on the lock:contention_begin tracepoint, each deleting from its own LRU map; one ran
 * inside the other's bucket lock acquisition.  map_locked did not stop it: the counter is per map
 * and per CPU, so it refuses only a second entry into the same map on the same CPU, while a
 * program nested in map A's critical section that enters map B finds B's counter at 0.  Lockdep
 * counts a lock as held from the start of its acquisition; contention_begin itself fires before
 * the CPU queues for the lock, and the hold-and-wait needs the program to run while the bucket
 * lock is really held (contention_end, after a contended acquisition, is such a place).  The
 * model library's locks have no contention tracepoints, so here the nesting comes from a perf
 * NMI, which lands inside a bucket lock's critical section where interrupts are off; the lock
 * order it makes (A's bucket held, B's wanted on one CPU, the reverse on the other) is syzbot's.
 *
 * Scenario (2 CPUs, maps lru_a and lru_b of 4 preallocated elements and 2 buckets each; key 1
 * exists in both):
 *   prog0 (CPU0)  tp_btf program: updates key 1 of lru_a, twice.
 *   prog1 (CPU1)  the same on lru_b.
 *   perf (NMI, once on each CPU)  two programs on one perf event: delete key 1 from lru_a, then
 *                 delete key 1 from lru_b.
 *
 * Expected:
 *   raw-spinlock  deadlock: the NMI on CPU0 lands while prog0 holds lru_a's bucket; its lru_a
 *                 delete gets -EBUSY from map_locked, its lru_b delete spins on lru_b's bucket,
 *                 which prog1 holds under the NMI on CPU1, which spins on lru_a's (ABBA).
 *   rqspinlock    clean for the bucket locks (the LRU list locks, left out above, had an NMI
 *                 re-entry deadlock of their own until 2026): an NMI's delete from the map its
 *                 CPU's program is inside fails at once (AA).  In the ABBA both NMIs wait as
 *                 pending waiters or queue heads; the first ABBA check (check_timeout() runs it
 *                 once 1 ms has passed since the wait began) sees the other CPU hold what it
 *                 wants while wanting what it holds: -EDEADLK, and the other NMI then gets its
 *                 lock.  That costs between 1 and 2 ms of spinning in NMI (1.3 ms in the model,
 *                 whose checks come every 0.66 ms), by design; a wait of STALL_NS or more, which
 *                 only a timeout (250 or 500 ms) would give, is a stall.
 *
 *                 A program's own update, part of no cycle, can fail too: an NMI that was the
 *                 head of a bucket lock's queue and leaves it on -EDEADLK hands the failure to
 *                 whoever queued behind it in the meantime (rqspinlock's FIFO teardown).
 *
 * Check (after an execution that did not hang): the programs' updates succeeded (with
 * rqspinlock: or failed with -EDEADLK); in each map no key is linked twice, every linked element
 * is claimed and every claimed one linked, the per-CPU element counts add up to the linked
 * elements, and key 1 is present exactly when the last operation on it under its bucket lock
 * left it so; the map_locked counters and bpf_prog_active are 0; for rqspinlock the locks and
 * held tables are idle.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): raw-spinlock 2: the ABBA through two NMIs (the root cause), and the validator's
 * inconsistent-usage report of a bucket lock taken in NMI and in tasks with NMIs on, which predicts
 * an AA through the NMI that map_locked keeps from happening here.
 */
#include <errno.h>
#include <string.h>

#include <lockstep/kernel.h>
#include <lockstep/target.h>

#include "maps.h"

enum { RAW_SPINLOCK, RQSPINLOCK };

#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_EXIST 2

#define HASHTAB_MAP_LOCK_COUNT 8
#define HASHTAB_MAP_LOCK_MASK (HASHTAB_MAP_LOCK_COUNT - 1)
#define N_BUCKETS 2
#define MAX_ENTRIES 4
#define KEY 1u
#define STALL_NS 10000000ull	/* well past the 1 ms ABBA check, well short of a timeout */

struct htab_elem {
	struct htab_elem *next;	/* hash_node */
	uint32_t hash;
	uint32_t key;
	int value;
	int claimed;		/* the LRU's: 1 while off its free list */
};

struct bucket {
	struct htab_elem *head;
	raw_spinlock_t raw_lock;	/* up to v6.14 */
	rqspinlock_t res_lock;		/* v6.15 on, where it is named raw_lock */
};

struct bpf_htab {
	struct bucket buckets[N_BUCKETS];
	struct htab_elem elems[MAX_ENTRIES];
	uint32_t n_buckets;
	char lockdep_key;		/* struct lock_class_key: one class per map */
	int map_locked[HASHTAB_MAP_LOCK_COUNT][LS_NR_CPUS];	/* up to v6.14 */
	long elem_count[LS_NR_CPUS];
	/* lockstep: key 1's presence as its last operation under the bucket lock left it */
	bool shadow_present;
};

static int variant;
static struct bpf_htab lru_a, lru_b;
static DEFINE_PER_CPU(int, bpf_prog_active);

/* lockstep: what the NMI programs got back, and how long the ones that failed had waited. */
struct nmi_call {
	int ret;
	uint64_t waited;
};
static struct nmi_call nmi_calls[8];
/* NMIs on both CPUs record at once under lockstep stress: each claims its slot (ls_slot_claim). */
static int nnmi_calls;

#define NMI_CALL_SLOTS ((int)(sizeof(nmi_calls) / sizeof(nmi_calls[0])))

static int nmi_calls_recorded(void)
{
	return ls_slots_used(&nnmi_calls, NMI_CALL_SLOTS);
}
static int update_ret[2][2];

static uint32_t htab_map_hash(uint32_t key)
{
	return key * 0x9e3779b1u;
}

static struct bucket *__select_bucket(struct bpf_htab *htab, uint32_t hash)
{
	return &htab->buckets[hash & (htab->n_buckets - 1)];
}

/* ---- the bucket lock --------------------------------------------------------------------- */

/* hash & min(HASHTAB_MAP_LOCK_MASK, n_buckets - 1): which of the map's counters guards it. */
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

	if (variant == RQSPINLOCK) {
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
	if (variant == RQSPINLOCK) {
		raw_res_spin_unlock_irqrestore(&b->res_lock, flags);
		return;
	}
	hash = map_locked_index(htab, hash);
	raw_spin_unlock(&b->raw_lock);
	__this_cpu_dec(htab->map_locked[hash]);
	local_irq_restore(flags);
	preempt_enable();
}

/* ---- elements ---------------------------------------------------------------------------- */

/* bpf_lru_pop_free(): claim a free preallocated element. */
static struct htab_elem *prealloc_lru_pop(struct bpf_htab *htab, uint32_t key, uint32_t hash)
{
	for (int i = 0; i < MAX_ENTRIES; i++) {
		struct htab_elem *l = &htab->elems[i];
		if (cmpxchg(&l->claimed, 0, 1) != 0)
			continue;
		this_cpu_inc(htab->elem_count);	/* bpf_map_inc_elem_count() */
		l->key = key;
		l->hash = hash;
		return l;
	}
	return NULL;
}

/* htab_lru_push_free(): back to the LRU's free list. */
static void htab_lru_push_free(struct bpf_htab *htab, struct htab_elem *l)
{
	this_cpu_dec(htab->elem_count);	/* bpf_map_dec_elem_count() */
	smp_store_release(&l->claimed, 0);
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

static int check_flags(struct htab_elem *l_old, uint64_t map_flags)
{
	if (l_old && map_flags == BPF_NOEXIST)
		return -EEXIST;
	if (!l_old && map_flags == BPF_EXIST)
		return -ENOENT;
	return 0;
}

/* ---- the map operations ------------------------------------------------------------------ */

static long htab_lru_map_update_elem(struct bpf_htab *htab, uint32_t key, int value,
				     uint64_t map_flags)
{
	struct htab_elem *l_new, *l_old;
	unsigned long flags;
	int ret;

	if (map_flags > BPF_EXIST)
		return -EINVAL;

	uint32_t hash = htab_map_hash(key);
	struct bucket *b = __select_bucket(htab, hash);

	/* The element comes from the LRU before the bucket lock: taking one may evict, and
	 * eviction takes bucket locks. */
	l_new = prealloc_lru_pop(htab, key, hash);
	if (!l_new)
		return -ENOMEM;
	l_new->value = value;

	ret = htab_lock_bucket(htab, b, hash, &flags);
	if (ret)
		goto err_lock_bucket;

	l_old = lookup_elem_raw(b, hash, key);
	ret = check_flags(l_old, map_flags);
	if (ret)
		goto err;

	WRITE_ONCE(l_new->next, READ_ONCE(b->head));
	WRITE_ONCE(b->head, l_new);
	if (l_old)
		hlist_del(b, l_old);
	htab->shadow_present = true;
	ret = 0;
err:
	htab_unlock_bucket(htab, b, hash, flags);
err_lock_bucket:
	if (ret)
		htab_lru_push_free(htab, l_new);
	else if (l_old)
		htab_lru_push_free(htab, l_old);
	return ret;
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
	if (l) {
		hlist_del(b, l);
		htab->shadow_present = false;
	} else {
		ret = -ENOENT;
	}

	htab_unlock_bucket(htab, b, hash, flags);
	if (l)
		htab_lru_push_free(htab, l);
	return ret;
}

/* ---- the programs ------------------------------------------------------------------------ */

static void prog0_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2; i++)
		update_ret[0][i] = (int)htab_lru_map_update_elem(&lru_a, KEY, 10 + i, BPF_ANY);
}

static void prog1_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2; i++)
		update_ret[1][i] = (int)htab_lru_map_update_elem(&lru_b, KEY, 20 + i, BPF_ANY);
}

static void nmi_delete(struct bpf_htab *htab)
{
	uint64_t start = ls_now();
	long ret = htab_lru_map_delete_elem(htab, KEY);
	int slot = ls_slot_claim(&nnmi_calls, NMI_CALL_SLOTS);
	if (slot >= 0)
		nmi_calls[slot] = (struct nmi_call){ (int)ret, ls_now() - start };
}

/* bpf_overflow_handler() running the two programs attached to the perf event. */
static void perf_nmi(void *arg)
{
	(void)arg;
	if (this_cpu_inc_return(bpf_prog_active) == 1) {
		nmi_delete(&lru_a);
		nmi_delete(&lru_b);
	}
	this_cpu_dec(bpf_prog_active);
}

/* ---- set-up and check -------------------------------------------------------------------- */

static void htab_init(struct bpf_htab *htab, const char *lock_name)
{
	memset(htab, 0, sizeof(*htab));
	htab->n_buckets = N_BUCKETS;
	for (uint32_t i = 0; i < htab->n_buckets; i++) {
		struct bucket *b = &htab->buckets[i];
		/* raw_spin_lock_init() and lockdep_set_class(, &htab->lockdep_key), or
		 * raw_res_spin_lock_init(): one lock class per map. */
		if (variant == RQSPINLOCK)
			ls_rqspinlock_init(&b->res_lock, lock_name, &htab->lockdep_key);
		else
			ls_raw_spin_lock_init(&b->raw_lock, lock_name, &htab->lockdep_key,
					      LS_WAIT_SPIN);
	}
	/* Key 1, as an earlier update left it. */
	struct htab_elem *l = &htab->elems[0];
	l->key = KEY;
	l->hash = htab_map_hash(KEY);
	l->claimed = 1;
	__select_bucket(htab, l->hash)->head = l;
	htab->elem_count[0] = 1;
	htab->shadow_present = true;
}

static void init(int v)
{
	variant = v;
	if (v == RQSPINLOCK)
		ls_rqs_use_variant(0, STALL_NS);	/* current */
	htab_init(&lru_a, "&lru_a->lockdep_key");
	htab_init(&lru_b, "&lru_b->lockdep_key");
	memset(bpf_prog_active, 0, sizeof(bpf_prog_active));
	memset(nmi_calls, 0, sizeof(nmi_calls));
	memset(update_ret, 0, sizeof(update_ret));
	nnmi_calls = 0;
}

static void check_htab(const struct bpf_htab *htab, const char *name)
{
	int linked = 0, claimed = 0;
	bool present = false;
	long count = 0;

	for (int c = 0; c < LS_NR_CPUS; c++)
		count += htab->elem_count[c];
	for (int i = 0; i < MAX_ENTRIES; i++)
		claimed += htab->elems[i].claimed;
	for (uint32_t i = 0; i < htab->n_buckets; i++)
		for (const struct htab_elem *l = htab->buckets[i].head; l; l = l->next) {
			if (!l->claimed)
				ls_fail(LS_SITE("check"), "%s: key %u linked but free", name, l->key);
			if (l->key == KEY && present)
				ls_fail(LS_SITE("check"), "%s: key %u linked twice", name, l->key);
			present |= l->key == KEY;
			if (++linked > MAX_ENTRIES) {
				ls_fail(LS_SITE("check"), "%s: bucket %u loops", name, i);
				return;
			}
		}
	if (linked != claimed || count != linked)
		ls_fail(LS_SITE("check"), "%s: %d elements linked, %d claimed, count %ld", name,
			linked, claimed, count);
	if (present != htab->shadow_present)
		ls_fail(LS_SITE("check"), "%s: key %u %s, its last operation left it %s", name, KEY,
			present ? "present" : "absent", htab->shadow_present ? "present" : "absent");
	for (int h = 0; h < HASHTAB_MAP_LOCK_COUNT; h++)
		for (int c = 0; c < LS_NR_CPUS; c++)
			if (htab->map_locked[h][c])
				ls_fail(LS_SITE("check"), "%s: map_locked[%d] on CPU%d is %d", name, h,
					c, htab->map_locked[h][c]);
}

static void check(int v)
{
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 2; i++)
			if (update_ret[p][i] && !(v == RQSPINLOCK && update_ret[p][i] == -EDEADLK))
				ls_fail(LS_SITE("check"), "prog%d's update %d returned %d", p, i,
					update_ret[p][i]);
	check_htab(&lru_a, "lru_a");
	check_htab(&lru_b, "lru_b");
	for (int c = 0; c < 2; c++)
		LS_BUG_ON(bpf_prog_active[c] != 0);
	for (int i = 0; i < nmi_calls_recorded(); i++) {
		int ret = nmi_calls[i].ret;
		bool expected = ret == 0 || ret == -ENOENT ||
				(v == RAW_SPINLOCK ? ret == -EBUSY : ret == -EDEADLK);
		if (!expected)
			ls_fail(LS_SITE("check"), "an NMI delete returned %d", ret);
	}
	if (v == RQSPINLOCK)
		ls_rqs_check_quiescent(v);
}

/* How many of the last execution's NMI deletes returned err, and the longest any of them waited
 * before returning it. */
int ls_maps_lru_abba_nmi_deletes(int err, uint64_t *max_wait_ns)
{
	int n = 0;
	uint64_t max = 0;
	for (int i = 0; i < nmi_calls_recorded(); i++) {
		if (nmi_calls[i].ret != err)
			continue;
		n++;
		if (nmi_calls[i].waited > max)
			max = nmi_calls[i].waited;
	}
	if (max_wait_ns)
		*max_wait_ns = max;
	return n;
}

/* How many of the last execution's program updates returned err. */
int ls_maps_lru_abba_updates(int err)
{
	int n = 0;
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 2; i++)
			n += update_ret[p][i] == err;
	return n;
}

static const struct ls_task_decl tasks[] = {
	{ "prog0", 0, prog0_fn, NULL },
	{ "prog1", 1, prog1_fn, NULL },
};

static const struct ls_irq_decl nmis[] = { { "perf", 0x3, 1, perf_nmi, NULL } };

static const struct ls_variant variants[] = {
	{ "raw-spinlock", "v6.14: map_locked refuses only the same map; the NMIs' bucket locks "
			  "cross (ABBA)", LS_KIND_DEADLOCK, 0 },
	{ "rqspinlock", "v6.15 on, bucket locks only: the ABBA check fails one NMI's delete",
	  LS_KIND_NONE, 0 },
};

const struct ls_target ls_target_maps_lru_abba = {
	.name = "maps/lru-abba",
	.summary = "NMI programs delete from two LRU hash maps whose bucket locks their CPUs hold",
	.models = "hashtab.c: htab_lock_bucket() (map_locked), htab_lru_map_update_elem(), "
		  "htab_lru_map_delete_elem()",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = 2,
	.init = init,
	.check = check,
};

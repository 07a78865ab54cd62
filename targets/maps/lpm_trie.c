/* maps/lpm-trie: a tracing program deletes from the LPM trie whose update it interrupted.
 *
 * Models (kernel/bpf/lpm_trie.c as of v6.14, and as converted to rqspinlock for v6.15):
 *   trie_update_elem()      the leaf is allocated before the lock; under trie->lock the walk from
 *                           the root, trie_check_add_elem(), and where the new key leaves an
 *                           existing node's prefix early, the intermediate node allocated with
 *                           lpm_trie_node_alloc() -> bpf_mem_cache_alloc() while the lock is
 *                           held; replaced nodes are freed after the unlock.
 *   trie_delete_elem()      the walk under trie->lock that remembers the parent; a node with two
 *                           children becomes intermediate, a leaf under an intermediate parent
 *                           takes the parent with it, otherwise its only child moves up.
 *   longest_prefix_match(), extract_bit()  for one-byte keys (data_size 1, max_prefixlen 8).
 *   trie->lock              raw-spinlock: raw_spinlock_t, raw_spin_lock_irqsave() (v6.14);
 *                           rqspinlock: raw_res_spin_lock_irqsave(); update returns the error
 *                           after freeing its leaf, delete returns it at once.
 *   fentry                  __bpf_prog_enter_recur(): a program skips a run on a CPU where it
 *                           is already running (its per-CPU active count).
 * Left out: RCU (no lockless readers here; freed nodes are only marked), the allocator's own
 * per-CPU caches (bpf_mem_cache_alloc is a pool that never runs dry), lookup and get_next_key.
 *
 * The program.  syzbot's report (6.8, "possible recursive locking detected", &trie->lock taken in
 * trie_delete_elem while trie_update_elem holds it) came from a raw tracepoint program on
 * mm_page_alloc, reached from kmalloc in lpm_trie_node_alloc() under the lock; its two lock
 * addresses differ, so syzbot's program deleted from a second trie of the same class.  Since
 * v6.14 nodes come from bpf_mem_cache_alloc(), and the allocation left under the lock is the
 * intermediate node's.  Here an fentry program on bpf_mem_cache_alloc() deletes a key from the
 * same trie, which turns lockdep's recursion into a real AA in one context.  It also runs for the
 * leaf allocated before the lock, where its delete just contends.
 *
 * Scenario (2 CPUs).  The trie holds 0x40/2 and 0xc0/2 under an intermediate root /0.
 *   update0 (CPU0)  trie_update_elem(0xa0/3): splits 0xc0/2's prefix, so it allocates an
 *                   intermediate node under the lock.
 *   update1 (CPU1)  trie_update_elem(0x20/3): splits 0x40/2's prefix (or, once 0x40/2 is gone,
 *                   the root's), the same way.
 *   fentry/bpf_mem_cache_alloc, on either CPU: trie_delete_elem(0x40/2).
 *
 * Expected:
 *   raw-spinlock  deadlock: the first intermediate allocation runs the program with the lock held
 *                 and its delete spins on it in the same context (AA); the other CPU, if it
 *                 wants the lock by then, spins too.
 *   rqspinlock    clean: the nested attempt finds its own lock below the top of the CPU's held
 *                 table (the pending waiter's first check, or the AA check before queueing) and
 *                 the delete returns -EDEADLK at once; the update goes on.  A wait of 1 ms or more
 *                 is a stall: the current code needs none here.
 *
 * Check (after an execution that did not hang): the trie is well formed (every intermediate node
 * has two children, each child extends its parent's prefix on the side its next bit names),
 * n_entries counts its real nodes, no freed node is reachable, each key is present exactly when
 * the operations' return values say so, and for rqspinlock the lock and held tables are idle.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): raw-spinlock 1, its one root cause.
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

#define LPM_TREE_NODE_FLAG_IM 0x1u
#define DATA_SIZE 1
#define MAX_ENTRIES 8
#define NODE_POOL 16
#define STALL_NS 1000000ull	/* a nested attempt on one's own lock must fail at once */

struct lpm_key {
	uint32_t prefixlen;
	uint8_t data[DATA_SIZE];
};

struct lpm_trie_node {
	struct lpm_trie_node *child[2];
	uint32_t prefixlen;
	uint32_t flags;
	uint8_t data[DATA_SIZE];
	int value;
	/* lockstep: the pool's bookkeeping */
	bool allocated, freed;
};

struct lpm_trie {
	struct lpm_trie_node *root;
	size_t n_entries;
	size_t max_prefixlen;
	size_t data_size;
	size_t max_entries;
	raw_spinlock_t lock;	/* up to v6.14 */
	rqspinlock_t res_lock;	/* v6.15 on, where it is named lock */
};

static int variant;
static struct lpm_trie the_trie;
static struct lpm_trie_node pool[NODE_POOL];
static atomic_t pool_next;
static DEFINE_PER_CPU(int, prog_active);

static const struct lpm_key key_left = { 2, { 0x40 } };
static const struct lpm_key key_right = { 2, { 0xc0 } };
static const struct lpm_key key_update0 = { 3, { 0xa0 } };
static const struct lpm_key key_update1 = { 3, { 0x20 } };

/* What the calls returned, for the check and for tests/bpf/test_maps.c.  The program runs on
 * both CPUs at once under lockstep stress: delete_ret's slots are claimed (ls_slot_claim) and
 * prog_misses is a fetch-add. */
static int update_ret[2];
static int delete_ret[8];
static int ndeletes, prog_misses;

#define NDELETE_SLOTS ((int)(sizeof(delete_ret) / sizeof(delete_ret[0])))

/* The delete_ret entries recorded this execution. */
static int deletes_recorded(void)
{
	return ls_slots_used(&ndeletes, NDELETE_SLOTS);
}

/* ---- the allocator and the program attached to it ---------------------------------------- */

static long trie_delete_elem(struct lpm_trie *t, const struct lpm_key *key);

/* The fentry program: bpf_map_delete_elem(&trie, &key_left). */
static void fentry_bpf_mem_cache_alloc(void)
{
	if (this_cpu_inc_return(prog_active) != 1) {
		LS_FETCH_ADD(&prog_misses, 1);	/* bpf_prog_inc_misses_counter() */
		this_cpu_dec(prog_active);
		return;
	}
	long ret = trie_delete_elem(&the_trie, &key_left);
	int slot = ls_slot_claim(&ndeletes, NDELETE_SLOTS);
	if (slot >= 0)
		delete_ret[slot] = (int)ret;
	this_cpu_dec(prog_active);
}

static struct lpm_trie_node *bpf_mem_cache_alloc(void)
{
	fentry_bpf_mem_cache_alloc();
	int i = atomic_fetch_add(1, &pool_next);
	LS_BUG_ON(i >= NODE_POOL);
	struct lpm_trie_node *node = &pool[i];
	node->allocated = true;
	return node;
}

static void bpf_mem_cache_free(struct lpm_trie_node *node)
{
	if (node)
		WRITE_ONCE(node->freed, true);
}

/* After an RCU grace period in the kernel; nothing reads the trie without the lock here. */
static void bpf_mem_cache_free_rcu(struct lpm_trie_node *node)
{
	bpf_mem_cache_free(node);
}

static struct lpm_trie_node *lpm_trie_node_alloc(const int *value)
{
	struct lpm_trie_node *node = bpf_mem_cache_alloc();
	node->flags = 0;
	if (value)
		node->value = *value;
	return node;
}

/* ---- the trie ---------------------------------------------------------------------------- */

static int extract_bit(const uint8_t *data, size_t index)
{
	return !!(data[index / 8] & (1u << (7 - index % 8)));
}

/* Leading bits node and key share, at most the shorter of their prefixes (one data byte). */
static size_t longest_prefix_match(const struct lpm_trie_node *node, const struct lpm_key *key)
{
	uint32_t limit = node->prefixlen < key->prefixlen ? node->prefixlen : key->prefixlen;
	unsigned diff = (unsigned)(node->data[0] ^ key->data[0]);
	uint32_t same = diff ? (uint32_t)__builtin_clz(diff) - (32 - 8) : 8;
	return same < limit ? same : limit;
}

static int trie_check_add_elem(struct lpm_trie *t, uint64_t flags)
{
	if (flags == BPF_EXIST)
		return -ENOENT;
	size_t n = READ_ONCE(t->n_entries);
	if (n == t->max_entries)
		return -ENOSPC;
	WRITE_ONCE(t->n_entries, n + 1);
	return 0;
}

static long trie_update_elem(struct lpm_trie *t, const struct lpm_key *key, int value,
			     uint64_t flags)
{
	struct lpm_trie_node *node, *im_node, *new_node, *free_node = NULL;
	struct lpm_trie_node **slot;
	unsigned long irq_flags;
	size_t matchlen = 0;
	int ret = 0;

	if (flags > BPF_EXIST || key->prefixlen > t->max_prefixlen)
		return -EINVAL;

	/* The leaf comes from the allocator before the lock is taken. */
	new_node = lpm_trie_node_alloc(&value);

	if (variant == RQSPINLOCK) {
		ret = raw_res_spin_lock_irqsave(&t->res_lock, irq_flags);
		if (ret)
			goto out_free;
	} else {
		raw_spin_lock_irqsave(&t->lock, irq_flags);
	}

	new_node->prefixlen = key->prefixlen;
	new_node->child[0] = new_node->child[1] = NULL;
	new_node->data[0] = key->data[0];

	/* Descend while the node's whole prefix matches and the key is longer still. */
	slot = &t->root;
	while ((node = READ_ONCE(*slot))) {
		matchlen = longest_prefix_match(node, key);
		if (node->prefixlen != matchlen || node->prefixlen == key->prefixlen)
			break;
		slot = &node->child[extract_bit(key->data, node->prefixlen)];
	}

	if (!node) {
		/* An empty slot: the leaf goes there. */
		ret = trie_check_add_elem(t, flags);
		if (!ret)
			WRITE_ONCE(*slot, new_node);
		goto out;
	}

	if (node->prefixlen == matchlen) {
		/* The same prefix: replace the node, keeping its children. */
		if (!(READ_ONCE(node->flags) & LPM_TREE_NODE_FLAG_IM)) {
			if (flags == BPF_NOEXIST) {
				ret = -EEXIST;
				goto out;
			}
		} else {
			ret = trie_check_add_elem(t, flags);
			if (ret)
				goto out;
		}
		new_node->child[0] = READ_ONCE(node->child[0]);
		new_node->child[1] = READ_ONCE(node->child[1]);
		WRITE_ONCE(*slot, new_node);
		free_node = node;
		goto out;
	}

	ret = trie_check_add_elem(t, flags);
	if (ret)
		goto out;

	if (matchlen == key->prefixlen) {
		/* The key is a prefix of the node: it becomes the node's parent. */
		new_node->child[extract_bit(node->data, matchlen)] = node;
		WRITE_ONCE(*slot, new_node);
		goto out;
	}

	/* They part after matchlen bits: an intermediate node of that length takes both. */
	im_node = lpm_trie_node_alloc(NULL);
	im_node->prefixlen = (uint32_t)matchlen;
	im_node->flags |= LPM_TREE_NODE_FLAG_IM;
	im_node->data[0] = node->data[0];
	int new_side = extract_bit(key->data, matchlen);
	im_node->child[new_side] = new_node;
	im_node->child[!new_side] = node;
	WRITE_ONCE(*slot, im_node);

out:
	if (variant == RQSPINLOCK)
		raw_res_spin_unlock_irqrestore(&t->res_lock, irq_flags);
	else
		raw_spin_unlock_irqrestore(&t->lock, irq_flags);
out_free:
	if (ret)
		bpf_mem_cache_free(new_node);
	bpf_mem_cache_free_rcu(free_node);
	return ret;
}

static long trie_delete_elem(struct lpm_trie *t, const struct lpm_key *key)
{
	struct lpm_trie_node *node, *parent = NULL, *free_node = NULL, *free_parent = NULL;
	struct lpm_trie_node **trim, **trim2;
	unsigned long irq_flags;
	size_t matchlen = 0;
	int ret = 0;

	if (key->prefixlen > t->max_prefixlen)
		return -EINVAL;

	if (variant == RQSPINLOCK) {
		ret = raw_res_spin_lock_irqsave(&t->res_lock, irq_flags);
		if (ret)
			return ret;
	} else {
		raw_spin_lock_irqsave(&t->lock, irq_flags);
	}

	/* Find the node, the slot that points at it, its parent and the parent's slot. */
	trim = trim2 = &t->root;
	while ((node = READ_ONCE(*trim))) {
		matchlen = longest_prefix_match(node, key);
		if (node->prefixlen != matchlen || node->prefixlen == key->prefixlen)
			break;
		parent = node;
		trim2 = trim;
		trim = &node->child[extract_bit(key->data, node->prefixlen)];
	}

	if (!node || node->prefixlen != key->prefixlen || node->prefixlen != matchlen ||
	    (READ_ONCE(node->flags) & LPM_TREE_NODE_FLAG_IM)) {
		ret = -ENOENT;
		goto out;
	}

	WRITE_ONCE(t->n_entries, READ_ONCE(t->n_entries) - 1);

	struct lpm_trie_node *left = READ_ONCE(node->child[0]);
	struct lpm_trie_node *right = READ_ONCE(node->child[1]);
	if (left && right) {
		/* Still needed to tell its children apart. */
		WRITE_ONCE(node->flags, node->flags | LPM_TREE_NODE_FLAG_IM);
		goto out;
	}

	if (!left && !right && parent && (READ_ONCE(parent->flags) & LPM_TREE_NODE_FLAG_IM)) {
		/* A leaf under an intermediate node: the sibling replaces the parent. */
		struct lpm_trie_node *sibling = READ_ONCE(parent->child[0]) == node
							? READ_ONCE(parent->child[1])
							: READ_ONCE(parent->child[0]);
		WRITE_ONCE(*trim2, sibling);
		free_parent = parent;
		free_node = node;
		goto out;
	}

	/* At most one child: it takes the node's place. */
	WRITE_ONCE(*trim, left ? left : right);
	free_node = node;

out:
	if (variant == RQSPINLOCK)
		raw_res_spin_unlock_irqrestore(&t->res_lock, irq_flags);
	else
		raw_spin_unlock_irqrestore(&t->lock, irq_flags);
	bpf_mem_cache_free_rcu(free_parent);
	bpf_mem_cache_free_rcu(free_node);
	return ret;
}

/* ---- the scenario ------------------------------------------------------------------------ */

static void update0_fn(void *arg)
{
	(void)arg;
	update_ret[0] = (int)trie_update_elem(&the_trie, &key_update0, 100, BPF_ANY);
}

static void update1_fn(void *arg)
{
	(void)arg;
	update_ret[1] = (int)trie_update_elem(&the_trie, &key_update1, 101, BPF_ANY);
}

static struct lpm_trie_node *boot_node(int i, uint32_t prefixlen, uint8_t data, uint32_t flags)
{
	struct lpm_trie_node *node = &pool[i];
	node->allocated = true;
	node->prefixlen = prefixlen;
	node->data[0] = data;
	node->flags = flags;
	return node;
}

static void init(int v)
{
	struct lpm_trie *trie = &the_trie;

	variant = v;
	memset(pool, 0, sizeof(pool));
	memset(trie, 0, sizeof(*trie));
	memset(prog_active, 0, sizeof(prog_active));
	memset(update_ret, 0, sizeof(update_ret));
	memset(delete_ret, 0, sizeof(delete_ret));
	ndeletes = prog_misses = 0;

	trie->data_size = DATA_SIZE;
	trie->max_prefixlen = 8 * DATA_SIZE;
	trie->max_entries = MAX_ENTRIES;
	if (v == RQSPINLOCK) {
		ls_rqs_use_variant(0, STALL_NS);	/* current */
		/* raw_res_spin_lock_init(&trie->lock) */
		ls_rqspinlock_init(&trie->res_lock, "&trie->lock",
				   LS_SITE("raw_res_spin_lock_init"));
	} else {
		raw_spin_lock_init(&trie->lock);
	}

	/* The trie as two earlier updates left it: /0 (intermediate) -> 0x40/2, 0xc0/2. */
	struct lpm_trie_node *root = boot_node(0, 0, 0x00, LPM_TREE_NODE_FLAG_IM);
	root->child[0] = boot_node(1, key_left.prefixlen, key_left.data[0], 0);
	root->child[1] = boot_node(2, key_right.prefixlen, key_right.data[0], 0);
	trie->root = root;
	trie->n_entries = 2;
	pool_next.counter = 3;
}

/* ---- the check --------------------------------------------------------------------------- */

static bool same_prefix(uint8_t a, uint8_t b, uint32_t len)
{
	return len == 0 || ((a ^ b) & (uint8_t)(0xff << (8 - len))) == 0;
}

/* Walks the subtree; returns the real nodes in it, or -1 after reporting what is wrong. */
static int check_subtree(const struct lpm_trie_node *node, const struct lpm_trie_node *parent,
			 int side)
{
	if (!node)
		return 0;
	if (!node->allocated || node->freed) {
		ls_fail(LS_SITE("check"), "lpm_trie: node %#x/%u reachable after it was freed",
			node->data[0], node->prefixlen);
		return -1;
	}
	if (parent && (node->prefixlen <= parent->prefixlen ||
		       !same_prefix(node->data[0], parent->data[0], parent->prefixlen) ||
		       extract_bit(node->data, parent->prefixlen) != side)) {
		ls_fail(LS_SITE("check"), "lpm_trie: node %#x/%u misplaced under %#x/%u",
			node->data[0], node->prefixlen, parent->data[0], parent->prefixlen);
		return -1;
	}
	bool im = node->flags & LPM_TREE_NODE_FLAG_IM;
	if (im && (!node->child[0] || !node->child[1])) {
		ls_fail(LS_SITE("check"), "lpm_trie: intermediate node %#x/%u with one child",
			node->data[0], node->prefixlen);
		return -1;
	}
	int l = check_subtree(node->child[0], node, 0);
	int r = check_subtree(node->child[1], node, 1);
	if (l < 0 || r < 0)
		return -1;
	return l + r + !im;
}

static bool trie_has(const struct lpm_key *key)
{
	const struct lpm_trie_node *node = the_trie.root;
	while (node) {
		if (node->prefixlen == key->prefixlen && node->data[0] == key->data[0])
			return !(node->flags & LPM_TREE_NODE_FLAG_IM);
		if (node->prefixlen >= key->prefixlen ||
		    !same_prefix(node->data[0], key->data[0], node->prefixlen))
			return false;
		node = node->child[extract_bit(key->data, node->prefixlen)];
	}
	return false;
}

static void check(int v)
{
	int real = check_subtree(the_trie.root, NULL, 0);
	if (real < 0)
		return;
	if ((size_t)real != the_trie.n_entries)
		ls_fail(LS_SITE("check"), "lpm_trie: n_entries %zu, %d real nodes", the_trie.n_entries,
			real);

	int deleted = 0;
	for (int i = 0; i < deletes_recorded(); i++) {
		if (delete_ret[i] == 0)
			deleted++;
		else if (delete_ret[i] != -ENOENT && !(v == RQSPINLOCK && delete_ret[i] == -EDEADLK))
			ls_fail(LS_SITE("check"), "lpm_trie: the program's delete returned %d",
				delete_ret[i]);
	}
	LS_BUG_ON(deleted > 1);
	LS_BUG_ON(trie_has(&key_left) != (deleted == 0));
	LS_BUG_ON(!trie_has(&key_right));
	LS_BUG_ON(trie_has(&key_update0) != (update_ret[0] == 0));
	LS_BUG_ON(trie_has(&key_update1) != (update_ret[1] == 0));
	for (int c = 0; c < 2; c++)
		LS_BUG_ON(prog_active[c] != 0);
	LS_BUG_ON(prog_misses != 0);	/* trie_delete_elem() allocates nothing */
	if (v == RQSPINLOCK)
		ls_rqs_check_quiescent(v);
}

/* How many of the last execution's program deletes returned err. */
int ls_maps_lpm_trie_deletes(int err)
{
	int n = 0;
	for (int i = 0; i < deletes_recorded(); i++)
		n += delete_ret[i] == err;
	return n;
}

static const struct ls_task_decl tasks[] = {
	{ "update0", 0, update0_fn, NULL },
	{ "update1", 1, update1_fn, NULL },
};

static const struct ls_variant variants[] = {
	{ "raw-spinlock", "v6.14: raw_spinlock_t; the program's delete spins on the lock its "
			  "context holds (AA)", LS_KIND_DEADLOCK, 0 },
	{ "rqspinlock", "v6.15 on: rqspinlock; the nested delete gets -EDEADLK at once",
	  LS_KIND_NONE, 0 },
};

const struct ls_target ls_target_maps_lpm_trie = {
	.name = "maps/lpm-trie",
	.summary = "an fentry program on the allocator deletes from the trie whose update holds "
		   "its lock",
	.models = "lpm_trie.c: trie_update_elem(), trie_delete_elem(), trie->lock",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.variants = variants,
	.nvariants = 2,
	.init = init,
	.check = check,
};

/* Suite `llist`: the lock-less list model under tasks and NMIs on two CPUs.
 *
 * Producers are tasks and NMI handlers; each adds nodes from its own pool, numbered in the order
 * it adds them.  After each execution the list and whatever consumers took are checked: every
 * added node is in exactly one place, and the nodes of each producer appear newest first, so the
 * result is a linear order of the adds.  Seeds 0..SWEEP_SEEDS-1 of the random walk each. */
#include <limits.h>
#include <string.h>

#include "sweep.h"

#define NPRODUCERS 4	/* t0, t1, the NMI on CPU0, the NMI on CPU1 */
#define PER_PRODUCER 4

struct item {
	struct llist_node node;
	int producer;
	int seq;	/* the producer's count of adds before this one */
};

static struct item items[NPRODUCERS][PER_PRODUCER];
/* Plain counters: a producer's adds never overlap, and nothing runs between two points. */
static int added[NPRODUCERS];
static int empty_returns;	/* llist_add calls that found the list empty */
static int where[NPRODUCERS][PER_PRODUCER];	/* places each node was found in the check */
static LLIST_HEAD(list);
static int dummy;

static const struct ls_variant one_variant[] = { { "default", "clean", LS_KIND_NONE } };

static void reset_pool(void)
{
	memset(items, 0, sizeof(items));
	memset(added, 0, sizeof(added));
	empty_returns = 0;
	init_llist_head(&list);
}

static void add_one(int p)
{
	if (added[p] == PER_PRODUCER)
		return;
	struct item *it = &items[p][added[p]];
	it->producer = p;
	it->seq = added[p];
	added[p]++;
	if (llist_add(&it->node, &list))
		empty_returns++;
}

/* Counts, for each node of a detached or finished chain, one more place it is in; fails when the
 * chain is longer than everything added (a cycle) or a producer's nodes are not newest first. */
static bool account_chain(struct llist_node *chain, int *nonempty, char *why, size_t n)
{
	int last[NPRODUCERS];
	int len = 0, total = 0;
	struct item *it;
	for (int p = 0; p < NPRODUCERS; p++) {
		last[p] = INT_MAX;
		total += added[p];
	}
	if (chain && nonempty)
		(*nonempty)++;
	llist_for_each_entry(it, chain, node) {
		if (++len > total) {
			snprintf(why, n, "a chain longer than the %d adds: a cycle", total);
			return false;
		}
		if (it->seq >= last[it->producer]) {
			snprintf(why, n, "producer %d: seq %d after seq %d, not newest first",
				 it->producer, it->seq, last[it->producer]);
			return false;
		}
		last[it->producer] = it->seq;
		where[it->producer][it->seq]++;
	}
	return true;
}

/* Every added node is in exactly one place. */
static int check_each_node_once(const struct ls_result *r)
{
	for (int p = 0; p < NPRODUCERS; p++)
		for (int i = 0; i < added[p]; i++)
			SEED_CHECK(r, where[p][i] == 1, "producer %d seq %d is in %d places", p, i,
				   where[p][i]);
	return TEST_PASS;
}

/* ---- adds from tasks and NMIs on two CPUs ------------------------------------------------ */

static unsigned nmi_adds, same_cpu_before_cas, other_cpu_before_cas;

/* A context whose announced operation is llist_add's CAS has loaded first and not yet CASed. */
static bool between_load_and_cas(const struct ls_ctx *c)
{
	return c && c->kind == LS_CTX_TASK && c->state == LS_READY && c->op == LS_OP_RMW &&
	       c->site && strcmp(c->site->what, "llist_add") == 0;
}

static void adder_task(void *arg)
{
	int p = (int)(intptr_t)arg;
	for (int i = 0; i < PER_PRODUCER; i++)
		add_one(p);
}

static void adder_nmi(void *arg)
{
	(void)arg;
	int cpu = ls_cpu();
	if (between_load_and_cas(interrupted_context()))
		same_cpu_before_cas++;
	if (between_load_and_cas(sweep_machine->cpu[1 - cpu].task))
		other_cpu_before_cas++;
	nmi_adds++;
	add_one(2 + cpu);
}

static void adds_init(int v)
{
	(void)v;
	reset_pool();
}

static const struct ls_task_decl adds_tasks[] = {
	{ "t0", 0, adder_task, (void *)(intptr_t)0 },
	{ "t1", 1, adder_task, (void *)(intptr_t)1 },
};
static const struct ls_irq_decl adder_nmis[] = { { "adder", 0x3, 2, adder_nmi, NULL } };
static const struct ls_target adds_target = {
	.name = "test/llist-adds",
	.summary = "llist_add from tasks and NMIs on two CPUs",
	.models = "include/linux/llist.h",
	.ncpus = 2,
	.tasks = adds_tasks,
	.ntasks = 2,
	.nmis = adder_nmis,
	.nnmis = 1,
	.variants = one_variant,
	.nvariants = 1,
	.init = adds_init,
};

static int adds_check(int variant, const struct ls_result *r)
{
	(void)variant;
	char why[160];
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	memset(where, 0, sizeof(where));
	SEED_CHECK(r, account_chain(list.first, NULL, why, sizeof(why)), "%s", why);
	if (check_each_node_once(r) != TEST_PASS)
		return TEST_FAIL;
	SEED_CHECK(r, empty_returns == 1, "%d adds returned 'was empty'", empty_returns);
	return TEST_PASS;
}

static int test_adds_from_tasks_and_nmis_on_two_cpus_lose_nothing(void)
{
	nmi_adds = same_cpu_before_cas = other_cpu_before_cas = 0;
	CHECK(sweep(&adds_target, 0, SWEEP_SEEDS, adds_check) == TEST_PASS);
	printf("%u NMI adds; %u landed between a same-CPU task's load of first and its CAS, "
	       "%u while the other CPU's task was there\n",
	       nmi_adds, same_cpu_before_cas, other_cpu_before_cas);
	/* The interleavings the test is about did happen. */
	CHECK(same_cpu_before_cas > 0);
	CHECK(other_cpu_before_cas > 0);
	return TEST_PASS;
}

/* ---- del_all racing adds ----------------------------------------------------------------- */

static int nonempty_chains;
static unsigned chains_taken;

static void del_all_consumer(void *arg)
{
	(void)arg;
	char why[160];
	for (int round = 0; round < 3; round++) {
		struct llist_node *chain = llist_del_all(&list);
		if (!account_chain(chain, &nonempty_chains, why, sizeof(why)))
			note_failure("del_all chain: %s", why);
		/* FIFO after reversing: each producer's nodes oldest first. */
		int next[NPRODUCERS] = { 0 };
		struct item *it, *tmp;
		llist_for_each_entry_safe(it, tmp, llist_reverse_order(chain), node) {
			if (it->seq < next[it->producer])
				note_failure("reversed chain: producer %d seq %d after seq %d",
					     it->producer, it->seq, next[it->producer] - 1);
			next[it->producer] = it->seq + 1;
			it->node.next = NULL;	/* consumed: the body may touch the node */
		}
		if (chain)
			chains_taken++;
		(void)READ_ONCE(dummy);
	}
}

static void del_all_init(int v)
{
	(void)v;
	reset_pool();
	memset(where, 0, sizeof(where));
	nonempty_chains = 0;
}

static void producer_task(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_PRODUCER; i++)
		add_one(0);
}

static const struct ls_task_decl del_all_tasks[] = {
	{ "producer", 0, producer_task, NULL },
	{ "consumer", 1, del_all_consumer, NULL },
};
static const struct ls_target del_all_target = {
	.name = "test/llist-del-all",
	.summary = "llist_del_all racing llist_add from a task and NMIs",
	.models = "include/linux/llist.h",
	.ncpus = 2,
	.tasks = del_all_tasks,
	.ntasks = 2,
	.nmis = adder_nmis,
	.nnmis = 1,
	.variants = one_variant,
	.nvariants = 1,
	.init = del_all_init,
};

static int del_all_check(int variant, const struct ls_result *r)
{
	(void)variant;
	char why[160];
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	int left = list.first != NULL;
	SEED_CHECK(r, account_chain(list.first, NULL, why, sizeof(why)), "%s", why);
	if (check_each_node_once(r) != TEST_PASS)
		return TEST_FAIL;
	/* Each stretch of non-emptiness begins with the one add that found the list empty and ends
	 * in one non-empty del_all, or is still on the list. */
	SEED_CHECK(r, empty_returns == nonempty_chains + left,
		   "%d 'was empty' adds, %d non-empty chains taken, %d left on the list",
		   empty_returns, nonempty_chains, left);
	return TEST_PASS;
}

static int test_del_all_racing_adds_takes_each_node_once_newest_first(void)
{
	chains_taken = nmi_adds = 0;
	CHECK(sweep(&del_all_target, 0, SWEEP_SEEDS, del_all_check) == TEST_PASS);
	printf("%u non-empty chains taken, %u NMI adds\n", chains_taken, nmi_adds);
	CHECK(chains_taken > SWEEP_SEEDS);
	CHECK(nmi_adds > 0);
	return TEST_PASS;
}

/* ---- del_first: one consumer racing adds ------------------------------------------------- */

static unsigned popped;

static void del_first_consumer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 6; i++) {
		struct llist_node *n = llist_del_first(&list);
		if (!n)
			continue;
		struct item *it = llist_entry(n, struct item, node);
		where[it->producer][it->seq]++;
		popped++;
	}
}

static const struct ls_task_decl del_first_tasks[] = {
	{ "producer", 0, producer_task, NULL },
	{ "consumer", 1, del_first_consumer, NULL },
};
static const struct ls_target del_first_target = {
	.name = "test/llist-del-first",
	.summary = "one llist_del_first consumer racing llist_add from a task and NMIs",
	.models = "lib/llist.c",
	.ncpus = 2,
	.tasks = del_first_tasks,
	.ntasks = 2,
	.nmis = adder_nmis,
	.nnmis = 1,
	.variants = one_variant,
	.nvariants = 1,
	.init = del_all_init,
};

static int del_first_check(int variant, const struct ls_result *r)
{
	(void)variant;
	char why[160];
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	SEED_CHECK(r, account_chain(list.first, NULL, why, sizeof(why)), "%s", why);
	return check_each_node_once(r);
}

static int test_single_del_first_consumer_racing_adds_takes_each_node_once(void)
{
	popped = 0;
	CHECK(sweep(&del_first_target, 0, SWEEP_SEEDS, del_first_check) == TEST_PASS);
	printf("%u nodes popped\n", popped);
	CHECK(popped > SWEEP_SEEDS);
	return TEST_PASS;
}

/* ---- del_first racing del_all: the "L" in the contract table ----------------------------- *
 *
 * The list starts as A -> B.  c1 pops with llist_del_first; c2 takes everything with llist_del_all,
 * keeps B and puts A back (a node freed and reused).  If c1 read A and A->next == B before c2 ran
 * and CASes after, the CAS still sees A first and installs B, which c2 owns: B is in two places.
 * With both consumers under one lock it never happens. */

enum { ABA_UNLOCKED, ABA_LOCKED };

static const struct ls_variant aba_variants[] = {
	{ "unlocked", "del_first and del_all without a lock: ABA installs a taken node",
	  LS_KIND_NONE },
	{ "locked", "both consumers under one spinlock: each node in one place", LS_KIND_NONE },
};

static struct llist_node node_a, node_b;
static struct llist_node *c1_took;
static bool c2_kept_b;	/* c2 took B and kept it; A it always puts back */
static int aba_variant;
static DEFINE_SPINLOCK(consumer_lock);
static unsigned aba_seeds;

static void aba_c1(void *arg)
{
	(void)arg;
	if (aba_variant == ABA_LOCKED)
		spin_lock(&consumer_lock);
	c1_took = llist_del_first(&list);
	if (aba_variant == ABA_LOCKED)
		spin_unlock(&consumer_lock);
}

static void aba_c2(void *arg)
{
	(void)arg;
	struct llist_node *pos, *n, *chain;
	bool reuse_a = false;
	if (aba_variant == ABA_LOCKED)
		spin_lock(&consumer_lock);
	chain = llist_del_all(&list);
	if (aba_variant == ABA_LOCKED)
		spin_unlock(&consumer_lock);
	llist_for_each_safe(pos, n, chain) {
		if (pos == &node_a)
			reuse_a = true;
		else
			c2_kept_b = true;
	}
	if (reuse_a)
		llist_add(&node_a, &list);
}

static void aba_init(int v)
{
	aba_variant = v;
	init_llist_head(&list);
	node_a.next = node_b.next = NULL;
	llist_add(&node_b, &list);
	llist_add(&node_a, &list);
	c1_took = NULL;
	c2_kept_b = false;
	spin_lock_init(&consumer_lock);
}

static const struct ls_task_decl aba_tasks[] = {
	{ "c1", 0, aba_c1, NULL },
	{ "c2", 1, aba_c2, NULL },
};
static const struct ls_target aba_target = {
	.name = "test/llist-aba",
	.summary = "llist_del_first racing llist_del_all and a reused node",
	.models = "lib/llist.c",
	.ncpus = 2,
	.tasks = aba_tasks,
	.ntasks = 2,
	.variants = aba_variants,
	.nvariants = 2,
	.init = aba_init,
};

static int aba_check(int variant, const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	int places_a = c1_took == &node_a, places_b = (c1_took == &node_b) + c2_kept_b;
	int len = 0;
	for (struct llist_node *pos = list.first; pos && len <= 2; pos = pos->next, len++) {
		places_a += pos == &node_a;
		places_b += pos == &node_b;
	}
	SEED_CHECK(r, len <= 2, "a cycle on the list");
	SEED_CHECK(r, places_a >= 1 && places_b >= 1, "a node was lost: A in %d, B in %d places",
		   places_a, places_b);
	if (places_a > 1 || places_b > 1)
		aba_seeds++;
	SEED_CHECK(r, variant == ABA_UNLOCKED || (places_a == 1 && places_b == 1),
		   "under the lock: A in %d, B in %d places", places_a, places_b);
	return TEST_PASS;
}

static int test_del_first_racing_del_all_without_a_lock_reaches_aba(void)
{
	aba_seeds = 0;
	CHECK(sweep(&aba_target, ABA_UNLOCKED, SWEEP_SEEDS, aba_check) == TEST_PASS);
	printf("unlocked: a node in two places in %u of %d seeds\n", aba_seeds, SWEEP_SEEDS);
	CHECK(aba_seeds > 0);
	aba_seeds = 0;
	CHECK(sweep(&aba_target, ABA_LOCKED, SWEEP_SEEDS, aba_check) == TEST_PASS);
	CHECK(aba_seeds == 0);
	return TEST_PASS;
}

/* ---- the sequential API, outside any execution (points are no-ops there) ----------------- */

static int test_del_all_is_newest_first_and_reverse_order_is_fifo(void)
{
	struct item seq[5];
	struct item *it, *tmp;
	struct llist_node *chain;
	int i;
	LLIST_HEAD(head);

	CHECK(llist_empty(&head));
	CHECK(llist_del_all(&head) == NULL);
	CHECK(llist_del_first(&head) == NULL);
	for (i = 0; i < 5; i++) {
		seq[i].seq = i;
		CHECK(llist_add(&seq[i].node, &head) == (i == 0));
	}
	CHECK(!llist_empty(&head));

	chain = llist_del_all(&head);
	CHECK(llist_empty(&head));
	i = 4;
	llist_for_each_entry(it, chain, node)
		CHECKF(it->seq == i--, "del_all order: seq %d where %d belongs", it->seq, i + 1);
	CHECK(i == -1);

	chain = llist_reverse_order(chain);
	i = 0;
	llist_for_each_entry_safe(it, tmp, chain, node) {
		CHECKF(it->seq == i++, "reversed order: seq %d where %d belongs", it->seq, i - 1);
		it->node.next = NULL;
	}
	CHECK(i == 5);
	CHECK(llist_reverse_order(NULL) == NULL);

	/* A batch goes in as one block: its own order, in front of what was there. */
	CHECK(llist_add(&seq[0].node, &head));
	seq[3].node.next = &seq[2].node;
	seq[2].node.next = &seq[1].node;
	CHECK(!llist_add_batch(&seq[3].node, &seq[1].node, &head));
	struct llist_node *pos;
	i = 3;
	llist_for_each(pos, head.first)
		CHECKF(llist_entry(pos, struct item, node)->seq == i--, "batch order at %d", i + 1);
	CHECK(i == -1);

	/* del_first takes the newest. */
	CHECK(llist_del_first(&head) == &seq[3].node);
	CHECK(llist_next(&seq[2].node) == &seq[1].node);
	return TEST_PASS;
}

static int test_init_llist_node_marks_a_node_off_list(void)
{
	struct llist_node n1, n2;
	LLIST_HEAD(head);
	init_llist_node(&n1);
	init_llist_node(&n2);
	CHECK(!llist_on_list(&n1));
	CHECK(llist_add(&n1, &head));
	CHECK(!llist_add(&n2, &head));
	CHECK(llist_on_list(&n1));	/* the last node: next is NULL, not itself */
	CHECK(llist_on_list(&n2));
	CHECK(llist_del_first_init(&head) == &n2);
	CHECK(!llist_on_list(&n2));
	CHECK(llist_on_list(&n1));
	CHECK(llist_del_first_init(&head) == &n1);
	CHECK(!llist_on_list(&n1));
	CHECK(llist_del_first_init(&head) == NULL);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_del_all_is_newest_first_and_reverse_order_is_fifo, status);
	RUN(test_init_llist_node_marks_a_node_off_list, status);
	RUN(test_adds_from_tasks_and_nmis_on_two_cpus_lose_nothing, status);
	RUN(test_del_all_racing_adds_takes_each_node_once_newest_first, status);
	RUN(test_single_del_first_consumer_racing_adds_takes_each_node_once, status);
	RUN(test_del_first_racing_del_all_without_a_lock_reaches_aba, status);
	return status;
}

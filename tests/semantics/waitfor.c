/* Suite `semantics`, wait-for graphs: a hang is named by its cycle.  Each waiting context points
 * at whom it waits for: the context an interrupt sits on, a lock's holder (for a ticket lock,
 * whoever drew the ticket being served, run since or not), or in a FIFO queue the waiter just
 * ahead ("queued behind": spinlock tickets, a mutex's wait list, rqspinlock's MCS queue).  The
 * signature is "deadlock: " and the cycle from its lowest context id. */
#include "semantics.h"

#include "buf.h"
#include "report.h"

/* Every deadlock signature is a cycle: a wait set without one joins its waits with "; ". */
static bool is_cycle(const struct ls_result *r)
{
	return strncmp(r->signature, "deadlock: ", 10) == 0 && !strstr(r->signature, "; ");
}

/* Runs seeds 0..budget-1 of t:variant under st until an execution's signature is want.
 * Every finding on the way must be a deadlock with a cycle (or, if also is not 0, a kind in
 * it).  Returns the seed, budget when not found, UINT64_MAX on a bad finding. */
static uint64_t first_signature(const struct ls_target *t, int variant, struct ls_strategy *st,
				const char *label, uint64_t budget, uint32_t also, const char *want)
{
	struct ls_session s;
	struct ls_result r;
	uint64_t seed;
	sem_open(&s, t, variant, NULL);
	for (seed = 0; seed < budget; seed++) {
		if (ls_session_run(&s, st, seed, &r) == LS_KIND_NONE)
			continue;
		if (strcmp(r.signature, want) == 0)
			break;
		if (also & LS_KIND_BIT(r.kind))
			continue;
		if (r.kind != LS_KIND_DEADLOCK || !is_cycle(&r)) {
			fprintf(stderr, "a hang without a cycle, or another finding:\n");
			sem_explain(&s, &r, label);
			seed = UINT64_MAX;
			break;
		}
	}
	ls_session_finish(&s);
	return seed;
}

/* ---- a ticket served to an interrupted waiter -------------------------------------------------
 *
 * semantics/wake, variant take (waiting.c): t1 (CPU1) holds L, t0 (CPU0) waits with a ticket;
 * t1 releases, which serves t0's ticket, and before t0 runs again an NMI on CPU0 takes L.
 *
 *	t0 (CPU0)			t1 (CPU1)		NMI (CPU0)
 *	spin_lock(&L)  parked		spin_lock(&L)
 *					spin_unlock(&L)  -> t0 served
 *	(woken, not re-read)	<------------------------------	spin_lock(&L)
 *
 * Result: deadlock, signature exactly "deadlock: t0 is interrupted by nmi@cpu0, which waits in
 * spin_lock on L held by t0": Always, once the NMI lands there.  New in f4e2293: the lock's
 * holder was whoever had returned from spin_lock(), nobody here, and the signature said a
 * context waits on a word no live context holds, with no cycle. */
static int pick_nmi_on_served_t0(struct sem_strategy *s, struct ls_point *pt)
{
	(void)s;
	return wake_t0_woken_not_reread(pt->m) ? sem_choice(pt, LS_CH_NMI, 0) : -1;
}

#define TK_SEEDS 3000

int ticket_served_to_an_interrupted_waiter_is_held_by_it(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy st;
	unsigned found = 0;
	sem_strategy_init(&st, pick_nmi_on_served_t0, SEM_P_SWITCH, 0, 0);
	sem_open(&s, &semantics_wake_target, WAKE_TAKE, NULL);
	for (uint64_t seed = 0; seed < TK_SEEDS; seed++) {
		ls_session_run(&s, &st.base, seed, &r);
		bool want = st.picked ? r.kind == LS_KIND_DEADLOCK &&
						strcmp(r.signature, TICKET_SIGNATURE) == 0
				      : r.kind == LS_KIND_NONE || r.kind == LS_KIND_LOCKDEP;
		if (!want) {
			fprintf(stderr, "want %s\n", st.picked ? TICKET_SIGNATURE : "no hang");
			sem_explain(&s, &r, "NMI on t0 once served, else random p-switch 0.1");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
		found += st.picked;
	}
	ls_session_finish(&s);
	printf("%u of %d executions had the NMI land on the served t0\n", found, TK_SEEDS);
	CHECK(found > 0);
	return TEST_PASS;
}

/* ---- spinlock waiters in a queue --------------------------------------------------------------
 *
 * semantics/spin-chain: three CPUs, ABBA with a third task queued on lock_l.
 *
 *	t0 (CPU0)		t1 (CPU1)		t2 (CPU2)
 *	spin_lock(&lock_m)	spin_lock(&lock_l)	spin_lock(&lock_l)
 *	spin_lock(&lock_l)	spin_lock(&lock_m)	spin_unlock(&lock_l)
 *	...unlock both		...unlock both
 *
 * When t2 draws its ticket on lock_l before t0 does, t0 waits for t2's turn, t2 for t1, t1 for
 * t0.  Result: deadlock "t0 waits in spin_lock on lock_l queued behind t2, which waits in
 * spin_lock on lock_l held by t1, which waits in spin_lock on lock_m held by t0": Sometimes.
 * Every hang is a cycle: Always.  New in f4e2293: a waiter pointed at the holder whatever its
 * place in the queue, and t2 was not on the cycle. */
static DEFINE_SPINLOCK(lock_l);
static DEFINE_SPINLOCK(lock_m);
static long ch_word;

static void ch_t0(void *arg)
{
	(void)arg;
	spin_lock(&lock_m);
	spin_lock(&lock_l);
	WRITE_ONCE(ch_word, 0);
	spin_unlock(&lock_l);
	spin_unlock(&lock_m);
}

static void ch_t1(void *arg)
{
	(void)arg;
	spin_lock(&lock_l);
	spin_lock(&lock_m);
	WRITE_ONCE(ch_word, 1);
	spin_unlock(&lock_m);
	spin_unlock(&lock_l);
}

static void ch_t2(void *arg)
{
	(void)arg;
	spin_lock(&lock_l);
	WRITE_ONCE(ch_word, 2);
	spin_unlock(&lock_l);
}

static void ch_init(int variant)
{
	(void)variant;
	ch_word = 0;
}

static const struct ls_task_decl ch_tasks[] = {
	{ "t0", 0, ch_t0, NULL },
	{ "t1", 1, ch_t1, NULL },
	{ "t2", 2, ch_t2, NULL },
};
SEM_TARGET(spin_chain_target, "semantics/spin-chain", .ncpus = 3, .tasks = ch_tasks, .ntasks = 3,
	   .init = ch_init);

#define CHAIN_SIGNATURE                                                                      \
	"deadlock: t0 waits in spin_lock on lock_l queued behind t2, which waits in spin_lock " \
	"on lock_l held by t1, which waits in spin_lock on lock_m held by t0"
#define CHAIN_SEEDS 20000

int spinlock_waiter_behind_a_waiter_is_queued_behind_it(void)
{
	struct ls_random walk;
	ls_random_init(&walk, SEM_P_SWITCH, SEM_P_SLOW, SEM_P_IRQ);
	uint64_t seed = first_signature(&spin_chain_target, 0, &walk.base, "random", CHAIN_SEEDS,
					LS_KIND_BIT(LS_KIND_LOCKDEP), CHAIN_SIGNATURE);
	CHECK(seed != UINT64_MAX);
	CHECKF(seed < CHAIN_SEEDS, "no '%s' in %d random executions", CHAIN_SIGNATURE, CHAIN_SEEDS);
	printf("random: the three-task cycle at seed %" PRIu64 "\n", seed);
	return TEST_PASS;
}

/* ---- a mutex's wait list ----------------------------------------------------------------------
 *
 * semantics/mutex-chain: the same shape with mutexes: t2 queues on mutex_a's wait list first,
 * t0 second.
 *
 *	t0 (CPU0)		t1 (CPU1)		t2 (CPU2)
 *	mutex_lock(&mutex_b)	mutex_lock(&mutex_a)	mutex_lock(&mutex_a)
 *	mutex_lock(&mutex_a)	mutex_lock(&mutex_b)	mutex_unlock(&mutex_a)
 *
 * Result: deadlock "t0 waits in mutex_lock on mutex_a queued behind t2, which waits in
 * mutex_lock on mutex_a held by t1, which waits in mutex_lock on mutex_b held by t0": Sometimes.
 * Every hang is a cycle: Always.  New in f4e2293 (every waiter pointed at the owner). */
static DEFINE_MUTEX(mutex_a);
static DEFINE_MUTEX(mutex_b);
static long mx_word;

static void mx_t0(void *arg)
{
	(void)arg;
	mutex_lock(&mutex_b);
	mutex_lock(&mutex_a);
	WRITE_ONCE(mx_word, 0);
	mutex_unlock(&mutex_a);
	mutex_unlock(&mutex_b);
}

static void mx_t1(void *arg)
{
	(void)arg;
	mutex_lock(&mutex_a);
	mutex_lock(&mutex_b);
	WRITE_ONCE(mx_word, 1);
	mutex_unlock(&mutex_b);
	mutex_unlock(&mutex_a);
}

static void mx_t2(void *arg)
{
	(void)arg;
	mutex_lock(&mutex_a);
	WRITE_ONCE(mx_word, 2);
	mutex_unlock(&mutex_a);
}

static void mx_init(int variant)
{
	(void)variant;
	mx_word = 0;
}

static const struct ls_task_decl mx_tasks[] = {
	{ "t0", 0, mx_t0, NULL },
	{ "t1", 1, mx_t1, NULL },
	{ "t2", 2, mx_t2, NULL },
};
SEM_TARGET(mutex_chain_target, "semantics/mutex-chain", .ncpus = 3, .tasks = mx_tasks,
	   .ntasks = 3, .init = mx_init);

#define MUTEX_SIGNATURE                                                                       \
	"deadlock: t0 waits in mutex_lock on mutex_a queued behind t2, which waits in mutex_lock " \
	"on mutex_a held by t1, which waits in mutex_lock on mutex_b held by t0"

int mutex_cycle_runs_through_the_second_waiter(void)
{
	struct ls_random walk;
	ls_random_init(&walk, SEM_P_SWITCH, SEM_P_SLOW, SEM_P_IRQ);
	uint64_t seed = first_signature(&mutex_chain_target, 0, &walk.base, "random", CHAIN_SEEDS,
					LS_KIND_BIT(LS_KIND_LOCKDEP), MUTEX_SIGNATURE);
	CHECK(seed != UINT64_MAX);
	CHECKF(seed < CHAIN_SEEDS, "no '%s' in %d random executions", MUTEX_SIGNATURE, CHAIN_SEEDS);
	printf("random: the three-task cycle at seed %" PRIu64 "\n", seed);
	return TEST_PASS;
}

/* ---- rqspinlock's MCS queue --------------------------------------------------------------------
 *
 * semantics/rqs-queue: rqspinlock as merged for v6.15, three CPUs.  t1 holds rq_lock, t2 waits
 * as the pending waiter, t0 queues as the MCS head; an NMI on CPU0 takes rq_lock too.  v6.15 lets
 * an NMI queue (B1): it links behind the head it interrupted and spins on its node with no
 * timeout, while the head cannot run until the NMI returns.
 *
 *	t0, t1, t2 (CPU0..2)			NMI (CPU0)
 *	raw_res_spin_lock_irqsave(&rq_lock, f)	raw_res_spin_lock_irqsave(&rq_lock, f)
 *	WRITE_ONCE(rq_word, n)			WRITE_ONCE(rq_word, 9)
 *	raw_res_spin_unlock_irqrestore(...)	raw_res_spin_unlock_irqrestore(...)
 *
 * Result: deadlock "t0 is interrupted by nmi@cpu0, which waits in raw_res_spin_lock_irqsave on
 * rq_lock's queue (rqnodes[cpu0][1]) queued behind t0": Sometimes; every hang is a cycle:
 * Always.  New in f4e2293: the non-head waiter on its node waited for nobody the graph could
 * name.  The node's word names the lock whose queue it is in. */
static rqspinlock_t rq_lock;
static long rq_word;

static void rq_task(void *arg)
{
	unsigned long f;
	if (raw_res_spin_lock_irqsave(&rq_lock, f))
		return;
	WRITE_ONCE(rq_word, (long)(intptr_t)arg);
	raw_res_spin_unlock_irqrestore(&rq_lock, f);
}

static void rq_nmi(void *arg)
{
	(void)arg;
	unsigned long f;
	if (raw_res_spin_lock_irqsave(&rq_lock, f))
		return;
	WRITE_ONCE(rq_word, 9);
	raw_res_spin_unlock_irqrestore(&rq_lock, f);
}

static void rq_init(int variant)
{
	(void)variant;
	int v615 = 0;
	for (int i = 0; i < ls_rqs_nvariants; i++)
		if (strcmp(ls_rqs_variants[i].name, "v6.15") == 0)
			v615 = i;
	ls_rqs_use_variant(v615, 0);
	rq_word = 0;
	raw_res_spin_lock_init(&rq_lock);
}

static const struct ls_task_decl rq_tasks[] = {
	{ "t0", 0, rq_task, (void *)(intptr_t)0 },
	{ "t1", 1, rq_task, (void *)(intptr_t)1 },
	{ "t2", 2, rq_task, (void *)(intptr_t)2 },
};
static const struct ls_irq_decl rq_nmis[] = { { "nmi", 0x1, 1, rq_nmi, NULL } };
SEM_TARGET(rqs_queue_target, "semantics/rqs-queue", .ncpus = 3, .tasks = rq_tasks, .ntasks = 3,
	   .nmis = rq_nmis, .nnmis = 1, .init = rq_init);

#define RQS_SIGNATURE                                                                          \
	"deadlock: t0 is interrupted by nmi@cpu0, which waits in raw_res_spin_lock_irqsave on "  \
	"rq_lock's queue (rqnodes[cpu0][1]) queued behind t0"

int rqspinlock_nmi_queued_behind_the_head_it_interrupted(void)
{
	struct ls_random walk;
	ls_random_init(&walk, 0.2, SEM_P_SLOW, 0.2);
	/* v6.15 also carries bugs that end as stalls and validator reports: not this case's. */
	uint32_t also = LS_KIND_BIT(LS_KIND_STALL) | LS_KIND_BIT(LS_KIND_AVERTED) |
			LS_KIND_BIT(LS_KIND_LOCKDEP) | LS_KIND_BIT(LS_KIND_INVARIANT);
	uint64_t seed = first_signature(&rqs_queue_target, 0, &walk.base,
					"random p-switch 0.2 p-slow 0.02 p-irq 0.2", CHAIN_SEEDS,
					also, RQS_SIGNATURE);
	CHECK(seed != UINT64_MAX);
	CHECKF(seed < CHAIN_SEEDS, "no '%s' in %d random executions", RQS_SIGNATURE, CHAIN_SEEDS);
	printf("random: the NMI queued behind the head at seed %" PRIu64 "\n", seed);
	return TEST_PASS;
}

/* ---- a waiter described by its object's model ---------------------------------------------
 *
 * semantics/described: t0 parks on the second word of an object registered with a describe
 * function (ls_object_register_described()) that says what a waiter there is doing, from the
 * object's state at the time of the report; nobody ever writes the word.
 *
 *	t0 (CPU0)
 *	desc.state = 7
 *	park on desc.words[1]		(forever)
 *
 * Result: deadlock "t0 waits in wait_for_word on the thing (desc.words[1]), state 7": Always;
 * the report's step table names the word by its registered name alone: Always. */
struct described {
	long words[2];
	int state;
};
static struct described desc;

static bool desc_describe(const void *obj, const void *addr, const char *name, char *buf,
			  unsigned len)
{
	const struct described *d = obj;
	if (addr != &d->words[1])
		return false;
	snprintf(buf, len, "the thing (%s.words[1]), state %d", name, d->state);
	return true;
}

static void desc_task(void *arg)
{
	(void)arg;
	desc.state = 7;
	ls_point(LS_OP_LOAD, &desc.words[1], LS_SITE("wait_for_word"));
	ls_park(&desc.words[1], LS_NO_DEADLINE, LS_SITE("wait_for_word"));
}

static void desc_init(int variant)
{
	(void)variant;
	memset(&desc, 0, sizeof(desc));
	ls_object_register_described(&desc, sizeof(desc), "desc", NULL, desc_describe);
}

static const struct ls_task_decl desc_tasks[] = { { "t0", 0, desc_task, NULL } };
SEM_TARGET(desc_target, "semantics/described", .ncpus = 1, .tasks = desc_tasks, .ntasks = 1,
	   .init = desc_init);

int hang_report_uses_the_objects_description_of_the_waiters_word(void)
{
	struct ls_session s;
	struct ls_result r;
	struct ls_random walk;
	ls_random_init(&walk, SEM_P_SWITCH, SEM_P_SLOW, SEM_P_IRQ);
	sem_open(&s, &desc_target, 0, NULL);
	enum ls_kind kind = ls_session_run(&s, &walk.base, 0, &r);
	struct ls_buf report = { 0 };
	ls_report_write(&s, &r, "random", NULL, &report);
	static const char want[] =
		"deadlock: t0 waits in wait_for_word on the thing (desc.words[1]), state 7";
	int rc = TEST_PASS;
	if (kind != LS_KIND_DEADLOCK || strcmp(r.signature, want) != 0) {
		fprintf(stderr, "got %s '%s', want '%s'\n", ls_kind_name(kind), r.signature, want);
		rc = TEST_FAIL;
	} else if (!strstr(report.s, "wait_for_word(desc)")) {
		fprintf(stderr, "the step table does not name the word 'desc':\n%s\n", report.s);
		rc = TEST_FAIL;
	}
	ls_buf_finish(&report);
	ls_session_finish(&s);
	return rc;
}

/* Suite `semantics`, acquisitions: the validator records a blocking acquisition when it happens.
 * It is TRYING from its announcement (ls_lock_acquire, before the first attempt), WAITING once
 * queued (ls_lock_contended), HELD from the step of the operation that gave the lock
 * (ls_lock_acquired).  An interrupt taking a lock the context under it only announced is no AA:
 * the interrupt takes it first and returns.  It is an AA when the context under it holds it, or
 * is queued ahead of it in the lock's FIFO.  Class usage still says a lock taken both in an NMI
 * and in a task is an nmi-inversion, and one taken in a hardirq and with interrupts on an
 * irq-inversion. */
#include "semantics.h"

/* ---- announced, not held ---------------------------------------------------------------------
 *
 * semantics/announce: one CPU.  The task takes an_lock; an interrupt (an NMI, or a hardirq:
 * the case's strategy picks one) is injected exactly at the task's read-modify-write point of
 * spin_lock(), after lockdep heard of the acquisition and before the ticket is drawn.  The
 * handler takes and releases an_lock.
 *
 *	task					NMI / hardirq
 *	spin_lock(&an_lock)  <- lands here	spin_lock(&an_lock)
 *	WRITE_ONCE(an_word, 1)			an_took = 1
 *	spin_unlock(&an_lock)			spin_unlock(&an_lock)
 *
 * Results: the handler gets the lock and the execution ends: Always; an "AA" report: Never; the
 * session's first execution reports nmi-inversion (NMI) or irq-inversion (hardirq): Always.
 * New in f4e2293: before it lockdep's held stack counted the announced lock as held, and the
 * validator reported AA "already holding". */
static DEFINE_SPINLOCK(an_lock);
static long an_word;
static int an_took;

static void an_task(void *arg)
{
	(void)arg;
	spin_lock(&an_lock);
	WRITE_ONCE(an_word, 1);
	spin_unlock(&an_lock);
}

static void an_handler(void *arg)
{
	(void)arg;
	spin_lock(&an_lock);
	an_took = 1;
	spin_unlock(&an_lock);
}

static void an_init(int variant)
{
	(void)variant;
	an_word = 0;
	an_took = 0;
}

static const struct ls_task_decl an_tasks[] = { { "t0", 0, an_task, NULL } };
static const struct ls_irq_decl an_nmis[] = { { "nmi", 0x1, 1, an_handler, NULL } };
static const struct ls_irq_decl an_irqs[] = { { "irq", 0x1, 1, an_handler, NULL } };
SEM_TARGET(announce_target, "semantics/announce", .ncpus = 1, .tasks = an_tasks, .ntasks = 1,
	   .nmis = an_nmis, .nnmis = 1, .irqs = an_irqs, .nirqs = 1, .init = an_init);

static enum ls_choice_kind an_kind;

/* The interrupt of the case's kind, at the task's RMW point of spin_lock(&an_lock). */
static int pick_at_the_ticket_draw(struct sem_strategy *s, struct ls_point *pt)
{
	(void)s;
	if (pt->ctx != 0 || pt->op != LS_OP_RMW || pt->addr != &an_lock.rlock.val || !pt->site ||
	    strcmp(pt->site->what, "spin_lock") != 0)
		return -1;
	return sem_choice(pt, an_kind, 0);
}

#define AN_SEEDS 50

static int announced_is_not_held(enum ls_choice_kind kind, const char *shape)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy st;
	an_kind = kind;
	sem_strategy_init(&st, pick_at_the_ticket_draw, SEM_P_SWITCH, 0, 0);
	sem_open(&s, &announce_target, 0, NULL);
	for (uint64_t seed = 0; seed < AN_SEEDS; seed++) {
		ls_session_run(&s, &st.base, seed, &r);
		bool aa = false;
		for (int i = 0; i < ls_lockdep_nreports(); i++)
			aa |= strcmp(ls_lockdep_report_at(i)->shape, "AA") == 0;
		bool reported = r.kind == LS_KIND_LOCKDEP && strcmp(r.shape, shape) == 0;
		bool first_ok = seed > 0 || reported;
		bool later_ok = r.kind == LS_KIND_NONE || reported;
		if (st.picked != 1 || !an_took || aa || !first_ok || !later_ok) {
			fprintf(stderr, "interrupt at the ticket draw: %u, handler took the lock: "
				"%d, an AA report: %d; want %s at the first execution\n", st.picked,
				an_took, aa, shape);
			sem_explain(&s, &r, "interrupt at the task's spin_lock RMW, else random");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
	}
	ls_session_finish(&s);
	return TEST_PASS;
}

int lock_only_announced_is_not_held_under_an_nmi(void)
{
	return announced_is_not_held(LS_CH_NMI, "nmi-inversion");
}

int lock_only_announced_is_not_held_under_a_hardirq(void)
{
	return announced_is_not_held(LS_CH_IRQ, "irq-inversion");
}

/* ---- held from the acquiring step ----------------------------------------------------------
 *
 * semantics/held: t0 (CPU0) and t1 (CPU1) each take hd_lock and make three stores under it.
 * Right after spin_lock() returns, a task reads its own entry on the validator's held stack and
 * the machine's record of the last operation it ran on the lock word (the ring records an
 * operation when it runs).  After each store it reads the other task's entry.
 *
 *	t0, t1
 *	spin_lock(&hd_lock)
 *	own entry: HELD, held_step == the step of the RMW (free) or LOAD (served) that took it
 *	3 x { WRITE_ONCE(hd_word, i); other's entry: TRYING at its RMW point, WAITING parked }
 *	spin_unlock(&hd_lock)
 *
 * Results: every check holds: Always; a waiter seen WAITING, one seen TRYING, a lock taken by the
 * re-read: Sometimes.  New in f4e2293: the states and held_step did not exist; the entry
 * counted as held from the announcement. */
static DEFINE_SPINLOCK(hd_lock);
static long hd_word;
static unsigned hd_waiting, hd_trying, hd_by_reread;

static const struct ls_held *hd_entry(int ctx)
{
	const struct ls_held *h;
	int n = ls_lockdep_held(ctx, &h);
	for (int i = 0; i < n; i++)
		if (h[i].map == &hd_lock.dep_map)
			return &h[i];
	return NULL;
}

static void hd_check_own(void)
{
	const struct ls_machine *m = sem_machine();
	int me = ls_ctx_id();
	const struct ls_step_rec *rec = NULL;
	uint64_t oldest = m->nring > LS_RING ? m->nring - LS_RING : 0;
	for (uint64_t i = m->nring; i-- > oldest && !rec;) {
		const struct ls_step_rec *x = &m->ring[i % LS_RING];
		if (x->ctx == me && x->addr == &hd_lock.rlock.val &&
		    (x->op == LS_OP_RMW || x->op == LS_OP_LOAD))
			rec = x;
	}
	const struct ls_held *h = hd_entry(me);
	if (!h || h->state != LS_HELD_HELD) {
		ls_fail(LS_SITE("hd_check_own"), "spin_lock() returned, the entry is %s",
			!h ? "missing" : h->state == LS_HELD_TRYING ? "TRYING" : "WAITING");
		return;
	}
	if (!rec || h->held_step != rec->step) {
		ls_fail(LS_SITE("hd_check_own"), "held_step %" PRIu64 ", the operation that took "
			"the lock ran at step %" PRIu64, h->held_step, rec ? rec->step : 0);
		return;
	}
	hd_by_reread += rec->op == LS_OP_LOAD;
}

static void hd_check_other(void)
{
	int other = !ls_ctx_id();
	const struct ls_ctx *o = &sem_machine()->ctx[other];
	const struct ls_held *h = hd_entry(other);
	if (o->addr != &hd_lock.rlock.val)
		return;
	if (o->state == LS_PARKED || (o->state == LS_READY && o->op == LS_OP_LOAD)) {
		if (!h || h->state != LS_HELD_WAITING)
			ls_fail(LS_SITE("hd_check_other"), "t%d waits for hd_lock, its entry "
				"is not WAITING", other);
		hd_waiting++;
	} else if (o->state == LS_READY && o->op == LS_OP_RMW) {
		if (!h || h->state != LS_HELD_TRYING)
			ls_fail(LS_SITE("hd_check_other"), "t%d is about to draw a ticket, its "
				"entry is not TRYING", other);
		hd_trying++;
	}
}

static void hd_task(void *arg)
{
	(void)arg;
	spin_lock(&hd_lock);
	hd_check_own();
	for (int i = 0; i < 3; i++) {
		WRITE_ONCE(hd_word, i);
		hd_check_other();
	}
	spin_unlock(&hd_lock);
}

static void hd_init(int variant)
{
	(void)variant;
	hd_word = 0;
}

static const struct ls_task_decl hd_tasks[] = {
	{ "t0", 0, hd_task, NULL },
	{ "t1", 1, hd_task, NULL },
};
SEM_TARGET(held_target, "semantics/held", .ncpus = 2, .tasks = hd_tasks, .ntasks = 2,
	   .init = hd_init);

#define HD_SEEDS 2000

int lock_held_from_the_step_that_took_it(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy walk;
	hd_waiting = hd_trying = hd_by_reread = 0;
	sem_strategy_init(&walk, NULL, 0.3, 0, 0);
	sem_open(&s, &held_target, 0, NULL);
	for (uint64_t seed = 0; seed < HD_SEEDS; seed++) {
		if (ls_session_run(&s, &walk.base, seed, &r) != LS_KIND_NONE) {
			sem_explain(&s, &r, "random p-switch 0.3");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
	}
	ls_session_finish(&s);
	printf("%u waiters seen WAITING, %u TRYING, %u locks taken by the re-read\n", hd_waiting,
	       hd_trying, hd_by_reread);
	CHECK(hd_waiting > 0 && hd_trying > 0 && hd_by_reread > 0);
	return TEST_PASS;
}

/* ---- queued behind the interrupted waiter ----------------------------------------------------
 *
 * semantics/wake, variant take (waiting.c): t1 (CPU1) holds L, t0 (CPU0) waits for it, and an
 * NMI on CPU0 lands while t0 is parked and takes L: it draws a ticket behind t0's.
 *
 *	t0 (CPU0)		t1 (CPU1)		NMI (CPU0)
 *	spin_lock(&L)  (WAITING)	holds L		spin_lock(&L)  queued behind t0
 *
 * Results: the execution hangs (t0 cannot run until the NMI returns, the NMI cannot get L before
 * t0): Always; the validator's report is an interrupt AA whose interrupted acquisition is t0's,
 * WAITING: Always; the hang's signature is the cycle "t0 is interrupted by nmi@cpu0, which waits
 * in spin_lock on L held by t0": Always.  New in f4e2293: the hang and an AA report were there
 * before ("already holding"), but the AA's WAITING state is new, and the signature had no cycle
 * (L's holder was whoever had returned from spin_lock(), nobody once t1 released it). */
static int pick_nmi_on_parked_t0(struct sem_strategy *s, struct ls_point *pt)
{
	(void)s;
	return pt->m->ctx[0].state == LS_PARKED ? sem_choice(pt, LS_CH_NMI, 0) : -1;
}

#define QA_SEEDS 1000

int nmi_queued_behind_the_waiter_it_interrupted_is_AA(void)
{
	struct ls_session s;
	struct ls_result r;
	struct sem_strategy st;
	unsigned found = 0;
	uint64_t first = 0;
	sem_strategy_init(&st, pick_nmi_on_parked_t0, SEM_P_SWITCH, 0, 0);
	sem_open(&s, &semantics_wake_target, WAKE_TAKE, NULL);
	for (uint64_t seed = 0; seed < QA_SEEDS; seed++) {
		ls_session_run(&s, &st.base, seed, &r);
		if (!st.picked)
			continue;
		const struct ls_lockdep_report *aa = NULL;
		for (int i = 0; i < ls_lockdep_nreports() && !aa; i++)
			if (ls_lockdep_report_at(i)->bug == LS_BUG_INTERRUPT_AA)
				aa = ls_lockdep_report_at(i);
		bool hang = r.kind == LS_KIND_DEADLOCK &&
			    strcmp(r.signature, TICKET_SIGNATURE) == 0;
		if (!hang || !aa || aa->other_ctx != 0 || aa->prev.state != LS_HELD_WAITING ||
		    strcmp(aa->shape, "AA") != 0) {
			fprintf(stderr, "want %s and an interrupt AA over t0's WAITING "
				"acquisition; report: %s, over context %d in state %d\n",
				TICKET_SIGNATURE, aa ? aa->shape : "none", aa ? aa->other_ctx : -1,
				aa ? aa->prev.state : -1);
			sem_explain(&s, &r, "NMI on CPU0 while t0 is parked, else random");
			ls_session_finish(&s);
			return TEST_FAIL;
		}
		if (!found++)
			first = seed;
	}
	ls_session_finish(&s);
	CHECKF(found > 0, "t0 never parked in %d executions", QA_SEEDS);
	printf("%u executions had the NMI queue behind the parked t0, the first at seed %" PRIu64
	       "\n", found, first);
	return TEST_PASS;
}

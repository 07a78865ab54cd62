/* Wait contexts (the selftest's wait_context_tests, CONFIG_PROVE_RAW_LOCK_NESTING): a lock may
 * be taken only where a wait of its type is allowed.  raw_spinlock_t {2} spins anywhere;
 * spinlock_t {3} spins, but sleeps on PREEMPT_RT, so not under a raw_spinlock_t nor in a
 * non-threaded hardirq; a mutex {4} sleeps, so only in a task holding no spinning lock.
 *
 * Outer contexts: a threaded hardirq (HARDIRQ_ENTER), a non-threaded one (an irq_work marked
 * IRQ_WORK_HARD_IRQ, which lockdep gives LD_WAIT_SPIN), a softirq, and held raw_spinlock_t,
 * spinlock_t and mutex.  lockstep has no RCU: the selftest's RCU, RCU_BH and RCU_SCHED outers
 * and its RCU inner are left out.
 *
 * A mutex in atomic context is also CONFIG_DEBUG_ATOMIC_SLEEP's "sleeping function called from
 * invalid context", which the kernel prints without turning lockdep off and which lockstep's
 * mutex model makes an invariant finding that ends the execution before the validator's wait
 * check: either one is this column's FAILURE (README.md). */
#include "selftest.h"

enum inner { IN_RAW, IN_SPIN, IN_MUTEX, NINNER };
static const char *const inner_names[NINNER] = { "raw_spinlock", "spinlock", "mutex" };

static enum inner inner_of(enum st_kind k)
{
	return k == K_RAW ? IN_RAW : k == K_SPIN ? IN_SPIN : IN_MUTEX;
}

/* The inner lock: B of the case's kind. */
static void inner(void)
{
	LOCK(B);
	UNLOCK(B);
}

static void outer_hardirq(void)
{
	st_hardirq(inner, true);
}

static void outer_notthreaded_hardirq(void)
{
	st_hardirq(inner, false);
}

static void outer_softirq(void)
{
	st_softirq(inner);
}

static void outer_raw_spinlock(void)
{
	raw_spin_lock(&A.raw);
	inner();
	raw_spin_unlock(&A.raw);
}

static void outer_spinlock(void)
{
	spin_lock(&A.spin);
	inner();
	spin_unlock(&A.spin);
}

static void outer_mutex(void)
{
	mutex_lock(&A.mutex);
	inner();
	mutex_unlock(&A.mutex);
}

/* The selftest's three verdict rows: which inners an outer allows. */
enum allows { PREEMPTIBLE, LIMITED, NOT_PREEMPTIBLE };

static unsigned verdict(enum allows a, enum inner in)
{
	unsigned fail = in == IN_MUTEX ? F_WAIT | F_SLEEP : F_WAIT;
	switch (a) {
	case PREEMPTIBLE:
		return SUCCESS;
	case LIMITED:
		return in == IN_MUTEX ? fail : SUCCESS;
	case NOT_PREEMPTIBLE:
		return in == IN_RAW ? SUCCESS : fail;
	}
	return SUCCESS;
}

void st_cases_wait(void)
{
	static const struct {
		const char *name;
		void (*run)(void);
		enum allows allows;
	} outers[] = {
		{ "HARDIRQ", outer_hardirq, LIMITED },
		{ "NOTTHREADED_HARDIRQ", outer_notthreaded_hardirq, NOT_PREEMPTIBLE },
		{ "SOFTIRQ", outer_softirq, LIMITED },
		{ "raw_spinlock", outer_raw_spinlock, NOT_PREEMPTIBLE },
		{ "spinlock", outer_spinlock, LIMITED },
		{ "mutex", outer_mutex, PREEMPTIBLE },
	};
	static const enum st_kind inners[] = { K_RAW, K_SPIN, K_MUTEX };
	for (size_t o = 0; o < sizeof(outers) / sizeof(outers[0]); o++)
		for (size_t i = 0; i < sizeof(inners) / sizeof(inners[0]); i++) {
			char name[56];
			enum inner in = inner_of(inners[i]);
			snprintf(name, sizeof(name), "%s_in_%s", inner_names[in], outers[o].name);
			st_add(name, outers[o].run, inners[i], verdict(outers[o].allows, in));
		}
}

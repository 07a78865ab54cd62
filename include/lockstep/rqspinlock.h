/* rqspinlock: the resilient queued spin lock of kernel/bpf/rqspinlock.c, operation by operation.
 *
 *   int res_spin_lock(rqspinlock_t *lock);           0, -EDEADLK or -ETIMEDOUT
 *   void res_spin_unlock(rqspinlock_t *lock);
 *   int raw_res_spin_lock(lock);                     preempt_disable() around it
 *   int raw_res_spin_lock_irqsave(lock, flags);      and local_irq_save()
 *   raw_res_spin_unlock(lock), raw_res_spin_unlock_irqrestore(lock, flags)
 *
 * Which point of the lock's history runs is a model setting (struct ls_rqs_config, usually one of
 * the named ls_rqs_variants[]) that a target applies in its init hook.  src/model/rqspinlock.c
 * explains the algorithm and what the model leaves out.
 */
#ifndef LOCKSTEP_RQSPINLOCK_H
#define LOCKSTEP_RQSPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <lockstep/atomic.h>
#include <lockstep/lockdep.h>
#include <lockstep/percpu.h>

#ifndef EDEADLK
#define EDEADLK 35
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif

#define RES_NR_HELD 31
#define RES_DEF_TIMEOUT (1000000000ull / 4)	/* NSEC_PER_SEC / 4 */
#define RES_TIMEOUT_VAL 2

typedef struct rqspinlock {
	atomic_t val;			/* locked 0-7, pending 8-15, tail 16-31 */
	/* lockstep's bookkeeping, which the algorithm never reads. */
	struct ls_lockdep_map dep_map;
	int holders;			/* mutual exclusion check */
	int owner;			/* context id of the holder, -1: for the wait-for graph */
	int pending;			/* context id of the pending waiter, -1 */
	unsigned gen;
} rqspinlock_t;

/* Where the NMI queueing logic of the slow path stands (spec 1.10). */
enum ls_rqs_nmi_queue {
	LS_RQS_Q_V3,	/* Nov 2025 patch 4 on (current): idx >= 4 || (in_nmi() && idx > 0): a
			 * single trylock, else -EDEADLK */
	LS_RQS_Q_V0,	/* v6.15: only idx >= 4 falls back, to a spinning trylock loop */
	LS_RQS_Q_V1,	/* Sep 2025: idx >= 4 || in_nmi(): spinning trylock loop */
	LS_RQS_Q_V2,	/* Nov 2025 patch 3: idx >= 4 || (in_nmi() && idx > 0): spinning loop */
};

/* What a queue head does when its wait for the owner ends in -EDEADLK. */
enum ls_rqs_head_deadlock {
	LS_RQS_HD_RESET_TAIL,	/* 7a3c0289c3c8 (v7.2-rc7, 7.1.y), current: reset the tail if it is
				 * still ours, else hand the MCS lock to the successor; leave */
	LS_RQS_HD_WAIT_NEXT,	/* 7bd6e5ce5be6 (v6.19-v7.1): wait, with no bound, for a successor
				 * to link, hand it the MCS lock; leave */
	LS_RQS_HD_TEARDOWN,	/* v6.15-v6.18: as on -ETIMEDOUT, tear the queue down: every waiter
				 * behind fails in turn */
};

struct ls_rqs_config {
	bool grab_after_cmpxchg;	/* B2: entry grabbed after the fast-path cmpxchg */
	bool unlock_clear_first;	/* B3: unlock clears the entry before the release store */
	bool aa_after_1ms;		/* B4: the first check_timeout() only sets timestamps */
	enum ls_rqs_nmi_queue nmi_queue;	/* B1, B5, B6 */
	bool no_aa_before_queue;	/* B7: no check_deadlock_AA() before queueing */
	bool tas;			/* every slow path goes to the test-and-set fallback */
	bool tas_double_grab;		/* B8: the fallback grabs a second entry */
	bool irqsave_preempt_first;	/* B9: wrappers enable preemption with irqs still off */
	enum ls_rqs_head_deadlock head_deadlock;	/* B11: HD_WAIT_NEXT */
	bool kicked_edeadlk;		/* B12: a waiter kicked out by teardown returns -EDEADLK */
	/* lockstep: an acquisition that waited at least this long (virtual ns) is a stall even
	 * when it succeeded or failed with -EDEADLK; 0: only -ETIMEDOUT is. */
	uint64_t stall_ns;
};

/* The named points of history, in the order of ls_rqs_variants[]. */
#define LS_RQS_CURRENT "after the Nov 2025 series and the 2026 fixes"
#define LS_RQS_V6_15 "as merged for v6.15: NMIs queue behind the head they interrupted (B1), " \
		     "entry after the cmpxchg (B2), clear before release (B3), AA after 1 ms (B4)"
#define LS_RQS_GRAB "held-table entry grabbed after the fast-path cmpxchg (B2)"
#define LS_RQS_UNLOCK "unlock clears the entry before the release store (B3)"
#define LS_RQS_AA_1MS "the AA check runs only once 1 ms has passed (B4)"
#define LS_RQS_NMI_LOOP "NMIs never queue: a spinning trylock loop with timeout (Sep 2025, B5)"
#define LS_RQS_NO_AA_Q "no AA check before non-head queueing (B7)"
#define LS_RQS_TAS_DG "test-and-set fallback (paravirt) recording its entry twice (B8)"
#define LS_RQS_TAS "the test-and-set fallback as fixed in Jan 2026"
#define LS_RQS_V6_19 "as released in v6.19-v7.1: a head that detects a deadlock waits, with no " \
		     "bound, for a successor to hand the queue to (7bd6e5ce5be6, B11)"
#define LS_RQS_KICKED "waiters kicked out of a torn-down queue return -EDEADLK (7bd6e5ce5be6 " \
		      "before the return-value fix, B12)"
#define LS_RQS_NVARIANTS 11

/* A variant's bug mask (struct ls_variant's bugs) where an rqspinlock timeout (a stall) is the
 * expected behaviour, not a bug: a cycle the ABBA check cannot see, a held-lock table overflow. */
#define LS_RQS_BUGS_BUT_STALLS                                                                   \
	(LS_KIND_BIT(LS_KIND_DEADLOCK) | LS_KIND_BIT(LS_KIND_INVARIANT) |                        \
	 LS_KIND_BIT(LS_KIND_LOCKDEP))

/* A target's variants, one per point of history, each with the target's expected outcome
 * (LS_KIND_COUNT: not settled) and the kinds that are bugs for it (0: the default). */
#define LS_RQS_VARIANTS(bugs, cur, v615, grab, unl, aa1, nmiloop, noaa, tasdg, tas, v619, kick) \
	{                                                                                        \
		{ "current", LS_RQS_CURRENT, cur, bugs },                                        \
		{ "v6.15", LS_RQS_V6_15, v615, bugs },                                           \
		{ "grab-after-cmpxchg", LS_RQS_GRAB, grab, bugs },                               \
		{ "unlock-clear-first", LS_RQS_UNLOCK, unl, bugs },                              \
		{ "aa-after-1ms", LS_RQS_AA_1MS, aa1, bugs },                                    \
		{ "nmi-trylock-loop", LS_RQS_NMI_LOOP, nmiloop, bugs },                          \
		{ "no-aa-before-queue", LS_RQS_NO_AA_Q, noaa, bugs },                            \
		{ "tas-double-grab", LS_RQS_TAS_DG, tasdg, bugs },                               \
		{ "tas", LS_RQS_TAS, tas, bugs },                                                \
		{ "v6.19", LS_RQS_V6_19, v619, bugs },                                           \
		{ "kicked-edeadlk", LS_RQS_KICKED, kick, bugs },                                 \
	}

struct ls_rqs_variant {
	const char *name;
	const char *summary;	/* the point of history it is */
	struct ls_rqs_config cfg;
};

/* current, v6.15, then one variant per bug, each the current code with that bug put back. */
extern const struct ls_rqs_variant ls_rqs_variants[];
extern const int ls_rqs_nvariants;

/* Applies cfg to every rqspinlock of the execution; call from a target's init. */
void ls_rqs_configure(const struct ls_rqs_config *cfg);
/* The same with ls_rqs_variants[variant]'s configuration and the given stall threshold (0:
 * only -ETIMEDOUT is a stall), for targets whose variants are the LS_RQS_VARIANTS() list. */
void ls_rqs_use_variant(int variant, uint64_t stall_ns);

void ls_rqspinlock_init(rqspinlock_t *lock, const char *name, const void *key);
int ls_res_spin_lock(rqspinlock_t *lock, const struct ls_site *site);
void ls_res_spin_unlock(rqspinlock_t *lock, const struct ls_site *site);
int ls_raw_res_spin_lock_irqsave(rqspinlock_t *lock, unsigned long *flags,
				 const struct ls_site *site);
void ls_raw_res_spin_unlock_irqrestore(rqspinlock_t *lock, unsigned long flags,
				       const struct ls_site *site);

/* End-of-execution checks, usable as a target's check hook: every lock word registered this
 * execution is 0, every CPU's held-lock table and queue-node count are back to 0.  ls_fail()s
 * otherwise. */
void ls_rqs_check_quiescent(int variant);
/* This CPU's held-lock table count (for targets and tests). */
int ls_rqs_held_count(int cpu);

#define raw_res_spin_lock_init(lock)                                                             \
	ls_rqspinlock_init((lock), #lock, LS_SITE("raw_res_spin_lock_init"))
#define res_spin_lock(lock) ls_res_spin_lock((lock), LS_SITE("res_spin_lock"))
#define res_spin_unlock(lock) ls_res_spin_unlock((lock), LS_SITE("res_spin_unlock"))
#define raw_res_spin_lock(lock)                                                                  \
	({                                                                                       \
		ls_preempt_disable();                                                            \
		int ls_ret_ = ls_res_spin_lock((lock), LS_SITE("raw_res_spin_lock"));          \
		if (ls_ret_)                                                                     \
			ls_preempt_enable();                                                     \
		ls_ret_;                                                                         \
	})
#define raw_res_spin_unlock(lock)                                                                \
	do {                                                                                     \
		ls_res_spin_unlock((lock), LS_SITE("raw_res_spin_unlock"));                     \
		ls_preempt_enable();                                                             \
	} while (0)
#define raw_res_spin_lock_irqsave(lock, flags)                                                   \
	ls_raw_res_spin_lock_irqsave((lock), &(flags), LS_SITE("raw_res_spin_lock_irqsave"))
#define raw_res_spin_unlock_irqrestore(lock, flags)                                              \
	ls_raw_res_spin_unlock_irqrestore((lock), (flags),                                       \
					  LS_SITE("raw_res_spin_unlock_irqrestore"))

#endif

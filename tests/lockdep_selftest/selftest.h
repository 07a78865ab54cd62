/* The conformance suite's shared vocabulary: the lock kinds (the selftest's columns), the locks
 * every case uses, the contexts a case enters, and the table of cases with their verdicts.
 *
 * A case is a short lock sequence that one task runs from start to end; the validator's reports
 * after that one execution are its verdict.  Cases are registered at start-up by the cases_*.c
 * files and run by test_selftest.c, once per validator mode. */
#ifndef LS_TESTS_SELFTEST_H
#define LS_TESTS_SELFTEST_H

#include <stdbool.h>
#include <stdio.h>

#include <lockstep/kernel.h>
#include <lockstep/rwlock.h>
#include <lockstep/target.h>

/* ---- lock kinds -------------------------------------------------------------------------- */

/* The selftest's columns, then raw_spinlock_t (its wait-context tests use it). */
enum st_kind { K_SPIN, K_WLOCK, K_RLOCK, K_MUTEX, K_WSEM, K_RSEM, K_RAW, K_NKINDS };

extern const char *const st_kind_name[K_NKINDS];

/* The column a case body runs for: LOCK(), UNLOCK() and INIT() act on this kind of lock. */
extern enum st_kind st_kind;

/* One lock of every kind under one letter.  A, B, C and D each have classes of their own;
 * X1 and X2 share one class per kind, as do Y1 and Y2, and Z1 and Z2 (two instances of a class,
 * so that a case can report a recursion without really taking one lock twice). */
struct st_slot {
	spinlock_t spin;
	rwlock_t rw;
	struct mutex mutex;
	struct rw_semaphore sem;
	raw_spinlock_t raw;
};

extern struct st_slot A, B, C, D, X1, X2, Y1, Y2, Z1, Z2;

/* Re-initialises every lock (a fresh boot for each execution: a new set of classes). */
void st_init_locks(void);

/* The column's lock of slot s. */
void st_lock(struct st_slot *s);
void st_unlock(struct st_slot *s);
void st_init(struct st_slot *s);

#define LOCK(x) st_lock(&(x))
#define UNLOCK(x) st_unlock(&(x))
#define INIT(x) st_init(&(x))

/* Fixed kinds, whatever the column (the selftest's L, RL, WL, ML, RSL, WSL). */
#define L(x) spin_lock(&(x).spin)
#define U(x) spin_unlock(&(x).spin)
#define RL(x) read_lock(&(x).rw)
#define RU(x) read_unlock(&(x).rw)
#define WL(x) write_lock(&(x).rw)
#define WU(x) write_unlock(&(x).rw)
#define ML(x) mutex_lock(&(x).mutex)
#define MU(x) mutex_unlock(&(x).mutex)
#define RSL(x) down_read(&(x).sem)
#define RSU(x) up_read(&(x).sem)
#define WSL(x) down_write(&(x).sem)
#define WSU(x) up_write(&(x).sem)

/* ---- contexts ---------------------------------------------------------------------------- */

/* The interrupt a case's irq events use: the selftest's -hardirq and -softirq headers. */
enum st_irq { IRQ_HARD, IRQ_SOFT };
extern enum st_irq st_irq;

/* Runs fn in a real hardirq on this CPU (a self-IPI that irq_work raises; the task must have
 * interrupts on).  threaded: the selftest's HARDIRQ_ENTER, which lockdep treats as a threaded
 * handler (spinlock_t allowed); false: a hard irq_work (IRQ_WORK_HARD_IRQ), the selftest's
 * NOTTHREADED_HARDIRQ. */
void st_hardirq(void (*fn)(void), bool threaded);
/* Runs fn in this CPU's softirq context (raise_softirq() from a task with interrupts,
 * preemption and bottom halves on runs it before it returns), with hardirqs off inside as the
 * selftest's SOFTIRQ_ENTER has them. */
void st_softirq(void (*fn)(void));
/* Runs fn in an NMI on this CPU: the suite's strategy injects one at this point. */
void st_nmi(void (*fn)(void));

/* The selftest's IRQ_ENTER/IRQ_EXIT, IRQ_DISABLE and IRQ_ENABLE, for the case's st_irq. */
void st_irq_run(void (*fn)(void));
void st_irq_disable(void);
void st_irq_enable(void);

/* ---- verdicts ---------------------------------------------------------------------------- */

/* Report families, named after lockdep's report titles.  A verdict is a set of families, any of
 * which the first report may be; 0 is lockdep's SUCCESS (no report at all). */
enum {
	F_AA = 1u << 0,		/* possible recursive locking detected */
	F_IRQ_AA = 1u << 1,	/* lockstep: an interrupt takes the instance its context holds */
	F_CYCLE = 1u << 2,	/* possible circular locking dependency detected */
	F_USAGE = 1u << 3,	/* inconsistent lock state */
	F_INVERSION = 1u << 4,	/* possible irq lock inversion dependency detected */
	F_ORDER = 1u << 5,	/* {HARD,SOFT}IRQ-safe -> {HARD,SOFT}IRQ-unsafe lock order detected */
	F_UNLOCK = 1u << 6,	/* bad unlock balance detected */
	F_FREED = 1u << 7,	/* held lock freed */
	F_WAIT = 1u << 8,	/* Invalid wait context */
	F_EXIT = 1u << 9,	/* a context ended holding a lock */
	F_SLEEP = 1u << 10,	/* lockstep's might_sleep(): sleeping function called from invalid
				 * context, which ends the execution before the validator's check */
	F_OTHER = 1u << 11,	/* a report this suite does not know */
};
#define F_NFAMILIES 12
/* Lockdep's irq-safety reports: one rule, seen from whichever side the last event completes. */
#define F_IRQ (F_USAGE | F_INVERSION | F_ORDER)
#define SUCCESS 0u

enum st_mode { M_DEFAULT, M_COMPAT, M_NMODES };

struct st_case {
	char name[56];
	/* The body: run(), or ev[] in the order perm names ("312": ev[2], ev[0], ev[1]). */
	void (*run)(void);
	void (*ev[3])(void);
	char perm[4];
	enum st_kind kind;
	enum st_irq irq;
	bool queued;		/* read_lock() in a task is a non-recursive read (force = 0) */
	unsigned expect[M_NMODES];
};

/* Registers a case whose verdict is the same in both modes (a mirrored selftest case); a case
 * whose modes differ sets expect[M_COMPAT] on the result. */
struct st_case *st_add(const char *name, void (*run)(void), enum st_kind kind, unsigned expect);
/* The same for a permutation case: name is the stem, perm is appended ("_123"). */
struct st_case *st_add_perm(const char *stem, void (*const ev[3])(void), const char *perm,
			    enum st_kind kind, enum st_irq irq, unsigned expect);
/* Adds every permutation of n (2 or 3) events: the selftest's GENERATE_PERMUTATIONS_*. */
void st_add_perms(const char *stem, void (*const ev[3])(void), int n, enum st_kind kind,
		  enum st_irq irq, unsigned expect);

extern struct st_case st_cases[];
extern int st_ncases;

/* The target whose variant i runs st_cases[i]; ready once every case is registered. */
extern struct ls_target st_target;
void st_target_ready(void);

/* st_nmi() loads the marker with st_nmi_wanted set; the suite's strategy injects an NMI there. */
extern int st_nmi_marker;
extern bool st_nmi_wanted;

/* Each cases_*.c file registers its cases. */
void st_cases_basic(void);
void st_cases_rwlock(void);
void st_cases_irq(void);
void st_cases_wait(void);
void st_cases_nest(void);
void st_cases_lockstep(void);

#endif

/* The model library: kernel primitives under their kernel names, each operation on shared state a
 * scheduling point.  Targets include this header and read like the kernel code they model.
 *
 * This is the first slice of the library: atomic_t, READ_ONCE/WRITE_ONCE, interrupt and
 * preemption control, context queries, and a test-and-set spinlock_t.  Every macro passes the
 * caller's source site, so reports point at the target's line, not at the library.
 *
 * Concurrency contract: all operations may be called from any context (task, hardirq, NMI); the
 * scheduler serialises them, and each runs atomically at its point.
 */
#ifndef LOCKSTEP_KERNEL_H
#define LOCKSTEP_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include <lockstep/runtime.h>

/* ---- objects: names for reports ---------------------------------------------------------- */

/* Registers a named object so reports can say "lock_a (held by t1)".  owner, if not NULL,
 * returns the id of the context holding it.  Registrations last until the next execution. */
void ls_object_register(const void *addr, unsigned size, const char *name,
			int (*owner)(const void *addr));
/* Forgets every registration; the executor calls it before each target init. */
void ls_objects_reset(void);
/* Installs the report hooks on the current machine. */
void ls_objects_install(void);

/* ---- atomics ----------------------------------------------------------------------------- */

typedef struct {
	int counter;
} atomic_t;

#define ATOMIC_INIT(i) { (i) }

static inline int ls_atomic_read(const atomic_t *v, const struct ls_site *site)
{
	ls_point(LS_OP_LOAD, v, site);
	return v->counter;
}

static inline void ls_atomic_set(atomic_t *v, int i, const struct ls_site *site)
{
	ls_point(LS_OP_STORE, v, site);
	v->counter = i;
	ls_wrote(v);
}

static inline int ls_atomic_cmpxchg(atomic_t *v, int old, int new, const struct ls_site *site)
{
	ls_point(LS_OP_RMW, v, site);
	int cur = v->counter;
	if (cur == old) {
		v->counter = new;
		ls_wrote(v);
	}
	return cur;
}

static inline int ls_atomic_xchg(atomic_t *v, int new, const struct ls_site *site)
{
	ls_point(LS_OP_RMW, v, site);
	int cur = v->counter;
	v->counter = new;
	ls_wrote(v);
	return cur;
}

static inline int ls_atomic_fetch_add(atomic_t *v, int i, const struct ls_site *site)
{
	ls_point(LS_OP_RMW, v, site);
	int cur = v->counter;
	v->counter = cur + i;
	ls_wrote(v);
	return cur;
}

#define atomic_read(v) ls_atomic_read((v), LS_SITE("atomic_read"))
#define atomic_set(v, i) ls_atomic_set((v), (i), LS_SITE("atomic_set"))
#define atomic_cmpxchg(v, o, n) ls_atomic_cmpxchg((v), (o), (n), LS_SITE("atomic_cmpxchg"))
#define atomic_xchg(v, n) ls_atomic_xchg((v), (n), LS_SITE("atomic_xchg"))
#define atomic_fetch_add(i, v) ls_atomic_fetch_add((v), (i), LS_SITE("atomic_fetch_add"))
#define atomic_add_return(i, v) (ls_atomic_fetch_add((v), (i), LS_SITE("atomic_add_return")) + (i))
#define atomic_inc(v) ((void)ls_atomic_fetch_add((v), 1, LS_SITE("atomic_inc")))
#define atomic_dec(v) ((void)ls_atomic_fetch_add((v), -1, LS_SITE("atomic_dec")))

/* Plain shared int accesses with a scheduling point, for flags and counters in targets. */
static inline int ls_read_once(const int *p, const struct ls_site *site)
{
	ls_point(LS_OP_LOAD, p, site);
	return *p;
}

static inline void ls_write_once(int *p, int v, const struct ls_site *site)
{
	ls_point(LS_OP_STORE, p, site);
	*p = v;
	ls_wrote(p);
}

#define READ_ONCE(x) ls_read_once(&(x), LS_SITE("READ_ONCE(" #x ")"))
#define WRITE_ONCE(x, v) ls_write_once(&(x), (v), LS_SITE("WRITE_ONCE(" #x ")"))

/* ---- context and interrupt state --------------------------------------------------------- */

#define smp_processor_id() ls_cpu()
#define in_nmi() (ls_ctx_kind() == LS_CTX_NMI)
#define in_hardirq() (ls_ctx_kind() == LS_CTX_HARDIRQ)
#define in_task() (ls_ctx_kind() == LS_CTX_TASK)
#define irqs_disabled() ls_irqs_disabled()
#define local_irq_save(flags) do { (flags) = ls_irq_save(); } while (0)
#define local_irq_restore(flags) ls_irq_restore(flags)
#define local_irq_disable() ls_irq_disable()
#define local_irq_enable() ls_irq_enable()
#define preempt_disable() ls_preempt_disable()
#define preempt_enable() ls_preempt_enable()

/* ---- spinlock_t -------------------------------------------------------------------------- */

/* A test-and-set lock: enough for the demos.  A waiter parks on the lock word until the holder's
 * release store, so waiting costs no steps.  The queued (FIFO) lock arrives with the full model
 * library. */
typedef struct {
	atomic_t val;		/* 0 unlocked, 1 locked */
	int owner;		/* context id of the holder, -1: for reports only */
	const char *name;
} spinlock_t;

#define DEFINE_SPINLOCK(x) spinlock_t x = { ATOMIC_INIT(0), -1, #x }

void ls_spin_lock_init(spinlock_t *lock, const char *name);
void ls_spin_lock(spinlock_t *lock, const struct ls_site *site);
bool ls_spin_trylock(spinlock_t *lock, const struct ls_site *site);
void ls_spin_unlock(spinlock_t *lock, const struct ls_site *site);

#define spin_lock_init(l) ls_spin_lock_init((l), #l)
#define spin_lock(l) ls_spin_lock((l), LS_SITE("spin_lock"))
#define spin_trylock(l) ls_spin_trylock((l), LS_SITE("spin_trylock"))
#define spin_unlock(l) ls_spin_unlock((l), LS_SITE("spin_unlock"))
#define spin_lock_irqsave(l, flags)                                   \
	do {                                                          \
		(flags) = ls_irq_save();                              \
		ls_spin_lock((l), LS_SITE("spin_lock_irqsave"));      \
	} while (0)
#define spin_unlock_irqrestore(l, flags)                              \
	do {                                                          \
		ls_spin_unlock((l), LS_SITE("spin_unlock_irqrestore")); \
		ls_irq_restore(flags);                                \
	} while (0)

#endif

/* The model library: kernel primitives under their kernel names, each operation on shared state a
 * scheduling point.  Targets include this header and read like the kernel code they model.
 *
 * It holds atomic_t, READ_ONCE/WRITE_ONCE, interrupt and preemption control, context
 * queries, the locks (spinlock.h, mutex.h, rwsem.h) and the task, mm and page-fault model
 * (mm.h).  Every macro passes the caller's source site, so reports point at the target's line,
 * not at the library.
 *
 * Concurrency contract: all operations may be called from any context (task, hardirq, NMI),
 * except those that may sleep (mutex, rwsem, faulting user accesses: might_sleep() in mutex.h);
 * the scheduler serialises them, and each runs atomically at its point.
 */
#ifndef LOCKSTEP_KERNEL_H
#define LOCKSTEP_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockstep/runtime.h>
#include <lockstep/err.h>
#include <lockstep/atomic.h>
#include <lockstep/percpu.h>
#include <lockstep/lockdep.h>
#include <lockstep/spinlock.h>
#include <lockstep/rwlock.h>
#include <lockstep/mutex.h>
#include <lockstep/rwsem.h>
#include <lockstep/mm.h>
#include <lockstep/llist.h>
#include <lockstep/irq_work.h>
#include <lockstep/rqspinlock.h>
#include <lockstep/mmap_unlock_work.h>
#include <lockstep/softirq.h>
#include <lockstep/trace.h>

/* The structure of `type` whose `member` is at ptr. */
#define container_of(ptr, type, member)                                                         \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Busy-waits of the given virtual duration (the CPU stays occupied; NMIs may still land). */
void ls_delay_ns(uint64_t ns, const struct ls_site *site);
#define ndelay(ns) ls_delay_ns((uint64_t)(ns), LS_SITE("ndelay"))
#define udelay(us) ls_delay_ns((uint64_t)(us) * 1000ull, LS_SITE("udelay"))
#define mdelay(ms) ls_delay_ns((uint64_t)(ms) * 1000000ull, LS_SITE("mdelay"))

/* ---- objects: names for reports ---------------------------------------------------------- */

/* Whom context `waiter`, parked on addr inside the object at obj, waits for (runtime.h): the
 * holder, or for a FIFO lock the waiter queued just ahead of it. */
typedef struct ls_blocker (*ls_blocker_fn)(const void *obj, const void *addr, int waiter);

/* Registers a named object so reports can say "lock_a (held by t1)".  blocker, if not NULL, says
 * whom a context parked on it waits for; the hang report's wait-for graph follows it.
 * Registrations last until the next execution. */
void ls_object_register(const void *addr, unsigned size, const char *name, ls_blocker_fn blocker);

/* Writes what the word at addr inside the object at obj (registered as name) stands for when the
 * name alone does not say it, e.g. whose queue a queue node is in and why its context waits on
 * it; returns false to let the report use the name. */
typedef bool (*ls_describe_fn)(const void *obj, const void *addr, const char *name, char *buf,
			       unsigned len);

/* ls_object_register() with a describe function, which a hang report calls for a context parked
 * on a word of the object (the step table and the timeline keep the name). */
void ls_object_register_described(const void *addr, unsigned size, const char *name,
				  ls_blocker_fn blocker, ls_describe_fn describe);
/* Forgets every registration; the executor calls it before each target init. */
void ls_objects_reset(void);
/* Installs the report hooks on the current machine. */
void ls_objects_install(void);

#endif

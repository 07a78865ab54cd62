/* The lock contention tracepoints, lock:contention_begin and lock:contention_end, as the queued
 * spinlock and rqspinlock slow paths fire them, and probes attached to them (a BPF program on a
 * tracepoint is such a probe; the kernel's bpf_trace_run*() recursion guard is the probe's own
 * business).
 *
 *   register_trace_contention_begin(probe, data)  probe(data, lock, flags) at every begin
 *   register_trace_contention_end(probe, data)    probe(data, lock, ret) at every end
 *
 * Probes run in the context that fires the tracepoint, at the point the kernel fires it, in the
 * order registered; up to LS_TRACE_PROBES of each.  Registrations last one execution: a target
 * registers its probes in its init hook.
 *
 * Where they fire:
 *   spinlock_t, raw_spinlock_t (a ticket lock standing in for the queued spinlock): begin when a
 *     context arrives to find a holder and a waiter already (a queued spinlock would send it to
 *     its `queue:` label; the first waiter spins on the pending bit and fires nothing), before it
 *     draws its ticket, as the queued spinlock fires it before xchg_tail() queues the waiter;
 *     the ticket is drawn at a point of its own after the probes; end(lock, 0) once that waiter
 *     holds the lock;
 *   rqspinlock: begin at `queue:`, after the AA check and the node count; end(lock, 0) at
 *     `release:`, end(lock, error) at `err_release_node:`.
 */
#ifndef LOCKSTEP_TRACE_H
#define LOCKSTEP_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#define LS_TRACE_PROBES 4

/* include/trace/events/lock.h's flags. */
#define LCB_F_SPIN (1U << 0)
#define LCB_F_READ (1U << 1)
#define LCB_F_WRITE (1U << 2)
#define LCB_F_RT (1U << 3)
#define LCB_F_PERCPU (1U << 4)
#define LCB_F_MUTEX (1U << 5)

typedef void (*ls_contention_begin_probe)(void *data, void *lock, unsigned int flags);
typedef void (*ls_contention_end_probe)(void *data, void *lock, int ret);

int register_trace_contention_begin(ls_contention_begin_probe probe, void *data);
int register_trace_contention_end(ls_contention_end_probe probe, void *data);

/* For lock models: fire the tracepoints.  Begin returns whether any probe ran: a probe runs
 * scheduling points, so what a model read before firing may have changed. */
bool ls_trace_contention_begin(void *lock, unsigned int flags);
void ls_trace_contention_end(void *lock, int ret);
/* For kernel backends (kshim's trace/events/lock.h): the kernel's own tracepoint calls, which
 * also tell the validator that a spin_lock() waits. */
void ls_kernel_contention_begin(void *lock, unsigned int flags);
void ls_kernel_contention_end(void *lock, int ret);
/* For kernel backends (ls_kshim.h's WRITE_ONCE()): a kernel file stored at addr. */
void ls_kernel_stored(const void *addr);
/* For kernel backends (ls_kshim.h's atomic_try_cmpxchg*()): a kernel file's successful
 * compare-and-exchange at addr, from old to new_. */
void ls_kernel_exchanged(const void *addr, unsigned int old, unsigned int new_);
/* For kernel backends (ls_kshim.h's smp_store_release()): a kernel file's release store at addr. */
void ls_kernel_released(const void *addr);
/* For kernel backends (asm/qspinlock.h): a kernel file set the pending bit of the word at addr. */
void ls_kernel_pending(const void *addr);
/* For kernel backends (ls_kshim.h's xchg*()): a kernel file's exchange of size bytes at addr. */
void ls_kernel_xchged(const void *addr, unsigned int size, uint64_t old, uint64_t new_);
/* For kernel backends (ls_kshim.h's ktime_get_mono_fast_ns()): virtual time, read by a kernel
 * file; rqspinlock's timeout check reads it where it decides that a wait timed out. */
uint64_t ls_kernel_clock(void);
/* For lock models: whether any contention probe is registered in this execution. */
bool ls_trace_contention_probed(void);
/* Forgets every probe: the model library's reset. */
void ls_trace_reset(void);

#endif

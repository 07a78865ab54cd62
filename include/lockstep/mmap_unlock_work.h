/* The deferred mmap_read_unlock() of BPF's stack and task_vma helpers (kernel/bpf/
 * mmap_unlock_work.h, kernel-spec §3.3), before and after the Aug 2026 "bpf: Fix mmap_lock leak
 * in irq_work path".
 *
 * A helper that read-locked current->mm with interrupts off must not unlock it there (up_read()
 * may wake a writer, and the wake-up takes rq->lock, which the program may already hold).  It
 * hands the unlock to this CPU's irq_work instead: work->mm = mm, tell lockdep the lock is gone
 * now, irq_work_queue().  The callback runs mmap_read_unlock_non_owner(work->mm) in hardirq
 * once the CPU takes interrupts.
 *
 * Before the fix, bpf_mmap_unlock_get_irq_work() only refuses a work whose callback is still to
 * run (irq_work_is_busy()), and bpf_mmap_unlock_mm() ignores irq_work_queue()'s result.  An NMI
 * between a caller's check and its queue passes the check too, locks and queues with its own mm;
 * the caller's queue then finds the work pending and does nothing, and one read hold is never
 * released.  After the fix, bpf_mmap_unlock_guard_get() also reserves the slot with a
 * cmpxchg_acquire of `active` before the trylock; the caller gives it back with
 * bpf_mmap_unlock_guard_put() on every path that does not queue, and the callback gives it back
 * once it consumed work->mm.
 *
 * A target picks the version in its init with ls_mmap_unlock_work_init(fixed), which also resets
 * every CPU's work.  PREEMPT_RT is off.
 */
#ifndef LOCKSTEP_MMAP_UNLOCK_WORK_H
#define LOCKSTEP_MMAP_UNLOCK_WORK_H

#include <stdbool.h>

#include <lockstep/atomic.h>
#include <lockstep/err.h>
#include <lockstep/irq_work.h>
#include <lockstep/mm.h>
#include <lockstep/percpu.h>

struct mmap_unlock_irq_work {
	struct irq_work irq_work;
	struct mm_struct *mm;
	atomic_t active;	/* the fix: the slot is taken until the callback ran */
};

DECLARE_PER_CPU(struct mmap_unlock_irq_work, mmap_unlock_work);

/* Resets every CPU's work; fixed selects the version after the Aug 2026 fix. */
void ls_mmap_unlock_work_init(bool fixed);

/* Before the fix: with interrupts off, *work_ptr = this CPU's work, and true if its callback is
 * still to run (the caller must then report IPs only); with interrupts on, NULL and false. */
bool bpf_mmap_unlock_get_irq_work(struct mmap_unlock_irq_work **work_ptr);
/* After the fix: NULL with interrupts on; this CPU's work with its slot reserved; or
 * ERR_PTR(-EBUSY) when the work is busy or the slot taken. */
struct mmap_unlock_irq_work *bpf_mmap_unlock_guard_get(void);
/* Gives a reserved slot back (NULL: nothing to do). */
void bpf_mmap_unlock_guard_put(struct mmap_unlock_irq_work *work);
/* Unlocks mm now (work NULL) or through the work. */
void bpf_mmap_unlock_mm(struct mmap_unlock_irq_work *work, struct mm_struct *mm);

/* End-of-execution check: every CPU's work idle (not pending, not running) and, after the fix,
 * its slot given back.  ls_fail()s otherwise. */
void ls_mmap_unlock_work_check(void);

#endif

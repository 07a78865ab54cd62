/* <asm/qspinlock.h>: x86's, over the generic queued spinlock from the kernel tree.
 *
 * What x86 changes of the generic code (arch/x86/include/asm/qspinlock.h): a waiter that finds a
 * pending->locked hand-over in flight re-reads the word up to 2^9 times before it queues, and
 * setting the pending bit is a locked bit-test-and-set followed by a plain read of the rest of
 * the word, not one fetch_or: two accesses, with room between them for another CPU.  The
 * paravirt hooks are off (no CONFIG_PARAVIRT_SPINLOCKS). */
#ifndef LS_KSHIM_ASM_QSPINLOCK_H
#define LS_KSHIM_ASM_QSPINLOCK_H
#include <ls_kshim.h>
#include <asm-generic/qspinlock_types.h>

#define _Q_PENDING_LOOPS (1 << 9)

#define queued_fetch_set_pending_acquire queued_fetch_set_pending_acquire
static __always_inline u32 queued_fetch_set_pending_acquire(struct qspinlock *lock)
{
	/* The old pending bit, from the bit-test-and-set (a full barrier on x86)... */
	u32 val = (u32)atomic_fetch_or(_Q_PENDING_VAL, &lock->val) & _Q_PENDING_VAL;
	/* The bit was clear: this context is the lock's pending waiter (ls_kshim.h). */
	if (!val)
		ls_kernel_pending(lock);
	/* ...then the tail and the locked byte as they are now. */
	val |= (u32)atomic_read(&lock->val) & ~_Q_PENDING_MASK;
	return val;
}

#include <asm-generic/qspinlock.h>
#endif

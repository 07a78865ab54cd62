/* <asm/rqspinlock.h>: x86's, without paravirt: the generic resilient spinlock from the tree, and
 * how a waiter samples the clock.
 *
 * On x86, RES_CHECK_TIMEOUT() looks at the clock once every 2^16 turns of the spin loop (a u16
 * counter wraps): every 655 us of spinning at 10 ns a turn.  Here a spin parks, so counting turns
 * would never reach a look at the clock.  This file defines res_smp_cond_load_acquire(), the
 * hook an architecture defines to do the timing itself (arm64 does), so kernel/bpf/rqspinlock.c
 * evaluates its timeout check at every look; and the wait parks on the word with a deadline of
 * those 655 us.  A waiter thus checks timeouts and deadlocks when the word changes and every
 * 2^16 turns' time, as an x86 spinner does (src/model/rqspinlock.c's CHECK_PERIOD is the same).
 */
#ifndef LS_KSHIM_ASM_RQSPINLOCK_H
#define LS_KSHIM_ASM_RQSPINLOCK_H
#include <ls_kshim.h>

#define LS_KSHIM_SPIN_SAMPLE_NS (65536ull * 10)

#define res_smp_cond_load_acquire(ptr, cond_expr)                                               \
	({                                                                                       \
		__typeof__(ptr) ls_rp_ = (ptr);                                                   \
		__typeof__(*ls_rp_) VAL;                                                          \
		for (;;) {                                                                       \
			LS_MEMPOINT_(LS_OP_LOAD, ls_rp_, sizeof(*ls_rp_),                           \
				     LS_SITE("res_smp_cond_load_acquire"));                      \
			VAL = LS_MEM_LOAD_(ls_rp_);                                                \
			if (cond_expr)                                                           \
				break;                                                           \
			/* The check's own points may have let a store through: look again. */  \
			if (LS_MEM_ON_ ? !ls_mem_may_park(ls_rp_, sizeof(*ls_rp_))                \
				       : LS_RD(ls_rp_) != VAL)                                    \
				continue;                                                        \
			ls_park(ls_rp_, ls_now() + LS_KSHIM_SPIN_SAMPLE_NS,                       \
				LS_SITE("res_smp_cond_load_acquire"));                            \
		}                                                                                \
		VAL;                                                                             \
	})

#include <asm-generic/rqspinlock.h>
#endif

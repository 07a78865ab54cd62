/* <asm/mcs_spinlock.h>: the generic MCS hooks, from the kernel tree. */
#ifndef LS_KSHIM_ASM_MCS_SPINLOCK_H
#define LS_KSHIM_ASM_MCS_SPINLOCK_H
#include <ls_kshim.h>
#include <asm-generic/mcs_spinlock.h>
#endif

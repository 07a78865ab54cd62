/* <asm/qspinlock.h>: the generic queued spinlock, from the kernel tree. */
#ifndef LS_KSHIM_ASM_QSPINLOCK_H
#define LS_KSHIM_ASM_QSPINLOCK_H
#include <ls_kshim.h>
#include <asm-generic/qspinlock.h>
#endif

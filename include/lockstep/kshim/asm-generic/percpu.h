/* <asm-generic/percpu.h>: per-CPU data keeps the kernel's offsets (ls_kshim.h). */
#ifndef LS_KSHIM_ASM_GENERIC_PERCPU_H
#define LS_KSHIM_ASM_GENERIC_PERCPU_H
#include <ls_kshim.h>
#endif

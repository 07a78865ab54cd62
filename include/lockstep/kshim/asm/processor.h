/* <asm/processor.h>: cpu_relax() is lockstep's (<lockstep/atomic.h>). */
#ifndef LS_KSHIM_ASM_PROCESSOR_H
#define LS_KSHIM_ASM_PROCESSOR_H
#include <ls_kshim.h>
#endif

/* <asm/irq_work.h>: x86 raises irq_work with a self-interrupt (glue/runtime.c's arch_irq_work_raise()). */
#ifndef LS_KSHIM_ASM_IRQ_WORK_H
#define LS_KSHIM_ASM_IRQ_WORK_H
#include <ls_kshim.h>
static inline bool arch_irq_work_has_interrupt(void)
{
	return true;
}
#endif

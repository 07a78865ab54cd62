/* <linux/cpu.h>: ls_kshim.h has what kernel files use of it. */
#ifndef LS_KSHIM_LINUX_CPU_H
#define LS_KSHIM_LINUX_CPU_H
#include <ls_kshim.h>
#endif

/* <linux/cpumask.h>: ls_kshim.h has what kernel files use of it. */
#ifndef LS_KSHIM_LINUX_CPUMASK_H
#define LS_KSHIM_LINUX_CPUMASK_H
#include <ls_kshim.h>
#endif

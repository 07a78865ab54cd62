/* <linux/percpu.h>: ls_kshim.h has what kernel files use of it. */
#ifndef LS_KSHIM_LINUX_PERCPU_H
#define LS_KSHIM_LINUX_PERCPU_H
#include <ls_kshim.h>
#endif

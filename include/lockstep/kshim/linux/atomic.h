/* <linux/atomic.h>: atomic_t and its operations are lockstep's (<lockstep/atomic.h>, via ls_kshim.h). */
#ifndef LS_KSHIM_LINUX_ATOMIC_H
#define LS_KSHIM_LINUX_ATOMIC_H
#include <ls_kshim.h>
#endif

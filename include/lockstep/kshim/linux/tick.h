/* <linux/tick.h>: lockstep's CPUs have no periodic tick, which is the kernel's state with the tick
 * stopped (NOHZ): there the kernel raises a lazy irq_work's interrupt at once, as it does here. */
#ifndef LS_KSHIM_LINUX_TICK_H
#define LS_KSHIM_LINUX_TICK_H
#include <ls_kshim.h>
#define tick_nohz_tick_stopped() true
#endif

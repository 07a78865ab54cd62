/* <linux/timekeeping.h>: ktime_get_mono_fast_ns() and friends read virtual time (ls_kshim.h). */
#ifndef LS_KSHIM_LINUX_TIMEKEEPING_H
#define LS_KSHIM_LINUX_TIMEKEEPING_H
#include <ls_kshim.h>
#endif

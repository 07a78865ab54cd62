/* <linux/rcuwait.h>: the rcuwait of PREEMPT_RT's irq_work_sync(), which the shims' configuration never takes. */
#ifndef LS_KSHIM_LINUX_RCUWAIT_H
#define LS_KSHIM_LINUX_RCUWAIT_H
#include <ls_kshim.h>
#define __RCUWAIT_INITIALIZER(name) { .task = NULL }
/* A wait for cond in a kernel that sleeps: here each check is a point. */
#define rcuwait_wait_event(w, cond, state)                                                      \
	({                                                                                       \
		while (!(cond))                                                                  \
			cpu_relax();                                                             \
		0;                                                                               \
	})
#define rcuwait_wake_up(w) ((void)(w))
#endif

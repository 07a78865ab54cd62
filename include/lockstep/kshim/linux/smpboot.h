/* <linux/smpboot.h>: per-CPU threads (PREEMPT_RT's irq_work threads): registered never. */
#ifndef LS_KSHIM_LINUX_SMPBOOT_H
#define LS_KSHIM_LINUX_SMPBOOT_H
#include <ls_kshim.h>
struct smp_hotplug_thread {
	struct task_struct **store;
	void (*setup)(unsigned int cpu);
	int (*thread_should_run)(unsigned int cpu);
	void (*thread_fn)(unsigned int cpu);
	const char *thread_comm;
};
#define smpboot_register_percpu_thread(t) ((void)(t), 0)
#endif

/* <linux/mutex.h>: included by qspinlock.c, which uses nothing of it; a kernel file that takes a mutex needs more. */
#ifndef LS_KSHIM_LINUX_MUTEX_H
#define LS_KSHIM_LINUX_MUTEX_H
#include <ls_kshim.h>
#endif

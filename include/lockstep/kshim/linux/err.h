/* <linux/err.h>: rqspinlock.c includes it; nothing of it is used there. */
#ifndef LS_KSHIM_LINUX_ERR_H
#define LS_KSHIM_LINUX_ERR_H
#include <ls_kshim.h>
#endif

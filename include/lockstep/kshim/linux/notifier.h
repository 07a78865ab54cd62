/* <linux/notifier.h>: ls_kshim.h has what kernel files use of it. */
#ifndef LS_KSHIM_LINUX_NOTIFIER_H
#define LS_KSHIM_LINUX_NOTIFIER_H
#include <ls_kshim.h>
#endif

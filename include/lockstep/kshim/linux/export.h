/* <linux/export.h>: ls_kshim.h has what kernel files use of it. */
#ifndef LS_KSHIM_LINUX_EXPORT_H
#define LS_KSHIM_LINUX_EXPORT_H
#include <ls_kshim.h>
#endif

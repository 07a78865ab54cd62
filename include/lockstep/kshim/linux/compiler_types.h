/* <linux/compiler_types.h>: ls_kshim.h has what kernel files use of it. */
#ifndef LS_KSHIM_LINUX_COMPILER_TYPES_H
#define LS_KSHIM_LINUX_COMPILER_TYPES_H
#include <ls_kshim.h>
#endif

/* <linux/container_of.h>: ls_kshim.h has what kernel files use of it. */
#ifndef LS_KSHIM_LINUX_CONTAINER_OF_H
#define LS_KSHIM_LINUX_CONTAINER_OF_H
#include <ls_kshim.h>
#endif

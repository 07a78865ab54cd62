/* <linux/kasan.h>: no KASAN. */
#ifndef LS_KSHIM_LINUX_KASAN_H
#define LS_KSHIM_LINUX_KASAN_H
#include <ls_kshim.h>
#define kasan_record_aux_stack_noalloc(p) ((void)(p))
#define kasan_record_aux_stack(p) ((void)(p))
#endif

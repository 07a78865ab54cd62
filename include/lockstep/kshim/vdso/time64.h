/* <vdso/time64.h>: NSEC_PER_SEC and friends (ls_kshim.h). */
#ifndef LS_KSHIM_VDSO_TIME64_H
#define LS_KSHIM_VDSO_TIME64_H
#include <ls_kshim.h>
#endif

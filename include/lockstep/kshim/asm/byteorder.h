/* <asm/byteorder.h>: little-endian (ls_kshim.h defines __LITTLE_ENDIAN). */
#ifndef LS_KSHIM_ASM_BYTEORDER_H
#define LS_KSHIM_ASM_BYTEORDER_H
#include <ls_kshim.h>
#endif

/* A growable text buffer for traces and reports (never used on the execution hot path). */
#ifndef LS_BUF_H
#define LS_BUF_H

#include <stddef.h>

struct ls_buf {
	char *s;
	size_t len, cap;
};

void ls_buf_printf(struct ls_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ls_buf_reset(struct ls_buf *b);
/* Says "lockstep: out of memory[ for WHAT]" and exits 3, the internal-error code. */
_Noreturn void ls_out_of_memory(const char *what);
void ls_buf_finish(struct ls_buf *b);

/* Makes room for one more element in v, an array of *cap elements of `size` bytes holding n:
 * doubles it (from 16) when full.  Returns the array, or NULL (v still valid) out of memory. */
void *ls_grow(void *v, int *cap, int n, size_t size);

/* FNV-1a, 64 bits: signature hashes and trace checksums. */
unsigned long long ls_fnv1a(const void *data, size_t len);
/* The same over data given in pieces: start from LS_FNV1A_INIT, feed each piece in order. */
#define LS_FNV1A_INIT 0xcbf29ce484222325ull
unsigned long long ls_fnv1a_more(unsigned long long h, const void *data, size_t len);

#endif

/* Text buffers and the hash used for signatures and checksums. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ls_buf_printf(struct ls_buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s)
			ls_out_of_memory(NULL);
		b->s = s;
		b->cap = cap;
	}
}

void ls_out_of_memory(const char *what)
{
	fprintf(stderr, "lockstep: out of memory%s%s\n", what ? " for " : "", what ? what : "");
	exit(3);
}

void ls_buf_reset(struct ls_buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = 0;
}

void ls_buf_finish(struct ls_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

unsigned long long ls_fnv1a_more(unsigned long long h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

unsigned long long ls_fnv1a(const void *data, size_t len)
{
	return ls_fnv1a_more(LS_FNV1A_INIT, data, len);
}

void *ls_grow(void *v, int *cap, int n, size_t size)
{
	if (n < *cap)
		return v;
	int c = *cap ? 2 * *cap : 16;
	void *p = realloc(v, (size_t)c * size);
	if (p)
		*cap = c;
	return p;
}

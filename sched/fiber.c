/* Fiber stacks, first frames and the switch wrapper that keeps AddressSanitizer informed.
 * The register work itself is in switch_<arch>.S; ucontext stands in elsewhere. */
#define _GNU_SOURCE
#include "fiber.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define LS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LS_ASAN 1
#endif
#endif

#ifdef LS_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* The guard below each stack turns an overflow in a target into SIGSEGV, not silent corruption.
 * It costs address space only; 64 KiB catches frames that skip pages in code built without
 * -fstack-clash-protection (which the build and lockstep.pc's flags turn on). */
#define GUARD_BYTES (64 * 1024)

static size_t guard_bytes(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (GUARD_BYTES + page - 1) & ~(page - 1);
}

bool ls_fiber_create_stack(struct ls_fiber *f, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), guard = guard_bytes();
	size = (size + page - 1) & ~(page - 1);
	char *map = mmap(NULL, size + guard, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return false;
	if (mprotect(map, guard, PROT_NONE) != 0) {
		munmap(map, size + guard);
		return false;
	}
	memset(f, 0, sizeof(*f));
	f->stack = map + guard;
	f->stack_size = size;
	return true;
}

void ls_fiber_destroy_stack(struct ls_fiber *f)
{
	if (!f || !f->stack)
		return;
	size_t guard = guard_bytes();
	munmap(f->stack - guard, f->stack_size + guard);
	f->stack = NULL;
}

void ls_fiber_init_main(struct ls_fiber *f)
{
	memset(f, 0, sizeof(*f));
#ifdef LS_ASAN
	/* ASan needs the bounds of the stack it switches back to. */
	pthread_attr_t attr;
	void *addr;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			f->stack = addr;
			f->stack_size = size;
		}
		pthread_attr_destroy(&attr);
	}
#endif
}

/* The first C code a fiber runs.  It never returns: f->fn ends by switching away for good. */
static void fiber_entry(struct ls_fiber *f)
{
#ifdef LS_ASAN
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
	f->fn(f->arg);
	fprintf(stderr, "lockstep: internal error: a fiber entry returned\n");
	abort();
}

#ifdef LS_FIBER_UCONTEXT

static struct ls_fiber *uc_starting;

static void uc_entry(void)
{
	fiber_entry(uc_starting);
}

void ls_fiber_init(struct ls_fiber *f, ls_fiber_fn fn, void *arg)
{
	f->fn = fn;
	f->arg = arg;
	getcontext(&f->uc);
	f->uc.uc_stack.ss_sp = f->stack;
	f->uc.uc_stack.ss_size = f->stack_size;
	f->uc.uc_link = NULL;
	makecontext(&f->uc, uc_entry, 0);
}

static void swap(struct ls_fiber *from, struct ls_fiber *to)
{
	uc_starting = to;
	swapcontext(&from->uc, &to->uc);
}

#else

void ls_fiber_swap(void **save_sp, void *new_sp);
void ls_fiber_trampoline(void);

void ls_fiber_init(struct ls_fiber *f, ls_fiber_fn fn, void *arg)
{
	f->fn = fn;
	f->arg = arg;
#ifdef LS_ASAN
	/* Frames abandoned on this stack by an earlier execution left their redzones poisoned. */
	__asan_unpoison_memory_region(f->stack, f->stack_size);
#endif
	uintptr_t top = ((uintptr_t)(f->stack + f->stack_size)) & ~(uintptr_t)15;
	uint64_t *frame;
#if defined(__x86_64__)
	/* Popped by ls_fiber_swap, lowest first: control words, r15, r14, r13, r12, rbx, rbp,
	 * return address.  After the ret, rsp == top, which is 16-byte aligned. */
	frame = (uint64_t *)(top - 8 * 8);
	frame[0] = 0x1f80 | ((uint64_t)0x037f << 32);	/* MXCSR default, x87 CW default */
	frame[1] = 0;					/* r15 */
	frame[2] = 0;					/* r14 */
	frame[3] = (uint64_t)(uintptr_t)fiber_entry;	/* r13 */
	frame[4] = (uint64_t)(uintptr_t)f;		/* r12 */
	frame[5] = 0;					/* rbx */
	frame[6] = 0;					/* rbp: ends frame-pointer walks */
	frame[7] = (uint64_t)(uintptr_t)ls_fiber_trampoline;
#elif defined(__aarch64__)
	frame = (uint64_t *)(top - 160);
	memset(frame, 0, 160);
	frame[0] = (uint64_t)(uintptr_t)f;		/* x19 */
	frame[1] = (uint64_t)(uintptr_t)fiber_entry;	/* x20 */
	frame[10] = 0;					/* x29 */
	frame[11] = (uint64_t)(uintptr_t)ls_fiber_trampoline; /* x30 */
#endif
	f->sp = frame;
}

static void swap(struct ls_fiber *from, struct ls_fiber *to)
{
	ls_fiber_swap(&from->sp, to->sp);
}

#endif

void ls_fiber_switch(struct ls_fiber *from, struct ls_fiber *to)
{
#ifdef LS_ASAN
	__sanitizer_start_switch_fiber(&from->asan_fake, to->stack, to->stack_size);
	swap(from, to);
	__sanitizer_finish_switch_fiber(from->asan_fake, NULL, NULL);
#else
	swap(from, to);
#endif
}

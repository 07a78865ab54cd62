/* Fibers: a stack and a saved stack pointer, switched by a short routine per architecture.
 *
 * The scheduler runs every simulated context (task, hardirq, NMI) on a fiber of its own and
 * switches between them cooperatively.  x86-64 and aarch64 use a dozen lines of assembly
 * (switch_x86_64.S, switch_aarch64.S) that save only the callee-saved registers; any other
 * architecture falls back to ucontext, which is correct but makes a system call per switch.
 *
 * Under AddressSanitizer every switch is announced with __sanitizer_start_switch_fiber and
 * __sanitizer_finish_switch_fiber so ASan knows which stack is live, and a stack is unpoisoned
 * when it is reused, since an abandoned fiber (say, one left parked by a deadlock) never
 * unwinds the redzones of its frames.
 */
#ifndef LS_FIBER_H
#define LS_FIBER_H

#include <stdbool.h>
#include <stddef.h>

#if !defined(__x86_64__) && !defined(__aarch64__)
#define LS_FIBER_UCONTEXT 1
#include <ucontext.h>
#endif

typedef void (*ls_fiber_fn)(void *arg);

struct ls_fiber {
	void *sp;		/* saved stack pointer while switched out (asm backends) */
	char *stack;		/* lowest usable byte; NULL for the thread's own stack */
	size_t stack_size;
	ls_fiber_fn fn;		/* entry, called once per ls_fiber_init() */
	void *arg;
	void *asan_fake;	/* ASan fake-stack handle saved across a switch */
#ifdef LS_FIBER_UCONTEXT
	ucontext_t uc;
#endif
};

/* Allocates a stack with a guard page below it.  Returns false if the mapping fails. */
bool ls_fiber_create_stack(struct ls_fiber *f, size_t size);
void ls_fiber_destroy_stack(struct ls_fiber *f);

/* Describes the calling thread's own stack as a fiber, the one every execution returns to. */
void ls_fiber_init_main(struct ls_fiber *f);

/* Prepares f to run fn(arg) from the top of its stack on the next switch into it.  fn must never
 * return: it ends by switching away for good.  Must not be called while running on f. */
void ls_fiber_init(struct ls_fiber *f, ls_fiber_fn fn, void *arg);

/* Saves the current state into from and resumes to.  Returns when something switches back. */
void ls_fiber_switch(struct ls_fiber *from, struct ls_fiber *to);

#endif

/* Suite `switch`: the fiber layer on its own, without the machine. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fiber.h"

#define STACK (64 * 1024)

static struct ls_fiber main_f, fib_a, fib_b;

/* ---- ping-pong: main -> a -> b -> main, many rounds -------------------------------------- */

#define ROUNDS 100000
static long trail[3];
static int order_errors;
static int last;	/* 0 main, 1 a, 2 b: who ran last */

static void note(int who)
{
	int expect = (who + 2) % 3;	/* a after main, b after a, main after b */
	if (last != expect)
		order_errors++;
	last = who;
	trail[who]++;
}

static void a_fn(void *arg)
{
	(void)arg;
	for (;;) {
		note(1);
		ls_fiber_switch(&fib_a, &fib_b);
	}
}

static void b_fn(void *arg)
{
	(void)arg;
	for (;;) {
		note(2);
		ls_fiber_switch(&fib_b, &main_f);
	}
}

static int test_ping_pong_runs_every_fiber_in_order(void)
{
	ls_fiber_init_main(&main_f);
	CHECK(ls_fiber_create_stack(&fib_a, STACK));
	CHECK(ls_fiber_create_stack(&fib_b, STACK));
	ls_fiber_init(&fib_a, a_fn, NULL);
	ls_fiber_init(&fib_b, b_fn, NULL);
	last = 2;
	for (int i = 0; i < ROUNDS; i++) {
		note(0);
		ls_fiber_switch(&main_f, &fib_a);
	}
	CHECKF(order_errors == 0, "%d out-of-order switches", order_errors);
	CHECK(trail[0] == ROUNDS && trail[1] == ROUNDS && trail[2] == ROUNDS);
	ls_fiber_destroy_stack(&fib_a);
	ls_fiber_destroy_stack(&fib_b);
	return TEST_PASS;
}

/* ---- callee-saved registers survive a switch --------------------------------------------- */

#if defined(__x86_64__)
int ls_test_regs_check(struct ls_fiber *from, struct ls_fiber *to);
void ls_test_regs_clobber(struct ls_fiber *from, struct ls_fiber *to);

static void clobber_fn(void *arg)
{
	(void)arg;
	for (;;)
		ls_test_regs_clobber(&fib_a, &main_f);
}
#endif

static int test_callee_saved_registers_survive_a_switch(void)
{
#if defined(__x86_64__)
	ls_fiber_init_main(&main_f);
	CHECK(ls_fiber_create_stack(&fib_a, STACK));
	ls_fiber_init(&fib_a, clobber_fn, NULL);
	for (int i = 0; i < 100; i++) {
		int bad = ls_test_regs_check(&main_f, &fib_a);
		CHECKF(bad == 0, "round %d: %d callee-saved registers changed", i, bad);
	}
	ls_fiber_destroy_stack(&fib_a);
	return TEST_PASS;
#else
	return TEST_SKIP;
#endif
}

/* ---- a fiber's stack is aligned for SSE ---------------------------------------------------- */

static int align_frame_ok, align_local_ok, printf_ok;
static char printed[64];

static __attribute__((noinline)) void aligned_work(void)
{
	_Alignas(16) char buf[16];
	memset(buf, 0, sizeof(buf));
	align_frame_ok = ((uintptr_t)__builtin_frame_address(0) & 15) == 0;
	align_local_ok = ((uintptr_t)buf & 15) == 0;
	volatile double d = 3.25;
	snprintf(printed, sizeof(printed), "%f %.2f", d, d * 2);
	printf_ok = strcmp(printed, "3.250000 6.50") == 0;
}

static void align_fn(void *arg)
{
	(void)arg;
	aligned_work();
	ls_fiber_switch(&fib_a, &main_f);
	for (;;)
		ls_fiber_switch(&fib_a, &main_f);
}

static int test_fiber_stack_is_16_byte_aligned(void)
{
	ls_fiber_init_main(&main_f);
	CHECK(ls_fiber_create_stack(&fib_a, STACK));
	ls_fiber_init(&fib_a, align_fn, NULL);
	ls_fiber_switch(&main_f, &fib_a);
	CHECK(align_frame_ok);
	CHECK(align_local_ok);
	CHECKF(printf_ok, "snprintf printed '%s'", printed);
	ls_fiber_destroy_stack(&fib_a);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_ping_pong_runs_every_fiber_in_order, status);
	RUN(test_callee_saved_registers_survive_a_switch, status);
	RUN(test_fiber_stack_is_16_byte_aligned, status);
	return status;
}

/* AFL++ entry point: persistent mode over the shared-memory test case, the input a schedule
 * (harness.c says how bytes become decisions).
 *
 *	LOCKSTEP_TARGET=demo/abba:buggy afl-fuzz -i seeds/demo/abba -o out -- ./build/fuzz/lockstep-afl
 *
 * The fork server starts after ls_harness_init() (__AFL_INIT: the session, fibers and validator
 * are created once, before the fork), and each child runs up to LOOP_EXECS inputs.  Interleaving
 * coverage goes into AFL++'s own map, next to the edge counters of targets/ and src/model/: the
 * largest power of two that fits in the map the fuzzer set up (__afl_map_size, known once the
 * fork server is up).  Its counters share slots with the edges; AFL++ hashes edges into the map
 * in the same way, so a collision only blurs two signals, it never hides a crash.
 *
 * Without afl-fuzz the binary runs the input on stdin once: AFL++'s macros fall back to that. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>	/* read(): __AFL_FUZZ_TESTCASE_LEN outside afl-fuzz */

#include "harness.h"

#define LOOP_EXECS 10000	/* inputs per forked child before AFL++ forks a fresh one */

/* afl-compiler-rt: the map (a dummy until the fork server maps the shared one) and its size. */
extern uint8_t *__afl_area_ptr;
extern uint32_t __afl_map_size;

__AFL_FUZZ_INIT();

int main(void)
{
	ls_harness_init(getenv("LOCKSTEP_TARGET"));
	__AFL_INIT();

	size_t n = 1;
	while (2 * n <= __afl_map_size)
		n *= 2;
	ls_harness_set_counters(__afl_area_ptr, n);

	/* Must be read after __AFL_INIT and before __AFL_LOOP (AFL++'s persistent-mode docs). */
	const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(LOOP_EXECS)) {
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
		ls_harness_run(buf, len);
	}
	return 0;
}

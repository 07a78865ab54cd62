/* libFuzzer entry point: the input is a schedule (harness.c says how bytes become decisions).
 *
 *	LOCKSTEP_TARGET=demo/abba:buggy ./build/fuzz/lockstep-libfuzzer -seed=1 corpus/
 *
 * Interleaving coverage goes to libFuzzer's extra counters, which it treats like edge counters. */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

#define COUNTERS (1u << 14)

__attribute__((section("__libfuzzer_extra_counters"), used)) static uint8_t counters[COUNTERS];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ls_harness_init(getenv("LOCKSTEP_TARGET"));
	ls_harness_set_counters(counters, COUNTERS);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	return ls_harness_run(data, len);
}

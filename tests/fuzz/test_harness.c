/* Suite `fuzz`: the fuzz harness (fuzz/harness.c) on random byte strings.
 *
 *	test_fuzz_harness TARGET:VARIANT N SEED
 *
 * Runs N random inputs (lengths 0 to 600, a few long ones), the empty input and a 1 MiB one
 * through ls_harness_exec() on a variant whose expected result is "never": every input must run
 * to an end that is not a bug, and every input run twice must give the same outcome, steps and
 * decisions. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strategy.h"

static uint8_t cover[1u << 12];
static int failures;

static uint64_t next(uint64_t *s)
{
	*s += 1;
	return ls_mix64(*s);
}

static void check(const uint8_t *data, size_t len, const char *what)
{
	struct ls_result a, b;
	bool bug = ls_harness_exec(data, len, &a);
	if (bug) {
		fprintf(stderr, "FAIL %s (%zu bytes): %s: %s\n", what, len, ls_kind_name(a.kind),
			a.signature);
		failures++;
	}
	ls_harness_exec(data, len, &b);
	if (a.kind != b.kind || a.steps != b.steps || strcmp(a.signature, b.signature)) {
		fprintf(stderr, "FAIL %s (%zu bytes): not deterministic: %s/%" PRIu64 " then "
				"%s/%" PRIu64 "\n", what, len, ls_kind_name(a.kind), a.steps,
			ls_kind_name(b.kind), b.steps);
		failures++;
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s TARGET:VARIANT N SEED\n", argv[0]);
		return 2;
	}
	ls_harness_init(argv[1]);
	ls_harness_set_counters(cover, sizeof(cover));
	long n = atol(argv[2]);
	uint64_t rng = strtoull(argv[3], NULL, 0);

	check(NULL, 0, "empty input");
	size_t big = 1u << 20;
	uint8_t *buf = malloc(big);
	if (!buf)
		return 3;
	for (size_t i = 0; i < big; i++)
		buf[i] = (uint8_t)next(&rng);
	check(buf, big, "1 MiB random input");
	memset(buf, 0, big);
	check(buf, big, "1 MiB of zeros");	/* a decision at every point */

	for (long i = 0; i < n; i++) {
		uint64_t r = next(&rng);
		size_t len = i % 100 == 99 ? 4096 + r % 60000 : r % 600;
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)next(&rng);
		char what[64];
		snprintf(what, sizeof(what), "random input %ld of seed %s", i, argv[3]);
		check(buf, len, what);
	}
	free(buf);
	printf("%s: %ld random inputs, the empty one and two of 1 MiB: %s\n", argv[1], n,
	       failures ? "FAILED" : "no bug, deterministic");
	return failures ? 1 : 0;
}

/* Configure-time probe: does afl-clang-fast build a persistent-mode binary here (fuzz/meson.build)? */
#include <stdint.h>
#include <unistd.h>	/* read(): __AFL_FUZZ_TESTCASE_LEN outside afl-fuzz */

__AFL_FUZZ_INIT();

int main(void)
{
	__AFL_INIT();
	const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
	int r = 0;
	while (__AFL_LOOP(1000))
		r += __AFL_FUZZ_TESTCASE_LEN > 0 && buf[0] == 0;
	return r < 0;
}

/* Configure-time probe: does clang link a libFuzzer binary here (fuzz/meson.build)? */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	return (int)(len && data[0] == 0);
}

/* Tiny shared helpers for the C test suites: CHECK returns failure from the enclosing int
 * function after printing where it failed.  Exit codes: 0 pass, 1 fail, 77 skip. */
#ifndef LS_TESTS_CHECK_H
#define LS_TESTS_CHECK_H

#include <stdio.h>

#define TEST_PASS 0
#define TEST_FAIL 1
#define TEST_SKIP 77

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			return TEST_FAIL;                                            \
		}                                                                    \
	} while (0)

#define CHECKF(cond, ...)                                                            \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, \
				#cond);                                              \
			fprintf(stderr, __VA_ARGS__);                                \
			fputc('\n', stderr);                                         \
			return TEST_FAIL;                                            \
		}                                                                    \
	} while (0)

/* Runs one test function; remembers the first failure. */
#define RUN(fn, status)                                                              \
	do {                                                                         \
		int rc_ = fn();                                                      \
		fprintf(stderr, "%s %s\n", rc_ == TEST_PASS ? "ok  " :               \
				rc_ == TEST_SKIP ? "skip" : "FAIL", #fn);            \
		if (rc_ == TEST_FAIL)                                                \
			(status) = TEST_FAIL;                                        \
	} while (0)

#endif

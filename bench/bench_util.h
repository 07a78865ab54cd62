/* What both benchmark executables share: the clock, medians of repetitions, the command line
 * (--quick, --csv FILE, --help), and the header that says which machine and build measured. */
#ifndef LS_BENCH_UTIL_H
#define LS_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_MAX_REPS 64

/* What meson.build passes about the build, for the header lines; "unknown" built otherwise. */
#ifndef LS_BENCH_BUILDTYPE
#define LS_BENCH_BUILDTYPE "unknown"
#endif
#ifndef LS_BENCH_SANITIZE
#define LS_BENCH_SANITIZE "unknown"
#endif
#ifndef LS_BENCH_FIBER
#define LS_BENCH_FIBER "unknown"
#endif

struct stat3 {
	double median, min, max;
};

struct bench_args {
	bool quick;
	const char *csv;
	char cpu[256];	/* the CPU model, for the header and the CSV */
};

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);
/* Median (the upper one, s[n / 2], for even n: always one of the values), min and max of n <=
 * BENCH_MAX_REPS values. */
struct stat3 summarize(const double *v, int n);
/* Prints "PROG: " and the message to stderr and exits 2. */
_Noreturn void die(const char *fmt, const char *arg);

/* Parses the command line into a; prints usage and returns the exit status (0 for --help, 2
 * for a bad argument) when the program should stop, -1 to go on.  prog names the program in
 * errors from die(). */
int bench_parse_args(int argc, char **argv, const char *prog, void (*usage)(FILE *out),
		     struct bench_args *a);
/* Pins the process to the CPU it runs on, then prints the title line, the CPU, the build, and
 * a warning when the build is not optimized or is sanitized. */
void bench_print_environment(const char *title, struct bench_args *a);

#endif

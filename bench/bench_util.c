#define _GNU_SOURCE
#include "bench_util.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *program = "lockstep-bench";

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct stat3 summarize(const double *v, int n)
{
	double s[BENCH_MAX_REPS];
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return (struct stat3){ s[n / 2], s[0], s[n - 1] };
}

_Noreturn void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", program);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

int bench_parse_args(int argc, char **argv, const char *prog, void (*usage)(FILE *out),
		     struct bench_args *a)
{
	program = prog;
	a->quick = false;
	a->csv = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			a->quick = true;
		} else if (!strcmp(argv[i], "--csv") && i + 1 < argc) {
			a->csv = argv[++i];
		} else if (!strncmp(argv[i], "--csv=", 6)) {
			a->csv = argv[i] + 6;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

static void cpu_model(char *buf, size_t n)
{
	snprintf(buf, n, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *p = strchr(line, ':');
		if (!p)
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\n")] = 0;
		snprintf(buf, n, "%s", p);
		break;
	}
	fclose(f);
}

/* Pins the process to the CPU it is running on, so every figure is one core's. */
static int pin_to_current_cpu(void)
{
	int cpu = sched_getcpu();
	if (cpu < 0)
		return -1;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0 ? cpu : -1;
}

void bench_print_environment(const char *title, struct bench_args *a)
{
	cpu_model(a->cpu, sizeof(a->cpu));
	int pinned = pin_to_current_cpu();
	printf("# %s%s\n\n", title, a->quick ? " (--quick)" : "");
	printf("- CPU: %s", a->cpu);
	if (pinned >= 0)
		printf(" (pinned to cpu %d)\n", pinned);
	else
		printf(" (not pinned)\n");
	printf("- build: buildtype=%s, sanitizers=%s, fiber switch=%s, asserts=%s\n",
	       LS_BENCH_BUILDTYPE, LS_BENCH_SANITIZE, LS_BENCH_FIBER,
#ifdef NDEBUG
	       "off"
#else
	       "on"
#endif
	);
	if (strcmp(LS_BENCH_SANITIZE, "none") != 0 || !strcmp(LS_BENCH_BUILDTYPE, "debug") ||
	    !strcmp(LS_BENCH_BUILDTYPE, "plain"))
		printf("- note: this build is not optimized or is sanitized; figures are not "
		       "representative (use buildtype=debugoptimized or release, no sanitizers)\n");
}

/* lockstep: the command table and dispatch.  Each command lives in cmd_<name>.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "version.h"

static const struct ls_cmd commands[] = {
	{ "list", "[TARGET]",
	  "List targets (or only TARGET, e.g. ./mytarget.so), their variants and expected outcomes.",
	  ls_cmd_list },
	{ "run", "TARGET[:VARIANT]", "Run one execution under the seeded random walk.", ls_cmd_run },
	{ "fuzz", "TARGET[:VARIANT]",
	  "Run many executions (seed, seed+1, ...) and keep the smallest trace of each bug.",
	  ls_cmd_fuzz },
	{ "explore", "TARGET[:VARIANT]",
	  "Run every schedule within a preemption and NMI bound; stop at the first bug.",
	  ls_cmd_explore },
	{ "replay", "[--target FILE.so] TRACE | --target TARGET[:VARIANT] INPUT",
	  "Re-execute a trace (exit 0 if its outcome reappears, 1 if it diverges), or run a raw fuzzer "
	  "input.",
	  ls_cmd_replay },
	{ "minimize", "TRACE",
	  "Shrink a finding's trace to the fewest preemptions, NMIs and steps that keep its bug "
	  "(exit 0 when it wrote the trace, 1 if the finding does not reproduce).",
	  ls_cmd_minimize },
	{ "stress", "TARGET[:VARIANT]",
	  "The baseline: run the target on real threads with timer NMIs and a hang watchdog.",
	  ls_cmd_stress },
	{ "check", "[TARGET[:VARIANT]|GLOB|FILE.so ...]",
	  "Run each variant and compare what it shows with what it declares (exit 0: all as "
	  "declared).",
	  ls_cmd_check },
	{ "litmus", "[PATTERN...]",
	  "Explore the litmus tests under each memory model and compare every verdict with the one "
	  "the test states (LKMM's under relaxed; exit 0: all as stated).",
	  ls_cmd_litmus },
	{ "ksrc", "build --tree PATH [FILE...]",
	  "Compile a kernel tree's locking files against lockstep's shims, as --kernel-tree does, "
	  "and list what was compiled.",
	  ls_cmd_ksrc },
	{ "bench", "[TARGET[:VARIANT]...]",
	  "Time and executions to each buggy variant's first bug, per engine, side by side.",
	  ls_cmd_bench },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: lockstep COMMAND [options]\n\n"
		   "A deterministic concurrency fuzzer for kernel locking code.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nexit codes: 0 nothing found (replay: reproduced; minimize: minimized),\n"
		   "            1 bug found (replay: diverged; minimize: does not reproduce),\n"
		   "            2 bad usage or input, 3 internal error.\n"
		   "`lockstep COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return LS_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return LS_EXIT_CLEAN;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("lockstep %s\n", LS_VERSION);
		return LS_EXIT_CLEAN;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 2, argv + 2);
	ls_die(LS_EXIT_USAGE, "unknown command '%s' (try --help)", argv[1]);
}

/* The commands find their own table entry for --help and messages. */
const struct ls_cmd *ls_cmd_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

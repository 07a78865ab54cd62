/* Option parsing and help, driven by each command's option table (getopt_long underneath), and
 * the checks of the options every executing command takes. */
#define _GNU_SOURCE
#include "cli.h"
#include "../ksrc/ksrc.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The short spellings of common options, for the commands that have the long one. */
static const struct {
	char letter;
	const char *name;
} shorts[] = {
	{ 'j', "jobs" }, { 's', "seed" }, { 't', "time" }, { 'o', "out" }, { 'o', "output" },
	{ 'q', "quiet" },
};

static char short_of(const char *name)
{
	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
		if (strcmp(shorts[i].name, name) == 0)
			return shorts[i].letter;
	return 0;
}

static void help(const struct ls_cmd *cmd, const struct ls_opt *opts)
{
	printf("usage: %s %s [options] %s\n\n%s\n\noptions:\n", ls_prog, cmd->name, cmd->args,
	       cmd->summary);
	for (const struct ls_opt *o = opts; o->name; o++) {
		char left[48], letter = short_of(o->name);
		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", letter ? '-' : ' ',
			 letter ? letter : ' ', letter ? ", " : "  ", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		printf("  %-28s %s", left, o->help);
		switch (o->type) {
		case LS_OPT_U64:
			printf(" (default %llu)", (unsigned long long)*(uint64_t *)o->dest);
			break;
		case LS_OPT_F64:
			printf(" (default %g)", *(double *)o->dest);
			break;
		case LS_OPT_STR:
			if (*(const char **)o->dest)
				printf(" (default %s)", *(const char **)o->dest);
			break;
		default:
			break;
		}
		printf("\n");
	}
	printf("  %-28s %s\n", "-h, --help", "show this help");
	printf("  %-28s %s\n", "-V, --version", "print lockstep's version and exit");
}

static void set_value(const struct ls_cmd *cmd, const struct ls_opt *o, const char *v)
{
	char *end;
	switch (o->type) {
	case LS_OPT_STR:
		*(const char **)o->dest = v;
		break;
	case LS_OPT_U64: {
		/* Decimal digits only: no sign, no space, no octal or hex reading of a leading 0. */
		errno = 0;
		unsigned long long x = strtoull(v, &end, 10);
		if (errno || !*v || *end || strspn(v, "0123456789") != strlen(v))
			ls_die(LS_EXIT_USAGE, "%s: --%s expects a non-negative decimal integer, got '%s'",
			       cmd->name, o->name, v);
		*(uint64_t *)o->dest = x;
		break;
	}
	case LS_OPT_F64: {
		errno = 0;
		double x = strtod(v, &end);
		if (errno || !*v || *end || !isfinite(x))
			ls_die(LS_EXIT_USAGE, "%s: --%s expects a number, got '%s'", cmd->name,
			       o->name, v);
		*(double *)o->dest = x;
		break;
	}
	case LS_OPT_FLAG:
		*(bool *)o->dest = true;
		break;
	}
	if (o->seen)
		*o->seen = true;
}

/* Options are parsed by getopt_long(), from the command's table: GNU's rules, so an option may
 * come anywhere, be abbreviated to a unique prefix (--exec for --execs), take its value as the
 * next argument or after '=', and "--" ends them; -h, -V and the short spellings above stand for
 * --help, --version and their long options. */
#define MAX_OPTS 64

int ls_parse(const struct ls_cmd *cmd, const struct ls_opt *opts, int argc, char **argv,
	     char **pos, int maxpos)
{
	struct option longopts[MAX_OPTS + 3];
	/* ':' first: a missing value is its own case.  No '+': GNU's permutation, so options may
	 * come after the positional arguments. */
	char shortopts[3 * MAX_OPTS + 8] = ":hV";
	size_t ns = strlen(shortopts);
	int n = 0;
	for (const struct ls_opt *o = opts; o->name; o++, n++) {
		if (n == MAX_OPTS)
			ls_die(LS_EXIT_INTERNAL, "%s: more than %d options", cmd->name, MAX_OPTS);
		longopts[n] = (struct option){ o->name,
					       o->type == LS_OPT_FLAG ? no_argument :
					       required_argument, NULL, 256 + n };
		char c = short_of(o->name);
		if (c) {
			shortopts[ns++] = c;
			if (o->type != LS_OPT_FLAG)
				shortopts[ns++] = ':';
		}
	}
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n] = (struct option){ 0 };
	shortopts[ns] = 0;

	/* getopt_long() counts argv[0] as the program: give it one.  Kept in a static, so that a
	 * --help or an error that exits from the loop leaves nothing unreachable behind. */
	static char **args;
	free(args);
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	args[0] = (char *)cmd->name;
	memcpy(args + 1, argv, (size_t)argc * sizeof(*args));
	int nargs = argc + 1;
	opterr = 0;
	optind = 0;	/* a full reset: a command may parse more than once */
	int c, idx;
	while ((c = getopt_long(nargs, args, shortopts, longopts, &idx)) != -1) {
		if (c == 'h') {
			help(cmd, opts);
			exit(LS_EXIT_CLEAN);
		}
		if (c == 'V') {
			printf("lockstep %s\n", LS_VERSION);
			exit(LS_EXIT_CLEAN);
		}
		/* optopt is the short letter, a long option's table value (256 + its index), or 0
		 * for a long name that is unknown or ambiguous. */
		const struct ls_opt *bad = optopt >= 256 && optopt < 256 + MAX_OPTS ?
					   &opts[optopt - 256] : NULL;
		if (c == ':' && bad)
			ls_die(LS_EXIT_USAGE, "%s: --%s needs a value", cmd->name, bad->name);
		if (c == ':')
			ls_die(LS_EXIT_USAGE, "%s: -%c needs a value", cmd->name, optopt);
		if (c == '?' && bad)
			ls_die(LS_EXIT_USAGE, "%s: --%s takes no value", cmd->name, bad->name);
		if (c == '?' && optopt)
			ls_die(LS_EXIT_USAGE, "%s: unknown option '-%c' (see --help)", cmd->name,
			       optopt);
		if (c == '?')
			ls_die(LS_EXIT_USAGE, "%s: unknown or ambiguous option '%s' (see --help)",
			       cmd->name, args[optind - 1]);
		const struct ls_opt *o = NULL;
		if (c >= 256) {
			o = &opts[c - 256];
		} else {
			for (const struct ls_opt *p = opts; p->name && !o; p++)
				if (short_of(p->name) == c)
					o = p;
		}
		if (!o)
			ls_die(LS_EXIT_INTERNAL, "%s: option table", cmd->name);
		set_value(cmd, o, o->type == LS_OPT_FLAG ? NULL : optarg);
	}
	int npos = 0;
	for (int i = optind; i < nargs; i++) {
		if (npos == maxpos)
			ls_die(LS_EXIT_USAGE, "%s: unexpected argument '%s' (see --help)", cmd->name,
			       args[i]);
		pos[npos++] = args[i];
	}
	return npos;
}

void ls_exec_opts_check(struct ls_exec_opts *o)
{
	if (o->p_switch < 0 || o->p_slow < 0 || o->p_irq < 0 ||
	    o->p_switch + o->p_slow + o->p_irq > 1)
		ls_die(LS_EXIT_USAGE,
		       "--p-switch, --p-slow and --p-irq must be >= 0 and add up to at most 1");
	if (o->slow > 255)
		ls_die(LS_EXIT_USAGE, "--slow must be between 0 and 255");
	o->cfg.slow_budget = (uint32_t)o->slow;
	enum ls_memory_model mm;
	if (!ls_memory_model_parse(o->memory_model, &mm))
		ls_die(LS_EXIT_USAGE, "--memory-model must be sc, tso or relaxed, got '%s'",
		       o->memory_model);
	o->cfg.memory_model = (uint8_t)mm;
	if (o->reorder_budget > 255)
		ls_die(LS_EXIT_USAGE, "--reorder-budget must be between 0 and 255");
	o->cfg.reorder_budget = (uint32_t)o->reorder_budget;
	if (o->kernel_tree) {
		char err[2048];
		if (!ls_ksrc_load(o->kernel_tree, err, sizeof(err)))
			ls_die(LS_EXIT_USAGE, "--kernel-tree: %s", err);
	}
	if (o->cfg.step_limit == 0 || o->cfg.step_limit > 1000000000)
		ls_die(LS_EXIT_USAGE, "--step-limit must be between 1 and 1000000000");
	if (o->cfg.time_limit_ns == 0)
		ls_die(LS_EXIT_USAGE, "--time-limit-ns must be positive");
	if (o->lockdep_compat && o->no_lockdep)
		ls_die(LS_EXIT_USAGE, "--lockdep-compat and --no-lockdep exclude each other");
	if (o->pct_depth < 1 || o->pct_depth > LS_PCT_MAX_DEPTH)
		ls_die(LS_EXIT_USAGE, "--pct-depth must be between 1 and %d", LS_PCT_MAX_DEPTH);
	if (o->hang_s < 0)
		ls_die(LS_EXIT_USAGE, "--hang-timeout must not be negative");
	ls_out_dir_or_die(o->out, o->force);
}


/* lockstep list: every in-tree target (or the one named, e.g. a shared object), its variants, and
 * what each is expected to do. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "../../targets/targets.h"

int ls_cmd_list(int argc, char **argv)
{
	bool json = false;
	const struct ls_opt opts[] = {
		{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output", &json,
		  NULL },
		{ 0 },
	};
	char *pos[1];
	const struct ls_target *one = NULL;	/* a named target, e.g. a shared object */
	if (ls_parse(ls_cmd_lookup("list"), opts, argc, argv, pos, 1) == 1) {
		int variant;
		char err[512];
		if (!ls_target_spec(pos[0], &one, &variant, err, sizeof(err)))
			ls_die(LS_EXIT_USAGE, "%s", err);
	}

	struct ls_buf j = { 0 };
	ls_buf_printf(&j, "{\"command\":\"list\",\"targets\":[");
	for (int i = 0; i < (one ? 1 : ls_ntargets); i++) {
		const struct ls_target *t = one ? one : ls_targets[i];
		printf("%s: %s\n  models: %s\n  %d CPUs, %d tasks, %d NMI sources, %d hardirq sources\n",
		       t->name, t->summary, t->models, t->ncpus, t->ntasks, t->nnmis, t->nirqs);
		ls_buf_printf(&j, "%s{\"name\":", i ? "," : "");
		ls_json_str(&j, t->name);
		ls_buf_printf(&j, ",\"variants\":[");
		int width = 18;	/* the variant column: the target's longest name, at least 18 */
		for (int v = 0; v < t->nvariants; v++)
			if ((int)strlen(t->variants[v].name) > width)
				width = (int)strlen(t->variants[v].name);
		for (int v = 0; v < t->nvariants; v++) {
			const struct ls_variant *var = &t->variants[v];
			const char *expect = var->expect == LS_KIND_NONE    ? "never"
					     : var->expect >= LS_KIND_COUNT ? "unsettled"
									    : ls_kind_name(var->expect);
			printf("  %-*s expect %-9s %s\n", width, var->name, expect, var->summary);
			ls_buf_printf(&j, "%s{\"name\":", v ? "," : "");
			ls_json_str(&j, var->name);
			ls_buf_printf(&j, ",\"expect\":\"%s\",\"summary\":", expect);
			ls_json_str(&j, var->summary);
			ls_buf_printf(&j, "}");
		}
		ls_buf_printf(&j, "]}");
		printf("\n");
	}
	ls_buf_printf(&j, "]}");
	if (json)
		printf("%s\n", j.s);
	ls_buf_finish(&j);
	return LS_EXIT_CLEAN;
}

/* lockstep ksrc build: compile a kernel tree's locking files against the shims, as --kernel-tree
 * does before it runs them, and say what was compiled (docs/kernel-source.md).
 *
 * FILES name the primitives to build, by kernel file (kernel/locking/qspinlock.c) or by name
 * (spinlock); none means every one the tree has.  The first construct the shims lack is one
 * line, with the kernel file and line that uses it, and exit 2. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../findings.h"
#include "../ksrc/ksrc.h"

#define MAX_FILES 16

int ls_cmd_ksrc(int argc, char **argv)
{
	const char *tree = NULL;
	bool json = false;
	const struct ls_opt opts[] = {
		{ "tree", LS_OPT_STR, "PATH", "the kernel source tree (required)", &tree, NULL },
		{ "json", LS_OPT_FLAG, NULL, "print a JSON summary as the last line of output", &json,
		  NULL },
		{ 0 },
	};
	char *pos[MAX_FILES + 1];
	int npos = ls_parse(ls_cmd_lookup("ksrc"), opts, argc, argv, pos, MAX_FILES + 1);
	if (npos < 1 || strcmp(pos[0], "build") != 0)
		ls_die(LS_EXIT_USAGE, "ksrc: expected 'build' (see --help)");
	if (!tree)
		ls_die(LS_EXIT_USAGE, "ksrc build: --tree PATH names the kernel tree");
	struct ls_ksrc_build b;
	char err[2048];
	if (!ls_ksrc_build(tree, (const char *const *)pos + 1, npos - 1, &b, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "ksrc build: %s", err);

	/* The manifest beside the object lists the tree files the hash covers. */
	char manifest[PATH_MAX];
	snprintf(manifest, sizeof(manifest), "%.*s/manifest",
		 (int)(strrchr(b.object, '/') - b.object), b.object);
	size_t len;
	char *text = ls_read_file(manifest, &len);
	struct ls_buf files = { 0 };
	int nfiles = 0;
	printf("ksrc: %s from %s: %s\n", b.fresh ? "compiled" : "cached", b.tree, b.built);
	for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
		if (strncmp(line, "file ", 5) == 0) {
			printf("  %s\n", line + 5);
			ls_buf_printf(&files, "%s", nfiles++ ? "," : "");
			ls_json_str(&files, line + 5);
		}
	free(text);
	printf("ksrc: kernel-source %016llx (%d files); backend %s\n", b.hash, nfiles, b.object);
	if (json) {
		struct ls_buf j = { 0 };
		ls_buf_printf(&j, "{\"command\":\"ksrc\",\"tree\":");
		ls_json_str(&j, b.tree);
		ls_buf_printf(&j, ",\"built\":");
		ls_json_str(&j, b.built);
		ls_buf_printf(&j, ",\"kernel_source\":\"%016llx\",\"fresh\":%s,\"object\":", b.hash,
			      b.fresh ? "true" : "false");
		ls_json_str(&j, b.object);
		ls_buf_printf(&j, ",\"files\":[%s]}", files.s ? files.s : "");
		printf("%s\n", j.s);
		ls_buf_finish(&j);
	}
	ls_buf_finish(&files);
	return LS_EXIT_CLEAN;
}

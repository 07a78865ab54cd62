/* lockstep-stress: the child `lockstep stress` starts.  It maps the shared page it is handed
 * (a file descriptor) and runs one in-tree target on real threads (sched/native.c).  Not meant
 * to be run by hand: `lockstep stress` checks the arguments, watches it and reports. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../../sched/native.h"
#include "../../targets/targets.h"
#include "../model/model.h"

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s FD TARGET VARIANT-INDEX SEED (started by lockstep stress)\n",
			argv[0]);
		return 2;
	}
	int fd = atoi(argv[1]);
	struct ls_native_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED,
					   fd, 0);
	if (sh == MAP_FAILED) {
		fprintf(stderr, "lockstep-stress: cannot map the shared page\n");
		return 3;
	}
	char err[256];
	const struct ls_target *t = ls_target_find(argv[2], err, sizeof(err));
	int variant = atoi(argv[3]);
	if (!t || variant < 0 || variant >= t->nvariants) {
		fprintf(stderr, "lockstep-stress: %s\n", t ? "no such variant" : err);
		return 2;
	}
	return ls_native_child(t, variant, sh, strtoull(argv[4], NULL, 10), ls_model_reset);
}

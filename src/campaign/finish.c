/* What a campaign does after its last execution: --minimize's minimization of each bug it saved,
 * and the verdict of its findings against what the variant declares (expect.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"
#include "../ksrc/ksrc.h"

/* fuzz --minimize: `lockstep minimize` on each bug this campaign saved, in a child process (a
 * candidate schedule that crashed the model would not take the campaign's summary with it); its
 * output goes to stderr, so --json's line stays the last of stdout. */
void ls_fuzz_minimize_saved(const struct ls_fuzz_finding *f, int nf, const struct ls_variant *var)
{
	char self[4096];
	ls_self_exe(self, sizeof(self));
	for (; nf > 0; nf--, f++) {
		if (!f->ours || !ls_variant_bug(var, f->kind) || f->kind == LS_KIND_CRASH)
			continue;
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0)
			ls_die(LS_EXIT_INTERNAL, "fuzz: fork: %s", strerror(errno));
		if (pid == 0) {
			dup2(2, 1);
			const struct ls_ksrc_build *k = ls_ksrc_active();
			const char *argv[] = { self, "minimize", f->path, "--quiet",
					       k ? "--kernel-tree" : NULL, k ? k->tree : NULL, NULL };
			execv(self, (char *const *)argv);
			_exit(127);
		}
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fprintf(stderr, "fuzz: could not minimize %s\n", f->path);
	}
}


void ls_fuzz_judge(const struct ls_variant *var, const struct ls_fuzz_finding *f, int nf,
		   uint64_t executions, struct ls_expect *ex)
{
	uint64_t first[LS_KIND_COUNT];
	for (int k = 0; k < LS_KIND_COUNT; k++)
		first[k] = LS_EXPECT_NOT_FOUND;
	for (int i = 0; i < nf; i++)
		for (int j = 0; j < f[i].npl; j++) {
			const struct ls_fuzz_placement *pl = &f[i].pl[j];
			if (pl->first_exec < first[pl->kind])
				first[pl->kind] = pl->first_exec;
		}
	ls_expect_judge(var, first, executions, "execution", ex);
}

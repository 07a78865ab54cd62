/* --kernel-tree: the backend object of a tree, built if needed (build.c), loaded once per process.
 *
 * Loading only swaps the operations the model library calls (<lockstep/kbackend.h>); targets,
 * traces and reports stay as they are, with two lines more in a trace: the tree and the hash of
 * the files compiled from it.
 */
#define _GNU_SOURCE
#include "ksrc.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <lockstep/kbackend.h>
#include <lockstep/rqspinlock.h>


const struct ls_kbackend *ls_kbackend;
static struct ls_ksrc_build active;

bool ls_ksrc_load(const char *tree, char *err, size_t errlen)
{
	if (ls_kbackend) {
		char want[sizeof(active.tree)];
		if (realpath(tree, want) && strcmp(want, active.tree) == 0)
			return true;
		snprintf(err, errlen, "one kernel tree per process: %s is loaded already",
			 active.tree);
		return false;
	}
	struct ls_ksrc_build b;
	if (!ls_ksrc_build_held(tree, &b, err, errlen))
		return false;
	void *h = dlopen(b.object, RTLD_NOW | RTLD_LOCAL);
	ls_ksrc_release(&b);	/* loaded: what runs is what was hashed */
	if (!h) {
		snprintf(err, errlen, "cannot load the kernel backend %s: %s", b.object, dlerror());
		return false;
	}
	const struct ls_kbackend *kb = dlsym(h, "lockstep_kbackend");
	if (!kb || kb->abi != LS_KBACKEND_ABI) {
		snprintf(err, errlen, "%s is not a kernel backend of this lockstep (ABI %d): remove "
			 "it to rebuild", b.object, LS_KBACKEND_ABI);
		dlclose(h);
		return false;
	}
	if (kb->rqspin && kb->rqspin->nr_held != RES_NR_HELD) {
		/* The model reads the kernel's held-lock tables for its checks and reports. */
		snprintf(err, errlen, "%s: the tree's rqspinlock keeps %d held locks per CPU (RES_NR_HELD), "
			 "lockstep reads tables of %d", b.tree, kb->rqspin->nr_held, RES_NR_HELD);
		dlclose(h);
		return false;
	}
	active = b;
	ls_kbackend = kb;
	return true;
}

const struct ls_ksrc_build *ls_ksrc_active(void)
{
	return ls_kbackend ? &active : NULL;
}

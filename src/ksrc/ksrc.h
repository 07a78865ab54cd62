/* Kernel backends: a user's kernel source files compiled against lockstep's shims and loaded in
 * place of the hand models (docs/kernel-source.md). */
#ifndef LS_KSRC_H
#define LS_KSRC_H

#include <stdbool.h>
#include <stddef.h>

/* One file of the shims or the glue, embedded at build time (embed.py). */
struct ls_ksrc_file {
	const char *path;	/* "include/lockstep/kshim/linux/smp.h", "glue/spinlock.c" */
	unsigned len;
	const char *data;
};
extern const struct ls_ksrc_file ls_ksrc_files[];	/* ends with a NULL path */

/* A primitive with a kernel backend: the kernel file that implements it and the tree headers
 * (beyond the file's own directory) it needs. */
struct ls_ksrc_backend {
	const char *name;	/* "spinlock" */
	const char *file;	/* "kernel/locking/qspinlock.c", relative to the tree */
	const char *glue;	/* "glue/spinlock.c" */
	const char *headers[6];	/* tree headers the shims let through, under include/ */
};
extern const struct ls_ksrc_backend ls_ksrc_backends[];
extern const int ls_ksrc_nbackends;

/* A built backend object: where it is and what it was built from. */
struct ls_ksrc_build {
	char tree[256];		/* the tree's absolute path */
	char object[4096];	/* the backend object in the cache */
	unsigned long long hash;	/* of every tree file compiled (ls_ksrc_hash_files) */
	char built[128];	/* the primitives built, "spinlock llist" */
	bool fresh;		/* compiled now, not found in the cache */
	int lock_fd;		/* the cache's lock, held while >= 0 (ls_ksrc_release()) */
};

/* Compiles the tree's files for the primitives named in only (NULL: every primitive whose file
 * the tree has) into a backend object, or finds the one the cache holds for the same sources.
 * False with a one-line reason in err: the first construct the shims lack, with its kernel
 * file and line, or why the tree cannot be used. */
bool ls_ksrc_build(const char *tree, const char *const *only, int nonly, struct ls_ksrc_build *b,
		   char *err, size_t errlen);
/* The same, keeping the cache locked (b->lock_fd) until ls_ksrc_release(): no other lockstep
 * rebuilds the object before this one has loaded what it hashed. */
bool ls_ksrc_build_held(const char *tree, struct ls_ksrc_build *b, char *err, size_t errlen);
void ls_ksrc_release(struct ls_ksrc_build *b);

/* Builds as above and loads the object: from then on the primitives it has run the kernel's
 * code (ls_kbackend).  Once per process; false with err on failure. */
bool ls_ksrc_load(const char *tree, char *err, size_t errlen);

/* What ls_ksrc_load() loaded, NULL while the hand models run. */
const struct ls_ksrc_build *ls_ksrc_active(void);

#endif

/* The in-tree targets, targets loaded from shared objects, and lookup by "name[:variant]". */
#ifndef LS_TARGETS_H
#define LS_TARGETS_H

#include <stdbool.h>
#include <stddef.h>

#include <lockstep/target.h>

extern const struct ls_target *const ls_targets[];
extern const int ls_ntargets;

/* An in-tree target by name, or the target of the shared object at the path `name` (ending in
 * ".so" or containing a '/'), loaded on first use; NULL, with a one-line reason in err, if
 * there is none. */
const struct ls_target *ls_target_find(const char *name, char *err, size_t errlen);
int ls_variant_find(const struct ls_target *t, const char *name);

/* Parses "target[:variant]"; a missing variant means the first one.  The target is an in-tree
 * name or the path of a shared object (docs/out-of-tree.md).  On failure writes a one-line reason
 * (listing what exists, or why the object cannot be loaded) into err. */
bool ls_target_spec(const char *spec, const struct ls_target **t, int *variant, char *err,
		    size_t errlen);

/* Splits "target[:variant]" as ls_target_spec() does, without loading anything: the target part
 * into name, *variant the text after the ':' or NULL.  False if the target part is empty or
 * does not fit. */
bool ls_target_spec_split(const char *spec, char *name, size_t n, const char **variant);
/* Whether name (a trace's target line) is a shared object's path rather than an in-tree name. */
bool ls_target_names_object(const char *name);
/* The content hash of a loaded object's file, as it was when loaded; false for in-tree targets. */
bool ls_target_object_hash(const struct ls_target *t, unsigned long long *hash);
/* FNV-1a over the bytes of the regular file at path (without loading it); false with a one-line
 * reason in err. */
bool ls_object_hash(const char *path, unsigned long long *hash, char *err, size_t errlen);

#endif

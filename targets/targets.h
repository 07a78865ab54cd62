/* The in-tree targets, and lookup by "name[:variant]". */
#ifndef LS_TARGETS_H
#define LS_TARGETS_H

#include <stdbool.h>
#include <stddef.h>

#include <lockstep/target.h>

extern const struct ls_target *const ls_targets[];
extern const int ls_ntargets;

const struct ls_target *ls_target_find(const char *name);
int ls_variant_find(const struct ls_target *t, const char *name);

/* Parses "target[:variant]"; a missing variant means the first one.  On failure writes a one-line
 * reason (listing what exists) into err. */
bool ls_target_spec(const char *spec, const struct ls_target **t, int *variant, char *err,
		    size_t errlen);

#endif

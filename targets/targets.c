/* The table of in-tree targets.  A new target adds one line here and one file to meson.build. */
#include "targets.h"

#include <stdio.h>
#include <string.h>

extern const struct ls_target ls_target_demo_abba;
extern const struct ls_target ls_target_demo_nmi_aa;

const struct ls_target *const ls_targets[] = {
	&ls_target_demo_abba,
	&ls_target_demo_nmi_aa,
};
const int ls_ntargets = (int)(sizeof(ls_targets) / sizeof(ls_targets[0]));

const struct ls_target *ls_target_find(const char *name)
{
	for (int i = 0; i < ls_ntargets; i++)
		if (strcmp(ls_targets[i]->name, name) == 0)
			return ls_targets[i];
	return NULL;
}

int ls_variant_find(const struct ls_target *t, const char *name)
{
	for (int i = 0; i < t->nvariants; i++)
		if (strcmp(t->variants[i].name, name) == 0)
			return i;
	return -1;
}

bool ls_target_spec(const char *spec, const struct ls_target **t, int *variant, char *err,
		    size_t errlen)
{
	char name[128];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	if (n == 0 || n >= sizeof(name)) {
		snprintf(err, errlen, "expected TARGET[:VARIANT], got '%s'", spec);
		return false;
	}
	memcpy(name, spec, n);
	name[n] = 0;
	*t = ls_target_find(name);
	if (!*t) {
		int len = snprintf(err, errlen, "unknown target '%s' (known:", name);
		for (int i = 0; i < ls_ntargets && len > 0 && (size_t)len < errlen; i++)
			len += snprintf(err + len, errlen - (size_t)len, " %s", ls_targets[i]->name);
		if (len > 0 && (size_t)len < errlen)
			snprintf(err + len, errlen - (size_t)len, ")");
		return false;
	}
	if (!colon) {
		*variant = 0;
		return true;
	}
	*variant = ls_variant_find(*t, colon + 1);
	if (*variant < 0) {
		int len = snprintf(err, errlen, "target %s has no variant '%s' (variants:", name,
				   colon + 1);
		for (int i = 0; i < (*t)->nvariants && len > 0 && (size_t)len < errlen; i++)
			len += snprintf(err + len, errlen - (size_t)len, " %s",
					(*t)->variants[i].name);
		if (len > 0 && (size_t)len < errlen)
			snprintf(err + len, errlen - (size_t)len, ")");
		return false;
	}
	return true;
}

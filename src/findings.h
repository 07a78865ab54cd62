/* Finding files: one trace and one report per distinct signature, in an output directory.
 * Files are written under a temporary name and renamed, so a run killed mid-way never leaves a
 * partial file, and the trace is written last, so a trace's presence means the pair is complete. */
#ifndef LS_FINDINGS_H
#define LS_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "exec.h"

/* "<dir>/<kind>-<hash>" without extension. */
void ls_finding_stem(const char *dir, const struct ls_result *r, char *buf, size_t n);

/* Creates dir (and parents) if needed; false with errno set on failure. */
bool ls_mkdirs(const char *dir);

/* Writes data to path atomically (temporary file, then rename). */
bool ls_write_atomic(const char *path, const char *data, size_t len);

/* Reads a whole file; NULL with errno set on failure.  *len excludes the added NUL. */
char *ls_read_file(const char *path, size_t *len);

#endif

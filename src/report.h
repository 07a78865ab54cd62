/* Finding reports, kernel-style (see report.c). */
#ifndef LS_REPORT_H
#define LS_REPORT_H

#include "buf.h"
#include "exec.h"

/* Appends the command that replays the trace at path, recorded with the target named target:
 * "lockstep replay PATH", with "--target OBJECT " before PATH when the target is a shared
 * object (a trace never loads one by itself). */
/* "lockstep replay [--target OBJ] [--kernel-tree TREE] PATH": kernel_tree NULL or "" when the
 * trace ran the hand models. */
void ls_replay_command(const char *target, const char *kernel_tree, const char *path,
		       struct ls_buf *b);

/* Renders the report of the session's last execution; replay_path may be NULL. */
void ls_report_write(const struct ls_session *s, const struct ls_result *r, const char *strategy,
		     const char *replay_path, struct ls_buf *b);

#endif

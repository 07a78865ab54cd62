/* Finding reports, kernel-style (see report.c). */
#ifndef LS_REPORT_H
#define LS_REPORT_H

#include "buf.h"
#include "exec.h"

/* Renders the report of the session's last execution; replay_path may be NULL. */
void ls_report_write(const struct ls_session *s, const struct ls_result *r, const char *strategy,
		     const char *replay_path, struct ls_buf *b);

#endif

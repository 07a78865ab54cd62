/* `lockstep replay --html`: one execution's interleaving as a self-contained HTML page, with
 * per-CPU lanes, lock holds and the finding highlighted (timeline.c explains how). */
#ifndef LS_TIMELINE_H
#define LS_TIMELINE_H

#include <stdbool.h>

#include "buf.h"
#include "exec.h"

struct ls_timeline;

/* A recorder, or NULL when out of memory; destroy accepts NULL. */
struct ls_timeline *ls_timeline_create(void);
void ls_timeline_destroy(struct ls_timeline *tl);

/* A strategy that runs `inner` and records every step of the execution it is begun for: each
 * begin starts over, so after a trace's replay (prior executions first) it holds the last one. */
struct ls_strategy *ls_timeline_wrap(struct ls_timeline *tl, struct ls_strategy *inner);

/* What the page says besides the execution. */
struct ls_timeline_page {
	const char *source;	/* the trace or input file */
	const char *strategy;	/* the trace's strategy line */
	const char *verdict;	/* the outcome of the replay, one line */
	const char *report;	/* everything replay printed (its JSON line aside) */
	const char *note;	/* why no step is shown (the execution crashed), or NULL */
};

/* Renders the page of the session's last execution, whose result is r, into out.  tl is what
 * recorded it; NULL when its steps are not known (the execution killed the process running it):
 * the page then has the header, the lanes and the report, and p->note. */
void ls_timeline_render(struct ls_timeline *tl, const struct ls_session *s,
			const struct ls_result *r, const struct ls_timeline_page *p,
			struct ls_buf *out);

#endif

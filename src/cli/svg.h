/* Small SVG pictures of what commands measured: time series (`fuzz --plot`) and a log-scale bar
 * chart (`bench --svg`).  svg.c says how they are laid out. */
#ifndef LS_CLI_SVG_H
#define LS_CLI_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "../buf.h"

/* One series of a time plot: y over x (seconds), drawn in a panel of its own. */
struct ls_svg_series {
	const char *name;	/* the panel's title and the polyline's data-series */
	const double *x, *y;
	size_t n;
	bool step;		/* a count that changes at events: drawn as steps */
};

/* Panels stacked over one time axis, one per series. */
void ls_svg_time_panels(struct ls_buf *b, const char *title, const struct ls_svg_series *s,
			int ns);

/* A bar chart on a log scale: one group of bars per row (a variant), one bar per column (an
 * engine).  value[row * ncols + col]: seconds; INFINITY: missed (a bar to `cap`, hatched, ">");
 * NAN: not measured (no bar, "n/a"). */
void ls_svg_log_bars(struct ls_buf *b, const char *title, const char *const *rows, int nrows,
		     const char *const *cols, int ncols, const double *value, double cap);

/* text with &, <, > and quotes escaped, control characters and bytes that are not UTF-8 as '?'. */
void ls_svg_escape(struct ls_buf *b, const char *text);

#endif

/* Small SVG pictures, written by hand: no library, a few hundred bytes of markup per series.
 *
 * Time panels (`fuzz --plot`): one panel per series, stacked, sharing an x axis in seconds from 0
 * to the last sample, labelled at its quarters; data-last holds the series' last value.  Each panel's y axis runs from 0 to the series' largest value (rounded up
 * to 1, 2 or 5 times a power of ten), with that value written at its top; the series is one
 * <polyline> whose data-series attribute is its name, and whose points are the samples, or steps
 * between them for counts that change at events.
 *
 * Log bars (`bench --svg`): a row per variant, a bar per engine in it, the bar's length the
 * logarithm of its seconds between the decade below the smallest value and the decade above the
 * largest (or the cap).  A run that missed draws a hatched bar to the cap, marked ">"; one not
 * measured draws no bar but "n/a".  Every bar is a <rect> with data-row, data-col and data-s
 * (seconds, "inf" for missed), so a test, or a script, can read the picture back.
 *
 * Numbers are written with %g and a fixed precision, so the same measurements give the same bytes. */
#include "svg.h"

#include "../campaign/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define WIDTH 720
#define LEFT 70		/* room for the y labels */
#define RIGHT 20
#define PANEL_H 120
#define GAP 40		/* between panels: the next one's title */
#define TOP 40

void ls_svg_escape(struct ls_buf *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	while (*p) {
		int n = ls_utf8_len(p);
		switch (*p) {
		case '&': ls_buf_printf(b, "&amp;"); break;
		case '<': ls_buf_printf(b, "&lt;"); break;
		case '>': ls_buf_printf(b, "&gt;"); break;
		case '"': ls_buf_printf(b, "&quot;"); break;
		default:
			/* XML takes no control characters and only well-formed UTF-8. */
			if (n == 0 || *p < 0x20)
				ls_buf_printf(b, "?");
			else
				ls_buf_printf(b, "%.*s", n, (const char *)p);
			break;
		}
		p += n ? n : 1;
	}
}

static void begin(struct ls_buf *b, int w, int h, const char *title)
{
	ls_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
			 "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		      w, h, w, h);
	ls_buf_printf(b, "<title>");
	ls_svg_escape(b, title);
	ls_buf_printf(b, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h);
	ls_buf_printf(b, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">", LEFT);
	ls_svg_escape(b, title);
	ls_buf_printf(b, "</text>\n");
}

/* The smallest 1, 2 or 5 times a power of ten at or above v (1 for v <= 0). */
static double nice_ceiling(double v)
{
	if (!(v > 0))
		return 1;
	double p = pow(10, floor(log10(v)));
	for (int k = 0; k < 3; k++) {
		double m = (double[]){ 1, 2, 5 }[k] * p;
		if (v <= m * (1 + 1e-9))
			return m;
	}
	return 10 * p;
}

void ls_svg_time_panels(struct ls_buf *b, const char *title, const struct ls_svg_series *s,
			int ns)
{
	double xmax = 0;
	for (int i = 0; i < ns; i++)
		for (size_t k = 0; k < s[i].n; k++)
			xmax = s[i].x[k] > xmax ? s[i].x[k] : xmax;
	if (!(xmax > 0))
		xmax = 1;
	int plot_w = WIDTH - LEFT - RIGHT;
	int h = TOP + ns * (PANEL_H + GAP) + 10;
	begin(b, WIDTH, h, title);
	for (int i = 0; i < ns; i++) {
		int y0 = TOP + i * (PANEL_H + GAP) + GAP / 2;	/* the panel's top */
		double ymax = 0;
		for (size_t k = 0; k < s[i].n; k++)
			ymax = s[i].y[k] > ymax ? s[i].y[k] : ymax;
		double top = nice_ceiling(ymax);
		ls_buf_printf(b, "<text x=\"%d\" y=\"%d\">", LEFT, y0 - 6);
		ls_svg_escape(b, s[i].name);
		ls_buf_printf(b, "</text>\n");
		ls_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
				 "stroke=\"#999\"/>\n", LEFT, y0, plot_w, PANEL_H);
		ls_buf_printf(b, top >= 1 ? "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f</text>\n"
				      : "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>\n",
			      LEFT - 6, y0 + 10, top);
		ls_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", LEFT - 6,
			      y0 + PANEL_H);
		ls_buf_printf(b, "<polyline data-series=\"");
		ls_svg_escape(b, s[i].name);
		ls_buf_printf(b, "\" data-last=\"%.17g\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.5\" "
				 "points=\"", s[i].n ? s[i].y[s[i].n - 1] : 0.0);
		double px = 0, py = 0;
		for (size_t k = 0; k < s[i].n; k++) {
			double x = LEFT + s[i].x[k] / xmax * plot_w;
			double y = y0 + PANEL_H - s[i].y[k] / top * PANEL_H;
			if (s[i].step && k)
				ls_buf_printf(b, "%.1f,%.1f ", x, py);
			ls_buf_printf(b, "%.1f,%.1f%s", x, y, k + 1 < s[i].n ? " " : "");
			px = x;
			py = y;
		}
		(void)px;
		ls_buf_printf(b, "\"/>\n");
	}
	int axis_y = TOP + ns * (PANEL_H + GAP) - GAP / 2;
	for (int t = 0; t <= 4; t++) {
		double sec = xmax * t / 4;
		ls_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3g s</text>\n",
			      LEFT + (double)plot_w * t / 4, axis_y + 14, sec);
	}
	ls_buf_printf(b, "</svg>\n");
}

void ls_svg_log_bars(struct ls_buf *b, const char *title, const char *const *rows, int nrows,
		     const char *const *cols, int ncols, const double *value, double cap)
{
	static const char *const colours[] = { "#1f5fa8", "#d9822b", "#2e8b57", "#a83232",
					       "#7a4fa8", "#666666" };
	double lo = INFINITY, hi = cap > 0 ? cap : 1;
	for (int i = 0; i < nrows * ncols; i++)
		if (isfinite(value[i]) && value[i] > 0) {
			lo = value[i] < lo ? value[i] : lo;
			hi = value[i] > hi ? value[i] : hi;
		}
	if (!isfinite(lo))
		lo = hi / 10;
	double d0 = floor(log10(lo)), d1 = ceil(log10(hi));
	if (d1 <= d0)
		d1 = d0 + 1;
	int label_w = 260, bar_h = 12, row_h = ncols * (bar_h + 2) + 12;
	int plot_w = WIDTH + 200 - label_w - RIGHT;
	int legend_h = 20;
	int h = TOP + legend_h + nrows * row_h + 40;
	begin(b, WIDTH + 200, h, title);
	for (int c = 0; c < ncols; c++) {
		int lx = label_w + c * 110;
		ls_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
				 "<text x=\"%d\" y=\"%d\">", lx, TOP - 6, colours[c % 6], lx + 14,
			      TOP + 4);
		ls_svg_escape(b, cols[c]);
		ls_buf_printf(b, "</text>\n");
	}
	ls_buf_printf(b, "<defs><pattern id=\"missed\" width=\"6\" height=\"6\" "
			 "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
			 "<rect width=\"3\" height=\"6\" fill=\"#bbb\"/></pattern></defs>\n");
	int y = TOP + legend_h;
	for (int r = 0; r < nrows; r++, y += row_h) {
		ls_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8,
			      y + row_h / 2);
		ls_svg_escape(b, rows[r]);
		ls_buf_printf(b, "</text>\n");
		for (int c = 0; c < ncols; c++) {
			double v = value[r * ncols + c];
			int by = y + c * (bar_h + 2);
			if (isnan(v)) {
				ls_buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#666\">n/a</text>\n",
					      label_w + 4, by + bar_h - 2);
				continue;
			}
			double s = isinf(v) ? cap : v;
			double frac = (log10(s > 0 ? s : lo) - d0) / (d1 - d0);
			if (frac < 0.01)
				frac = 0.01;
			ls_buf_printf(b, "<rect data-row=\"");
			ls_svg_escape(b, rows[r]);
			ls_buf_printf(b, "\" data-col=\"");
			ls_svg_escape(b, cols[c]);
			if (isinf(v))
				ls_buf_printf(b, "\" data-s=\"inf\"");
			else
				ls_buf_printf(b, "\" data-s=\"%.6g\"", v);
			ls_buf_printf(b, " x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
				      label_w, by, frac * plot_w, bar_h,
				      isinf(v) ? "url(#missed)" : colours[c % 6]);
			ls_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%s%.3g s</text>\n",
				      label_w + frac * plot_w + 4, by + bar_h - 2, isinf(v) ? "> " : "",
				      s);
		}
	}
	/* The log axis: one tick per decade. */
	for (double d = d0; d <= d1; d++) {
		double x = label_w + (d - d0) / (d1 - d0) * plot_w;
		ls_buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
				 "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.6g s</text>\n",
			      x, TOP + legend_h - 4, x, y, x, y + 14, pow(10, d));
	}
	ls_buf_printf(b, "</svg>\n");
}

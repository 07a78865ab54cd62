/* What a campaign found, compared with what its variant declares (struct ls_variant's expect).
 *
 * A campaign knows, per kind of finding, the first execution that showed it.  The verdict:
 *   expect never      met when no finding is a bug for the variant;
 *   expect KIND       met when KIND was found (other bugs on the way do not change that: a
 *                     buggy variant may show more than its declared bug);
 *   unsettled         no verdict: what was found is listed.
 * The text reads "expected deadlock: found (execution 15)", "expected deadlock: NOT found in
 * 300,000 executions", "expected never: found stall (execution 3)".  Execution numbers are the
 * campaign's own, as its findings print them. */
#include "expect.h"

#include "json.h"

#include <inttypes.h>
#include <stdio.h>

/* 300000 -> "300,000". */
static void thousands(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof(digits), "%" PRIu64, n);
	size_t o = 0;
	for (int i = 0; i < nd && o + 2 < len; i++) {
		if (i && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
}

/* The bug kinds found, earliest first: "stall (execution 3), deadlock (execution 9)". */
static int found_list(const struct ls_variant *var, const uint64_t *first, bool bugs_only,
		      char *buf, size_t len)
{
	bool done[LS_KIND_COUNT] = { false };
	int n = 0;
	size_t o = 0;
	buf[0] = 0;
	for (;;) {
		int best = -1;
		for (int k = 1; k < LS_KIND_COUNT; k++)
			if (!done[k] && first[k] != LS_EXPECT_NOT_FOUND &&
			    (!bugs_only || ls_variant_bug(var, (enum ls_kind)k)) &&
			    (best < 0 || first[k] < first[best]))
				best = k;
		if (best < 0)
			return n;
		done[best] = true;
		char at[48] = "";
		if (first[best] != LS_EXPECT_FOUND)
			snprintf(at, sizeof(at), " (execution %" PRIu64 ")", first[best]);
		int w = snprintf(buf + o, o < len ? len - o : 0, "%s%s%s", n ? ", " : "",
				 ls_kind_name((enum ls_kind)best), at);
		if (w > 0)
			o += (size_t)w;
		n++;
	}
}

void ls_expect_judge(const struct ls_variant *var, const uint64_t *first, uint64_t executions,
		     const char *what, struct ls_expect *e)
{
	char count[32], list[200], span[64];
	thousands(executions, count, sizeof(count));
	if (executions == LS_EXPECT_UNCOUNTED)
		snprintf(span, sizeof(span), "the campaign");
	else
		snprintf(span, sizeof(span), "%s %s%s", count, what, executions == 1 ? "" : "s");
	if (var->expect >= LS_KIND_COUNT) {
		e->met = LS_EXPECT_UNSETTLED;
		if (found_list(var, first, false, list, sizeof(list)))
			snprintf(e->text, sizeof(e->text), "unsettled: found %s", list);
		else
			snprintf(e->text, sizeof(e->text), "unsettled: nothing found in %s", span);
		return;
	}
	if (var->expect == LS_KIND_NONE) {
		bool bug = found_list(var, first, true, list, sizeof(list)) > 0;
		e->met = bug ? LS_EXPECT_NOT_MET : LS_EXPECT_MET;
		if (bug)
			snprintf(e->text, sizeof(e->text), "expected never: found %s", list);
		else
			snprintf(e->text, sizeof(e->text), "expected never: no bug in %s", span);
		return;
	}
	const char *want = ls_kind_name(var->expect);
	if (first[var->expect] != LS_EXPECT_NOT_FOUND) {
		e->met = LS_EXPECT_MET;
		if (first[var->expect] == LS_EXPECT_FOUND)
			snprintf(e->text, sizeof(e->text), "expected %s: found", want);
		else
			snprintf(e->text, sizeof(e->text), "expected %s: found (execution %" PRIu64 ")",
				 want, first[var->expect]);
		return;
	}
	e->met = LS_EXPECT_NOT_MET;
	if (found_list(var, first, false, list, sizeof(list)))
		snprintf(e->text, sizeof(e->text), "expected %s: NOT found in %s; found %s", want,
			 span, list);
	else
		snprintf(e->text, sizeof(e->text), "expected %s: NOT found in %s", want, span);
}

void ls_expect_json(struct ls_buf *j, const struct ls_variant *var, const struct ls_expect *e)
{
	ls_buf_printf(j, ",\"expected\":");
	if (var->expect >= LS_KIND_COUNT)
		ls_buf_printf(j, "\"unsettled\"");
	else
		ls_buf_printf(j, "\"%s\"",
			      var->expect == LS_KIND_NONE ? "never" : ls_kind_name(var->expect));
	ls_buf_printf(j, ",\"expectation_met\":%s,\"expectation\":",
		      e->met == LS_EXPECT_MET	    ? "true"
		      : e->met == LS_EXPECT_NOT_MET ? "false"
						    : "null");
	ls_json_str(j, e->text);
}

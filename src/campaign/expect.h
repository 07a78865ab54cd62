/* A campaign's findings against its variant's declared outcome (expect.c explains the verdict). */
#ifndef LS_CLI_EXPECT_H
#define LS_CLI_EXPECT_H

#include <stdint.h>

#include <lockstep/target.h>

#include "../buf.h"
#include "../exec.h"

#define LS_EXPECT_NOT_FOUND UINT64_MAX	/* first[kind] when the campaign did not show kind */
#define LS_EXPECT_FOUND (UINT64_MAX - 1)	/* shown, at an execution nobody counted */
#define LS_EXPECT_UNCOUNTED UINT64_MAX	/* executions: not known (an external fuzzer's) */

enum ls_expect_met { LS_EXPECT_NOT_MET, LS_EXPECT_MET, LS_EXPECT_UNSETTLED };

struct ls_expect {
	enum ls_expect_met met;
	char text[320];		/* "expected deadlock: found (execution 15)" */
};

/* first[k]: the first execution (the campaign's numbering) that showed kind k, or
 * LS_EXPECT_NOT_FOUND; executions: how many ran; what: "execution" or "schedule" (an "s" is
 * added for any count but 1). */
void ls_expect_judge(const struct ls_variant *var, const uint64_t *first, uint64_t executions,
		     const char *what, struct ls_expect *e);
/* Appends ,"expected":...,"expectation_met":true|false|null,"expectation":"..." to a JSON
 * object being written. */
void ls_expect_json(struct ls_buf *j, const struct ls_variant *var, const struct ls_expect *e);

#endif

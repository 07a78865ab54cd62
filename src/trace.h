/* Traces: the text record of one execution that `lockstep replay` re-executes.
 *
 *   lockstep-trace 1               format version (this file's grammar)
 *   lockstep 0.1.0                 the version that wrote it (informational)
 *   target demo/abba
 *   variant buggy
 *   step-limit 1000000             the options that change execution
 *   time-limit-ns 60000000000
 *   step-ns 10
 *   strategy random p-switch 0.1 p-irq 0.05    how the decisions were made (informational)
 *   seed 7
 *   decisions 2                    then that many "@STEP CHOICE" lines, steps increasing
 *   @14 run t1
 *   @17 nmi nmi cpu0
 *   outcome deadlock
 *   signature deadlock: ...
 *   steps 31
 *   checksum 0123456789abcdef      FNV-1a of every byte above this line; optional (delete it
 *   end                            after editing a trace by hand)
 *
 * Nothing in a trace depends on time, addresses or the environment: the same inputs give the
 * same bytes. */
#ifndef LS_TRACE_H
#define LS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "exec.h"

#define LS_TRACE_FORMAT 1

struct ls_trace_step {
	uint64_t step;
	char choice[64];
};

struct ls_trace {
	int format;
	char target[64];
	char variant[64];
	struct ls_config cfg;
	char strategy[128];
	uint64_t seed;
	struct ls_trace_step *steps;	/* malloc'd; ls_trace_free() */
	size_t nsteps;
	enum ls_kind kind;
	char signature[512];
	uint64_t nsteps_run;
};

/* Writes the trace of the session's last execution. */
void ls_trace_write(const struct ls_session *s, const struct ls_result *r, const char *strategy,
		    struct ls_buf *out);

/* Parses a trace.  On failure returns false with a one-line reason in err. */
bool ls_trace_parse(const char *text, size_t len, struct ls_trace *t, char *err, size_t errlen);
void ls_trace_free(struct ls_trace *t);

/* Resolves the parsed decisions against a session's machine; false with err on a bad choice. */
bool ls_trace_decisions(const struct ls_trace *t, const struct ls_machine *m,
			struct ls_decision *out, char *err, size_t errlen);

#endif

/* One execution of a target variant under a decision source, and what it found.
 * Every front end (CLI commands, fuzz harnesses, tests, benchmarks) runs executions through here. */
#ifndef LS_EXEC_H
#define LS_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sched/machine.h"

struct ls_session {
	const struct ls_target *target;
	int variant;
	struct ls_machine *m;
};

struct ls_result {
	enum ls_kind kind;
	uint64_t seed;
	uint64_t steps;
	uint64_t clock;
	/* Filled for findings: the normalized signature and its hash. */
	char signature[512];
	unsigned long long hash;
};

bool ls_session_init(struct ls_session *s, const struct ls_target *t, int variant,
		     const struct ls_config *cfg, char *err, size_t errlen);
void ls_session_finish(struct ls_session *s);

/* Runs one execution; the machine keeps its state for reports until the next run. */
enum ls_kind ls_session_run(struct ls_session *s, struct ls_strategy *st, uint64_t seed,
			    struct ls_result *r);

/* The wait-for graph at the end of a deadlock: each context waits for at most one other. */
struct ls_wait {
	int next;		/* context waited for, or -1 */
	const void *addr;	/* the word it is parked on, NULL if it waits for a CPU */
	const char *how;	/* "waits on", "interrupted by", "waits for the CPU held by" */
};
void ls_wait_graph(const struct ls_machine *m, struct ls_wait *w);
/* Writes the cycle through the wait-for graph, if any, as "t0 -> spin_lock(lock_b) -> t1 -> ...".
 * Returns false (and writes nothing) when there is none. */
bool ls_wait_cycle(const struct ls_machine *m, char *buf, size_t n);

#endif

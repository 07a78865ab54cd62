/* Finding the cycle in a wait-for graph where each context waits for at most one other: the
 * simulator's deadlock signature (src/exec.c) and lockstep stress's hang report (native.c). */
#ifndef LS_CYCLE_H
#define LS_CYCLE_H

#include <lockstep/runtime.h>

/* How an edge of the graph reads: "t0 waits in spin_lock on lock_a held by t1". */
static inline const char *ls_wait_rel_text(enum ls_wait_rel rel)
{
	switch (rel) {
	case LS_WAIT_HOLDER:
		return "held by";
	case LS_WAIT_QUEUED:
		return "queued behind";
	case LS_WAIT_FOR:
		return "waiting for";
	default:
		return "of";
	}
}

/* The lowest index on a cycle of next[] (next[i]: whom i waits for, -1 for nobody), or -1.
 * From each start, walk at most n edges; a walk that comes back to its start found a cycle, and
 * lower starts were tried first. */
static inline int ls_cycle_start(const int *next, int n)
{
	for (int start = 0; start < n; start++) {
		int x = start, len = 0;
		do {
			x = next[x];
			len++;
		} while (x >= 0 && x != start && len <= n);
		if (x == start)
			return start;
	}
	return -1;
}

#endif

/* The lock validator's state and findings, for the executor and the reports. */
#ifndef LS_LOCKDEP_INTERNAL_H
#define LS_LOCKDEP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockstep/lockdep.h>

#include "../../sched/machine.h"

#define LS_MAX_CLASSES 256
#define LS_MAX_LOCK_DEPTH 48	/* lockdep's MAX_LOCK_DEPTH */
#define LS_MAX_FRAMES 12	/* backtrace depth kept per edge and per report */
#define LS_MAX_CHAIN 8		/* longest dependency chain a report prints */

struct ls_backtrace {
	uintptr_t ip[LS_MAX_FRAMES];
	int n;
};

/* One acquisition on a context's held-lock stack. */
struct ls_held {
	struct ls_lockdep_map *map;
	uint16_t class_id;
	uint8_t read;
	bool trylock;
	bool irqs_off;			/* interrupts were off when it was taken */
	const struct ls_site *site;
	uint64_t step;
};

#endif

struct ls_lockdep;
struct ls_lockdep *ls_lockdep_current(void);
void ls_lockdep_begin(struct ls_lockdep *ld);

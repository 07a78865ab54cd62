/* The interleavings a campaign has run: a set of 64-bit schedule hashes that worker processes
 * fill at once, in memory they share with their parent (no lock: compare-and-swap on each slot).
 *
 * A schedule is named by its non-default decisions, in order (ls_schedule_hash()).  The set is
 * exact up to LS_SEEN_EXACT_MAX distinct hashes, in an open-addressing table never more than half
 * full; every hash also feeds a HyperLogLog sketch (Flajolet et al., 2007) of 2^LS_HLL_BITS
 * registers, standard error about 0.8%, which gives the count once the table is full. */
#ifndef LS_CAMPAIGN_INTERLEAVINGS_H
#define LS_CAMPAIGN_INTERLEAVINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "../../sched/machine.h"

#define LS_SEEN_SLOTS (1u << 21)
#define LS_SEEN_EXACT_MAX (LS_SEEN_SLOTS / 2)
#define LS_HLL_BITS 14

/* Zeroed shared memory is an empty set. */
struct ls_seen {
	uint64_t count;				/* distinct hashes in slots */
	uint32_t full;				/* count reached LS_SEEN_EXACT_MAX */
	uint8_t hll[1u << LS_HLL_BITS];		/* HyperLogLog registers, fed every hash */
	uint64_t slots[LS_SEEN_SLOTS];		/* 0: empty */
};

void ls_seen_add(struct ls_seen *s, uint64_t h);
/* The number of distinct hashes; *exact says whether it is a count or an estimate. */
uint64_t ls_seen_count(const struct ls_seen *s, bool *exact);
/* A 64-bit name for the machine's last execution's schedule: its non-default decisions. */
uint64_t ls_schedule_hash(const struct ls_machine *m);

#endif

/* Bug identity: what a finding is, as opposed to where it happened (its placement).
 * bug.c explains the canonical form. */
#ifndef LS_BUG_H
#define LS_BUG_H

#include <stddef.h>
#include <stdint.h>

#include "exec.h"

/* Fills r->bug, r->bug_hash and r->title from the machine and the validator as the execution
 * ended, for a finding whose kind and placement (r->signature) are already set. */
void ls_bug_identify(const struct ls_machine *m, struct ls_result *r);

/* For a finding made outside an execution (a crash), or read from a trace written before bug
 * identities: its bug is its signature, with CPU numbers taken out. */
void ls_bug_from_signature(struct ls_result *r);

/* The bug's family: the key's first word ("deadlock", "stall", "averted", "ABBA", ...), used to
 * name its files. */
void ls_bug_family(const char *key, char *buf, size_t n);

/* Which trace of a bug is kept: a hang seen (0) before a validator's prediction (1) before an
 * averted one (2); then fewer decisions, then fewer steps. */
int ls_bug_rank(enum ls_kind kind);
/* Two traces of one bug in that order, each its kind, decisions and steps: negative if a is the
 * one kept, positive if b is, 0 if they tie. */
int ls_bug_trace_cmp(enum ls_kind ka, uint64_t da, uint64_t sa, enum ls_kind kb, uint64_t db,
		     uint64_t sb);

#endif

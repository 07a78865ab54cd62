/* The lock validator's state, findings and reports, for the executor and the CLI.
 * Lock models use the annotation interface in include/lockstep/lockdep.h. */
#ifndef LS_LOCKDEP_INTERNAL_H
#define LS_LOCKDEP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockstep/lockdep.h>

#include "../../sched/machine.h"
#include "../buf.h"

#define LS_MAX_CLASSES 256
#define LS_MAX_EDGES 4096
#define LS_MAX_LOCK_DEPTH 48	/* lockdep's MAX_LOCK_DEPTH */
#define LS_MAX_FRAMES 24	/* backtrace depth kept per dependency and per report */
#define LS_MAX_CHAIN 16		/* longest dependency chain a report keeps */
#define LS_MAX_PRIOR 8		/* earlier executions a cross-execution finding can cite */
#define LS_MAX_REPORTS 4	/* reports kept per execution */

/* What the validator checks; see enum ls_lockdep_mode in exec.h for the CLI's view. */
enum ls_validate { LS_VALIDATE_ON, LS_VALIDATE_OFF, LS_VALIDATE_COMPAT };

struct ls_backtrace {
	void *ip[LS_MAX_FRAMES];
	int n;
};

/* Captures the caller's stack, skipping `skip` innermost frames. */
void ls_backtrace_capture(struct ls_backtrace *bt, int skip);
/* Prints one "       function+0xoff/0xsize" line per frame, up to the context's entry. */
void ls_backtrace_print(const struct ls_backtrace *bt, struct ls_buf *b);
/* "function+0xoff/0xsize" for a code address. */
void ls_symbolize(const void *ip, char *buf, size_t n);
/* A kernel-oops style "Code:" line: the instructions around ip, the one at ip in <...>. */
void ls_code_line(const void *ip, struct ls_buf *b);

/* Where an acquisition stands.  Lockdep puts a lock on the held stack when it is asked for;
 * lockstep tells the three apart so that nothing is said to be held before it is. */
enum ls_held_state {
	LS_HELD_TRYING,			/* announced (ls_lock_acquire), not taken yet */
	LS_HELD_WAITING,		/* queued in the lock's FIFO (ls_lock_contended) */
	LS_HELD_HELD,			/* taken (ls_lock_acquired, or a trylock) */
};

/* One acquisition on a context's held-lock stack. */
struct ls_held {
	const struct ls_lockdep_map *map;
	const void *lock;
	uint16_t class_id;
	uint8_t read;
	uint8_t state;			/* enum ls_held_state */
	bool trylock;
	bool irqs_off;			/* interrupts were off when it was taken */
	bool bh_off;			/* softirqs were off (bottom halves disabled, or serving) */
	const struct ls_site *site;
	uint64_t step;			/* of the annotation: with map, the acquisition's identity */
	uint64_t held_step;		/* the step it was taken at; UINT64_MAX until then */
};

/* Lockdep's usage bits, in lockdep's layout (bit 0: read, bit 1: direction, bits 2-3: the state,
 * hardirq or softirq), then lockstep's own: NMI usage, which the kernel's lockdep does not track
 * (it is off inside NMIs), in a column of its own. */
enum ls_usage_bit {
	LS_USED_IN_HARDIRQ,
	LS_USED_IN_HARDIRQ_READ,
	LS_ENABLED_HARDIRQ,
	LS_ENABLED_HARDIRQ_READ,
	LS_USED_IN_SOFTIRQ,
	LS_USED_IN_SOFTIRQ_READ,
	LS_ENABLED_SOFTIRQ,
	LS_ENABLED_SOFTIRQ_READ,
	LS_USED,
	LS_USED_READ,
	LS_USED_IN_NMI,
	LS_USED_IN_NMI_READ,
	LS_USAGE_BITS
};
#define LS_USAGE_READ 1		/* lockdep's LOCK_USAGE_READ_MASK */
#define LS_USAGE_DIR 2		/* LOCK_USAGE_DIR_MASK: 0 used in, 1 enabled */
#define LS_USAGE_STATES 2	/* hardirq, softirq */

/* Where a usage bit or a dependency was first seen. */
struct ls_origin {
	const char *ctx;		/* context name */
	uint8_t kind;			/* enum ls_ctx_kind of that context */
	const struct ls_site *site;
	uint64_t step;
	uint32_t exec;			/* execution number within the session */
	uint64_t seed;
	struct ls_backtrace bt;
};

struct ls_lock_class {
	const void *key;		/* the map's key + subclass */
	const char *name;		/* "name", or "name/subclass" in namebuf */
	uint8_t wait_type;
	uint8_t flags;
	uint8_t subclass;
	char namebuf[56];
	uint32_t usage;			/* 1 << enum ls_usage_bit */
	struct ls_origin first[LS_USAGE_BITS];
	int out, in;			/* heads of the edge lists, -1 when empty */
};

/* A dependency: `to` was taken while `from` was held, first seen at `origin`. */
struct ls_dep {
	uint16_t from, to;
	bool from_read;			/* lockdep's S (shared) on the held side */
	bool to_recursive;		/* lockdep's R on the acquired side */
	int next_out, next_in;
	const struct ls_site *from_site;
	struct ls_origin origin;
};

enum ls_lockdep_bug {
	LS_BUG_CIRCULAR,		/* a new dependency closes a cycle */
	LS_BUG_RECURSIVE,		/* the context already holds a lock of this class */
	LS_BUG_INTERRUPT_AA,		/* an interrupt takes a lock the interrupted context holds,
					 * or waits for in its FIFO queue */
	LS_BUG_USAGE,			/* inconsistent lock state: one class, conflicting usage */
	LS_BUG_IRQ_ORDER,		/* irq-safe -> irq-unsafe through a new dependency */
	LS_BUG_INVERSION,		/* a new usage bit conflicts with a dependency's */
	LS_BUG_UNLOCK,			/* release of a lock the context does not hold */
	LS_BUG_FREED,			/* memory holding a held lock freed or re-initialised */
	LS_BUG_HELD_AT_EXIT,		/* a context ended holding locks */
	LS_BUG_WAIT_CONTEXT,		/* a lock taken where its wait type is not allowed */
};

struct ls_lockdep_report {
	enum ls_lockdep_bug bug;
	const char *shape;		/* "AA", "ABBA", "cycle", "irq-inversion", "nmi-inversion" */
	bool averted;			/* the cycle goes through a lock whose acquisition can fail */
	int ctx;			/* the context that was acquiring */
	enum ls_ctx_kind ctx_kind;
	int cpu;
	uint64_t step;
	uint32_t exec;			/* the execution that made it */
	struct ls_held next;		/* the acquisition that triggered it */
	struct ls_held prev;		/* the held lock it conflicts with */
	int other_ctx;			/* interrupt AA: the interrupted holder */
	int chain[LS_MAX_CHAIN];	/* circular: the dependencies from next back to prev */
	int nchain;
	bool chain_truncated;
	int usage_old, usage_new;	/* usage and inversion bugs; irq order: safe, unsafe bit */
	const struct ls_site *at;	/* freed: where the memory was freed or re-initialised */
	unsigned len;			/* freed: its length */
	int curr_inner;			/* wait context: the innermost wait type allowed here */
	int other_class;		/* inversion: the class at the other end; irq order: the safe one */
	int unsafe_class;		/* irq order: the irq-unsafe class */
	struct ls_held held[LS_MAX_LOCK_DEPTH];
	int nheld;
	struct ls_backtrace bt;
	/* Earlier executions whose dependencies the finding relies on, oldest first. */
	uint32_t prior_exec[LS_MAX_PRIOR];
	uint64_t prior_seed[LS_MAX_PRIOR];
	int nprior;
};

/* A validator's classes, dependencies and held stacks; each session owns one. */
struct ls_validator;
struct ls_validator *ls_validator_create(void);
void ls_validator_destroy(struct ls_validator *v);
/* Forgets every class and dependency and sets the mode: a new campaign. */
void ls_lockdep_reset(struct ls_validator *v, enum ls_validate mode);
/* Starts an execution on v, which validates every annotation until the next begin: empties the
 * held-lock stacks; exec and seed are recorded on what it adds.  The functions below without a
 * validator argument act on it. */
void ls_lockdep_begin(struct ls_validator *v, uint32_t exec, uint64_t seed);
/* The execution's selected report (its first, unless ls_lockdep_select()), or NULL. */
const struct ls_lockdep_report *ls_lockdep_report(void);
/* The execution's reports, kept in the order made, and choosing which one is the finding. */
int ls_lockdep_nreports(void);
const struct ls_lockdep_report *ls_lockdep_report_at(int i);
void ls_lockdep_select(int i);
/* Acquisitions validated since the last reset (for benchmarks). */
uint64_t ls_lockdep_acquisitions(void);
/* The held-lock stack of context ctx in the running (or last) execution, outermost first: its
 * depth, and *held pointing at it.  Read-only, for observers of an execution (the replay's
 * timeline); a blocking acquisition is on the stack from its annotation, in state TRYING or
 * WAITING until it is taken. */
int ls_lockdep_held(int ctx, const struct ls_held **held);
/* Whether the held stacks' class_id name classes: the validator is on and its class table did
 * not fill up (off, entries are pushed with no class). */
bool ls_lockdep_classes_valid(void);

const struct ls_lock_class *ls_lockdep_class(int id);
const char *ls_usage_name(int bit);
/* Interrupts, or bottom halves, came back on in the current context; the current context is
 * about to end (called through the machine's model hooks). */
void ls_lockdep_irqs_on(void);
void ls_lockdep_softirqs_on(void);
void ls_lockdep_ctx_exit(void);
const struct ls_dep *ls_lockdep_dep(int id);

/* The report in lockdep's layout (spec §4.1), then lockstep's concrete account. */
void ls_lockdep_render(const struct ls_lockdep_report *r, const struct ls_machine *m,
		       struct ls_buf *b);
/* The kind of bug in lockdep's words, as its report's title has it, without "WARNING:". */
const char *ls_lockdep_bug_title(enum ls_lockdep_bug bug);
/* The dedup signature: the shape, the sorted classes and the sorted contexts. */
void ls_lockdep_signature(const struct ls_lockdep_report *r, const struct ls_machine *m,
			  struct ls_buf *b);

#endif

/* How a scenario (a target) declares itself: CPUs, tasks, interrupt sources, variants with
 * their expected outcome, and the hooks that reset and check its state around an execution.
 *
 * A target keeps its state in statics and rebuilds all of it in init(), which runs before every
 * execution, so millions of executions run in one process without allocating.  A target's
 * functions must be deterministic: no wall time, no addresses in output, no randomness.
 */
#ifndef LOCKSTEP_TARGET_H
#define LOCKSTEP_TARGET_H

#include <lockstep/runtime.h>

#define LS_MAX_CPUS 8
#define LS_MAX_TASKS 16
#define LS_MAX_IRQ_SOURCES 4

/* The finding kinds, named by shape; the same words appear in reports, file names and tests. */
enum ls_kind {
	LS_KIND_NONE,		/* the execution ended cleanly */
	LS_KIND_DEADLOCK,	/* nothing can make progress: every live context waits */
	LS_KIND_STALL,		/* the step or virtual-time limit ended a runaway execution */
	LS_KIND_INVARIANT,	/* a target or model check failed */
	LS_KIND_LOCKDEP,	/* the lock validator found a potential deadlock (AA, ABBA, cycle,
				 * irq-inversion, nmi-inversion) in an execution that did not hang */
	LS_KIND_AVERTED,	/* as LOCKDEP, but through a lock whose acquisition can fail: the
				 * code gets an error back; not a bug unless the target says so */
	LS_KIND_CRASH,		/* the process running the execution died (a signal, a sanitizer
				 * report, a hang): always a bug, whatever the variant says */
	LS_KIND_COUNT		/* also a variant's `expect` when its outcome is not settled */
};

const char *ls_kind_name(enum ls_kind kind);

struct ls_task_decl {
	const char *name;	/* shown in reports and traces, unique within the target */
	int cpu;
	void (*fn)(void *arg);
	void *arg;
};

/* An interrupt the scheduler may inject: an NMI (any time) or a hardirq (only where the
 * interrupted context has interrupts enabled). */
struct ls_irq_decl {
	const char *name;
	uint32_t cpus;		/* bit i: may fire on CPU i */
	unsigned budget;	/* injections per CPU per execution; 0 means 1 */
	void (*fn)(void *arg);
	void *arg;
};

#define LS_KIND_BIT(k) (1u << (k))

struct ls_variant {
	const char *name;
	const char *summary;	/* the bug it carries, or why it is clean */
	enum ls_kind expect;	/* LS_KIND_NONE: "never" */
	/* The kinds that count as bugs for this variant (LS_KIND_BIT()s); 0 means every kind but
	 * LS_KIND_AVERTED.  A finding of another kind is still reported and kept, as expected
	 * behaviour (e.g. rqspinlock's known ABBCCA timeout), and does not make `run` or `fuzz`
	 * exit 1.  LS_KIND_CRASH is a bug whatever this says. */
	uint32_t bugs;
};

/* Whether a finding of kind k is a bug for variant v. */
static inline bool ls_variant_bug(const struct ls_variant *v, enum ls_kind k)
{
	uint32_t bugs = v->bugs ? v->bugs : ~LS_KIND_BIT(LS_KIND_AVERTED);
	return k != LS_KIND_NONE && (k == LS_KIND_CRASH || (bugs & LS_KIND_BIT(k)));
}

struct ls_target {
	const char *name;	/* "demo/abba" */
	const char *summary;
	const char *models;	/* the kernel code it models, for `lockstep list` */
	int ncpus;
	const struct ls_task_decl *tasks;
	int ntasks;
	const struct ls_irq_decl *nmis;
	int nnmis;
	const struct ls_irq_decl *irqs;
	int nirqs;
	const struct ls_variant *variants;
	int nvariants;
	void (*init)(int variant);	/* before each execution */
	void (*check)(int variant);	/* after a clean execution; may ls_fail() */
};

/* ---- targets built outside the tree ------------------------------------------------------
 *
 * A target compiled into a shared object names its struct ls_target once, at file scope:
 *
 *	static const struct ls_target my_target = { ... };
 *	LS_TARGET_EXPORT(my_target);
 *
 * and runs with `lockstep fuzz ./my_target.so:VARIANT` (docs/out-of-tree.md).  The macro defines
 * the only two symbols the loader looks up: lockstep_target_abi, the LS_TARGET_ABI of the header
 * the object was compiled against, and lockstep_target_entry(), which returns the target.  The
 * loader refuses an object whose ABI differs from its own.
 *
 * LS_TARGET_ABI counts incompatible changes to what a compiled target depends on: the layout of
 * the structs in this header and of the objects it embeds (spinlock_t, atomic_t, ...), and the
 * signature or meaning of the functions the public headers' macros and inlines call.  Whoever
 * makes such a change increments it.
 */
#define LS_TARGET_ABI 6	/* 3: the blocker hook, ls_lock_acquired(), LS_OP_RESUME/TIME; 4: softirqs
			 * (spin_lock_bh() disables bottom halves), lockdep subclasses; 5: memory
			 * models (atomic.h's accessors call ls_mem_*()); 6: kernel backends
			 * (struct irq_work in the kernel's layout, llist.h's calls) */

#define LS_TARGET_VISIBLE __attribute__((visibility("default")))

/* Ends with a declaration, so the caller's semicolon completes it. */
#define LS_TARGET_EXPORT(var)                                                                    \
	LS_TARGET_VISIBLE const struct ls_target *lockstep_target_entry(void);                  \
	LS_TARGET_VISIBLE const struct ls_target *lockstep_target_entry(void)                   \
	{                                                                                        \
		return &(var);                                                                   \
	}                                                                                        \
	LS_TARGET_VISIBLE extern const int lockstep_target_abi;                                 \
	LS_TARGET_VISIBLE const int lockstep_target_abi = LS_TARGET_ABI;                        \
	extern const int lockstep_target_abi

#endif

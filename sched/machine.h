/* The simulated machine: CPUs, their context stacks, virtual time, and one execution's record.
 * This is the interface the layers above (exec, trace, report) use; models use runtime.h. */
#ifndef LS_MACHINE_H
#define LS_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockstep/runtime.h>
#include <lockstep/target.h>

#include "fiber.h"
#include "strategy.h"

/* Every task, plus one hardirq and one NMI context per CPU, then one softirq context per CPU (ids
 * after all the others, so the older contexts keep theirs). */
#define LS_MAX_CTX (LS_MAX_TASKS + 3 * LS_MAX_CPUS)
#define LS_RING 64	/* recent steps kept for the report's timeline */

enum ls_ctx_state {
	LS_IDLE,	/* an interrupt context not currently entered */
	LS_READY,	/* may run when it is on top of its CPU */
	LS_PARKED,	/* waiting for a word or a deadline */
	LS_DONE,	/* a task whose function returned */
};

struct ls_ctx {
	/* Interrupt contexts alternate between two stacks, so a new entry never rebuilds the stack
	 * the previous one is still finishing on; tasks use fiber[0] only. */
	struct ls_fiber fiber[2];
	int fsel;
	int id;
	int cpu;
	enum ls_ctx_kind kind;
	enum ls_ctx_state state;
	const char *name;		/* stable: choices ("run nmi@cpu0") and traces use it */
	/* What reports call it: the name, or for an interrupt context entered from a declared
	 * source, the source's name on this CPU ("perf@cpu0"), kept after it returns. */
	const char *label;
	void (*fn)(void *arg);
	void *arg;
	int src;			/* interrupt source being run, -1 for raised-only hardirqs */
	struct ls_ctx *below;		/* the context this interrupt interrupted (NULL: idle CPU) */
	bool irqs_off;
	int preempt;
	int bh;				/* local_bh_disable() depth */
	/* The announced operation: the one it runs next when it resumes. */
	enum ls_op op;
	const void *addr;
	const struct ls_site *site;
	const void *ip;			/* the code address that announced it, for Code: lines */
	/* Parking: valid while state == LS_PARKED. */
	uint8_t mem_size;		/* the announced access's size (ls_mem_point) */
	uint8_t mem_old;			/* LS_CH_OLD: the announced load reads this older value */
	uintptr_t park_word;
	uint64_t deadline;
	uint64_t park_step;
	bool timed_out;
	char namebuf[24];
	char srclabel[LS_MAX_IRQ_SOURCES][40];	/* interrupt contexts: "SOURCE@cpuN" */
};

struct ls_cpu {
	struct ls_ctx *top;		/* running context; NULL when no task was ever placed here */
	struct ls_ctx *task;		/* the task at the bottom of the stack */
	struct ls_ctx *hardirq;
	struct ls_ctx *nmi;
	struct ls_ctx *softirq;
	bool irq_pending;		/* a raised hardirq not yet delivered */
	uint16_t softirq_pending;	/* raised vectors not yet run, bit = vector */
	int ntasks;			/* tasks placed on this CPU (fixed per target) */
	uint8_t nmi_left[LS_MAX_IRQ_SOURCES];
	uint8_t irq_left[LS_MAX_IRQ_SOURCES];
};

/* The memory models (sched/memory.c). */
enum ls_memory_model { LS_MEM_SC, LS_MEM_TSO, LS_MEM_RELAXED, LS_MEM_COUNT };
const char *ls_memory_model_name(enum ls_memory_model mm);
/* Parses "sc", "tso" or "relaxed"; false for anything else. */
bool ls_memory_model_parse(const char *s, enum ls_memory_model *mm);

/* The options that change what an execution does; traces record them. */
struct ls_config {
	uint64_t step_limit;
	uint64_t time_limit_ns;
	uint32_t step_ns;
	uint32_t slow_budget;		/* "slow" choices an execution may take (sched/clock.c) */
	uint8_t memory_model;		/* enum ls_memory_model */
	bool compiler_reorder;		/* plain accesses may be reordered by the compiler */
	uint32_t reorder_budget;	/* memory-model choices an execution may take */
};

/* Whether cfg runs anything but sequential consistency in program order. */
static inline bool ls_config_weak(const struct ls_config *cfg)
{
	return cfg->memory_model != LS_MEM_SC || cfg->compiler_reorder;
}

#include "memory.h"

void ls_config_default(struct ls_config *cfg);

/* What ran at a step: the operation of the context the step's decision ran (recorded when it
 * runs, not when it was announced), a park or an exit (they take effect at their own point), an
 * interrupt's entry or a task's start (LS_OP_ENTER), a context going on after a wait or an
 * interrupt (LS_OP_RESUME), or the clock jumping (LS_OP_TIME, ctx: the context whose point it
 * was).  A step records one of these; after a park or an exit, also what the step's decision
 * ran. */
struct ls_step_rec {
	uint64_t step;
	uint64_t clock;
	const void *addr;
	const struct ls_site *site;
	uint8_t ctx;
	uint8_t op;
	int8_t src;			/* the interrupt source the context was running, or -1 */
	bool decided;			/* the first record of a non-default choice: `choice` */
	struct ls_choice choice;
};

struct ls_outcome {
	enum ls_kind kind;
	int ctx;			/* the context that failed (invariant) or -1 */
	const struct ls_site *site;
	char detail[256];
	/* A stall the model reported with ls_stall() (the execution went on): what stalled, for
	 * the signature; empty for a stall by the step or time limit. */
	char what[160];
};

/* The first ls_stall() of an execution, until the executor makes it the outcome. */
struct ls_stall_note {
	bool set;
	int ctx, cpu;
	const struct ls_site *site;
	uint64_t waited;
	char what[160];
};

struct ls_machine {
	const struct ls_target *target;
	struct ls_config cfg;
	int ncpus, ntasks, nctx;
	struct ls_ctx ctx[LS_MAX_CTX];
	struct ls_cpu cpu[LS_MAX_CPUS];
	struct ls_fiber main;
	struct ls_ctx *cur;		/* NULL outside an execution */
	struct ls_strategy *strategy;
	uint64_t step;
	uint64_t clock;
	int live;			/* tasks not done + interrupt contexts entered */
	/* Parked contexts, in parking order; next_deadline is the earliest deadline among them. */
	struct ls_ctx *parked[LS_MAX_CTX];
	int nparked;
	uint64_t next_deadline;
	/* Non-default decisions of this execution; capacity step_limit + 1, so it cannot fill. */
	struct ls_decision *log;
	size_t nlog, caplog;
	uint64_t preemptions;		/* RUN choices taken while the current context could go on */
	uint64_t injections;		/* NMI and hardirq injections */
	uint64_t slows;			/* SLOW choices taken while a context could run */
	uint64_t slowed_ns;		/* virtual time those slows passed */
	struct ls_step_rec ring[LS_RING];
	uint64_t nring;			/* records written; ring[i % LS_RING] */
	bool mark;			/* a non-default choice whose first record is still to come */
	struct ls_choice mark_choice;
	struct ls_outcome out;
	struct ls_stall_note stall;
	void (*raised_irq)(int cpu);
	void (*softirq_fn)(unsigned nr);
	const struct ls_model_hooks *hooks;
	struct ls_mem mem;		/* store buffers and values (sched/memory.c) */
};

/* Creates the machine for a target: stacks for every context, the decision log.  Returns NULL
 * with a message in err on failure (too many CPUs or tasks, out of memory). */
struct ls_machine *ls_machine_create(const struct ls_target *t, const struct ls_config *cfg,
				     char *err, size_t errlen);
void ls_machine_destroy(struct ls_machine *m);

/* Makes m the machine models talk to (model init before a run needs it). */
void ls_machine_select(struct ls_machine *m);

/* Runs one execution under strategy s.  The target's init must already have run.  Returns the
 * outcome kind; m->out, m->log, m->ring and the contexts describe the execution until the next
 * call. */
enum ls_kind ls_machine_run(struct ls_machine *m, struct ls_strategy *s, uint64_t seed);

/* A context's name and the name of a choice, for traces and reports ("run t1", "nmi perf cpu0",
 * "slow"). */
int ls_choice_format(const struct ls_machine *m, const struct ls_choice *c, char *buf, size_t n);
/* Parses what ls_choice_format wrote; returns false if it names nothing in this machine. */
bool ls_choice_parse(const struct ls_machine *m, const char *s, struct ls_choice *c);

/* The machine selected with ls_machine_select(), for layers that observe the running execution. */
struct ls_machine *ls_machine_current(void);

/* Whom context ctx waits for now, as the hang report's wait-for graph has it: the interrupt on top
 * of it ("is interrupted by"), the task holding its CPU ("waits for the CPU held by"), or, parked,
 * whom the model names for the word it waits on (*how "held by", "queued behind", ...; *addr the
 * word).  -1 when it waits for nobody the machine or the model can name. */
int ls_machine_waits_for(const struct ls_machine *m, int ctx, const void **addr, const char **how);

/* What a step record's context was called when it ran: its source's label for an interrupt. */
static inline const char *ls_rec_label(const struct ls_machine *m, const struct ls_step_rec *r)
{
	const struct ls_ctx *c = &m->ctx[r->ctx];
	return r->src >= 0 ? c->srclabel[r->src] : c->name;
}

/* The model hooks' name for addr; false (and "an unnamed word") when unknown: never an address. */
bool ls_machine_describe(const struct ls_machine *m, const void *addr, char *buf, unsigned n);
/* What a context parked on addr waits on, as the model words it now (describe_wait), or the
 * word's name. */
bool ls_machine_describe_wait(const struct ls_machine *m, const void *addr, char *buf, unsigned n);

#endif

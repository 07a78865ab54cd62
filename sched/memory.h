/* The state of the weak memory models (sched/memory.c) that the machine embeds, and the calls the
 * scheduler makes into them.  Fixed sizes: nothing here allocates. */
#ifndef LS_MEMORY_H
#define LS_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include <lockstep/runtime.h>
#include <lockstep/target.h>

#define LS_MEM_BUF 32		/* store-buffer entries per CPU; a full buffer drains its oldest */
#define LS_MEM_HELD 16		/* plain stores the compiler holds back per context */
#define LS_MEM_LOCS 512		/* locations whose older values are kept, per execution */
#define LS_MEM_HIST 4		/* older values kept per location */
#define LS_MEM_HASH 1024		/* buckets of 8-byte blocks, a power of two */
#define LS_MEM_OFFER 4		/* drain or emit choices offered per buffer at one point */

/* A store not yet visible: in a CPU's buffer, or held back by the compiler for one context. */
struct ls_mem_store {
	uintptr_t addr;
	uint64_t val;
	uint64_t step;			/* issued at */
	const struct ls_site *site;
	uint32_t epoch;			/* the CPU's smp_wmb() count when it entered the buffer */
	uint8_t size;
	uint8_t ctx;			/* the context that issued it */
	bool release;			/* smp_store_release(): drains only after every older entry */
	bool plain;			/* a plain access (the compiler may hold it back) */
};

/* One value a location held: `g` is the number of the write that stored it (0: before any write
 * the model saw). */
struct ls_mem_msg {
	uint64_t val;
	uint64_t g;
	uint64_t until;			/* the step a newer write replaced it (older values) */
};

/* A location some store made visible, with its older values for relaxed loads. */
struct ls_mem_loc {
	uintptr_t addr;
	uint8_t size;
	uint8_t nhist;
	int next;			/* bucket chain, -1 ends it */
	uint64_t g;			/* the write that stored its current value */
	struct ls_mem_msg hist[LS_MEM_HIST];	/* older values, newest first */
	uint64_t seen[LS_MAX_CPUS];	/* per CPU: the newest write it read or made here */
};

struct ls_mem_cpu {
	struct ls_mem_store buf[LS_MEM_BUF];	/* oldest first */
	int n;
	uint32_t epoch;			/* smp_wmb()s so far */
	uint64_t floor;			/* relaxed: the write count at its last barrier */
};

#define LS_MEM_DEPS 4		/* recent loads a context remembers for address dependencies */

struct ls_mem_held {
	struct ls_mem_store st[LS_MEM_HELD];	/* oldest first */
	int n;
	/* The context's last loads: the value each read and the write that stored it, so that a
	 * load whose address one of them returned (an address dependency) reads no older value
	 * than that write could see. */
	struct ls_mem_msg dep[LS_MEM_DEPS];
	int ndep;
};

struct ls_mem {
	bool active;			/* the running execution is not plain SC */
	uint8_t model;			/* enum ls_memory_model */
	bool reorder;			/* compiler reordering of plain accesses */
	uint64_t g;			/* writes made visible so far */
	uint64_t used;			/* memory-model choices taken (cfg.reorder_budget) */
	int pending;			/* stores in every buffer and held back, together */
	struct ls_mem_cpu cpu[LS_MAX_CPUS];
	struct ls_mem_held held[LS_MAX_TASKS + 3 * LS_MAX_CPUS];
	struct ls_mem_loc loc[LS_MEM_LOCS];
	int nloc;
	int bucket[LS_MEM_HASH];
	/* The RMW between ls_mem_rmw_begin() and _end(): its 8-byte block before the write, as
	 * snapshot() reads it (only the bytes of the locations it touches). */
	uintptr_t rmw_addr;
	uint8_t rmw_block[8];
	uint8_t rmw_order;
};

struct ls_machine;
struct ls_ctx;
struct ls_point;

/* At the start of an execution (the config chose the model). */
void ls_mem_reset(struct ls_machine *m);
/* Every step: stores that waited long enough become visible. */
void ls_mem_tick(struct ls_machine *m);
/* Whether a store buffer holds a store: one may land although no context runs. */
bool ls_mem_buffered(const struct ls_machine *m);
/* The drain choices when no context can run: the oldest buffered store first (the default). */
void ls_mem_add_drains(struct ls_machine *m, struct ls_point *pt);
/* Makes entry idx of cpu's buffer visible (it must be drainable). */
void ls_mem_drain(struct ls_machine *m, int cpu, int idx);
/* A compiler barrier in c (local_irq_*(), preempt_*(), local_bh_*()) or its end: the compiler
 * emits what it held back. */
void ls_mem_emit_held(struct ls_machine *m, struct ls_ctx *c);
/* The clock is about to jump: every buffered store lands first, oldest first, and every CPU
 * catches up with memory. */
void ls_mem_time_passes(struct ls_machine *m);
/* A model's own access or ls_park(): the barrier it implies, now that it runs. */
void ls_mem_model_point(struct ls_machine *m, struct ls_ctx *c, enum ls_op op);
/* Appends the memory-model choices of point pt (budget permitting). */
void ls_mem_add_choices(struct ls_machine *m, struct ls_point *pt);
/* Applies a DRAIN or EMIT choice (OLD is applied by the load itself). */
void ls_mem_apply(struct ls_machine *m, uint8_t kind, int cpu, int ctx, int idx);

#endif

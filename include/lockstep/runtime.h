/* The runtime under the model library: scheduling points, parking, virtual time, and the
 * interrupt and preemption state of the current context.
 *
 * The runtime knows words, contexts and time, never lock types.  Every model operation on
 * shared state calls ls_point() first, announcing what it is about to do (operation kind, the
 * address it touches, the source site that asked for it); the scheduler may then switch to
 * another context or inject an interrupt before the operation runs.  A context that waits for a
 * word to change calls ls_park() and costs nothing until ls_wrote() touches that word or its
 * virtual deadline passes.  Outside an execution (target init and teardown) points are no-ops.
 *
 * Contract for model code:
 *   - call ls_point() immediately before each operation on shared state, and ls_wrote() right
 *     after each store to it;
 *   - never block or spin other than through ls_park(): between ls_point() and the next call
 *     into the runtime nothing else runs, so a check followed by ls_park() cannot miss a wake-up.
 */
#ifndef LOCKSTEP_RUNTIME_H
#define LOCKSTEP_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Word accesses under the points.  The simulator runs every context on one host thread, so a
 * plain access between two points is already indivisible.  The native build (LS_NATIVE, used by
 * `lockstep stress`) runs each simulated CPU on a real thread; there each access below is one
 * hardware atomic: loads acquire, stores release, read-modify-writes sequentially consistent,
 * which is what the kernel's primitives give on x86.  They take any naturally aligned scalar. */
#ifdef LS_NATIVE
#define LS_RD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LS_WR(p, v)                                                                            \
	({                                                                                     \
		__typeof__(*(p)) ls_w_ = (v);                                                   \
		__atomic_store((p), &ls_w_, __ATOMIC_RELEASE);                                  \
	})
#define LS_XCHG(p, v)                                                                          \
	({                                                                                     \
		__typeof__(*(p)) ls_x_ = (v), ls_xr_;                                           \
		__atomic_exchange((p), &ls_x_, &ls_xr_, __ATOMIC_SEQ_CST);                      \
		ls_xr_;                                                                         \
	})
/* Returns the value found; stores n only if it equals o. */
#define LS_CMPXCHG(p, o, n)                                                                    \
	({                                                                                     \
		__typeof__(*(p)) ls_Co_ = (o), ls_Cn_ = (n);                                    \
		__atomic_compare_exchange((p), &ls_Co_, &ls_Cn_, false, __ATOMIC_SEQ_CST,       \
					  __ATOMIC_SEQ_CST);                                    \
		ls_Co_;                                                                         \
	})
#define LS_FETCH_ADD(p, i) __atomic_fetch_add((p), (i), __ATOMIC_SEQ_CST)
#define LS_FETCH_OR(p, i) __atomic_fetch_or((p), (i), __ATOMIC_SEQ_CST)
#define LS_FETCH_AND(p, i) __atomic_fetch_and((p), (i), __ATOMIC_SEQ_CST)
#define LS_FETCH_XOR(p, i) __atomic_fetch_xor((p), (i), __ATOMIC_SEQ_CST)
#else
#define LS_RD(p) (*(p))
#define LS_WR(p, v) ((void)(*(p) = (v)))
#define LS_XCHG(p, v)                                                                          \
	({                                                                                     \
		__typeof__(*(p)) ls_x_ = (v), ls_xr_ = *(p);                                    \
		*(p) = ls_x_;                                                                   \
		ls_xr_;                                                                         \
	})
#define LS_CMPXCHG(p, o, n)                                                                    \
	({                                                                                     \
		__typeof__(*(p)) ls_Co_ = (o), ls_Cn_ = (n), ls_Cr_ = *(p);                     \
		if (ls_Cr_ == ls_Co_)                                                           \
			*(p) = ls_Cn_;                                                          \
		ls_Cr_;                                                                         \
	})
#define LS_FETCH_OP_(p, i, op)                                                                 \
	({                                                                                     \
		__typeof__(*(p)) ls_fr_ = *(p);                                                 \
		*(p) = ls_fr_ op(i);                                                            \
		ls_fr_;                                                                         \
	})
#define LS_FETCH_ADD(p, i) LS_FETCH_OP_(p, i, +)
#define LS_FETCH_OR(p, i) LS_FETCH_OP_(p, i, |)
#define LS_FETCH_AND(p, i) LS_FETCH_OP_(p, i, &)
#define LS_FETCH_XOR(p, i) LS_FETCH_OP_(p, i, ^)
#endif

/* Where a model operation was asked for: the call site in the target and the API it called. */
struct ls_site {
	const char *file;
	const char *func;
	const char *what;	/* e.g. "spin_lock" */
	int line;
};

/* A record kept outside the model (a result, a name) in one of cap slots whose count is *n.
 * ls_slot_claim() takes the next slot in one indivisible step that is no scheduling point, so
 * contexts on several real threads (lockstep stress) never share one; -1 when all are taken.
 * The count may pass cap meanwhile: read it back with ls_slots_used(). */
static inline int ls_slot_claim(int *n, int cap)
{
	int i = LS_FETCH_ADD(n, 1);
	return i < cap ? i : -1;
}

static inline int ls_slots_used(const int *n, int cap)
{
	int used = LS_RD(n);
	return used < cap ? used : cap;
}

/* The file a site names, as reports print it: from "targets/" on when the path has it (the same
 * whatever directory the build ran in), else its last component. */
static inline const char *ls_site_file(const char *path)
{
	const char *s = __builtin_strstr(path, "targets/");
	if (s)
		return s;
	s = __builtin_strrchr(path, '/');
	return s ? s + 1 : path;
}

/* A static site for the current source line; `what` names the API being called. */
#define LS_SITE(what_)                                                                    \
	({                                                                                \
		static const struct ls_site ls_site_ = { __FILE__, __func__, (what_), __LINE__ }; \
		&ls_site_;                                                                \
	})

/* What a scheduling point is about to do.  Partial-order reduction and reports read this.  The
 * last four are never announced by a model: the machine uses them for contexts and for its record
 * of what ran at each step. */
enum ls_op {
	LS_OP_LOAD,
	LS_OP_STORE,
	LS_OP_RMW,	/* read-modify-write: cmpxchg, xchg, fetch_op */
	LS_OP_FENCE,
	LS_OP_PARK,	/* waits for a word to be written */
	LS_OP_ENTER,	/* an interrupt context begins (takes no step) */
	LS_OP_EXIT,	/* a context ends */
	LS_OP_RESUME,	/* a context goes on after a wait, or after an interrupt it took between
			 * two points; it touches nothing before its next point */
	LS_OP_TIME,	/* no context runs: the clock jumps to the next deadline */
	LS_OP_DRAIN,	/* a buffered store becomes visible to every CPU (weak memory models) */
	LS_OP_COUNT
};

const char *ls_op_name(enum ls_op op);

/* The kinds of context.  A softirq runs on top of the task (or idle CPU) it interrupted, with
 * hardirqs on, and hardirqs and NMIs may interrupt it; its value is last so that the three older
 * kinds keep theirs. */
enum ls_ctx_kind { LS_CTX_TASK, LS_CTX_HARDIRQ, LS_CTX_NMI, LS_CTX_SOFTIRQ };

#define LS_NO_DEADLINE UINT64_MAX

/* Announces the next operation and lets the scheduler decide who runs it. */
void ls_point(enum ls_op op, const void *addr, const struct ls_site *site);

/* Parks the current context until a write touches the 8-byte word holding addr or the virtual
 * clock reaches deadline.  Returns true when woken by a write, false on the deadline. */
bool ls_park(const void *addr, uint64_t deadline, const struct ls_site *site);

/* A pause in a spin loop of kernel code (cpu_relax() in <ls_kshim.h>): parks the context on the
 * word of its last scheduling point, the load the loop just made, until a store touches it or ns
 * of virtual time pass; then the loop reads again.  So a spinner is not runnable while nothing
 * it reads changes (explore and PCT see a wait, not a busy context), and a loop whose exit
 * depends on another word, or on time, still gets to look again. */
bool ls_relax(uint64_t ns, const struct ls_site *site);

/* Wakes every context parked on the word holding addr.  Call after each store. */
void ls_wrote(const void *addr);

/* Memory models (sched/memory.c).  Under the default, sequential consistency, every access takes
 * effect at its point.  Under `--memory-model tso|relaxed` and `--compiler-reorder` the accessors
 * of atomic.h (and PLAIN_READ/PLAIN_WRITE) route their data through the model instead: stores may
 * wait in a CPU's store buffer or in the compiler's hands, loads may forward from them or, under
 * relaxed, read an older value.  ls_mem_on says whether that is so for the running execution; the
 * calls below are what the accessors use, never model code.  Any other ls_point() (a model's own
 * SC access) is a full barrier under a weak model: it drains the CPU's buffer first, so model
 * code written for sequential consistency stays correct.  The announced size must be the
 * access's (1, 2, 4 or 8 bytes, naturally aligned). */
extern int ls_mem_on;
void ls_mem_point(enum ls_op op, const void *addr, unsigned size, const struct ls_site *site);
uint64_t ls_mem_load(const void *addr, unsigned size);
void ls_mem_store(void *addr, unsigned size, uint64_t value);
void ls_mem_rmw_begin(const void *addr, unsigned size);
void ls_mem_rmw_end(const void *addr, bool wrote);
/* After a load found its wait condition false: may the context park on addr (the value it read
 * is the newest it can see), or must it look again (it read an older one)? */
bool ls_mem_may_park(const void *addr, unsigned size);

/* Virtual nanoseconds since the execution began. */
uint64_t ls_now(void);

/* Of those, the virtual nanoseconds the scheduler made the running CPUs slow (sched/clock.c):
 * time that passed for everyone while no runnable context ran.  A model's stall check (a wait
 * past a threshold, a timeout) discounts the slowed time that fell inside the wait: a wait made
 * long only by a CPU the scheduler held back is no bug of the code. */
uint64_t ls_slowed_ns(void);

/* Whether the current context, waiting on the word at addr, is on a cycle of waits right now:
 * whom it waits for there (the model's blocker) waits, through holders, queues and interrupts,
 * for it.  No CPU's speed would end such a wait; a model's timeout check uses it to tell a
 * timeout the code caused from one a slowed CPU did (always false under lockstep stress). */
bool ls_wait_in_cycle(const void *addr);

/* The current context: its id (stable for a target), CPU, kind; -1/0/TASK outside executions. */
int ls_ctx_id(void);
int ls_cpu(void);
/* The number of CPUs of the running target (0 outside executions). */
int ls_ncpus(void);
/* The number of tasks of the running target (0 outside executions). */
int ls_ntasks(void);
/* The task the current context runs over: itself for a task, the interrupted task for an
 * interrupt; -1 over an idle CPU or outside executions. */
int ls_ctx_task(void);
enum ls_ctx_kind ls_ctx_kind(void);
const char *ls_ctx_name(int id);

/* Interrupt and preemption state, per context.  As on the hardware, a hardirq that is pending when
 * ls_irq_restore() or ls_irq_enable() turns interrupts back on is taken right there, before the
 * caller's next operation: the call returns once the interrupt did. */
unsigned long ls_irq_save(void);
void ls_irq_restore(unsigned long flags);
void ls_irq_disable(void);
void ls_irq_enable(void);
bool ls_irqs_disabled(void);
void ls_preempt_disable(void);
void ls_preempt_enable(void);
int ls_preempt_count(void);

/* Bottom halves (softirqs), per context: ls_bh_disable() and ls_bh_enable() nest like
 * local_bh_disable()/local_bh_enable(), and count in ls_preempt_count() (in_atomic()), as
 * SOFTIRQ_DISABLE_OFFSET does in the kernel's preempt count.  A softirq raised on a CPU runs
 * in that CPU's softirq context:
 *   - as the hardirq that raised it (or any hardirq) exits, when what it returns to is neither
 *     serving a softirq nor has bottom halves disabled (irq_exit());
 *   - in the ls_bh_enable() that enables bottom halves again in a task with a softirq pending
 *     (local_bh_enable() -> do_softirq());
 *   - raised from a task with bottom halves enabled (the kernel wakes ksoftirqd): at the first
 *     instant that task may be preempted, with interrupts, preemption and bottom halves on:
 *     the raise itself when they are on, else the call that turns the last of them back on.
 * It runs every pending vector, lowest first, with hardirqs on, and runs again for vectors
 * raised meanwhile, as __do_softirq() does. */
#define LS_NR_SOFTIRQS 10
void ls_bh_disable(void);
void ls_bh_enable(void);
/* in_interrupt(): a hardirq, an NMI, a softirq being served, or bottom halves disabled. */
bool ls_in_interrupt(void);
/* in_softirq(): serving a softirq or bottom halves disabled, here or under this interrupt. */
bool ls_in_softirq(void);
/* in_serving_softirq(): a softirq is being served here or under this interrupt. */
bool ls_in_serving_softirq(void);
/* lockdep's softirqs_enabled: neither serving a softirq nor bottom halves disabled. */
bool ls_softirqs_enabled(void);
/* Marks softirq vector nr pending on the current CPU (raise_softirq_irqoff()). */
void ls_softirq_raise(unsigned nr);
/* The model library's runner of one vector, called in softirq context. */
void ls_set_softirq_handler(void (*fn)(unsigned nr));

/* Raises a hardirq on cpu (a self-IPI when cpu is the current CPU).  It is delivered as soon as
 * that CPU's running context has interrupts enabled (a self-IPI with interrupts on: before this
 * call returns), never over an NMI, and runs the raised-interrupt handler that the model library
 * installed with ls_set_raised_irq_handler(). */
void ls_irq_raise(int cpu);
void ls_set_raised_irq_handler(void (*fn)(int cpu));

/* Ends the execution with an invariant violation, e.g. an object freed twice.  Inside a context
 * it does not return; in a target's check hook it records the failure and returns. */
void ls_fail(const struct ls_site *site, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records that the current context stalled: it waited waited_ns of virtual time in what fmt
 * describes (e.g. "res_spin_lock(lock) returned -ETIMEDOUT").  The execution goes on, as the
 * kernel's would; it ends as a stall finding unless a hang or a failed check comes first.  Only
 * the first stall of an execution is kept. */
void ls_stall(const struct ls_site *site, uint64_t waited_ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LS_BUG_ON(cond)                                                   \
	do {                                                              \
		if (cond)                                                 \
			ls_fail(LS_SITE("BUG_ON"), "BUG_ON(%s)", #cond);  \
	} while (0)

/* Whom a context parked on an object waits for, as the model knows it: the holder, or for a FIFO
 * lock the waiter queued just ahead (the wait-for graph follows queue order). */
enum ls_wait_rel {
	LS_WAIT_NOBODY,		/* no context the model can name */
	LS_WAIT_HOLDER,		/* the context holding it, or the one it was handed to */
	LS_WAIT_QUEUED,		/* the waiter queued just ahead of this one */
	LS_WAIT_FOR,		/* a context that must act first (link a queue node, wake it) */
};

struct ls_blocker {
	int ctx;		/* context id, -1 with LS_WAIT_NOBODY */
	enum ls_wait_rel rel;
};

/* Model hooks the report uses to name words and the context holding them. */
struct ls_model_hooks {
	/* Writes a name for the object at addr into buf; returns false if unknown. */
	bool (*describe)(const void *addr, char *buf, unsigned len);
	/* Whom context `waiter`, parked on the word at addr, waits for. */
	struct ls_blocker (*blocker)(const void *addr, int waiter);
	/* Interrupts just came back on in the current context (the validator marks held locks). */
	void (*irqs_on)(void);
	/* Bottom halves just came back on in the current context (likewise). */
	void (*softirqs_on)(void);
	/* The current context is about to end (the validator checks it holds no lock). */
	void (*ctx_exit)(void);
	/* What a context parked on addr waits on, as things stand now (hang reports), e.g.
	 * "lock_a's queue (rqnodes[cpu1][1]), head after -EDEADLK, for a successor"; false if
	 * the object's name says it. */
	bool (*describe_wait)(const void *addr, char *buf, unsigned len);
};
void ls_set_model_hooks(const struct ls_model_hooks *hooks);

#endif

/* The model library's life cycle, for the executor: what must be reset before each execution. */
#ifndef LS_MODEL_H
#define LS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

/* Resets every module's per-execution state (object names, held locks, pending irq_work) and
 * installs the model hooks on the current machine.  Runs before the target's init. */
void ls_model_reset(void);

/* Empties every CPU's irq_work lists and installs the raised-interrupt handler (irq_work.c). */
void ls_irq_work_reset(void);

/* Resets every task_struct (comm, mm = NULL, pagefaults enabled) and starts a new lock
 * generation, so statically defined locks come back unlocked (mm.c, spinlock.c). */
void ls_mm_reset(void);

/* Puts the rqspinlock configuration back to the current kernel's and, if the last execution
 * used rqspinlocks, empties every CPU's queue nodes and held-lock table (rqspinlock.c). */
void ls_rqspinlock_reset(void);

/* With a kernel backend: forgets which lock each context is acquiring and names each CPU's MCS
 * nodes for reports (spinlock.c). */
void ls_kspin_reset(void);

/* A kernel backend's rqspinlock.c stored at addr, or fired contention_begin (begin) or
 * contention_end with ret on lock: the owner for the wait-for graph (rqspinlock.c). */
void ls_rqs_kernel_stored(const void *addr);
void ls_rqs_kernel_released(const void *addr);
void ls_rqs_kernel_pending(const void *addr);
void ls_rqs_kernel_xchged(const void *addr, unsigned int size, uint64_t old, uint64_t new_);
void ls_rqs_kernel_contention(const void *lock, bool begin, int ret);

/* Queue order of a kernel backend's MCS queues (kqueue.c).  nodes is the backend's per-CPU node
 * array; a context that exchanged a lock's tail joined its queue, and leaves it when its
 * acquisition returns.  ls_kq_blocker() answers for a waiter spinning in its own node, false
 * elsewhere. */
struct ls_blocker;
typedef void *(*ls_kq_nodes_fn)(int cpu, unsigned *size);
void ls_kq_reset(void);
void ls_kq_joined(ls_kq_nodes_fn nodes, unsigned old_tail, unsigned new_tail);
void ls_kq_left(int ctx);
bool ls_kq_blocker(const void *addr, int waiter, struct ls_blocker *b);

#endif

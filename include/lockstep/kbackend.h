/* The seam between lockstep's model library and a kernel backend: kernel source files compiled
 * against the shims (include/lockstep/kshim/) into a shared object by `lockstep ksrc build`
 * (src/ksrc/, docs/kernel-source.md).
 *
 * A backend object exports one symbol, lockstep_kbackend, a struct ls_kbackend.  Each primitive
 * it was built with has an operations table; a NULL table leaves that primitive to the hand
 * model.  The model library calls the tables from its own entry points (spin_lock(),
 * llist_add(), irq_work_queue(), res_spin_lock()), keeps its own bookkeeping around them (the
 * validator, who holds what for the wait-for graph) and leaves every access to the lock word, the
 * list head or the work's flags to the kernel's code.
 *
 * The kernel's objects live inside lockstep's: a raw_spinlock_t's `val` is the kernel's struct
 * qspinlock, an llist_head is the kernel's, and struct irq_work has the kernel's layout.  The backend checks each size at build time.
 */
#ifndef LOCKSTEP_KBACKEND_H
#define LOCKSTEP_KBACKEND_H

#include <stdbool.h>
#include <stdint.h>

/* Counts incompatible changes to this structure; a backend object of another ABI is rebuilt. */
#define LS_KBACKEND_ABI 3

/* kernel/locking/qspinlock.c: q points at a raw_spinlock_t's 4-byte word. */
struct ls_kspin_ops {
	void (*lock)(void *q);		/* queued_spin_lock() */
	int (*trylock)(void *q);	/* queued_spin_trylock() */
	void (*unlock)(void *q);	/* queued_spin_unlock() */
	int (*is_locked)(void *q);	/* queued_spin_is_locked() */
	/* The MCS nodes a waiter may spin on: cpu's per-CPU array, for the wait-for graph. */
	void *(*nodes)(int cpu, unsigned *size);
};

/* lib/llist.c with include/linux/llist.h: nodes and heads are one pointer each. */
struct ls_kllist_ops {
	bool (*add_batch)(void *first, void *last, void *head);	/* llist_add_batch() */
	void *(*del_first)(void *head);					/* llist_del_first() */
	void *(*del_all)(void *head);					/* llist_del_all() */
	void *(*reverse_order)(void *first);				/* llist_reverse_order() */
	bool (*empty)(const void *head);				/* llist_empty() */
	void (*init_node)(void *node);					/* init_llist_node() */
	bool (*on_list)(const void *node);				/* llist_on_list() */
};

/* kernel/irq_work.c: works are lockstep's struct irq_work, which has the kernel's layout. */
struct ls_kirq_work_ops {
	bool (*queue)(void *work);		/* irq_work_queue() */
	bool (*queue_on)(void *work, int cpu);	/* irq_work_queue_on() */
	void (*sync)(void *work);		/* irq_work_sync() */
	void (*run)(void);			/* the interrupt: the call-single queue, irq_work_run() */
	void (*tick)(void);			/* irq_work_tick() */
	void (*single)(void *work);		/* irq_work_single() */
	/* cpu's raised list (0), lazy list (1) and call-single queue (2), for reports. */
	void *(*list)(int cpu, int which, unsigned *size);
};

/* kernel/bpf/rqspinlock.c: q points at an rqspinlock_t's 4-byte word.  The lock functions
 * return 0, -EDEADLK or -ETIMEDOUT. */
struct ls_krqspin_ops {
	int (*lock)(void *q);					/* res_spin_lock() */
	void (*unlock)(void *q);				/* res_spin_unlock() */
	void *(*nodes)(int cpu, unsigned *size);		/* cpu's rqnodes */
	/* cpu's held-lock table: an int count, then nr_held pointers. */
	void *(*held)(int cpu, unsigned *size);
	int nr_held;						/* RES_NR_HELD */
};

struct ls_kbackend {
	int abi;				/* LS_KBACKEND_ABI */
	const struct ls_kspin_ops *spin;
	const struct ls_kllist_ops *llist;
	const struct ls_kirq_work_ops *irq_work;
	const struct ls_krqspin_ops *rqspin;
	/* Puts every per-CPU variable of the kernel files back to its initial value: called
	 * before each execution, as each execution is a fresh boot. */
	void (*reset)(void);
};

/* The backend loaded by --kernel-tree, NULL for the hand models (src/ksrc/load.c). */
extern const struct ls_kbackend *ls_kbackend;

#endif

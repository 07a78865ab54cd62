/* llist: the kernel's lock-less, NULL-terminated singly linked list (include/linux/llist.h,
 * lib/llist.c), with every access to a word other contexts can see a scheduling point.
 *
 * Which operations may run at the same time on one list without a lock ("-"), and which need
 * their callers to hold a common lock ("L"); a row may overlap with a column:
 *
 *               | add | del_first | del_all
 *     add       |  -  |     -     |    -
 *     del_first |     |     L     |    L
 *     del_all   |     |           |    -
 *
 * Producers (llist_add, llist_add_batch) may run anywhere, NMIs included: each is a CAS loop on
 * head->first and needs nothing held.  llist_del_all takes the whole chain with one xchg, so any
 * number of them may race with producers and with each other.  llist_del_first reads first->next
 * and then CASes first from the entry to that next; if another consumer removes the entry and a
 * producer puts it back in between, the CAS still succeeds and installs a stale next (ABA).  So it
 * allows one consumer at a time, and every other consumer (del_first or del_all) must share its
 * lock.
 *
 * A chain returned by llist_del_all or llist_del_first belongs to its taker: walk it with the
 * llist_for_each* macros, newest entry first, or llist_reverse_order() it first for FIFO.  Nodes
 * still on a list must not be walked.  llist_empty() is a hint that may be stale when it returns.
 *
 * Model: head->first is the shared word.  Each load, CAS and xchg of it is one point announced
 * with the caller's site, so an interrupt may land between llist_add's load of first and its CAS,
 * push its own node, and make the CAS fail and retry; the list is still some linear order of the
 * adds.  new_last->next is written without a point: the batch is private until the CAS publishes
 * it.  llist_del_first reads the entry's next with a point, since the entry is still on the list.
 * Walking a detached chain and reversing it touch private nodes and take no points.
 *
 * Return conventions are the kernel's: llist_add and llist_add_batch return whether the list was
 * empty before (the caller that gets true is the one that must kick the consumer); the del
 * operations return the removed chain or entry, NULL when there was none.
 */
#ifndef LOCKSTEP_LLIST_H
#define LOCKSTEP_LLIST_H

#include <stdbool.h>
#include <stddef.h>

#include <lockstep/runtime.h>
#include <lockstep/kbackend.h>
#ifndef LS_NATIVE
/* The kernel's lib/llist.c when --kernel-tree loaded it (kbackend.h), else NULL. */
#define ls_kllist() (ls_kbackend ? ls_kbackend->llist : NULL)
#else
#define ls_kllist() ((const struct ls_kllist_ops *)NULL)
#endif

struct llist_node {
	struct llist_node *next;	/* NULL ends a chain; pointing at itself: on no list */
};

struct llist_head {
	struct llist_node *first;	/* the newest entry, NULL when empty */
};

#define LLIST_HEAD_INIT(name) { NULL }
#define LLIST_HEAD(name) struct llist_head name = LLIST_HEAD_INIT(name)

/* Outside any execution or before the list is shared: a plain store. */
static inline void init_llist_head(struct llist_head *list)
{
	list->first = NULL;
}

/* ---- pointer-width atomics on a node pointer (a head's first or a node's next) ----------- */

static inline struct llist_node *ls_llist_ptr_read(struct llist_node *const *p,
						   const struct ls_site *site)
{
	ls_point(LS_OP_LOAD, p, site);
	return LS_RD(p);
}

static inline void ls_llist_ptr_set(struct llist_node **p, struct llist_node *v,
				    const struct ls_site *site)
{
	ls_point(LS_OP_STORE, p, site);
	LS_WR(p, v);
	ls_wrote(p);
}

static inline struct llist_node *ls_llist_ptr_xchg(struct llist_node **p, struct llist_node *v,
						   const struct ls_site *site)
{
	ls_point(LS_OP_RMW, p, site);
	struct llist_node *cur = LS_XCHG(p, v);
	ls_wrote(p);
	return cur;
}

/* try_cmpxchg: on failure *old becomes the value found, and nothing is written or woken. */
static inline bool ls_llist_ptr_try_cmpxchg(struct llist_node **p, struct llist_node **old,
					    struct llist_node *v, const struct ls_site *site)
{
	ls_point(LS_OP_RMW, p, site);
	struct llist_node *cur = LS_CMPXCHG(p, *old, v);
	if (cur != *old) {
		*old = cur;
		return false;
	}
	ls_wrote(p);
	return true;
}

/* ---- nodes ------------------------------------------------------------------------------- */

/* Marks n as on no list (next points at itself), for llist_on_list(). */
static inline void ls_init_llist_node(struct llist_node *n, const struct ls_site *site)
{
	if (ls_kllist()) {
		ls_kllist()->init_node(n);
		return;
	}
	ls_llist_ptr_set(&n->next, n, site);
}

static inline bool ls_llist_on_list(const struct llist_node *n, const struct ls_site *site)
{
	if (ls_kllist())
		return ls_kllist()->on_list(n);
	return ls_llist_ptr_read(&n->next, site) != n;
}

static inline struct llist_node *ls_llist_next(struct llist_node *n, const struct ls_site *site)
{
	return ls_llist_ptr_read(&n->next, site);
}

#define init_llist_node(n) ls_init_llist_node((n), LS_SITE("init_llist_node"))
#define llist_on_list(n) ls_llist_on_list((n), LS_SITE("llist_on_list"))
#define llist_next(n) ls_llist_next((n), LS_SITE("llist_next"))

/* The structure of `type` whose `member` is the node at ptr; ptr must not be NULL. */
#define llist_entry(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* As llist_entry, but NULL for a NULL ptr, so the walks below never offset a null pointer. */
#define ls_llist_entry_or_null(ptr, type, member)                                                \
	({                                                                                       \
		struct llist_node *ls_en_ = (ptr);                                                \
		ls_en_ ? llist_entry(ls_en_, type, member) : (type *)NULL;                        \
	})

/* ---- adding ------------------------------------------------------------------------------ */

/* Links the private chain new_first..new_last in front of the list.  Returns whether the list
 * was empty before. */
static inline bool ls_llist_add_batch(struct llist_node *new_first, struct llist_node *new_last,
				      struct llist_head *head, const struct ls_site *site)
{
	if (ls_kllist())
		return ls_kllist()->add_batch(new_first, new_last, head);
	struct llist_node *first = ls_llist_ptr_read(&head->first, site);
	do {
		new_last->next = first;
	} while (!ls_llist_ptr_try_cmpxchg(&head->first, &first, new_first, site));
	return first == NULL;
}

static inline bool ls_llist_add(struct llist_node *n, struct llist_head *head,
				const struct ls_site *site)
{
	return ls_llist_add_batch(n, n, head, site);
}

#define llist_add_batch(new_first, new_last, head)                                               \
	ls_llist_add_batch((new_first), (new_last), (head), LS_SITE("llist_add_batch"))
#define llist_add(n, head) ls_llist_add((n), (head), LS_SITE("llist_add"))

/* ---- removing ---------------------------------------------------------------------------- */

/* Takes every entry; returns the chain newest first, or NULL. */
static inline struct llist_node *ls_llist_del_all(struct llist_head *head,
						  const struct ls_site *site)
{
	if (ls_kllist())
		return ls_kllist()->del_all(head);
	return ls_llist_ptr_xchg(&head->first, NULL, site);
}

/* Takes the newest entry; single consumer only (see the table above).  NULL when empty. */
static inline struct llist_node *ls_llist_del_first(struct llist_head *head,
						    const struct ls_site *site)
{
	if (ls_kllist())
		return ls_kllist()->del_first(head);
	struct llist_node *entry = ls_llist_ptr_read(&head->first, site);
	struct llist_node *next;
	do {
		if (!entry)
			return NULL;
		next = ls_llist_ptr_read(&entry->next, site);
	} while (!ls_llist_ptr_try_cmpxchg(&head->first, &entry, next, site));
	return entry;
}

static inline struct llist_node *ls_llist_del_first_init(struct llist_head *head,
							 const struct ls_site *site)
{
	struct llist_node *n = ls_llist_del_first(head, site);
	if (n)
		ls_init_llist_node(n, site);
	return n;
}

/* A racy emptiness test: true means the list was empty at this point, nothing more. */
static inline bool ls_llist_empty(const struct llist_head *head, const struct ls_site *site)
{
	if (ls_kllist())
		return ls_kllist()->empty(head);
	return ls_llist_ptr_read(&head->first, site) == NULL;
}

#define llist_del_all(head) ls_llist_del_all((head), LS_SITE("llist_del_all"))
#define llist_del_first(head) ls_llist_del_first((head), LS_SITE("llist_del_first"))
#define llist_del_first_init(head) ls_llist_del_first_init((head), LS_SITE("llist_del_first_init"))
#define llist_empty(head) ls_llist_empty((head), LS_SITE("llist_empty"))

/* Reverses a detached chain (newest first becomes oldest first); returns its new first node. */
static inline struct llist_node *llist_reverse_order(struct llist_node *head)
{
	if (ls_kllist())
		return ls_kllist()->reverse_order(head);
	struct llist_node *rev = NULL;
	while (head) {
		struct llist_node *n = head;
		head = head->next;
		n->next = rev;
		rev = n;
	}
	return rev;
}

/* ---- walking a detached chain ------------------------------------------------------------ *
 *
 * pos (and n) are the loop cursors the caller declares, as in the kernel; node, the chain, is
 * evaluated once.  The _safe forms read the next node before the body runs, so the body may free
 * pos or put it on a list again. */

#define llist_for_each(pos, node) for ((pos) = (node); (pos); (pos) = (pos)->next)

#define llist_for_each_safe(pos, n, node)                                                        \
	for ((pos) = (node); (pos) && ((n) = (pos)->next, true); (pos) = (n))

#define llist_for_each_entry(pos, node, member)                                                  \
	for ((pos) = ls_llist_entry_or_null((node), __typeof__(*(pos)), member); (pos);          \
	     (pos) = ls_llist_entry_or_null((pos)->member.next, __typeof__(*(pos)), member))

#define llist_for_each_entry_safe(pos, n, node, member)                                          \
	for ((pos) = ls_llist_entry_or_null((node), __typeof__(*(pos)), member);                 \
	     (pos) && ((n) = ls_llist_entry_or_null((pos)->member.next, __typeof__(*(n)), member), \
		       true);                                                                    \
	     (pos) = (n))

#endif

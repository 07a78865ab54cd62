/* Glue for lib/llist.c with include/linux/llist.h: the kernel's lock-less list.
 *
 * lockstep's llist_head and llist_node are one pointer each, as the kernel's are, so the model
 * library hands its own objects to the kernel's functions.
 */
#include "lib/llist.c"

#include <lockstep/kbackend.h>

_Static_assert(sizeof(struct llist_head) == sizeof(void *), "llist_head is one pointer");
_Static_assert(sizeof(struct llist_node) == sizeof(void *), "llist_node is one pointer");

static bool add_batch(void *first, void *last, void *head)
{
	return llist_add_batch(first, last, head);
}

static void *del_first(void *head)
{
	return llist_del_first(head);
}

static void *del_all(void *head)
{
	return llist_del_all(head);
}

static void *reverse_order(void *first)
{
	return llist_reverse_order(first);
}

static bool empty(const void *head)
{
	return llist_empty(head);
}

static void init_node(void *node)
{
	init_llist_node(node);
}

static bool on_list(const void *node)
{
	return llist_on_list(node);
}

__attribute__((visibility("hidden"))) const struct ls_kllist_ops ls_kglue_llist = {
	.add_batch = add_batch,
	.del_first = del_first,
	.del_all = del_all,
	.reverse_order = reverse_order,
	.empty = empty,
	.init_node = init_node,
	.on_list = on_list,
};

/* What the maps targets tell the bpf suite about their last execution: how often a map
 * operation returned err (the rqspinlock error paths the tests show are taken).  Read after
 * ls_session_run(); the counts are reset by each target's init. */
#ifndef LS_TARGETS_MAPS_H
#define LS_TARGETS_MAPS_H

#include <stdint.h>

/* maps/lpm-trie: trie_delete_elem() calls of the fentry program that returned err. */
int ls_maps_lpm_trie_deletes(int err);
/* maps/queue-stack: the NMI program's pops and pushes that returned err. */
int ls_maps_queue_stack_nmi_ops(int err);
/* maps/lru-abba: the NMI programs' deletes that returned err; *max_wait_ns (if not NULL) the
 * longest wait before one of them. */
int ls_maps_lru_abba_nmi_deletes(int err, uint64_t *max_wait_ns);
/* maps/lru-abba: the task programs' updates that returned err. */
int ls_maps_lru_abba_updates(int err);

#endif

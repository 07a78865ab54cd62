/* <linux/bpf.h>: what kernel/bpf/rqspinlock.c needs of BPF: its kfuncs' types and BTF registration, which register nothing here. */
#ifndef LS_KSHIM_LINUX_BPF_H
#define LS_KSHIM_LINUX_BPF_H
#include <ls_kshim.h>
struct bpf_res_spin_lock {
	u32 val;
};
#define __bpf_kfunc_start_defs()
#define __bpf_kfunc_end_defs()
#define __bpf_kfunc __used noinline
struct btf_id_set8 {
	u32 cnt;
};
/* BTF_KFUNCS_START(set) BTF_ID_FLAGS(func, name, ...) ... BTF_KFUNCS_END(set): an empty set. */
#define BTF_KFUNCS_START(name) static struct btf_id_set8 name = {
#define BTF_ID_FLAGS(prefix, name, ...)
#define BTF_KFUNCS_END(name) };
struct module;
#define THIS_MODULE ((struct module *)NULL)
struct btf_kfunc_id_set {
	struct module *owner;
	struct btf_id_set8 *set;
};
enum bpf_prog_type { BPF_PROG_TYPE_UNSPEC };
#define KF_RET_NULL (1 << 1)
#define register_btf_kfunc_id_set(type, set) ((void)(type), (void)(set), 0)
#define late_initcall(fn) static int (*const ls_kshim_late_##fn)(void) __used = (fn)
#endif

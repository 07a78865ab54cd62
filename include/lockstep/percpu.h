/* Per-CPU data and the context queries, under their kernel names.
 *
 * DEFINE_PER_CPU(type, name) declares one instance per simulated CPU; this_cpu_ptr(&name) and
 * per_cpu_ptr(&name, cpu) address them, and the this_cpu_* operations are one scheduling point
 * each, as the kernel's are one instruction that an interrupt cannot split.
 */
#ifndef LOCKSTEP_PERCPU_H
#define LOCKSTEP_PERCPU_H

#include <lockstep/atomic.h>
#include <lockstep/runtime.h>

#define LS_NR_CPUS 8	/* equals LS_MAX_CPUS in target.h */

#define DEFINE_PER_CPU(type, name) __typeof__(type) name[LS_NR_CPUS]
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name[LS_NR_CPUS]

#define smp_processor_id() ls_cpu()
#define raw_smp_processor_id() ls_cpu()

/* ptr is the address of a per-CPU variable (&name); the result points at one CPU's instance. */
#define per_cpu_ptr(ptr, cpu) (&(*(ptr))[(cpu)])
#define this_cpu_ptr(ptr) per_cpu_ptr(ptr, ls_cpu())
#define per_cpu(var, cpu) ((var)[(cpu)])

#define this_cpu_read(var) ls_load((var)[ls_cpu()], "this_cpu_read(" #var ")")
#define this_cpu_write(var, v) ls_store((var)[ls_cpu()], v, "this_cpu_write(" #var ")")

/* Read-modify-write on this CPU's instance: one point, returns the new value. */
#define ls_this_cpu_rmw(var, delta, what_)                                                       \
	({                                                                                       \
		__typeof__(&(var)[0]) ls_tp_ = &(var)[ls_cpu()];                                  \
		__typeof__((var)[0]) ls_td_ = (delta);                                            \
		ls_point(LS_OP_RMW, ls_tp_, LS_SITE(what_));                                      \
		__typeof__(ls_td_) ls_tn_ = LS_FETCH_ADD(ls_tp_, ls_td_) + ls_td_;                \
		ls_wrote(ls_tp_);                                                                 \
		ls_tn_;                                                                           \
	})

#define this_cpu_add_return(var, i) ls_this_cpu_rmw(var, i, "this_cpu_add_return(" #var ")")
#define this_cpu_inc_return(var) ls_this_cpu_rmw(var, 1, "this_cpu_inc_return(" #var ")")
#define this_cpu_dec_return(var) ls_this_cpu_rmw(var, -1, "this_cpu_dec_return(" #var ")")
#define this_cpu_add(var, i) ((void)ls_this_cpu_rmw(var, i, "this_cpu_add(" #var ")"))
#define this_cpu_sub(var, i) ((void)ls_this_cpu_rmw(var, -(i), "this_cpu_sub(" #var ")"))
#define this_cpu_inc(var) ((void)ls_this_cpu_rmw(var, 1, "this_cpu_inc(" #var ")"))
#define this_cpu_dec(var) ((void)ls_this_cpu_rmw(var, -1, "this_cpu_dec(" #var ")"))
#define __this_cpu_inc_return(var) this_cpu_inc_return(var)
#define __this_cpu_dec(var) this_cpu_dec(var)
#define __this_cpu_read(var) this_cpu_read(var)
#define __this_cpu_write(var, v) this_cpu_write(var, v)

/* ---- context and interrupt state --------------------------------------------------------- */

#define in_nmi() (ls_ctx_kind() == LS_CTX_NMI)
#define in_hardirq() (ls_ctx_kind() == LS_CTX_HARDIRQ)
#define in_irq() in_hardirq()
#define in_interrupt() ls_in_interrupt()
#define in_softirq() ls_in_softirq()
#define in_serving_softirq() ls_in_serving_softirq()
/* The kernel's in_task(): no NMI, no hardirq, no softirq being served (bottom halves may be
 * disabled). */
#define in_task() (ls_ctx_kind() == LS_CTX_TASK)
#define local_bh_disable() ls_bh_disable()
#define local_bh_enable() ls_bh_enable()
#define irqs_disabled() ls_irqs_disabled()
#define local_irq_save(flags) do { (flags) = ls_irq_save(); } while (0)
#define local_irq_restore(flags) ls_irq_restore(flags)
#define local_irq_disable() ls_irq_disable()
#define local_irq_enable() ls_irq_enable()
#define preempt_disable() ls_preempt_disable()
#define preempt_enable() ls_preempt_enable()
#define preempt_count() ls_preempt_count()
#define migrate_disable() ls_preempt_disable()
#define migrate_enable() ls_preempt_enable()

#endif

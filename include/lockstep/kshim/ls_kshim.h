/* The kernel environment a kernel source file sees when `lockstep ksrc build` compiles it: the
 * one header every shim under linux/, asm/ and trace/ includes.
 *
 * Each operation on shared memory that the kernel spells with an accessor (atomic_*, READ_ONCE,
 * WRITE_ONCE, smp_load_acquire, smp_store_release, xchg/cmpxchg and their ordering forms,
 * smp_cond_load_* and their _timeout forms, the this_cpu_* operations) is lockstep's accessor of
 * the same name from <lockstep/atomic.h> or one written here: one scheduling point, announced
 * with the kernel file's own line, ordered by its name under the weak memory models.  A spin on
 * smp_cond_load_*() parks until a store touches the word.  Plain C accesses (`node->next =
 * NULL`) are not points: between two points a context runs alone, so under sequential consistency
 * that is exact; the compiler's freedom to reorder them (--compiler-reorder) is not modelled for
 * kernel files.
 *
 * Per-CPU data keeps the kernel's offset scheme: DEFINE_PER_CPU puts the variable in the
 * section ls_kpercpu, which is CPU 0's copy; the runtime (src/ksrc/glue/runtime.c) makes one
 * copy per other CPU at load, and per_cpu_ptr(p, cpu) adds that CPU's offset, so
 * `per_cpu_ptr(&qnodes[idx].mcs, cpu)` means what it means in the kernel.
 *
 * The configuration is a 64-bit SMP kernel with CONFIG_NR_CPUS of lockstep's largest machine and
 * no debugging, paravirtualisation, lock statistics or PREEMPT_RT.  BUG_ON() and WARN_ON() end
 * the execution as an invariant finding that names the kernel's line.
 */
#ifndef LS_KSHIM_H
#define LS_KSHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockstep/runtime.h>
#include <lockstep/atomic.h>

/* ---- configuration ----------------------------------------------------------------------- */

#define __KERNEL__ 1
#define CONFIG_SMP 1
#define CONFIG_64BIT 1
#define CONFIG_IRQ_WORK 1
#define CONFIG_QUEUED_SPINLOCKS 1
#define CONFIG_NR_CPUS 8	/* LS_MAX_CPUS */
#define NR_CPUS CONFIG_NR_CPUS
#define BITS_PER_LONG 64
#define __LITTLE_ENDIAN 1234
#define L1_CACHE_BYTES 64
#define SMP_CACHE_BYTES L1_CACHE_BYTES
#define nr_cpu_ids ((unsigned int)NR_CPUS)

/* ---- types ------------------------------------------------------------------------------- */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef u8 __u8;
typedef u16 __u16;
typedef u32 __u32;
typedef u64 __u64;
typedef s32 __s32;
typedef s64 __s64;
typedef long long ktime_t;
typedef long ssize_t;
typedef long loff_t;
struct file;
typedef unsigned int gfp_t;

/* ---- compiler ---------------------------------------------------------------------------- */

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#undef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#define noinline __attribute__((__noinline__))
#define __noinline noinline
#define __pure __attribute__((__pure__))
#define __aligned(x) __attribute__((__aligned__(x)))
#define __packed __attribute__((__packed__))
#define __maybe_unused __attribute__((__unused__))
#define __always_unused __attribute__((__unused__))
#define __used __attribute__((__used__))
#define __must_check __attribute__((__warn_unused_result__))
#define __noreturn __attribute__((__noreturn__))
#define __cold __attribute__((__cold__))
#define __weak __attribute__((__weak__))
#define __visible
#define __lockfunc
#define notrace
#define __init
#define __initdata
#define __read_mostly
#define __ro_after_init
#define __percpu
#define __rcu
#define __user
#define __iomem
#define __force
#define __must_hold(x)
#define __acquires(x)
#define __releases(x)
#define __cacheline_aligned __aligned(SMP_CACHE_BYTES)
#define ____cacheline_aligned __aligned(SMP_CACHE_BYTES)
#define __cacheline_aligned_in_smp __aligned(SMP_CACHE_BYTES)
#define ____cacheline_aligned_in_smp __aligned(SMP_CACHE_BYTES)
#define fallthrough __attribute__((__fallthrough__))
#define __same_type(a, b) __builtin_types_compatible_p(__typeof__(a), __typeof__(b))
#define BUILD_BUG_ON(cond) _Static_assert(!(cond), "BUILD_BUG_ON(" #cond ")")
#define BUILD_BUG_ON_MSG(cond, msg) _Static_assert(!(cond), msg)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define EXPORT_SYMBOL(sym) extern int ls_kshim_export_unused_
#define EXPORT_SYMBOL_GPL(sym) extern int ls_kshim_export_unused_
#define prefetch(x) ((void)(x))
#define prefetchw(x) ((void)(x))
#ifndef container_of
#define container_of(ptr, type, member)                                                         \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define IS_ENABLED(option) 0	/* every CONFIG_ the shims do not define above */

/* ---- errors ------------------------------------------------------------------------------ */

#define EPERM 1
#define EAGAIN 11
#define EBUSY 16
#define EINVAL 22
#define EDEADLK 35
#define ETIMEDOUT 110

/* An invariant finding at the kernel's line: lockstep's ls_fail() ends the execution. */
#define BUG()                                                                                    \
	ls_fail(LS_SITE("BUG"), "kernel BUG at %s:%d", __FILE__, __LINE__)
#define BUG_ON(cond)                                                                             \
	do {                                                                                     \
		if (unlikely(cond))                                                              \
			ls_fail(LS_SITE("BUG_ON"), "kernel BUG at %s:%d: BUG_ON(%s)", __FILE__,  \
				__LINE__, #cond);                                                \
	} while (0)
#define WARN_ON(cond) ls_kwarn(cond, "WARN_ON(" #cond ")")
/* Each form states its own condition: passed on to WARN_ON(), it would print expanded. */
#define ls_kwarn(cond, what_)                                                                    \
	({                                                                                       \
		bool ls_kw_ = !!(cond);                                                           \
		if (unlikely(ls_kw_))                                                             \
			ls_fail(LS_SITE("WARN_ON"), "WARNING: %s:%d: %s", __FILE__, __LINE__,     \
				what_);                                                          \
		ls_kw_;                                                                           \
	})
#define WARN_ON_ONCE(cond) ls_kwarn(cond, "WARN_ON_ONCE(" #cond ")")
#define WARN(cond, ...) ls_kwarn(cond, "WARN(" #cond ")")
#define WARN_ONCE(cond, ...) ls_kwarn(cond, "WARN_ONCE(" #cond ")")

/* smp_cond_load_*() and atomic_cond_read_*() park until a store touches the word, as
 * <lockstep/atomic.h>'s do.  A condition with a count in it is a bounded spin, and the bound is
 * time: x86 waits for a pending->locked hand-over with `(VAL != _Q_PENDING_VAL) || !cnt--`, 2^9
 * turns of its loop.  So after a false first look the condition is evaluated again on the value
 * read, up to LS_KSHIM_SPIN_TURNS times.  A condition without a count stays false and the wait
 * parks.  One that turns true after n more turns ran its count down: the CPU would have spent n
 * turns of LS_KSHIM_SPIN_NS re-reading the word, so the wait parks until then and returns the
 * word's value at the first change or when that time is up.  A hand-over that lands in time is
 * seen, as on hardware; one that does not (the pending waiter's CPU is slow, or interrupted by
 * the NMI that waits) is given up on.  The hand model's P2 (src/model/rqspinlock.c) waits the
 * same way.  Counting down at once instead would make every hand-over look late, a schedule that
 * needs a slow CPU on hardware (the lockup the differential check first showed on
 * rqspinlock/nmi-stress-abba-2cpu:v6.15, docs/kernel-source.md). */
/* Parks on the word at p_ until a store or the deadline, unless the word no longer holds val_ (or,
 * under a weak memory model, a store of its CPU is still buffered): a wait's look again. */
#define ls_kpark_unchanged_(p_, val_, deadline_, what_)                                          \
	do {                                                                                     \
		if (LS_MEM_ON_ ? ls_mem_may_park((p_), sizeof(*(p_))) : LS_RD(p_) == (val_))      \
			ls_park((p_), (deadline_), LS_SITE(what_));                               \
	} while (0)
#define LS_KSHIM_SPIN_TURNS 1024
#define LS_KSHIM_SPIN_NS 10	/* one turn of a spin loop, as the hand models count it */
#define ls_kcond_load(ptr_, cond_expr, what_)                                                    \
	({                                                                                       \
		__typeof__(ptr_) ls_kp_ = (ptr_);                                                 \
		__typeof__(*ls_kp_) VAL;                                                          \
		for (;;) {                                                                       \
			LS_MEMPOINT_(LS_OP_LOAD, ls_kp_, sizeof(*ls_kp_), LS_SITE(what_));         \
			VAL = LS_MEM_LOAD_(ls_kp_);                                                \
			if (cond_expr)                                                           \
				break;                                                           \
			int ls_kn_ = 1;                                                          \
			while (ls_kn_ < LS_KSHIM_SPIN_TURNS && !(cond_expr))                     \
				ls_kn_++;                                                        \
			if (ls_kn_ < LS_KSHIM_SPIN_TURNS) {                                      \
				__typeof__(*ls_kp_) ls_kseen_ = VAL;                              \
				uint64_t ls_kend_ = ls_now() + (uint64_t)ls_kn_ * LS_KSHIM_SPIN_NS;  \
				while (VAL == ls_kseen_ && ls_now() < ls_kend_) {                \
					ls_kpark_unchanged_(ls_kp_, VAL, ls_kend_, what_);       \
					LS_MEMPOINT_(LS_OP_LOAD, ls_kp_, sizeof(*ls_kp_),         \
						     LS_SITE(what_));                             \
					VAL = LS_MEM_LOAD_(ls_kp_);                              \
				}                                                                \
				break;                                                           \
			}                                                                        \
			if (!LS_MEM_ON_ || ls_mem_may_park(ls_kp_, sizeof(*ls_kp_)))                \
				ls_park(ls_kp_, LS_NO_DEADLINE, LS_SITE(what_));                  \
		}                                                                                \
		VAL;                                                                             \
	})
#undef smp_cond_load_acquire
#undef smp_cond_load_relaxed
#undef atomic_cond_read_acquire
#undef atomic_cond_read_relaxed
#define smp_cond_load_acquire(ptr, c) ls_kcond_load((ptr), c, "smp_cond_load_acquire")
#define smp_cond_load_relaxed(ptr, c) ls_kcond_load((ptr), c, "smp_cond_load_relaxed")
#define atomic_cond_read_acquire(v, c) ls_kcond_load(&(v)->counter, c, "atomic_cond_read_acquire")
#define atomic_cond_read_relaxed(v, c) ls_kcond_load(&(v)->counter, c, "atomic_cond_read_relaxed")

/* smp_cond_load_{relaxed,acquire}_timeout(), the timed waits of Ankur Arora's series, in both
 * shapes it was posted in: (ptr, cond, time_check_expr), where the wait ends once the check is
 * true, and (ptr, cond, time_expr_ns, timeout_ns), where it ends once the time read has moved
 * timeout_ns on or is negative.  A waiter evaluates its condition at every look and its time
 * check after each false one; it parks on the word until a store or until the check can next
 * come true: the timeout for the second shape, LS_KSHIM_POLL_NS of spinning for the first (a
 * check runs every few hundred turns on hardware; looking every 655 us, as rqspinlock's x86 clock
 * sampling does, keeps a 250 ms wait to a few hundred steps). */
#define LS_KSHIM_POLL_NS (65536ull * 10)
/* The one loop of both shapes: after a false condition, stop_expr decides whether time is up,
 * and the wait parks for wait_ns at most. */
#define ls_kcond_timed_(ptr_, cond_expr, stop_expr, wait_ns, what_)                             \
	({                                                                                       \
		__typeof__(ptr_) ls_ktp_ = (ptr_);                                                \
		__typeof__(*ls_ktp_) VAL;                                                         \
		for (;;) {                                                                       \
			LS_MEMPOINT_(LS_OP_LOAD, ls_ktp_, sizeof(*ls_ktp_), LS_SITE(what_));       \
			VAL = LS_MEM_LOAD_(ls_ktp_);                                               \
			if ((cond_expr) || (stop_expr))                                          \
				break;                                                           \
			ls_kpark_unchanged_(ls_ktp_, VAL, ls_now() + (wait_ns), what_);          \
		}                                                                                \
		VAL;                                                                             \
	})
#define ls_kcond_timeout3_(ptr_, cond_expr, check_expr, what_)                                  \
	ls_kcond_timed_(ptr_, cond_expr, check_expr, LS_KSHIM_POLL_NS, what_)
#define ls_kcond_timeout4_(ptr_, cond_expr, time_expr, timeout_ns, what_)                       \
	({                                                                                       \
		int64_t ls_ktstart_ = (int64_t)(time_expr), ls_ktlimit_ = (int64_t)(timeout_ns);  \
		int64_t ls_ktleft_ = ls_ktlimit_;                                                 \
		ls_kcond_timed_(ptr_, cond_expr, ({                                              \
			int64_t ls_ktnow_ = (int64_t)(time_expr);                                 \
			ls_ktleft_ = ls_ktlimit_ - (ls_ktnow_ - ls_ktstart_);                     \
			ls_ktnow_ < 0 || ls_ktleft_ <= 0;                                         \
		}), (uint64_t)ls_ktleft_, what_);                                                \
	})
#define ls_kcond_pick_(a, b, c, d, name, ...) name
#define ls_kcond_timeout_(what_, ...)                                                            \
	ls_kcond_pick_(__VA_ARGS__, ls_kcond_timeout4_, ls_kcond_timeout3_, none)(__VA_ARGS__, what_)
#define smp_cond_load_relaxed_timeout(...)                                                       \
	ls_kcond_timeout_("smp_cond_load_relaxed_timeout", __VA_ARGS__)
#define smp_cond_load_acquire_timeout(...)                                                       \
	ls_kcond_timeout_("smp_cond_load_acquire_timeout", __VA_ARGS__)
#define atomic_cond_read_relaxed_timeout(v, ...)                                                 \
	ls_kcond_timeout_("atomic_cond_read_relaxed_timeout", &(v)->counter, __VA_ARGS__)
#define atomic_cond_read_acquire_timeout(v, ...)                                                 \
	ls_kcond_timeout_("atomic_cond_read_acquire_timeout", &(v)->counter, __VA_ARGS__)

/* A spin loop's pause parks on the word the loop just read, looking again after a store to it or
 * after LS_KSHIM_RELAX_NS (runtime.h's ls_relax()): `while (irq_work_is_busy(w)) cpu_relax();`
 * waits as smp_cond_load_acquire() does, and a loop whose exit another word decides still
 * progresses. */
#define LS_KSHIM_RELAX_NS 1000
#undef cpu_relax
#define cpu_relax() ((void)ls_relax(LS_KSHIM_RELAX_NS, LS_SITE("cpu_relax")))

/* Every WRITE_ONCE() of a kernel file also tells the model library where it stored: the
 * queued spinlock's slow path takes the lock with one (set_locked(), clear_pending_set_locked(),
 * to the start of the lock word), and from that store on the lock has a holder for the wait-for
 * graph (src/model/spinlock.c). */
void ls_kernel_stored(const void *addr);
#undef WRITE_ONCE
#define WRITE_ONCE(x, v)                                                                         \
	do {                                                                                     \
		ls_store(x, v, "WRITE_ONCE(" #x ")");                                            \
		ls_kernel_stored(&(x));                                                          \
	} while (0)

/* A compare-and-exchange that takes a lock word's locked byte from 0 takes the lock: the fast
 * paths (queued_spin_lock(), res_spin_lock()), trylocks and the queue head's claim.  It tells the
 * model library as a WRITE_ONCE() does, so the lock has its holder from that step on, not only
 * once the kernel's function returns: an NMI can land in between (rqspinlock's B2 window), and
 * whom it waits for is then known.  A successful exchange that leaves the locked byte as it was
 * (rqspinlock's try_cmpxchg_tail()) takes nothing. */
void ls_kernel_exchanged(const void *addr, unsigned int old, unsigned int new_);
/* And every exchange: the slow path's xchg_tail() (a 16-bit exchange of the lock word's tail)
 * tells whose queue node the context's is and which node is queued ahead of it. */
void ls_kernel_xchged(const void *addr, unsigned int size, uint64_t old, uint64_t new_);
#define ls_kxchg(ptr, v, what_)                                                                  \
	({                                                                                       \
		__typeof__(&*(ptr)) ls_kxp_ = (ptr);                                              \
		__typeof__(*ls_kxp_) ls_kxv_ = (v);                                               \
		__typeof__(*ls_kxp_) ls_kxo_ = ls_xchg(ls_kxp_, ls_kxv_, what_);                  \
		ls_kernel_xchged(ls_kxp_, sizeof(*ls_kxp_), (uint64_t)(uintptr_t)ls_kxo_,         \
				 (uint64_t)(uintptr_t)ls_kxv_);                                   \
		ls_kxo_;                                                                          \
	})
#undef xchg
#undef xchg_acquire
#undef xchg_release
#undef xchg_relaxed
#define xchg(ptr, v) ls_kxchg((ptr), (v), "xchg")
#define xchg_acquire(ptr, v) ls_kxchg((ptr), (v), "xchg_acquire")
#define xchg_release(ptr, v) ls_kxchg((ptr), (v), "xchg_release")
#define xchg_relaxed(ptr, v) ls_kxchg((ptr), (v), "xchg_relaxed")
/* x86's queued_fetch_set_pending_acquire() (asm/qspinlock.h) set the pending bit of the lock word
 * at addr: the context is its pending waiter, whom a queue head waits for once the lock is
 * free, until its store takes the lock or clears the bit. */
void ls_kernel_pending(const void *addr);
/* And a release store: the unlock's smp_store_release(&lock->locked, 0).  The lock has no holder
 * from that store on, not from the start of the unlock: rqspinlock's unlock clears its table entry
 * first, and an NMI that lands in between (B3) still waits for the holder. */
void ls_kernel_released(const void *addr);
#undef smp_store_release
#define smp_store_release(p, v)                                                                  \
	do {                                                                                     \
		ls_store(*(p), v, "smp_store_release(" #p ")");                                   \
		ls_kernel_released(p);                                                           \
	} while (0)
#define ls_katomic_try_cmpxchg(v_, po_, n_, what_)                                               \
	({                                                                                       \
		atomic_t *ls_kv_ = (v_);                                                          \
		int *ls_kpo_ = (po_), ls_kold_ = *ls_kpo_, ls_knew_ = (n_);                       \
		bool ls_kok_ = ls_atomic_try_cmpxchg(ls_kv_, ls_kpo_, ls_knew_, LS_SITE(what_));  \
		if (ls_kok_)                                                                     \
			ls_kernel_exchanged(ls_kv_, (unsigned int)ls_kold_, (unsigned int)ls_knew_); \
		ls_kok_;                                                                         \
	})
#undef atomic_try_cmpxchg
#undef atomic_try_cmpxchg_acquire
#undef atomic_try_cmpxchg_release
#undef atomic_try_cmpxchg_relaxed
#define atomic_try_cmpxchg(v, po, n) ls_katomic_try_cmpxchg((v), (po), (n), "atomic_try_cmpxchg")
#define atomic_try_cmpxchg_acquire(v, po, n)                                                     \
	ls_katomic_try_cmpxchg((v), (po), (n), "atomic_try_cmpxchg_acquire")
#define atomic_try_cmpxchg_release(v, po, n)                                                     \
	ls_katomic_try_cmpxchg((v), (po), (n), "atomic_try_cmpxchg_release")
#define atomic_try_cmpxchg_relaxed(v, po, n)                                                     \
	ls_katomic_try_cmpxchg((v), (po), (n), "atomic_try_cmpxchg_relaxed")

/* ---- per-CPU data (see the top of the file) ---------------------------------------------- */

/* CPU cpu's offset from CPU 0's copy, filled at load by the runtime. */
extern long ls_kshim_percpu_offset[CONFIG_NR_CPUS] __attribute__((visibility("hidden")));

#define DEFINE_PER_CPU_SECTION(type, name, sec)                                                  \
	__attribute__((section("ls_kpercpu"))) __typeof__(type) name
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name
#define DECLARE_PER_CPU_ALIGNED(type, name) DECLARE_PER_CPU(type, name)
#define DEFINE_PER_CPU(type, name) DEFINE_PER_CPU_SECTION(type, name, "")
#define DEFINE_PER_CPU_ALIGNED(type, name)                                                       \
	DEFINE_PER_CPU_SECTION(type, name, "") __aligned(SMP_CACHE_BYTES)
#define DEFINE_PER_CPU_SHARED_ALIGNED(type, name) DEFINE_PER_CPU_ALIGNED(type, name)

#define per_cpu_ptr(ptr, cpu)                                                                    \
	((__typeof__(ptr))((char *)(ptr) + ls_kshim_percpu_offset[(cpu)]))
#define raw_cpu_ptr(ptr) per_cpu_ptr(ptr, ls_cpu())
#define this_cpu_ptr(ptr) per_cpu_ptr(ptr, ls_cpu())
#define per_cpu(var, cpu) (*per_cpu_ptr(&(var), (cpu)))
#define smp_processor_id() ls_cpu()
#define raw_smp_processor_id() ls_cpu()
#define get_cpu() ({ preempt_disable(); ls_cpu(); })
#define put_cpu() preempt_enable()
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < ls_ncpus(); (cpu)++)
#define for_each_online_cpu(cpu) for_each_possible_cpu(cpu)
#define cpu_online(cpu) ((cpu) >= 0 && (cpu) < ls_ncpus())
#define num_online_cpus() ((unsigned int)ls_ncpus())

/* Each this_cpu operation is one point, as the kernel's is one instruction an interrupt cannot
 * split; the __this_cpu and raw_cpu forms too (their callers keep interrupts or preemption off). */
#define ls_kpcpu_rmw(var, delta, what_)                                                          \
	({                                                                                       \
		__typeof__(&(var)) ls_kp_ = this_cpu_ptr(&(var));                                 \
		__typeof__(var) ls_kd_ = (delta);                                                 \
		LS_MEMPOINT_(LS_OP_RMW, ls_kp_, sizeof(*ls_kp_), LS_SITE(what_));                 \
		LS_MEM_RMW_BEGIN_(ls_kp_);                                                         \
		__typeof__(var) ls_kn_ = (__typeof__(var))(LS_RD(ls_kp_) + ls_kd_);               \
		LS_WR(ls_kp_, ls_kn_);                                                             \
		LS_MEM_RMW_END_(ls_kp_, true);                                                     \
		ls_kn_;                                                                           \
	})
#define this_cpu_read(var) ls_load(*this_cpu_ptr(&(var)), "this_cpu_read(" #var ")")
#define this_cpu_write(var, v) ls_store(*this_cpu_ptr(&(var)), (v), "this_cpu_write(" #var ")")
#define this_cpu_add(var, i) ((void)ls_kpcpu_rmw(var, (i), "this_cpu_add(" #var ")"))
#define this_cpu_sub(var, i) ((void)ls_kpcpu_rmw(var, -(i), "this_cpu_sub(" #var ")"))
#define this_cpu_inc(var) ((void)ls_kpcpu_rmw(var, 1, "this_cpu_inc(" #var ")"))
#define this_cpu_dec(var) ((void)ls_kpcpu_rmw(var, -1, "this_cpu_dec(" #var ")"))
#define this_cpu_add_return(var, i) ls_kpcpu_rmw(var, (i), "this_cpu_add_return(" #var ")")
#define this_cpu_inc_return(var) ls_kpcpu_rmw(var, 1, "this_cpu_inc_return(" #var ")")
#define this_cpu_dec_return(var) ls_kpcpu_rmw(var, -1, "this_cpu_dec_return(" #var ")")
#define __this_cpu_read(var) ls_load(*this_cpu_ptr(&(var)), "__this_cpu_read(" #var ")")
#define __this_cpu_write(var, v) ls_store(*this_cpu_ptr(&(var)), (v), "__this_cpu_write(" #var ")")
#define __this_cpu_add(var, i) ((void)ls_kpcpu_rmw(var, (i), "__this_cpu_add(" #var ")"))
#define __this_cpu_sub(var, i) ((void)ls_kpcpu_rmw(var, -(i), "__this_cpu_sub(" #var ")"))
#define __this_cpu_inc(var) ((void)ls_kpcpu_rmw(var, 1, "__this_cpu_inc(" #var ")"))
#define __this_cpu_dec(var) ((void)ls_kpcpu_rmw(var, -1, "__this_cpu_dec(" #var ")"))
#define __this_cpu_inc_return(var) ls_kpcpu_rmw(var, 1, "__this_cpu_inc_return(" #var ")")
#define raw_cpu_read(var) __this_cpu_read(var)
#define raw_cpu_write(var, v) __this_cpu_write(var, v)
#define raw_cpu_inc(var) __this_cpu_inc(var)
#define raw_cpu_dec(var) __this_cpu_dec(var)
#define raw_cpu_add(var, i) __this_cpu_add(var, i)

/* ---- contexts, interrupts, preemption ---------------------------------------------------- */

#define in_nmi() (ls_ctx_kind() == LS_CTX_NMI)
#define in_hardirq() (ls_ctx_kind() == LS_CTX_HARDIRQ)
#define in_irq() in_hardirq()
#define in_interrupt() ls_in_interrupt()
#define in_softirq() ls_in_softirq()
#define in_serving_softirq() ls_in_serving_softirq()
#define in_task() (ls_ctx_kind() == LS_CTX_TASK)
#define irqs_disabled() ls_irqs_disabled()
#define local_irq_save(flags) do { (flags) = ls_irq_save(); } while (0)
#define local_irq_restore(flags) ls_irq_restore(flags)
#define local_irq_disable() ls_irq_disable()
#define local_irq_enable() ls_irq_enable()
#define raw_local_irq_save(flags) local_irq_save(flags)
#define raw_local_irq_restore(flags) local_irq_restore(flags)
#define preempt_disable() ls_preempt_disable()
#define preempt_enable() ls_preempt_enable()
#define preempt_disable_notrace() ls_preempt_disable()
#define preempt_enable_notrace() ls_preempt_enable()
#define preempt_enable_no_resched() ls_preempt_enable()
#define preempt_count() ls_preempt_count()
#define local_bh_disable() ls_bh_disable()
#define local_bh_enable() ls_bh_enable()
#define migrate_disable() ls_preempt_disable()
#define migrate_enable() ls_preempt_enable()

/* ---- lockdep annotations: lockstep's validator ------------------------------------------- */

void ls_lockdep_assert_irqs(bool disabled, const struct ls_site *site);
void ls_lockdep_irq_work_enter(bool config);
void ls_lockdep_irq_work_exit(void);
void ls_might_sleep(const struct ls_site *site);
#define lockdep_assert_irqs_disabled()                                                          \
	ls_lockdep_assert_irqs(true, LS_SITE("lockdep_assert_irqs_disabled"))
#define lockdep_assert_irqs_enabled()                                                           \
	ls_lockdep_assert_irqs(false, LS_SITE("lockdep_assert_irqs_enabled"))
#define might_sleep() ls_might_sleep(LS_SITE("might_sleep"))
/* lockdep's wait-type context of an irq_work callback: {3:3} locks unless IRQ_WORK_HARD_IRQ. */
#define lockdep_irq_work_enter(flags) ls_lockdep_irq_work_enter(!((flags) & 0x08))
#define lockdep_irq_work_exit(flags) ls_lockdep_irq_work_exit()
/* Annotations the validator has no counterpart for: no check, as without CONFIG_LOCKDEP. */
#define lockdep_assert_preemption_disabled() ((void)0)
#define lockdep_assert_in_irq() ((void)0)
#define cant_sleep() ((void)0)
#define cant_migrate() ((void)0)

/* ---- scheduler, RCU and CPU hotplug, as far as the locking files name them ---------------- */

/* Tasks are lockstep's contexts; a kernel file only passes task pointers around.  The paths that
 * would wake or create one (PREEMPT_RT's irq_work threads) are compiled out by IS_ENABLED(). */
struct task_struct;
/* In <linux/types.h>, which irq_work_types.h relies on. */
struct rcuwait {
	struct task_struct *task;
};
#define TASK_UNINTERRUPTIBLE 2
#define current ((struct task_struct *)NULL)
#define wake_up_process(p) ((void)(p), 0)
#define sched_set_fifo_low(p) ((void)(p))
#define cpu_is_offline(cpu) (!cpu_online(cpu))
/* No grace periods are modelled: an RCU read side is empty, a wait for readers returns. */
#define rcu_read_lock() ((void)0)
#define rcu_read_unlock() ((void)0)
#define synchronize_rcu() ((void)0)
static inline void ls_kshim_guard_rcu(void)
{
}
#define guard(type) ls_kshim_guard_##type
#define early_initcall(fn) static int (*const ls_kshim_initcall_##fn)(void) __used = (fn)
#define _RET_IP_ ((unsigned long)__builtin_return_address(0))
#define _THIS_IP_ ({ __label__ ls_here_; ls_here_: (unsigned long)&&ls_here_; })

/* ---- time: virtual ----------------------------------------------------------------------- */

#define NSEC_PER_USEC 1000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull
uint64_t ls_kernel_clock(void);	/* virtual time; rqspinlock's timeout check reads it (trace.h) */
#define ktime_get_mono_fast_ns() ls_kernel_clock()
#define ktime_get_ns() ls_now()
#define local_clock() ls_now()
#define sched_clock() ls_now()

#endif

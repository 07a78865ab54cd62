/* Atomics, ONCE accessors, plain accesses and barriers under their kernel names.
 *
 * Each operation is one scheduling point announced with its kind (load, store, read-modify-write,
 * fence), the word it touches and the caller's site, and then runs atomically (LS_RD and friends
 * in runtime.h: plain accesses in the simulator, hardware atomics in the native build).  Under the
 * default memory model, sequential consistency, the _acquire/_release/_relaxed spellings and the
 * barriers order nothing extra, and a barrier is still a point where another context may run.
 * Under `--memory-model tso|relaxed` and `--compiler-reorder` (sched/memory.c) the data goes
 * through the model, and the spelling is the ordering: the site's API name says _relaxed,
 * _acquire, _release, or fully ordered (Documentation/atomic_t.txt).  A store wakes contexts
 * parked on its word when it becomes visible.
 *
 * PLAIN_READ(x) and PLAIN_WRITE(x, v) are the plain C accesses `x` and `x = v` for code whose
 * plain accesses matter (the compiler may reorder them, --compiler-reorder): under sequential
 * consistency without compiler reordering they are plain accesses and no scheduling point, as a
 * plain access in model code always was.  barrier() is likewise a point only then.
 *
 * Return conventions follow the kernel: fetch_* return the old value, *_return the new one,
 * cmpxchg the value it found, try_cmpxchg whether it succeeded (updating *old when it failed).
 */
#ifndef LOCKSTEP_ATOMIC_H
#define LOCKSTEP_ATOMIC_H

#include <stdbool.h>

#include <lockstep/runtime.h>

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	long counter;
} atomic_long_t;

#define ATOMIC_INIT(i) { (i) }
#define ATOMIC_LONG_INIT(i) { (i) }

enum ls_atomic_op { LS_ATOMIC_ADD, LS_ATOMIC_OR, LS_ATOMIC_AND, LS_ATOMIC_ANDNOT, LS_ATOMIC_XOR };

/* Applies fn(cur, op, i) to *p as one indivisible update and returns the old value; natively
 * (LS_NATIVE) a compare-and-swap loop. */
#ifdef LS_NATIVE
#define LS_APPLY_(p, fn, op, i)                                                                  \
	({                                                                                       \
		__typeof__(*(p)) ls_ao_ = LS_RD(p);                                               \
		while (!__atomic_compare_exchange_n((p), &ls_ao_, fn(ls_ao_, (op), (i)), false,   \
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))          \
			;                                                                        \
		ls_ao_;                                                                          \
	})
#else
#define LS_APPLY_(p, fn, op, i)                                                                  \
	({                                                                                       \
		__typeof__(*(p)) ls_ao_ = *(p);                                                   \
		*(p) = fn(ls_ao_, (op), (i));                                                     \
		ls_ao_;                                                                          \
	})
#endif

/* The memory model's entry points (runtime.h), or in the native build, where the hardware is the
 * memory model, the plain ones.  Values cross as the low bytes of a u64 (little-endian hosts). */
#ifdef LS_NATIVE
#define LS_MEM_ON_ 0
#define LS_MEMPOINT_(op, p, size, site) ls_point((op), (p), (site))
#define LS_MEM_LOAD_(p) LS_RD(p)
#define LS_MEM_STORE_(p, v)                                                                       \
	do {                                                                                     \
		LS_WR((p), (v));                                                                 \
		ls_wrote(p);                                                                     \
	} while (0)
#define LS_MEM_RMW_BEGIN_(p) ((void)0)
#define LS_MEM_RMW_END_(p, wrote)                                                                 \
	do {                                                                                     \
		if (wrote)                                                                       \
			ls_wrote(p);                                                             \
	} while (0)
#else
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the memory models pass values as the low bytes of a u64: little-endian hosts only"
#endif
#define LS_MEM_ON_ __builtin_expect(ls_mem_on, 0)
#define LS_MEMPOINT_(op, p, size, site) ls_mem_point((op), (p), (size), (site))
#define LS_MEM_LOAD_(p)                                                                           \
	(LS_MEM_ON_ ? ({                                                                          \
		_Static_assert(sizeof(*(p)) <= 8, "accessors take 1, 2, 4 or 8 bytes");          \
		union {                                                                          \
			__typeof__(*(p)) v;                                                      \
			uint64_t w;                                                              \
		} ls_mu_ = { .w = ls_mem_load((p), sizeof(*(p))) };                               \
		ls_mu_.v;                                                                        \
	}) : LS_RD(p))
#define LS_MEM_STORE_(p, v)                                                                       \
	do {                                                                                     \
		__typeof__(*(p)) ls_ms_ = (v);                                                   \
		_Static_assert(sizeof(ls_ms_) <= 8, "accessors take 1, 2, 4 or 8 bytes");        \
		if (LS_MEM_ON_) {                                                                 \
			union {                                                                  \
				__typeof__(*(p)) v;                                              \
				uint64_t w;                                                      \
			} ls_mu_ = { .w = 0 };                                                   \
			ls_mu_.v = ls_ms_;                                                       \
			ls_mem_store((p), sizeof(ls_ms_), ls_mu_.w);                              \
		} else {                                                                         \
			LS_WR((p), ls_ms_);                                                      \
			ls_wrote(p);                                                             \
		}                                                                                \
	} while (0)
#define LS_MEM_RMW_BEGIN_(p)                                                                      \
	do {                                                                                     \
		if (LS_MEM_ON_)                                                                   \
			ls_mem_rmw_begin((p), sizeof(*(p)));                                      \
	} while (0)
#define LS_MEM_RMW_END_(p, wrote)                                                                 \
	do {                                                                                     \
		if (LS_MEM_ON_)                                                                   \
			ls_mem_rmw_end((p), (wrote));                                             \
		else if (wrote)                                                                  \
			ls_wrote(p);                                                             \
	} while (0)
#endif

/* Defines ls_<name>_{read,set,fetch_op,op_return,xchg,cmpxchg,try_cmpxchg} for one width.  The
 * arithmetic runs on the unsigned type so that wrapping is defined, as it is in the kernel. */
#define LS_ATOMIC_FAMILY(name, type, val, uval)                                                  \
	static inline val ls_##name##_read(const type *v, const struct ls_site *site)           \
	{                                                                                        \
		LS_MEMPOINT_(LS_OP_LOAD, v, sizeof(v->counter), site);                            \
		return LS_MEM_LOAD_(&v->counter);                                                 \
	}                                                                                        \
	static inline void ls_##name##_set(type *v, val i, const struct ls_site *site)          \
	{                                                                                        \
		LS_MEMPOINT_(LS_OP_STORE, v, sizeof(v->counter), site);                           \
		LS_MEM_STORE_(&v->counter, i);                                                    \
	}                                                                                        \
	static inline val ls_##name##_apply(val cur, enum ls_atomic_op op, val i)                \
	{                                                                                        \
		switch (op) {                                                                    \
		case LS_ATOMIC_ADD:                                                              \
			return (val)((uval)cur + (uval)i);                                       \
		case LS_ATOMIC_OR:                                                               \
			return cur | i;                                                          \
		case LS_ATOMIC_AND:                                                              \
			return cur & i;                                                          \
		case LS_ATOMIC_ANDNOT:                                                           \
			return cur & ~i;                                                         \
		default:                                                                         \
			return cur ^ i;                                                          \
		}                                                                                \
	}                                                                                        \
	static inline val ls_##name##_fetch_op(type *v, enum ls_atomic_op op, val i,             \
					       const struct ls_site *site)                       \
	{                                                                                        \
		LS_MEMPOINT_(LS_OP_RMW, v, sizeof(v->counter), site);                             \
		LS_MEM_RMW_BEGIN_(&v->counter);                                                   \
		val cur = LS_APPLY_(&v->counter, ls_##name##_apply, op, i);                      \
		LS_MEM_RMW_END_(&v->counter, true);                                               \
		return cur;                                                                      \
	}                                                                                        \
	static inline val ls_##name##_op_return(type *v, enum ls_atomic_op op, val i,            \
						const struct ls_site *site)                      \
	{                                                                                        \
		return ls_##name##_apply(ls_##name##_fetch_op(v, op, i, site), op, i);           \
	}                                                                                        \
	static inline val ls_##name##_xchg(type *v, val n, const struct ls_site *site)          \
	{                                                                                        \
		LS_MEMPOINT_(LS_OP_RMW, v, sizeof(v->counter), site);                             \
		LS_MEM_RMW_BEGIN_(&v->counter);                                                   \
		val cur = LS_XCHG(&v->counter, n);                                               \
		LS_MEM_RMW_END_(&v->counter, true);                                               \
		return cur;                                                                      \
	}                                                                                        \
	static inline val ls_##name##_cmpxchg(type *v, val old, val n,                           \
					      const struct ls_site *site)                        \
	{                                                                                        \
		/* A failed cmpxchg writes nothing, so it wakes nobody. */                       \
		LS_MEMPOINT_(LS_OP_RMW, v, sizeof(v->counter), site);                             \
		LS_MEM_RMW_BEGIN_(&v->counter);                                                   \
		val cur = LS_CMPXCHG(&v->counter, old, n);                                       \
		LS_MEM_RMW_END_(&v->counter, cur == old);                                         \
		return cur;                                                                      \
	}                                                                                        \
	static inline bool ls_##name##_try_cmpxchg(type *v, val *old, val n,                     \
						   const struct ls_site *site)                   \
	{                                                                                        \
		val cur = ls_##name##_cmpxchg(v, *old, n, site);                                 \
		if (cur == *old)                                                                 \
			return true;                                                             \
		*old = cur;                                                                      \
		return false;                                                                    \
	}

LS_ATOMIC_FAMILY(atomic, atomic_t, int, unsigned int)
LS_ATOMIC_FAMILY(atomic_long, atomic_long_t, long, unsigned long)

/* atomic_t: every spelling the kernel accepts; orderings are all sequentially consistent here. */
#define atomic_read(v) ls_atomic_read((v), LS_SITE("atomic_read"))
#define atomic_read_acquire(v) ls_atomic_read((v), LS_SITE("atomic_read_acquire"))
#define atomic_set(v, i) ls_atomic_set((v), (i), LS_SITE("atomic_set"))
#define atomic_set_release(v, i) ls_atomic_set((v), (i), LS_SITE("atomic_set_release"))
#define atomic_add(i, v) ((void)ls_atomic_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_add")))
#define atomic_sub(i, v) ((void)ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_sub")))
#define atomic_inc(v) ((void)ls_atomic_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_inc")))
#define atomic_dec(v) ((void)ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_dec")))
#define atomic_or(i, v) ((void)ls_atomic_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_or")))
#define atomic_and(i, v) ((void)ls_atomic_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_and")))
#define atomic_andnot(i, v) ((void)ls_atomic_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_andnot")))
#define atomic_fetch_add(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_fetch_add"))
#define atomic_fetch_add_acquire(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_fetch_add_acquire"))
#define atomic_fetch_add_release(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_fetch_add_release"))
#define atomic_fetch_add_relaxed(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_fetch_add_relaxed"))
#define atomic_fetch_sub(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_fetch_sub"))
#define atomic_fetch_sub_acquire(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_fetch_sub_acquire"))
#define atomic_fetch_sub_release(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_fetch_sub_release"))
#define atomic_fetch_sub_relaxed(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_fetch_sub_relaxed"))
#define atomic_fetch_inc(v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_fetch_inc"))
#define atomic_fetch_inc_acquire(v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_fetch_inc_acquire"))
#define atomic_fetch_inc_release(v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_fetch_inc_release"))
#define atomic_fetch_inc_relaxed(v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_fetch_inc_relaxed"))
#define atomic_fetch_dec(v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_fetch_dec"))
#define atomic_fetch_dec_acquire(v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_fetch_dec_acquire"))
#define atomic_fetch_dec_release(v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_fetch_dec_release"))
#define atomic_fetch_dec_relaxed(v) ls_atomic_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_fetch_dec_relaxed"))
#define atomic_fetch_or(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_fetch_or"))
#define atomic_fetch_or_acquire(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_fetch_or_acquire"))
#define atomic_fetch_or_release(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_fetch_or_release"))
#define atomic_fetch_or_relaxed(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_fetch_or_relaxed"))
#define atomic_fetch_and(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_fetch_and"))
#define atomic_fetch_and_acquire(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_fetch_and_acquire"))
#define atomic_fetch_and_release(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_fetch_and_release"))
#define atomic_fetch_and_relaxed(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_fetch_and_relaxed"))
#define atomic_fetch_andnot(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_fetch_andnot"))
#define atomic_fetch_andnot_acquire(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_fetch_andnot_acquire"))
#define atomic_fetch_andnot_release(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_fetch_andnot_release"))
#define atomic_fetch_andnot_relaxed(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_fetch_andnot_relaxed"))
#define atomic_fetch_xor(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_XOR, (i), LS_SITE("atomic_fetch_xor"))
#define atomic_fetch_xor_acquire(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_XOR, (i), LS_SITE("atomic_fetch_xor_acquire"))
#define atomic_fetch_xor_release(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_XOR, (i), LS_SITE("atomic_fetch_xor_release"))
#define atomic_fetch_xor_relaxed(i, v) ls_atomic_fetch_op((v), LS_ATOMIC_XOR, (i), LS_SITE("atomic_fetch_xor_relaxed"))
#define atomic_add_return(i, v) ls_atomic_op_return((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_add_return"))
#define atomic_add_return_acquire(i, v) ls_atomic_op_return((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_add_return_acquire"))
#define atomic_add_return_release(i, v) ls_atomic_op_return((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_add_return_release"))
#define atomic_add_return_relaxed(i, v) ls_atomic_op_return((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_add_return_relaxed"))
#define atomic_sub_return(i, v) ls_atomic_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_sub_return"))
#define atomic_sub_return_acquire(i, v) ls_atomic_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_sub_return_acquire"))
#define atomic_sub_return_release(i, v) ls_atomic_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_sub_return_release"))
#define atomic_sub_return_relaxed(i, v) ls_atomic_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_sub_return_relaxed"))
#define atomic_inc_return(v) ls_atomic_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_inc_return"))
#define atomic_inc_return_acquire(v) ls_atomic_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_inc_return_acquire"))
#define atomic_inc_return_release(v) ls_atomic_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_inc_return_release"))
#define atomic_inc_return_relaxed(v) ls_atomic_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_inc_return_relaxed"))
#define atomic_dec_return(v) ls_atomic_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_dec_return"))
#define atomic_dec_return_acquire(v) ls_atomic_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_dec_return_acquire"))
#define atomic_dec_return_release(v) ls_atomic_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_dec_return_release"))
#define atomic_dec_return_relaxed(v) ls_atomic_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_dec_return_relaxed"))
#define atomic_dec_and_test(v) (ls_atomic_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_dec_and_test")) == 0)
#define atomic_inc_and_test(v) (ls_atomic_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_inc_and_test")) == 0)
#define atomic_sub_and_test(i, v) (ls_atomic_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_sub_and_test")) == 0)
#define atomic_xchg(v, n) ls_atomic_xchg((v), (n), LS_SITE("atomic_xchg"))
#define atomic_xchg_acquire(v, n) ls_atomic_xchg((v), (n), LS_SITE("atomic_xchg_acquire"))
#define atomic_xchg_release(v, n) ls_atomic_xchg((v), (n), LS_SITE("atomic_xchg_release"))
#define atomic_xchg_relaxed(v, n) ls_atomic_xchg((v), (n), LS_SITE("atomic_xchg_relaxed"))
#define atomic_cmpxchg(v, o, n) ls_atomic_cmpxchg((v), (o), (n), LS_SITE("atomic_cmpxchg"))
#define atomic_cmpxchg_acquire(v, o, n) ls_atomic_cmpxchg((v), (o), (n), LS_SITE("atomic_cmpxchg_acquire"))
#define atomic_cmpxchg_release(v, o, n) ls_atomic_cmpxchg((v), (o), (n), LS_SITE("atomic_cmpxchg_release"))
#define atomic_cmpxchg_relaxed(v, o, n) ls_atomic_cmpxchg((v), (o), (n), LS_SITE("atomic_cmpxchg_relaxed"))
#define atomic_try_cmpxchg(v, po, n) ls_atomic_try_cmpxchg((v), (po), (n), LS_SITE("atomic_try_cmpxchg"))
#define atomic_try_cmpxchg_acquire(v, po, n) ls_atomic_try_cmpxchg((v), (po), (n), LS_SITE("atomic_try_cmpxchg_acquire"))
#define atomic_try_cmpxchg_release(v, po, n) ls_atomic_try_cmpxchg((v), (po), (n), LS_SITE("atomic_try_cmpxchg_release"))
#define atomic_try_cmpxchg_relaxed(v, po, n) ls_atomic_try_cmpxchg((v), (po), (n), LS_SITE("atomic_try_cmpxchg_relaxed"))

/* atomic_long_t: every spelling the kernel accepts; orderings are all sequentially consistent here. */
#define atomic_long_read(v) ls_atomic_long_read((v), LS_SITE("atomic_long_read"))
#define atomic_long_read_acquire(v) ls_atomic_long_read((v), LS_SITE("atomic_long_read_acquire"))
#define atomic_long_set(v, i) ls_atomic_long_set((v), (i), LS_SITE("atomic_long_set"))
#define atomic_long_set_release(v, i) ls_atomic_long_set((v), (i), LS_SITE("atomic_long_set_release"))
#define atomic_long_add(i, v) ((void)ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_long_add")))
#define atomic_long_sub(i, v) ((void)ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_sub")))
#define atomic_long_inc(v) ((void)ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_inc")))
#define atomic_long_dec(v) ((void)ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_dec")))
#define atomic_long_or(i, v) ((void)ls_atomic_long_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_long_or")))
#define atomic_long_and(i, v) ((void)ls_atomic_long_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_long_and")))
#define atomic_long_andnot(i, v) ((void)ls_atomic_long_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_long_andnot")))
#define atomic_long_fetch_add(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_long_fetch_add"))
#define atomic_long_fetch_add_acquire(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_long_fetch_add_acquire"))
#define atomic_long_fetch_add_release(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_long_fetch_add_release"))
#define atomic_long_fetch_add_relaxed(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_long_fetch_add_relaxed"))
#define atomic_long_fetch_sub(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_fetch_sub"))
#define atomic_long_fetch_sub_acquire(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_fetch_sub_acquire"))
#define atomic_long_fetch_sub_release(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_fetch_sub_release"))
#define atomic_long_fetch_sub_relaxed(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_fetch_sub_relaxed"))
#define atomic_long_fetch_inc(v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_fetch_inc"))
#define atomic_long_fetch_inc_acquire(v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_fetch_inc_acquire"))
#define atomic_long_fetch_inc_release(v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_fetch_inc_release"))
#define atomic_long_fetch_inc_relaxed(v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_fetch_inc_relaxed"))
#define atomic_long_fetch_dec(v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_fetch_dec"))
#define atomic_long_fetch_dec_acquire(v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_fetch_dec_acquire"))
#define atomic_long_fetch_dec_release(v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_fetch_dec_release"))
#define atomic_long_fetch_dec_relaxed(v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_fetch_dec_relaxed"))
#define atomic_long_fetch_or(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_long_fetch_or"))
#define atomic_long_fetch_or_acquire(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_long_fetch_or_acquire"))
#define atomic_long_fetch_or_release(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_long_fetch_or_release"))
#define atomic_long_fetch_or_relaxed(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_OR, (i), LS_SITE("atomic_long_fetch_or_relaxed"))
#define atomic_long_fetch_and(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_long_fetch_and"))
#define atomic_long_fetch_and_acquire(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_long_fetch_and_acquire"))
#define atomic_long_fetch_and_release(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_long_fetch_and_release"))
#define atomic_long_fetch_and_relaxed(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_AND, (i), LS_SITE("atomic_long_fetch_and_relaxed"))
#define atomic_long_fetch_andnot(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_long_fetch_andnot"))
#define atomic_long_fetch_andnot_acquire(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_long_fetch_andnot_acquire"))
#define atomic_long_fetch_andnot_release(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_long_fetch_andnot_release"))
#define atomic_long_fetch_andnot_relaxed(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_ANDNOT, (i), LS_SITE("atomic_long_fetch_andnot_relaxed"))
#define atomic_long_fetch_xor(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_XOR, (i), LS_SITE("atomic_long_fetch_xor"))
#define atomic_long_fetch_xor_acquire(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_XOR, (i), LS_SITE("atomic_long_fetch_xor_acquire"))
#define atomic_long_fetch_xor_release(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_XOR, (i), LS_SITE("atomic_long_fetch_xor_release"))
#define atomic_long_fetch_xor_relaxed(i, v) ls_atomic_long_fetch_op((v), LS_ATOMIC_XOR, (i), LS_SITE("atomic_long_fetch_xor_relaxed"))
#define atomic_long_add_return(i, v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_long_add_return"))
#define atomic_long_add_return_acquire(i, v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_long_add_return_acquire"))
#define atomic_long_add_return_release(i, v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_long_add_return_release"))
#define atomic_long_add_return_relaxed(i, v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, (i), LS_SITE("atomic_long_add_return_relaxed"))
#define atomic_long_sub_return(i, v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_sub_return"))
#define atomic_long_sub_return_acquire(i, v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_sub_return_acquire"))
#define atomic_long_sub_return_release(i, v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_sub_return_release"))
#define atomic_long_sub_return_relaxed(i, v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_sub_return_relaxed"))
#define atomic_long_inc_return(v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_inc_return"))
#define atomic_long_inc_return_acquire(v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_inc_return_acquire"))
#define atomic_long_inc_return_release(v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_inc_return_release"))
#define atomic_long_inc_return_relaxed(v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_inc_return_relaxed"))
#define atomic_long_dec_return(v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_dec_return"))
#define atomic_long_dec_return_acquire(v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_dec_return_acquire"))
#define atomic_long_dec_return_release(v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_dec_return_release"))
#define atomic_long_dec_return_relaxed(v) ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_dec_return_relaxed"))
#define atomic_long_dec_and_test(v) (ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -1, LS_SITE("atomic_long_dec_and_test")) == 0)
#define atomic_long_inc_and_test(v) (ls_atomic_long_op_return((v), LS_ATOMIC_ADD, 1, LS_SITE("atomic_long_inc_and_test")) == 0)
#define atomic_long_sub_and_test(i, v) (ls_atomic_long_op_return((v), LS_ATOMIC_ADD, -(i), LS_SITE("atomic_long_sub_and_test")) == 0)
#define atomic_long_xchg(v, n) ls_atomic_long_xchg((v), (n), LS_SITE("atomic_long_xchg"))
#define atomic_long_xchg_acquire(v, n) ls_atomic_long_xchg((v), (n), LS_SITE("atomic_long_xchg_acquire"))
#define atomic_long_xchg_release(v, n) ls_atomic_long_xchg((v), (n), LS_SITE("atomic_long_xchg_release"))
#define atomic_long_xchg_relaxed(v, n) ls_atomic_long_xchg((v), (n), LS_SITE("atomic_long_xchg_relaxed"))
#define atomic_long_cmpxchg(v, o, n) ls_atomic_long_cmpxchg((v), (o), (n), LS_SITE("atomic_long_cmpxchg"))
#define atomic_long_cmpxchg_acquire(v, o, n) ls_atomic_long_cmpxchg((v), (o), (n), LS_SITE("atomic_long_cmpxchg_acquire"))
#define atomic_long_cmpxchg_release(v, o, n) ls_atomic_long_cmpxchg((v), (o), (n), LS_SITE("atomic_long_cmpxchg_release"))
#define atomic_long_cmpxchg_relaxed(v, o, n) ls_atomic_long_cmpxchg((v), (o), (n), LS_SITE("atomic_long_cmpxchg_relaxed"))
#define atomic_long_try_cmpxchg(v, po, n) ls_atomic_long_try_cmpxchg((v), (po), (n), LS_SITE("atomic_long_try_cmpxchg"))
#define atomic_long_try_cmpxchg_acquire(v, po, n) ls_atomic_long_try_cmpxchg((v), (po), (n), LS_SITE("atomic_long_try_cmpxchg_acquire"))
#define atomic_long_try_cmpxchg_release(v, po, n) ls_atomic_long_try_cmpxchg((v), (po), (n), LS_SITE("atomic_long_try_cmpxchg_release"))
#define atomic_long_try_cmpxchg_relaxed(v, po, n) ls_atomic_long_try_cmpxchg((v), (po), (n), LS_SITE("atomic_long_try_cmpxchg_relaxed"))

/* Waits until cond_expr, which reads the loaded value as VAL, holds.  Between checks the context
 * parks on the word, so a long wait costs no steps; any store to the word wakes it to re-check. */
#define ls_cond_load(ptr_, cond_expr, what_)                                                     \
	({                                                                                       \
		__typeof__(ptr_) ls_cp_ = (ptr_);                                                 \
		__typeof__(*ls_cp_) VAL;                                                          \
		for (;;) {                                                                       \
			LS_MEMPOINT_(LS_OP_LOAD, ls_cp_, sizeof(*ls_cp_), LS_SITE(what_));         \
			VAL = LS_MEM_LOAD_(ls_cp_);                                                \
			if (cond_expr)                                                           \
				break;                                                           \
			if (!LS_MEM_ON_ || ls_mem_may_park(ls_cp_, sizeof(*ls_cp_)))                \
				ls_park(ls_cp_, LS_NO_DEADLINE, LS_SITE(what_));                  \
		}                                                                                \
		VAL;                                                                             \
	})

#define smp_cond_load_acquire(ptr, cond_expr) ls_cond_load((ptr), cond_expr, "smp_cond_load_acquire")
#define smp_cond_load_relaxed(ptr, cond_expr) ls_cond_load((ptr), cond_expr, "smp_cond_load_relaxed")
#define atomic_cond_read_acquire(v, c) ls_cond_load(&(v)->counter, c, "atomic_cond_read_acquire")
#define atomic_cond_read_relaxed(v, c) ls_cond_load(&(v)->counter, c, "atomic_cond_read_relaxed")

/* ---- ONCE accessors and barriers --------------------------------------------------------- */

#define ls_load(x, what_)                                                                        \
	({                                                                                       \
		__typeof__(&(x)) ls_lp_ = &(x);                                                   \
		LS_MEMPOINT_(LS_OP_LOAD, ls_lp_, sizeof(*ls_lp_), LS_SITE(what_));                 \
		LS_MEM_LOAD_(ls_lp_);                                                              \
	})

#define ls_store(x, v, what_)                                                                    \
	do {                                                                                     \
		__typeof__(&(x)) ls_sp_ = &(x);                                                   \
		__typeof__(x) ls_sv_ = (v);                                                       \
		LS_MEMPOINT_(LS_OP_STORE, ls_sp_, sizeof(*ls_sp_), LS_SITE(what_));                \
		LS_MEM_STORE_(ls_sp_, ls_sv_);                                                     \
	} while (0)

/* xchg(), cmpxchg() and try_cmpxchg() on any naturally aligned word, pointers included (the
 * kernel's generic forms, e.g. bpf_kptr_xchg() is one xchg on a pointer slot).  One RMW point;
 * a failed compare writes nothing and wakes no-one. */
#define ls_xchg(ptr, v, what_)                                                                   \
	({                                                                                       \
		__typeof__(&*(ptr)) ls_xp_ = (ptr);                                               \
		__typeof__(*ls_xp_) ls_xv_ = (v);                                                 \
		LS_MEMPOINT_(LS_OP_RMW, ls_xp_, sizeof(*ls_xp_), LS_SITE(what_));                  \
		LS_MEM_RMW_BEGIN_(ls_xp_);                                                         \
		__typeof__(*ls_xp_) ls_xo_ = LS_XCHG(ls_xp_, ls_xv_);                             \
		LS_MEM_RMW_END_(ls_xp_, true);                                                     \
		ls_xo_;                                                                           \
	})

#define ls_cmpxchg(ptr, o, n, what_)                                                             \
	({                                                                                       \
		__typeof__(&*(ptr)) ls_cp_ = (ptr);                                               \
		__typeof__(*ls_cp_) ls_co_ = (o), ls_cn_ = (n);                                   \
		LS_MEMPOINT_(LS_OP_RMW, ls_cp_, sizeof(*ls_cp_), LS_SITE(what_));                  \
		LS_MEM_RMW_BEGIN_(ls_cp_);                                                         \
		__typeof__(*ls_cp_) ls_cc_ = LS_CMPXCHG(ls_cp_, ls_co_, ls_cn_);                  \
		LS_MEM_RMW_END_(ls_cp_, ls_cc_ == ls_co_);                                         \
		ls_cc_;                                                                           \
	})

/* On failure *po becomes the value found. */
#define ls_try_cmpxchg(ptr, po, n, what_)                                                        \
	({                                                                                       \
		__typeof__(&*(ptr)) ls_tp_ = (ptr);                                               \
		__typeof__(&*(po)) ls_to_ = (po);                                                 \
		__typeof__(*ls_tp_) ls_tc_ = ls_cmpxchg(ls_tp_, *ls_to_, (n), what_);             \
		bool ls_tok_ = ls_tc_ == *ls_to_;                                                 \
		if (!ls_tok_)                                                                     \
			*ls_to_ = ls_tc_;                                                          \
		ls_tok_;                                                                          \
	})

#define xchg(ptr, v) ls_xchg((ptr), (v), "xchg")
#define xchg_acquire(ptr, v) ls_xchg((ptr), (v), "xchg_acquire")
#define xchg_release(ptr, v) ls_xchg((ptr), (v), "xchg_release")
#define xchg_relaxed(ptr, v) ls_xchg((ptr), (v), "xchg_relaxed")
#define cmpxchg(ptr, o, n) ls_cmpxchg((ptr), (o), (n), "cmpxchg")
#define cmpxchg_acquire(ptr, o, n) ls_cmpxchg((ptr), (o), (n), "cmpxchg_acquire")
#define cmpxchg_release(ptr, o, n) ls_cmpxchg((ptr), (o), (n), "cmpxchg_release")
#define cmpxchg_relaxed(ptr, o, n) ls_cmpxchg((ptr), (o), (n), "cmpxchg_relaxed")
#define try_cmpxchg(ptr, po, n) ls_try_cmpxchg((ptr), (po), (n), "try_cmpxchg")
#define try_cmpxchg_acquire(ptr, po, n) ls_try_cmpxchg((ptr), (po), (n), "try_cmpxchg_acquire")
#define try_cmpxchg_release(ptr, po, n) ls_try_cmpxchg((ptr), (po), (n), "try_cmpxchg_release")
#define try_cmpxchg_relaxed(ptr, po, n) ls_try_cmpxchg((ptr), (po), (n), "try_cmpxchg_relaxed")

#define READ_ONCE(x) ls_load(x, "READ_ONCE(" #x ")")
#define WRITE_ONCE(x, v) ls_store(x, v, "WRITE_ONCE(" #x ")")
#define smp_load_acquire(p) ls_load(*(p), "smp_load_acquire(" #p ")")
#define smp_store_release(p, v) ls_store(*(p), v, "smp_store_release(" #p ")")

#define smp_mb() LS_MEMPOINT_(LS_OP_FENCE, NULL, 0, LS_SITE("smp_mb"))
#define smp_rmb() LS_MEMPOINT_(LS_OP_FENCE, NULL, 0, LS_SITE("smp_rmb"))
#define smp_wmb() LS_MEMPOINT_(LS_OP_FENCE, NULL, 0, LS_SITE("smp_wmb"))
#define smp_mb__before_atomic() LS_MEMPOINT_(LS_OP_FENCE, NULL, 0, LS_SITE("smp_mb__before_atomic"))
#define smp_mb__after_atomic() LS_MEMPOINT_(LS_OP_FENCE, NULL, 0, LS_SITE("smp_mb__after_atomic"))
/* A spin-wait body that does not park: each turn is a step, so a wait nobody ends runs into the
 * step limit and is reported as a stall.  A compiler barrier, as in the kernel. */
#define cpu_relax() LS_MEMPOINT_(LS_OP_FENCE, NULL, 0, LS_SITE("cpu_relax"))

/* The compiler barrier: a point only when the compiler may reorder (see the top of the file). */
#define barrier()                                                                                \
	do {                                                                                     \
		if (LS_MEM_ON_)                                                                   \
			LS_MEMPOINT_(LS_OP_FENCE, NULL, 0, LS_SITE("barrier"));                   \
	} while (0)

/* `x` and `x = v` as the memory model sees them; see the top of the file. */
#define PLAIN_READ(x)                                                                            \
	({                                                                                       \
		__typeof__(&(x)) ls_pp_ = &(x);                                                   \
		if (LS_MEM_ON_)                                                                    \
			LS_MEMPOINT_(LS_OP_LOAD, ls_pp_, sizeof(*ls_pp_),                      \
				     LS_SITE("PLAIN_READ(" #x ")"));                        \
		LS_MEM_LOAD_(ls_pp_);                                                              \
	})
#define PLAIN_WRITE(x, v)                                                                        \
	do {                                                                                     \
		__typeof__(&(x)) ls_pw_ = &(x);                                                   \
		__typeof__(x) ls_pv_ = (v);                                                       \
		if (LS_MEM_ON_)                                                                    \
			LS_MEMPOINT_(LS_OP_STORE, ls_pw_, sizeof(*ls_pw_),                     \
				     LS_SITE("PLAIN_WRITE(" #x ")"));                       \
		LS_MEM_STORE_(ls_pw_, ls_pv_);                                                     \
	} while (0)

#endif

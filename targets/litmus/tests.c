/* The litmus tests (targets/litmus/litmus.h): each is the kernel's litmus file of the same name
 * under tools/memory-model/litmus-tests/, rewritten with lockstep's accessors, its verdicts stated
 * up front.  Shared variables are x, y, z and w; the test's register rK of thread n is r[n][K].
 * All start at 0, as in herd7.  MP+onceassign+derefonce adds the pointer p (starting at &y) and
 * pointer registers rp[n].  The lock tests use mylock (the files' mylock or lo), and slock and
 * tlock (their s and t). */
#include "litmus.h"

#include <string.h>

static int x, y, z, w;
static int r[4][5];
static int *p;
static int *rp[4];

static DEFINE_SPINLOCK(mylock);
static DEFINE_SPINLOCK(slock);
static DEFINE_SPINLOCK(tlock);

/* A full barrier after a lock acquisition, where the model library does not spell it. */
#ifndef smp_mb__after_spinlock
#define smp_mb__after_spinlock()                                                                 \
	LS_MEMPOINT_(LS_OP_FENCE, NULL, 0, LS_SITE("smp_mb__after_spinlock"))
#endif

#define R0 r[0]
#define R1 r[1]
#define R2 r[2]
#define R3 r[3]

static void litmus_init(int variant)
{
	(void)variant;
	x = y = z = w = 0;
	memset(r, 0, sizeof(r));
	p = &y;
	memset(rp, 0, sizeof(rp));
}

static const struct ls_variant litmus_variants[] = {
	{ "exists", "an execution satisfies the exists clause", LS_KIND_COUNT,
	  LS_KIND_BIT(LS_KIND_INVARIANT) },
};

#define NEVER LS_LITMUS_NEVER
#define SOMETIMES LS_LITMUS_SOMETIMES
#define ALWAYS LS_LITMUS_ALWAYS

/* Defines litmus test `id` named name_ from id_P0..id_P(n-1) and id_exists: its target (one task
 * per thread, thread n on CPU n) and its table entry.  Verdicts: sc, x86-TSO, LKMM. */
#define LITMUS(id, name_, n_, exists_text_, sc_, tso_, lkmm_, differs_, relaxed_)                \
	static void id##_check(int variant)                                                      \
	{                                                                                        \
		(void)variant;                                                                   \
		if (id##_exists())                                                               \
			ls_fail(LS_SITE("exists"), "exists %s", exists_text_);                  \
	}                                                                                        \
	static const struct ls_target id##_target = {                                            \
		.name = "litmus/" name_,                                                         \
		.summary = "litmus test: exists " exists_text_,                                  \
		.models = "tools/memory-model/litmus-tests/" name_ ".litmus",                    \
		.ncpus = n_,                                                                     \
		.tasks = id##_tasks,                                                             \
		.ntasks = n_,                                                                    \
		.variants = litmus_variants,                                                     \
		.nvariants = 1,                                                                  \
		.init = litmus_init,                                                             \
		.check = id##_check,                                                             \
	};                                                                                       \
	static const struct ls_litmus id##_litmus = { &id##_target, id##_exists, exists_text_,  \
						      { sc_, tso_, lkmm_ }, differs_, relaxed_ }
#define TASKS1(id)                                                                               \
	static const struct ls_task_decl id##_tasks[] = { { "P0", 0, id##_P0, NULL } }
#define TASKS2(id)                                                                               \
	static const struct ls_task_decl id##_tasks[] = { { "P0", 0, id##_P0, NULL },           \
							  { "P1", 1, id##_P1, NULL } }
#define TASKS3(id)                                                                               \
	static const struct ls_task_decl id##_tasks[] = { { "P0", 0, id##_P0, NULL },           \
							  { "P1", 1, id##_P1, NULL },           \
							  { "P2", 2, id##_P2, NULL } }
#define TASKS4(id)                                                                               \
	static const struct ls_task_decl id##_tasks[] = { { "P0", 0, id##_P0, NULL },           \
							  { "P1", 1, id##_P1, NULL },           \
							  { "P2", 2, id##_P2, NULL },           \
							  { "P3", 3, id##_P3, NULL } }

/* ---- coherence: one variable ------------------------------------------------------------- */

/* CoRR+poonceonce+Once: two reads of one variable by one CPU see its writes in order. */
static void CoRR_poonceonce_Once_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
}
static void CoRR_poonceonce_Once_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(x);
	R1[1] = READ_ONCE(x);
}
static bool CoRR_poonceonce_Once_exists(void)
{
	return R1[0] == 1 && R1[1] == 0;
}
TASKS2(CoRR_poonceonce_Once);
LITMUS(CoRR_poonceonce_Once, "CoRR+poonceonce+Once", 2, "1:r0=1 /\\ 1:r1=0", NEVER, NEVER,
       NEVER, NULL, NEVER);

/* CoRW+poonceonce+Once: a read does not see a write that lands after the CPU's own later write. */
static void CoRW_poonceonce_Once_P0(void *a)
{
	(void)a;
	R0[0] = READ_ONCE(x);
	WRITE_ONCE(x, 1);
}
static void CoRW_poonceonce_Once_P1(void *a)
{
	(void)a;
	WRITE_ONCE(x, 2);
}
static bool CoRW_poonceonce_Once_exists(void)
{
	return x == 2 && R0[0] == 2;
}
TASKS2(CoRW_poonceonce_Once);
LITMUS(CoRW_poonceonce_Once, "CoRW+poonceonce+Once", 2, "x=2 /\\ 0:r0=2", NEVER, NEVER, NEVER,
       NULL, NEVER);

/* CoWR+poonceonce+Once: a read after the CPU's own write sees it or something newer. */
static void CoWR_poonceonce_Once_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	R0[0] = READ_ONCE(x);
}
static void CoWR_poonceonce_Once_P1(void *a)
{
	(void)a;
	WRITE_ONCE(x, 2);
}
static bool CoWR_poonceonce_Once_exists(void)
{
	return x == 1 && R0[0] == 2;
}
TASKS2(CoWR_poonceonce_Once);
LITMUS(CoWR_poonceonce_Once, "CoWR+poonceonce+Once", 2, "x=1 /\\ 0:r0=2", NEVER, NEVER, NEVER,
       NULL, NEVER);

/* CoWW+poonceonce: two writes of one variable by one CPU land in program order. */
static void CoWW_poonceonce_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	WRITE_ONCE(x, 2);
}
static bool CoWW_poonceonce_exists(void)
{
	return x == 1;
}
TASKS1(CoWW_poonceonce);
LITMUS(CoWW_poonceonce, "CoWW+poonceonce", 1, "x=1", NEVER, NEVER, NEVER, NULL, NEVER);

/* ---- MP: message passing ----------------------------------------------------------------- */

/* MP+poonceonces: no ordering on either side. */
static void MP_poonceonces_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	WRITE_ONCE(y, 1);
}
static void MP_poonceonces_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(y);
	R1[1] = READ_ONCE(x);
}
static bool MP_poonceonces_exists(void)
{
	return R1[0] == 1 && R1[1] == 0;
}
TASKS2(MP_poonceonces);
LITMUS(MP_poonceonces, "MP+poonceonces", 2, "1:r0=1 /\\ 1:r1=0", NEVER, NEVER, SOMETIMES, NULL,
       SOMETIMES);

/* MP+pooncerelease+poacquireonce: a store-release read by a load-acquire passes the data. */
static void MP_pooncerelease_poacquireonce_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);		/* buf */
	smp_store_release(&y, 1);	/* flag */
}
static void MP_pooncerelease_poacquireonce_P1(void *a)
{
	(void)a;
	R1[0] = smp_load_acquire(&y);
	R1[1] = READ_ONCE(x);
}
static bool MP_pooncerelease_poacquireonce_exists(void)
{
	return R1[0] == 1 && R1[1] == 0;
}
TASKS2(MP_pooncerelease_poacquireonce);
LITMUS(MP_pooncerelease_poacquireonce, "MP+pooncerelease+poacquireonce", 2, "1:r0=1 /\\ 1:r1=0",
       NEVER, NEVER, NEVER, NULL, NEVER);

/* MP+fencewmbonceonce+fencermbonceonce: smp_wmb() between the stores, smp_rmb() between the
 * loads. */
static void MP_fencewmbonceonce_fencermbonceonce_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);	/* buf */
	smp_wmb();
	WRITE_ONCE(y, 1);	/* flag */
}
static void MP_fencewmbonceonce_fencermbonceonce_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(y);
	smp_rmb();
	R1[1] = READ_ONCE(x);
}
static bool MP_fencewmbonceonce_fencermbonceonce_exists(void)
{
	return R1[0] == 1 && R1[1] == 0;
}
TASKS2(MP_fencewmbonceonce_fencermbonceonce);
LITMUS(MP_fencewmbonceonce_fencermbonceonce, "MP+fencewmbonceonce+fencermbonceonce", 2,
       "1:r0=1 /\\ 1:r1=0", NEVER, NEVER, NEVER, NULL, NEVER);

/* MP+onceassign+derefonce: rcu_assign_pointer() publishes, the address dependency of
 * rcu_dereference() orders the reader (the kernel's smp_store_release() and READ_ONCE(); the
 * reader's rcu_read_lock() section orders nothing here and is left out). */
static void MP_onceassign_derefonce_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	smp_store_release(&p, &x);	/* rcu_assign_pointer(p, x) */
}
static void MP_onceassign_derefonce_P1(void *a)
{
	(void)a;
	int *r0 = READ_ONCE(p);		/* rcu_dereference(p) */
	rp[1] = r0;
	R1[1] = READ_ONCE(*r0);
}
static bool MP_onceassign_derefonce_exists(void)
{
	return rp[1] == &x && R1[1] == 0;
}
TASKS2(MP_onceassign_derefonce);
LITMUS(MP_onceassign_derefonce, "MP+onceassign+derefonce", 2, "1:r0=x /\\ 1:r1=0", NEVER, NEVER,
       NEVER, NULL, NEVER);

/* MP+polocks: the flag's store and load under a lock order the data outside it. */
static void MP_polocks_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);	/* buf */
	spin_lock(&mylock);
	WRITE_ONCE(y, 1);	/* flag */
	spin_unlock(&mylock);
}
static void MP_polocks_P1(void *a)
{
	(void)a;
	spin_lock(&mylock);
	R1[0] = READ_ONCE(y);
	spin_unlock(&mylock);
	R1[1] = READ_ONCE(x);
}
static bool MP_polocks_exists(void)
{
	return R1[0] == 1 && R1[1] == 0;
}
TASKS2(MP_polocks);
LITMUS(MP_polocks, "MP+polocks", 2, "1:r0=1 /\\ 1:r1=0", NEVER, NEVER, NEVER, NULL, NEVER);

/* MP+porevlocks: the data's store and load under a lock order the flag outside it. */
static void MP_porevlocks_P0(void *a)
{
	(void)a;
	R0[0] = READ_ONCE(y);	/* flag */
	spin_lock(&mylock);
	R0[1] = READ_ONCE(x);	/* buf */
	spin_unlock(&mylock);
}
static void MP_porevlocks_P1(void *a)
{
	(void)a;
	spin_lock(&mylock);
	WRITE_ONCE(x, 1);
	spin_unlock(&mylock);
	WRITE_ONCE(y, 1);
}
static bool MP_porevlocks_exists(void)
{
	return R0[0] == 1 && R0[1] == 0;
}
TASKS2(MP_porevlocks);
LITMUS(MP_porevlocks, "MP+porevlocks", 2, "0:r0=1 /\\ 0:r1=0", NEVER, NEVER, NEVER, NULL, NEVER);

/* MP+unlocklockonceonce+fencermbonceonce: stores in two critical sections of one CPU (two locks)
 * propagate in order. */
static void MP_unlocklockonceonce_fencermbonceonce_P0(void *a)
{
	(void)a;
	spin_lock(&slock);
	WRITE_ONCE(x, 1);
	spin_unlock(&slock);
	spin_lock(&tlock);
	WRITE_ONCE(y, 1);
	spin_unlock(&tlock);
}
static void MP_unlocklockonceonce_fencermbonceonce_P1(void *a)
{
	(void)a;
	R1[1] = READ_ONCE(y);
	smp_rmb();
	R1[2] = READ_ONCE(x);
}
static bool MP_unlocklockonceonce_fencermbonceonce_exists(void)
{
	return R1[1] == 1 && R1[2] == 0;
}
TASKS2(MP_unlocklockonceonce_fencermbonceonce);
LITMUS(MP_unlocklockonceonce_fencermbonceonce, "MP+unlocklockonceonce+fencermbonceonce", 2,
       "1:r1=1 /\\ 1:r2=0", NEVER, NEVER, NEVER, NULL, NEVER);

/* MP+polockonce+poacquiresilsil: an observer of the lock word through spin_is_locked() may see
 * the store inside the critical section before the lock's own store. */
static void MP_polockonce_poacquiresilsil_P0(void *a)
{
	(void)a;
	spin_lock(&mylock);
	WRITE_ONCE(x, 1);
	spin_unlock(&mylock);
}
static void MP_polockonce_poacquiresilsil_P1(void *a)
{
	(void)a;
	R1[1] = smp_load_acquire(&x);
	R1[2] = spin_is_locked(&mylock);
	R1[3] = spin_is_locked(&mylock);
}
static bool MP_polockonce_poacquiresilsil_exists(void)
{
	return R1[1] == 1 && R1[2] == 0 && R1[3] == 1;
}
TASKS2(MP_polockonce_poacquiresilsil);
LITMUS(MP_polockonce_poacquiresilsil, "MP+polockonce+poacquiresilsil", 2,
       "1:r1=1 /\\ 1:r2=0 /\\ 1:r3=1", NEVER, NEVER, SOMETIMES,
       "spin_lock() and spin_unlock() are the lock model's own points: full barriers", NEVER);

/* MP+polockmbonce+poacquiresilsil: as above, smp_mb__after_spinlock() forbids it. */
static void MP_polockmbonce_poacquiresilsil_P0(void *a)
{
	(void)a;
	spin_lock(&mylock);
	smp_mb__after_spinlock();
	WRITE_ONCE(x, 1);
	spin_unlock(&mylock);
}
static void MP_polockmbonce_poacquiresilsil_P1(void *a)
{
	(void)a;
	R1[1] = smp_load_acquire(&x);
	R1[2] = spin_is_locked(&mylock);
	R1[3] = spin_is_locked(&mylock);
}
static bool MP_polockmbonce_poacquiresilsil_exists(void)
{
	return R1[1] == 1 && R1[2] == 0 && R1[3] == 1;
}
TASKS2(MP_polockmbonce_poacquiresilsil);
LITMUS(MP_polockmbonce_poacquiresilsil, "MP+polockmbonce+poacquiresilsil", 2,
       "1:r1=1 /\\ 1:r2=0 /\\ 1:r3=1", NEVER, NEVER, NEVER, NULL, NEVER);

/* ---- SB: store buffering ----------------------------------------------------------------- */

/* SB+poonceonces: each CPU's store may still sit in its buffer when it reads the other's word. */
static void SB_poonceonces_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	R0[0] = READ_ONCE(y);
}
static void SB_poonceonces_P1(void *a)
{
	(void)a;
	WRITE_ONCE(y, 1);
	R1[0] = READ_ONCE(x);
}
static bool SB_poonceonces_exists(void)
{
	return R0[0] == 0 && R1[0] == 0;
}
TASKS2(SB_poonceonces);
LITMUS(SB_poonceonces, "SB+poonceonces", 2, "0:r0=0 /\\ 1:r0=0", NEVER, SOMETIMES, SOMETIMES,
       NULL, SOMETIMES);

/* SB+fencembonceonces: smp_mb() between each store and load forbids it. */
static void SB_fencembonceonces_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	smp_mb();
	R0[0] = READ_ONCE(y);
}
static void SB_fencembonceonces_P1(void *a)
{
	(void)a;
	WRITE_ONCE(y, 1);
	smp_mb();
	R1[0] = READ_ONCE(x);
}
static bool SB_fencembonceonces_exists(void)
{
	return R0[0] == 0 && R1[0] == 0;
}
TASKS2(SB_fencembonceonces);
LITMUS(SB_fencembonceonces, "SB+fencembonceonces", 2, "0:r0=0 /\\ 1:r0=0", NEVER, NEVER, NEVER,
       NULL, NEVER);

/* SB+rfionceonce-poonceonces: each CPU reads its own store early (forwarding), then misses the
 * other's. */
static void SB_rfionceonce_poonceonces_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	R0[1] = READ_ONCE(x);
	R0[2] = READ_ONCE(y);
}
static void SB_rfionceonce_poonceonces_P1(void *a)
{
	(void)a;
	WRITE_ONCE(y, 1);
	R1[3] = READ_ONCE(y);
	R1[4] = READ_ONCE(x);
}
static bool SB_rfionceonce_poonceonces_exists(void)
{
	return R0[2] == 0 && R1[4] == 0;
}
TASKS2(SB_rfionceonce_poonceonces);
LITMUS(SB_rfionceonce_poonceonces, "SB+rfionceonce-poonceonces", 2, "0:r2=0 /\\ 1:r4=0", NEVER,
       SOMETIMES, SOMETIMES, NULL, SOMETIMES);

/* ---- LB: load buffering ------------------------------------------------------------------ */

/* LB+poonceonces: each CPU's load reads the store the other makes after its own load. */
static void LB_poonceonces_P0(void *a)
{
	(void)a;
	R0[0] = READ_ONCE(x);
	WRITE_ONCE(y, 1);
}
static void LB_poonceonces_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(y);
	WRITE_ONCE(x, 1);
}
static bool LB_poonceonces_exists(void)
{
	return R0[0] == 1 && R1[0] == 1;
}
TASKS2(LB_poonceonces);
LITMUS(LB_poonceonces, "LB+poonceonces", 2, "0:r0=1 /\\ 1:r0=1", NEVER, NEVER, SOMETIMES,
       "a load is satisfied when it runs, so load buffering never shows", NEVER);

/* LB+poacquireonce+pooncerelease: a store-release on one side, a load-acquire on the other. */
static void LB_poacquireonce_pooncerelease_P0(void *a)
{
	(void)a;
	R0[0] = READ_ONCE(x);
	smp_store_release(&y, 1);
}
static void LB_poacquireonce_pooncerelease_P1(void *a)
{
	(void)a;
	R1[0] = smp_load_acquire(&y);
	WRITE_ONCE(x, 1);
}
static bool LB_poacquireonce_pooncerelease_exists(void)
{
	return R0[0] == 1 && R1[0] == 1;
}
TASKS2(LB_poacquireonce_pooncerelease);
LITMUS(LB_poacquireonce_pooncerelease, "LB+poacquireonce+pooncerelease", 2, "0:r0=1 /\\ 1:r0=1",
       NEVER, NEVER, NEVER, NULL, NEVER);

/* LB+fencembonceonce+ctrlonceonce: a control dependency on one side, smp_mb() on the other. */
static void LB_fencembonceonce_ctrlonceonce_P0(void *a)
{
	(void)a;
	R0[0] = READ_ONCE(x);
	if (R0[0])
		WRITE_ONCE(y, 1);
}
static void LB_fencembonceonce_ctrlonceonce_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(y);
	smp_mb();
	WRITE_ONCE(x, 1);
}
static bool LB_fencembonceonce_ctrlonceonce_exists(void)
{
	return R0[0] == 1 && R1[0] == 1;
}
TASKS2(LB_fencembonceonce_ctrlonceonce);
LITMUS(LB_fencembonceonce_ctrlonceonce, "LB+fencembonceonce+ctrlonceonce", 2,
       "0:r0=1 /\\ 1:r0=1", NEVER, NEVER, NEVER, NULL, NEVER);

/* LB+unlocklockonceonce+poacquireonce: a read and a write in two critical sections of one CPU
 * (two locks) stay in order. */
static void LB_unlocklockonceonce_poacquireonce_P0(void *a)
{
	(void)a;
	spin_lock(&slock);
	R0[1] = READ_ONCE(x);
	spin_unlock(&slock);
	spin_lock(&tlock);
	WRITE_ONCE(y, 1);
	spin_unlock(&tlock);
}
static void LB_unlocklockonceonce_poacquireonce_P1(void *a)
{
	(void)a;
	R1[2] = smp_load_acquire(&y);
	WRITE_ONCE(x, 1);
}
static bool LB_unlocklockonceonce_poacquireonce_exists(void)
{
	return R0[1] == 1 && R1[2] == 1;
}
TASKS2(LB_unlocklockonceonce_poacquireonce);
LITMUS(LB_unlocklockonceonce_poacquireonce, "LB+unlocklockonceonce+poacquireonce", 2,
       "0:r1=1 /\\ 1:r2=1", NEVER, NEVER, NEVER, NULL, NEVER);

/* ---- R: a write against a write-then-read ------------------------------------------------ */

/* R+poonceonces: P1's read may pass its own store to y, which still lands after P0's. */
static void R_poonceonces_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	WRITE_ONCE(y, 1);
}
static void R_poonceonces_P1(void *a)
{
	(void)a;
	WRITE_ONCE(y, 2);
	R1[0] = READ_ONCE(x);
}
static bool R_poonceonces_exists(void)
{
	return y == 2 && R1[0] == 0;
}
TASKS2(R_poonceonces);
LITMUS(R_poonceonces, "R+poonceonces", 2, "y=2 /\\ 1:r0=0", NEVER, SOMETIMES, SOMETIMES, NULL,
       SOMETIMES);

/* R+fencembonceonces: smp_mb() on both sides forbids it. */
static void R_fencembonceonces_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	smp_mb();
	WRITE_ONCE(y, 1);
}
static void R_fencembonceonces_P1(void *a)
{
	(void)a;
	WRITE_ONCE(y, 2);
	smp_mb();
	R1[0] = READ_ONCE(x);
}
static bool R_fencembonceonces_exists(void)
{
	return y == 2 && R1[0] == 0;
}
TASKS2(R_fencembonceonces);
LITMUS(R_fencembonceonces, "R+fencembonceonces", 2, "y=2 /\\ 1:r0=0", NEVER, NEVER, NEVER, NULL,
       NEVER);

/* ---- S: a write ordered against a later write by another CPU ----------------------------- */

/* S+poonceonces: P0's two stores may land out of order, so P1's store to x lands first. */
static void S_poonceonces_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 2);
	WRITE_ONCE(y, 1);
}
static void S_poonceonces_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(y);
	WRITE_ONCE(x, 1);
}
static bool S_poonceonces_exists(void)
{
	return x == 2 && R1[0] == 1;
}
TASKS2(S_poonceonces);
LITMUS(S_poonceonces, "S+poonceonces", 2, "x=2 /\\ 1:r0=1", NEVER, NEVER, SOMETIMES, NULL,
       SOMETIMES);

/* S+fencewmbonceonce+poacquireonce: smp_wmb() and a load-acquire forbid it. */
static void S_fencewmbonceonce_poacquireonce_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 2);
	smp_wmb();
	WRITE_ONCE(y, 1);
}
static void S_fencewmbonceonce_poacquireonce_P1(void *a)
{
	(void)a;
	R1[0] = smp_load_acquire(&y);
	WRITE_ONCE(x, 1);
}
static bool S_fencewmbonceonce_poacquireonce_exists(void)
{
	return x == 2 && R1[0] == 1;
}
TASKS2(S_fencewmbonceonce_poacquireonce);
LITMUS(S_fencewmbonceonce_poacquireonce, "S+fencewmbonceonce+poacquireonce", 2,
       "x=2 /\\ 1:r0=1", NEVER, NEVER, NEVER, NULL, NEVER);

/* ---- WRC: write-to-read causality -------------------------------------------------------- */

/* WRC+poonceonces+Once: MP whose first store comes from a third CPU, with no ordering. */
static void WRC_poonceonces_Once_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
}
static void WRC_poonceonces_Once_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(x);
	WRITE_ONCE(y, 1);
}
static void WRC_poonceonces_Once_P2(void *a)
{
	(void)a;
	R2[0] = READ_ONCE(y);
	R2[1] = READ_ONCE(x);
}
static bool WRC_poonceonces_Once_exists(void)
{
	return R1[0] == 1 && R2[0] == 1 && R2[1] == 0;
}
TASKS3(WRC_poonceonces_Once);
LITMUS(WRC_poonceonces_Once, "WRC+poonceonces+Once", 3, "1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0", NEVER,
       NEVER, SOMETIMES, NULL, SOMETIMES);

/* WRC+pooncerelease+fencermbonceonce+Once: the store-release is A-cumulative; with smp_rmb() on
 * the reader it forbids it. */
static void WRC_pooncerelease_fencermbonceonce_Once_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
}
static void WRC_pooncerelease_fencermbonceonce_Once_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(x);
	smp_store_release(&y, 1);
}
static void WRC_pooncerelease_fencermbonceonce_Once_P2(void *a)
{
	(void)a;
	R2[0] = READ_ONCE(y);
	smp_rmb();
	R2[1] = READ_ONCE(x);
}
static bool WRC_pooncerelease_fencermbonceonce_Once_exists(void)
{
	return R1[0] == 1 && R2[0] == 1 && R2[1] == 0;
}
TASKS3(WRC_pooncerelease_fencermbonceonce_Once);
LITMUS(WRC_pooncerelease_fencermbonceonce_Once, "WRC+pooncerelease+fencermbonceonce+Once", 3,
       "1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0", NEVER, NEVER, NEVER, NULL, NEVER);

/* ---- ISA2: a chain of three CPUs --------------------------------------------------------- */

/* ISA2+poonceonces: no ordering anywhere along the chain. */
static void ISA2_poonceonces_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	WRITE_ONCE(y, 1);
}
static void ISA2_poonceonces_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(y);
	WRITE_ONCE(z, 1);
}
static void ISA2_poonceonces_P2(void *a)
{
	(void)a;
	R2[0] = READ_ONCE(z);
	R2[1] = READ_ONCE(x);
}
static bool ISA2_poonceonces_exists(void)
{
	return R1[0] == 1 && R2[0] == 1 && R2[1] == 0;
}
TASKS3(ISA2_poonceonces);
LITMUS(ISA2_poonceonces, "ISA2+poonceonces", 3, "1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0", NEVER, NEVER,
       SOMETIMES, NULL, SOMETIMES);

/* ISA2+pooncerelease+poacquirerelease+poacquireonce: a release-acquire chain orders P0's first
 * store against P2's last load. */
static void ISA2_pooncerelease_poacquirerelease_poacquireonce_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	smp_store_release(&y, 1);
}
static void ISA2_pooncerelease_poacquirerelease_poacquireonce_P1(void *a)
{
	(void)a;
	R1[0] = smp_load_acquire(&y);
	smp_store_release(&z, 1);
}
static void ISA2_pooncerelease_poacquirerelease_poacquireonce_P2(void *a)
{
	(void)a;
	R2[0] = smp_load_acquire(&z);
	R2[1] = READ_ONCE(x);
}
static bool ISA2_pooncerelease_poacquirerelease_poacquireonce_exists(void)
{
	return R1[0] == 1 && R2[0] == 1 && R2[1] == 0;
}
TASKS3(ISA2_pooncerelease_poacquirerelease_poacquireonce);
LITMUS(ISA2_pooncerelease_poacquirerelease_poacquireonce,
       "ISA2+pooncerelease+poacquirerelease+poacquireonce", 3, "1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0",
       NEVER, NEVER, NEVER, NULL, NEVER);

/* ISA2+pooncelock+pooncelock+pombonce: the order two critical sections of one lock give their
 * stores is seen by a CPU outside the lock that uses smp_mb(). */
static void ISA2_pooncelock_pooncelock_pombonce_P0(void *a)
{
	(void)a;
	spin_lock(&mylock);
	WRITE_ONCE(x, 1);
	WRITE_ONCE(y, 1);
	spin_unlock(&mylock);
}
static void ISA2_pooncelock_pooncelock_pombonce_P1(void *a)
{
	(void)a;
	spin_lock(&mylock);
	R1[0] = READ_ONCE(y);
	WRITE_ONCE(z, 1);
	spin_unlock(&mylock);
}
static void ISA2_pooncelock_pooncelock_pombonce_P2(void *a)
{
	(void)a;
	R2[2] = READ_ONCE(z);
	smp_mb();
	R2[1] = READ_ONCE(x);
}
static bool ISA2_pooncelock_pooncelock_pombonce_exists(void)
{
	return R1[0] == 1 && R2[2] == 1 && R2[1] == 0;
}
TASKS3(ISA2_pooncelock_pooncelock_pombonce);
LITMUS(ISA2_pooncelock_pooncelock_pombonce, "ISA2+pooncelock+pooncelock+pombonce", 3,
       "1:r0=1 /\\ 2:r2=1 /\\ 2:r1=0", NEVER, NEVER, NEVER, NULL, NEVER);

/* ---- IRIW: independent reads of independent writes --------------------------------------- */

/* IRIW+poonceonces+OnceOnce: two readers disagree on the order of two writers' stores. */
static void IRIW_poonceonces_OnceOnce_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
}
static void IRIW_poonceonces_OnceOnce_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(x);
	R1[1] = READ_ONCE(y);
}
static void IRIW_poonceonces_OnceOnce_P2(void *a)
{
	(void)a;
	WRITE_ONCE(y, 1);
}
static void IRIW_poonceonces_OnceOnce_P3(void *a)
{
	(void)a;
	R3[0] = READ_ONCE(y);
	R3[1] = READ_ONCE(x);
}
static bool IRIW_poonceonces_OnceOnce_exists(void)
{
	return R1[0] == 1 && R1[1] == 0 && R3[0] == 1 && R3[1] == 0;
}
TASKS4(IRIW_poonceonces_OnceOnce);
LITMUS(IRIW_poonceonces_OnceOnce, "IRIW+poonceonces+OnceOnce", 4,
       "1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0", NEVER, NEVER, SOMETIMES, NULL, SOMETIMES);

/* IRIW+fencembonceonces+OnceOnce: smp_mb() between each reader's loads makes them agree. */
static void IRIW_fencembonceonces_OnceOnce_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
}
static void IRIW_fencembonceonces_OnceOnce_P1(void *a)
{
	(void)a;
	R1[0] = READ_ONCE(x);
	smp_mb();
	R1[1] = READ_ONCE(y);
}
static void IRIW_fencembonceonces_OnceOnce_P2(void *a)
{
	(void)a;
	WRITE_ONCE(y, 1);
}
static void IRIW_fencembonceonces_OnceOnce_P3(void *a)
{
	(void)a;
	R3[0] = READ_ONCE(y);
	smp_mb();
	R3[1] = READ_ONCE(x);
}
static bool IRIW_fencembonceonces_OnceOnce_exists(void)
{
	return R1[0] == 1 && R1[1] == 0 && R3[0] == 1 && R3[1] == 0;
}
TASKS4(IRIW_fencembonceonces_OnceOnce);
LITMUS(IRIW_fencembonceonces_OnceOnce, "IRIW+fencembonceonces+OnceOnce", 4,
       "1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0", NEVER, NEVER, NEVER, NULL, NEVER);

/* ---- Z6.0: a chain closed by a coherence and a from-read link ----------------------------- */

/* Z6.0+pooncerelease+poacquirerelease+fencembonceonce: a release-acquire chain does not order
 * P0's store for P2, which joins it through a store to z, not a read. */
static void Z6_0_pooncerelease_poacquirerelease_fencembonceonce_P0(void *a)
{
	(void)a;
	WRITE_ONCE(x, 1);
	smp_store_release(&y, 1);
}
static void Z6_0_pooncerelease_poacquirerelease_fencembonceonce_P1(void *a)
{
	(void)a;
	R1[0] = smp_load_acquire(&y);
	smp_store_release(&z, 1);
}
static void Z6_0_pooncerelease_poacquirerelease_fencembonceonce_P2(void *a)
{
	(void)a;
	WRITE_ONCE(z, 2);
	smp_mb();
	R2[1] = READ_ONCE(x);
}
static bool Z6_0_pooncerelease_poacquirerelease_fencembonceonce_exists(void)
{
	return R1[0] == 1 && z == 2 && R2[1] == 0;
}
TASKS3(Z6_0_pooncerelease_poacquirerelease_fencembonceonce);
LITMUS(Z6_0_pooncerelease_poacquirerelease_fencembonceonce,
       "Z6.0+pooncerelease+poacquirerelease+fencembonceonce", 3, "1:r0=1 /\\ z=2 /\\ 2:r1=0",
       NEVER, NEVER, SOMETIMES,
       "multicopy-atomic: x=1 is visible to all before z=1 lands, so before z=2 and P2's smp_mb()",
       NEVER);

/* Z6.0+pooncelock+pooncelock+pombonce: two critical sections of one lock do not order their
 * accesses for a CPU outside the lock. */
static void Z6_0_pooncelock_pooncelock_pombonce_P0(void *a)
{
	(void)a;
	spin_lock(&mylock);
	WRITE_ONCE(x, 1);
	WRITE_ONCE(y, 1);
	spin_unlock(&mylock);
}
static void Z6_0_pooncelock_pooncelock_pombonce_P1(void *a)
{
	(void)a;
	spin_lock(&mylock);
	R1[0] = READ_ONCE(y);
	WRITE_ONCE(z, 1);
	spin_unlock(&mylock);
}
static void Z6_0_pooncelock_pooncelock_pombonce_P2(void *a)
{
	(void)a;
	WRITE_ONCE(z, 2);
	smp_mb();
	R2[1] = READ_ONCE(x);
}
static bool Z6_0_pooncelock_pooncelock_pombonce_exists(void)
{
	return R1[0] == 1 && z == 2 && R2[1] == 0;
}
TASKS3(Z6_0_pooncelock_pooncelock_pombonce);
LITMUS(Z6_0_pooncelock_pooncelock_pombonce, "Z6.0+pooncelock+pooncelock+pombonce", 3,
       "1:r0=1 /\\ z=2 /\\ 2:r1=0", NEVER, NEVER, SOMETIMES,
       "spin_lock() and spin_unlock() are the lock model's own points: full barriers", NEVER);

/* Z6.0+pooncelock+poonceLock+pombonce: smp_mb__after_spinlock() in the second critical section
 * makes the order visible outside the lock. */
static void Z6_0_pooncelock_poonceLock_pombonce_P0(void *a)
{
	(void)a;
	spin_lock(&mylock);
	WRITE_ONCE(x, 1);
	WRITE_ONCE(y, 1);
	spin_unlock(&mylock);
}
static void Z6_0_pooncelock_poonceLock_pombonce_P1(void *a)
{
	(void)a;
	spin_lock(&mylock);
	smp_mb__after_spinlock();
	R1[0] = READ_ONCE(y);
	WRITE_ONCE(z, 1);
	spin_unlock(&mylock);
}
static void Z6_0_pooncelock_poonceLock_pombonce_P2(void *a)
{
	(void)a;
	WRITE_ONCE(z, 2);
	smp_mb();
	R2[1] = READ_ONCE(x);
}
static bool Z6_0_pooncelock_poonceLock_pombonce_exists(void)
{
	return R1[0] == 1 && z == 2 && R2[1] == 0;
}
TASKS3(Z6_0_pooncelock_poonceLock_pombonce);
LITMUS(Z6_0_pooncelock_poonceLock_pombonce, "Z6.0+pooncelock+poonceLock+pombonce", 3,
       "1:r0=1 /\\ z=2 /\\ 2:r1=0", NEVER, NEVER, NEVER, NULL, NEVER);

/* ---- dependencies through plain accesses ------------------------------------------------- */

/* dep+plain: a value carried through plain stores and loads (z and w are the file's z1 and z2)
 * still makes a control dependency, so nothing comes out of thin air. */
static void dep_plain_P0(void *a)
{
	(void)a;
	int v = READ_ONCE(x);
	PLAIN_WRITE(z, v);
	PLAIN_WRITE(w, PLAIN_READ(z));
	if (PLAIN_READ(w) == 1)
		WRITE_ONCE(y, 1);
}
static void dep_plain_P1(void *a)
{
	(void)a;
	int v = smp_load_acquire(&y);
	smp_store_release(&x, v);
}
static bool dep_plain_exists(void)
{
	return x == 1 && y == 1;
}
TASKS2(dep_plain);
LITMUS(dep_plain, "dep+plain", 2, "x=1 /\\ y=1", NEVER, NEVER, NEVER, NULL, NEVER);

/* ---- the table ---------------------------------------------------------------------------- */

const struct ls_litmus *const ls_litmus_tests[] = {
	/* coherence */
	&CoRR_poonceonce_Once_litmus,
	&CoRW_poonceonce_Once_litmus,
	&CoWR_poonceonce_Once_litmus,
	&CoWW_poonceonce_litmus,
	/* MP */
	&MP_poonceonces_litmus,
	&MP_pooncerelease_poacquireonce_litmus,
	&MP_fencewmbonceonce_fencermbonceonce_litmus,
	&MP_onceassign_derefonce_litmus,
	&MP_polocks_litmus,
	&MP_porevlocks_litmus,
	&MP_unlocklockonceonce_fencermbonceonce_litmus,
	&MP_polockonce_poacquiresilsil_litmus,
	&MP_polockmbonce_poacquiresilsil_litmus,
	/* SB */
	&SB_poonceonces_litmus,
	&SB_fencembonceonces_litmus,
	&SB_rfionceonce_poonceonces_litmus,
	/* LB */
	&LB_poonceonces_litmus,
	&LB_poacquireonce_pooncerelease_litmus,
	&LB_fencembonceonce_ctrlonceonce_litmus,
	&LB_unlocklockonceonce_poacquireonce_litmus,
	/* R */
	&R_poonceonces_litmus,
	&R_fencembonceonces_litmus,
	/* S */
	&S_poonceonces_litmus,
	&S_fencewmbonceonce_poacquireonce_litmus,
	/* WRC */
	&WRC_poonceonces_Once_litmus,
	&WRC_pooncerelease_fencermbonceonce_Once_litmus,
	/* ISA2 */
	&ISA2_poonceonces_litmus,
	&ISA2_pooncerelease_poacquirerelease_poacquireonce_litmus,
	&ISA2_pooncelock_pooncelock_pombonce_litmus,
	/* IRIW */
	&IRIW_poonceonces_OnceOnce_litmus,
	&IRIW_fencembonceonces_OnceOnce_litmus,
	/* Z6.0 */
	&Z6_0_pooncerelease_poacquirerelease_fencembonceonce_litmus,
	&Z6_0_pooncelock_pooncelock_pombonce_litmus,
	&Z6_0_pooncelock_poonceLock_pombonce_litmus,
	/* dependencies */
	&dep_plain_litmus,
};
const int ls_nlitmus = (int)(sizeof(ls_litmus_tests) / sizeof(ls_litmus_tests[0]));

const struct ls_litmus *ls_litmus_find(const char *name)
{
	for (int i = 0; i < ls_nlitmus; i++)
		if (strcmp(ls_litmus_tests[i]->target->name, name) == 0)
			return ls_litmus_tests[i];
	return NULL;
}

const char *ls_litmus_result_name(enum ls_litmus_result res)
{
	static const char *const names[] = { "Never", "Sometimes", "Always" };
	return (unsigned)res < 3 ? names[res] : "?";
}

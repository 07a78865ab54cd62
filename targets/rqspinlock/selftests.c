/* rqspinlock's selftests (tools/testing/selftests/bpf/prog_tests/res_spin_lock.c and
 * progs/res_spin_lock.c) as targets over the model of kernel/bpf/rqspinlock.c.
 *
 * rqspinlock/aa        one task takes lock A, then A again: res_spin_lock() must return
 *                      -EDEADLK at once (the pending waiter's first check_timeout() finds A
 *                      below its own entry).  A wait of 1 ms or more is a stall.
 *                      Expected: clean, except aa-after-1ms and v6.15 (stall: the AA check comes
 *                      after 1 ms) and tas-double-grab (invariant: the failed lock leaves an
 *                      extra entry in the table).
 * rqspinlock/abba      CPU0 takes A then B, CPU1 takes B then A; a lock that fails is skipped.
 *                      One side gets -EDEADLK from check_deadlock_ABBA(); nothing hangs.
 *                      Expected: clean, except tas-double-grab (invariant).
 * rqspinlock/abbcca    three CPUs take A->B, B->C, C->A.  The ABBA check only sees two-party
 *                      cycles, so the waiters time out (-ETIMEDOUT after 250 or 500 ms): a
 *                      stall, which is rqspinlock's documented limit and not a bug here
 *                      (tas-double-grab: invariant, its leaked entry).
 * rqspinlock/held-max  one task takes 34 distinct locks (the table holds 31), then lock 32
 *                      again, which it holds but the table does not show: -ETIMEDOUT after at
 *                      least 250 ms (1 s with the TAS fallback), as the selftest asserts.  The
 *                      stall is expected; any other return is an invariant violation, and so
 *                      is tas-double-grab's leaked entry.
 * Every target's check: lock words back to 0, held-lock tables and node counts back to 0.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): aa:v6.15 and aa:aa-after-1ms 1 (B4's stall), aa:tas-double-grab and
 * held-max:tas-double-grab 1 (B8); abba:tas-double-grab 3 and abbcca:tas-double-grab 4 for B8
 * alone: the invariant names the lock whose failed acquisition left the entry (lock_a, lock_b,
 * lock_c) and the quiescent check is a second message.  The stalls of abbcca (expected behaviour)
 * are 3 bugs, one per lock a CPU times out on.
 */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

#define NVAR LS_RQS_NVARIANTS
#define NONE LS_KIND_NONE
#define STALL LS_KIND_STALL
#define INV LS_KIND_INVARIANT

#define HELD_LOCKS 34

static rqspinlock_t lock_a, lock_b, lock_c;
static rqspinlock_t elems[HELD_LOCKS];

/* Takes first, then tries second; unlocks what it got. */
static void lock_pair(rqspinlock_t *first, rqspinlock_t *second)
{
	if (res_spin_lock(first))
		return;
	if (!res_spin_lock(second))
		res_spin_unlock(second);
	res_spin_unlock(first);
}

/* ---- rqspinlock/aa ------------------------------------------------------------------------ */

static void aa_fn(void *arg)
{
	(void)arg;
	int ret = res_spin_lock(&lock_a);
	LS_BUG_ON(ret != 0);
	ret = res_spin_lock(&lock_a);
	LS_BUG_ON(ret != -EDEADLK);
	res_spin_unlock(&lock_a);
}

static void aa_init(int v)
{
	ls_rqs_use_variant(v, 1000000);	/* "at once": a millisecond is already a stall */
	raw_res_spin_lock_init(&lock_a);
}

static const struct ls_task_decl aa_tasks[] = { { "t0", 0, aa_fn, NULL } };
static const struct ls_variant aa_variants[NVAR] =
	LS_RQS_VARIANTS(0, NONE, STALL, NONE, NONE, STALL, NONE, NONE, INV, NONE, NONE, NONE);

const struct ls_target ls_target_rqs_aa = {
	.name = "rqspinlock/aa",
	.summary = "one task takes the same rqspinlock twice: -EDEADLK at once",
	.models = "res_spin_lock_test (AA) over res_spin_lock(), check_timeout(), check_deadlock_AA()",
	.ncpus = 1,
	.tasks = aa_tasks,
	.ntasks = 1,
	.variants = aa_variants,
	.nvariants = NVAR,
	.init = aa_init,
	.check = ls_rqs_check_quiescent,
};

/* ---- rqspinlock/abba and rqspinlock/abbcca ------------------------------------------------ */

static void ab_fn(void *arg)
{
	(void)arg;
	lock_pair(&lock_a, &lock_b);
}

static void ba_fn(void *arg)
{
	(void)arg;
	lock_pair(&lock_b, &lock_a);
}

static void bc_fn(void *arg)
{
	(void)arg;
	lock_pair(&lock_b, &lock_c);
}

static void ca_fn(void *arg)
{
	(void)arg;
	lock_pair(&lock_c, &lock_a);
}

static void cycle_init(int v)
{
	ls_rqs_use_variant(v, 0);
	raw_res_spin_lock_init(&lock_a);
	raw_res_spin_lock_init(&lock_b);
	raw_res_spin_lock_init(&lock_c);
}

static const struct ls_task_decl abba_tasks[] = {
	{ "t0", 0, ab_fn, NULL },
	{ "t1", 1, ba_fn, NULL },
};
static const struct ls_variant abba_variants[NVAR] =
	LS_RQS_VARIANTS(0, NONE, NONE, NONE, NONE, NONE, NONE, NONE, INV, NONE, NONE, NONE);

const struct ls_target ls_target_rqs_abba = {
	.name = "rqspinlock/abba",
	.summary = "two CPUs take two rqspinlocks in opposite orders: one gets -EDEADLK",
	.models = "res_spin_lock_test_AB/BA over check_deadlock_ABBA()",
	.ncpus = 2,
	.tasks = abba_tasks,
	.ntasks = 2,
	.variants = abba_variants,
	.nvariants = NVAR,
	.init = cycle_init,
	.check = ls_rqs_check_quiescent,
};

static const struct ls_task_decl abbcca_tasks[] = {
	{ "t0", 0, ab_fn, NULL },
	{ "t1", 1, bc_fn, NULL },
	{ "t2", 2, ca_fn, NULL },
};
static const struct ls_variant abbcca_variants[NVAR] =
	LS_RQS_VARIANTS(LS_RQS_BUGS_BUT_STALLS, STALL, STALL, STALL, STALL, STALL, STALL, STALL, INV, STALL, STALL, STALL);

const struct ls_target ls_target_rqs_abbcca = {
	.name = "rqspinlock/abbcca",
	.summary = "three CPUs in a lock cycle: not diagnosed, ends by timeout (known limitation)",
	.models = "the stress module's ABBCCA mode over check_deadlock_ABBA() (two-party only)",
	.ncpus = 3,
	.tasks = abbcca_tasks,
	.ntasks = 3,
	.variants = abbcca_variants,
	.nvariants = NVAR,
	.init = cycle_init,
	.check = ls_rqs_check_quiescent,
};

/* ---- rqspinlock/held-max ------------------------------------------------------------------ */

static void held_max_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < HELD_LOCKS; i++)
		LS_BUG_ON(res_spin_lock(&elems[i]) != 0);
	uint64_t start = ls_now();
	int ret = res_spin_lock(&elems[32]);	/* held, but past the table's 31 entries */
	LS_BUG_ON(ret != -ETIMEDOUT);
	LS_BUG_ON(ls_now() - start < RES_DEF_TIMEOUT);
	for (int i = HELD_LOCKS - 1; i >= 0; i--)
		res_spin_unlock(&elems[i]);
}

static void held_max_init(int v)
{
	static const char *const names[HELD_LOCKS] = {
		"elem0",  "elem1",  "elem2",  "elem3",  "elem4",  "elem5",  "elem6",
		"elem7",  "elem8",  "elem9",  "elem10", "elem11", "elem12", "elem13",
		"elem14", "elem15", "elem16", "elem17", "elem18", "elem19", "elem20",
		"elem21", "elem22", "elem23", "elem24", "elem25", "elem26", "elem27",
		"elem28", "elem29", "elem30", "elem31", "elem32", "elem33",
	};
	ls_rqs_use_variant(v, 0);
	for (int i = 0; i < HELD_LOCKS; i++)
		ls_rqspinlock_init(&elems[i], names[i], &elems[i]);
}

static const struct ls_task_decl held_max_tasks[] = { { "t0", 0, held_max_fn, NULL } };
static const struct ls_variant held_max_variants[NVAR] =
	LS_RQS_VARIANTS(LS_RQS_BUGS_BUT_STALLS, STALL, STALL, STALL, STALL, STALL, STALL, STALL, INV, STALL, STALL, STALL);

const struct ls_target ls_target_rqs_held_max = {
	.name = "rqspinlock/held-max",
	.summary = "34 nested rqspinlocks, then one already held: -ETIMEDOUT after >= 250 ms",
	.models = "res_spin_lock_test_held_lock_max over grab_held_lock_entry() (RES_NR_HELD 31)",
	.ncpus = 1,
	.tasks = held_max_tasks,
	.ntasks = 1,
	.variants = held_max_variants,
	.nvariants = NVAR,
	.init = held_max_init,
	.check = ls_rqs_check_quiescent,
};

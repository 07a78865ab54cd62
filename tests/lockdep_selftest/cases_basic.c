/* The selftest's first table, run for every column (spin, wlock, rlock, mutex, wsem, rsem):
 * recursion (AA), the lock-order cycles, double unlock and initialising a held lock.
 *
 * Each body takes its locks in the selftest's order and then releases what it still holds, so
 * that a case lockdep passes also ends clean here (lockstep reports a context that ends holding
 * a lock; the selftest instead resets lockdep after each case). */
#include "selftest.h"

/* Locks x then y of the column, and releases both. */
static void lock_unlock_2(struct st_slot *x, struct st_slot *y)
{
	st_lock(x);
	st_lock(y);
	st_unlock(y);
	st_unlock(x);
}

/* Two instances of one class: lockdep reports the second as recursive locking; a recursive read
 * (the rlock column, with force_read_lock_recursive) may nest in a read of its class. */
static void aa(void)
{
	LOCK(X1);
	LOCK(X2);
	UNLOCK(X2);
	UNLOCK(X1);
}

static void abba(void)
{
	lock_unlock_2(&A, &B);
	lock_unlock_2(&B, &A);
}

static void abbcca(void)
{
	lock_unlock_2(&A, &B);
	lock_unlock_2(&B, &C);
	lock_unlock_2(&C, &A);
}

static void abcabc(void)
{
	lock_unlock_2(&A, &B);
	lock_unlock_2(&C, &A);
	lock_unlock_2(&B, &C);
}

static void abbccdda(void)
{
	lock_unlock_2(&A, &B);
	lock_unlock_2(&B, &C);
	lock_unlock_2(&C, &D);
	lock_unlock_2(&D, &A);
}

static void abcdbdda(void)
{
	lock_unlock_2(&A, &B);
	lock_unlock_2(&C, &D);
	lock_unlock_2(&B, &D);
	lock_unlock_2(&D, &A);
}

static void abcdbcda(void)
{
	lock_unlock_2(&A, &B);
	lock_unlock_2(&C, &D);
	lock_unlock_2(&B, &C);
	lock_unlock_2(&D, &A);
}

/* The model reports the second release too (an invariant: "already unlocked"), after the
 * validator's bad unlock balance. */
static void double_unlock(void)
{
	LOCK(A);
	UNLOCK(A);
	UNLOCK(A);
}

/* Re-initialising a held lock frees it for lockdep (debug_check_no_locks_freed()). */
static void init_held(void)
{
	LOCK(A);
	INIT(A);
}

static const enum st_kind columns[] = { K_SPIN, K_WLOCK, K_RLOCK, K_MUTEX, K_WSEM, K_RSEM };

/* DO_TESTCASE_6R: every column fails with `fail` but rlock, whose recursive reads pass;
 * DO_TESTCASE_6: every column fails. */
static void six(const char *stem, void (*run)(void), unsigned fail, bool rlock_passes)
{
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		char name[56];
		snprintf(name, sizeof(name), "%s_%s", stem, st_kind_name[columns[i]]);
		bool pass = rlock_passes && columns[i] == K_RLOCK;
		st_add(name, run, columns[i], pass ? SUCCESS : fail);
	}
}

void st_cases_basic(void)
{
	six("AA", aa, F_AA, true);
	six("ABBA", abba, F_CYCLE, true);
	six("ABBCCA", abbcca, F_CYCLE, true);
	six("ABCABC", abcabc, F_CYCLE, true);
	six("ABBCCDDA", abbccdda, F_CYCLE, true);
	six("ABCDBDDA", abcdbdda, F_CYCLE, true);
	six("ABCDBCDA", abcdbcda, F_CYCLE, true);
	six("double_unlock", double_unlock, F_UNLOCK, false);
	six("init_held", init_held, F_FREED, false);
}

/* Classes and lifetimes, from lockdep's documented rules rather than the selftest's tables
 * (except lockdep_set_subclass_name, its last case): nesting two instances of a class under
 * different subclasses (*_nested with SINGLE_DEPTH_NESTING) is allowed and under one subclass
 * is recursion; lockdep_set_class() merges and splits classes; lockdep_set_subclass() keeps the
 * class's name; freeing held memory and ending a context with a lock held are reported. */
#include "selftest.h"

/* ---- nesting ----------------------------------------------------------------------------- */

/* The column's *_nested acquisition (the kernel has no read_lock_nested()). */
static void lock_nested(struct st_slot *s, unsigned subclass)
{
	switch (st_kind) {
	case K_SPIN:
		spin_lock_nested(&s->spin, subclass);
		break;
	case K_WLOCK:
		write_lock_nested(&s->rw, subclass);
		break;
	case K_MUTEX:
		mutex_lock_nested(&s->mutex, subclass);
		break;
	case K_WSEM:
		down_write_nested(&s->sem, subclass);
		break;
	case K_RSEM:
		down_read_nested(&s->sem, subclass);
		break;
	case K_RLOCK:
	case K_RAW:
	case K_NKINDS:
		raw_spin_lock_nested(&s->raw, subclass);
		break;
	}
}

static void nest_single_depth(void)
{
	LOCK(X1);
	lock_nested(&X2, SINGLE_DEPTH_NESTING);
	UNLOCK(X2);
	UNLOCK(X1);
}

static void nest_same_subclass(void)
{
	lock_nested(&X1, SINGLE_DEPTH_NESTING);
	lock_nested(&X2, SINGLE_DEPTH_NESTING);
	UNLOCK(X2);
	UNLOCK(X1);
}

/* ---- class keys -------------------------------------------------------------------------- */

static struct ls_lockdep_map *map_of(struct st_slot *s)
{
	switch (st_kind) {
	case K_SPIN:
		return &s->spin.dep_map;
	case K_WLOCK:
	case K_RLOCK:
		return &s->rw.dep_map;
	case K_MUTEX:
		return &s->mutex.dep_map;
	case K_WSEM:
	case K_RSEM:
		return &s->sem.dep_map;
	case K_RAW:
	case K_NKINDS:
		break;
	}
	return &s->raw.dep_map;
}

static struct lock_class_key shared_key[K_NKINDS], split_key[K_NKINDS];

/* A and B, initialised apart, given one key: taking both is recursion. */
static void set_class_shared(void)
{
	ls_lockdep_set_class(map_of(&A), &shared_key[st_kind], "shared", 0);
	ls_lockdep_set_class(map_of(&B), &shared_key[st_kind], "shared", 0);
	LOCK(A);
	LOCK(B);
	UNLOCK(B);
	UNLOCK(A);
}

/* X1 and X2, initialised together, X2 given a key of its own: two classes. */
static void set_class_split(void)
{
	ls_lockdep_set_class(map_of(&X2), &split_key[st_kind], "split", 0);
	LOCK(X1);
	LOCK(X2);
	UNLOCK(X2);
	UNLOCK(X1);
}

/* X2's plain acquisitions made subclass 1 of the class it shares with X1.  The case puts X2
 * back to subclass 0 when done: the next execution's init does not (see set_subclass_reinit). */
static void set_subclass(void)
{
	ls_lockdep_set_subclass(map_of(&X2), 1);
	LOCK(X1);
	LOCK(X2);
	UNLOCK(X2);
	UNLOCK(X1);
	ls_lockdep_set_subclass(map_of(&X2), 0);
}

/* The init functions put a lock back in its class's subclass 0, as lockdep_init_map() does:
 * X2 initialised again (by the very init lines that first did) is X1's class again. */
static void set_subclass_reinit(void)
{
	ls_lockdep_set_subclass(map_of(&X2), 1);
	st_init_locks();
	LOCK(X1);
	LOCK(X2);
	UNLOCK(X2);
	UNLOCK(X1);
	ls_lockdep_set_subclass(map_of(&X2), 0);
}

/* The selftest's lockdep_set_subclass_name_test: the lock keeps its class's name. */
static void lockdep_set_subclass_name(void)
{
	const char *before = X1.sem.dep_map.name;
	lockdep_set_subclass(&X1.sem, 1);
	if (X1.sem.dep_map.name != before)
		ls_fail(LS_SITE("lockdep_set_subclass"), "lockdep_set_subclass() renamed %s to %s",
			before, X1.sem.dep_map.name);
	RSL(X1);
	RSU(X1);
	lockdep_set_subclass(&X1.sem, 0);
}

/* ---- lifetimes --------------------------------------------------------------------------- */

static void free_held(void)
{
	LOCK(C);
	debug_check_no_locks_freed(&C, sizeof(C));
	UNLOCK(C);
}

static void free_released(void)
{
	LOCK(C);
	UNLOCK(C);
	debug_check_no_locks_freed(&C, sizeof(C));
}

static void held_at_exit(void)
{
	LOCK(A);
}

/* ---- the tables -------------------------------------------------------------------------- */

static void each(const char *stem, void (*run)(void), const enum st_kind *kinds, int n,
		 unsigned expect, unsigned rlock_expect)
{
	for (int i = 0; i < n; i++) {
		char name[56];
		snprintf(name, sizeof(name), "%s_%s", stem, st_kind_name[kinds[i]]);
		st_add(name, run, kinds[i], kinds[i] == K_RLOCK ? rlock_expect : expect);
	}
}

void st_cases_nest(void)
{
	static const enum st_kind nestable[] = { K_SPIN, K_WLOCK, K_MUTEX, K_WSEM, K_RSEM, K_RAW };
	static const enum st_kind all[] = { K_SPIN, K_WLOCK, K_RLOCK, K_MUTEX, K_WSEM, K_RSEM,
					    K_RAW };
	const int nn = sizeof(nestable) / sizeof(nestable[0]), na = sizeof(all) / sizeof(all[0]);

	each("nest_single_depth", nest_single_depth, nestable, nn, SUCCESS, SUCCESS);
	each("nest_same_subclass", nest_same_subclass, nestable, nn, F_AA, F_AA);
	/* Recursive reads of one class nest (the rlock column of AA). */
	each("set_class_shared", set_class_shared, all, na, F_AA, SUCCESS);
	each("set_class_split", set_class_split, all, na, SUCCESS, SUCCESS);
	each("set_subclass", set_subclass, all, na, SUCCESS, SUCCESS);
	each("set_subclass_reinit", set_subclass_reinit, all, na, F_AA, SUCCESS);
	st_add("lockdep_set_subclass_name", lockdep_set_subclass_name, K_RSEM, SUCCESS);

	each("free_held", free_held, all, na, F_FREED, F_FREED);
	each("free_released", free_released, all, na, SUCCESS, SUCCESS);
	each("held_at_exit", held_at_exit, all, na, F_EXIT, F_EXIT);
}

/* Suite `bpf`, bpf/task-vma: every variant's declared outcome under the random walk (0.1, 0.05)
 * from seed 0, the first finding replayed in a fresh session; then what each design does with the
 * loop body's fault, checked on signatures and on what the contexts announce at their points (an
 * observer wraps the random walk without changing its decisions). */
#include "../pairs.h"
#include "scenario.h"

#include <lockstep/kernel.h>

static const struct pair_budget budget = { .clean = 200000, .bug = 2000, .open = 0,
	.also = LS_KIND_BIT(LS_KIND_LOCKDEP) };

/* Seeds the scenario tests look through. */
#define SEEDS 2000

static const char target_name[] = "bpf/task-vma";

/* ---- an observer on the random walk ------------------------------------------------------ */

#define MAX_COPIES 8

/* What one execution did, as seen at its scheduling points. */
struct seen {
	const struct rw_semaphore *mmap_lock;
	int copies_locked;		/* iter's copy_from_user() points under mmap_lock */
	bool fault_waited;		/* iter parked in a fault on mmap_lock */
	bool writer_waited_for_vma;	/* mprotect parked in vma_start_write() */
	const void *copied[MAX_COPIES];	/* distinct places iter's body copied from */
	int ncopied;
};

/* Records what pt shows of iter's copies and faults and of mprotect's waits (see_fn). */
static void see(void *seen, const struct ls_point *pt)
{
	struct seen *w = seen;
	const struct ls_ctx *c = &pt->m->ctx[pt->ctx];
	char obj[64] = "";

	if (pt->addr)
		ls_machine_describe(pt->m, pt->addr, obj, sizeof(obj));
	/* The count word is the rwsem's first field: a lock or trylock point names the lock. */
	if (!w->mmap_lock && (is(pt, "mmap_write_lock") || is(pt, "mmap_read_trylock")) &&
	    strcmp(obj, "&mm->mmap_lock") == 0)
		w->mmap_lock = pt->addr;
	if (strcmp(c->name, "iter") == 0) {
		if (is(pt, "copy_from_user") && pt->op != LS_OP_PARK) {
			if (w->mmap_lock && reader_of(w->mmap_lock, pt->ctx))
				w->copies_locked++;
			/* Each body copies from its VMA's first byte. */
			bool known = false;
			for (int i = 0; i < w->ncopied; i++)
				known |= w->copied[i] == pt->addr;
			if (!known && w->ncopied < MAX_COPIES)
				w->copied[w->ncopied++] = pt->addr;
		}
		if (pt->op == LS_OP_PARK && is(pt, "do_user_addr_fault") &&
		    strcmp(obj, "&mm->mmap_lock") == 0)
			w->fault_waited = true;
	}
	if (strcmp(c->name, "mprotect") == 0 && pt->op == LS_OP_PARK && is(pt, "vma_start_write"))
		w->writer_waited_for_vma = true;
}

/* ---- every variant ----------------------------------------------------------------------- */

static int test_every_variant_shows_its_expected_outcome(void)
{
	return run_target(target_name, &budget);
}

/* ---- mmap-lock-held ---------------------------------------------------------------------- */

/* The body's fault is a second mmap_read_lock() that queues behind the waiting writer. */
static int test_fault_under_the_iterators_mmap_lock_waits_behind_a_queued_writer(void)
{
	static const char want[] =
		"deadlock: iter waits in do_user_addr_fault on &mm->mmap_lock queued behind "
		"mprotect, which waits in mmap_write_lock on &mm->mmap_lock held by iter";
	static const enum ls_lockdep_mode modes[] = { LS_LOCKDEP_ON, LS_LOCKDEP_OFF };
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct ls_session s;
		struct ls_result r;
		open_pair(&s, target_name, "mmap-lock-held", modes[m]);
		uint64_t seed = scan_seeds(&s, LS_KIND_DEADLOCK, NULL, 0, SEEDS, &r);
		ls_session_finish(&s);
		CHECKF(seed < SEEDS, "no deadlock in %d seeds (lockdep mode %zu)", SEEDS, m);
		CHECKF(strcmp(r.signature, want) == 0, "seed %llu: %s", (unsigned long long)seed,
		       r.signature);
	}
	return TEST_PASS;
}

/* Without a writer in the way the execution ends, and the validator still names the recursive
 * read: might_fault() under the iterator's hold. */
static int test_validator_flags_the_recursive_mmap_lock_read_without_a_hang(void)
{
	struct ls_session s;
	struct ls_result r;
	open_pair(&s, target_name, "mmap-lock-held", LS_LOCKDEP_ON);
	uint64_t seed = scan_seeds(&s, LS_KIND_LOCKDEP, NULL, 0, SEEDS, &r);
	int rc = seed < SEEDS ? replays("bpf/task-vma:mmap-lock-held", &s, &r) : TEST_FAIL;
	ls_session_finish(&s);
	CHECKF(seed < SEEDS, "no validator report in %d seeds", SEEDS);
	CHECKF(strcmp(r.signature, "AA: &mm->mmap_lock; iter") == 0, "seed %llu: %s",
	       (unsigned long long)seed, r.signature);
	CHECK(rc == TEST_PASS);
	return TEST_PASS;
}

/* The observer's positive control: in v6.7 every body copy runs under the iterator's hold. */
static int test_v6_7_body_copies_under_the_iterators_mmap_lock(void)
{
	struct ls_session s;
	struct ls_result r;
	struct observer o;
	struct seen seen;
	int copies_locked = 0;
	observer_init(&o, see, &seen, sizeof(seen));
	open_pair(&s, target_name, "mmap-lock-held", LS_LOCKDEP_OFF);
	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		run_observed(&s, &o, seed, &r);
		copies_locked += seen.copies_locked;
	}
	ls_session_finish(&s);
	CHECK(copies_locked > 0);
	return TEST_PASS;
}

/* ---- the two fixes ----------------------------------------------------------------------- */

struct fix_counts {
	int copies_locked, fault_waited, writer_waited, skipped;
};

static int sweep_fix(const char *variant, struct fix_counts *n)
{
	struct ls_session s;
	struct ls_result r;
	struct observer o;
	struct seen seen;
	memset(n, 0, sizeof(*n));
	observer_init(&o, see, &seen, sizeof(seen));
	open_pair(&s, target_name, variant, LS_LOCKDEP_ON);
	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		run_observed(&s, &o, seed, &r);
		if (r.kind != LS_KIND_NONE) {
			char spec[96];
			snprintf(spec, sizeof(spec), "%s:%s", target_name, variant);
			fprintf(stderr, "%s seed %llu: %s\n", spec, (unsigned long long)seed,
				r.signature);
			print_replay_hint(spec, seed);
			ls_session_finish(&s);
			return TEST_FAIL;
		}
		n->copies_locked += seen.copies_locked;
		n->fault_waited += seen.fault_waited;
		n->writer_waited += seen.writer_waited_for_vma;
		n->skipped += seen.ncopied < 3;
	}
	ls_session_finish(&s);
	fprintf(stderr, "  %s: %d copies under mmap_lock, %d faults waited for the writer, "
			"%d writers waited for a VMA reader, %d walks copied fewer than 3 VMAs\n",
		variant, n->copies_locked, n->fault_waited, n->writer_waited, n->skipped);
	return TEST_PASS;
}

/* The released iterator's body faults with no lock held: its fault may wait for the writer,
 * which then finishes, and the walk goes on or ends on a failed trylock. */
static int test_released_iterator_faults_with_no_lock_held(void)
{
	struct fix_counts n;
	CHECK(sweep_fix("release-before-fault", &n) == TEST_PASS);
	CHECK(n.copies_locked == 0);
	CHECK(n.fault_waited > 0);
	return TEST_PASS;
}

/* The per-VMA iterator hands out a copy with the VMA unlocked; a writer marking a VMA makes
 * lock_vma_under_rcu() fail and the walk step past it, or waits for the iterator's short hold. */
static int test_per_vma_iterator_skips_a_write_locked_vma_and_never_hangs(void)
{
	struct fix_counts n;
	CHECK(sweep_fix("per-vma-lock", &n) == TEST_PASS);
	CHECK(n.copies_locked == 0);
	CHECK(n.skipped > 0);
	CHECK(n.writer_waited > 0);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_every_variant_shows_its_expected_outcome, status);
	RUN(test_fault_under_the_iterators_mmap_lock_waits_behind_a_queued_writer, status);
	RUN(test_validator_flags_the_recursive_mmap_lock_read_without_a_hang, status);
	RUN(test_v6_7_body_copies_under_the_iterators_mmap_lock, status);
	RUN(test_released_iterator_faults_with_no_lock_held, status);
	RUN(test_per_vma_iterator_skips_a_write_locked_vma_and_never_hangs, status);
	return status;
}

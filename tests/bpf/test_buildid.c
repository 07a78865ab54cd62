/* Suite `bpf`, buildid/stackmap: every variant's declared outcome under the random walk (0.1,
 * 0.05) from seed 0, the first finding replayed in a fresh session; then what each scenario is
 * about, checked on the findings' signatures and on what the contexts announce at their points
 * (an observer wraps the random walk without changing its decisions). */
#include "../pairs.h"
#include "scenario.h"

#include <lockstep/kernel.h>

#include "../../targets/buildid/stackmap.h"

static const struct pair_budget budget = { .clean = 200000, .bug = 2000, .open = 0,
	.also = LS_KIND_BIT(LS_KIND_LOCKDEP) | LS_KIND_BIT(LS_KIND_INVARIANT) };

/* Seeds the scenario tests look through. */
#define SEEDS 2000

static const char target_name[] = "buildid/stackmap";

/* ---- an observer on the random walk ------------------------------------------------------ */

/* What one execution did, as seen at its scheduling points. */
struct seen {
	bool nmi_ran;			/* the perf NMI took at least one step */
	bool nmi_slot_refused;		/* the NMI tried the slot and never trylocked */
	bool nmi_cmpxchg, nmi_trylock;
	int kernel_reads;		/* prog's __kernel_read() points */
	int kernel_reads_locked;	/* ... while prog held mmap_lock for read */
	const struct rw_semaphore *mmap_lock;
};

/* Records what pt shows of the NMI, of mmap_lock and of prog's reads (see_fn). */
static void see(void *seen, const struct ls_point *pt)
{
	struct seen *w = seen;
	const struct ls_ctx *c = &pt->m->ctx[pt->ctx];
	char obj[64];

	/* The count word is the rwsem's first field: a mmap_lock point names the lock. */
	if (!w->mmap_lock && pt->addr && ls_machine_describe(pt->m, pt->addr, obj, sizeof(obj)) &&
	    strcmp(obj, "&mm->mmap_lock") == 0 && (is(pt, "mmap_read_trylock") ||
						   is(pt, "mmap_write_lock")))
		w->mmap_lock = pt->addr;
	if (c->kind == LS_CTX_NMI) {
		w->nmi_ran = true;
		if (is(pt, "atomic_cmpxchg_acquire"))
			w->nmi_cmpxchg = true;
		if (is(pt, "mmap_read_trylock"))
			w->nmi_trylock = true;
		w->nmi_slot_refused = w->nmi_cmpxchg && !w->nmi_trylock;
	}
	if (c->kind == LS_CTX_TASK && strcmp(c->name, "prog") == 0 && is(pt, "__kernel_read")) {
		w->kernel_reads++;
		if (w->mmap_lock && reader_of(w->mmap_lock, pt->ctx))
			w->kernel_reads_locked++;
	}
}

/* ---- every variant ----------------------------------------------------------------------- */

static int test_every_variant_shows_its_expected_outcome(void)
{
	return run_target(target_name, &budget);
}

/* ---- sleepable-under-mmap-lock ----------------------------------------------------------- */

static const char sleepable_deadlock[] =
	"deadlock: prog waits in __kernel_read on &sb->s_type->i_mutex_key held by writer, which "
	"waits in do_user_addr_fault on &mm->mmap_lock queued behind munmap, which waits in "
	"mmap_write_lock on &mm->mmap_lock held by prog";

/* The hang is the three-party cycle, with or without the validator watching. */
static int test_sleepable_walk_hangs_through_the_queued_mmap_writer(void)
{
	static const enum ls_lockdep_mode modes[] = { LS_LOCKDEP_ON, LS_LOCKDEP_OFF };
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct ls_session s;
		struct ls_result r;
		open_pair(&s, target_name, "sleepable-under-mmap-lock", modes[m]);
		uint64_t seed = scan_seeds(&s, LS_KIND_DEADLOCK, NULL, 0, SEEDS, &r);
		ls_session_finish(&s);
		CHECKF(seed < SEEDS, "no deadlock in %d seeds (lockdep mode %zu)", SEEDS, m);
		CHECKF(strcmp(r.signature, sleepable_deadlock) == 0, "seed %llu: %s",
		       (unsigned long long)seed, r.signature);
	}
	return TEST_PASS;
}

/* One execution that does not hang holds both halves of the inversion: the trylocked mmap_lock
 * before i_rwsem (prog), i_rwsem before mmap_lock (writer's fault).  The kernel's own lockdep
 * (compat mode) sees it too: no NMI is involved. */
static int test_validator_reports_the_mmap_lock_i_rwsem_cycle_without_a_hang(void)
{
	static const char want[] = "ABBA: &mm->mmap_lock, &sb->s_type->i_mutex_key; prog, writer";
	static const enum ls_lockdep_mode modes[] = { LS_LOCKDEP_ON, LS_LOCKDEP_COMPAT };
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct ls_session s;
		struct ls_result r;
		open_pair(&s, target_name, "sleepable-under-mmap-lock", modes[m]);
		uint64_t seed = scan_seeds(&s, LS_KIND_LOCKDEP, NULL, 0, SEEDS, &r);
		CHECKF(seed < SEEDS, "no validator report in %d seeds (mode %zu)", SEEDS, m);
		CHECKF(strcmp(r.signature, want) == 0, "seed %llu: %s", (unsigned long long)seed,
		       r.signature);
		CHECKF(r.nprior == 0, "seed %llu relies on %d earlier executions",
		       (unsigned long long)seed, r.nprior);
		int rc = m == 0 ? replays("buildid/stackmap:sleepable-under-mmap-lock", &s, &r)
				: TEST_PASS;
		ls_session_finish(&s);
		CHECK(rc == TEST_PASS);
	}
	return TEST_PASS;
}

/* Before the fix prog reads the file while it holds mmap_lock; after it, never, though it still
 * parses. */
static int test_only_the_fix_reads_the_file_without_mmap_lock(void)
{
	static const char *const variants[] = { "sleepable-under-mmap-lock",
						"snapshot-then-parse" };
	for (int v = 0; v < 2; v++) {
		struct ls_session s;
		struct ls_result r;
		struct observer o;
		struct seen seen;
		int reads = 0, locked = 0;
		observer_init(&o, see, &seen, sizeof(seen));
		open_pair(&s, target_name, variants[v], LS_LOCKDEP_OFF);
		for (uint64_t seed = 0; seed < SEEDS; seed++) {
			run_observed(&s, &o, seed, &r);
			reads += seen.kernel_reads;
			locked += seen.kernel_reads_locked;
		}
		ls_session_finish(&s);
		fprintf(stderr, "  %s: %d __kernel_read points, %d under mmap_lock\n", variants[v],
			reads, locked);
		CHECKF(reads > 0, "%s never parsed", variants[v]);
		if (v == 0)
			CHECKF(locked == reads, "%s read without mmap_lock", variants[v]);
		else
			CHECKF(locked == 0, "%s read under mmap_lock", variants[v]);
	}
	return TEST_PASS;
}

/* ---- the irq_work unlock ----------------------------------------------------------------- */

/* The leak hangs the next mmap writer, and the signature names mmap_lock; when the writer came
 * first, the check finds the leaked reader instead.  Neither happens without the NMI. */
static int test_nmi_in_the_irq_work_window_leaks_a_mmap_lock_reader(void)
{
	static const char hang[] = "deadlock: munmap waits in mmap_write_lock on &mm->mmap_lock "
				   "held by ";
	static const char leak[] = "invariant: mmap_lock read hold leaked: 1 reader(s) left";
	struct ls_session s;
	struct ls_result r;
	struct observer o;
	struct seen seen;
	int hangs = 0, leaks = 0, rc = TEST_PASS;
	observer_init(&o, see, &seen, sizeof(seen));
	open_pair(&s, target_name, "nofault-irq-work-unlock", LS_LOCKDEP_ON);
	for (uint64_t seed = 0; seed < SEEDS && rc == TEST_PASS; seed++) {
		run_observed(&s, &o, seed, &r);
		if (r.kind == LS_KIND_NONE)
			continue;
		if (!seen.nmi_ran) {
			fprintf(stderr, "seed %llu: %s without the NMI\n", (unsigned long long)seed,
				r.signature);
			rc = TEST_FAIL;
		} else if (r.kind == LS_KIND_DEADLOCK && strncmp(r.signature, hang,
								  sizeof(hang) - 1) == 0) {
			hangs++;
		} else if (r.kind == LS_KIND_INVARIANT && strcmp(r.signature, leak) == 0) {
			leaks++;
		} else {
			fprintf(stderr, "seed %llu: %s\n", (unsigned long long)seed, r.signature);
			rc = TEST_FAIL;
		}
		if (rc != TEST_PASS)
			print_replay_hint("buildid/stackmap:nofault-irq-work-unlock", seed);
	}
	ls_session_finish(&s);
	fprintf(stderr, "  %d hangs, %d leaks found by the check\n", hangs, leaks);
	CHECK(rc == TEST_PASS);
	CHECK(hangs > 0 && leaks > 0);
	return TEST_PASS;
}

/* After the fix the same window is open to the NMI, and the active slot turns it away. */
static int test_active_slot_turns_the_nmi_away_and_nothing_leaks(void)
{
	struct ls_session s;
	struct ls_result r;
	struct observer o;
	struct seen seen;
	int refused = 0;
	observer_init(&o, see, &seen, sizeof(seen));
	open_pair(&s, target_name, "nofault-irq-work-unlock-active", LS_LOCKDEP_ON);
	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		run_observed(&s, &o, seed, &r);
		if (r.kind != LS_KIND_NONE) {
			fprintf(stderr, "seed %llu: %s\n", (unsigned long long)seed, r.signature);
			print_replay_hint("buildid/stackmap:nofault-irq-work-unlock-active", seed);
			ls_session_finish(&s);
			return TEST_FAIL;
		}
		refused += seen.nmi_slot_refused;
	}
	ls_session_finish(&s);
	fprintf(stderr, "  the slot refused the NMI in %d of %d executions\n", refused, SEEDS);
	CHECK(refused > 0);
	return TEST_PASS;
}

/* The fixes still do the job: the program's walk resolves libfoo.so's two frames to a build ID
 * and file offset (the check verifies both) in most executions; it falls back to IPs only when
 * its trylock loses to the writer or the slot is taken. */
static int test_fixed_walks_still_resolve_build_ids(void)
{
	static const char *const variants[] = { "snapshot-then-parse",
						 "nofault-irq-work-unlock-active" };
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct ls_session s;
		struct ls_result r;
		int resolved = 0;
		open_pair(&s, target_name, variants[i], LS_LOCKDEP_ON);
		for (uint64_t seed = 0; seed < SEEDS; seed++) {
			run_random(&s, seed, &r, NULL);
			resolved += ls_buildid_prog_frames_resolved() == 2;
		}
		ls_session_finish(&s);
		printf("%s:%s: both libfoo.so frames resolved in %d of %d executions\n",
		       target_name, variants[i], resolved, SEEDS);
		CHECKF(resolved > SEEDS / 2, "%s: only %d of %d", variants[i], resolved, SEEDS);
	}
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_every_variant_shows_its_expected_outcome, status);
	RUN(test_sleepable_walk_hangs_through_the_queued_mmap_writer, status);
	RUN(test_validator_reports_the_mmap_lock_i_rwsem_cycle_without_a_hang, status);
	RUN(test_only_the_fix_reads_the_file_without_mmap_lock, status);
	RUN(test_nmi_in_the_irq_work_window_leaks_a_mmap_lock_reader, status);
	RUN(test_active_slot_turns_the_nmi_away_and_nothing_leaks, status);
	RUN(test_fixed_walks_still_resolve_build_ids, status);
	return status;
}

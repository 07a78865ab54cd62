/* Suite `bpf`, bpf/contention-tracepoint: every variant's declared outcome under the random walk
 * (0.1, 0.02, 0.05) from seed 0, as `lockstep fuzz` runs it, the first finding replayed in a
 * fresh session; then what each variant's hang or error path is made of.  The target reports
 * what its map operations returned and, per CPU, which programs were running from which
 * tracepoint (ls_bpf_contention_where()), read after each execution. */
#include "../pairs.h"

#include <errno.h>

/* The target's accessors (targets/bpf/contention_tracepoint.c). */
int ls_bpf_contention_calls(int caller, int ret);
int ls_bpf_contention_tick_calls(void);
long ls_bpf_contention_misses(void);
long ls_bpf_contention_runs(void);
int ls_bpf_contention_where(int cpu, char *buf, size_t len);

enum { PROG_A, PROG_B, ANY = -1 };

static const char target_name[] = "bpf/contention-tracepoint";

#define NCPUS 4		/* the target's */

/* Clean variants: no bug in CLEAN executions.  Buggy ones: the expected kind within BUG, and,
 * for the shapes below, within SHAPE. */
#define CLEAN 20000
#define BUG 100000
#define SHAPE 500000

static const struct pair_budget budget = { .clean = CLEAN, .bug = BUG, .open = 0,
	.also = LS_KIND_BIT(LS_KIND_LOCKDEP) };

static void spec_of(const char *variant, char *spec, size_t n)
{
	snprintf(spec, n, "%s:%s", target_name, variant);
}

/* ---- reading a hang ----------------------------------------------------------------------- */

/* The CPU of the context named at name ("broadcast@cpu2", "user"), or -1. */
static int cpu_of(const struct ls_session *s, const char *name, size_t len)
{
	for (int i = 0; i < s->m->nctx; i++) {
		const char *n = s->m->ctx[i].label;
		if (strlen(n) == len && strncmp(n, name, len) == 0)
			return s->m->ctx[i].cpu;
	}
	return -1;
}

/* The contexts a deadlock's wait set names as queue heads that saw -EDEADLK and wait for a
 * successor nobody is to be: "X waits in raw_res_spin_lock_irqsave on &tstamp_b->lockdep_key's
 * queue (rqnodes[c][i]), head after -EDEADLK, for a successor" with no one named after it (a
 * head whose successor is on its way reads "... waiting for Y").  Writes their CPUs to cpus and
 * the map whose bucket lock's queue each heads ('a' or 'b') to maps (at most max); returns how
 * many. */
static int heads(const struct ls_session *s, const char *signature, int *cpus, char *maps,
		 int max)
{
	static const char wait[] = " waits in raw_res_spin_lock_irqsave on &tstamp_";
	static const char queue[] = "->lockdep_key's queue (rqnodes[";
	static const char why[] = "]), head after -EDEADLK, for a successor";
	int n = 0;
	for (const char *p = strstr(signature, wait); p && n < max; p = strstr(p + 1, wait)) {
		const char *q = p + strlen(wait) + 1;
		if (strncmp(q, queue, strlen(queue)) != 0)
			continue;
		const char *end = strchr(strchr(q + strlen(queue), ']') + 1, ']');
		if (strncmp(end, why, strlen(why)) != 0)
			continue;
		end += strlen(why);
		if (*end != ';' && *end != 0)
			continue;
		const char *name = p;
		while (name > signature && name[-1] != ' ')
			name--;
		int cpu = cpu_of(s, name, (size_t)(p - name));
		if (cpu >= 0) {
			maps[n] = p[strlen(wait)];
			cpus[n++] = cpu;
		}
	}
	return n;
}

/* The innermost program on cpu is mid-operation on the other map than the lock whose
 * tracepoint ran it: "a's ... of tstamp_a in contention_X(&tstamp_b->lockdep_key)" or the
 * reverse.  Writes the map it wants ('a' or 'b') to *wants. */
static bool crosses(const char *where, char *wants)
{
	static const char of[] = " of tstamp_", in[] = "(&tstamp_";
	const char *o = strstr(where, of), *i = strstr(where, in);
	if (!o || !i)
		return false;
	*wants = o[sizeof(of) - 1];
	return i[sizeof(in) - 1] != *wants;
}

/* ---- every variant ------------------------------------------------------------------------- */

static int run_variant(const char *variant, const struct pair_budget *b)
{
	const struct ls_target *t;
	int v;
	char spec[96], err[256];
	spec_of(variant, spec, sizeof(spec));
	CHECKF(ls_target_spec(spec, &t, &v, err, sizeof(err)), "%s", err);
	return run_pair(t, v, b);
}

static int test_every_variant_shows_its_expected_outcome(void)
{
	static const char *const variants[] = { "v6.14", "v6.15", "v6.19", "fixed",
						"lru-list-spinlock", "per-cpu-slot" };
	int rc = TEST_PASS;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		if (run_variant(variants[i], &budget) != TEST_PASS)
			rc = TEST_FAIL;
	return rc;
}

/* ---- v6.19 ----------------------------------------------------------------------------------- */

/* A tick on CPU c as signatures name it: the hardirq context, called by the broadcast source
 * that entered it last ("broadcast@cpu2"), or by its own name when only raised ("irq@cpu2"). */
static const char *tick_text(char *text, size_t n, const char *fmt_tail, int c)
{
	char name[32];
	snprintf(name, sizeof(name), "broadcast@cpu%d", c);
	snprintf(text, n, fmt_tail, name);
	return text;
}

static const char *find_tick(const char *signature, char *text, size_t n, const char *fmt, int c)
{
	const char *w = strstr(signature, tick_text(text, n, fmt, c));
	if (w)
		return w;
	char name[32];
	snprintf(name, sizeof(name), "irq@cpu%d", c);
	snprintf(text, n, fmt, name);
	return strstr(signature, text);
}

/* The field's shape: both heads are ticks, one of them holds jiffies_lock, taken before its
 * contention_end ran the programs, and every other tick that has not returned spins on it. */
static bool field_shaped(const char *signature, const int *cpus, char where[][512])
{
	char text[96];
	bool holder = false;
	for (int h = 0; h < 2; h++) {
		if (!find_tick(signature, text, sizeof(text), "%s waits in raw_res_spin_lock", cpus[h]))
			return false;	/* a head in the user's syscall */
		holder |= find_tick(signature, text, sizeof(text), "jiffies_lock held by %s",
				    cpus[h]) &&
			  strstr(where[h], "contention_end(jiffies_lock)");
	}
	for (int c = 0; c < NCPUS && holder; c++) {
		if (c == cpus[0] || c == cpus[1])
			continue;
		const char *w = find_tick(signature, text, sizeof(text), "%s waits", c);
		if (w && strncmp(w + strlen(text), " in raw_spin_lock on jiffies_lock",
				 strlen(" in raw_spin_lock on jiffies_lock")) != 0)
			return false;
	}
	return holder;
}

/* First seed < limit whose run deadlocks with two queue heads waiting for successors, both
 * mid-operation on the other map than the bucket lock whose tracepoint ran them (the ABBA they
 * detected), on different maps; field: one of them also holds jiffies_lock, and both are ticks.
 * Prints what it found. */
static uint64_t first_two_heads(bool field, uint64_t limit)
{
	char spec[96];
	struct ls_session s;
	struct ls_result r;
	spec_of("v6.19", spec, sizeof(spec));
	open_session(&s, spec, NULL);
	uint64_t found = UINT64_MAX;
	for (uint64_t seed = 0; seed < limit && found == UINT64_MAX; seed++) {
		if (run_random(&s, seed, &r, NULL) != LS_KIND_DEADLOCK)
			continue;
		int cpus[4];
		char maps[4];
		if (heads(&s, r.signature, cpus, maps, 4) != 2)
			continue;
		char where[2][512], wants[2];
		bool abba = true;
		for (int h = 0; h < 2; h++) {
			ls_bpf_contention_where(cpus[h], where[h], sizeof(where[h]));
			abba &= crosses(where[h], &wants[h]);
			/* The report names the lock whose queue the program's operation heads. */
			if (abba && maps[h] != wants[h]) {
				printf("%s: seed %llu: the report puts CPU%d at the head of tstamp_%c's "
				       "queue, its program is in tstamp_%c's operation: %s\n",
				       spec, (unsigned long long)seed, cpus[h], maps[h], wants[h],
				       r.signature);
				ls_session_finish(&s);
				return UINT64_MAX;
			}
		}
		if (!abba || wants[0] == wants[1])
			continue;
		if (field && !field_shaped(r.signature, cpus, where))
			continue;
		found = seed;
		printf("%s: seed %llu: %s\n", spec, (unsigned long long)seed, r.signature);
		for (int h = 0; h < 2; h++)
			printf("  head on CPU%d, waiting for a successor on tstamp_%c's bucket "
			       "lock: %s\n", cpus[h], wants[h], where[h]);
	}
	ls_session_finish(&s);
	return found;
}

/* The field lockup's core: two heads that detected the ABBA, waiting for successors. */
static int test_v6_19_two_heads_wait_for_successors_that_never_come(void)
{
	uint64_t seed = first_two_heads(false, SHAPE);
	CHECKF(seed != UINT64_MAX, "no two-head hang in %d executions", SHAPE);
	return TEST_PASS;
}

/* As in the field: the heads are ticks, one of them holds jiffies_lock, taken before its
 * contention_end ran the programs, and the other ticks spin on it. */
static int test_v6_19_field_shape_ticks_spin_behind_a_head(void)
{
	uint64_t seed = first_two_heads(true, SHAPE);
	CHECKF(seed != UINT64_MAX, "no field-shaped hang in %d executions", SHAPE);
	return TEST_PASS;
}

/* ---- the errors the other variants return ---------------------------------------------------- */

struct sweep {
	uint64_t executions, hangs;
	uint64_t with_edeadlk, with_etimedout, with_ebusy;	/* executions with that return */
	uint64_t with_misses, with_runs, with_tick_ops;
	uint64_t with_prog_ops;		/* executions where a program went for a map */
};

/* Runs variant for n seeds from 0 and counts what the operations returned. */
static void sweep(const char *variant, uint64_t n, struct sweep *w)
{
	char spec[96];
	struct ls_session s;
	struct ls_result r;
	memset(w, 0, sizeof(*w));
	spec_of(variant, spec, sizeof(spec));
	open_session(&s, spec, NULL);
	for (uint64_t seed = 0; seed < n; seed++) {
		enum ls_kind k = run_random(&s, seed, &r, NULL);
		w->executions++;
		w->hangs += k == LS_KIND_DEADLOCK;
		w->with_edeadlk += ls_bpf_contention_calls(ANY, -EDEADLK) > 0;
		w->with_etimedout += ls_bpf_contention_calls(ANY, -ETIMEDOUT) > 0;
		w->with_ebusy += ls_bpf_contention_calls(ANY, -EBUSY) > 0;
		w->with_misses += ls_bpf_contention_misses() > 0;
		w->with_runs += ls_bpf_contention_runs() > 0;
		w->with_tick_ops += ls_bpf_contention_tick_calls() > 0;
		int prog_ops = 0;
		for (int c = PROG_A; c <= PROG_B; c++)
			prog_ops += ls_bpf_contention_calls(c, 0) +
				    ls_bpf_contention_calls(c, -ENOENT);
		w->with_prog_ops += prog_ops > 0;
	}
	ls_session_finish(&s);
	printf("%s: %llu executions: programs ran in %llu (a guard refused one in %llu, a tick's "
	       "program changed a map in %llu); -EDEADLK in %llu, -ETIMEDOUT in %llu, -EBUSY in "
	       "%llu; %llu hangs\n",
	       spec, (unsigned long long)w->executions, (unsigned long long)w->with_runs,
	       (unsigned long long)w->with_misses, (unsigned long long)w->with_tick_ops,
	       (unsigned long long)w->with_edeadlk, (unsigned long long)w->with_etimedout,
	       (unsigned long long)w->with_ebusy, (unsigned long long)w->hangs);
}

/* v6.15: the ABBA is detected and the queue torn down; the programs get -EDEADLK. */
static int test_v6_15_heads_tear_down_and_programs_get_edeadlk(void)
{
	struct sweep w;
	sweep("v6.15", CLEAN, &w);
	CHECK(w.hangs == 0);
	CHECK(w.with_edeadlk > 0);
	CHECK(w.with_misses > 0);	/* the guard refuses a program nested in itself */
	return TEST_PASS;
}

/* fixed: the same ABBA, detected; the head resets the tail and leaves. */
static int test_fixed_heads_reset_the_tail_and_leave(void)
{
	struct sweep w;
	sweep("fixed", CLEAN, &w);
	CHECK(w.hangs == 0);
	CHECK(w.with_edeadlk > 0);
	return TEST_PASS;
}

/* per-cpu-slot: the programs run in the same tracepoints, take no lock, change no map. */
static int test_per_cpu_slot_programs_run_and_take_no_lock(void)
{
	struct sweep w;
	sweep("per-cpu-slot", CLEAN, &w);
	CHECK(w.hangs == 0);
	CHECK(w.with_runs > 0);
	CHECK(w.with_prog_ops == 0);
	return TEST_PASS;
}

/* ---- v6.14 and lru-list-spinlock: raw spinlocks held across contention_end ------------------- */

/* Whether a context the deadlock says holds a lock is inside contention_begin of that lock: it
 * holds it by a place in the queue it took before the tracepoint ran. */
static bool holder_in_begin(const struct ls_session *s, const char *signature)
{
	for (const char *q = strstr(signature, " on "); q; q = strstr(q + 1, " on ")) {
		const char *lock = q + 4, *by = strstr(lock, " held by ");
		if (!by || strchr(lock, ' ') != by)
			continue;
		const char *holder = by + strlen(" held by ");
		char want[96], where[512];
		snprintf(want, sizeof(want), "contention_begin(%.*s)", (int)(by - lock), lock);
		int cpu = cpu_of(s, holder, strcspn(holder, ",;"));
		if (cpu >= 0 && ls_bpf_contention_where(cpu, where, sizeof(where)) &&
		    strstr(where, want))
			return true;
	}
	return false;
}

/* First seed < limit whose deadlock is a cycle of two "held by" edges on locks named by
 * lock_prefix, each holder running the program that spins from inside contention_end of the
 * lock it holds (a hold the queued spinlock really has there; contention_begin runs before the
 * waiter queues).  aa: one context holding and wanting the same lock. */
static uint64_t first_held_cycle(const char *variant, const char *lock_prefix, bool aa,
				 uint64_t limit)
{
	char spec[96];
	struct ls_session s;
	struct ls_result r;
	spec_of(variant, spec, sizeof(spec));
	open_session(&s, spec, NULL);
	uint64_t found = UINT64_MAX, deadlocks = 0, in_begin = 0;
	for (uint64_t seed = 0; seed < limit && found == UINT64_MAX; seed++) {
		if (run_random(&s, seed, &r, NULL) != LS_KIND_DEADLOCK)
			continue;
		deadlocks++;
		in_begin += holder_in_begin(&s, r.signature);
		/* "deadlock: X waits in F on L1 held by Y, which waits in F on L2 held by X" */
		const char *p = r.signature + strlen("deadlock: ");
		int edges = 0, ok = 1;
		for (const char *q = p; (q = strstr(q, " held by ")); q++)
			edges++;
		if (strstr(p, "queued behind") || edges != (aa ? 1 : 2) ||
		    strstr(p, "jiffies_lock"))
			continue;
		/* Each "on LOCK held by HOLDER": HOLDER is in contention_end(LOCK). */
		for (const char *q = strstr(p, " on "); q && ok; q = strstr(q + 1, " on ")) {
			const char *lock = q + 4, *by = strstr(lock, " held by ");
			if (!by)
				break;
			const char *holder = by + strlen(" held by ");
			size_t hl = strcspn(holder, ",");
			char want[96], where[512];
			int cpu = cpu_of(&s, holder, hl);
			snprintf(want, sizeof(want), "contention_end(%.*s)", (int)(by - lock),
				 lock);
			ok = strncmp(lock, lock_prefix, strlen(lock_prefix)) == 0 && cpu >= 0 &&
			     ls_bpf_contention_where(cpu, where, sizeof(where)) &&
			     strstr(where, want) != NULL;
		}
		if (!ok)
			continue;
		found = seed;
		printf("%s: seed %llu: %s\n", spec, (unsigned long long)seed, r.signature);
		for (int c = 0; c < s.m->ncpus; c++) {
			char where[512];
			if (ls_bpf_contention_where(c, where, sizeof(where)))
				printf("  CPU%d: %s\n", c, where);
		}
	}
	if (found == UINT64_MAX)
		fprintf(stderr,
			"%s: none of %llu deadlocks in %llu executions has its holders inside "
			"contention_end; in %llu a holder runs inside contention_begin of the lock "
			"it holds, which the queued spinlock fires before the waiter queues\n",
			spec, (unsigned long long)deadlocks, (unsigned long long)limit,
			(unsigned long long)in_begin);
	ls_session_finish(&s);
	return found;
}

/* v6.14: map_locked refuses a program nested on its own map with -EBUSY, and nothing else: two
 * CPUs holding each map's bucket across contention_end, each running the other map's program,
 * spin on each other (ABBA). */
static int test_v6_14_map_locked_refuses_only_its_own_map(void)
{
	struct sweep w;
	sweep("v6.14", CLEAN, &w);
	CHECK(w.with_ebusy > 0);
	CHECK(first_held_cycle("v6.14", "&tstamp_", false, BUG) != UINT64_MAX);
	return TEST_PASS;
}

/* lru-list-spinlock: the user's syscall holds the LRU list lock across contention_end, and the
 * program that runs there pops or pushes on the same list (AA). */
static int test_lru_list_lock_held_across_contention_end_is_taken_again(void)
{
	CHECK(first_held_cycle("lru-list-spinlock", "&tstamp_", true, BUG) != UINT64_MAX);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_every_variant_shows_its_expected_outcome, status);
	RUN(test_v6_19_two_heads_wait_for_successors_that_never_come, status);
	RUN(test_v6_19_field_shape_ticks_spin_behind_a_head, status);
	RUN(test_v6_15_heads_tear_down_and_programs_get_edeadlk, status);
	RUN(test_fixed_heads_reset_the_tail_and_leave, status);
	RUN(test_per_cpu_slot_programs_run_and_take_no_lock, status);
	RUN(test_v6_14_map_locked_refuses_only_its_own_map, status);
	RUN(test_lru_list_lock_held_across_contention_end_is_taken_again, status);
	return status;
}

/* Suite `contention`: the control for contention/locks' sweeps.  Those sweeps mean something only
 * if a critical section that nothing excludes does lose updates under the same random walk: this
 * target runs contention/locks' increment (atomic_read() then atomic_set(), two scheduling points)
 * with no lock, and the sweep's budget and seed must find the lost update. */
#include "../check.h"
#include "../harness.h"

#include <lockstep/kernel.h>
#include <lockstep/target.h>

#define NTASKS 3
#define ACQUISITIONS 2
#define EXECS 20000

static atomic_t counter;

static void task_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < ACQUISITIONS; i++) {
		int v = atomic_read(&counter);
		atomic_set(&counter, v + 1);
	}
}

static void init(int v)
{
	(void)v;
	counter = (atomic_t)ATOMIC_INIT(0);
}

static void check(int v)
{
	(void)v;
	if (counter.counter != NTASKS * ACQUISITIONS)
		ls_fail(LS_SITE("check"), "counter is %d after %d increments", counter.counter,
			NTASKS * ACQUISITIONS);
}

static const struct ls_task_decl tasks[NTASKS] = {
	{ "t0", 0, task_fn, NULL },
	{ "t1", 1, task_fn, NULL },
	{ "t2", 0, task_fn, NULL },
};

static const struct ls_variant variants[] = {
	{ "unlocked", "the increment with no lock around it", LS_KIND_INVARIANT },
};

static const struct ls_target unlocked_target = {
	.name = "contention/unlocked",
	.summary = "the control: contention/locks' increment with no lock",
	.models = "",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = NTASKS,
	.variants = variants,
	.nvariants = 1,
	.init = init,
	.check = check,
};

static int test_unlocked_counter_loses_updates(void)
{
	struct ls_session s;
	struct ls_config cfg;
	struct ls_result r;
	char err[256];
	ls_config_default(&cfg);
	CHECKF(ls_session_init(&s, &unlocked_target, 0, &cfg, err, sizeof(err)), "%s", err);
	unsigned lost = 0, other = 0;
	for (uint64_t seed = 1; seed <= EXECS; seed++) {
		enum ls_kind k = run_random(&s, seed, &r, NULL);
		if (k == LS_KIND_INVARIANT)
			lost++;
		else if (k != LS_KIND_NONE && other++ == 0)
			fprintf(stderr, "seed %llu: unexpected %s: %s\n", (unsigned long long)seed,
				ls_kind_name(k), r.signature);
	}
	ls_session_finish(&s);
	printf("%u of %d executions lost an update\n", lost, EXECS);
	CHECKF(lost > 0, "no execution of seeds 1..%d lost an update", EXECS);
	CHECKF(other == 0, "%u executions found something else", other);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_unlocked_counter_loses_updates, status);
	return status;
}

/* What the bpf scenario tests share to watch an execution at its scheduling points: an observer
 * that wraps the random walk (0.1, 0.05) without changing its decisions, and passes each point to
 * the test first, which records what it needs in its own struct seen. */
#ifndef LS_TESTS_BPF_SCENARIO_H
#define LS_TESTS_BPF_SCENARIO_H

#include <stdbool.h>
#include <string.h>

#include <lockstep/rwsem.h>

#include "../harness.h"

/* The test's look at one point, recording into its struct seen. */
typedef void (*see_fn)(void *seen, const struct ls_point *pt);

/* The random walk with the test's look at each of its points. */
struct observer {
	struct ls_strategy base;
	struct ls_random rnd;		/* makes every decision */
	see_fn see;			/* called at each point before rnd chooses */
	void *seen;			/* the test's record of the current execution */
	size_t seen_size;		/* bytes of *seen, zeroed as each execution begins */
};

/* Whether pt was announced at the site named what. */
static inline bool is(const struct ls_point *pt, const char *what)
{
	return pt->site && pt->site->what && strcmp(pt->site->what, what) == 0;
}

/* Whether context ctx holds sem for read. */
static inline bool reader_of(const struct rw_semaphore *sem, int ctx)
{
	for (int i = 0; i < sem->ls_nreaders; i++)
		if (sem->ls_readers[i] == ctx)
			return true;
	return false;
}

/* Starts an execution: clears the test's record, then seeds the walk. */
static inline void observe_begin(struct ls_strategy *s, uint64_t seed)
{
	struct observer *o = (struct observer *)s;
	memset(o->seen, 0, o->seen_size);
	o->rnd.base.begin(&o->rnd.base, seed);
}

/* Shows pt to the test, then lets the walk choose. */
static inline int observe_choose(struct ls_strategy *s, struct ls_point *pt)
{
	struct observer *o = (struct observer *)s;
	o->see(o->seen, pt);
	return o->rnd.base.choose(&o->rnd.base, pt);
}

/* Sets o up to call see with seen (seen_size bytes) at every point of every execution. */
static inline void observer_init(struct observer *o, see_fn see, void *seen, size_t seen_size)
{
	ls_random_init(&o->rnd, 0.1, 0.02, 0.05);
	o->base.name = "observer";
	o->base.begin = observe_begin;
	o->base.choose = observe_choose;
	o->see = see;
	o->seen = seen;
	o->seen_size = seen_size;
}

/* Runs seed under the observed random walk: the same decisions as run_random(). */
static inline enum ls_kind run_observed(struct ls_session *s, struct observer *o, uint64_t seed,
					struct ls_result *r)
{
	return ls_session_run(s, &o->base, seed, r);
}

#endif

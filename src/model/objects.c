/* Names for shared objects, so reports say "lock_a (held by t1)" and never print an address.
 * A fixed table, cleared before every execution: registering allocates nothing. */
#include <lockstep/kernel.h>

#include <stdio.h>

#include "../lockdep/lockdep.h"

#define MAX_OBJECTS 256

struct object {
	const char *base;
	unsigned size;
	const char *name;
	ls_blocker_fn blocker;
	ls_describe_fn describe;
};

static struct object objects[MAX_OBJECTS];
/* Slots claimed.  Contexts register lazily (a lock's first use, irq_work lists), which under
 * lockstep stress happens on several threads at once: ls_slot_claim(). */
static int nobjects;

static int objects_used(void)
{
	return ls_slots_used(&nobjects, MAX_OBJECTS);
}

static void fill(struct object *o, const void *addr, unsigned size, const char *name,
		 ls_blocker_fn blocker, ls_describe_fn describe)
{
	/* The base last: a reader matching it sees the rest. */
	LS_WR(&o->base, NULL);
	o->size = size;
	o->name = name;
	o->blocker = blocker;
	o->describe = describe;
	LS_WR(&o->base, (const char *)addr);
}

void ls_object_register(const void *addr, unsigned size, const char *name, ls_blocker_fn blocker)
{
	ls_object_register_described(addr, size, name, blocker, NULL);
}

void ls_object_register_described(const void *addr, unsigned size, const char *name,
				  ls_blocker_fn blocker, ls_describe_fn describe)
{
	for (int i = 0; i < objects_used(); i++)
		if (LS_RD(&objects[i].base) == addr) {
			fill(&objects[i], addr, size, name, blocker, describe);
			return;
		}
	int i = ls_slot_claim(&nobjects, MAX_OBJECTS);
	if (i < 0)
		return;	/* reports fall back to "an unnamed word" */
	fill(&objects[i], addr, size, name, blocker, describe);
}

void ls_objects_reset(void)
{
	nobjects = 0;
}

static const struct object *find(const void *addr)
{
	const char *a = addr;
	int n = objects_used();
	for (int i = 0; i < n; i++)
		if (a >= objects[i].base && a < objects[i].base + objects[i].size)
			return &objects[i];
	return NULL;
}

static bool describe(const void *addr, char *buf, unsigned len)
{
	const struct object *o = find(addr);
	if (!o)
		return false;
	snprintf(buf, len, "%s", o->name);
	return true;
}

static bool describe_wait(const void *addr, char *buf, unsigned len)
{
	const struct object *o = find(addr);
	return o && o->describe && o->describe(o->base, addr, o->name, buf, len);
}

static struct ls_blocker blocker(const void *addr, int waiter)
{
	const struct object *o = find(addr);
	if (o && o->blocker)
		return o->blocker(o->base, addr, waiter);
	return (struct ls_blocker){ -1, LS_WAIT_NOBODY };
}

static const struct ls_model_hooks hooks = {
	.describe = describe,
	.blocker = blocker,
	.irqs_on = ls_lockdep_irqs_on,
	.softirqs_on = ls_lockdep_softirqs_on,
	.ctx_exit = ls_lockdep_ctx_exit,
	.describe_wait = describe_wait,
};

void ls_objects_install(void)
{
	ls_set_model_hooks(&hooks);
}

/* The lock validator's entry points for the native build (`lockstep stress`): the validator is
 * not thread-safe and a stress test runs without it, so acquisitions and releases are not
 * tracked.  A map still gets its name, which reports and the model's BUG messages print. */
#include <lockstep/lockdep.h>

#include "lockdep.h"

void ls_lockdep_init_map(struct ls_lockdep_map *map, const void *lock, const char *name,
			 const void *key, enum ls_wait_type wait_type, unsigned flags)
{
	map->name = name;
	map->key = key ? key : lock;
	map->lock = lock;
	map->class_id = 0;
	map->wait_type = (uint8_t)wait_type;
	map->flags = (uint8_t)flags;
}

void ls_lock_acquire(struct ls_lockdep_map *map, int read, bool trylock,
		     const struct ls_site *site)
{
}

void ls_lock_release(struct ls_lockdep_map *map, const struct ls_site *site)
{
}

/* Unknown without tracking; answering yes keeps lockdep_is_held() checks from failing. */
bool ls_lockdep_is_held(const struct ls_lockdep_map *map)
{
	return true;
}

void ls_lockdep_assert_held(const struct ls_lockdep_map *map, const struct ls_site *site)
{
}

void ls_lockdep_irqs_on(void)
{
}

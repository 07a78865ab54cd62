/* A lock's validator map, filled in by its init function.  Its own file because both builds
 * need it: the validator (lockdep.c) and lockstep-stress, which runs without one (native.c). */
#include <lockstep/lockdep.h>

void ls_lockdep_init_map(struct ls_lockdep_map *map, const void *lock, const char *name,
			 const void *key, enum ls_wait_type wait_type, unsigned flags)
{
	map->name = name;
	map->key = key ? key : lock;
	map->subclass = 0;
	map->lock = lock;
	map->class_id = 0;
	map->wait_type = (uint8_t)wait_type;
	map->flags = (uint8_t)flags;
}

void ls_lockdep_set_class(struct ls_lockdep_map *map, const struct lock_class_key *key,
			  const char *name, unsigned subclass)
{
	map->key = key;
	map->name = name;
	map->class_id = 0;
	map->subclass = (uint8_t)(subclass < MAX_LOCKDEP_SUBCLASSES ? subclass : 0);
}

void ls_lockdep_set_subclass(struct ls_lockdep_map *map, unsigned subclass)
{
	map->class_id = 0;
	map->subclass = (uint8_t)(subclass < MAX_LOCKDEP_SUBCLASSES ? subclass : 0);
}

void ls_lockdep_reset_map(struct ls_lockdep_map *map, const void *lock)
{
	map->lock = lock;
	if (!map->key)
		map->key = lock;
	map->class_id = 0;
}

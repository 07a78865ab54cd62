/* A lock's validator map, filled in by its init function.  Its own file because both builds
 * need it: the validator (lockdep.c) and lockstep-stress, which runs without one (native.c). */
#include <lockstep/lockdep.h>

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

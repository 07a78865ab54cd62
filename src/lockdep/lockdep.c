/* Lock validator: placeholder being replaced in this change; tracks held locks only. */
#include "lockdep.h"

#include <string.h>

struct ctx_held {
	struct ls_held held[LS_MAX_LOCK_DEPTH];
	int depth;
};
static struct ctx_held ctxs[LS_MAX_CTX];

void ls_lockdep_init_map(struct ls_lockdep_map *map, const void *lock, const char *name,
			 const void *key, enum ls_wait_type wait_type, unsigned flags)
{
	map->name = name;
	map->key = key;
	map->lock = lock;
	map->class_id = 0;
	map->wait_type = (uint8_t)wait_type;
	map->flags = (uint8_t)flags;
}

void ls_lock_acquire(struct ls_lockdep_map *map, int read, bool trylock,
		     const struct ls_site *site)
{
	int id = ls_ctx_id();
	if (id < 0)
		return;
	struct ctx_held *c = &ctxs[id];
	if (c->depth < LS_MAX_LOCK_DEPTH)
		c->held[c->depth++] = (struct ls_held){ .map = map, .read = (uint8_t)read,
							.trylock = trylock, .site = site };
}

void ls_lock_release(struct ls_lockdep_map *map, const struct ls_site *site)
{
	int id = ls_ctx_id();
	if (id < 0)
		return;
	struct ctx_held *c = &ctxs[id];
	for (int i = c->depth - 1; i >= 0; i--)
		if (c->held[i].map == map) {
			memmove(&c->held[i], &c->held[i + 1], (size_t)(c->depth - i - 1) * sizeof(c->held[0]));
			c->depth--;
			return;
		}
}

bool ls_lockdep_is_held(const struct ls_lockdep_map *map)
{
	int id = ls_ctx_id();
	if (id < 0)
		return false;
	for (int i = 0; i < ctxs[id].depth; i++)
		if (ctxs[id].held[i].map == map)
			return true;
	return false;
}

void ls_lockdep_assert_held(const struct ls_lockdep_map *map, const struct ls_site *site)
{
	if (!ls_lockdep_is_held(map))
		ls_fail(site, "lockdep_assert_held(%s) fails", map->name);
}

struct ls_lockdep *ls_lockdep_current(void) { return NULL; }
void ls_lockdep_begin(struct ls_lockdep *ld) { (void)ld; memset(ctxs, 0, sizeof(ctxs)); }

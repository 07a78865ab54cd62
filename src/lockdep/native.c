/* The lock validator's entry points for the native build (`lockstep stress`): the validator is
 * not thread-safe and a stress test runs without it, so acquisitions and releases are not
 * tracked.  A map still gets its name (map.c), which reports and the model's BUG messages print. */
#include <lockstep/lockdep.h>

#include "lockdep.h"

void ls_lock_acquire(struct ls_lockdep_map *map, int read, bool trylock,
		     const struct ls_site *site)
{
}

void ls_lock_acquire_nested(struct ls_lockdep_map *map, unsigned subclass, int read, bool trylock,
			    const struct ls_site *site)
{
}

void ls_lock_contended(struct ls_lockdep_map *map, const struct ls_site *site)
{
}

void ls_lock_acquired(struct ls_lockdep_map *map, const struct ls_site *site)
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

int ls_lockdep_held_type(const struct ls_lockdep_map *map)
{
	return 0;
}

void ls_lockdep_assert(const struct ls_lockdep_map *map, enum ls_assert_held what,
		       const struct ls_site *site)
{
}

void ls_lockdep_assert_irqs(bool disabled, const struct ls_site *site)
{
}

void ls_lockdep_check_freed(const void *addr, size_t len, const struct ls_site *site)
{
}

void ls_lockdep_irqs_on(void)
{
}

void ls_lockdep_softirqs_on(void)
{
}

void ls_lockdep_ctx_exit(void)
{
}

void ls_lockdep_irq_work_enter(bool config)
{
}

void ls_lockdep_irq_work_exit(void)
{
}

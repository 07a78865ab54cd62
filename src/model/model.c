/* Resets the model library between executions; each module owns its own reset. */
#include "model.h"

#include <lockstep/kernel.h>

#include <lockstep/kbackend.h>

void ls_model_reset(void)
{
	ls_objects_reset();
	ls_objects_install();
#ifndef LS_NATIVE
	/* A kernel backend's per-CPU data back to its initial bytes; after the objects, since the
	 * spinlock's reset names the MCS nodes. */
	if (ls_kbackend) {
		ls_kbackend->reset();
		ls_kspin_reset();
	}
#endif
	ls_irq_work_reset();
	ls_mm_reset();
	ls_rqspinlock_reset();
	ls_softirqs_reset();
	ls_trace_reset();
	ls_rwlock_force_read_recursive(false);
}

/* A word nobody writes: a delay parks on it until its deadline. */
static long delay_word;

void ls_delay_ns(uint64_t ns, const struct ls_site *site)
{
	if (ls_ctx_id() < 0)
		return;	/* outside an execution time does not pass */
	uint64_t until = ls_now() + ns;
	while (ls_now() < until)
		ls_park(&delay_word, until, site);
}

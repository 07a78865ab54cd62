/* Resets the model library between executions; each module owns its own reset. */
#include "model.h"

#include <lockstep/kernel.h>

#include "../lockdep/lockdep.h"

void ls_model_reset(void)
{
	ls_objects_reset();
	ls_objects_install();
	ls_lockdep_begin(ls_lockdep_current());
}

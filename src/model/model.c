/* Resets the model library between executions; each module owns its own reset. */
#include "model.h"

#include <lockstep/kernel.h>

void ls_model_reset(void)
{
	ls_objects_reset();
	ls_objects_install();
	ls_irq_work_reset();
	ls_mm_reset();
}

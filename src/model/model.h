/* The model library's life cycle, for the executor: what must be reset before each execution. */
#ifndef LS_MODEL_H
#define LS_MODEL_H

/* Resets every module's per-execution state (object names, held locks, pending irq_work) and
 * installs the model hooks on the current machine.  Runs before the target's init. */
void ls_model_reset(void);

#endif

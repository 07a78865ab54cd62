/* The kernel backend's own runtime: per-CPU data, reset, and the one symbol lockstep looks up.
 *
 * Compiled into every backend object with the glue of each kernel file built (spinlock.c,
 * llist.c, ...).  A primitive whose glue was not linked in has a NULL table: the weak references
 * below resolve to nothing, and lockstep keeps its hand model for it.
 *
 * Per-CPU data (ls_kshim.h): the section ls_kpercpu is CPU 0's copy.  At load, before any
 * execution, the constructor keeps an image of the section's initial bytes and makes one copy
 * per other CPU, aligned as the section is; ls_kshim_percpu_offset[cpu] is that copy's distance
 * from the section.  reset() writes the image back over every copy.
 */
#include <stdlib.h>
#include <string.h>

#include <ls_kshim.h>
#include <lockstep/kbackend.h>

#define HIDDEN __attribute__((visibility("hidden")))

extern char __start_ls_kpercpu[] HIDDEN;
extern char __stop_ls_kpercpu[] HIDDEN;
extern const struct ls_kspin_ops ls_kglue_spin __attribute__((weak)) HIDDEN;
extern const struct ls_kllist_ops ls_kglue_llist __attribute__((weak)) HIDDEN;
extern const struct ls_kirq_work_ops ls_kglue_irq_work __attribute__((weak)) HIDDEN;
extern const struct ls_krqspin_ops ls_kglue_rqspin __attribute__((weak)) HIDDEN;

long ls_kshim_percpu_offset[CONFIG_NR_CPUS] HIDDEN;

/* The section exists even when no kernel file defines per-CPU data. */
static DEFINE_PER_CPU(int, percpu_anchor) __used;

static char *image;	/* the section's bytes at load */
static char *copies;	/* CPUs 1 .. NR_CPUS-1, stride bytes apart */
static size_t size, stride;

__attribute__((constructor)) static void percpu_setup(void)
{
	size = (size_t)(__stop_ls_kpercpu - __start_ls_kpercpu);
	stride = (size + SMP_CACHE_BYTES - 1) / SMP_CACHE_BYTES * SMP_CACHE_BYTES;
	image = malloc(size);
	copies = aligned_alloc(SMP_CACHE_BYTES, stride * (CONFIG_NR_CPUS - 1));
	if (!image || !copies)
		abort();
	memcpy(image, __start_ls_kpercpu, size);
	for (int cpu = 1; cpu < CONFIG_NR_CPUS; cpu++) {
		char *copy = copies + stride * (size_t)(cpu - 1);
		memcpy(copy, image, size);
		ls_kshim_percpu_offset[cpu] = copy - __start_ls_kpercpu;
	}
}

/* x86's arch_irq_work_raise(): the irq_work self-interrupt, over kernel/irq_work.c's weak
 * default, which raises nothing. */
void arch_irq_work_raise(void);
void arch_irq_work_raise(void)
{
	ls_irq_raise(ls_cpu());
}

static void reset(void)
{
	memcpy(__start_ls_kpercpu, image, size);
	for (int cpu = 1; cpu < CONFIG_NR_CPUS; cpu++)
		memcpy(copies + stride * (size_t)(cpu - 1), image, size);
}

__attribute__((visibility("default"))) const struct ls_kbackend lockstep_kbackend = {
	.abi = LS_KBACKEND_ABI,
	.spin = &ls_kglue_spin,
	.llist = &ls_kglue_llist,
	.irq_work = &ls_kglue_irq_work,
	.rqspin = &ls_kglue_rqspin,
	.reset = reset,
};

/* The deferred mmap_read_unlock() of kernel/bpf/mmap_unlock_work.h; the header explains both
 * versions and the race the Aug 2026 fix closes. */
#include <lockstep/kernel.h>
#include <lockstep/mmap_unlock_work.h>

DEFINE_PER_CPU(struct mmap_unlock_irq_work, mmap_unlock_work);

static bool fixed;

static void do_mmap_read_unlock(struct irq_work *entry)
{
	struct mmap_unlock_irq_work *work = container_of(entry, struct mmap_unlock_irq_work,
							  irq_work);
	mmap_read_unlock_non_owner(READ_ONCE(work->mm));
	if (fixed) {
		WRITE_ONCE(work->mm, NULL);
		bpf_mmap_unlock_guard_put(work);
	}
}

void ls_mmap_unlock_work_init(bool fixed_version)
{
	fixed = fixed_version;
	for (int cpu = 0; cpu < LS_NR_CPUS; cpu++) {
		struct mmap_unlock_irq_work *work = per_cpu_ptr(&mmap_unlock_work, cpu);
		ls_init_irq_work(&work->irq_work, do_mmap_read_unlock, "mmap_unlock_work");
		work->mm = NULL;
		work->active = (atomic_t)ATOMIC_INIT(0);
	}
}

bool bpf_mmap_unlock_get_irq_work(struct mmap_unlock_irq_work **work_ptr)
{
	struct mmap_unlock_irq_work *work = NULL;
	bool irq_work_busy = false;

	if (irqs_disabled()) {
		work = this_cpu_ptr(&mmap_unlock_work);
		if (irq_work_is_busy(&work->irq_work))
			irq_work_busy = true;	/* cannot queue another up_read: IPs only */
	}
	*work_ptr = work;
	return irq_work_busy;
}

struct mmap_unlock_irq_work *bpf_mmap_unlock_guard_get(void)
{
	struct mmap_unlock_irq_work *work;

	if (!irqs_disabled())
		return NULL;
	work = this_cpu_ptr(&mmap_unlock_work);
	if (irq_work_is_busy(&work->irq_work) || atomic_cmpxchg_acquire(&work->active, 0, 1))
		return ERR_PTR(-EBUSY);
	return work;
}

void bpf_mmap_unlock_guard_put(struct mmap_unlock_irq_work *work)
{
	if (work)
		atomic_set_release(&work->active, 0);
}

void bpf_mmap_unlock_mm(struct mmap_unlock_irq_work *work, struct mm_struct *mm)
{
	if (!work) {
		mmap_read_unlock(mm);
		return;
	}
	WRITE_ONCE(work->mm, mm);
	/* Lockdep sees the release now; the irq_work really releases it later. */
	rwsem_release(&mm->mmap_lock.dep_map, 0);
	irq_work_queue(&work->irq_work);
}

void ls_mmap_unlock_work_check(void)
{
	for (int cpu = 0; cpu < ls_ncpus(); cpu++) {
		struct mmap_unlock_irq_work *work = per_cpu_ptr(&mmap_unlock_work, cpu);
		if (work->irq_work.node.a_flags.counter & IRQ_WORK_CLAIMED)
			ls_fail(LS_SITE("ls_mmap_unlock_work_check"),
				"mmap_unlock_work@cpu%d still queued", cpu);
		if (work->active.counter)
			ls_fail(LS_SITE("ls_mmap_unlock_work_check"),
				"mmap_unlock_work@cpu%d active slot not given back", cpu);
	}
}

/* bpf/task-vma: the open-coded task_vma iterator with a sleepable loop body that faults
 * (kernel-spec §3.6, with the rwsem fairness of §3.5).
 *
 * Models (kernel/bpf/task_iter.c): bpf_iter_task_vma_new(), bpf_iter_task_vma_next() and
 * bpf_iter_task_vma_destroy() in three designs, with bpf_mmap_unlock_get_irq_work(),
 * bpf_mmap_unlock_mm() and do_mmap_read_unlock() (kernel/bpf/mmap_unlock_work.h):
 *   v6.7            _new takes mmap_read_trylock() (interrupts on: no irq_work, the unlock in
 *                   _destroy is synchronous), _next is vma_next(), _destroy unlocks: mmap_lock
 *                   is held across the whole loop, body included.
 *   KF_FORBID_FAULT the direction of Puranjay Mohan's series (Feb 2026, not merged): the lock is
 *                   taken in _next, and bpf_iter_task_vma_release() drops it mid-loop, after the
 *                   program copied what it needs from the VMA and before it faults; the next
 *                   _next trylocks again and a failed trylock ends the walk (-EBUSY).  The
 *                   series' code was not available: this follows its cover letter (patches 6
 *                   and 7 and the selftest loop it quotes).
 *   per-VMA locks   bee9ef4a40a2 ("bpf: switch task_vma iterator from mmap_lock to per-VMA
 *                   locks") with the later snapshot: bpf_iter_task_vma_find_next() finds the next
 *                   vm_start by an RCU walk, lock_vma_under_rcu() read-locks that VMA (on failure
 *                   it advances past the RCU-read vm_end, or a page when that does not move),
 *                   _next copies the VMA into the iterator, pins vm_file, and vma_end_read()s
 *                   before returning the copy; _destroy drops the pinned file.  Note: as merged,
 *                   bee9ef4a40a2 kept the VMA read-locked across the loop body (locked_vma,
 *                   released at the next _next); the copy-and-unlock came in a follow-up.  This
 *                   variant models the copy-and-unlock form.
 *
 * One process.  Its VMAs: a two-page anonymous heap, a one-page anonymous region that another
 * thread mprotect()s, and libfoo.so's text page (file-backed); no page is mapped yet, so every
 * first user access faults.
 *
 *   iter (CPU0)      a sleepable program walks current's VMAs from address 0 with
 *                    bpf_for_each(task_vma, ...) and, for each, bpf_copy_from_user() of 8 bytes
 *                    at its vm_start (in the KF_FORBID_FAULT design after reading vm_start and
 *                    calling bpf_iter_task_vma_release()).
 *   mprotect (CPU1)  mmap_write_lock(mm); with per-VMA locks, vma_start_write() on the middle
 *                    region; mmap_write_unlock(mm).
 *
 * Configuration: mmap-lock-held and release-before-fault model a kernel without
 * CONFIG_PER_VMA_LOCK, so every fault takes mmap_lock for read.  With per-VMA locks the v6.7
 * body's fault would get the VMA lock instead (the queued writer cannot write-lock a VMA before
 * it holds mmap_lock), and the deadlock would need a VMA lock that fails (a first fault on an
 * anonymous VMA without an anon_vma, which the fault model does not carry).  per-vma-lock models
 * CONFIG_PER_VMA_LOCK=y, which the design requires (_new returns -EOPNOTSUPP without it).
 *
 * Expected:
 *   mmap-lock-held       deadlock: iter holds mmap_lock for read, mprotect queues for write,
 *                        the body's fault does mmap_read_lock() and queues behind mprotect.  In
 *                        executions that do not hang, the validator reports the recursive read
 *                        (AA on mmap_lock: might_fault() under the trylocked hold).
 *   release-before-fault never: the body faults with no lock held.
 *   per-vma-lock         never: the body faults on a copy with no lock held.
 *
 * Check (after an execution that did not hang): mmap_lock free, no VMA read-locked, libfoo.so's
 * reference count back to one, and the walk visited real VMAs in increasing order, each copy
 * holding the bytes at its vm_start.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): mmap-lock-held 1, its one root cause.
 */
#include <string.h>

#include <lockstep/kernel.h>
#include <lockstep/target.h>

enum { MMAP_LOCK_HELD, RELEASE_BEFORE_FAULT, PER_VMA_LOCK };

static int variant;

/* ---- the process ------------------------------------------------------------------------- */

#define HEAP_START 0x10000UL
#define HEAP_END 0x12000UL
#define PROT_START 0x20000UL		/* the region mprotect() changes */
#define PROT_END 0x21000UL
#define LIB_START 0x400000UL
#define LIB_END 0x401000UL
#define NR_VMAS 3

static struct mm_struct mm;
static struct inode lib_inode;
static struct file lib_file;
static unsigned char lib_data[PAGE_SIZE];
static unsigned char heap_mem[HEAP_END - HEAP_START];
static unsigned char prot_mem[PROT_END - PROT_START];
static unsigned char lib_text[LIB_END - LIB_START];

/* CONFIG_PER_VMA_LOCK, per variant (see above). */
static bool per_vma_lock(void)
{
	return mm.ls_per_vma_lock;
}

/* kernel/bpf/mmap_unlock_work.h before the Aug 2026 fix is the model library's
 * (<lockstep/mmap_unlock_work.h>).  The program runs with interrupts on, so it never gets a work
 * and every unlock is synchronous. */

/* ---- kernel/bpf/task_iter.c -------------------------------------------------------------- */

/* The maple-tree cursor: the next VMA ending above addr. */
struct vma_iterator {
	struct mm_struct *mm;
	unsigned long addr;
};

static void vma_iter_init(struct vma_iterator *vmi, struct mm_struct *m, unsigned long addr)
{
	vmi->mm = m;
	vmi->addr = addr;
}

/* Under mmap_lock (find_vma() asserts it). */
static struct vm_area_struct *vma_next(struct vma_iterator *vmi)
{
	struct vm_area_struct *vma = find_vma(vmi->mm, vmi->addr);
	if (vma)
		vmi->addr = vma->vm_end;
	return vma;
}

struct bpf_iter_task_vma_kern_data {
	struct task_struct *task;
	struct mm_struct *mm;
	struct mmap_unlock_irq_work *work;
	struct vma_iterator vmi;		/* v6.7, KF_FORBID_FAULT */
	bool locked;				/* KF_FORBID_FAULT: mmap_lock held right now */
	struct vm_area_struct snapshot;		/* per-VMA locks: the copy handed out */
	unsigned long next_addr;		/* KF_FORBID_FAULT, per-VMA locks */
};

struct bpf_iter_task_vma {
	struct bpf_iter_task_vma_kern_data *data;
};

/* bpf_mem_alloc(&bpf_global_ma, ...): one iterator is live at a time.  get_task_struct(),
 * put_task_struct(), mmget() and mmput_async() only keep objects alive that outlive the
 * execution here, and are left out. */
static struct bpf_iter_task_vma_kern_data kern_data;

static struct bpf_iter_task_vma_kern_data *bpf_mem_alloc(void)
{
	memset(&kern_data, 0, sizeof(kern_data));
	return &kern_data;
}

static void bpf_mem_free(struct bpf_iter_task_vma_kern_data *data)
{
	(void)data;
}

static int bpf_iter_task_vma_new(struct bpf_iter_task_vma *kit, struct task_struct *task,
				 unsigned long addr)
{
	int err;

	if (variant == PER_VMA_LOCK) {
		if (!per_vma_lock()) {
			kit->data = NULL;
			return -EOPNOTSUPP;
		}
		/* _next and _destroy may take spinlocks that an interrupts-off caller holds. */
		if (irqs_disabled()) {
			kit->data = NULL;
			return -EBUSY;
		}
	}
	kit->data = bpf_mem_alloc();
	kit->data->task = task;
	kit->data->mm = task->mm;
	if (!kit->data->mm) {
		err = -ENOENT;
		goto err_cleanup_iter;
	}
	switch (variant) {
	case MMAP_LOCK_HELD:
		/* work == NULL (interrupts on) is valid: the unlock is then synchronous. */
		if (bpf_mmap_unlock_get_irq_work(&kit->data->work) ||
		    !mmap_read_trylock(kit->data->mm)) {
			err = -EBUSY;
			goto err_cleanup_iter;
		}
		vma_iter_init(&kit->data->vmi, kit->data->mm, addr);
		return 0;
	case RELEASE_BEFORE_FAULT:
		/* The lock is taken by _next. */
		kit->data->locked = false;
		kit->data->next_addr = addr;
		return 0;
	default:
		kit->data->snapshot.vm_file = NULL;
		kit->data->next_addr = addr;
		return 0;
	}

err_cleanup_iter:
	bpf_mem_free(kit->data);
	kit->data = NULL;	/* _next and _destroy see a failed _new */
	return err;
}

/* Per-VMA locks: the next VMA at or after data->next_addr, read-locked. */
static struct vm_area_struct *
bpf_iter_task_vma_find_next(struct bpf_iter_task_vma_kern_data *data)
{
	struct vm_area_struct *vma;
	unsigned long start, end;

retry:
	/* rcu_read_lock(); vma_iter_init(); vma_next(): the maple tree under RCU. */
	vma = find_vma_rcu(data->mm, data->next_addr);
	if (!vma)
		return NULL;
	start = vma->vm_start;
	end = vma->vm_end;

	vma = lock_vma_under_rcu(data->mm, start);
	if (!vma) {
		/* Removed, shrunk or write-locked since the walk: step past what the walk saw,
		 * or a page when that would not move (vm_end may be stale). */
		if (end <= data->next_addr)
			data->next_addr += PAGE_SIZE;
		else
			data->next_addr = end;
		goto retry;
	}
	if (vma->vm_end <= data->next_addr) {
		data->next_addr += PAGE_SIZE;
		vma_end_read(vma);
		goto retry;
	}
	return vma;
}

static void bpf_iter_task_vma_snapshot_reset(struct vm_area_struct *snap)
{
	if (snap->vm_file) {
		fput(snap->vm_file);
		snap->vm_file = NULL;
	}
}

static struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *kit)
{
	struct bpf_iter_task_vma_kern_data *data = kit->data;
	struct vm_area_struct *vma;

	if (!data)	/* _new failed */
		return NULL;
	switch (variant) {
	case MMAP_LOCK_HELD:
		return vma_next(&data->vmi);
	case RELEASE_BEFORE_FAULT:
		if (!data->locked) {
			if (bpf_mmap_unlock_get_irq_work(&data->work) ||
			    !mmap_read_trylock(data->mm))
				return NULL;	/* -EBUSY: the walk ends here */
			data->locked = true;
			/* The tree may have changed while unlocked: start again from next_addr. */
			vma_iter_init(&data->vmi, data->mm, data->next_addr);
		}
		vma = vma_next(&data->vmi);
		if (vma)
			data->next_addr = vma->vm_end;
		return vma;
	default: {
		struct vm_area_struct *snap = &data->snapshot;

		bpf_iter_task_vma_snapshot_reset(snap);
		vma = bpf_iter_task_vma_find_next(data);
		if (!vma)
			return NULL;
		memcpy(snap, vma, sizeof(*snap));
		/* The verifier trusts vm_mm and vm_file of the copy: pin the file. */
		if (snap->vm_file)
			get_file(snap->vm_file);
		data->next_addr = vma->vm_end;
		vma_end_read(vma);
		return snap;
	}
	}
}

/* KF_FORBID_FAULT: the program is done with the VMA pointer and may fault after this. */
static void bpf_iter_task_vma_release(struct bpf_iter_task_vma *kit)
{
	struct bpf_iter_task_vma_kern_data *data = kit->data;

	if (data && data->locked) {
		bpf_mmap_unlock_mm(data->work, data->mm);
		data->locked = false;
	}
}

static void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *kit)
{
	struct bpf_iter_task_vma_kern_data *data = kit->data;

	if (!data)
		return;
	switch (variant) {
	case MMAP_LOCK_HELD:
		bpf_mmap_unlock_mm(data->work, data->mm);
		break;
	case RELEASE_BEFORE_FAULT:
		if (data->locked)
			bpf_mmap_unlock_mm(data->work, data->mm);
		break;
	default:
		bpf_iter_task_vma_snapshot_reset(&data->snapshot);
		break;
	}
	bpf_mem_free(data);
}

/* ---- kernel/bpf/helpers.c: bpf_copy_from_user() ------------------------------------------ */

static long bpf_copy_from_user(void *dst, uint32_t size, const void __user *user_ptr)
{
	if (copy_from_user(dst, user_ptr, size)) {
		memset(dst, 0, size);
		return -EFAULT;
	}
	return 0;
}

/* ---- the contexts ------------------------------------------------------------------------ */

#define COPY_LEN 8
#define MAX_VISITS 8

struct visit {
	unsigned long start;
	long ret;
	unsigned char bytes[COPY_LEN];
};

static struct visit visits[MAX_VISITS];
static int nvisits;
static int new_err;

static void iter_prog(void *arg)
{
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;

	(void)arg;
	/* bpf_for_each(task_vma, vma, bpf_get_current_task_btf(), 0) */
	new_err = bpf_iter_task_vma_new(&it, current, 0);
	while ((vma = bpf_iter_task_vma_next(&it))) {
		struct visit *v = &visits[nvisits < MAX_VISITS ? nvisits++ : MAX_VISITS - 1];
		v->start = vma->vm_start;
		if (variant == RELEASE_BEFORE_FAULT)
			bpf_iter_task_vma_release(&it);
		v->ret = bpf_copy_from_user(v->bytes, COPY_LEN, (const void __user *)v->start);
	}
	bpf_iter_task_vma_destroy(&it);
}

static void mprotect_fn(void *arg)
{
	(void)arg;
	mmap_write_lock(&mm);
	struct vm_area_struct *vma = vma_lookup(&mm, PROT_START);
	/* A no-op stub without CONFIG_PER_VMA_LOCK. */
	if (vma && per_vma_lock())
		vma_start_write(vma);
	mmap_write_unlock(&mm);
}

/* ---- init and check ---------------------------------------------------------------------- */

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static void init(int v)
{
	variant = v;
	fill(heap_mem, sizeof(heap_mem), 1);
	fill(prot_mem, sizeof(prot_mem), 2);
	fill(lib_text, sizeof(lib_text), 3);
	fill(lib_data, sizeof(lib_data), 3);

	ls_mm_init(&mm);
	mm.ls_per_vma_lock = v == PER_VMA_LOCK;
	ls_inode_init(&lib_inode, lib_data, sizeof(lib_data), sizeof(lib_data));
	ls_inode_set_cached(&lib_inode, 0, sizeof(lib_data), true);
	ls_file_init(&lib_file, &lib_inode);
	ls_mm_add_vma(&mm, HEAP_START, HEAP_END, heap_mem, NULL, 0);
	ls_mm_add_vma(&mm, PROT_START, PROT_END, prot_mem, NULL, 0);
	ls_mm_add_vma(&mm, LIB_START, LIB_END, lib_text, &lib_file, 0);
	ls_set_task_mm(0, &mm);
	ls_set_task_mm(1, &mm);

	ls_mmap_unlock_work_init(false);
	memset(&kern_data, 0, sizeof(kern_data));
	memset(visits, 0, sizeof(visits));
	nvisits = 0;
	new_err = 1;
}

static void check(int v)
{
	(void)v;
	if (mm.mmap_lock.count.counter)
		ls_fail(NULL, "mmap_lock still held: count %#lx", mm.mmap_lock.count.counter);
	for (int i = 0; i < mm.ls_nr_vmas; i++)
		if (mm.ls_vmas[i].vm_refcnt.counter)
			ls_fail(NULL, "VMA at %#lx still read-locked", mm.ls_vmas[i].vm_start);
	if (lib_file.f_count.counter != 1)
		ls_fail(NULL, "libfoo.so f_count %ld", lib_file.f_count.counter);
	if (new_err && nvisits)
		ls_fail(NULL, "the walk went on after _new failed with %d", new_err);
	if (nvisits > NR_VMAS)
		ls_fail(NULL, "the walk visited %d VMAs, the mm has %d", nvisits, NR_VMAS);
	unsigned long prev = 0;
	for (int i = 0; i < nvisits; i++) {
		const struct visit *w = &visits[i];
		const struct vm_area_struct *vma = NULL;
		for (int j = 0; j < mm.ls_nr_vmas; j++)
			if (mm.ls_vmas[j].vm_start == w->start)
				vma = &mm.ls_vmas[j];
		if (!vma || (i && w->start <= prev)) {
			ls_fail(NULL, "visit %d at %#lx: not the next VMA", i, w->start);
			return;
		}
		prev = w->start;
		if (w->ret == 0 && memcmp(w->bytes, vma->ls_backing, COPY_LEN) != 0)
			ls_fail(NULL, "visit %d at %#lx: copied the wrong bytes", i, w->start);
	}
}

static const struct ls_task_decl tasks[] = {
	{ "iter", 0, iter_prog, NULL },
	{ "mprotect", 1, mprotect_fn, NULL },
};

static const struct ls_variant variants[] = {
	{ "mmap-lock-held", "v6.7: the body faults under the iterator's mmap_lock",
	  LS_KIND_DEADLOCK },
	{ "release-before-fault", "KF_FORBID_FAULT direction: drop mmap_lock before the body",
	  LS_KIND_NONE },
	{ "per-vma-lock", "per-VMA lock, copy, unlock before the body (bee9ef4a40a2 + snapshot)",
	  LS_KIND_NONE },
};

const struct ls_target ls_target_bpf_task_vma = {
	.name = "bpf/task-vma",
	.summary = "a sleepable task_vma loop body faults while the iterator may hold mmap_lock",
	.models = "task_iter.c: bpf_iter_task_vma_new/next/destroy (v6.7, KF_FORBID_FAULT, "
		  "per-VMA locks)",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.variants = variants,
	.nvariants = 3,
	.init = init,
	.check = check,
};

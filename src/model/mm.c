/* Tasks, mm_structs, VMAs, files, and the page-fault path that user accesses run.
 *
 * A user access walks current->mm's VMA table the way the MMU walks page tables: no lock, no
 * scheduling point.  Each page it touches is one point (a load or store on the page's host
 * bytes); a page whose resident bit is clear faults, and the fault runs in the accessing
 * context like the kernel's do_user_addr_fault():
 *
 *     faulthandler_disabled() or no mm      -> -EFAULT (the exception fixup);
 *     mm->ls_per_vma_lock and the VMA can   -> lock_vma_under_rcu(), map, vma_end_read();
 *       be read-locked
 *     otherwise                             -> mmap_read_lock(), find_vma(), map (set the
 *                                              resident bit: one store), mmap_read_unlock();
 *                                              no VMA there -> -EFAULT.
 *
 * after which the access retries the page.  mmap_read_lock() in a fault is a plain down_read(),
 * so a context that already holds mmap_lock for read queues behind a waiting writer and the
 * execution deadlocks, as in the kernel.  Faults never do I/O here: a file-backed page is mapped
 * at once (filemap_fault's page cache and invalidate_lock are not modelled).
 *
 * The per-VMA lock is the 6.4-era scheme: a VMA is write-locked while vm_lock_seq equals the mm's
 * mm_lock_seq; vma_start_write() sets it under mmap_write_lock and waits for the VMA's readers,
 * mmap_write_unlock() advances mm_lock_seq, which unlocks every VMA at once.
 *
 * Files keep their bytes in host memory and a page-cache bitmap.  Reads take i_rwsem shared,
 * writes exclusive; a missing page is filled with one store (the "I/O").
 *
 * Nothing here allocates: tasks live in a static table reset before every execution.
 */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* One class for every mm's mmap_lock and one for every inode's i_rwsem, as mm_init() and
 * inode_init_always() each initialise theirs at one place. */
static const char mmap_lock_key, i_rwsem_key;

static struct task_struct tasks[LS_MAX_TASKS];
static struct task_struct idle_tasks[LS_MAX_CPUS];
/* current outside an execution (target init) */
static struct task_struct boot_task = { .comm = "swapper/0", .ls_ctx = -1 };

/* ---- tasks ------------------------------------------------------------------------------- */

static void task_reset(struct task_struct *t, const char *comm, int pid, int ctx)
{
	size_t i = 0;
	for (; comm[i] && i < sizeof(t->comm) - 1; i++)
		t->comm[i] = comm[i];
	t->comm[i] = 0;
	t->pid = pid;
	t->mm = NULL;
	t->pagefault_disabled = 0;
	t->ls_ctx = ctx;
}

/* Runs before every execution, so it only touches what an execution can change: a task's comm
 * is copied again only when the machine names it differently. */
void ls_mm_reset(void)
{
	static const char *named[LS_MAX_TASKS];
	int ntasks = ls_ntasks(), ncpus = ls_ncpus();
	for (int i = 0; i < ntasks && i < LS_MAX_TASKS; i++) {
		const char *name = ls_ctx_name(i);
		if (named[i] != name) {
			task_reset(&tasks[i], name, i + 1, i);
			named[i] = name;
		}
		tasks[i].mm = NULL;
		tasks[i].pagefault_disabled = 0;
	}
	for (int i = 0; i < ncpus && i < LS_MAX_CPUS; i++) {
		if (!idle_tasks[i].comm[0]) {
			char comm[16];
			snprintf(comm, sizeof(comm), "swapper/%d", i);
			task_reset(&idle_tasks[i], comm, 0, -1);
		}
		idle_tasks[i].mm = NULL;
		idle_tasks[i].pagefault_disabled = 0;
	}
	boot_task.mm = NULL;
	boot_task.pagefault_disabled = 0;
	ls_locks_reset();
}

struct task_struct *ls_current(void)
{
	if (ls_ctx_id() < 0)
		return &boot_task;
	int task = ls_ctx_task();
	return task >= 0 ? &tasks[task] : &idle_tasks[ls_cpu()];
}

struct task_struct *ls_task(int i)
{
	return i >= 0 && i < LS_MAX_TASKS ? &tasks[i] : NULL;
}

void ls_set_task_mm(int task, struct mm_struct *mm)
{
	struct task_struct *t = ls_task(task);
	if (t)
		t->mm = mm;
}

/* ---- setting up -------------------------------------------------------------------------- */

/* A target that describes an impossible address space is broken, not buggy: stop loudly. */
static _Noreturn void setup_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void setup_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lockstep: ls_mm_add_vma: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

void ls_mm_init(struct mm_struct *mm)
{
	memset(mm, 0, sizeof(*mm));
	ls_init_rwsem(&mm->mmap_lock, "&mm->mmap_lock", &mmap_lock_key);
}

struct vm_area_struct *ls_mm_add_vma(struct mm_struct *mm, unsigned long start,
				     unsigned long end, void *backing, struct file *file,
				     unsigned long pgoff)
{
	if ((start | end) & ~PAGE_MASK || end <= start ||
	    (end - start) / PAGE_SIZE > LS_VMA_MAX_PAGES || mm->ls_nr_vmas == LS_MM_MAX_VMAS)
		setup_error("bad VMA [%#lx, %#lx) or too many VMAs", start, end);
	int i = mm->ls_nr_vmas;
	while (i > 0 && mm->ls_vmas[i - 1].vm_start > start)
		i--;
	if ((i > 0 && mm->ls_vmas[i - 1].vm_end > start) ||
	    (i < mm->ls_nr_vmas && mm->ls_vmas[i].vm_start < end))
		setup_error("VMA [%#lx, %#lx) overlaps another", start, end);
	memmove(&mm->ls_vmas[i + 1], &mm->ls_vmas[i],
		(size_t)(mm->ls_nr_vmas - i) * sizeof(mm->ls_vmas[0]));
	mm->ls_nr_vmas++;
	struct vm_area_struct *vma = &mm->ls_vmas[i];
	memset(vma, 0, sizeof(*vma));
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_pgoff = pgoff;
	vma->vm_file = file;
	vma->vm_mm = mm;
	vma->ls_backing = backing;
	vma->vm_lock_seq = -1;
	return vma;
}

static uint64_t page_bits(unsigned long first, unsigned long last)
{
	uint64_t bits = 0;
	for (unsigned long p = first; p <= last && p < 64; p++)
		bits |= 1ull << p;
	return bits;
}

void ls_vma_set_resident(struct vm_area_struct *vma, unsigned long addr, unsigned long len,
			 bool resident)
{
	if (!len || addr < vma->vm_start || addr >= vma->vm_end)
		return;
	unsigned long last = addr + len - 1 < vma->vm_end ? addr + len - 1 : vma->vm_end - 1;
	uint64_t bits = page_bits((addr - vma->vm_start) / PAGE_SIZE,
				  (last - vma->vm_start) / PAGE_SIZE);
	if (resident)
		vma->ls_resident |= bits;
	else
		vma->ls_resident &= ~bits;
}

void ls_inode_init(struct inode *inode, void *data, size_t size, size_t capacity)
{
	memset(inode, 0, sizeof(*inode));
	ls_init_rwsem(&inode->i_rwsem, "&sb->s_type->i_mutex_key", &i_rwsem_key);
	inode->ls_data = data;
	inode->i_size = (loff_t)size;
	inode->ls_capacity = capacity < LS_FILE_MAX_PAGES * PAGE_SIZE ? capacity
								   : LS_FILE_MAX_PAGES * PAGE_SIZE;
}

void ls_inode_set_cached(struct inode *inode, loff_t pos, size_t len, bool cached)
{
	if (!len || pos < 0)
		return;
	uint64_t bits = page_bits((unsigned long)pos / PAGE_SIZE,
				  ((unsigned long)pos + len - 1) / PAGE_SIZE);
	if (cached)
		inode->ls_cached |= bits;
	else
		inode->ls_cached &= ~bits;
}

void ls_file_init(struct file *file, struct inode *inode)
{
	file->f_inode = inode;
	file->f_count.counter = 1;
	file->f_pos = 0;
}

/* ---- mmap_lock and VMAs ------------------------------------------------------------------ */

void ls_mmap_assert_locked(struct mm_struct *mm, const struct ls_site *site)
{
	ls_lockdep_assert(&mm->mmap_lock.dep_map, LS_ASSERT_HELD, site);
	if (!mm->mmap_lock.count.counter)
		ls_fail(site, "VM_BUG_ON_MM(!rwsem_is_locked(&mm->mmap_lock))");
}

void ls_mmap_assert_write_locked(struct mm_struct *mm, const struct ls_site *site)
{
	ls_lockdep_assert(&mm->mmap_lock.dep_map, LS_ASSERT_HELD, site);
	if (!(mm->mmap_lock.count.counter & RWSEM_WRITER_LOCKED))
		ls_fail(site, "VM_BUG_ON_MM(!rwsem_is_locked(&mm->mmap_lock)): not write-locked");
}

void ls_mmap_write_unlock(struct mm_struct *mm, const struct ls_site *site)
{
	/* vma_end_write_all(): every VMA write-locked under this hold is unlocked at once. */
	ls_point(LS_OP_STORE, &mm->mm_lock_seq, site);
	LS_WR(&mm->mm_lock_seq, LS_RD(&mm->mm_lock_seq) + 1);	/* under mmap_lock */
	ls_wrote(&mm->mm_lock_seq);
	ls_up_write(&mm->mmap_lock, site);
}

struct vm_area_struct *ls_find_vma_rcu(struct mm_struct *mm, unsigned long addr)
{
	for (int i = 0; i < mm->ls_nr_vmas; i++)
		if (mm->ls_vmas[i].vm_end > addr)
			return &mm->ls_vmas[i];
	return NULL;
}

struct vm_area_struct *ls_find_vma(struct mm_struct *mm, unsigned long addr,
				   const struct ls_site *site)
{
	ls_mmap_assert_locked(mm, site);
	return ls_find_vma_rcu(mm, addr);
}

struct vm_area_struct *ls_vma_lookup(struct mm_struct *mm, unsigned long addr,
				     const struct ls_site *site)
{
	struct vm_area_struct *vma = ls_find_vma(mm, addr, site);
	return vma && vma->vm_start <= addr ? vma : NULL;
}

static bool vma_write_locked(const struct vm_area_struct *vma)
{
	return vma->vm_lock_seq == vma->vm_mm->mm_lock_seq;
}

struct vm_area_struct *ls_lock_vma_under_rcu(struct mm_struct *mm, unsigned long addr,
					     const struct ls_site *site)
{
	struct vm_area_struct *vma = ls_find_vma_rcu(mm, addr);
	if (!vma || vma->vm_start > addr)
		return NULL;
	/* vma_start_read(): a trylock against a writer that marked the VMA. */
	ls_point(LS_OP_LOAD, &vma->vm_lock_seq, site);
	if (vma_write_locked(vma))
		return NULL;
	ls_atomic_fetch_op(&vma->vm_refcnt, LS_ATOMIC_ADD, 1, site);
	ls_point(LS_OP_LOAD, &vma->vm_lock_seq, site);
	if (vma_write_locked(vma)) {
		ls_atomic_fetch_op(&vma->vm_refcnt, LS_ATOMIC_ADD, -1, site);
		return NULL;
	}
	return vma;
}

void ls_vma_end_read(struct vm_area_struct *vma, const struct ls_site *site)
{
	ls_atomic_fetch_op(&vma->vm_refcnt, LS_ATOMIC_ADD, -1, site);
}

void ls_vma_start_write(struct vm_area_struct *vma, const struct ls_site *site)
{
	ls_mmap_assert_write_locked(vma->vm_mm, site);
	if (vma_write_locked(vma))
		return;
	ls_point(LS_OP_STORE, &vma->vm_lock_seq, site);
	LS_WR(&vma->vm_lock_seq, LS_RD(&vma->vm_mm->mm_lock_seq));
	ls_wrote(&vma->vm_lock_seq);
	/* Readers that got in before the mark finish first. */
	for (;;) {
		ls_point(LS_OP_LOAD, &vma->vm_refcnt, site);
		if (!LS_RD(&vma->vm_refcnt.counter))
			break;
		ls_park(&vma->vm_refcnt, LS_NO_DEADLINE, site);
	}
}

void ls_zap_vma_pages(struct vm_area_struct *vma, const struct ls_site *site)
{
	ls_point(LS_OP_STORE, &vma->ls_resident, site);
	vma->ls_resident = 0;
	ls_wrote(&vma->ls_resident);
}

/* ---- page faults ------------------------------------------------------------------------- */

void ls_pagefault_disable(void)
{
	current->pagefault_disabled++;
}

void ls_pagefault_enable(void)
{
	struct task_struct *t = current;
	if (t->pagefault_disabled <= 0) {
		ls_fail(NULL, "pagefault_enable() without pagefault_disable() in %s", t->comm);
		return;
	}
	t->pagefault_disabled--;
}

bool ls_pagefault_disabled(void)
{
	return current->pagefault_disabled != 0;
}

/* pagefault_disabled() || in_atomic(); a hardirq or NMI counts as atomic. */
bool ls_faulthandler_disabled(void)
{
	return ls_pagefault_disabled() || ls_preempt_count() != 0 ||
	       ls_ctx_kind() != LS_CTX_TASK;
}

void ls_might_fault(const struct ls_site *site)
{
	if (ls_pagefault_disabled())
		return;
	ls_might_sleep(site);
	struct mm_struct *mm = current->mm;
	if (mm)
		ls_rwsem_might_lock_read(&mm->mmap_lock, site);
}

static bool page_resident(const struct vm_area_struct *vma, unsigned long addr)
{
	return vma->ls_resident >> ((addr - vma->vm_start) / PAGE_SIZE) & 1;
}

static void map_page(struct vm_area_struct *vma, unsigned long addr, const struct ls_site *site)
{
	ls_point(LS_OP_STORE, &vma->ls_resident, site);
	LS_FETCH_OR(&vma->ls_resident, 1ull << ((addr - vma->vm_start) / PAGE_SIZE));
	ls_wrote(&vma->ls_resident);
}

/* do_user_addr_fault() for a kernel-mode access to user memory: 0 when the page is mapped now. */
static int handle_fault(unsigned long addr, const struct ls_site *site)
{
	struct mm_struct *mm = current->mm;
	if (ls_faulthandler_disabled() || !mm)
		return -EFAULT;
	if (mm->ls_per_vma_lock) {
		struct vm_area_struct *vma = ls_lock_vma_under_rcu(mm, addr, site);
		if (vma) {
			map_page(vma, addr, site);
			ls_vma_end_read(vma, site);
			return 0;
		}
	}
	ls_down_read(&mm->mmap_lock, site);
	struct vm_area_struct *vma = ls_find_vma(mm, addr, site);
	int ret = -EFAULT;
	if (vma && vma->vm_start <= addr) {
		map_page(vma, addr, site);
		ret = 0;
	}
	ls_up_read(&mm->mmap_lock, site);
	return ret;
}

/* The VMA of current->mm containing addr, walked like page tables: no lock, no point. */
static struct vm_area_struct *user_vma(unsigned long addr)
{
	struct mm_struct *mm = current->mm;
	if (!mm)
		return NULL;
	struct vm_area_struct *vma = ls_find_vma_rcu(mm, addr);
	return vma && vma->vm_start <= addr ? vma : NULL;
}

/* Copies n bytes between kernel memory and user memory at uaddr, page by page, faulting as
 * allowed.  Returns the bytes not copied. */
static unsigned long user_copy(void *kbuf, unsigned long uaddr, unsigned long n, bool to_user,
			       const struct ls_site *site, const struct ls_site *fault)
{
	unsigned long done = 0;
	while (done < n) {
		unsigned long addr = uaddr + done;
		struct vm_area_struct *vma = user_vma(addr);
		unsigned long chunk = PAGE_SIZE - (addr & ~PAGE_MASK);
		if (chunk > n - done)
			chunk = n - done;
		if (!vma) {
			/* Nothing mapped there: the access faults and the fault finds no VMA. */
			ls_point(to_user ? LS_OP_STORE : LS_OP_LOAD, (const void *)addr, site);
			if (handle_fault(addr, fault) != 0 || !user_vma(addr))
				break;
			continue;
		}
		unsigned char *host = vma->ls_backing + (addr - vma->vm_start);
		ls_point(to_user ? LS_OP_STORE : LS_OP_LOAD, host, site);
		if (!page_resident(vma, addr)) {
			if (handle_fault(addr, fault) != 0)
				break;
			continue;
		}
		if (to_user) {
			memcpy(host, (const unsigned char *)kbuf + done, chunk);
			ls_wrote(host);
		} else {
			memcpy((unsigned char *)kbuf + done, host, chunk);
		}
		done += chunk;
	}
	return n - done;
}

unsigned long ls_copy_from_user(void *to, const void __user *from, unsigned long n,
				const struct ls_site *site, const struct ls_site *fault)
{
	ls_might_fault(site);
	unsigned long left = user_copy(to, (unsigned long)from, n, false, site, fault);
	if (left)
		memset((unsigned char *)to + (n - left), 0, left);
	return left;
}

unsigned long ls_copy_to_user(void __user *to, const void *from, unsigned long n,
			      const struct ls_site *site, const struct ls_site *fault)
{
	ls_might_fault(site);
	return user_copy((void *)from, (unsigned long)to, n, true, site, fault);
}

unsigned long ls_copy_from_user_inatomic(void *to, const void __user *from, unsigned long n,
					 const struct ls_site *site, const struct ls_site *fault)
{
	return user_copy(to, (unsigned long)from, n, false, site, fault);
}

long ls_copy_from_user_nofault(void *dst, const void __user *src, size_t size,
			       const struct ls_site *site)
{
	ls_pagefault_disable();
	unsigned long left = user_copy(dst, (unsigned long)src, size, false, site, site);
	ls_pagefault_enable();
	return left ? -EFAULT : 0;
}

long ls_copy_from_kernel_nofault(void *dst, const void *src, size_t size,
				 const struct ls_site *site)
{
	/* copy_from_kernel_nofault_allowed(): a user address is refused. */
	if (user_vma((unsigned long)src))
		return -ERANGE;
	ls_point(LS_OP_LOAD, src, site);
	memcpy(dst, src, size);
	return 0;
}

size_t ls_fault_in_readable(const char __user *uaddr, size_t size, const struct ls_site *site,
			    const struct ls_site *fault)
{
	unsigned long addr = (unsigned long)uaddr, end = addr + size;
	while (addr < end) {
		struct vm_area_struct *vma = user_vma(addr);
		ls_point(LS_OP_LOAD, vma ? (const void *)(vma->ls_backing + (addr - vma->vm_start))
					 : (const void *)addr,
			 site);
		if (!vma || !page_resident(vma, addr)) {
			if (handle_fault(addr, fault) != 0 || !user_vma(addr))
				return end - addr;
			continue;
		}
		addr = (addr & PAGE_MASK) + PAGE_SIZE;
	}
	return 0;
}

/* ---- files ------------------------------------------------------------------------------- */

static bool page_cached(const struct inode *inode, loff_t pos)
{
	return inode->ls_cached >> ((unsigned long)pos / PAGE_SIZE) & 1;
}

/* Brings the page holding pos into the page cache: the read I/O, done. */
static void fill_page(struct inode *inode, loff_t pos, const struct ls_site *site)
{
	ls_point(LS_OP_STORE, &inode->ls_cached, site);
	LS_FETCH_OR(&inode->ls_cached, 1ull << ((unsigned long)pos / PAGE_SIZE));
	ls_wrote(&inode->ls_cached);
}

/* The common read loop: to_user selects copy_to_user() (may fault) over memcpy(). */
static ssize_t file_read(struct file *file, void *buf, size_t count, loff_t *pos, bool to_user,
			 const struct ls_site *site, const struct ls_site *fault)
{
	struct inode *inode = file->f_inode;
	ssize_t done = 0;
	if (*pos < 0)
		return -EINVAL;
	ls_down_read(&inode->i_rwsem, site);
	while ((size_t)done < count && *pos < inode->i_size) {
		loff_t p = *pos;
		size_t chunk = PAGE_SIZE - ((unsigned long)p & ~PAGE_MASK);
		if (chunk > count - (size_t)done)
			chunk = count - (size_t)done;
		if ((loff_t)chunk > inode->i_size - p)
			chunk = (size_t)(inode->i_size - p);
		if (!page_cached(inode, p))
			fill_page(inode, p, site);
		const unsigned char *src = inode->ls_data + p;
		size_t copied;
		if (to_user) {
			copied = chunk - ls_copy_to_user((char *)buf + done, src, chunk, site, fault);
		} else {
			ls_point(LS_OP_LOAD, src, site);
			memcpy((char *)buf + done, src, chunk);
			copied = chunk;
		}
		done += (ssize_t)copied;
		*pos += (loff_t)copied;
		if (copied < chunk) {
			if (!done)
				done = -EFAULT;
			break;
		}
	}
	ls_up_read(&inode->i_rwsem, site);
	return done;
}

ssize_t ls_kernel_read(struct file *file, void *buf, size_t count, loff_t *pos,
		       const struct ls_site *site)
{
	return file_read(file, buf, count, pos, false, site, site);
}

ssize_t ls_vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos,
		    const struct ls_site *site, const struct ls_site *fault)
{
	return file_read(file, buf, count, pos, true, site, fault);
}

ssize_t ls_vfs_write(struct file *file, const char __user *buf, size_t count, loff_t *pos,
		     const struct ls_site *site, const struct ls_site *fault)
{
	struct inode *inode = file->f_inode;
	ssize_t done = 0;
	if (*pos < 0)
		return -EINVAL;
	ls_down_write(&inode->i_rwsem, site);
	while ((size_t)done < count) {
		loff_t p = *pos;
		if ((size_t)p >= inode->ls_capacity) {
			if (!done)
				done = -ENOSPC;
			break;
		}
		size_t chunk = PAGE_SIZE - ((unsigned long)p & ~PAGE_MASK);
		if (chunk > count - (size_t)done)
			chunk = count - (size_t)done;
		if (chunk > inode->ls_capacity - (size_t)p)
			chunk = inode->ls_capacity - (size_t)p;
		const char __user *src = buf + done;
		/* generic_perform_write(): fault the source in with faults allowed, then copy
		 * with them disabled; a page lost in between is simply faulted in again. */
		if (ls_fault_in_readable(src, chunk, site, fault) == chunk) {
			if (!done)
				done = -EFAULT;
			break;
		}
		ls_pagefault_disable();
		unsigned char *dst = inode->ls_data + p;
		size_t copied = chunk - ls_copy_from_user_inatomic(dst, src, chunk, site, fault);
		ls_pagefault_enable();
		if (!copied)
			continue;
		ls_point(LS_OP_STORE, dst, site);
		ls_wrote(dst);
		LS_FETCH_OR(&inode->ls_cached, 1ull << ((unsigned long)p / PAGE_SIZE));
		done += (ssize_t)copied;
		*pos += (loff_t)copied;
		if (*pos > inode->i_size)
			inode->i_size = *pos;
	}
	ls_up_write(&inode->i_rwsem, site);
	return done;
}

ssize_t ls_filemap_read_nofault(struct file *file, void *buf, size_t count, loff_t pos,
				const struct ls_site *site)
{
	struct inode *inode = file->f_inode;
	size_t done = 0;
	if (pos < 0)
		return -EINVAL;
	while (done < count && pos < inode->i_size) {
		size_t chunk = PAGE_SIZE - ((unsigned long)pos & ~PAGE_MASK);
		if (chunk > count - done)
			chunk = count - done;
		if ((loff_t)chunk > inode->i_size - pos)
			chunk = (size_t)(inode->i_size - pos);
		const unsigned char *src = inode->ls_data + pos;
		ls_point(LS_OP_LOAD, src, site);
		if (!page_cached(inode, pos))
			return -EFAULT;
		memcpy((char *)buf + done, src, chunk);
		done += chunk;
		pos += (loff_t)chunk;
	}
	return (ssize_t)done;
}

struct file *ls_get_file(struct file *file, const struct ls_site *site)
{
	ls_atomic_long_fetch_op(&file->f_count, LS_ATOMIC_ADD, 1, site);
	return file;
}

void ls_fput(struct file *file, const struct ls_site *site)
{
	if (ls_atomic_long_op_return(&file->f_count, LS_ATOMIC_ADD, -1, site) < 0)
		ls_fail(site, "fput() of a file with no references left");
}

/* Tasks, address spaces, VMAs, files and page faults: what the build-id and task_vma scenarios
 * need from mm/ and fs/ (kernel-spec §3).
 *
 * current.  Every task context of the target has a struct task_struct; `current` is the task
 * the running context belongs to.  In a hardirq or NMI it is the interrupted task (or the CPU's
 * idle task "swapper/N", whose mm is NULL), as in the kernel: an NMI's current->mm is the mm of
 * whatever it interrupted.  The model library resets every task before each execution (comm =
 * the context's name, mm = NULL); a target sets mms in init with ls_set_task_mm().
 *
 * Address spaces.  An mm_struct holds mmap_lock (an rw_semaphore, class "&mm->mmap_lock") and up
 * to LS_MM_MAX_VMAS VMAs, added in init with ls_mm_add_vma().  A VMA's user bytes live in host
 * memory the target provides; a resident bitmap (one bit per page, LS_VMA_MAX_PAGES pages) says
 * which pages are mapped.  User addresses are plain numbers inside VMAs of current->mm, written
 * as `(void __user *)0x400000`.
 *
 * User accesses and faults.  copy_from_user(), copy_to_user(), get_user() and put_user() first
 * run might_fault() (might_sleep() plus lockdep's might_lock_read(&current->mm->mmap_lock)), then
 * copy page by page.  A page that is not resident faults, and the fault runs in the current
 * context as do_user_addr_fault():
 *     pagefault_disabled(), in_atomic() (preemption off, hardirq, NMI) or no mm  ->  -EFAULT;
 *     with mm->ls_per_vma_lock: lock_vma_under_rcu(), map the page, vma_end_read();
 *     otherwise (or if that fails): mmap_read_lock(mm), find_vma(), map the page,
 *     mmap_read_unlock(mm); no VMA -> -EFAULT.
 * The copies return what the kernel's do: the number of bytes NOT copied (0 on success), with the
 * uncopied tail of a copy_from_user() destination zeroed; get_user()/put_user() 0 or -EFAULT.
 * copy_from_user_nofault() never faults (it copies under pagefault_disable()) and returns 0 or
 * -EFAULT; copy_from_kernel_nofault() refuses user addresses with -ERANGE, as x86 does.
 *
 * Files.  An inode holds i_rwsem (class "&sb->s_type->i_mutex_key") and host bytes, with a page
 * cache bitmap.  Reads take i_rwsem shared, as XFS's buffered ->read_iter does, fill missing
 * pages ("I/O") and copy: kernel_read() into a kernel buffer, vfs_read() to user memory (which may
 * fault, under i_rwsem).  vfs_write() takes i_rwsem exclusive and, per page, faults the user
 * buffer in (fault_in_readable(), which may take mmap_lock) and copies with page faults disabled,
 * as generic_perform_write() does.  ls_filemap_read_nofault() is the non-sleeping reader of
 * build_id_parse_nofault(): page cache only, -EFAULT on a missing page, no locks.
 *
 *   operation                        may sleep   locks taken
 *   copy_{from,to}_user, get/put     yes         mmap_lock (read) on a fault
 *   copy_from_user_nofault           no          none
 *   kernel_read, vfs_read            yes         i_rwsem (read), mmap_lock (read) on a fault
 *   vfs_write                        yes         i_rwsem (write), mmap_lock (read) on a fault
 *   lock_vma_under_rcu               no          the VMA's read lock, or NULL
 *   find_vma, vma_lookup             no          asserts mmap_lock is held
 */
#ifndef LOCKSTEP_MM_H
#define LOCKSTEP_MM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lockstep/atomic.h>
#include <lockstep/runtime.h>
#include <lockstep/rwsem.h>

#ifndef __user
#define __user
#endif

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define LS_MM_MAX_VMAS 8
#define LS_VMA_MAX_PAGES 64	/* one resident bit per page in a uint64_t */
#define LS_FILE_MAX_PAGES 64

struct mm_struct;
struct file;

struct task_struct {
	char comm[16];
	int pid;
	struct mm_struct *mm;
	int pagefault_disabled;		/* pagefault_disable() depth */
	int ls_ctx;			/* the context id, -1 for an idle task */
};

struct vm_area_struct {
	unsigned long vm_start, vm_end;	/* [vm_start, vm_end), page aligned */
	unsigned long vm_pgoff;		/* file offset of vm_start, in pages */
	struct file *vm_file;		/* NULL: anonymous */
	struct mm_struct *vm_mm;
	unsigned char *ls_backing;	/* host bytes of [vm_start, vm_end) */
	uint64_t ls_resident;		/* bit i: page i is mapped (a present PTE) */
	int vm_lock_seq;		/* write-locked while it equals vm_mm->mm_lock_seq */
	atomic_t vm_refcnt;		/* holders of the per-VMA read lock */
};

struct mm_struct {
	struct rw_semaphore mmap_lock;
	int mm_lock_seq;		/* advanced by mmap_write_unlock(): unlocks every VMA */
	bool ls_per_vma_lock;		/* CONFIG_PER_VMA_LOCK: faults try the VMA lock first */
	int ls_nr_vmas;
	struct vm_area_struct ls_vmas[LS_MM_MAX_VMAS];	/* sorted by vm_start */
};

struct inode {
	struct rw_semaphore i_rwsem;
	unsigned char *ls_data;		/* host bytes of the file */
	size_t ls_capacity;		/* writes stop here */
	loff_t i_size;
	uint64_t ls_cached;		/* bit i: page i is in the page cache */
};

struct file {
	struct inode *f_inode;
	atomic_long_t f_count;
	loff_t f_pos;
};

/* ---- tasks ------------------------------------------------------------------------------- */

struct task_struct *ls_current(void);
#define current (ls_current())

/* Task i of the target (its index in the tasks array, which is its context id). */
struct task_struct *ls_task(int i);
void ls_set_task_mm(int task, struct mm_struct *mm);

/* ---- setting up (target init; no scheduling points) -------------------------------------- */

/* mm_init(): an empty address space with its mmap_lock initialised. */
void ls_mm_init(struct mm_struct *mm);
/* Maps [start, end) backed by `backing` (end - start host bytes); file and pgoff as mmap()
 * would set them.  Every page starts not resident.  Returns the VMA; an overlap, a full table
 * or a VMA beyond LS_VMA_MAX_PAGES aborts with a message (the target is broken). */
struct vm_area_struct *ls_mm_add_vma(struct mm_struct *mm, unsigned long start,
				     unsigned long end, void *backing, struct file *file,
				     unsigned long pgoff);
/* Marks the pages covering [addr, addr + len) of vma resident or not. */
void ls_vma_set_resident(struct vm_area_struct *vma, unsigned long addr, unsigned long len,
			 bool resident);
/* An inode over `data` (capacity bytes, the first size of them the file), nothing cached. */
void ls_inode_init(struct inode *inode, void *data, size_t size, size_t capacity);
/* Marks the pages covering [pos, pos + len) of the file cached or not. */
void ls_inode_set_cached(struct inode *inode, loff_t pos, size_t len, bool cached);
void ls_file_init(struct file *file, struct inode *inode);

/* ---- mmap_lock --------------------------------------------------------------------------- */

void ls_mmap_write_unlock(struct mm_struct *mm, const struct ls_site *site);
void ls_mmap_assert_locked(struct mm_struct *mm, const struct ls_site *site);
void ls_mmap_assert_write_locked(struct mm_struct *mm, const struct ls_site *site);

#define mmap_read_lock(mm) ls_down_read(&(mm)->mmap_lock, LS_SITE("mmap_read_lock"))
#define mmap_read_trylock(mm)                                                                   \
	(ls_down_read_trylock(&(mm)->mmap_lock, LS_SITE("mmap_read_trylock")) != 0)
#define mmap_read_unlock(mm) ls_up_read(&(mm)->mmap_lock, LS_SITE("mmap_read_unlock"))
#define mmap_read_unlock_non_owner(mm)                                                          \
	ls_up_read_non_owner(&(mm)->mmap_lock, LS_SITE("mmap_read_unlock_non_owner"))
#define mmap_write_lock(mm) ls_down_write(&(mm)->mmap_lock, LS_SITE("mmap_write_lock"))
#define mmap_write_trylock(mm)                                                                  \
	(ls_down_write_trylock(&(mm)->mmap_lock, LS_SITE("mmap_write_trylock")) != 0)
#define mmap_write_unlock(mm) ls_mmap_write_unlock((mm), LS_SITE("mmap_write_unlock"))
#define mmap_assert_locked(mm) ls_mmap_assert_locked((mm), LS_SITE("mmap_assert_locked"))
#define mmap_assert_write_locked(mm)                                                            \
	ls_mmap_assert_write_locked((mm), LS_SITE("mmap_assert_write_locked"))

/* ---- VMAs -------------------------------------------------------------------------------- */

struct vm_area_struct *ls_find_vma(struct mm_struct *mm, unsigned long addr,
				   const struct ls_site *site);
struct vm_area_struct *ls_vma_lookup(struct mm_struct *mm, unsigned long addr,
				     const struct ls_site *site);
struct vm_area_struct *ls_find_vma_rcu(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *ls_lock_vma_under_rcu(struct mm_struct *mm, unsigned long addr,
					     const struct ls_site *site);
void ls_vma_end_read(struct vm_area_struct *vma, const struct ls_site *site);
void ls_vma_start_write(struct vm_area_struct *vma, const struct ls_site *site);
void ls_zap_vma_pages(struct vm_area_struct *vma, const struct ls_site *site);

/* The first VMA ending above addr, or NULL; mmap_lock must be held. */
#define find_vma(mm, addr) ls_find_vma((mm), (addr), LS_SITE("find_vma"))
/* The VMA containing addr, or NULL; mmap_lock must be held. */
#define vma_lookup(mm, addr) ls_vma_lookup((mm), (addr), LS_SITE("vma_lookup"))
/* find_vma() under RCU instead of mmap_lock (the maple tree walk of vma_next()); no point. */
#define find_vma_rcu(mm, addr) ls_find_vma_rcu((mm), (addr))
/* The VMA containing addr with its per-VMA read lock held, or NULL if it is write-locked. */
#define lock_vma_under_rcu(mm, addr) ls_lock_vma_under_rcu((mm), (addr), LS_SITE("lock_vma_under_rcu"))
#define vma_end_read(vma) ls_vma_end_read((vma), LS_SITE("vma_end_read"))
/* Under mmap_write_lock: write-locks the VMA until mmap_write_unlock(), waiting for readers. */
#define vma_start_write(vma) ls_vma_start_write((vma), LS_SITE("vma_start_write"))
/* Unmaps every page of the VMA (madvise(MADV_DONTNEED), reclaim): the next access faults. */
#define zap_vma_pages(vma) ls_zap_vma_pages((vma), LS_SITE("zap_vma_pages"))

/* ---- user accesses ----------------------------------------------------------------------- */

void ls_might_fault(const struct ls_site *site);
void ls_pagefault_disable(void);
void ls_pagefault_enable(void);
bool ls_pagefault_disabled(void);
bool ls_faulthandler_disabled(void);

/* site: the access; fault: the site reported for the page fault it may run. */
unsigned long ls_copy_from_user(void *to, const void __user *from, unsigned long n,
				const struct ls_site *site, const struct ls_site *fault);
unsigned long ls_copy_to_user(void __user *to, const void *from, unsigned long n,
			      const struct ls_site *site, const struct ls_site *fault);
unsigned long ls_copy_from_user_inatomic(void *to, const void __user *from, unsigned long n,
					 const struct ls_site *site, const struct ls_site *fault);
long ls_copy_from_user_nofault(void *dst, const void __user *src, size_t size,
			       const struct ls_site *site);
long ls_copy_from_kernel_nofault(void *dst, const void *src, size_t size,
				 const struct ls_site *site);
size_t ls_fault_in_readable(const char __user *uaddr, size_t size, const struct ls_site *site,
			    const struct ls_site *fault);

#define LS_FAULT_SITE LS_SITE("do_user_addr_fault")

#define might_fault() ls_might_fault(LS_SITE("might_fault"))
#define pagefault_disable() ls_pagefault_disable()
#define pagefault_enable() ls_pagefault_enable()
#define pagefault_disabled() ls_pagefault_disabled()
#define faulthandler_disabled() ls_faulthandler_disabled()

#define copy_from_user(to, from, n)                                                             \
	ls_copy_from_user((to), (from), (n), LS_SITE("copy_from_user"), LS_FAULT_SITE)
#define copy_to_user(to, from, n)                                                               \
	ls_copy_to_user((to), (from), (n), LS_SITE("copy_to_user"), LS_FAULT_SITE)
#define __copy_from_user_inatomic(to, from, n)                                                  \
	ls_copy_from_user_inatomic((to), (from), (n), LS_SITE("__copy_from_user_inatomic"),     \
				   LS_FAULT_SITE)
#define copy_from_user_nofault(dst, src, size)                                                  \
	ls_copy_from_user_nofault((dst), (src), (size), LS_SITE("copy_from_user_nofault"))
#define copy_from_kernel_nofault(dst, src, size)                                                \
	ls_copy_from_kernel_nofault((dst), (src), (size), LS_SITE("copy_from_kernel_nofault"))
#define fault_in_readable(uaddr, size)                                                          \
	ls_fault_in_readable((uaddr), (size), LS_SITE("fault_in_readable"), LS_FAULT_SITE)

/* get_user(x, ptr): x = *ptr from user memory; 0, or -EFAULT with x = 0. */
#define get_user(x, ptr)                                                                        \
	({                                                                                       \
		__typeof__(&*(ptr)) ls_gu_p_ = (ptr);                                             \
		__typeof__(*ls_gu_p_) ls_gu_v_;                                                   \
		int ls_gu_r_ = ls_copy_from_user(&ls_gu_v_, ls_gu_p_, sizeof(ls_gu_v_),           \
						 LS_SITE("get_user"), LS_FAULT_SITE) ? -EFAULT : 0; \
		(x) = ls_gu_r_ ? (__typeof__(ls_gu_v_))0 : ls_gu_v_;                              \
		ls_gu_r_;                                                                        \
	})
/* put_user(x, ptr): *ptr = x in user memory; 0 or -EFAULT. */
#define put_user(x, ptr)                                                                        \
	({                                                                                       \
		__typeof__(&*(ptr)) ls_pu_p_ = (ptr);                                             \
		__typeof__(*ls_pu_p_) ls_pu_v_ = (x);                                             \
		ls_copy_to_user(ls_pu_p_, &ls_pu_v_, sizeof(ls_pu_v_), LS_SITE("put_user"),        \
				LS_FAULT_SITE) ? -EFAULT : 0;                                     \
	})

/* ---- files ------------------------------------------------------------------------------- */

ssize_t ls_kernel_read(struct file *file, void *buf, size_t count, loff_t *pos,
		       const struct ls_site *site);
ssize_t ls_vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos,
		    const struct ls_site *site, const struct ls_site *fault);
ssize_t ls_vfs_write(struct file *file, const char __user *buf, size_t count, loff_t *pos,
		     const struct ls_site *site, const struct ls_site *fault);
ssize_t ls_filemap_read_nofault(struct file *file, void *buf, size_t count, loff_t pos,
				const struct ls_site *site);
struct file *ls_get_file(struct file *file, const struct ls_site *site);
void ls_fput(struct file *file, const struct ls_site *site);

#define inode_lock(inode) ls_down_write(&(inode)->i_rwsem, LS_SITE("inode_lock"))
#define inode_unlock(inode) ls_up_write(&(inode)->i_rwsem, LS_SITE("inode_unlock"))
#define inode_lock_shared(inode) ls_down_read(&(inode)->i_rwsem, LS_SITE("inode_lock_shared"))
#define inode_unlock_shared(inode) ls_up_read(&(inode)->i_rwsem, LS_SITE("inode_unlock_shared"))
#define file_inode(file) ((file)->f_inode)

/* Returns the bytes read, or a negative errno; *pos advances. */
#define kernel_read(file, buf, count, pos)                                                      \
	ls_kernel_read((file), (buf), (count), (pos), LS_SITE("kernel_read"))
#define __kernel_read(file, buf, count, pos)                                                    \
	ls_kernel_read((file), (buf), (count), (pos), LS_SITE("__kernel_read"))
#define vfs_read(file, buf, count, pos)                                                         \
	ls_vfs_read((file), (buf), (count), (pos), LS_SITE("vfs_read"), LS_FAULT_SITE)
#define vfs_write(file, buf, count, pos)                                                        \
	ls_vfs_write((file), (buf), (count), (pos), LS_SITE("vfs_write"), LS_FAULT_SITE)
#define get_file(file) ls_get_file((file), LS_SITE("get_file"))
#define fput(file) ls_fput((file), LS_SITE("fput"))

#endif

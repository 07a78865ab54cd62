/* buildid/stackmap: the BPF stack map's user build-id lookup against mmap_lock, the inode's
 * i_rwsem and the deferred mmap_read_unlock() (kernel-spec §3.1-§3.5).
 *
 * Models:
 *   kernel/bpf/stackmap.c     __bpf_get_stack() (user stack, BPF_F_USER_BUILD_ID) and
 *                             stack_map_get_build_id_offset() in two versions: before the May
 *                             2026 series (one mmap_read_trylock() around the whole walk,
 *                             prev_vma reuse, fetch_build_id()), and current
 *                             (stack_map_get_build_id_offset_sleepable() with
 *                             stack_map_lock_vma()/stack_map_unlock_vma() and the two-slot
 *                             cache; the non-sleepable walk with the same cache).
 *   lib/buildid.c, freader.c  build_id_parse(), build_id_parse_nofault(), build_id_parse_file():
 *                             __build_id_parse(), get_build_id_64(), parse_build_id() over a
 *                             freader whose freader_fetch() is __kernel_read() when it may fault
 *                             (since Dec 2025) and a page-cache-only copy otherwise.
 *   kernel/bpf/mmap_unlock_work.h, task_iter.c
 *                             bpf_mmap_unlock_get_irq_work(), bpf_mmap_unlock_mm(),
 *                             do_mmap_read_unlock(); after the Aug 2026 fix ("bpf: Fix mmap_lock
 *                             leak in irq_work path") bpf_mmap_unlock_guard_get()/_put() and the
 *                             `active` slot the callback gives back.
 *
 * One process: every task below is a thread of one mm.  Its VMAs: libfoo.so's text, file-backed at
 * file page 1 (so offsets are not addresses); an anonymous executable page (JIT code); and an
 * anonymous page used as a write(2) buffer, not mapped yet.  libfoo.so is a small ELF64 file with
 * one PT_NOTE holding a 20-byte GNU build ID.  The program's user stack has three frames: two in
 * libfoo.so (the second reuses the first's build ID) and one in the JIT page (no file: the frame
 * stays an IP).
 *
 * sleepable-under-mmap-lock (before May 2026, §3.1 and the §3.4 report)
 *   prog (CPU0)    a sleepable program calls bpf_get_stack_sleepable(): interrupts are on, so
 *                  bpf_mmap_unlock_get_irq_work() gives no work and the unlock is synchronous;
 *                  mmap_read_trylock(mm), then find_vma() and build_id_parse() per frame, whose
 *                  __kernel_read() of libfoo.so takes its i_rwsem shared under mmap_lock.
 *   writer (CPU1)  write(2) into libfoo.so from the unmapped buffer: vfs_write() holds i_rwsem
 *                  exclusive and faults the buffer in, taking mmap_lock shared.
 *   munmap (CPU2)  mmap_write_lock(mm); mmap_write_unlock(mm).
 *   Expected: deadlock, prog -> writer -> munmap -> prog: the queued munmap sends the writer's
 *   fault to the back of mmap_lock's queue (§3.5).  In an execution that does not hang, the
 *   validator reports the mmap_lock / i_rwsem inversion (lockdep): the trylock records
 *   mmap_lock -> i_rwsem, vfs_write()'s might_fault() records i_rwsem -> mmap_lock.
 * snapshot-then-parse (the May 2026 fix, §3.1 "current")
 *   prog uses stack_map_get_build_id_offset_sleepable(): stack_map_lock_vma(), snapshot
 *   vm_pgoff/vm_start/vm_end, get_file(), stack_map_unlock_vma(), then build_id_parse_file() with
 *   no mm or VMA lock held; fput() on failure or when the cache lets go.  writer and munmap as
 *   above.  Expected: never.
 *   Both sleepable variants model a kernel without CONFIG_PER_VMA_LOCK: with it, the writer's
 *   fault would take mmap_lock only where the VMA lock fails (e.g. a first fault on an anonymous
 *   VMA without an anon_vma retries under mmap_lock), which the fault model does not carry.
 * nofault-irq-work-unlock (the non-sleepable walk before the Aug 2026 fix, §3.3)
 *   prog (CPU0)    a tracepoint in an interrupts-off section (local_irq_save) runs a program
 *                  calling bpf_get_stack(): bpf_mmap_unlock_get_irq_work() (this CPU's work, busy
 *                  -> IPs only), mmap_read_trylock(), build_id_parse_nofault() (page cache only),
 *                  bpf_mmap_unlock_mm(): work->mm = mm, rwsem_release(), irq_work_queue() with
 *                  its result ignored.  The irq_work runs do_mmap_read_unlock() once prog turns
 *                  interrupts back on.
 *   perf NMI       on CPU0, at most once: the same program; current->mm is the interrupted
 *                  task's, so both walks lock the same mm.
 *   munmap (CPU2)  mmap_write_lock(mm); mmap_write_unlock(mm).
 *   writer         returns at once (no part in this scenario).
 *   An NMI between prog's busy check and its irq_work_queue() passes the check too, trylocks and
 *   queues the work itself; prog's queue then finds it pending and does nothing, so one callback
 *   releases one of the two read holds.  Expected: deadlock (munmap waits for the leaked reader
 *   for ever).  When munmap already ran, the leak is found by the check instead (invariant).
 * nofault-irq-work-unlock-active (after the Aug 2026 fix)
 *   As above with bpf_mmap_unlock_guard_get(): the atomic_t active slot is reserved by a
 *   cmpxchg_acquire before the trylock and given back on every failure path and by the callback
 *   once it consumed work->mm.  The NMI in the window finds the slot taken and reports IPs.
 *   Expected: never.
 *
 * The perf NMI does nothing in the sleepable variants.  PREEMPT_RT is off.
 *
 * Check (after an execution that did not hang): mmap_lock and i_rwsem are free (a leaked read
 * hold is an invariant failure even when no writer ran into it), libfoo.so's reference count is
 * back to one, every mmap_unlock_work is idle with no active slot, and every frame a walk reported
 * is either an IP left as it was or libfoo.so's build ID with the right file offset.
 *
 * Bugs per variant (src/bug.c), measured with bench/bug_counts.sh (20,000 executions, seed 0,
 * --jobs 2): sleepable-under-mmap-lock 1, its one root cause; nofault-irq-work-unlock 2 for its one
 * root cause (the leaked read hold), seen as the deadlock when munmap's writer waits for it and as
 * the check's leaked hold when no writer came.
 */
#include <elf.h>
#include <string.h>

#include <lockstep/kernel.h>
#include <lockstep/target.h>

#include "stackmap.h"

enum { SLEEPABLE_UNDER_MMAP_LOCK, SNAPSHOT_THEN_PARSE, NOFAULT_IRQ_WORK, NOFAULT_IRQ_WORK_ACTIVE };

static int variant;

#define noinline __attribute__((noinline))
#define ALIGN4(x) (((x) + 3) & ~3UL)

/* ---- the process ------------------------------------------------------------------------- */

#define LIB_START 0x400000UL		/* libfoo.so text: file pages 1 and 2 */
#define LIB_END 0x402000UL
#define LIB_PGOFF 1UL
#define JIT_START 0x20000UL		/* anonymous executable page */
#define JIT_END 0x21000UL
#define BUF_START 0x10000UL		/* the writer's buffer */
#define BUF_END 0x11000UL
#define LIB_PAGES 3

#define WRITE_POS (2 * PAGE_SIZE + 0x100)	/* where the writer writes: past the ELF headers */
#define WRITE_LEN 16

static struct mm_struct mm;
static struct inode lib_inode;
static struct file lib_file;
static struct vm_area_struct *lib_vma;
static unsigned char lib_data[LIB_PAGES * PAGE_SIZE];
static unsigned char lib_template[LIB_PAGES * PAGE_SIZE];
static unsigned char lib_text[LIB_END - LIB_START];
static unsigned char jit_text[JIT_END - JIT_START];
static unsigned char write_buf[BUF_END - BUF_START];

#define BUILD_ID_SIZE_MAX 20

static const unsigned char lib_build_id[BUILD_ID_SIZE_MAX] = {
	0xb1, 0xd0, 0x5e, 0xed, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
	0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
};

/* An ELF64 shared object: the header, one PT_NOTE program header, the GNU build-ID note. */
static void build_lib_template(void)
{
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 1;

	size_t note_off = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
	Elf64_Nhdr nh = { .n_namesz = 4, .n_descsz = BUILD_ID_SIZE_MAX, .n_type = NT_GNU_BUILD_ID };
	Elf64_Phdr ph = { .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = note_off,
			  .p_filesz = sizeof(nh) + 4 + BUILD_ID_SIZE_MAX, .p_align = 4 };
	ph.p_memsz = ph.p_filesz;

	memset(lib_template, 0, sizeof(lib_template));
	memcpy(lib_template, &eh, sizeof(eh));
	memcpy(lib_template + eh.e_phoff, &ph, sizeof(ph));
	memcpy(lib_template + note_off, &nh, sizeof(nh));
	memcpy(lib_template + note_off + sizeof(nh), "GNU", 4);
	memcpy(lib_template + note_off + sizeof(nh) + 4, lib_build_id, BUILD_ID_SIZE_MAX);
}

/* The program's user stack, as get_perf_callchain() would unwind it. */
#define NR_FRAMES 3
static const uint64_t user_ips[NR_FRAMES] = {
	LIB_START + 0x123,
	LIB_START + PAGE_SIZE + 0x456,
	JIT_START + 0x40,
};

/* ---- include/linux/buildid.h, lib/freader.c, lib/buildid.c ------------------------------- */

#define BUILD_ID 3
#define MAX_PHDR_CNT 256
#define MAX_FREADER_BUF_SZ 64

struct freader {
	void *buf;
	uint32_t buf_sz;
	int err;
	struct file *file;
	bool may_fault;
};

static void freader_init_from_file(struct freader *r, void *buf, uint32_t buf_sz,
				   struct file *file, bool may_fault)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->buf_sz = buf_sz;
	r->file = file;
	r->may_fault = may_fault;
}

/* Copies sz bytes at file_off into r->buf and returns it, or NULL with r->err.  Sleepable: a
 * __kernel_read() through ->read_iter (i_rwsem shared, I/O for what is not cached).  Otherwise
 * the page cache only, failing with -EFAULT on a page that is not there. */
static noinline const void *freader_fetch(struct freader *r, loff_t file_off, size_t sz)
{
	ssize_t ret;

	if (sz > r->buf_sz) {
		r->err = -E2BIG;
		return NULL;
	}
	if (r->may_fault) {
		ret = __kernel_read(r->file, r->buf, sz, &file_off);
		if (ret != (ssize_t)sz) {
			r->err = ret < 0 ? (int)ret : -EIO;
			return NULL;
		}
		return r->buf;
	}
	ret = ls_filemap_read_nofault(r->file, r->buf, sz, file_off,
				      LS_SITE("filemap_get_folio"));
	if (ret != (ssize_t)sz) {
		r->err = -EFAULT;
		return NULL;
	}
	return r->buf;
}

static int parse_build_id(struct freader *r, unsigned char *build_id, uint32_t *size,
			  uint64_t note_off, uint32_t note_size)
{
	static const char note_name[] = "GNU";
	const size_t note_name_sz = sizeof(note_name);
	uint64_t note_end = note_off + note_size;

	if (note_end < note_off || note_end > PAGE_SIZE)
		return -EINVAL;
	while (note_off + sizeof(Elf32_Nhdr) < note_end) {
		const Elf32_Nhdr *nhdr = freader_fetch(r, (loff_t)note_off,
						       sizeof(Elf32_Nhdr) + note_name_sz);
		if (!nhdr)
			return r->err;
		uint32_t namesz = nhdr->n_namesz, descsz = nhdr->n_descsz;
		if (nhdr->n_type == BUILD_ID && namesz == note_name_sz &&
		    memcmp(nhdr + 1, note_name, note_name_sz) == 0 && descsz > 0 &&
		    descsz <= BUILD_ID_SIZE_MAX) {
			uint64_t id_off = note_off + sizeof(Elf32_Nhdr) + ALIGN4(note_name_sz);
			const unsigned char *data = freader_fetch(r, (loff_t)id_off, descsz);
			if (!data)
				return r->err;
			memcpy(build_id, data, descsz);
			memset(build_id + descsz, 0, BUILD_ID_SIZE_MAX - descsz);
			if (size)
				*size = descsz;
			return 0;
		}
		uint64_t next = note_off + sizeof(Elf32_Nhdr) + ALIGN4(namesz) + ALIGN4(descsz);
		if (next <= note_off)
			break;
		note_off = next;
	}
	return -EINVAL;
}

static int get_build_id_64(struct freader *r, unsigned char *build_id, uint32_t *size)
{
	const Elf64_Ehdr *ehdr = freader_fetch(r, 0, sizeof(Elf64_Ehdr));
	if (!ehdr)
		return r->err;
	/* The next fetch reuses the buffer: keep what is needed. */
	uint32_t phnum = ehdr->e_phnum;
	uint64_t phoff = ehdr->e_phoff;
	if (phnum > MAX_PHDR_CNT)
		phnum = MAX_PHDR_CNT;
	if (phoff + phnum * sizeof(Elf64_Phdr) < phoff)
		return -EINVAL;
	for (uint32_t i = 0; i < phnum; i++) {
		const Elf64_Phdr *phdr = freader_fetch(r, (loff_t)(phoff + i * sizeof(Elf64_Phdr)),
						       sizeof(Elf64_Phdr));
		if (!phdr)
			return r->err;
		if (phdr->p_type == PT_NOTE &&
		    !parse_build_id(r, build_id, size, phdr->p_offset, (uint32_t)phdr->p_filesz))
			return 0;
	}
	return -EINVAL;
}

static noinline int __build_id_parse_file(struct file *file, unsigned char *build_id,
					  uint32_t *size, bool may_fault)
{
	struct freader r;
	char buf[MAX_FREADER_BUF_SZ];

	freader_init_from_file(&r, buf, sizeof(buf), file, may_fault);
	/* The first 18 bytes of the ELF header: magic, class and e_type. */
	const Elf32_Ehdr *ehdr = freader_fetch(&r, 0, offsetof(Elf32_Ehdr, e_type) +
							     sizeof(ehdr->e_type));
	if (!ehdr)
		return r.err;
	if (memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0)
		return -EINVAL;
	if (ehdr->e_type != ET_EXEC && ehdr->e_type != ET_DYN)
		return -EINVAL;
	if (ehdr->e_ident[EI_CLASS] == ELFCLASS64)
		return get_build_id_64(&r, build_id, size);
	return -EINVAL;	/* ELFCLASS32 is not modelled: libfoo.so is 64-bit */
}

static int build_id_parse(struct vm_area_struct *vma, unsigned char *build_id, uint32_t *size)
{
	if (!vma->vm_file)
		return -EINVAL;
	return __build_id_parse_file(vma->vm_file, build_id, size, true);
}

static int build_id_parse_nofault(struct vm_area_struct *vma, unsigned char *build_id,
				  uint32_t *size)
{
	if (!vma->vm_file)
		return -EINVAL;
	return __build_id_parse_file(vma->vm_file, build_id, size, false);
}

static int build_id_parse_file(struct file *file, unsigned char *build_id, uint32_t *size)
{
	return __build_id_parse_file(file, build_id, size, true);
}

/* kernel/bpf/mmap_unlock_work.h, both versions, is the model library's
 * (<lockstep/mmap_unlock_work.h>); init picks the one the variant runs. */

/* ---- kernel/bpf/stackmap.c --------------------------------------------------------------- */

enum bpf_stack_build_id_status {
	BPF_STACK_BUILD_ID_EMPTY,
	BPF_STACK_BUILD_ID_VALID,
	BPF_STACK_BUILD_ID_IP,
};

struct bpf_stack_build_id {
	int32_t status;
	unsigned char build_id[BUILD_ID_SIZE_MAX];
	union {
		uint64_t offset;
		uint64_t ip;
	};
};

/* CONFIG_PER_VMA_LOCK: the mm's configuration (off in every variant here, see above). */
static bool per_vma_lock(void)
{
	return mm.ls_per_vma_lock;
}

/* No vm_ops: anonymous.  The model's VMAs have no vm_ops; a VMA without a file stands for one. */
static bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return !vma->vm_file;
}

static bool range_in_vma(const struct vm_area_struct *vma, unsigned long start,
			 unsigned long end)
{
	return vma && vma->vm_start <= start && end <= vma->vm_end;
}

static int fetch_build_id(struct vm_area_struct *vma, unsigned char *build_id, bool may_fault)
{
	return may_fault ? build_id_parse(vma, build_id, NULL)
			 : build_id_parse_nofault(vma, build_id, NULL);
}

static void stack_map_build_id_set_ip(struct bpf_stack_build_id *id)
{
	id->status = BPF_STACK_BUILD_ID_IP;
	memset(id->build_id, 0, BUILD_ID_SIZE_MAX);
}

static uint64_t stack_map_build_id_offset(unsigned long vm_pgoff, unsigned long vm_start,
					  uint64_t ip)
{
	return (vm_pgoff << PAGE_SHIFT) + ip - vm_start;
}

static void stack_map_build_id_set_valid(struct bpf_stack_build_id *id, uint64_t offset,
					 const unsigned char *build_id)
{
	id->status = BPF_STACK_BUILD_ID_VALID;
	id->offset = offset;
	if (id->build_id != build_id)
		memcpy(id->build_id, build_id, BUILD_ID_SIZE_MAX);
}

/* The walk before May 2026: one mmap_read_trylock() around every frame's find_vma() and parse. */
static void stack_map_get_build_id_offset_v1(struct bpf_stack_build_id *id_offs,
					     uint32_t trace_nr, bool user, bool may_fault)
{
	struct mmap_unlock_irq_work *work = NULL;
	bool irq_work_busy = bpf_mmap_unlock_get_irq_work(&work);
	struct vm_area_struct *vma, *prev_vma = NULL;
	const unsigned char *prev_build_id = NULL;

	if (!user || !current->mm || irq_work_busy || !mmap_read_trylock(current->mm)) {
		for (uint32_t i = 0; i < trace_nr; i++)
			stack_map_build_id_set_ip(&id_offs[i]);
		return;
	}
	for (uint32_t i = 0; i < trace_nr; i++) {
		uint64_t ip = id_offs[i].ip;

		if (range_in_vma(prev_vma, ip, ip)) {
			vma = prev_vma;
			memcpy(id_offs[i].build_id, prev_build_id, BUILD_ID_SIZE_MAX);
			goto build_id_valid;
		}
		vma = find_vma(current->mm, ip);
		if (!vma || fetch_build_id(vma, id_offs[i].build_id, may_fault)) {
			stack_map_build_id_set_ip(&id_offs[i]);
			continue;
		}
build_id_valid:
		id_offs[i].offset = stack_map_build_id_offset(vma->vm_pgoff, vma->vm_start, ip);
		id_offs[i].status = BPF_STACK_BUILD_ID_VALID;
		prev_vma = vma;
		prev_build_id = id_offs[i].build_id;
	}
	bpf_mmap_unlock_mm(work, current->mm);
}

/* The last VMA that resolved a build ID and the last that had none. */
struct stack_map_cached_vma {
	unsigned long vm_start, vm_end;	/* vm_end == 0: empty */
	unsigned long vm_pgoff;
	struct file *file;		/* pinned in the sleepable walk */
	const unsigned char *build_id;
};

struct stack_map_build_id_cache {
	struct stack_map_cached_vma resolved;
	struct stack_map_cached_vma unresolved;
};

/* 0 and id filled when a cached range covers ip; -ENOENT otherwise. */
static int stack_map_build_id_set_from_cache(struct stack_map_build_id_cache *cache,
					     struct bpf_stack_build_id *id, uint64_t ip)
{
	const struct stack_map_cached_vma *c = &cache->resolved;
	if (c->vm_end && ip >= c->vm_start && ip < c->vm_end) {
		stack_map_build_id_set_valid(id, stack_map_build_id_offset(c->vm_pgoff,
									    c->vm_start, ip),
					     c->build_id);
		return 0;
	}
	c = &cache->unresolved;
	if (c->vm_end && ip >= c->vm_start && ip < c->vm_end) {
		stack_map_build_id_set_ip(id);
		return 0;
	}
	return -ENOENT;
}

static void stack_map_build_id_cache_set_resolved(struct stack_map_build_id_cache *cache,
						  struct file *file, const unsigned char *build_id,
						  unsigned long vm_start, unsigned long vm_end,
						  unsigned long vm_pgoff)
{
	if (cache->resolved.file)
		fput(cache->resolved.file);
	cache->resolved = (struct stack_map_cached_vma){ vm_start, vm_end, vm_pgoff, file,
							 build_id };
}

static void stack_map_build_id_cache_set_unresolved(struct stack_map_build_id_cache *cache,
						    unsigned long vm_start, unsigned long vm_end)
{
	cache->unresolved = (struct stack_map_cached_vma){ .vm_start = vm_start,
							   .vm_end = vm_end };
}

struct stack_map_vma_lock {
	struct vm_area_struct *vma;
	struct mm_struct *mm;
};

/* The VMA covering ip with a read-side hold, or NULL with none: its per-VMA lock, else
 * mmap_read_trylock() (never mmap_read_lock(): the program may hold it already).  Without
 * CONFIG_PER_VMA_LOCK the hold is mmap_lock itself. */
static struct vm_area_struct *stack_map_lock_vma(struct stack_map_vma_lock *lock,
						 unsigned long ip)
{
	struct mm_struct *m = lock->mm;
	struct vm_area_struct *vma;

	if (per_vma_lock()) {
		vma = lock_vma_under_rcu(m, ip);
		if (vma) {
			lock->vma = vma;
			return vma;
		}
	}
	if (!mmap_read_trylock(m))
		return NULL;
	vma = vma_lookup(m, ip);
	if (!vma) {
		mmap_read_unlock(m);
		return NULL;
	}
	if (per_vma_lock()) {
		/* vma_start_read_locked(): under mmap_lock no writer can have marked it, so the
		 * model's lock_vma_under_rcu() stands for it and cannot fail here. */
		vma = lock_vma_under_rcu(m, ip);
		mmap_read_unlock(m);
		if (!vma)
			return NULL;
	}
	lock->vma = vma;
	return vma;
}

static void stack_map_unlock_vma(struct stack_map_vma_lock *lock)
{
	if (per_vma_lock())
		vma_end_read(lock->vma);
	else
		mmap_read_unlock(lock->mm);
	lock->vma = NULL;
}

static void stack_map_get_build_id_offset_sleepable(struct bpf_stack_build_id *id_offs,
						    uint32_t trace_nr)
{
	struct stack_map_vma_lock lock = { .mm = current->mm };
	struct stack_map_build_id_cache cache = { 0 };
	struct stack_map_cached_vma *res = &cache.resolved;

	for (uint32_t i = 0; i < trace_nr; i++) {
		uint64_t ip = id_offs[i].ip;

		if (!stack_map_build_id_set_from_cache(&cache, &id_offs[i], ip))
			continue;
		struct vm_area_struct *vma = stack_map_lock_vma(&lock, ip);
		if (!vma) {
			stack_map_build_id_set_ip(&id_offs[i]);
			continue;
		}
		unsigned long vm_pgoff = vma->vm_pgoff;
		unsigned long vm_start = vma->vm_start;
		unsigned long vm_end = vma->vm_end;

		if (vma_is_anonymous(vma) || !vma->vm_file) {
			stack_map_unlock_vma(&lock);
			stack_map_build_id_set_ip(&id_offs[i]);
			stack_map_build_id_cache_set_unresolved(&cache, vm_start, vm_end);
			continue;
		}
		struct file *file = vma->vm_file;
		uint64_t offset = stack_map_build_id_offset(vm_pgoff, vm_start, ip);
		if (file == res->file) {
			/* Another mapping of the same file: its build ID, no parse. */
			stack_map_unlock_vma(&lock);
			stack_map_build_id_set_valid(&id_offs[i], offset, res->build_id);
			res->vm_start = vm_start;
			res->vm_end = vm_end;
			res->vm_pgoff = vm_pgoff;
			continue;
		}
		file = get_file(file);
		stack_map_unlock_vma(&lock);

		/* May sleep in the filesystem: no mm or VMA lock is held. */
		if (build_id_parse_file(file, id_offs[i].build_id, NULL)) {
			stack_map_build_id_set_ip(&id_offs[i]);
			fput(file);
			stack_map_build_id_cache_set_unresolved(&cache, vm_start, vm_end);
			continue;
		}
		stack_map_build_id_set_valid(&id_offs[i], offset, id_offs[i].build_id);
		stack_map_build_id_cache_set_resolved(&cache, file, id_offs[i].build_id, vm_start,
						      vm_end, vm_pgoff);
	}
	if (res->file)
		fput(res->file);
}

/* The current walk: sleepable callers take the function above; the non-sleepable walk keeps
 * mmap_read_trylock() across every frame and hands the unlock to the irq_work when interrupts
 * are off.  `guard` selects the Aug 2026 reservation of the irq_work slot. */
static void stack_map_get_build_id_offset_v2(struct bpf_stack_build_id *id_offs,
					     uint32_t trace_nr, bool user, bool may_fault,
					     bool guard)
{
	struct mmap_unlock_irq_work *work = NULL;
	bool irq_work_busy = false;
	bool has_user_ctx = user && current->mm;
	struct stack_map_build_id_cache cache = { 0 };
	struct vm_area_struct *vma;

	if (!guard)
		irq_work_busy = bpf_mmap_unlock_get_irq_work(&work);
	if (may_fault && has_user_ctx) {
		stack_map_get_build_id_offset_sleepable(id_offs, trace_nr);
		return;
	}
	if (!has_user_ctx)
		goto fallback;
	if (guard) {
		work = bpf_mmap_unlock_guard_get();
		if (IS_ERR(work))
			goto fallback;
		if (!mmap_read_trylock(current->mm)) {
			bpf_mmap_unlock_guard_put(work);
			goto fallback;
		}
	} else if (irq_work_busy || !mmap_read_trylock(current->mm)) {
		goto fallback;
	}
	for (uint32_t i = 0; i < trace_nr; i++) {
		uint64_t ip = id_offs[i].ip;

		if (!stack_map_build_id_set_from_cache(&cache, &id_offs[i], ip))
			continue;
		vma = find_vma(current->mm, ip);
		if (!vma || vma_is_anonymous(vma) ||
		    fetch_build_id(vma, id_offs[i].build_id, may_fault)) {
			stack_map_build_id_set_ip(&id_offs[i]);
			if (vma)
				stack_map_build_id_cache_set_unresolved(&cache, vma->vm_start,
									vma->vm_end);
			continue;
		}
		/* mmap_lock is held for the whole walk: the cached fields stay valid. */
		stack_map_build_id_set_valid(&id_offs[i],
					     stack_map_build_id_offset(vma->vm_pgoff,
								       vma->vm_start, ip),
					     id_offs[i].build_id);
		stack_map_build_id_cache_set_resolved(&cache, NULL, id_offs[i].build_id,
						      vma->vm_start, vma->vm_end, vma->vm_pgoff);
	}
	bpf_mmap_unlock_mm(work, current->mm);
	return;

fallback:
	for (uint32_t i = 0; i < trace_nr; i++)
		stack_map_build_id_set_ip(&id_offs[i]);
}

static noinline void stack_map_get_build_id_offset(struct bpf_stack_build_id *id_offs,
						   uint32_t trace_nr, bool user, bool may_fault)
{
	if (variant == SLEEPABLE_UNDER_MMAP_LOCK)
		stack_map_get_build_id_offset_v1(id_offs, trace_nr, user, may_fault);
	else
		stack_map_get_build_id_offset_v2(id_offs, trace_nr, user, may_fault,
						 variant == NOFAULT_IRQ_WORK_ACTIVE);
}

/* A walk's result, per calling context. */
struct stack_result {
	struct bpf_stack_build_id id_offs[NR_FRAMES];
	uint32_t nr;
	bool done;
};

static struct stack_result prog_result, nmi_result;

/* __bpf_get_stack() for BPF_F_USER_STACK | BPF_F_USER_BUILD_ID: the user callchain of current
 * (none for a task without an mm), each frame's IP put in place, then the build-id walk. */
static noinline void __bpf_get_stack(struct stack_result *out, bool may_fault)
{
	uint32_t trace_nr = current->mm ? NR_FRAMES : 0;

	for (uint32_t i = 0; i < trace_nr; i++)
		out->id_offs[i].ip = user_ips[i];
	stack_map_get_build_id_offset(out->id_offs, trace_nr, true, may_fault);
	out->nr = trace_nr;
	out->done = true;
}

/* ---- the contexts ------------------------------------------------------------------------ */

static bool sleepable_variant(void)
{
	return variant == SLEEPABLE_UNDER_MMAP_LOCK || variant == SNAPSHOT_THEN_PARSE;
}

static void prog_fn(void *arg)
{
	(void)arg;
	if (sleepable_variant()) {
		/* bpf_get_stack_sleepable() from a sleepable program: interrupts on. */
		__bpf_get_stack(&prog_result, true);
		return;
	}
	/* A tracepoint inside an interrupts-off section runs the program: bpf_get_stack(). */
	unsigned long flags;
	local_irq_save(flags);
	__bpf_get_stack(&prog_result, false);
	local_irq_restore(flags);
}

static void perf_nmi(void *arg)
{
	(void)arg;
	if (sleepable_variant())
		return;
	/* A perf_event program: bpf_get_stack() on whatever task the NMI interrupted. */
	__bpf_get_stack(&nmi_result, false);
}

static ssize_t written;

static void writer_fn(void *arg)
{
	(void)arg;
	if (!sleepable_variant())
		return;
	loff_t pos = WRITE_POS;
	written = vfs_write(&lib_file, (const char __user *)BUF_START, WRITE_LEN, &pos);
}

static void munmap_fn(void *arg)
{
	(void)arg;
	mmap_write_lock(&mm);
	mmap_write_unlock(&mm);
}

/* ---- init and check ---------------------------------------------------------------------- */

static void init(int v)
{
	static bool built;
	variant = v;
	if (!built) {
		build_lib_template();
		built = true;
	}
	memcpy(lib_data, lib_template, sizeof(lib_data));
	for (size_t i = 0; i < sizeof(write_buf); i++)
		write_buf[i] = (unsigned char)('a' + i % 26);

	ls_mm_init(&mm);
	mm.ls_per_vma_lock = false;
	ls_inode_init(&lib_inode, lib_data, sizeof(lib_data), sizeof(lib_data));
	ls_file_init(&lib_file, &lib_inode);
	ls_mm_add_vma(&mm, BUF_START, BUF_END, write_buf, NULL, 0);
	struct vm_area_struct *jit = ls_mm_add_vma(&mm, JIT_START, JIT_END, jit_text, NULL, 0);
	ls_vma_set_resident(jit, JIT_START, JIT_END - JIT_START, true);
	lib_vma = ls_mm_add_vma(&mm, LIB_START, LIB_END, lib_text, &lib_file, LIB_PGOFF);
	ls_vma_set_resident(lib_vma, LIB_START, LIB_END - LIB_START, true);
	/* The text runs, so its pages are in the page cache; the headers page is not, unless a
	 * non-sleepable walk is to find it (build_id_parse_nofault() reads the cache only). */
	ls_inode_set_cached(&lib_inode, LIB_PGOFF * PAGE_SIZE, LIB_END - LIB_START, true);
	if (!sleepable_variant())
		ls_inode_set_cached(&lib_inode, 0, PAGE_SIZE, true);
	for (int t = 0; t < 3; t++)
		ls_set_task_mm(t, &mm);

	ls_mmap_unlock_work_init(v == NOFAULT_IRQ_WORK_ACTIVE);
	memset(&prog_result, 0, sizeof(prog_result));
	memset(&nmi_result, 0, sizeof(nmi_result));
	written = 0;
}

int ls_buildid_prog_frames_resolved(void)
{
	int n = 0;
	for (uint32_t i = 0; prog_result.done && i < prog_result.nr; i++)
		n += prog_result.id_offs[i].status == BPF_STACK_BUILD_ID_VALID;
	return n;
}

static void check_result(const char *who, const struct stack_result *r)
{
	if (!r->done)
		return;
	for (uint32_t i = 0; i < r->nr; i++) {
		const struct bpf_stack_build_id *id = &r->id_offs[i];
		uint64_t ip = user_ips[i];
		static const unsigned char zero[BUILD_ID_SIZE_MAX];
		if (id->status == BPF_STACK_BUILD_ID_IP) {
			if (id->ip != ip || memcmp(id->build_id, zero, BUILD_ID_SIZE_MAX) != 0)
				ls_fail(NULL, "%s frame %u: IP %#llx changed or has a build ID",
					who, i, (unsigned long long)id->ip);
		} else if (id->status == BPF_STACK_BUILD_ID_VALID) {
			uint64_t want = LIB_PGOFF * PAGE_SIZE + ip - LIB_START;
			if (!range_in_vma(lib_vma, ip, ip) || id->offset != want ||
			    memcmp(id->build_id, lib_build_id, BUILD_ID_SIZE_MAX) != 0)
				ls_fail(NULL, "%s frame %u: wrong build ID or offset %#llx", who, i,
					(unsigned long long)id->offset);
		} else {
			ls_fail(NULL, "%s frame %u: status %d", who, i, (int)id->status);
		}
	}
}

static void check(int v)
{
	long count = mm.mmap_lock.count.counter;
	if (count & RWSEM_WRITER_LOCKED)
		ls_fail(NULL, "mmap_lock still write-locked");
	else if (count >> RWSEM_READER_SHIFT)
		ls_fail(NULL, "mmap_lock read hold leaked: %ld reader(s) left",
			count >> RWSEM_READER_SHIFT);
	if (lib_inode.i_rwsem.count.counter)
		ls_fail(NULL, "libfoo.so i_rwsem still held");
	if (lib_file.f_count.counter != 1)
		ls_fail(NULL, "libfoo.so f_count %ld", lib_file.f_count.counter);
	ls_mmap_unlock_work_check();
	if (sleepable_variant() && written != WRITE_LEN)
		ls_fail(NULL, "vfs_write returned %zd", written);
	check_result("prog", &prog_result);
	check_result("perf NMI", &nmi_result);
}

static const struct ls_task_decl tasks[] = {
	{ "prog", 0, prog_fn, NULL },
	{ "writer", 1, writer_fn, NULL },
	{ "munmap", 2, munmap_fn, NULL },
};

static const struct ls_irq_decl nmis[] = { { "perf", 0x1, 1, perf_nmi, NULL } };

static const struct ls_variant variants[] = {
	{ "sleepable-under-mmap-lock",
	  "build_id_parse() reads the file under mmap_read_trylock(): ABBA with write(2)",
	  LS_KIND_DEADLOCK },
	{ "snapshot-then-parse", "pin the file, drop the lock, then parse (May 2026)",
	  LS_KIND_NONE },
	{ "nofault-irq-work-unlock",
	  "an NMI inside the irq_work window leaks a read hold of mmap_lock", LS_KIND_DEADLOCK },
	{ "nofault-irq-work-unlock-active", "the active slot guards the window (Aug 2026)",
	  LS_KIND_NONE },
};

const struct ls_target ls_target_buildid_stackmap = {
	.name = "buildid/stackmap",
	.summary = "the stack map's user build-id lookup against mmap_lock and i_rwsem",
	.models = "stackmap.c: stack_map_get_build_id_offset(); buildid.c: build_id_parse*(); "
		  "mmap_unlock_work.h: bpf_mmap_unlock_*()",
	.ncpus = 3,
	.tasks = tasks,
	.ntasks = 3,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = 4,
	.init = init,
	.check = check,
};

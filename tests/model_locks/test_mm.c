/* Suite `mm`: tasks, VMAs, user accesses, page faults and file reads (include/lockstep/mm.h). */
#include "locks.h"

/* One address space shared by every task: an anonymous VMA of two pages at 0x10000, and a
 * file-backed one (the executable) at 0x400000. */
#define ANON_START 0x10000UL
#define ANON_END 0x12000UL
#define EXEC_START 0x400000UL
#define EXEC_END 0x401000UL

static struct mm_struct mm;
static unsigned char anon_mem[ANON_END - ANON_START];
static unsigned char exec_mem[EXEC_END - EXEC_START];
static unsigned char file_data[2 * PAGE_SIZE];
static struct inode exe_inode;
static struct file exe_file;
static struct vm_area_struct *anon_vma;

static void mm_setup(int ntasks, bool per_vma_lock)
{
	ls_mm_init(&mm);
	mm.ls_per_vma_lock = per_vma_lock;
	for (size_t i = 0; i < sizeof(anon_mem); i++)
		anon_mem[i] = (unsigned char)i;
	memset(file_data, 0, sizeof(file_data));
	memcpy(file_data, "\177ELF", 4);
	ls_inode_init(&exe_inode, file_data, PAGE_SIZE, sizeof(file_data));
	ls_file_init(&exe_file, &exe_inode);
	anon_vma = ls_mm_add_vma(&mm, ANON_START, ANON_END, anon_mem, NULL, 0);
	/* The second anonymous page is mapped; the first faults on first touch. */
	ls_vma_set_resident(anon_vma, ANON_START + PAGE_SIZE, PAGE_SIZE, true);
	struct vm_area_struct *exec = ls_mm_add_vma(&mm, EXEC_START, EXEC_END, exec_mem, &exe_file, 0);
	ls_vma_set_resident(exec, EXEC_START, PAGE_SIZE, true);
	for (int i = 0; i < ntasks; i++)
		ls_set_task_mm(i, &mm);
}

#define USER(addr) ((void __user *)(addr))

/* ---- a fault under mmap_lock ------------------------------------------------------------- */

/* t holds mmap_lock for read and touches a page that is not mapped: the fault takes mmap_lock
 * for read again.  Variant a: a writer may queue in between, and then t's fault waits behind
 * it while it waits for t: a deadlock in some schedule.  Variant b: the other task only reads:
 * never.  Variant c: as a, but with per-VMA locks the fault does not need mmap_lock: never. */
enum { FAULT_WRITER, FAULT_READER, FAULT_PER_VMA };

static int fault_variant;
static unsigned long fault_left;
static unsigned char fault_buf[16];

static void fault_t(void *arg)
{
	(void)arg;
	mmap_read_lock(&mm);
	struct vm_area_struct *vma = find_vma(&mm, ANON_START);
	LS_BUG_ON(vma != anon_vma);
	cpu_relax();
	fault_left = copy_from_user(fault_buf, USER(ANON_START + 8), sizeof(fault_buf));
	mmap_read_unlock(&mm);
}

static void fault_other(void *arg)
{
	(void)arg;
	if (fault_variant == FAULT_READER) {
		mmap_read_lock(&mm);
		mmap_read_unlock(&mm);
	} else {
		mmap_write_lock(&mm);
		mmap_write_unlock(&mm);
	}
}

static void fault_init(int v)
{
	fault_variant = v;
	mm_setup(2, v == FAULT_PER_VMA);
	fault_left = ~0UL;
	memset(fault_buf, 0xff, sizeof(fault_buf));
}

static const struct ls_variant fault_variants[] = {
	{ "writer", "a writer may queue between the hold and the fault", LS_KIND_DEADLOCK },
	{ "reader", "only readers", LS_KIND_NONE },
	{ "per-vma", "the fault takes the VMA lock", LS_KIND_NONE },
};
static const struct ls_task_decl fault_tasks[] = {
	{ "t", 0, fault_t, NULL },
	{ "w", 1, fault_other, NULL },
};
LOCK_TARGET(fault_target, "test/mm-fault", 2, fault_tasks, fault_variants, fault_init);

static int fault_check(const struct ls_result *r)
{
	if (fault_variant == FAULT_WRITER && r->kind == LS_KIND_DEADLOCK) {
		static const char want[] =
			"deadlock: t waits in do_user_addr_fault on &mm->mmap_lock queued behind w, "
			"which waits in mmap_write_lock on &mm->mmap_lock held by t";
		SEED_CHECK(r, strcmp(r->signature, want) == 0, "signature %s", r->signature);
		return TEST_PASS;
	}
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, fault_left == 0, "copy_from_user left %lu bytes", fault_left);
	for (size_t i = 0; i < sizeof(fault_buf); i++)
		SEED_CHECK(r, fault_buf[i] == (unsigned char)(8 + i), "byte %zu is %#x", i,
			   fault_buf[i]);
	SEED_CHECK(r, anon_vma->ls_resident & 1, "the faulted page is not resident");
	return TEST_PASS;
}

static int test_fault_under_mmap_read_lock_deadlocks_only_with_a_queued_writer(void)
{
	CHECK(sweep(&fault_target, FAULT_WRITER, SEEDS, fault_check) == TEST_PASS);
	print_kinds("writer");
	CHECKF(sweep_kinds[LS_KIND_DEADLOCK] > 0, "no deadlock in %d seeds", SEEDS);
	CHECK(sweep(&fault_target, FAULT_READER, SEEDS, fault_check) == TEST_PASS);
	CHECK(sweep_kinds[LS_KIND_NONE] == SEEDS);
	CHECK(sweep(&fault_target, FAULT_PER_VMA, SEEDS, fault_check) == TEST_PASS);
	CHECK(sweep_kinds[LS_KIND_NONE] == SEEDS);
	return TEST_PASS;
}

/* ---- per-VMA locks ----------------------------------------------------------------------- */

/* w write-locks the anonymous VMA under mmap_write_lock; t read-locks it with
 * lock_vma_under_rcu().  They never overlap: t fails while the VMA is write-locked, and w waits
 * for a reader that got in first.  Both outcomes of t's attempt happen. */
static int vl_writing, vl_failed, vl_locked;

static void vl_w(void *arg)
{
	(void)arg;
	mmap_write_lock(&mm);
	vma_start_write(anon_vma);
	WRITE_ONCE(vl_writing, 1);
	cpu_relax();
	WRITE_ONCE(vl_writing, 0);
	mmap_write_unlock(&mm);
}

static void vl_t(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2; i++) {
		struct vm_area_struct *vma = lock_vma_under_rcu(&mm, ANON_START + 16);
		if (!vma) {
			vl_failed++;
			continue;
		}
		LS_BUG_ON(vma != anon_vma || READ_ONCE(vl_writing));
		cpu_relax();
		LS_BUG_ON(READ_ONCE(vl_writing));
		vma_end_read(vma);
		vl_locked++;
	}
}

static void vl_init(int v)
{
	(void)v;
	mm_setup(2, true);
	vl_writing = 0;
}

static const struct ls_task_decl vl_tasks[] = {
	{ "t", 0, vl_t, NULL },
	{ "w", 1, vl_w, NULL },
};
LOCK_TARGET(vl_target, "test/mm-vma-lock", 2, vl_tasks, one_variant, vl_init);

static int test_per_vma_read_lock_excludes_a_vma_writer(void)
{
	vl_failed = vl_locked = 0;
	CHECK(sweep(&vl_target, 0, SEEDS, expect_clean) == TEST_PASS);
	fprintf(stderr, "  lock_vma_under_rcu: %d locked, %d refused\n", vl_locked, vl_failed);
	CHECK(vl_failed > 0 && vl_locked > 0);
	return TEST_PASS;
}

/* ---- the _nofault forms ------------------------------------------------------------------ */

/* w holds mmap_lock for write the whole time t runs: any access that took mmap_lock would hang.
 * An NMI on t's CPU reads t's memory too, through the interrupted task's mm. */
static int nf_stage;
static long nf_unmapped, nf_mapped, nf_kernel_user, nf_kernel, nf_nmi_mapped, nf_nmi_unmapped;
static unsigned long nf_inatomic;
static unsigned char nf_buf[8], nf_nmi_buf[8];
static const unsigned char nf_kernel_bytes[8] = "kernel!";
static int nf_nmis;

static void nf_writer(void *arg)
{
	(void)arg;
	mmap_write_lock(&mm);
	WRITE_ONCE(nf_stage, 1);
	smp_cond_load_acquire(&nf_stage, VAL == 2);
	mmap_write_unlock(&mm);
}

static void nf_task(void *arg)
{
	(void)arg;
	smp_cond_load_acquire(&nf_stage, VAL == 1);
	nf_unmapped = copy_from_user_nofault(nf_buf, USER(ANON_START), sizeof(nf_buf));
	nf_mapped = copy_from_user_nofault(nf_buf, USER(ANON_START + PAGE_SIZE), sizeof(nf_buf));
	nf_kernel_user = copy_from_kernel_nofault(nf_buf, (const void *)ANON_START, sizeof(nf_buf));
	unsigned char kbuf[8];
	nf_kernel = copy_from_kernel_nofault(kbuf, nf_kernel_bytes, sizeof(kbuf));
	if (nf_kernel == 0 && memcmp(kbuf, nf_kernel_bytes, sizeof(kbuf)) != 0)
		nf_kernel = 1;
	pagefault_disable();
	nf_inatomic = __copy_from_user_inatomic(kbuf, USER(ANON_START), sizeof(kbuf));
	pagefault_enable();
	WRITE_ONCE(nf_stage, 2);
}

static void nf_nmi(void *arg)
{
	(void)arg;
	nf_nmis++;
	nf_nmi_mapped = copy_from_user_nofault(nf_nmi_buf, USER(ANON_START + PAGE_SIZE),
					       sizeof(nf_nmi_buf));
	nf_nmi_unmapped = copy_from_user_nofault(nf_nmi_buf, USER(ANON_START), sizeof(nf_nmi_buf));
}

static void nf_init(int v)
{
	(void)v;
	mm_setup(2, false);
	nf_stage = nf_nmis = 0;
	nf_unmapped = nf_mapped = nf_kernel_user = nf_kernel = 99;
	nf_nmi_mapped = nf_nmi_unmapped = 99;
	nf_inatomic = 99;
}

static const struct ls_task_decl nf_tasks[] = {
	{ "t", 0, nf_task, NULL },
	{ "w", 1, nf_writer, NULL },
};
static const struct ls_irq_decl nf_nmi_decl[] = { { "nmi", 0x1, 1, nf_nmi, NULL } };
LOCK_TARGET(nf_target, "test/mm-nofault", 2, nf_tasks, one_variant, nf_init,
	    .nmis = nf_nmi_decl, .nnmis = 1);

static int nf_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, nf_unmapped == -EFAULT, "unmapped page: %ld", nf_unmapped);
	SEED_CHECK(r, nf_mapped == 0 && nf_buf[0] == 0 && nf_buf[7] == 7, "mapped page: %ld",
		   nf_mapped);
	SEED_CHECK(r, nf_kernel_user == -ERANGE, "kernel_nofault on a user address: %ld",
		   nf_kernel_user);
	SEED_CHECK(r, nf_kernel == 0, "kernel_nofault on kernel memory: %ld", nf_kernel);
	SEED_CHECK(r, nf_inatomic == 8, "inatomic copy under pagefault_disable() left %lu",
		   nf_inatomic);
	SEED_CHECK(r, !(anon_vma->ls_resident & 1), "a nofault access mapped the page");
	if (nf_nmis)
		SEED_CHECK(r, nf_nmi_mapped == 0 && nf_nmi_unmapped == -EFAULT,
			   "NMI: mapped %ld, unmapped %ld", nf_nmi_mapped, nf_nmi_unmapped);
	return TEST_PASS;
}

static int test_nofault_accesses_return_efault_without_taking_mmap_lock(void)
{
	nf_nmis = 0;
	CHECK(sweep(&nf_target, 0, SEEDS, nf_check) == TEST_PASS);
	return TEST_PASS;
}

/* ---- faulting accesses ------------------------------------------------------------------- */

/* One task: copies that fault pages in, run off the end of a VMA, or hit nothing; get_user and
 * put_user; and a faulting copy under a spinlock, which is a sleep in atomic context. */
static unsigned long acc_left_end, acc_left_to;
static int acc_get, acc_get_value, acc_put, acc_bad_get, acc_bad_value;
static unsigned char acc_buf[16];
static int acc_variant;
static DEFINE_SPINLOCK(acc_spin);

static void acc_task(void *arg)
{
	(void)arg;
	if (acc_variant == 1) {
		spin_lock(&acc_spin);
		(void)copy_from_user(acc_buf, USER(ANON_START), 4);
		spin_unlock(&acc_spin);
		return;
	}
	/* The last 8 bytes of the VMA, then 8 bytes beyond it. */
	acc_left_end = copy_from_user(acc_buf, USER(ANON_END - 8), sizeof(acc_buf));
	acc_get = get_user(acc_get_value, (int __user *)USER(ANON_START + 4));
	acc_put = put_user(0x5a5a5a5a, (int __user *)USER(ANON_START + 64));
	acc_bad_value = 7;
	acc_bad_get = get_user(acc_bad_value, (int __user *)USER(0x20000));
	static const unsigned char msg[4] = "msg";
	acc_left_to = copy_to_user(USER(ANON_START + 100), msg, sizeof(msg));
}

static void acc_init(int v)
{
	acc_variant = v;
	mm_setup(1, false);
	memset(acc_buf, 0xff, sizeof(acc_buf));
	acc_left_end = acc_left_to = 99;
	acc_get = acc_put = acc_bad_get = 99;
}

static const struct ls_variant acc_variants[] = {
	{ "accesses", "test", LS_KIND_NONE },
	{ "under-spinlock", "copy_from_user() in atomic context", LS_KIND_INVARIANT },
};
static const struct ls_task_decl acc_tasks[] = { { "t", 0, acc_task, NULL } };
LOCK_TARGET(acc_target, "test/mm-access", 1, acc_tasks, acc_variants, acc_init);

static int acc_check(const struct ls_result *r)
{
	if (acc_variant == 1) {
		SEED_CHECK(r, r->kind == LS_KIND_INVARIANT &&
				      strstr(r->signature, "BUG: sleeping function called from "
							   "invalid context at test_mm.c:"),
			   "outcome %s: %s", ls_kind_name(r->kind), r->signature);
		return TEST_PASS;
	}
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, acc_left_end == 8, "copy across the VMA end left %lu", acc_left_end);
	for (int i = 0; i < 8; i++)
		SEED_CHECK(r, acc_buf[i] == (unsigned char)(sizeof(anon_mem) - 8 + (size_t)i) &&
				      acc_buf[8 + i] == 0,
			   "byte %d: %#x, tail %#x", i, acc_buf[i], acc_buf[8 + i]);
	int want;
	memcpy(&want, anon_mem + 4, sizeof(want));
	SEED_CHECK(r, acc_get == 0 && acc_get_value == want, "get_user: %d, %#x", acc_get,
		   acc_get_value);
	SEED_CHECK(r, acc_put == 0 && anon_mem[64] == 0x5a, "put_user: %d", acc_put);
	SEED_CHECK(r, acc_bad_get == -EFAULT && acc_bad_value == 0, "get_user unmapped: %d, %d",
		   acc_bad_get, acc_bad_value);
	SEED_CHECK(r, acc_left_to == 0 && memcmp(anon_mem + 100, "msg", 4) == 0,
		   "copy_to_user left %lu", acc_left_to);
	SEED_CHECK(r, (anon_vma->ls_resident & 3) == 3, "resident %#llx",
		   (unsigned long long)anon_vma->ls_resident);
	return TEST_PASS;
}

static int test_user_accesses_fault_pages_in_and_return_bytes_not_copied(void)
{
	CHECK(sweep(&acc_target, 0, SEEDS, acc_check) == TEST_PASS);
	CHECK(sweep(&acc_target, 1, SEEDS, acc_check) == TEST_PASS);
	return TEST_PASS;
}

/* ---- the build-id ABBA (kernel-spec §3.4) ------------------------------------------------ */

/* t1 reads the build id of the VMA at EXEC_START under mmap_read_trylock(): kernel_read() takes
 * the inode's i_rwsem shared.  t2 writes into that file from a user buffer that is not mapped:
 * vfs_write() holds i_rwsem exclusive and faults, taking mmap_lock shared.  w takes mmap_lock
 * for write.  Buggy: some schedule closes t1 -> t2 -> w -> t1.  Fixed (the May 2026 fix):
 * t1 pins the file, drops mmap_lock, then reads: never. */
static int bid_variant;
static ssize_t bid_read, bid_written;
static unsigned char bid_buf[64];

static void bid_t1(void *arg)
{
	(void)arg;
	loff_t pos = 0;
	if (!mmap_read_trylock(&mm))
		return;
	struct vm_area_struct *vma = find_vma(&mm, EXEC_START);
	LS_BUG_ON(!vma || !vma->vm_file);
	if (bid_variant == 0) {
		bid_read = kernel_read(vma->vm_file, bid_buf, sizeof(bid_buf), &pos);
		mmap_read_unlock(&mm);
	} else {
		struct file *file = get_file(vma->vm_file);
		mmap_read_unlock(&mm);
		bid_read = kernel_read(file, bid_buf, sizeof(bid_buf), &pos);
		fput(file);
	}
}

static void bid_t2(void *arg)
{
	(void)arg;
	loff_t pos = 64;
	bid_written = vfs_write(&exe_file, (const char __user *)USER(ANON_START), 16, &pos);
}

static void bid_w(void *arg)
{
	(void)arg;
	mmap_write_lock(&mm);
	mmap_write_unlock(&mm);
}

static void bid_init(int v)
{
	bid_variant = v;
	mm_setup(3, false);
	bid_read = bid_written = -1;
	memset(bid_buf, 0, sizeof(bid_buf));
}

static const struct ls_variant bid_variants[] = {
	{ "buggy", "kernel_read() under mmap_lock", LS_KIND_DEADLOCK },
	{ "fixed", "pin the file, drop mmap_lock, then read", LS_KIND_NONE },
};
static const struct ls_task_decl bid_tasks[] = {
	{ "t1", 0, bid_t1, NULL },
	{ "t2", 1, bid_t2, NULL },
	{ "w", 2, bid_w, NULL },
};
LOCK_TARGET(bid_target, "test/mm-build-id", 3, bid_tasks, bid_variants, bid_init);

static int bid_check(const struct ls_result *r)
{
	if (bid_variant == 0 && r->kind == LS_KIND_DEADLOCK) {
		SEED_CHECK(r, strcmp(r->signature,
				     "deadlock: t1 waits in kernel_read on &sb->s_type->i_mutex_key "
				     "held by t2, which waits in do_user_addr_fault on &mm->mmap_lock "
				     "queued behind w, which waits in mmap_write_lock on &mm->mmap_lock "
				     "held by t1") == 0,
			   "signature %s", r->signature);
		return TEST_PASS;
	}
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s: %s", ls_kind_name(r->kind),
		   r->signature);
	SEED_CHECK(r, bid_written == 16, "vfs_write returned %zd", bid_written);
	if (bid_read >= 0)
		SEED_CHECK(r, bid_read == 64,
			   "kernel_read returned %zd", bid_read);
	if (bid_read > 0)
		SEED_CHECK(r, memcmp(bid_buf, "\177ELF", 4) == 0, "read no ELF magic");
	SEED_CHECK(r, exe_file.f_count.counter == 1, "f_count %ld", exe_file.f_count.counter);
	return TEST_PASS;
}

static int test_build_id_read_under_mmap_lock_deadlocks_with_a_file_writer_and_a_writer(void)
{
	CHECK(sweep(&bid_target, 0, SEEDS, bid_check) == TEST_PASS);
	print_kinds("buggy");
	CHECKF(sweep_kinds[LS_KIND_DEADLOCK] > 0, "no deadlock in %d seeds", SEEDS);
	CHECK(sweep(&bid_target, 1, SEEDS, bid_check) == TEST_PASS);
	CHECK(sweep_kinds[LS_KIND_NONE] == SEEDS);
	return TEST_PASS;
}

/* The validator sees the inversion without a hang: mmap_read_trylock() adds no dependency into
 * mmap_lock, but i_rwsem taken under it does, and vfs_write()'s might_fault() records
 * i_rwsem -> mmap_lock whether or not it faults.  The fixed variant records only the latter. */
static int bid_lockdep_check(const struct ls_result *r)
{
	if (bid_variant == 1 || r->kind == LS_KIND_NONE)
		return expect_clean(r);
	if (r->kind == LS_KIND_LOCKDEP)
		SEED_CHECK(r, strncmp(r->signature, "ABBA", 4) == 0 &&
				      strstr(r->signature, "&mm->mmap_lock") &&
				      strstr(r->signature, "&sb->s_type->i_mutex_key"),
			   "signature %s", r->signature);
	else
		SEED_CHECK(r, r->kind == LS_KIND_DEADLOCK, "outcome %s: %s",
			   ls_kind_name(r->kind), r->signature);
	return TEST_PASS;
}

static int test_validator_reports_the_build_id_inversion_and_not_the_fix(void)
{
	CHECK(sweep_mode(&bid_target, 0, SEEDS, LS_LOCKDEP_ON, bid_lockdep_check) == TEST_PASS);
	print_kinds("buggy, validator on");
	CHECKF(sweep_kinds[LS_KIND_LOCKDEP] > 0, "the validator never reported the inversion");
	CHECK(sweep_mode(&bid_target, 1, SEEDS, LS_LOCKDEP_ON, bid_lockdep_check) == TEST_PASS);
	return TEST_PASS;
}

/* ---- current ----------------------------------------------------------------------------- */

/* current is the running task, and in an NMI the task it interrupted. */
static const char *cur_seen[2];
static const char *cur_nmi_seen;
static struct mm_struct *cur_nmi_mm;

static void cur_task(void *arg)
{
	int me = (int)(intptr_t)arg;
	cur_seen[me] = current->comm;
	cpu_relax();
}

static void cur_nmi(void *arg)
{
	(void)arg;
	cur_nmi_seen = current->comm;
	cur_nmi_mm = current->mm;
}

static void cur_init(int v)
{
	(void)v;
	mm_setup(0, false);
	ls_set_task_mm(0, &mm);
	cur_seen[0] = cur_seen[1] = cur_nmi_seen = NULL;
	cur_nmi_mm = NULL;
}

static const struct ls_task_decl cur_tasks[] = {
	{ "alpha", 0, cur_task, (void *)0 },
	{ "beta", 1, cur_task, (void *)1 },
};
static const struct ls_irq_decl cur_nmi_decl[] = { { "nmi", 0x1, 1, cur_nmi, NULL } };
LOCK_TARGET(cur_target, "test/mm-current", 2, cur_tasks, one_variant, cur_init,
	    .nmis = cur_nmi_decl, .nnmis = 1);

static int cur_check(const struct ls_result *r)
{
	SEED_CHECK(r, r->kind == LS_KIND_NONE, "outcome %s", ls_kind_name(r->kind));
	SEED_CHECK(r, cur_seen[0] && strcmp(cur_seen[0], "alpha") == 0, "alpha saw %s",
		   cur_seen[0] ? cur_seen[0] : "nothing");
	SEED_CHECK(r, cur_seen[1] && strcmp(cur_seen[1], "beta") == 0, "beta saw %s",
		   cur_seen[1] ? cur_seen[1] : "nothing");
	if (cur_nmi_seen)
		SEED_CHECK(r, strcmp(cur_nmi_seen, "alpha") == 0 && cur_nmi_mm == &mm,
			   "the NMI saw %s", cur_nmi_seen);
	return TEST_PASS;
}

static int test_current_is_the_running_task_or_the_interrupted_one(void)
{
	return sweep(&cur_target, 0, SEEDS, cur_check);
}

/* ---- determinism ------------------------------------------------------------------------- */

/* The same seed gives the same trace, run twice in a row and in a second session: no model state
 * (lock generations, task states, object names) leaks from one execution into the next. */
static int test_same_seed_gives_the_same_trace_through_every_model(void)
{
	struct ls_session s1, s2;
	struct ls_config cfg;
	char err[256];
	ls_config_default(&cfg);
	CHECK(ls_session_init(&s1, &bid_target, 0, &cfg, err, sizeof(err)));
	CHECK(ls_session_init(&s2, &bid_target, 0, &cfg, err, sizeof(err)));
	s1.lockdep = s2.lockdep = LS_LOCKDEP_OFF;
	struct ls_buf a = { 0 }, b = { 0 }, c = { 0 };
	int rc = TEST_PASS;
	for (uint64_t seed = 0; seed < SEEDS / 4 && rc == TEST_PASS; seed++) {
		struct ls_result ra, rb, rc2;
		run_random(&s1, seed, &ra, &a);
		run_random(&s1, seed, &rb, &b);
		run_random(&s2, seed, &rc2, &c);
		if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0 || a.len != c.len ||
		    memcmp(a.s, c.s, a.len) != 0) {
			fprintf(stderr, "seed %" PRIu64 ": traces differ:\n%s\n---\n%s\n---\n%s\n", seed,
				a.s, b.s, c.s);
			rc = TEST_FAIL;
		}
	}
	ls_buf_finish(&a);
	ls_buf_finish(&b);
	ls_buf_finish(&c);
	ls_session_finish(&s1);
	ls_session_finish(&s2);
	return rc;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_fault_under_mmap_read_lock_deadlocks_only_with_a_queued_writer, status);
	RUN(test_per_vma_read_lock_excludes_a_vma_writer, status);
	RUN(test_nofault_accesses_return_efault_without_taking_mmap_lock, status);
	RUN(test_user_accesses_fault_pages_in_and_return_bytes_not_copied, status);
	RUN(test_build_id_read_under_mmap_lock_deadlocks_with_a_file_writer_and_a_writer, status);
	RUN(test_validator_reports_the_build_id_inversion_and_not_the_fix, status);
	RUN(test_current_is_the_running_task_or_the_interrupted_one, status);
	RUN(test_same_seed_gives_the_same_trace_through_every_model, status);
	return status;
}

/* mytarget: a sampling NMI appends to a buffer that two tasks fill under a spinlock.
 *
 *   CPU0 (writer0), CPU1 (writer1)    NMI "sampler" (on either CPU, once per CPU)
 *   for each of 2 events:             buggy: spin_lock(&buf_lock);
 *       spin_lock(&buf_lock);                append(SAMPLE);
 *       append(EVENT);                       spin_unlock(&buf_lock);
 *       spin_unlock(&buf_lock);       fixed: if (!spin_trylock(&buf_lock)) { dropped++; return; }
 *                                            append(SAMPLE);
 *                                            spin_unlock(&buf_lock);
 *
 * An NMI runs on top of whatever its CPU was doing, and the interrupted task cannot continue until
 * the handler returns.  An NMI landing on CPU1 while writer0 holds buf_lock just waits for CPU0 to
 * release it; one landing on the CPU whose writer holds buf_lock spins forever.  Hence the rule
 * that NMI code may only trylock, and must cope with failing.
 *
 * Expected:
 *   buggy  deadlock: "writer0 (or writer1) is interrupted by nmi@cpuN, which waits in spin_lock
 *          on buf_lock held by" that writer; one interrupt inside a critical section suffices;
 *   fixed  never.  The check after each clean execution asserts that every event and every
 *          sample that got the lock is in the buffer, once.
 *
 * Build and run it (docs/out-of-tree.md):
 *   cc -shared -fPIC $(pkg-config --cflags --libs lockstep) -o mytarget.so mytarget.c
 *   lockstep list ./mytarget.so
 *   lockstep fuzz ./mytarget.so:buggy --execs 2000
 */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

#define EVENTS_PER_WRITER 2
#define NWRITERS 2
#define BUF_CAP (NWRITERS * EVENTS_PER_WRITER + NWRITERS)	/* every event, one sample per CPU */

enum { BUGGY, FIXED };
enum { EVENT = 1, SAMPLE = 2 };

/* All state is static and reset by init() before every execution. */
static DEFINE_SPINLOCK(buf_lock);
static struct {
	int len;
	int entries[BUF_CAP];
} buf;
static int variant;
static int sampled, dropped;	/* the sampler's bookkeeping: plain ints, not scheduling points */

/* Called with buf_lock held. */
static void append(int what)
{
	int n = READ_ONCE(buf.len);
	LS_BUG_ON(n >= BUF_CAP);
	WRITE_ONCE(buf.entries[n], what);
	WRITE_ONCE(buf.len, n + 1);
}

static void writer_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < EVENTS_PER_WRITER; i++) {
		spin_lock(&buf_lock);
		append(EVENT);
		spin_unlock(&buf_lock);
	}
}

static void sampler_fn(void *arg)
{
	(void)arg;
	if (variant == BUGGY) {
		spin_lock(&buf_lock);
	} else if (!spin_trylock(&buf_lock)) {
		dropped++;
		return;
	}
	append(SAMPLE);
	sampled++;
	spin_unlock(&buf_lock);
}

static void init(int v)
{
	variant = v;
	spin_lock_init(&buf_lock);
	buf.len = 0;
	for (int i = 0; i < BUF_CAP; i++)
		buf.entries[i] = 0;
	sampled = dropped = 0;
}

static void check(int v)
{
	(void)v;
	int events = 0, samples = 0;
	for (int i = 0; i < buf.len; i++) {
		events += buf.entries[i] == EVENT;
		samples += buf.entries[i] == SAMPLE;
	}
	LS_BUG_ON(events != NWRITERS * EVENTS_PER_WRITER);
	LS_BUG_ON(samples != sampled);
	LS_BUG_ON(buf.len != events + samples);
}

static const struct ls_task_decl tasks[] = {
	{ "writer0", 0, writer_fn, NULL },
	{ "writer1", 1, writer_fn, NULL },
};

static const struct ls_irq_decl nmis[] = {
	{ "sampler", 0x3, 1, sampler_fn, NULL },
};

static const struct ls_variant variants[] = {
	{ .name = "buggy",
	  .summary = "the sampling NMI spins on buf_lock: AA when it lands on the holder's CPU",
	  .expect = LS_KIND_DEADLOCK },
	{ .name = "fixed",
	  .summary = "the sampling NMI trylocks and drops the sample when buf_lock is busy",
	  .expect = LS_KIND_NONE },
};

static const struct ls_target mytarget = {
	.name = "mytarget",
	.summary = "two writers fill a buffer under a spinlock, a sampling NMI appends too",
	.models = "spin_lock() from NMI context vs spin_trylock() (perf-style sampling)",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = 2,
	.init = init,
	.check = check,
};

LS_TARGET_EXPORT(mytarget);

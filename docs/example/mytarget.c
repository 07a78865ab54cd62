/* mytarget: a sampling NMI appends to a buffer that two tasks fill under a spinlock, and a softirq
 * flushes that buffer into a second one of the same lock class.
 *
 *   CPU0 (writer0), CPU1 (writer1)     softirq "flush" (TASKLET_SOFTIRQ, raised by the writers)
 *   for each of 2 events:              spin_lock(&bufs[OUT].lock);
 *       spin_lock_bh(&bufs[IN].lock);  spin_lock_nested(&bufs[IN].lock, SINGLE_DEPTH_NESTING);
 *       append(IN, EVENT);             move every entry of bufs[IN] to bufs[OUT];
 *       spin_unlock_bh(&bufs[IN].lock);spin_unlock(&bufs[IN].lock);
 *       raise_softirq(TASKLET_SOFTIRQ);spin_unlock(&bufs[OUT].lock);
 *
 *   NMI "sampler" (on either CPU, once per CPU)
 *     buggy:    spin_lock(&bufs[IN].lock); append(IN, SAMPLE); spin_unlock(...);
 *     fixed:    if (!spin_trylock(&bufs[IN].lock)) { dropped++; return; } ...
 *     unnested: as fixed, but the flush takes the inner lock with plain spin_lock().
 *
 * Both buffers' locks are initialised at one line, so they are one lock class, as an array of
 * kernel objects would be.  Taking one while holding the other is fine here (always OUT, then IN),
 * and the flush says so with SINGLE_DEPTH_NESTING; without it (unnested) the validator reports
 * what lockdep would: "possible recursive locking detected".  The writers take bufs[IN].lock with
 * spin_lock_bh() because the flush softirq takes it too: a softirq landing on a writer that holds
 * it with bottom halves on would spin forever.
 *
 * An NMI runs on top of whatever its CPU was doing, and what it interrupted cannot continue until
 * the handler returns.  An NMI that spins on bufs[IN].lock while its own CPU holds it (a writer, or
 * the flush) spins forever.  Hence the rule that NMI code may only trylock, and must cope with
 * failing.
 *
 * Expected:
 *   buggy     deadlock: "writer0 (or writer1, or the softirq) is interrupted by nmi@cpuN, which
 *             waits in spin_lock on bufs[IN].lock held by" it;
 *   fixed     never.  The check after each clean execution asserts that every event and every
 *             sample that got the lock is in one of the buffers, once;
 *   unnested  lockdep: possible recursive locking (bufs[i].lock).
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

enum { BUGGY, FIXED, UNNESTED };
enum { EVENT = 1, SAMPLE = 2 };
enum { IN, OUT };

/* All state is static and reset by init() before every execution. */
static struct buf {
	spinlock_t lock;
	int len;
	int entries[BUF_CAP];
} bufs[2];
static int variant;
static int sampled, dropped;	/* the sampler's bookkeeping: plain ints, not scheduling points */

/* Called with bufs[b].lock held. */
static void append(int b, int what)
{
	int n = READ_ONCE(bufs[b].len);
	LS_BUG_ON(n >= BUF_CAP);
	WRITE_ONCE(bufs[b].entries[n], what);
	WRITE_ONCE(bufs[b].len, n + 1);
}

static void writer_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < EVENTS_PER_WRITER; i++) {
		spin_lock_bh(&bufs[IN].lock);
		append(IN, EVENT);
		spin_unlock_bh(&bufs[IN].lock);
		raise_softirq(TASKLET_SOFTIRQ);
	}
}

/* The softirq: moves what the writers and the sampler appended into bufs[OUT]. */
static void flush_fn(void)
{
	spin_lock(&bufs[OUT].lock);
	if (variant == UNNESTED)
		spin_lock(&bufs[IN].lock);
	else
		spin_lock_nested(&bufs[IN].lock, SINGLE_DEPTH_NESTING);
	int n = READ_ONCE(bufs[IN].len);
	for (int i = 0; i < n; i++)
		append(OUT, READ_ONCE(bufs[IN].entries[i]));
	WRITE_ONCE(bufs[IN].len, 0);
	spin_unlock(&bufs[IN].lock);
	spin_unlock(&bufs[OUT].lock);
}

static void sampler_fn(void *arg)
{
	(void)arg;
	if (variant == BUGGY) {
		spin_lock(&bufs[IN].lock);
	} else if (!spin_trylock(&bufs[IN].lock)) {
		dropped++;
		return;
	}
	append(IN, SAMPLE);
	sampled++;
	spin_unlock(&bufs[IN].lock);
}

static void init(int v)
{
	variant = v;
	for (int b = 0; b < 2; b++) {
		spin_lock_init(&bufs[b].lock);	/* one line: one lock class for both */
		bufs[b].len = 0;
		for (int i = 0; i < BUF_CAP; i++)
			bufs[b].entries[i] = 0;
	}
	sampled = dropped = 0;
	open_softirq(TASKLET_SOFTIRQ, flush_fn);
}

static void check(int v)
{
	(void)v;
	int events = 0, samples = 0;
	for (int b = 0; b < 2; b++)
		for (int i = 0; i < bufs[b].len; i++) {
			events += bufs[b].entries[i] == EVENT;
			samples += bufs[b].entries[i] == SAMPLE;
		}
	LS_BUG_ON(events != NWRITERS * EVENTS_PER_WRITER);
	LS_BUG_ON(samples != sampled);
	LS_BUG_ON(bufs[IN].len + bufs[OUT].len != events + samples);
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
	  .summary = "the sampling NMI spins on the buffer lock: AA when it lands on the holder's CPU",
	  .expect = LS_KIND_DEADLOCK },
	{ .name = "fixed",
	  .summary = "the sampling NMI trylocks and drops the sample when the buffer lock is busy",
	  .expect = LS_KIND_NONE },
	{ .name = "unnested",
	  .summary = "the flush takes the second lock of the class without a nesting annotation",
	  .expect = LS_KIND_LOCKDEP },
};

static const struct ls_target mytarget = {
	.name = "mytarget",
	.summary = "writers fill a buffer under a spinlock, a sampling NMI appends, a softirq flushes",
	.models = "spin_lock() from NMI context vs spin_trylock(); softirq vs spin_lock_bh(); "
		  "spin_lock_nested() on two locks of one class",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.nvariants = 3,
	.init = init,
	.check = check,
};

LS_TARGET_EXPORT(mytarget);

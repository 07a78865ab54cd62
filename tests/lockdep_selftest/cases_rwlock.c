/* Read locks: which read-after-read and read/write mixes of one class are recursion, the ABBA
 * orders through a read hold, the three-lock read/write chains, and the queued-rwlock cases
 * (read_lock() in a task is a non-recursive read once force_read_lock_recursive is off).
 *
 * rwlock_t reads are recursive here (the selftest forces them), rw_semaphore reads never are. */
#include "selftest.h"

/* ---- recursive read-lock, mixed read-write, mixed write-read ----------------------------- */

static void rlock_AA1(void)
{
	RL(X1);
	RL(X1);		/* a recursive read of a read-held lock: allowed */
	RU(X1);
	RU(X1);
}

static void rsem_AA1(void)
{
	RSL(X1);
	RSL(X1);	/* down_read() is not recursive: a waiting writer would block it */
	RSU(X1);
	RSU(X1);
}

static void rlock_AA1B(void)
{
	RL(X1);
	RL(X2);
	RU(X2);
	RU(X1);
}

static void rsem_AA1B(void)
{
	RSL(X1);
	RSL(X2);
	RSU(X2);
	RSU(X1);
}

static void rlock_AA2(void)
{
	RL(X1);
	WL(X2);
	WU(X2);
	RU(X1);
}

static void rsem_AA2(void)
{
	RSL(X1);
	WSL(X2);
	WSU(X2);
	RSU(X1);
}

static void rlock_AA3(void)
{
	WL(X1);
	RL(X2);
	RU(X2);
	WU(X1);
}

static void rsem_AA3(void)
{
	WSL(X1);
	RSL(X2);
	RSU(X2);
	WSU(X1);
}

/* ---- ABBA through a read hold ------------------------------------------------------------ */

/* read(X1) -> spin(Y1), then spin(Y1) -> write(X1): a writer behind the reader's spin. */
static void rlock_ABBA1(void)
{
	RL(X1);
	L(Y1);
	U(Y1);
	RU(X1);

	L(Y1);
	WL(X1);
	WU(X1);
	U(Y1);
}

static void rwsem_ABBA1(void)
{
	RSL(X1);
	ML(Y1);
	MU(Y1);
	RSU(X1);

	ML(Y1);
	WSL(X1);
	WSU(X1);
	MU(Y1);
}

/* As rlock_ABBA1 with a read-after-spin between: the cycle must still be found once the write
 * comes (lockdep's chain cache once hid it). */
static void rlock_chaincache_ABBA1(void)
{
	RL(X1);
	L(Y1);
	U(Y1);
	RU(X1);

	L(Y1);
	RL(X1);
	RU(X1);
	U(Y1);

	L(Y1);
	WL(X1);
	WU(X1);
	U(Y1);
}

/* read -> spin, spin -> read: recursive readers never wait for each other, so no cycle. */
static void rlock_ABBA2(void)
{
	RL(X1);
	L(Y1);
	U(Y1);
	RU(X1);

	L(Y1);
	RL(X1);
	RU(X1);
	U(Y1);
}

/* The same with down_read(): a writer queued between the two reads closes the cycle. */
static void rwsem_ABBA2(void)
{
	RSL(X1);
	ML(Y1);
	MU(Y1);
	RSU(X1);

	ML(Y1);
	RSL(X1);
	RSU(X1);
	MU(Y1);
}

static void rlock_ABBA3(void)
{
	WL(X1);
	L(Y1);
	U(Y1);
	WU(X1);

	L(Y1);
	WL(X1);
	WU(X1);
	U(Y1);
}

static void rwsem_ABBA3(void)
{
	WSL(X1);
	ML(Y1);
	MU(Y1);
	WSU(X1);

	ML(Y1);
	WSL(X1);
	WSU(X1);
	MU(Y1);
}

/* ---- read/write chains through three rwlocks --------------------------------------------- */

/* Each chain is three two-lock events, run in all six orders.  A cycle deadlocks unless a
 * recursive read is followed by a lock that holds its predecessor for read (lockdep's strong
 * path: no -(*R)-> followed by -(S*)->). */
#define CHAIN_EVENT(fn, take1, x, take2, y, drop2, drop1)                                        \
	static void fn(void)                                                                     \
	{                                                                                        \
		take1(x);                                                                        \
		take2(y);                                                                        \
		drop2(y);                                                                        \
		drop1(x);                                                                        \
	}

/* write-read / write-read / write-read: a deadlock even with recursive reads. */
CHAIN_EVENT(w1r2, WL, X1, RL, Y1, RU, WU)
CHAIN_EVENT(w2r3, WL, Y1, RL, Z1, RU, WU)
CHAIN_EVENT(w3r1, WL, Z1, RL, X1, RU, WU)
/* write-write / read-read / write-read: a deadlock. */
CHAIN_EVENT(w1w2, WL, X1, WL, Y1, WU, WU)
CHAIN_EVENT(r2r3, RL, Y1, RL, Z1, RU, RU)
/* ... / read-write: none (Z1 is read after a recursive read of it was the way in). */
CHAIN_EVENT(r3w1, RL, Z1, WL, X1, WU, RU)
/* write-read / read-read / write-write: none. */
CHAIN_EVENT(w3w1, WL, Z1, WL, X1, WU, WU)

/* ---- queued read locks (force_read_lock_recursive = 0) ----------------------------------- */

/* At this point of the selftest LOCK() is the wlock column's: B is write_lock(&rwlock_B). */

static void read_then_write_b(void)
{
	RL(A);
	WL(B);
	WU(B);
	RU(A);
}

static void write_b_then_read(void)
{
	WL(B);
	RL(A);
	RU(A);
	WU(B);
}

static void write_b(void)
{
	WL(B);
	WU(B);
}

/* In a hardirq: read(A) -> B, recursive.  In the task, irqs off: B -> read(A), non-recursive:
 * a writer waiting on A makes that read wait, and the interrupt's read waits on B. */
static void queued_read_lock_hardirq_RE_Er(void)
{
	st_hardirq(read_then_write_b, true);
	local_irq_disable();
	write_b_then_read();
	local_irq_enable();
}

/* In a hardirq: B -> read(A), recursive.  In the task: read(A) -> B.  The interrupt's reader
 * never waits for a writer, so there is no cycle. */
static void queued_read_lock_hardirq_ER_rE(void)
{
	st_hardirq(write_b_then_read, true);
	local_irq_disable();
	read_then_write_b();
	local_irq_enable();
}

/* B is hardirq-safe; B -> read(A) with irqs off; then read(A) with irqs on: both reads are
 * non-recursive, so a waiting writer turns read(A) into an irq-unsafe wait under B. */
static void queued_read_lock_hardirq_inversion(void)
{
	st_hardirq(write_b, true);
	local_irq_disable();
	write_b_then_read();
	local_irq_enable();
	RL(A);
	RU(A);
}

void st_cases_rwlock(void)
{
	st_add("rlock_AA1", rlock_AA1, K_RLOCK, SUCCESS);
	st_add("rsem_AA1", rsem_AA1, K_RSEM, F_AA);
	st_add("rlock_AA1B", rlock_AA1B, K_RLOCK, SUCCESS);
	st_add("rsem_AA1B", rsem_AA1B, K_RSEM, F_AA);
	st_add("rlock_AA2", rlock_AA2, K_RLOCK, F_AA);
	st_add("rsem_AA2", rsem_AA2, K_RSEM, F_AA);
	st_add("rlock_AA3", rlock_AA3, K_RLOCK, F_AA);
	st_add("rsem_AA3", rsem_AA3, K_RSEM, F_AA);

	st_add("rlock_ABBA1", rlock_ABBA1, K_RLOCK, F_CYCLE);
	st_add("rwsem_ABBA1", rwsem_ABBA1, K_RSEM, F_CYCLE);
	st_add("rlock_ABBA2", rlock_ABBA2, K_RLOCK, SUCCESS);
	st_add("rwsem_ABBA2", rwsem_ABBA2, K_RSEM, F_CYCLE);
	st_add("rlock_ABBA3", rlock_ABBA3, K_RLOCK, F_CYCLE);
	st_add("rwsem_ABBA3", rwsem_ABBA3, K_RSEM, F_CYCLE);
	st_add("rlock_chaincache_ABBA1", rlock_chaincache_ABBA1, K_RLOCK, F_CYCLE);

	static void (*const w1r2_w2r3_w3r1[3])(void) = { w1r2, w2r3, w3r1 };
	static void (*const w1w2_r2r3_w3r1[3])(void) = { w1w2, r2r3, w3r1 };
	static void (*const w1w2_r2r3_r3w1[3])(void) = { w1w2, r2r3, r3w1 };
	static void (*const w1r2_r2r3_w3w1[3])(void) = { w1r2, r2r3, w3w1 };
	st_add_perms("W1R2_W2R3_W3R1", w1r2_w2r3_w3r1, 3, K_RLOCK, IRQ_HARD, F_CYCLE);
	st_add_perms("W1W2_R2R3_W3R1", w1w2_r2r3_w3r1, 3, K_RLOCK, IRQ_HARD, F_CYCLE);
	st_add_perms("W1W2_R2R3_R3W1", w1w2_r2r3_r3w1, 3, K_RLOCK, IRQ_HARD, SUCCESS);
	st_add_perms("W1R2_R2R3_W3W1", w1r2_r2r3_w3w1, 3, K_RLOCK, IRQ_HARD, SUCCESS);

	st_add("queued_read_lock_hardirq_RE_Er", queued_read_lock_hardirq_RE_Er, K_RLOCK, F_CYCLE)
		->queued = true;
	st_add("queued_read_lock_hardirq_ER_rE", queued_read_lock_hardirq_ER_rE, K_RLOCK, SUCCESS)
		->queued = true;
	st_add("queued_read_lock_hardirq_inversion", queued_read_lock_hardirq_inversion, K_RLOCK,
	       F_IRQ)->queued = true;
}

/* Interrupt safety: a lock taken in an interrupt must never be held, or lead to a lock held,
 * with that interrupt enabled.  Each family is a few events run in every order, for the hard
 * and soft variants and the spin, rlock and wlock columns, as the selftest's DO_TESTCASE_2x6,
 * 6x6, 6x6RW and 6x2x2RW tables run them.
 *
 * IRQ_ENTER is st_irq_run() (a real hardirq or softirq), IRQ_DISABLE/ENABLE are local_irq_* or
 * local_bh_* for the variant.  A read of the rlock column is recursive, and a lock read in an
 * interrupt is compatible with reads made with that interrupt on: those columns pass. */
#include "selftest.h"

/* ---- events ------------------------------------------------------------------------------ */

static void lock_unlock_a(void)
{
	LOCK(A);
	UNLOCK(A);
}

static void lock_unlock_b(void)
{
	LOCK(B);
	UNLOCK(B);
}

static void irq_a(void)
{
	st_irq_run(lock_unlock_a);
}

/* A, then B under it, interrupts on. */
static void a_then_b(void)
{
	LOCK(A);
	LOCK(B);
	UNLOCK(B);
	UNLOCK(A);
}

/* The same with the variant's interrupt off around it. */
static void a_then_b_irqs_off(void)
{
	st_irq_disable();
	a_then_b();
	st_irq_enable();
}

/* irqsafe2A: A taken with hardirqs off, then hardirqs on (softirqs on all along) while held. */
static void a_hardirqs_on_held(void)
{
	local_irq_disable();
	LOCK(A);
	local_irq_enable();
	UNLOCK(A);
}

static void softirq_a(void)
{
	st_softirq(lock_unlock_a);
}

/* irqsafe2B: A taken with the interrupt off, which comes back on while A is held. */
static void a_irq_on_held(void)
{
	st_irq_disable();
	LOCK(A);
	st_irq_enable();
	UNLOCK(A);
}

/* irq_inversion: write(A) -> B with the interrupt off; B with it on; read(A) in it. */
static void write_a_then_b_irqs_off(void)
{
	st_irq_disable();
	WL(A);
	LOCK(B);
	UNLOCK(B);
	WU(A);
	st_irq_enable();
}

static void read_a(void)
{
	RL(A);
	RU(A);
}

static void irq_read_a(void)
{
	st_irq_run(read_a);
}

/* irq_read_recursion: write(A) with the interrupt off, read(A) with it on, and in it the
 * column's A, then spin(B) under it. */
static void write_a_irqs_off(void)
{
	st_irq_disable();
	WL(A);
	WU(A);
	st_irq_enable();
}

static void a_then_spin_b(void)
{
	LOCK(A);
	L(B);
	U(B);
	UNLOCK(A);
}

static void irq_a_then_spin_b(void)
{
	st_irq_run(a_then_spin_b);
}

/* irq_read_recursion2: spin(B) -> column's A with the interrupt off; read(A) with it on;
 * spin(B) in it. */
static void spin_b_then_a_irqs_off(void)
{
	st_irq_disable();
	L(B);
	LOCK(A);
	UNLOCK(A);
	U(B);
	st_irq_enable();
}

static void spin_b(void)
{
	L(B);
	U(B);
}

static void irq_spin_b(void)
{
	st_irq_run(spin_b);
}

/* irq_read_recursion3: write(B) -> column's A with the interrupt off; read(A) with it on;
 * read(B) in it. */
static void write_b_then_a_irqs_off(void)
{
	st_irq_disable();
	WL(B);
	LOCK(A);
	UNLOCK(A);
	WU(B);
	st_irq_enable();
}

static void read_b(void)
{
	RL(B);
	RU(B);
}

static void irq_read_b(void)
{
	st_irq_run(read_b);
}

/* ---- hardirq_unsafe_softirq_safe --------------------------------------------------------- */

static void spin_a(void)
{
	spin_lock(&A.spin);
	spin_unlock(&A.spin);
}

static void spin_d(void)
{
	spin_lock(&D.spin);
	spin_unlock(&D.spin);
}

static void spin_pair_irqs_off(spinlock_t *x, spinlock_t *y)
{
	local_irq_disable();
	spin_lock(x);
	spin_lock(y);
	spin_unlock(y);
	spin_unlock(x);
	local_irq_enable();
}

/* mutex_A -> C -> D is softirq-unsafe -> softirq-safe, harmless; A -> B -> C -> D is
 * hardirq-safe -> hardirq-unsafe, a deadlock, found when C -> D closes the chain. */
static void hardirq_unsafe_softirq_safe(void)
{
	mutex_lock(&A.mutex);
	local_irq_disable();
	spin_lock(&C.spin);
	spin_unlock(&C.spin);
	local_irq_enable();
	mutex_unlock(&A.mutex);

	st_hardirq(spin_a, true);			/* A is hardirq-safe */
	spin_pair_irqs_off(&A.spin, &B.spin);		/* A -> B */
	spin_pair_irqs_off(&B.spin, &C.spin);		/* B -> C */
	st_softirq(spin_d);				/* D is softirq-safe */
	local_bh_disable();				/* and hardirq-unsafe */
	spin_lock(&D.spin);
	spin_unlock(&D.spin);
	local_bh_enable();
	spin_pair_irqs_off(&C.spin, &D.spin);		/* C -> D */
}

/* ---- the tables -------------------------------------------------------------------------- */

static const char *const irq_names[] = { [IRQ_HARD] = "hard", [IRQ_SOFT] = "soft" };

/* One family for columns spin, rlock and wlock (DO_TESTCASE_3 and _3RW: the rlock column
 * passes) or wlock and rlock only (DO_TESTCASE_2RW), over n events, in the given variants. */
static void family(const char *stem, void (*const ev[3])(void), int n, bool with_spin,
		   bool hard, bool soft)
{
	static const enum st_kind three[] = { K_SPIN, K_RLOCK, K_WLOCK };
	for (int irq = IRQ_HARD; irq <= IRQ_SOFT; irq++) {
		if ((irq == IRQ_HARD && !hard) || (irq == IRQ_SOFT && !soft))
			continue;
		for (int k = with_spin ? 0 : 1; k < 3; k++) {
			char name[56];
			if (hard && soft)
				snprintf(name, sizeof(name), "%s_%s_%s", stem, irq_names[irq],
					 st_kind_name[three[k]]);
			else
				snprintf(name, sizeof(name), "%s_%s", stem, st_kind_name[three[k]]);
			st_add_perms(name, ev, n, three[k], (enum st_irq)irq,
				     three[k] == K_RLOCK ? SUCCESS : F_IRQ);
		}
	}
}

void st_cases_irq(void)
{
	/* irqs-on + irq-safe-A */
	static void (*const irqsafe1[3])(void) = { irq_a, lock_unlock_a };
	family("irqsafe1", irqsafe1, 2, true, true, true);
	/* sirq-safe-A => hirqs-on */
	static void (*const irqsafe2A[3])(void) = { softirq_a, a_hardirqs_on_held };
	family("irqsafe2A", irqsafe2A, 2, true, false, true);
	/* safe-A + irqs-on */
	static void (*const irqsafe2B[3])(void) = { irq_a, a_irq_on_held };
	family("irqsafe2B", irqsafe2B, 2, true, true, true);
	/* safe-A + unsafe-B #1 */
	static void (*const irqsafe3[3])(void) = { a_then_b, lock_unlock_b, irq_a };
	family("irqsafe3", irqsafe3, 3, true, true, true);
	/* safe-A + unsafe-B #2 */
	static void (*const irqsafe4[3])(void) = { a_then_b_irqs_off, lock_unlock_b, irq_a };
	family("irqsafe4", irqsafe4, 3, true, true, true);
	/* irq lock-inversion */
	static void (*const irq_inversion[3])(void) = { write_a_then_b_irqs_off, lock_unlock_b,
							irq_read_a };
	family("irq_inversion", irq_inversion, 3, true, true, true);
	/* irq read-recursion, #2, #3 */
	static void (*const irq_read_recursion[3])(void) = { write_a_irqs_off, read_a,
							     irq_a_then_spin_b };
	family("irq_read_recursion", irq_read_recursion, 3, false, true, true);
	static void (*const irq_read_recursion2[3])(void) = { spin_b_then_a_irqs_off, read_a,
							      irq_spin_b };
	family("irq_read_recursion2", irq_read_recursion2, 3, false, true, true);
	static void (*const irq_read_recursion3[3])(void) = { write_b_then_a_irqs_off, read_a,
							      irq_read_b };
	family("irq_read_recursion3", irq_read_recursion3, 3, false, true, true);

	st_add("hardirq_unsafe_softirq_safe", hardirq_unsafe_softirq_safe, K_SPIN, F_IRQ);
}

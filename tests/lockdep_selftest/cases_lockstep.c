/* Where lockstep's default mode deliberately says more than lockdep, and --lockdep-compat says
 * what lockdep says.  Those cases are named lockstep_*:
 *
 *   - an interrupt that takes the very lock instance its interrupted context holds spins
 *     forever, whatever the class's usage history: the default mode reports it as AA through an
 *     interrupt, before the usage conflict lockdep reports;
 *   - lockdep is off inside NMIs but for verify_lock_unused(); the default mode tracks NMIs like
 *     any other context, so it finds an NMI lock-order cycle, and a task's use of a lock some NMI
 *     already took.
 *
 * nmi_after_task_raw is the control: lockdep's one NMI check finds it, in both modes.  NMI cases
 * use raw_spinlock_t, the only lock an NMI may take. */
#include "selftest.h"

static void spin_a(void)
{
	spin_lock(&A.spin);
	spin_unlock(&A.spin);
}

static void write_a(void)
{
	WL(A);
	WU(A);
}

static void read_a(void)
{
	RL(A);
	RU(A);
}

static void raw_a(void)
{
	raw_spin_lock(&A.raw);
	raw_spin_unlock(&A.raw);
}

static void raw_pair(raw_spinlock_t *x, raw_spinlock_t *y)
{
	raw_spin_lock(x);
	raw_spin_lock(y);
	raw_spin_unlock(y);
	raw_spin_unlock(x);
}

static void raw_a_then_b(void)
{
	raw_pair(&A.raw, &B.raw);
}

static void raw_b_then_a(void)
{
	raw_pair(&B.raw, &A.raw);
}

/* The task holds A with interrupts on; a hardirq takes A and spins on it forever.  lockdep:
 * inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W}. */
static void irq_takes_held_instance_spin(void)
{
	spin_lock(&A.spin);
	st_hardirq(spin_a, true);
	spin_unlock(&A.spin);
}

static void irq_takes_held_instance_wlock(void)
{
	WL(A);
	st_hardirq(write_a, true);
	WU(A);
}

/* A reader in an interrupt shares a read-held rwlock (in_interrupt() readers pass a waiting
 * writer): no deadlock, and nothing to report in either mode. */
static void irq_reads_read_held_rlock(void)
{
	RL(A);
	st_hardirq(read_a, true);
	RU(A);
}

/* The task holds raw A; an NMI takes A.  lockdep: verify_lock_unused() finds A used outside
 * NMI, an inconsistent lock state. */
static void nmi_takes_held_instance_raw(void)
{
	raw_spin_lock(&A.raw);
	st_nmi(raw_a);
	raw_spin_unlock(&A.raw);
}

/* Two NMIs, A -> B then B -> A: lockdep never sees them. */
static void nmi_ABBA_raw(void)
{
	st_nmi(raw_a_then_b);
	st_nmi(raw_b_then_a);
}

/* An NMI takes A, then the task does: lockdep checked A only inside the NMI, when the task had
 * not used it yet. */
static void nmi_before_task_raw(void)
{
	st_nmi(raw_a);
	raw_a();
}

/* The task takes A, then an NMI does: lockdep's verify_lock_unused() finds it too. */
static void nmi_after_task_raw(void)
{
	raw_a();
	st_nmi(raw_a);
}

static void add(const char *name, void (*run)(void), enum st_kind kind, unsigned def,
		unsigned compat)
{
	struct st_case *c = st_add(name, run, kind, def);
	c->expect[M_COMPAT] = compat;
}

void st_cases_lockstep(void)
{
	add("lockstep_irq_takes_held_instance_spin", irq_takes_held_instance_spin, K_SPIN,
	    F_IRQ_AA, F_USAGE);
	add("lockstep_irq_takes_held_instance_wlock", irq_takes_held_instance_wlock, K_WLOCK,
	    F_IRQ_AA, F_USAGE);
	add("lockstep_irq_reads_read_held_rlock", irq_reads_read_held_rlock, K_RLOCK, SUCCESS,
	    SUCCESS);
	add("lockstep_nmi_takes_held_instance_raw", nmi_takes_held_instance_raw, K_RAW, F_IRQ_AA,
	    F_USAGE);
	add("lockstep_nmi_ABBA_raw", nmi_ABBA_raw, K_RAW, F_CYCLE, SUCCESS);
	add("lockstep_nmi_before_task_raw", nmi_before_task_raw, K_RAW, F_USAGE, SUCCESS);
	add("nmi_after_task_raw", nmi_after_task_raw, K_RAW, F_USAGE, F_USAGE);
}

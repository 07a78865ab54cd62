/* The suite's target: the locks every case uses, the contexts a case enters, and the one task
 * that runs the case the variant selects.  As in the selftest, one task runs each case from
 * start to end with interrupts on; interrupts are real contexts here: a self-IPI (irq_work), a
 * softirq raised from the task, or an NMI the suite's strategy injects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lockstep/target.h>

#include "selftest.h"

struct st_slot A, B, C, D, X1, X2, Y1, Y2, Z1, Z2;

enum st_kind st_kind;
enum st_irq st_irq;

const char *const st_kind_name[K_NKINDS] = {
	[K_SPIN] = "spin", [K_WLOCK] = "wlock", [K_RLOCK] = "rlock", [K_MUTEX] = "mutex",
	[K_WSEM] = "wsem", [K_RSEM] = "rsem", [K_RAW] = "raw",
};

/* ---- locks ------------------------------------------------------------------------------- */

/* One init line per lock kind: every expansion of this macro is a set of init sites of its own,
 * hence classes of its own (lockdep keys a class by its init site), and a slot initialised by
 * the same expansion as another shares its classes. */
#define INIT_SLOT(s, n)                                                                          \
	do {                                                                                     \
		ls_raw_spin_lock_init(&(s)->spin.rlock, "lock_" n, LS_SITE("spin_lock_init"),      \
				      LS_WAIT_CONFIG);                                           \
		ls_rwlock_init(&(s)->rw, "rwlock_" n, LS_SITE("rwlock_init"));                    \
		ls_mutex_init(&(s)->mutex, "mutex_" n, LS_SITE("mutex_init"));                    \
		ls_init_rwsem(&(s)->sem, "rwsem_" n, LS_SITE("init_rwsem"));                      \
		ls_raw_spin_lock_init(&(s)->raw, "raw_lock_" n, LS_SITE("raw_spin_lock_init"),    \
				      LS_WAIT_SPIN);                                             \
	} while (0)

void st_init_locks(void)
{
	INIT_SLOT(&A, "A");
	INIT_SLOT(&B, "B");
	INIT_SLOT(&C, "C");
	INIT_SLOT(&D, "D");
	struct st_slot *const x[] = { &X1, &X2 }, *const y[] = { &Y1, &Y2 },
			      *const z[] = { &Z1, &Z2 };
	for (int i = 0; i < 2; i++)
		INIT_SLOT(x[i], "X");
	for (int i = 0; i < 2; i++)
		INIT_SLOT(y[i], "Y");
	for (int i = 0; i < 2; i++)
		INIT_SLOT(z[i], "Z");
}

void st_lock(struct st_slot *s)
{
	switch (st_kind) {
	case K_SPIN:
		spin_lock(&s->spin);
		break;
	case K_WLOCK:
		write_lock(&s->rw);
		break;
	case K_RLOCK:
		read_lock(&s->rw);
		break;
	case K_MUTEX:
		mutex_lock(&s->mutex);
		break;
	case K_WSEM:
		down_write(&s->sem);
		break;
	case K_RSEM:
		down_read(&s->sem);
		break;
	case K_RAW:
	case K_NKINDS:
		raw_spin_lock(&s->raw);
		break;
	}
}

void st_unlock(struct st_slot *s)
{
	switch (st_kind) {
	case K_SPIN:
		spin_unlock(&s->spin);
		break;
	case K_WLOCK:
		write_unlock(&s->rw);
		break;
	case K_RLOCK:
		read_unlock(&s->rw);
		break;
	case K_MUTEX:
		mutex_unlock(&s->mutex);
		break;
	case K_WSEM:
		up_write(&s->sem);
		break;
	case K_RSEM:
		up_read(&s->sem);
		break;
	case K_RAW:
	case K_NKINDS:
		raw_spin_unlock(&s->raw);
		break;
	}
}

/* The selftest's INIT(): the column's init, from a site of its own, keeping the lock's name. */
void st_init(struct st_slot *s)
{
	switch (st_kind) {
	case K_SPIN:
		ls_raw_spin_lock_init(&s->spin.rlock, s->spin.dep_map.name, LS_SITE("spin_lock_init"),
				      LS_WAIT_CONFIG);
		break;
	case K_WLOCK:
	case K_RLOCK:
		ls_rwlock_init(&s->rw, s->rw.dep_map.name, LS_SITE("rwlock_init"));
		break;
	case K_MUTEX:
		ls_mutex_init(&s->mutex, s->mutex.dep_map.name, LS_SITE("mutex_init"));
		break;
	case K_WSEM:
	case K_RSEM:
		ls_init_rwsem(&s->sem, s->sem.dep_map.name, LS_SITE("init_rwsem"));
		break;
	case K_RAW:
	case K_NKINDS:
		ls_raw_spin_lock_init(&s->raw, s->raw.dep_map.name, LS_SITE("raw_spin_lock_init"),
				      LS_WAIT_SPIN);
		break;
	}
}

/* ---- contexts ---------------------------------------------------------------------------- */

#define ST_SOFTIRQ HI_SOFTIRQ

static struct irq_work threaded_work, hard_work;
static void (*irq_fn)(void);
static void (*soft_fn)(void);
static void (*nmi_fn)(void);
static int entered;	/* interrupt bodies run: each helper checks its own ran */

int st_nmi_marker;
bool st_nmi_wanted;

static void irq_work_body(struct irq_work *work)
{
	(void)work;
	entered++;
	irq_fn();
}

void st_hardirq(void (*fn)(void), bool threaded)
{
	int before = entered;
	irq_fn = fn;
	irq_work_queue(threaded ? &threaded_work : &hard_work);
	if (entered == before)
		ls_fail(LS_SITE("st_hardirq"), "the self-IPI did not run before irq_work_queue() "
			"returned");
}

static void softirq_action(void)
{
	entered++;
	/* SOFTIRQ_ENTER() disables hardirqs for the simulated softirq; a real one has them on. */
	local_irq_disable();
	soft_fn();
	local_irq_enable();
}

void st_softirq(void (*fn)(void))
{
	int before = entered;
	soft_fn = fn;
	raise_softirq(ST_SOFTIRQ);
	if (entered == before)
		ls_fail(LS_SITE("st_softirq"), "the softirq did not run before raise_softirq() "
			"returned");
}

static void nmi_body(void *arg)
{
	(void)arg;
	if (!st_nmi_wanted)
		return;
	st_nmi_wanted = false;
	entered++;
	nmi_fn();
}

void st_nmi(void (*fn)(void))
{
	int before = entered;
	nmi_fn = fn;
	st_nmi_wanted = true;
	/* The strategy injects the NMI at this load. */
	(void)READ_ONCE(st_nmi_marker);
	if (entered == before)
		ls_fail(LS_SITE("st_nmi"), "no NMI was injected at the marker");
}

void st_irq_run(void (*fn)(void))
{
	if (st_irq == IRQ_HARD)
		st_hardirq(fn, true);
	else
		st_softirq(fn);
}

void st_irq_disable(void)
{
	if (st_irq == IRQ_HARD)
		local_irq_disable();
	else
		local_bh_disable();
}

void st_irq_enable(void)
{
	if (st_irq == IRQ_HARD)
		local_irq_enable();
	else
		local_bh_enable();
}

/* ---- the case table ---------------------------------------------------------------------- */

#define ST_MAX_CASES 640

struct st_case st_cases[ST_MAX_CASES];
int st_ncases;
static struct ls_variant variants[ST_MAX_CASES];

static struct st_case *add(const char *name, enum st_kind kind, unsigned expect)
{
	if (st_ncases == ST_MAX_CASES) {
		fprintf(stderr, "lockdep-selftest: more than %d cases\n", ST_MAX_CASES);
		exit(1);
	}
	struct st_case *c = &st_cases[st_ncases++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->kind = kind;
	c->expect[M_DEFAULT] = c->expect[M_COMPAT] = expect;
	return c;
}

struct st_case *st_add(const char *name, void (*run)(void), enum st_kind kind, unsigned expect)
{
	struct st_case *c = add(name, kind, expect);
	c->run = run;
	return c;
}

struct st_case *st_add_perm(const char *stem, void (*const ev[3])(void), const char *perm,
			    enum st_kind kind, enum st_irq irq, unsigned expect)
{
	char name[sizeof(st_cases[0].name)];
	snprintf(name, sizeof(name), "%s_%s", stem, perm);
	struct st_case *c = add(name, kind, expect);
	memcpy(c->ev, ev, sizeof(c->ev));
	snprintf(c->perm, sizeof(c->perm), "%s", perm);
	c->irq = irq;
	return c;
}

void st_add_perms(const char *stem, void (*const ev[3])(void), int n, enum st_kind kind,
		  enum st_irq irq, unsigned expect)
{
	static const char *const two[] = { "12", "21" };
	static const char *const three[] = { "123", "132", "213", "231", "312", "321" };
	const char *const *p = n == 2 ? two : three;
	int np = n == 2 ? 2 : 6;
	for (int i = 0; i < np; i++)
		st_add_perm(stem, ev, p[i], kind, irq, expect);
}

/* ---- the target -------------------------------------------------------------------------- */

static const struct st_case *cur;

static void task_fn(void *arg)
{
	(void)arg;
	if (cur->run) {
		cur->run();
		return;
	}
	for (const char *p = cur->perm; *p; p++)
		cur->ev[*p - '1']();
}

static void init(int variant)
{
	cur = &st_cases[variant];
	st_kind = cur->kind;
	st_irq = cur->irq;
	st_nmi_wanted = false;
	entered = 0;
	/* The selftest runs with force_read_lock_recursive = 1, its queued-rwlock cases with 0. */
	ls_rwlock_force_read_recursive(!cur->queued);
	st_init_locks();
	init_irq_work(&threaded_work, irq_work_body);
	hard_work = IRQ_WORK_INIT_HARD(irq_work_body);
	open_softirq(ST_SOFTIRQ, softirq_action);
}

static const struct ls_task_decl tasks[] = { { "selftest", 0, task_fn, NULL } };
static const struct ls_irq_decl nmis[] = { { "nmi", 0x1, 4, nmi_body, NULL } };

struct ls_target st_target = {
	.name = "test/lockdep-selftest",
	.summary = "lib/locking-selftest.c's cases, one per variant",
	.models = "tests",
	.ncpus = 1,
	.tasks = tasks,
	.ntasks = 1,
	.nmis = nmis,
	.nnmis = 1,
	.variants = variants,
	.init = init,
};

void st_target_ready(void)
{
	for (int i = 0; i < st_ncases; i++)
		variants[i] = (struct ls_variant){ st_cases[i].name, "selftest case", LS_KIND_COUNT, 0 };
	st_target.nvariants = st_ncases;
}

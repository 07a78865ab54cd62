/* Validator reports in the layout and wording of the kernel's lockdep (spec §4.1): the ruled
 * header, the locks as print_lock() shows them, the dependency chain in reverse order with the
 * backtrace of each first acquisition, the "Possible unsafe locking scenario" table, the held
 * locks and the stack backtrace.  Then what lockdep cannot give: which context, execution and
 * step made each dependency.  Lock instances are named, never printed as addresses, so a report
 * is the same on every run; backtraces name functions of the running binary.
 *
 * The signature a finding is deduplicated by is the shape, the sorted classes and the sorted
 * contexts: no steps, executions or addresses. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"
#include "version.h"

#define CPU1_COL "                               "	/* where lockdep prints CPU1's column */

static void rule(struct ls_buf *b, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ls_buf_printf(b, "%c", c);
	ls_buf_printf(b, "\n");
}

static void header(struct ls_buf *b, const struct ls_machine *m, const char *title)
{
	ls_buf_printf(b, "\n");
	rule(b, '=', strlen(title));
	ls_buf_printf(b, "%s\n", title);
	ls_buf_printf(b, "lockstep %s %s\n", LS_VERSION, m->target->name);
	rule(b, '-', strlen(title));
}

static const char *class_name(int id)
{
	const char *n = ls_lockdep_class(id)->name;
	return n ? n : "?";
}

/* lockdep's get_usage_char(): '.', '+' (taken with the interrupt enabled), '-' (taken in it),
 * '?' both. */
static char usage_char(uint32_t usage, int in_bit)
{
	bool in = usage & (1u << in_bit), on = usage & (1u << (in_bit | LS_USAGE_DIR));
	return in && on ? '?' : in ? '-' : on ? '+' : '.';
}

/* print_lock_name(): "(name){HARDIRQ-W HARDIRQ-R SOFTIRQ-W SOFTIRQ-R}-{inner:outer}", exactly
 * lockdep's four characters.  NMI usage, which lockdep cannot see, is lockstep's own column:
 * the account after the report names it (nmi_usage()). */
static void class_text(struct ls_buf *b, int id)
{
	const struct ls_lock_class *c = ls_lockdep_class(id);
	ls_buf_printf(b, "(%s){%c%c%c%c}-{%d:%d}", class_name(id),
		      usage_char(c->usage, LS_USED_IN_HARDIRQ),
		      usage_char(c->usage, LS_USED_IN_HARDIRQ_READ),
		      usage_char(c->usage, LS_USED_IN_SOFTIRQ),
		      usage_char(c->usage, LS_USED_IN_SOFTIRQ_READ), c->wait_type, c->wait_type);
}

static void site_text(struct ls_buf *b, const struct ls_site *s)
{
	if (!s) {
		ls_buf_printf(b, "?");
		return;
	}
	const char *f = strstr(s->file, "targets/");
	if (!f)
		f = strrchr(s->file, '/') ? strrchr(s->file, '/') + 1 : s->file;
	ls_buf_printf(b, "%s (%s:%d)", s->func, f, s->line);
}

/* print_lock(): "<instance> (<class>){usage}-{w:w}, at: <site>". */
static void lock_line(struct ls_buf *b, const struct ls_machine *m, const struct ls_held *h)
{
	char inst[64];
	if (!h->lock || !ls_machine_describe(m, h->lock, inst, sizeof(inst)))
		snprintf(inst, sizeof(inst), "%s", class_name(h->class_id));
	ls_buf_printf(b, "%s ", inst);
	class_text(b, h->class_id);
	ls_buf_printf(b, ", at: ");
	site_text(b, h->site);
	ls_buf_printf(b, "\n");
}

static void who(struct ls_buf *b, int ctx)
{
	ls_buf_printf(b, "%s/%d", ls_ctx_name(ctx), ctx);
}

/* "[HC%u[%lu]:SC%u[%lu]:HE%u:SE%u]": in a hardirq, in a softirq, hardirqs and softirqs enabled,
 * as the acquisition saw them. */
static void irq_flags(struct ls_buf *b, const struct ls_lockdep_report *r, bool irqs_off)
{
	int hc = r->ctx_kind == LS_CTX_HARDIRQ || r->ctx_kind == LS_CTX_NMI;
	int sc = r->ctx_kind == LS_CTX_SOFTIRQ;
	ls_buf_printf(b, "[HC%d[%d]:SC%d[%d]:HE%d:SE%d]", hc, hc, sc, sc, !irqs_off,
		      !r->next.bh_off);
}

/* The state a usage bit is of, as lockdep's reports name it. */
static const char *state_name(int bit)
{
	return (bit >> 2) == 1 ? "SOFTIRQ" : "HARDIRQ";
}

static void held_locks(struct ls_buf *b, const struct ls_machine *m,
		       const struct ls_lockdep_report *r)
{
	ls_buf_printf(b, "\n");
	if (!r->nheld) {
		ls_buf_printf(b, "no locks held by ");
		who(b, r->ctx);
		ls_buf_printf(b, ".\n");
		return;
	}
	ls_buf_printf(b, "%d lock%s held by ", r->nheld, r->nheld == 1 ? "" : "s");
	who(b, r->ctx);
	ls_buf_printf(b, ":\n");
	for (int i = 0; i < r->nheld; i++) {
		ls_buf_printf(b, " #%d: ", i);
		if (r->held[i].state != LS_HELD_HELD)
			ls_buf_printf(b, "(%s) ", r->held[i].state == LS_HELD_WAITING ? "queued for"
										   : "trying");
		lock_line(b, m, &r->held[i]);
	}
}

static void origin_text(struct ls_buf *b, const struct ls_origin *o, uint32_t exec)
{
	ls_buf_printf(b, "%s after step %" PRIu64 " of ", o->ctx, o->step);
	if (o->exec == exec)
		ls_buf_printf(b, "this execution");
	else
		ls_buf_printf(b, "execution %" PRIu32 " (seed %" PRIu64 ")", o->exec, o->seed);
	ls_buf_printf(b, ", ");
	site_text(b, o->site);
}

static const char *lock_verb(int read)
{
	return read ? "rlock" : "lock";
}

/* ---- circular ---------------------------------------------------------------------------- */

static void circular(struct ls_buf *b, const struct ls_machine *m,
		     const struct ls_lockdep_report *r)
{
	header(b, m, "WARNING: possible circular locking dependency detected");
	who(b, r->ctx);
	ls_buf_printf(b, " is trying to acquire lock:\n");
	lock_line(b, m, &r->next);
	ls_buf_printf(b, "\nbut task is already holding lock:\n");
	lock_line(b, m, &r->prev);
	ls_buf_printf(b, "\nwhich lock already depends on the new lock.\n\n\n"
			 "the existing dependency chain (in reverse order) is:\n");
	for (int i = r->nchain - 1; i >= 0; i--) {
		const struct ls_dep *d = ls_lockdep_dep(r->chain[i]);
		ls_buf_printf(b, "\n-> #%d ", i + 1);
		class_text(b, d->to);
		ls_buf_printf(b, ":\n");
		ls_backtrace_print(&d->origin.bt, b);
	}
	ls_buf_printf(b, "\n-> #0 ");
	class_text(b, r->next.class_id);
	ls_buf_printf(b, ":\n");
	ls_backtrace_print(&r->bt, b);

	const char *source = class_name(r->next.class_id);
	const char *target = class_name(r->prev.class_id);
	const struct ls_dep *last = ls_lockdep_dep(r->chain[r->nchain - 1]);
	const char *parent = class_name(last->from);
	ls_buf_printf(b, "\nother info that might help us debug this:\n\n");
	if (last->from != r->next.class_id)
		ls_buf_printf(b, "Chain exists of:\n  %s --> %s --> %s\n\n", source, parent, target);
	ls_buf_printf(b, " Possible unsafe locking scenario:\n\n"
			 "       CPU0                    CPU1\n"
			 "       ----                    ----\n");
	bool nmi0 = r->ctx_kind == LS_CTX_NMI, nmi1 = last->origin.kind == LS_CTX_NMI;
	if (nmi0)
		ls_buf_printf(b, "  <NMI>\n");
	ls_buf_printf(b, "  %s(%s);\n", lock_verb(r->prev.read), target);
	if (nmi1)
		ls_buf_printf(b, CPU1_COL "<NMI>\n");
	ls_buf_printf(b, CPU1_COL "lock(%s);\n", parent);
	ls_buf_printf(b, CPU1_COL "%s(%s);\n", lock_verb(r->prev.read), target);
	ls_buf_printf(b, "  %s(%s);\n", lock_verb(r->next.read), source);
	ls_buf_printf(b, "\n *** DEADLOCK ***\n");
	held_locks(b, m, r);
}

/* ---- recursion --------------------------------------------------------------------------- */

static void recursive(struct ls_buf *b, const struct ls_machine *m,
		      const struct ls_lockdep_report *r)
{
	header(b, m, "WARNING: possible recursive locking detected");
	who(b, r->ctx);
	ls_buf_printf(b, " is trying to acquire lock:\n");
	lock_line(b, m, &r->next);
	if (r->bug == LS_BUG_INTERRUPT_AA) {
		ls_buf_printf(b, "\nbut the context it interrupted, ");
		who(b, r->other_ctx);
		ls_buf_printf(b, r->prev.state == LS_HELD_HELD ? ", is already holding lock:\n"
							    : ", is queued ahead of it for lock:\n");
	} else {
		ls_buf_printf(b, "\nbut task is already holding lock:\n");
	}
	lock_line(b, m, &r->prev);
	const char *name = class_name(r->next.class_id);
	ls_buf_printf(b, "\nother info that might help us debug this:\n"
			 " Possible unsafe locking scenario:\n\n"
			 "       CPU0\n"
			 "       ----\n");
	ls_buf_printf(b, "  %s(%s);\n", lock_verb(r->prev.read), name);
	if (r->bug == LS_BUG_INTERRUPT_AA) {
		ls_buf_printf(b, "  %s\n", r->ctx_kind == LS_CTX_NMI ? "<NMI>" : "<Interrupt>");
		ls_buf_printf(b, "    %s(%s);\n", lock_verb(r->next.read), name);
	} else {
		ls_buf_printf(b, "  %s(%s);\n", lock_verb(r->next.read), name);
	}
	ls_buf_printf(b, "\n *** DEADLOCK ***\n");
	if (r->bug == LS_BUG_RECURSIVE)
		ls_buf_printf(b, "\n May be due to missing lock nesting notation\n");
	held_locks(b, m, r);
}

/* ---- usage ------------------------------------------------------------------------------- */

static bool nmi_bit(int bit)
{
	return bit == LS_USED_IN_NMI || bit == LS_USED_IN_NMI_READ;
}

static void interrupt_scenario(struct ls_buf *b, const char *name, bool nmi)
{
	ls_buf_printf(b, " Possible unsafe locking scenario:\n\n"
			 "       CPU0\n"
			 "       ----\n"
			 "  lock(%s);\n"
			 "  %s\n"
			 "    lock(%s);\n"
			 "\n *** DEADLOCK ***\n",
		      name, nmi ? "<NMI>" : "<Interrupt>", name);
}

static void usage(struct ls_buf *b, const struct ls_machine *m, const struct ls_lockdep_report *r)
{
	const struct ls_lock_class *c = ls_lockdep_class(r->next.class_id);
	header(b, m, "WARNING: inconsistent lock state");
	ls_buf_printf(b, "inconsistent {%s} -> {%s} usage.\n", ls_usage_name(r->usage_old),
		      ls_usage_name(r->usage_new));
	who(b, r->ctx);
	ls_buf_printf(b, " ");
	irq_flags(b, r, r->next.irqs_off);
	ls_buf_printf(b, " takes:\n");
	lock_line(b, m, &r->next);
	ls_buf_printf(b, "{%s} state was registered at:\n  ", ls_usage_name(r->usage_old));
	origin_text(b, &c->first[r->usage_old], r->exec);
	ls_buf_printf(b, "\n");
	ls_backtrace_print(&c->first[r->usage_old].bt, b);
	ls_buf_printf(b, "\nother info that might help us debug this:\n");
	interrupt_scenario(b, class_name(r->next.class_id),
			   nmi_bit(r->usage_old) || nmi_bit(r->usage_new));
	held_locks(b, m, r);
}

static void irq_order(struct ls_buf *b, const struct ls_machine *m,
		      const struct ls_lockdep_report *r)
{
	const struct ls_lock_class *safe = ls_lockdep_class(r->other_class);
	const struct ls_lock_class *unsafe = ls_lockdep_class(r->unsafe_class);
	int safe_bit = r->usage_old, unsafe_bit = r->usage_new;
	const char *st = state_name(safe_bit);
	/* lockdep names the -READ forms of the states in its title. */
	char title[96];
	snprintf(title, sizeof(title), "WARNING: %s%s-safe -> %s%s-unsafe lock order detected", st,
		 safe_bit & LS_USAGE_READ ? "-READ" : "", st, unsafe_bit & LS_USAGE_READ ? "-READ" : "");
	header(b, m, title);
	who(b, r->ctx);
	ls_buf_printf(b, " ");
	irq_flags(b, r, r->next.irqs_off);
	ls_buf_printf(b, " is trying to acquire:\n");
	lock_line(b, m, &r->next);
	ls_buf_printf(b, "\nand this task is already holding:\n");
	lock_line(b, m, &r->prev);
	ls_buf_printf(b, "which would create a new lock dependency:\n ");
	class_text(b, r->prev.class_id);
	ls_buf_printf(b, " -> ");
	class_text(b, r->next.class_id);
	ls_buf_printf(b, "\n\nbut this new dependency connects a %s-irq-safe lock:\n ", st);
	class_text(b, r->other_class);
	ls_buf_printf(b, "\n\n... which became %s-irq-safe at:\n  ", st);
	origin_text(b, &safe->first[safe_bit], r->exec);
	ls_buf_printf(b, "\n");
	ls_backtrace_print(&safe->first[safe_bit].bt, b);
	ls_buf_printf(b, "\nto a %s-irq-unsafe lock:\n ", st);
	class_text(b, r->unsafe_class);
	ls_buf_printf(b, "\n\n... which became %s-irq-unsafe at:\n  ", st);
	origin_text(b, &unsafe->first[unsafe_bit], r->exec);
	ls_buf_printf(b, "\n");
	ls_backtrace_print(&unsafe->first[unsafe_bit].bt, b);

	const char *safe_n = class_name(r->other_class), *unsafe_n = class_name(r->unsafe_class);
	int middle = r->prev.class_id == r->other_class ? r->next.class_id : r->prev.class_id;
	ls_buf_printf(b, "\nother info that might help us debug this:\n\n");
	if (middle != r->unsafe_class)
		ls_buf_printf(b, "Chain exists of:\n  %s --> %s --> %s\n\n", safe_n,
			      class_name(middle), unsafe_n);
	ls_buf_printf(b, " Possible interrupt unsafe locking scenario:\n\n"
			 "       CPU0                    CPU1\n"
			 "       ----                    ----\n"
			 "  lock(%s);\n" CPU1_COL "local_irq_disable();\n" CPU1_COL "lock(%s);\n"
			 CPU1_COL "lock(%s);\n"
			 "  <Interrupt>\n"
			 "    lock(%s);\n"
			 "\n *** DEADLOCK ***\n",
		      unsafe_n, safe_n, class_name(middle), safe_n);
	held_locks(b, m, r);
}

static void inversion(struct ls_buf *b, const struct ls_machine *m,
		      const struct ls_lockdep_report *r)
{
	bool forwards = !(r->usage_new & LS_USAGE_DIR);
	header(b, m, "WARNING: possible irq lock inversion dependency detected");
	who(b, r->ctx);
	ls_buf_printf(b, " ");
	irq_flags(b, r, r->next.irqs_off);
	ls_buf_printf(b, " just changed the state of lock:\n");
	lock_line(b, m, &r->next);
	ls_buf_printf(b, forwards ? "but this lock took another, %s%s-unsafe lock in the past:\n "
				  : "but this lock was taken by another, %s%s-safe lock in the past:\n ",
		      state_name(r->usage_old), r->usage_old & LS_USAGE_READ ? "-READ" : "");
	class_text(b, r->other_class);
	ls_buf_printf(b, "\n\n\nand interrupts could create inverse lock ordering between them.\n\n"
			 "\nother info that might help us debug this:\n");
	const char *self = class_name(r->next.class_id), *other = class_name(r->other_class);
	const char *safe_n = forwards ? self : other, *unsafe_n = forwards ? other : self;
	ls_buf_printf(b, " Possible interrupt unsafe locking scenario:\n\n"
			 "       CPU0                    CPU1\n"
			 "       ----                    ----\n"
			 "  lock(%s);\n" CPU1_COL "local_irq_disable();\n" CPU1_COL "lock(%s);\n"
			 CPU1_COL "lock(%s);\n"
			 "  <Interrupt>\n"
			 "    lock(%s);\n"
			 "\n *** DEADLOCK ***\n",
		      unsafe_n, safe_n, unsafe_n, safe_n);
	held_locks(b, m, r);
	ls_buf_printf(b, "\nthe shortest dependencies between 2nd lock and 1st lock:\n");
	for (int i = 0; i < r->nchain; i++) {
		const struct ls_dep *d = ls_lockdep_dep(r->chain[i]);
		ls_buf_printf(b, " -> ");
		class_text(b, forwards ? d->to : d->from);
		ls_buf_printf(b, " {\n");
		ls_backtrace_print(&d->origin.bt, b);
		ls_buf_printf(b, " }\n");
	}
}

static void unlock(struct ls_buf *b, const struct ls_machine *m, const struct ls_lockdep_report *r)
{
	header(b, m, "WARNING: bad unlock balance detected!");
	who(b, r->ctx);
	ls_buf_printf(b, " is trying to release lock (%s) at:\n", class_name(r->next.class_id));
	site_text(b, r->next.site);
	ls_buf_printf(b, "\nbut there are no more locks to release!\n");
	held_locks(b, m, r);
}

/* ---- lifetime and wait types ------------------------------------------------------------- */

static void freed(struct ls_buf *b, const struct ls_machine *m, const struct ls_lockdep_report *r)
{
	header(b, m, "WARNING: held lock freed!");
	who(b, r->ctx);
	ls_buf_printf(b, " is freeing memory (%u bytes) at ", r->len);
	site_text(b, r->at);
	ls_buf_printf(b, ", with a lock still held there!\n");
	lock_line(b, m, &r->next);
	if (r->other_ctx != r->ctx) {
		ls_buf_printf(b, "held by ");
		who(b, r->other_ctx);
		ls_buf_printf(b, "\n");
	}
	held_locks(b, m, r);
}

static void held_at_exit(struct ls_buf *b, const struct ls_machine *m,
			 const struct ls_lockdep_report *r)
{
	header(b, m, "WARNING: lock held when returning to user space!");
	who(b, r->ctx);
	ls_buf_printf(b, r->ctx_kind == LS_CTX_TASK
				 ? " is leaving the kernel with locks still held!\n"
				 : " is returning from the interrupt with locks still held!\n");
	held_locks(b, m, r);
}

static void wait_context(struct ls_buf *b, const struct ls_machine *m,
			 const struct ls_lockdep_report *r)
{
	header(b, m, "[ BUG: Invalid wait context ]");
	who(b, r->ctx);
	ls_buf_printf(b, " is trying to lock:\n");
	lock_line(b, m, &r->next);
	ls_buf_printf(b, "other info that might help us debug this:\ncontext-{%d:%d}\n",
		      r->curr_inner, r->curr_inner);
	held_locks(b, m, r);
}

/* ---- lockstep's account ------------------------------------------------------------------ */

static void dep_line(struct ls_buf *b, const struct ls_dep *d, uint32_t exec)
{
	ls_buf_printf(b, "  %s -> %s: ", class_name(d->from), class_name(d->to));
	origin_text(b, &d->origin, exec);
	ls_buf_printf(b, "\n");
}

/* lockstep's column beyond lockdep's usage characters: a class taken in an NMI. */
static void nmi_usage(struct ls_buf *b, int id)
{
	const struct ls_lock_class *c = ls_lockdep_class(id);
	uint32_t nmi = c->usage & ((1u << LS_USED_IN_NMI) | (1u << LS_USED_IN_NMI_READ));
	if (!nmi)
		return;
	ls_buf_printf(b, "lockstep: (%s) is also taken in NMI context {%s}, which lockdep does not "
			 "track\n",
		      class_name(id), ls_usage_name(__builtin_ctz(nmi)));
}

static void account(struct ls_buf *b, const struct ls_machine *m,
		    const struct ls_lockdep_report *r)
{
	ls_buf_printf(b, "\nstack backtrace:\n");
	ls_backtrace_print(&r->bt, b);
	ls_buf_printf(b, "\nlockstep: ");
	who(b, r->ctx);
	ls_buf_printf(b, " on CPU%d after step %" PRIu64 ", ", r->cpu, r->step);
	site_text(b, r->next.site);
	ls_buf_printf(b, "\n");
	nmi_usage(b, r->next.class_id);
	if (r->prev.map && r->prev.class_id != r->next.class_id)
		nmi_usage(b, r->prev.class_id);
	if (r->averted)
		ls_buf_printf(b, "lockstep: averted: a lock on this path can fail to be acquired "
				 "(resilient), so the kernel code gets an error back instead of "
				 "hanging\n");
	if (r->bug == LS_BUG_CIRCULAR || r->bug == LS_BUG_INVERSION) {
		ls_buf_printf(b, "lockstep: the dependencies, each where it was first taken:\n");
		for (int i = 0; i < r->nchain; i++)
			dep_line(b, ls_lockdep_dep(r->chain[i]), r->exec);
		if (r->bug == LS_BUG_CIRCULAR)
			ls_buf_printf(b, "  %s -> %s: %s now (this execution)\n",
				      class_name(r->prev.class_id), class_name(r->next.class_id),
				      ls_ctx_name(r->ctx));
		if (r->chain_truncated)
			ls_buf_printf(b, "  ... (chain truncated)\n");
	}
	if (r->nprior) {
		ls_buf_printf(b, "lockstep: this finding combines %d earlier execution%s of the "
				 "campaign:",
			      r->nprior, r->nprior == 1 ? "" : "s");
		for (int i = 0; i < r->nprior; i++)
			ls_buf_printf(b, " %" PRIu32 " (seed %" PRIu64 ")", r->prior_exec[i],
				      r->prior_seed[i]);
		ls_buf_printf(b, "\n");
	}
	/* The validator goes on checking after a report; the rest of the execution's reports. */
	int n = ls_lockdep_nreports();
	for (int i = 0, first = 1; i < n; i++) {
		const struct ls_lockdep_report *o = ls_lockdep_report_at(i);
		if (o == r)
			continue;
		if (first)
			ls_buf_printf(b, "lockstep: the validator also reported, in this execution:\n");
		first = 0;
		ls_buf_printf(b, "  ");
		ls_lockdep_signature(o, m, b);
		ls_buf_printf(b, "\n");
	}
}

void ls_lockdep_render(const struct ls_lockdep_report *r, const struct ls_machine *m,
		       struct ls_buf *b)
{
	switch (r->bug) {
	case LS_BUG_CIRCULAR:
		circular(b, m, r);
		break;
	case LS_BUG_RECURSIVE:
	case LS_BUG_INTERRUPT_AA:
		recursive(b, m, r);
		break;
	case LS_BUG_USAGE:
		usage(b, m, r);
		break;
	case LS_BUG_IRQ_ORDER:
		irq_order(b, m, r);
		break;
	case LS_BUG_INVERSION:
		inversion(b, m, r);
		break;
	case LS_BUG_UNLOCK:
		unlock(b, m, r);
		break;
	case LS_BUG_FREED:
		freed(b, m, r);
		break;
	case LS_BUG_HELD_AT_EXIT:
		held_at_exit(b, m, r);
		break;
	case LS_BUG_WAIT_CONTEXT:
		wait_context(b, m, r);
		break;
	}
	account(b, m, r);
}

/* ---- signature --------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct name_set {
	const char *v[2 * LS_MAX_CHAIN + 8];
	int n;
};

static void add_name(struct name_set *s, const char *name)
{
	if (!name || s->n == (int)(sizeof(s->v) / sizeof(s->v[0])))
		return;
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return;
	s->v[s->n++] = name;
}

static void join(struct ls_buf *b, struct name_set *s)
{
	qsort(s->v, (size_t)s->n, sizeof(s->v[0]), cmp_str);
	for (int i = 0; i < s->n; i++)
		ls_buf_printf(b, "%s%s", i ? ", " : "", s->v[i]);
}

const char *ls_lockdep_bug_title(enum ls_lockdep_bug bug)
{
	static const char *const titles[] = {
		[LS_BUG_CIRCULAR] = "possible circular locking dependency",
		[LS_BUG_RECURSIVE] = "possible recursive locking",
		[LS_BUG_INTERRUPT_AA] = "possible recursive locking through an interrupt",
		[LS_BUG_USAGE] = "inconsistent lock state",
		[LS_BUG_IRQ_ORDER] = "irq-safe -> irq-unsafe lock order",
		[LS_BUG_INVERSION] = "possible irq lock inversion dependency",
		[LS_BUG_UNLOCK] = "bad unlock balance",
		[LS_BUG_FREED] = "held lock freed",
		[LS_BUG_HELD_AT_EXIT] = "lock held when the context ended",
		[LS_BUG_WAIT_CONTEXT] = "invalid wait context",
	};
	return (unsigned)bug < sizeof(titles) / sizeof(titles[0]) && titles[bug] ? titles[bug]
										  : "lock validator report";
}

void ls_lockdep_signature(const struct ls_lockdep_report *r, const struct ls_machine *m,
			  struct ls_buf *b)
{
	(void)m;
	struct name_set classes = { .n = 0 }, ctxs = { .n = 0 };
	add_name(&classes, class_name(r->next.class_id));
	add_name(&ctxs, ls_ctx_name(r->ctx));
	switch (r->bug) {
	case LS_BUG_CIRCULAR:
	case LS_BUG_INVERSION:
		for (int i = 0; i < r->nchain; i++) {
			const struct ls_dep *d = ls_lockdep_dep(r->chain[i]);
			add_name(&classes, class_name(d->from));
			add_name(&classes, class_name(d->to));
			add_name(&ctxs, d->origin.ctx);
		}
		if (r->other_class >= 0)
			add_name(&classes, class_name(r->other_class));
		break;
	case LS_BUG_INTERRUPT_AA:
		add_name(&ctxs, ls_ctx_name(r->other_ctx));
		break;
	case LS_BUG_USAGE: {
		const struct ls_lock_class *c = ls_lockdep_class(r->next.class_id);
		add_name(&ctxs, c->first[r->usage_old].ctx);
		break;
	}
	case LS_BUG_IRQ_ORDER:
		add_name(&classes, class_name(r->prev.class_id));
		add_name(&classes, class_name(r->other_class));
		add_name(&classes, class_name(r->unsafe_class));
		break;
	case LS_BUG_FREED:
		add_name(&ctxs, ls_ctx_name(r->other_ctx));
		break;
	case LS_BUG_HELD_AT_EXIT:
	case LS_BUG_WAIT_CONTEXT:
		for (int i = 0; i < r->nheld; i++)
			add_name(&classes, class_name(r->held[i].class_id));
		break;
	default:
		break;
	}
	ls_buf_printf(b, "%s%s: ", r->averted ? "averted " : "", r->shape);
	join(b, &classes);
	if (r->bug == LS_BUG_USAGE) {
		const char *a = ls_usage_name(r->usage_old), *z = ls_usage_name(r->usage_new);
		if (strcmp(a, z) > 0) {
			const char *t = a;
			a = z;
			z = t;
		}
		ls_buf_printf(b, " {%s} {%s}", a, z);
	}
	ls_buf_printf(b, "; ");
	join(b, &ctxs);
}

/* Weak memory models: store buffers, older values and the compiler's reordering of plain accesses.
 *
 * Under `sc` (the default) every access takes effect at its point, in program order.  The other
 * models are operational: the state below says what each CPU may see, and every freedom a real
 * machine has is a scheduling choice (sched/strategy.h), enumerated, drawn, recorded and replayed
 * like a switch.
 *
 * tso: x86-TSO as Owens, Sarkar and Sewell define it ("A better x86 memory model: x86-TSO",
 *   TPHOLs 2009).  Each CPU has a FIFO store buffer.  A store enters its CPU's buffer; a load
 *   reads the newest buffered store to its address (forwarding), else memory.  A locked
 *   operation (every atomic read-modify-write) and smp_mb() drain the buffer first.  smp_wmb()
 *   and smp_rmb() are compiler barriers only, as on x86.  Making the oldest entry visible is the
 *   choice "drain cpuN 0".
 *
 * relaxed: arm64-like, approximating the Linux-kernel memory model (tools/memory-model/, LKMM)
 *   operationally.  Two freedoms:
 *   - stores reorder: a CPU's buffer drains in any order, except that an entry waits for older
 *     entries to the same bytes (coherence), for every older entry when it is a release store
 *     (smp_store_release(), *_release()), and for entries older than an smp_wmb() between them;
 *   - loads reorder: memory keeps each location's recent values, numbered by the write that
 *     stored them.  A load may read any of them that is not older than what its CPU already saw
 *     there (per-location coherence), nor older than the value the location held at the CPU's
 *     last barrier: smp_rmb(), smp_mb(), an acquire (smp_load_acquire(), *_acquire(),
 *     smp_cond_load_acquire(), fully ordered atomics) let the CPU catch up with all of memory.
 *     "old K" chooses the K-th older value.
 *   Fully ordered operations (value-returning atomics without a suffix, xchg(), cmpxchg(),
 *   smp_mb__before_atomic()/after_atomic(), smp_mb()) drain the buffer and catch up.  A relaxed
 *   or acquire read-modify-write drains what it must follow (entries to its bytes, entries before
 *   an smp_wmb()), then acts on memory directly: its write is never buffered.
 *   What LKMM guarantees and this keeps: coherence (CoRR, CoWR, CoRW, CoWW), atomicity of RMWs,
 *   the ordering of smp_mb/rmb/wmb, acquire and release, cumulativity of release and of mb
 *   (memory is one copy: a store is visible to all CPUs at once), so MP, SB, R, S, 2+2W, WRC,
 *   ISA2 and IRIW with the right barriers are forbidden.
 *   Where it is stronger than LKMM: it is multicopy-atomic (IRIW with only smp_rmb() is
 *   forbidden here, allowed by LKMM for PowerPC), a load is satisfied when it runs (so load
 *   buffering, LB, never shows: no load waits for a later store), an acquire or smp_rmb()
 *   catches up with all of memory rather than with what the read write carried, and a store
 *   drains more of the buffer than it strictly must ahead of a read-modify-write.
 *   Address dependencies are kept for pointers: a load of the object a pointer-sized value its
 *   context loaded points to (the first DEP_SPAN bytes from it) reads no older value than
 *   memory held when that pointer was written, so rcu_dereference()-style publication
 *   (MP+onceassign+derefonce, p->field) is ordered.  It is a heuristic on values: a load that
 *   happens to land there without a dependency is ordered too (stronger, never weaker).
 *   Where it is weaker: a dependency through arithmetic (an array index) or a control
 *   dependency orders nothing.
 *
 * --compiler-reorder (with any model): a plain store (PLAIN_WRITE()) may be held back by the
 *   compiler and emitted later, in any order with the context's other held plain stores, except
 *   behind an older one to the same bytes ("emit CTX K" emits the K-th).  The context's own loads
 *   see what it holds; an interrupt or NMI on its CPU and the other CPUs do not until it is
 *   emitted.  barrier(), READ_ONCE()/WRITE_ONCE(), every atomic and every barrier emit all of
 *   them first, as does the end of the context.  Plain loads are not hoisted (only stores move).
 *
 * Bounds.  A store waits at most MAX_WAIT_STEPS steps in a store buffer, then becomes visible by
 * itself (hardware drains its buffers), and a relaxed load reads no value replaced more than
 * MAX_WAIT_STEPS steps ago.  Before the clock jumps (a slow CPU, a delay) every buffered store
 * lands and every CPU catches up: nothing stays invisible for microseconds.  A store the compiler holds back waits for its own
 * context's next compiler barrier however long that context is interrupted (the compiler only
 * moves code within the context), and at the latest for the context to park or end.  When no
 * context can run, the oldest waiting store becomes visible before the
 * machine calls it a deadlock.  A relaxed load that found its wait condition false on an older
 * value looks again rather than park (ls_mem_may_park): a spinning CPU sees the newest value in
 * the end.  cfg.reorder_budget bounds the non-default memory choices of one execution, so a
 * bounded search stays finite.  Accesses that a model makes through its own ls_point() and
 * LS_RD()/LS_WR() are not modelled: each is a full barrier (the buffer drains, the CPU catches
 * up) and then sequentially consistent.
 *
 * Orders come from the kernel's names (Documentation/atomic_t.txt): the site's API name says
 * _relaxed, _acquire, _release, or for read-modify-writes that return a value, fully ordered;
 * those that return nothing (atomic_inc()) are relaxed.  A site that names no accessor of
 * atomic.h is model code calling one under its own name (the mutex model's "mutex_lock"): like
 * a model's own ls_point(), it is a full barrier and reads and writes memory directly.
 */
#include "machine_impl.h"

#include <stdio.h>
#include <string.h>

#define MAX_WAIT_STEPS 64
/* A load within this many bytes after a pointer its context loaded depends on that load: a field
 * of the object it points to (p->field, rcu_dereference(p)->field). */
#define DEP_SPAN 256

int ls_mem_on;

static const char *const model_names[LS_MEM_COUNT] = { "sc", "tso", "relaxed" };

const char *ls_memory_model_name(enum ls_memory_model mm)
{
	return (unsigned)mm < LS_MEM_COUNT ? model_names[mm] : "?";
}

bool ls_memory_model_parse(const char *s, enum ls_memory_model *mm)
{
	for (int i = 0; i < LS_MEM_COUNT; i++)
		if (strcmp(s, model_names[i]) == 0) {
			*mm = (enum ls_memory_model)i;
			return true;
		}
	return false;
}

/* ---- orders ------------------------------------------------------------------------------ */

enum order {
	O_PLAIN,	/* a plain access: the compiler may move it */
	O_RELAXED,	/* READ_ONCE, WRITE_ONCE, *_relaxed, atomics returning nothing */
	O_ACQUIRE,
	O_RELEASE,
	O_FULL,		/* smp_mb(), fully ordered atomics */
	O_RMB,
	O_WMB,
	O_COMPILER,	/* barrier(), cpu_relax() */
};

/* Whether the API name (what precedes a '(': "READ_ONCE(lock->acquired)" is READ_ONCE) has part. */
static bool has(const char *what, const char *part)
{
	const char *s = strstr(what, part), *paren = strchr(what, '(');
	return s && (!paren || s < paren);
}

/* Whether what names one of atomic.h's accessors.  Model code may call them under its own name
 * ("mutex_lock"): such an access is the model's own, sequentially consistent and fully ordered. */
static bool api_name(const char *what)
{
	static const char *const prefixes[] = {
		"atomic_", "READ_ONCE", "WRITE_ONCE", "smp_", "xchg", "cmpxchg", "try_cmpxchg",
		"PLAIN_", "barrier", "cpu_relax",
	};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(what, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static enum order classify(enum ls_op op, const char *what)
{
	if (!what || !api_name(what))
		return O_FULL;
	if (strncmp(what, "PLAIN_", 6) == 0)
		return O_PLAIN;
	switch (op) {
	case LS_OP_LOAD:
		return has(what, "acquire") ? O_ACQUIRE : O_RELAXED;
	case LS_OP_STORE:
		return has(what, "release") ? O_RELEASE : O_RELAXED;
	case LS_OP_RMW:
		if (has(what, "_relaxed"))
			return O_RELAXED;
		if (has(what, "_acquire"))
			return O_ACQUIRE;
		if (has(what, "_release"))
			return O_RELEASE;
		if (has(what, "fetch") || has(what, "return") || has(what, "xchg") ||
		    has(what, "_test") || has(what, "unless"))
			return O_FULL;
		return O_RELAXED;
	case LS_OP_FENCE:
		if (strcmp(what, "smp_rmb") == 0)
			return O_RMB;
		if (strcmp(what, "smp_wmb") == 0)
			return O_WMB;
		if (strcmp(what, "barrier") == 0 || strcmp(what, "cpu_relax") == 0)
			return O_COMPILER;
		return O_FULL;
	default:
		return O_FULL;
	}
}

/* Sites are static: remember each one's order (a miss only costs the string tests again). */
static enum order site_order(enum ls_op op, const struct ls_site *site)
{
	static struct {
		const struct ls_site *site;
		uint8_t op, order;
	} cache[512];
	if (!site)
		return O_FULL;
	unsigned h = (unsigned)(((uintptr_t)site >> 4) * 2654435761u) % 512;
	if (cache[h].site != site || cache[h].op != op) {
		cache[h].site = site;
		cache[h].op = (uint8_t)op;
		cache[h].order = (uint8_t)classify(op, site->what);
	}
	return (enum order)cache[h].order;
}

/* ---- memory and its locations ------------------------------------------------------------ */

static inline unsigned bucket_of(uintptr_t addr)
{
	return (unsigned)(((addr >> 3) * 0x9e3779b97f4a7c15ull) >> 54) & (LS_MEM_HASH - 1);
}

static inline bool overlaps(uintptr_t a, unsigned an, uintptr_t b, unsigned bn)
{
	return a < b + bn && b < a + an;
}

static uint64_t read_raw(uintptr_t addr, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, (const void *)addr, size);
	return v;
}

static struct ls_mem_loc *find_loc(struct ls_mem *mm, uintptr_t addr, unsigned size)
{
	for (int i = mm->bucket[bucket_of(addr)]; i >= 0; i = mm->loc[i].next)
		if (mm->loc[i].addr == addr && mm->loc[i].size == size)
			return &mm->loc[i];
	return NULL;
}

static void push_hist(struct ls_mem_loc *l, uint64_t val, uint64_t g, uint64_t until)
{
	if (l->nhist < LS_MEM_HIST)
		l->nhist++;
	memmove(&l->hist[1], &l->hist[0], (size_t)(l->nhist - 1) * sizeof(l->hist[0]));
	l->hist[0].val = val;
	l->hist[0].g = g;
	l->hist[0].until = until;
}

/* The bytes of the 8-byte block holding [addr, addr+size) that a write there can change the
 * value of: its own and those of every location overlapping it, each an object its accessors
 * read at that size.  Other bytes of the block may lie outside any object: they stay 0. */
static void snapshot(const struct ls_mem *mm, uintptr_t addr, unsigned size, uint8_t old[8])
{
	uintptr_t block = addr & ~(uintptr_t)7;
	memset(old, 0, 8);
	memcpy(old + (addr - block), (const void *)addr, size);
	for (int i = mm->bucket[bucket_of(addr)]; i >= 0; i = mm->loc[i].next) {
		const struct ls_mem_loc *l = &mm->loc[i];
		if (overlaps(l->addr, l->size, addr, size))
			memcpy(old + (l->addr - block), (const void *)l->addr, l->size);
	}
}

/* Memory at [addr, addr+size) was just written (write number g, by cpu, -1 for none); old holds
 * what snapshot() took of its block before.  Every location overlapping it keeps its previous
 * value; the exact one is created if there is room. */
static void note_write(struct ls_machine *m, uintptr_t addr, unsigned size, const uint8_t old[8],
		       int cpu)
{
	struct ls_mem *mm = &m->mem;
	uintptr_t block = addr & ~(uintptr_t)7;
	uint64_t g = ++mm->g;
	bool exact = false;
	unsigned b = bucket_of(addr);
	for (int i = mm->bucket[b]; i >= 0; i = mm->loc[i].next) {
		struct ls_mem_loc *l = &mm->loc[i];
		if (!overlaps(l->addr, l->size, addr, size))
			continue;
		uint64_t was = 0;
		memcpy(&was, old + (l->addr - block), l->size);
		push_hist(l, was, l->g, m->step);
		l->g = g;
		if (cpu >= 0)
			l->seen[cpu] = g;
		exact |= l->addr == addr && l->size == size;
	}
	if (!exact && mm->nloc < LS_MEM_LOCS) {
		struct ls_mem_loc *l = &mm->loc[mm->nloc];
		memset(l, 0, sizeof(*l));
		l->addr = addr;
		l->size = (uint8_t)size;
		memcpy(&l->hist[0].val, old + (addr - block), size);
		l->hist[0].until = m->step;
		l->nhist = 1;	/* what it held before: write 0 */
		l->g = g;
		if (cpu >= 0)
			l->seen[cpu] = g;
		l->next = mm->bucket[b];
		mm->bucket[b] = mm->nloc++;
	}
}

/* cpu read (or wrote) the bytes [addr, addr+size) as write g left them: it may read no older
 * value of any location sharing a byte with them than the one that location held after write g.
 * Kept per location and CPU, so a byte read and a word read of the same lock stay coherent. */
static void saw(struct ls_mem *mm, int cpu, uintptr_t addr, unsigned size, uint64_t g)
{
	for (int i = mm->bucket[bucket_of(addr)]; i >= 0; i = mm->loc[i].next) {
		struct ls_mem_loc *l = &mm->loc[i];
		if (!overlaps(l->addr, l->size, addr, size))
			continue;
		uint64_t then = l->g;	/* its newest value written no later than g */
		if (then > g) {
			then = 0;
			for (int k = 0; k < l->nhist; k++)
				if (l->hist[k].g <= g) {
					then = l->hist[k].g;
					break;
				}
		}
		if (l->seen[cpu] < then)
			l->seen[cpu] = then;
	}
}

/* Makes a store visible: memory changes, the write gets its number, waiters wake. */
static void commit(struct ls_machine *m, const struct ls_mem_store *st, int cpu)
{
	uint8_t old[8];
	snapshot(&m->mem, st->addr, st->size, old);
	memcpy((void *)st->addr, &st->val, st->size);
	note_write(m, st->addr, st->size, old, cpu);
	ls_wrote((const void *)st->addr);
}

/* ---- store buffers and held stores ------------------------------------------------------- */

static void remove_at(struct ls_mem_store *a, int *n, int i)
{
	memmove(&a[i], &a[i + 1], (size_t)(*n - i - 1) * sizeof(a[0]));
	(*n)--;
}

/* Entry i of cpu's buffer may become visible now. */
static bool drainable(const struct ls_mem *mm, const struct ls_mem_cpu *b, int i)
{
	if (i == 0)
		return true;
	if (mm->model != LS_MEM_RELAXED || b->buf[i].release)
		return false;
	for (int j = 0; j < i; j++)
		if (b->buf[j].epoch < b->buf[i].epoch ||
		    overlaps(b->buf[j].addr, b->buf[j].size, b->buf[i].addr, b->buf[i].size))
			return false;
	return true;
}

static void drain_at(struct ls_machine *m, int cpu, int i)
{
	struct ls_mem *mm = &m->mem;
	struct ls_mem_cpu *b = &mm->cpu[cpu];
	struct ls_mem_store st = b->buf[i];
	remove_at(b->buf, &b->n, i);
	mm->pending--;
	commit(m, &st, cpu);
	ls_ring_add(m, &m->ctx[st.ctx], LS_OP_DRAIN, (const void *)st.addr, st.site);
}

/* Drains cpu's buffer up to and including entry `upto`, oldest first. */
static void drain_prefix(struct ls_machine *m, int cpu, int upto)
{
	for (int i = 0; i <= upto; i++)
		drain_at(m, cpu, 0);
}

static void buffer_store(struct ls_machine *m, int cpu, const struct ls_mem_store *st)
{
	struct ls_mem *mm = &m->mem;
	if (mm->model == LS_MEM_SC) {
		commit(m, st, cpu);
		if (st->plain)	/* an emitted held store: its visibility is a mark of its own */
			ls_ring_add(m, &m->ctx[st->ctx], LS_OP_DRAIN, (const void *)st->addr,
				    st->site);
		return;
	}
	struct ls_mem_cpu *b = &mm->cpu[cpu];
	if (b->n == LS_MEM_BUF)
		drain_at(m, cpu, 0);
	b->buf[b->n] = *st;
	b->buf[b->n].epoch = b->epoch;
	b->n++;
	mm->pending++;
}

/* Held plain store i of context c may be emitted: no older one touches its bytes. */
static bool emittable(const struct ls_mem_held *h, int i)
{
	for (int j = 0; j < i; j++)
		if (overlaps(h->st[j].addr, h->st[j].size, h->st[i].addr, h->st[i].size))
			return false;
	return true;
}

static void emit_at(struct ls_machine *m, struct ls_ctx *c, int i)
{
	struct ls_mem_held *h = &m->mem.held[c->id];
	struct ls_mem_store st = h->st[i];
	remove_at(h->st, &h->n, i);
	m->mem.pending--;
	buffer_store(m, c->cpu, &st);
}

static void emit_all(struct ls_machine *m, struct ls_ctx *c)
{
	while (m->mem.held[c->id].n)
		emit_at(m, c, 0);
}

static void drain_cpu(struct ls_machine *m, int cpu)
{
	while (m->mem.cpu[cpu].n)
		drain_at(m, cpu, 0);
}

/* What an access of c must wait for: the compiler emits what c holds (every access but a plain
 * one is a compiler barrier), then the ordering of `o`. */
static void before(struct ls_machine *m, struct ls_ctx *c, enum order o)
{
	struct ls_mem *mm = &m->mem;
	if (o != O_PLAIN && mm->held[c->id].n)
		emit_all(m, c);
	if (mm->model == LS_MEM_SC)
		return;
	switch (o) {
	case O_FULL:
		drain_cpu(m, c->cpu);
		if (mm->model == LS_MEM_RELAXED)
			mm->cpu[c->cpu].floor = mm->g;	/* and catch up: nothing older is read */
		break;
	case O_WMB:
		mm->cpu[c->cpu].epoch++;
		break;
	default:
		break;
	}
}

/* The catching up that follows an acquire or a barrier. */
static void after(struct ls_machine *m, struct ls_ctx *c, enum order o)
{
	struct ls_mem *mm = &m->mem;
	if (mm->model == LS_MEM_RELAXED && (o == O_FULL || o == O_ACQUIRE || o == O_RMB))
		mm->cpu[c->cpu].floor = mm->g;
}

/* ---- what a load may read ---------------------------------------------------------------- */

/* The newest store of c (held back) or of its CPU (buffered) to exactly these bytes: *where 1 or
 * 2 and *idx; 0 when none, -1 when one overlaps them only in part (it must become visible
 * first: on x86 a load waits for it). */
static int forward(const struct ls_machine *m, const struct ls_ctx *c, uintptr_t addr,
		   unsigned size, int *idx)
{
	const struct ls_mem_held *h = &m->mem.held[c->id];
	for (int i = h->n - 1; i >= 0; i--)
		if (overlaps(h->st[i].addr, h->st[i].size, addr, size)) {
			*idx = i;
			return h->st[i].addr == addr && h->st[i].size == size ? 1 : -1;
		}
	const struct ls_mem_cpu *b = &m->mem.cpu[c->cpu];
	for (int i = b->n - 1; i >= 0; i--)
		if (overlaps(b->buf[i].addr, b->buf[i].size, addr, size)) {
			*idx = i;
			return b->buf[i].addr == addr && b->buf[i].size == size ? 2 : -2;
		}
	return 0;
}

/* The values a relaxed load by cpu may read from memory, newest first; returns how many (1 when
 * only the current value). */
static int candidates(const struct ls_machine *m, const struct ls_ctx *c, uintptr_t addr,
		      unsigned size, struct ls_mem_msg *out)
{
	const struct ls_mem *mm = &m->mem;
	int cpu = c->cpu;
	/* An address dependency: the address is a value this context loaded, and the write that
	 * stored it came after everything it may depend on became visible. */
	uint64_t floor = mm->cpu[cpu].floor;
	const struct ls_mem_held *h = &mm->held[c->id];
	for (int i = 0; i < h->ndep; i++)
		if (addr - h->dep[i].val < DEP_SPAN && h->dep[i].g > floor)
			floor = h->dep[i].g;
	const struct ls_mem_loc *l = mm->model == LS_MEM_RELAXED ?
				    find_loc((struct ls_mem *)mm, addr, size) : NULL;
	out[0].val = read_raw(addr, size);
	out[0].g = l ? l->g : 0;
	if (!l)
		return 1;
	/* The oldest it may read: the value at its last barrier, or the newest it saw here. */
	uint64_t lo = l->seen[cpu];
	uint64_t at_floor = l->g;
	if (l->g > floor) {
		at_floor = l->nhist ? l->hist[l->nhist - 1].g : l->g;
		for (int i = 0; i < l->nhist; i++)
			if (l->hist[i].g <= floor) {
				at_floor = l->hist[i].g;
				break;
			}
	}
	if (at_floor > lo)
		lo = at_floor;
	/* A value replaced more than MAX_WAIT_STEPS steps ago has reached every CPU. */
	int n = 1;
	for (int i = 0; i < l->nhist && l->hist[i].g >= lo &&
			m->step - l->hist[i].until <= MAX_WAIT_STEPS; i++)
		out[n++] = l->hist[i];
	return n;
}

/* ---- the accessors' entry points --------------------------------------------------------- */

static inline struct ls_ctx *running(void)
{
	struct ls_machine *m = ls_running;
	return m && m->mem.active ? m->cur : NULL;
}

void ls_mem_point(enum ls_op op, const void *addr, unsigned size, const struct ls_site *site)
{
	struct ls_machine *m = ls_running;
	struct ls_ctx *c;
	if (!m || !(c = m->cur))
		return;
	ls_machine_point(m, c, op, addr, size, site, __builtin_return_address(0));
	if (m->mem.active && op == LS_OP_FENCE) {
		enum order o = site_order(op, site);
		before(m, c, o);
		after(m, c, o);
	}
}

/* The model takes naturally aligned accesses of 1, 2, 4 or 8 bytes (atomic.h asserts the size);
 * an unaligned one is the model's own, sequentially consistent access. */
static inline bool natural(uintptr_t a, unsigned size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) && !(a & (size - 1));
}

uint64_t ls_mem_load(const void *addr, unsigned size)
{
	struct ls_ctx *c = running();
	uintptr_t a = (uintptr_t)addr;
	if (!c || !natural(a, size)) {
		if (c)
			ls_mem_model_point(ls_running, c, LS_OP_LOAD);
		return read_raw(a, size);
	}
	struct ls_machine *m = ls_running;
	enum order o = site_order(LS_OP_LOAD, c->site);
	before(m, c, o);
	int idx, f;
	while ((f = forward(m, c, a, size, &idx)) < 0) {
		if (f == -1)
			emit_all(m, c);
		else
			drain_prefix(m, c->cpu, idx);
	}
	uint64_t v, g = m->mem.g;	/* forwarded: newer than anything visible */
	if (f == 1) {
		v = m->mem.held[c->id].st[idx].val;
	} else if (f == 2) {
		v = m->mem.cpu[c->cpu].buf[idx].val;
	} else {
		struct ls_mem_msg cand[LS_MEM_HIST + 1];
		int n = candidates(m, c, a, size, cand);
		int k = c->mem_old < n ? c->mem_old : 0;
		v = cand[k].val;
		g = cand[k].g;
		saw(&m->mem, c->cpu, a, size, cand[k].g);
	}
	c->mem_old = 0;
	if (size == sizeof(void *) && m->mem.model == LS_MEM_RELAXED) {
		struct ls_mem_held *h = &m->mem.held[c->id];
		memmove(&h->dep[1], &h->dep[0], (LS_MEM_DEPS - 1) * sizeof(h->dep[0]));
		h->dep[0].val = v;
		h->dep[0].g = g;
		if (h->ndep < LS_MEM_DEPS)
			h->ndep++;
	}
	after(m, c, o);
	return v;
}

void ls_mem_store(void *addr, unsigned size, uint64_t value)
{
	struct ls_ctx *c = running();
	struct ls_mem_store st = { (uintptr_t)addr, value, 0, NULL, 0, (uint8_t)size, 0, false,
				  false };
	if (!c || !natural((uintptr_t)addr, size)) {
		if (c)
			ls_mem_model_point(ls_running, c, LS_OP_STORE);
		memcpy(addr, &value, size);
		ls_wrote(addr);
		return;
	}
	struct ls_machine *m = ls_running;
	enum order o = site_order(LS_OP_STORE, c->site);
	st.step = m->step;
	st.site = c->site;
	st.ctx = (uint8_t)c->id;
	st.release = o == O_RELEASE;
	st.plain = o == O_PLAIN;
	before(m, c, o);
	if (st.plain && m->mem.reorder) {
		struct ls_mem_held *h = &m->mem.held[c->id];
		if (h->n == LS_MEM_HELD)
			emit_at(m, c, 0);
		h->st[h->n++] = st;
		m->mem.pending++;
		return;
	}
	if (o == O_FULL) {
		/* A model's own store: the buffer drained before it, and it is visible at once. */
		commit(m, &st, c->cpu);
		after(m, c, o);
		return;
	}
	buffer_store(m, c->cpu, &st);
}

void ls_mem_rmw_begin(const void *addr, unsigned size)
{
	struct ls_ctx *c = running();
	if (!c)
		return;
	if (!natural((uintptr_t)addr, size)) {
		ls_mem_model_point(ls_running, c, LS_OP_RMW);
		c->mem_size = 0;	/* ls_mem_rmw_end(): nothing to note */
		ls_running->mem.rmw_addr = (uintptr_t)addr;
		return;
	}
	struct ls_machine *m = ls_running;
	struct ls_mem *mm = &m->mem;
	uintptr_t a = (uintptr_t)addr;
	enum order o = site_order(LS_OP_RMW, c->site);
	before(m, c, o == O_RELEASE ? O_FULL : o);
	struct ls_mem_cpu *b = &mm->cpu[c->cpu];
	if (mm->model == LS_MEM_TSO) {
		drain_cpu(m, c->cpu);	/* a locked instruction */
	} else if (mm->model == LS_MEM_RELAXED) {
		int last = -1;
		for (int i = 0; i < b->n; i++)
			if (b->buf[i].epoch < b->epoch || overlaps(b->buf[i].addr, b->buf[i].size, a, size))
				last = i;
		drain_prefix(m, c->cpu, last);
	}
	mm->rmw_addr = a;
	mm->rmw_order = (uint8_t)o;
	snapshot(mm, a, size, mm->rmw_block);
}

void ls_mem_rmw_end(const void *addr, bool wrote)
{
	struct ls_ctx *c = running();
	if (!c) {
		if (wrote)
			ls_wrote(addr);
		return;
	}
	struct ls_machine *m = ls_running;
	struct ls_mem *mm = &m->mem;
	uintptr_t a = (uintptr_t)addr;
	if (mm->rmw_addr != a)
		ls_machine_internal("ls_mem_rmw_end() without its ls_mem_rmw_begin()");
	if (!c->mem_size) {
		if (wrote)
			ls_wrote(addr);
	} else if (wrote) {
		note_write(m, a, c->mem_size, mm->rmw_block, c->cpu);
		ls_wrote(addr);
	} else {
		/* A failed compare read the newest value: the CPU saw it. */
		saw(mm, c->cpu, a, c->mem_size, mm->g);
	}
	after(m, c, (enum order)mm->rmw_order);
	mm->rmw_addr = 0;
}

bool ls_mem_may_park(const void *addr, unsigned size)
{
	struct ls_ctx *c = running();
	if (!c)
		return true;
	/* Only relaxed loads read older values; the others read the newest already. */
	struct ls_mem_loc *l = ls_running->mem.model == LS_MEM_RELAXED ?
			       find_loc(&ls_running->mem, (uintptr_t)addr, size) : NULL;
	if (!l || l->seen[c->cpu] >= l->g)
		return true;
	saw(&ls_running->mem, c->cpu, (uintptr_t)addr, size, ls_running->mem.g);
	return false;	/* the next look reads the newest */
}

/* ---- the scheduler's side ---------------------------------------------------------------- */

static void offer(struct ls_point *pt, uint8_t kind, int cpu, int ctx, int idx)
{
	if (pt->n >= LS_MAX_CHOICES)
		return;
	struct ls_choice *ch = &pt->choices[pt->n++];
	ch->kind = kind;
	ch->cpu = (uint8_t)cpu;
	ch->ctx = (uint8_t)ctx;
	ch->src = (uint8_t)idx;
}


void ls_mem_reset(struct ls_machine *m)
{
	struct ls_mem *mm = &m->mem;
	mm->active = ls_config_weak(&m->cfg);
	mm->model = m->cfg.memory_model;
	mm->reorder = m->cfg.compiler_reorder;
	ls_mem_on = mm->active;
	mm->pending = 0;
	if (!mm->active)
		return;
	mm->g = 0;
	mm->used = 0;
	mm->pending = 0;
	for (int i = 0; i < m->ncpus; i++) {
		mm->cpu[i].n = 0;
		mm->cpu[i].epoch = 0;
		mm->cpu[i].floor = 0;
	}
	for (int i = 0; i < m->nctx; i++) {
		mm->held[i].n = 0;
		mm->held[i].ndep = 0;
	}
	mm->nloc = 0;
	memset(mm->bucket, 0xff, sizeof(mm->bucket));
	mm->rmw_addr = 0;
}

void ls_mem_tick(struct ls_machine *m)
{
	struct ls_mem *mm = &m->mem;
	for (int i = 0; i < m->ncpus; i++)
		while (mm->cpu[i].n && m->step - mm->cpu[i].buf[0].step > MAX_WAIT_STEPS)
			drain_at(m, i, 0);
}

void ls_mem_time_passes(struct ls_machine *m)
{
	/* Hardware drains a buffer in nanoseconds: nothing waits there across a jump of the clock
	 * (a slow CPU, a delay), however few steps the jump takes.  Oldest first. */
	int cpu;
	do {
		cpu = -1;
		for (int i = 0; i < m->ncpus; i++)
			if (m->mem.cpu[i].n &&
			    (cpu < 0 || m->mem.cpu[i].buf[0].step < m->mem.cpu[cpu].buf[0].step))
				cpu = i;
		if (cpu >= 0)
			drain_at(m, cpu, 0);
	} while (cpu >= 0);
	/* ... and every CPU sees everything written before it: no older value survives a jump. */
	for (int i = 0; i < m->ncpus; i++)
		m->mem.cpu[i].floor = m->mem.g;
}

bool ls_mem_buffered(const struct ls_machine *m)
{
	if (!m->mem.pending)
		return false;
	for (int i = 0; i < m->ncpus; i++)
		if (m->mem.cpu[i].n)
			return true;
	return false;
}

void ls_mem_add_drains(struct ls_machine *m, struct ls_point *pt)
{
	/* The oldest entry of all first (every buffer's entry 0 may drain): the default. */
	struct ls_mem *mm = &m->mem;
	int oldest = -1;
	for (int i = 0; i < m->ncpus; i++)
		if (mm->cpu[i].n && (oldest < 0 || mm->cpu[i].buf[0].step < mm->cpu[oldest].buf[0].step))
			oldest = i;
	if (oldest < 0)
		ls_machine_internal("settling with empty store buffers");
	offer(pt, LS_CH_DRAIN, oldest, 0, 0);
	if (mm->used >= m->cfg.reorder_budget)
		return;
	for (int cpu = 0; cpu < m->ncpus; cpu++) {
		const struct ls_mem_cpu *b = &mm->cpu[cpu];
		for (int i = 0, k = 0; i < b->n && k < LS_MEM_OFFER; i++)
			if (drainable(mm, b, i) && !(cpu == oldest && i == 0)) {
				offer(pt, LS_CH_DRAIN, cpu, 0, i);
				k++;
			}
	}
}

void ls_mem_drain(struct ls_machine *m, int cpu, int idx)
{
	if (idx >= m->mem.cpu[cpu].n || !drainable(&m->mem, &m->mem.cpu[cpu], idx))
		ls_machine_internal("draining a store-buffer entry that cannot drain");
	drain_at(m, cpu, idx);
}

void ls_mem_emit_held(struct ls_machine *m, struct ls_ctx *c)
{
	emit_all(m, c);
}

void ls_mem_model_point(struct ls_machine *m, struct ls_ctx *c, enum ls_op op)
{
	if (op == LS_OP_PARK) {
		emit_all(m, c);
		return;
	}
	before(m, c, O_FULL);
	after(m, c, O_FULL);
}


void ls_mem_add_choices(struct ls_machine *m, struct ls_point *pt)
{
	struct ls_mem *mm = &m->mem;
	if (mm->used >= m->cfg.reorder_budget)
		return;
	if (mm->pending) {
		for (int cpu = 0; cpu < m->ncpus; cpu++) {
			const struct ls_mem_cpu *b = &mm->cpu[cpu];
			for (int i = 0, k = 0; i < b->n && k < LS_MEM_OFFER; i++)
				if (drainable(mm, b, i)) {
					offer(pt, LS_CH_DRAIN, cpu, 0, i);
					k++;
				}
		}
		/* Only a context that is on top of its CPU executes: one that is interrupted or
		 * preempted stopped at an instruction, and what it holds back comes after it. */
		for (int x = 0; x < m->nctx; x++) {
			const struct ls_mem_held *h = &mm->held[x];
			if (!h->n || m->cpu[m->ctx[x].cpu].top != &m->ctx[x])
				continue;
			for (int i = 0, k = 0; i < h->n && k < LS_MEM_OFFER; i++)
				if (emittable(h, i)) {
					offer(pt, LS_CH_EMIT, m->ctx[x].cpu, x, i);
					k++;
				}
		}
	}
	const struct ls_ctx *c = &m->ctx[pt->ctx];
	if (mm->model == LS_MEM_RELAXED && !pt->forced && c->op == LS_OP_LOAD && c->mem_size &&
	    site_order(LS_OP_LOAD, c->site) != O_FULL) {
		int idx;
		if (forward(m, c, (uintptr_t)c->addr, c->mem_size, &idx) != 0)
			return;
		struct ls_mem_msg cand[LS_MEM_HIST + 1];
		int n = candidates(m, c, (uintptr_t)c->addr, c->mem_size, cand);
		for (int k = 1; k < n; k++)
			offer(pt, LS_CH_OLD, c->cpu, c->id, k);
	}
}

void ls_mem_apply(struct ls_machine *m, uint8_t kind, int cpu, int ctx, int idx)
{
	m->mem.used++;
	if (kind == LS_CH_DRAIN) {
		ls_mem_drain(m, cpu, idx);
	} else {
		if (idx >= m->mem.held[ctx].n || !emittable(&m->mem.held[ctx], idx))
			ls_machine_internal("emitting a held store that cannot be emitted");
		emit_at(m, &m->ctx[ctx], idx);
	}
}

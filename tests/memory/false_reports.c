/* memory/false-reports: correct code that the weak memory models once reported as buggy.  Every
 * variant must stay clean under every model (test_memory_cli.sh fuzzes each); each came from the
 * review of the memory models, with the model it failed under:
 *
 *   irq-enable     --compiler-reorder: local_irq_enable() is a compiler barrier, so a hardirq it
 *                  lets in sees both plain stores made with interrupts off.  The model emitted
 *                  nothing there, and the handler saw y stored and x not.
 *   byte-then-word relaxed: after reading a lock's byte as the new value, a read of the whole word
 *                  may not return the old word (coherence across access sizes).
 *   word-then-byte the same, the other way round.
 *   time-jump      tso, relaxed: a store does not wait in a store buffer, nor a load read an older
 *                  value, across a millisecond a slow CPU let pass.
 * Built as a shared object against the installed headers, as a kernel developer's target is. */
#include <lockstep/kernel.h>
#include <lockstep/target.h>

#include <stdint.h>

enum { IRQ_ENABLE, BYTE_THEN_WORD, WORD_THEN_BYTE, TIME_JUMP, NVAR };

static int variant;
static int x, y;
static union {
	uint32_t w;
	uint8_t b[4];
} lockword __attribute__((aligned(8)));
static int flag __attribute__((aligned(8)));
static uint64_t stored_at;
static int stored;

static void t0_fn(void *arg)
{
	(void)arg;
	switch (variant) {
	case IRQ_ENABLE:
		local_irq_disable();
		PLAIN_WRITE(x, 1);
		PLAIN_WRITE(y, 1);
		local_irq_enable();
		cpu_relax();
		break;
	case BYTE_THEN_WORD:
	case WORD_THEN_BYTE:
		WRITE_ONCE(lockword.w, 0x10);
		WRITE_ONCE(lockword.b[1], 1);
		break;
	case TIME_JUMP:
		WRITE_ONCE(flag, 1);
		stored_at = ls_now();
		stored = 1;
		for (int i = 0; i < 20; i++)
			cpu_relax();
		break;
	}
}

static void t1_fn(void *arg)
{
	(void)arg;
	switch (variant) {
	case BYTE_THEN_WORD: {
		uint8_t b = READ_ONCE(lockword.b[1]);
		uint32_t w = READ_ONCE(lockword.w);
		if (b == 1 && ((w >> 8) & 0xff) != 1)
			ls_fail(LS_SITE("coherence"), "byte 1 read 1, then the word read %#x", w);
		break;
	}
	case WORD_THEN_BYTE: {
		uint32_t w = READ_ONCE(lockword.w);
		uint8_t b = READ_ONCE(lockword.b[1]);
		if (((w >> 8) & 0xff) == 1 && b != 1)
			ls_fail(LS_SITE("coherence"), "the word read %#x, then byte 1 read %u", w, b);
		break;
	}
	case TIME_JUMP:
		while (!READ_ONCE(flag)) {
			if (!ls_park(&flag, ls_now() + 1000000, LS_SITE("wait")) && stored &&
			    ls_now() - stored_at > 500000 && !READ_ONCE(flag))
				ls_fail(LS_SITE("timeout"), "flag stored %llu ns ago and still not seen",
					(unsigned long long)(ls_now() - stored_at));
		}
		break;
	default:
		cpu_relax();
		break;
	}
}

static void irq_fn(void *arg)
{
	(void)arg;
	int rx = READ_ONCE(x), ry = READ_ONCE(y);
	if (rx != ry)
		ls_fail(LS_SITE("irq"), "the hardirq on t0's CPU saw x=%d y=%d", rx, ry);
}

static void init(int v)
{
	variant = v;
	x = y = 0;
	lockword.w = 0;
	flag = 0;
	stored_at = 0;
	stored = 0;
}

static const struct ls_task_decl tasks[] = { { "t0", 0, t0_fn, NULL }, { "t1", 1, t1_fn, NULL } };
static const struct ls_irq_decl irqs[] = { { "tick", 1u << 0, 1, irq_fn, NULL } };
static const struct ls_variant variants[NVAR] = {
	{ "irq-enable", "local_irq_enable() emits held plain stores", LS_KIND_NONE },
	{ "byte-then-word", "coherence from a byte read to a word read", LS_KIND_NONE },
	{ "word-then-byte", "coherence from a word read to a byte read", LS_KIND_NONE },
	{ "time-jump", "nothing stays invisible across a slow jump of the clock", LS_KIND_NONE },
};
static const struct ls_target target = {
	.name = "memory/false-reports",
	.summary = "correct code the weak memory models once reported",
	.models = "sched/memory.c's bounds and barriers",
	.ncpus = 2,
	.tasks = tasks,
	.ntasks = 2,
	.irqs = irqs,
	.nirqs = 1,
	.variants = variants,
	.nvariants = NVAR,
	.init = init,
};
LS_TARGET_EXPORT(target);

/* Backtraces and code for reports: libunwind walks the stack of the running context (a fiber
 * stack ends at the trampoline, whose unwind info marks the return address undefined) and names
 * code addresses "function+0xoff/0xsize", and Capstone disassembles the instructions around a
 * context's position for a kernel-oops style "Code:" line.  These lines show the running binary's
 * instructions, named by function and offset, and name what they address (branch targets and
 * rip-relative data) by symbol rather than by address or displacement, so they stay the same
 * between two builds as long as the function itself compiles the same. */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"

void ls_backtrace_capture(struct ls_backtrace *bt, int skip)
{
	(void)skip;	/* frames are trimmed by name when printed: inlining moves them */
	bt->n = unw_backtrace(bt->ip, LS_MAX_FRAMES);
	if (bt->n < 0)
		bt->n = 0;
}

/* Names the function a return address ip returns into (libunwind looks up ip - 1, as an unwinder
 * must); returns false when no symbol covers it.  *start and *size describe the function. */
static bool lookup(const void *ip, char *name, size_t n, unw_word_t *off, unw_word_t *start,
		   unw_word_t *size)
{
	unw_proc_info_t pi;
	if (unw_get_proc_info_by_ip(unw_local_addr_space, (unw_word_t)ip, &pi, NULL) != 0)
		return false;
	*start = pi.start_ip;
	*size = pi.end_ip - pi.start_ip;
	/* The cursor API names any ip once the cursor's ip register is set to it. */
	unw_context_t uc;
	unw_cursor_t cur;
	if (unw_getcontext(&uc) != 0 || unw_init_local(&cur, &uc) != 0)
		return false;
	if (unw_set_reg(&cur, UNW_REG_IP, (unw_word_t)ip) != 0)
		return false;
	if (unw_get_proc_name(&cur, name, n, off) != 0)
		return false;
	return true;
}

void ls_symbolize(const void *ip, char *buf, size_t n)
{
	char name[128];
	unw_word_t off, start, size;
	if (!lookup(ip, name, sizeof(name), &off, &start, &size))
		snprintf(buf, n, "?");
	else
		snprintf(buf, n, "%s+0x%lx/0x%lx", name, (unsigned long)off, (unsigned long)size);
}

/* The validator's own frames are left out: a trace starts at the annotation the lock model
 * called, as the kernel's start at lock_acquire. */
static bool entry_frame(const char *sym)
{
	static const char *const entries[] = { "ls_lock_acquire+", "ls_lock_acquire_nested+",
					       "ls_lock_release+", "ls_lockdep_irqs_on+",
					       "ls_lockdep_softirqs_on+", "ls_lockdep_ctx_exit+",
					       "ls_lockdep_check_freed+" };
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (strncmp(sym, entries[i], strlen(entries[i])) == 0)
			return true;
	return false;
}

/* A branch target is the address itself, not a return address: libunwind names ip - 1, so
 * ask about the byte after it. */
static void symbolize_entry(unsigned long long target, char *buf, size_t n)
{
	char name[128];
	unw_word_t off, start, size;
	if (!lookup((const void *)(uintptr_t)(target + 1), name, sizeof(name), &off, &start, &size))
		snprintf(buf, n, "?");
	else if (off == 1)
		snprintf(buf, n, "%s", name);
	else
		snprintf(buf, n, "%s+0x%lx", name, (unsigned long)(off - 1));
}

/* A call from a shared object goes through its PLT: a stub with no symbol of its own (the
 * nearest one before it is _init, hence "call _init+0x30").  The stub jumps through a slot of the
 * object's GOT: "jmp qword ptr [rip + disp]" (ff 25), with a bnd prefix (f2) and after an
 * endbr64 (f3 0f 1e fa) when the object is built for IBT.  Returns 1 with *fn the function the
 * slot holds, 0 if target is no such stub, -1 if it is one whose slot is not bound yet (lazy
 * binding: it still points into the PLT), which names nothing. */
static int plt_target(uint64_t target, uint64_t *fn)
{
#if defined(__x86_64__)
	Dl_info at, slot_info;
	/* A stub has no symbol of its own; a function that starts with such a jump (a -fno-plt
	 * thunk) does. */
	if (!dladdr((const void *)(uintptr_t)target, &at) ||
	    at.dli_saddr == (void *)(uintptr_t)target)
		return 0;
	const unsigned char *p = (const unsigned char *)(uintptr_t)target;
	if (p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && p[3] == 0xfa)
		p += 4;	/* endbr64 */
	if (p[0] == 0xf2)
		p++;	/* bnd */
	if (p[0] != 0xff || p[1] != 0x25)
		return 0;
	int32_t disp;
	memcpy(&disp, p + 2, sizeof(disp));
	uintptr_t slot = (uintptr_t)(p + 6) + (uintptr_t)(intptr_t)disp;
	if (!dladdr((const void *)slot, &slot_info) || slot_info.dli_fbase != at.dli_fbase)
		return 0;
	uint64_t f;
	memcpy(&f, (const void *)slot, sizeof(f));
	Dl_info fi;
	if (f >= target && f < target + 32)
		return -1;	/* not bound yet: back into its own stub */
	if (!dladdr((const void *)(uintptr_t)f, &fi) || fi.dli_saddr != (void *)(uintptr_t)f)
		return -1;
	*fn = f;
	return 1;
#else
	(void)target;
	(void)fn;
	return 0;
#endif
}

void ls_backtrace_print(const struct ls_backtrace *bt, struct ls_buf *b)
{
	char sym[LS_MAX_FRAMES][160];
	int first = 0;
	for (int i = 0; i < bt->n; i++) {
		ls_symbolize(bt->ip[i], sym[i], sizeof(sym[i]));
		if (entry_frame(sym[i]))
			first = i;
	}
	for (int i = first; i < bt->n; i++) {
		/* The context's entry is the runtime's, not the target's: stop there. */
		if (strncmp(sym[i], "ctx_main+", 9) == 0)
			break;
		ls_buf_printf(b, "       %s\n", sym[i]);
	}
}

#if defined(__x86_64__)
#define CS_ARCH_HOST CS_ARCH_X86
#define CS_MODE_HOST CS_MODE_64
#elif defined(__aarch64__)
#define CS_ARCH_HOST CS_ARCH_ARM64
#define CS_MODE_HOST CS_MODE_ARM
#endif

/* An operand that addresses memory relative to the instruction pointer ("[rip + 0x25428]") holds
 * a displacement that changes whenever code between the instruction and its datum changes, so a
 * report would differ between two builds of the same target: the datum is named instead, by the
 * dynamic symbol that covers it ("[rip + ls_rss_limit_mb]", "[rip + table+0x40]"), or "?" when
 * none does: string literals and file-static variables, which is most of a target's data (the
 * dynamic symbol table holds only what an object exports).  Writes op_str so rewritten into buf. */
static void name_rip_operand(const char *op_str, uint64_t next, char *buf, size_t n)
{
	const char *r = strstr(op_str, "[rip ");
	if (!r || (r[5] != '+' && r[5] != '-') || r[6] != ' ' || r[7] != '0' || r[8] != 'x') {
		snprintf(buf, n, "%s", op_str);
		return;
	}
	char *end;
	unsigned long long disp = strtoull(r + 9, &end, 16);
	if (*end != ']') {
		snprintf(buf, n, "%s", op_str);
		return;
	}
	uintptr_t target = r[5] == '+' ? (uintptr_t)(next + disp) : (uintptr_t)(next - disp);
	char what[160] = "?";
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	if (dladdr1((const void *)target, &info, (void **)&sym, RTLD_DL_SYMENT) && sym &&
	    info.dli_sname && info.dli_saddr &&
	    target - (uintptr_t)info.dli_saddr < (sym->st_size ? sym->st_size : 1)) {
		uintptr_t off = target - (uintptr_t)info.dli_saddr;
		if (off)
			snprintf(what, sizeof(what), "%s+0x%lx", info.dli_sname, (unsigned long)off);
		else
			snprintf(what, sizeof(what), "%s", info.dli_sname);
	}
	snprintf(buf, n, "%.*s[rip + %s%s", (int)(r - op_str), op_str, what, end);
}

void ls_code_line(const void *ip, struct ls_buf *b)
{
#ifdef CS_ARCH_HOST
	char name[128];
	unw_word_t off, start, size;
	csh h;
	if (!ip || !lookup(ip, name, sizeof(name), &off, &start, &size) || off > 4096 ||
	    cs_open(CS_ARCH_HOST, CS_MODE_HOST, &h) != CS_ERR_OK)
		return;
	/* Decode from the function's start so instruction boundaries are right, and keep the
	 * last few instructions before ip and the few from ip on; ip is a return address, so the
	 * instruction before it is the call into the runtime. */
	enum { BEFORE = 4, AFTER = 3 };
	cs_insn *insn;
	size_t count = cs_disasm(h, (const uint8_t *)start, (size_t)off + 48, start, 0, &insn);
	size_t at = count;
	for (size_t i = 0; i < count; i++)
		if (insn[i].address == (uint64_t)(uintptr_t)ip) {
			at = i;
			break;
		}
	if (at < count) {
		ls_buf_printf(b, "Code: %s+0x%lx:", name, (unsigned long)off);
		size_t from = at > BEFORE ? at - BEFORE : 0;
		for (size_t i = from; i < count && i < at + AFTER; i++) {
			/* Branch targets are absolute addresses, which move with every run of a
			 * position-independent binary: name them instead. */
			char op[200];
			const char *o = insn[i].op_str;
			const char *hex = o[0] == '#' ? o + 1 : o;
			if (hex[0] == '0' && hex[1] == 'x' && !strpbrk(hex, " ,[")) {
				char *end;
				unsigned long long target = strtoull(hex, &end, 16);
				uint64_t fn;
				int plt = *end ? 0 : plt_target(target, &fn);
				if (plt < 0)
					snprintf(op, sizeof(op), "?");
				else if (!*end)
					symbolize_entry(plt ? fn : target, op, sizeof(op));
				else
					snprintf(op, sizeof(op), "%s", o);
			} else {
				name_rip_operand(o, insn[i].address + insn[i].size, op, sizeof(op));
			}
			ls_buf_printf(b, " %s%s%s%s%s;", i == at ? "<" : "", insn[i].mnemonic,
				      op[0] ? " " : "", op, i == at ? ">" : "");
		}
		ls_buf_printf(b, "\n");
	}
	if (count)
		cs_free(insn, count);
	cs_close(&h);
#else
	(void)ip;
	(void)b;
#endif
}

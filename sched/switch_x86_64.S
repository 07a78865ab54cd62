/* Fiber switch for x86-64 System V.
 *
 * void ls_fiber_swap(void **save_sp, void *new_sp)
 *
 * Pushes the callee-saved registers (rbp, rbx, r12-r15) and the two control words the ABI says
 * a callee preserves (MXCSR and the x87 control word), stores rsp into *save_sp, loads new_sp and
 * pops the same frame.  Caller-saved registers need no saving: the C caller already assumes the
 * call clobbers them.  A new fiber's frame (see fiber.c) holds the fiber in r12 and the C entry in
 * r13 and "returns" into ls_fiber_trampoline with rsp 16-byte aligned, so the call below enters C
 * with the alignment SSE code expects.
 */
	.text
	.globl	ls_fiber_swap
	.type	ls_fiber_swap, @function
ls_fiber_swap:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	ls_fiber_swap, .-ls_fiber_swap

	.globl	ls_fiber_trampoline
	.type	ls_fiber_trampoline, @function
ls_fiber_trampoline:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r12, %rdi
	callq	*%r13
	ud2			/* the entry never returns */
	.cfi_endproc
	.size	ls_fiber_trampoline, .-ls_fiber_trampoline

	.section .note.GNU-stack,"",@progbits

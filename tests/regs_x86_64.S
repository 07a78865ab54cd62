/* Callee-saved register checks for test_switch.c (x86-64 System V).
 *
 * int ls_test_regs_check(struct ls_fiber *from, struct ls_fiber *to)
 *   loads distinct patterns into rbx, rbp, r12-r15, calls ls_fiber_switch(from, to), and returns
 *   how many of the six registers no longer hold their pattern when the switch comes back.
 *
 * void ls_test_regs_clobber(struct ls_fiber *from, struct ls_fiber *to)
 *   fills the same registers with garbage and calls ls_fiber_switch(from, to).
 *
 * Both save and restore the caller's real callee-saved registers, and keep rsp 16-byte aligned
 * at the call (entry rsp = 8 mod 16, six pushes, one 8-byte pad).
 */
	.text
	.globl	ls_test_regs_check
	.type	ls_test_regs_check, @function
ls_test_regs_check:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	movabsq	$0x1111111111111111, %rbx
	movabsq	$0x2222222222222222, %rbp
	movabsq	$0x3333333333333333, %r12
	movabsq	$0x4444444444444444, %r13
	movabsq	$0x5555555555555555, %r14
	movabsq	$0x6666666666666666, %r15
	call	ls_fiber_switch@PLT
	xorl	%eax, %eax
	movabsq	$0x1111111111111111, %rcx
	cmpq	%rcx, %rbx
	setne	%dl
	movzbl	%dl, %edx
	addl	%edx, %eax
	movabsq	$0x2222222222222222, %rcx
	cmpq	%rcx, %rbp
	setne	%dl
	movzbl	%dl, %edx
	addl	%edx, %eax
	movabsq	$0x3333333333333333, %rcx
	cmpq	%rcx, %r12
	setne	%dl
	movzbl	%dl, %edx
	addl	%edx, %eax
	movabsq	$0x4444444444444444, %rcx
	cmpq	%rcx, %r13
	setne	%dl
	movzbl	%dl, %edx
	addl	%edx, %eax
	movabsq	$0x5555555555555555, %rcx
	cmpq	%rcx, %r14
	setne	%dl
	movzbl	%dl, %edx
	addl	%edx, %eax
	movabsq	$0x6666666666666666, %rcx
	cmpq	%rcx, %r15
	setne	%dl
	movzbl	%dl, %edx
	addl	%edx, %eax
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	ls_test_regs_check, .-ls_test_regs_check

	.globl	ls_test_regs_clobber
	.type	ls_test_regs_clobber, @function
ls_test_regs_clobber:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	movabsq	$0xdeadbeefdeadbeef, %rbx
	movabsq	$0xbadc0ffee0ddf00d, %rbp
	movq	%rbx, %r12
	notq	%r12
	movq	%rbp, %r13
	notq	%r13
	movabsq	$0x0123456789abcdef, %r14
	movabsq	$0xfedcba9876543210, %r15
	call	ls_fiber_switch@PLT
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	ls_test_regs_clobber, .-ls_test_regs_clobber

	.section .note.GNU-stack,"",@progbits

/* Fiber switch for aarch64 (AAPCS64).
 *
 * void ls_fiber_swap(void **save_sp, void *new_sp)
 *
 * Saves the callee-saved general registers x19-x28, the frame pointer x29, the link register x30
 * (the return address) and the low halves d8-d15 of the callee-saved vector registers in a
 * 160-byte frame, stores sp into *save_sp, loads new_sp and restores the same frame.  A new
 * fiber's frame (see fiber.c) holds the fiber in x19, the C entry in x20 and ls_fiber_trampoline
 * in x30; sp stays 16-byte aligned throughout, as the ABI requires.
 */
	.text
	.globl	ls_fiber_swap
	.type	ls_fiber_swap, %function
ls_fiber_swap:
	sub	sp, sp, #160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x2, sp
	str	x2, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	ret
	.size	ls_fiber_swap, .-ls_fiber_swap

	.globl	ls_fiber_trampoline
	.type	ls_fiber_trampoline, %function
ls_fiber_trampoline:
	mov	x0, x19
	blr	x20
	brk	#0		/* the entry never returns */
	.size	ls_fiber_trampoline, .-ls_fiber_trampoline

	.section .note.GNU-stack,"",%progbits

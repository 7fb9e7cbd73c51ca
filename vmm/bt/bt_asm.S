/* bt_asm.S: entry to and exit from translated code (System V x86-64).
 *
 * bt_asm_enter(struct bt_cpu *c, const void *code) saves the host's
 * callee-saved registers, loads the guest GPRs (ESP into R12) and the
 * guest's arithmetic flags (c->hflags) and jumps to (code) with R15 = c.
 * Translated code leaves through bt_asm_exit (guest registers live: store
 * them) or bt_asm_exit_nosave (a helper already stored them); both save
 * the guest's FPU state if translated code had loaded it (bt_tcache.c,
 * emit_fpu_fixed) and return to bt_asm_enter's caller. Offsets: BT_OFF_* in bt_trans.h. */
	.text
	.globl bt_asm_enter
	.type bt_asm_enter, @function
bt_asm_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	sub $8, %rsp			/* 16-byte alignment for helper calls */
	mov %rsp, 176(%rdi)		/* host_rsp */
	mov %rdi, %r15
	mov %rsi, %r11
	/* the guest's flags from hflags: SF ZF AF PF CF by SAHF, OF by an
	 * ADD that overflows (LAHF/SAHF exist on every host bt accepts) */
	mov 16(%r15), %r10d
	mov %r10d, %eax
	shr $11, %r10d
	and $1, %r10d
	shl $8, %eax
	mov %r10b, %al
	add $0x7f, %al
	sahf
	mov 48(%r15), %eax
	mov 56(%r15), %ecx
	mov 64(%r15), %edx
	mov 72(%r15), %ebx
	mov 80(%r15), %r12d
	mov 88(%r15), %ebp
	mov 96(%r15), %esi
	mov 104(%r15), %edi
	jmp *%r11
	.size bt_asm_enter, .-bt_asm_enter

	.globl bt_asm_exit
	.type bt_asm_exit, @function
bt_asm_exit:
	mov %eax, 48(%r15)
	mov %ecx, 56(%r15)
	mov %edx, 64(%r15)
	mov %ebx, 72(%r15)
	mov %r12d, 80(%r15)
	mov %ebp, 88(%r15)
	mov %esi, 96(%r15)
	mov %edi, 104(%r15)
	pushfq
	popq 16(%r15)
	.globl bt_asm_exit_nosave
bt_asm_exit_nosave:
	call *216(%r15)			/* BT_OFF_FPU_SAVE: the guest FPU out, if in */
	cld
	mov 176(%r15), %rsp
	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size bt_asm_exit, .-bt_asm_exit

	.section .note.GNU-stack,"",@progbits

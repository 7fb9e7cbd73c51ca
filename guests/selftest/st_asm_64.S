/* guests/selftest/st_asm_64.S: stack and control-transfer cases that play
 * with RSP, RBP and CS, so they are written in assembly. Each stores its
 * observations in st_out[] (st_stack.c and st_ctl.c check them). Ring 0. */

	.text
/* void st_stack_asm(void) */
	.globl st_stack_asm
st_stack_asm:
	push %rbp
	push %rbx
	lea st_out(%rip), %rdi
	/* 0: push imm8 is sign-extended to 64 bits */
	push $-2
	pop %rax
	mov %rax, 0(%rdi)
	/* 1: PUSH RSP pushes the value before the push */
	mov %rsp, %rcx
	push %rsp
	pop %rax
	sub %rcx, %rax
	mov %rax, 8(%rdi)
	/* 2: POP (%rsp) computes the address after incrementing RSP */
	push $0x1111
	push $0x2222
	popq (%rsp)
	pop %rax
	mov %rax, 16(%rdi)
	/* 3-5: ENTER 16, 0 and LEAVE */
	mov %rsp, %rcx
	mov %rbp, %rsi
	enter $16, $0
	mov %rcx, %rax
	sub %rsp, %rax
	mov %rax, 24(%rdi)
	mov %rcx, %rax
	sub %rbp, %rax
	mov %rax, 32(%rdi)
	leave
	mov %rcx, %rax
	sub %rsp, %rax
	mov %rax, 40(%rdi)
	/* 6-7: ENTER 8, 1 also pushes the new frame pointer */
	mov %rsp, %rcx
	enter $8, $1
	mov %rcx, %rax
	sub %rsp, %rax
	mov %rax, 48(%rdi)
	mov -8(%rbp), %rax
	sub %rbp, %rax
	mov %rax, 56(%rdi)
	leave
	mov %rsi, %rbp
	/* 8-9: no PUSHA in 64-bit mode: record what the 32-bit case expects */
	movq $0, 64(%rdi)
	movq $0, 72(%rdi)
	/* 10: RET imm16 drops the arguments */
	mov %rsp, %rcx
	push $1
	push $2
	call st_ret16
	mov %rsp, %rax
	sub %rcx, %rax
	mov %rax, 80(%rdi)
	/* 11: POPF sets CF and DF, PUSHF reads them back */
	pushf
	pop %rsi
	mov %rsi, %rax
	or $0x401, %rax
	push %rax
	popf
	pushf
	pop %rax
	and $0x401, %rax
	mov %rax, 88(%rdi)
	push %rsi
	popf
	/* 12: PUSH FS (PUSH DS is invalid in 64-bit mode), low 16 bits */
	push %fs
	pop %rax
	and $0xffff, %eax
	mov %rax, 96(%rdi)
	pop %rbx
	pop %rbp
	ret

st_ret16:
	ret $16

/* void st_ctl_asm(void) */
	.globl st_ctl_asm
st_ctl_asm:
	push %rbp
	push %rbx
	lea st_out(%rip), %rdi
	/* 0-1: far call through m16:32 (no direct far call in 64-bit mode),
	 * 32-bit far return (SDM 2A CALL: operand size 32 pushes CS and EIP
	 * as 4 bytes each) */
	lcall *far_ptr(%rip)
	mov %rax, 0(%rdi)
	mov %cs, %eax
	mov %rax, 8(%rdi)
	/* 2-3: far jump through m16:32, back with LRETQ (the usual way to
	 * reload CS in long mode) */
	ljmp *far_jptr(%rip)
fj:	mov %cs, %eax
	mov %rax, 16(%rdi)
	pushq $0x08
	lea 1f(%rip), %rax
	push %rax
	lretq
1:	mov %cs, %eax
	mov %rax, 24(%rdi)
	/* 4: LRETQ to the alias segment and back */
	pushq $0x40
	lea 2f(%rip), %rax
	push %rax
	lretq
2:	mov %cs, %eax
	mov %rax, 32(%rdi)
	pushq $0x08
	lea 3f(%rip), %rax
	push %rax
	lretq
3:	/* 5: far return with an immediate pops the arguments */
	mov %rsp, %rcx
	push $1
	push $2
	lcall *far_ptr_ret(%rip)
	sub %rsp, %rcx
	mov %rcx, 40(%rdi)
	/* 6: IRETQ to the same privilege level restores the flags (it
	 * always pops SS:RSP in 64-bit mode, SDM 3A 6.14.3) */
	mov %rsp, %rax
	pushq $0x10
	push %rax
	pushf
	orq $1, (%rsp)
	pushq $0x08
	lea 4f(%rip), %rax
	push %rax
	iretq
4:	setc %al
	movzbl %al, %eax
	mov %rax, 48(%rdi)
	/* 7-8: indirect near calls through a register and memory */
	lea near_fn(%rip), %rax
	call *%rax
	mov %rax, 56(%rdi)
	xor %eax, %eax
	call *near_ptr(%rip)
	mov %rax, 64(%rdi)
	/* 9: a jump table */
	mov $2, %ecx
	lea jtab(%rip), %rax
	jmp *(%rax, %rcx, 8)
j0:	mov $10, %eax
	jmp 5f
j1:	mov $20, %eax
	jmp 5f
j2:	mov $30, %eax
5:	mov %rax, 72(%rdi)
	/* 10-11: LOOP and JRCXZ */
	mov $5, %ecx
	xor %eax, %eax
6:	add $3, %eax
	loop 6b
	mov %rax, 80(%rdi)
	xor %ecx, %ecx
	mov $1, %eax
	jrcxz 7f
	mov $2, %eax
7:	mov %rax, 88(%rdi)
	/* 12-13: into compatibility mode (a 32-bit code segment) and back:
	 * there 0x40 is INC EAX, not a REX prefix. Upper register halves are
	 * undefined afterwards (SDM 3A 9.8.5), so only 32 bits are kept. */
	ljmp *compat_ptr(%rip)
	.code32
compat:
	mov %cs, %esi
	mov $0x7fffffff, %eax
	inc %eax
	ljmp $0x08, $back64
	.code64
back64:
	lea st_out(%rip), %rdi
	mov %esi, %esi
	mov %rsi, 96(%rdi)
	mov %eax, %eax
	mov %rax, 104(%rdi)
	pop %rbx
	pop %rbp
	ret

far_target:
	mov %cs, %eax
	lretl			/* 32-bit operand: pops EIP and CS, 4 bytes each */
far_target_ret16:
	mov %cs, %eax
	lretl $16
near_fn:
	mov $0x77, %eax
	ret

	.section .rodata
far_ptr:
	.long far_target
	.word 0x40
far_jptr:
	.long fj
	.word 0x40
far_ptr_ret:
	.long far_target_ret16
	.word 0x40
compat_ptr:
	.long compat
	.word 0x48
near_ptr:
	.quad near_fn
jtab:
	.quad j0, j1, j2

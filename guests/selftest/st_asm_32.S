/* guests/selftest/st_asm_32.S: stack and control-transfer cases that play
 * with ESP, EBP and CS, so they are written in assembly. Each stores its
 * observations in st_out[] (st_stack.c and st_ctl.c check them). Ring 0. */

	.text
/* void st_stack_asm(void) */
	.globl st_stack_asm
st_stack_asm:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov $st_out, %edi
	/* 0: push imm8 is sign-extended */
	push $-2
	pop %eax
	mov %eax, 0(%edi)
	/* 1: PUSH ESP pushes the value before the push (SDM 2B PUSH) */
	mov %esp, %ecx
	push %esp
	pop %eax
	sub %ecx, %eax
	mov %eax, 4(%edi)
	/* 2: POP (%esp) computes the address after incrementing ESP */
	push $0x1111
	push $0x2222
	popl (%esp)
	pop %eax
	mov %eax, 8(%edi)
	/* 3-5: ENTER 16, 0 and LEAVE */
	mov %esp, %ecx
	mov %ebp, %esi
	enter $16, $0
	mov %ecx, %eax
	sub %esp, %eax
	mov %eax, 12(%edi)
	mov %ecx, %eax
	sub %ebp, %eax
	mov %eax, 16(%edi)
	leave
	mov %ecx, %eax
	sub %esp, %eax
	mov %eax, 20(%edi)
	/* 6-7: ENTER 8, 1 also pushes the new frame pointer */
	mov %esp, %ecx
	enter $8, $1
	mov %ecx, %eax
	sub %esp, %eax
	mov %eax, 24(%edi)
	mov -4(%ebp), %eax
	sub %ebp, %eax
	mov %eax, 28(%edi)
	leave
	mov %esi, %ebp
	/* 8-9: PUSHA stores the original ESP, POPA skips it */
	mov %esp, %ecx
	pusha
	mov 12(%esp), %eax
	sub %ecx, %eax
	mov %eax, 32(%edi)
	movl $0, 12(%esp)
	popa
	mov %esp, %eax
	sub %ecx, %eax
	mov %eax, 36(%edi)
	/* 10: RET imm16 drops the arguments */
	mov %esp, %ecx
	push $1
	push $2
	call st_ret8
	mov %esp, %eax
	sub %ecx, %eax
	mov %eax, 40(%edi)
	/* 11: POPF sets CF and DF, PUSHF reads them back */
	pushf
	pop %esi
	mov %esi, %eax
	or $0x401, %eax
	push %eax
	popf
	pushf
	pop %eax
	and $0x401, %eax
	mov %eax, 44(%edi)
	push %esi
	popf
	/* 12: PUSH DS, low 16 bits (the upper ones are implementation
	 * specific, SDM 2B PUSH) */
	push %ds
	pop %eax
	and $0xffff, %eax
	mov %eax, 48(%edi)
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

st_ret8:
	ret $8

/* void st_ctl_asm(void) */
	.globl st_ctl_asm
st_ctl_asm:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov $st_out, %edi
	/* 0-1: direct far call to another ring-0 code segment, far return */
	lcall $0x40, $far_target
	mov %eax, 0(%edi)
	mov %cs, %eax
	mov %eax, 4(%edi)
	/* 2-3: far jumps there and back */
	ljmp $0x40, $1f
1:	mov %cs, %eax
	mov %eax, 8(%edi)
	ljmp $0x08, $2f
2:	mov %cs, %eax
	mov %eax, 12(%edi)
	/* 4: far call through a m16:32 pointer */
	lcall *far_ptr
	mov %eax, 16(%edi)
	/* 5: far return with an immediate pops the arguments */
	mov %esp, %ecx
	push $1
	push $2
	lcall $0x40, $far_target_ret8
	sub %esp, %ecx
	mov %ecx, 20(%edi)
	/* 6: IRET to the same privilege level restores the flags */
	pushf
	pop %eax
	or $1, %eax
	push %eax
	push %cs
	push $3f
	iret
3:	setc %al
	movzbl %al, %eax
	mov %eax, 24(%edi)
	/* 7-8: indirect near calls through a register and memory */
	mov $near_fn, %eax
	call *%eax
	mov %eax, 28(%edi)
	xor %eax, %eax
	call *near_ptr
	mov %eax, 32(%edi)
	/* 9: a jump table */
	mov $2, %ecx
	jmp *jtab(, %ecx, 4)
j0:	mov $10, %eax
	jmp 4f
j1:	mov $20, %eax
	jmp 4f
j2:	mov $30, %eax
4:	mov %eax, 36(%edi)
	/* 10-11: LOOP and JECXZ */
	mov $5, %ecx
	xor %eax, %eax
5:	add $3, %eax
	loop 5b
	mov %eax, 40(%edi)
	xor %ecx, %ecx
	mov $1, %eax
	jecxz 6f
	mov $2, %eax
6:	mov %eax, 44(%edi)
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

far_target:
	mov %cs, %eax
	lret
far_target_ret8:
	mov %cs, %eax
	lret $8
near_fn:
	mov $0x77, %eax
	ret

	.section .rodata
far_ptr:
	.long far_target
	.word 0x40
near_ptr:
	.long near_fn
jtab:
	.long j0, j1, j2

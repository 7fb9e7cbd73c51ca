/* guests/lib/rt_switch_64.S: task switching and entry to ring 3, 64-bit. */

	.text
/* void rt_ctx_switch(ulong *save_sp, ulong new_sp): SysV callee-saved
 * registers stay on the old stack, whose pointer goes to *save_sp. */
	.globl rt_ctx_switch
rt_ctx_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.globl rt_task_start
rt_task_start:
	and $-16, %rsp
	call task_entry
	ud2

/* void rt_user_enter(ulong ip, ulong sp, ulong arg): push the exit
 * trampoline as the return address (RSP = 8 mod 16 at the function entry,
 * as the SysV ABI wants) and iretq to ring 3 (SDM 3A 6.14.3). */
	.globl rt_user_enter
rt_user_enter:
	sub $8, %rsi
	movabs $rt_user_exit_tramp, %rax
	mov %rax, (%rsi)
	pushq $0x23		/* SEL_UDATA */
	push %rsi
	pushq rt_user_flags(%rip)
	pushq $0x2b		/* SEL_UCODE64 */
	push %rdi
	mov %rdx, %rdi
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
#ifdef RT_PV
	jmp *rt_vmi_iret(%rip)
#else
	iretq
#endif

/* Where a user function returns to: exit with its return value, through
 * SYSCALL as a 64-bit OS would. */
	.section .utext, "ax"
	.globl rt_user_exit_tramp
rt_user_exit_tramp:
#ifdef RT_PV
	mov rt_vmi_user+8(%rip), %rcx	/* the ROM's SYSCALL entry, if any */
	test %rcx, %rcx
	jz 1f
	mov %rax, %rsi
	mov $1, %edi		/* SYS_EXIT */
	xor %edx, %edx
	call *%rcx
	ud2
1:
#endif
	mov %rax, %rdi
	mov $1, %eax		/* SYS_EXIT */
	syscall
	ud2

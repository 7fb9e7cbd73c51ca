/* guests/lib/rt_switch_32.S: task switching and entry to ring 3, 32-bit. */

	.text
/* void rt_ctx_switch(ulong *save_sp, ulong new_sp): cdecl callee-saved
 * registers stay on the old stack, whose pointer goes to *save_sp. */
	.globl rt_ctx_switch
rt_ctx_switch:
	mov 4(%esp), %eax
	mov 8(%esp), %edx
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, (%eax)
	mov %edx, %esp
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

	.globl rt_task_start
rt_task_start:
	call task_entry
	ud2

/* void rt_user_enter(ulong ip, ulong sp, ulong arg): build the user stack
 * (arg, then the exit trampoline as return address, ESP = 12 mod 16 as the
 * i386 psABI wants at a function entry) and iret to ring 3 (SDM 3A 6.12.1:
 * the iret pops SS:ESP as well because the privilege level changes). */
	.globl rt_user_enter
rt_user_enter:
	mov 4(%esp), %ecx
	mov 8(%esp), %edx
	mov 12(%esp), %eax
	sub $20, %edx
	mov %eax, 4(%edx)
	movl $rt_user_exit_tramp, (%edx)
#ifndef RT_PV	/* PV: the ROM's iret sets DS/ES for ring 3 */
	mov $0x23, %eax		/* SEL_UDATA: kernel DS/ES would be nulled */
	mov %eax, %ds
	mov %eax, %es
#endif
	pushl $0x23
	push %edx
	pushl rt_user_flags
	pushl $0x1b		/* SEL_UCODE32 */
	push %ecx
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
#ifdef RT_PV
	jmp *rt_vmi_iret
#else
	iret
#endif

/* Where a user function returns to: exit with its return value. */
	.section .utext, "ax"
	.globl rt_user_exit_tramp
rt_user_exit_tramp:
#ifdef RT_PV
	mov rt_vmi_user, %ecx	/* the ROM's int 0x80 entry, if any */
	test %ecx, %ecx
	jz 1f
	push $0
	push %eax
	push $1			/* SYS_EXIT */
	call *%ecx
	ud2
1:
#endif
	mov %eax, %ebx
	mov $1, %eax		/* SYS_EXIT */
	int $0x80
	ud2

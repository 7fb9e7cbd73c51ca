/* pv_sys.S: the only instructions that make host system calls in a pv
 * sandbox: the seccomp filter (pv_seccomp.c) traps any system call whose
 * instruction pointer lies outside [pv_sys_start, pv_sys_end). Also the
 * signal restorer (rt_sigreturn) and the int3 a child uses to enter the
 * guest through its own signal handler. */

	.section .text.pv_sys, "ax"
	.p2align 4
	.globl pv_sys_start, pv_sys_end, pv_sys, pv_sys_restorer
	.globl pv_sys_enter, pv_sys_enter_site
pv_sys_start:

/* long pv_sys(nr, a1, a2, a3, a4, a5, a6): the kernel's convention (RAX,
 * RDI, RSI, RDX, R10, R8, R9); returns -errno on failure. */
pv_sys:
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
	syscall
	ret

/* SA_RESTORER for every handler of a sandbox: rt_sigreturn (15). */
pv_sys_restorer:
	mov $15, %eax
	syscall
	ud2

/* The SIGTRAP handler turns this int3 into the guest's first instruction. */
pv_sys_enter:
	int3
pv_sys_enter_site:
	ud2
pv_sys_end:

	.section .note.GNU-stack, "", @progbits

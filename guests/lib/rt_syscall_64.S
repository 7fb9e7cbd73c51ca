/* guests/lib/rt_syscall_64.S: the SYSCALL entry (IA32_LSTAR). SYSCALL
 * leaves RSP at the user's value (SDM 3A 5.8.8), so the entry uses SWAPGS
 * to reach the per-CPU block (KERNEL_GS_BASE = &rt_percpu), takes the
 * current task's kernel stack from it, and swaps back at once: kernel C
 * code always runs with the user's GS, which makes task switches between
 * SYSCALL and interrupt entries safe. The frame is a struct trap_frame with
 * vector VEC_SYSCALL_INSN; the return goes through SYSRET. FMASK has
 * cleared IF, so nothing can interrupt the window between the swaps. */

#include "rt_frame_64.h"

	.text
	.globl rt_syscall_entry
rt_syscall_entry:
	swapgs
	mov %rsp, %gs:16	/* rt_percpu.user_sp */
	mov %gs:8, %rsp		/* rt_percpu.kstack */
	pushq $0x23		/* ss: SEL_UDATA */
	pushq %gs:16		/* sp */
	swapgs
	push %r11		/* flags: SYSCALL saved RFLAGS in R11 */
	pushq $0x2b		/* cs: SEL_UCODE64 */
	push %rcx		/* ip: SYSCALL saved RIP in RCX */
	pushq $0		/* err */
	pushq $0x100		/* vector: VEC_SYSCALL_INSN */
	PUSH_GPRS
	mov %rsp, %rdi
	call syscall_dispatch
	POP_GPRS
	add $16, %rsp		/* vector, err */
	pop %rcx		/* ip for SYSRET */
	add $8, %rsp		/* cs */
	pop %r11		/* flags for SYSRET */
	pop %rsp		/* user RSP; ss is implied */
	sysretq

#ifdef RT_PV
/* The entry PV_CALL_SET_SYSCALL registers (docs/vmi.md): the ROM (native:
 * its LSTAR trampoline; pv: the engine) has switched to the kernel stack
 * and pushed an interrupt frame (ss, rsp, rflags, cs, rip), IF clear; RCX
 * and R11 are what SYSCALL left. The same frame as an int 0x80, so the
 * return goes through the ROM's sysret. */
	.globl rt_pv_syscall_entry
rt_pv_syscall_entry:
	pushq $0		/* err */
	pushq $0x100		/* vector: VEC_SYSCALL_INSN */
	PUSH_GPRS
	cld
	mov %rsp, %rdi
	call syscall_dispatch
	POP_GPRS
	add $16, %rsp		/* vector, err */
	jmp *rt_vmi_sysret(%rip)
#endif

/* guests/lib/rt_trap_64.S: interrupt and exception entry, 64-bit build.
 * One 16-byte stub per vector pushes a zero error code where the CPU does
 * not push one (SDM 3A 6.13 table 6-1) and the vector number; the common
 * part saves the registers as struct trap_frame (rt.h) and calls
 * trap_dispatch(frame). The CPU aligned RSP to 16 before pushing its
 * frame (SDM 3A 6.14.2), and 22 quadwords keep it aligned for the call.
 * GS is not touched: kernel code runs with the user's GS (rt_syscall_64.S).
 * PV builds (-DRT_PV) return through the VMI ROM's iret (rt_vmi.h). */

#include "rt_frame_64.h"

	.text
	.p2align 4
	.globl rt_trap_stubs
rt_trap_stubs:
	.set vec, 0
	.rept 0x82
	.p2align 4
	.if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	PUSH_GPRS
	cld
	mov %rsp, %rdi
	call trap_dispatch
	POP_GPRS
	add $16, %rsp		/* vector, error code */
#ifdef RT_PV
	jmp *rt_vmi_iret(%rip)
#else
	iretq
#endif

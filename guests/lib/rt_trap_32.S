/* guests/lib/rt_trap_32.S: interrupt and exception entry, 32-bit build.
 * One 16-byte stub per vector pushes a zero error code where the CPU does
 * not push one (SDM 3A 6.13 table 6-1) and the vector number; the common
 * part saves the registers as struct trap_frame (rt.h), switches to the
 * kernel data segment and calls trap_dispatch(frame). PV builds (-DRT_PV)
 * never load segment registers (the pv engine runs the guest on the host's
 * flat segments): they keep DS/ES as they were, store zeros in the frame's
 * ds/es slots, and return through the VMI ROM's iret (rt_vmi.h). */

	.text
	.p2align 4
	.globl rt_trap_stubs
rt_trap_stubs:
	.set vec, 0
	.rept 0x82
	.p2align 4
	.if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushl $0
	.endif
	pushl $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	pusha
#ifdef RT_PV
	push $0			/* ds, es: untouched */
	push $0
	cld
	push %esp
	call trap_dispatch
	add $12, %esp
	popa
	add $8, %esp		/* vector, error code */
	jmp *rt_vmi_iret
#else
	push %ds
	push %es
	mov $0x10, %eax		/* SEL_KDATA */
	mov %eax, %ds
	mov %eax, %es
	cld			/* the C ABI wants DF=0; ring 3 may have set it */
	push %esp
	call trap_dispatch
	add $4, %esp
	pop %es
	pop %ds
	popa
	add $8, %esp		/* vector, error code */
	iret
#endif

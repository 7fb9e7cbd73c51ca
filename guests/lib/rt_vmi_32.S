/* guests/lib/rt_vmi_32.S: the native iret used by PV builds when there is
 * no VMI ROM; the same as the native ROM's PV_CALL_IRET: returning to ring
 * 3, DS and ES get the frame's SS (iret would null ring-0 data segments,
 * SDM 3A 6.12.1), because PV builds never load segments in their trap path. */
#ifdef RT_PV
	.text
	.globl rt_native_iret
rt_native_iret:
	testb $3, 4(%esp)
	jz 1f
	push %eax
	mov 20(%esp), %eax
	mov %eax, %ds
	mov %eax, %es
	pop %eax
1:	iret
#endif

/* guests/lib/rt_vmi_64.S: the native iret used by PV builds when there is
 * no VMI ROM (the same as the native ROM's entry). */
#ifdef RT_PV
	.text
	.globl rt_native_iret
rt_native_iret:
	iretq

#endif

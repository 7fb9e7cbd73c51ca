/* guests/selftest/st_ring_32.S: int 0x80 from ring 3 with every register
 * loaded with a known value; stores what comes back in st_user_out. */
	.section .utext, "ax"
	.globl st_int80_regs
st_int80_regs:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov $0x11111111, %ebx
	mov $0x22222222, %ecx
	mov $0x33333333, %edx
	mov $0x44444444, %esi
	mov $0x55555555, %edi
	mov $0x66666666, %ebp
	mov %esp, st_user_out + 4 * 8
	mov $8, %eax			/* SYS_ST_ECHO */
	int $0x80
	mov %eax, st_user_out + 4 * 0
	mov %ebx, st_user_out + 4 * 1
	mov %ecx, st_user_out + 4 * 2
	mov %edx, st_user_out + 4 * 3
	mov %esi, st_user_out + 4 * 4
	mov %edi, st_user_out + 4 * 5
	mov %ebp, st_user_out + 4 * 6
	mov %ds, %eax
	mov %eax, st_user_out + 4 * 7
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	xor %eax, %eax
	ret

	.section .udata, "aw"
	.p2align 4
	.globl st_user_out
st_user_out:
	.space 4 * 24

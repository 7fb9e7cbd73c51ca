/* guests/work/divzero_32.S: ulong divzero_loop(ulong n): n divisions by
 * zero in ring 3. The #DE handler (work_divzero.c) resumes at
 * divzero_resume with EAX = DIVZERO_MARK; returns how many resumptions
 * showed the mark. */
	.section .utext, "ax"
	.globl divzero_loop, divzero_site, divzero_resume
divzero_loop:
	push %ebx
	push %esi
	mov 12(%esp), %ebx
	xor %ecx, %ecx
	xor %esi, %esi
	test %ebx, %ebx
	jz 3f
1:	mov $1, %eax
	xor %edx, %edx
divzero_site:
	div %esi
divzero_resume:
	cmp $0xdead, %eax
	jne 2f
	inc %ecx
2:	dec %ebx
	jnz 1b
3:	mov %ecx, %eax
	pop %esi
	pop %ebx
	ret

/* guests/work/divzero_64.S: ulong divzero_loop(ulong n): n divisions by
 * zero in ring 3. The #DE handler (work_divzero.c) resumes at
 * divzero_resume with RAX = DIVZERO_MARK; returns how many resumptions
 * showed the mark. */
	.section .utext, "ax"
	.globl divzero_loop, divzero_site, divzero_resume
divzero_loop:
	xor %ecx, %ecx
	xor %esi, %esi
	test %rdi, %rdi
	jz 3f
1:	mov $1, %eax
	xor %edx, %edx
divzero_site:
	div %rsi
divzero_resume:
	cmp $0xdead, %rax
	jne 2f
	inc %rcx
2:	dec %rdi
	jnz 1b
3:	mov %rcx, %rax
	ret

/* guests/work/callret_32.S: uint32_t callret_rec(uint32_t depth, uint32_t x)
 * = depth ? callret_rec(depth - 1, x + depth) + 1 : 3 * x + 1, written in
 * assembly so the compiler cannot turn the recursion into a loop: depth + 1
 * real call/ret pairs, nested (the return stack buffer's case). */
	.section .utext, "ax"
	.globl callret_rec
callret_rec:
	mov 4(%esp), %ecx
	mov 8(%esp), %eax
	test %ecx, %ecx
	jz 1f
	add %ecx, %eax
	dec %ecx
	push %eax
	push %ecx
	call callret_rec
	add $8, %esp
	inc %eax
	ret
1:	lea 1(%eax, %eax, 2), %eax
	ret

/* guests/work/callret_64.S: uint32_t callret_rec(uint32_t depth, uint32_t x)
 * = depth ? callret_rec(depth - 1, x + depth) + 1 : 3 * x + 1, written in
 * assembly so the compiler cannot turn the recursion into a loop: depth + 1
 * real call/ret pairs, nested (the return stack buffer's case). */
	.section .utext, "ax"
	.globl callret_rec
callret_rec:
	test %edi, %edi
	jz 1f
	add %edi, %esi
	dec %edi
	sub $8, %rsp
	call callret_rec
	add $8, %rsp
	inc %eax
	ret
1:	lea 1(%rsi, %rsi, 2), %eax
	ret

/* guests/selftest/st_sse_64.S: SSE2 moves and arithmetic (64-bit build):
 * aligned and unaligned loads, packed integer add/multiply/shuffle/logic,
 * scalar and packed double arithmetic, conversions. Results go to st_out
 * (st_sse.c checks them). */
	.text
	.globl st_sse_asm
st_sse_asm:
	lea st_out(%rip), %rdi
	lea sse_data(%rip), %rsi
	movdqa 0(%rsi), %xmm0		/* 1 2 3 4 */
	movdqu 4(%rsi), %xmm1		/* 2 3 4 5, unaligned */
	paddd %xmm1, %xmm0		/* 3 5 7 9 */
	movdqu %xmm0, 0(%rdi)
	pmuludq %xmm1, %xmm0		/* 3*2, 7*4 as quadwords */
	movdqu %xmm0, 16(%rdi)
	pshufd $0x1b, %xmm1, %xmm2	/* 5 4 3 2 */
	movdqu %xmm2, 32(%rdi)
	pcmpeqd %xmm3, %xmm3		/* all ones */
	pxor %xmm1, %xmm3		/* ~(2 3 4 5) */
	pand 0(%rsi), %xmm3		/* & (1 2 3 4) */
	movdqu %xmm3, 48(%rdi)
	movsd 32(%rsi), %xmm4		/* 1.5 */
	mulsd 40(%rsi), %xmm4		/* * 2.0 = 3.0 */
	addsd 32(%rsi), %xmm4		/* + 1.5 = 4.5 */
	movq %xmm4, %rax
	mov %rax, 64(%rdi)
	movsd 48(%rsi), %xmm5		/* 2.25 */
	sqrtsd %xmm5, %xmm5		/* 1.5 */
	movq %xmm5, 72(%rdi)
	mov $-7, %rax
	cvtsi2sd %rax, %xmm6		/* -7.0 */
	mulsd 32(%rsi), %xmm6		/* -10.5 */
	cvttsd2si %xmm6, %rax		/* -10 (truncation) */
	mov %rax, 80(%rdi)
	movapd 32(%rsi), %xmm7		/* 1.5 2.0 */
	addpd %xmm7, %xmm7		/* 3.0 4.0 */
	movupd %xmm7, 88(%rdi)
	psllq $4, %xmm1			/* shift each quadword */
	movq %xmm1, 104(%rdi)
	ret

	.section .rodata
	.p2align 4
sse_data:
	.long 1, 2, 3, 4, 5, 6, 7, 8
	.p2align 4
	.double 1.5, 2.0, 2.25

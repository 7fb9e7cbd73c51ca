/* tiny-elf64: an ELF64 kernel, entered by the loader directly in long mode
 * (docs/boot.md: identity-mapped 4 GiB, CS 0x10, RSI = the zero page).
 * Checks the entry state, prints, exits 0. */
#define COM1 0x3f8
	.text
	.code64
	.globl _start
_start:
	mov %rsi, %rbx			/* the zero page */
	lea msg(%rip), %rsi
	call puts
	mov %cs, %ax			/* 64-bit code segment 0x10 */
	cmp $0x10, %ax
	jne bad
	mov %cr0, %rax			/* paging on */
	bt $31, %rax
	jnc bad
	mov $0xc0000080, %ecx		/* EFER.LMA */
	rdmsr
	bt $10, %eax
	jnc bad
	cmpl $0x53726448, 0x202(%rbx)	/* the zero page's "HdrS" */
	jne bad
	lea ok(%rip), %rsi
	call puts
	xor %eax, %eax
	out %eax, $0xf4
	hlt
bad:
	lea fail(%rip), %rsi
	call puts
	mov $1, %eax
	out %eax, $0xf4
	hlt
puts:
	push %rsi
1:	movb (%rsi), %al
	test %al, %al
	jz 3f
	mov %al, %ah
	mov $(COM1 + 5), %dx
2:	inb %dx, %al
	test $0x20, %al
	jz 2b
	mov $COM1, %dx
	mov %ah, %al
	outb %al, %dx
	inc %rsi
	jmp 1b
3:	pop %rsi
	ret
msg:	.asciz "tiny: ELF64 entered in long mode\n"
ok:	.asciz "tiny: entry state ok (CS 0x10, paging, EFER.LMA, zero page)\ndone\n"
fail:	.asciz "FAIL tiny: unexpected ELF64 entry state\n"
	.section .note.GNU-stack, "", @progbits

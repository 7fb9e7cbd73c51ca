/* tiny.h: shared pieces of the tiny test guests (GNU as, 32-bit, included
 * from .S files): the Multiboot v1 header, COM1 output and isa-debug-exit.
 * These guests test the VMM's basics (serial, exit status, PIT+PIC with
 * HLT, exceptions); the full guest suite lives in the other guests/ dirs. */
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

	.macro MULTIBOOT_HEADER
	.section .multiboot, "a"
	.balign 4
	.long 0x1BADB002
	.long 0x00000003
	.long -(0x1BADB002 + 0x00000003)
	.endm

	/* puts: print the NUL-terminated string at %esi on COM1 (polled). */
	.macro DEFINE_PUTS
puts:
	push %eax
	push %edx
1:	movb (%esi), %al
	test %al, %al
	jz 3f
	mov %al, %ah
	mov $(COM1 + 5), %dx
2:	inb %dx, %al
	test $0x20, %al		/* LSR.THRE */
	jz 2b
	mov $COM1, %dx
	mov %ah, %al
	outb %al, %dx
	inc %esi
	jmp 1b
3:	pop %edx
	pop %eax
	ret
	.endm

	/* puthex: print %eax as 8 hex digits. */
	.macro DEFINE_PUTHEX
puthex:
	push %eax
	push %ecx
	push %esi
	mov $8, %ecx
	sub $12, %esp
	movb $0, 8(%esp)
1:	mov %eax, %esi
	and $0xf, %esi
	movb hexdigits(%esi), %dl
	movb %dl, -1(%esp,%ecx)
	shr $4, %eax
	loop 1b
	mov %esp, %esi
	call puts
	add $12, %esp
	pop %esi
	pop %ecx
	pop %eax
	ret
hexdigits: .ascii "0123456789abcdef"
	.endm

	/* EXIT code: isa-debug-exit (the host sees (code << 1) | 1). */
	.macro EXIT code
	mov $\code, %eax
	out %eax, $DEBUG_EXIT
	cli
99:	hlt
	jmp 99b
	.endm

	/* ENTER_LONG_MODE target: from the Multiboot 32-bit state, identity-map
	 * the first 2 MiB (pml4/pdpt/pd pages in .bss, 4 KiB aligned), enable
	 * PAE + LME + paging and far-jump to 64-bit code at (target) with
	 * segments and a stack set. Uses tiny_gdt64 from DEFINE_GDT64. */
	.macro ENTER_LONG_MODE target
	mov $pdpt, %eax
	or $3, %eax
	mov %eax, pml4
	mov $pd, %eax
	or $3, %eax
	mov %eax, pdpt
	movl $0x83, pd			/* 2 MiB page at 0 */
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	lgdt tiny_gdtr64
	ljmp $0x08, $\target
	.endm

	.macro DEFINE_GDT64
	.balign 8
tiny_gdt64:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10 data */
tiny_gdtr64:
	.word 3 * 8 - 1
	.long tiny_gdt64
	.endm

	.macro DEFINE_PAGE_TABLES
	.bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
	.text
	.endm

	/* SET_GATE64 vector, handler: a 64-bit interrupt gate in idt64. */
	.macro SET_GATE64 vector, handler
	mov $\handler, %eax
	mov $(idt64 + \vector * 16), %edi
	mov %ax, (%rdi)
	movw $0x08, 2(%rdi)
	movw $0x8e00, 4(%rdi)
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movl $0, 12(%rdi)
	.endm

	/* puts64 / puthex64: the 64-bit versions. 64-bit code here is assembled
	 * into an ELF32 object, so it uses only 32-bit absolute addresses
	 * (mov $sym, %esi) and RIP-relative memory operands. */
	.macro DEFINE_PUTS64
puts64:
	push %rax
	push %rdx
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
3:	pop %rdx
	pop %rax
	ret
puthex64:
	push %rax
	push %rcx
	push %rsi
	push %rdx
	mov $16, %ecx
	sub $24, %rsp
	movb $0, 16(%rsp)
1:	mov %rax, %rsi
	and $0xf, %esi
	mov $hexdigits64, %edx
	movb (%rdx,%rsi), %dl
	movb %dl, -1(%rsp,%rcx)
	shr $4, %rax
	loop 1b
	mov %rsp, %rsi
	call puts64
	add $24, %rsp
	pop %rdx
	pop %rsi
	pop %rcx
	pop %rax
	ret
hexdigits64: .ascii "0123456789abcdef"
	.endm

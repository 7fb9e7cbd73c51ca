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

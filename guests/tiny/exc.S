/* tiny-exc: the exception path. ud2 raises #UD: the handler checks the
 * faulting EIP, skips the instruction and returns; then a divide by zero
 * raises #DE, whose handler reports it and exits with code 3 (status 7). */
#include "tiny.h"
	MULTIBOOT_HEADER
	.text
	.code32
	.globl _start
_start:
	mov $0x90000, %esp
	lgdt gdtr
	ljmp $0x08, $1f
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $ud_handler, %eax
	mov %ax, idt + 6 * 8
	shr $16, %eax
	mov %ax, idt + 6 * 8 + 6
	mov $de_handler, %eax
	mov %ax, idt
	shr $16, %eax
	mov %ax, idt + 6
	lidt idtr
ud_here:
	ud2
	mov $after_ud, %esi
	call puts
	xor %ecx, %ecx
	mov $1, %eax
	xor %edx, %edx
de_here:
	div %ecx
	mov $no_de, %esi
	call puts
	EXIT 1

ud_handler:
	mov $ud_msg, %esi
	call puts
	mov (%esp), %eax		/* faulting EIP */
	call puthex
	mov $nl, %esi
	call puts
	cmpl $ud_here, (%esp)
	jne bad
	addl $2, (%esp)			/* skip ud2 */
	iret
de_handler:
	mov $de_msg, %esi
	call puts
	mov (%esp), %eax
	call puthex
	mov $nl, %esi
	call puts
	cmpl $de_here, (%esp)
	jne bad
	mov $bye, %esi
	call puts
	EXIT 3
bad:
	mov $bad_msg, %esi
	call puts
	EXIT 1

	DEFINE_PUTS
	DEFINE_PUTHEX
ud_msg:	.asciz "tiny: #UD at eip="
de_msg:	.asciz "tiny: #DE at eip="
after_ud: .asciz "tiny: resumed after ud2\n"
no_de:	.asciz "FAIL tiny: divide by zero did not fault\n"
bad_msg: .asciz "FAIL tiny: wrong faulting eip\n"
nl:	.asciz "\n"
bye:	.asciz "done\n"

	.data
	.balign 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
gdtr:	.word 3 * 8 - 1
	.long gdt
	.balign 8
idt:	.rept 32
	.word 0, 0x08, 0x8e00, 0
	.endr
idtr:	.word 32 * 8 - 1
	.long idt

/* tiny-exc64: the exception path in long mode: ud2 raises #UD (the handler
 * checks RIP, skips it and returns); a divide by zero raises #DE, whose
 * handler reports it and exits with code 3 (status 7). */
#include "tiny.h"
	MULTIBOOT_HEADER
	.text
	.code32
	.globl _start
_start:
	mov $0x90000, %esp
	ENTER_LONG_MODE long64
	.code64
long64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x90000, %esp
	SET_GATE64 6, ud_handler
	SET_GATE64 0, de_handler
	lidt idtr64(%rip)
ud_here:
	ud2
	mov $after_ud, %esi
	call puts64
	xor %ecx, %ecx
	mov $1, %eax
	xor %edx, %edx
de_here:
	div %ecx
	mov $no_de, %esi
	call puts64
	mov $1, %eax
	out %eax, $DEBUG_EXIT
	hlt

ud_handler:
	mov $ud_msg, %esi
	call puts64
	mov (%rsp), %rax
	call puthex64
	mov $nl, %esi
	call puts64
	mov $ud_here, %eax
	cmp %rax, (%rsp)
	jne bad
	addq $2, (%rsp)
	iretq
de_handler:
	mov $de_msg, %esi
	call puts64
	mov (%rsp), %rax
	call puthex64
	mov $nl, %esi
	call puts64
	mov $de_here, %eax
	cmp %rax, (%rsp)
	jne bad
	mov $bye, %esi
	call puts64
	mov $3, %eax
	out %eax, $DEBUG_EXIT
	hlt
bad:
	mov $bad_msg, %esi
	call puts64
	mov $1, %eax
	out %eax, $DEBUG_EXIT
	hlt

	DEFINE_PUTS64
	DEFINE_GDT64
ud_msg:	.asciz "tiny: #UD at rip="
de_msg:	.asciz "tiny: #DE at rip="
after_ud: .asciz "tiny: resumed after ud2\n"
no_de:	.asciz "FAIL tiny: divide by zero did not fault\n"
bad_msg: .asciz "FAIL tiny: wrong faulting rip\n"
nl:	.asciz "\n"
bye:	.asciz "done\n"
	.balign 8
idtr64:	.word 256 * 16 - 1
	.long idt64, 0
	DEFINE_PAGE_TABLES
	.bss
	.balign 16
idt64:	.skip 256 * 16

/* guests/arch/start_32.S: Multiboot v1 header and entry of the 32-bit build.
 * The loader enters _start in flat 32-bit protected mode, paging off,
 * EAX = 0x2BADB002 and EBX = the Multiboot info (Multiboot spec 3.2). We
 * zero .bss, switch to our stack and call rt_main(mbi). */
#include "multiboot.h"

	.section .multiboot, "a"
	.p2align 2
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
#ifndef RT_PV	/* Multiboot enters with IF clear; cli would fault under pv */
	cli
#endif
	cld
	cmp $MB_BOOT_MAGIC, %eax
	jne 1f
	mov %ebx, %ebp
	/* .bss holds our stack, so clear it before using the stack. */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $2, %ecx
	xor %eax, %eax
	rep stosl
	mov $boot_stack_top, %esp
	push %ebp
	call rt_main
1:	/* Not loaded by a Multiboot loader: exit with status 0x7f. */
	mov $0x7f, %eax
	outl %eax, $0xf4
2:	hlt
	jmp 2b

	.section .bss.stack, "aw", @nobits
	.p2align 12
	.globl boot_stack
boot_stack:
	.space 16384
	.globl boot_stack_top
boot_stack_top:

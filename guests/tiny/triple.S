/* tiny-triple: loads an empty IDT and executes int3, so the CPU cannot
 * deliver the exception: a triple fault. The VMM must stop with status 4
 * and print the guest's registers (QEMU with -no-reboot just exits 0). */
#include "tiny.h"
	MULTIBOOT_HEADER
	.text
	.code32
	.globl _start
_start:
	mov $0x90000, %esp
	mov $msg, %esi
	call puts
	lidt idtr
	int3
	EXIT 1				/* not reached */
	DEFINE_PUTS
msg:	.asciz "tiny: about to triple fault\n"
	.balign 4
idtr:	.word 0
	.long 0

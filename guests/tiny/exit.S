/* tiny-exit: exits with code 0x2a, so the host's status is 0x55 (85). */
#include "tiny.h"
	MULTIBOOT_HEADER
	.text
	.code32
	.globl _start
_start:
	mov $0x90000, %esp
	mov $msg, %esi
	call puts
	EXIT 0x2a
	DEFINE_PUTS
msg:	.asciz "tiny: exiting with code 0x2a\n"

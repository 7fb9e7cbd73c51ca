/* tiny-serial: prints on COM1, checks the Multiboot entry state, exits 0. */
#include "tiny.h"
	MULTIBOOT_HEADER
	.text
	.code32
	.globl _start
_start:
	mov $0x90000, %esp
	mov %eax, %edi			/* keep the magic */
	mov $hello, %esi
	call puts
	cmp $0x2BADB002, %edi
	jne bad
	mov $magic_ok, %esi
	call puts
	pushf				/* the spec: IF and VM clear */
	pop %eax
	test $0x20200, %eax
	jnz bad
	mov %cr0, %eax
	test $0x80000000, %eax		/* paging off */
	jnz bad
	mov $state_ok, %esi
	call puts
	mov $bye, %esi
	call puts
	EXIT 0
bad:
	mov $bad_msg, %esi
	call puts
	EXIT 1
	DEFINE_PUTS
hello:	.asciz "tiny: hello from COM1\n"
magic_ok: .asciz "tiny: multiboot magic ok\n"
state_ok: .asciz "tiny: entry state ok (protected mode, no paging, IF=0)\n"
bye:	.asciz "done\n"
bad_msg: .asciz "FAIL tiny: bad multiboot entry state\n"

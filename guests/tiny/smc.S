/* tiny-smc: code that writes into its own page in a loop, the worst case
 * for a translator that drops a page's translations on every write to it:
 * (1) a loop that patches the immediate of an instruction it runs next,
 * (2) a loop copied into VGA text memory (0xb8000) that writes characters
 * to the screen, in its own page, next to itself, (3) a loop whose data
 * shares its page. Each prints a checksum; bt must get the interpreter's
 * results at no more than about the interpreter's cost (docs/bt.md
 * "Self-modifying code"). ITERS iterations each, or N with "iters=N" on
 * the command line (perf/bt-smc.sh). */
#include "tiny.h"
#define ITERS 20000
#define VGA 0xb8000
	MULTIBOOT_HEADER
	.text
	.code32
	.globl _start
_start:
	mov $0x90000, %esp
	call parse_iters
	mov $start_msg, %esi
	call puts

	/* (1) patch the next instruction's immediate, then run it */
	xor %ebx, %ebx
	mov iters, %ecx
	.balign 16
1:	mov %ecx, patch + 1
patch:	mov $0, %eax
	add %eax, %ebx
	rol $1, %ebx
	dec %ecx
	jnz 1b
	mov $n_patch, %esi
	mov %ebx, %eax
	call report

	/* (2) run a copy of vga_loop from VGA text memory */
	mov $vga_loop, %esi
	mov $VGA, %edi
	mov $(vga_loop_end - vga_loop), %ecx
	rep movsb
	mov iters, %ecx
	xor %ebx, %ebx
	mov $VGA, %eax
	call *%eax
	mov VGA + 0xf00, %eax
	add %ebx, %eax
	mov $n_vga, %esi
	call report

	/* (3) data in the code's page, next to it */
	mov iters, %ecx
	xor %ebx, %ebx
2:	mov %ecx, near_data
	add near_data, %ebx
	xorl $0x5a5a, near_data + 4
	add near_data + 4, %ebx
	dec %ecx
	jnz 2b
	mov $n_near, %esi
	mov %ebx, %eax
	call report

	mov $bye, %esi
	call puts
	EXIT 0

/* ECX times: a character and its attribute to the screen's row 24 (the
 * same page as this code), read back and summed into EBX. Position
 * independent: it runs at VGA. */
vga_loop:
	mov %ecx, %eax
	and $0x3f, %eax
	lea VGA + 0xf00(,%eax,2), %edx
	mov %cl, %al
	and $0x3f, %al
	add $0x20, %al
	mov $0x07, %ah
	mov %ax, (%edx)
	movzwl (%edx), %eax
	add %eax, %ebx
	dec %ecx
	jnz vga_loop
	ret
vga_loop_end:

/* parse_iters: "iters=N" in the Multiboot command line (EBX: the info,
 * flags bit 2: cmdline at +16) sets iters */
parse_iters:
	testl $4, (%ebx)
	jz 3f
	mov 16(%ebx), %esi
1:	cmpb $0, (%esi)
	je 3f
	cmpl $0x72657469, (%esi)	/* "iter" */
	jne 2f
	cmpw $0x3d73, 4(%esi)		/* "s=" */
	jne 2f
	add $6, %esi
	xor %eax, %eax
4:	movzbl (%esi), %edx
	sub $'0', %edx
	cmp $9, %edx
	ja 5f
	imul $10, %eax, %eax
	add %edx, %eax
	inc %esi
	jmp 4b
5:	test %eax, %eax
	jz 3f
	mov %eax, iters
	ret
2:	inc %esi
	jmp 1b
3:	ret

/* report: print the string at ESI, then EAX in hex */
report:
	call puts
	call puthex
	mov $nl, %esi
	call puts
	ret

iters:	.long ITERS
	.balign 64
near_data:
	.long 0, 0

	DEFINE_PUTS
	DEFINE_PUTHEX
start_msg: .asciz "tiny: self-modifying code\n"
n_patch: .asciz "patch "
n_vga:	.asciz "vga "
n_near:	.asciz "near "
nl:	.asciz "\n"
bye:	.asciz "done\n"

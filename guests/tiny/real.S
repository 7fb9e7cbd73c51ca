/* tiny-real: a flat 16-bit image for `--format flat --load-addr 0x7c00
 * --entry-bits 16`: prints from real mode and exits 0. */
#define COM1 0x3f8
	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7000, %sp
	mov $msg, %si
1:	lodsb
	test %al, %al
	jz 3f
	mov %al, %ah
	mov $(COM1 + 5), %dx
2:	in %dx, %al
	test $0x20, %al
	jz 2b
	mov $COM1, %dx
	mov %ah, %al
	out %al, %dx
	jmp 1b
3:	xor %eax, %eax
	out %eax, $0xf4
	hlt
msg:	.asciz "tiny: hello from real mode\ndone\n"

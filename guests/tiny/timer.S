/* tiny-timer: PIT channel 0 at 1 kHz through the i8259 (remapped to 0x20),
 * HLT between interrupts, 20 ticks, then exit 0. Every tick sends a
 * non-specific EOI. */
#include "tiny.h"
#define TICKS 20
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
	/* IDT entry 0x20 -> irq0 */
	mov $irq0, %eax
	mov %ax, idt + 0x20 * 8
	shr $16, %eax
	mov %ax, idt + 0x20 * 8 + 6
	lidt idtr
	/* i8259: ICW1 edge+ICW4, ICW2 vector base, ICW3 cascade, ICW4 8086 mode */
	mov $0x11, %al
	out %al, $0x20
	out %al, $0xa0
	mov $0x20, %al
	out %al, $0x21
	mov $0x28, %al
	out %al, $0xa1
	mov $0x04, %al
	out %al, $0x21
	mov $0x02, %al
	out %al, $0xa1
	mov $0x01, %al
	out %al, $0x21
	out %al, $0xa1
	mov $0xfe, %al			/* only IRQ0 */
	out %al, $0x21
	mov $0xff, %al
	out %al, $0xa1
	/* PIT channel 0, lobyte/hibyte, mode 2, 1193182 / 1193 = 1000 Hz */
	mov $0x34, %al
	out %al, $0x43
	mov $(1193 & 0xff), %al
	out %al, $0x40
	mov $(1193 >> 8), %al
	out %al, $0x40
	mov $start_msg, %esi
	call puts
	sti
2:	hlt
	cmpl $TICKS, ticks
	jb 2b
	cli
	mov $done_msg, %esi
	call puts
	mov $bye, %esi
	call puts
	EXIT 0

irq0:
	push %eax
	incl ticks
	mov $0x20, %al			/* non-specific EOI */
	out %al, $0x20
	pop %eax
	iret

	DEFINE_PUTS
start_msg: .asciz "tiny: waiting for 20 timer ticks with hlt\n"
done_msg: .asciz "tiny: 20 timer ticks received\n"
bye:	.asciz "done\n"

	.data
	.balign 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 code */
	.quad 0x00cf92000000ffff	/* 0x10 data */
gdtr:	.word 3 * 8 - 1
	.long gdt
	.balign 8
idt:	.rept 256
	.word 0, 0x08, 0x8e00, 0	/* present 32-bit interrupt gates */
	.endr
idtr:	.word 256 * 8 - 1
	.long idt
ticks:	.long 0

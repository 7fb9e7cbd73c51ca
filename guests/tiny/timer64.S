/* tiny-timer64: tiny-timer in long mode: PIT channel 0 at 1 kHz through the
 * i8259, HLT between interrupts, 20 ticks, then exit 0. */
#include "tiny.h"
#define TICKS 20
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
	SET_GATE64 0x20, irq0
	lidt idtr64(%rip)
	mov $0x11, %al			/* i8259: ICW1..4, vectors 0x20/0x28 */
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
	mov $0xfe, %al
	out %al, $0x21
	mov $0xff, %al
	out %al, $0xa1
	mov $0x34, %al			/* PIT ch0 mode 2, 1000 Hz */
	out %al, $0x43
	mov $(1193 & 0xff), %al
	out %al, $0x40
	mov $(1193 >> 8), %al
	out %al, $0x40
	mov $start_msg, %esi
	call puts64
	sti
2:	hlt
	cmpl $TICKS, ticks(%rip)
	jb 2b
	cli
	mov $done_msg, %esi
	call puts64
	mov $0, %eax
	out %eax, $DEBUG_EXIT
	hlt

irq0:
	push %rax
	incl ticks(%rip)
	mov $0x20, %al
	out %al, $0x20
	pop %rax
	iretq

	DEFINE_PUTS64
	DEFINE_GDT64
start_msg: .asciz "tiny: long mode, waiting for 20 timer ticks with hlt\n"
done_msg: .asciz "tiny: 20 timer ticks received\ndone\n"
	.balign 8
idtr64:	.word 256 * 16 - 1
	.long idt64, 0
	DEFINE_PAGE_TABLES
	.bss
	.balign 16
idt64:	.skip 256 * 16
ticks:	.long 0

/* guests/lib/rt_pic.c: the 8259A pair, remapped to vectors 0x20-0x2f with
 * every line masked until a guest unmasks it (8259A datasheet, ICW1-4). */
#include "rt_internal.h"

#define PIC1 0x20
#define PIC2 0xa0

static uint16_t pic_masks = 0xffff;

static void pic_write_masks(void)
{
	outb(PIC1 + 1, (uint8_t)pic_masks);
	outb(PIC2 + 1, (uint8_t)(pic_masks >> 8));
}

void pic_init(void)
{
	outb(PIC1, 0x11);		/* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, VEC_IRQ0);	/* ICW2: vector base */
	outb(PIC2 + 1, VEC_IRQ0 + 8);
	outb(PIC1 + 1, 0x04);		/* ICW3: slave on IRQ2 */
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01);		/* ICW4: 8086 mode */
	outb(PIC2 + 1, 0x01);
	pic_masks = 0xffff & ~(1u << 2); /* cascade stays open */
	pic_write_masks();
	/* From now on interrupts land on our vectors: ring 3 may run with IF. */
	rt_user_flags |= X86_FL_IF;
}

/* Mask every line of both 8259As without reprogramming them. Firmware that
 * ran before us (SeaBIOS under QEMU) leaves the master at vectors 8-15 with
 * IRQ 0 open, so a timer tick during a STI window would arrive as #DF. */
void pic_mask_all(void)
{
	pic_masks = 0xffff;
	pic_write_masks();
}

void pic_unmask(unsigned irq)
{
	pic_masks &= (uint16_t) ~(1u << irq);
	pic_write_masks();
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2, 0x20);
	outb(PIC1, 0x20);
}

void irq_set_handler(unsigned irq, trap_fn fn)
{
	trap_set_handler(VEC_IRQ0 + irq, fn);
}

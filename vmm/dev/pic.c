/* pic.c: the PC's two cascaded Intel 8259A interrupt controllers (master
 * 0x20-0x21, slave 0xa0-0xa1 on master IR2) and the PIIX edge/level control
 * registers (ELCR, 0x4d0-0x4d1). Behaviour follows the Intel 8259A datasheet
 * (order no. 231468); QEMU's hw/intc/i8259.c was the model for corner cases.
 *
 * Priority: IR(priority_add) is the highest level, rotating upwards, so
 * "priority 0..7" below is relative to priority_add. INTR (to vCPU 0) is up
 * when an unmasked IRR bit has a higher priority than every in-service level.
 *
 * Edge-triggered inputs latch IRR on a rising edge and keep it until the
 * INTA cycle, even if the line drops first: devices here signal edges as
 * pulses (the PIT raises then lowers IRQ0 at once), as QEMU and KVM model it.
 * A request that vanished before INTA (level input lowered, input masked)
 * yields the spurious vector base+7 without setting ISR (datasheet: "default
 * IR7"); on the slave the master still puts IR2 in service. */
#include <stdlib.h>

#include "vmm/dev/dev_internal.h"

#define PIC_CASCADE 2 /* master input wired to the slave's INT output */

struct pic_chip {
	uint8_t irr;          /* interrupt request register */
	uint8_t isr;          /* in-service register */
	uint8_t imr;          /* interrupt mask register (OCW1) */
	uint8_t lines;        /* input levels, for edge detection */
	uint8_t elcr;         /* inputs switched to level triggering (ELCR) */
	uint8_t elcr_mask;    /* inputs the ELCR may switch */
	uint8_t priority_add; /* the IR level with the highest priority */
	uint8_t base;         /* vector base: ICW2 & 0xf8 */
	uint8_t init_state;   /* next ICW expected: 2, 3, 4, or 0 when done;
			       * 1 from power-on until the first ICW1 */
	bool master;
	bool init4, single, ltim;
	bool auto_eoi, rotate_aeoi, sfnm;
	bool read_isr, poll, special_mask;
};

struct pic {
	struct vm *vm;
	pthread_mutex_t lock;
	struct pic_chip chip[2]; /* [0] master, [1] slave */
	bool intr;
	void (*out)(void *opaque, int level); /* NULL: vCPU 0's INTR */
	void *out_opaque;
};

static bool chip_is_level(const struct pic_chip *c, uint8_t mask)
{
	return c->ltim || (c->elcr & mask);
}

/* Relative priority (0 highest) of the best bit in (mask), 8 if none. */
static unsigned chip_priority(const struct pic_chip *c, uint8_t mask)
{
	if (!mask)
		return 8;
	unsigned p = 0;
	while (!(mask & (1u << ((p + c->priority_add) & 7))))
		p++;
	return p;
}

/* The IR level the chip would present at INTA, or -1 when INTR is low. */
static int chip_get_irq(const struct pic_chip *c)
{
	/* Before its first initialization (no firmware runs before the guest:
	 * power-on leaves the vector base undefined, and firmware always
	 * initializes the pair) and mid-initialization (ICW1 written, ICW2..
	 * not yet) the chip has no vector base: it raises nothing. A requesting
	 * line would otherwise be acknowledged as vector 0 + IRQ by an engine
	 * that acknowledges before the guest's IF opens (pv), and arrive as #DE
	 * (timer-pv-64's PIT calibration under load, 1 run in 6). */
	if (c->init_state)
		return -1;
	unsigned p = chip_priority(c, c->irr & ~c->imr);
	if (p == 8)
		return -1;
	uint8_t in_service = c->isr;
	if (c->special_mask) /* datasheet: SMM enables levels not masked */
		in_service &= ~c->imr;
	if (c->master && c->sfnm) /* special fully nested: the slave may nest */
		in_service &= ~(1u << PIC_CASCADE);
	if (p < chip_priority(c, in_service))
		return (int)((p + c->priority_add) & 7);
	return -1;
}

static void chip_input(struct pic_chip *c, unsigned irq, int level)
{
	uint8_t mask = (uint8_t)(1u << irq);
	if (level) {
		if (chip_is_level(c, mask) || !(c->lines & mask))
			c->irr |= mask;
		c->lines |= mask;
	} else {
		if (chip_is_level(c, mask))
			c->irr &= ~mask;
		c->lines &= ~mask;
	}
}

/* Propagate the slave's INT to master IR2 and the master's to INTR. */
static void pic_update(struct pic *p)
{
	struct pic_chip *m = &p->chip[0];
	if (!m->single)
		chip_input(m, PIC_CASCADE, chip_get_irq(&p->chip[1]) >= 0);
	bool intr = chip_get_irq(m) >= 0;
	if (intr != p->intr) {
		p->intr = intr;
		if (p->out)
			p->out(p->out_opaque, intr);
		else
			vm_set_intr(p->vm, 0, intr);
	}
}

static void chip_intack(struct pic_chip *c, unsigned irq)
{
	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->priority_add = (irq + 1) & 7;
	} else {
		c->isr |= (uint8_t)(1u << irq);
	}
	/* a level input keeps requesting while its line is high */
	if (!chip_is_level(c, (uint8_t)(1u << irq)))
		c->irr &= ~(1u << irq);
}

void pic_set_irq(struct pic *p, unsigned irq, int level)
{
	if (irq >= 16)
		return;
	if (irq == PIC_CASCADE)
		irq = 9; /* the ISA bus wires its IRQ2 pin to slave IR1 */
	pthread_mutex_lock(&p->lock);
	chip_input(&p->chip[irq >> 3], irq & 7, level);
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
}

int pic_ack(struct pic *p)
{
	pthread_mutex_lock(&p->lock);
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int irq = chip_get_irq(m), vec;
	if (irq < 0) {
		vec = m->base + 7; /* spurious on the master: ISR untouched */
	} else if (irq == PIC_CASCADE && !m->single) {
		int irq2 = chip_get_irq(s);
		if (irq2 >= 0)
			chip_intack(s, (unsigned)irq2);
		else
			irq2 = 7; /* spurious on the slave; master IR2 goes in service */
		vec = s->base + irq2;
		chip_intack(m, PIC_CASCADE);
		/* INTA ends the slave's INT pulse: if it still requests (auto-EOI
		 * with more pending), the next update latches a new edge on IR2. */
		m->lines &= ~(1u << PIC_CASCADE);
	} else {
		vec = m->base + irq;
		chip_intack(m, (unsigned)irq);
	}
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
	vmm_debug(irq, "pic: ack irq %d vector %#x", irq, vec);
	return vec;
}

void pic_set_output(struct pic *p, void (*out)(void *opaque, int level), void *opaque)
{
	pthread_mutex_lock(&p->lock);
	p->out = out;
	p->out_opaque = opaque;
	if (out)
		out(opaque, p->intr);
	pthread_mutex_unlock(&p->lock);
}

bool pic_intr(struct pic *p)
{
	pthread_mutex_lock(&p->lock);
	bool intr = p->intr;
	pthread_mutex_unlock(&p->lock);
	return intr;
}

static int pic_irq_ack(void *chip, unsigned cpu)
{
	(void)cpu; /* INTR is wired to vCPU 0 only */
	return pic_ack(chip);
}

const struct irq_ops pic_irq_ops = { .ack = pic_irq_ack };

/* ICW1 (datasheet "Initialization Command Words"): resets the edge sense,
 * clears IMR and ISR, IR7 lowest priority, status read = IRR, no special
 * mask; ICW4 functions are zero unless ICW4 follows. Level requests stay. */
static void chip_icw1(struct pic_chip *c, uint8_t v)
{
	*c = (struct pic_chip){ .irr = c->irr & c->elcr, .elcr = c->elcr,
				.elcr_mask = c->elcr_mask, .master = c->master };
	c->init4 = v & 0x01;
	c->single = v & 0x02;
	c->ltim = v & 0x08;
	c->init_state = 2;
}

static void chip_ocw3(struct pic_chip *c, uint8_t v)
{
	if (v & 0x04)
		c->poll = true;
	if (v & 0x02)
		c->read_isr = v & 0x01;
	if (v & 0x40)
		c->special_mask = v & 0x20;
}

/* OCW2: bits 7-5 are R, SL, EOI. */
static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
	unsigned cmd = v >> 5, irq = v & 7;
	switch (cmd) {
	case 0: /* clear rotate in auto-EOI mode */
	case 4: /* set rotate in auto-EOI mode */
		c->rotate_aeoi = cmd == 4;
		break;
	case 1: /* non-specific EOI */
	case 5: { /* rotate on non-specific EOI */
		unsigned p = chip_priority(c, c->isr);
		if (p == 8)
			break;
		irq = (p + c->priority_add) & 7;
		c->isr &= ~(1u << irq);
		if (cmd == 5)
			c->priority_add = (irq + 1) & 7;
		break;
	}
	case 3: /* specific EOI */
		c->isr &= ~(1u << irq);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << irq);
		c->priority_add = (irq + 1) & 7;
		break;
	case 6: /* set priority: (irq) becomes the lowest */
		c->priority_add = (irq + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_write_data(struct pic_chip *c, uint8_t v)
{
	switch (c->init_state) {
	case 2: /* ICW2 */
		c->base = v & 0xf8;
		c->init_state = c->single ? (c->init4 ? 4 : 0) : 3;
		break;
	case 3: /* ICW3: the cascade wiring is fixed on a PC */
		c->init_state = c->init4 ? 4 : 0;
		break;
	case 4: /* ICW4: bit 4 SFNM, bit 1 AEOI; 8086 mode is assumed */
		c->sfnm = v & 0x10;
		c->auto_eoi = v & 0x02;
		c->init_state = 0;
		break;
	default: /* OCW1 */
		c->imr = v;
		break;
	}
}

/* Poll command (OCW3 P=1): the next read is an INTA: 0x80 | level, or 0. */
static uint8_t chip_poll(struct pic_chip *c)
{
	c->poll = false;
	int irq = chip_get_irq(c);
	if (irq < 0)
		return 0;
	chip_intack(c, (unsigned)irq);
	return (uint8_t)(0x80 | irq);
}

static void pic_byte(void *dev, unsigned off, uint8_t *b, bool is_write)
{
	struct pic_chip *c = dev;
	if (is_write) {
		if (off & 1)
			chip_write_data(c, *b);
		else if (*b & 0x10)
			chip_icw1(c, *b);
		else if (*b & 0x08)
			chip_ocw3(c, *b);
		else
			chip_ocw2(c, *b);
	} else if (c->poll) {
		*b = chip_poll(c);
	} else {
		*b = (off & 1) ? c->imr : c->read_isr ? c->isr : c->irr;
	}
}

static int pic_io(struct pic *p, struct pic_chip *c, uint64_t off, void *data, unsigned size,
		  bool is_write)
{
	pthread_mutex_lock(&p->lock);
	dev_split_bytes(pic_byte, c, off, data, size, is_write);
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int pic_master_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct pic *p = dev;
	return pic_io(p, &p->chip[0], off, data, size, is_write);
}

static int pic_slave_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct pic *p = dev;
	return pic_io(p, &p->chip[1], off, data, size, is_write);
}

static void elcr_byte(void *dev, unsigned off, uint8_t *b, bool is_write)
{
	struct pic_chip *c = &((struct pic *)dev)->chip[off & 1];
	if (!is_write) {
		*b = c->elcr;
		return;
	}
	uint8_t now_level = *b & c->elcr_mask & ~c->elcr;
	c->elcr = *b & c->elcr_mask;
	/* inputs just made level-sensitive request exactly while high */
	c->irr = (uint8_t)((c->irr & ~now_level) | (c->lines & now_level));
}

static int pic_elcr_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct pic *p = dev;
	pthread_mutex_lock(&p->lock);
	dev_split_bytes(elcr_byte, p, off, data, size, is_write);
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

struct pic *pic_create(struct vm *vm)
{
	struct pic *p = calloc(1, sizeof(*p));
	if (!p) {
		vmm_err("pic: out of memory");
		return NULL;
	}
	p->vm = vm;
	pthread_mutex_init(&p->lock, NULL);
	/* PIIX: IRQ0-2 (timer, keyboard, cascade), IRQ8 (RTC) and IRQ13 (FPU)
	 * are always edge-triggered, so their ELCR bits read as zero. */
	p->chip[0].master = true;
	p->chip[0].init_state = p->chip[1].init_state = 1; /* awaiting ICW1 */
	p->chip[0].elcr_mask = 0xf8;
	p->chip[1].elcr_mask = 0xde;
	if (io_register(&vm->pio, 0x20, 2, "pic-master", pic_master_io, p) ||
	    io_register(&vm->pio, 0xa0, 2, "pic-slave", pic_slave_io, p) ||
	    io_register(&vm->pio, 0x4d0, 2, "pic-elcr", pic_elcr_io, p)) {
		pic_destroy(p);
		return NULL;
	}
	return p;
}

void pic_destroy(struct pic *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

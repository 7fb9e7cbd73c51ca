/* pit.c: the Intel 8254 programmable interval timer (ports 0x40-0x43) and
 * the PC's port 0x61 (channel 2 gate, speaker data, refresh toggle, OUT2).
 * Behaviour follows the Intel 8254 datasheet (order no. 231164); QEMU's
 * hw/timer/i8254*.c was the model for the time arithmetic.
 *
 * Nothing ticks: a channel remembers when its count was loaded (load_ns) and
 * how many clocks it had counted before (held, for gate pauses), and derives
 * its counter and OUT from vm->now_ns() at 1193182 Hz. Only channel 0 arms a
 * VM timer, at the next rising edge of OUT, and pulses its IRQ line there;
 * ticks missed while the main loop was late coalesce into one.
 *
 * Simplifications: a count written in modes 2/3 takes effect at once, not at
 * the end of the current period; count 1 in modes 2/3 (illegal) acts as 2;
 * mode 3 counter readings with odd counts are approximate (OUT is exact). */
#include <stdlib.h>

#include "vmm/dev/dev_internal.h"

#define NS_PER_S 1000000000ull
#define PIT_REFRESH_NS 15085ull /* DRAM refresh: channel 1, count 18 */
#define PIT_NO_EDGE UINT64_MAX

enum pit_rw { PIT_RW_LATCH, PIT_RW_LSB, PIT_RW_MSB, PIT_RW_WORD };

struct pit_chan {
	uint32_t count;      /* initial count N: 1..65536 (BCD 1..10000) */
	uint64_t load_ns;    /* when counting last (re)started */
	uint64_t held;       /* clocks counted before load_ns */
	bool loaded;         /* a whole count was written after the control word */
	bool counting;       /* gate high (modes 0/2/3/4) or triggered (1/5) */
	bool gate;
	uint8_t ctrl_mode;   /* mode bits as written, for the status byte */
	uint8_t mode;        /* effective mode 0-5 (6 and 7 alias 2 and 3) */
	uint8_t rw;          /* enum pit_rw */
	bool bcd;
	bool write_msb_next, read_msb_next;
	uint8_t write_lsb;
	uint16_t frozen;     /* counter shown while no count is loaded */
	uint16_t latch;
	uint8_t latch_state; /* PIT_RW_*: bytes of (latch) left to read */
	bool status_latched;
	uint8_t status;
};

struct pit {
	struct vm *vm;
	unsigned irq;
	pthread_mutex_t lock;
	struct pit_chan ch[3];
	uint8_t port61;      /* bits 0-3 as written */
	uint64_t irq_edge;   /* channel 0 edge (clocks) the timer waits for */
	struct vm_timer timer;
	uint64_t now;        /* time of the access being handled */
	bool ch0_changed;
};

static uint64_t ns_to_clocks(uint64_t ns)
{
	return ns / NS_PER_S * PIT_HZ + ns % NS_PER_S * PIT_HZ / NS_PER_S;
}

/* The first time (relative) at which ns_to_clocks() reaches (d). */
static uint64_t clocks_to_ns(uint64_t d)
{
	return d / PIT_HZ * NS_PER_S + (d % PIT_HZ * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}

static uint32_t pit_modulus(const struct pit_chan *c)
{
	return c->bcd ? 10000 : 65536;
}

/* Modes 2 and 3 need a count of at least 2 (datasheet: 1 is illegal). */
static uint64_t pit_period(const struct pit_chan *c)
{
	return c->count < 2 ? 2 : c->count;
}

static bool pit_triggered_mode(const struct pit_chan *c)
{
	return c->mode == 1 || c->mode == 5;
}

static uint64_t pit_elapsed(const struct pit_chan *c, uint64_t now)
{
	if (!c->counting || now <= c->load_ns)
		return c->held;
	return c->held + ns_to_clocks(now - c->load_ns);
}

static bool pit_out(const struct pit_chan *c, uint64_t now)
{
	if (!c->loaded)
		return c->mode != 0; /* datasheet: mode 0 OUT low after the control word */
	uint64_t d = pit_elapsed(c, now), n = c->count, per = pit_period(c);
	switch (c->mode) {
	case 0: /* interrupt on terminal count */
		return d >= n;
	case 1: /* hardware one-shot: low from the trigger until count 0 */
		return !c->counting || d >= n;
	case 2: /* rate generator: low for the one clock at count 1 */
		return !c->gate || d % per != per - 1;
	case 3: /* square wave: high ceil(N/2), low floor(N/2) */
		return !c->gate || d % per < (per + 1) / 2;
	case 4: /* software strobe: low for one clock at count 0 */
		return d != n;
	default: /* 5: hardware strobe */
		return !c->counting || d != n;
	}
}

static uint16_t pit_encode(const struct pit_chan *c, uint64_t v)
{
	v %= pit_modulus(c);
	if (!c->bcd)
		return (uint16_t)v;
	return (uint16_t)(dev_to_bcd((unsigned)(v / 100)) << 8 | dev_to_bcd((unsigned)(v % 100)));
}

/* The counting element as the guest reads it. */
static uint16_t pit_counter(const struct pit_chan *c, uint64_t now)
{
	if (!c->loaded)
		return c->frozen;
	uint64_t d = pit_elapsed(c, now), per = pit_period(c), m = pit_modulus(c);
	if (pit_triggered_mode(c) && !c->counting)
		return pit_encode(c, c->count);
	if (c->mode == 2)
		return pit_encode(c, per - d % per);
	if (c->mode == 3) { /* counts down by two through each half */
		uint64_t ph = d % per, high = (per + 1) / 2;
		if (ph < high)
			return pit_encode(c, per - 2 * ph);
		return pit_encode(c, per - (per & 1) - 2 * (ph - high));
	}
	return pit_encode(c, c->count + m - d % m);
}

/* The first rising edge of OUT after (d) clocks, or PIT_NO_EDGE. */
static uint64_t pit_next_edge(const struct pit_chan *c, uint64_t d)
{
	if (!c->loaded || !c->counting)
		return PIT_NO_EDGE;
	uint64_t n = c->count, per = pit_period(c);
	switch (c->mode) {
	case 0:
	case 1:
		return d < n ? n : PIT_NO_EDGE;
	case 2:
	case 3:
		return (d / per + 1) * per;
	default: /* 4, 5: OUT returns high one clock after count 0 */
		return d < n + 1 ? n + 1 : PIT_NO_EDGE;
	}
}

/* Arm (or disarm) the timer for channel 0's next rising edge. */
static void pit_irq_arm(struct pit *p, uint64_t now)
{
	struct pit_chan *c = &p->ch[0];
	p->irq_edge = pit_next_edge(c, pit_elapsed(c, now));
	if (p->irq_edge == PIT_NO_EDGE)
		timer_del(&p->timer);
	else
		timer_mod(&p->timer, c->load_ns + clocks_to_ns(p->irq_edge - c->held));
}

static void pit_timer_fn(void *opaque, uint64_t now)
{
	struct pit *p = opaque;
	pthread_mutex_lock(&p->lock);
	struct pit_chan *c = &p->ch[0];
	if (p->irq_edge != PIT_NO_EDGE && pit_elapsed(c, now) >= p->irq_edge) {
		/* one pulse however many edges passed: the edge-triggered PIC
		 * latches it; arming from now drops the missed ones */
		vm_set_irq(p->vm, p->irq, 1);
		vm_set_irq(p->vm, p->irq, 0);
	}
	pit_irq_arm(p, now);
	pthread_mutex_unlock(&p->lock);
}

static void pit_load(struct pit_chan *c, uint16_t v, uint64_t now)
{
	uint32_t n = v;
	if (c->bcd)
		n = dev_from_bcd((uint8_t)(v >> 8)) * 100 + dev_from_bcd((uint8_t)v);
	c->count = n ? n : pit_modulus(c); /* 0 is the largest count */
	c->loaded = true;
	c->held = 0;
	c->load_ns = now;
	c->counting = !pit_triggered_mode(c) && c->gate;
}

static void pit_write_count(struct pit_chan *c, uint8_t v, uint64_t now)
{
	switch (c->rw) {
	case PIT_RW_LSB:
		pit_load(c, v, now);
		break;
	case PIT_RW_MSB:
		pit_load(c, (uint16_t)(v << 8), now);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = v;
			c->write_msb_next = true;
			if (c->mode == 0 && c->loaded) {
				/* datasheet: the first byte stops mode 0 and OUT goes low */
				c->frozen = pit_counter(c, now);
				c->loaded = false;
			}
		} else {
			c->write_msb_next = false;
			pit_load(c, (uint16_t)(c->write_lsb | v << 8), now);
		}
		break;
	}
}

static uint8_t pit_read_count(struct pit_chan *c, uint64_t now)
{
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latch_state != PIT_RW_LATCH) {
		uint8_t v = c->latch_state == PIT_RW_MSB ? c->latch >> 8 : c->latch & 0xff;
		c->latch_state = c->latch_state == PIT_RW_WORD ? PIT_RW_MSB : PIT_RW_LATCH;
		return v;
	}
	uint16_t cnt = pit_counter(c, now);
	bool msb = c->rw == PIT_RW_MSB;
	if (c->rw == PIT_RW_WORD) {
		msb = c->read_msb_next;
		c->read_msb_next = !msb;
	}
	return msb ? cnt >> 8 : cnt & 0xff;
}

static void pit_latch_count(struct pit_chan *c, uint64_t now)
{
	if (c->latch_state != PIT_RW_LATCH)
		return; /* datasheet: a second latch before the read is ignored */
	c->latch = pit_counter(c, now);
	c->latch_state = c->rw;
}

static void pit_latch_status(struct pit_chan *c, uint64_t now)
{
	if (c->status_latched)
		return;
	/* null count: the count register has not reached the counting element */
	bool null = !c->loaded || (pit_triggered_mode(c) && !c->counting) ||
		    (c->counting && c->held == 0 && ns_to_clocks(now - c->load_ns) == 0);
	c->status = (uint8_t)(pit_out(c, now) << 7 | null << 6 | c->rw << 4 |
			      c->ctrl_mode << 1 | c->bcd);
	c->status_latched = true;
}

/* Control word (port 0x43): SC1-0, RW1-0, M2-0, BCD; SC=3 is read-back. */
static void pit_control(struct pit *p, uint8_t v, uint64_t now)
{
	unsigned sel = v >> 6;
	if (sel == 3) { /* read-back: bit 5 = !COUNT, bit 4 = !STATUS, bits 3-1 */
		for (unsigned i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			if (!(v & 0x20))
				pit_latch_count(&p->ch[i], now);
			if (!(v & 0x10))
				pit_latch_status(&p->ch[i], now);
		}
		return;
	}
	struct pit_chan *c = &p->ch[sel];
	unsigned rw = (v >> 4) & 3;
	if (rw == PIT_RW_LATCH) {
		pit_latch_count(c, now);
		return;
	}
	c->frozen = pit_counter(c, now);
	c->rw = (uint8_t)rw;
	c->ctrl_mode = (v >> 1) & 7;
	c->mode = c->ctrl_mode > 5 ? c->ctrl_mode & 3 : c->ctrl_mode;
	c->bcd = v & 1;
	c->loaded = c->counting = false;
	c->held = 0;
	c->write_msb_next = c->read_msb_next = false;
	c->latch_state = PIT_RW_LATCH;
	c->status_latched = false;
	if (sel == 0)
		p->ch0_changed = true;
	vmm_debug(dev, "pit: channel %u mode %u access %u%s", sel, c->mode, rw,
		  c->bcd ? " bcd" : "");
}

static void pit_byte(void *dev, unsigned off, uint8_t *b, bool is_write)
{
	struct pit *p = dev;
	if (off == 3) {
		if (is_write)
			pit_control(p, *b, p->now);
		else
			*b = 0xff; /* the 8254 control register is write-only */
		return;
	}
	struct pit_chan *c = &p->ch[off];
	if (!is_write) {
		*b = pit_read_count(c, p->now);
		return;
	}
	pit_write_count(c, *b, p->now);
	if (off == 0)
		p->ch0_changed = true;
}

static int pit_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct pit *p = dev;
	pthread_mutex_lock(&p->lock);
	p->now = p->vm->now_ns();
	dev_split_bytes(pit_byte, p, off, data, size, is_write);
	if (p->ch0_changed) {
		p->ch0_changed = false;
		pit_irq_arm(p, p->now);
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* Datasheet "GATE": modes 0/4 pause while low; modes 2/3 force OUT high
 * while low and reload on the rising edge; modes 1/5 start on it. */
static void pit_set_gate(struct pit_chan *c, bool gate, uint64_t now)
{
	if (gate == c->gate)
		return;
	if (!gate) {
		if (!pit_triggered_mode(c)) {
			c->held = pit_elapsed(c, now);
			c->counting = false;
		}
	} else if (c->loaded) {
		if (c->mode != 0 && c->mode != 4)
			c->held = 0; /* trigger: (re)load the initial count */
		c->load_ns = now;
		c->counting = true;
	}
	c->gate = gate;
}

/* Port 0x61 (PC/AT system control port B): bit 0 gate 2, bit 1 speaker
 * data, bits 2-3 parity/channel check enables, bit 4 refresh toggle,
 * bit 5 OUT2. */
static int pit_port61_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct pit *p = dev;
	uint8_t *b = data; /* a one-byte range: io_dispatch() sends bytes only */
	pthread_mutex_lock(&p->lock);
	uint64_t now = p->vm->now_ns();
	if (is_write) {
		p->port61 = *b & 0x0f;
		pit_set_gate(&p->ch[2], *b & 1, now);
	} else {
		bool refresh = (now / PIT_REFRESH_NS) & 1;
		*b = (uint8_t)(p->port61 | refresh << 4 | pit_out(&p->ch[2], now) << 5);
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

struct pit *pit_create(struct vm *vm, unsigned irq)
{
	struct pit *p = calloc(1, sizeof(*p));
	if (!p) {
		vmm_err("pit: out of memory");
		return NULL;
	}
	p->vm = vm;
	p->irq = irq;
	pthread_mutex_init(&p->lock, NULL);
	timer_init(&p->timer, &vm->timers, pit_timer_fn, p);
	uint64_t now = vm->now_ns();
	/* power-on state (as QEMU's reset): mode 3, count 65536 everywhere;
	 * gates 0 and 1 are tied high, gate 2 follows port 0x61 bit 0 */
	for (unsigned i = 0; i < 3; i++) {
		struct pit_chan *c = &p->ch[i];
		c->gate = i != 2;
		c->ctrl_mode = c->mode = 3;
		c->rw = PIT_RW_WORD;
		pit_load(c, 0, now);
	}
	if (io_register(&vm->pio, 0x40, 4, "pit", pit_io, p) ||
	    io_register(&vm->pio, 0x61, 1, "pit-port61", pit_port61_io, p)) {
		pit_destroy(p);
		return NULL;
	}
	pthread_mutex_lock(&p->lock);
	pit_irq_arm(p, now);
	pthread_mutex_unlock(&p->lock);
	return p;
}

void pit_destroy(struct pit *p)
{
	if (!p)
		return;
	timer_del(&p->timer);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

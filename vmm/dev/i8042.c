/* i8042.c: the PC keyboard controller (Intel 8042 / PS/2) at 0x60 (data)
 * and 0x64 (status, command), with a PS/2 keyboard on its first port (IRQ 1)
 * and a PS/2 mouse on its auxiliary port (IRQ 12), as QEMU's pckbd/ps2
 * present them after the firmware set them up.
 *
 * Controller: self-test (0xAA -> 0x55), the command byte (0x20 read, 0x60
 * write), port tests (0xAB, 0xA9 -> 0x00), port enable/disable (0xAD/0xAE,
 * 0xA7/0xA8), the input and output ports (0xC0, 0xD0/0xD1), writes into
 * either output buffer (0xD2, 0xD3: Linux's AUX loop test), bytes for the
 * mouse (0xD4), A20 (0xDD/0xDF, output port bit 1: recorded, memory never
 * wraps) and the reset line (output port bit 0 cleared, or a pulse
 * 0xF0-0xFF with bit 0 clear, e.g. 0xFE): a guest reset, reported as port
 * 0x92's is. One output buffer: keyboard bytes first, then mouse bytes,
 * each raising its IRQ while it waits there if the command byte enables it.
 *
 * Keyboard: reset (0xFF -> 0xFA 0xAA), identify (0xF2 -> 0xFA 0xAB 0x41 when
 * the controller translates, else 0xAB 0x83), scancode set (0xF0), LEDs,
 * typematic rate, enable/disable, echo; unknown commands get 0xFE (resend).
 * Mouse: reset (0xFA 0xAA 0x00), identify (0x00), status, sample rate,
 * resolution, scaling, stream/remote mode, enable/disable; no movement.
 * Keys come from i8042_key() as set-1 scancodes (what a guest reads when the
 * controller translates, the firmware's and Linux's default). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/dev_internal.h"

#define KBD_IRQ 1
#define AUX_IRQ 12
#define QUEUE_SIZE 256

/* status register (port 0x64 read) */
#define ST_OBF 0x01      /* output buffer full */
#define ST_SYS 0x04      /* system flag: self-test passed */
#define ST_CMD 0x08      /* last write was to 0x64 */
#define ST_UNLOCKED 0x10 /* keyboard not inhibited */
#define ST_AUX 0x20      /* the byte in the output buffer is the mouse's */

/* command byte ("CTR") */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

/* output port */
#define OUT_RESET 0x01 /* 0: CPU reset asserted */
#define OUT_A20 0x02

#define PS2_ACK 0xfa
#define PS2_RESEND 0xfe
#define PS2_BAT_OK 0xaa

struct i8042_queue {
	uint8_t b[QUEUE_SIZE];
	unsigned head, count;
};

struct i8042 {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t status, ctr, outport;
	uint8_t pending;          /* controller command waiting for its data byte */
	bool out_aux;             /* the output buffer's byte came from the mouse */
	uint8_t out;              /* the output buffer */
	/* bytes waiting behind the output buffer: the controller's own
	 * (its replies and 0xD2 bytes as keyboard data, 0xD3 bytes as mouse
	 * data; never held back by a disabled port), the keyboard's, the
	 * mouse's (in that order) */
	struct i8042_queue cq, caq, kq, mq;
	/* keyboard */
	uint8_t kbd_cmd;          /* command waiting for its parameter */
	uint8_t kbd_set;          /* scancode set 1-3 */
	bool kbd_scan;            /* scanning enabled */
	bool warned_set;
	/* mouse */
	uint8_t aux_cmd;
	uint8_t aux_rate, aux_res;
	bool aux_scale21, aux_enabled, aux_remote;
	int irq_kbd, irq_aux;     /* levels last driven */
};

static void q_put(struct i8042_queue *q, uint8_t v)
{
	if (q->count == QUEUE_SIZE)
		return; /* a real controller drops bytes it has no room for */
	q->b[(q->head + q->count++) % QUEUE_SIZE] = v;
}

static uint8_t q_get(struct i8042_queue *q)
{
	uint8_t v = q->b[q->head];
	q->head = (q->head + 1) % QUEUE_SIZE;
	q->count--;
	return v;
}

/* Drive IRQ 1 and 12 from the output buffer and the command byte. */
static void update_irq(struct i8042 *k)
{
	bool full = k->status & ST_OBF;
	int kbd = full && !k->out_aux && (k->ctr & CTR_KBDINT);
	int aux = full && k->out_aux && (k->ctr & CTR_AUXINT);
	if (kbd != k->irq_kbd)
		vm_set_irq(k->vm, KBD_IRQ, kbd);
	if (aux != k->irq_aux)
		vm_set_irq(k->vm, AUX_IRQ, aux);
	k->irq_kbd = kbd;
	k->irq_aux = aux;
}

/* Move the next waiting byte into an empty output buffer: the
 * controller's, then the keyboard's unless its port is disabled, then the
 * mouse's likewise (as QEMU's pckbd: Linux's AUX loop and multiplexer
 * tests write 0xD3 bytes with the mouse port disabled). */
static void refill(struct i8042 *k)
{
	if (!(k->status & ST_OBF)) {
		struct i8042_queue *q = k->cq.count ? &k->cq
				       : k->caq.count ? &k->caq
				       : k->kq.count && !(k->ctr & CTR_KBDDIS) ? &k->kq
				       : k->mq.count && !(k->ctr & CTR_AUXDIS) ? &k->mq
									       : NULL;
		if (q) {
			k->out = q_get(q);
			k->out_aux = q == &k->mq || q == &k->caq;
			k->status |= ST_OBF;
			if (k->out_aux)
				k->status |= ST_AUX;
			else
				k->status &= (uint8_t)~ST_AUX;
		}
	}
	update_irq(k);
}

static void ctl_reply(struct i8042 *k, uint8_t v)
{
	q_put(&k->cq, v);
}

static void kbd_defaults(struct i8042 *k)
{
	k->kbd_set = 2;
	k->kbd_scan = true;
	k->kbd_cmd = 0;
}

static void aux_defaults(struct i8042 *k)
{
	k->aux_rate = 100;
	k->aux_res = 2;
	k->aux_scale21 = false;
	k->aux_enabled = false;
	k->aux_remote = false;
	k->aux_cmd = 0;
}

/* ---- the keyboard ---- */

static void kbd_write(struct i8042 *k, uint8_t v)
{
	struct i8042_queue *q = &k->kq;
	uint8_t cmd = k->kbd_cmd;
	k->kbd_cmd = 0;
	if (cmd == 0xf0) { /* scancode set: 0 asks, 1-3 select */
		q_put(q, PS2_ACK);
		if (v == 0)
			q_put(q, (k->ctr & CTR_XLATE) ? (uint8_t[]){ 0, 0x43, 0x41, 0x3f }[k->kbd_set]
						     : k->kbd_set);
		else if (v <= 3)
			k->kbd_set = v;
		return;
	}
	if (cmd == 0xed || cmd == 0xf3) { /* LEDs, typematic rate: the parameter */
		q_put(q, PS2_ACK);
		return;
	}
	switch (v) {
	case 0xed: case 0xf0: case 0xf3:
		k->kbd_cmd = v;
		q_put(q, PS2_ACK);
		break;
	case 0xee: /* echo */
		q_put(q, 0xee);
		break;
	case 0xf2: /* identify: MF2 keyboard, as translated when the 8042 translates */
		q_put(q, PS2_ACK);
		q_put(q, 0xab);
		q_put(q, (k->ctr & CTR_XLATE) ? 0x41 : 0x83);
		break;
	case 0xf4:
		k->kbd_scan = true;
		q_put(q, PS2_ACK);
		break;
	case 0xf5: /* disable and restore defaults */
		kbd_defaults(k);
		k->kbd_scan = false;
		q_put(q, PS2_ACK);
		break;
	case 0xf6:
		kbd_defaults(k);
		q_put(q, PS2_ACK);
		break;
	case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd:
		q_put(q, PS2_ACK); /* typematic/make-break modes: nothing to change */
		break;
	case 0xff: /* reset and self-test (BAT) */
		kbd_defaults(k);
		q->count = 0;
		q_put(q, PS2_ACK);
		q_put(q, PS2_BAT_OK);
		break;
	default:
		q_put(q, PS2_RESEND);
		break;
	}
}

/* ---- the mouse ---- */

static void aux_write(struct i8042 *k, uint8_t v)
{
	struct i8042_queue *q = &k->mq;
	uint8_t cmd = k->aux_cmd;
	k->aux_cmd = 0;
	if (cmd == 0xf3 || cmd == 0xe8) { /* sample rate, resolution */
		if (cmd == 0xf3)
			k->aux_rate = v;
		else
			k->aux_res = v & 3;
		q_put(q, PS2_ACK);
		return;
	}
	switch (v) {
	case 0xe6: case 0xe7:
		k->aux_scale21 = v == 0xe7;
		q_put(q, PS2_ACK);
		break;
	case 0xe8: case 0xf3:
		k->aux_cmd = v;
		q_put(q, PS2_ACK);
		break;
	case 0xe9: /* status: mode/enable/scaling, resolution, rate */
		q_put(q, PS2_ACK);
		q_put(q, (uint8_t)((k->aux_remote << 6) | (k->aux_enabled << 5) |
				   (k->aux_scale21 << 4)));
		q_put(q, k->aux_res);
		q_put(q, k->aux_rate);
		break;
	case 0xea: case 0xf0:
		k->aux_remote = v == 0xf0;
		q_put(q, PS2_ACK);
		break;
	case 0xeb: /* read data: no buttons, no movement */
		q_put(q, PS2_ACK);
		q_put(q, 0x08);
		q_put(q, 0);
		q_put(q, 0);
		break;
	case 0xf2: /* identify: a standard PS/2 mouse */
		q_put(q, PS2_ACK);
		q_put(q, 0x00);
		break;
	case 0xf4: case 0xf5:
		k->aux_enabled = v == 0xf4;
		q_put(q, PS2_ACK);
		break;
	case 0xf6:
		aux_defaults(k);
		q_put(q, PS2_ACK);
		break;
	case 0xff:
		aux_defaults(k);
		q->count = 0;
		q_put(q, PS2_ACK);
		q_put(q, PS2_BAT_OK);
		q_put(q, 0x00);
		break;
	default:
		q_put(q, PS2_RESEND);
		break;
	}
}

/* ---- the controller ---- */

static void set_outport(struct i8042 *k, uint8_t v)
{
	k->outport = v | OUT_RESET; /* the line is a pulse: it comes back */
	if (!(v & OUT_RESET))
		misc_guest_reset(k->vm, "the keyboard controller");
}

static void ctl_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20: ctl_reply(k, k->ctr); break;
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
		k->pending = cmd; /* the data byte follows on port 0x60 */
		break;
	case 0xa7: k->ctr |= CTR_AUXDIS; break;
	case 0xa8: k->ctr &= (uint8_t)~CTR_AUXDIS; break;
	case 0xa9: ctl_reply(k, 0x00); break;      /* aux interface test: OK */
	case 0xaa:                                 /* self-test */
		k->status |= ST_SYS;
		k->ctr |= CTR_SYS;
		ctl_reply(k, 0x55);
		break;
	case 0xab: ctl_reply(k, 0x00); break;      /* keyboard interface test: OK */
	case 0xad: k->ctr |= CTR_KBDDIS; break;
	case 0xae: k->ctr &= (uint8_t)~CTR_KBDDIS; break;
	case 0xc0: ctl_reply(k, 0x80); break;      /* input port: keyboard not locked */
	case 0xd0: ctl_reply(k, k->outport); break;
	case 0xdd: k->outport &= (uint8_t)~OUT_A20; break;
	case 0xdf: k->outport |= OUT_A20; break;
	case 0xe0: ctl_reply(k, 0x00); break;      /* test inputs */
	default:
		if (cmd >= 0xf0 && !(cmd & 1))
			misc_guest_reset(k->vm, "the keyboard controller");
		else
			vmm_debug(dev, "i8042: command %#x ignored", cmd);
		break;
	}
	refill(k);
}

static void ctl_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	switch (cmd) {
	case 0x60:
		k->ctr = v;
		break;
	case 0xd1: set_outport(k, v); break;
	case 0xd2: q_put(&k->cq, v); break;        /* as if the keyboard sent it */
	case 0xd3: q_put(&k->caq, v); break;       /* as if the mouse sent it */
	case 0xd4: aux_write(k, v); break;
	default:
		/* a byte for the keyboard, which also enables its port */
		k->ctr &= (uint8_t)~CTR_KBDDIS;
		kbd_write(k, v);
		break;
	}
	refill(k);
}

static void i8042_byte(void *dev, unsigned port, uint8_t *b, bool is_write)
{
	struct i8042 *k = dev;
	if (is_write)
		vmm_debug(dev, "i8042: write %#x to %#x", *b, port);
	if (port == 0x60 && !is_write) {
		*b = k->out;
		vmm_debug(dev, "i8042: read %#x from 0x60%s", *b, k->status & ST_OBF ? "" : " (empty)");
		if (k->status & ST_OBF) {
			/* the line drops when the byte is taken and rises again for
			 * the next one: an edge per byte for the IOAPIC's and the
			 * i8259's edge-triggered ISA inputs (as QEMU's ps2 does) */
			k->status &= (uint8_t)~(ST_OBF | ST_AUX);
			update_irq(k);
			refill(k);
		}
	} else if (port == 0x60) {
		k->status &= (uint8_t)~ST_CMD;
		ctl_data(k, *b);
	} else if (!is_write) {
		*b = k->status;
	} else {
		k->status |= ST_CMD;
		ctl_command(k, *b);
	}
}

static void i8042_access(struct i8042 *k, unsigned port, void *data, unsigned size,
			 bool is_write)
{
	pthread_mutex_lock(&k->lock);
	for (unsigned i = 0; i < size; i++) /* wider accesses: the same port again */
		i8042_byte(k, port, (uint8_t *)data + i, is_write);
	pthread_mutex_unlock(&k->lock);
}

static int i8042_data_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	(void)off;
	i8042_access(dev, 0x60, data, size, is_write);
	return 0;
}

static int i8042_cmd_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	(void)off;
	i8042_access(dev, 0x64, data, size, is_write);
	return 0;
}

int i8042_key(struct i8042 *k, const uint8_t *codes, unsigned n)
{
	int r = 0;
	pthread_mutex_lock(&k->lock);
	if (!(k->ctr & CTR_XLATE) && k->kbd_set != 1) {
		/* untranslated set 2/3 would need the set-1 -> set-2 table */
		if (!k->warned_set)
			vmm_warn("i8042: the guest reads untranslated scancode set %u; injected "
				 "keys (set 1) are dropped", k->kbd_set);
		k->warned_set = true;
		r = -ENOTSUP;
	} else if (!k->kbd_scan) {
		r = -EAGAIN; /* the keyboard is disabled (0xF5) */
	} else if (k->kq.count + n > QUEUE_SIZE) {
		r = -ENOSPC;
	} else {
		for (unsigned i = 0; i < n; i++)
			q_put(&k->kq, codes[i]);
		refill(k);
	}
	pthread_mutex_unlock(&k->lock);
	return r;
}

struct i8042 *i8042_create(struct vm *vm)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	if (!k) {
		vmm_err("i8042: out of memory");
		return NULL;
	}
	k->vm = vm;
	pthread_mutex_init(&k->lock, NULL);
	/* as the firmware leaves it (QEMU + SeaBIOS): self-test passed,
	 * translation on, both ports and their interrupts on, A20 on */
	k->status = ST_SYS | ST_UNLOCKED;
	k->ctr = CTR_KBDINT | CTR_AUXINT | CTR_SYS | CTR_XLATE;
	k->outport = OUT_RESET | OUT_A20 | 0xcc;
	kbd_defaults(k);
	aux_defaults(k);
	if (io_register(&vm->pio, 0x60, 1, "i8042-data", i8042_data_io, k) ||
	    io_register(&vm->pio, 0x64, 1, "i8042-cmd", i8042_cmd_io, k)) {
		i8042_destroy(k);
		return NULL;
	}
	return k;
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}

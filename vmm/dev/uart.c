/* uart.c: a National Semiconductor PC16550D UART (datasheet "PC16550D
 * Universal Asynchronous Receiver/Transmitter with FIFOs", 1995): eight
 * registers at (base), 16-byte receive FIFO, interrupts on (irq).
 *
 * Transmission is instantaneous: a THR write goes to the chardev at once, so
 * LSR.THRE and TEMT are always set and the THR-empty interrupt re-arms right
 * after each write (the line drops and rises, giving the edge-triggered PIC a
 * new edge, as the hardware's transmitter would a character time later).
 * Input is pulled from the chardev's ring while the receive FIFO has room.
 *
 * Simplifications: the character-timeout interrupt (IIR 0xc) is indicated as
 * soon as the FIFO holds data below the trigger level, not after four
 * character times; pulling fills the FIFO whenever input is pending, so at
 * that point no more input is waiting. Line settings (divisor, LCR) are
 * stored but do not pace anything; parity/framing errors and break never
 * occur. The IRQ line is high while an interrupt is pending and MCR.OUT2 is
 * set (the PC wires OUT2 to the IRQ driver's enable). */
#include <stdio.h>
#include <stdlib.h>

#include "vmm/dev/dev_internal.h"

#define UART_FIFO 16

#define UART_IER_RDI 0x01  /* received data available */
#define UART_IER_THRI 0x02 /* transmitter holding register empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI 0x08  /* modem status */

#define UART_IIR_NONE 0x01
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_TIMEOUT 0x0c
#define UART_IIR_FIFO 0xc0

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_ERRORS 0x1e /* OE, PE, FE, BI */
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80
#define UART_MSR_DELTAS 0x0f

struct uart {
	struct vm *vm;
	struct chardev *chr;
	unsigned irq;
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr;
	uint8_t lsr_err;   /* sticky LSR error bits (OE) until LSR is read */
	uint8_t msr;       /* status lines and delta bits */
	uint16_t divisor;
	uint8_t rx[UART_FIFO];
	unsigned rx_head, rx_count;
	uint8_t rbr_last;
	bool thr_ipending;
	bool irq_level;
	char name[16];
};

static bool uart_fifo_on(const struct uart *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

static unsigned uart_rx_cap(const struct uart *u)
{
	return uart_fifo_on(u) ? UART_FIFO : 1; /* 16450 mode: one holding byte */
}

static unsigned uart_trigger(const struct uart *u)
{
	static const unsigned level[4] = { 1, 4, 8, 14 };
	return uart_fifo_on(u) ? level[u->fcr >> 6] : 1;
}

static void uart_rx_push(struct uart *u, uint8_t b)
{
	if (u->rx_count == uart_rx_cap(u)) {
		u->lsr_err |= UART_LSR_OE;
		if (!uart_fifo_on(u)) /* the holding register is overwritten */
			u->rx[(u->rx_head + u->rx_count - 1) % UART_FIFO] = b;
		return; /* FIFO mode: the character in the shift register is lost */
	}
	u->rx[(u->rx_head + u->rx_count++) % UART_FIFO] = b;
}

/* Take input from the chardev while the receive FIFO has room. */
static void uart_pull(struct uart *u)
{
	if (!u->chr || (u->mcr & UART_MCR_LOOP))
		return; /* loopback disconnects the serial input */
	uint8_t buf[UART_FIFO];
	unsigned room = uart_rx_cap(u) - u->rx_count;
	size_t n = room ? chardev_read(u->chr, buf, room) : 0;
	for (size_t i = 0; i < n; i++)
		uart_rx_push(u, buf[i]);
}

/* The highest-priority pending interrupt (datasheet Table IV). */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr_err & UART_LSR_ERRORS))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return u->rx_count >= uart_trigger(u) ? UART_IIR_RDI : UART_IIR_TIMEOUT;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_DELTAS))
		return UART_IIR_MSI;
	return UART_IIR_NONE;
}

static void uart_update_irq(struct uart *u)
{
	bool level = uart_iir_id(u) != UART_IIR_NONE && (u->mcr & UART_MCR_OUT2);
	if (level != u->irq_level) {
		u->irq_level = level;
		vm_set_irq(u->vm, u->irq, level);
	}
}

/* The modem status inputs: in loopback they mirror the MCR outputs. */
static uint8_t uart_msr_lines(uint8_t mcr)
{
	if (!(mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS; /* a connected peer */
	uint8_t v = 0;
	if (mcr & UART_MCR_RTS)
		v |= UART_MSR_CTS;
	if (mcr & UART_MCR_DTR)
		v |= UART_MSR_DSR;
	if (mcr & UART_MCR_OUT1)
		v |= UART_MSR_RI;
	if (mcr & UART_MCR_OUT2)
		v |= UART_MSR_DCD;
	return v;
}

static void uart_write_mcr(struct uart *u, uint8_t v)
{
	uint8_t old = u->msr & ~UART_MSR_DELTAS;
	u->mcr = v & 0x1f;
	uint8_t now = uart_msr_lines(u->mcr), changed = old ^ now, delta = 0;
	if (changed & UART_MSR_CTS)
		delta |= 0x01;
	if (changed & UART_MSR_DSR)
		delta |= 0x02;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		delta |= 0x04; /* TERI: trailing edge of ring indicator */
	if (changed & UART_MSR_DCD)
		delta |= 0x08;
	u->msr = now | (u->msr & UART_MSR_DELTAS) | delta;
	uart_pull(u); /* leaving loopback reconnects the input */
}

static void uart_write_thr(struct uart *u, uint8_t b)
{
	u->thr_ipending = false;
	uart_update_irq(u);
	if (u->mcr & UART_MCR_LOOP) {
		uart_rx_push(u, b);
	} else {
		chardev_write(u->chr, &b, 1);
		vm_note_output(u->vm);
	}
	u->thr_ipending = true; /* the transmitter is empty again */
}

static void uart_write_fcr(struct uart *u, uint8_t v)
{
	bool was_on = uart_fifo_on(u);
	if (!(v & UART_FCR_ENABLE) || !was_on)
		u->rx_count = 0; /* switching the FIFOs on or off clears them */
	if (!(v & UART_FCR_ENABLE)) {
		u->fcr = 0; /* datasheet: other bits need FCR0 set */
	} else {
		if (v & UART_FCR_CLEAR_RX)
			u->rx_count = 0;
		u->fcr = v & 0xc9; /* enable, DMA mode, trigger level */
	}
	uart_pull(u);
}

static void uart_write(struct uart *u, unsigned off, uint8_t v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	switch (off) {
	case 0:
		if (dlab)
			u->divisor = (uint16_t)((u->divisor & 0xff00) | v);
		else
			uart_write_thr(u, v);
		break;
	case 1:
		if (dlab) {
			u->divisor = (uint16_t)((u->divisor & 0x00ff) | v << 8);
		} else {
			/* enabling THRI while THR is empty interrupts at once */
			if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
				u->thr_ipending = true;
			u->ier = v & 0x0f;
		}
		break;
	case 2:
		uart_write_fcr(u, v);
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		uart_write_mcr(u, v);
		break;
	case 7:
		u->scr = v;
		break;
	default: /* LSR and MSR writes are factory test modes: ignored */
		break;
	}
}

static uint8_t uart_read_rbr(struct uart *u)
{
	if (u->rx_count) {
		u->rbr_last = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO;
		u->rx_count--;
		uart_pull(u);
	}
	return u->rbr_last;
}

static uint8_t uart_read(struct uart *u, unsigned off)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v;
	switch (off) {
	case 0:
		return dlab ? (uint8_t)u->divisor : uart_read_rbr(u);
	case 1:
		return dlab ? (uint8_t)(u->divisor >> 8) : u->ier;
	case 2:
		v = uart_iir_id(u);
		if (v == UART_IIR_THRI) /* reading IIR acknowledges THRE */
			u->thr_ipending = false;
		return uart_fifo_on(u) ? v | UART_IIR_FIFO : v;
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		v = u->lsr_err | UART_LSR_THRE | UART_LSR_TEMT;
		if (u->rx_count)
			v |= UART_LSR_DR;
		u->lsr_err = 0; /* errors clear when LSR is read */
		return v;
	case 6:
		v = u->msr;
		u->msr &= ~UART_MSR_DELTAS;
		return v;
	default:
		return u->scr;
	}
}

static void uart_byte(void *dev, unsigned off, uint8_t *b, bool is_write)
{
	struct uart *u = dev;
	if (off >= 8)
		return;
	if (is_write)
		uart_write(u, off, *b);
	else
		*b = uart_read(u, off);
	uart_update_irq(u);
}

static int uart_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct uart *u = dev;
	pthread_mutex_lock(&u->lock);
	dev_split_bytes(uart_byte, u, off, data, size, is_write);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

/* Main loop: input arrived in the chardev's ring. */
static void uart_notify(void *opaque)
{
	struct uart *u = opaque;
	pthread_mutex_lock(&u->lock);
	uart_pull(u);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

struct uart *uart_create(struct vm *vm, uint16_t base, unsigned irq, struct chardev *chr)
{
	struct uart *u = calloc(1, sizeof(*u));
	if (!u) {
		vmm_err("uart: out of memory");
		return NULL;
	}
	u->vm = vm;
	u->chr = chr;
	u->irq = irq;
	pthread_mutex_init(&u->lock, NULL);
	u->divisor = 12; /* 9600 baud */
	u->msr = uart_msr_lines(0);
	snprintf(u->name, sizeof(u->name), "uart@%#x", base);
	if (io_register(&vm->pio, base, 8, u->name, uart_io, u)) {
		uart_destroy(u);
		return NULL;
	}
	if (chr) {
		chr->notify_opaque = u;
		chr->notify = uart_notify;
	}
	return u;
}

void uart_destroy(struct uart *u)
{
	if (!u)
		return;
	if (u->chr && u->chr->notify_opaque == u) {
		u->chr->notify = NULL;
		u->chr->notify_opaque = NULL;
	}
	pthread_mutex_destroy(&u->lock);
	free(u);
}

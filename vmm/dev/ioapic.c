/* ioapic.c: the I/O APIC (Intel 82093AA datasheet; version 0x20 as QEMU's,
 * which adds the EOI register at offset 0x40): IOREGSEL at 0x00, IOWIN at
 * 0x10; registers ID (0), version (1), arbitration (2) and 24 redirection
 * entries (0x10 + 2n: low, high). Edge inputs deliver on a rising edge and
 * are lost while masked (datasheet 3.2.4); level inputs deliver while
 * asserted and unmasked with remote IRR clear, set remote IRR, and deliver
 * again after the EOI broadcast if still asserted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/apic_internal.h"

#define IOAPIC_VERSION 0x20
#define RTE_MASKED (1ull << 16)
#define RTE_LEVEL (1ull << 15)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_ACTIVE_LOW (1ull << 13)
#define RTE_DELIVERY_PENDING (1ull << 12)
#define RTE_LOGICAL (1ull << 11)
/* writable: vector, delivery mode, destination mode, polarity, trigger,
 * mask, destination (56-63) */
#define RTE_WRITABLE (0xff00000000010fffull | RTE_LEVEL | RTE_ACTIVE_LOW)

struct ioapic {
	struct apic_bus *bus;
	pthread_mutex_t lock;
	uint32_t sel;
	uint32_t id;
	uint32_t lines;       /* input levels as the pins see them (after polarity) */
	uint64_t rte[IOAPIC_PINS];
};

/* Deliver pin (i) if it should; lock held (the local APICs' locks are
 * taken below it, as the lock order says). */
static void ioapic_service(struct ioapic *io, unsigned i)
{
	uint64_t e = io->rte[i];
	if (e & RTE_MASKED)
		return;
	if (e & RTE_LEVEL) {
		if (!(io->lines & (1u << i)) || (e & RTE_REMOTE_IRR))
			return;
		io->rte[i] |= RTE_REMOTE_IRR;
	}
	struct apic_msg m = {
		.dest = (uint32_t)(e >> 56),
		.logical = e & RTE_LOGICAL,
		.mode = (enum apic_dm)((e >> 8) & 7),
		.vector = (uint8_t)e,
		.level = e & RTE_LEVEL,
	};
	apic_bus_send(io->bus, &m, NULL);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
	if (pin >= IOAPIC_PINS)
		return;
	pthread_mutex_lock(&io->lock);
	uint32_t bit = 1u << pin;
	bool active = (io->rte[pin] & RTE_ACTIVE_LOW) ? !level : level != 0;
	bool was = io->lines & bit;
	io->lines = active ? io->lines | bit : io->lines & ~bit;
	if (io->rte[pin] & RTE_LEVEL) {
		if (active)
			ioapic_service(io, pin);
	} else if (active && !was) {
		ioapic_service(io, pin);
	}
	pthread_mutex_unlock(&io->lock);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	pthread_mutex_lock(&io->lock);
	for (unsigned i = 0; i < IOAPIC_PINS; i++) {
		uint64_t e = io->rte[i];
		if ((uint8_t)e != vector || !(e & RTE_REMOTE_IRR))
			continue;
		io->rte[i] &= ~RTE_REMOTE_IRR;
		ioapic_service(io, i); /* still asserted: deliver again */
	}
	pthread_mutex_unlock(&io->lock);
}

static uint32_t ioapic_read_reg(struct ioapic *io)
{
	uint32_t r = io->sel & 0xff;
	if (r == 0)
		return io->id << 24;
	if (r == 1)
		return (IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	if (r == 2)
		return io->id << 24; /* arbitration ID */
	if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
		uint64_t e = io->rte[(r - 0x10) / 2];
		return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	return 0xffffffffu; /* datasheet: unimplemented registers */
}

static void ioapic_write_reg(struct ioapic *io, uint32_t v)
{
	uint32_t r = io->sel & 0xff;
	if (r == 0) {
		io->id = (v >> 24) & 0xf;
		return;
	}
	if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_PINS)
		return; /* version, arbitration: read-only */
	unsigned i = (r - 0x10) / 2;
	uint64_t e = io->rte[i];
	uint64_t nv = (r & 1) ? (e & 0xffffffffull) | (uint64_t)v << 32
			      : (e & 0xffffffff00000000ull) | v;
	io->rte[i] = (nv & RTE_WRITABLE) | (e & RTE_REMOTE_IRR);
	if (!(io->rte[i] & RTE_LEVEL))
		io->rte[i] &= ~RTE_REMOTE_IRR; /* edge entries have no remote IRR */
	/* an unmasked level input that is asserted delivers now */
	if ((io->rte[i] & RTE_LEVEL) && (io->lines & (1u << i)))
		ioapic_service(io, i);
}

static int ioapic_mmio(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct ioapic *io = dev;
	uint32_t v = 0;
	if (is_write)
		memcpy(&v, data, VMM_MIN(size, 4u));
	if ((off & ~3ull) == 0x40) { /* EOI register (version 0x20) */
		if (is_write)
			ioapic_eoi(io, (uint8_t)v);
		else
			memset(data, 0, size);
		return 0;
	}
	pthread_mutex_lock(&io->lock);
	switch (off & ~3ull) {
	case 0x00:
		if (is_write)
			io->sel = v & 0xff;
		else
			v = io->sel;
		break;
	case 0x10:
		if (is_write)
			ioapic_write_reg(io, v);
		else
			v = ioapic_read_reg(io);
		break;
	default:
		v = 0;
		break;
	}
	pthread_mutex_unlock(&io->lock);
	if (!is_write) {
		uint64_t w = (uint64_t)v >> (8 * (off & 3));
		memset(data, 0, size);
		memcpy(data, &w, VMM_MIN(size, 4u));
	}
	return 0;
}

struct ioapic *ioapic_create(struct apic_bus *bus, uint64_t base)
{
	struct ioapic *io = calloc(1, sizeof(*io));
	if (!io) {
		vmm_err("ioapic: out of memory");
		return NULL;
	}
	io->bus = bus;
	pthread_mutex_init(&io->lock, NULL);
	io->id = 0; /* as QEMU's (its MADT says IOAPIC ID 0) */
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASKED;
	if (io_register(&bus->vm->mmio, base, 0x1000, "ioapic", ioapic_mmio, io)) {
		ioapic_destroy(io);
		return NULL;
	}
	return io;
}

void ioapic_destroy(struct ioapic *io)
{
	if (!io)
		return;
	pthread_mutex_destroy(&io->lock);
	free(io);
}

/* pci.c: PCI bus 0 as on QEMU's pc machine: configuration mechanism #1
 * (PCI Local Bus 3.0, 3.2.2.3.2) at 0xcf8 (address, dword) and 0xcfc-0xcff
 * (data, any size), the PIIX3 reset control register at 0xcf9, an i440FX host
 * bridge (00:00.0, 8086:1237) and a PIIX3 ISA bridge (00:01.0, 8086:7000)
 * with its PIRQ route control registers (0x60-0x63).
 *
 * Each function keeps its 256-byte configuration space and a write mask (a
 * bit the guest may change is set), as QEMU does: BAR sizing falls out of it
 * (writing all-ones leaves the mask and the read-only type bits). Absent
 * functions and other buses read all-ones. BARs get addresses at
 * registration, as firmware would assign them (I/O from 0xc000, memory from
 * 0xc0000000 up), with decoding enabled; the guest may move them. The bus
 * claims the I/O window [0xc000, 0x10000) and the MMIO hole
 * [0xc0000000, 0xfec00000) and routes each access to the BAR that decodes
 * it at that moment; no BAR: reads all-ones, writes are dropped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/dev_internal.h"

#define PCI_SLOTS 32
#define PCI_FUNCS 8
#define PCI_CFG_SIZE 256
#define PCI_CMD_IO 0x0001
#define PCI_CMD_MEM 0x0002
#define PCI_CMD_WMASK 0x0547 /* io, mem, master, parity, SERR, INTx disable */
#define PCI_BAR0 0x10
#define PCI_BAR_IO_FLAG 0x1
#define PCI_BAR_MEM64_FLAG 0x4
#define PCI_BAR_PREFETCH 0x8
#define PIIX3_PIRQRC 0x60
#define PIIX3_PIRQ_OFF 0x80 /* route control: routing disabled */
#define PIIX3_RCR_PORT 0xcf9
#define RCR_SYS_RST 0x02
#define RCR_RST_CPU 0x04

struct pci_func {
	bool present;
	const char *name;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	struct pci_bar bar[PCI_BAR_MAX];
	int irq_level;
};

struct pci {
	struct vm *vm;
	pthread_mutex_t lock;
	uint32_t addr;  /* 0xcf8 */
	uint8_t rcr;    /* 0xcf9 */
	struct pci_func fn[PCI_SLOTS][PCI_FUNCS];
	uint64_t next_io, next_mem;
};

static void cfg_put(uint8_t *p, unsigned off, uint32_t v, unsigned bytes)
{
	dev_put_le(p + off, v, bytes);
}

static uint32_t cfg_get(const uint8_t *p, unsigned off, unsigned bytes)
{
	return (uint32_t)dev_get_le(p + off, bytes);
}

/* The address BAR (i) of (f) decodes, or 0 when it is unused or off. */
static uint64_t bar_addr(const struct pci_func *f, unsigned i)
{
	const struct pci_bar *b = &f->bar[i];
	uint16_t cmd = (uint16_t)cfg_get(f->cfg, 0x04, 2);
	unsigned off = PCI_BAR0 + 4 * i;
	switch (b->kind) {
	case PCI_BAR_IO:
		return (cmd & PCI_CMD_IO) ? cfg_get(f->cfg, off, 4) & ~3u : 0;
	case PCI_BAR_MEM32:
		return (cmd & PCI_CMD_MEM) ? cfg_get(f->cfg, off, 4) & ~15u : 0;
	case PCI_BAR_MEM64:
		return (cmd & PCI_CMD_MEM) ? ((uint64_t)cfg_get(f->cfg, off + 4, 4) << 32 |
					      (cfg_get(f->cfg, off, 4) & ~15u)) : 0;
	default:
		return 0;
	}
}

uint64_t pci_bar_addr(struct pci *p, unsigned slot, unsigned func, unsigned bar)
{
	if (slot >= PCI_SLOTS || func >= PCI_FUNCS || bar >= PCI_BAR_MAX)
		return 0;
	pthread_mutex_lock(&p->lock);
	uint64_t a = p->fn[slot][func].present ? bar_addr(&p->fn[slot][func], bar) : 0;
	pthread_mutex_unlock(&p->lock);
	return a;
}

/* ---- configuration mechanism #1 ---- */

static struct pci_func *cfg_target(struct pci *p, unsigned *reg)
{
	uint32_t a = p->addr;
	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0)
		return NULL; /* disabled, or a bus that does not exist */
	struct pci_func *f = &p->fn[(a >> 11) & 31][(a >> 8) & 7];
	*reg = a & 0xfc;
	return f->present ? f : NULL;
}

static void pci_reset_request(struct pci *p)
{
	vm_request_stop(p->vm, VM_STOP_RESET, 0,
			"guest requested a reset; stopping (Triplex does not reboot)");
}

/* 0xcf8 (dword: the address), 0xcf9 (byte: PIIX3 reset control). */
static int pci_addr_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct pci *p = dev;
	pthread_mutex_lock(&p->lock);
	if (off == 0 && size == 4) {
		if (is_write)
			p->addr = cfg_get(data, 0, 4) & 0x80fffffcu;
		else
			cfg_put(data, 0, p->addr, 4);
	} else if (off == 1 && size == 1) {
		uint8_t v = *(uint8_t *)data;
		if (!is_write) {
			*(uint8_t *)data = p->rcr;
		} else {
			p->rcr = v & RCR_SYS_RST;
			if (v & RCR_RST_CPU)
				pci_reset_request(p);
		}
	} else if (!is_write) {
		memset(data, 0xff, size); /* other sizes reach no register */
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* 0xcfc-0xcff: the bytes of the selected dword, one at a time through the
 * write mask (so BAR sizing and read-only registers need no special case). */
static int pci_data_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct pci *p = dev;
	uint8_t *b = data;
	unsigned reg = 0;
	pthread_mutex_lock(&p->lock);
	struct pci_func *f = cfg_target(p, &reg);
	for (unsigned i = 0; i < size; i++) {
		unsigned o = reg + (unsigned)off + i;
		if (!f || o >= PCI_CFG_SIZE) {
			if (!is_write)
				b[i] = 0xff;
		} else if (is_write) {
			f->cfg[o] = (uint8_t)((f->cfg[o] & ~f->wmask[o]) | (b[i] & f->wmask[o]));
		} else {
			b[i] = f->cfg[o];
		}
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* ---- BAR decoding in the I/O window and the MMIO hole ---- */

static int pci_window_io(struct pci *p, bool io, uint64_t addr, void *data, unsigned size,
			 bool is_write)
{
	io_fn fn = NULL;
	void *dev = NULL;
	uint64_t boff = 0;
	pthread_mutex_lock(&p->lock);
	for (unsigned s = 0; s < PCI_SLOTS && !fn; s++)
		for (unsigned fu = 0; fu < PCI_FUNCS && !fn; fu++) {
			const struct pci_func *f = &p->fn[s][fu];
			for (unsigned i = 0; f->present && i < PCI_BAR_MAX && !fn; i++) {
				const struct pci_bar *b = &f->bar[i];
				uint64_t a = bar_addr(f, i);
				if (!a || (b->kind == PCI_BAR_IO) != io || addr < a ||
				    addr + size - a > b->size)
					continue;
				fn = b->fn;
				dev = b->dev;
				boff = addr - a;
			}
		}
	pthread_mutex_unlock(&p->lock);
	if (fn)
		return fn(dev, boff, data, size, is_write); /* the device locks itself */
	if (!is_write)
		memset(data, 0xff, size);
	return 0;
}

static int pci_io_window(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	return pci_window_io(dev, true, PCI_IO_BASE + off, data, size, is_write);
}

static int pci_mmio_window(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	return pci_window_io(dev, false, PCI_MMIO_BASE + off, data, size, is_write);
}

/* ---- registration ---- */

static int pci_check_bars(const struct pci_func_info *info)
{
	for (unsigned i = 0; i < PCI_BAR_MAX; i++) {
		const struct pci_bar *b = &info->bar[i];
		uint64_t min = b->kind == PCI_BAR_IO ? 4 : 16;
		uint64_t max = b->kind == PCI_BAR_IO ? 256 : 1 * GiB;
		if (b->kind == PCI_BAR_UNUSED)
			continue;
		if (b->size < min || b->size > max || (b->size & (b->size - 1)) || !b->fn ||
		    (b->kind == PCI_BAR_MEM64 && (i == PCI_BAR_MAX - 1 ||
						  info->bar[i + 1].kind != PCI_BAR_UNUSED))) {
			vmm_err("pci: %s: BAR %u: bad size %#llx or layout (power of two, %llu to "
				"%#llx bytes, a handler, 64-bit BARs take two slots)", info->name,
				i, (unsigned long long)b->size, (unsigned long long)min,
				(unsigned long long)max);
			return -EINVAL;
		}
	}
	return 0;
}

/* Give BAR (i) its firmware address and the write mask that sizes it. */
static int pci_assign_bar(struct pci *p, struct pci_func *f, unsigned i)
{
	const struct pci_bar *b = &f->bar[i];
	unsigned off = PCI_BAR0 + 4 * i;
	bool io = b->kind == PCI_BAR_IO;
	uint64_t *next = io ? &p->next_io : &p->next_mem;
	uint64_t a = VMM_ALIGN_UP(*next, b->size);
	uint64_t end = io ? 0x10000 : PCI_MMIO_END;
	if (a + b->size > end) {
		vmm_err("pci: %s: BAR %u (%#llx bytes) does not fit in the PCI %s window", f->name,
			i, (unsigned long long)b->size, io ? "I/O" : "memory");
		return -ENOSPC;
	}
	*next = a + b->size;
	uint32_t flags = io ? PCI_BAR_IO_FLAG : (b->kind == PCI_BAR_MEM64 ? PCI_BAR_MEM64_FLAG : 0) |
						(b->prefetch ? PCI_BAR_PREFETCH : 0);
	cfg_put(f->cfg, off, (uint32_t)a | flags, 4);
	cfg_put(f->wmask, off, (uint32_t)~(b->size - 1) & (io ? ~3u : ~15u), 4);
	if (b->kind == PCI_BAR_MEM64) {
		cfg_put(f->cfg, off + 4, (uint32_t)(a >> 32), 4);
		cfg_put(f->wmask, off + 4, 0xffffffffu, 4);
	}
	uint16_t cmd = (uint16_t)cfg_get(f->cfg, 0x04, 2);
	cfg_put(f->cfg, 0x04, cmd | (io ? PCI_CMD_IO : PCI_CMD_MEM), 2);
	return 0;
}

int pci_register(struct pci *p, unsigned slot, unsigned func, const struct pci_func_info *info)
{
	if (slot >= PCI_SLOTS || func >= PCI_FUNCS) {
		vmm_err("pci: %s: no slot %u function %u on bus 0", info->name, slot, func);
		return -EINVAL;
	}
	int r = pci_check_bars(info);
	if (r)
		return r;
	pthread_mutex_lock(&p->lock);
	struct pci_func *f = &p->fn[slot][func];
	if (f->present) {
		vmm_err("pci: %s: 00:%02x.%u is taken by %s", info->name, slot, func, f->name);
		pthread_mutex_unlock(&p->lock);
		return -EEXIST;
	}
	memset(f, 0, sizeof(*f));
	f->name = info->name;
	cfg_put(f->cfg, 0x00, info->vendor, 2);
	cfg_put(f->cfg, 0x02, info->device, 2);
	cfg_put(f->cfg, 0x08, info->revision | info->class_code << 8, 4);
	f->cfg[0x0e] = info->header_type;
	cfg_put(f->cfg, 0x2c, info->subsys_vendor | (uint32_t)info->subsys << 16, 4);
	f->cfg[0x3d] = info->irq_pin;
	cfg_put(f->wmask, 0x04, PCI_CMD_WMASK, 2);
	f->wmask[0x0c] = 0xff; /* cache line size */
	f->wmask[0x0d] = 0xff; /* latency timer */
	f->wmask[0x3c] = 0xff; /* interrupt line: firmware's note */
	memcpy(f->bar, info->bar, sizeof(f->bar));
	for (unsigned i = 0; i < PCI_BAR_MAX && !r; i++)
		if (f->bar[i].kind != PCI_BAR_UNUSED)
			r = pci_assign_bar(p, f, i);
	for (unsigned i = 0; i < info->nr_regs && !r; i++) {
		const struct pci_cfg_reg *c = &info->regs[i];
		VMM_ASSERT(c->off >= 0x40 && c->off + c->size <= PCI_CFG_SIZE);
		cfg_put(f->cfg, c->off, c->value, c->size);
		cfg_put(f->wmask, c->off, c->wmask, c->size);
	}
	f->present = !r;
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* PCI-to-ISA bridge: INTx of (slot) goes to PIRQ[(slot + pin - 1) & 3]
 * (QEMU's pc swizzle), which PIIX3 register 0x60 + n routes to an ISA IRQ
 * unless its bit 7 is set. Sharing: a PIRQ is high while any input is. */
void pci_set_irq(struct pci *p, unsigned slot, unsigned func, int level)
{
	if (slot >= PCI_SLOTS || func >= PCI_FUNCS)
		return;
	pthread_mutex_lock(&p->lock);
	struct pci_func *f = &p->fn[slot][func];
	f->irq_level = level && f->present && f->cfg[0x3d];
	unsigned pirq = (slot + f->cfg[0x3d] - 1) & 3;
	int line = 0;
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		for (unsigned fu = 0; fu < PCI_FUNCS; fu++) {
			const struct pci_func *o = &p->fn[s][fu];
			if (o->irq_level && ((s + o->cfg[0x3d] - 1) & 3) == pirq)
				line = 1;
		}
	uint8_t route = p->fn[PCI_SLOT_ISA][0].cfg[PIIX3_PIRQRC + pirq];
	pthread_mutex_unlock(&p->lock);
	if (!(route & PIIX3_PIRQ_OFF) && (route & 0x0f) >= 3)
		vm_set_irq(p->vm, route & 0x0f, line);
}

/* i440FX: the PAM (0x59-0x5f) and SMRAM (0x72) registers hold what is
 * written (memory below 1 MiB is always RAM here). PIIX3: PIRQ route
 * control (0x60-0x63, routing off), top of memory (0x69), misc (0x6a). */
static const struct pci_cfg_reg i440fx_regs[] = {
	{ 0x50, 4, 0, 0 },          { 0x59, 4, 0, 0xffffffffu }, { 0x5d, 2, 0, 0xffff },
	{ 0x5f, 1, 0, 0xff },       { 0x72, 1, 0x02, 0x78 },
};
static const struct pci_cfg_reg piix3_regs[] = {
	{ PIIX3_PIRQRC, 4, 0x80808080u, 0x8f8f8f8fu },
	{ 0x69, 1, 0x02, 0xfe },
	{ 0x6a, 1, 0x00, 0xff },
};

static int pci_add_bridges(struct pci *p)
{
	static const struct pci_func_info host = {
		.name = "i440fx", .vendor = 0x8086, .device = 0x1237, .revision = 0x02,
		.class_code = 0x060000, .subsys_vendor = 0x1af4, .subsys = 0x1100,
		.regs = i440fx_regs, .nr_regs = VMM_ARRAY_SIZE(i440fx_regs),
	};
	static const struct pci_func_info isa = {
		.name = "piix3-isa", .vendor = 0x8086, .device = 0x7000, .class_code = 0x060100,
		.header_type = 0x80, /* multi-function, as QEMU's PIIX3 */
		.subsys_vendor = 0x1af4, .subsys = 0x1100,
		.regs = piix3_regs, .nr_regs = VMM_ARRAY_SIZE(piix3_regs),
	};
	int r = pci_register(p, 0, 0, &host);
	if (!r)
		r = pci_register(p, PCI_SLOT_ISA, 0, &isa);
	return r;
}

struct pci *pci_create(struct vm *vm)
{
	struct pci *p = calloc(1, sizeof(*p));
	if (!p) {
		vmm_err("pci: out of memory");
		return NULL;
	}
	p->vm = vm;
	p->next_io = PCI_IO_BASE;
	p->next_mem = PCI_MMIO_BASE;
	pthread_mutex_init(&p->lock, NULL);
	if (pci_add_bridges(p) ||
	    io_register(&vm->pio, 0xcf8, 4, "pci-conf-addr", pci_addr_io, p) ||
	    io_register(&vm->pio, 0xcfc, 4, "pci-conf-data", pci_data_io, p) ||
	    io_register(&vm->pio, PCI_IO_BASE, 0x10000 - PCI_IO_BASE, "pci-io", pci_io_window, p) ||
	    io_register(&vm->mmio, PCI_MMIO_BASE, PCI_MMIO_END - PCI_MMIO_BASE, "pci-mmio",
			pci_mmio_window, p)) {
		pci_destroy(p);
		return NULL;
	}
	return p;
}

void pci_destroy(struct pci *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* lapic_regs.c: the local APIC's registers as software reaches them: the
 * 4 KiB xAPIC page (MMIO at IA32_APIC_BASE, 32-bit registers on 16-byte
 * boundaries) and the x2APIC MSRs 0x800-0x8ff (SDM 3A 10.12.1.2: the same
 * registers, 64-bit ICR, no DFR/APR/RRD/ICR-high, #GP on reserved bits,
 * read-only registers and write-only ones), and IA32_APIC_BASE with the
 * mode transitions of SDM 3A 10.12.5 (figure 10-27). */
#include <errno.h>
#include <string.h>

#include "vmm/dev/apic_internal.h"

int lapic_reg_read(struct lapic *l, unsigned off, uint64_t *v, bool x2)
{
	switch (off) {
	case APIC_ID: *v = x2 ? l->id : l->id << 24; return 0;
	case APIC_VERSION: *v = APIC_VERSION_VALUE; return 0;
	case APIC_TPR: *v = l->tpr; return 0;
	case APIC_PPR: *v = lapic_ppr(l); return 0;
	case APIC_LDR: *v = l->ldr; return 0;
	case APIC_SVR: *v = l->svr; return 0;
	case APIC_ESR: *v = l->esr; return 0;
	case APIC_TIMER_ICR: *v = l->timer_initial; return 0;
	case APIC_TIMER_CCR: *v = lapic_timer_current(l, l->bus->vm->now_ns()); return 0;
	case APIC_TIMER_DCR: *v = l->timer_dcr; return 0;
	case APIC_APR: case APIC_EOI: case APIC_RRD: case APIC_DFR: case APIC_ICR_HI:
		if (x2)
			return -EINVAL; /* not in x2APIC mode, or write-only */
		*v = off == APIC_DFR ? l->dfr : off == APIC_ICR_HI ? l->icr_hi : 0;
		return 0;
	case APIC_ICR_LO:
		*v = l->icr_lo | (x2 ? (uint64_t)l->icr_hi << 32 : 0);
		return 0;
	default:
		break;
	}
	if (off >= APIC_ISR && off < APIC_ESR) {
		unsigned i = (off & 0x70) >> 4;
		*v = off < APIC_TMR ? l->isr[i] : off < APIC_IRR ? l->tmr[i] : l->irr[i];
		return 0;
	}
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR) {
		*v = l->lvt[(off - APIC_LVT_TIMER) >> 4];
		return 0;
	}
	return -EINVAL;
}

/* Writable bits of each LVT entry (SDM 3A figure 10-8); remote IRR and
 * delivery status are read-only, timer mode 3 is reserved. */
static const uint32_t lvt_bits[LVT_NR] = {
	[LVT_TIMER] = 0x000700ff, [LVT_THERMAL] = 0x000107ff, [LVT_PERF] = 0x000107ff,
	[LVT_LINT0] = 0x0001a7ff, [LVT_LINT1] = 0x0001a7ff,  [LVT_ERROR] = 0x000100ff,
};

static int lapic_write_lvt(struct lapic *l, enum apic_lvt i, uint64_t v, bool x2, uint64_t now)
{
	if (x2 && (v & ~(uint64_t)lvt_bits[i]))
		return -EINVAL;
	uint32_t e = (uint32_t)v & lvt_bits[i];
	if (i == LVT_TIMER && APIC_LVT_TIMER_MODE(e) == 3)
		e &= ~(3u << 17); /* xAPIC: reserved mode reads as one-shot */
	if (!lapic_sw_enabled(l))
		e |= APIC_LVT_MASKED; /* SDM 3A 10.4.7.2 */
	if (i == LVT_TIMER) {
		lapic_timer_set_lvt(l, e, now);
		return 0;
	}
	l->lvt[i] = e | (l->lvt[i] & APIC_LVT_REMOTE_IRR);
	lapic_update(l);
	return 0;
}

static int lapic_write_svr(struct lapic *l, uint64_t v, bool x2)
{
	if (x2 && (v & ~0x3ffull))
		return -EINVAL;
	l->svr = (uint32_t)v & 0x3ff; /* vector, enable, focus check; no EOI suppression */
	if (!(l->svr & APIC_SVR_ENABLE)) /* software disable masks every LVT entry */
		for (unsigned i = 0; i < LVT_NR; i++)
			l->lvt[i] |= APIC_LVT_MASKED;
	lapic_update(l);
	return 0;
}

int lapic_reg_write(struct lapic *l, unsigned off, uint64_t v, bool x2, uint64_t now, int *eoi)
{
	switch (off) {
	case APIC_ID:
		if (x2)
			return -EINVAL; /* read-only in x2APIC mode */
		l->id = (uint32_t)v >> 24;
		return 0;
	case APIC_TPR:
		if (x2 && (v & ~0xffull))
			return -EINVAL;
		l->tpr = (uint32_t)v & 0xff;
		lapic_update(l);
		return 0;
	case APIC_EOI:
		if (x2 && v)
			return -EINVAL;
		*eoi = lapic_eoi_locked(l);
		return 0;
	case APIC_LDR: case APIC_DFR: case APIC_ICR_HI:
		if (x2)
			return -EINVAL; /* LDR is read-only, the others do not exist */
		if (off == APIC_LDR)
			l->ldr = (uint32_t)v & 0xff000000u;
		else if (off == APIC_DFR)
			l->dfr = (uint32_t)v | 0x0fffffffu;
		else
			l->icr_hi = (uint32_t)v & 0xff000000u;
		return 0;
	case APIC_SVR:
		return lapic_write_svr(l, v, x2);
	case APIC_ESR:
		if (x2 && v)
			return -EINVAL;
		l->esr = l->esr_pending; /* SDM 3A 10.5.3: a write latches the errors */
		l->esr_pending = 0;
		return 0;
	case APIC_ICR_LO:
		if (x2) {
			l->icr_lo = (uint32_t)v & ~(1u << 12);
			l->icr_hi = (uint32_t)(v >> 32);
		} else {
			l->icr_lo = (uint32_t)v & 0x000cdfffu; /* delivery status stays idle */
		}
		lapic_send_icr(l, (uint64_t)l->icr_hi << 32 | l->icr_lo);
		return 0;
	case APIC_TIMER_ICR:
		if (x2 && (v >> 32))
			return -EINVAL;
		lapic_timer_set_initial(l, (uint32_t)v, now);
		return 0;
	case APIC_TIMER_DCR:
		if (x2 && (v & ~0xbull))
			return -EINVAL;
		lapic_timer_set_dcr(l, (uint32_t)v & 0xb, now);
		return 0;
	case APIC_SELF_IPI:
		if (!x2 || (v & ~0xffull))
			return -EINVAL;
		lapic_send_icr(l, (v & 0xff) | 1u << 18); /* fixed, edge, to self */
		return 0;
	case APIC_VERSION: case APIC_APR: case APIC_PPR: case APIC_RRD: case APIC_TIMER_CCR:
		return x2 ? -EINVAL : 0; /* read-only: xAPIC ignores the write */
	default:
		break;
	}
	if (off >= APIC_ISR && off < APIC_ESR)
		return x2 ? -EINVAL : 0;
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR)
		return lapic_write_lvt(l, (enum apic_lvt)((off - APIC_LVT_TIMER) >> 4), v, x2, now);
	return -EINVAL;
}

int lapic_set_base(struct lapic *l, uint64_t v)
{
	if (v & ~(APIC_BASE_ADDR_MASK | APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN))
		return -EINVAL;
	bool en = v & APIC_BASE_EN, extd = v & APIC_BASE_EXTD;
	bool was_en = lapic_hw_enabled(l), was_x2 = lapic_x2apic(l);
	if (extd && !en)
		return -EINVAL; /* the invalid state */
	if (was_x2 && en && !extd)
		return -EINVAL; /* x2APIC -> xAPIC must go through disabled */
	if (!was_en && en && extd)
		return -EINVAL; /* disabled -> x2APIC must go through xAPIC */
	if (was_en && !en) {
		lapic_reset(l); /* disabling resets the APIC (SDM 3A 10.4.3) */
	} else if (!was_x2 && en && extd) {
		/* SDM 3A 10.12.5.1: xAPIC -> x2APIC: the x2APIC ID is the
		 * initial one and the LDR is derived from it (10.12.10.2) */
		l->id = l->cpu;
		l->ldr = (l->id >> 4) << 16 | 1u << (l->id & 0xf);
	}
	l->base = v;
	lapic_update(l);
	return 0;
}

/* One xAPIC page access by (l)'s CPU at physical (addr); lock not held. */
static int lapic_page_access(struct lapic *l, uint64_t addr, void *data, unsigned size,
			     bool is_write)
{
	pthread_mutex_lock(&l->lock);
	if (!lapic_hw_enabled(l) || lapic_x2apic(l) ||
	    (l->base & APIC_BASE_ADDR_MASK) != (addr & ~0xfffull)) {
		pthread_mutex_unlock(&l->lock);
		return -ENOENT; /* not decoded: the access goes to the bus */
	}
	unsigned off = (unsigned)addr & 0xfff, reg = off & ~0xfu, byte = off & 0xf;
	int eoi = -1;
	if (!is_write) {
		uint64_t v = 0;
		if (lapic_reg_read(l, reg, &v, false))
			lapic_error(l, APIC_ESR_ILLEGAL_REG);
		uint8_t *p = data;
		for (unsigned i = 0; i < size; i++)
			p[i] = byte + i < 4 ? (uint8_t)(v >> (8 * (byte + i))) : 0;
	} else if (size == 4 && byte == 0) {
		uint32_t v;
		memcpy(&v, data, 4);
		if (lapic_reg_write(l, reg, v, false, l->bus->vm->now_ns(), &eoi))
			lapic_error(l, APIC_ESR_ILLEGAL_REG);
	} /* other write widths: undefined (SDM 3A 10.4.1); ignored */
	pthread_mutex_unlock(&l->lock);
	apic_bus_eoi(l->bus, eoi);
	return 0;
}

static struct lapic *current_lapic(struct apic_bus *b)
{
	struct vcpu *v = vcpu_current();
	return b->lapic[v && v->vm == b->vm && v->id < b->n ? v->id : 0];
}

int lapic_mmio(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	return lapic_page_access(current_lapic(dev), APIC_DEFAULT_BASE + off, data, size, is_write);
}

int lapic_mmio_moved(void *dev, uint64_t addr, void *data, unsigned size, bool is_write)
{
	return lapic_page_access(current_lapic(dev), addr, data, size, is_write);
}

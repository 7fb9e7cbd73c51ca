/* lapic.c: the local APIC as the CPU and the APIC bus see it: interrupt
 * acceptance into IRR/TMR, priorities (TPR, PPR), acknowledge into ISR, EOI
 * (with the broadcast to the IOAPIC for level-triggered vectors), LVT local
 * interrupts, the ICR's interprocessor interrupts with physical, logical
 * (flat, cluster, x2APIC) destinations and shorthands, and ExtINT from the
 * i8259 through LINT0. Also the bus itself (apic_create) and the irq_ops
 * engines call. SDM 3A 10.5-10.8 and 10.12. */
#include <errno.h>
#include <stdlib.h>

#include "vmm/dev/apic_internal.h"

bool lapic_hw_enabled(const struct lapic *l)
{
	return l->base & APIC_BASE_EN;
}

bool lapic_x2apic(const struct lapic *l)
{
	return (l->base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

bool lapic_sw_enabled(const struct lapic *l)
{
	return lapic_hw_enabled(l) && (l->svr & APIC_SVR_ENABLE);
}

/* SDM 3A table 10-1 and 10.4.7.1: after power-up or reset. The BSP's LINT0
 * is then put in ExtINT mode, as the BIOS does for virtual wire mode (QEMU
 * does the same at reset), so a guest that never touches the APIC still
 * gets the i8259's interrupts with the APIC enabled in IA32_APIC_BASE. */
void lapic_reset(struct lapic *l)
{
	lapic_timer_stop(l);
	bool bsp = l->cpu == 0;
	l->base = APIC_DEFAULT_BASE | APIC_BASE_EN | (bsp ? APIC_BASE_BSP : 0);
	l->id = l->cpu;
	l->tpr = l->ldr = 0;
	l->dfr = 0xffffffffu;
	l->svr = 0xff;
	l->esr = l->esr_pending = 0;
	l->icr_lo = l->icr_hi = 0;
	for (unsigned i = 0; i < LVT_NR; i++)
		l->lvt[i] = APIC_LVT_MASKED;
	if (bsp)
		l->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
	for (unsigned i = 0; i < 8; i++)
		l->irr[i] = l->isr[i] = l->tmr[i] = 0;
	l->timer_initial = l->timer_dcr = 0;
	l->timer_shift = 1; /* DCR 0: divide by 2 */
	l->tsc_deadline = 0;
}

unsigned lapic_ppr(const struct lapic *l)
{
	int isrv = apic_vec_highest(l->isr);
	unsigned isr_class = isrv < 0 ? 0 : (unsigned)isrv & 0xf0;
	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

/* The vector the CPU would take next, or -1 (SDM 3A 10.8.3.1). */
static int lapic_deliverable(const struct lapic *l)
{
	if (!lapic_sw_enabled(l))
		return -1;
	int v = apic_vec_highest(l->irr);
	if (v < 0 || ((unsigned)v & 0xf0) <= (lapic_ppr(l) & 0xf0))
		return -1;
	return v;
}

/* LINT0 takes the i8259's INTR when it is unmasked in ExtINT mode; with
 * the APIC disabled in IA32_APIC_BASE, INTR reaches the CPU directly. */
static bool lapic_extint(const struct lapic *l)
{
	if (!__atomic_load_n(&l->bus->pic_intr, __ATOMIC_ACQUIRE))
		return false;
	if (!lapic_hw_enabled(l))
		return true;
	uint32_t lint0 = l->lvt[LVT_LINT0];
	return !(lint0 & APIC_LVT_MASKED) && ((lint0 >> 8) & 7) == APIC_DM_EXTINT;
}

void lapic_update(struct lapic *l)
{
	bool intr = lapic_deliverable(l) >= 0 || lapic_extint(l);
	if (intr != l->intr) {
		l->intr = intr;
		vm_set_intr(l->bus->vm, l->cpu, intr);
	}
}

/* Accept a fixed or lowest-priority interrupt into IRR; lock held. */
static void lapic_accept_fixed(struct lapic *l, uint8_t vector, bool level)
{
	if (!lapic_sw_enabled(l))
		return; /* software-disabled: fixed interrupts are not accepted */
	if (vector < 16) {
		lapic_error(l, APIC_ESR_RECV_ILLEGAL);
		return;
	}
	apic_vec_set(l->irr, vector);
	if (level)
		apic_vec_set(l->tmr, vector);
	else
		apic_vec_clear(l->tmr, vector);
	lapic_update(l);
}

/* One message arrives at (l); lock held. */
static void lapic_accept(struct lapic *l, const struct apic_msg *m)
{
	switch (m->mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		lapic_accept_fixed(l, m->vector, m->level);
		break;
	case APIC_DM_NMI:
		if (lapic_hw_enabled(l))
			vm_set_nmi(l->bus->vm, l->cpu);
		break;
	case APIC_DM_EXTINT:
		lapic_update(l); /* the i8259's vector comes at the acknowledge */
		break;
	default:
		/* INIT, SIPI, SMI to a CPU that exists: one vCPU per VM for now,
		 * and the BSP is never the target of a start-up sequence. */
		if (!l->warned_init)
			vmm_warn("apic: cpu%u: %s message ignored (no AP start-up or SMM)", l->cpu,
				 m->mode == APIC_DM_INIT ? "INIT" : m->mode == APIC_DM_SIPI ? "SIPI"
											   : "SMI");
		l->warned_init = true;
		break;
	}
}

void lapic_error(struct lapic *l, uint32_t bits)
{
	l->esr_pending |= bits;
	lapic_local_irq(l, LVT_ERROR);
}

void lapic_local_irq(struct lapic *l, enum apic_lvt lvt)
{
	uint32_t e = l->lvt[lvt];
	if ((e & APIC_LVT_MASKED) || !lapic_hw_enabled(l))
		return;
	unsigned dm = (e >> 8) & 7;
	if (lvt == LVT_TIMER || lvt == LVT_ERROR)
		dm = APIC_DM_FIXED; /* no delivery-mode field */
	struct apic_msg m = { .mode = (enum apic_dm)dm, .vector = (uint8_t)e,
			      .level = lvt == LVT_LINT0 || lvt == LVT_LINT1 ? (e & APIC_LVT_LEVEL) != 0
									 : false };
	if (dm == APIC_DM_FIXED && m.vector < 16) {
		if (lvt != LVT_ERROR) /* no recursion through the error LVT */
			lapic_error(l, APIC_ESR_RECV_ILLEGAL);
		return;
	}
	lapic_accept(l, &m);
}

int lapic_eoi_locked(struct lapic *l)
{
	int v = apic_vec_highest(l->isr);
	if (v < 0)
		return -1;
	apic_vec_clear(l->isr, (unsigned)v);
	bool level = apic_vec_bit(l->tmr, (unsigned)v);
	lapic_update(l);
	return level ? v : -1;
}

/* SDM 3A 10.6.2: does (l) match (m)'s destination? Lock of (l) held. */
static bool lapic_match(const struct lapic *l, const struct apic_msg *m)
{
	bool x2 = lapic_x2apic(l);
	uint32_t bcast = m->x2apic_dest ? 0xffffffffu : 0xffu;
	if (m->dest == bcast)
		return true;
	if (!m->logical)
		return m->dest == l->id;
	if (x2) { /* x2APIC logical: cluster in 31:16, bitmap in 15:0 */
		uint32_t dest = m->x2apic_dest ? m->dest : m->dest & 0xff;
		return (dest >> 16) == (l->ldr >> 16) && (dest & l->ldr & 0xffff);
	}
	uint8_t dest = (uint8_t)m->dest, ldr = (uint8_t)(l->ldr >> 24);
	if ((l->dfr >> 28) == 0xf) /* flat */
		return dest & ldr;
	/* cluster: cluster in 7:4 (15: every cluster), members in 3:0 */
	return ((dest >> 4) == 0xf || (dest >> 4) == (ldr >> 4)) && (dest & ldr & 0x0f);
}

void apic_bus_send(struct apic_bus *b, const struct apic_msg *m, struct lapic *src)
{
	bool match[VM_MAX_VCPUS] = { false };
	struct lapic *lowest = NULL;
	unsigned lowest_ppr = 0x100;
	for (unsigned i = 0; i < b->n; i++) {
		struct lapic *l = b->lapic[i];
		pthread_mutex_lock(&l->lock);
		switch (m->shorthand) {
		case 1: match[i] = l == src; break;
		case 2: match[i] = true; break;
		case 3: match[i] = l != src; break;
		default: match[i] = lapic_match(l, m); break;
		}
		if (match[i] && m->mode == APIC_DM_LOWEST && lapic_sw_enabled(l) &&
		    lapic_ppr(l) < lowest_ppr) {
			lowest_ppr = lapic_ppr(l);
			lowest = l;
		}
		pthread_mutex_unlock(&l->lock);
	}
	for (unsigned i = 0; i < b->n; i++) {
		struct lapic *l = b->lapic[i];
		if (!match[i] || (m->mode == APIC_DM_LOWEST && lowest && l != lowest))
			continue;
		pthread_mutex_lock(&l->lock);
		lapic_accept(l, m);
		pthread_mutex_unlock(&l->lock);
		if (m->mode == APIC_DM_LOWEST && !lowest)
			break; /* none enabled: the first match takes it */
	}
}

void lapic_send_icr(struct lapic *l, uint64_t icr)
{
	bool x2 = lapic_x2apic(l);
	unsigned dm = (icr >> 8) & 7;
	struct apic_msg m = {
		.dest = x2 ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56),
		.logical = icr & (1u << 11),
		.x2apic_dest = x2,
		.shorthand = (icr >> 18) & 3,
		.mode = (enum apic_dm)dm,
		.vector = (uint8_t)icr,
		.level = icr & (1u << 15),
	};
	if (dm == APIC_DM_INIT && m.level && !(icr & (1u << 14)))
		return; /* INIT level de-assert: no effect on this family */
	if ((dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST) && m.vector < 16) {
		lapic_error(l, APIC_ESR_SEND_ILLEGAL);
		return;
	}
	if (dm == APIC_DM_EXTINT || dm == 3)
		return; /* reserved in the ICR */
	if (dm == APIC_DM_LOWEST && m.shorthand == 1)
		m.mode = APIC_DM_FIXED;
	m.level = false; /* IPIs are edge-triggered (no EOI broadcast) */
	pthread_mutex_unlock(&l->lock);
	apic_bus_send(l->bus, &m, l);
	pthread_mutex_lock(&l->lock);
}

void apic_bus_eoi(struct apic_bus *b, int vector)
{
	if (vector >= 0 && b->ioapic)
		ioapic_eoi(b->ioapic, (uint8_t)vector);
}

/* INTA: the vector the CPU takes (SDM 3A 10.8.4). */
static int lapic_ack(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	int v = lapic_deliverable(l);
	if (v >= 0) {
		apic_vec_clear(l->irr, (unsigned)v);
		apic_vec_set(l->isr, (unsigned)v);
		lapic_update(l);
		pthread_mutex_unlock(&l->lock);
		return v;
	}
	bool ext = lapic_extint(l);
	int spurious = (int)(l->svr & 0xff);
	pthread_mutex_unlock(&l->lock);
	if (ext && l->bus->pic)
		return pic_ack(l->bus->pic); /* the i8259's INTA cycle */
	return spurious;
}

struct lapic *lapic_create(struct apic_bus *bus, unsigned cpu)
{
	struct lapic *l = calloc(1, sizeof(*l));
	if (!l) {
		vmm_err("apic: cpu%u: out of memory", cpu);
		return NULL;
	}
	l->bus = bus;
	l->cpu = cpu;
	pthread_mutex_init(&l->lock, NULL);
	lapic_timer_init(l);
	lapic_reset(l);
	return l;
}

void lapic_destroy(struct lapic *l)
{
	if (!l)
		return;
	lapic_timer_fini(l);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* ---- the bus: what the board and the engines see ---- */

static struct lapic *bus_lapic(struct apic_bus *b, unsigned cpu)
{
	return cpu < b->n ? b->lapic[cpu] : NULL;
}

static int apic_irq_ack(void *chip, unsigned cpu)
{
	struct apic_bus *b = chip;
	struct lapic *l = bus_lapic(b, cpu);
	return l ? lapic_ack(l) : 0xff;
}

static int apic_msr_read(void *chip, unsigned cpu, uint32_t msr, uint64_t *v)
{
	struct lapic *l = bus_lapic(chip, cpu);
	if (!l)
		return -ENOENT;
	int r = 0;
	pthread_mutex_lock(&l->lock);
	if (msr == X86_MSR_APIC_BASE)
		*v = l->base;
	else if (msr == X86_MSR_TSC_DEADLINE)
		*v = APIC_LVT_TIMER_MODE(l->lvt[LVT_TIMER]) == APIC_TIMER_TSC_DEADLINE
			     ? l->tsc_deadline : 0;
	else if (msr >= 0x800 && msr <= 0x8ff)
		r = lapic_x2apic(l) ? lapic_reg_read(l, (msr - 0x800) << 4, v, true) : -EINVAL;
	else
		r = -ENOENT;
	pthread_mutex_unlock(&l->lock);
	return r;
}

static int apic_msr_write(void *chip, unsigned cpu, uint32_t msr, uint64_t v, uint64_t tsc)
{
	struct apic_bus *b = chip;
	struct lapic *l = bus_lapic(b, cpu);
	if (!l)
		return -ENOENT;
	uint64_t now = b->vm->now_ns();
	int r = 0, eoi = -1;
	pthread_mutex_lock(&l->lock);
	if (msr == X86_MSR_APIC_BASE) {
		r = lapic_set_base(l, v);
	} else if (msr == X86_MSR_TSC_DEADLINE) {
		if (APIC_LVT_TIMER_MODE(l->lvt[LVT_TIMER]) == APIC_TIMER_TSC_DEADLINE)
			lapic_timer_set_deadline(l, v, tsc, now);
	} else if (msr >= 0x800 && msr <= 0x8ff) {
		unsigned off = (msr - 0x800) << 4;
		if (!lapic_x2apic(l))
			r = -EINVAL;
		else
			r = lapic_reg_write(l, off, v, true, now, &eoi);
	} else {
		r = -ENOENT;
	}
	pthread_mutex_unlock(&l->lock);
	apic_bus_eoi(b, eoi);
	return r;
}

static uint64_t apic_cr8_get(void *chip, unsigned cpu)
{
	struct lapic *l = bus_lapic(chip, cpu);
	if (!l)
		return 0;
	pthread_mutex_lock(&l->lock);
	uint64_t v = (l->tpr >> 4) & 0xf;
	pthread_mutex_unlock(&l->lock);
	return v;
}

static void apic_cr8_set(void *chip, unsigned cpu, uint64_t v)
{
	struct lapic *l = bus_lapic(chip, cpu);
	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	l->tpr = (uint32_t)(v & 0xf) << 4; /* SDM 3A 10.8.6.1: TPR[3:0] clear */
	lapic_update(l);
	pthread_mutex_unlock(&l->lock);
}

const struct irq_ops apic_irq_ops = {
	.ack = apic_irq_ack,
	.msr_read = apic_msr_read,
	.msr_write = apic_msr_write,
	.cr8_get = apic_cr8_get,
	.cr8_set = apic_cr8_set,
};

/* The i8259's INTR output: every local APIC's LINT0 (and the CPU's INTR
 * pin where the APIC is disabled). Called with the PIC's lock held. */
static void apic_bus_pic_out(void *opaque, int level)
{
	struct apic_bus *b = opaque;
	__atomic_store_n(&b->pic_intr, level ? 1 : 0, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < b->n; i++) {
		pthread_mutex_lock(&b->lapic[i]->lock);
		lapic_update(b->lapic[i]);
		pthread_mutex_unlock(&b->lapic[i]->lock);
	}
}

struct apic_bus *apic_create(struct vm *vm, struct pic *pic)
{
	struct apic_bus *b = calloc(1, sizeof(*b));
	if (!b) {
		vmm_err("apic: out of memory");
		return NULL;
	}
	b->vm = vm;
	b->pic = pic;
	pthread_mutex_init(&b->tsc_lock, NULL);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (!(b->lapic[i] = lapic_create(b, i)))
			goto fail;
		b->n++;
	}
	if (!(b->ioapic = ioapic_create(b, IOAPIC_BASE)))
		goto fail;
	if (io_register(&vm->mmio, APIC_DEFAULT_BASE, 0x1000, "lapic", lapic_mmio, b))
		goto fail;
	vm->mmio.fallback = lapic_mmio_moved;
	vm->mmio.fallback_dev = b;
	if (pic)
		pic_set_output(pic, apic_bus_pic_out, b);
	return b;
fail:
	apic_destroy(b);
	return NULL;
}

void apic_destroy(struct apic_bus *b)
{
	if (!b)
		return;
	if (b->pic)
		pic_set_output(b->pic, NULL, NULL);
	if (b->vm->mmio.fallback_dev == b) {
		b->vm->mmio.fallback = NULL;
		b->vm->mmio.fallback_dev = NULL;
	}
	ioapic_destroy(b->ioapic);
	for (unsigned i = 0; i < b->n; i++)
		lapic_destroy(b->lapic[i]);
	pthread_mutex_destroy(&b->tsc_lock);
	free(b);
}

void apic_set_irq(struct apic_bus *b, unsigned gsi, int level)
{
	if (b->ioapic)
		ioapic_set_irq(b->ioapic, gsi, level);
}

void apic_set_tsc_hz(struct apic_bus *b, uint64_t hz)
{
	pthread_mutex_lock(&b->tsc_lock);
	b->tsc_hz = hz;
	pthread_mutex_unlock(&b->tsc_lock);
}

/* apic_internal.h: the local APICs, the IOAPIC and the "APIC bus" that
 * joins them (lapic.c: interrupt acceptance, priority, EOI, IPIs;
 * lapic_regs.c: the xAPIC page and the x2APIC MSRs; lapic_timer.c: the
 * timer; ioapic.c). Intel SDM 3A chapter 10 ("APIC") is the reference;
 * the register layout and reset values are the SDM's, the corner cases
 * follow what KVM's and QEMU's models do where the SDM is silent.
 *
 * Locks: each local APIC has its own; the IOAPIC has one. Order: PIC ->
 * IOAPIC -> local APIC (a device raising a line goes down that chain);
 * nothing calls up the chain with a local APIC lock held (EOI broadcasts,
 * IPIs and ExtINT acknowledges drop it first). */
#ifndef VMM_DEV_APIC_INTERNAL_H
#define VMM_DEV_APIC_INTERNAL_H

#include "vmm/dev/dev_internal.h"

/* IA32_APIC_BASE (SDM 3A 10.4.4, 10.12.1) */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull /* MAXPHYADDR 52 */

/* register offsets in the xAPIC page (x2APIC MSR = 0x800 + off / 16) */
#define APIC_ID 0x020
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_APR 0x090
#define APIC_PPR 0x0a0
#define APIC_EOI 0x0b0
#define APIC_RRD 0x0c0
#define APIC_LDR 0x0d0
#define APIC_DFR 0x0e0
#define APIC_SVR 0x0f0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_CCR 0x390
#define APIC_TIMER_DCR 0x3e0
#define APIC_SELF_IPI 0x3f0 /* x2APIC only */

/* version 0x14 (integrated APIC), six LVT entries (max LVT index 5) */
#define APIC_VERSION_VALUE 0x00050014u

#define APIC_SVR_ENABLE (1u << 8)
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_LEVEL (1u << 15)
#define APIC_LVT_REMOTE_IRR (1u << 14)
#define APIC_LVT_TIMER_MODE(v) (((v) >> 17) & 3)
#define APIC_TIMER_ONESHOT 0
#define APIC_TIMER_PERIODIC 1
#define APIC_TIMER_TSC_DEADLINE 2

/* ESR bits (SDM 3A 10.5.3) */
#define APIC_ESR_SEND_ILLEGAL (1u << 5)
#define APIC_ESR_RECV_ILLEGAL (1u << 6)
#define APIC_ESR_ILLEGAL_REG (1u << 7)

/* delivery modes (ICR, LVT, IOAPIC redirection entries) */
enum apic_dm {
	APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
	APIC_DM_INIT = 5, APIC_DM_SIPI = 6, APIC_DM_EXTINT = 7,
};

enum apic_lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_NR };

/* The timer counts at 1 GHz before the divider (as KVM and QEMU). */
#define APIC_BUS_HZ 1000000000ull
/* Periodic expiries at least this far apart (a tiny count would flood the
 * host; KVM clamps to 200 us): the count itself is not changed. */
#define APIC_TIMER_MIN_PERIOD_NS 100000ull

struct apic_bus;

struct lapic {
	struct apic_bus *bus;
	unsigned cpu;
	pthread_mutex_t lock;
	uint64_t base;            /* IA32_APIC_BASE */
	uint32_t id;              /* the APIC ID (xAPIC shows it in bits 31:24) */
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr, esr_pending; /* ESR as read; errors since its last write */
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LVT_NR];
	uint32_t irr[8], isr[8], tmr[8];
	bool intr;                /* the INTR level last given to the vCPU */
	/* timer */
	uint32_t timer_initial, timer_dcr;
	unsigned timer_shift;     /* log2 of the divider */
	bool timer_running;
	uint64_t timer_start;     /* ns: when the count was loaded */
	uint64_t timer_next;      /* ns: the next expiry while running */
	uint64_t tsc_deadline;    /* IA32_TSC_DEADLINE (0: disarmed) */
	struct vm_timer timer;
	bool warned_init;         /* INIT/SIPI/SMI to an existing CPU, logged once */
};

/* One interrupt message on the APIC bus. */
struct apic_msg {
	uint32_t dest;            /* 8 bits (xAPIC, IOAPIC) or 32 (x2APIC) */
	bool logical;
	bool x2apic_dest;         /* (dest) is in x2APIC format (the ICR in x2APIC mode) */
	unsigned shorthand;       /* 0 none, 1 self, 2 all, 3 all but self */
	enum apic_dm mode;
	uint8_t vector;
	bool level;               /* trigger mode: level (remote IRR, EOI broadcast) */
};

struct apic_bus {
	struct vm *vm;
	unsigned n;
	struct lapic *lapic[VM_MAX_VCPUS];
	struct ioapic *ioapic;
	struct pic *pic;
	int pic_intr;             /* the PIC's INTR output, atomic */
	uint64_t tsc_hz;          /* for TSC-deadline; 0 until measured */
	pthread_mutex_t tsc_lock;
};

/* lapic.c */
struct lapic *lapic_create(struct apic_bus *bus, unsigned cpu);
void lapic_destroy(struct lapic *l);
void lapic_reset(struct lapic *l); /* power-up state (SDM 3A 10.4.7.1); lock held */
bool lapic_hw_enabled(const struct lapic *l);
bool lapic_x2apic(const struct lapic *l);
bool lapic_sw_enabled(const struct lapic *l);
/* Recompute PPR-gated INTR and drive the vCPU's line; lock held. */
void lapic_update(struct lapic *l);
/* The processor priority (SDM 3A 10.8.3.1); lock held. */
unsigned lapic_ppr(const struct lapic *l);
/* A local interrupt (LVT entry (lvt) fired); lock held. */
void lapic_local_irq(struct lapic *l, enum apic_lvt lvt);
/* Set ESR bits (and raise the error LVT); lock held. */
void lapic_error(struct lapic *l, uint32_t bits);
/* EOI: retire the highest in-service vector; returns it if it was
 * level-triggered (to broadcast), else -1. Lock held. */
int lapic_eoi_locked(struct lapic *l);
/* Send (m) from (src) (NULL: the IOAPIC). No local APIC lock held. */
void apic_bus_send(struct apic_bus *b, const struct apic_msg *m, struct lapic *src);
/* Broadcast an EOI for (vector) to the IOAPIC. No lock held. */
void apic_bus_eoi(struct apic_bus *b, int vector);
/* The ICR was written: decode and send; lock held, dropped and retaken. */
void lapic_send_icr(struct lapic *l, uint64_t icr);

/* lapic_regs.c */
/* Register (off) (16-byte aligned) as the xAPIC page or the x2APIC MSRs
 * show it. 0, or -EINVAL (#GP in x2APIC; illegal register in xAPIC). */
int lapic_reg_read(struct lapic *l, unsigned off, uint64_t *v, bool x2);
/* (*eoi): the vector an EOI retired, if it must be broadcast (else -1);
 * the caller broadcasts it after dropping the lock. */
int lapic_reg_write(struct lapic *l, unsigned off, uint64_t v, bool x2, uint64_t now, int *eoi);
/* IA32_APIC_BASE write with the SDM's mode transitions. 0 or -EINVAL. */
int lapic_set_base(struct lapic *l, uint64_t v);
int lapic_mmio(void *dev, uint64_t off, void *data, unsigned size, bool is_write);
int lapic_mmio_moved(void *dev, uint64_t addr, void *data, unsigned size, bool is_write);

/* lapic_timer.c */
void lapic_timer_init(struct lapic *l);
void lapic_timer_fini(struct lapic *l);
/* Register writes that touch the timer; lock held; (now) from vm->now_ns. */
void lapic_timer_set_initial(struct lapic *l, uint32_t count, uint64_t now);
void lapic_timer_set_dcr(struct lapic *l, uint32_t v, uint64_t now);
void lapic_timer_set_lvt(struct lapic *l, uint32_t v, uint64_t now);
uint32_t lapic_timer_current(struct lapic *l, uint64_t now);
void lapic_timer_set_deadline(struct lapic *l, uint64_t deadline, uint64_t tsc, uint64_t now);
void lapic_timer_stop(struct lapic *l);
/* The host TSC frequency (measured once, ~10 ms, unless set). */
uint64_t apic_bus_tsc_hz(struct apic_bus *b);

/* ioapic.c */
struct ioapic *ioapic_create(struct apic_bus *bus, uint64_t base);
void ioapic_destroy(struct ioapic *io);
/* An EOI for (vector) reached the IOAPIC (SDM: the EOI broadcast). */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);

static inline unsigned apic_vec_bit(const uint32_t *r, unsigned v)
{
	return (r[v >> 5] >> (v & 31)) & 1;
}
static inline void apic_vec_set(uint32_t *r, unsigned v)
{
	r[v >> 5] |= 1u << (v & 31);
}
static inline void apic_vec_clear(uint32_t *r, unsigned v)
{
	r[v >> 5] &= ~(1u << (v & 31));
}
/* The highest vector set in a 256-bit register, or -1. */
static inline int apic_vec_highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

#endif

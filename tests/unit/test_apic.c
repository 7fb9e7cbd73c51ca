/* test_apic.c: the local APIC and the IOAPIC on a fake clock: reset values,
 * priorities and EOI, ICR delivery (self, shorthands, logical flat and
 * cluster, illegal vectors, INIT/SIPI to nobody), IA32_APIC_BASE transitions
 * and relocation, the x2APIC MSRs, CR8, the timer in one-shot, periodic and
 * TSC-deadline modes with every divider, the IOAPIC's edge, level, remote
 * IRR and masking, and the board's routing from a device to the vCPU. */
#include "tests/unit/util.h"

#include <errno.h>

#include "vmm/core/vcpu_internal.h"
#include "vmm/dev/dev.h"

#define BASE APIC_DEFAULT_BASE

struct fixture {
	struct vm *vm;
	struct apic_bus *apic;
	struct vcpu *v;
};

static int setup(void **state)
{
	static struct fixture f;
	f.vm = test_vm_create(16 * MiB);
	assert_non_null(f.vm);
	f.v = vcpu_alloc(f.vm, 0);
	assert_non_null(f.v);
	f.vm->vcpu[0] = f.v; /* freed by vm_destroy */
	f.apic = apic_create(f.vm, NULL);
	assert_non_null(f.apic);
	f.vm->irqchip = f.apic;
	f.vm->irq_ops = &apic_irq_ops;
	apic_set_tsc_hz(f.apic, 1000000000ull); /* 1 tick = 1 ns */
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	apic_destroy(f->apic);
	vm_destroy(f->vm);
	return 0;
}

#define F (*(struct fixture *)*state)

static uint32_t rd(struct vm *vm, unsigned off)
{
	uint32_t v = 0;
	io_dispatch(&vm->mmio, BASE + off, &v, 4, false);
	return v;
}

static void wr(struct vm *vm, unsigned off, uint32_t v)
{
	io_dispatch(&vm->mmio, BASE + off, &v, 4, true);
}

static int msr_rd(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	return vcpu_msr_read(v, msr, val);
}

static uint64_t msr(struct vcpu *v, uint32_t idx)
{
	uint64_t val = 0;
	assert_int_equal(vcpu_msr_read(v, idx, &val), 0);
	return val;
}

static int msr_wr(struct vcpu *v, uint32_t idx, uint64_t val)
{
	return vcpu_msr_write(v, idx, val, 0);
}

static void enable(struct vm *vm)
{
	wr(vm, 0xf0, 0x1ff); /* SVR: software enable, spurious vector 0xff */
}

static bool irr_bit(struct vm *vm, unsigned vec)
{
	return rd(vm, 0x200 + (vec / 32) * 0x10) & (1u << (vec % 32));
}

static bool isr_bit(struct vm *vm, unsigned vec)
{
	return rd(vm, 0x100 + (vec / 32) * 0x10) & (1u << (vec % 32));
}

static void self_ipi(struct vm *vm, unsigned vec)
{
	wr(vm, 0x300, 1u << 18 | vec); /* fixed, edge, shorthand self */
}

static void test_apic_reset_state_matches_the_sdm(void **state)
{
	assert_int_equal(msr(F.v, X86_MSR_APIC_BASE), BASE | 0x900); /* EN | BSP */
	assert_int_equal(rd(F.vm, 0x20), 0);
	assert_int_equal(rd(F.vm, 0x30), 0x50014);
	assert_int_equal(rd(F.vm, 0xe0), 0xffffffff);
	assert_int_equal(rd(F.vm, 0xf0), 0xff);
	assert_int_equal(rd(F.vm, 0x320), 0x10000);
	assert_int_equal(rd(F.vm, 0x350), 0x700); /* LINT0 ExtINT: virtual wire */
	assert_int_equal(rd(F.vm, 0x360), 0x10000);
	assert_int_equal(rd(F.vm, 0x370), 0x10000);
	assert_int_equal(rd(F.vm, 0x3e0), 0);
}

static void test_apic_software_disabled_accepts_no_fixed_interrupt(void **state)
{
	self_ipi(F.vm, 0x40);
	assert_false(irr_bit(F.vm, 0x40));
	assert_false(vcpu_intr_pending(F.v));
	enable(F.vm);
	self_ipi(F.vm, 0x40);
	assert_true(irr_bit(F.vm, 0x40));
	assert_true(vcpu_intr_pending(F.v));
}

static void test_apic_ack_moves_irr_to_isr_and_eoi_retires_it(void **state)
{
	enable(F.vm);
	self_ipi(F.vm, 0x41);
	assert_int_equal(vcpu_intr_ack(F.v), 0x41);
	assert_false(irr_bit(F.vm, 0x41));
	assert_true(isr_bit(F.vm, 0x41));
	assert_int_equal(rd(F.vm, 0xa0), 0x40); /* PPR = ISRV class */
	assert_false(vcpu_intr_pending(F.v));
	wr(F.vm, 0xb0, 0);
	assert_false(isr_bit(F.vm, 0x41));
	assert_int_equal(rd(F.vm, 0xa0), 0);
}

static void test_apic_priority_classes_gate_delivery(void **state)
{
	enable(F.vm);
	wr(F.vm, 0x80, 0x50); /* TPR class 5 */
	self_ipi(F.vm, 0x35);
	self_ipi(F.vm, 0x51);
	assert_false(vcpu_intr_pending(F.v)); /* neither class is above 5 */
	assert_int_equal(rd(F.vm, 0xa0), 0x50);
	wr(F.vm, 0x80, 0x40);
	assert_true(vcpu_intr_pending(F.v));
	assert_int_equal(vcpu_intr_ack(F.v), 0x51);
	assert_false(vcpu_intr_pending(F.v)); /* 0x35 is below the in-service 0x51 */
	self_ipi(F.vm, 0x62);
	assert_int_equal(vcpu_intr_ack(F.v), 0x62); /* a higher class nests */
	wr(F.vm, 0xb0, 0);                            /* EOI 0x62 */
	wr(F.vm, 0xb0, 0);                            /* EOI 0x51 */
	wr(F.vm, 0x80, 0);
	assert_int_equal(vcpu_intr_ack(F.v), 0x35);
	assert_int_equal(vcpu_intr_ack(F.v), 0xff); /* nothing left: spurious */
}

static void test_apic_illegal_vector_sets_esr_after_a_write(void **state)
{
	enable(F.vm);
	self_ipi(F.vm, 5);
	assert_false(irr_bit(F.vm, 5));
	assert_int_equal(rd(F.vm, 0x280), 0); /* latched by the next write */
	wr(F.vm, 0x280, 0);
	assert_int_equal(rd(F.vm, 0x280), 0x20); /* send illegal vector */
	wr(F.vm, 0x280, 0);
	assert_int_equal(rd(F.vm, 0x280), 0);
}

static void test_apic_error_lvt_raises_its_vector(void **state)
{
	enable(F.vm);
	wr(F.vm, 0x370, 0xe0);
	self_ipi(F.vm, 3);
	assert_int_equal(vcpu_intr_ack(F.v), 0xe0);
}

static void test_apic_logical_flat_and_cluster_destinations(void **state)
{
	enable(F.vm);
	wr(F.vm, 0xd0, 0x04000000); /* LDR: logical ID bit 2 */
	wr(F.vm, 0x310, 0x03000000);
	wr(F.vm, 0x300, 1u << 11 | 0x50); /* flat, dest 0x03: not us */
	assert_false(irr_bit(F.vm, 0x50));
	wr(F.vm, 0x310, 0x06000000);
	wr(F.vm, 0x300, 1u << 11 | 0x51); /* flat, dest 0x06: us */
	assert_true(irr_bit(F.vm, 0x51));
	wr(F.vm, 0xe0, 0x0fffffff);       /* cluster model */
	wr(F.vm, 0xd0, 0x21000000);       /* cluster 2, member bit 0 */
	wr(F.vm, 0x310, 0x31000000);
	wr(F.vm, 0x300, 1u << 11 | 0x52); /* cluster 3: not us */
	assert_false(irr_bit(F.vm, 0x52));
	wr(F.vm, 0x310, 0x23000000);
	wr(F.vm, 0x300, 1u << 11 | 0x53); /* cluster 2, members 0-1: us */
	assert_true(irr_bit(F.vm, 0x53));
	wr(F.vm, 0x310, 0xf1000000);
	wr(F.vm, 0x300, 1u << 11 | 0x54); /* every cluster, member 0 */
	assert_true(irr_bit(F.vm, 0x54));
}

static void test_apic_physical_destination_and_shorthands(void **state)
{
	enable(F.vm);
	wr(F.vm, 0x310, 0x01000000);
	wr(F.vm, 0x300, 0x60); /* physical APIC ID 1: nobody */
	assert_false(irr_bit(F.vm, 0x60));
	wr(F.vm, 0x310, 0);
	wr(F.vm, 0x300, 0x61); /* APIC ID 0 */
	assert_true(irr_bit(F.vm, 0x61));
	wr(F.vm, 0x300, 3u << 18 | 0x62); /* all but self */
	assert_false(irr_bit(F.vm, 0x62));
	wr(F.vm, 0x300, 2u << 18 | 0x63); /* all including self */
	assert_true(irr_bit(F.vm, 0x63));
	wr(F.vm, 0x310, 0xff000000);
	wr(F.vm, 0x300, 0x64); /* broadcast */
	assert_true(irr_bit(F.vm, 0x64));
	assert_int_equal(rd(F.vm, 0x300) & (1u << 12), 0); /* delivery status idle */
}

static void test_apic_init_and_sipi_to_a_missing_cpu_are_harmless(void **state)
{
	enable(F.vm);
	wr(F.vm, 0x310, 0x05000000);
	wr(F.vm, 0x300, 0x4500); /* INIT assert to APIC ID 5 */
	wr(F.vm, 0x300, 0x8500); /* INIT de-assert */
	wr(F.vm, 0x300, 0x0608); /* SIPI vector 8 */
	assert_false(vcpu_intr_pending(F.v));
	assert_int_equal(rd(F.vm, 0x280), 0);
	assert_int_equal(msr(F.v, X86_MSR_APIC_BASE), BASE | 0x900);
}

static void test_apic_nmi_ipi_reaches_the_vcpu(void **state)
{
	wr(F.vm, 0x300, 1u << 18 | 4u << 8);
	assert_true(vcpu_nmi_take(F.v));
	assert_false(vcpu_nmi_pending(F.v));
}

static void test_apic_base_transitions_follow_the_sdm(void **state)
{
	const uint64_t en = 1u << 11, extd = 1u << 10;
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, BASE | extd), -EINVAL); /* invalid */
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, BASE | en | 1), -EINVAL); /* reserved */
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, BASE), 0); /* disable */
	assert_int_equal(rd(F.vm, 0x30), 0xffffffff); /* the page is gone */
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, BASE | en | extd), -EINVAL);
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, BASE | en), 0);
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, BASE | en | extd), 0); /* x2APIC */
	assert_int_equal(rd(F.vm, 0x30), 0xffffffff); /* no MMIO in x2APIC mode */
	assert_int_equal(msr(F.v, 0x803), 0x50014);
	assert_int_equal(msr(F.v, 0x802), 0);          /* 32-bit x2APIC ID */
	assert_int_equal(msr(F.v, 0x80d), 1);          /* LDR: cluster 0, bit 0 */
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, BASE | en), -EINVAL); /* x2 -> x */
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, BASE), 0);
	uint64_t v;
	assert_int_equal(msr_rd(F.v, 0x803, &v), -EINVAL); /* x2APIC MSRs #GP outside */
}

static void test_apic_x2apic_msrs_fault_where_the_sdm_says(void **state)
{
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, BASE | 0xd00), 0);
	uint64_t v;
	assert_int_equal(msr_rd(F.v, 0x80b, &v), -EINVAL);  /* EOI is write-only */
	assert_int_equal(msr_wr(F.v, 0x80b, 1), -EINVAL);   /* EOI with a value */
	assert_int_equal(msr_rd(F.v, 0x831, &v), -EINVAL);  /* no ICR high */
	assert_int_equal(msr_rd(F.v, 0x80e, &v), -EINVAL);  /* no DFR */
	assert_int_equal(msr_wr(F.v, 0x802, 5), -EINVAL);   /* ID is read-only */
	assert_int_equal(msr_wr(F.v, 0x80d, 5), -EINVAL);   /* LDR is read-only */
	assert_int_equal(msr_wr(F.v, 0x808, 0x100), -EINVAL); /* TPR reserved bits */
	assert_int_equal(msr_wr(F.v, 0x83f, 0x100), -EINVAL); /* self IPI reserved bits */
	assert_int_equal(msr_rd(F.v, 0x83f, &v), -EINVAL);  /* self IPI is write-only */
	assert_int_equal(msr_rd(F.v, 0x1234, &v), -ENOENT); /* not an APIC MSR */
	assert_int_equal(msr_wr(F.v, 0x80f, 0x1ff), 0);     /* SVR enable */
	assert_int_equal(msr_wr(F.v, 0x83f, 0x50), 0);      /* self IPI */
	assert_int_equal(msr_wr(F.v, 0x830, 0x61), 0);      /* ICR: physical ID 0 */
	assert_int_equal(msr_wr(F.v, 0x830, 0x72ull | 1ull << 32), 0); /* ID 1: nobody */
	assert_int_equal(msr_wr(F.v, 0x830, 0x73ull | 1ull << 11 | 1ull << 32), 0); /* logical */
	assert_int_equal(msr(F.v, 0x830), 0x73ull | 1ull << 11 | 1ull << 32);
	assert_int_equal(msr(F.v, 0x823) >> 16 & 0xf, 0x8); /* IRR: 0x73 only of 0x70-0x73 */
	assert_int_equal(vcpu_intr_ack(F.v), 0x73);
	assert_int_equal(msr(F.v, 0x80a), 0x70);            /* PPR */
	assert_int_equal(msr(F.v, 0x813) >> 16 & 0xf, 0x8); /* ISR */
	assert_int_equal(msr_wr(F.v, 0x80b, 0), 0);
	assert_int_equal(vcpu_intr_ack(F.v), 0x61);
	assert_int_equal(msr_wr(F.v, 0x80b, 0), 0);
	assert_int_equal(vcpu_intr_ack(F.v), 0x50);
	assert_int_equal(msr_wr(F.v, 0x80b, 0), 0);
	assert_int_equal(msr(F.v, 0x80a), 0);
}

static void test_apic_cr8_is_tpr_bits_7_4(void **state)
{
	wr(F.vm, 0x80, 0x5a);
	assert_int_equal(vcpu_cr8_get(F.v), 5);
	vcpu_cr8_set(F.v, 9);
	assert_int_equal(rd(F.vm, 0x80), 0x90);
}

static void test_apic_base_relocates_the_page(void **state)
{
	const uint64_t nb = 0xfe000000ull;
	assert_int_equal(msr_wr(F.v, X86_MSR_APIC_BASE, nb | 0x900), 0);
	assert_int_equal(rd(F.vm, 0x30), 0xffffffff);
	uint32_t v = 0;
	io_dispatch(&F.vm->mmio, nb + 0x30, &v, 4, false);
	assert_int_equal(v, 0x50014);
}

static void test_apic_software_disable_masks_the_lvt(void **state)
{
	enable(F.vm);
	wr(F.vm, 0x320, 0x30);
	assert_int_equal(rd(F.vm, 0x320), 0x30);
	wr(F.vm, 0xf0, 0xff);
	assert_int_equal(rd(F.vm, 0x320), 0x10030);
	wr(F.vm, 0x320, 0x31); /* cannot unmask while disabled */
	assert_int_equal(rd(F.vm, 0x320), 0x10031);
}

static void run_timers(struct vm *vm)
{
	timer_run_due(&vm->timers, test_now);
}

static void test_apic_timer_one_shot_counts_down_and_fires_once(void **state)
{
	enable(F.vm);
	wr(F.vm, 0x320, 0x40);
	wr(F.vm, 0x3e0, 0x3); /* divide by 16 */
	wr(F.vm, 0x380, 1000);
	assert_int_equal(rd(F.vm, 0x390), 1000);
	test_clock_advance(8000);
	assert_int_equal(rd(F.vm, 0x390), 500);
	run_timers(F.vm);
	assert_false(irr_bit(F.vm, 0x40));
	test_clock_advance(8000);
	run_timers(F.vm);
	assert_true(irr_bit(F.vm, 0x40));
	assert_int_equal(rd(F.vm, 0x390), 0);
	assert_int_equal(vcpu_intr_ack(F.v), 0x40);
	wr(F.vm, 0xb0, 0);
	test_clock_advance(100000);
	run_timers(F.vm);
	assert_false(irr_bit(F.vm, 0x40));
}

static void test_apic_timer_periodic_reloads(void **state)
{
	enable(F.vm);
	wr(F.vm, 0x320, 1u << 17 | 0x41);
	wr(F.vm, 0x3e0, 0xb); /* divide by 1 */
	wr(F.vm, 0x380, 200000); /* 200 us */
	unsigned fired = 0;
	for (unsigned i = 0; i < 10; i++) {
		test_clock_advance(50000);
		run_timers(F.vm);
		if (irr_bit(F.vm, 0x41)) {
			fired++;
			assert_int_equal(vcpu_intr_ack(F.v), 0x41);
			wr(F.vm, 0xb0, 0);
		}
	}
	assert_int_equal(fired, 2); /* at 200 and 400 us of 500 */
	assert_int_equal(rd(F.vm, 0x390), 100000);
	wr(F.vm, 0x380, 0); /* a zero count stops it */
	test_clock_advance(1000000);
	run_timers(F.vm);
	assert_false(irr_bit(F.vm, 0x41));
}

static void test_apic_timer_divide_configuration(void **state)
{
	static const struct { uint32_t dcr, div; } t[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(t); i++) {
		wr(F.vm, 0x3e0, t[i].dcr);
		assert_int_equal(rd(F.vm, 0x3e0), t[i].dcr);
		wr(F.vm, 0x380, 10000);
		test_clock_advance(1000ull * t[i].div);
		assert_int_equal(rd(F.vm, 0x390), 9000);
	}
}

static void test_apic_timer_tsc_deadline(void **state)
{
	enable(F.vm);
	assert_int_equal(msr_wr(F.v, X86_MSR_TSC_DEADLINE, 5000), 0); /* ignored: one-shot mode */
	assert_int_equal(msr(F.v, X86_MSR_TSC_DEADLINE), 0);
	wr(F.vm, 0x320, 2u << 17 | 0x42);
	wr(F.vm, 0x380, 100); /* ignored in TSC-deadline mode */
	assert_int_equal(rd(F.vm, 0x380), 0);
	assert_int_equal(vcpu_msr_write(F.v, X86_MSR_TSC_DEADLINE, 6000, 1000), 0);
	assert_int_equal(msr(F.v, X86_MSR_TSC_DEADLINE), 6000);
	test_clock_advance(4999);
	run_timers(F.vm);
	assert_false(irr_bit(F.vm, 0x42));
	test_clock_advance(1);
	run_timers(F.vm);
	assert_true(irr_bit(F.vm, 0x42));
	assert_int_equal(msr(F.v, X86_MSR_TSC_DEADLINE), 0);
	assert_int_equal(vcpu_intr_ack(F.v), 0x42);
	wr(F.vm, 0xb0, 0);
	/* a deadline already past fires at once; zero disarms */
	assert_int_equal(vcpu_msr_write(F.v, X86_MSR_TSC_DEADLINE, 10, 1000), 0);
	assert_true(irr_bit(F.vm, 0x42));
	assert_int_equal(vcpu_intr_ack(F.v), 0x42);
	wr(F.vm, 0xb0, 0);
	assert_int_equal(vcpu_msr_write(F.v, X86_MSR_TSC_DEADLINE, 3000, 1000), 0);
	assert_int_equal(vcpu_msr_write(F.v, X86_MSR_TSC_DEADLINE, 0, 1000), 0);
	test_clock_advance(10000);
	run_timers(F.vm);
	assert_false(irr_bit(F.vm, 0x42));
}

/* ---- IOAPIC ---- */

static void ioapic_wr(struct vm *vm, unsigned reg, uint32_t v)
{
	uint32_t s = reg;
	io_dispatch(&vm->mmio, IOAPIC_BASE, &s, 4, true);
	io_dispatch(&vm->mmio, IOAPIC_BASE + 0x10, &v, 4, true);
}

static uint32_t ioapic_rd(struct vm *vm, unsigned reg)
{
	uint32_t s = reg, v = 0;
	io_dispatch(&vm->mmio, IOAPIC_BASE, &s, 4, true);
	io_dispatch(&vm->mmio, IOAPIC_BASE + 0x10, &v, 4, false);
	return v;
}

static void test_ioapic_registers(void **state)
{
	assert_int_equal(ioapic_rd(F.vm, 1), 0x170020);
	assert_int_equal(ioapic_rd(F.vm, 0x10), 0x10000); /* masked */
	ioapic_wr(F.vm, 0, 0x0a000000);
	assert_int_equal(ioapic_rd(F.vm, 0), 0x0a000000);
	ioapic_wr(F.vm, 0x11, 0xff000000);
	assert_int_equal(ioapic_rd(F.vm, 0x11), 0xff000000);
	ioapic_wr(F.vm, 0x10, 0xffffffff); /* remote IRR and status read-only */
	assert_int_equal(ioapic_rd(F.vm, 0x10), 0x1afff);
}

static void test_ioapic_edge_delivers_on_rising_edges_and_masked_ones_are_lost(void **state)
{
	enable(F.vm);
	ioapic_wr(F.vm, 0x10 + 2 * 4, 0x10044); /* pin 4, masked */
	apic_set_irq(F.apic, 4, 1);
	apic_set_irq(F.apic, 4, 0);
	ioapic_wr(F.vm, 0x10 + 2 * 4, 0x44);
	assert_false(vcpu_intr_pending(F.v));
	apic_set_irq(F.apic, 4, 1);
	assert_int_equal(vcpu_intr_ack(F.v), 0x44);
	apic_set_irq(F.apic, 4, 1); /* no edge */
	assert_false(irr_bit(F.vm, 0x44));
	wr(F.vm, 0xb0, 0);
	assert_int_equal(ioapic_rd(F.vm, 0x10 + 2 * 4) & (1u << 14), 0);
}

static void test_ioapic_level_remote_irr_and_eoi_broadcast(void **state)
{
	enable(F.vm);
	ioapic_wr(F.vm, 0x10 + 2 * 9, 0x8049); /* level, vector 0x49 */
	apic_set_irq(F.apic, 9, 1);
	assert_true(ioapic_rd(F.vm, 0x10 + 2 * 9) & (1u << 14));
	assert_true(rd(F.vm, 0x180 + 0x20) & (1u << 9)); /* TMR */
	assert_int_equal(vcpu_intr_ack(F.v), 0x49);
	wr(F.vm, 0xb0, 0); /* EOI while still asserted: delivered again */
	assert_true(irr_bit(F.vm, 0x49));
	assert_int_equal(vcpu_intr_ack(F.v), 0x49);
	apic_set_irq(F.apic, 9, 0);
	wr(F.vm, 0xb0, 0);
	assert_false(irr_bit(F.vm, 0x49));
	assert_int_equal(ioapic_rd(F.vm, 0x10 + 2 * 9) & (1u << 14), 0);
	/* the IOAPIC's own EOI register also clears remote IRR */
	apic_set_irq(F.apic, 9, 1);
	assert_int_equal(vcpu_intr_ack(F.v), 0x49);
	apic_set_irq(F.apic, 9, 0);
	uint32_t vec = 0x49;
	io_dispatch(&F.vm->mmio, IOAPIC_BASE + 0x40, &vec, 4, true);
	assert_int_equal(ioapic_rd(F.vm, 0x10 + 2 * 9) & (1u << 14), 0);
}

static void test_ioapic_active_low_and_logical_destination(void **state)
{
	enable(F.vm);
	wr(F.vm, 0xd0, 0x01000000);
	ioapic_wr(F.vm, 0x11 + 2 * 5, 0x02000000);
	ioapic_wr(F.vm, 0x10 + 2 * 5, 0x2855); /* active low, logical, dest 2: not us */
	apic_set_irq(F.apic, 5, 1);
	apic_set_irq(F.apic, 5, 0); /* asserted */
	assert_false(irr_bit(F.vm, 0x55));
	apic_set_irq(F.apic, 5, 1);
	ioapic_wr(F.vm, 0x11 + 2 * 5, 0x01000000);
	apic_set_irq(F.apic, 5, 0);
	assert_true(irr_bit(F.vm, 0x55));
}

/* ---- the board: device -> IOAPIC -> local APIC -> vCPU ---- */

static int setup_board(void **state)
{
	static struct fixture f;
	f.vm = test_vm_create(16 * MiB);
	assert_non_null(f.vm);
	f.v = vcpu_alloc(f.vm, 0);
	assert_non_null(f.v);
	f.vm->vcpu[0] = f.v;
	f.apic = NULL; /* the board brings its own */
	*state = &f;
	return 0;
}

static void test_board_routes_the_pit_to_ioapic_pin_2_and_the_pic_through_lint0(void **state)
{
	static const struct board_config cfg = { .serial = "none" };
	struct board_pc *b = board_pc_create(F.vm, &cfg);
	assert_non_null(b);
	/* the i8259 alone: base 0x20, IRQ0 unmasked, through LINT0 (ExtINT) */
	static const uint8_t seq[][2] = { { 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 },
					  { 0x21, 0x01 }, { 0x21, 0xfe } };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(seq); i++)
		outb(F.vm, seq[i][0], seq[i][1]);
	outb(F.vm, 0x43, 0x30); /* PIT channel 0, mode 0, count 100 */
	outb(F.vm, 0x40, 100);
	outb(F.vm, 0x40, 0);
	test_clock_advance(200000);
	run_timers(F.vm);
	assert_true(vcpu_intr_pending(F.v));
	assert_int_equal(vcpu_intr_ack(F.v), 0x20);
	outb(F.vm, 0x20, 0x20);
	/* now the IOAPIC: PIC masked, pin 2 -> vector 0x30 */
	outb(F.vm, 0x21, 0xff);
	enable(F.vm);
	ioapic_wr(F.vm, 0x10 + 2 * 2, 0x30);
	outb(F.vm, 0x43, 0x30);
	outb(F.vm, 0x40, 100);
	outb(F.vm, 0x40, 0);
	test_clock_advance(200000);
	run_timers(F.vm);
	assert_int_equal(vcpu_intr_ack(F.v), 0x30);
	board_pc_destroy(b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_apic_reset_state_matches_the_sdm),
		T(test_apic_software_disabled_accepts_no_fixed_interrupt),
		T(test_apic_ack_moves_irr_to_isr_and_eoi_retires_it),
		T(test_apic_priority_classes_gate_delivery),
		T(test_apic_illegal_vector_sets_esr_after_a_write),
		T(test_apic_error_lvt_raises_its_vector),
		T(test_apic_logical_flat_and_cluster_destinations),
		T(test_apic_physical_destination_and_shorthands),
		T(test_apic_init_and_sipi_to_a_missing_cpu_are_harmless),
		T(test_apic_nmi_ipi_reaches_the_vcpu),
		T(test_apic_base_transitions_follow_the_sdm),
		T(test_apic_x2apic_msrs_fault_where_the_sdm_says),
		T(test_apic_cr8_is_tpr_bits_7_4),
		T(test_apic_base_relocates_the_page),
		T(test_apic_software_disable_masks_the_lvt),
		T(test_apic_timer_one_shot_counts_down_and_fires_once),
		T(test_apic_timer_periodic_reloads),
		T(test_apic_timer_divide_configuration),
		T(test_apic_timer_tsc_deadline),
		T(test_ioapic_registers),
		T(test_ioapic_edge_delivers_on_rising_edges_and_masked_ones_are_lost),
		T(test_ioapic_level_remote_irr_and_eoi_broadcast),
		T(test_ioapic_active_low_and_logical_destination),
		cmocka_unit_test_setup_teardown(
			test_board_routes_the_pit_to_ioapic_pin_2_and_the_pic_through_lint0,
			setup_board, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

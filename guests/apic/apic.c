/* guests/apic/apic.c: the local APIC and the IOAPIC as a kernel uses them
 * (SDM 3A chapter 10, 82093AA): IA32_APIC_BASE and the version registers,
 * self-IPIs gated by the TPR, the timer in one-shot and periodic mode
 * (calibrated against the TSC; accuracy over many one-shot expiries), the
 * PIT routed through IOAPIC pin 2 (interrupt latency), the cost of an EOI
 * and of a self-IPI, and, where CPUID advertises them, the TSC-deadline
 * timer and x2APIC mode (whose results are info lines, so that the
 * expected output is the same on a CPU without them: QEMU 7.2's TCG; a
 * failure there is still a FAIL line). All in ring 0, paging on so that
 * the 64-bit build maps the two MMIO pages.
 *
 * The PV flavour (apic-pv-*, -DRT_PV) runs where the pv engine can: no MMIO
 * (no IOAPIC, no xAPIC page), the local APIC in x2APIC mode through the
 * ROM's MSR calls, every result an info line (QEMU's TCG has no x2APIC, so
 * its reference output is "done" alone); a failure is still a FAIL line. */
#include "rt.h"

#define LAPIC_PA 0xfee00000ul
#define IOAPIC_PA 0xfec00000ul
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0

#define VEC_TIMER 0x40
#define VEC_IPI 0x41 /* class 4 */
#define VEC_DEV 0x42
#define VEC_X2 0x43
#define VEC_SPURIOUS 0x4f

static volatile uint32_t *const lapic = (volatile uint32_t *)LAPIC_PA;
#ifndef RT_PV
static volatile uint32_t *const ioapic = (volatile uint32_t *)IOAPIC_PA;
#endif
static bool x2mode;

static volatile uint64_t hits[0x50], last_tsc;
static int fails;

#ifdef RT_PV
#define OK "info ok "
#else
#define OK "ok "
#endif

/* A register by its xAPIC offset: the page, or its MSR in x2APIC mode. */
static uint32_t lr(unsigned off)
{
	return x2mode ? (uint32_t)rdmsr(0x800 + off / 16) : lapic[off / 4];
}

static void lw(unsigned off, uint32_t v)
{
	if (x2mode)
		wrmsr(0x800 + off / 16, v);
	else
		lapic[off / 4] = v;
}

static void bench(const char *name, uint64_t n, uint64_t cycles)
{
#ifdef RT_PV
	kprintf("info bench %s iters=%llu cycles_per_iter=%llu\n", name, (unsigned long long)n,
		(unsigned long long)(cycles / n));
#else
	bench_report(name, n, cycles);
#endif
}

static void eoi(void)
{
	lw(0xb0, 0);
}

#ifndef RT_PV /* the IOAPIC: MMIO, which the pv engine has none of */
static uint32_t io_rd(unsigned reg)
{
	ioapic[0] = reg;
	return ioapic[4];
}

static void io_wr(unsigned reg, uint32_t v)
{
	ioapic[0] = reg;
	ioapic[4] = v;
}

#endif

static void check(const char *name, uint64_t want, uint64_t got)
{
	if (want != got) {
		kprintf("FAIL %s expected %#llx got %#llx\n", name, (unsigned long long)want,
			(unsigned long long)got);
		fails++;
	}
}

static void on_irq(struct trap_frame *f)
{
	last_tsc = rdtsc();
	hits[f->vector]++;
	eoi();
}

static void on_spurious(struct trap_frame *f)
{
	hits[f->vector]++; /* no EOI for the spurious vector (SDM 3A 10.9) */
}

#ifndef RT_PV /* no #GP comes back through the ROM's MSR calls */
/* #GP from an MSR access, as the catch saw it: the vector or -1. */
static int msr_fault(uint32_t msr, bool write, uint64_t v)
{
	catch_arm(1u << VEC_GP);
	if (write)
		__asm__ volatile(CATCH_RESUME_AT_1 "wrmsr\n1:"
				 : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
				 : CATCH_CLOBBER);
	else
		__asm__ volatile(CATCH_RESUME_AT_1 "rdmsr\n1:"
				 : : "c"(msr) : "eax", "edx", CATCH_CLOBBER);
	int vec = rt_catch.vector;
	rt_catch.mask = 0;
	return vec;
}

#endif

/* Wait with IF=1 until (vec) has been taken (n) times in all. */
static void wait_hits(unsigned vec, uint64_t n)
{
	while (hits[vec] < n)
		sti_hlt();
	cli();
}

static void test_base(void)
{
	uint64_t b = rdmsr(MSR_APIC_BASE);
	check("apic.base.enabled", 1, (b >> 11) & 1);
	check("apic.base.bsp", 1, (b >> 8) & 1);
	check("apic.base.addr", LAPIC_PA, b & 0xfffff000ull);
	check("apic.base.x2apic", x2mode, (b >> 10) & 1);
	check("apic.version", 0x50014, lr(0x30));
	kprintf(OK "apic.base\n");
}

static void test_self_ipi_and_tpr(void)
{
	lw(0xf0, 0x100 | VEC_SPURIOUS); /* SVR: software enable */
	lw(0x80, 0);
	lw(0x300, 1u << 18 | VEC_IPI);  /* fixed, edge, to self */
	wait_hits(VEC_IPI, 1);
	check("apic.self_ipi.isr_clear", 0, lr(0x100 + (VEC_IPI / 32) * 0x10) & (1u << (VEC_IPI % 32)));
	lw(0x80, 0x50);                  /* TPR class 5 holds class 4 back */
	lw(0x300, 1u << 18 | VEC_IPI);
	sti();
	__asm__ volatile("nop; nop; nop");
	cli();
	check("apic.tpr.held", 1, hits[VEC_IPI]);
	check("apic.tpr.irr", 1, (lr(0x200 + (VEC_IPI / 32) * 0x10) >> (VEC_IPI % 32)) & 1);
	check("apic.tpr.ppr", 0x50, lr(0xa0));
	lw(0x80, 0);
	wait_hits(VEC_IPI, 2);
	kprintf(OK "apic.self_ipi\n");
}

static uint64_t apic_hz, cpu_hz;

/* The timer's input clock against the TSC, over ~2 ms. */
static void calibrate(void)
{
	cpu_hz = tsc_hz();
	lw(0x320, 0x10000 | VEC_TIMER); /* masked one-shot */
	lw(0x3e0, 0xb);                 /* divide by 1 */
	lw(0x380, 0xffffffffu);
	uint64_t t0 = rdtsc(), t1;
	uint32_t c0 = lr(0x390), c1;
	do {
		t1 = rdtsc();
	} while (t1 - t0 < cpu_hz / 500);
	c1 = lr(0x390);
	lw(0x380, 0);
	apic_hz = (uint64_t)(c0 - c1) * cpu_hz / (t1 - t0);
	kprintf("info apic_timer_hz=%llu\n", (unsigned long long)apic_hz);
	if (c1 >= c0 || !apic_hz)
		check("apic.timer.counts_down", 1, 0);
}

struct lateness {
	uint64_t sum, max, early;
	uint64_t *v;
	uint64_t n;
};

static void late_add(struct lateness *l, int64_t late_cycles, uint64_t want_cycles)
{
	if (late_cycles < -(int64_t)(want_cycles / 2))
		l->early++; /* a timer never fires early; half a period is slack for calibration */
	uint64_t c = late_cycles < 0 ? 0 : (uint64_t)late_cycles;
	l->sum += c;
	if (c > l->max)
		l->max = c;
	l->v[l->n++] = c;
}

static uint64_t ns_of(uint64_t cycles)
{
	return cycles * 1000000000ull / cpu_hz;
}

static void late_report(const char *what, struct lateness *l)
{
	for (uint64_t i = 1; i < l->n; i++) /* insertion sort: n <= 1000 */
		for (uint64_t j = i; j && l->v[j - 1] > l->v[j]; j--) {
			uint64_t t = l->v[j];
			l->v[j] = l->v[j - 1];
			l->v[j - 1] = t;
		}
	/* cycles too: they do not depend on the TSC calibration */
	kprintf("info %s n=%llu late_median_ns=%llu late_p99_ns=%llu late_max_ns=%llu "
		"late_median_cycles=%llu late_p99_cycles=%llu late_mean_cycles=%llu\n", what,
		(unsigned long long)l->n, (unsigned long long)ns_of(l->v[l->n / 2]),
		(unsigned long long)ns_of(l->v[l->n * 99 / 100]), (unsigned long long)ns_of(l->max),
		(unsigned long long)l->v[l->n / 2], (unsigned long long)l->v[l->n * 99 / 100],
		(unsigned long long)(l->sum / l->n));
}

/* (n) one-shot expiries of 100 us each: how late each interrupt arrives. */
static void test_oneshot(uint64_t n)
{
	uint32_t count = (uint32_t)(apic_hz / 10000);
	uint64_t want = count * cpu_hz / apic_hz;
	struct lateness l = { .v = big_alloc(n * sizeof(uint64_t)) };
	lw(0x320, VEC_TIMER);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t before = hits[VEC_TIMER];
		uint64_t t0 = rdtsc();
		lw(0x380, count);
		wait_hits(VEC_TIMER, before + 1);
		late_add(&l, (int64_t)(last_tsc - t0 - want), want);
		check("apic.oneshot.ccr_zero", 0, lr(0x390));
	}
	check("apic.oneshot.early", 0, l.early);
	check("apic.oneshot.fired", n, hits[VEC_TIMER]);
	bench("apic_oneshot", n, l.sum);
	late_report("apic_oneshot", &l);
	kprintf(OK "apic.oneshot\n");
}

static void test_periodic(void)
{
	uint32_t count = (uint32_t)(apic_hz / 5000); /* 200 us */
	uint64_t before = hits[VEC_TIMER];
	lw(0x320, 1u << 17 | VEC_TIMER);
	uint64_t t0 = rdtsc();
	lw(0x380, count);
	uint32_t c = lr(0x390);
	if (c == 0 || c > count)
		check("apic.periodic.ccr", count, c);
	wait_hits(VEC_TIMER, before + 10);
	uint64_t took = rdtsc() - t0;
	lw(0x380, 0); /* a zero count stops it */
	lw(0x320, 0x10000 | VEC_TIMER);
	uint64_t want = 10ull * count * cpu_hz / apic_hz;
	check("apic.periodic.not_early", 1, took >= want / 2);
	kprintf("info apic_periodic period_ns=%llu\n", (unsigned long long)ns_of(took / 10));
	kprintf(OK "apic.periodic\n");
}

/* CPUID leaf 1 ECX bit (bit); says so in an info line when it is clear. */
static bool ecx_feature(unsigned bit, const char *name)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << bit)))
		kprintf("info %s not advertised\n", name);
	return r[2] & (1u << bit);
}

static void test_tsc_deadline(uint64_t n)
{
	if (!ecx_feature(24, "tsc_deadline"))
		return;
	uint64_t want = cpu_hz / 10000; /* 100 us */
	struct lateness l = { .v = big_alloc(n * sizeof(uint64_t)) };
	lw(0x320, 2u << 17 | VEC_TIMER);
	uint64_t before = hits[VEC_TIMER];
	for (uint64_t i = 0; i < n; i++) {
		uint64_t dl = rdtsc() + want;
		wrmsr(MSR_TSC_DEADLINE, dl);
		wait_hits(VEC_TIMER, before + i + 1);
		late_add(&l, (int64_t)(last_tsc - dl), want);
	}
	check("tsc_deadline.early", 0, l.early);
	check("tsc_deadline.msr_cleared", 0, rdmsr(MSR_TSC_DEADLINE));
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + cpu_hz); /* 1 s, then disarmed */
	wrmsr(MSR_TSC_DEADLINE, 0);
	lw(0x320, 0x10000 | VEC_TIMER);
	late_report("tsc_deadline", &l);
}

#ifndef RT_PV
/* The PIT at 1 kHz on ISA IRQ0, i.e. IOAPIC pin 2 (the i8259 masked): how
 * long after the IRQ edge the handler runs, in PIT counts (mode 2 reloads
 * at the edge, so reload - count is the time since). */
static volatile uint64_t pit_lat_sum, pit_lat_max;

static void on_pit(struct trap_frame *f)
{
	uint16_t count = pit_read_count();
	uint64_t lat = count <= pit_reload ? (uint64_t)(pit_reload - count) : 0;
	pit_lat_sum += lat;
	if (lat > pit_lat_max)
		pit_lat_max = lat;
	on_irq(f);
}

static void test_ioapic_pit(uint64_t n)
{
	uint32_t ver = io_rd(1);
	check("ioapic.version", 0x20, ver & 0xff);
	check("ioapic.max_entry", 23, (ver >> 16) & 0xff);
	check("ioapic.rte2_masked", 1, (io_rd(0x14) >> 16) & 1);
	uint32_t id = lr(0x20) >> 24;
	trap_set_handler(VEC_DEV, on_pit);
	io_wr(0x15, id << 24);
	io_wr(0x14, VEC_DEV); /* edge, active high, fixed, physical */
	pit_start(1000);
	wait_hits(VEC_DEV, n + 1);
	pit_stop();
	io_wr(0x14, 0x10000 | VEC_DEV);
	check("ioapic.remote_irr_edge", 0, (io_rd(0x14) >> 14) & 1);
	bench_report("ioapic_pit_latency", n, pit_lat_sum * cpu_hz / PIT_HZ);
	kprintf("info ioapic_pit max_latency_ns=%llu\n",
		(unsigned long long)(pit_lat_max * 1000000000ull / PIT_HZ));
	kprintf("ok ioapic.pit\n");
}

#endif

/* EOI with nothing in service, and a self-IPI round trip (ICR write,
 * delivery, handler, EOI, IRET). */
static void test_costs(uint64_t n)
{
	uint64_t t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		lw(0xb0, 0);
	bench("apic_eoi", n, rdtsc() - t0);
	uint64_t before = hits[VEC_IPI];
	sti();
	t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		lw(0x300, 1u << 18 | VEC_IPI);
	uint64_t took = rdtsc() - t0;
	cli();
	check("apic.ipi_cost.taken", n, hits[VEC_IPI] - before);
	bench("apic_self_ipi", n, took);
	kprintf(OK "apic.costs\n");
}

#ifndef RT_PV
static void test_x2apic(uint64_t n)
{
	if (!ecx_feature(21, "x2apic"))
		return;
	uint32_t r[4];
	cpuid(1, 0, r);
	uint64_t b = rdmsr(MSR_APIC_BASE);
	check("x2apic.msr_gp_in_xapic", VEC_GP, (uint64_t)msr_fault(0x803, false, 0));
	wrmsr(MSR_APIC_BASE, b | 0xc00);
	x2mode = true;
	check("x2apic.base", b | 0xc00, rdmsr(MSR_APIC_BASE));
	check("x2apic.version", 0x50014, rdmsr(0x803));
	check("x2apic.id", r[1] >> 24, rdmsr(0x802));
	check("x2apic.icr_hi_gp", VEC_GP, (uint64_t)msr_fault(0x831, false, 0));
	check("x2apic.eoi_value_gp", VEC_GP, (uint64_t)msr_fault(0x80b, true, 1));
	check("x2apic.to_xapic_gp", VEC_GP, (uint64_t)msr_fault(MSR_APIC_BASE, true, b));
	wrmsr(0x80f, 0x100 | VEC_SPURIOUS);
	uint64_t before = hits[VEC_X2];
	wrmsr(0x83f, VEC_X2);                    /* SELF IPI register */
	wait_hits(VEC_X2, before + 1);
	wrmsr(0x830, (uint64_t)rdmsr(0x802) << 32 | VEC_X2); /* ICR, physical */
	wait_hits(VEC_X2, before + 2);
	sti();
	uint64_t t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		wrmsr(0x83f, VEC_X2);
	uint64_t took = rdtsc() - t0;
	cli();
	check("x2apic.ipis", n + 2, hits[VEC_X2] - before);
	/* back to xAPIC through the disabled state (SDM 3A 10.12.5) */
	wrmsr(MSR_APIC_BASE, b & ~0xc00ull);
	x2mode = false;
	wrmsr(MSR_APIC_BASE, b);
	check("x2apic.back_to_xapic", b, rdmsr(MSR_APIC_BASE));
	check("x2apic.reset_svr", 0xff, lr(0xf0) & 0x1ff);
	kprintf("info x2apic ok self_ipi_cycles=%llu\n", (unsigned long long)(took / n));
}
#endif

int guest_main(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	check("cpuid.apic", 1, (r[3] >> 9) & 1);
#ifdef RT_PV
	if (!ecx_feature(21, "x2apic"))
		return 0; /* nothing to test without MMIO */
#endif
	pic_init(); /* every i8259 line masked: nothing comes through LINT0 */
#ifndef RT_PV
	pg_ensure();
	pg_map(&pg_kernel, LAPIC_PA, LAPIC_PA, PG_P | PG_RW | 0x10 /* PCD */);
	pg_map(&pg_kernel, IOAPIC_PA, IOAPIC_PA, PG_P | PG_RW | 0x10);
#endif
	for (unsigned v = VEC_TIMER; v <= VEC_X2; v++)
		trap_set_handler(v, on_irq);
	trap_set_handler(VEC_SPURIOUS, on_spurious);
#ifdef RT_PV
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | 0xc00);
	x2mode = true;
#endif
	uint64_t n = rt_iters(1000, 20);
	test_base();
	test_self_ipi_and_tpr();
	calibrate();
	test_oneshot(n);
	test_periodic();
	test_tsc_deadline(n);
#ifndef RT_PV
	test_ioapic_pit(n);
#endif
	test_costs(rt_iters(10000, 100));
#ifndef RT_PV
	test_x2apic(rt_iters(10000, 100));
#endif
	return fails ? RT_EXIT_FAIL : 0;
}

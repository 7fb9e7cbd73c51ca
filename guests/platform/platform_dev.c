/* guests/platform/platform_dev.c: the devices the tables describe. The PM
 * timer's and the HPET's rates measured against the TSC (which the runtime
 * calibrated against CPUID or PIT channel 2); HPET capabilities and
 * interrupts (a one-shot and a periodic comparator through legacy
 * replacement routing on IRQ 0); PCI configuration mechanism #1 (the
 * i440FX and PIIX3 IDs, an absent slot and bus, sizing every BAR found);
 * fw_cfg (signature, CPU count against the MADT, RAM size against the
 * Multiboot memory map, the kernel image on key 0x11, an unknown key).
 * Rates against the TSC fail only when absurd (off by 10x: the TSC's own
 * calibration is off by 3x on a loaded host); the PM timer against the
 * HPET, read back to back, within 25%. */
#include "platform.h"

#define PM_TIMER_HZ 3579545ull
/* 32-bit accesses only, as Linux (hpet_readl/hpet_writel): a 32-bit build
 * would split a 64-bit one, and the halves of a comparator act separately. */
#define HPET_REG(off) (*(volatile uint32_t *)(ulong)(HPET_PA + (off)))
#define HPET_TN_ENABLE (1u << 2)
#define HPET_TN_PERIODIC (1u << 3)
#define HPET_TN_SETVAL (1u << 6)
#define HPET_TN_32BIT (1u << 8)

/* The TSC ticks of about (ms) milliseconds, and a busy wait for them. */
static uint64_t tsc_ms(unsigned ms)
{
	return tsc_hz() / 1000 * ms;
}

/* Against the TSC a rate is only absurd when off by (factor): the
 * runtime's TSC calibration against the PIT is itself off by 3x on a
 * loaded host. */
static bool rate_sane(uint64_t got, uint64_t want, uint64_t factor)
{
	return got >= want / factor && got <= want * factor;
}

void test_pm_timer(void)
{
	uint32_t mask = acpi.tmr_32bit ? 0xffffffffu : 0xffffffu;
	uint32_t prev = inl(acpi.pm_tmr) & mask, first = prev;
	uint64_t c0 = rdtsc(), c1;
	bool backwards = false;
	/* 20 ms: fewer than 2^23 ticks, so one wrap at most */
	while ((c1 = rdtsc()) - c0 < tsc_ms(20)) {
		uint32_t v = inl(acpi.pm_tmr) & mask;
		if (((v - prev) & mask) > mask / 2)
			backwards = true;
		prev = v;
	}
	uint64_t ticks = (prev - first) & mask;
	/* the cost of one read (a port exit on most engines) */
	uint64_t n = rt_iters(10000, 200), t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		(void)inl(acpi.pm_tmr);
	bench_report("pm_timer_read", n, rdtsc() - t0);
	uint64_t hz = ticks * tsc_hz() / (c1 - c0);
	kprintf("info pm_timer_hz=%llu\n", (unsigned long long)hz);
	check("pm_timer.monotonic", 0, backwards);
	check("pm_timer.rate_sane", 1, rate_sane(hz, PM_TIMER_HZ, 10));
	kprintf("ok pm_timer\n");
}

static volatile unsigned hpet_ticks;
static volatile uint64_t hpet_tsc[8];

static void hpet_irq(struct trap_frame *f)
{
	(void)f;
	if (hpet_ticks < 8)
		hpet_tsc[hpet_ticks] = rdtsc();
	hpet_ticks++;
	pic_eoi(0);
}

/* Wait with interrupts on until (n) ticks arrived or (ms) passed. */
static void wait_ticks(unsigned n, unsigned ms)
{
	uint64_t t0 = rdtsc();
	sti();
	while (hpet_ticks < n && rdtsc() - t0 < tsc_ms(ms))
		__asm__ volatile("pause");
	cli();
}

static void hpet_interrupts(uint64_t period_fs)
{
	uint32_t ms = (uint32_t)(1000000000000ull / period_fs); /* ticks per millisecond */
	pit_stop(); /* firmware (SeaBIOS) may have left channel 0 running */
	pic_init();
	irq_set_handler(0, hpet_irq);
	HPET_REG(0x10) = 3; /* enable, legacy replacement: timer 0 -> IRQ 0 */
	pic_unmask(0);
	/* one-shot 1 ms ahead, 64-bit comparator: high half, then low */
	HPET_REG(0x10c) = HPET_REG(0xf4);
	HPET_REG(0x108) = HPET_REG(0xf0) + ms;
	HPET_REG(0x100) = HPET_TN_ENABLE;
	wait_ticks(1, 2000);
	check("hpet.oneshot.fired", 1, hpet_ticks);
	wait_ticks(2, 20); /* no second interrupt */
	check("hpet.oneshot.once", 1, hpet_ticks);
	/* periodic at 1 kHz, programmed as Linux does: SETVAL, the first
	 * comparator value, then the period */
	hpet_ticks = 0;
	HPET_REG(0x100) = HPET_TN_ENABLE | HPET_TN_PERIODIC | HPET_TN_SETVAL | HPET_TN_32BIT;
	HPET_REG(0x108) = HPET_REG(0xf0) + ms;
	HPET_REG(0x108) = ms;
	wait_ticks(6, 5000);
	HPET_REG(0x100) = 0;
	HPET_REG(0x10) = 0;
	pic_mask_all();
	check("hpet.periodic.ticks", 1, hpet_ticks >= 6);
	if (hpet_ticks >= 6) {
		uint64_t per = (hpet_tsc[5] - hpet_tsc[1]) / 4 * 1000000 / (tsc_hz() / 1000);
		kprintf("info hpet_periodic period_ns=%llu\n", (unsigned long long)per);
		check("hpet.periodic.period_sane", 1, per >= 100000 && per <= 100000000);
	}
}

/* A PM timer reading with the HPET counter read just before and after it;
 * a pair more than (gap) HPET ticks apart (the vCPU was paused between
 * them) is read again. The HPET value is the middle of the two. */
static void pm_hpet_sample(uint32_t gap, uint32_t *pm, uint32_t *h)
{
	uint32_t a, b;
	for (unsigned tries = 0; tries < 100; tries++) {
		a = HPET_REG(0xf0);
		*pm = inl(acpi.pm_tmr);
		b = HPET_REG(0xf0);
		if (b - a <= gap)
			break;
	}
	*h = a + (b - a) / 2;
}

/* The PM timer measured by the HPET over ~20 ms, read back to back at each
 * end, so a pause of the vCPU (a loaded host) stretches both alike: this
 * one may be strict (25%). */
static void pm_timer_by_hpet(uint64_t period_fs)
{
	uint32_t mask = acpi.tmr_32bit ? 0xffffffffu : 0xffffffu;
	uint32_t ms = (uint32_t)(1000000000000ull / period_fs);
	uint32_t p0, h0, p1, h1;
	pm_hpet_sample(ms / 4, &p0, &h0);
	do
		pm_hpet_sample(ms / 4, &p1, &h1);
	while (h1 - h0 < 20 * ms);
	uint64_t pm_hz = (uint64_t)((p1 - p0) & mask) * (1000000000000000ull / period_fs) /
			 (h1 - h0);
	kprintf("info pm_timer_hz_by_hpet=%llu\n", (unsigned long long)pm_hz);
	check("pm_timer.rate_by_hpet", 1,
	      pm_hz >= PM_TIMER_HZ * 3 / 4 && pm_hz <= PM_TIMER_HZ * 5 / 4);
}

void test_hpet(void)
{
	check("hpet.base", HPET_PA, acpi.hpet_base);
	uint32_t cap = HPET_REG(0);
	uint64_t period = HPET_REG(4);
	check("hpet.vendor", 0x8086, (cap >> 16) & 0xffff);
	check("hpet.legacy_cap", 1, (cap >> 15) & 1);
	check("hpet.three_timers", 1, ((cap >> 8) & 0x1f) >= 2);
	check("hpet.period_valid", 1, period > 0 && period <= 100000000);
	if (!period || period > 100000000)
		return;
	uint64_t want = 1000000000000000ull / period;
	HPET_REG(0x10) = 0;
	HPET_REG(0xf0) = 0;
	HPET_REG(0xf4) = 0;
	HPET_REG(0x10) = 1;
	uint32_t h0 = HPET_REG(0xf0);
	uint64_t c0 = rdtsc(), c1;
	while ((c1 = rdtsc()) - c0 < tsc_ms(20))
		;
	uint32_t h1 = HPET_REG(0xf0);
	uint64_t hz = (uint64_t)(h1 - h0) * tsc_hz() / (c1 - c0);
	kprintf("info hpet_hz=%llu (period %llu fs)\n", (unsigned long long)hz,
		(unsigned long long)period);
	check("hpet.counter_runs", 1, h1 != h0);
	uint64_t n = rt_iters(10000, 200), t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		(void)HPET_REG(0xf0);
	bench_report("hpet_read", n, rdtsc() - t0);
	check("hpet.rate_sane", 1, rate_sane(hz, want, 10));
	if (acpi.pm_tmr)
		pm_timer_by_hpet(period);
	hpet_interrupts(period);
	kprintf("ok hpet\n");
}

static uint32_t pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	outl(0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg);
	return inl(0xcfc);
}

static void pci_write(unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | fn << 8 | reg);
	outl(0xcfc, v);
}

/* Size every BAR of 00:dev.fn (decoding off meanwhile); how many. */
static unsigned pci_size_bars(unsigned dev, unsigned fn)
{
	unsigned n = 0;
	uint32_t cmd = pci_read(0, dev, fn, 0x04);
	pci_write(dev, fn, 0x04, cmd & ~3u);
	for (unsigned b = 0; b < 6; b++) {
		unsigned reg = 0x10 + 4 * b;
		uint32_t orig = pci_read(0, dev, fn, reg);
		pci_write(dev, fn, reg, 0xffffffffu);
		uint32_t mask = pci_read(0, dev, fn, reg);
		pci_write(dev, fn, reg, orig);
		check("pci.bar.restored", orig, pci_read(0, dev, fn, reg));
		if (!mask)
			continue;
		bool io = mask & 1;
		uint32_t size = ~(mask & (io ? ~3u : ~15u)) + 1;
		if (io)
			size &= 0xffff;
		check("pci.bar.size_power_of_two", 0, size & (size - 1));
		kprintf("info pci 00:%02x.%u bar%u %s size %#x\n", dev, fn, b, io ? "io" : "mem",
			size);
		n++;
		if (!io && ((mask >> 1) & 3) == 2)
			b++; /* a 64-bit BAR: the next dword is its high half */
	}
	pci_write(dev, fn, 0x04, cmd);
	return n;
}

void test_pci(void)
{
	check("pci.host_bridge_id", 0x12378086, pci_read(0, 0, 0, 0));
	check("pci.host_bridge_class", 0x0600, pci_read(0, 0, 0, 0x08) >> 16);
	check("pci.isa_bridge_id", 0x70008086, pci_read(0, 1, 0, 0));
	check("pci.isa_bridge_class", 0x0601, pci_read(0, 1, 0, 0x08) >> 16);
	check("pci.absent_slot", 0xffffffff, pci_read(0, 31, 0, 0));
	check("pci.absent_bus", 0xffffffff, pci_read(1, 0, 0, 0));
	outb(0xcfb, 1); /* Linux's type-1 probe writes here: no effect on 0xcf8 */
	outl(0xcf8, 0x80000000u);
	check("pci.addr_readback", 0x80000000u, inl(0xcf8));
	unsigned funcs = 0, bars = 0;
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			uint32_t id = pci_read(0, dev, fn, 0);
			if (id == 0xffffffffu)
				continue;
			funcs++;
			if (((pci_read(0, dev, fn, 0x0c) >> 16) & 0x7f) == 0)
				bars += pci_size_bars(dev, fn);
		}
	kprintf("info pci bus 0: %u functions, %u BARs\n", funcs, bars);
	kprintf("ok pci\n");
}

static void fw_select(uint16_t key)
{
	outw(0x510, key);
}

static uint64_t fw_read(unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)inb(0x511) << (8 * i);
	return v;
}

void test_fw_cfg(void)
{
	fw_select(0x00);
	check("fw_cfg.signature", 0x554d4551, fw_read(4)); /* "QEMU" */
	fw_select(0x05);
	check("fw_cfg.nb_cpus_is_madt", acpi.nr_lapics, fw_read(2));
	fw_select(0x03);
	uint64_t ram = fw_read(8);
	kprintf("info fw_cfg ram_size=%llu\n", (unsigned long long)ram);
	/* the Multiboot memory size ends at most 1 MiB below (firmware tables) */
	if (ram <= 0xc0000000ull)
		check("fw_cfg.ram_size_covers_mem_upper", 1,
		      rt_mem_end <= ram && ram - rt_mem_end <= (1u << 20));
	fw_select(0x1234);
	check("fw_cfg.unknown_key_reads_zero", 0, fw_read(8));
	/* the kernel as loaded (QEMU's -kernel keys): our first bytes */
	fw_select(0x07);
	uint32_t addr = (uint32_t)fw_read(4);
	fw_select(0x08);
	uint32_t size = (uint32_t)fw_read(4);
	check("fw_cfg.kernel_size", 1, size >= 64);
	fw_select(0x11);
	unsigned diff = 0;
	for (unsigned i = 0; i < 64 && size >= 64; i++)
		diff += (uint8_t)fw_read(1) != *(volatile uint8_t *)(ulong)(addr + i);
	check("fw_cfg.kernel_data_matches_memory", 0, diff);
	kprintf("ok fw_cfg\n");
}

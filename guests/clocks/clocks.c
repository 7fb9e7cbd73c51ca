/* guests/clocks/clocks.c: do the machine's clocks agree? The TSC is timed
 * against PIT channel 2 (mode 0, latched count: tsc_pit_round in the
 * runtime's rt_tsc.c), against the ACPI PM timer
 * (port 0x608, 3.579545 MHz, 24 bits: QEMU pc's PIIX4 layout) and against
 * the HPET main counter (0xfed00000, period from its capabilities), and
 * the three TSC frequencies must agree within 5%.
 *
 * The host may preempt the guest anywhere, so every clock reading is
 * bracketed by two TSC reads and only a round whose window is under 1% of
 * the interval counts (tsc_best_of, rt_tsc.c: up to 40 rounds per clock).
 * A clock with no such round fails (one that lags behind the TSC would).
 * This tests agreement, not speed: no wall-clock assertion. */
#include "rt.h"

#define PM_TMR_PORT 0x608
#define PM_TMR_HZ 3579545ull
#define PM_TMR_MASK 0xffffffu
#define HPET_PA 0xfed00000ul
#define HPET_REG(off) (*(volatile uint32_t *)(ulong)(HPET_PA + (off)))
#define AGREE_PCT 5
#define TSC_GIVE_UP 10000000000ull /* ~4 s at 2.6 GHz: a clock that stands still */

static int fails;

static inline uint32_t inl_port(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* A counter read between two TSC reads. */
struct stamp {
	uint64_t a, b;
	uint64_t v;
};

static void pm_read(struct stamp *s)
{
	s->a = rdtsc();
	s->v = inl_port(PM_TMR_PORT) & PM_TMR_MASK;
	s->b = rdtsc();
}

static void hpet_read(struct stamp *s)
{
	s->a = rdtsc();
	s->v = HPET_REG(0xf0); /* the low half: 10 ms fits in 32 bits */
	s->b = rdtsc();
}

/* About 10 ms of (read)'s counter, which wraps at (mask); (ref) 0 if it
 * has not got there after TSC_GIVE_UP ticks. */
static void counter_round(struct tsc_meas *m, void (*read)(struct stamp *), uint64_t mask,
			  uint64_t hz)
{
	struct stamp s0, s1;
	uint64_t want = hz / 100;
	read(&s0);
	do
		read(&s1);
	while (((s1.v - s0.v) & mask) < want && s1.b - s0.a < TSC_GIVE_UP);
	if (((s1.v - s0.v) & mask) < want) {
		m->ref = 0;
		return;
	}
	m->lo = s1.a - s0.b;
	m->hi = s1.b - s0.a;
	m->ref = (s1.v - s0.v) & mask;
	m->ref_hz = hz;
}

static void report(const char *name, const struct tsc_meas *m)
{
	uint64_t hz = m->ref ? tsc_meas_hz(m) : 0;
	kprintf("info clocks %s tsc_hz=%llu window_ppm=%llu\n", name, (unsigned long long)hz,
		(unsigned long long)(m->lo ? (m->hi - m->lo) * 1000000 / m->lo : 0));
}

static void pm_round_arg(struct tsc_meas *m, void *arg)
{
	(void)arg;
	counter_round(m, pm_read, PM_TMR_MASK, PM_TMR_HZ);
}

static uint64_t hpet_hz;

static void hpet_round_arg(struct tsc_meas *m, void *arg)
{
	(void)arg;
	counter_round(m, hpet_read, 0xffffffffu, hpet_hz);
}

static void fail(const char *what, uint64_t want, uint64_t got)
{
	kprintf("FAIL clocks.%s expected %llu got %llu\n", what, (unsigned long long)want,
		(unsigned long long)got);
	fails++;
}

static void agree(const char *name, uint64_t ref, uint64_t hz)
{
	uint64_t d = hz > ref ? hz - ref : ref - hz;
	if (d * 100 > ref * AGREE_PCT)
		fail(name, ref, hz);
	else
		kprintf("ok clocks.%s\n", name);
}

int guest_main(void)
{
	struct tsc_meas pit, pm, hpet;
	pg_ensure();
	pg_map(&pg_kernel, HPET_PA, HPET_PA, PG_P | PG_RW | 0x10 /* PCD */);
	uint32_t period_fs = HPET_REG(4);
	if (period_fs == 0 || period_fs > 100000000u) { /* the spec's limit: 100 ns */
		fail("hpet.period", 10000000, period_fs);
		return RT_EXIT_FAIL;
	}
	hpet_hz = 1000000000000000ull / period_fs;
	HPET_REG(0x10) |= 1; /* ENABLE_CNF: the main counter runs */

	bool ok_pit = tsc_best_of(&pit, tsc_pit_round, 0);
	bool ok_pm = tsc_best_of(&pm, pm_round_arg, 0);
	bool ok_hpet = tsc_best_of(&hpet, hpet_round_arg, 0);
	report("pit", &pit);
	report("pm_timer", &pm);
	report("hpet", &hpet);
	if (!ok_pit || !ok_pm || !ok_hpet) {
		fail("narrow_round", 1, (uint64_t)ok_pit << 2 | ok_pm << 1 | ok_hpet);
		return RT_EXIT_FAIL;
	}
	uint64_t ref = tsc_meas_hz(&pit);
	agree("pm_timer_vs_pit", ref, tsc_meas_hz(&pm));
	agree("hpet_vs_pit", ref, tsc_meas_hz(&hpet));
	return fails ? RT_EXIT_FAIL : 0;
}

/* guests/lib/rt_tsc.c: the TSC frequency, for turning cycles into ns.
 * CPUID 0x15 (TSC/crystal ratio times the crystal frequency) or 0x16 (base
 * MHz) when the CPU reports them (SDM 2A CPUID, 19.7.3 of SDM 3B), else a
 * calibration against PIT channel 2 in mode 0 (gate on with port 0x61 bit
 * 0, count 65535): TSC ticks over ~10 ms of its count.
 *
 * A virtual CPU is a host thread: a loaded host preempts it for tens of ms
 * anywhere, and a preemption across OUT2's edge once made this calibration
 * read 2-3x the TSC's rate. So the count is read (latched) ~10 ms apart,
 * every reading bracketed by RDTSCs, OUT2 (terminal count after 65535
 * clocks) telling a wrap, and only a round whose uncertainty is under 1%
 * counts (as Linux's
 * pit_hpet_ptimer_calibrate_cpu retries reads that took too long). */
#include "rt.h"

#define CAL_COUNT 11932u /* PIT ticks: 10 ms at 1.193182 MHz */
#define CAL_ROUNDS 40
#define CAL_GIVE_UP 10000000000ull /* TSC ticks: ~4 s at 2.6 GHz */

static uint64_t cpuid_hz(const char **src)
{
	uint32_t r[4];
	uint32_t max;

	cpuid(0, 0, r);
	max = r[0];
	if (max >= 0x15) {
		cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2]) {
			*src = "cpuid15";
			return (uint64_t)r[2] * r[1] / r[0];
		}
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, r);
		if (r[0]) {
			*src = "cpuid16";
			return (uint64_t)r[0] * 1000000;
		}
	}
	return 0;
}

/* Channel 2's count, latched, between two RDTSCs; (out) is OUT2 after. */
static uint16_t pit2_read(uint64_t *a, uint64_t *b, bool *out)
{
	*a = rdtsc();
	outb(0x43, 0x80); /* counter latch, channel 2: the sampling instant */
	uint16_t c = inb(0x42);
	c |= (uint16_t)(inb(0x42) << 8);
	*out = inb(0x61) & 0x20;
	*b = rdtsc();
	return c;
}

void tsc_pit_round(struct tsc_meas *m, void *unused)
{
	(void)unused;
	uint8_t v = inb(0x61);
	outb(0x61, (uint8_t)((v & ~0x02) | 0x01)); /* gate 2 on, speaker off */
	outb(0x43, 0xb0);			    /* channel 2, lo/hi, mode 0 */
	outb(0x42, 0xff);
	outb(0x42, 0xff); /* counts down from 65535: OUT2 rises ~55 ms later */
	uint64_t a0, b0, a1, b1;
	bool out;
	uint16_t c0 = pit2_read(&a0, &b0, &out), c1;
	m->ref = 0;
	do {
		c1 = pit2_read(&a1, &b1, &out);
		if (out || c1 > c0 || a1 - a0 > CAL_GIVE_UP)
			goto done; /* wrapped (preempted ~50 ms) or no PIT: no result */
	} while ((uint16_t)(c0 - c1) < CAL_COUNT);
	m->lo = a1 - b0;
	m->hi = b1 - a0;
	m->ref = (uint16_t)(c0 - c1);
	m->ref_hz = PIT_HZ;
done:
	outb(0x61, v);
}

uint64_t tsc_meas_hz(const struct tsc_meas *m)
{
	return (m->lo + m->hi) / 2 * m->ref_hz / m->ref;
}

bool tsc_meas_narrow(const struct tsc_meas *m)
{
	return m->ref && m->hi > m->lo && (m->hi - m->lo) * 100 < m->lo;
}

bool tsc_best_of(struct tsc_meas *best, void (*round)(struct tsc_meas *, void *), void *arg)
{
	best->ref = 0;
	for (unsigned i = 0; i < CAL_ROUNDS && !tsc_meas_narrow(best); i++) {
		struct tsc_meas m;
		round(&m, arg);
		if (m.ref && (!best->ref || m.hi - m.lo < best->hi - best->lo))
			*best = m;
	}
	return tsc_meas_narrow(best);
}

static uint64_t pit_hz(const char **src)
{
	struct tsc_meas m;
	if (!tsc_best_of(&m, tsc_pit_round, 0))
		*src = "pit-unsure"; /* every round was preempted: the best guess */
	return m.ref ? tsc_meas_hz(&m) : 0;
}

uint64_t tsc_hz(void)
{
	static uint64_t hz;
	const char *src = "pit";

	if (hz)
		return hz;
	hz = cpuid_hz(&src);
	if (!hz)
		hz = pit_hz(&src);
	if (!hz)
		hz = 1000000000; /* a broken PIT: report cycles as ns */
	kprintf("info tsc_hz=%llu source=%s\n", (unsigned long long)hz, src);
	return hz;
}

/* guests/lib/rt_tsc.c: the TSC frequency, for turning cycles into ns.
 * CPUID 0x15 (TSC/crystal ratio times the crystal frequency) or 0x16 (base
 * MHz) when the CPU reports them (SDM 2A CPUID, 19.7.3 of SDM 3B), else a
 * calibration against PIT channel 2 in mode 0: gate it on with port 0x61
 * bit 0 and count TSC ticks until its output (port 0x61 bit 5) goes high,
 * ~10 ms later. */
#include "rt.h"

#define CAL_COUNT 11932u /* PIT ticks: 10 ms at 1.193182 MHz */

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

static uint64_t pit_hz(void)
{
	uint64_t t0, t1;
	uint8_t v = inb(0x61);

	outb(0x61, (uint8_t)((v & ~0x02) | 0x01)); /* gate 2 on, speaker off */
	outb(0x43, 0xb0);			    /* channel 2, lo/hi, mode 0 */
	outb(0x42, CAL_COUNT & 0xff);
	outb(0x42, CAL_COUNT >> 8);
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	t1 = rdtsc();
	outb(0x61, v);
	return (t1 - t0) * PIT_HZ / CAL_COUNT;
}

uint64_t tsc_hz(void)
{
	static uint64_t hz;
	const char *src = "pit";

	if (hz)
		return hz;
	hz = cpuid_hz(&src);
	if (!hz)
		hz = pit_hz();
	if (!hz)
		hz = 1000000000; /* a broken PIT: report cycles as ns */
	kprintf("info tsc_hz=%llu source=%s\n", (unsigned long long)hz, src);
	return hz;
}

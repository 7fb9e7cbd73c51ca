/* guests/work/work_timer.c: PIT interrupts at 1 kHz for a fixed number of
 * ticks while the CPU halts (sti; hlt), measuring interrupt latency: the
 * IRQ 0 handler first reads the PIT's current count; in mode 2 the counter
 * reloads at the edge that raises IRQ 0, so reload - count is the time
 * since the interrupt was raised (8254 datasheet, mode 2). The bench line
 * reports that latency per tick; the tick period goes to an info line. */
#include "work.h"

static volatile uint64_t ticks, lat_sum, lat_max, tsc_first, tsc_last;

static void timer_irq(struct trap_frame *f)
{
	uint16_t count = pit_read_count();
	uint32_t lat = count <= pit_reload ? (uint32_t)(pit_reload - count) : 0;

	if (ticks == 0)
		tsc_first = rdtsc();
	tsc_last = rdtsc();
	ticks++;
	lat_sum += lat;
	if (lat > lat_max)
		lat_max = lat;
	pic_eoi(0);
}

static int timer_run(uint64_t iters)
{
	uint64_t hz = tsc_hz();
	uint64_t period_ns, max_ns;
	int rc = 0;

	timer_start(1000);
	irq_set_handler(0, timer_irq);
	while (ticks < iters + 1)
		sti_hlt();
	cli();
	timer_stop();
	/* The first tick only starts the clock: iters periods follow it. */
	period_ns = (tsc_last - tsc_first) * 1000000 / (hz / 1000) / iters;
	max_ns = lat_max * 1000000000ull / PIT_HZ;
	kprintf("info timer period_ns=%llu max_latency_ns=%llu\n", (unsigned long long)period_ns,
		(unsigned long long)max_ns);
	/* Only absurd periods fail: engines may stretch time under load. */
	if (period_ns < 100000 || period_ns > 1000000000)
		rc = work_fail("timer.period_ns", 1000000, period_ns);
	bench_report("timer", iters, lat_sum * hz / PIT_HZ);
	return rc;
}

const struct work work_timer = {
	.name = "timer",
	.full_iters = 1000,
	.quick_iters = 20,
	.demo_iters = 50,
	.run = timer_run,
};

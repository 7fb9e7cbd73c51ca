/* guests/lib/rt_pit.c: the 8254 PIT channel 0 as the periodic timer
 * (mode 2, rate generator), and reading its current count for latency
 * measurements (counter latch command). 8254 datasheet. */
#include "rt.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43

uint16_t pit_reload;

void pit_start(uint32_t hz)
{
	uint32_t div = (PIT_HZ + hz / 2) / hz;

	pit_reload = (uint16_t)div;
#ifdef RT_PV
	if (rt_vmi) {
		vmi_call1(PV_CALL_TIMER_SET, hz); /* the same divisor */
		return;
	}
#endif
	outb(PIT_CMD, 0x34); /* channel 0, lo/hi byte, mode 2, binary */
	outb(PIT_CH0, (uint8_t)div);
	outb(PIT_CH0, (uint8_t)(div >> 8));
}

void pit_stop(void)
{
	/* Mode 0 with a count written stops after one terminal count; with no
	 * count written the counter never fires again. */
#ifdef RT_PV
	if (rt_vmi) {
		vmi_call1(PV_CALL_TIMER_SET, 0);
		return;
	}
#endif
	outb(PIT_CMD, 0x30);
}

uint16_t pit_read_count(void)
{
	uint8_t lo, hi;

#ifdef RT_PV
	if (rt_vmi)
		return (uint16_t)vmi_call0(PV_CALL_TIMER_READ);
#endif
	outb(PIT_CMD, 0x00); /* latch channel 0 */
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (uint16_t)(lo | (hi << 8));
}

/* guests/lib/rt_timer.c: a periodic tick on IRQ 0 (PIT channel 0 through
 * the PIC), counting timer_ticks and calling an optional hook (the latency
 * probe of the timer workload, preemption in mixed). */
#include "rt.h"

volatile uint64_t timer_ticks;
trap_fn timer_hook;

static void timer_irq(struct trap_frame *f)
{
	timer_ticks++;
	/* EOI first: the hook may switch tasks and return much later. */
	pic_eoi(0);
	if (timer_hook)
		timer_hook(f);
}

void timer_start(uint32_t hz)
{
	static bool pic_done;

	if (!pic_done) {
		pic_init();
		pic_done = true;
	}
	irq_set_handler(0, timer_irq);
	pit_start(hz);
	pic_unmask(0);
}

void timer_stop(void)
{
	pit_stop();
}

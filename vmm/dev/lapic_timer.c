/* lapic_timer.c: the local APIC timer (SDM 3A 10.5.4): one-shot and
 * periodic modes counting down from the initial count at 1 GHz divided by
 * the divide configuration register, and TSC-deadline mode (10.5.4.1) armed
 * through IA32_TSC_DEADLINE. Time is the VM's clock (vm->now_ns, faked by
 * tests); expiries run as VM timers on the main loop. */
#include <x86intrin.h>

#include "vmm/dev/apic_internal.h"

static unsigned timer_mode(const struct lapic *l)
{
	return APIC_LVT_TIMER_MODE(l->lvt[LVT_TIMER]);
}

static uint64_t timer_period(const struct lapic *l)
{
	return (uint64_t)l->timer_initial << l->timer_shift;
}

static void lapic_timer_fire(void *opaque, uint64_t now)
{
	struct lapic *l = opaque;
	pthread_mutex_lock(&l->lock);
	if (!l->timer_running) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	if (now < l->timer_next) { /* re-armed since this expiry was queued */
		timer_mod(&l->timer, l->timer_next);
		pthread_mutex_unlock(&l->lock);
		return;
	}
	switch (timer_mode(l)) {
	case APIC_TIMER_PERIODIC: {
		uint64_t p = VMM_MAX(timer_period(l), APIC_TIMER_MIN_PERIOD_NS);
		l->timer_next += p;
		if (l->timer_next <= now) /* the host was late: skip, do not burst */
			l->timer_next = now + p;
		timer_mod(&l->timer, l->timer_next);
		break;
	}
	case APIC_TIMER_TSC_DEADLINE:
		l->tsc_deadline = 0; /* SDM 3A 10.5.4.1: the MSR reads 0 after it fires */
		l->timer_running = false;
		break;
	default:
		l->timer_running = false;
		break;
	}
	lapic_local_irq(l, LVT_TIMER);
	pthread_mutex_unlock(&l->lock);
}

void lapic_timer_init(struct lapic *l)
{
	timer_init(&l->timer, &l->bus->vm->timers, lapic_timer_fire, l);
}

void lapic_timer_fini(struct lapic *l)
{
	timer_del(&l->timer);
}

void lapic_timer_stop(struct lapic *l)
{
	l->timer_running = false;
	timer_del(&l->timer);
}

static void timer_start(struct lapic *l, uint64_t start, uint64_t next)
{
	l->timer_start = start;
	l->timer_next = next;
	l->timer_running = true;
	timer_mod(&l->timer, next);
}

void lapic_timer_set_initial(struct lapic *l, uint32_t count, uint64_t now)
{
	if (timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
		return; /* ignored in TSC-deadline mode */
	l->timer_initial = count;
	if (!count) {
		lapic_timer_stop(l);
		return;
	}
	uint64_t p = timer_period(l);
	if (timer_mode(l) == APIC_TIMER_PERIODIC)
		p = VMM_MAX(p, APIC_TIMER_MIN_PERIOD_NS);
	timer_start(l, now, now + p);
}

uint32_t lapic_timer_current(struct lapic *l, uint64_t now)
{
	if (timer_mode(l) == APIC_TIMER_TSC_DEADLINE || !l->timer_initial ||
	    (!l->timer_running && timer_mode(l) != APIC_TIMER_ONESHOT))
		return 0;
	if (now < l->timer_start)
		return l->timer_initial;
	uint64_t elapsed = (now - l->timer_start) >> l->timer_shift;
	if (timer_mode(l) == APIC_TIMER_PERIODIC)
		return l->timer_initial - (uint32_t)(elapsed % l->timer_initial);
	return elapsed >= l->timer_initial ? 0 : l->timer_initial - (uint32_t)elapsed;
}

/* SDM 3A figure 10-10: bits 0, 1 and 3; 0b111 divides by 1. A running
 * count keeps its value and continues at the new rate (as KVM does). */
void lapic_timer_set_dcr(struct lapic *l, uint32_t v, uint64_t now)
{
	uint32_t cur = lapic_timer_current(l, now);
	l->timer_dcr = v;
	l->timer_shift = (((v & 3) | ((v & 8) >> 1)) + 1) & 7;
	if (!l->timer_running || timer_mode(l) == APIC_TIMER_TSC_DEADLINE || !cur)
		return;
	uint64_t done = (uint64_t)(l->timer_initial - cur) << l->timer_shift;
	timer_start(l, now - VMM_MIN(done, now), now + ((uint64_t)cur << l->timer_shift));
}

/* Switching into or out of TSC-deadline mode disarms the timer (SDM 3A
 * 10.5.4.1; KVM also clears the initial count). */
void lapic_timer_set_lvt(struct lapic *l, uint32_t e, uint64_t now)
{
	(void)now;
	bool was_tsc = timer_mode(l) == APIC_TIMER_TSC_DEADLINE;
	bool is_tsc = APIC_LVT_TIMER_MODE(e) == APIC_TIMER_TSC_DEADLINE;
	l->lvt[LVT_TIMER] = e;
	if (was_tsc != is_tsc) {
		lapic_timer_stop(l);
		l->timer_initial = 0;
		l->tsc_deadline = 0;
	}
}

void lapic_timer_set_deadline(struct lapic *l, uint64_t deadline, uint64_t tsc, uint64_t now)
{
	l->tsc_deadline = deadline;
	if (!deadline) {
		lapic_timer_stop(l);
		return;
	}
	if (deadline <= tsc) { /* already passed: fires at once */
		lapic_timer_stop(l);
		l->tsc_deadline = 0;
		lapic_local_irq(l, LVT_TIMER);
		return;
	}
	uint64_t hz = apic_bus_tsc_hz(l->bus);
	unsigned __int128 ns = (unsigned __int128)(deadline - tsc) * 1000000000u / hz;
	uint64_t delta = ns > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)ns;
	timer_start(l, now, now + delta);
}

/* The host TSC rate, against the host monotonic clock over 10 ms (once). */
uint64_t apic_bus_tsc_hz(struct apic_bus *b)
{
	pthread_mutex_lock(&b->tsc_lock);
	if (!b->tsc_hz) {
		uint64_t t0 = vmm_now_ns(), c0 = __rdtsc(), t1, c1;
		do {
			t1 = vmm_now_ns();
			c1 = __rdtsc();
		} while (t1 - t0 < 10000000ull);
		b->tsc_hz = (uint64_t)((unsigned __int128)(c1 - c0) * 1000000000u / (t1 - t0));
		vmm_debug(irq, "apic: host TSC %llu Hz", (unsigned long long)b->tsc_hz);
	}
	uint64_t hz = b->tsc_hz;
	pthread_mutex_unlock(&b->tsc_lock);
	return hz;
}

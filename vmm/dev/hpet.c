/* hpet.c: the High Precision Event Timer at HPET_ADDR (IA-PC HPET
 * specification 1.0a, chapter 2), as QEMU's hw/timer/hpet.c models it:
 * a 64-bit main counter at 100 MHz (period 10 ns) on the VM clock
 * (vm->now_ns), HPET_TIMERS comparators, each one-shot or periodic, edge or
 * level triggered, 64- or 32-bit, and legacy replacement routing (timer 0
 * on IRQ 0, timer 1 on IRQ 8). Without it a timer's interrupt goes to the
 * IOAPIC input its INT_ROUTE_CNF names, one of 20-23 (INT_ROUTE_CAP), so
 * no ISA line is shared. No FSB (MSI) delivery.
 *
 * Nothing ticks: the counter is derived from the time it was started, and
 * an enabled timer arms a VM timer at its comparator's match (at once if
 * the comparator is already behind the counter, as QEMU, so a guest that
 * programs a deadline a little late still gets its interrupt). A periodic
 * timer then adds its period to the comparator until it is ahead again
 * (missed periods coalesce). Simplification: a 32-bit one-shot timer fires
 * once, not again when the counter wraps. In legacy replacement mode the
 * PIT and RTC keep driving IRQ 0 and 8 (a guest that uses it stops them). */
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/dev_internal.h"

#define HPET_PERIOD_FS 10000000ull /* 10 ns */
#define HPET_NS_PER_TICK 10
#define HPET_CFG_ENABLE 0x1ull
#define HPET_CFG_LEGACY 0x2ull
#define HPET_TN_LEVEL (1ull << 1)
#define HPET_TN_ENABLE (1ull << 2)
#define HPET_TN_PERIODIC (1ull << 3)
#define HPET_TN_PERIODIC_CAP (1ull << 4)
#define HPET_TN_SIZE_CAP (1ull << 5)
#define HPET_TN_SETVAL (1ull << 6)
#define HPET_TN_32BIT (1ull << 8)
#define HPET_TN_ROUTE_SHIFT 9
#define HPET_TN_WMASK 0x3f4eull /* level, enable, periodic, setval, 32-bit, route */
#define HPET_ROUTE_CAP 0x00f00000ull /* IOAPIC inputs 20-23 */

struct hpet;

struct hpet_timer {
	struct hpet *h;
	unsigned idx;
	uint64_t config;     /* the writable bits */
	uint64_t cmp;
	uint64_t period;
	int line;            /* the level it drives (level-triggered mode) */
	struct vm_timer timer;
};

struct hpet {
	struct vm *vm;
	pthread_mutex_t lock;
	uint64_t config;
	uint64_t isr;
	uint64_t count;      /* counter at start_ns (or while halted) */
	uint64_t start_ns;
	struct hpet_timer t[HPET_TIMERS];
};

static bool hpet_on(const struct hpet *h)
{
	return h->config & HPET_CFG_ENABLE;
}

static uint64_t hpet_counter(const struct hpet *h, uint64_t now)
{
	return hpet_on(h) ? h->count + (now - h->start_ns) / HPET_NS_PER_TICK : h->count;
}

/* The IRQ or GSI timer (t) drives (vm_set_irq numbering). */
static unsigned hpet_route(const struct hpet_timer *t)
{
	if ((t->h->config & HPET_CFG_LEGACY) && t->idx < 2)
		return t->idx == 0 ? 0 : 8;
	return (unsigned)(t->config >> HPET_TN_ROUTE_SHIFT) & 0x1f;
}

static void hpet_set_line(struct hpet_timer *t, int level)
{
	if (level != t->line) {
		t->line = level;
		vm_set_irq(t->h->vm, hpet_route(t), level);
	}
}

/* The comparator matched: interrupt status, the interrupt, the next
 * period. Lock held. */
static void hpet_fire(struct hpet_timer *t, uint64_t counter)
{
	struct hpet *h = t->h;
	if (t->config & HPET_TN_LEVEL) {
		h->isr |= 1ull << t->idx;
		if (t->config & HPET_TN_ENABLE)
			hpet_set_line(t, 1);
	} else if (t->config & HPET_TN_ENABLE) {
		vm_set_irq(h->vm, hpet_route(t), 1);
		vm_set_irq(h->vm, hpet_route(t), 0);
	}
	if (!(t->config & HPET_TN_PERIODIC) || !t->period)
		return;
	uint64_t mask = (t->config & HPET_TN_32BIT) ? 0xffffffffull : ~0ull;
	uint64_t behind = (counter - t->cmp) & mask; /* ticks since the match */
	t->cmp = (t->cmp + (behind / t->period + 1) * t->period) & mask;
}

/* Arm (t)'s VM timer for its next match, or disarm it. Lock held. */
static void hpet_arm(struct hpet_timer *t, uint64_t now)
{
	struct hpet *h = t->h;
	if (!hpet_on(h) || !(t->config & HPET_TN_ENABLE)) {
		timer_del(&t->timer);
		return;
	}
	uint64_t c = hpet_counter(h, now), diff;
	if (t->config & HPET_TN_32BIT) {
		uint32_t d = (uint32_t)t->cmp - (uint32_t)c;
		diff = (int32_t)d > 0 ? d : 0;
	} else {
		diff = t->cmp > c ? t->cmp - c : 0;
	}
	/* the counter reaches c + diff at this VM time */
	uint64_t at = h->start_ns + (c + diff - h->count) * HPET_NS_PER_TICK;
	timer_mod(&t->timer, VMM_MAX(at, now));
}

static void hpet_timer_fn(void *opaque, uint64_t unused)
{
	(void)unused;
	struct hpet_timer *t = opaque;
	struct hpet *h = t->h;
	pthread_mutex_lock(&h->lock);
	uint64_t now = h->vm->now_ns();
	if (hpet_on(h) && (t->config & HPET_TN_ENABLE)) {
		hpet_fire(t, hpet_counter(h, now));
		if ((t->config & HPET_TN_PERIODIC) && t->period)
			hpet_arm(t, now);
	}
	pthread_mutex_unlock(&h->lock);
}

static uint64_t hpet_read(struct hpet *h, unsigned reg, uint64_t now)
{
	if (reg == 0x000)
		return HPET_ID_LOW | HPET_PERIOD_FS << 32;
	if (reg == 0x010)
		return h->config;
	if (reg == 0x020)
		return h->isr;
	if (reg == 0x0f0)
		return hpet_counter(h, now);
	unsigned i = (reg - 0x100) / 0x20;
	if (reg < 0x100 || i >= HPET_TIMERS)
		return 0;
	const struct hpet_timer *t = &h->t[i];
	switch (reg & 0x1f) {
	case 0x00:
		return t->config | HPET_TN_PERIODIC_CAP | HPET_TN_SIZE_CAP | HPET_ROUTE_CAP << 32;
	case 0x08:
		return (t->config & HPET_TN_32BIT) ? (uint32_t)t->cmp : t->cmp;
	default:
		return 0; /* FSB route: no FSB delivery */
	}
}

static void hpet_write_config(struct hpet *h, uint64_t v, uint64_t now)
{
	uint64_t old = h->config;
	if ((v ^ old) & HPET_CFG_LEGACY)
		for (unsigned i = 0; i < 2; i++)
			hpet_set_line(&h->t[i], 0); /* the route changes */
	if ((v & HPET_CFG_ENABLE) && !(old & HPET_CFG_ENABLE))
		h->start_ns = now;
	else if (!(v & HPET_CFG_ENABLE) && (old & HPET_CFG_ENABLE))
		h->count = hpet_counter(h, now);
	h->config = v & (HPET_CFG_ENABLE | HPET_CFG_LEGACY);
}

/* Comparator write, QEMU's rules: a one-shot timer, or a periodic one
 * with VAL_SET, takes the value as its comparator; a periodic timer also
 * takes it as its period. (keep) masks the bits the access did not write. */
static void hpet_write_cmp(struct hpet_timer *t, uint64_t v, uint64_t keep)
{
	if (t->config & HPET_TN_32BIT)
		v = (uint32_t)v;
	if (!(t->config & HPET_TN_PERIODIC) || (t->config & HPET_TN_SETVAL))
		t->cmp = (t->cmp & keep) | (v & ~keep);
	if (t->config & HPET_TN_PERIODIC)
		t->period = (t->period & keep) | (v & ~keep);
	t->config &= ~HPET_TN_SETVAL;
}

static void hpet_write(struct hpet *h, unsigned reg, uint64_t v, uint64_t keep, uint64_t now)
{
	uint64_t cur = hpet_read(h, reg, now);
	uint64_t nv = (cur & keep) | (v & ~keep);
	if (reg == 0x010) {
		hpet_write_config(h, nv, now);
	} else if (reg == 0x020) {
		h->isr &= ~(v & ~keep);
		for (unsigned i = 0; i < HPET_TIMERS; i++)
			if (!(h->isr & (1ull << i)))
				hpet_set_line(&h->t[i], 0);
	} else if (reg == 0x0f0) {
		h->count = nv; /* software writes it while halted (2.3.4) */
		h->start_ns = now;
	} else if (reg >= 0x100 && (reg - 0x100) / 0x20 < HPET_TIMERS) {
		struct hpet_timer *t = &h->t[(reg - 0x100) / 0x20];
		if ((reg & 0x1f) == 0x00) {
			hpet_set_line(t, 0);
			t->config = nv & HPET_TN_WMASK;
			if (t->config & HPET_TN_32BIT) {
				t->cmp = (uint32_t)t->cmp;
				t->period = (uint32_t)t->period;
			}
			if ((t->config & HPET_TN_LEVEL) && (t->config & HPET_TN_ENABLE) &&
			    (h->isr & (1ull << t->idx)))
				hpet_set_line(t, 1);
		} else if ((reg & 0x1f) == 0x08) {
			hpet_write_cmp(t, v, keep);
		}
	}
	for (unsigned i = 0; i < HPET_TIMERS; i++)
		hpet_arm(&h->t[i], now);
}

static int hpet_mmio(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct hpet *h = dev;
	unsigned sh = 8 * (unsigned)(off & 7);
	if (size > 8 || (off & 7) + size > 8) {
		if (!is_write)
			memset(data, 0xff, size);
		return 0;
	}
	uint64_t mask = (size == 8 ? ~0ull : ((1ull << (8 * size)) - 1)) << sh;
	pthread_mutex_lock(&h->lock);
	uint64_t now = h->vm->now_ns();
	unsigned reg = (unsigned)off & ~7u;
	if (is_write) {
		uint64_t v = 0;
		memcpy(&v, data, size);
		hpet_write(h, reg, v << sh, ~mask, now);
	} else {
		uint64_t v = (hpet_read(h, reg, now) & mask) >> sh;
		memcpy(data, &v, size);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

struct hpet *hpet_create(struct vm *vm)
{
	struct hpet *h = calloc(1, sizeof(*h));
	if (!h) {
		vmm_err("hpet: out of memory");
		return NULL;
	}
	h->vm = vm;
	pthread_mutex_init(&h->lock, NULL);
	for (unsigned i = 0; i < HPET_TIMERS; i++) {
		struct hpet_timer *t = &h->t[i];
		t->h = h;
		t->idx = i;
		t->cmp = ~0ull; /* 2.3.9.2: comparators reset to all-ones */
		t->config = 20ull << HPET_TN_ROUTE_SHIFT;
		timer_init(&t->timer, &vm->timers, hpet_timer_fn, t);
	}
	if (io_register(&vm->mmio, HPET_ADDR, HPET_SIZE, "hpet", hpet_mmio, h)) {
		hpet_destroy(h);
		return NULL;
	}
	return h;
}

void hpet_destroy(struct hpet *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < HPET_TIMERS; i++)
		timer_del(&h->t[i].timer);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* rtc.c: the Motorola MC146818A real-time clock and 128 bytes of CMOS RAM
 * (index port 0x70, data port 0x71), as on the PC/AT (MC146818A datasheet;
 * QEMU's hw/rtc/mc146818rtc.c and hw/i386/pc.c pc_cmos_init for the PC's
 * CMOS layout).
 *
 * The clock reads the host's wall clock (CLOCK_REALTIME, UTC) once, at
 * creation; after that guest time is vm->now_ns() plus an offset, so it runs
 * on the VM's clock and a guest that sets the time just moves the offset.
 * Time registers are computed when read. Status C's flags are brought up to
 * date lazily (on reads and from timers): UF when a second boundary passed,
 * PF when a periodic tick passed, AF when the current second matches the
 * alarm. VM timers run only while PIE, or UIE/AIE, are enabled, and then
 * raise IRQF and the IRQ line (held high until C is read).
 *
 * Simplifications: the divider bits of status A are stored but the clock
 * always runs; an alarm is checked against the current second only (a main
 * loop late by more than a second can miss one); daylight saving is not
 * applied. */
#include <stdlib.h>
#include <time.h>

#include "vmm/dev/dev_internal.h"

#define NS_PER_S 1000000000ull
#define RTC_HZ 32768ull         /* the time base crystal */
#define RTC_UIP_NS 244141ull    /* UIP is set this long before each update */

#define RTC_SEC 0x00
#define RTC_SEC_ALARM 0x01
#define RTC_MIN 0x02
#define RTC_MIN_ALARM 0x03
#define RTC_HOUR 0x04
#define RTC_HOUR_ALARM 0x05
#define RTC_DOW 0x06
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_A 0x0a
#define RTC_B 0x0b
#define RTC_C 0x0c
#define RTC_D 0x0d
#define RTC_CENTURY 0x32

#define RTC_A_UIP 0x80
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_DM 0x04   /* binary instead of BCD */
#define RTC_B_24H 0x02
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
#define RTC_D_VRT 0x80  /* valid RAM and time: the battery is fine */

struct rtc {
	struct vm *vm;
	unsigned irq;
	pthread_mutex_t lock;
	uint8_t cmos[128];
	uint8_t index;
	bool nmi_disabled;       /* port 0x70 bit 7: remembered, no NMI exists */
	uint64_t offset;         /* guest wall-clock ns = vm->now_ns() + offset */
	unsigned dow_adjust;     /* guest's day-of-week register minus the real one */
	uint64_t last_sec;       /* guest second of the last update seen */
	uint64_t last_tick;      /* periodic tick index last seen */
	bool irq_level;
	struct vm_timer periodic, update;
};

static uint8_t rtc_enc(const struct rtc *r, unsigned v)
{
	return (r->cmos[RTC_B] & RTC_B_DM) ? (uint8_t)v : dev_to_bcd(v);
}

static unsigned rtc_dec(const struct rtc *r, uint8_t v)
{
	return (r->cmos[RTC_B] & RTC_B_DM) ? v : dev_from_bcd(v);
}

/* Hours: 12-hour mode is 1-12 with bit 7 set for PM. */
static uint8_t rtc_enc_hour(const struct rtc *r, unsigned h)
{
	if (r->cmos[RTC_B] & RTC_B_24H)
		return rtc_enc(r, h);
	unsigned h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(rtc_enc(r, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned rtc_dec_hour(const struct rtc *r, uint8_t v)
{
	if (r->cmos[RTC_B] & RTC_B_24H)
		return rtc_dec(r, v) % 24;
	return rtc_dec(r, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

static uint64_t rtc_guest_ns(const struct rtc *r, uint64_t now)
{
	return now + r->offset; /* modular: the offset may be "negative" */
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Write the time registers (and century) for guest second (secs). */
static void rtc_store_time(struct rtc *r, uint64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	unsigned year = (unsigned)tm.tm_year + 1900;
	r->cmos[RTC_SEC] = rtc_enc(r, (unsigned)tm.tm_sec);
	r->cmos[RTC_MIN] = rtc_enc(r, (unsigned)tm.tm_min);
	r->cmos[RTC_HOUR] = rtc_enc_hour(r, (unsigned)tm.tm_hour);
	r->cmos[RTC_DOW] = rtc_enc(r, ((unsigned)tm.tm_wday + r->dow_adjust) % 7 + 1);
	r->cmos[RTC_DAY] = rtc_enc(r, (unsigned)tm.tm_mday);
	r->cmos[RTC_MONTH] = rtc_enc(r, (unsigned)tm.tm_mon + 1);
	r->cmos[RTC_YEAR] = rtc_enc(r, year % 100);
	r->cmos[RTC_CENTURY] = rtc_enc(r, year / 100);
}

/* The guest second the time registers describe (the guest wrote them). */
static uint64_t rtc_load_time(struct rtc *r)
{
	unsigned cent = rtc_dec(r, r->cmos[RTC_CENTURY]);
	unsigned year = rtc_dec(r, r->cmos[RTC_YEAR]) % 100;
	unsigned mon = rtc_dec(r, r->cmos[RTC_MONTH]), day = rtc_dec(r, r->cmos[RTC_DAY]);
	if (cent < 19 || cent > 99)
		cent = year < 70 ? 20 : 19;
	mon = mon < 1 ? 1 : mon > 12 ? 12 : mon;
	day = day < 1 ? 1 : day > 31 ? 31 : day;
	int64_t days = rtc_days_from_civil(cent * 100 + year, mon, day);
	int64_t s = days * 86400 + rtc_dec_hour(r, r->cmos[RTC_HOUR]) * 3600 +
		    rtc_dec(r, r->cmos[RTC_MIN]) % 60 * 60 + rtc_dec(r, r->cmos[RTC_SEC]) % 60;
	if (s < 0)
		s = 0; /* before 1970: not representable here */
	unsigned dow = rtc_dec(r, r->cmos[RTC_DOW]);
	unsigned real = (unsigned)((days % 7 + 7 + 4) % 7); /* 1970-01-01: Thursday */
	r->dow_adjust = dow >= 1 && dow <= 7 ? (dow - 1 + 7 - real) % 7 : 0;
	return (uint64_t)s;
}

/* Periodic rate (status A RS3-0) in 32.768 kHz ticks, as a shift; -1: off. */
static int rtc_period_shift(const struct rtc *r)
{
	unsigned rs = r->cmos[RTC_A] & 0x0f;
	if (!rs)
		return -1;
	if (rs <= 2)
		rs += 7; /* datasheet table 5: 1 and 2 repeat 8 and 9 */
	return (int)rs - 1;
}

static uint64_t rtc_tick_index(const struct rtc *r, uint64_t g)
{
	int shift = rtc_period_shift(r);
	uint64_t ticks = g / NS_PER_S * RTC_HZ + g % NS_PER_S * RTC_HZ / NS_PER_S;
	return shift < 0 ? 0 : ticks >> shift;
}

static void rtc_update_irq(struct rtc *r)
{
	/* IRQF = PF.PIE + AF.AIE + UF.UIE (datasheet, register C) */
	uint8_t *c = &r->cmos[RTC_C];
	if (*c & r->cmos[RTC_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF))
		*c |= RTC_C_IRQF;
	else
		*c &= ~RTC_C_IRQF;
	bool level = *c & RTC_C_IRQF;
	if (level != r->irq_level) {
		r->irq_level = level;
		vm_set_irq(r->vm, r->irq, level);
	}
}

static bool rtc_alarm_matches(struct rtc *r, uint64_t secs)
{
	static const uint8_t regs[3] = { RTC_SEC, RTC_MIN, RTC_HOUR };
	rtc_store_time(r, secs);
	for (unsigned i = 0; i < 3; i++) {
		uint8_t alarm = r->cmos[regs[i] + 1];
		if ((alarm & 0xc0) != 0xc0 && alarm != r->cmos[regs[i]])
			return false; /* 0xc0-0xff is "don't care" */
	}
	return true;
}

/* Set the flags for what happened since the last look, then IRQF. */
static void rtc_catch_up(struct rtc *r, uint64_t now)
{
	uint64_t g = rtc_guest_ns(r, now);
	if (!(r->cmos[RTC_B] & RTC_B_SET) && g / NS_PER_S != r->last_sec) {
		r->last_sec = g / NS_PER_S;
		r->cmos[RTC_C] |= RTC_C_UF;
		if (rtc_alarm_matches(r, r->last_sec))
			r->cmos[RTC_C] |= RTC_C_AF;
	}
	if (rtc_period_shift(r) >= 0 && rtc_tick_index(r, g) != r->last_tick) {
		r->last_tick = rtc_tick_index(r, g);
		r->cmos[RTC_C] |= RTC_C_PF;
	}
	rtc_update_irq(r);
}

/* Forget what passed so far (after the time or the rate changed). */
static void rtc_resync(struct rtc *r, uint64_t now)
{
	uint64_t g = rtc_guest_ns(r, now);
	r->last_sec = g / NS_PER_S;
	r->last_tick = rtc_tick_index(r, g);
}

/* Arm the timers an enabled interrupt source needs; disarm the rest. */
static void rtc_arm(struct rtc *r, uint64_t now)
{
	uint8_t b = r->cmos[RTC_B];
	uint64_t g = rtc_guest_ns(r, now);
	int shift = rtc_period_shift(r);
	if ((b & RTC_B_PIE) && shift >= 0) {
		uint64_t t = (rtc_tick_index(r, g) + 1) << shift;
		uint64_t next = t / RTC_HZ * NS_PER_S + (t % RTC_HZ * NS_PER_S + RTC_HZ - 1) / RTC_HZ;
		timer_mod(&r->periodic, next - r->offset);
	} else {
		timer_del(&r->periodic);
	}
	if ((b & (RTC_B_UIE | RTC_B_AIE)) && !(b & RTC_B_SET))
		timer_mod(&r->update, (g / NS_PER_S + 1) * NS_PER_S - r->offset);
	else
		timer_del(&r->update);
}

static void rtc_timer_fn(void *opaque, uint64_t now)
{
	struct rtc *r = opaque;
	pthread_mutex_lock(&r->lock);
	rtc_catch_up(r, now);
	rtc_arm(r, now);
	pthread_mutex_unlock(&r->lock);
}

/* Make guest time (secs) + (frac) ns as of host (now). */
static void rtc_set_time(struct rtc *r, uint64_t secs, uint64_t frac, uint64_t now)
{
	r->offset = secs * NS_PER_S + frac - now;
	rtc_resync(r, now);
}

static void rtc_write_b(struct rtc *r, uint8_t v, uint64_t now)
{
	uint8_t old = r->cmos[RTC_B];
	rtc_catch_up(r, now);
	if ((v & RTC_B_SET) && !(old & RTC_B_SET)) {
		/* freeze the registers for the guest to edit; SET clears UIE */
		rtc_store_time(r, rtc_guest_ns(r, now) / NS_PER_S);
		v &= ~RTC_B_UIE;
	} else if (!(v & RTC_B_SET) && (old & RTC_B_SET)) {
		/* the guest wrote the fields in the format it had set up */
		rtc_set_time(r, rtc_load_time(r), 0, now);
	}
	r->cmos[RTC_B] = v;
	rtc_update_irq(r);
}

static bool rtc_is_time_reg(unsigned idx)
{
	return idx <= RTC_YEAR ? !(idx & 1) || idx >= RTC_DOW : idx == RTC_CENTURY;
}

static void rtc_write(struct rtc *r, unsigned idx, uint8_t v, uint64_t now)
{
	switch (idx) {
	case RTC_A: /* UIP is read-only; a new rate starts counting afresh */
		rtc_catch_up(r, now);
		r->cmos[RTC_A] = v & 0x7f;
		r->last_tick = rtc_tick_index(r, rtc_guest_ns(r, now));
		break;
	case RTC_B:
		rtc_write_b(r, v, now);
		break;
	case RTC_C:
	case RTC_D:
		break; /* read-only */
	default:
		if (!rtc_is_time_reg(idx) || (r->cmos[RTC_B] & RTC_B_SET)) {
			r->cmos[idx] = v;
			return; /* CMOS memory, or time being set: nothing moves */
		}
		/* a running clock takes the new field at once */
		uint64_t g = rtc_guest_ns(r, now);
		rtc_store_time(r, g / NS_PER_S);
		r->cmos[idx] = v;
		rtc_set_time(r, rtc_load_time(r), g % NS_PER_S, now);
		break;
	}
	rtc_arm(r, now);
}

static uint8_t rtc_read(struct rtc *r, unsigned idx, uint64_t now)
{
	uint8_t v;
	switch (idx) {
	case RTC_A: {
		uint64_t frac = rtc_guest_ns(r, now) % NS_PER_S;
		bool uip = !(r->cmos[RTC_B] & RTC_B_SET) && frac >= NS_PER_S - RTC_UIP_NS;
		return (uint8_t)(r->cmos[RTC_A] | (uip ? RTC_A_UIP : 0));
	}
	case RTC_C: /* reading C clears every flag and lowers IRQ */
		rtc_catch_up(r, now);
		v = r->cmos[RTC_C];
		r->cmos[RTC_C] = 0;
		rtc_update_irq(r);
		return v;
	case RTC_D:
		return RTC_D_VRT;
	default:
		if (rtc_is_time_reg(idx) && !(r->cmos[RTC_B] & RTC_B_SET))
			rtc_store_time(r, rtc_guest_ns(r, now) / NS_PER_S);
		return r->cmos[idx];
	}
}

static void rtc_byte(void *dev, unsigned off, uint8_t *b, bool is_write)
{
	struct rtc *r = dev;
	if (off == 0) {
		if (is_write) {
			r->index = *b & 0x7f;
			r->nmi_disabled = *b & 0x80;
		} else {
			*b = 0xff; /* the index port is write-only */
		}
		return;
	}
	uint64_t now = r->vm->now_ns();
	if (is_write)
		rtc_write(r, r->index, *b, now);
	else
		*b = rtc_read(r, r->index, now);
}

static int rtc_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct rtc *r = dev;
	pthread_mutex_lock(&r->lock);
	dev_split_bytes(rtc_byte, r, off, data, size, is_write);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static void rtc_set16(struct rtc *r, unsigned idx, uint64_t v)
{
	v = VMM_MIN(v, 0xffff);
	r->cmos[idx] = (uint8_t)v;
	r->cmos[idx + 1] = (uint8_t)(v >> 8);
}

/* The memory-size bytes as QEMU's pc_cmos_init() sets them for SeaBIOS. */
static void rtc_fill_memory(struct rtc *r)
{
	uint64_t low = mem_lowmem_size(&r->vm->mem), high = mem_highmem_size(&r->vm->mem);
	rtc_set16(r, 0x15, VMM_MIN(low / KiB, 640));                     /* base, KiB */
	uint64_t ext = low > MiB ? (low - MiB) / KiB : 0;                /* 1M-65M, KiB */
	rtc_set16(r, 0x17, ext);
	rtc_set16(r, 0x30, ext);
	rtc_set16(r, 0x34, low > 16 * MiB ? (low - 16 * MiB) / (64 * KiB) : 0);
	uint64_t above4g = high / (64 * KiB);                            /* 64 KiB units */
	r->cmos[0x5b] = (uint8_t)above4g;
	r->cmos[0x5c] = (uint8_t)(above4g >> 8);
	r->cmos[0x5d] = (uint8_t)(above4g >> 16);
	r->cmos[0x5f] = (uint8_t)(r->vm->nr_vcpus - 1);
}

struct rtc *rtc_create(struct vm *vm, unsigned irq)
{
	struct rtc *r = calloc(1, sizeof(*r));
	if (!r) {
		vmm_err("rtc: out of memory");
		return NULL;
	}
	r->vm = vm;
	r->irq = irq;
	pthread_mutex_init(&r->lock, NULL);
	timer_init(&r->periodic, &vm->timers, rtc_timer_fn, r);
	timer_init(&r->update, &vm->timers, rtc_timer_fn, r);
	r->cmos[RTC_A] = 0x26; /* 32.768 kHz divider, 1024 Hz periodic rate */
	r->cmos[RTC_B] = RTC_B_24H;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = vm->now_ns();
	rtc_set_time(r, (uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec, now);
	rtc_store_time(r, rtc_guest_ns(r, now) / NS_PER_S);
	rtc_fill_memory(r);
	if (io_register(&vm->pio, 0x70, 2, "rtc", rtc_io, r)) {
		rtc_destroy(r);
		return NULL;
	}
	return r;
}

void rtc_destroy(struct rtc *r)
{
	if (!r)
		return;
	timer_del(&r->periodic);
	timer_del(&r->update);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

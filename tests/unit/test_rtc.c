/* test_rtc.c: the MC146818 RTC and CMOS on a fake clock: setting and
 * reading the time in BCD/binary and 12/24-hour form, UIP, status C and the
 * periodic, update-ended and alarm interrupts, the NMI bit, and the memory
 * size bytes SeaBIOS reads. */
#include "tests/unit/util.h"

#include <time.h>

#include "vmm/dev/dev.h"

struct fixture {
	struct vm *vm;
	struct rtc *rtc;
};

static int setup(void **state)
{
	static struct fixture f;
	f.vm = test_vm_create(16 * MiB);
	assert_non_null(f.vm);
	f.rtc = rtc_create(f.vm, 8);
	assert_non_null(f.rtc);
	test_vm_capture_irqs(f.vm);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rtc_destroy(f->rtc);
	vm_destroy(f->vm);
	return 0;
}

#define F (*(struct fixture *)*state)

static uint8_t cmos_read(struct vm *vm, uint8_t idx)
{
	outb(vm, 0x70, idx);
	return inb(vm, 0x71);
}

static void cmos_write(struct vm *vm, uint8_t idx, uint8_t v)
{
	outb(vm, 0x70, idx);
	outb(vm, 0x71, v);
}

/* Set 2024-06-15 (a Saturday) 12:34:56 the way Linux does: SET, write the
 * BCD fields, clear SET. The second starts now. No periodic rate, so that
 * PF stays out of the flags. */
static void set_time(struct vm *vm)
{
	cmos_write(vm, 0x0a, 0x20);
	cmos_write(vm, 0x0b, 0x82);
	cmos_write(vm, 0x00, 0x56);
	cmos_write(vm, 0x02, 0x34);
	cmos_write(vm, 0x04, 0x12);
	cmos_write(vm, 0x06, 0x07);
	cmos_write(vm, 0x07, 0x15);
	cmos_write(vm, 0x08, 0x06);
	cmos_write(vm, 0x09, 0x24);
	cmos_write(vm, 0x32, 0x20);
	cmos_write(vm, 0x0b, 0x02);
}

static void run_timers(struct vm *vm)
{
	timer_run_due(&vm->timers, test_now);
}

static void test_rtc_reads_host_wall_clock_at_creation(void **state)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	assert_int_equal(cmos_read(F.vm, 0x0b), 0x02); /* 24 h, BCD */
	assert_int_equal(cmos_read(F.vm, 0x09), (tm.tm_year % 10) | ((tm.tm_year / 10) % 10) << 4);
	assert_int_equal(cmos_read(F.vm, 0x32), 0x20);
	assert_int_equal(cmos_read(F.vm, 0x0d), 0x80);
	assert_int_equal(cmos_read(F.vm, 0x0a), 0x26);
}

static void test_rtc_set_time_then_read_it_back_in_bcd(void **state)
{
	set_time(F.vm);
	assert_int_equal(cmos_read(F.vm, 0x00), 0x56);
	assert_int_equal(cmos_read(F.vm, 0x02), 0x34);
	assert_int_equal(cmos_read(F.vm, 0x04), 0x12);
	assert_int_equal(cmos_read(F.vm, 0x06), 0x07);
	assert_int_equal(cmos_read(F.vm, 0x07), 0x15);
	assert_int_equal(cmos_read(F.vm, 0x08), 0x06);
	assert_int_equal(cmos_read(F.vm, 0x09), 0x24);
	assert_int_equal(cmos_read(F.vm, 0x32), 0x20);
	test_clock_advance(3 * 1000000000ull + 500000000ull);
	assert_int_equal(cmos_read(F.vm, 0x00), 0x59);
	test_clock_advance(1000000000ull);
	assert_int_equal(cmos_read(F.vm, 0x00), 0x00);
	assert_int_equal(cmos_read(F.vm, 0x02), 0x35);
}

static void test_rtc_set_bit_freezes_the_clock(void **state)
{
	set_time(F.vm);
	cmos_write(F.vm, 0x0b, 0x82);
	test_clock_advance(5 * 1000000000ull);
	assert_int_equal(cmos_read(F.vm, 0x00), 0x56);
	cmos_write(F.vm, 0x0b, 0x02);
	test_clock_advance(1000000000ull);
	assert_int_equal(cmos_read(F.vm, 0x00), 0x57);
}

static void test_rtc_binary_mode_per_status_b_bit_2(void **state)
{
	set_time(F.vm);
	cmos_write(F.vm, 0x0b, 0x06);
	assert_int_equal(cmos_read(F.vm, 0x00), 56);
	assert_int_equal(cmos_read(F.vm, 0x02), 34);
	assert_int_equal(cmos_read(F.vm, 0x04), 12);
	assert_int_equal(cmos_read(F.vm, 0x09), 24);
	assert_int_equal(cmos_read(F.vm, 0x32), 20);
}

static void test_rtc_12_hour_mode_sets_bit_7_for_pm(void **state)
{
	set_time(F.vm); /* 12:34 is 12 PM */
	cmos_write(F.vm, 0x0b, 0x00);
	assert_int_equal(cmos_read(F.vm, 0x04), 0x92);
	cmos_write(F.vm, 0x0b, 0x04);
	assert_int_equal(cmos_read(F.vm, 0x04), 0x8c);
	/* set 00:10 in 12-hour BCD: 12 AM */
	cmos_write(F.vm, 0x0b, 0x80);
	cmos_write(F.vm, 0x04, 0x12);
	cmos_write(F.vm, 0x02, 0x10);
	cmos_write(F.vm, 0x0b, 0x02); /* back to 24 h: it reads 00 */
	assert_int_equal(cmos_read(F.vm, 0x04), 0x00);
	cmos_write(F.vm, 0x0b, 0x80);
	cmos_write(F.vm, 0x04, 0x81); /* 1 PM */
	cmos_write(F.vm, 0x0b, 0x02);
	assert_int_equal(cmos_read(F.vm, 0x04), 0x13);
}

static void test_rtc_writing_a_field_while_running_moves_the_clock(void **state)
{
	set_time(F.vm);
	cmos_write(F.vm, 0x02, 0x40);
	assert_int_equal(cmos_read(F.vm, 0x02), 0x40);
	assert_int_equal(cmos_read(F.vm, 0x00), 0x56);
	assert_int_equal(cmos_read(F.vm, 0x04), 0x12);
}

static void test_rtc_uip_is_set_just_before_each_second(void **state)
{
	set_time(F.vm);
	test_clock_advance(1000000000ull - 300000);
	assert_int_equal(cmos_read(F.vm, 0x0a) & 0x80, 0);
	test_clock_advance(100000);
	assert_int_equal(cmos_read(F.vm, 0x0a), 0xa0);
	test_clock_advance(200000);
	assert_int_equal(cmos_read(F.vm, 0x0a), 0x20);
	cmos_write(F.vm, 0x0a, 0xaf); /* UIP is read-only */
	assert_int_equal(cmos_read(F.vm, 0x0a), 0x2f);
}

static void test_rtc_status_c_read_clears_flags_and_lowers_irq(void **state)
{
	set_time(F.vm);
	(void)cmos_read(F.vm, 0x0c);
	cmos_write(F.vm, 0x0b, 0x12); /* UIE */
	assert_int_not_equal(timer_next_deadline(&F.vm->timers), UINT64_MAX);
	test_clock_advance(1000000000ull);
	run_timers(F.vm);
	assert_int_equal(test_irq_level[8], 1);
	assert_int_equal(cmos_read(F.vm, 0x0c), 0x90);
	assert_int_equal(test_irq_level[8], 0);
	assert_int_equal(cmos_read(F.vm, 0x0c), 0x00);
}

static void test_rtc_flags_are_set_even_with_interrupts_disabled(void **state)
{
	(void)cmos_read(F.vm, 0x0c);
	test_clock_advance(1000000000ull);
	assert_int_equal(cmos_read(F.vm, 0x0c), 0x50); /* PF and UF, no IRQF */
	assert_int_equal(test_irq_raises[8], 0);
}

static void test_rtc_writing_status_a_keeps_flags_already_due(void **state)
{
	(void)cmos_read(F.vm, 0x0c);
	test_clock_advance(1000000000ull);
	cmos_write(F.vm, 0x0a, 0x20);
	assert_int_equal(cmos_read(F.vm, 0x0c), 0x50);
	test_clock_advance(1000000000ull);
	assert_int_equal(cmos_read(F.vm, 0x0c), 0x10); /* no rate: no PF */
}

static void test_rtc_periodic_interrupt_follows_the_rate_in_status_a(void **state)
{
	assert_int_equal(timer_next_deadline(&F.vm->timers), UINT64_MAX);
	cmos_write(F.vm, 0x0a, 0x2a); /* rate 10: 64 Hz */
	cmos_write(F.vm, 0x0b, 0x42);
	(void)cmos_read(F.vm, 0x0c);
	unsigned irqs = 0;
	for (unsigned i = 0; i < 1000; i++) {
		test_clock_advance(1000000);
		run_timers(F.vm);
		if (test_irq_level[8]) {
			assert_int_equal(cmos_read(F.vm, 0x0c) & 0xc0, 0xc0);
			irqs++;
		}
	}
	assert_int_equal(irqs, 64);
	cmos_write(F.vm, 0x0b, 0x02);
	assert_int_equal(timer_next_deadline(&F.vm->timers), UINT64_MAX);
}

static void test_rtc_periodic_ticks_missed_by_a_late_loop_coalesce(void **state)
{
	cmos_write(F.vm, 0x0b, 0x42); /* 1024 Hz */
	(void)cmos_read(F.vm, 0x0c);
	test_clock_advance(5 * 1000000000ull);
	assert_int_equal(timer_run_due(&F.vm->timers, test_now), 1);
	assert_int_equal(test_irq_raises[8], 1);
	assert_true(timer_next_deadline(&F.vm->timers) > test_now);
	assert_true(timer_next_deadline(&F.vm->timers) <= test_now + 1000000);
}

static void test_rtc_alarm_fires_when_time_matches(void **state)
{
	set_time(F.vm);
	cmos_write(F.vm, 0x01, 0x00);
	cmos_write(F.vm, 0x03, 0x35);
	cmos_write(F.vm, 0x05, 0x12);
	(void)cmos_read(F.vm, 0x0c);
	cmos_write(F.vm, 0x0b, 0x22); /* AIE */
	for (unsigned i = 0; i < 30; i++) {
		test_clock_advance(100000000);
		run_timers(F.vm);
	}
	assert_int_equal(test_irq_level[8], 0); /* 12:34:59 */
	test_clock_advance(1000000000ull);
	run_timers(F.vm);
	assert_int_equal(test_irq_level[8], 1);
	assert_int_equal(cmos_read(F.vm, 0x0c), 0xb0);
}

static void test_rtc_alarm_dont_care_values_match_any(void **state)
{
	set_time(F.vm);
	cmos_write(F.vm, 0x01, 0x58);
	cmos_write(F.vm, 0x03, 0xc0);
	cmos_write(F.vm, 0x05, 0xff);
	(void)cmos_read(F.vm, 0x0c);
	cmos_write(F.vm, 0x0b, 0x22);
	test_clock_advance(1000000000ull);
	run_timers(F.vm);
	assert_int_equal(test_irq_level[8], 0);
	test_clock_advance(1000000000ull);
	run_timers(F.vm);
	assert_int_equal(test_irq_level[8], 1);
}

static void test_rtc_setting_set_clears_uie(void **state)
{
	cmos_write(F.vm, 0x0b, 0x12);
	cmos_write(F.vm, 0x0b, 0x92);
	assert_int_equal(cmos_read(F.vm, 0x0b), 0x82);
}

static void test_rtc_nmi_bit_does_not_clobber_the_index(void **state)
{
	outb(F.vm, 0x70, 0x8f);
	outb(F.vm, 0x71, 0x42);
	outb(F.vm, 0x70, 0x0f);
	assert_int_equal(inb(F.vm, 0x71), 0x42);
	assert_int_equal(cmos_read(F.vm, 0x8f & 0x7f), 0x42);
	cmos_write(F.vm, 0x7f, 0x99); /* all of 0x0e-0x7f is memory */
	assert_int_equal(cmos_read(F.vm, 0xff), 0x99);
}

static void check_mem_bytes(uint64_t size, unsigned ext, unsigned above16m, unsigned above4g)
{
	struct vm *vm = test_vm_create(size);
	assert_non_null(vm);
	struct rtc *r = rtc_create(vm, 8);
	assert_non_null(r);
	assert_int_equal(cmos_read(vm, 0x15) | cmos_read(vm, 0x16) << 8, 640);
	assert_int_equal(cmos_read(vm, 0x17) | cmos_read(vm, 0x18) << 8, ext);
	assert_int_equal(cmos_read(vm, 0x30) | cmos_read(vm, 0x31) << 8, ext);
	assert_int_equal(cmos_read(vm, 0x34) | cmos_read(vm, 0x35) << 8, above16m);
	assert_int_equal(cmos_read(vm, 0x5b) | cmos_read(vm, 0x5c) << 8 |
				 cmos_read(vm, 0x5d) << 16, above4g);
	assert_int_equal(cmos_read(vm, 0x5f), 0); /* one vCPU */
	rtc_destroy(r);
	vm_destroy(vm);
}

static void test_rtc_memory_size_bytes_for_16m_128m_and_5g(void **state)
{
	check_mem_bytes(16 * MiB, 15 * 1024, 0, 0);
	check_mem_bytes(128 * MiB, 0xffff, 112 * 16, 0);
	/* 3 GiB below the PCI hole, 2 GiB above 4 GiB */
	check_mem_bytes(5 * GiB, 0xffff, (3 * 1024 - 16) * 16, 2 * 1024 * 16);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rtc_reads_host_wall_clock_at_creation),
		T(test_rtc_set_time_then_read_it_back_in_bcd),
		T(test_rtc_set_bit_freezes_the_clock),
		T(test_rtc_binary_mode_per_status_b_bit_2),
		T(test_rtc_12_hour_mode_sets_bit_7_for_pm),
		T(test_rtc_writing_a_field_while_running_moves_the_clock),
		T(test_rtc_uip_is_set_just_before_each_second),
		T(test_rtc_status_c_read_clears_flags_and_lowers_irq),
		T(test_rtc_flags_are_set_even_with_interrupts_disabled),
		T(test_rtc_writing_status_a_keeps_flags_already_due),
		T(test_rtc_periodic_interrupt_follows_the_rate_in_status_a),
		T(test_rtc_periodic_ticks_missed_by_a_late_loop_coalesce),
		T(test_rtc_alarm_fires_when_time_matches),
		T(test_rtc_alarm_dont_care_values_match_any),
		T(test_rtc_setting_set_clears_uie),
		T(test_rtc_nmi_bit_does_not_clobber_the_index),
		T(test_rtc_memory_size_bytes_for_16m_128m_and_5g),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

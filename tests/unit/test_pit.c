/* test_pit.c: the i8254 on a fake clock: counter values and OUT in modes
 * 0-5, latches, read-back, access modes, channel 2's gate and port 0x61,
 * and channel 0's interrupt timing. */
#include "tests/unit/util.h"

#include "vmm/dev/dev.h"

struct fixture {
	struct vm *vm;
	struct pit *pit;
	uint64_t t0; /* when the last count was loaded */
};

static int setup(void **state)
{
	static struct fixture f;
	f.vm = test_vm_create(16 * MiB);
	assert_non_null(f.vm);
	f.pit = pit_create(f.vm, 0);
	assert_non_null(f.pit);
	test_vm_capture_irqs(f.vm);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pit_destroy(f->pit);
	vm_destroy(f->vm);
	return 0;
}

#define F (*(struct fixture *)*state)

/* Program (ch) in (mode), LSB then MSB, binary; remember the load time. */
static void program(struct fixture *f, unsigned ch, unsigned mode, unsigned count)
{
	outb(f->vm, 0x43, ch << 6 | 0x30 | mode << 1);
	outb(f->vm, 0x40 + ch, count & 0xff);
	outb(f->vm, 0x40 + ch, (count >> 8) & 0xff);
	f->t0 = test_now;
}

/* Move the fake clock to the instant channel time reaches (clocks). */
static void at_clock(struct fixture *f, uint64_t clocks)
{
	test_now = f->t0 + (clocks * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

static unsigned latched_count(struct vm *vm, unsigned ch)
{
	outb(vm, 0x43, ch << 6);
	unsigned lo = inb(vm, 0x40 + ch);
	return lo | inb(vm, 0x40 + ch) << 8;
}

static uint8_t status(struct vm *vm, unsigned ch)
{
	outb(vm, 0x43, 0xe0 | 2u << ch); /* read-back: status only */
	return inb(vm, 0x40 + ch);
}

static bool out_of(struct vm *vm, unsigned ch)
{
	return status(vm, ch) & 0x80;
}

static bool out2(struct vm *vm)
{
	return inb(vm, 0x61) & 0x20;
}

static void run_timers(struct vm *vm)
{
	timer_run_due(&vm->timers, test_now);
}

static void test_pit_mode0_counts_down_then_raises_out_at_terminal_count(void **state)
{
	outb(F.vm, 0x61, 0x01);
	program(&F, 2, 0, 1000);
	assert_false(out2(F.vm));
	assert_int_equal(latched_count(F.vm, 2), 1000);
	at_clock(&F, 400);
	assert_int_equal(latched_count(F.vm, 2), 600);
	at_clock(&F, 999);
	assert_int_equal(latched_count(F.vm, 2), 1);
	assert_false(out2(F.vm));
	at_clock(&F, 1000);
	assert_true(out2(F.vm));
	at_clock(&F, 1010); /* the counter wraps and keeps going; OUT stays high */
	assert_int_equal(latched_count(F.vm, 2), 0xfff6);
	assert_true(out2(F.vm));
}

static void test_pit_mode2_out_is_low_for_one_clock_per_period(void **state)
{
	program(&F, 0, 2, 100);
	assert_int_equal(latched_count(F.vm, 0), 100);
	at_clock(&F, 1);
	assert_int_equal(latched_count(F.vm, 0), 99);
	at_clock(&F, 98);
	assert_true(out_of(F.vm, 0));
	at_clock(&F, 99);
	assert_int_equal(latched_count(F.vm, 0), 1);
	assert_false(out_of(F.vm, 0));
	at_clock(&F, 100);
	assert_int_equal(latched_count(F.vm, 0), 100);
	assert_true(out_of(F.vm, 0));
	at_clock(&F, 250);
	assert_int_equal(latched_count(F.vm, 0), 50);
}

static void test_pit_mode3_square_wave_is_high_for_the_longer_half(void **state)
{
	outb(F.vm, 0x61, 0x01);
	program(&F, 2, 3, 101);
	assert_true(out2(F.vm));
	at_clock(&F, 50);
	assert_true(out2(F.vm));
	at_clock(&F, 51);
	assert_false(out2(F.vm));
	at_clock(&F, 100);
	assert_false(out2(F.vm));
	at_clock(&F, 101);
	assert_true(out2(F.vm));
	program(&F, 2, 3, 100);
	at_clock(&F, 10);
	assert_int_equal(latched_count(F.vm, 2), 80); /* counts down by two */
	at_clock(&F, 50);
	assert_false(out2(F.vm));
	assert_int_equal(latched_count(F.vm, 2), 100);
}

static void test_pit_mode4_strobes_out_low_for_one_clock(void **state)
{
	program(&F, 1, 4, 30);
	at_clock(&F, 29);
	assert_true(out_of(F.vm, 1));
	at_clock(&F, 30);
	assert_false(out_of(F.vm, 1));
	at_clock(&F, 31);
	assert_true(out_of(F.vm, 1));
}

static void test_pit_mode1_one_shot_starts_on_gate_rising_edge(void **state)
{
	program(&F, 2, 1, 100);
	at_clock(&F, 500);
	assert_true(out2(F.vm)); /* waiting for a trigger */
	assert_int_equal(status(F.vm, 2) & 0x40, 0x40); /* null count */
	outb(F.vm, 0x61, 0x01);
	F.t0 = test_now;
	at_clock(&F, 1);
	assert_false(out2(F.vm));
	assert_int_equal(latched_count(F.vm, 2), 99);
	at_clock(&F, 100);
	assert_true(out2(F.vm));
}

static void test_pit_mode5_strobe_follows_gate_trigger(void **state)
{
	program(&F, 2, 5, 20);
	outb(F.vm, 0x61, 0x01);
	F.t0 = test_now;
	at_clock(&F, 20);
	assert_false(out2(F.vm));
	at_clock(&F, 21);
	assert_true(out2(F.vm));
}

static void test_pit_count_zero_means_65536(void **state)
{
	program(&F, 0, 2, 0);
	at_clock(&F, 1);
	assert_int_equal(latched_count(F.vm, 0), 65535);
	at_clock(&F, 65535);
	assert_false(out_of(F.vm, 0));
	at_clock(&F, 65536);
	assert_true(out_of(F.vm, 0));
}

static void test_pit_bcd_counts_in_decimal_and_zero_means_10000(void **state)
{
	outb(F.vm, 0x43, 0xb1); /* channel 2, word, mode 0, BCD */
	outb(F.vm, 0x61, 0x01);
	outb(F.vm, 0x42, 0x00);
	outb(F.vm, 0x42, 0x10); /* 1000 */
	F.t0 = test_now;
	at_clock(&F, 1);
	assert_int_equal(latched_count(F.vm, 2), 0x0999);
	at_clock(&F, 1000);
	assert_true(out2(F.vm));
	outb(F.vm, 0x42, 0x00);
	outb(F.vm, 0x42, 0x00);
	F.t0 = test_now;
	at_clock(&F, 1);
	assert_int_equal(latched_count(F.vm, 2), 0x9999);
	assert_int_equal(status(F.vm, 2) & 0x01, 0x01);
}

static void test_pit_latch_holds_value_while_time_advances(void **state)
{
	program(&F, 0, 2, 50000);
	at_clock(&F, 1000);
	outb(F.vm, 0x43, 0x00);
	at_clock(&F, 20000);
	outb(F.vm, 0x43, 0x00); /* ignored: the first latch is still unread */
	assert_int_equal(inb(F.vm, 0x40), 49000 & 0xff);
	at_clock(&F, 30000);
	assert_int_equal(inb(F.vm, 0x40), 49000 >> 8);
	/* the next read is live again */
	unsigned lo = inb(F.vm, 0x40);
	assert_int_equal(lo | inb(F.vm, 0x40) << 8, 20000);
}

static void test_pit_readback_latches_status_then_count(void **state)
{
	program(&F, 0, 2, 1000);
	at_clock(&F, 10);
	outb(F.vm, 0x43, 0xc2); /* count and status of channel 0 */
	at_clock(&F, 500);
	/* OUT high, count loaded, LSB/MSB, mode 2, binary */
	assert_int_equal(inb(F.vm, 0x40), 0xb4);
	assert_int_equal(inb(F.vm, 0x40), 990 & 0xff);
	assert_int_equal(inb(F.vm, 0x40), 990 >> 8);
	/* a control word alone leaves null count set and OUT per mode */
	outb(F.vm, 0x43, 0x70); /* channel 1, word, mode 0 */
	assert_int_equal(status(F.vm, 1), 0x70);
	outb(F.vm, 0x43, 0x76); /* channel 1, word, mode 3 */
	assert_int_equal(status(F.vm, 1), 0xf6);
	outb(F.vm, 0x41, 0x10);
	outb(F.vm, 0x41, 0x00);
	assert_int_equal(status(F.vm, 1), 0xf6); /* not yet a clock later */
	test_clock_advance(1000);
	assert_int_equal(status(F.vm, 1), 0xb6);
}

static void test_pit_readback_count_only_for_two_channels(void **state)
{
	program(&F, 0, 2, 3000);
	outb(F.vm, 0x61, 0x01);
	program(&F, 2, 0, 4000);
	at_clock(&F, 100);
	outb(F.vm, 0x43, 0xda); /* !STATUS, channels 0 and 2 */
	at_clock(&F, 200);
	unsigned c2 = inb(F.vm, 0x42);
	c2 |= inb(F.vm, 0x42) << 8;
	assert_int_equal(c2, 3900);
	unsigned c0 = inb(F.vm, 0x40);
	c0 |= inb(F.vm, 0x40) << 8;
	assert_in_range(c0, 2895, 2905); /* channel 0 was loaded slightly earlier */
}

static void test_pit_word_access_alternates_lsb_and_msb(void **state)
{
	program(&F, 1, 2, 0x1234);
	assert_int_equal(inb(F.vm, 0x41), 0x34);
	assert_int_equal(inb(F.vm, 0x41), 0x12);
	assert_int_equal(inb(F.vm, 0x41), 0x34);
	/* LSB-only and MSB-only access load one byte */
	outb(F.vm, 0x43, 0x54); /* channel 1, LSB, mode 2 */
	outb(F.vm, 0x41, 0x80);
	assert_int_equal(inb(F.vm, 0x41), 0x80);
	assert_int_equal(inb(F.vm, 0x41), 0x80);
	outb(F.vm, 0x43, 0x64); /* channel 1, MSB, mode 2 */
	outb(F.vm, 0x41, 0x02);
	assert_int_equal(latched_count(F.vm, 1) >> 8, 0x02);
	assert_int_equal(inb(F.vm, 0x41), 0x02);
	assert_int_equal(status(F.vm, 1) & 0x30, 0x20);
}

static void test_pit_mode0_first_byte_stops_counting_and_lowers_out(void **state)
{
	outb(F.vm, 0x61, 0x01);
	program(&F, 2, 0, 100);
	at_clock(&F, 200);
	assert_true(out2(F.vm));
	outb(F.vm, 0x42, 0x50);
	assert_false(out2(F.vm));
	test_clock_advance(1000000);
	assert_false(out2(F.vm));
	outb(F.vm, 0x42, 0x00);
	F.t0 = test_now;
	at_clock(&F, 0x50);
	assert_true(out2(F.vm));
}

static void test_pit_channel2_does_not_count_with_gate_low(void **state)
{
	outb(F.vm, 0x61, 0x00);
	program(&F, 2, 0, 1000);
	test_clock_advance(5000000);
	assert_int_equal(latched_count(F.vm, 2), 1000);
	outb(F.vm, 0x61, 0x01);
	F.t0 = test_now;
	at_clock(&F, 300);
	assert_int_equal(latched_count(F.vm, 2), 700);
	outb(F.vm, 0x61, 0x00); /* pause */
	test_clock_advance(5000000);
	assert_int_equal(latched_count(F.vm, 2), 700);
	assert_false(out2(F.vm));
	outb(F.vm, 0x61, 0x01);
	F.t0 = test_now;
	at_clock(&F, 700);
	assert_true(out2(F.vm));
}

static void test_pit_channel2_mode2_gate_low_forces_out_high_and_reloads(void **state)
{
	outb(F.vm, 0x61, 0x01);
	program(&F, 2, 2, 100);
	at_clock(&F, 99);
	assert_false(out2(F.vm));
	outb(F.vm, 0x61, 0x00);
	assert_true(out2(F.vm));
	outb(F.vm, 0x61, 0x01); /* rising gate reloads the count */
	F.t0 = test_now;
	at_clock(&F, 40);
	assert_int_equal(latched_count(F.vm, 2), 60);
}

static void test_pit_port61_reports_gate_speaker_refresh_and_out2(void **state)
{
	outb(F.vm, 0x61, 0x03);
	uint8_t a = inb(F.vm, 0x61);
	assert_int_equal(a & 0x0f, 0x03);
	assert_int_equal(a & 0xc0, 0x00);
	test_clock_advance(15085);
	uint8_t b = inb(F.vm, 0x61);
	assert_int_not_equal(a & 0x10, b & 0x10); /* refresh toggles every ~15 us */
	program(&F, 2, 0, 10);
	assert_int_equal(inb(F.vm, 0x61) & 0x20, 0x00);
	at_clock(&F, 10);
	assert_int_equal(inb(F.vm, 0x61) & 0x20, 0x20);
}

/* Linux's pit_calibrate_tsc(): gate on, speaker off, mode 0, 50 ms, then
 * poll port 0x61 bit 5. OUT2 must rise exactly at the programmed count. */
static void test_pit_tsc_calibration_loop_sees_out2_at_exact_time(void **state)
{
	const unsigned latch = PIT_HZ / 20;
	outb(F.vm, 0x61, (inb(F.vm, 0x61) & ~0x02) | 0x01);
	program(&F, 2, 0, latch);
	uint64_t polls = 0;
	while (!(inb(F.vm, 0x61) & 0x20)) {
		test_clock_advance(1000);
		polls++;
	}
	uint64_t want = ((uint64_t)latch * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
	assert_in_range(test_now - F.t0, want, want + 999);
	assert_in_range(polls, 49990, 50010);
}

static void test_pit_irq0_fires_once_per_period_in_mode2(void **state)
{
	program(&F, 0, 2, 1193); /* ~1 kHz */
	test_irq_raises[0] = 0;
	uint64_t start = test_now;
	for (unsigned i = 0; i < 1000; i++) {
		test_clock_advance(100000);
		run_timers(F.vm);
	}
	uint64_t clocks = (test_now - start) * PIT_HZ / 1000000000ull;
	assert_int_equal(test_irq_raises[0], clocks / 1193);
	assert_int_equal(test_irq_level[0], 0); /* pulses, not a held line */
}

static void test_pit_irq0_fires_once_per_period_in_mode3(void **state)
{
	program(&F, 0, 3, 11932); /* 100 Hz */
	test_irq_raises[0] = 0;
	for (unsigned i = 0; i < 200; i++) {
		test_clock_advance(5000000);
		run_timers(F.vm);
	}
	assert_int_equal(test_irq_raises[0], 99); /* 1 s: 119318 clocks */
}

static void test_pit_irq0_mode0_fires_once_at_terminal_count(void **state)
{
	program(&F, 0, 0, 5000);
	test_irq_raises[0] = 0;
	at_clock(&F, 4999);
	run_timers(F.vm);
	assert_int_equal(test_irq_raises[0], 0);
	at_clock(&F, 5000);
	run_timers(F.vm);
	assert_int_equal(test_irq_raises[0], 1);
	test_clock_advance(1000000000);
	run_timers(F.vm);
	assert_int_equal(test_irq_raises[0], 1);
	assert_int_equal(timer_next_deadline(&F.vm->timers), UINT64_MAX);
}

static void test_pit_irq0_mode4_oneshot_fires_once(void **state)
{
	program(&F, 0, 4, 1193);
	test_irq_raises[0] = 0;
	for (unsigned i = 0; i < 10; i++) {
		test_clock_advance(500000);
		run_timers(F.vm);
	}
	assert_int_equal(test_irq_raises[0], 1);
}

static void test_pit_irq0_coalesces_missed_ticks_and_rearms_in_the_future(void **state)
{
	program(&F, 0, 2, 1193);
	test_irq_raises[0] = 0;
	test_clock_advance(10ull * 1000000000ull); /* 10 s behind: 10000 ticks */
	assert_int_equal(timer_run_due(&F.vm->timers, test_now), 1);
	assert_int_equal(test_irq_raises[0], 1);
	uint64_t next = timer_next_deadline(&F.vm->timers);
	assert_true(next > test_now);
	assert_true(next <= test_now + 1000000);
}

static void test_pit_control_word_stops_channel0_interrupts(void **state)
{
	program(&F, 0, 2, 1193);
	outb(F.vm, 0x43, 0x34); /* new mode, no count yet */
	assert_int_equal(timer_next_deadline(&F.vm->timers), UINT64_MAX);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pit_mode0_counts_down_then_raises_out_at_terminal_count),
		T(test_pit_mode2_out_is_low_for_one_clock_per_period),
		T(test_pit_mode3_square_wave_is_high_for_the_longer_half),
		T(test_pit_mode4_strobes_out_low_for_one_clock),
		T(test_pit_mode1_one_shot_starts_on_gate_rising_edge),
		T(test_pit_mode5_strobe_follows_gate_trigger),
		T(test_pit_count_zero_means_65536),
		T(test_pit_bcd_counts_in_decimal_and_zero_means_10000),
		T(test_pit_latch_holds_value_while_time_advances),
		T(test_pit_readback_latches_status_then_count),
		T(test_pit_readback_count_only_for_two_channels),
		T(test_pit_word_access_alternates_lsb_and_msb),
		T(test_pit_mode0_first_byte_stops_counting_and_lowers_out),
		T(test_pit_channel2_does_not_count_with_gate_low),
		T(test_pit_channel2_mode2_gate_low_forces_out_high_and_reloads),
		T(test_pit_port61_reports_gate_speaker_refresh_and_out2),
		T(test_pit_tsc_calibration_loop_sees_out2_at_exact_time),
		T(test_pit_irq0_fires_once_per_period_in_mode2),
		T(test_pit_irq0_fires_once_per_period_in_mode3),
		T(test_pit_irq0_mode0_fires_once_at_terminal_count),
		T(test_pit_irq0_mode4_oneshot_fires_once),
		T(test_pit_irq0_coalesces_missed_ticks_and_rearms_in_the_future),
		T(test_pit_control_word_stops_channel0_interrupts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

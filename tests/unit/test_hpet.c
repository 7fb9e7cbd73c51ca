/* test_hpet.c: the HPET against the fake clock: capabilities, the main
 * counter (halted, running, written), one-shot and periodic comparators,
 * edge and level interrupts with the status register, 32-bit mode, a
 * comparator already behind the counter, legacy replacement routing. */
#include "tests/unit/util.h"

#include <string.h>

#include "vmm/dev/dev.h"

static struct hpet *the_hpet;

static int setup(void **state)
{
	struct vm *vm = test_vm_create(64 * MiB);
	assert_non_null(vm);
	test_vm_capture_irqs(vm);
	the_hpet = hpet_create(vm);
	assert_non_null(the_hpet);
	*state = vm;
	return 0;
}

static int teardown(void **state)
{
	hpet_destroy(the_hpet);
	vm_destroy(*state);
	return 0;
}

#define VM ((struct vm *)*state)

static uint64_t rd(struct vm *vm, unsigned reg, unsigned size)
{
	uint64_t v = 0;
	io_dispatch(&vm->mmio, HPET_ADDR + reg, &v, size, false);
	return v;
}

static void wr(struct vm *vm, unsigned reg, uint64_t v, unsigned size)
{
	io_dispatch(&vm->mmio, HPET_ADDR + reg, &v, size, true);
}

#define TN_CONF(n) (0x100 + 0x20 * (n))
#define TN_CMP(n) (0x108 + 0x20 * (n))
#define TN_LEVEL (1u << 1)
#define TN_ENABLE (1u << 2)
#define TN_PERIODIC (1u << 3)
#define TN_SETVAL (1u << 6)
#define TN_32BIT (1u << 8)
#define TN_ROUTE(g) ((uint64_t)(g) << 9)

/* Advance the fake clock by (ns) and run what fell due. */
static void run_for(struct vm *vm, uint64_t ns)
{
	test_clock_advance(ns);
	timer_run_due(&vm->timers, test_now);
}

static void test_hpet_capabilities_give_period_timers_and_legacy_cap(void **state)
{
	uint64_t cap = rd(VM, 0x000, 8);
	assert_int_equal(cap >> 32, 10000000);          /* 10 ns in fs */
	assert_int_equal((cap >> 16) & 0xffff, 0x8086);
	assert_int_equal((cap >> 8) & 0x1f, 2);          /* 3 timers */
	assert_true(cap & (1u << 15));                   /* LEG_RT_CAP */
	assert_true(cap & (1u << 13));                   /* 64-bit counter */
	assert_int_equal(rd(VM, 0x004, 4), 10000000);    /* the high half alone */
	assert_int_equal(rd(VM, 0x000, 4), HPET_ID_LOW);
	uint64_t t0 = rd(VM, TN_CONF(0), 8);
	assert_true(t0 & (1u << 4));                     /* periodic capable */
	assert_int_equal(t0 >> 32, 0x00f00000);          /* IOAPIC 20-23 */
	assert_int_equal(rd(VM, TN_CMP(1), 8), ~0ull);   /* reset value */
	wr(VM, 0x000, 0, 8);                             /* read-only */
	assert_int_equal(rd(VM, 0x000, 8), cap);
}

static void test_hpet_counter_runs_only_while_enabled(void **state)
{
	assert_int_equal(rd(VM, 0x0f0, 8), 0);
	test_clock_advance(1000000);
	assert_int_equal(rd(VM, 0x0f0, 8), 0);           /* halted */
	wr(VM, 0x010, 1, 4);
	test_clock_advance(1000000);                     /* 1 ms = 100000 ticks */
	assert_int_equal(rd(VM, 0x0f0, 8), 100000);
	wr(VM, 0x010, 0, 4);
	test_clock_advance(1000000);
	assert_int_equal(rd(VM, 0x0f0, 8), 100000);
	wr(VM, 0x0f0, 0x1ffffff00ull, 8);                /* written while halted */
	assert_int_equal(rd(VM, 0x0f4, 4), 1);
	wr(VM, 0x010, 1, 4);
	test_clock_advance(10000);
	assert_int_equal(rd(VM, 0x0f0, 8), 0x1ffffff00ull + 1000);
}

static void test_hpet_one_shot_fires_once_at_the_comparator(void **state)
{
	wr(VM, TN_CONF(2), TN_ENABLE | TN_ROUTE(20), 8);
	wr(VM, TN_CMP(2), 5000, 8);                      /* 50 us */
	wr(VM, 0x010, 1, 4);
	run_for(VM, 49000);
	assert_int_equal(test_irq_raises[20], 0);
	run_for(VM, 1000);
	assert_int_equal(test_irq_raises[20], 1);
	assert_int_equal(test_irq_level[20], 0);         /* edge: a pulse */
	run_for(VM, 10000000);
	assert_int_equal(test_irq_raises[20], 1);
	assert_int_equal(timer_next_deadline(&VM->timers), UINT64_MAX);
}

static void test_hpet_periodic_timer_repeats_and_coalesces_missed_periods(void **state)
{
	wr(VM, 0x010, 1 | 2, 4);                         /* enable, legacy routing */
	wr(VM, TN_CONF(0), TN_ENABLE | TN_PERIODIC | TN_SETVAL, 8);
	wr(VM, TN_CMP(0), 1000, 8);                      /* first match and period: 10 us */
	for (unsigned i = 1; i <= 3; i++) {
		run_for(VM, 10000);
		assert_int_equal(test_irq_raises[0], i);     /* timer 0 -> IRQ 0 */
	}
	assert_int_equal(rd(VM, TN_CMP(0), 8), 4000);
	run_for(VM, 100000);                             /* ten periods late */
	assert_int_equal(test_irq_raises[0], 4);
	assert_int_equal(rd(VM, TN_CMP(0), 8), 14000);   /* ahead of the counter again */
	assert_true(rd(VM, 0x0f0, 8) < 14000);
}

static void test_hpet_level_interrupt_stays_until_status_is_cleared(void **state)
{
	wr(VM, TN_CONF(1), TN_ENABLE | TN_LEVEL | TN_ROUTE(22), 8);
	wr(VM, TN_CMP(1), 100, 8);
	wr(VM, 0x010, 1, 4);
	run_for(VM, 1000);
	assert_int_equal(test_irq_level[22], 1);
	assert_int_equal(rd(VM, 0x020, 8), 2);
	wr(VM, 0x020, 1, 8);                             /* another bit: no effect */
	assert_int_equal(test_irq_level[22], 1);
	wr(VM, 0x020, 2, 8);
	assert_int_equal(rd(VM, 0x020, 8), 0);
	assert_int_equal(test_irq_level[22], 0);
}

static void test_hpet_32bit_mode_truncates_and_wraps(void **state)
{
	wr(VM, TN_CONF(2), TN_ENABLE | TN_32BIT | TN_ROUTE(21), 8);
	wr(VM, TN_CMP(2), 0x100000010ull, 8);
	assert_int_equal(rd(VM, TN_CMP(2), 8), 0x10);
	wr(VM, 0x0f0, 0xfffffff0ull, 8);                 /* 0x20 ticks before the match */
	wr(VM, 0x010, 1, 4);
	run_for(VM, 310);
	assert_int_equal(test_irq_raises[21], 0);
	run_for(VM, 10);
	assert_int_equal(test_irq_raises[21], 1);
}

static void test_hpet_comparator_behind_the_counter_fires_at_once(void **state)
{
	wr(VM, 0x010, 1, 4);
	test_clock_advance(100000);                      /* counter 10000 */
	wr(VM, TN_CONF(2), TN_ENABLE | TN_ROUTE(23), 8);
	wr(VM, TN_CMP(2), 5000, 8);
	assert_int_equal(timer_next_deadline(&VM->timers), test_now);
	run_for(VM, 0);
	assert_int_equal(test_irq_raises[23], 1);
}

static void test_hpet_legacy_replacement_routes_timer_1_to_irq_8(void **state)
{
	wr(VM, TN_CONF(1), TN_ENABLE | TN_ROUTE(20), 8);
	wr(VM, TN_CMP(1), 10, 8);
	wr(VM, 0x010, 1 | 2, 4);
	run_for(VM, 100);
	assert_int_equal(test_irq_raises[8], 1);
	assert_int_equal(test_irq_raises[20], 0);
	/* byte and dword accesses see the same register */
	assert_int_equal(rd(VM, 0x010, 1), 3);
	assert_int_equal(rd(VM, TN_CONF(1) + 1, 1), (TN_ROUTE(20) >> 8) & 0xff);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hpet_capabilities_give_period_timers_and_legacy_cap),
		T(test_hpet_counter_runs_only_while_enabled),
		T(test_hpet_one_shot_fires_once_at_the_comparator),
		T(test_hpet_periodic_timer_repeats_and_coalesces_missed_periods),
		T(test_hpet_level_interrupt_stays_until_status_is_cleared),
		T(test_hpet_32bit_mode_truncates_and_wraps),
		T(test_hpet_comparator_behind_the_counter_fires_at_once),
		T(test_hpet_legacy_replacement_routes_timer_1_to_irq_8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

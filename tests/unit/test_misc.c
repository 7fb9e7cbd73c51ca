/* test_misc.c: isa-debug-exit statuses, the debug console, and the system
 * control ports' reset and power-off requests. */
#include "tests/unit/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmm/dev/dev_internal.h"

static int setup(void **state)
{
	struct vm *vm = test_vm_create(16 * MiB);
	assert_non_null(vm);
	*state = vm;
	return 0;
}

static int teardown(void **state)
{
	misc_release(*state);
	vm_destroy(*state);
	return 0;
}

#define VM ((struct vm *)*state)

static void test_debugexit_write_stops_with_status_v_times_two_plus_one(void **state)
{
	assert_int_equal(debugexit_create(VM, 0xf4), 0);
	assert_false(vm_stopping(VM));
	outb(VM, 0xf4, 0x2a);
	assert_true(vm_stopping(VM));
	assert_int_equal(VM->stop_reason, VM_STOP_DEBUG_EXIT);
	assert_int_equal(VM->stop_status, 0x55);
}

static void test_debugexit_takes_wide_writes_at_any_offset(void **state)
{
	assert_int_equal(debugexit_create(VM, 0x501), 0);
	assert_int_equal(test_in(VM, 0x501, 4), 0xffffffff);
	assert_false(vm_stopping(VM));
	test_out(VM, 0x503, 0x100, 2);
	assert_int_equal(VM->stop_reason, VM_STOP_DEBUG_EXIT);
	assert_int_equal(VM->stop_status, 0x201);
}

static void test_debugexit_first_stop_request_wins(void **state)
{
	assert_int_equal(debugexit_create(VM, 0xf4), 0);
	outb(VM, 0xf4, 0);
	outb(VM, 0xf4, 3);
	assert_int_equal(VM->stop_status, 1);
}

static void test_debugcon_writes_reach_the_chardev_and_reads_return_e9(void **state)
{
	char path[] = "/tmp/triplex-test-debugcon-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char spec[64];
	snprintf(spec, sizeof(spec), "file:%s", path);
	struct chardev *c = chardev_open(spec);
	assert_non_null(c);
	assert_int_equal(debugcon_create(VM, 0xe9, c), 0);
	assert_int_equal(inb(VM, 0xe9), 0xe9);
	for (const char *s = "ok\n"; *s; s++)
		outb(VM, 0xe9, *s);
	assert_int_not_equal(VM->first_output_ns, 0);
	chardev_close(c);
	char buf[8] = { 0 };
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 3);
	fclose(f);
	unlink(path);
	assert_string_equal(buf, "ok\n");
}

static void test_debugcon_without_chardev_drops_output(void **state)
{
	assert_int_equal(debugcon_create(VM, 0xe9, NULL), 0);
	outb(VM, 0xe9, 'x');
	assert_int_equal(inb(VM, 0xe9), 0xe9);
	assert_false(vm_stopping(VM));
}

static void test_sysctl_ports_read_as_an_idle_pc(void **state)
{
	assert_int_equal(sysctl_create(VM), 0);
	outb(VM, 0x80, 0x12);
	assert_int_equal(inb(VM, 0x80), 0xff);
	assert_int_equal(inb(VM, 0x92), 0x02);
	outb(VM, 0x92, 0x00); /* A20 off: ignored */
	assert_int_equal(inb(VM, 0x92), 0x02);
	assert_false(vm_stopping(VM));
}

static void test_sysctl_port_92_bit_0_resets(void **state)
{
	assert_int_equal(sysctl_create(VM), 0);
	outb(VM, 0x92, 0x03);
	assert_int_equal(VM->stop_reason, VM_STOP_RESET);
	assert_int_equal(VM->stop_status, 0);
}

static void test_sysctl_acpi_slp_en_with_type_0_powers_off(void **state)
{
	assert_int_equal(sysctl_create(VM), 0);
	test_out(VM, 0xb004, 0x1400, 2); /* SLP_TYP 5, no SLP_EN */
	test_out(VM, 0xb004, 0x2400, 2); /* SLP_EN, SLP_TYP 1: a sleep state */
	assert_false(vm_stopping(VM));
	test_out(VM, 0xb004, 0x2000, 2);
	assert_int_equal(VM->stop_reason, VM_STOP_POWEROFF);
	assert_int_equal(VM->stop_status, 0);
	assert_string_equal(VM->stop_msg, "guest powered off");
}

static void test_sysctl_bochs_pm_port_powers_off_with_a_byte_write(void **state)
{
	assert_int_equal(sysctl_create(VM), 0);
	outb(VM, 0xb005, 0x20); /* the high byte holds SLP_EN and SLP_TYP */
	assert_int_equal(VM->stop_reason, VM_STOP_POWEROFF);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_debugexit_write_stops_with_status_v_times_two_plus_one),
		T(test_debugexit_takes_wide_writes_at_any_offset),
		T(test_debugexit_first_stop_request_wins),
		T(test_debugcon_writes_reach_the_chardev_and_reads_return_e9),
		T(test_debugcon_without_chardev_drops_output),
		T(test_sysctl_ports_read_as_an_idle_pc),
		T(test_sysctl_port_92_bit_0_resets),
		T(test_sysctl_acpi_slp_en_with_type_0_powers_off),
		T(test_sysctl_bochs_pm_port_powers_off_with_a_byte_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_board.c: the PC board: every device claims its ports without
 * overlap, IRQs reach the PIC and the CPU, the e820 map on fw_cfg, console
 * input through the main loop's fd, the quit hook, and clean failure. */
#include "tests/unit/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/dev/dev.h"

static int setup(void **state)
{
	struct vm *vm = test_vm_create(128 * MiB);
	assert_non_null(vm);
	*state = vm;
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(*state);
	return 0;
}

#define VM ((struct vm *)*state)

static const struct board_config no_console = { .serial = "none" };

static void pic_init_pc(struct vm *vm)
{
	static const uint8_t seq[][2] = { { 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 },
					  { 0x21, 0x01 }, { 0xa0, 0x11 }, { 0xa1, 0x28 },
					  { 0xa1, 0x02 }, { 0xa1, 0x01 }, { 0x21, 0x00 },
					  { 0xa1, 0x00 } };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(seq); i++)
		outb(vm, seq[i][0], seq[i][1]);
}

static void test_board_claims_every_pc_port_without_overlap(void **state)
{
	struct board_pc *b = board_pc_create(VM, &no_console);
	assert_non_null(b);
	static const struct {
		uint16_t port;
		const char *name;
	} want[] = {
		{ 0x20, "pic-master" },  { 0xa1, "pic-slave" },       { 0x4d1, "pic-elcr" },
		{ 0x43, "pit" },         { 0x61, "pit-port61" },      { 0x71, "rtc" },
		{ 0x3fd, "uart@0x3f8" }, { 0xf7, "isa-debug-exit" },  { 0xe9, "debugcon" },
		{ 0x80, "post" },        { 0x92, "sysctl-a20" },      { 0x60, "i8042-data" },
		{ 0x64, "i8042-cmd" },     { 0x605, "acpi-pm1a-cnt" },  { 0xb004, "bochs-pm1a-cnt" },
		{ 0x602, "acpi-pm1a-evt" }, { 0x60b, "acpi-pm-tmr" },
		{ 0x511, "fw_cfg" },     { 0xcf8, "pci-conf-addr" },  { 0xcff, "pci-conf-data" },
		{ 0xc000, "pci-io" },
	};
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(want); i++) {
		const struct io_range *r = io_lookup(&VM->pio, want[i].port);
		assert_non_null(r);
		assert_string_equal(r->name, want[i].name);
	}
	assert_int_equal(VM->pio.nr, VMM_ARRAY_SIZE(want));
	for (unsigned i = 1; i < VM->pio.nr; i++)
		assert_true(VM->pio.ranges[i - 1].base + VM->pio.ranges[i - 1].len <=
			    VM->pio.ranges[i].base);
	assert_ptr_equal(VM->irqchip, b->apic); /* the local APICs; the PIC on LINT0 */
	assert_ptr_equal(VM->irq_ops, &apic_irq_ops);
	const struct io_range *lapic = io_lookup(&VM->mmio, APIC_DEFAULT_BASE + 0x30);
	const struct io_range *ioapic = io_lookup(&VM->mmio, IOAPIC_BASE + 0x10);
	assert_non_null(lapic);
	assert_non_null(ioapic);
	assert_string_equal(lapic->name, "lapic");
	assert_string_equal(ioapic->name, "ioapic");
	assert_ptr_equal(VM->board, b);
	assert_int_equal(VM->nr_fds, 0); /* "none" has no input */
	board_pc_destroy(b);
	assert_null(VM->set_irq);
}

static void test_board_routes_com1_interrupt_to_pic_irq4(void **state)
{
	struct board_pc *b = board_pc_create(VM, &no_console);
	assert_non_null(b);
	pic_init_pc(VM);
	outb(VM, 0x3fc, 0x08); /* OUT2 */
	outb(VM, 0x3f9, 0x02); /* THRI */
	assert_true(pic_intr(b->pic));
	assert_int_equal(pic_ack(b->pic), 0x24);
	board_pc_destroy(b);
}

static void test_board_pit_ticks_reach_the_pic_as_irq0(void **state)
{
	struct board_pc *b = board_pc_create(VM, &no_console);
	assert_non_null(b);
	pic_init_pc(VM);
	outb(VM, 0x43, 0x34);
	outb(VM, 0x40, 0xa9);
	outb(VM, 0x40, 0x04); /* 1193: ~1 kHz */
	unsigned acks = 0;
	for (unsigned i = 0; i < 10; i++) {
		test_clock_advance(1000000);
		timer_run_due(&VM->timers, test_now);
		if (pic_intr(b->pic)) {
			assert_int_equal(pic_ack(b->pic), 0x20);
			outb(VM, 0x20, 0x20);
			acks++;
		}
	}
	assert_int_equal(acks, 10);
	board_pc_destroy(b);
}

static void test_board_rtc_interrupt_arrives_on_slave_irq8(void **state)
{
	struct board_pc *b = board_pc_create(VM, &no_console);
	assert_non_null(b);
	pic_init_pc(VM);
	outb(VM, 0x70, 0x0b);
	outb(VM, 0x71, 0x42); /* PIE at the default 1024 Hz */
	test_clock_advance(1000000);
	timer_run_due(&VM->timers, test_now);
	assert_true(pic_intr(b->pic));
	assert_int_equal(pic_ack(b->pic), 0x28);
	board_pc_destroy(b);
}

static void test_board_publishes_the_e820_map_on_fw_cfg(void **state)
{
	struct board_pc *b = board_pc_create(VM, &no_console);
	assert_non_null(b);
	test_out(VM, 0x510, FW_CFG_FILE_DIR, 2);
	uint8_t dir[4 + 64];
	for (unsigned i = 0; i < sizeof(dir); i++)
		dir[i] = inb(VM, 0x511);
	assert_int_equal(dir[3], 1);
	assert_string_equal((char *)dir + 12, "etc/e820");
	uint32_t size = (uint32_t)dir[4] << 24 | dir[5] << 16 | dir[6] << 8 | dir[7];
	struct e820_entry e[MEM_MAX_E820];
	unsigned n = mem_e820(&VM->mem, e, MEM_MAX_E820);
	assert_int_equal(size, n * 20);
	test_out(VM, 0x510, (uint16_t)(dir[8] << 8 | dir[9]), 2);
	for (unsigned i = 0; i < n; i++) {
		uint8_t raw[20];
		for (unsigned j = 0; j < sizeof(raw); j++)
			raw[j] = inb(VM, 0x511);
		uint64_t addr, len;
		uint32_t type;
		memcpy(&addr, raw, 8); /* the host is little-endian x86-64 */
		memcpy(&len, raw + 8, 8);
		memcpy(&type, raw + 16, 4);
		assert_int_equal(addr, e[i].addr);
		assert_int_equal(len, e[i].size);
		assert_int_equal(type, e[i].type);
	}
	assert_int_equal(e[n - 1].addr + e[n - 1].size, 128 * MiB);
	/* the standard keys are there too */
	test_out(VM, 0x510, FW_CFG_RAM_SIZE, 2);
	uint64_t ram = 0;
	for (unsigned i = 0; i < 8; i++)
		ram |= (uint64_t)inb(VM, 0x511) << (8 * i);
	assert_int_equal(ram, 128 * MiB);
	board_pc_destroy(b);
}

static void test_board_debugcon_goes_to_its_own_chardev(void **state)
{
	char path[] = "/tmp/triplex-test-board-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char spec[64];
	snprintf(spec, sizeof(spec), "file:%s", path);
	struct board_config cfg = { .serial = "none", .debugcon = spec };
	struct board_pc *b = board_pc_create(VM, &cfg);
	assert_non_null(b);
	assert_non_null(b->debugcon);
	outb(VM, 0xe9, 'D');
	outb(VM, 0x3f8, 'S'); /* COM1 goes to "none" */
	board_pc_destroy(b);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[4] = { 0 };
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 1);
	fclose(f);
	unlink(path);
	assert_string_equal(buf, "D");
}

/* A "stdio" console whose stdin is a pipe: the main loop's fd callbacks
 * carry input into COM1. */
static void test_board_console_input_reaches_com1_through_the_main_loop(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	int saved = dup(0);
	assert_true(saved >= 0);
	assert_int_equal(dup2(p[0], 0), 0);
	close(p[0]);
	struct board_config cfg = { .serial = "stdio" };
	struct board_pc *b = board_pc_create(VM, &cfg);
	assert_non_null(b);
	assert_int_equal(VM->nr_fds, 1);
	struct vm_fd *f = &VM->fds[0];
	assert_int_equal(f->fd, 0);
	assert_true(f->ready(f->opaque));
	assert_int_equal(write(p[1], "hi", 2), 2);
	assert_true(f->fn(f->opaque));
	assert_int_equal(inb(VM, 0x3fd) & 0x01, 0x01);
	assert_int_equal(inb(VM, 0x3f8), 'h');
	assert_int_equal(inb(VM, 0x3f8), 'i');
	close(p[1]);
	assert_false(f->fn(f->opaque)); /* end of input: stop polling */
	board_pc_destroy(b);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
}

static void test_board_console_quit_stops_the_vm(void **state)
{
	struct board_pc *b = board_pc_create(VM, &no_console);
	assert_non_null(b);
	assert_non_null(b->console->quit);
	b->console->quit(b->console->quit_opaque);
	assert_int_equal(VM->stop_reason, VM_STOP_QUIT);
	assert_int_equal(VM->stop_status, 0);
	assert_string_equal(VM->stop_msg, "quit from the console");
	board_pc_destroy(b);
}

static uint32_t nop_io_value;
static int nop_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	return 0;
}

static void test_board_creation_failure_cleans_up_and_returns_null(void **state)
{
	assert_int_equal(io_register(&VM->pio, 0x3f8, 8, "squatter", nop_io, &nop_io_value), 0);
	vmm_log_quiet = 1;
	assert_null(board_pc_create(VM, &no_console));
	struct board_config bad = { .serial = "nonsense" };
	assert_null(board_pc_create(VM, &bad));
	vmm_log_quiet = 0;
	assert_null(VM->set_irq);
	assert_null(VM->irqchip);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_board_claims_every_pc_port_without_overlap),
		T(test_board_routes_com1_interrupt_to_pic_irq4),
		T(test_board_pit_ticks_reach_the_pic_as_irq0),
		T(test_board_rtc_interrupt_arrives_on_slave_irq8),
		T(test_board_publishes_the_e820_map_on_fw_cfg),
		T(test_board_debugcon_goes_to_its_own_chardev),
		T(test_board_console_input_reaches_com1_through_the_main_loop),
		T(test_board_console_quit_stops_the_vm),
		T(test_board_creation_failure_cleans_up_and_returns_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

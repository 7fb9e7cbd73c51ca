/* test_pci.c: PCI configuration mechanism #1: the bridges' IDs, absent
 * functions and buses, every access size and offset, read-only and
 * writable registers, BAR sizing, assignment and decoding in the I/O and
 * MMIO windows, INTx routing through the PIIX3 PIRQ registers, the reset
 * control register, and registration errors. */
#include "tests/unit/util.h"

#include <errno.h>
#include <string.h>

#include "vmm/dev/dev.h"

struct fixture {
	struct vm *vm;
	struct pci *pci;
};

static int setup(void **state)
{
	static struct fixture f;
	f.vm = test_vm_create(64 * MiB);
	assert_non_null(f.vm);
	test_vm_capture_irqs(f.vm);
	f.pci = pci_create(f.vm);
	assert_non_null(f.pci);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pci_destroy(f->pci);
	vm_destroy(f->vm);
	return 0;
}

#define F (*(struct fixture *)*state)

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read(struct vm *vm, unsigned dev, unsigned fn, unsigned reg, unsigned size)
{
	test_out(vm, 0xcf8, cfg_addr(0, dev, fn, reg), 4);
	return test_in(vm, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(struct vm *vm, unsigned dev, unsigned fn, unsigned reg, uint32_t v,
		      unsigned size)
{
	test_out(vm, 0xcf8, cfg_addr(0, dev, fn, reg), 4);
	test_out(vm, (uint16_t)(0xcfc + (reg & 3)), v, size);
}

static void test_pci_host_bridge_is_i440fx_and_isa_bridge_piix3(void **state)
{
	assert_int_equal(cfg_read(F.vm, 0, 0, 0, 4), 0x12378086);
	assert_int_equal(cfg_read(F.vm, 0, 0, 0x0a, 2), 0x0600); /* host bridge class */
	assert_int_equal(cfg_read(F.vm, 0, 0, 0x08, 1), 0x02);   /* revision */
	assert_int_equal(cfg_read(F.vm, 1, 0, 0, 4), 0x70008086);
	assert_int_equal(cfg_read(F.vm, 1, 0, 0x0a, 2), 0x0601); /* ISA bridge */
	assert_int_equal(cfg_read(F.vm, 1, 0, 0x0e, 1), 0x80);   /* multi-function */
}

static void test_pci_absent_slots_functions_and_buses_read_all_ones(void **state)
{
	assert_int_equal(cfg_read(F.vm, 2, 0, 0, 4), 0xffffffffu);
	assert_int_equal(cfg_read(F.vm, 31, 7, 0x3c, 1), 0xff);
	assert_int_equal(cfg_read(F.vm, 0, 1, 0, 2), 0xffff);
	test_out(F.vm, 0xcf8, cfg_addr(1, 0, 0, 0), 4);
	assert_int_equal(test_in(F.vm, 0xcfc, 4), 0xffffffffu);
	/* the enable bit clear: no configuration cycle */
	test_out(F.vm, 0xcf8, 0x00000000, 4);
	assert_int_equal(test_in(F.vm, 0xcfc, 4), 0xffffffffu);
	cfg_write(F.vm, 2, 0, 0x3c, 0x12, 1); /* dropped, no crash */
}

static void test_pci_address_register_reads_back_and_byte_writes_do_not_latch(void **state)
{
	test_out(F.vm, 0xcf8, 0x80001234, 4);
	assert_int_equal(test_in(F.vm, 0xcf8, 4), 0x80001234);
	/* Linux's pci_check_type1 writes 0x01 to 0xcfb first: no effect */
	test_out(F.vm, 0xcfb, 0x01, 1);
	assert_int_equal(test_in(F.vm, 0xcf8, 4), 0x80001234);
	test_out(F.vm, 0xcf8, 0x80000003, 4); /* the two low bits are zero */
	assert_int_equal(test_in(F.vm, 0xcf8, 4), 0x80000000);
}

static void test_pci_data_port_serves_every_size_and_offset(void **state)
{
	test_out(F.vm, 0xcf8, cfg_addr(0, 0, 0, 0), 4);
	assert_int_equal(test_in(F.vm, 0xcfc, 1), 0x86);
	assert_int_equal(test_in(F.vm, 0xcfd, 1), 0x80);
	assert_int_equal(test_in(F.vm, 0xcfe, 1), 0x37);
	assert_int_equal(test_in(F.vm, 0xcff, 1), 0x12);
	assert_int_equal(test_in(F.vm, 0xcfc, 2), 0x8086);
	assert_int_equal(test_in(F.vm, 0xcfe, 2), 0x1237);
	assert_int_equal(test_in(F.vm, 0xcfd, 2), 0x3780);
	/* writable byte in the middle of a dword: latency timer at 0x0d */
	cfg_write(F.vm, 0, 0, 0x0d, 0x40, 1);
	assert_int_equal(cfg_read(F.vm, 0, 0, 0x0c, 4) >> 8 & 0xff, 0x40);
	cfg_write(F.vm, 0, 0, 0x0c, 0x1020, 2);
	assert_int_equal(cfg_read(F.vm, 0, 0, 0x0c, 2), 0x1020);
}

static void test_pci_identity_registers_are_read_only(void **state)
{
	cfg_write(F.vm, 0, 0, 0, 0xdeadbeef, 4);
	cfg_write(F.vm, 1, 0, 0x08, 0xffffffff, 4);
	assert_int_equal(cfg_read(F.vm, 0, 0, 0, 4), 0x12378086);
	assert_int_equal(cfg_read(F.vm, 1, 0, 0x08, 4), 0x06010000);
	cfg_write(F.vm, 1, 0, 0x3c, 0x0b, 1);
	assert_int_equal(cfg_read(F.vm, 1, 0, 0x3c, 1), 0x0b);
}

struct bar_dev {
	uint64_t last_off;
	uint32_t last_val;
	unsigned size, accesses;
	bool last_write;
};

static int bar_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct bar_dev *d = dev;
	d->last_off = off;
	d->size = size;
	d->last_write = is_write;
	d->accesses++;
	if (is_write)
		memcpy(&d->last_val, data, size);
	else
		memset(data, 0x5a, size);
	return 0;
}

static struct bar_dev io_dev, mem_dev, mem64_dev;

static void add_test_device(void **state, unsigned slot)
{
	struct pci_func_info info = {
		.name = "test-dev", .vendor = 0x1af4, .device = 0x1000, .class_code = 0x020000,
		.irq_pin = 1,
	};
	info.bar[0] = (struct pci_bar){ PCI_BAR_IO, 32, false, bar_io, &io_dev };
	info.bar[1] = (struct pci_bar){ PCI_BAR_MEM32, 4096, false, bar_io, &mem_dev };
	info.bar[2] = (struct pci_bar){ PCI_BAR_MEM64, 0x4000, true, bar_io, &mem64_dev };
	memset(&io_dev, 0, sizeof(io_dev));
	memset(&mem_dev, 0, sizeof(mem_dev));
	memset(&mem64_dev, 0, sizeof(mem64_dev));
	assert_int_equal(pci_register(F.pci, slot, 0, &info), 0);
}

static void test_pci_bar_sizing_reads_the_mask_and_type_bits(void **state)
{
	add_test_device(state, 3);
	uint32_t io0 = cfg_read(F.vm, 3, 0, 0x10, 4);
	assert_int_equal(io0 & 1, 1);
	cfg_write(F.vm, 3, 0, 0x10, 0xffffffff, 4);
	assert_int_equal(cfg_read(F.vm, 3, 0, 0x10, 4), 0xffffffe1u);
	cfg_write(F.vm, 3, 0, 0x10, io0, 4);
	assert_int_equal(cfg_read(F.vm, 3, 0, 0x10, 4), io0);

	cfg_write(F.vm, 3, 0, 0x14, 0xffffffff, 4);
	assert_int_equal(cfg_read(F.vm, 3, 0, 0x14, 4), 0xfffff000u);
	cfg_write(F.vm, 3, 0, 0x18, 0xffffffff, 4);
	cfg_write(F.vm, 3, 0, 0x1c, 0xffffffff, 4);
	assert_int_equal(cfg_read(F.vm, 3, 0, 0x18, 4), 0xffffc00cu); /* 64-bit, prefetch */
	assert_int_equal(cfg_read(F.vm, 3, 0, 0x1c, 4), 0xffffffffu);
	/* unused BARs read zero and stay zero */
	cfg_write(F.vm, 3, 0, 0x20, 0xffffffff, 4);
	assert_int_equal(cfg_read(F.vm, 3, 0, 0x20, 4), 0);
	assert_int_equal(cfg_read(F.vm, 3, 0, 0x3d, 1), 1); /* INTA# */
}

static void test_pci_bars_get_firmware_addresses_and_decode(void **state)
{
	add_test_device(state, 3);
	uint64_t io = pci_bar_addr(F.pci, 3, 0, 0), mem = pci_bar_addr(F.pci, 3, 0, 1);
	uint64_t mem64 = pci_bar_addr(F.pci, 3, 0, 2);
	assert_true(io >= PCI_IO_BASE && io % 32 == 0);
	assert_true(mem >= PCI_MMIO_BASE && mem % 4096 == 0 && mem < PCI_MMIO_END);
	assert_true(mem64 >= PCI_MMIO_BASE && mem64 % 0x4000 == 0);
	assert_int_equal(cfg_read(F.vm, 3, 0, 0x04, 2) & 3, 3); /* I/O + memory on */

	assert_int_equal(test_in(F.vm, (uint16_t)(io + 6), 2), 0x5a5a);
	assert_int_equal(io_dev.last_off, 6);
	uint32_t v = 0x11223344;
	io_dispatch(&F.vm->mmio, mem + 0x10, &v, 4, true);
	assert_true(mem_dev.last_write);
	assert_int_equal(mem_dev.last_off, 0x10);
	assert_int_equal(mem_dev.last_val, 0x11223344);
	uint64_t v8 = 0;
	io_dispatch(&F.vm->mmio, mem64 + 0x3ff8, &v8, 8, false);
	assert_int_equal(mem64_dev.last_off, 0x3ff8);

	/* decoding off: the window reads all-ones and the device sees nothing */
	cfg_write(F.vm, 3, 0, 0x04, 0, 2);
	unsigned before = mem_dev.accesses;
	v = 0;
	io_dispatch(&F.vm->mmio, mem, &v, 4, false);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(mem_dev.accesses, before);
	assert_int_equal(test_in(F.vm, (uint16_t)io, 1), 0xff);
	/* moved by the guest: decodes at the new address */
	cfg_write(F.vm, 3, 0, 0x14, 0xd0000000, 4);
	cfg_write(F.vm, 3, 0, 0x04, 2, 2);
	io_dispatch(&F.vm->mmio, 0xd0000004, &v, 4, false);
	assert_int_equal(mem_dev.last_off, 4);
	assert_int_equal(pci_bar_addr(F.pci, 3, 0, 1), 0xd0000000);
}

static void test_pci_intx_follows_the_piix3_pirq_routing(void **state)
{
	add_test_device(state, 3);
	pci_set_irq(F.pci, 3, 0, 1); /* routing disabled at reset */
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(test_irq_level[i], 0);
	pci_set_irq(F.pci, 3, 0, 0);
	/* slot 3 INTA -> PIRQ[(3 + 1 - 1) & 3] = PIRQD (0x63) */
	cfg_write(F.vm, PCI_SLOT_ISA, 0, 0x63, 11, 1);
	pci_set_irq(F.pci, 3, 0, 1);
	assert_int_equal(test_irq_level[11], 1);
	pci_set_irq(F.pci, 3, 0, 0);
	assert_int_equal(test_irq_level[11], 0);
}

static void test_pci_reset_control_register_resets_on_bit_2(void **state)
{
	test_out(F.vm, 0xcf9, 0x02, 1);
	assert_int_equal(test_in(F.vm, 0xcf9, 1), 0x02);
	assert_false(vm_stopping(F.vm));
	test_out(F.vm, 0xcf9, 0x06, 1);
	assert_int_equal(F.vm->stop_reason, VM_STOP_RESET);
}

static void test_pci_register_refuses_taken_slots_and_bad_bars(void **state)
{
	struct pci_func_info info = { .name = "bad", .vendor = 1, .device = 2 };
	assert_int_equal(pci_register(F.pci, 0, 0, &info), -EEXIST);
	assert_int_equal(pci_register(F.pci, 32, 0, &info), -EINVAL);
	info.bar[0] = (struct pci_bar){ PCI_BAR_MEM32, 3000, false, bar_io, NULL };
	assert_int_equal(pci_register(F.pci, 4, 0, &info), -EINVAL);
	info.bar[0] = (struct pci_bar){ PCI_BAR_MEM64, 4096, false, bar_io, NULL };
	info.bar[5] = info.bar[0];
	assert_int_equal(pci_register(F.pci, 4, 0, &info), -EINVAL);
	/* the failed attempts left the slot free */
	assert_int_equal(cfg_read(F.vm, 4, 0, 0, 4), 0xffffffffu);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pci_host_bridge_is_i440fx_and_isa_bridge_piix3),
		T(test_pci_absent_slots_functions_and_buses_read_all_ones),
		T(test_pci_address_register_reads_back_and_byte_writes_do_not_latch),
		T(test_pci_data_port_serves_every_size_and_offset),
		T(test_pci_identity_registers_are_read_only),
		T(test_pci_bar_sizing_reads_the_mask_and_type_bits),
		T(test_pci_bars_get_firmware_addresses_and_decode),
		T(test_pci_intx_follows_the_piix3_pirq_routing),
		T(test_pci_reset_control_register_resets_on_bit_2),
		T(test_pci_register_refuses_taken_slots_and_bad_bars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

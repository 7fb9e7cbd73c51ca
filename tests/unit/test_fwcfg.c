/* test_fwcfg.c: QEMU fw_cfg over I/O ports: the standard keys, integer
 * byte order, the big-endian file directory and its sort order, reads past
 * the end, replacing items, and the access sizes QEMU accepts. */
#include "tests/unit/util.h"

#include <errno.h>
#include <string.h>

#include "vmm/dev/dev.h"

struct fixture {
	struct vm *vm;
	struct fwcfg *fw;
};

static int setup(void **state)
{
	static struct fixture f;
	struct vm_config cfg = { .mem_size = 64 * MiB, .nr_vcpus = 3 };
	f.vm = vm_create(&cfg);
	assert_non_null(f.vm);
	f.fw = fwcfg_create(f.vm);
	assert_non_null(f.fw);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fwcfg_destroy(f->fw);
	vm_destroy(f->vm);
	return 0;
}

#define F (*(struct fixture *)*state)

static void fw_select(struct vm *vm, uint16_t key)
{
	test_out(vm, 0x510, key, 2);
}

static void fw_read(struct vm *vm, void *buf, size_t len)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = inb(vm, 0x511);
}

static uint64_t fw_read_le(struct vm *vm, uint16_t key, unsigned bytes)
{
	uint8_t b[8];
	fw_select(vm, key);
	fw_read(vm, b, bytes);
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void test_fwcfg_signature_reads_qemu(void **state)
{
	char sig[5] = { 0 };
	fw_select(F.vm, FW_CFG_SIGNATURE);
	fw_read(F.vm, sig, 4);
	assert_string_equal(sig, "QEMU");
}

static void test_fwcfg_id_says_traditional_interface_without_dma(void **state)
{
	assert_int_equal(fw_read_le(F.vm, FW_CFG_ID, 4), 1);
}

static void test_fwcfg_ram_size_and_cpu_counts_are_little_endian(void **state)
{
	assert_int_equal(fw_read_le(F.vm, FW_CFG_RAM_SIZE, 8), 64 * MiB);
	assert_int_equal(fw_read_le(F.vm, FW_CFG_NB_CPUS, 2), 3);
	assert_int_equal(fw_read_le(F.vm, FW_CFG_MAX_CPUS, 2), 3);
	assert_int_equal(fw_read_le(F.vm, FW_CFG_NOGRAPHIC, 2), 1);
	uint8_t uuid[16], zero[16] = { 0 };
	fw_select(F.vm, FW_CFG_UUID);
	fw_read(F.vm, uuid, sizeof(uuid));
	assert_memory_equal(uuid, zero, sizeof(zero));
}

static void test_fwcfg_reads_past_the_end_and_of_unknown_keys_return_zero(void **state)
{
	fw_select(F.vm, FW_CFG_SIGNATURE);
	uint8_t b[8];
	fw_read(F.vm, b, sizeof(b));
	assert_memory_equal(b, "QEMU\0\0\0\0", 8);
	fw_select(F.vm, 0x1234);
	assert_int_equal(inb(F.vm, 0x511), 0);
}

static void test_fwcfg_selecting_rewinds_the_item(void **state)
{
	fw_select(F.vm, FW_CFG_SIGNATURE);
	assert_int_equal(inb(F.vm, 0x511), 'Q');
	assert_int_equal(inb(F.vm, 0x510), 'E'); /* byte reads at 0x510 read data too */
	fw_select(F.vm, FW_CFG_SIGNATURE);
	assert_int_equal(inb(F.vm, 0x511), 'Q');
}

static void test_fwcfg_integers_added_by_the_loader_are_little_endian(void **state)
{
	assert_int_equal(fwcfg_add_u32(F.fw, FW_CFG_KERNEL_SIZE, 0x11223344), 0);
	fw_select(F.vm, FW_CFG_KERNEL_SIZE);
	uint8_t b[4];
	fw_read(F.vm, b, 4);
	assert_memory_equal(b, "\x44\x33\x22\x11", 4);
}

static void test_fwcfg_replacing_an_item_changes_its_contents_and_size(void **state)
{
	assert_int_equal(fwcfg_add_bytes(F.fw, FW_CFG_KERNEL_CMDLINE, "console=ttyS0", 14), 0);
	assert_int_equal(fwcfg_add_bytes(F.fw, FW_CFG_KERNEL_CMDLINE, "quiet", 6), 0);
	char buf[16];
	fw_select(F.vm, FW_CFG_KERNEL_CMDLINE);
	fw_read(F.vm, buf, sizeof(buf));
	assert_string_equal(buf, "quiet");
	assert_int_equal(buf[7], 0);
	assert_int_equal(fwcfg_add_u64(F.fw, FW_CFG_RAM_SIZE, 5), 0);
	assert_int_equal(fw_read_le(F.vm, FW_CFG_RAM_SIZE, 8), 5);
}

static void test_fwcfg_file_directory_is_big_endian_and_sorted_by_name(void **state)
{
	assert_int_equal(fwcfg_add_file(F.fw, "etc/e820", "0123456789", 10), 0);
	assert_int_equal(fwcfg_add_file(F.fw, "bootorder", "", 0), 0);
	assert_int_equal(fwcfg_add_file(F.fw, "etc/acpi/tables", "abc", 3), 0);
	uint8_t dir[4 + 3 * 64];
	fw_select(F.vm, FW_CFG_FILE_DIR);
	fw_read(F.vm, dir, sizeof(dir));
	assert_int_equal(be32(dir), 3);
	static const struct {
		const char *name;
		uint32_t size;
		uint16_t key;
	} want[] = { { "bootorder", 0, 0x21 }, { "etc/acpi/tables", 3, 0x22 },
		     { "etc/e820", 10, 0x20 } };
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *e = dir + 4 + 64 * i;
		assert_int_equal(be32(e), want[i].size);
		assert_int_equal(e[4] << 8 | e[5], want[i].key);
		assert_int_equal(e[6] | e[7], 0);
		assert_string_equal((const char *)e + 8, want[i].name);
	}
	char buf[11] = { 0 };
	fw_select(F.vm, 0x20);
	fw_read(F.vm, buf, 10);
	assert_string_equal(buf, "0123456789");
}

static void test_fwcfg_replacing_a_file_keeps_its_key_and_updates_its_size(void **state)
{
	assert_int_equal(fwcfg_add_file(F.fw, "etc/x", "1", 1), 0);
	assert_int_equal(fwcfg_add_file(F.fw, "etc/x", "4444", 4), 0);
	uint8_t dir[4 + 64];
	fw_select(F.vm, FW_CFG_FILE_DIR);
	fw_read(F.vm, dir, sizeof(dir));
	assert_int_equal(be32(dir), 1);
	assert_int_equal(be32(dir + 4), 4);
	assert_int_equal(dir[8] << 8 | dir[9], 0x20);
}

static void test_fwcfg_rejects_file_names_that_do_not_fit(void **state)
{
	char name[64];
	memset(name, 'a', sizeof(name) - 1);
	name[63] = 0;
	vmm_log_quiet = 1;
	assert_int_equal(fwcfg_add_file(F.fw, name, "x", 1), -EINVAL);
	assert_int_equal(fwcfg_add_file(F.fw, "", "x", 1), -EINVAL);
	vmm_log_quiet = 0;
	name[55] = 0; /* 55 characters and the NUL: the most QEMU's entry holds */
	assert_int_equal(fwcfg_add_file(F.fw, name, "x", 1), 0);
}

static void test_fwcfg_only_16_bit_selector_writes_select(void **state)
{
	vmm_log_quiet = 1;
	fw_select(F.vm, FW_CFG_SIGNATURE);
	assert_int_equal(inb(F.vm, 0x511), 'Q');
	outb(F.vm, 0x510, FW_CFG_ID); /* an 8-bit write is a (ignored) data write */
	assert_int_equal(inb(F.vm, 0x511), 'E');
	test_out(F.vm, 0x510, FW_CFG_ID, 4); /* not a size QEMU accepts */
	assert_int_equal(inb(F.vm, 0x511), 'M');
	assert_int_equal(test_in(F.vm, 0x510, 2), 0xffff); /* unclaimed */
	vmm_log_quiet = 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fwcfg_signature_reads_qemu),
		T(test_fwcfg_id_says_traditional_interface_without_dma),
		T(test_fwcfg_ram_size_and_cpu_counts_are_little_endian),
		T(test_fwcfg_reads_past_the_end_and_of_unknown_keys_return_zero),
		T(test_fwcfg_selecting_rewinds_the_item),
		T(test_fwcfg_integers_added_by_the_loader_are_little_endian),
		T(test_fwcfg_replacing_an_item_changes_its_contents_and_size),
		T(test_fwcfg_file_directory_is_big_endian_and_sorted_by_name),
		T(test_fwcfg_replacing_a_file_keeps_its_key_and_updates_its_size),
		T(test_fwcfg_rejects_file_names_that_do_not_fit),
		T(test_fwcfg_only_16_bit_selector_writes_select),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

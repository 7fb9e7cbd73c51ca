/* test_core.c: io spaces, guest memory layout, timers, size parsing. */
#include "tests/unit/util.h"

#include <errno.h>
#include <string.h>

#include "vmm/core/x86.h"

static int dummy_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	if (!is_write) {
		uint32_t v = 0x1000u + (uint32_t)off;
		memcpy(data, &v, size);
	} else {
		*(uint64_t *)dev = off;
	}
	return 0;
}

static void test_io_register_rejects_overlap(void **state)
{
	struct io_space s;
	io_space_init(&s, "pio", 0x10000);
	uint64_t dev = 0;
	assert_int_equal(io_register(&s, 0x3f8, 8, "uart", dummy_io, &dev), 0);
	assert_int_equal(io_register(&s, 0x3fc, 8, "other", dummy_io, &dev), -EEXIST);
	assert_int_equal(io_register(&s, 0x3f0, 9, "below", dummy_io, &dev), -EEXIST);
	assert_int_equal(io_register(&s, 0x3f0, 8, "adjacent", dummy_io, &dev), 0);
	assert_int_equal(io_register(&s, 0x400, 1, "after", dummy_io, &dev), 0);
	assert_int_equal(io_register(&s, 0xffff, 2, "past-limit", dummy_io, &dev), -EINVAL);
	assert_int_equal(io_register(&s, 0x10, 0, "empty", dummy_io, &dev), -EINVAL);
	io_space_fini(&s);
}

static void test_io_dispatch_reaches_device_with_offset(void **state)
{
	struct io_space s;
	io_space_init(&s, "pio", 0x10000);
	uint64_t last = 99;
	assert_int_equal(io_register(&s, 0x70, 2, "rtc", dummy_io, &last), 0);
	uint32_t v = 0;
	io_dispatch(&s, 0x71, &v, 1, false);
	assert_int_equal(v, 0x01);
	v = 5;
	io_dispatch(&s, 0x71, &v, 1, true);
	assert_int_equal(last, 1);
	assert_int_equal(io_lookup(&s, 0x70)->reads, 1);
	assert_int_equal(io_lookup(&s, 0x70)->writes, 1);
	io_space_fini(&s);
}

static void test_io_unclaimed_reads_all_ones_and_counts(void **state)
{
	struct io_space s;
	io_space_init(&s, "pio", 0x10000);
	vmm_log_quiet = 1;
	uint32_t v = 0;
	io_dispatch(&s, 0x1234, &v, 2, false);
	assert_int_equal(v, 0xffff);
	io_dispatch(&s, 0x1234, &v, 4, false);
	assert_int_equal(v, 0xffffffff);
	io_dispatch(&s, 0x1235, &v, 1, true);
	assert_int_equal(s.unclaimed_reads, 2);
	assert_int_equal(s.unclaimed_writes, 1);
	assert_int_equal(s.nr_logged, 2); /* once per address */
	vmm_log_quiet = 0;
	io_space_fini(&s);
}

static void test_io_access_straddling_range_end_is_unclaimed(void **state)
{
	struct io_space s;
	io_space_init(&s, "pio", 0x10000);
	vmm_log_quiet = 1;
	uint64_t dev;
	assert_int_equal(io_register(&s, 0x60, 1, "kbd", dummy_io, &dev), 0);
	uint32_t v = 0;
	io_dispatch(&s, 0x60, &v, 2, false);
	assert_int_equal(v, 0xffff);
	vmm_log_quiet = 0;
	io_space_fini(&s);
}

static void test_mem_layout_has_pc_holes(void **state)
{
	struct guest_mem m;
	assert_int_equal(mem_init(&m, 128 * MiB), 0);
	struct e820_entry e[MEM_MAX_E820];
	unsigned n = mem_e820(&m, e, MEM_MAX_E820);
	assert_int_equal(n, 4);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, 0x9fc00);
	assert_int_equal(e[0].type, E820_RAM);
	assert_int_equal(e[1].type, E820_RESERVED);
	assert_int_equal(e[2].addr, 0xe0000);
	assert_int_equal(e[2].type, E820_RESERVED);
	assert_int_equal(e[3].addr, 0x100000);
	assert_int_equal(e[3].size, 127 * MiB);
	/* VGA text memory is backed */
	assert_non_null(mem_gpa_to_hva(&m, MEM_VGA_TEXT, 4000));
	assert_null(mem_gpa_to_hva(&m, 128 * MiB - 4, 8));
	assert_null(mem_gpa_to_hva(&m, ~0ull - 2, 8));
	mem_fini(&m);
}

static void test_mem_above_lowmem_limit_moves_to_4g(void **state)
{
	struct guest_mem m;
	assert_int_equal(mem_init(&m, 4 * GiB), 0);
	assert_int_equal(mem_lowmem_size(&m), MEM_LOWMEM_LIMIT);
	assert_int_equal(mem_highmem_size(&m), 1 * GiB);
	assert_null(mem_gpa_to_hva(&m, 0xd0000000, 1));
	uint8_t *p = mem_gpa_to_hva(&m, MEM_HIGHMEM_BASE, 1);
	assert_non_null(p);
	*p = 0x5a;
	uint8_t b = 0;
	assert_int_equal(mem_read(&m, MEM_HIGHMEM_BASE, &b, 1), 0);
	assert_int_equal(b, 0x5a);
	assert_int_equal(mem_read(&m, MEM_LOWMEM_LIMIT - 1, &b, 2), -EFAULT);
	mem_fini(&m);
}

static void test_mem_rejects_bad_sizes(void **state)
{
	struct guest_mem m;
	vmm_log_quiet = 1;
	assert_int_equal(mem_init(&m, 4096), -EINVAL);
	vmm_log_quiet = 0;
}

static void test_mem_rom_region_is_reserved_in_e820(void **state)
{
	struct guest_mem m;
	assert_int_equal(mem_init(&m, 16 * MiB), 0);
	assert_non_null(mem_add_region(&m, "rom", 0xfffc0000, 0x10000, MEM_READONLY));
	assert_null(mem_add_region(&m, "clash", 0x100000, 4096, 0));
	struct e820_entry e[MEM_MAX_E820];
	unsigned n = mem_e820(&m, e, MEM_MAX_E820);
	assert_int_equal(e[n - 1].addr, 0xfffc0000);
	assert_int_equal(e[n - 1].type, E820_RESERVED);
	mem_fini(&m);
}

static unsigned fired[3];
static void on_timer(void *opaque, uint64_t now)
{
	fired[(uintptr_t)opaque]++;
}

static void test_timers_fire_in_deadline_order_once(void **state)
{
	struct timer_list tl;
	struct vm_timer t[3];
	timer_list_init(&tl, NULL, NULL);
	for (uintptr_t i = 0; i < 3; i++)
		timer_init(&t[i], &tl, on_timer, (void *)i);
	timer_mod(&t[0], 300);
	timer_mod(&t[1], 100);
	timer_mod(&t[2], 200);
	assert_int_equal(timer_next_deadline(&tl), 100);
	timer_del(&t[2]);
	assert_int_equal(timer_run_due(&tl, 250), 1);
	assert_int_equal(fired[1], 1);
	assert_int_equal(fired[2], 0);
	assert_int_equal(timer_next_deadline(&tl), 300);
	assert_int_equal(timer_run_due(&tl, 1000), 1);
	assert_int_equal(timer_next_deadline(&tl), UINT64_MAX);
	timer_list_fini(&tl);
}

static void test_parse_size_accepts_units_and_rejects_junk(void **state)
{
	uint64_t v;
	assert_int_equal(vmm_parse_size("128M", &v), 0);
	assert_int_equal(v, 128 * MiB);
	assert_int_equal(vmm_parse_size("1GiB", &v), 0);
	assert_int_equal(v, GiB);
	assert_int_equal(vmm_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(vmm_parse_size("12Q", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("-1", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("99999999999999T", &v), -EINVAL);
}

static void test_x86_descriptor_roundtrip(void **state)
{
	struct x86_seg s, t;
	x86_seg_flat(&s, 0x10, true, false);
	uint64_t d = x86_seg_to_desc(&s);
	assert_int_equal(d, 0x00cf9b000000ffffull);
	x86_seg_from_desc(&t, 0x10, d);
	assert_int_equal(t.limit, 0xffffffff);
	assert_int_equal(t.type, X86_SEG_TYPE_CODE_RX);
	assert_int_equal(t.db, 1);
	x86_seg_flat(&s, 0x08, true, true);
	assert_int_equal(x86_seg_to_desc(&s), 0x00af9b000000ffffull);
}

static void test_x86_mode_names(void **state)
{
	struct x86_state s;
	x86_state_reset(&s);
	assert_string_equal(x86_mode_name(&s), "real");
	s.cr0 |= X86_CR0_PE;
	x86_seg_flat(&s.seg[X86_CS], 0x10, true, false);
	assert_string_equal(x86_mode_name(&s), "prot32");
	s.efer |= X86_EFER_LMA;
	x86_seg_flat(&s.seg[X86_CS], 0x08, true, true);
	assert_string_equal(x86_mode_name(&s), "long");
	char buf[2048];
	assert_true(x86_state_format(&s, buf, sizeof(buf)) > 100);
	assert_non_null(strstr(buf, "mode=long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_register_rejects_overlap),
		cmocka_unit_test(test_io_dispatch_reaches_device_with_offset),
		cmocka_unit_test(test_io_unclaimed_reads_all_ones_and_counts),
		cmocka_unit_test(test_io_access_straddling_range_end_is_unclaimed),
		cmocka_unit_test(test_mem_layout_has_pc_holes),
		cmocka_unit_test(test_mem_above_lowmem_limit_moves_to_4g),
		cmocka_unit_test(test_mem_rejects_bad_sizes),
		cmocka_unit_test(test_mem_rom_region_is_reserved_in_e820),
		cmocka_unit_test(test_timers_fire_in_deadline_order_once),
		cmocka_unit_test(test_parse_size_accepts_units_and_rejects_junk),
		cmocka_unit_test(test_x86_descriptor_roundtrip),
		cmocka_unit_test(test_x86_mode_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

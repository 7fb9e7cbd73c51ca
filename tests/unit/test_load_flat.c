/* test_load_flat.c: flat binaries in real and protected mode, plus what
 * load.c does for every format: format names, detection failures, file
 * errors and the image hash. */
#include "tests/unit/util.h"
#include "tests/unit/util_images.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct util_img bytes(size_t n)
{
	struct util_img img = { 0 };
	for (size_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)(0x40 + i % 64);
		util_img_put(&img, i, &b, 1);
	}
	return img;
}

static void flat(struct util_fx *f, gpa_t addr, gpa_t entry, unsigned bits)
{
	f->p.format = LOAD_FLAT;
	f->p.flat_addr = addr;
	f->p.flat_entry = entry;
	f->p.flat_bits = bits;
}

static void test_flat16_boot_sector_enters_real_mode_at_7c00(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(512);
	flat(f, 0x7c00, 0, 16);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	const uint8_t *k = util_fx_gpa(f, 0x7c00, 512);
	assert_int_equal(k[0], 0x40);
	assert_int_equal(k[511], 0x40 + 511 % 64);
	const struct x86_state *s = &f->res.entry;
	assert_string_equal(x86_mode_name(s), "real");
	assert_int_equal(s->seg[X86_CS].sel, 0);
	assert_int_equal(s->seg[X86_CS].base, 0);
	assert_int_equal(s->rip, 0x7c00);
	assert_int_equal(s->gpr[X86_RSP], 0x7c00);
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		if (i != X86_CS) {
			assert_int_equal(s->seg[i].sel, 0);
			assert_int_equal(s->seg[i].base, 0);
			assert_int_equal(s->seg[i].limit, 0xffff);
		}
	assert_false(s->cr0 & X86_CR0_PE);
	assert_int_equal(s->rflags, 0x2);
	assert_int_equal(s->idt.base, 0);
	assert_int_equal(s->idt.limit, 0x3ff);
	assert_string_equal(f->res.info.entry_mode, "real");
	assert_int_equal(f->res.info.bits, 16);
	assert_int_equal(f->res.kernel_addr, 0x7c00);
	assert_int_equal(f->res.kernel_size, 512);
}

static void test_flat16_entry_above_64k_uses_cs_segment(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(0x100);
	flat(f, 0x10000, 0x10013, 16);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	const struct x86_state *s = &f->res.entry;
	assert_int_equal(s->seg[X86_CS].sel, 0x1001);
	assert_int_equal(s->seg[X86_CS].base, 0x10010);
	assert_int_equal(s->rip, 0x3);
	assert_int_equal(s->gpr[X86_RSP], 0); /* first push lands at 0xfffe */
}

static void test_flat16_stack_below_64k_when_image_is_low_or_high(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(0x100);
	flat(f, 0x20000, 0, 16);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	assert_int_equal(f->res.entry.gpr[X86_RSP], 0xfffe);
	assert_int_equal(f->res.entry.seg[X86_CS].sel, 0x2000);
	assert_int_equal(f->res.entry.rip, 0);
}

static void test_flat32_enters_flat_protected_mode(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(0x2000);
	flat(f, 0x100000, 0x100100, 32);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	const struct x86_state *s = &f->res.entry;
	assert_string_equal(x86_mode_name(s), "prot32");
	assert_int_equal(s->rip, 0x100100);
	assert_int_equal(s->gpr[X86_RAX], 0);
	assert_int_equal(s->gpr[X86_RBX], 0);
	assert_int_equal(s->gpr[X86_RSP], 0x7000);
	assert_int_equal(s->cr0, X86_CR0_PE | X86_CR0_ET);
	assert_int_equal(s->seg[X86_CS].sel, LOAD_SEL_CODE);
	assert_int_equal(s->seg[X86_SS].sel, LOAD_SEL_DATA);
	assert_int_equal(s->gdt.base, LOAD_GDT_ADDR);
	struct x86_seg seg;
	x86_seg_from_desc(&seg, 0x10, util_get64(util_fx_gpa(f, LOAD_GDT_ADDR + 0x10, 8)));
	assert_int_equal(seg.db, 1);
	assert_int_equal(seg.limit, 0xffffffff);
	assert_int_equal(util_fx_gpa(f, 0x101fff, 1)[0], 0x40 + 0x1fff % 64);
}

static void test_probe_hashes_image_with_fnv1a(void **state)
{
	struct load_params p = { .format = LOAD_FLAT, .flat_addr = 0x7c00, .flat_bits = 16 };
	struct guest_info info;
	assert_int_equal(load_probe_image("a.bin", (const uint8_t *)"a", 1, &p, &info), 0);
	assert_int_equal(info.image_hash, 0xaf63dc4c8601ec8cull); /* FNV-1a 64 of "a" */
	assert_int_equal(info.image_size, 1);
	assert_int_equal(info.format, LOAD_FLAT);
	assert_int_equal(info.nr_code, 1);
	assert_int_equal(info.code[0].gpa, 0x7c00);
	assert_int_equal(info.code[0].bits, 16);
	assert_string_equal(info.name, "a.bin");
	assert_int_equal(load_probe_image("b", (const uint8_t *)"foobar", 6, &p, &info), 0);
	assert_int_equal(info.image_hash, 0x85944171f73967e8ull); /* FNV-1a 64 of "foobar" */
	util_log_begin(); /* no params: auto-detection */
	int r = load_probe_image("c", (const uint8_t *)"foobar", 6, NULL, &info);
	util_expect_error(r, "c: not a Multiboot", NULL);
}

static void test_format_names_round_trip(void **state)
{
	static const char *const names[] = { "auto", "multiboot", "elf64", "bzimage", "flat" };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(names); i++) {
		enum load_format fmt = LOAD_ELF64;
		assert_int_equal(load_format_parse(names[i], &fmt), 0);
		assert_int_equal(fmt, i);
		assert_string_equal(load_format_name(fmt), names[i]);
	}
	enum load_format fmt;
	assert_int_equal(load_format_parse("pe", &fmt), -EINVAL);
	assert_int_equal(load_format_parse(NULL, &fmt), -EINVAL);
}

static void test_auto_refuses_unknown_image_with_hint(void **state)
{
	struct util_img img = bytes(4096);
	util_fx_refused(*state, &img, "not a Multiboot, ELF64 or bzImage kernel (use --format flat");
}

static void test_auto_refuses_empty_file(void **state)
{
	struct util_img img = { 0 };
	util_fx_refused(*state, &img, "file is empty");
}

static void test_load_refuses_missing_file(void **state)
{
	struct util_fx *f = *state;
	f->p.kernel = "/nonexistent/kernel.elf";
	struct load_result res;
	util_log_begin();
	int r = load_kernel(&f->m, &f->p, &res);
	util_expect_error(r, "/nonexistent/kernel.elf: cannot open: No such file or directory",
			  NULL);
	assert_int_equal(r, -ENOENT);
	struct guest_info info;
	util_log_begin();
	r = load_probe(&f->p, &info);
	util_expect_error(r, "/nonexistent/kernel.elf: cannot open", NULL);
}

static void test_load_refuses_directory(void **state)
{
	struct util_fx *f = *state;
	f->p.kernel = "/";
	struct load_result res;
	util_log_begin();
	int r = load_kernel(&f->m, &f->p, &res);
	util_expect_error(r, "/: a directory, not an image file", NULL);
}

static void test_flat_refuses_image_that_does_not_fit(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(0x3000);
	flat(f, UTIL_FX_RAM - 0x2000, 0, 32);
	util_fx_refused(f, &img, "flat image [0x3ffe000-0x4001000) does not fit in guest RAM");
}

static void test_flat32_refuses_load_over_loader_areas(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(0x100);
	flat(f, 0x500, 0, 32);
	util_fx_refused(f, &img, "[0x500-0x600) is below 0x20000");
}

static void test_flat_refuses_bad_bits(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(0x100);
	flat(f, 0x100000, 0, 24);
	util_fx_refused(f, &img, "flat_bits 24");
}

static void test_flat_refuses_entry_outside_image(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(0x100);
	flat(f, 0x100000, 0x100100, 32);
	util_fx_refused(f, &img, "entry 0x100100 is outside the image [0x100000-0x100100)");
}

static void test_flat16_refuses_entry_above_1m(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(0x100);
	flat(f, 0x100000, 0, 16);
	util_fx_refused(f, &img, "above 1 MiB");
}

static void test_flat_refuses_wrapping_address(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bytes(0x200);
	flat(f, 0xffffffffffffff00ull, 0xffffffffffffff00ull, 16);
	util_fx_refused(f, &img, "reaches past the address space");
}

static void test_flat_refuses_empty_image(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = { 0 };
	flat(f, 0x100000, 0, 32);
	util_fx_refused(f, &img, "flat image is empty");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, util_fx_setup, util_fx_teardown)
		T(test_flat16_boot_sector_enters_real_mode_at_7c00),
		T(test_flat16_entry_above_64k_uses_cs_segment),
		T(test_flat16_stack_below_64k_when_image_is_low_or_high),
		T(test_flat32_enters_flat_protected_mode),
		T(test_probe_hashes_image_with_fnv1a),
		T(test_format_names_round_trip),
		T(test_auto_refuses_unknown_image_with_hint),
		T(test_auto_refuses_empty_file),
		T(test_load_refuses_missing_file),
		T(test_load_refuses_directory),
		T(test_flat_refuses_image_that_does_not_fit),
		T(test_flat32_refuses_load_over_loader_areas),
		T(test_flat_refuses_bad_bits),
		T(test_flat_refuses_entry_outside_image),
		T(test_flat16_refuses_entry_above_1m),
		T(test_flat_refuses_wrapping_address),
		T(test_flat_refuses_empty_image),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

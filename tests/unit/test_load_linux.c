/* test_load_linux.c: bzImage kernels through the 32- and 64-bit boot protocols: load
 * address, entry, the zero page built from the setup header, initrd
 * placement, detection order, and refused images. */
#include "tests/unit/util.h"
#include "tests/unit/util_images.h"

#include <stdlib.h>
#include <string.h>

#define SETUP ((4 + 1) * 512) /* default setup_sects 4 */

static struct util_img bz(void)
{
	struct util_bz o;
	util_bz_defaults(&o);
	return util_bzimage(&o);
}

static void test_bzimage_loads_at_aligned_1m_with_64bit_entry(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bz();
	uint8_t payload[0x1000];
	memcpy(payload, img.data + SETUP, sizeof(payload));
	assert_int_equal(util_fx_load(f, &img, "console=ttyS0"), 0);
	/* relocatable, kernel_alignment 2 MiB: 1 MiB rounds up to 2 MiB */
	assert_memory_equal(util_fx_gpa(f, 2 * MiB, sizeof(payload)), payload, sizeof(payload));
	assert_int_equal(util_fx_gpa(f, MiB, 1)[0], 0);
	const struct x86_state *s = &f->res.entry;
	assert_int_equal(s->rip, 2 * MiB + 0x200);
	assert_int_equal(s->gpr[X86_RSI], LOAD_ZERO_PAGE);
	assert_int_equal(s->efer, X86_EFER_LME | X86_EFER_LMA);
	assert_int_equal(s->cr3, LOAD_PML4_ADDR);
	assert_int_equal(s->seg[X86_CS].sel, 0x10);
	assert_int_equal(s->seg[X86_DS].sel, 0x18);
	assert_int_equal(s->seg[X86_SS].sel, 0x18);
	assert_false(s->rflags & X86_FLAGS_IF);
	assert_string_equal(x86_mode_name(s), "long");
	assert_int_equal(f->res.kernel_addr, 2 * MiB);
	assert_int_equal(f->res.kernel_size, 0x1000);
	assert_int_equal(f->res.info.format, LOAD_BZIMAGE);
	/* the identity map is in place */
	assert_int_equal(util_get64(util_fx_gpa(f, LOAD_PML4_ADDR, 8)),
			 LOAD_PDPT_ADDR | X86_PTE_P | X86_PTE_RW);
}

static void test_bzimage_zero_page_copies_setup_header_and_fills_fields(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bz();
	uint8_t hdr[0x26c];
	memcpy(hdr, img.data, sizeof(hdr));
	f->p.acpi_rsdp = 0xf0000;
	assert_int_equal(util_fx_load(f, &img, "root=/dev/vda"), 0);
	const uint8_t *zp = util_fx_gpa(f, LOAD_ZERO_PAGE, 4096);
	assert_int_equal(zp[0x1f0], 0);
	assert_int_equal(util_get64(zp + 0x070), 0xf0000); /* acpi_rsdp_addr */
	assert_memory_equal(zp + 0x1f1, hdr + 0x1f1, 0x210 - 0x1f1);
	assert_int_equal(zp[0x210], 0xff);            /* type_of_loader */
	assert_int_equal(zp[0x211], 0x81);            /* LOADED_HIGH | CAN_USE_HEAP */
	assert_int_equal(util_get32(zp + 0x214), 2 * MiB); /* code32_start */
	assert_int_equal(util_get16(zp + 0x224), 0x9000 - 0x7000 - 0x200);
	assert_int_equal(util_get32(zp + 0x228), LOAD_CMDLINE_ADDR);
	assert_memory_equal(zp + 0x22c, hdr + 0x22c, 0x26c - 0x22c);
	assert_int_equal(zp[0x26c], 0); /* past the header: not copied */
	assert_string_equal((char *)util_fx_gpa(f, LOAD_CMDLINE_ADDR, 1), "root=/dev/vda");
	struct e820_entry e[MEM_MAX_E820];
	unsigned n = mem_e820(&f->m, e, MEM_MAX_E820);
	assert_int_equal(zp[0x1e8], n);
	assert_int_equal(util_get64(zp + 0x2d0 + 8), 0x9fc00);
	assert_int_equal(util_get32(zp + 0x2d0 + 16), 1);
}

static void test_bzimage_initrd_goes_high_below_initrd_addr_max(void **state)
{
	struct util_fx *f = *state;
	struct util_bz o;
	util_bz_defaults(&o);
	o.initrd_addr_max = 0x2ffffff; /* below 48 MiB */
	struct util_img img = util_bzimage(&o);
	uint8_t rd[6000];
	memset(rd, 0x5a, sizeof(rd));
	char *rdpath = util_temp_write(rd, sizeof(rd));
	f->p.initrd = rdpath;
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	gpa_t want = VMM_ALIGN_DOWN(0x3000000 - sizeof(rd), 4096);
	const uint8_t *zp = util_fx_gpa(f, LOAD_ZERO_PAGE, 4096);
	assert_int_equal(util_get32(zp + 0x218), want);
	assert_int_equal(util_get32(zp + 0x21c), sizeof(rd));
	assert_memory_equal(util_fx_gpa(f, want, sizeof(rd)), rd, sizeof(rd));
	util_temp_remove(rdpath);
}

static void test_bzimage_non_relocatable_loads_at_1m(void **state)
{
	struct util_fx *f = *state;
	struct util_bz o;
	util_bz_defaults(&o);
	o.relocatable = 0;
	o.kernel_alignment = 0; /* ignored when not relocatable */
	struct util_img img = util_bzimage(&o);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	assert_int_equal(f->res.kernel_addr, MiB);
	assert_int_equal(f->res.entry.rip, MiB + 0x200);
	assert_int_equal(util_fx_gpa(f, MiB, 1)[0], 1);
}

static void test_bzimage_large_alignment_moves_load_address(void **state)
{
	struct util_fx *f = *state;
	struct util_bz o;
	util_bz_defaults(&o);
	o.kernel_alignment = 16 * MiB;
	struct util_img img = util_bzimage(&o);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	assert_int_equal(f->res.kernel_addr, 16 * MiB);
}

static void test_bzimage_setup_sects_zero_means_four(void **state)
{
	struct util_fx *f = *state;
	struct util_bz o;
	util_bz_defaults(&o);
	o.setup_sects = 0;
	struct util_img img = util_bzimage(&o);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	assert_int_equal(util_fx_gpa(f, 2 * MiB, 1)[0], 1); /* payload byte 0 */
}

static void test_bzimage_probe_reports_32_and_64bit_code(void **state)
{
	struct util_img img = bz();
	struct load_params p = { .kernel = "bzImage" };
	struct guest_info info;
	assert_int_equal(load_probe_image("boot/bzImage", img.data, img.len, &p, &info), 0);
	assert_int_equal(info.format, LOAD_BZIMAGE);
	assert_int_equal(info.bits, 64);
	assert_string_equal(info.entry_mode, "long");
	assert_int_equal(info.entry, 2 * MiB + 0x200);
	assert_int_equal(info.nr_code, 2);
	assert_int_equal(info.code[0].gpa, 2 * MiB);
	assert_int_equal(info.code[0].file_off, SETUP);
	assert_int_equal(info.code[0].size, 0x200);
	assert_int_equal(info.code[0].bits, 32);
	assert_int_equal(info.code[1].gpa, 2 * MiB + 0x200);
	assert_int_equal(info.code[1].size, 0x1000 - 0x200);
	assert_int_equal(info.code[1].bits, 64);
	assert_string_equal(info.name, "bzImage");
	free(img.data);
}

static void test_bzimage_detected_before_multiboot_header(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bz();
	util_mb_header(&img, 0x400, 0, NULL);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	assert_int_equal(f->res.info.format, LOAD_BZIMAGE);
}

static void test_bzimage_refuses_old_boot_protocol(void **state)
{
	struct util_bz o;
	util_bz_defaults(&o);
	o.version = 0x209;
	struct util_img img = util_bzimage(&o);
	util_fx_refused(*state, &img, "version 2.09 is too old");
}

/* boot.rst "32-bit BOOT PROTOCOL": a kernel without XLF_KERNEL_64 (Debian's
 * 686) starts at code32_start in flat protected mode, paging off. */
static struct util_img bz32(void)
{
	struct util_bz o;
	util_bz_defaults(&o);
	o.xloadflags = 0x2; /* XLF_CAN_BE_LOADED_ABOVE_4G alone: no 64-bit entry */
	return util_bzimage(&o);
}

static void test_bzimage_32bit_kernel_enters_code32_start_flat_paging_off(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = bz32();
	uint8_t payload[0x1000];
	memcpy(payload, img.data + SETUP, sizeof(payload));
	assert_int_equal(util_fx_load(f, &img, "console=ttyS0"), 0);
	/* the whole protected-mode kernel, startup_32 included, at 2 MiB */
	assert_memory_equal(util_fx_gpa(f, 2 * MiB, sizeof(payload)), payload, sizeof(payload));
	const struct x86_state *s = &f->res.entry;
	assert_int_equal(s->rip, 2 * MiB);
	assert_int_equal(s->gpr[X86_RSI], LOAD_ZERO_PAGE);
	assert_int_equal(s->gpr[X86_RBP], 0);
	assert_int_equal(s->gpr[X86_RDI], 0);
	assert_int_equal(s->gpr[X86_RBX], 0);
	assert_int_equal(s->efer, 0);
	assert_int_equal(s->cr0 & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE);
	assert_int_equal(s->cr4, 0);
	assert_string_equal(x86_mode_name(s), "prot32");
	assert_int_equal(s->seg[X86_CS].sel, 0x10);
	assert_true(s->seg[X86_CS].db);
	assert_int_equal(s->seg[X86_CS].limit, 0xffffffff);
	for (unsigned i = X86_ES; i <= X86_DS; i++) {
		if (i == X86_CS)
			continue;
		assert_int_equal(s->seg[i].sel, 0x18);
		assert_int_equal(s->seg[i].base, 0);
		assert_int_equal(s->seg[i].limit, 0xffffffff);
	}
	assert_false(s->rflags & X86_FLAGS_IF);
	/* the GDT holds a 32-bit __BOOT_CS (L clear, D set) at 0x10 */
	struct x86_seg cs;
	x86_seg_from_desc(&cs, 0x10, util_get64(util_fx_gpa(f, LOAD_GDT_ADDR + 0x10, 8)));
	assert_false(cs.l);
	assert_true(cs.db);
	assert_int_equal(f->res.info.format, LOAD_BZIMAGE);
	/* the zero page as for the 64-bit entry: code32_start, cmdline, e820 */
	const uint8_t *zp = util_fx_gpa(f, LOAD_ZERO_PAGE, 4096);
	assert_int_equal(util_get32(zp + 0x214), 2 * MiB);
	assert_int_equal(util_get32(zp + 0x228), LOAD_CMDLINE_ADDR);
	assert_int_equal(zp[0x211], 0x81);
	assert_true(zp[0x1e8] > 0);
	assert_string_equal((char *)util_fx_gpa(f, LOAD_CMDLINE_ADDR, 1), "console=ttyS0");
	/* no page tables: paging is off */
	assert_int_equal(util_get64(util_fx_gpa(f, LOAD_PML4_ADDR, 8)), 0);
}

static void test_bzimage_32bit_kernel_initrd_below_initrd_addr_max(void **state)
{
	struct util_fx *f = *state;
	struct util_bz o;
	util_bz_defaults(&o);
	o.xloadflags = 0;
	o.initrd_addr_max = 0x37ffffff; /* what 32-bit kernels said before 2.03 */
	struct util_img img = util_bzimage(&o);
	uint8_t rd[5000];
	memset(rd, 0xa5, sizeof(rd));
	char *rdpath = util_temp_write(rd, sizeof(rd));
	f->p.initrd = rdpath;
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	/* 64 MiB of RAM is below initrd_addr_max: the initrd ends at the top */
	const uint8_t *zp = util_fx_gpa(f, LOAD_ZERO_PAGE, 4096);
	gpa_t want = VMM_ALIGN_DOWN(UTIL_FX_RAM - sizeof(rd), 4096);
	assert_int_equal(util_get32(zp + 0x218), want);
	assert_int_equal(util_get32(zp + 0x21c), sizeof(rd));
	assert_int_equal(f->res.initrd_addr, want);
	assert_memory_equal(util_fx_gpa(f, want, sizeof(rd)), rd, sizeof(rd));
	assert_int_equal(f->res.entry.rip, 2 * MiB);
	util_temp_remove(rdpath);
}

static void test_bzimage_probe_reports_32bit_kernel(void **state)
{
	(void)state;
	struct util_img img = bz32();
	struct load_params p = { .kernel = "bzImage" };
	struct guest_info info;
	assert_int_equal(load_probe_image("boot/bzImage", img.data, img.len, &p, &info), 0);
	assert_int_equal(info.format, LOAD_BZIMAGE);
	assert_int_equal(info.bits, 32);
	assert_string_equal(info.entry_mode, "prot32");
	assert_int_equal(info.entry, 2 * MiB);
	assert_int_equal(info.nr_code, 1);
	assert_int_equal(info.code[0].gpa, 2 * MiB);
	assert_int_equal(info.code[0].file_off, SETUP);
	assert_int_equal(info.code[0].size, 0x1000);
	assert_int_equal(info.code[0].bits, 32);
	free(img.data);
}

static void test_bzimage_refuses_zimage(void **state)
{
	struct util_bz o;
	util_bz_defaults(&o);
	o.loadflags = 0;
	struct util_img img = util_bzimage(&o);
	util_fx_refused(*state, &img, "LOADED_HIGH");
}

static void test_bzimage_refuses_truncated_header(void **state)
{
	struct util_img img = bz();
	img.len = 0x240;
	util_fx_refused(*state, &img, "setup header truncated");
}

static void test_bzimage_refuses_short_setup_header(void **state)
{
	struct util_img img = bz();
	img.data[0x201] = 0x20; /* header would end at 0x222 */
	util_fx_refused(*state, &img, "byte 0x201 = 0x20");
}

static void test_bzimage_refuses_setup_past_end_of_file(void **state)
{
	struct util_img img = bz();
	img.data[0x1f1] = 200;
	util_fx_refused(*state, &img, "setup_sects 200");
}

static void test_bzimage_refuses_bad_kernel_alignment(void **state)
{
	struct util_bz o;
	util_bz_defaults(&o);
	o.kernel_alignment = 0x300000;
	struct util_img img = util_bzimage(&o);
	util_fx_refused(*state, &img, "kernel_alignment 0x300000");
}

static void test_bzimage_refuses_overflowing_pref_address(void **state)
{
	struct util_bz o;
	util_bz_defaults(&o);
	o.pref_address = 0xffffffffffff0000ull;
	struct util_img img = util_bzimage(&o);
	util_fx_refused(*state, &img, "pref_address 0xffffffffffff0000");
}

static void test_bzimage_refuses_ram_below_its_footprint(void **state)
{
	struct util_bz o;
	util_bz_defaults(&o);
	o.init_size = 60 * MiB; /* 16 MiB + 60 MiB > 64 MiB */
	struct util_img img = util_bzimage(&o);
	util_fx_refused(*state, &img, "needs RAM up to 0x4c00000");
}

static void test_bzimage_refuses_cmdline_longer_than_cmdline_size(void **state)
{
	struct util_fx *f = *state;
	struct util_bz o;
	util_bz_defaults(&o);
	o.cmdline_size = 8;
	struct util_img img = util_bzimage(&o);
	util_log_begin();
	int r = util_fx_load(f, &img, "console=ttyS0");
	util_expect_error(r, f->path, "cmdline_size");
}

static void test_bzimage_refuses_initrd_below_kernel_footprint(void **state)
{
	struct util_fx *f = *state;
	struct util_bz o;
	util_bz_defaults(&o);
	o.initrd_addr_max = 0x10fffff; /* the kernel runs at 16 MiB + 1 MiB */
	struct util_img img = util_bzimage(&o);
	char *rdpath = util_temp_write("initrd", 6);
	f->p.initrd = rdpath;
	util_log_begin();
	int r = util_fx_load(f, &img, NULL);
	util_expect_error(r, rdpath, "kernel's end 0x1100000");
	assert_int_equal(util_fx_gpa(f, 2 * MiB, 1)[0], 0); /* nothing written */
	util_temp_remove(rdpath);
}

static void test_bzimage_format_refuses_other_images(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = util_mb_elf(MiB, 0x1000, 0);
	f->p.format = LOAD_BZIMAGE;
	util_fx_refused(f, &img, "not a bzImage");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, util_fx_setup, util_fx_teardown)
		T(test_bzimage_loads_at_aligned_1m_with_64bit_entry),
		T(test_bzimage_zero_page_copies_setup_header_and_fills_fields),
		T(test_bzimage_initrd_goes_high_below_initrd_addr_max),
		T(test_bzimage_non_relocatable_loads_at_1m),
		T(test_bzimage_large_alignment_moves_load_address),
		T(test_bzimage_setup_sects_zero_means_four),
		T(test_bzimage_probe_reports_32_and_64bit_code),
		T(test_bzimage_detected_before_multiboot_header),
		T(test_bzimage_refuses_old_boot_protocol),
		T(test_bzimage_32bit_kernel_enters_code32_start_flat_paging_off),
		T(test_bzimage_32bit_kernel_initrd_below_initrd_addr_max),
		T(test_bzimage_probe_reports_32bit_kernel),
		T(test_bzimage_refuses_zimage),
		T(test_bzimage_refuses_truncated_header),
		T(test_bzimage_refuses_short_setup_header),
		T(test_bzimage_refuses_setup_past_end_of_file),
		T(test_bzimage_refuses_bad_kernel_alignment),
		T(test_bzimage_refuses_overflowing_pref_address),
		T(test_bzimage_refuses_ram_below_its_footprint),
		T(test_bzimage_refuses_cmdline_longer_than_cmdline_size),
		T(test_bzimage_refuses_initrd_below_kernel_footprint),
		T(test_bzimage_format_refuses_other_images),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

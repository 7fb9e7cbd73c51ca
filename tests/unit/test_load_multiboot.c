/* test_load_multiboot.c: Multiboot v1 loading (ELF32 and a.out kludge): load
 * addresses, the spec's entry state, the GDT, the Multiboot information
 * (memory, mmap, command line, modules, loader name), and refused images. */
#include "tests/unit/util.h"
#include "tests/unit/util_images.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/load/load.h"

#define RAM UTIL_FX_RAM

static void assert_flat_seg(const struct x86_seg *s, uint16_t sel, uint8_t type)
{
	assert_int_equal(s->sel, sel);
	assert_int_equal(s->base, 0);
	assert_int_equal(s->limit, 0xffffffff);
	assert_int_equal(s->type, type);
	assert_int_equal(s->s, 1);
	assert_int_equal(s->present, 1);
	assert_int_equal(s->db, 1);
	assert_int_equal(s->l, 0);
}

static void test_mb_elf_loads_at_paddr_with_spec_entry_state(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = util_mb_elf(0x100000, 0x3000, 0x3);
	assert_int_equal(util_fx_load(f, &img, "console=ttyS0"), 0);
	const uint8_t *k = util_fx_gpa(f, 0x100000, 0x3000);
	assert_int_equal(k[0], 0x90);
	assert_int_equal(k[0x2fff], 0x90);
	assert_int_equal(f->res.kernel_addr, 0x100000);
	assert_int_equal(f->res.kernel_size, 0x3000);

	const struct x86_state *s = &f->res.entry;
	assert_int_equal(s->rip, 0x100000);
	assert_int_equal(s->gpr[X86_RAX], 0x2badb002);
	assert_int_equal(s->gpr[X86_RBX], LOAD_MBI_ADDR);
	assert_int_equal(s->gpr[X86_RSP], 0x7000);
	assert_int_equal(s->cr0, X86_CR0_PE | X86_CR0_ET);
	assert_int_equal(s->rflags, 0x2);
	assert_int_equal(s->efer, 0);
	assert_int_equal(s->cr4, 0);
	assert_flat_seg(&s->seg[X86_CS], LOAD_SEL_CODE, X86_SEG_TYPE_CODE_RX);
	static const enum x86_sreg data[] = { X86_DS, X86_ES, X86_FS, X86_GS, X86_SS };
	for (unsigned i = 0; i < 5; i++)
		assert_flat_seg(&s->seg[data[i]], LOAD_SEL_DATA, X86_SEG_TYPE_DATA_RW);
	assert_int_equal(s->gdt.base, LOAD_GDT_ADDR);
	assert_int_equal(s->gdt.limit, 0x1f);
	assert_int_equal(s->idt.base, 0);
	assert_int_equal(s->idt.limit, 0x3ff);
	assert_int_equal(s->tr.type, X86_SEG_TYPE_TSS32_BUSY);
	assert_int_equal(s->tr.present, 1);
	assert_int_equal(s->tr.limit, 0x67);
	assert_string_equal(x86_mode_name(s), "prot32");
	assert_int_equal(f->res.info.format, LOAD_MULTIBOOT);
	assert_string_equal(f->res.info.entry_mode, "prot32");
}

static void test_mb_gdt_has_flat_32bit_code_and_data(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	const uint8_t *gdt = util_fx_gpa(f, LOAD_GDT_ADDR, 32);
	assert_int_equal(util_get64(gdt), 0);
	struct x86_seg s;
	x86_seg_from_desc(&s, 0x08, util_get64(gdt + 0x08));
	assert_flat_seg(&s, 0x08, X86_SEG_TYPE_CODE_RX);
	x86_seg_from_desc(&s, 0x10, util_get64(gdt + 0x10));
	assert_flat_seg(&s, 0x10, X86_SEG_TYPE_CODE_RX);
	x86_seg_from_desc(&s, 0x18, util_get64(gdt + 0x18));
	assert_flat_seg(&s, 0x18, X86_SEG_TYPE_DATA_RW);
}

static void test_mb_info_has_memory_mmap_cmdline_and_loader_name(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0x2);
	assert_int_equal(util_fx_load(f, &img, "console=ttyS0 quiet"), 0);
	const uint8_t *mbi = util_fx_gpa(f, LOAD_MBI_ADDR, 88);
	uint32_t flags = util_get32(mbi);
	assert_int_equal(flags, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
	assert_int_equal(util_get32(mbi + 4), 639);
	assert_int_equal(util_get32(mbi + 8), (RAM - MiB) / KiB);

	char want[512];
	snprintf(want, sizeof(want), "%s console=ttyS0 quiet", f->path);
	uint32_t cmd = util_get32(mbi + 16);
	assert_true(cmd >= LOAD_MBI_ADDR && cmd < LOAD_MBI_END);
	assert_string_equal((char *)util_fx_gpa(f, cmd, 1), want);
	assert_int_equal(f->res.cmdline_addr, cmd);
	assert_int_equal(f->res.cmdline_size, strlen(want) + 1);
	assert_string_equal((char *)util_fx_gpa(f, util_get32(mbi + 64), 1), "Triplex");
	assert_int_equal(util_get32(mbi + 20), 0); /* no modules */

	struct e820_entry e[MEM_MAX_E820];
	unsigned n = mem_e820(&f->m, e, MEM_MAX_E820);
	assert_int_equal(util_get32(mbi + 44), 24 * n);
	const uint8_t *mm = util_fx_gpa(f, util_get32(mbi + 48), 24 * n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(util_get32(mm + 24 * i), 20);
		assert_int_equal(util_get64(mm + 24 * i + 4), e[i].addr);
		assert_int_equal(util_get64(mm + 24 * i + 12), e[i].size);
		assert_int_equal(util_get32(mm + 24 * i + 20), e[i].type);
	}
	assert_int_equal(util_get64(mm + 4), 0);
	assert_int_equal(util_get64(mm + 12), 0x9fc00);
	assert_int_equal(util_get32(mm + 20), 1);
}

static void test_mb_without_cmdline_passes_the_kernel_path(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	const uint8_t *mbi = util_fx_gpa(f, LOAD_MBI_ADDR, 88);
	char want[512];
	snprintf(want, sizeof(want), "%s ", f->path); /* QEMU: "%s %s" */
	assert_string_equal((char *)util_fx_gpa(f, util_get32(mbi + 16), 1), want);
}

static void test_mb_modules_load_page_aligned_after_kernel_with_strings(void **state)
{
	struct util_fx *f = *state;
	uint8_t one[5000];
	memset(one, 0x11, sizeof(one));
	char *m1 = util_temp_write(one, sizeof(one));
	char *m2 = util_temp_write("two", 3);
	char list[1024];
	snprintf(list, sizeof(list), "%s arg1 a,,b,%s", m1, m2);
	f->p.initrd = list;
	struct util_img img = util_mb_elf(0x100000, 0x1800, 0x3);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);

	const uint8_t *mbi = util_fx_gpa(f, LOAD_MBI_ADDR, 88);
	assert_int_equal(util_get32(mbi + 20), 2);
	const uint8_t *mods = util_fx_gpa(f, util_get32(mbi + 24), 32);
	assert_int_equal(util_get32(mods), 0x102000);
	assert_int_equal(util_get32(mods + 4), 0x102000 + 5000);
	assert_int_equal(util_get32(mods + 16), 0x104000);
	assert_int_equal(util_get32(mods + 20), 0x104003);
	char want[1024];
	snprintf(want, sizeof(want), "%s arg1 a,b", m1);
	assert_string_equal((char *)util_fx_gpa(f, util_get32(mods + 8), 1), want);
	assert_string_equal((char *)util_fx_gpa(f, util_get32(mods + 24), 1), m2);
	assert_memory_equal(util_fx_gpa(f, 0x102000, 5000), one, 5000);
	assert_memory_equal(util_fx_gpa(f, 0x104000, 3), "two", 3);
	assert_int_equal(f->res.initrd_addr, 0x102000);
	assert_int_equal(f->res.initrd_size, 0x2003);
	util_temp_remove(m1);
	util_temp_remove(m2);
}

static void test_mb_modules_skip_the_legacy_area_below_1m(void **state)
{
	struct util_fx *f = *state;
	uint8_t data[0x3000];
	memset(data, 0x22, sizeof(data));
	char *m1 = util_temp_write(data, 0x800);
	char *m2 = util_temp_write(data, sizeof(data));
	char list[1024];
	snprintf(list, sizeof(list), "%s,%s", m1, m2);
	f->p.initrd = list;
	struct util_img img = util_mb_elf(0x90000, 0xe000, 0x3);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	const uint8_t *mods = util_fx_gpa(f, util_get32(util_fx_gpa(f, LOAD_MBI_ADDR + 24, 4)), 32);
	assert_int_equal(util_get32(mods), 0x9e000);      /* fits below 0x9fc00 */
	assert_int_equal(util_get32(mods + 16), 0x100000); /* would cross it */
	util_temp_remove(m1);
	util_temp_remove(m2);
}

static void test_mb_aout_kludge_loads_from_header_offset_and_zeroes_bss(void **state)
{
	struct util_fx *f = *state;
	memset(util_fx_gpa(f, 0x200000, 0x4000), 0xaa, 0x4000);
	struct util_img img = util_mb_aout(0x200000, 0x2000, 0x204000, 0x200080);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	const uint8_t *k = util_fx_gpa(f, 0x200000, 0x4000);
	assert_int_equal(util_get32(k + 0x40), 0x1badb002);
	assert_int_equal(k[0], 0xf4);
	assert_int_equal(k[0x1fff], 0xf4);
	assert_int_equal(k[0x2000], 0);
	assert_int_equal(k[0x3fff], 0);
	assert_int_equal(f->res.entry.rip, 0x200080);
	assert_int_equal(f->res.kernel_addr, 0x200000);
	assert_int_equal(f->res.kernel_size, 0x4000);
	assert_int_equal(f->res.info.code[0].gpa, 0x200000);
	assert_int_equal(f->res.info.code[0].size, 0x2000);
	assert_int_equal(f->res.info.code[0].bits, 32);
}

static void test_mb_aout_load_end_zero_loads_whole_file(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = util_mb_aout(0x300000, 0x1800, 0, 0x300000);
	util_img_put32(&img, 0x40 + 20, 0); /* load_end_addr */
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	assert_int_equal(f->res.kernel_size, 0x1800);
	assert_int_equal(util_fx_gpa(f, 0x3017ff, 1)[0], 0xf4);
}

static void test_mb_elf_virtual_entry_is_translated_to_physical(void **state)
{
	struct util_fx *f = *state;
	struct util_seg seg = { .paddr = 0x100000, .vaddr = 0xc0100000, .filesz = 0x1000,
				.memsz = 0x2000, .flags = 5, .fill = 0xcc };
	struct util_img img = util_elf32(&seg, 1, 0xc0100010);
	util_mb_header(&img, 0x100, 0, NULL);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	assert_int_equal(f->res.entry.rip, 0x100010);
	assert_int_equal(util_fx_gpa(f, 0x101000, 1)[0], 0);
	assert_int_equal(f->res.kernel_size, 0x2000);
}

static void test_mb_probe_reports_code_without_touching_memory(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	f->path = util_temp_img(&img);
	f->p.kernel = f->path;
	struct guest_info info;
	assert_int_equal(load_probe(&f->p, &info), 0);
	assert_int_equal(info.format, LOAD_MULTIBOOT);
	assert_int_equal(info.bits, 32);
	assert_string_equal(info.entry_mode, "prot32");
	assert_int_equal(info.entry, 0x100000);
	assert_int_equal(info.nr_code, 1);
	assert_int_equal(info.code[0].gpa, 0x100000);
	assert_int_equal(info.code[0].file_off, 0x1000);
	assert_int_equal(info.code[0].size, 0x1000);
	assert_int_equal(info.image_size, 0x2000);
	assert_string_equal(info.name, strrchr(f->path, '/') + 1);
	assert_int_equal(util_fx_gpa(f, 0x100000, 1)[0], 0);
}

static void test_mb_refuses_bad_checksum(void **state)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_img_put32(&img, 0x108, 0x12345678);
	util_fx_refused(*state, &img, "checksum");
}

static void test_mb_refuses_header_beyond_8k(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_img_put32(&img, 0x100, 0);
	util_mb_header(&img, 8192, 0, NULL);
	f->p.format = LOAD_MULTIBOOT;
	util_fx_refused(f, &img, "no Multiboot header");
}

static void test_mb_refuses_unknown_required_flag(void **state)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0x3 | (1u << 5));
	util_fx_refused(*state, &img, "required bit 5");
}

static void test_mb_refuses_video_mode_flag(void **state)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 1u << 2);
	util_fx_refused(*state, &img, "video mode");
}

static void test_mb_ignores_unknown_optional_flag(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = util_mb_elf(0x100000, 0x1000, 1u << 20);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
}

static void test_mb_refuses_elf32_with_wrong_machine(void **state)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_img_put16(&img, 18, 62);
	util_fx_refused(*state, &img, "e_machine 62");
}

static void test_mb_refuses_elf64_kernel(void **state)
{
	struct util_seg seg = { .paddr = 0x100000, .filesz = 0x100, .memsz = 0x100, .flags = 5 };
	struct util_img img = util_elf64(&seg, 1, 0x100000);
	util_mb_header(&img, 0x200, 0, NULL);
	util_fx_refused(*state, &img, "ELF64");
}

static void test_mb_refuses_segment_past_end_of_file(void **state)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_img_put32(&img, 52 + 16, 0x2000); /* p_filesz */
	util_img_put32(&img, 52 + 20, 0x2000); /* p_memsz */
	util_fx_refused(*state, &img, "past the end of the file");
}

static void test_mb_refuses_filesz_above_memsz(void **state)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_img_put32(&img, 52 + 20, 0x800);
	util_fx_refused(*state, &img, "p_filesz 0x1000 is larger than p_memsz 0x800");
}

static void test_mb_refuses_segment_beyond_4g(void **state)
{
	struct util_img img = util_mb_elf(0xfffff000, 0x1000, 0);
	util_img_put32(&img, 52 + 20, 0x2000);
	util_fx_refused(*state, &img, "beyond 4 GiB");
}

static void test_mb_refuses_kernel_larger_than_ram(void **state)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_img_put32(&img, 52 + 20, 128 * MiB);
	util_fx_refused(*state, &img, "does not fit in guest RAM");
}

static void test_mb_refuses_load_over_loader_areas(void **state)
{
	struct util_img img = util_mb_elf(0x7000, 0x1000, 0);
	util_fx_refused(*state, &img, "[0x7000-0x8000) is below 0x8000");
}

/* QEMU loads Multiboot kernels down to 0x8000: the information structure,
 * the command line and the modules move above such a kernel. */
static void test_mb_low_kernel_moves_the_info_and_modules_above_it(void **state)
{
	struct util_fx *f = *state;
	char *m1 = util_temp_write("mod", 3);
	f->p.initrd = m1;
	struct util_img img = util_mb_elf(0x8000, 0x10000, 0x3);
	assert_int_equal(util_fx_load(f, &img, "low"), 0);
	assert_int_equal(f->res.kernel_addr, 0x8000);
	uint32_t mbi = (uint32_t)f->res.entry.gpr[X86_RBX];
	assert_int_equal(mbi, 0x18000); /* the page after the kernel */
	const uint8_t *p = util_fx_gpa(f, mbi, 88);
	assert_int_equal(util_get32(p) & 0x4c, 0x4c);
	uint32_t cmd = util_get32(p + 16), mods = util_get32(p + 24);
	assert_true(cmd >= 0x18000 && cmd < 0x18000 + (LOAD_MBI_END - LOAD_MBI_ADDR));
	assert_non_null(strstr((const char *)util_fx_gpa(f, cmd, 64), " low"));
	uint32_t mod0 = util_get32(util_fx_gpa(f, mods, 4));
	assert_true(mod0 >= 0x18000 + (LOAD_MBI_END - LOAD_MBI_ADDR));
	assert_memory_equal(util_fx_gpa(f, mod0, 3), "mod", 3);
	/* the kernel's bytes are intact (the MBI did not land on them) */
	assert_int_equal(util_fx_gpa(f, 0x8000 + 0x10000 - 1, 1)[0], 0x90); /* fill 0x90 */
	util_temp_remove(m1);
}

/* ld -Ttext=0x100000 puts the ELF headers in a PT_LOAD at 0xff000: QEMU
 * boots such kernels, so the loader must too. */
static void test_mb_accepts_segment_below_1m_above_loader_areas(void **state)
{
	struct util_fx *f = *state;
	struct util_seg segs[] = {
		{ .paddr = 0xff000, .filesz = 0x74, .memsz = 0x74, .flags = 4, .fill = 0x7f },
		{ .paddr = 0x100000, .filesz = 0x100, .memsz = 0x100, .flags = 5, .fill = 0x90 },
	};
	struct util_img img = util_elf32(segs, 2, 0x100000);
	util_mb_header(&img, 0x100, 0x3, NULL);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	assert_int_equal(util_fx_gpa(f, 0xff000, 1)[0], 0x7f);
	assert_int_equal(f->res.kernel_addr, 0xff000);
	assert_int_equal(f->res.kernel_size, 0x1100);
	assert_int_equal(f->res.info.nr_code, 1);
	assert_int_equal(f->res.info.code[0].gpa, 0x100000);
}

static void test_mb_refuses_truncated_program_headers(void **state)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_img_put16(&img, 44, 300); /* e_phnum */
	util_fx_refused(*state, &img, "program headers");
}

static void test_mb_refuses_entry_outside_segments(void **state)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_img_put32(&img, 24, 0x500000);
	util_fx_refused(*state, &img, "e_entry 0x500000");
}

static void test_mb_refuses_plain_elf32_without_header(void **state)
{
	struct util_seg seg = { .paddr = 0x100000, .filesz = 0x100, .memsz = 0x100, .flags = 5 };
	struct util_img img = util_elf32(&seg, 1, 0x100000);
	util_fx_refused(*state, &img, "without a Multiboot header");
}

static void test_mb_aout_refuses_truncated_address_fields(void **state)
{
	struct util_img img = { 0 };
	util_mb_header(&img, 0x40, 0, NULL);
	util_img_put32(&img, 0x44, 1u << 16);
	util_img_put32(&img, 0x48, 0u - 0x1badb002u - (1u << 16));
	util_fx_refused(*state, &img, "truncated");
}

static void test_mb_aout_refuses_load_addr_above_header_addr(void **state)
{
	struct util_img img = util_mb_aout(0x200000, 0x2000, 0, 0x200000);
	util_img_put32(&img, 0x40 + 12, 0x100000); /* header_addr */
	util_fx_refused(*state, &img, "header_addr 0x100000");
}

static void test_mb_aout_refuses_load_end_past_file(void **state)
{
	struct util_img img = util_mb_aout(0x200000, 0x2000, 0, 0x200000);
	util_img_put32(&img, 0x40 + 20, 0x203000);
	util_fx_refused(*state, &img, "load_end_addr 0x203000");
}

static void test_mb_aout_refuses_bss_below_data(void **state)
{
	struct util_img img = util_mb_aout(0x200000, 0x2000, 0x201000, 0x200000);
	util_fx_refused(*state, &img, "bss_end_addr 0x201000");
}

static void test_mb_aout_refuses_entry_outside_image(void **state)
{
	struct util_img img = util_mb_aout(0x200000, 0x2000, 0, 0x100000);
	util_fx_refused(*state, &img, "entry_addr 0x100000");
}

static void test_mb_refuses_missing_module_and_leaves_memory_alone(void **state)
{
	struct util_fx *f = *state;
	f->p.initrd = "/nonexistent/triplex-module arg";
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_log_begin();
	int r = util_fx_load(f, &img, NULL);
	util_expect_error(r, "/nonexistent/triplex-module: cannot open", NULL);
	assert_int_equal(util_fx_gpa(f, 0x100000, 1)[0], 0);
	assert_int_equal(f->res.entry.rip, 0);
}

static void test_mb_refuses_empty_module_entry(void **state)
{
	struct util_fx *f = *state;
	f->p.initrd = "a,";
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_log_begin();
	int r = util_fx_load(f, &img, NULL);
	util_expect_error(r, "module list", "empty entry");
}

static void test_mb_refuses_cmdline_larger_than_info_area(void **state)
{
	struct util_fx *f = *state;
	size_t n = LOAD_MBI_END - LOAD_MBI_ADDR;
	char *big = malloc(n + 1);
	memset(big, 'x', n);
	big[n] = 0;
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	util_log_begin();
	int r = util_fx_load(f, &img, big);
	util_expect_error(r, f->path, "Multiboot information");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, util_fx_setup, util_fx_teardown)
		T(test_mb_elf_loads_at_paddr_with_spec_entry_state),
		T(test_mb_gdt_has_flat_32bit_code_and_data),
		T(test_mb_info_has_memory_mmap_cmdline_and_loader_name),
		T(test_mb_without_cmdline_passes_the_kernel_path),
		T(test_mb_modules_load_page_aligned_after_kernel_with_strings),
		T(test_mb_modules_skip_the_legacy_area_below_1m),
		T(test_mb_aout_kludge_loads_from_header_offset_and_zeroes_bss),
		T(test_mb_aout_load_end_zero_loads_whole_file),
		T(test_mb_elf_virtual_entry_is_translated_to_physical),
		T(test_mb_probe_reports_code_without_touching_memory),
		T(test_mb_refuses_bad_checksum),
		T(test_mb_refuses_header_beyond_8k),
		T(test_mb_refuses_unknown_required_flag),
		T(test_mb_refuses_video_mode_flag),
		T(test_mb_ignores_unknown_optional_flag),
		T(test_mb_refuses_elf32_with_wrong_machine),
		T(test_mb_refuses_elf64_kernel),
		T(test_mb_refuses_segment_past_end_of_file),
		T(test_mb_refuses_filesz_above_memsz),
		T(test_mb_refuses_segment_beyond_4g),
		T(test_mb_refuses_kernel_larger_than_ram),
		T(test_mb_refuses_load_over_loader_areas),
		T(test_mb_low_kernel_moves_the_info_and_modules_above_it),
		T(test_mb_accepts_segment_below_1m_above_loader_areas),
		T(test_mb_refuses_truncated_program_headers),
		T(test_mb_refuses_entry_outside_segments),
		T(test_mb_refuses_plain_elf32_without_header),
		T(test_mb_aout_refuses_truncated_address_fields),
		T(test_mb_aout_refuses_load_addr_above_header_addr),
		T(test_mb_aout_refuses_load_end_past_file),
		T(test_mb_aout_refuses_bss_below_data),
		T(test_mb_aout_refuses_entry_outside_image),
		T(test_mb_refuses_missing_module_and_leaves_memory_alone),
		T(test_mb_refuses_empty_module_entry),
		T(test_mb_refuses_cmdline_larger_than_info_area),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

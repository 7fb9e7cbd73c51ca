/* test_load_elf.c: ELF64 kernels: segments at p_paddr, the 64-bit entry
 * state (long mode, GDT, identity page tables), the zero page with command
 * line, e820 and initrd, probing, and refused images. */
#include "tests/unit/util.h"
#include "tests/unit/util_images.h"

#include <stdlib.h>
#include <string.h>

#define KVIRT 0xffffffff81000000ull

/* A vmlinux-like image: text at 16 MiB (virtual KVIRT), data + bss after. */
static struct util_img vmlinux(void)
{
	struct util_seg segs[] = {
		{ .paddr = 16 * MiB, .vaddr = KVIRT, .filesz = 0x3000, .memsz = 0x3000,
		  .flags = 5, .fill = 0xcc },
		{ .paddr = 18 * MiB, .vaddr = KVIRT + 2 * MiB, .filesz = 0x1000,
		  .memsz = 0x5000, .flags = 6, .fill = 0xdd },
	};
	return util_elf64(segs, 2, 16 * MiB);
}

static const size_t PH0 = 64; /* first program header */

static void test_elf64_loads_segments_at_paddr_and_zeroes_bss(void **state)
{
	struct util_fx *f = *state;
	memset(util_fx_gpa(f, 18 * MiB, 0x5000), 0xaa, 0x5000);
	struct util_img img = vmlinux();
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	const uint8_t *t = util_fx_gpa(f, 16 * MiB, 0x3000);
	assert_int_equal(t[0], 0xcc);
	assert_int_equal(t[0x2fff], 0xcc);
	const uint8_t *d = util_fx_gpa(f, 18 * MiB, 0x5000);
	assert_int_equal(d[0xfff], 0xdd);
	assert_int_equal(d[0x1000], 0);
	assert_int_equal(d[0x4fff], 0);
	assert_int_equal(f->res.kernel_addr, 16 * MiB);
	assert_int_equal(f->res.kernel_size, 2 * MiB + 0x5000);
	assert_int_equal(f->res.info.format, LOAD_ELF64);
}

static void test_elf64_entry_is_long_mode_per_boot_protocol(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = vmlinux();
	assert_int_equal(util_fx_load(f, &img, "console=ttyS0"), 0);
	const struct x86_state *s = &f->res.entry;
	assert_int_equal(s->rip, 16 * MiB);
	assert_int_equal(s->gpr[X86_RSI], LOAD_ZERO_PAGE);
	assert_int_equal(s->gpr[X86_RSP], LOAD_STACK_TOP);
	assert_int_equal(s->gpr[X86_RAX], 0);
	assert_int_equal(s->gpr[X86_RBX], 0);
	assert_int_equal(s->gpr[X86_RBP], 0);
	assert_int_equal(s->gpr[X86_RDI], 0);
	assert_int_equal(s->rflags, 0x2);
	assert_true(s->cr0 & X86_CR0_PE);
	assert_true(s->cr0 & X86_CR0_PG);
	assert_int_equal(s->cr3, LOAD_PML4_ADDR);
	assert_int_equal(s->cr4, X86_CR4_PAE);
	assert_int_equal(s->efer, X86_EFER_LME | X86_EFER_LMA);
	assert_int_equal(s->seg[X86_CS].sel, LOAD_SEL_CODE);
	assert_int_equal(s->seg[X86_CS].l, 1);
	assert_int_equal(s->seg[X86_CS].db, 0);
	static const enum x86_sreg data[] = { X86_DS, X86_ES, X86_FS, X86_GS, X86_SS };
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(s->seg[data[i]].sel, LOAD_SEL_DATA);
		assert_int_equal(s->seg[data[i]].type, X86_SEG_TYPE_DATA_RW);
		assert_int_equal(s->seg[data[i]].base, 0);
	}
	assert_int_equal(s->gdt.base, LOAD_GDT_ADDR);
	assert_int_equal(s->tr.type, X86_SEG_TYPE_TSS32_BUSY);
	assert_string_equal(x86_mode_name(s), "long");
	assert_string_equal(f->res.info.entry_mode, "long");

	const uint8_t *gdt = util_fx_gpa(f, LOAD_GDT_ADDR, 32);
	struct x86_seg seg;
	for (unsigned sel = 0x08; sel <= 0x10; sel += 8) {
		x86_seg_from_desc(&seg, (uint16_t)sel, util_get64(gdt + sel));
		assert_int_equal(seg.type, X86_SEG_TYPE_CODE_RX);
		assert_int_equal(seg.l, 1);
		assert_int_equal(seg.db, 0);
		assert_int_equal(seg.present, 1);
	}
	x86_seg_from_desc(&seg, 0x18, util_get64(gdt + 0x18));
	assert_int_equal(seg.type, X86_SEG_TYPE_DATA_RW);
	assert_int_equal(seg.limit, 0xffffffff);
}

/* Walk the loader's page tables for (va) as the CPU would (SDM 3A 4.5). */
static uint64_t walk(struct util_fx *f, uint64_t va)
{
	uint64_t pml4e = util_get64(util_fx_gpa(f, LOAD_PML4_ADDR + 8 * ((va >> 39) & 511), 8));
	assert_true(pml4e & X86_PTE_P);
	uint64_t pdpte = util_get64(util_fx_gpa(f, (pml4e & ~0xfffull) + 8 * ((va >> 30) & 511), 8));
	assert_true(pdpte & X86_PTE_P);
	uint64_t pde = util_get64(util_fx_gpa(f, (pdpte & ~0xfffull) + 8 * ((va >> 21) & 511), 8));
	assert_int_equal(pde & (X86_PTE_P | X86_PTE_RW | X86_PTE_PS),
			 X86_PTE_P | X86_PTE_RW | X86_PTE_PS);
	return (pde & ~0x1fffffull) + (va & 0x1fffff);
}

static void test_elf64_page_tables_identity_map_4g_with_2m_pages(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = vmlinux();
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	const uint8_t *pml4 = util_fx_gpa(f, LOAD_PML4_ADDR, 4096);
	assert_int_equal(util_get64(pml4), LOAD_PDPT_ADDR | X86_PTE_P | X86_PTE_RW);
	assert_int_equal(util_get64(pml4 + 8), 0);
	const uint8_t *pdpt = util_fx_gpa(f, LOAD_PDPT_ADDR, 4096);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(util_get64(pdpt + 8 * i),
				 (LOAD_PD_ADDR + 4096 * i) | X86_PTE_P | X86_PTE_RW);
	assert_int_equal(util_get64(pdpt + 32), 0);
	const uint8_t *pd = util_fx_gpa(f, LOAD_PD_ADDR, 4 * 4096);
	for (uint64_t i = 0; i < 2048; i++)
		assert_int_equal(util_get64(pd + 8 * i),
				 (i << 21) | X86_PTE_P | X86_PTE_RW | X86_PTE_PS);
	static const uint64_t probes[] = { 0, 0x7000, 16 * MiB + 0x123, 0xbfffffff, 0xfffff000 };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(probes); i++)
		assert_int_equal(walk(f, probes[i]), probes[i]);
}

static void test_elf64_zero_page_has_header_cmdline_and_e820(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = vmlinux();
	assert_int_equal(util_fx_load(f, &img, "root=/dev/vda quiet"), 0);
	const uint8_t *zp = util_fx_gpa(f, LOAD_ZERO_PAGE, 4096);
	assert_int_equal(util_get16(zp + 0x1fe), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(util_get16(zp + 0x206), 0x20f);
	assert_int_equal(zp[0x210], 0xff);
	assert_true(zp[0x211] & 0x80);
	assert_int_equal(util_get32(zp + 0x228), LOAD_CMDLINE_ADDR);
	assert_string_equal((char *)util_fx_gpa(f, LOAD_CMDLINE_ADDR, 1), "root=/dev/vda quiet");
	assert_int_equal(f->res.cmdline_addr, LOAD_CMDLINE_ADDR);
	assert_int_equal(f->res.cmdline_size, strlen("root=/dev/vda quiet") + 1);
	assert_int_equal(util_get32(zp + 0x218), 0); /* no initrd */
	struct e820_entry e[MEM_MAX_E820];
	unsigned n = mem_e820(&f->m, e, MEM_MAX_E820);
	assert_int_equal(zp[0x1e8], n);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = zp + 0x2d0 + 20 * i;
		assert_int_equal(util_get64(d), e[i].addr);
		assert_int_equal(util_get64(d + 8), e[i].size);
		assert_int_equal(util_get32(d + 16), e[i].type);
	}
	assert_int_equal(util_get64(zp + 0x2d0 + 20 * (n - 1)), MiB); /* RAM from 1 MiB */
	assert_int_equal(util_get64(zp + 0x2d0 + 20 * (n - 1) + 8), UTIL_FX_RAM - MiB);
}

static void test_elf64_initrd_goes_high_and_page_aligned(void **state)
{
	struct util_fx *f = *state;
	uint8_t rd[10000];
	for (unsigned i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i * 13);
	char *rdpath = util_temp_write(rd, sizeof(rd));
	f->p.initrd = rdpath;
	struct util_img img = vmlinux();
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	gpa_t want = VMM_ALIGN_DOWN(UTIL_FX_RAM - sizeof(rd), 4096);
	const uint8_t *zp = util_fx_gpa(f, LOAD_ZERO_PAGE, 4096);
	assert_int_equal(util_get32(zp + 0x218), want);
	assert_int_equal(util_get32(zp + 0x21c), sizeof(rd));
	assert_memory_equal(util_fx_gpa(f, want, sizeof(rd)), rd, sizeof(rd));
	assert_int_equal(f->res.initrd_addr, want);
	assert_int_equal(f->res.initrd_size, sizeof(rd));
	util_temp_remove(rdpath);
}

static void test_elf64_probe_lists_executable_segments(void **state)
{
	struct util_img img = vmlinux();
	struct guest_info info;
	struct load_params p = { .kernel = "dir/vmlinux" };
	assert_int_equal(load_probe_image("dir/vmlinux", img.data, img.len, &p, &info), 0);
	assert_int_equal(info.format, LOAD_ELF64);
	assert_int_equal(info.bits, 64);
	assert_string_equal(info.entry_mode, "long");
	assert_int_equal(info.entry, 16 * MiB);
	assert_int_equal(info.nr_code, 1);
	assert_int_equal(info.code[0].gpa, 16 * MiB);
	assert_int_equal(info.code[0].file_off, 0x1000);
	assert_int_equal(info.code[0].size, 0x3000);
	assert_int_equal(info.code[0].bits, 64);
	assert_int_equal(info.image_size, img.len);
	assert_string_equal(info.name, "vmlinux");
	free(img.data);
}

static void test_elf64_virtual_entry_is_translated(void **state)
{
	struct util_fx *f = *state;
	struct util_img img = vmlinux();
	util_img_put64(&img, 24, KVIRT + 0x40);
	assert_int_equal(util_fx_load(f, &img, NULL), 0);
	assert_int_equal(f->res.entry.rip, 16 * MiB + 0x40);
}

static void test_elf64_refuses_elf32_class(void **state)
{
	struct util_fx *f = *state;
	struct util_seg seg = { .paddr = MiB, .filesz = 0x100, .memsz = 0x100, .flags = 5 };
	struct util_img img = util_elf32(&seg, 1, MiB);
	f->p.format = LOAD_ELF64;
	util_fx_refused(f, &img, "ELF class (EI_CLASS) 1 is not ELFCLASS64");
}

static void test_elf64_refuses_wrong_machine(void **state)
{
	struct util_img img = vmlinux();
	util_img_put16(&img, 18, 183); /* EM_AARCH64 */
	util_fx_refused(*state, &img, "e_machine 183");
}

static void test_elf64_refuses_non_executable_type(void **state)
{
	struct util_img img = vmlinux();
	util_img_put16(&img, 16, 3); /* ET_DYN */
	util_fx_refused(*state, &img, "e_type 3");
}

static void test_elf64_refuses_truncated_header(void **state)
{
	struct util_img img = vmlinux();
	img.len = 40;
	util_fx_refused(*state, &img, "ELF header truncated");
}

static void test_elf64_refuses_segment_past_end_of_file(void **state)
{
	struct util_img img = vmlinux();
	util_img_put64(&img, PH0 + 56 + 8, 0x5000); /* second p_offset */
	util_fx_refused(*state, &img, "program header 1: p_offset 0x5000");
}

static void test_elf64_refuses_overflowing_offset(void **state)
{
	struct util_img img = vmlinux();
	util_img_put64(&img, PH0 + 8, 0xffffffffffffff00ull);
	util_fx_refused(*state, &img, "p_offset 0xffffffffffffff00");
}

static void test_elf64_refuses_overflowing_phoff(void **state)
{
	struct util_img img = vmlinux();
	util_img_put64(&img, 32, 0xfffffffffffffff0ull);
	util_fx_refused(*state, &img, "e_phoff 0xfffffffffffffff0");
}

static void test_elf64_refuses_filesz_above_memsz(void **state)
{
	struct util_img img = vmlinux();
	util_img_put64(&img, PH0 + 40, 0x100);
	util_fx_refused(*state, &img, "p_filesz 0x3000 is larger than p_memsz 0x100");
}

static void test_elf64_refuses_wrapping_paddr(void **state)
{
	struct util_img img = vmlinux();
	util_img_put64(&img, PH0 + 24, 0xfffffffffffff000ull);
	util_fx_refused(*state, &img, "overflows");
}

static void test_elf64_refuses_segment_above_4g(void **state)
{
	struct util_img img = vmlinux();
	util_img_put64(&img, PH0 + 56 + 24, 0x100000000ull);
	util_fx_refused(*state, &img, "reaches above 4 GiB");
}

static void test_elf64_refuses_kernel_larger_than_ram(void **state)
{
	struct util_img img = vmlinux();
	util_img_put64(&img, PH0 + 56 + 40, 100 * MiB);
	util_fx_refused(*state, &img, "does not fit in guest RAM");
}

static void test_elf64_refuses_segment_over_loader_areas(void **state)
{
	struct util_img img = vmlinux();
	util_img_put64(&img, PH0 + 24, 0x8000);
	util_img_put64(&img, 24, 0x8000);
	util_fx_refused(*state, &img, "[0x8000-0xb000) is below 0x30000");
}

static void test_elf64_refuses_image_without_pt_load(void **state)
{
	struct util_img img = vmlinux();
	util_img_put32(&img, PH0, 4);      /* PT_NOTE */
	util_img_put32(&img, PH0 + 56, 4);
	util_fx_refused(*state, &img, "no PT_LOAD");
}

static void test_elf64_refuses_too_long_cmdline(void **state)
{
	struct util_fx *f = *state;
	char *big = malloc(LOAD_CMDLINE_MAX + 1);
	memset(big, 'x', LOAD_CMDLINE_MAX);
	big[LOAD_CMDLINE_MAX] = 0;
	struct util_img img = vmlinux();
	util_log_begin();
	int r = util_fx_load(f, &img, big);
	util_expect_error(r, f->path, "command line is 65536 bytes");
	assert_int_equal(util_fx_gpa(f, 16 * MiB, 1)[0], 0); /* nothing written */
	free(big);
}

static void test_elf64_refuses_initrd_that_does_not_fit(void **state)
{
	struct util_fx *f = *state;
	size_t n = 50 * MiB;
	uint8_t *rd = calloc(1, n);
	char *rdpath = util_temp_write(rd, n);
	free(rd);
	f->p.initrd = rdpath;
	struct util_img img = vmlinux();
	util_log_begin();
	int r = util_fx_load(f, &img, NULL);
	util_expect_error(r, rdpath, "initrd of 52428800 bytes does not fit");
	util_temp_remove(rdpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, util_fx_setup, util_fx_teardown)
		T(test_elf64_loads_segments_at_paddr_and_zeroes_bss),
		T(test_elf64_entry_is_long_mode_per_boot_protocol),
		T(test_elf64_page_tables_identity_map_4g_with_2m_pages),
		T(test_elf64_zero_page_has_header_cmdline_and_e820),
		T(test_elf64_initrd_goes_high_and_page_aligned),
		T(test_elf64_probe_lists_executable_segments),
		T(test_elf64_virtual_entry_is_translated),
		T(test_elf64_refuses_elf32_class),
		T(test_elf64_refuses_wrong_machine),
		T(test_elf64_refuses_non_executable_type),
		T(test_elf64_refuses_truncated_header),
		T(test_elf64_refuses_segment_past_end_of_file),
		T(test_elf64_refuses_overflowing_offset),
		T(test_elf64_refuses_overflowing_phoff),
		T(test_elf64_refuses_filesz_above_memsz),
		T(test_elf64_refuses_wrapping_paddr),
		T(test_elf64_refuses_segment_above_4g),
		T(test_elf64_refuses_kernel_larger_than_ram),
		T(test_elf64_refuses_segment_over_loader_areas),
		T(test_elf64_refuses_image_without_pt_load),
		T(test_elf64_refuses_too_long_cmdline),
		T(test_elf64_refuses_initrd_that_does_not_fit),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

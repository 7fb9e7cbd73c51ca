/* test_pv_abi.c: the VMI ABI's pieces the VMM builds and parses: the ROM of
 * each flavour and width (header, entry table, unknown calls, relocations,
 * hypercall sites), the ELF note (found, checked, refused with a reason),
 * and the ROM window's placement in a VM. */
#include "tests/unit/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vmi/vmi.h"

static uint8_t rom[PV_ROM_SIZE];

static const struct pv_rom_header *build(unsigned bits, unsigned flavour, uint64_t addr)
{
	assert_int_equal(vmi_rom_build(rom, addr, bits, flavour), 0);
	return (const struct pv_rom_header *)rom;
}

static void test_rom_header_names_version_flavour_width_and_shared_page(void **state)
{
	for (unsigned b = 32; b <= 64; b += 32)
		for (unsigned f = PV_FLAVOUR_NATIVE; f <= PV_FLAVOUR_PV; f++) {
			const struct pv_rom_header *h = build(b, f, 0xfff00000);
			assert_int_equal(h->magic, PV_ROM_MAGIC);
			assert_int_equal(h->version, PV_ABI_VERSION);
			assert_int_equal(h->nr_calls, PV_CALL_NR);
			assert_int_equal(h->flavour, f);
			assert_int_equal(h->bits, b);
			assert_int_equal(h->shared_addr, 0xfff00000 + PV_SHARED_OFF);
		}
}

static void test_rom_entries_lie_in_the_rom_and_unknown_calls_share_the_enosys_stub(void **state)
{
	for (unsigned b = 32; b <= 64; b += 32)
		for (unsigned f = PV_FLAVOUR_NATIVE; f <= PV_FLAVOUR_PV; f++) {
			const struct pv_rom_header *h = build(b, f, 0x40000000);
			uint64_t stub = h->entry[PV_MAX_CALLS - 1];
			for (unsigned i = 0; i < PV_MAX_CALLS; i++) {
				assert_true(h->entry[i] >= 0x40000000 + PV_ROM_CODE_OFF);
				assert_true(h->entry[i] < 0x40000000 + PV_ROM_NOTE_OFF);
				if (i >= PV_CALL_NR)
					assert_int_equal(h->entry[i], stub);
			}
			/* mov $-38, %eax / %rax, then ret */
			const uint8_t *code = rom + (stub - 0x40000000);
			assert_int_equal(code[b == 64 ? 7 : 5], 0xc3);
		}
}

static void test_rom_rejects_a_misaligned_window_and_bad_arguments(void **state)
{
	assert_int_equal(vmi_rom_build(rom, 0xfff01000, 32, PV_FLAVOUR_NATIVE), -EINVAL);
	assert_int_equal(vmi_rom_build(rom, 0xfff00000, 16, PV_FLAVOUR_NATIVE), -EINVAL);
	assert_int_equal(vmi_rom_build(rom, 0xfff00000, 32, 3), -EINVAL);
}

/* The 32-bit pv ROM addresses the shared page absolutely: every
 * "mov $imm32, %ecx" the ROM has carries the window's shared page. */
static void test_rom_32bit_pv_flavour_is_relocated_to_its_window(void **state)
{
	uint32_t want = 0x7fe00000 + PV_SHARED_OFF;
	unsigned hits = 0;
	build(32, PV_FLAVOUR_PV, 0x7fe00000);
	for (unsigned off = PV_ROM_CODE_OFF; off + 5 <= PV_ROM_NOTE_OFF; off++) {
		uint32_t v;
		memcpy(&v, rom + off + 1, 4);
		if (rom[off] == 0xb9 && v == want)
			hits++;
	}
	assert_true(hits >= 10);
}

static void test_rom_pv_sites_are_int3_and_native_has_none(void **state)
{
	for (unsigned b = 32; b <= 64; b += 32) {
		build(b, PV_FLAVOUR_PV, 0xfff00000);
		unsigned sites = 0;
		bool seen_iret = false;
		for (unsigned off = 0; off < PV_ROM_SIZE; off++) {
			int k = vmi_rom_site(b, off);
			if (k < 0)
				continue;
			sites++;
			assert_int_equal(rom[off], 0xcc);
			assert_true(k < PV_HC_NR);
			seen_iret |= k == PV_CALL_IRET;
		}
		assert_true(sites >= 20);
		assert_true(seen_iret);
	}
	assert_int_equal(vmi_rom_site(32, 0), -1);
	assert_int_equal(vmi_rom_site(48, PV_ROM_CODE_OFF), -1);
}

/* Take-over (a guest switched to pv from bt or hw): the entries the guest
 * cached from the native ROM and the instructions a suspended context
 * returns through become hypercalls in the pv ROM, at the same addresses. */
static void test_rom_pv_flavour_takes_over_the_native_entries_a_guest_cached(void **state)
{
	for (unsigned b = 32; b <= 64; b += 32) {
		const struct pv_rom_header *h = build(b, PV_FLAVOUR_NATIVE, 0xfff00000);
		uint64_t iret = h->entry[PV_CALL_IRET] - 0xfff00000;
		uint64_t int80 = h->entry[PV_CALL_USER_INT80] - 0xfff00000;
		uint8_t native_iret = rom[iret];
		assert_int_not_equal(native_iret, 0xcc);
		/* the int $0x80 (cd 80) inside the native user entry */
		uint64_t site = int80;
		while (site < int80 + 16 && !(rom[site] == 0xcd && rom[site + 1] == 0x80))
			site++;
		assert_true(site < int80 + 16);
		build(b, PV_FLAVOUR_PV, 0xfff00000);
		assert_int_equal(h->flavour, PV_FLAVOUR_PV);
		assert_true(h->entry[PV_CALL_IRET] - 0xfff00000 != iret);
		assert_int_equal(rom[iret], 0xcc);
		assert_int_equal(vmi_rom_site(b, iret), PV_CALL_IRET);
		assert_int_equal(rom[site], 0xcc);
		assert_int_equal(rom[site + 1], 0x90); /* the rest of the instruction */
		assert_int_equal(vmi_rom_site(b, site), PV_CALL_USER_INT80);
		/* what follows the site is unchanged: pop/ret run natively */
		build(b, PV_FLAVOUR_NATIVE, 0xfff00000);
		uint8_t after = rom[site + 2];
		build(b, PV_FLAVOUR_PV, 0xfff00000);
		assert_int_equal(rom[site + 2], after);
	}
}

/* ---- the note ---- */

/* An ELF32 image with one PT_NOTE segment holding (note), or a section
 * header table with one SHT_NOTE section instead. */
static size_t image(uint8_t *img, const struct pv_note *note, uint32_t type, bool as_section)
{
	memset(img, 0, 1024);
	memcpy(img, "\177ELF", 4);
	img[4] = 1; /* ELFCLASS32 */
	img[5] = 1;
	img[6] = 1;
	uint8_t *n = img + 0x200;
	uint32_t hdr[3] = { 11, sizeof(*note), type };
	memcpy(n, hdr, 12);
	memcpy(n + 12, "TriplexVMI", 11);
	memcpy(n + 24, note, sizeof(*note));
	uint32_t off = 0x200, size = 24 + sizeof(*note);
	if (as_section) {
		uint32_t shoff = 0x100;
		uint16_t shentsize = 40, shnum = 1;
		memcpy(img + 32, &shoff, 4);
		memcpy(img + 46, &shentsize, 2);
		memcpy(img + 48, &shnum, 2);
		uint32_t sh[10] = { 0, 7 /* SHT_NOTE */, 0, 0, off, size, 0, 0, 4, 0 };
		memcpy(img + shoff, sh, sizeof(sh));
	} else {
		uint32_t phoff = 0x40;
		uint16_t phentsize = 32, phnum = 1;
		memcpy(img + 28, &phoff, 4);
		memcpy(img + 42, &phentsize, 2);
		memcpy(img + 44, &phnum, 2);
		uint32_t ph[8] = { 4 /* PT_NOTE */, off, 0, 0, size, size, 4, 4 };
		memcpy(img + phoff, ph, sizeof(ph));
	}
	return 0x200 + size;
}

static const struct pv_note good = {
	.version = PV_ABI_VERSION, .bits = 32, .rom_addr = 0xfff00000, .entry = 0,
	.kernel_start = 0x1000, .kernel_end = 0x400000, .user_start = 0x100000,
	.user_end = 0x80000000,
};

static void test_note_in_a_pt_note_segment_is_found_and_valid(void **state)
{
	uint8_t img[1024];
	struct pv_guest_note g;
	size_t len = image(img, &good, PV_NOTE_TYPE, false);
	assert_int_equal(pv_note_parse(img, len, &g), 0);
	assert_true(g.present && g.valid);
	assert_int_equal(g.n.rom_addr, 0xfff00000);
	assert_int_equal(g.n.user_end, 0x80000000);
}

static void test_note_in_a_section_is_found_too(void **state)
{
	uint8_t img[1024];
	struct pv_guest_note g;
	size_t len = image(img, &good, PV_NOTE_TYPE, true);
	assert_int_equal(pv_note_parse(img, len, &g), 0);
	assert_true(g.present && g.valid);
}

static void test_note_of_another_type_or_a_plain_image_is_not_a_pv_guest(void **state)
{
	uint8_t img[1024];
	struct pv_guest_note g;
	size_t len = image(img, &good, 1, false);
	assert_int_equal(pv_note_parse(img, len, &g), 0);
	assert_false(g.present);
	assert_int_equal(pv_note_parse((const uint8_t *)"not an elf", 10, &g), 0);
	assert_false(g.present);
}

static void expect_refused(const struct pv_note *n, const char *why)
{
	uint8_t img[1024];
	struct pv_guest_note g;
	size_t len = image(img, n, PV_NOTE_TYPE, false);
	assert_int_equal(pv_note_parse(img, len, &g), -EINVAL);
	assert_true(g.present);
	assert_false(g.valid);
	if (!strstr(g.why, why))
		fail_msg("note refused for '%s', expected '%s'", g.why, why);
}

static void test_malformed_notes_are_refused_with_the_reason(void **state)
{
	struct pv_note n = good;
	n.version = 99;
	expect_refused(&n, "ABI version");
	n = good;
	n.bits = 16;
	expect_refused(&n, "bits");
	n = good;
	n.rom_addr = 0xfff01000;
	expect_refused(&n, "rom_addr");
	n = good;
	n.bits = 64;
	expect_refused(&n, "64-bit entry point");
	n = good;
	n.kernel_end = n.kernel_start;
	expect_refused(&n, "kernel range");
	n = good;
	n.reserved[1] = 1;
	expect_refused(&n, "reserved");
}

static void test_a_truncated_note_area_is_ignored_safely(void **state)
{
	uint8_t img[1024];
	struct pv_guest_note g;
	size_t len = image(img, &good, PV_NOTE_TYPE, false);
	uint32_t huge = 0x7fffffff;
	memcpy(img + 0x200 + 4, &huge, 4); /* descsz beyond the segment */
	assert_int_equal(pv_note_parse(img, len, &g), 0);
	assert_false(g.present);
	assert_int_equal(pv_note_parse(img, 100, &g), 0); /* headers cut off */
	assert_false(g.present);
}

/* ---- the window in a VM ---- */

static void test_rom_install_maps_a_readonly_rom_and_a_shared_page(void **state)
{
	struct vm *vm = test_vm_create(16 * MiB);
	struct pv_guest_note g = { .present = true, .valid = true, .n = good };
	assert_non_null(vm);
	assert_int_equal(vmi_rom_install(vm, &g), 0);
	const struct mem_region *rom_r = mem_find(&vm->mem, 0xfff00000);
	const struct mem_region *sh = mem_find(&vm->mem, 0xfff00000 + PV_SHARED_OFF);
	assert_non_null(rom_r);
	assert_non_null(sh);
	assert_true(rom_r->flags & MEM_READONLY);
	assert_false(sh->flags & MEM_READONLY);
	assert_int_equal(((struct pv_rom_header *)rom_r->hva)->flavour, PV_FLAVOUR_NATIVE);
	vm_destroy(vm);
}

static void test_rom_install_refuses_a_window_over_ram(void **state)
{
	struct vm *vm = test_vm_create(16 * MiB);
	struct pv_guest_note g = { .present = true, .valid = true, .n = good };
	g.n.rom_addr = 0x100000;
	assert_non_null(vm);
	vmm_log_set_fd(-1);
	assert_int_equal(vmi_rom_install(vm, &g), -EEXIST);
	vmm_log_set_fd(2);
	vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rom_header_names_version_flavour_width_and_shared_page),
		cmocka_unit_test(test_rom_entries_lie_in_the_rom_and_unknown_calls_share_the_enosys_stub),
		cmocka_unit_test(test_rom_rejects_a_misaligned_window_and_bad_arguments),
		cmocka_unit_test(test_rom_32bit_pv_flavour_is_relocated_to_its_window),
		cmocka_unit_test(test_rom_pv_sites_are_int3_and_native_has_none),
		cmocka_unit_test(test_rom_pv_flavour_takes_over_the_native_entries_a_guest_cached),
		cmocka_unit_test(test_note_in_a_pt_note_segment_is_found_and_valid),
		cmocka_unit_test(test_note_in_a_section_is_found_too),
		cmocka_unit_test(test_note_of_another_type_or_a_plain_image_is_not_a_pv_guest),
		cmocka_unit_test(test_malformed_notes_are_refused_with_the_reason),
		cmocka_unit_test(test_a_truncated_note_area_is_ignored_safely),
		cmocka_unit_test(test_rom_install_maps_a_readonly_rom_and_a_shared_page),
		cmocka_unit_test(test_rom_install_refuses_a_window_over_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

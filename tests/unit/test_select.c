/* test_select.c: the guest probe's code scan (what a guest needs from the
 * CPU) and the host probe's basic promises. */
#include "tests/unit/util.h"

#include <errno.h>
#include <string.h>

#include "vmm/bt/bt_internal.h"
#include "vmm/select/select.h"

/* An image that is all code, loaded at 1 MiB, entered in (bits)-bit mode. */
static void guest_of(struct guest_desc *g, const uint8_t *code, size_t len, unsigned bits)
{
	memset(g, 0, sizeof(*g));
	g->info.format = LOAD_MULTIBOOT;
	g->info.bits = bits;
	g->info.nr_code = 1;
	g->info.code[0].gpa = 0x100000;
	g->info.code[0].file_off = 0;
	g->info.code[0].size = len;
	g->info.code[0].bits = bits == 64 ? 64 : bits;
	assert_int_equal(sel_guest_scan(code, len, g), 0);
}

static void test_scan_flat32_code_needs_only_protected_mode(void **state)
{
	static const uint8_t code[] = { 0xb8, 1, 0, 0, 0, 0x01, 0xc3, 0xf4 }; /* mov; add; hlt */
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_int_equal(g.needs, GUEST_NEEDS_PROT32);
}

static void test_scan_mov_to_cr0_in_32bit_guest_needs_paging(void **state)
{
	static const uint8_t code[] = { 0x0f, 0x20, 0xc0,		  /* mov eax, cr0 */
					0x0d, 0, 0, 0, 0x80,		  /* or eax, 0x80000000 */
					0x0f, 0x22, 0xc0 };		  /* mov cr0, eax */
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_true(g.needs & GUEST_NEEDS_PAGING32);
	assert_non_null(strstr(g.evidence[__builtin_ctz(GUEST_NEEDS_PAGING32)], "mov cr0, eax"));
	assert_false(g.needs & GUEST_NEEDS_LONG_SWITCH);
}

static void test_scan_int80_in_32bit_guest_needs_user_int(void **state)
{
	static const uint8_t code[] = { 0xcd, 0x80, 0xcc, 0xf4 }; /* int 0x80; int3; hlt */
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_true(g.needs & GUEST_NEEDS_USER_INT32);
	assert_non_null(strstr(g.evidence[__builtin_ctz(GUEST_NEEDS_USER_INT32)], "0x80"));
}

static void test_scan_iret_in_32bit_guest_needs_interrupt_return(void **state)
{
	static const uint8_t code[] = { 0xfa, 0xcf }; /* cli; iret */
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_true(g.needs & GUEST_NEEDS_IRET32);
	assert_non_null(strstr(g.evidence[__builtin_ctz(GUEST_NEEDS_IRET32)], "iret"));
}

static void test_scan_int3_alone_is_not_a_software_interrupt_need(void **state)
{
	static const uint8_t code[] = { 0xcc, 0xf4 };
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_false(g.needs & GUEST_NEEDS_USER_INT32);
}

static void test_scan_fninit_needs_an_fpu_and_bt_refuses_without_one(void **state)
{
	static const uint8_t code[] = { 0x0f, 0x20, 0xc0,   /* mov eax, cr0 */
					0xdb, 0xe3,         /* fninit */
					0xf4 };
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_true(g.needs & GUEST_NEEDS_FPU);
	assert_non_null(strstr(g.evidence[__builtin_ctz(GUEST_NEEDS_FPU)], "fninit"));
	char why[256] = "";
	int r = bt_engine_ops.check_guest(NULL, &g, why, sizeof(why));
	if (bt_cpuid_has(1, 3, 0)) { /* once bt's model has the x87 FPU */
		assert_int_equal(r, 0);
	} else {
		assert_int_equal(r, -ENOTSUP);
		assert_non_null(strstr(why, "bt has no x87/MMX/SSE FPU yet"));
		assert_non_null(strstr(why, "fninit"));
	}
}

/* A jump table in .text (addresses near 1 MiB: 08 0f 10 00, swept as
 * "movups xmm0, ...") is no evidence of an FPU. */
static void test_scan_sse_looking_jump_table_is_not_an_fpu_need(void **state)
{
	static const uint8_t code[] = { 0x08, 0x0f, 0x10, 0x00, 0x08, 0x0f, 0x10, 0x00,
					0xd9, 0x00, 0xf4 };     /* ... fld dword [eax] */
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_false(g.needs & GUEST_NEEDS_FPU);
}

/* A Multiboot image that switches to long mode: EFER.LME set from 32-bit
 * code, then mov cr0; and syscall in its 64-bit code. */
static void test_scan_long_mode_switch_is_not_32bit_paging(void **state)
{
	static const uint8_t code[] = { 0xb9, 0x80, 0x00, 0x00, 0xc0,	/* mov ecx, 0xc0000080 */
					0x0f, 0x32,			/* rdmsr */
					0x0d, 0x00, 0x01, 0x00, 0x00,	/* or eax, 0x100 */
					0x0f, 0x30,			/* wrmsr */
					0x0f, 0x22, 0xc0,		/* mov cr0, eax */
					0x0f, 0x05,			/* syscall (64-bit code) */
					0xf4 };
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_true(g.needs & GUEST_NEEDS_LONG_SWITCH);
	assert_true(g.needs & GUEST_NEEDS_LONG);
	assert_false(g.needs & GUEST_NEEDS_PAGING32);
	assert_true(g.needs & GUEST_NEEDS_SYSCALL64);
}

/* 32-bit PAE code that turns on NX writes EFER too, but not LME. */
static void test_scan_efer_nx_write_is_not_a_long_mode_switch(void **state)
{
	static const uint8_t code[] = { 0xb9, 0x80, 0x00, 0x00, 0xc0,	/* mov ecx, 0xc0000080 */
					0x0f, 0x32,			/* rdmsr */
					0x0d, 0x00, 0x08, 0x00, 0x00,	/* or eax, 0x800 (NXE) */
					0x0f, 0x30,			/* wrmsr */
					0x0f, 0x22, 0xc0,		/* mov cr0, eax */
					0xf4 };
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_false(g.needs & GUEST_NEEDS_LONG_SWITCH);
	assert_true(g.needs & GUEST_NEEDS_PAGING32);
}

static void test_scan_real_mode_entry_needs_real_mode(void **state)
{
	static const uint8_t code[] = { 0xb0, 0x41, 0xe6, 0xe9, 0xf4 };
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 16);
	assert_true(g.needs & GUEST_NEEDS_REAL);
}

/* An ELF32 image: .text at file offset 0x100 (address 0x100000) holding
 * `hlt; nop; nop; nop` then a 4-byte STT_OBJECT "table" whose bytes read as `int 0x2f`. */
static size_t elf_with_data_in_text(uint8_t *img, size_t cap, bool with_symbol)
{
	memset(img, 0, cap);
	uint8_t *eh = img;
	memcpy(eh, "\177ELF\1\1\1", 7);
	*(uint16_t *)(eh + 16) = 2;		/* ET_EXEC */
	*(uint16_t *)(eh + 18) = 3;		/* EM_386 */
	*(uint32_t *)(eh + 32) = 0x200;		/* e_shoff */
	*(uint16_t *)(eh + 46) = 40;		/* e_shentsize */
	*(uint16_t *)(eh + 48) = 3;		/* e_shnum: null, .text, .symtab */
	static const uint8_t text[] = { 0xf4, 0x90, 0x90, 0x90, 0xcd, 0x2f, 0x10, 0x00 };
	memcpy(img + 0x100, text, sizeof(text));
	uint8_t *sh = img + 0x200 + 40;		/* [1] .text */
	*(uint32_t *)(sh + 4) = 1;		/* SHT_PROGBITS */
	*(uint32_t *)(sh + 8) = 6;		/* SHF_ALLOC | SHF_EXECINSTR */
	*(uint32_t *)(sh + 12) = 0x100000;	/* sh_addr */
	*(uint32_t *)(sh + 16) = 0x100;		/* sh_offset */
	*(uint32_t *)(sh + 20) = sizeof(text);
	sh += 40;				/* [2] .symtab */
	*(uint32_t *)(sh + 4) = 2;		/* SHT_SYMTAB */
	*(uint32_t *)(sh + 16) = 0x300;
	*(uint32_t *)(sh + 20) = 32;		/* two 16-byte symbols */
	*(uint32_t *)(sh + 36) = 16;		/* sh_entsize */
	uint8_t *sym = img + 0x310;		/* symbol 1 (0 is the null symbol) */
	*(uint32_t *)(sym + 4) = 0x100004;	/* st_value */
	*(uint32_t *)(sym + 8) = 4;		/* st_size */
	sym[12] = with_symbol ? 1 : 2;		/* STT_OBJECT, or STT_FUNC */
	*(uint16_t *)(sym + 14) = 1;		/* st_shndx: .text */
	return 0x400;
}

static void test_scan_skips_data_objects_named_by_the_symbol_table(void **state)
{
	uint8_t img[0x400];
	for (int with = 0; with <= 1; with++) {
		size_t len = elf_with_data_in_text(img, sizeof(img), with);
		struct load_range r[4];
		assert_int_equal(load_elf_data_ranges(img, len, r, 4), with ? 1 : 0);
		if (with) {
			assert_int_equal(r[0].off, 0x104);
			assert_int_equal(r[0].size, 4);
		}
		struct guest_desc g;
		memset(&g, 0, sizeof(g));
		g.info.bits = 32;
		g.info.nr_code = 1;
		g.info.code[0] = (__typeof__(g.info.code[0])){ .gpa = 0x100000, .file_off = 0x100,
							       .size = 8, .bits = 32 };
		assert_int_equal(sel_guest_scan(img, len, &g), 0);
		/* without the symbol the sweep cannot know the bytes are data */
		assert_int_equal(!!(g.needs & GUEST_NEEDS_USER_INT32), !with);
	}
}

/* What only the sweep found is a hint; what the entry mode says is not. */
static void test_scan_only_needs_are_hints_and_entry_needs_are_not(void **state)
{
	static const uint8_t code[] = { 0xeb, 0x03, 0xcf, 0xcd, 0x80, 0xf4 }; /* jmp over data */
	struct guest_desc g;
	guest_of(&g, code, sizeof(code), 32);
	assert_true(g.needs & GUEST_NEEDS_IRET32);
	assert_true(g.needs & GUEST_NEEDS_USER_INT32);
	assert_int_equal(g.hints, GUEST_NEEDS_IRET32 | GUEST_NEEDS_USER_INT32);
	assert_true(g.needs & GUEST_NEEDS_PROT32);
	assert_false(g.hints & GUEST_NEEDS_PROT32);
}

/* A bzImage's compressed payload (payload_offset/payload_length) is data:
 * bytes in it that decode as int 0x80 are no need; the same bytes in the
 * decompressor are (a hint). */
static void test_scan_skips_the_bzimage_compressed_payload(void **state)
{
	static uint8_t img[4096];
	memset(img, 0x90, sizeof(img));
	memset(img + 0x1f1, 0, 0x290 - 0x1f1); /* the setup header */
	img[0x1f1] = 1; /* setup_sects: the protected-mode kernel at 1024 */
	img[0x1fe] = 0x55, img[0x1ff] = 0xaa;
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f, img[0x207] = 0x02; /* 2.15 */
	img[0x248] = 0x00, img[0x249] = 0x01; /* payload_offset 0x100 */
	img[0x24c] = 0x40;                    /* payload_length 0x40 */
	img[1024 + 0x120] = 0xcd, img[1024 + 0x121] = 0x80;
	struct load_range r;
	assert_true(load_bzimage_payload(img, sizeof(img), &r));
	assert_int_equal(r.off, 1024 + 0x100);
	assert_int_equal(r.size, 0x40);
	for (int bz = 0; bz <= 1; bz++) {
		struct guest_desc g;
		memset(&g, 0, sizeof(g));
		g.info.format = bz ? LOAD_BZIMAGE : LOAD_FLAT;
		g.info.bits = 32;
		g.info.nr_code = 1;
		g.info.code[0] = (__typeof__(g.info.code[0])){ .gpa = 0x100000, .file_off = 1024,
							       .size = 0x200, .bits = 32 };
		assert_int_equal(sel_guest_scan(img, sizeof(img), &g), 0);
		assert_int_equal(!!(g.needs & GUEST_NEEDS_USER_INT32), !bz);
	}
	img[1024 + 0x20] = 0xcd, img[1024 + 0x21] = 0x80; /* in the decompressor */
	struct guest_desc g;
	memset(&g, 0, sizeof(g));
	g.info.format = LOAD_BZIMAGE;
	g.info.bits = 32;
	g.info.nr_code = 1;
	g.info.code[0] = (__typeof__(g.info.code[0])){ .gpa = 0x100000, .file_off = 1024,
						       .size = 0x200, .bits = 32 };
	assert_int_equal(sel_guest_scan(img, sizeof(img), &g), 0);
	assert_true(g.hints & GUEST_NEEDS_USER_INT32);
	assert_non_null(strstr(g.evidence[__builtin_ctz(GUEST_NEEDS_USER_INT32)], "0x100020"));
}

static void test_host_probe_fills_a_stable_fingerprint(void **state)
{
	struct host_caps a, b;
	sel_host_probe(&a);
	sel_host_probe(&b);
	assert_int_equal(strlen(a.fingerprint), 16);
	assert_string_equal(a.fingerprint, b.fingerprint);
	/* the KVM state always comes with a reason when it is not usable */
	if (a.kvm != HOST_KVM_OK)
		assert_true(strlen(a.kvm_why) > 0);
	json_t *j = sel_host_json(&a);
	assert_non_null(json_object_get(json_object_get(j, "kvm"), "state"));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_flat32_code_needs_only_protected_mode),
		cmocka_unit_test(test_scan_mov_to_cr0_in_32bit_guest_needs_paging),
		cmocka_unit_test(test_scan_int80_in_32bit_guest_needs_user_int),
		cmocka_unit_test(test_scan_iret_in_32bit_guest_needs_interrupt_return),
		cmocka_unit_test(test_scan_int3_alone_is_not_a_software_interrupt_need),
		cmocka_unit_test(test_scan_fninit_needs_an_fpu_and_bt_refuses_without_one),
		cmocka_unit_test(test_scan_sse_looking_jump_table_is_not_an_fpu_need),
		cmocka_unit_test(test_scan_long_mode_switch_is_not_32bit_paging),
		cmocka_unit_test(test_scan_efer_nx_write_is_not_a_long_mode_switch),
		cmocka_unit_test(test_scan_real_mode_entry_needs_real_mode),
		cmocka_unit_test(test_scan_skips_data_objects_named_by_the_symbol_table),
		cmocka_unit_test(test_scan_only_needs_are_hints_and_entry_needs_are_not),
		cmocka_unit_test(test_scan_skips_the_bzimage_compressed_payload),
		cmocka_unit_test(test_host_probe_fills_a_stable_fingerprint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

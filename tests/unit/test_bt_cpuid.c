/* test_bt_cpuid.c: the CPU model bt presents (bt_cpuid.c): one identity
 * (GenuineIntel family 6 model 6), features only from the model's list and
 * consistent with the leaves it reports, the MSRs it has; any other MSR
 * (AMD's 0xc001xxxx included) raises #GP; the decoder gives encodings that
 * depend on features the model's meaning. Run by guest code on the
 * interpreter and the translator. */
#include <capstone/capstone.h>

#include "tests/unit/test_bt_harness.h"

/* cpuid(eax = *in, ecx = 0) -> *out[4] for each leaf listed at BTH_DATA:
 * [0] n, then n leaves; results at BTH_DATA + 0x100, 16 bytes each. */
BTH_CODE(t_cpuid_leaves, "mov $0x20000, %esi\n mov (%esi), %ebp\n lea 4(%esi), %esi\n"
			 "mov $0x20100, %edi\n"
			 "1: test %ebp, %ebp\n jz 2f\n mov (%esi), %eax\n xor %ecx, %ecx\n"
			 "cpuid\n mov %eax, (%edi)\n mov %ebx, 4(%edi)\n mov %ecx, 8(%edi)\n"
			 "mov %edx, 12(%edi)\n add $4, %esi\n add $16, %edi\n dec %ebp\n jmp 1b\n"
			 "2: hlt");

static void cpuid_leaves(const uint32_t *leaves, unsigned n, uint32_t (*out)[4])
{
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_cpuid_leaves_start, t_cpuid_leaves_end);
	bth_poke32(h, BTH_DATA, n);
	for (unsigned i = 0; i < n; i++)
		bth_poke32(h, BTH_DATA + 4 + 4 * i, leaves[i]);
	assert_int_equal(bth_run(h), BTH_HLT);
	for (unsigned i = 0; i < n; i++)
		for (unsigned r = 0; r < 4; r++)
			out[i][r] = bth_peek32(h, BTH_DATA + 0x100 + 16 * i + 4 * r);
	bth_free(h);
}

static void test_bt_cpuid_is_one_intel_family6_model(void **state)
{
	(void)state;
	static const uint32_t l[] = { 0, 1, 0x80000000u, 0x80000002u };
	uint32_t r[4][4];
	cpuid_leaves(l, 4, r);
	char vendor[13] = { 0 };
	memcpy(vendor, &r[0][1], 4);
	memcpy(vendor + 4, &r[0][3], 4);
	memcpy(vendor + 8, &r[0][2], 4);
	assert_string_equal(vendor, "GenuineIntel");
	assert_true(r[0][0] >= 1);
	assert_int_equal((r[1][0] >> 8) & 0xf, 6);  /* family */
	assert_int_equal((r[1][0] >> 4) & 0xf, 6);  /* model */
	assert_int_equal((r[1][0] >> 20) & 0xff, 0); /* no extended family */
	assert_int_equal(r[2][0], 0x80000008u);
	assert_memory_equal(r[3], "Triplex bt virtual CPU", 16);
}

static void test_bt_cpuid_features_are_the_models_and_nothing_else(void **state)
{
	(void)state;
	static const uint32_t l[] = { 1, 0x80000001u, 7, 0x80000008u };
	uint32_t r[4][4];
	cpuid_leaves(l, 4, r);
	/* leaf 1 EDX: what the suite and a 686 kernel rely on */
	for (unsigned b = 0; b < 32; b++)
		assert_int_equal((r[0][3] >> b) & 1, bt_cpuid_has(1, 3, b));
	for (unsigned b = 0; b < 32; b++)
		assert_int_equal((r[0][2] >> b) & 1, bt_cpuid_has(1, 2, b));
	assert_true(r[0][3] & (1u << 4));  /* TSC */
	assert_true(r[0][3] & (1u << 5));  /* MSR */
	assert_true(r[0][3] & (1u << 6));  /* PAE: the 686-pae kernel */
	assert_true(r[0][3] & (1u << 8));  /* CX8 */
	assert_true(r[0][3] & (1u << 15)); /* CMOV: every 686 kernel */
	assert_true(r[0][2] & (1u << 31)); /* hypervisor */
	/* extensions bt does not implement are not advertised */
	assert_false(r[0][2] & (1u << 23)); /* POPCNT */
	assert_false(r[0][2] & (1u << 22)); /* MOVBE */
	assert_false(r[1][2] & (1u << 5));  /* LZCNT (ABM) */
	assert_true(r[1][3] & (1u << 20));  /* NX */
	/* leaf 7 (BMI1/BMI2/ADX) lies beyond the highest basic leaf unless the
	 * model lists a feature there */
	if (!bt_cpuid_has(7, 1, 3))
		assert_false(r[2][1] & (1u << 3));
	assert_int_equal(r[3][0] & 0xff, 36); /* physical address bits */
}

static void test_bt_cpuid_leaf1_ignores_ecx(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	static const uint8_t code[] = { 0xb8, 1, 0, 0, 0,    /* mov $1, %eax */
					0xb9, 5, 0, 0, 0,    /* mov $5, %ecx */
					0x0f, 0xa2, 0xf4 };  /* cpuid; hlt */
	bth_load(h, BTH_CODE_ADDR, code, code + sizeof(code));
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_true(h->c->gpr[X86_RDX] & (1u << 15));
	bth_free(h);
}

/* rdmsr of ECX; EAX:EDX stored at BTH_DATA. */
BTH_CODE(t_rdmsr, "rdmsr\n mov %eax, 0x20000\n mov %edx, 0x20004\n hlt");
BTH_CODE(t_wrmsr, "wrmsr\n hlt");

static void test_bt_msr_unknown_and_amd_msrs_raise_gp(void **state)
{
	(void)state;
	static const uint32_t bad[] = { 0xc001001f, 0xc0010015, 0xc0011029, 0x3a, 0x12345678 };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(bad); i++) {
		struct bth *h = bth_new(BTH_FLAT32);
		bth_load(h, BTH_CODE_ADDR, t_rdmsr_start, t_rdmsr_end);
		h->c->gpr[X86_RCX] = bad[i];
		assert_int_equal(bth_run(h), BTH_EXC);
		assert_int_equal(h->vector, 13);
		assert_int_equal(h->err, 0);
		assert_int_equal(h->fault_eip, BTH_CODE_ADDR);
		bth_free(h);
		h = bth_new(BTH_FLAT32);
		bth_load(h, BTH_CODE_ADDR, t_wrmsr_start, t_wrmsr_end);
		h->c->gpr[X86_RCX] = bad[i];
		assert_int_equal(bth_run(h), BTH_EXC);
		assert_int_equal(h->vector, 13);
		bth_free(h);
	}
}

static void test_bt_msr_model_msrs_read_back(void **state)
{
	(void)state;
	/* SYSENTER_EIP and PAT keep what was written */
	static const uint32_t idx[] = { 0x176, 0x277, 0x8b };
	static const uint32_t val[] = { 0xc0101234, 0x00070406, 0 };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(idx); i++) {
		struct bth *h = bth_new(BTH_FLAT32);
		bth_load(h, BTH_CODE_ADDR, t_wrmsr_start, t_wrmsr_end);
		h->c->gpr[X86_RCX] = idx[i];
		h->c->gpr[X86_RAX] = val[i];
		h->c->gpr[X86_RDX] = i == 1 ? 0x00070406 : 0;
		assert_int_equal(bth_run(h), BTH_HLT);
		uint64_t v = 0;
		assert_int_equal(bt_rdmsr(h->c, idx[i], &v), 0);
		assert_int_equal((uint32_t)v, val[i]);
		bth_free(h);
	}
}

/* RDTSC and RDTSCP (inline in translated code): the guest TSC is the one
 * IA32_TSC set (a carry into EDX shows the 64-bit offset add), RDTSCP gives
 * IA32_TSC_AUX in ECX, the arithmetic flags survive both, and the two
 * reads are in order. Results at BTH_DATA: rdtsc EAX EDX flags, rdtscp
 * EAX EDX ECX flags. */
BTH_CODE(t_rdtsc, "mov $0xc0000103, %ecx\n mov $0x1234, %eax\n xor %edx, %edx\n wrmsr\n"
		  "mov $0x10, %ecx\n mov $0xfffffff0, %eax\n mov $1, %edx\n wrmsr\n"
		  "mov $0x20000, %edi\n mov $0x7fffffff, %ebx\n add $1, %ebx\n stc\n"
		  "rdtsc\n pushf\n mov %eax, (%edi)\n mov %edx, 4(%edi)\n pop 8(%edi)\n"
		  "mov $-1, %ebx\n add $1, %ebx\n stc\n"
		  "rdtscp\n pushf\n mov %eax, 16(%edi)\n mov %edx, 20(%edi)\n"
		  "mov %ecx, 24(%edi)\n pop 28(%edi)\n hlt");

static void test_bt_rdtsc_rdtscp_give_the_guest_tsc_and_keep_flags(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_rdtsc_start, t_rdtsc_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	uint64_t t1 = bth_peek32(h, BTH_DATA) | (uint64_t)bth_peek32(h, BTH_DATA + 4) << 32;
	uint64_t t2 = bth_peek32(h, BTH_DATA + 16) | (uint64_t)bth_peek32(h, BTH_DATA + 20) << 32;
	assert_true(t1 >= 0x1fffffff0ull);
	assert_true(t1 < 0x1fffffff0ull + (1ull << 40)); /* minutes of host TSC */
	assert_true(t2 >= t1);
	assert_int_equal(bth_peek32(h, BTH_DATA + 24), 0x1234);
	uint32_t f1 = bth_peek32(h, BTH_DATA + 8), f2 = bth_peek32(h, BTH_DATA + 28);
	/* 0x7fffffff + 1: OF SF, then STC */
	assert_int_equal(f1 & (X86_FLAGS_CF | X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF),
			 X86_FLAGS_CF | X86_FLAGS_SF | X86_FLAGS_OF);
	/* -1 + 1: ZF (and CF, AF), then STC */
	assert_int_equal(f2 & (X86_FLAGS_CF | X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF),
			 X86_FLAGS_CF | X86_FLAGS_ZF);
	bth_free(h);
}

/* The decoder gives feature-dependent encodings the model's meaning. */
static void test_bt_decode_feature_encodings_follow_the_model(void **state)
{
	(void)state;
	static const struct {
		uint8_t b[8];
		unsigned n;
		int id; /* -1: #UD */
	} t[] = {
		{ { 0xf3, 0x0f, 0xbc, 0xc1 }, 4, X86_INS_BSF },       /* tzcnt -> bsf */
		{ { 0xf3, 0x0f, 0xbd, 0xc1 }, 4, X86_INS_BSR },       /* lzcnt -> bsr */
		{ { 0x66, 0xf3, 0x0f, 0xbc, 0xc1 }, 5, X86_INS_BSF },
		{ { 0xf3, 0x0f, 0xb8, 0xc1 }, 4, -1 },                /* popcnt */
		{ { 0x0f, 0x38, 0xf0, 0x00 }, 4, -1 },                /* movbe */
		{ { 0x66, 0x0f, 0x38, 0xf6, 0xc1 }, 5, -1 },          /* adcx */
		{ { 0xc4, 0xe2, 0x70, 0xf2, 0xc3 }, 5, -1 },          /* andn (VEX) */
		{ { 0x0f, 0x01, 0xf9 }, 3, X86_INS_RDTSCP },          /* rdtscp: bt has it */
		{ { 0x0f, 0xc7, 0xf0 }, 3, -1 },                      /* rdrand */
		{ { 0xc4, 0x00 }, 2, X86_INS_LES },                   /* les (mod 0) */
		{ { 0x0f, 0xbc, 0xc1 }, 3, X86_INS_BSF },
	};
	struct bt_decoder *d = bt_decoder_create();
	assert_non_null(d);
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(t); i++) {
		struct bt_insn in;
		int r = bt_decode(d, t[i].b, t[i].n, 0x1000, 32, &in);
		if (t[i].id < 0) {
			assert_int_equal(r, -1);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(in.id, t[i].id);
			assert_int_equal(in.len, t[i].n);
		}
	}
	bt_decoder_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bt_cpuid_is_one_intel_family6_model),
		cmocka_unit_test(test_bt_cpuid_features_are_the_models_and_nothing_else),
		cmocka_unit_test(test_bt_cpuid_leaf1_ignores_ecx),
		cmocka_unit_test(test_bt_msr_unknown_and_amd_msrs_raise_gp),
		cmocka_unit_test(test_bt_msr_model_msrs_read_back),
		cmocka_unit_test(test_bt_decode_feature_encodings_follow_the_model),
		cmocka_unit_test(test_bt_rdtsc_rdtscp_give_the_guest_tsc_and_keep_flags),
	};
	int r = cmocka_run_group_tests_name("bt interpreter", tests, bth_setup_interp, NULL);
	r |= cmocka_run_group_tests_name("bt translator", tests, bth_setup_trans, NULL);
	return r;
}

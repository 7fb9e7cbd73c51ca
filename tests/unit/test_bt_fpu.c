/* test_bt_fpu.c: bt's x87/MMX/SSE on small guests, on the interpreter,
 * the translator and the translator on the software TLB: results computed
 * by the host FPU, the guest's FXSAVE image as the state, the CR0/CR4
 * rules (#NM with TS, #UD without OSFXSR), #MF at the next waiting
 * instruction, #XM for unmasked SSE exceptions, misaligned operands (#GP),
 * the FNSTENV/FNSAVE/FXSAVE pointer fields, and faults that leave the FPU
 * untouched. The selftest guest checks many more values (st_fpu.c). */
#include "tests/unit/test_bt_harness.h"

#define D_ 0x20000

static void fp_setup(struct bth *h, bool sse)
{
	h->c->cr0 |= X86_CR0_NE | X86_CR0_MP;
	if (sse)
		h->c->cr4 |= X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
}

static uint64_t peek64(struct bth *h, uint32_t a)
{
	return bth_peek32(h, a) | (uint64_t)bth_peek32(h, a + 4) << 32;
}

BTH_CODE(t_x87, "fninit\n fldl 0x20000\n faddl 0x20008\n fstpl 0x20010\n"
		"fildl 0x20018\n fsqrt\n fistpl 0x2001c\n"
		"fld1\n fldz\n fcomip %st(1), %st\n fstp %st(0)\n"
		"fnstsw %ax\n fnstcw 0x20020\n hlt");

static void test_bt_fpu_x87_arith(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	fp_setup(h, true);
	bth_load(h, BTH_CODE_ADDR, t_x87_start, t_x87_end);
	double a = 1.25, b = 2.5;
	uint64_t ab, bb;
	memcpy(&ab, &a, 8);
	memcpy(&bb, &b, 8);
	bth_poke32(h, D_, (uint32_t)ab);
	bth_poke32(h, D_ + 4, (uint32_t)(ab >> 32));
	bth_poke32(h, D_ + 8, (uint32_t)bb);
	bth_poke32(h, D_ + 12, (uint32_t)(bb >> 32));
	bth_poke32(h, D_ + 0x18, 144);
	h->c->gpr[X86_RAX] = 0xdead0000;
	assert_int_equal(bth_run(h), BTH_HLT);
	double r;
	uint64_t rb = peek64(h, D_ + 0x10);
	memcpy(&r, &rb, 8);
	assert_true(r == 3.75);
	assert_int_equal(bth_peek32(h, D_ + 0x1c), 12);
	/* fcomip 0 vs 1: below -> CF=1, ZF=0 */
	assert_true(h->c->eflags & X86_FLAGS_CF);
	assert_false(h->c->eflags & X86_FLAGS_ZF);
	assert_int_equal(h->c->gpr[X86_RAX] & 0xffff0000u, 0xdead0000);
	assert_int_equal((h->c->gpr[X86_RAX] >> 11) & 7, 0); /* TOP back to 0 */
	assert_int_equal(bth_peek32(h, D_ + 0x20) & 0xffff, 0x37f);
	assert_int_equal(h->c->fpu.fcw, 0x37f);
	bth_free(h);
}

BTH_CODE(t_sse, "movups 0x20000, %xmm0\n movups 0x20010, %xmm1\n addps %xmm1, %xmm0\n"
		"movups %xmm0, 0x20020\n cvttss2si %xmm0, %edx\n cvtsi2sd %edx, %xmm2\n"
		"movsd %xmm2, 0x20030\n pmovmskb %xmm1, %esi\n hlt");

static void test_bt_fpu_sse_arith(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	fp_setup(h, true);
	bth_load(h, BTH_CODE_ADDR, t_sse_start, t_sse_end);
	float in[8] = { 1.5f, 2, 3, 4, 10, 20, -30, 40 };
	for (unsigned i = 0; i < 8; i++) {
		uint32_t v;
		memcpy(&v, &in[i], 4);
		bth_poke32(h, D_ + 4 * i, v);
	}
	assert_int_equal(bth_run(h), BTH_HLT);
	for (unsigned i = 0; i < 4; i++) {
		float f, want = in[i] + in[i + 4];
		uint32_t v = bth_peek32(h, D_ + 0x20 + 4 * i);
		memcpy(&f, &v, 4);
		assert_true(f == want);
	}
	assert_int_equal(h->c->gpr[X86_RDX], 11);
	double d;
	uint64_t db = peek64(h, D_ + 0x30);
	memcpy(&d, &db, 8);
	assert_true(d == 11.0);
	uint32_t msk = 0;
	for (unsigned i = 0; i < 16; i++)
		msk |= (uint32_t)(((const uint8_t *)&in[4])[i] >> 7) << i;
	assert_int_equal(h->c->gpr[X86_RSI], msk);
	bth_free(h);
}

BTH_CODE(t_ts, "fld1\n hlt");

static void test_bt_fpu_ts_raises_nm_and_clts_clears_it(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	fp_setup(h, true);
	h->c->cr0 |= X86_CR0_TS;
	bth_load(h, BTH_CODE_ADDR, t_ts_start, t_ts_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_NM);
	assert_int_equal(h->fault_eip, BTH_CODE_ADDR);
	bth_free(h);
}

BTH_CODE(t_em_sse, "addps %xmm1, %xmm0\n hlt");

static void test_bt_fpu_sse_without_osfxsr_is_ud(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	fp_setup(h, false);
	bth_load(h, BTH_CODE_ADDR, t_em_sse_start, t_em_sse_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_UD);
	bth_free(h);
}

/* invalid operation unmasked: nothing until the next waiting instruction */
BTH_CODE(t_mf, "fninit\n fldcw 0x20000\n fldz\n fldz\n fdivrp\n fnstsw %ax\n"
	       "mov $1, %ebx\n fwait\n hlt");

static void test_bt_fpu_unmasked_x87_exception_is_mf_at_next_wait(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	fp_setup(h, true); /* OSFXSR: the translator runs it natively (SIGFPE -> #MF) */
	bth_load(h, BTH_CODE_ADDR, t_mf_start, t_mf_end);
	bth_poke32(h, D_, 0x37e); /* IM clear: 0/0 */
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_MF);
	assert_int_equal(h->c->gpr[X86_RBX], 1);
	assert_int_equal(h->c->gpr[X86_RAX] & 0x81, 0x81); /* ES, IE */
	assert_int_equal(h->fault_eip, BTH_CODE_ADDR + (uint32_t)(t_mf_end - t_mf_start) - 2);
	bth_free(h);
}

BTH_CODE(t_xm, "ldmxcsr 0x20000\n xorps %xmm1, %xmm1\n movss 0x20004, %xmm0\n"
	       "divss %xmm1, %xmm0\n hlt");

static void test_bt_fpu_unmasked_sse_exception_is_xm(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	fp_setup(h, true);
	bth_load(h, BTH_CODE_ADDR, t_xm_start, t_xm_end);
	bth_poke32(h, D_, 0x1d80); /* ZM clear */
	bth_poke32(h, D_ + 4, 0x3f800000);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_XM);
	assert_int_equal(h->fault_eip, BTH_CODE_ADDR + (uint32_t)(t_xm_end - t_xm_start) - 5);
	assert_int_equal(h->c->fpu.mxcsr & 0x3f, 0x04); /* ZE set, destination kept */
	bth_free(h);
}

BTH_CODE(t_align, "movaps 0x20008, %xmm0\n hlt");

static void test_bt_fpu_misaligned_movaps_is_gp(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	fp_setup(h, true);
	bth_load(h, BTH_CODE_ADDR, t_align_start, t_align_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_GP);
	assert_int_equal(h->err, 0);
	bth_free(h);
}

BTH_CODE(t_save, "fninit\n fldpi\n fld1\n fnstenv 0x20000\n fxsave 0x20100\n"
		 "fnsave 0x20400\n fld1\n frstor 0x20400\n fstpl 0x20300\n"
		 "fxrstor 0x20100\n fstpl 0x20308\n movq %mm1, %mm0\n emms\n hlt");

static void test_bt_fpu_save_formats_and_round_trips(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	fp_setup(h, true);
	bth_load(h, BTH_CODE_ADDR, t_save_start, t_save_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	uint32_t fld1_eip = BTH_CODE_ADDR + 2 + 2; /* after fninit, fldpi */
	/* FNSTENV, 32-bit protected format */
	assert_int_equal(bth_peek32(h, D_) & 0xffff, 0x37f);
	assert_int_equal((bth_peek32(h, D_ + 4) >> 11) & 7, 6); /* TOP */
	assert_int_equal(bth_peek32(h, D_ + 12), fld1_eip);
	assert_int_equal(bth_peek32(h, D_ + 16) & 0xffff, BTH_KCS);
	assert_int_equal(bth_peek32(h, D_ + 16) >> 16, 0x1e8); /* D9 E8 */
	/* FXSAVE: FIP and the abridged tag of two registers */
	assert_int_equal(bth_peek32(h, D_ + 0x108), fld1_eip);
	assert_int_equal(bth_peek32(h, D_ + 0x104) & 0xff, 0xc0);
	/* FRSTOR then FXRSTOR bring 1.0 back */
	assert_int_equal(peek64(h, D_ + 0x300), 0x3ff0000000000000ull);
	assert_int_equal(peek64(h, D_ + 0x308), 0x3ff0000000000000ull);
	assert_int_equal(h->c->fpu.ftw, 0); /* EMMS */
	bth_free(h);
}

BTH_CODE(t_pf, "fld1\n fstpl 0x7ffffff8\n hlt");

static void test_bt_fpu_store_fault_leaves_the_stack(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	fp_setup(h, false);
	bth_load(h, BTH_CODE_ADDR, t_pf_start, t_pf_end);
	h->c->seg[X86_DS].limit = 0x0fffffff;
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_GP);
	assert_int_equal(h->fault_eip, BTH_CODE_ADDR + 2);
	assert_int_equal((h->c->fpu.fsw >> 11) & 7, 7); /* 1.0 still pushed */
	bth_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bt_fpu_x87_arith),
		cmocka_unit_test(test_bt_fpu_sse_arith),
		cmocka_unit_test(test_bt_fpu_ts_raises_nm_and_clts_clears_it),
		cmocka_unit_test(test_bt_fpu_sse_without_osfxsr_is_ud),
		cmocka_unit_test(test_bt_fpu_unmasked_x87_exception_is_mf_at_next_wait),
		cmocka_unit_test(test_bt_fpu_unmasked_sse_exception_is_xm),
		cmocka_unit_test(test_bt_fpu_misaligned_movaps_is_gp),
		cmocka_unit_test(test_bt_fpu_save_formats_and_round_trips),
		cmocka_unit_test(test_bt_fpu_store_fault_leaves_the_stack),
	};
	int r = cmocka_run_group_tests_name("bt fpu, interpreter", tests, bth_setup_interp, NULL);
	r |= cmocka_run_group_tests_name("bt fpu, translator", tests, bth_setup_trans, NULL);
	r |= cmocka_run_group_tests_name("bt fpu, software TLB", tests, bth_setup_softmmu,
					 bth_teardown_softmmu);
	return r;
}

/* guests/selftest/st_fpu.c: x87, MMX and SSE2 in the 32-bit build.
 * "fpu.x87", "fpu.mmx", "fpu.sse2": checksums of each instruction of
 * fpu_ops.h over edge and random operands, compared with the host CPU's
 * (guests/gen). Then the state instructions and the FPU's exceptions:
 * FNSAVE/FRSTOR and FXSAVE/FXRSTOR round trips, FNSTENV's pointers, EMMS,
 * #NM with CR0.TS (and CLTS), #MF at the next waiting instruction with
 * CR0.NE, #XM for an unmasked SSE exception, #GP for a misaligned MOVAPS. */
#define EXPECT_FPU_TABLES
#include "expect.h"
#include "fpu_ops.h"
#include "st.h"

#ifndef __x86_64__
#define VEC_NM 7
#define VEC_MF 16

static void fpu_table(void)
{
	const char *cur = NULL;
	char name[32];

	st_begin("fpu.table");
	if (!st_eq("ops", EXPECT_FPU_NOPS, FPU_NOPS))
		return;
	st_end();
	for (unsigned k = 0; k < FPU_NOPS; k++) {
		const char *op = fpu_ops[k].name;
		uint64_t rng = FPU_SEED;
		uint32_t h = FPU_HASH_INIT;

		if (!cur || strncmp(cur, op, 3)) {
			if (cur)
				st_end();
			ksnprintf(name, sizeof(name), "fpu.%s", op[0] == 's' ? "sse2" : op[0] == 'm' ? "mmx" : "x87");
			st_begin(name);
			cur = op;
		}
		for (uint32_t i = 0; i < FPU_PAIRS; i++) {
			struct fpu_in in;
			fpu_operands(i, &rng, &in);
			h = fpu_step(&fpu_ops[k], &in, h);
		}
		st_eq(op + 4, expect_fpu[k], h);
	}
	st_end();
}

static uint8_t fx_a[512] __attribute__((aligned(16)));
static uint8_t fx_b[512] __attribute__((aligned(16)));
static uint8_t sv[108];

static void fpu_state(void)
{
	uint64_t one, pi_lo;
	uint32_t env[7];
	ulong here;
	uint16_t sw;

	st_begin("fpu.state");
	/* two values on the stack; FNSAVE reinitializes, FRSTOR brings them back */
	__asm__ volatile("fninit\n\tfldpi\n\t0: fld1\n\tfnstenv %[env]\n\tmovl $0b, %[here]\n\t"
			 "fnsave %[sv]\n\tfnstsw %[sw]\n\tfrstor %[sv]\n\tfstpl %[one]\n\t"
			 "fstpl %[pi]\n\tfninit"
			 : [env] "=m"(env), [here] "=m"(here), [sv] "+m"(sv), [sw] "=m"(sw),
			   [one] "=m"(one), [pi] "=m"(pi_lo));
	st_eq("fnstenv_fcw", 0x37f, env[0] & 0xffff);
	st_eq("fnstenv_top", 6, (env[1] >> 11) & 7);
	st_eq("fnstenv_tags", 0x0fff, env[2] & 0xffff); /* two valid, six empty */
	st_eq("fnstenv_fip", here, env[3]);
	st_eq("fnsave_reinit_top", 0, (sw >> 11) & 7);
	st_eq("frstor_st0", 0x3ff0000000000000ull, one);
	st_eq("frstor_st1", 0x400921fb54442d18ull, pi_lo);
	/* FXSAVE -> FXRSTOR of a modified image -> FXSAVE again */
	__asm__ volatile("fninit\n\tfld1\n\tmovq %%mm0, %%mm0\n\tfxsave %[a]"
			 : [a] "=m"(fx_a) : : "memory");
	fx_a[0] = 0x7f;
	fx_a[1] = 0x0b; /* FCW 0x0b7f: round up */
	fx_a[160] = 0x5a; /* XMM0 byte 0 */
	__asm__ volatile("fxrstor %[a]\n\tfxsave %[b]\n\temms\n\tfninit"
			 : [b] "=m"(fx_b) : [a] "m"(fx_a) : "memory");
	st_eq("fxsave_fcw", 0x0b7f, fx_b[0] | fx_b[1] << 8);
	st_eq("fxsave_ftw_mmx", 0xff, fx_b[4]); /* MMX use tags all valid */
	st_eq("fxsave_xmm0", 0x5a, fx_b[160]);
	st_eq("fxsave_mxcsr", fx_a[24] | fx_a[25] << 8, fx_b[24] | fx_b[25] << 8);
	st_end();
}

static void fpu_exc(void)
{
	struct st_fault f;
	ulong ip;
	uint16_t cw = 0x37e; /* IM clear */
	static uint8_t mis[32] __attribute__((aligned(16)));

	st_begin("fpu.nm");
	write_cr0(read_cr0() | X86_CR0_TS);
	catch_arm(1u << VEC_NM);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "0:\tfld1\n1:"
			 : [ip] "=&r"(ip) : : CATCH_CLOBBER);
	st_fault_take(&f);
	st_check_fault(&f, VEC_NM, 0, ip, 0);
	catch_arm(1u << VEC_NM);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "0:\tpxor %%xmm0, %%xmm0\n1:"
			 : [ip] "=&r"(ip) : : CATCH_CLOBBER);
	st_fault_take(&f);
	st_check_fault(&f, VEC_NM, 0, ip, 0);
	__asm__ volatile("clts");
	st_eq("clts", 0, read_cr0() & X86_CR0_TS);
	st_end();

	st_begin("fpu.mf");
	catch_arm(1u << VEC_MF);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1
			 "fninit\n\tfldcw %[cw]\n\tfldz\n\tfldz\n\tfdivrp\n\tnop\n0:\tfwait\n1:\t"
			 "fnclex\n\tfninit"
			 : [ip] "=&r"(ip) : [cw] "m"(cw) : CATCH_CLOBBER);
	st_fault_take(&f);
	st_check_fault(&f, VEC_MF, 0, ip, 0);
	st_end();

	st_begin("fpu.align");
	catch_arm(1u << VEC_GP);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "0:\tmovaps %[m], %%xmm0\n1:"
			 : [ip] "=&r"(ip) : [m] "m"(mis[4]) : CATCH_CLOBBER);
	st_fault_take(&f);
	st_check_fault(&f, VEC_GP, 0, ip, 0);
	st_end();
}
#endif

void st_fpu(void)
{
#ifndef __x86_64__
	write_cr0((read_cr0() & ~(ulong)(X86_CR0_EM | X86_CR0_TS)) | X86_CR0_MP | X86_CR0_NE);
	write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
	fpu_table();
	fpu_state();
	fpu_exc();
#endif
}

/* guests/selftest/fpu_ops.h: the x87, MMX and SSE2 instructions the
 * selftest checks, as one table of tiny inline-asm functions compiled into
 * the 32-bit guest (guests/selftest/st_fpu.c) and into the host generator
 * (guests/gen/gen_expect.c, -m32), so the host CPU's own results are the
 * expected values, as for the ALU (alu_ops.h). Each op starts from FNINIT
 * and an explicit control word / MXCSR (rounding control from the operand
 * pair), so nothing depends on what ran before.
 *
 * Compared: results, the x87 exception flags IE ZE OE UE PE and the
 * condition codes C0 C2 C3 of comparisons (C1 and DE are left out: QEMU's
 * TCG does not model them exactly), EFLAGS of FCOMI/UCOMISD. Operands:
 * edge values (zeros, ones, infinities, a quiet NaN, values whose products
 * overflow or underflow a double) mixed with random doubles of moderate
 * exponent; only one NaN value, so NaN propagation rules beyond "the
 * operand NaN, quieted" are not exercised. 32-bit builds only. The asm
 * names no MMX/XMM clobbers: neither build lets gcc use those registers
 * (the guest is built -mno-sse -mno-mmx, the generator for plain i686). */
#ifndef GUESTS_SELFTEST_FPU_OPS_H
#define GUESTS_SELFTEST_FPU_OPS_H

#include <stdint.h>

#ifndef __x86_64__

struct fpu_in {
	uint64_t a, b;   /* doubles (bit patterns) or MMX/SSE integer lanes */
	uint32_t i;      /* an integer operand */
	uint16_t cw;     /* x87 control word: masks all exceptions, RC varies */
	uint32_t mxcsr;  /* masks all exceptions, RC varies */
};

struct fpu_out {
	uint64_t r, r2;
	uint32_t sw;     /* masked x87 status word, or EFLAGS */
};

typedef void (*fpu_fn)(const struct fpu_in *in, struct fpu_out *o);

#define FPU_SW_EXC 0x003du  /* IE ZE OE UE PE */
#define FPU_SW_CC 0x4500u   /* C0 C2 C3 */
#define FPU_FL 0x8d5u       /* CF PF AF ZF SF OF */

/* st0 = a OP m64 b, stored as a double. */
#define X87_MEM(id, insn)                                                                  \
	static void id(const struct fpu_in *in, struct fpu_out *o)                         \
	{                                                                                  \
		uint64_t r;                                                                \
		uint16_t sw;                                                               \
		__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldl %[a]\n\t" insn " %[b]\n\t"   \
				 "fstpl %[r]\n\tfnstsw %[sw]\n\tfninit"                    \
				 : [r] "=m"(r), [sw] "=m"(sw)                              \
				 : [a] "m"(in->a), [b] "m"(in->b), [cw] "m"(in->cw));      \
		o->r = r;                                                                  \
		o->r2 = 0;                                                                 \
		o->sw = sw & FPU_SW_EXC;                                                   \
	}

/* st0 = OP a (register-only instructions). */
#define X87_UN(id, insn)                                                                   \
	static void id(const struct fpu_in *in, struct fpu_out *o)                         \
	{                                                                                  \
		uint64_t r;                                                                \
		uint16_t sw;                                                               \
		__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldl %[a]\n\t" insn "\n\t"        \
				 "fstpl %[r]\n\tfnstsw %[sw]\n\tfninit"                    \
				 : [r] "=m"(r), [sw] "=m"(sw)                              \
				 : [a] "m"(in->a), [cw] "m"(in->cw));                      \
		o->r = r;                                                                  \
		o->r2 = 0;                                                                 \
		o->sw = sw & FPU_SW_EXC;                                                   \
	}

/* st1 = b, st0 = a; OP; two results popped. */
#define X87_TWO(id, insn)                                                                  \
	static void id(const struct fpu_in *in, struct fpu_out *o)                         \
	{                                                                                  \
		uint64_t r, r2;                                                            \
		uint16_t sw;                                                               \
		__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldl %[b]\n\tfldl %[a]\n\t"       \
				 insn "\n\tfnstsw %[sw]\n\tfstpl %[r]\n\tfstpl %[r2]\n\t"  \
				 "fninit"                                                  \
				 : [r] "=m"(r), [r2] "=m"(r2), [sw] "=m"(sw)               \
				 : [a] "m"(in->a), [b] "m"(in->b), [cw] "m"(in->cw));      \
		o->r = r;                                                                  \
		o->r2 = r2;                                                                \
		o->sw = sw & (FPU_SW_EXC | FPU_SW_CC);                                     \
	}

X87_MEM(x87_fadd, "faddl")
X87_MEM(x87_fsub, "fsubl")
X87_MEM(x87_fsubr, "fsubrl")
X87_MEM(x87_fmul, "fmull")
X87_MEM(x87_fdiv, "fdivl")
X87_MEM(x87_fdivr, "fdivrl")
X87_MEM(x87_fcom, "fcoml")
X87_UN(x87_fsqrt, "fabs\n\tfsqrt")
X87_UN(x87_frndint, "frndint")
X87_UN(x87_fchs, "fchs")
X87_UN(x87_fabs, "fabs")
X87_TWO(x87_fprem, "fprem")
X87_TWO(x87_fscale, "fscale")
X87_TWO(x87_fxtract, "fxtract")
X87_TWO(x87_fucom, "fucom %%st(1)")
X87_TWO(x87_fxch, "fxch\n\tfsubp\n\tfld1")

/* FUCOMI/FCOMI: EFLAGS. */
static void x87_fucomi(const struct fpu_in *in, struct fpu_out *o)
{
	uint32_t f;
	__asm__ volatile("fninit\n\tfldl %[b]\n\tfldl %[a]\n\tfucomip %%st(1), %%st\n\t"
			 "pushf\n\tpop %[f]\n\tfninit"
			 : [f] "=r"(f)
			 : [a] "m"(in->a), [b] "m"(in->b)
			 : "cc");
	o->r = o->r2 = 0;
	o->sw = f & FPU_FL;
}

/* FCMOVB: a or b by CF from (i & 1). */
static void x87_fcmovb(const struct fpu_in *in, struct fpu_out *o)
{
	uint64_t r;
	__asm__ volatile("fninit\n\tfldl %[a]\n\tfldl %[b]\n\tbt $0, %[i]\n\t"
			 "fcmovb %%st(1), %%st\n\tfstpl %[r]\n\tfninit"
			 : [r] "=m"(r)
			 : [a] "m"(in->a), [b] "m"(in->b), [i] "r"(in->i)
			 : "cc");
	o->r = r;
	o->r2 = 0;
	o->sw = 0;
}

/* FISTP m32 / m64 with the rounding control (out of range: the integer
 * indefinite and IE); FILD m32 back. */
static void x87_fist(const struct fpu_in *in, struct fpu_out *o)
{
	uint32_t r32;
	uint64_t r64;
	uint16_t sw;
	__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldl %[a]\n\tfld %%st(0)\n\t"
			 "fistpl %[r32]\n\tfistpll %[r64]\n\tfnstsw %[sw]\n\tfninit"
			 : [r32] "=m"(r32), [r64] "=m"(r64), [sw] "=m"(sw)
			 : [a] "m"(in->a), [cw] "m"(in->cw));
	o->r = r32;
	o->r2 = r64;
	o->sw = sw & FPU_SW_EXC;
}

static void x87_fild(const struct fpu_in *in, struct fpu_out *o)
{
	uint64_t r;
	uint16_t sw;
	__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfildl %[i]\n\tfmull %[b]\n\tfstpl %[r]\n\t"
			 "fnstsw %[sw]\n\tfninit"
			 : [r] "=m"(r), [sw] "=m"(sw)
			 : [i] "m"(in->i), [b] "m"(in->b), [cw] "m"(in->cw));
	o->r = r;
	o->r2 = 0;
	o->sw = sw & FPU_SW_EXC;
}

/* a * b kept in 80 bits: FSTP m80 (the bytes), FLD m80 back. */
static void x87_ext(const struct fpu_in *in, struct fpu_out *o)
{
	uint8_t t[10];
	uint64_t r;
	__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldl %[a]\n\tfmull %[b]\n\tfstpt %[t]\n\t"
			 "fldt %[t]\n\tfstpl %[r]\n\tfninit"
			 : [t] "=m"(t), [r] "=m"(r)
			 : [a] "m"(in->a), [b] "m"(in->b), [cw] "m"(in->cw));
	uint64_t lo = 0;
	for (unsigned k = 0; k < 8; k++)
		lo |= (uint64_t)t[k] << (8 * k);
	o->r = lo;
	o->r2 = r ^ ((uint64_t)(t[8] | t[9] << 8) << 48);
	o->sw = 0;
}

/* ---- MMX: a OP b on mm0/mm1 ---- */
#define MMX_BIN(id, insn)                                                                  \
	static void id(const struct fpu_in *in, struct fpu_out *o)                         \
	{                                                                                  \
		uint64_t r;                                                                \
		__asm__ volatile("movq %[a], %%mm0\n\tmovq %[b], %%mm1\n\t" insn             \
				 " %%mm1, %%mm0\n\tmovq %%mm0, %[r]\n\temms"               \
				 : [r] "=m"(r)                                             \
				 : [a] "m"(in->a), [b] "m"(in->b)                          \
				 : "memory");                                          \
		o->r = r;                                                                  \
		o->r2 = 0;                                                                 \
		o->sw = 0;                                                                 \
	}

MMX_BIN(mmx_paddb, "paddb")
MMX_BIN(mmx_paddsw, "paddsw")
MMX_BIN(mmx_paddusb, "paddusb")
MMX_BIN(mmx_psubd, "psubd")
MMX_BIN(mmx_pmullw, "pmullw")
MMX_BIN(mmx_pmulhw, "pmulhw")
MMX_BIN(mmx_pmaddwd, "pmaddwd")
MMX_BIN(mmx_packsswb, "packsswb")
MMX_BIN(mmx_packuswb, "packuswb")
MMX_BIN(mmx_punpcklbw, "punpcklbw")
MMX_BIN(mmx_punpckhdq, "punpckhdq")
MMX_BIN(mmx_pcmpgtw, "pcmpgtw")
MMX_BIN(mmx_pandn, "pandn")
MMX_BIN(mmx_psllw, "psllw")
MMX_BIN(mmx_psraw, "psraw")

/* ---- SSE2 scalar double: xmm0 = a OP b, MXCSR from the pair ---- */
#define SSE_SD(id, insn)                                                                   \
	static void id(const struct fpu_in *in, struct fpu_out *o)                         \
	{                                                                                  \
		uint64_t r;                                                                \
		uint32_t m, def = 0x1f80;                                                  \
		__asm__ volatile("ldmxcsr %[mx]\n\tmovsd %[a], %%xmm0\n\tmovsd %[b], %%xmm1\n\t" \
				 insn " %%xmm1, %%xmm0\n\tmovsd %%xmm0, %[r]\n\t"          \
				 "stmxcsr %[m]\n\tldmxcsr %[def]"                          \
				 : [r] "=m"(r), [m] "=m"(m)                                \
				 : [a] "m"(in->a), [b] "m"(in->b), [mx] "m"(in->mxcsr),   \
				   [def] "m"(def)                                          \
				 : "memory");                                        \
		o->r = r;                                                                  \
		o->r2 = 0;                                                                 \
		o->sw = m & 0x3d;                                                          \
	}

/* ---- SSE2 packed: xmm0 = (a, b) OP (b, a) ---- */
#define SSE_PK(id, insn)                                                                   \
	static void id(const struct fpu_in *in, struct fpu_out *o)                         \
	{                                                                                  \
		uint64_t v[2] __attribute__((aligned(16))) = { in->a, in->b };             \
		uint64_t w[2] __attribute__((aligned(16))) = { in->b, in->a };             \
		uint64_t r[2] __attribute__((aligned(16)));                                \
		uint32_t def = 0x1f80;                                                     \
		__asm__ volatile("ldmxcsr %[mx]\n\tmovdqu %[v], %%xmm0\n\tmovdqu %[w], %%xmm1\n\t" \
				 insn " %%xmm1, %%xmm0\n\tmovups %%xmm0, %[r]\n\t"         \
				 "ldmxcsr %[def]"                                          \
				 : [r] "=m"(r)                                             \
				 : [v] "m"(v), [w] "m"(w), [mx] "m"(in->mxcsr), [def] "m"(def) \
				 : "memory");                                        \
		o->r = r[0];                                                               \
		o->r2 = r[1];                                                              \
		o->sw = 0;                                                                 \
	}

SSE_SD(sse_addsd, "addsd")
SSE_SD(sse_subsd, "subsd")
SSE_SD(sse_mulsd, "mulsd")
SSE_SD(sse_divsd, "divsd")
SSE_SD(sse_sqrtsd, "sqrtsd")
SSE_SD(sse_minsd, "minsd")
SSE_SD(sse_maxsd, "maxsd")
SSE_SD(sse_cvtsd2ss, "cvtsd2ss")
SSE_PK(sse_addpd, "addpd")
SSE_PK(sse_mulpd, "mulpd")
SSE_PK(sse_cmpltpd, "cmpltpd")
SSE_PK(sse_andnpd, "andnpd")
SSE_PK(sse_paddq, "paddq")
SSE_PK(sse_pmuludq, "pmuludq")
SSE_PK(sse_psadbw, "psadbw")
SSE_PK(sse_packssdw, "packssdw")
SSE_PK(sse_punpcklqdq, "punpcklqdq")
SSE_PK(sse_pshufd, "pshufd $0x1b,")
SSE_PK(sse_unpckhps, "unpckhps")

/* CVTSD2SI (MXCSR rounding), CVTTSD2SI, CVTSI2SD. */
static void sse_cvt(const struct fpu_in *in, struct fpu_out *o)
{
	uint32_t r, t, def = 0x1f80;
	uint64_t d;
	__asm__ volatile("ldmxcsr %[mx]\n\tcvtsd2si %[a], %[r]\n\tcvttsd2si %[a], %[t]\n\t"
			 "cvtsi2sd %[i], %%xmm2\n\tmovsd %%xmm2, %[d]\n\tldmxcsr %[def]"
			 : [r] "=&r"(r), [t] "=&r"(t), [d] "=m"(d)
			 : [a] "m"(in->a), [i] "r"(in->i), [mx] "m"(in->mxcsr), [def] "m"(def)
			 : "memory");
	o->r = r | (uint64_t)t << 32;
	o->r2 = d;
	o->sw = 0;
}

/* UCOMISD / COMISD: EFLAGS. */
static void sse_comisd(const struct fpu_in *in, struct fpu_out *o)
{
	uint32_t f, g;
	__asm__ volatile("movsd %[a], %%xmm0\n\tucomisd %[b], %%xmm0\n\tpushf\n\tpop %[f]\n\t"
			 "comisd %[b], %%xmm0\n\tpushf\n\tpop %[g]"
			 : [f] "=&r"(f), [g] "=&r"(g)
			 : [a] "m"(in->a), [b] "m"(in->b)
			 : "cc");
	o->r = f & FPU_FL;
	o->r2 = g & FPU_FL;
	o->sw = 0;
}

struct fpu_op {
	const char *name;
	fpu_fn fn;
};

#define FPU_OP(g, n) { #g "." #n, g##_##n }
static const struct fpu_op fpu_ops[] = {
	FPU_OP(x87, fadd),     FPU_OP(x87, fsub),      FPU_OP(x87, fsubr),
	FPU_OP(x87, fmul),     FPU_OP(x87, fdiv),      FPU_OP(x87, fdivr),
	FPU_OP(x87, fcom),     FPU_OP(x87, fsqrt),     FPU_OP(x87, frndint),
	FPU_OP(x87, fchs),     FPU_OP(x87, fabs),      FPU_OP(x87, fprem),
	FPU_OP(x87, fscale),   FPU_OP(x87, fxtract),   FPU_OP(x87, fucom),
	FPU_OP(x87, fxch),     FPU_OP(x87, fucomi),    FPU_OP(x87, fcmovb),
	FPU_OP(x87, fist),     FPU_OP(x87, fild),      FPU_OP(x87, ext),
	FPU_OP(mmx, paddb),    FPU_OP(mmx, paddsw),    FPU_OP(mmx, paddusb),
	FPU_OP(mmx, psubd),    FPU_OP(mmx, pmullw),    FPU_OP(mmx, pmulhw),
	FPU_OP(mmx, pmaddwd),  FPU_OP(mmx, packsswb),  FPU_OP(mmx, packuswb),
	FPU_OP(mmx, punpcklbw), FPU_OP(mmx, punpckhdq), FPU_OP(mmx, pcmpgtw),
	FPU_OP(mmx, pandn),    FPU_OP(mmx, psllw),     FPU_OP(mmx, psraw),
	FPU_OP(sse, addsd),    FPU_OP(sse, subsd),     FPU_OP(sse, mulsd),
	FPU_OP(sse, divsd),    FPU_OP(sse, sqrtsd),    FPU_OP(sse, minsd),
	FPU_OP(sse, maxsd),    FPU_OP(sse, cvtsd2ss),  FPU_OP(sse, addpd),
	FPU_OP(sse, mulpd),    FPU_OP(sse, cmpltpd),   FPU_OP(sse, andnpd),
	FPU_OP(sse, paddq),    FPU_OP(sse, pmuludq),   FPU_OP(sse, psadbw),
	FPU_OP(sse, packssdw), FPU_OP(sse, punpcklqdq), FPU_OP(sse, pshufd),
	FPU_OP(sse, unpckhps), FPU_OP(sse, cvt),       FPU_OP(sse, comisd),
};
#define FPU_NOPS (sizeof(fpu_ops) / sizeof(fpu_ops[0]))
#define FPU_PAIRS 384
#define FPU_SEED 0x2545f4914f6cdd1dull
#define FPU_HASH_INIT 0x811c9dc5u

static inline uint64_t fpu_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static const uint64_t fpu_edges[] = {
	0x0000000000000000ull, 0x8000000000000000ull, /* +0, -0 */
	0x3ff0000000000000ull, 0xbff0000000000000ull, /* 1, -1 */
	0x3fe0000000000000ull, 0x4008000000000000ull, /* 0.5, 3 */
	0x4004000000000000ull, 0xc01c000000000000ull, /* 2.5, -7 */
	0x7e37e43c8800759cull, 0x01a56e1fc2f8f359ull, /* 1e300, 1e-300 */
	0x7ff0000000000000ull, 0xfff0000000000000ull, /* +inf, -inf */
	0x7ff8000000000000ull, 0x41dfffffffc00000ull, /* qNaN, 2^31 - 1 */
	0x4340000000000001ull, 0xc1e0000000000000ull, /* 2^53 + 2, -2^31 */
};
#define FPU_NEDGES (sizeof(fpu_edges) / sizeof(fpu_edges[0]))

/* A double of moderate exponent (2^-20 .. 2^20) with a random sign. */
static inline uint64_t fpu_rand_double(uint64_t *s)
{
	uint64_t x = fpu_rand(s);
	uint64_t exp = 1023 - 20 + (x >> 58) % 41;
	return (x & 0x800fffffffffffffull) | exp << 52;
}

/* Pair (k): every combination of two edges first, then random. */
static inline void fpu_operands(uint32_t k, uint64_t *rng, struct fpu_in *in)
{
	uint64_t x = fpu_rand(rng);
	if (k < FPU_NEDGES * FPU_NEDGES) {
		in->a = fpu_edges[k % FPU_NEDGES];
		in->b = fpu_edges[k / FPU_NEDGES];
	} else if (k & 2) {
		in->a = fpu_rand_double(rng);
		in->b = fpu_rand_double(rng);
	} else {
		in->a = fpu_rand(rng); /* raw bits: MMX lanes, odd doubles */
		in->b = fpu_rand(rng);
	}
	in->i = (uint32_t)x;
	in->cw = (uint16_t)(0x37f | ((x >> 40) & 3) << 10);
	in->mxcsr = (uint32_t)(0x1f80 | ((x >> 42) & 3) << 13);
}

static inline uint32_t fpu_mix(uint32_t h, uint64_t v)
{
	for (unsigned k = 0; k < 8; k++)
		h = (h ^ (uint8_t)(v >> (8 * k))) * 16777619u;
	return h;
}

static inline uint32_t fpu_step(const struct fpu_op *op, const struct fpu_in *in, uint32_t h)
{
	struct fpu_out o;
	op->fn(in, &o);
	return fpu_mix(fpu_mix(fpu_mix(h, o.r), o.r2), o.sw);
}

#endif /* !__x86_64__ */
#endif

/* guests/selftest/alu_ops.h: the integer instructions the selftest checks,
 * as one table of tiny inline-asm functions. The same header is compiled
 * into the guest (ring 3, guests/selftest/st_alu_user.c) and into the host
 * generator (guests/gen/gen_expect.c, -m32 and -m64), so the host CPU's own
 * results become the expected values. Only architecturally defined results
 * and flags are compared (alu_mask(); SDM 2A/2B "Flags Affected" of each
 * instruction): undefined flags differ between Intel, AMD and emulators.
 *
 * Operands come from alu_operands(): edge values mixed with xorshift
 * randoms; every fourth pair of the first 1024 is an edge pair. Each op
 * folds result, second result and masked flags into an FNV-1a style hash. */
#ifndef GUESTS_SELFTEST_ALU_OPS_H
#define GUESTS_SELFTEST_ALU_OPS_H

#include <stdint.h>

typedef unsigned long alu_word; /* 32 or 64 bits, like the build */

struct alu_in {
	alu_word a, b, f; /* f: EFLAGS before the instruction (arith bits) */
};

struct alu_out {
	alu_word r, r2, f;
};

typedef void (*alu_fn)(const struct alu_in *in, struct alu_out *o);

#define ALU_CF 0x001u
#define ALU_PF 0x004u
#define ALU_AF 0x010u
#define ALU_ZF 0x040u
#define ALU_SF 0x080u
#define ALU_OF 0x800u
#define ALU_ALL (ALU_CF | ALU_PF | ALU_AF | ALU_ZF | ALU_SF | ALU_OF)

/* ---- instruction shapes ---- */

#define ALU_ASM_PRE "push %[f]\n\tpopf\n\t"
#define ALU_ASM_POST "\n\tpushf\n\tpop %[f]"

/* dst = dst OP src, register forms. W: operand-size modifier (b w k q),
 * C: constraint ("q" where a byte register is needed). */
#define ALU_BIN(id, insn, W, C)                                                            \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		alu_word r = in->a, f = in->f;                                             \
		__asm__ volatile(ALU_ASM_PRE insn " %" W "[b], %" W "[r]" ALU_ASM_POST   \
				 : [r] "+" C(r), [f] "+r"(f)                               \
				 : [b] C(in->b)                                            \
				 : "cc");                                                  \
		o->r = r;                                                                  \
		o->r2 = 0;                                                                 \
		o->f = f;                                                                  \
	}

/* dst = OP dst. */
#define ALU_UN(id, insn, W, C)                                                             \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		alu_word r = in->a, f = in->f;                                             \
		__asm__ volatile(ALU_ASM_PRE insn " %" W "[r]" ALU_ASM_POST                \
				 : [r] "+" C(r), [f] "+r"(f)                               \
				 :                                                         \
				 : "cc");                                                  \
		o->r = r;                                                                  \
		o->r2 = 0;                                                                 \
		o->f = f;                                                                  \
	}

/* Shift or rotate by CL (b's low byte). */
#define ALU_SHCL(id, insn, W, C)                                                           \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		alu_word r = in->a, f = in->f;                                             \
		__asm__ volatile(ALU_ASM_PRE insn " %%cl, %" W "[r]" ALU_ASM_POST          \
				 : [r] "+" C(r), [f] "+r"(f)                               \
				 : "c"(in->b)                                              \
				 : "cc");                                                  \
		o->r = r;                                                                  \
		o->r2 = 0;                                                                 \
		o->f = f;                                                                  \
	}

/* Double shift by CL: dst, src (b), count in the low byte of a's partner:
 * the count is a >> 8 so that both operands stay random. */
#define ALU_SHD(id, insn, W, CMASK)                                                        \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		alu_word r = in->a, f = in->f, c = (in->a >> 8) & (CMASK);                 \
		__asm__ volatile(ALU_ASM_PRE insn " %%cl, %" W "[b], %" W "[r]" ALU_ASM_POST \
				 : [r] "+r"(r), [f] "+r"(f)                                \
				 : [b] "r"(in->b), "c"(c)                                  \
				 : "cc");                                                  \
		o->r = r;                                                                  \
		o->r2 = c;                                                                 \
		o->f = f;                                                                  \
	}

/* One-operand MUL / IMUL: (r2:r) = a * b in (E/R)DX:(E/R)AX, or AX. */
#define ALU_MUL(id, insn, W, C)                                                            \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		alu_word a = in->a, d = 0, f = in->f;                                      \
		__asm__ volatile(ALU_ASM_PRE insn " %" W "[b]" ALU_ASM_POST                \
				 : "+a"(a), "+d"(d), [f] "+r"(f)                           \
				 : [b] C(in->b)                                            \
				 : "cc");                                                  \
		o->r = a;                                                                  \
		o->r2 = d;                                                                 \
		o->f = f;                                                                  \
	}

/* One-operand DIV / IDIV with the dividend (d:a) and divisor prepared by
 * the caller so the quotient fits (no #DE here; the selftest checks #DE
 * separately). */
#define ALU_DIV(id, insn, W, C, prep)                                                      \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		alu_word a, d, v, f = in->f;                                               \
		prep(in, &a, &d, &v);                                                      \
		__asm__ volatile(ALU_ASM_PRE insn " %" W "[v]" ALU_ASM_POST                \
				 : "+a"(a), "+d"(d), [f] "+r"(f)                           \
				 : [v] C(v)                                                \
				 : "cc");                                                  \
		o->r = a;                                                                  \
		o->r2 = d;                                                                 \
		o->f = f;                                                                  \
	}

/* cmpxchg src, dst with the accumulator equal to dst half of the time. */
#define ALU_CMPXCHG(id, W, C)                                                              \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		alu_word r = in->a, acc = (in->b & 1) ? in->a : in->b, f = in->f;          \
		__asm__ volatile(ALU_ASM_PRE "cmpxchg %" W "[s], %" W "[r]" ALU_ASM_POST   \
				 : [r] "+" C(r), "+a"(acc), [f] "+r"(f)                    \
				 : [s] C(in->b ^ 0x5a5a5a5a)                               \
				 : "cc");                                                  \
		o->r = r;                                                                  \
		o->r2 = acc;                                                               \
		o->f = f;                                                                  \
	}

/* xadd src, dst: dst = dst + src, src = old dst. */
#define ALU_XADD(id, W, C)                                                                 \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		alu_word r = in->a, s = in->b, f = in->f;                                  \
		__asm__ volatile(ALU_ASM_PRE "xadd %" W "[s], %" W "[r]" ALU_ASM_POST      \
				 : [r] "+" C(r), [s] "+" C(s), [f] "+r"(f)                 \
				 :                                                         \
				 : "cc");                                                  \
		o->r = r;                                                                  \
		o->r2 = s;                                                                 \
		o->f = f;                                                                  \
	}

/* A memory destination: the same instruction on a stack slot. */
#define ALU_MEM(id, insn, W)                                                               \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		volatile alu_word m[3] = { in->b, in->a, in->b };                          \
		alu_word f = in->f;                                                        \
		__asm__ volatile(ALU_ASM_PRE insn " %" W "[b], %[m]" ALU_ASM_POST          \
				 : [m] "+m"(m[1]), [f] "+r"(f)                             \
				 : [b] "r"(in->b)                                          \
				 : "cc");                                                  \
		o->r = m[1];                                                               \
		o->r2 = m[0] ^ m[2];                                                       \
		o->f = f;                                                                  \
	}

/* ---- the instructions ---- */

#define ALU_BIN_ALL(name, insn)                                                            \
	ALU_BIN(name##8, insn "b", "b", "q")                                               \
	ALU_BIN(name##16, insn "w", "w", "r")                                              \
	ALU_BIN(name##32, insn "l", "k", "r")                                              \
	ALU_BIN_64(name##64, insn "q")
#define ALU_UN_ALL(name, insn)                                                             \
	ALU_UN(name##8, insn "b", "b", "q")                                                \
	ALU_UN(name##16, insn "w", "w", "r")                                               \
	ALU_UN(name##32, insn "l", "k", "r")                                               \
	ALU_UN_64(name##64, insn "q")
#define ALU_SHCL_ALL(name, insn)                                                           \
	ALU_SHCL(name##8, insn "b", "b", "q")                                              \
	ALU_SHCL(name##16, insn "w", "w", "r")                                             \
	ALU_SHCL(name##32, insn "l", "k", "r")                                             \
	ALU_SHCL_64(name##64, insn "q")

#ifdef __x86_64__
#define ALU_BIN_64(id, insn) ALU_BIN(id, insn, "q", "r")
#define ALU_UN_64(id, insn) ALU_UN(id, insn, "q", "r")
#define ALU_SHCL_64(id, insn) ALU_SHCL(id, insn, "q", "r")
#else
#define ALU_BIN_64(id, insn)
#define ALU_UN_64(id, insn)
#define ALU_SHCL_64(id, insn)
#endif

ALU_BIN_ALL(alu_add, "add")
ALU_BIN_ALL(alu_adc, "adc")
ALU_BIN_ALL(alu_sub, "sub")
ALU_BIN_ALL(alu_sbb, "sbb")
ALU_BIN_ALL(alu_and, "and")
ALU_BIN_ALL(alu_or, "or")
ALU_BIN_ALL(alu_xor, "xor")
ALU_BIN_ALL(alu_cmp, "cmp")
ALU_BIN_ALL(alu_test, "test")
ALU_UN_ALL(alu_inc, "inc")
ALU_UN_ALL(alu_dec, "dec")
ALU_UN_ALL(alu_neg, "neg")
ALU_UN_ALL(alu_not, "not")
ALU_SHCL_ALL(alu_shl, "shl")
ALU_SHCL_ALL(alu_shr, "shr")
ALU_SHCL_ALL(alu_sar, "sar")
ALU_SHCL_ALL(alu_rol, "rol")
ALU_SHCL_ALL(alu_ror, "ror")
ALU_SHCL_ALL(alu_rcl, "rcl")
ALU_SHCL_ALL(alu_rcr, "rcr")
/* The by-one encodings (D1 /n), a separate opcode from shift by CL. */
ALU_UN(alu_shl1_32, "shll $1,", "k", "r")
ALU_UN(alu_sar1_32, "sarl $1,", "k", "r")
ALU_UN(alu_rcr1_32, "rcrl $1,", "k", "r")
ALU_SHD(alu_shld16, "shldw", "w", 15)
ALU_SHD(alu_shld32, "shldl", "k", 31)
ALU_SHD(alu_shrd16, "shrdw", "w", 15)
ALU_SHD(alu_shrd32, "shrdl", "k", 31)
ALU_MUL(alu_mul8, "mulb", "b", "q")
ALU_MUL(alu_mul16, "mulw", "w", "r")
ALU_MUL(alu_mul32, "mull", "k", "r")
ALU_MUL(alu_imul1_8, "imulb", "b", "q")
ALU_MUL(alu_imul1_16, "imulw", "w", "r")
ALU_MUL(alu_imul1_32, "imull", "k", "r")
ALU_BIN(alu_imul2_16, "imulw", "w", "r")
ALU_BIN(alu_imul2_32, "imull", "k", "r")
ALU_BIN(alu_bsf16, "bsfw", "w", "r")
ALU_BIN(alu_bsf32, "bsfl", "k", "r")
ALU_BIN(alu_bsr16, "bsrw", "w", "r")
ALU_BIN(alu_bsr32, "bsrl", "k", "r")
ALU_BIN(alu_bt16, "btw", "w", "r")
ALU_BIN(alu_bt32, "btl", "k", "r")
ALU_BIN(alu_bts32, "btsl", "k", "r")
ALU_BIN(alu_btr32, "btrl", "k", "r")
ALU_BIN(alu_btc32, "btcl", "k", "r")
ALU_UN(alu_bswap32, "bswap", "k", "r")
ALU_CMPXCHG(alu_cmpxchg8, "b", "q")
ALU_CMPXCHG(alu_cmpxchg16, "w", "r")
ALU_CMPXCHG(alu_cmpxchg32, "k", "r")
ALU_XADD(alu_xadd8, "b", "q")
ALU_XADD(alu_xadd32, "k", "r")
ALU_MEM(alu_add_mem, "add", "")
ALU_MEM(alu_sub_mem, "sub", "")
ALU_MEM(alu_xor_mem, "xor", "")
ALU_MEM(alu_lock_add_mem, "lock add", "")
#ifdef __x86_64__
ALU_SHD(alu_shld64, "shldq", "q", 63)
ALU_SHD(alu_shrd64, "shrdq", "q", 63)
ALU_MUL(alu_mul64, "mulq", "q", "r")
ALU_MUL(alu_imul1_64, "imulq", "q", "r")
ALU_BIN(alu_imul2_64, "imulq", "q", "r")
ALU_BIN(alu_bsf64, "bsfq", "q", "r")
ALU_BIN(alu_bsr64, "bsrq", "q", "r")
ALU_BIN(alu_bt64, "btq", "q", "r")
ALU_BIN(alu_btc64, "btcq", "q", "r")
ALU_UN(alu_bswap64, "bswap", "q", "r")
ALU_CMPXCHG(alu_cmpxchg64, "q", "r")
ALU_XADD(alu_xadd64, "q", "r")
#endif

/* imul r, r/m, imm32 (opcode 69). */
static void alu_imul3_32(const struct alu_in *in, struct alu_out *o)
{
	alu_word r = 0, f = in->f;

	__asm__ volatile(ALU_ASM_PRE "imull $0x12345, %k[b], %k[r]" ALU_ASM_POST
			 : [r] "=&r"(r), [f] "+r"(f)
			 : [b] "r"(in->b)
			 : "cc");
	o->r = r;
	o->r2 = 0;
	o->f = f;
}

#include "alu_div.h"
#include "alu_cond.h"

/* ---- the table ---- */

enum alu_mask_kind {
	M_ALL,	  /* OF SF ZF AF PF CF defined (or preserved) */
	M_LOGIC,  /* AF undefined */
	M_MUL,	  /* only CF OF */
	M_NONE,	  /* no flag defined (div) */
	M_ZF,	  /* bsf / bsr: ZF; the destination is undefined for 0 */
	M_CF,	  /* bt*: CF */
	M_SHIFT,  /* shl shr sar: depends on the count */
	M_SHIFT1, /* shl sar by 1: AF undefined */
	M_ROT,	  /* rol ror rcl rcr: depends on the count */
	M_SHD,	  /* shld shrd: depends on the count */
	M_BCD_DAA,/* daa das: OF undefined */
	M_BCD_AAA,/* aaa aas: only AF CF */
	M_BCD_AAM,/* aam aad: SF ZF PF */
};

struct alu_op {
	const char *name;  /* "add32" */
	const char *group; /* "add": one "ok alu.add" line per group */
	alu_fn fn;
	uint8_t kind;
	uint8_t width;
};

#define OP(g, w, k) { #g #w, #g, alu_##g##w, k, w }
#define OP4(g, k) OP(g, 8, k), OP(g, 16, k), OP(g, 32, k) ALU_OP64(g, k)
/* W64(entry) is "entry," in the 64-bit build only. */
#ifdef __x86_64__
#define ALU_OP64(g, k) , OP(g, 64, k)
#define W64(...) __VA_ARGS__,
#else
#define ALU_OP64(g, k)
#define W64(...)
#endif

static const struct alu_op alu_ops[] = {
	OP4(add, M_ALL), OP4(adc, M_ALL), OP4(sub, M_ALL), OP4(sbb, M_ALL),
	OP4(and, M_LOGIC), OP4(or, M_LOGIC), OP4(xor, M_LOGIC), OP4(cmp, M_ALL),
	OP4(test, M_LOGIC), OP4(inc, M_ALL), OP4(dec, M_ALL), OP4(neg, M_ALL),
	OP4(not, M_ALL),
	OP4(shl, M_SHIFT), OP4(shr, M_SHIFT), OP4(sar, M_SHIFT),
	OP4(rol, M_ROT), OP4(ror, M_ROT), OP4(rcl, M_ROT), OP4(rcr, M_ROT),
	{ "shl1_32", "shift1", alu_shl1_32, M_SHIFT1, 32 },
	{ "sar1_32", "shift1", alu_sar1_32, M_SHIFT1, 32 },
	{ "rcr1_32", "shift1", alu_rcr1_32, M_ALL, 32 },
	OP(shld, 16, M_SHD), OP(shld, 32, M_SHD), W64(OP(shld, 64, M_SHD))
	OP(shrd, 16, M_SHD), OP(shrd, 32, M_SHD), W64(OP(shrd, 64, M_SHD))
	OP(mul, 8, M_MUL), OP(mul, 16, M_MUL), OP(mul, 32, M_MUL), W64(OP(mul, 64, M_MUL))
	{ "imul8", "imul", alu_imul1_8, M_MUL, 8 },
	{ "imul16", "imul", alu_imul1_16, M_MUL, 16 },
	{ "imul32", "imul", alu_imul1_32, M_MUL, 32 },
	W64({ "imul64", "imul", alu_imul1_64, M_MUL, 64 })
	{ "imul2_16", "imul", alu_imul2_16, M_MUL, 16 },
	{ "imul2_32", "imul", alu_imul2_32, M_MUL, 32 },
	W64({ "imul2_64", "imul", alu_imul2_64, M_MUL, 64 })
	{ "imul3_32", "imul", alu_imul3_32, M_MUL, 32 },
	OP(div, 8, M_NONE), OP(div, 16, M_NONE), OP(div, 32, M_NONE), W64(OP(div, 64, M_NONE))
	OP(idiv, 8, M_NONE), OP(idiv, 32, M_NONE), W64(OP(idiv, 64, M_NONE))
	OP(bsf, 16, M_ZF), OP(bsf, 32, M_ZF), W64(OP(bsf, 64, M_ZF))
	OP(bsr, 16, M_ZF), OP(bsr, 32, M_ZF), W64(OP(bsr, 64, M_ZF))
	OP(bt, 16, M_CF), OP(bt, 32, M_CF), W64(OP(bt, 64, M_CF))
	OP(bts, 32, M_CF), OP(btr, 32, M_CF), OP(btc, 32, M_CF), W64(OP(btc, 64, M_CF))
	OP(bswap, 32, M_ALL), W64(OP(bswap, 64, M_ALL))
	OP(cmpxchg, 8, M_ALL), OP(cmpxchg, 16, M_ALL), OP(cmpxchg, 32, M_ALL),
	W64(OP(cmpxchg, 64, M_ALL))
	OP(xadd, 8, M_ALL), OP(xadd, 32, M_ALL), W64(OP(xadd, 64, M_ALL))
	{ "add_mem", "mem", alu_add_mem, M_ALL, 8 * sizeof(alu_word) },
	{ "sub_mem", "mem", alu_sub_mem, M_ALL, 8 * sizeof(alu_word) },
	{ "xor_mem", "mem", alu_xor_mem, M_LOGIC, 8 * sizeof(alu_word) },
	{ "lock_add_mem", "mem", alu_lock_add_mem, M_ALL, 8 * sizeof(alu_word) },
	ALU_COND_OPS
};

#define ALU_NOPS (sizeof(alu_ops) / sizeof(alu_ops[0]))

/* ---- operands, masks, hashing ---- */

static inline uint64_t alu_xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Pair (i) of the sequence; (*rng) starts at ALU_SEED for i = 0. */
#define ALU_SEED 0x9e3779b97f4a7c15ull
#define ALU_QUICK_PAIRS 256u
#define ALU_FULL_PAIRS 16384u

static inline void alu_operands(uint32_t i, uint64_t *rng, struct alu_in *in)
{
	static const uint64_t edge[16] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000u, 0xffffffffu, 0x8000000000000000ull, 0x7fffffffffffffffull,
		0xffffffffffffffffull,
	};
	uint64_t fr = alu_xorshift64(rng);

	if (i % 4 == 0 && i < 1024) {
		in->a = (alu_word)edge[(i / 4) >> 4];
		in->b = (alu_word)edge[(i / 4) & 15];
	} else {
		in->a = (alu_word)alu_xorshift64(rng);
		in->b = (alu_word)alu_xorshift64(rng);
		/* Small shift counts and bit offsets matter most: shrink b
		 * one time in four. */
		if ((fr >> 20) % 4 == 0)
			in->b &= 0x3f;
	}
	in->f = (alu_word)(fr & ALU_ALL) | 2;
}

static inline uint32_t alu_shift_count(const struct alu_op *op, alu_word c)
{
	return (uint32_t)c & (op->width == 64 ? 63 : 31);
}

static inline uint32_t alu_mask(const struct alu_op *op, const struct alu_in *in)
{
	uint32_t c;

	switch (op->kind) {
	case M_LOGIC:
		return ALU_ALL & ~ALU_AF;
	case M_MUL:
		return ALU_CF | ALU_OF;
	case M_NONE:
		return 0;
	case M_ZF:
		return ALU_ZF;
	case M_CF:
		return ALU_CF;
	case M_SHIFT:
		/* Count 0: nothing changes. AF undefined; OF only for 1; CF
		 * undefined when the count reaches the operand size. */
		c = alu_shift_count(op, in->b);
		if (c == 0)
			return ALU_ALL;
		return ALU_SF | ALU_ZF | ALU_PF | (c == 1 ? ALU_OF : 0) |
		       (c < op->width ? ALU_CF : 0);
	case M_SHIFT1:
		return ALU_ALL & ~ALU_AF;
	case M_ROT:
		c = alu_shift_count(op, in->b);
		return c <= 1 ? ALU_ALL : ALU_ALL & ~ALU_OF;
	case M_SHD:
		c = (uint32_t)(in->a >> 8) & (op->width == 64 ? 63 : op->width == 16 ? 15 : 31);
		if (c == 0)
			return ALU_ALL;
		return ALU_SF | ALU_ZF | ALU_PF | ALU_CF | (c == 1 ? ALU_OF : 0);
	case M_BCD_DAA:
		return ALU_ALL & ~ALU_OF;
	case M_BCD_AAA:
		return ALU_AF | ALU_CF;
	case M_BCD_AAM:
		return ALU_SF | ALU_ZF | ALU_PF;
	default:
		return ALU_ALL;
	}
}

static inline uint32_t alu_mix(uint32_t h, uint64_t v)
{
	h = (h ^ (uint32_t)v) * 0x01000193u;
	return (h ^ (uint32_t)(v >> 32)) * 0x01000193u;
}

/* Fold pair (in) of (op) into the hash (h). */
static inline uint32_t alu_step(const struct alu_op *op, const struct alu_in *in, uint32_t h)
{
	struct alu_out o;
	alu_word bsrc = in->b;

	op->fn(in, &o);
	if (op->kind == M_ZF) {
		if (op->width == 16)
			bsrc &= 0xffff;
		else if (op->width == 32)
			bsrc &= 0xffffffffu;
		if (bsrc == 0)
			o.r = 0; /* destination undefined for a zero source */
	}
	h = alu_mix(h, o.r);
	h = alu_mix(h, o.r2);
	return alu_mix(h, o.f & alu_mask(op, in));
}

#define ALU_HASH_INIT 0x811c9dc5u

#endif

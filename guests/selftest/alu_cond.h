/* guests/selftest/alu_cond.h: the condition-code instructions (SETcc,
 * CMOVcc, Jcc: all 16 conditions from one EFLAGS value, SDM 1 B.1), the
 * BCD adjustments of the 32-bit build (invalid in 64-bit mode) and the
 * MOVSX/MOVZX family. Part of alu_ops.h. */
#ifndef GUESTS_SELFTEST_ALU_COND_H
#define GUESTS_SELFTEST_ALU_COND_H

#define ALU_CC_LIST(X)                                                                     \
	X(o) X(no) X(b) X(ae) X(e) X(ne) X(be) X(a) X(s) X(ns) X(p) X(np) X(l) X(ge) X(le) X(g)

static inline alu_word alu_pack16(const volatile uint8_t v[16])
{
	alu_word r = 0;

	for (int k = 0; k < 16; k++)
		r |= (alu_word)(v[k] & 1) << k;
	return r;
}

/* SETcc of all 16 conditions into bytes; flags are unaffected. */
static void alu_setcc(const struct alu_in *in, struct alu_out *o)
{
	volatile uint8_t v[16];
	alu_word f = in->f;

#define ALU_SET(cc) "set" #cc " %[p" #cc "]\n\t"
	__asm__ volatile(ALU_ASM_PRE ALU_CC_LIST(ALU_SET) "pushf\n\tpop %[f]"
			 : [f] "+r"(f), [po] "=m"(v[0]), [pno] "=m"(v[1]), [pb] "=m"(v[2]),
			   [pae] "=m"(v[3]), [pe] "=m"(v[4]), [pne] "=m"(v[5]), [pbe] "=m"(v[6]),
			   [pa] "=m"(v[7]), [ps] "=m"(v[8]), [pns] "=m"(v[9]), [pp] "=m"(v[10]),
			   [pnp] "=m"(v[11]), [pl] "=m"(v[12]), [pge] "=m"(v[13]),
			   [ple] "=m"(v[14]), [pg] "=m"(v[15])
			 :
			 : "cc");
#undef ALU_SET
	o->r = alu_pack16(v);
	o->r2 = 0;
	o->f = f;
}

/* CMOVcc b -> a for all 16 conditions, results folded together. */
static void alu_cmovcc(const struct alu_in *in, struct alu_out *o)
{
	alu_word acc = 0, t, f = in->f;

#define ALU_CMOV(cc)                                                                       \
	"mov %[a], %[t]\n\tcmov" #cc " %[b], %[t]\n\trol $3, %[acc]\n\txor %[t], %[acc]\n\t"
	__asm__ volatile(ALU_ASM_PRE ALU_CC_LIST(ALU_CMOV) "pushf\n\tpop %[f]"
			 : [f] "+r"(f), [acc] "+r"(acc), [t] "=&r"(t)
			 : [a] "r"(in->a), [b] "r"(in->b)
			 : "cc");
#undef ALU_CMOV
	o->r = acc;
	o->r2 = 0;
	o->f = f;
}

/* Jcc of all 16 conditions, each taken or not into a byte. */
static void alu_jcc(const struct alu_in *in, struct alu_out *o)
{
	volatile uint8_t v[16];
	alu_word f = in->f;

#define ALU_J(cc) "movb $1, %[p" #cc "]\n\tj" #cc " 1f\n\tmovb $0, %[p" #cc "]\n1:\n\t"
	__asm__ volatile(ALU_ASM_PRE ALU_CC_LIST(ALU_J) "pushf\n\tpop %[f]"
			 : [f] "+r"(f), [po] "=m"(v[0]), [pno] "=m"(v[1]), [pb] "=m"(v[2]),
			   [pae] "=m"(v[3]), [pe] "=m"(v[4]), [pne] "=m"(v[5]), [pbe] "=m"(v[6]),
			   [pa] "=m"(v[7]), [ps] "=m"(v[8]), [pns] "=m"(v[9]), [pp] "=m"(v[10]),
			   [pnp] "=m"(v[11]), [pl] "=m"(v[12]), [pge] "=m"(v[13]),
			   [ple] "=m"(v[14]), [pg] "=m"(v[15])
			 :
			 : "cc");
#undef ALU_J
	o->r = alu_pack16(v);
	o->r2 = 0;
	o->f = f;
}

/* MOVSX / MOVZX from 8 and 16 bits (and MOVSXD in 64-bit mode). */
static void alu_movx(const struct alu_in *in, struct alu_out *o)
{
	alu_word s8, s16, z8, z16;

	__asm__("movsbl %b[b], %k[s8]\n\tmovswl %w[b], %k[s16]\n\t"
		"movzbl %b[b], %k[z8]\n\tmovzwl %w[b], %k[z16]"
		: [s8] "=&r"(s8), [s16] "=&r"(s16), [z8] "=&r"(z8), [z16] "=&r"(z16)
		: [b] "q"(in->b));
	o->r = s8 ^ (s16 << 3);
	o->r2 = z8 ^ (z16 << 5);
#ifdef __x86_64__
	{
		alu_word sx;

		__asm__("movslq %k[b], %[d]" : [d] "=r"(sx) : [b] "r"(in->b));
		o->r2 ^= sx;
	}
#endif
	o->f = in->f;
}

#ifndef __x86_64__
/* DAA DAS AAA AAS AAM AAD on AL/AH (SDM 2A), with CF and AF from the input
 * flags. */
#define ALU_BCD(id, insn)                                                                  \
	static void id(const struct alu_in *in, struct alu_out *o)                         \
	{                                                                                  \
		alu_word a = in->a, f = in->f;                                             \
		__asm__ volatile(ALU_ASM_PRE insn ALU_ASM_POST : "+a"(a), [f] "+r"(f) : : "cc"); \
		o->r = a;                                                                  \
		o->r2 = 0;                                                                 \
		o->f = f;                                                                  \
	}
ALU_BCD(alu_daa, "daa")
ALU_BCD(alu_das, "das")
ALU_BCD(alu_aaa, "aaa")
ALU_BCD(alu_aas, "aas")
ALU_BCD(alu_aam, "aam")
ALU_BCD(alu_aad, "aad")
#define ALU_BCD_OPS                                                                        \
	{ "daa", "bcd", alu_daa, M_BCD_DAA, 8 }, { "das", "bcd", alu_das, M_BCD_DAA, 8 },  \
	{ "aaa", "bcd", alu_aaa, M_BCD_AAA, 8 }, { "aas", "bcd", alu_aas, M_BCD_AAA, 8 },  \
	{ "aam", "bcd", alu_aam, M_BCD_AAM, 8 }, { "aad", "bcd", alu_aad, M_BCD_AAM, 8 },
#else
#define ALU_BCD_OPS
#endif

#define ALU_COND_OPS                                                                       \
	{ "setcc", "setcc", alu_setcc, M_ALL, 8 }, { "cmovcc", "cmovcc", alu_cmovcc, M_ALL, 32 }, \
	{ "jcc", "jcc", alu_jcc, M_ALL, 8 }, { "movx", "movx", alu_movx, M_ALL, 32 },       \
	ALU_BCD_OPS

#endif

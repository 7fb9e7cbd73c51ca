/* bt_decode.c: the bt engine's only door to Capstone. Decodes one guest
 * instruction (16-, 32- or 64-bit code) in detail mode into our own struct
 * bt_insn: operand size, address size, prefixes, operands with register
 * numbers in encoding order and memory operands with their effective
 * segment, relative branch targets resolved, and the encoding offsets the
 * translator needs to re-emit the instruction. Encodings whose meaning
 * depends on CPU features get the meaning bt's CPU model gives them
 * (feature_meaning(): TZCNT is BSF on a CPU without BMI1, POPCNT is #UD
 * without POPCNT, ...), never the host's. */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bt/bt_internal.h"

struct bt_decoder {
	csh cs16, cs32, cs64;
	cs_insn *scratch16, *scratch32, *scratch64;
};

struct regdesc {
	uint8_t rc, reg, size, valid;
};

static struct regdesc regmap[X86_REG_ENDING];

static void regmap_init(void)
{
	static const struct { x86_reg r; uint8_t rc, reg, size; } t[] = {
		{ X86_REG_AL, BT_RC_GPR, 0, 1 },  { X86_REG_CL, BT_RC_GPR, 1, 1 },
		{ X86_REG_DL, BT_RC_GPR, 2, 1 },  { X86_REG_BL, BT_RC_GPR, 3, 1 },
		{ X86_REG_AH, BT_RC_GPR, 4, 1 },  { X86_REG_CH, BT_RC_GPR, 5, 1 },
		{ X86_REG_DH, BT_RC_GPR, 6, 1 },  { X86_REG_BH, BT_RC_GPR, 7, 1 },
		{ X86_REG_AX, BT_RC_GPR, 0, 2 },  { X86_REG_CX, BT_RC_GPR, 1, 2 },
		{ X86_REG_DX, BT_RC_GPR, 2, 2 },  { X86_REG_BX, BT_RC_GPR, 3, 2 },
		{ X86_REG_SP, BT_RC_GPR, 4, 2 },  { X86_REG_BP, BT_RC_GPR, 5, 2 },
		{ X86_REG_SI, BT_RC_GPR, 6, 2 },  { X86_REG_DI, BT_RC_GPR, 7, 2 },
		{ X86_REG_EAX, BT_RC_GPR, 0, 4 }, { X86_REG_ECX, BT_RC_GPR, 1, 4 },
		{ X86_REG_EDX, BT_RC_GPR, 2, 4 }, { X86_REG_EBX, BT_RC_GPR, 3, 4 },
		{ X86_REG_ESP, BT_RC_GPR, 4, 4 }, { X86_REG_EBP, BT_RC_GPR, 5, 4 },
		{ X86_REG_ESI, BT_RC_GPR, 6, 4 }, { X86_REG_EDI, BT_RC_GPR, 7, 4 },
		{ X86_REG_ES, BT_RC_SEG, X86_ES, 2 }, { X86_REG_CS, BT_RC_SEG, X86_CS, 2 },
		{ X86_REG_SS, BT_RC_SEG, X86_SS, 2 }, { X86_REG_DS, BT_RC_SEG, X86_DS, 2 },
		{ X86_REG_FS, BT_RC_SEG, X86_FS, 2 }, { X86_REG_GS, BT_RC_SEG, X86_GS, 2 },
	};
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(t); i++)
		regmap[t[i].r] = (struct regdesc){ t[i].rc, t[i].reg, t[i].size, 1 };
	for (unsigned i = 0; i < 8; i++) {
		regmap[X86_REG_CR0 + i] = (struct regdesc){ BT_RC_CR, (uint8_t)i, 4, 1 };
		regmap[X86_REG_DR0 + i] = (struct regdesc){ BT_RC_DR, (uint8_t)i, 4, 1 };
	}
	/* 64-bit mode: RAX..R15 and their parts; SPL..DIL and R8B..R15B are
	 * the low bytes (BT_REG_BYTE_REX + n) */
	static const x86_reg r64[8] = { X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
					X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI };
	static const x86_reg rex8[4] = { X86_REG_SPL, X86_REG_BPL, X86_REG_SIL, X86_REG_DIL };
	for (uint8_t i = 0; i < 8; i++) {
		regmap[r64[i]] = (struct regdesc){ BT_RC_GPR, i, 8, 1 };
		regmap[X86_REG_R8 + i] = (struct regdesc){ BT_RC_GPR, (uint8_t)(8 + i), 8, 1 };
		regmap[X86_REG_R8D + i] = (struct regdesc){ BT_RC_GPR, (uint8_t)(8 + i), 4, 1 };
		regmap[X86_REG_R8W + i] = (struct regdesc){ BT_RC_GPR, (uint8_t)(8 + i), 2, 1 };
		regmap[X86_REG_R8B + i] =
			(struct regdesc){ BT_RC_GPR, (uint8_t)(BT_REG_BYTE_REX + 8 + i), 1, 1 };
	}
	for (uint8_t i = 0; i < 4; i++)
		regmap[rex8[i]] = (struct regdesc){ BT_RC_GPR, (uint8_t)(BT_REG_BYTE_REX + 4 + i), 1, 1 };
	regmap[X86_REG_CR8] = (struct regdesc){ BT_RC_CR, 8, 8, 1 };
}

struct bt_decoder *bt_decoder_create(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, regmap_init);
	struct bt_decoder *d = calloc(1, sizeof(*d));
	if (!d) {
		vmm_err("bt: out of memory for the decoder");
		return NULL;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_16, &d->cs16) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_32, &d->cs32) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs64) != CS_ERR_OK) {
		vmm_err("bt: capstone: cannot open the x86 decoder");
		free(d);
		return NULL;
	}
	cs_option(d->cs16, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(d->cs32, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(d->cs64, CS_OPT_DETAIL, CS_OPT_ON);
	d->scratch16 = cs_malloc(d->cs16);
	d->scratch32 = cs_malloc(d->cs32);
	d->scratch64 = cs_malloc(d->cs64);
	return d;
}

void bt_decoder_destroy(struct bt_decoder *d)
{
	if (!d)
		return;
	if (d->scratch16)
		cs_free(d->scratch16, 1);
	if (d->scratch32)
		cs_free(d->scratch32, 1);
	if (d->scratch64)
		cs_free(d->scratch64, 1);
	cs_close(&d->cs16);
	cs_close(&d->cs32);
	cs_close(&d->cs64);
	free(d);
}

static bool is_rel_branch(unsigned id)
{
	switch (id) {
	case X86_INS_JAE: case X86_INS_JA: case X86_INS_JBE: case X86_INS_JB:
	case X86_INS_JCXZ: case X86_INS_JECXZ: case X86_INS_JE: case X86_INS_JGE:
	case X86_INS_JG: case X86_INS_JLE: case X86_INS_JL: case X86_INS_JNE:
	case X86_INS_JNO: case X86_INS_JNP: case X86_INS_JNS: case X86_INS_JO:
	case X86_INS_JP: case X86_INS_JS: case X86_INS_LOOP: case X86_INS_LOOPE:
	case X86_INS_LOOPNE:
		return true;
	default:
		return false;
	}
}

/* Legacy prefixes, and in 64-bit code REX (0x40-0x4f) too. */
static unsigned count_prefixes(const uint8_t *b, unsigned len, unsigned bits)
{
	unsigned i = 0;
	while (i < len) {
		switch (b[i]) {
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
			i++;
			continue;
		}
		if (bits == 64 && (b[i] & 0xf0) == 0x40) {
			i++;
			continue;
		}
		break;
	}
	return i;
}

/* Instructions whose operand size is 64 bits by default in 64-bit mode
 * (SDM 2A 2.2.1.7; near branches ignore 66, as Intel CPUs do). */
static unsigned osz64_default(unsigned id, bool opsz, bool rexw)
{
	switch (id) {
	case X86_INS_CALL: case X86_INS_JMP: case X86_INS_RET:
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE: case X86_INS_JRCXZ:
	case X86_INS_JECXZ:
		return 8;
	case X86_INS_PUSH: case X86_INS_POP: case X86_INS_PUSHFQ: case X86_INS_POPFQ:
	case X86_INS_PUSHF: case X86_INS_POPF: case X86_INS_LEAVE: case X86_INS_ENTER:
		return opsz && !rexw ? 2 : 8; /* REX.W wins over 66 */
	default:
		return bt_insn_is_jcc(id) ? 8 : 0;
	}
}

static int conv_op(struct bt_insn *out, const cs_x86 *x, const cs_x86_op *o, struct bt_op *op,
		   bool m64)
{
	memset(op, 0, sizeof(*op));
	op->size = o->size;
	switch (o->type) {
	case X86_OP_REG: {
		if (o->reg >= X86_REG_ENDING || !regmap[o->reg].valid) {
			op->kind = BT_OP_REG;
			op->rc = BT_RC_OTHER;
			return 0;
		}
		const struct regdesc *r = &regmap[o->reg];
		op->kind = BT_OP_REG;
		op->rc = r->rc;
		op->reg = r->reg;
		if (r->rc == BT_RC_GPR)
			op->size = r->size;
		return 0;
	}
	case X86_OP_IMM:
		op->kind = BT_OP_IMM;
		op->val = m64 ? (uint64_t)o->imm : (uint32_t)o->imm;
		return 0;
	case X86_OP_MEM: {
		op->kind = BT_OP_MEM;
		op->base = op->index = BT_NOREG;
		op->scale = (uint8_t)(o->mem.scale ? o->mem.scale : 1);
		op->val = m64 ? (uint64_t)o->mem.disp : (uint32_t)o->mem.disp;
		if (o->mem.base == X86_REG_RIP && m64) {
			op->base = BT_REG_RIP;
		} else if (o->mem.base != X86_REG_INVALID && o->mem.base != X86_REG_EIZ &&
			   o->mem.base != X86_REG_RIZ) {
			if (!regmap[o->mem.base].valid || regmap[o->mem.base].rc != BT_RC_GPR)
				return -1; /* EIP-relative etc.: not in 16/32-bit code */
			op->base = regmap[o->mem.base].reg;
		}
		if (o->mem.index != X86_REG_INVALID && o->mem.index != X86_REG_EIZ &&
		    o->mem.index != X86_REG_RIZ) {
			if (!regmap[o->mem.index].valid || regmap[o->mem.index].rc != BT_RC_GPR)
				return -1;
			op->index = regmap[o->mem.index].reg;
		}
		if (o->mem.segment != X86_REG_INVALID) {
			op->seg = regmap[o->mem.segment].reg;
		} else {
			/* SDM 1 3.7.5: EBP/ESP (BP in 16-bit addressing) base -> SS */
			op->seg = (op->base == 4 || op->base == 5) ? X86_SS : X86_DS;
		}
		(void)x;
		(void)out;
		return 0;
	}
	default:
		return -1;
	}
}

/* Capstone decodes every encoding as the newest CPU would. Instructions that
 * exist only with a CPUID feature (SDM 2A/2B, each instruction's "CPUID
 * Feature Flag" column), and what a CPU without the feature does instead:
 * the older instruction (the REP prefix of F3 0F BC/BD is ignored: BSF/BSR)
 * or #UD (id 0). bt_cpuid_has() says what bt's model advertises. */
struct feat_insn {
	uint16_t id, older;
	uint32_t leaf;
	uint8_t reg, bit;
};
enum { CR_EAX, CR_EBX, CR_ECX, CR_EDX };
static const struct feat_insn feat_insns[] = {
	{ X86_INS_TZCNT, X86_INS_BSF, 7, CR_EBX, 3 },           /* BMI1 */
	{ X86_INS_LZCNT, X86_INS_BSR, 0x80000001, CR_ECX, 5 },  /* LZCNT (ABM) */
	{ X86_INS_POPCNT, 0, 1, CR_ECX, 23 },
	{ X86_INS_MOVBE, 0, 1, CR_ECX, 22 },
	{ X86_INS_CRC32, 0, 1, CR_ECX, 20 },                    /* SSE4.2 */
	{ X86_INS_ADCX, 0, 7, CR_EBX, 19 },                     /* ADX */
	{ X86_INS_ADOX, 0, 7, CR_EBX, 19 },
	{ X86_INS_ANDN, 0, 7, CR_EBX, 3 },                      /* BMI1 */
	{ X86_INS_BEXTR, 0, 7, CR_EBX, 3 },
	{ X86_INS_BLSI, 0, 7, CR_EBX, 3 },
	{ X86_INS_BLSMSK, 0, 7, CR_EBX, 3 },
	{ X86_INS_BLSR, 0, 7, CR_EBX, 3 },
	{ X86_INS_BZHI, 0, 7, CR_EBX, 8 },                      /* BMI2 */
	{ X86_INS_MULX, 0, 7, CR_EBX, 8 },
	{ X86_INS_PDEP, 0, 7, CR_EBX, 8 },
	{ X86_INS_PEXT, 0, 7, CR_EBX, 8 },
	{ X86_INS_RORX, 0, 7, CR_EBX, 8 },
	{ X86_INS_SARX, 0, 7, CR_EBX, 8 },
	{ X86_INS_SHLX, 0, 7, CR_EBX, 8 },
	{ X86_INS_SHRX, 0, 7, CR_EBX, 8 },
	{ X86_INS_RDTSCP, 0, 0x80000001, CR_EDX, 27 },
	{ X86_INS_RDRAND, 0, 1, CR_ECX, 30 },
	{ X86_INS_RDSEED, 0, 7, CR_EBX, 18 },
	{ X86_INS_CLFLUSH, 0, 1, CR_EDX, 19 },
	{ X86_INS_CLFLUSHOPT, 0, 7, CR_EBX, 23 },
	{ X86_INS_CLWB, 0, 7, CR_EBX, 24 },
	{ X86_INS_MONITOR, 0, 1, CR_ECX, 3 },
	{ X86_INS_MWAIT, 0, 1, CR_ECX, 3 },
	{ X86_INS_XGETBV, 0, 1, CR_ECX, 26 },                   /* XSAVE */
	{ X86_INS_XSETBV, 0, 1, CR_ECX, 26 },
	{ X86_INS_XSAVE, 0, 1, CR_ECX, 26 },
	{ X86_INS_XRSTOR, 0, 1, CR_ECX, 26 },
	{ X86_INS_XSAVEOPT, 0, 1, CR_ECX, 26 },
	{ X86_INS_XBEGIN, 0, 7, CR_EBX, 11 },                   /* RTM */
	{ X86_INS_XEND, 0, 7, CR_EBX, 11 },
	{ X86_INS_XABORT, 0, 7, CR_EBX, 11 },
	{ X86_INS_XTEST, 0, 7, CR_EBX, 11 },
	{ X86_INS_SFENCE, 0, 1, CR_EDX, 25 },                   /* SSE */
	{ X86_INS_LFENCE, 0, 1, CR_EDX, 26 },                   /* SSE2 */
	{ X86_INS_MFENCE, 0, 1, CR_EDX, 26 },
};

/* The meaning bt's model gives (out): unchanged, the older instruction, or
 * -1 for #UD. VEX (C4/C5 in 32-bit code with ModRM.mod 3, else LES/LDS),
 * EVEX (62, else BOUND) and AMD's XOP (8F, else POP) encodings need AVX,
 * AVX-512F and XOP unless the table names their own feature (BMI). */
static int feature_meaning(struct bt_insn *out)
{
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(feat_insns); i++) {
		const struct feat_insn *f = &feat_insns[i];
		if (f->id != out->id)
			continue;
		if (bt_cpuid_has(f->leaf, f->reg, f->bit))
			return 0;
		if (!f->older)
			return -1;
		out->id = f->older;
		return 0;
	}
	uint8_t opc = out->bytes[out->opc_off];
	if ((opc == 0xc4 || opc == 0xc5) && out->id != X86_INS_LES && out->id != X86_INS_LDS)
		return bt_cpuid_has(1, CR_ECX, 28) ? 0 : -1;
	if (opc == 0x62 && out->id != X86_INS_BOUND)
		return bt_cpuid_has(7, CR_EBX, 16) ? 0 : -1;
	if (opc == 0x8f && out->id != X86_INS_POP)
		return bt_cpuid_has(0x80000001, CR_ECX, 11) ? 0 : -1;
	return 0;
}

/* What an FP/MMX/SSE instruction needs (enum bt_fpc), from its opcode,
 * its register operands and Capstone's instruction groups. */
static uint8_t fp_class(const struct bt_insn *in, const cs_insn *ci)
{
	const uint8_t *b = in->bytes + in->opc_off;
	unsigned left = in->len - in->opc_off;
	if (b[0] >= 0xd8 && b[0] <= 0xdf)
		return BT_FP_X87;
	if (b[0] == 0x9b)
		return BT_FP_WAIT;
	if (b[0] != 0x0f || left < 2)
		return BT_FP_NONE;
	switch (b[1]) {
	case 0x0d: case 0x18:
		return BT_FP_NONE; /* prefetches: hint NOPs */
	case 0xae: {
		if (left < 3)
			return BT_FP_NONE;
		unsigned mod = b[2] >> 6, reg = (b[2] >> 3) & 7;
		if (mod == 3)
			return reg >= 5 ? BT_FP_FENCE : BT_FP_UD;
		static const uint8_t k[8] = { BT_FP_FXSR, BT_FP_FXSR, BT_FP_SSE, BT_FP_SSE,
					      BT_FP_UD, BT_FP_UD, BT_FP_UD, BT_FP_CLFLUSH };
		return k[reg];
	}
	case 0xc3:
		return BT_FP_MOVNTI;
	case 0x77:
		return BT_FP_MMX; /* EMMS */
	}
	const cs_detail *d = ci->detail;
	bool mm = false, xmm = false, sse = false, mmx = false;
	for (unsigned i = 0; i < d->groups_count; i++) {
		switch (d->groups[i]) {
		case X86_GRP_SSE1: case X86_GRP_SSE2: sse = true; break;
		case X86_GRP_MMX: mmx = true; break;
		case X86_GRP_SSE3: case X86_GRP_SSSE3: case X86_GRP_SSE41: case X86_GRP_SSE42:
		case X86_GRP_SSE4A: case X86_GRP_3DNOW: case X86_GRP_AVX: case X86_GRP_AVX2:
		case X86_GRP_AVX512: case X86_GRP_AES: case X86_GRP_PCLMUL: case X86_GRP_SHA:
		case X86_GRP_FMA: case X86_GRP_FMA4: case X86_GRP_F16C: case X86_GRP_XOP:
			return BT_FP_UD;
		default:
			break;
		}
	}
	for (unsigned i = 0; i < d->x86.op_count; i++) {
		const cs_x86_op *o = &d->x86.operands[i];
		if (o->type != X86_OP_REG)
			continue;
		if (o->reg >= X86_REG_MM0 && o->reg <= X86_REG_MM7)
			mm = true;
		if (o->reg >= X86_REG_XMM0 && o->reg <= X86_REG_XMM7)
			xmm = true;
	}
	if (xmm)
		return mm ? BT_FP_SSE_MMX : BT_FP_SSE;
	if (mm || mmx)
		return BT_FP_MMX;
	return sse ? BT_FP_SSE : BT_FP_NONE;
}

static csh handle_of(const struct bt_decoder *d, unsigned bits)
{
	return bits == 16 ? d->cs16 : bits == 32 ? d->cs32 : d->cs64;
}

int bt_decode(struct bt_decoder *d, const uint8_t *code, unsigned avail, uint64_t eip,
	      unsigned bits, struct bt_insn *out)
{
	csh h = handle_of(d, bits);
	cs_insn *ci = bits == 16 ? d->scratch16 : bits == 32 ? d->scratch32 : d->scratch64;
	bool m64 = bits == 64;
	const uint8_t *p = code;
	size_t n = VMM_MIN(avail, BT_INSN_MAX);
	uint64_t addr = eip;
	if (!cs_disasm_iter(h, &p, &n, &addr, ci))
		return -1;
	const cs_x86 *x = &ci->detail->x86;
	memset(out, 0, sizeof(*out));
	out->id = (uint16_t)ci->id;
	out->len = (uint8_t)ci->size;
	memcpy(out->bytes, ci->bytes, ci->size);
	bool opsz = x->prefix[2] == 0x66;
	out->osz = (uint8_t)(((bits == 32) ^ opsz) ? 4 : 2);
	out->asz = x->addr_size == 2 ? 2 : 4;
	out->opc_off = (uint8_t)count_prefixes(out->bytes, out->len, bits);
	if (m64) {
		/* the REX in effect is the byte right before the opcode (a REX
		 * followed by another prefix is ignored, SDM 2A 2.2.1) */
		uint8_t rex = out->opc_off ? out->bytes[out->opc_off - 1] : 0;
		bool rexw = (rex & 0xf8) == 0x48;
		unsigned def = osz64_default(ci->id, opsz, rexw);
		out->osz = (uint8_t)(def ? def : rexw ? 8 : opsz ? 2 : 4);
		out->asz = x->addr_size == 4 ? 4 : 8;
	}
	out->rep = (x->prefix[0] == 0xf3 || x->prefix[0] == 0xf2) ? x->prefix[0] : 0;
	out->lock = x->prefix[0] == 0xf0;
	/* Capstone keeps one group-1 prefix; scan the bytes for the others */
	for (unsigned i = 0; i < out->opc_off; i++) {
		if (out->bytes[i] == 0xf0)
			out->lock = 1;
		else if (out->bytes[i] == 0xf2 || out->bytes[i] == 0xf3)
			out->rep = out->bytes[i];
	}
	if (feature_meaning(out))
		return -1;
	if (x->prefix[1])
		out->flags |= BT_I_SEGOVR;
	out->modrm_off = x->encoding.modrm_offset;
	out->disp_off = x->encoding.disp_offset;
	out->disp_size = x->encoding.disp_size;
	out->imm_off = x->encoding.imm_offset;
	out->imm_size = x->encoding.imm_size;
	out->nops = (uint8_t)VMM_MIN(x->op_count, 3);
	for (unsigned i = 0; i < out->nops; i++)
		if (conv_op(out, x, &x->operands[i], &out->op[i], m64))
			return -1;
	if (is_rel_branch(out->id) ||
	    ((out->id == X86_INS_JMP || out->id == X86_INS_CALL) && out->nops == 1 &&
	     out->op[0].kind == BT_OP_IMM && out->bytes[out->opc_off] != 0xff)) {
		/* Recompute from the encoding: Capstone's absolute target does not
		 * wrap at 16 bits. */
		unsigned io = out->imm_off, is = out->imm_size;
		int32_t rel = 0;
		if (!io || !is || io + is > out->len) {
			/* Capstone 4 leaves imm_offset 0 for some jumps: rel is last */
			is = out->bytes[out->opc_off] == 0x0f || out->bytes[out->opc_off] == 0xe8 ||
					     out->bytes[out->opc_off] == 0xe9
				     ? VMM_MIN(out->osz, 4u)
				     : 1;
			io = out->len - is;
		}
		if (is == 1)
			rel = (int8_t)out->bytes[io];
		else if (is == 2)
			rel = (int16_t)(out->bytes[io] | out->bytes[io + 1] << 8);
		else
			memcpy(&rel, &out->bytes[io], 4);
		uint64_t t = eip + out->len + (uint64_t)(int64_t)rel;
		if (out->osz == 2)
			t &= 0xffff;
		else if (!m64)
			t &= 0xffffffffu;
		out->op[0].kind = BT_OP_IMM;
		out->op[0].val = t;
	}
	out->fpc = fp_class(out, ci);
	if (bt_insn_ends_block(out))
		out->flags |= BT_I_BRANCH;
	if (bt_insn_loads_seg(out))
		out->flags |= BT_I_SEGLOAD;
	return 0;
}

void bt_disasm(struct bt_decoder *d, const struct bt_insn *in, uint64_t eip, unsigned bits,
	       char *buf, size_t len)
{
	csh h = handle_of(d, bits);
	cs_insn *ci;
	size_t n = cs_disasm(h, in->bytes, in->len, eip, 1, &ci);
	if (n == 1)
		snprintf(buf, len, "%s %s", ci->mnemonic, ci->op_str);
	else
		snprintf(buf, len, "(bad)");
	if (n)
		cs_free(ci, n);
}

bool bt_insn_is_jcc(unsigned id)
{
	switch (id) {
	case X86_INS_JAE: case X86_INS_JA: case X86_INS_JBE: case X86_INS_JB:
	case X86_INS_JE: case X86_INS_JGE: case X86_INS_JG: case X86_INS_JLE:
	case X86_INS_JL: case X86_INS_JNE: case X86_INS_JNO: case X86_INS_JNP:
	case X86_INS_JNS: case X86_INS_JO: case X86_INS_JP: case X86_INS_JS:
		return true;
	default:
		return false;
	}
}

bool bt_insn_ends_block(const struct bt_insn *in)
{
	if (is_rel_branch(in->id))
		return true;
	switch (in->id) {
	case X86_INS_JMP: case X86_INS_CALL: case X86_INS_RET: case X86_INS_RETF:
	case X86_INS_RETFQ: case X86_INS_IRETQ: case X86_INS_POPFQ: case X86_INS_SYSCALL:
	case X86_INS_SYSRET: case X86_INS_JRCXZ: case X86_INS_SWAPGS:
	case X86_INS_LJMP: case X86_INS_LCALL: case X86_INS_INT: case X86_INS_INT1:
	case X86_INS_INT3: case X86_INS_INTO: case X86_INS_IRET: case X86_INS_IRETD:
	case X86_INS_HLT: case X86_INS_POPF: case X86_INS_POPFD: case X86_INS_STI:
	case X86_INS_LMSW: case X86_INS_CLTS: case X86_INS_WRMSR:
	case X86_INS_SYSENTER: case X86_INS_SYSEXIT: case X86_INS_UD2: case X86_INS_BOUND:
	case X86_INS_RSM:
		return true;
	case X86_INS_MOV:
		/* MOV to CRn changes the mode (segment loads: see bt_insn_loads_seg) */
		return in->nops == 2 && in->op[0].kind == BT_OP_REG &&
		       (in->op[0].rc == BT_RC_CR || in->op[0].rc == BT_RC_DR);
	default:
		return false;
	}
}

bool bt_insn_loads_seg(const struct bt_insn *in)
{
	switch (in->id) {
	case X86_INS_LDS: case X86_INS_LES: case X86_INS_LSS: case X86_INS_LFS: case X86_INS_LGS:
		return true;
	case X86_INS_MOV:
	case X86_INS_POP:
		return in->nops >= 1 && in->op[0].kind == BT_OP_REG && in->op[0].rc == BT_RC_SEG;
	default:
		return false;
	}
}

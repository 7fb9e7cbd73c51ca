/* bt_trans_insn.c: translation of innocuous guest instructions into host
 * code. Register forms are re-encoded with REX bits where guest ESP (host
 * R12) appears and INC/DEC 0x40-0x4F (REX prefixes in 64-bit mode) become
 * FF /0 and FF /1. Memory forms get their address computed into R14 with
 * LEA, checked against the software TLB inline (the flags are kept in
 * AH/AL around the check when they are live), and the instruction is
 * re-emitted with [R14] as its operand. PUSH/POP/LEAVE become explicit
 * loads/stores on R12. Anything else goes to a helper (bt_trans.c).
 *
 * Byte registers AH..BH cannot be encoded with a REX prefix; instructions
 * that would need both go to the interpreter helper. */
#include <capstone/capstone.h>
#include <stddef.h>
#include <string.h>

#include "vmm/bt/bt_trans_int.h"

void bt_flag_effect(const struct bt_insn *in, uint8_t *rd, uint8_t *wr)
{
	*rd = 0;
	*wr = 0;
	unsigned opc = in->bytes[in->opc_off];
	switch (in->id) {
	case X86_INS_ADD: case X86_INS_SUB: case X86_INS_CMP: case X86_INS_NEG:
	case X86_INS_AND: case X86_INS_OR: case X86_INS_XOR: case X86_INS_TEST:
	case X86_INS_MUL: case X86_INS_IMUL: case X86_INS_DIV: case X86_INS_IDIV:
	case X86_INS_BSF: case X86_INS_BSR: case X86_INS_CMPXCHG: case X86_INS_XADD:
		*wr = LF_ALL;
		return;
	case X86_INS_ADC: case X86_INS_SBB:
		*rd = LF_CF;
		*wr = LF_ALL;
		return;
	case X86_INS_INC: case X86_INS_DEC:
		*wr = LF_ALL & ~LF_CF;
		return;
	case X86_INS_SHL: case X86_INS_SAL: case X86_INS_SHR: case X86_INS_SAR:
	case X86_INS_ROL: case X86_INS_ROR: case X86_INS_RCL: case X86_INS_RCR:
	case X86_INS_SHLD: case X86_INS_SHRD: {
		bool by_cl = (opc == 0xd2 || opc == 0xd3) ||
			     (opc == 0x0f && (in->bytes[in->opc_off + 1] & 1));
		if (by_cl) {
			*rd = LF_ALL; /* a zero count leaves them */
			return;
		}
		uint32_t cnt = (opc == 0xd0 || opc == 0xd1) ? 1 : in->bytes[in->len - 1] & 31;
		if (!cnt)
			return;
		bool rot = in->id == X86_INS_ROL || in->id == X86_INS_ROR ||
			   in->id == X86_INS_RCL || in->id == X86_INS_RCR;
		*wr = rot ? LF_CF | LF_OF : LF_ALL;
		if (in->id == X86_INS_RCL || in->id == X86_INS_RCR)
			*rd = LF_CF;
		return;
	}
	case X86_INS_BT: case X86_INS_BTS: case X86_INS_BTR: case X86_INS_BTC:
		*wr = LF_CF | LF_OF | LF_SF | LF_AF | LF_PF;
		return;
	case X86_INS_CMPXCHG8B:
		*wr = LF_ZF;
		return;
	case X86_INS_SAHF:
		*wr = LF_ALL & ~LF_OF;
		return;
	case X86_INS_CLC: case X86_INS_STC:
		*wr = LF_CF;
		return;
	case X86_INS_CMC:
		*rd = *wr = LF_CF;
		return;
	case X86_INS_CLD: case X86_INS_STD: case X86_INS_PUSHAL: case X86_INS_POPAL:
		return;
	case X86_INS_MOV: case X86_INS_MOVZX: case X86_INS_MOVSX: case X86_INS_LEA:
	case X86_INS_XCHG: case X86_INS_BSWAP: case X86_INS_CBW: case X86_INS_CWDE:
	case X86_INS_CWD: case X86_INS_CDQ: case X86_INS_NOP: case X86_INS_PAUSE:
	case X86_INS_ENDBR32: case X86_INS_ENDBR64: case X86_INS_PREFETCHT0:
	case X86_INS_PREFETCHT1: case X86_INS_PREFETCHT2: case X86_INS_PREFETCHNTA:
	case X86_INS_NOT: case X86_INS_PUSH: case X86_INS_POP: case X86_INS_CALL:
	case X86_INS_RET: case X86_INS_JMP: case X86_INS_LEAVE: case X86_INS_LOOP:
	case X86_INS_JECXZ:
		return;
	case X86_INS_LOOPE: case X86_INS_LOOPNE:
		*rd = LF_ZF;
		return;
	default:
		*rd = LF_ALL; /* Jcc, SETcc, CMOVcc, LAHF, helpers: assume all */
		return;
	}
}

/* ---- operand inspection ---- */

static bool has_esp(const struct bt_insn *in)
{
	for (unsigned i = 0; i < in->nops; i++) {
		const struct bt_op *o = &in->op[i];
		if (o->kind == BT_OP_REG && o->rc == BT_RC_GPR && o->reg == 4 && o->size >= 2)
			return true;
	}
	return false;
}

static bool has_high_byte(const struct bt_insn *in)
{
	for (unsigned i = 0; i < in->nops; i++) {
		const struct bt_op *o = &in->op[i];
		if (o->kind == BT_OP_REG && o->rc == BT_RC_GPR && o->size == 1 && o->reg >= 4)
			return true;
	}
	return false;
}

static const struct bt_op *mem_op(const struct bt_insn *in)
{
	for (unsigned i = 0; i < in->nops; i++)
		if (in->op[i].kind == BT_OP_MEM)
			return &in->op[i];
	return NULL;
}

static bool only_gpr_regs(const struct bt_insn *in)
{
	for (unsigned i = 0; i < in->nops; i++)
		if (in->op[i].kind == BT_OP_REG && in->op[i].rc != BT_RC_GPR)
			return false;
	return true;
}

static bool native_ok_id(unsigned id);

/* Legacy prefixes to carry over: operand size, LOCK, and REP where it is
 * part of the opcode. The integer instructions run natively ignore F2/F3
 * on bt's CPU model, but not on every host (F3 0F BC, BSF to the guest
 * that decode made of a TZCNT encoding, is TZCNT on a BMI1 host; F2/F3 +
 * LOCK are HLE hints): never copied for them. */
void tr_copy_prefixes(struct tctx *t, const struct bt_insn *in, bool mem)
{
	bool legacy = native_ok_id(in->id);
	for (unsigned i = 0; i < in->opc_off; i++) {
		uint8_t p = in->bytes[i];
		if (p == 0x66 || (!legacy && (p == 0xf2 || p == 0xf3)) || (mem && p == 0xf0))
			e8(&t->e, p);
	}
}

/* Offset just past the ModRM/SIB/displacement of a 32-bit-address insn. */
static unsigned after_modrm(const struct bt_insn *in)
{
	unsigned p = in->modrm_off;
	uint8_t modrm = in->bytes[p++];
	unsigned mod = modrm >> 6, rm = modrm & 7;
	if (mod != 3 && rm == 4) {
		uint8_t sib = in->bytes[p++];
		if (mod == 0 && (sib & 7) == 5)
			p += 4;
	}
	if (mod == 1)
		p += 1;
	else if (mod == 2 || (mod == 0 && rm == 5))
		p += 4;
	return p;
}

/* ---- re-encoding ---- */

/* Register-only forms. */
static bool native_reg(struct tctx *t, const struct bt_insn *in)
{
	struct bt_emit *e = &t->e;
	bool esp = has_esp(in);
	if (esp && has_high_byte(in))
		return false;
	unsigned o = in->opc_off;
	uint8_t op = in->bytes[o];
	if (!in->modrm_off) {
		tr_copy_prefixes(t, in, false);
		if (op >= 0x40 && op <= 0x4f) { /* inc/dec r: REX in 64-bit mode */
			unsigned r = op & 7;
			erex(e, false, H_NONE, H_NONE, bt_host_reg(r), false);
			e8(e, 0xff);
			e8(e, (uint8_t)(0xc0 | ((op >= 0x48) << 3) | r));
			return true;
		}
		if ((op >= 0x90 && op <= 0x97) || (op >= 0xb8 && op <= 0xbf)) {
			if ((op & 7) == 4)
				e8(e, 0x41);
			ebytes(e, in->bytes + o, in->len - o);
			return true;
		}
		if (op == 0x0f && in->bytes[o + 1] >= 0xc8 && in->bytes[o + 1] <= 0xcf) {
			if ((in->bytes[o + 1] & 7) == 4)
				e8(e, 0x41);
			ebytes(e, in->bytes + o, in->len - o);
			return true;
		}
		/* AL/eAX forms, CBW/CDQ, flag ops, B0-B7: no register to remap */
		ebytes(e, in->bytes + o, in->len - o);
		return true;
	}
	uint8_t modrm = in->bytes[in->modrm_off];
	if ((modrm >> 6) != 3)
		return false;
	tr_copy_prefixes(t, in, false);
	if (esp) {
		uint8_t rex = 0x40;
		if (((modrm >> 3) & 7) == 4)
			rex |= 4;
		if ((modrm & 7) == 4)
			rex |= 1;
		e8(e, rex);
	}
	ebytes(e, in->bytes + o, (unsigned)(in->modrm_off - o) + 1u);
	ebytes(e, in->bytes + in->modrm_off + 1, in->len - in->modrm_off - 1u);
	return true;
}

static bool mem_writes(const struct bt_insn *in, const struct bt_op *m)
{
	if (m != &in->op[0])
		return false;
	switch (in->id) {
	case X86_INS_CMP: case X86_INS_TEST: case X86_INS_BT: case X86_INS_MUL:
	case X86_INS_IMUL: case X86_INS_DIV: case X86_INS_IDIV:
		return false;
	default:
		return true;
	}
}

static bool native_mem(struct tctx *t, const struct bt_insn *in, const struct bt_op *m)
{
	uint8_t op = in->bytes[in->opc_off];
	bool moffs = op >= 0xa0 && op <= 0xa3;
	unsigned reg = 0;
	bool high = false;
	if (!moffs) {
		if (!in->modrm_off)
			return false;
		reg = (in->bytes[in->modrm_off] >> 3) & 7;
		for (unsigned i = 0; i < in->nops; i++) {
			const struct bt_op *r = &in->op[i];
			if (r->kind == BT_OP_REG && r->rc == BT_RC_GPR && r->size == 1 &&
			    r->reg >= 4 && r->reg == reg)
				high = true;
		}
	}
	/* bit tests with a register offset reach outside the operand */
	if ((in->id == X86_INS_BT || in->id == X86_INS_BTS || in->id == X86_INS_BTR ||
	     in->id == X86_INS_BTC) && in->op[1].kind == BT_OP_REG)
		return false;
	unsigned size = m->size;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	bool write = mem_writes(in, m);
	if (!tr_seg_ok(t, in, m, write))
		return false;
	/* AH..BH in the reg field cannot live with the REX that R12 (ESP) or
	 * R14 (a computed address) needs */
	if (high && (t->soft || m->seg == X86_FS || m->seg == X86_GS || m->base == 4 ||
		     m->index == 4))
		return false;
	struct memref ref;
	tr_memref(t, in, m, size, write, &ref);
	if (moffs) {
		static const uint8_t map[4] = { 0x8a, 0x8b, 0x88, 0x89 };
		return tr_emit_mem(t, in, false, &map[op - 0xa0], 1, 0, false, &ref, NULL, 0);
	}
	unsigned rest = after_modrm(in);
	unsigned hreg = high ? reg : reg == 4 ? H_R12 : reg;
	return tr_emit_mem(t, in, false, in->bytes + in->opc_off,
			   (unsigned)(in->modrm_off - in->opc_off), hreg, high, &ref,
			   in->bytes + rest, in->len - rest);
}

/* CLD / STD: EFLAGS.DF lives in the vCPU (string instructions are helpers). */
static void native_df(struct tctx *t, bool set)
{
	struct bt_emit *e = &t->e;
	bool save = tr_flags_live(t);
	if (save)
		tr_flags_save(t);
	/* and/or dword [r15 + eflags], imm32 */
	e8(e, 0x41); e8(e, 0x81); e8(e, set ? 0x4f : 0x67); e8(e, BT_OFF_EFLAGS);
	e32(e, set ? X86_FLAGS_DF : ~(uint32_t)X86_FLAGS_DF);
	if (save)
		tr_flags_restore(t);
}

/* RDTSC / RDTSCP inline: EDX:EAX = host TSC + c->tsc_offset (bt_rdtsc),
 * RDTSCP also ECX = IA32_TSC_AUX, without touching the guest flags (the
 * halves are joined and split on the host stack). Where CR4.TSD makes them
 * raise #GP (BT_KEY_TSD in the block key) the interpreter runs them. */
static bool native_rdtsc(struct tctx *t, bool aux)
{
	struct bt_emit *e = &t->e;
	if (t->key & BT_KEY_TSD)
		return false;
	int32_t off = (int32_t)offsetof(struct bt_cpu, tsc_offset);
	e8(e, 0x0f); e8(e, 0x31);                           /* rdtsc */
	e8(e, 0x50);                                        /* push rax */
	e8(e, 0x89); e8(e, 0x54); e8(e, 0x24); e8(e, 0x04); /* mov [rsp+4], edx */
	e8(e, 0x58);                                        /* pop rax */
	e8(e, 0x49); e8(e, 0x8b); e8(e, 0x97); e32(e, (uint32_t)off); /* mov rdx, [r15+off] */
	e8(e, 0x48); e8(e, 0x8d); e8(e, 0x04); e8(e, 0x10); /* lea rax, [rax+rdx] */
	e8(e, 0x50);                                        /* push rax */
	e8(e, 0x8b); e8(e, 0x54); e8(e, 0x24); e8(e, 0x04); /* mov edx, [rsp+4] */
	e8(e, 0x48); e8(e, 0x8d); e8(e, 0x64); e8(e, 0x24); e8(e, 0x08); /* lea rsp, [rsp+8] */
	e8(e, 0x89); e8(e, 0xc0);                           /* mov eax, eax */
	if (aux) {
		off = (int32_t)offsetof(struct bt_cpu, msr.tsc_aux);
		e8(e, 0x41); e8(e, 0x8b); e8(e, 0x8f); e32(e, (uint32_t)off); /* mov ecx, [r15+off] */
	}
	return true;
}

static bool native_ok_id(unsigned id)
{
	switch (id) {
	case X86_INS_ADD: case X86_INS_OR: case X86_INS_ADC: case X86_INS_SBB:
	case X86_INS_AND: case X86_INS_SUB: case X86_INS_XOR: case X86_INS_CMP:
	case X86_INS_TEST: case X86_INS_INC: case X86_INS_DEC: case X86_INS_NEG:
	case X86_INS_NOT: case X86_INS_MOV: case X86_INS_MOVZX: case X86_INS_MOVSX:
	case X86_INS_XCHG: case X86_INS_SHL: case X86_INS_SAL: case X86_INS_SHR:
	case X86_INS_SAR: case X86_INS_ROL: case X86_INS_ROR: case X86_INS_RCL:
	case X86_INS_RCR: case X86_INS_SHLD: case X86_INS_SHRD: case X86_INS_MUL:
	case X86_INS_IMUL: case X86_INS_DIV: case X86_INS_IDIV:
	case X86_INS_BT: case X86_INS_BTS: case X86_INS_BTR:
	case X86_INS_BTC: case X86_INS_BSF: case X86_INS_BSR: case X86_INS_BSWAP:
	case X86_INS_CBW: case X86_INS_CWDE: case X86_INS_CWD: case X86_INS_CDQ:
	case X86_INS_CLC: case X86_INS_STC: case X86_INS_CMC: case X86_INS_LAHF:
	case X86_INS_SAHF: case X86_INS_XADD: case X86_INS_CMPXCHG: case X86_INS_CMPXCHG8B:
	case X86_INS_SETAE: case X86_INS_SETA: case X86_INS_SETBE: case X86_INS_SETB:
	case X86_INS_SETE: case X86_INS_SETGE: case X86_INS_SETG: case X86_INS_SETLE:
	case X86_INS_SETL: case X86_INS_SETNE: case X86_INS_SETNO: case X86_INS_SETNP:
	case X86_INS_SETNS: case X86_INS_SETO: case X86_INS_SETP: case X86_INS_SETS:
	case X86_INS_CMOVAE: case X86_INS_CMOVA: case X86_INS_CMOVBE: case X86_INS_CMOVB:
	case X86_INS_CMOVE: case X86_INS_CMOVGE: case X86_INS_CMOVG: case X86_INS_CMOVLE:
	case X86_INS_CMOVL: case X86_INS_CMOVNE: case X86_INS_CMOVNO: case X86_INS_CMOVNP:
	case X86_INS_CMOVNS: case X86_INS_CMOVO: case X86_INS_CMOVP: case X86_INS_CMOVS:
		return true;
	default:
		return false;
	}
}

/* Whether the opcode bytes of (in) mean the same in 64-bit mode, where the
 * translator copies them. A whitelist, so that an opcode whose 32-bit
 * meaning is gone in 64-bit mode (82 /r: #UD; 06/07/0E/16/17/1E/1F, 27/2F/
 * 37/3F, 60/61, 62, 63, 9A, C4/C5, CE, D4-D6, EA: invalid or something
 * else) can never reach host code, whatever Capstone calls it: those are
 * interpreted. INC/DEC 40-4F are re-encoded by native_reg. */
static bool copy_ok(const struct tctx *t, const struct bt_insn *in)
{
	uint8_t op = in->bytes[in->opc_off];
	if (op == 0x0f) {
		uint8_t op2 = in->bytes[in->opc_off + 1];
		return (op2 >= 0x40 && op2 <= 0x4f) || (op2 >= 0x90 && op2 <= 0x9f) ||
		       op2 == 0xa3 || op2 == 0xa4 || op2 == 0xa5 || op2 == 0xab || op2 == 0xac ||
		       op2 == 0xad || op2 == 0xaf || op2 == 0xb0 || op2 == 0xb1 || op2 == 0xb3 ||
		       (op2 >= 0xb6 && op2 <= 0xbf && op2 != 0xb8 && op2 != 0xb9) ||
		       op2 == 0xc0 || op2 == 0xc1 || op2 == 0xc7 || op2 >= 0xc8;
	}
	if (op < 0x40) /* the ALU rows: x6/x7/xE/xF are the outcasts */
		return (op & 7) < 6;
	if (op == 0x9e || op == 0x9f) /* SAHF/LAHF: 64-bit mode needs LAHF_LM */
		return t->tc->lahf_ok;
	return (op >= 0x40 && op <= 0x4f) || op == 0x69 || op == 0x6b || op == 0x80 ||
	       op == 0x81 || op == 0x83 || (op >= 0x84 && op <= 0x8b) ||
	       (op >= 0x90 && op <= 0x99) || (op >= 0xa0 && op <= 0xa3) || op == 0xa8 ||
	       op == 0xa9 || (op >= 0xb0 && op <= 0xc1) || op == 0xc6 || op == 0xc7 ||
	       (op >= 0xd0 && op <= 0xd3) || (op >= 0xf5 && op <= 0xf9) || op == 0xfe ||
	       op == 0xff;
}

bool tr_native(struct tctx *t, const struct bt_insn *in)
{
	if (in->asz != 4)
		return false;
	switch (in->id) {
	case X86_INS_NOP:
	case X86_INS_PAUSE:
	case X86_INS_ENDBR32:
	case X86_INS_ENDBR64:
	case X86_INS_PREFETCHT0: case X86_INS_PREFETCHT1: case X86_INS_PREFETCHT2:
	case X86_INS_PREFETCHNTA: case X86_INS_PREFETCH: case X86_INS_PREFETCHW:
		return true; /* no access even with a memory operand */
	case X86_INS_PUSH: return tr_push(t, in);
	case X86_INS_POP: return tr_pop(t, in);
	case X86_INS_LEAVE: return tr_leave(t, in);
	case X86_INS_PUSHAL: return tr_pusha(t, in, false);
	case X86_INS_POPAL: return tr_pusha(t, in, true);
	case X86_INS_RDTSC: return native_rdtsc(t, false);
	case X86_INS_RDTSCP: return native_rdtsc(t, true);
	case X86_INS_CLD: native_df(t, false); return true;
	case X86_INS_STD: native_df(t, true); return true;
	case X86_INS_LEA: {
		const struct bt_op *m = &in->op[1];
		if (m->kind != BT_OP_MEM || in->op[0].kind != BT_OP_REG)
			return false;
		if (in->osz == 2)
			e8(&t->e, 0x66);
		unsigned base = m->base == BT_NOREG ? H_NONE : bt_host_reg(m->base);
		unsigned index = m->index == BT_NOREG ? H_NONE : bt_host_reg(m->index);
		elea(&t->e, false, bt_host_reg(in->op[0].reg), base, index, m->scale, (int32_t)m->val);
		return true;
	}
	default:
		break;
	}
	if (!native_ok_id(in->id) || !only_gpr_regs(in) || !copy_ok(t, in))
		return false;
	/* a divide that keeps raising #DE runs in the interpreter: a host
	 * SIGFPE costs more than the helper */
	if (t->adapted && (in->id == X86_INS_DIV || in->id == X86_INS_IDIV))
		return false;
	const struct bt_op *m = mem_op(in);
	if (in->lock && !m)
		return false; /* #UD */
	if (!m)
		return native_reg(t, in);
	return native_mem(t, in, m);
}

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

/* Legacy prefixes to carry over: operand size, LOCK, REP (mandatory). */
static void copy_prefixes(struct tctx *t, const struct bt_insn *in, bool mem)
{
	for (unsigned i = 0; i < in->opc_off; i++) {
		uint8_t p = in->bytes[i];
		if (p == 0x66 || p == 0xf2 || p == 0xf3 || (mem && p == 0xf0))
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

/* ---- addresses and the TLB check ---- */

bool tr_seg_ok(const struct tctx *t, const struct bt_insn *in, const struct bt_op *op,
	       bool write)
{
	(void)in;
	switch (op->seg) {
	case X86_DS: case X86_ES: case X86_SS:
		return true; /* flat (BT_KEY_FLAT) */
	case X86_CS:
		return !write;
	case X86_FS:
		return t->key & BT_KEY_FS_OK;
	case X86_GS:
		return t->key & BT_KEY_GS_OK;
	default:
		return false;
	}
}

void tr_ea(struct tctx *t, const struct bt_insn *in, const struct bt_op *op)
{
	(void)in;
	t->addr_start = t->e.p;
	unsigned base = op->base == BT_NOREG ? H_NONE : bt_host_reg(op->base);
	unsigned index = op->index == BT_NOREG ? H_NONE : bt_host_reg(op->index);
	elea(&t->e, false, H_ADDR, base, index, op->scale, (int32_t)op->val);
	if (op->seg == X86_FS || op->seg == X86_GS) {
		int32_t off = (int32_t)offsetof(struct bt_cpu, seg[op->seg].base);
		eload(&t->e, false, H_T1, H_ENV, off);
		elea(&t->e, false, H_ADDR, H_ADDR, H_T1, 1, 0);
	}
}

/* Keep the guest flags in AH/AL (RAX in R10) while emitted code clobbers
 * them; pushfq/popfq on hosts without LAHF in 64-bit mode. */
void tr_flags_save(struct tctx *t)
{
	struct bt_emit *e = &t->e;
	if (t->tc->lahf_ok) {
		emov_rr(e, true, H_T3, H_RAX);          /* mov r10, rax */
		e8(e, 0x9f);                            /* lahf */
		e8(e, 0x0f); e8(e, 0x90); e8(e, 0xc0);  /* seto al */
	} else {
		e8(e, 0x9c);                            /* pushfq */
	}
}

void tr_flags_restore(struct tctx *t)
{
	struct bt_emit *e = &t->e;
	if (t->tc->lahf_ok) {
		e8(e, 0x04); e8(e, 0x7f);               /* add al, 0x7f: OF */
		e8(e, 0x9e);                            /* sahf */
		emov_rr(e, true, H_RAX, H_T3);          /* mov rax, r10 */
	} else {
		e8(e, 0x9d);                            /* popfq */
	}
}

void tr_check(struct tctx *t, unsigned size, bool write)
{
	struct bt_emit *e = &t->e;
	/* The flags must survive the check even when the instruction will
	 * overwrite them: if it faults (the miss path interprets it), the
	 * exception frame holds the flags from before it. */
	bool save = true;
	if (save)
		tr_flags_save(t);
	/* r13 = ((lin >> 12) & 255) * 32; r11 = page of the last byte */
	emov_rr(e, false, H_T1, H_ADDR);
	e8(e, 0x41); e8(e, 0xc1); e8(e, 0xed); e8(e, 12);      /* shr r13d, 12 */
	e8(e, 0x45); e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xed);    /* movzx r13d, r13b */
	e8(e, 0x41); e8(e, 0xc1); e8(e, 0xe5); e8(e, 5);       /* shl r13d, 5 */
	elea(e, false, H_T2, H_ADDR, H_NONE, 1, (int32_t)size - 1);
	e8(e, 0x41); e8(e, 0x81); e8(e, 0xe3); e32(e, BT_PAGE_MASK); /* and r11d, mask */
	int32_t base = (int32_t)offsetof(struct bt_cpu, tlb) +
		       (int32_t)(t->user ? BT_TLB_SIZE * sizeof(struct bt_tlb_entry) : 0);
	int32_t tag = base + (int32_t)(write ? offsetof(struct bt_tlb_entry, tag_w)
					    : offsetof(struct bt_tlb_entry, tag_r));
	static const uint8_t cmp = 0x3b, add = 0x03;
	eop_mem(e, false, &cmp, 1, H_T2, H_ENV, H_T1, 1, tag);   /* cmp r11d, [r15+r13+tag] */
	e8(e, 0x0f); e8(e, 0x85);                                  /* jne slow */
	uint8_t *patch = e->p;
	e32(e, 0);
	tr_pend_slow(t, patch, save, size, write);
	eop_mem(e, true, &add, 1, H_ADDR, H_ENV, H_T1, 1,
		base + (int32_t)offsetof(struct bt_tlb_entry, addend)); /* add r14, addend */
	if (save)
		tr_flags_restore(t);
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
		copy_prefixes(t, in, false);
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
	copy_prefixes(t, in, false);
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

void tr_memref(struct tctx *t, const struct bt_insn *in, const struct bt_op *op, unsigned size,
	       bool write, struct memref *ref)
{
	if (!t->soft && op->seg != X86_FS && op->seg != X86_GS) {
		*ref = (struct memref){
			.base = op->base == BT_NOREG ? H_NONE : bt_host_reg(op->base),
			.index = op->index == BT_NOREG ? H_NONE : bt_host_reg(op->index),
			.scale = op->scale, .disp = (int32_t)op->val, .win = true };
		return;
	}
	tr_ea(t, in, op);
	if (t->soft)
		tr_check(t, size, write);
	*ref = (struct memref){ .base = H_ADDR, .index = H_NONE, .scale = 1, .win = !t->soft };
}

/* The same for [host register + disp] (the stack). */
static void tr_memref_raw(struct tctx *t, unsigned base, int32_t disp, unsigned size, bool write,
			  struct memref *ref)
{
	if (!t->soft) {
		*ref = (struct memref){ .base = base, .index = H_NONE, .scale = 1, .disp = disp,
					.win = true };
		return;
	}
	t->addr_start = t->e.p;
	elea(&t->e, false, H_ADDR, base, H_NONE, 1, disp);
	tr_check(t, size, write);
	*ref = (struct memref){ .base = H_ADDR, .index = H_NONE, .scale = 1 };
}

bool tr_emit_mem(struct tctx *t, const struct bt_insn *in, bool w, const uint8_t *opc,
		 unsigned nopc, unsigned reg, bool reg_high_byte, const struct memref *ref,
		 const uint8_t *imm, unsigned nimm)
{
	struct bt_emit *e = &t->e;
	bool rex = w || reg >= 8 || (ref->base != H_NONE && ref->base >= 8) ||
		   (ref->index != H_NONE && ref->index >= 8);
	if (rex && reg_high_byte)
		return false;
	if (ref->win) {
		e8(e, 0x65); /* GS: the window */
		e8(e, 0x67); /* 32-bit address: wraps at 4 GiB like the guest's */
	}
	if (in)
		copy_prefixes(t, in, true);
	erex(e, w, reg, ref->index, ref->base, false);
	ebytes(e, opc, nopc);
	emem(e, reg, ref->base, ref->index, ref->scale, ref->disp);
	ebytes(e, imm, nimm);
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

/* ---- the stack ---- */

static void emit_gsp_lea(struct tctx *t, unsigned dst, int32_t off)
{
	elea(&t->e, false, dst, H_GSP, H_NONE, 1, off);
}

/* mov [ref], r32 / mov r32, [ref] / mov dword [ref], imm32 */
static void emit_st(struct tctx *t, const struct memref *ref, unsigned reg)
{
	static const uint8_t op = 0x89;
	tr_emit_mem(t, NULL, false, &op, 1, reg, false, ref, NULL, 0);
}

static void emit_ld(struct tctx *t, const struct memref *ref, unsigned reg)
{
	static const uint8_t op = 0x8b;
	tr_emit_mem(t, NULL, false, &op, 1, reg, false, ref, NULL, 0);
}

void tr_store_imm(struct tctx *t, const struct memref *ref, uint32_t imm)
{
	static const uint8_t op = 0xc7;
	uint8_t b[4];
	memcpy(b, &imm, 4);
	tr_emit_mem(t, NULL, false, &op, 1, 0, false, ref, b, 4);
}

void tr_load_r9(struct tctx *t, const struct memref *ref)
{
	emit_ld(t, ref, H_T4);
}

void tr_stack_ref(struct tctx *t, int32_t disp, bool write, struct memref *ref)
{
	tr_memref_raw(t, H_GSP, disp, 4, write, ref);
}

static bool native_push(struct tctx *t, const struct bt_insn *in)
{
	const struct bt_op *op = &in->op[0];
	struct memref ref;
	if (in->osz != 4 || (op->kind == BT_OP_REG && op->rc != BT_RC_GPR &&
			     op->rc != BT_RC_SEG))
		return false;
	unsigned src;
	if (op->kind == BT_OP_REG && op->rc == BT_RC_SEG) {
		/* PUSH Sreg: the selector, zero-extended */
		static const uint8_t movzx[2] = { 0x0f, 0xb7 };
		eop_mem(&t->e, false, movzx, 2, H_T4, H_ENV, H_NONE, 1,
			(int32_t)offsetof(struct bt_cpu, seg[op->reg].sel));
		src = H_T4;
	} else if (op->kind == BT_OP_MEM) {
		if (!tr_seg_ok(t, in, op, false) || op->size != 4)
			return false;
		tr_memref(t, in, op, 4, false, &ref);
		emit_ld(t, &ref, H_T4); /* r9d = value */
		src = H_T4;
	} else if (op->kind == BT_OP_REG) {
		src = bt_host_reg(op->reg);
	} else {
		tr_stack_ref(t, -4, true, &ref);
		tr_store_imm(t, &ref, op->val);
		emit_gsp_lea(t, H_GSP, -4);
		return true;
	}
	tr_stack_ref(t, -4, true, &ref);
	emit_st(t, &ref, src);
	emit_gsp_lea(t, H_GSP, -4);
	return true;
}

static bool native_pop(struct tctx *t, const struct bt_insn *in)
{
	const struct bt_op *op = &in->op[0];
	if (in->osz != 4 || op->kind != BT_OP_REG || op->rc != BT_RC_GPR)
		return false;
	struct memref ref;
	tr_stack_ref(t, 0, false, &ref);
	emit_ld(t, &ref, H_T4);
	emit_gsp_lea(t, H_GSP, 4);
	emov_rr(&t->e, false, bt_host_reg(op->reg), H_T4);
	return true;
}

/* PUSHAD / POPAD: one 32-byte stack range. */
static bool native_pusha(struct tctx *t, const struct bt_insn *in, bool pop)
{
	static const uint8_t st = 0x89, ld = 0x8b;
	if (in->osz != 4)
		return false;
	struct memref ref;
	tr_memref_raw(t, H_GSP, pop ? 0 : -32, 32, !pop, &ref);
	/* slot k (k*4 above the low end) holds EDI, ESI, EBP, ESP, EBX, EDX,
	 * ECX, EAX */
	static const unsigned reg_of[8] = { 7, 6, 5, 4, 3, 2, 1, 0 };
	if (!pop) {
		for (unsigned k = 0; k < 8; k++) {
			struct memref r = ref;
			r.disp += (int32_t)(4 * k);
			tr_emit_mem(t, NULL, false, &st, 1, bt_host_reg(reg_of[k]), false, &r, NULL, 0);
		}
		emit_gsp_lea(t, H_GSP, -32);
		return true;
	}
	/* touch both ends first (in a window they may fault): no guest
	 * register changes before the last possible fault */
	struct memref hi = ref, lo = ref;
	hi.disp += 28;
	tr_emit_mem(t, NULL, false, &ld, 1, H_T4, false, &hi, NULL, 0); /* r9d = EAX */
	tr_emit_mem(t, NULL, false, &ld, 1, H_T3, false, &lo, NULL, 0); /* r10d = EDI */
	for (unsigned k = 1; k < 7; k++) {
		if (reg_of[k] == 4)
			continue; /* ESP's slot is skipped */
		struct memref r = ref;
		r.disp += (int32_t)(4 * k);
		tr_emit_mem(t, NULL, false, &ld, 1, bt_host_reg(reg_of[k]), false, &r, NULL, 0);
	}
	emov_rr(&t->e, false, H_RDI, H_T3);
	emov_rr(&t->e, false, H_RAX, H_T4);
	emit_gsp_lea(t, H_GSP, 32);
	return true;
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

static bool native_leave(struct tctx *t, const struct bt_insn *in)
{
	if (in->osz != 4)
		return false;
	struct memref ref;
	tr_memref_raw(t, H_RBP, 0, 4, false, &ref);
	emit_ld(t, &ref, H_T4);
	elea(&t->e, false, H_GSP, H_RBP, H_NONE, 1, 4);
	emov_rr(&t->e, false, H_RBP, H_T4);
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
	case X86_INS_PUSH: return native_push(t, in);
	case X86_INS_POP: return native_pop(t, in);
	case X86_INS_LEAVE: return native_leave(t, in);
	case X86_INS_PUSHAL: return native_pusha(t, in, false);
	case X86_INS_POPAL: return native_pusha(t, in, true);
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
	if (!native_ok_id(in->id) || !only_gpr_regs(in))
		return false;
	/* a divide that keeps raising #DE runs in the interpreter: a host
	 * SIGFPE costs more than the helper */
	if (t->soft && t->win && (in->id == X86_INS_DIV || in->id == X86_INS_IDIV))
		return false;
	const struct bt_op *m = mem_op(in);
	if (in->lock && !m)
		return false; /* #UD */
	if (!m)
		return native_reg(t, in);
	return native_mem(t, in, m);
}

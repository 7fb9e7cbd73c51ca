/* bt_interp_alu.c: the interpreter's integer instructions: add/sub/logic,
 * inc/dec/neg/not, moves and extensions, xchg/cmpxchg/xadd, multiply and
 * divide, SETcc/CMOVcc, and the dispatch to bt_interp_bits.c (shifts, bit
 * tests, BCD). Read-modify-write memory operands are checked for writing
 * before they are read, as the CPU does (#PF W=1). */
#include <capstone/capstone.h>

#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_internal.h"

void bt_loc_get(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op, bool write,
		struct bt_loc *l)
{
	l->size = op->size;
	if (op->kind == BT_OP_MEM) {
		l->mem = true;
		l->lin = bt_vaddr(c, op->seg, bt_op_ea(c, in, op), op->size,
				  write ? BT_ACC_W : BT_ACC_R);
		if (write)
			bt_probe_write(c, l->lin, op->size, c->cpl == 3);
	} else if (op->kind == BT_OP_REG && op->rc == BT_RC_GPR) {
		l->mem = false;
		l->reg = op->reg;
	} else {
		bt_raise_ud(c);
	}
}

uint64_t bt_loc_read(struct bt_cpu *c, const struct bt_loc *l)
{
	if (l->mem)
		return bt_lread(c, l->lin, l->size, c->cpl == 3);
	return bt_reg_read(c, l->reg, l->size);
}

void bt_loc_write(struct bt_cpu *c, const struct bt_loc *l, uint64_t v)
{
	if (l->mem)
		bt_lwrite(c, l->lin, v, l->size, c->cpl == 3);
	else
		bt_reg_write(c, l->reg, l->size, v);
}

void bt_set_flags(struct bt_cpu *c, uint32_t mask, uint32_t f)
{
	c->eflags = (c->eflags & ~mask) | (f & mask);
}

bool bt_lock_ok(struct bt_cpu *c, const struct bt_insn *in)
{
	if (in->lock && in->op[0].kind != BT_OP_MEM)
		bt_raise_ud(c);
	return true;
}

static uint64_t src_val(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op,
			unsigned size)
{
	uint64_t v = bt_op_read(c, in, op);
	if (op->kind == BT_OP_IMM)
		v &= bt_szmask(size);
	return v;
}

static void alu2(struct bt_cpu *c, const struct bt_insn *in)
{
	bt_lock_ok(c, in);
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size;
	bool writes = in->id != X86_INS_CMP && in->id != X86_INS_TEST;
	struct bt_loc l;
	bt_loc_get(c, in, d, writes, &l);
	uint64_t a = bt_loc_read(c, &l);
	uint64_t b = src_val(c, in, &in->op[1], size);
	uint64_t cf = c->eflags & X86_FLAGS_CF;
	uint64_t r;
	uint32_t f;
	switch (in->id) {
	case X86_INS_ADD: r = a + b; f = bt_fl_add(a, b, 0, size); break;
	case X86_INS_ADC: r = a + b + cf; f = bt_fl_add(a, b, cf, size); break;
	case X86_INS_SUB:
	case X86_INS_CMP: r = a - b; f = bt_fl_sub(a, b, 0, size); break;
	case X86_INS_SBB: r = a - b - cf; f = bt_fl_sub(a, b, cf, size); break;
	case X86_INS_AND:
	case X86_INS_TEST: r = a & b; f = bt_fl_logic(r, size); break;
	case X86_INS_OR: r = a | b; f = bt_fl_logic(r, size); break;
	default: r = a ^ b; f = bt_fl_logic(r, size); break;
	}
	if (writes)
		bt_loc_write(c, &l, r & bt_szmask(size));
	bt_set_flags(c, BT_FL_ARITH, f);
}

static void alu1(struct bt_cpu *c, const struct bt_insn *in)
{
	bt_lock_ok(c, in);
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size;
	struct bt_loc l;
	bt_loc_get(c, in, d, true, &l);
	uint64_t a = bt_loc_read(c, &l), r;
	switch (in->id) {
	case X86_INS_INC:
		r = a + 1;
		bt_set_flags(c, BT_FL_ARITH & ~X86_FLAGS_CF, bt_fl_add(a, 1, 0, size));
		break;
	case X86_INS_DEC:
		r = a - 1;
		bt_set_flags(c, BT_FL_ARITH & ~X86_FLAGS_CF, bt_fl_sub(a, 1, 0, size));
		break;
	case X86_INS_NEG:
		r = 0 - a;
		bt_set_flags(c, BT_FL_ARITH, bt_fl_sub(0, a, 0, size));
		break;
	default: /* NOT: no flags */
		r = ~a;
		break;
	}
	bt_loc_write(c, &l, r & bt_szmask(size));
}

typedef unsigned __int128 bt_u128;
typedef __int128 bt_s128;

static void muldiv(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned size = in->op[0].size, bits = size * 8;
	uint64_t m = bt_szmask(size);
	uint64_t src = bt_op_read(c, in, &in->op[0]) & m;
	bt_u128 acc; /* dividend (AX, DX:AX, EDX:EAX, RDX:RAX) / multiplicand */
	if (size == 1)
		acc = c->gpr[0] & 0xffff;
	else
		acc = ((bt_u128)(c->gpr[2] & m) << bits) | (c->gpr[0] & m);
	uint64_t lo, hi;
	bool ovf;
	switch (in->id) {
	case X86_INS_MUL: {
		bt_u128 p = (bt_u128)(acc & m) * src;
		lo = (uint64_t)p & m;
		hi = (uint64_t)(p >> bits) & m;
		ovf = hi != 0;
		break;
	}
	case X86_INS_IMUL: {
		bt_s128 p = (bt_s128)(int64_t)bt_sext((uint64_t)acc & m, size) *
			    (int64_t)bt_sext(src, size);
		lo = (uint64_t)p & m;
		hi = (uint64_t)((bt_u128)p >> bits) & m;
		ovf = p != (bt_s128)(int64_t)bt_sext(lo, size);
		break;
	}
	case X86_INS_DIV: {
		if (!src)
			bt_raise(c, X86_EXC_DE, 0, false);
		bt_u128 q = acc / src;
		if (q > m)
			bt_raise(c, X86_EXC_DE, 0, false);
		lo = (uint64_t)q;
		hi = (uint64_t)(acc % src);
		ovf = false;
		break;
	}
	default: { /* IDIV */
		if (!src)
			bt_raise(c, X86_EXC_DE, 0, false);
		/* the dividend is 2*size bytes wide: sign-extend it from there */
		bt_s128 dv = size == 8 ? (bt_s128)acc
				       : (bt_s128)(int64_t)bt_sext((uint64_t)acc, size * 2);
		bt_s128 ds = (int64_t)bt_sext(src, size);
		bt_s128 qmax = (bt_s128)bt_szsign(size) - 1, qmin = -(bt_s128)bt_szsign(size);
		if (ds == -1 && dv == qmin * ((bt_s128)1 << bits)) /* the only overflow of -1 */
			bt_raise(c, X86_EXC_DE, 0, false);
		bt_s128 q = dv / ds, r = dv % ds;
		if (q > qmax || q < qmin)
			bt_raise(c, X86_EXC_DE, 0, false);
		lo = (uint64_t)q & m;
		hi = (uint64_t)r & m;
		ovf = false;
		break;
	}
	}
	if (size == 1) {
		bt_reg_write(c, 0, 2, (hi << 8) | lo);
	} else {
		bt_reg_write(c, 0, size, lo);
		bt_reg_write(c, 2, size, hi);
	}
	if (in->id == X86_INS_MUL || in->id == X86_INS_IMUL)
		bt_set_flags(c, BT_FL_ARITH,
			  bt_fl_szp(lo, size) | (ovf ? X86_FLAGS_CF | X86_FLAGS_OF : 0));
}

static void imul_n(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned size = in->op[0].size;
	const struct bt_op *a = in->nops == 3 ? &in->op[1] : &in->op[0];
	const struct bt_op *b = in->nops == 3 ? &in->op[2] : &in->op[1];
	bt_s128 x = (int64_t)bt_sext(bt_op_read(c, in, a), size);
	bt_s128 y = (int64_t)bt_sext(src_val(c, in, b, size), size);
	bt_s128 p = x * y;
	uint64_t lo = (uint64_t)p & bt_szmask(size);
	bool ovf = p != (bt_s128)(int64_t)bt_sext(lo, size);
	bt_reg_write(c, in->op[0].reg, size, lo);
	bt_set_flags(c, BT_FL_ARITH, bt_fl_szp(lo, size) | (ovf ? X86_FLAGS_CF | X86_FLAGS_OF : 0));
}

static void xchg_ops(struct bt_cpu *c, const struct bt_insn *in)
{
	struct bt_loc a, b;
	bt_loc_get(c, in, &in->op[0], true, &a);
	bt_loc_get(c, in, &in->op[1], true, &b);
	uint64_t va = bt_loc_read(c, &a), vb = bt_loc_read(c, &b);
	bt_loc_write(c, &a, vb);
	bt_loc_write(c, &b, va);
}

static void cmpxchg(struct bt_cpu *c, const struct bt_insn *in)
{
	bt_lock_ok(c, in);
	unsigned size = in->op[0].size;
	struct bt_loc l;
	bt_loc_get(c, in, &in->op[0], true, &l);
	uint64_t d = bt_loc_read(c, &l);
	uint64_t acc = bt_reg_read(c, 0, size);
	bt_set_flags(c, BT_FL_ARITH, bt_fl_sub(acc, d, 0, size));
	if (acc == d) {
		bt_loc_write(c, &l, bt_op_read(c, in, &in->op[1]));
	} else {
		/* memory gets a write cycle; a register is left alone (not even
		 * zero-extended in 64-bit mode) */
		if (l.mem)
			bt_loc_write(c, &l, d);
		bt_reg_write(c, 0, size, d);
	}
}

/* CMPXCHG8B / CMPXCHG16B: EDX:EAX (RDX:RAX) against the memory operand,
 * ECX:EBX (RCX:RBX) stored if equal; always a write cycle. */
static void cmpxchg_wide(struct bt_cpu *c, const struct bt_insn *in, unsigned half)
{
	const struct bt_op *op = &in->op[0];
	if (op->kind != BT_OP_MEM)
		bt_raise_ud(c);
	uint64_t ea = bt_op_ea(c, in, op);
	uint64_t m = bt_szmask(half);
	if (half == 8 && (bt_vaddr(c, op->seg, ea, 16, BT_ACC_W) & 15))
		bt_raise_gp(c, 0); /* CMPXCHG16B: the operand is 16-byte aligned */
	uint64_t lin = bt_vaddr(c, op->seg, ea, 2 * half, BT_ACC_W);
	bool user = c->cpl == 3;
	bt_probe_write(c, lin, 2 * half, user);
	uint64_t mlo, mhi;
	if (half == 4) {
		uint64_t v = bt_lread(c, lin, 8, user);
		mlo = v & m;
		mhi = v >> 32;
	} else {
		mlo = bt_lread(c, lin, 8, user);
		mhi = bt_lread(c, lin + 8, 8, user);
	}
	bool eq = mlo == (c->gpr[0] & m) && mhi == (c->gpr[2] & m);
	uint64_t wlo = eq ? c->gpr[3] & m : mlo, whi = eq ? c->gpr[1] & m : mhi;
	if (half == 4) {
		bt_lwrite(c, lin, (whi << 32) | wlo, 8, user);
	} else {
		bt_lwrite(c, lin, wlo, 8, user);
		bt_lwrite(c, lin + 8, whi, 8, user);
	}
	if (!eq) {
		bt_reg_write(c, 0, half, mlo);
		bt_reg_write(c, 2, half, mhi);
	}
	bt_set_flags(c, X86_FLAGS_ZF, eq ? X86_FLAGS_ZF : 0);
}

static void cmpxchg8b(struct bt_cpu *c, const struct bt_insn *in)
{
	cmpxchg_wide(c, in, 4);
}

static void cmpxchg16b(struct bt_cpu *c, const struct bt_insn *in)
{
	cmpxchg_wide(c, in, 8);
}

static void xadd(struct bt_cpu *c, const struct bt_insn *in)
{
	bt_lock_ok(c, in);
	unsigned size = in->op[0].size;
	struct bt_loc l;
	bt_loc_get(c, in, &in->op[0], true, &l);
	uint64_t d = bt_loc_read(c, &l), s = bt_op_read(c, in, &in->op[1]);
	uint32_t f = bt_fl_add(d, s, 0, size);
	bt_reg_write(c, in->op[1].reg, size, d);
	bt_loc_write(c, &l, (d + s) & bt_szmask(size));
	bt_set_flags(c, BT_FL_ARITH, f);
}

static void movx(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned ss = in->op[1].size;
	uint64_t v = bt_op_read(c, in, &in->op[1]) & bt_szmask(ss);
	if (in->id == X86_INS_MOVSX || in->id == X86_INS_MOVSXD)
		v = bt_sext(v, ss);
	bt_reg_write(c, in->op[0].reg, in->op[0].size, v);
}

static void mov(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *d = &in->op[0], *s = &in->op[1];
	if (d->kind == BT_OP_REG && d->rc == BT_RC_SEG) {
		if (d->reg == X86_CS)
			bt_raise_ud(c);
		bt_load_seg(c, d->reg, (uint16_t)bt_op_read(c, in, s));
		return;
	}
	if (s->kind == BT_OP_REG && s->rc == BT_RC_SEG) {
		uint64_t sel = c->seg[s->reg].sel;
		if (d->kind == BT_OP_MEM)
			bt_write(c, d->seg, bt_op_ea(c, in, d), sel, 2);
		else
			bt_reg_write(c, d->reg, in->osz, sel);
		return;
	}
	if ((d->kind == BT_OP_REG && (d->rc == BT_RC_CR || d->rc == BT_RC_DR)) ||
	    (s->kind == BT_OP_REG && (s->rc == BT_RC_CR || s->rc == BT_RC_DR))) {
		if (!bt_interp_sys(c, in))
			bt_raise_ud(c);
		return;
	}
	bt_op_write(c, in, d, src_val(c, in, s, d->size));
}

bool bt_interp_alu(struct bt_cpu *c, const struct bt_insn *in)
{
	switch (in->id) {
	case X86_INS_MOV:
	case X86_INS_MOVABS: /* 64-bit immediate or moffs64 */
		mov(c, in);
		return true;
	case X86_INS_ADD: case X86_INS_ADC: case X86_INS_SUB: case X86_INS_SBB:
	case X86_INS_AND: case X86_INS_OR: case X86_INS_XOR: case X86_INS_CMP:
	case X86_INS_TEST:
		alu2(c, in);
		return true;
	case X86_INS_INC: case X86_INS_DEC: case X86_INS_NEG: case X86_INS_NOT:
		alu1(c, in);
		return true;
	case X86_INS_LEA: {
		uint64_t ea = bt_op_ea(c, in, &in->op[1]);
		bt_reg_write(c, in->op[0].reg, in->osz, ea);
		return true;
	}
	case X86_INS_MOVZX: case X86_INS_MOVSX: case X86_INS_MOVSXD: movx(c, in); return true;
	case X86_INS_SHL: case X86_INS_SAL: case X86_INS_SHR: case X86_INS_SAR:
	case X86_INS_ROL: case X86_INS_ROR: case X86_INS_RCL: case X86_INS_RCR:
		bt_interp_shift(c, in);
		return true;
	case X86_INS_SHLD: case X86_INS_SHRD: bt_interp_dshift(c, in); return true;
	case X86_INS_MUL: case X86_INS_DIV: case X86_INS_IDIV:
		muldiv(c, in);
		return true;
	case X86_INS_IMUL:
		if (in->nops == 1)
			muldiv(c, in);
		else
			imul_n(c, in);
		return true;
	case X86_INS_BT: case X86_INS_BTS: case X86_INS_BTR: case X86_INS_BTC:
		bt_interp_bittest(c, in);
		return true;
	case X86_INS_BSF: case X86_INS_BSR: bt_interp_bitscan(c, in); return true;
	case X86_INS_XCHG:
		xchg_ops(c, in);
		return true;
	case X86_INS_CMPXCHG: cmpxchg(c, in); return true;
	case X86_INS_CMPXCHG8B: cmpxchg8b(c, in); return true;
	case X86_INS_CMPXCHG16B: cmpxchg16b(c, in); return true;
	case X86_INS_XADD: xadd(c, in); return true;
	case X86_INS_BSWAP: {
		uint64_t v = c->gpr[in->op[0].reg];
		if (in->osz == 2)
			bt_reg_write(c, in->op[0].reg, 2, 0); /* undefined; 0 on current CPUs */
		else if (in->osz == 8)
			bt_reg_write(c, in->op[0].reg, 8, __builtin_bswap64(v));
		else
			bt_reg_write(c, in->op[0].reg, 4, __builtin_bswap32((uint32_t)v));
		return true;
	}
	case X86_INS_DAA: case X86_INS_DAS: case X86_INS_AAA: case X86_INS_AAS:
	case X86_INS_AAM: case X86_INS_AAD:
		bt_interp_bcd(c, in);
		return true;
	case X86_INS_SETAE: case X86_INS_SETA: case X86_INS_SETBE: case X86_INS_SETB:
	case X86_INS_SETE: case X86_INS_SETGE: case X86_INS_SETG: case X86_INS_SETLE:
	case X86_INS_SETL: case X86_INS_SETNE: case X86_INS_SETNO: case X86_INS_SETNP:
	case X86_INS_SETNS: case X86_INS_SETO: case X86_INS_SETP: case X86_INS_SETS:
		bt_op_write(c, in, &in->op[0], bt_cond(c, bt_insn_cc(in)));
		return true;
	case X86_INS_CMOVAE: case X86_INS_CMOVA: case X86_INS_CMOVBE: case X86_INS_CMOVB:
	case X86_INS_CMOVE: case X86_INS_CMOVGE: case X86_INS_CMOVG: case X86_INS_CMOVLE:
	case X86_INS_CMOVL: case X86_INS_CMOVNE: case X86_INS_CMOVNO: case X86_INS_CMOVNP:
	case X86_INS_CMOVNS: case X86_INS_CMOVO: case X86_INS_CMOVP: case X86_INS_CMOVS: {
		/* the source is read (and may fault) even if the condition is false */
		uint64_t v = bt_op_read(c, in, &in->op[1]);
		unsigned r = in->op[0].reg, size = in->op[0].size;
		if (bt_cond(c, bt_insn_cc(in)))
			bt_reg_write(c, r, size, v);
		else if (size == 4) /* a 32-bit destination is zero-extended anyway */
			bt_reg_write(c, r, 4, c->gpr[r]);
		return true;
	}
	default:
		return false;
	}
}

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

uint32_t bt_loc_read(struct bt_cpu *c, const struct bt_loc *l)
{
	if (l->mem)
		return (uint32_t)bt_lread(c, l->lin, l->size, c->cpl == 3);
	return bt_reg_read(c, l->reg, l->size);
}

void bt_loc_write(struct bt_cpu *c, const struct bt_loc *l, uint32_t v)
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

static uint32_t src_val(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op,
			unsigned size)
{
	uint32_t v = bt_op_read(c, in, op);
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
	uint32_t a = bt_loc_read(c, &l);
	uint32_t b = src_val(c, in, &in->op[1], size);
	uint32_t cf = c->eflags & X86_FLAGS_CF;
	uint32_t r, f;
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
	uint32_t a = bt_loc_read(c, &l), r;
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

static void muldiv(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned size = in->op[0].size;
	uint32_t m = bt_szmask(size);
	uint32_t src = bt_op_read(c, in, &in->op[0]) & m;
	uint64_t acc; /* dividend / multiplicand */
	if (size == 1)
		acc = c->gpr[0] & 0xffff;
	else if (size == 2)
		acc = ((c->gpr[2] & 0xffff) << 16) | (c->gpr[0] & 0xffff);
	else
		acc = ((uint64_t)c->gpr[2] << 32) | c->gpr[0];
	uint64_t lo, hi;
	bool ovf;
	switch (in->id) {
	case X86_INS_MUL: {
		uint64_t p = (uint64_t)(acc & m) * src;
		lo = p & m;
		hi = (p >> (size * 8)) & m;
		ovf = hi != 0;
		break;
	}
	case X86_INS_IMUL: {
		int64_t p = (int64_t)(int32_t)bt_sext((uint32_t)acc & m, size) *
			    (int32_t)bt_sext(src, size);
		lo = (uint64_t)p & m;
		hi = ((uint64_t)p >> (size * 8)) & m;
		ovf = p != (int64_t)(int32_t)bt_sext((uint32_t)lo, size);
		break;
	}
	case X86_INS_DIV: {
		if (!src)
			bt_raise(c, X86_EXC_DE, 0, false);
		uint64_t q = acc / src;
		if (q > m)
			bt_raise(c, X86_EXC_DE, 0, false);
		lo = q;
		hi = acc % src;
		ovf = false;
		break;
	}
	default: { /* IDIV */
		if (!src)
			bt_raise(c, X86_EXC_DE, 0, false);
		int64_t dv = size == 4 ? (int64_t)acc
				       : (int64_t)(int32_t)bt_sext((uint32_t)acc, size * 2);
		int64_t ds = (int32_t)bt_sext(src, size);
		if (dv == INT64_MIN && ds == -1)
			bt_raise(c, X86_EXC_DE, 0, false);
		int64_t q = dv / ds, r = dv % ds;
		int64_t qmax = (int64_t)(bt_szsign(size)) - 1, qmin = -(int64_t)bt_szsign(size);
		if (q > qmax || q < qmin)
			bt_raise(c, X86_EXC_DE, 0, false);
		lo = (uint64_t)q & m;
		hi = (uint64_t)r & m;
		ovf = false;
		break;
	}
	}
	if (size == 1) {
		bt_reg_write(c, 0, 2, (uint32_t)((hi << 8) | lo));
	} else {
		bt_reg_write(c, 0, size, (uint32_t)lo);
		bt_reg_write(c, 2, size, (uint32_t)hi);
	}
	if (in->id == X86_INS_MUL || in->id == X86_INS_IMUL)
		bt_set_flags(c, BT_FL_ARITH,
			  bt_fl_szp((uint32_t)lo, size) |
				  (ovf ? X86_FLAGS_CF | X86_FLAGS_OF : 0));
}

static void imul_n(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned size = in->op[0].size;
	const struct bt_op *a = in->nops == 3 ? &in->op[1] : &in->op[0];
	const struct bt_op *b = in->nops == 3 ? &in->op[2] : &in->op[1];
	int64_t x = (int32_t)bt_sext(bt_op_read(c, in, a), size);
	int64_t y = (int32_t)bt_sext(src_val(c, in, b, size), size);
	int64_t p = x * y;
	uint32_t lo = (uint32_t)p & bt_szmask(size);
	bool ovf = p != (int64_t)(int32_t)bt_sext(lo, size);
	bt_reg_write(c, in->op[0].reg, size, lo);
	bt_set_flags(c, BT_FL_ARITH, bt_fl_szp(lo, size) | (ovf ? X86_FLAGS_CF | X86_FLAGS_OF : 0));
}

static void xchg_ops(struct bt_cpu *c, const struct bt_insn *in)
{
	struct bt_loc a, b;
	bt_loc_get(c, in, &in->op[0], true, &a);
	bt_loc_get(c, in, &in->op[1], true, &b);
	uint32_t va = bt_loc_read(c, &a), vb = bt_loc_read(c, &b);
	bt_loc_write(c, &a, vb);
	bt_loc_write(c, &b, va);
}

static void cmpxchg(struct bt_cpu *c, const struct bt_insn *in)
{
	bt_lock_ok(c, in);
	unsigned size = in->op[0].size;
	struct bt_loc l;
	bt_loc_get(c, in, &in->op[0], true, &l);
	uint32_t d = bt_loc_read(c, &l);
	uint32_t acc = bt_reg_read(c, 0, size);
	bt_set_flags(c, BT_FL_ARITH, bt_fl_sub(acc, d, 0, size));
	if (acc == d) {
		bt_loc_write(c, &l, bt_op_read(c, in, &in->op[1]));
	} else {
		bt_loc_write(c, &l, d);
		bt_reg_write(c, 0, size, d);
	}
}

static void cmpxchg8b(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *op = &in->op[0];
	if (op->kind != BT_OP_MEM)
		bt_raise_ud(c);
	uint32_t lin = bt_vaddr(c, op->seg, bt_op_ea(c, in, op), 8, BT_ACC_W);
	bool user = c->cpl == 3;
	bt_probe_write(c, lin, 8, user);
	uint64_t m = bt_lread(c, lin, 8, user);
	uint64_t cmp = ((uint64_t)c->gpr[2] << 32) | c->gpr[0];
	if (m == cmp) {
		bt_lwrite(c, lin, ((uint64_t)c->gpr[1] << 32) | c->gpr[3], 8, user);
		bt_set_flags(c, X86_FLAGS_ZF, X86_FLAGS_ZF);
	} else {
		bt_lwrite(c, lin, m, 8, user);
		c->gpr[0] = (uint32_t)m;
		c->gpr[2] = (uint32_t)(m >> 32);
		bt_set_flags(c, X86_FLAGS_ZF, 0);
	}
}

static void xadd(struct bt_cpu *c, const struct bt_insn *in)
{
	bt_lock_ok(c, in);
	unsigned size = in->op[0].size;
	struct bt_loc l;
	bt_loc_get(c, in, &in->op[0], true, &l);
	uint32_t d = bt_loc_read(c, &l), s = bt_op_read(c, in, &in->op[1]);
	uint32_t f = bt_fl_add(d, s, 0, size);
	bt_reg_write(c, in->op[1].reg, size, d);
	bt_loc_write(c, &l, (d + s) & bt_szmask(size));
	bt_set_flags(c, BT_FL_ARITH, f);
}

static void movx(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned ss = in->op[1].size;
	uint32_t v = bt_op_read(c, in, &in->op[1]) & bt_szmask(ss);
	if (in->id == X86_INS_MOVSX)
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
		uint32_t sel = c->seg[s->reg].sel;
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
	case X86_INS_MOV: mov(c, in); return true;
	case X86_INS_ADD: case X86_INS_ADC: case X86_INS_SUB: case X86_INS_SBB:
	case X86_INS_AND: case X86_INS_OR: case X86_INS_XOR: case X86_INS_CMP:
	case X86_INS_TEST:
		alu2(c, in);
		return true;
	case X86_INS_INC: case X86_INS_DEC: case X86_INS_NEG: case X86_INS_NOT:
		alu1(c, in);
		return true;
	case X86_INS_LEA: {
		uint32_t ea = bt_op_ea(c, in, &in->op[1]);
		bt_reg_write(c, in->op[0].reg, in->osz, ea);
		return true;
	}
	case X86_INS_MOVZX: case X86_INS_MOVSX: movx(c, in); return true;
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
	case X86_INS_XADD: xadd(c, in); return true;
	case X86_INS_BSWAP: {
		uint32_t v = c->gpr[in->op[0].reg];
		if (in->osz == 2)
			bt_reg_write(c, in->op[0].reg, 2, 0); /* undefined; 0 on current CPUs */
		else
			c->gpr[in->op[0].reg] = __builtin_bswap32(v);
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
		uint32_t v = bt_op_read(c, in, &in->op[1]);
		if (bt_cond(c, bt_insn_cc(in)))
			bt_reg_write(c, in->op[0].reg, in->op[0].size, v);
		return true;
	}
	default:
		return false;
	}
}

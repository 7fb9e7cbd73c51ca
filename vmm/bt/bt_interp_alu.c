/* bt_interp_alu.c: the interpreter's integer instructions: add/sub/logic,
 * inc/dec/neg/not, moves and extensions, xchg/cmpxchg/xadd, shifts and
 * rotates (incl. double shifts), multiply and divide, bit tests and scans,
 * SETcc/CMOVcc, BCD adjustments. Read-modify-write memory operands are
 * checked for writing before they are read, as the CPU does (#PF W=1). */
#include <capstone/capstone.h>

#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_internal.h"

/* A resolved operand: a register or a checked linear address. */
struct loc {
	bool mem;
	uint8_t reg;
	uint8_t size;
	uint32_t lin;
};

static void loc_get(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op,
		    bool write, struct loc *l)
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

static uint32_t loc_read(struct bt_cpu *c, const struct loc *l)
{
	if (l->mem)
		return (uint32_t)bt_lread(c, l->lin, l->size, c->cpl == 3);
	return bt_reg_read(c, l->reg, l->size);
}

static void loc_write(struct bt_cpu *c, const struct loc *l, uint32_t v)
{
	if (l->mem)
		bt_lwrite(c, l->lin, v, l->size, c->cpl == 3);
	else
		bt_reg_write(c, l->reg, l->size, v);
}

static void set_flags(struct bt_cpu *c, uint32_t mask, uint32_t f)
{
	c->eflags = (c->eflags & ~mask) | (f & mask);
}

static uint32_t src_val(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op,
			unsigned size)
{
	uint32_t v = bt_op_read(c, in, op);
	if (op->kind == BT_OP_IMM)
		v &= bt_szmask(size);
	return v;
}

static bool lock_ok(struct bt_cpu *c, const struct bt_insn *in)
{
	if (in->lock && in->op[0].kind != BT_OP_MEM)
		bt_raise_ud(c);
	return true;
}

static void alu2(struct bt_cpu *c, const struct bt_insn *in)
{
	lock_ok(c, in);
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size;
	bool writes = in->id != X86_INS_CMP && in->id != X86_INS_TEST;
	struct loc l;
	loc_get(c, in, d, writes, &l);
	uint32_t a = loc_read(c, &l);
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
		loc_write(c, &l, r & bt_szmask(size));
	set_flags(c, BT_FL_ARITH, f);
}

static void alu1(struct bt_cpu *c, const struct bt_insn *in)
{
	lock_ok(c, in);
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size;
	struct loc l;
	loc_get(c, in, d, true, &l);
	uint32_t a = loc_read(c, &l), r;
	switch (in->id) {
	case X86_INS_INC:
		r = a + 1;
		set_flags(c, BT_FL_ARITH & ~X86_FLAGS_CF, bt_fl_add(a, 1, 0, size));
		break;
	case X86_INS_DEC:
		r = a - 1;
		set_flags(c, BT_FL_ARITH & ~X86_FLAGS_CF, bt_fl_sub(a, 1, 0, size));
		break;
	case X86_INS_NEG:
		r = 0 - a;
		set_flags(c, BT_FL_ARITH, bt_fl_sub(0, a, 0, size));
		break;
	default: /* NOT: no flags */
		r = ~a;
		break;
	}
	loc_write(c, &l, r & bt_szmask(size));
}

static void shift(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size, bits = size * 8;
	uint32_t m = bt_szmask(size), sign = bt_szsign(size);
	uint32_t cnt = (in->nops > 1 ? bt_op_read(c, in, &in->op[1]) : 1) & 31;
	struct loc l;
	loc_get(c, in, d, true, &l);
	uint32_t a = loc_read(c, &l) & m;
	if (!cnt) {
		loc_write(c, &l, a); /* still a write cycle */
		return;
	}
	uint32_t r = a, f = c->eflags, cf = f & X86_FLAGS_CF;
	uint32_t of = 0;
	bool szp = true;
	switch (in->id) {
	case X86_INS_SHL:
	case X86_INS_SAL:
		r = cnt >= 32 ? 0 : (uint32_t)((uint64_t)a << cnt) & m;
		cf = cnt <= bits ? ((uint64_t)a >> (bits - cnt)) & 1 : 0;
		of = ((r & sign) != 0) ^ cf;
		break;
	case X86_INS_SHR:
		r = cnt >= bits ? 0 : a >> cnt;
		cf = cnt <= bits ? (a >> (cnt - 1)) & 1 : 0;
		of = (a & sign) != 0;
		break;
	case X86_INS_SAR: {
		int32_t s = (int32_t)bt_sext(a, size);
		r = (uint32_t)(s >> (cnt >= bits ? bits - 1 : cnt)) & m;
		cf = (uint32_t)(s >> (cnt - 1 >= bits ? bits - 1 : cnt - 1)) & 1;
		of = 0;
		break;
	}
	case X86_INS_ROL: {
		unsigned k = cnt % bits;
		r = k ? ((a << k) | (a >> (bits - k))) & m : a;
		cf = r & 1;
		of = ((r & sign) != 0) ^ cf;
		szp = false;
		break;
	}
	case X86_INS_ROR: {
		unsigned k = cnt % bits;
		r = k ? ((a >> k) | (a << (bits - k))) & m : a;
		cf = (r & sign) != 0;
		of = ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1;
		szp = false;
		break;
	}
	case X86_INS_RCL: {
		unsigned k = cnt % (bits + 1);
		szp = false;
		if (!k) {
			loc_write(c, &l, a);
			return;
		}
		uint64_t v = ((uint64_t)cf << bits) | a; /* bits+1 wide */
		v = ((v << k) | (v >> (bits + 1 - k))) & ((2ull << bits) - 1);
		r = (uint32_t)v & m;
		cf = (uint32_t)(v >> bits) & 1;
		of = ((r & sign) != 0) ^ cf;
		break;
	}
	default: { /* RCR */
		unsigned k = cnt % (bits + 1);
		szp = false;
		if (!k) {
			loc_write(c, &l, a);
			return;
		}
		uint64_t v = ((uint64_t)cf << bits) | a;
		v = ((v >> k) | (v << (bits + 1 - k))) & ((2ull << bits) - 1);
		r = (uint32_t)v & m;
		cf = (uint32_t)(v >> bits) & 1;
		of = ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1;
		break;
	}
	}
	loc_write(c, &l, r);
	uint32_t mask = X86_FLAGS_CF | X86_FLAGS_OF;
	uint32_t nf = (cf ? X86_FLAGS_CF : 0) | (of ? X86_FLAGS_OF : 0);
	if (szp) {
		mask |= X86_FLAGS_SF | X86_FLAGS_ZF | X86_FLAGS_PF | X86_FLAGS_AF;
		nf |= bt_fl_szp(r, size);
	}
	set_flags(c, mask, nf);
}

static void dshift(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size, bits = size * 8;
	uint32_t m = bt_szmask(size), sign = bt_szsign(size);
	uint32_t cnt = bt_op_read(c, in, &in->op[2]) & 31;
	struct loc l;
	loc_get(c, in, d, true, &l);
	uint32_t a = loc_read(c, &l) & m;
	uint32_t s = bt_op_read(c, in, &in->op[1]) & m;
	if (!cnt) {
		loc_write(c, &l, a);
		return;
	}
	/* 16-bit with a count > 16 is undefined; repeat the destination as
	 * current CPUs do. (v) holds the destination at the shifted end. */
	uint64_t v, r;
	uint32_t cf;
	if (in->id == X86_INS_SHLD) {
		v = bits == 32 ? ((uint64_t)a << 32) | s
			       : ((uint64_t)a << 48) | ((uint64_t)s << 32) | ((uint64_t)a << 16);
		r = (v << cnt) >> (64 - bits);
		cf = (uint32_t)(v >> (64 - cnt)) & 1;
	} else {
		v = bits == 32 ? ((uint64_t)s << 32) | a
			       : ((uint64_t)a << 32) | ((uint64_t)s << 16) | a;
		r = v >> cnt;
		cf = (uint32_t)(v >> (cnt - 1)) & 1;
	}
	uint32_t res = (uint32_t)r & m;
	loc_write(c, &l, res);
	uint32_t of = ((res ^ a) & sign) != 0;
	set_flags(c, BT_FL_ARITH,
		  bt_fl_szp(res, size) | (cf ? X86_FLAGS_CF : 0) | (of ? X86_FLAGS_OF : 0));
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
		set_flags(c, BT_FL_ARITH,
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
	set_flags(c, BT_FL_ARITH, bt_fl_szp(lo, size) | (ovf ? X86_FLAGS_CF | X86_FLAGS_OF : 0));
}

static void bittest(struct bt_cpu *c, const struct bt_insn *in)
{
	lock_ok(c, in);
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size, bits = size * 8;
	uint32_t off = bt_op_read(c, in, &in->op[1]);
	bool writes = in->id != X86_INS_BT;
	struct loc l;
	if (d->kind == BT_OP_MEM && in->op[1].kind == BT_OP_REG) {
		/* the bit offset is signed and reaches outside the operand */
		int32_t so = (int32_t)bt_sext(off, size);
		int32_t disp = (so >> (bits == 32 ? 5 : 4)) * (int32_t)size;
		uint32_t ea = bt_op_ea(c, in, d) + (uint32_t)disp;
		if (in->asz == 2)
			ea &= 0xffff;
		l.mem = true;
		l.size = (uint8_t)size;
		l.lin = bt_vaddr(c, d->seg, ea, size, writes ? BT_ACC_W : BT_ACC_R);
		if (writes)
			bt_probe_write(c, l.lin, size, c->cpl == 3);
	} else {
		loc_get(c, in, d, writes, &l);
	}
	unsigned bit = off & (bits - 1);
	uint32_t v = loc_read(c, &l);
	bool old = (v >> bit) & 1;
	switch (in->id) {
	case X86_INS_BTS: v |= 1u << bit; break;
	case X86_INS_BTR: v &= ~(1u << bit); break;
	case X86_INS_BTC: v ^= 1u << bit; break;
	default: break;
	}
	if (writes)
		loc_write(c, &l, v);
	set_flags(c, X86_FLAGS_CF, old ? X86_FLAGS_CF : 0);
}

static void bitscan(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned size = in->op[0].size;
	uint32_t v = bt_op_read(c, in, &in->op[1]) & bt_szmask(size);
	if (!v) {
		set_flags(c, X86_FLAGS_ZF, X86_FLAGS_ZF);
		return;
	}
	uint32_t idx = in->id == X86_INS_BSF ? (uint32_t)__builtin_ctz(v)
					     : 31u - (uint32_t)__builtin_clz(v);
	bt_reg_write(c, in->op[0].reg, size, idx);
	set_flags(c, X86_FLAGS_ZF, 0);
}

static void xchg_ops(struct bt_cpu *c, const struct bt_insn *in)
{
	struct loc a, b;
	loc_get(c, in, &in->op[0], true, &a);
	loc_get(c, in, &in->op[1], true, &b);
	uint32_t va = loc_read(c, &a), vb = loc_read(c, &b);
	loc_write(c, &a, vb);
	loc_write(c, &b, va);
}

static void cmpxchg(struct bt_cpu *c, const struct bt_insn *in)
{
	lock_ok(c, in);
	unsigned size = in->op[0].size;
	struct loc l;
	loc_get(c, in, &in->op[0], true, &l);
	uint32_t d = loc_read(c, &l);
	uint32_t acc = bt_reg_read(c, 0, size);
	set_flags(c, BT_FL_ARITH, bt_fl_sub(acc, d, 0, size));
	if (acc == d) {
		loc_write(c, &l, bt_op_read(c, in, &in->op[1]));
	} else {
		loc_write(c, &l, d);
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
		set_flags(c, X86_FLAGS_ZF, X86_FLAGS_ZF);
	} else {
		bt_lwrite(c, lin, m, 8, user);
		c->gpr[0] = (uint32_t)m;
		c->gpr[2] = (uint32_t)(m >> 32);
		set_flags(c, X86_FLAGS_ZF, 0);
	}
}

static void xadd(struct bt_cpu *c, const struct bt_insn *in)
{
	lock_ok(c, in);
	unsigned size = in->op[0].size;
	struct loc l;
	loc_get(c, in, &in->op[0], true, &l);
	uint32_t d = loc_read(c, &l), s = bt_op_read(c, in, &in->op[1]);
	uint32_t f = bt_fl_add(d, s, 0, size);
	bt_reg_write(c, in->op[1].reg, size, d);
	loc_write(c, &l, (d + s) & bt_szmask(size));
	set_flags(c, BT_FL_ARITH, f);
}

static void bcd(struct bt_cpu *c, const struct bt_insn *in)
{
	uint32_t al = c->gpr[0] & 0xff, ah = (c->gpr[0] >> 8) & 0xff;
	bool af = c->eflags & X86_FLAGS_AF, cf = c->eflags & X86_FLAGS_CF;
	uint32_t f = 0;
	switch (in->id) {
	case X86_INS_DAA:
	case X86_INS_DAS: {
		bool add = in->id == X86_INS_DAA;
		uint32_t old = al;
		bool ncf = false, naf = false;
		if ((al & 0xf) > 9 || af) {
			ncf = cf || (add ? al + 6 > 0xff : al < 6);
			al = (add ? al + 6 : al - 6) & 0xff;
			naf = true;
		}
		if (old > 0x99 || cf) {
			al = (add ? al + 0x60 : al - 0x60) & 0xff;
			ncf = true;
		}
		f = bt_fl_szp(al, 1) | (ncf ? X86_FLAGS_CF : 0) | (naf ? X86_FLAGS_AF : 0);
		bt_reg_write(c, 0, 1, al);
		break;
	}
	case X86_INS_AAA:
	case X86_INS_AAS: {
		uint32_t ax = c->gpr[0] & 0xffff;
		if ((al & 0xf) > 9 || af) {
			if (in->id == X86_INS_AAA)
				ax = ax + 0x106;
			else
				ax = ((ax - 6) & 0xff) | ((((ax >> 8) - 1 - (al < 6)) & 0xff) << 8);
			f = X86_FLAGS_AF | X86_FLAGS_CF;
		}
		ax = (ax & 0xff0f);
		f |= bt_fl_szp(ax & 0xff, 1);
		bt_reg_write(c, 0, 2, ax);
		break;
	}
	case X86_INS_AAM: {
		uint32_t imm = in->bytes[in->opc_off + 1];
		if (!imm)
			bt_raise(c, X86_EXC_DE, 0, false);
		ah = al / imm;
		al = al % imm;
		bt_reg_write(c, 0, 2, (ah << 8) | al);
		f = bt_fl_szp(al, 1);
		break;
	}
	default: { /* AAD */
		uint32_t imm = in->bytes[in->opc_off + 1];
		al = (al + ah * imm) & 0xff;
		bt_reg_write(c, 0, 2, al);
		f = bt_fl_szp(al, 1);
		break;
	}
	}
	set_flags(c, BT_FL_ARITH, f);
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
		shift(c, in);
		return true;
	case X86_INS_SHLD: case X86_INS_SHRD: dshift(c, in); return true;
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
		bittest(c, in);
		return true;
	case X86_INS_BSF: case X86_INS_BSR: bitscan(c, in); return true;
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
		bcd(c, in);
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

/* bt_interp_bits.c: the interpreter's shifts and rotates (incl. SHLD/SHRD
 * and RCL/RCR by any count), bit tests and scans, and BCD adjustments,
 * with the flags the SDM defines (and those current CPUs produce where it
 * leaves them undefined: see bt_flags.h). */
#include <capstone/capstone.h>

#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_internal.h"

typedef unsigned __int128 bt_u128;

void bt_interp_shift(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size, bits = size * 8;
	uint64_t m = bt_szmask(size), sign = bt_szsign(size);
	unsigned cnt = (unsigned)(in->nops > 1 ? bt_op_read(c, in, &in->op[1]) : 1) &
		       (size == 8 ? 63 : 31);
	struct bt_loc l;
	bt_loc_get(c, in, d, true, &l);
	uint64_t a = bt_loc_read(c, &l) & m;
	if (!cnt) {
		bt_loc_write(c, &l, a); /* still a write cycle */
		return;
	}
	uint64_t r = a, cf = c->eflags & X86_FLAGS_CF, of = 0;
	bool szp = true;
	switch (in->id) {
	case X86_INS_SHL:
	case X86_INS_SAL:
		r = cnt >= bits ? 0 : (a << cnt) & m;
		cf = cnt <= bits ? (uint64_t)(((bt_u128)a >> (bits - cnt)) & 1) : 0;
		of = ((r & sign) != 0) ^ cf;
		break;
	case X86_INS_SHR:
		r = cnt >= bits ? 0 : a >> cnt;
		cf = cnt <= bits ? (a >> (cnt - 1)) & 1 : 0;
		of = (a & sign) != 0;
		break;
	case X86_INS_SAR: {
		int64_t sv = (int64_t)bt_sext(a, size);
		r = (uint64_t)(sv >> (cnt >= bits ? bits - 1 : cnt)) & m;
		cf = (uint64_t)(sv >> (cnt - 1 >= bits ? bits - 1 : cnt - 1)) & 1;
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
	case X86_INS_RCL:
	default: { /* RCR */
		unsigned k = cnt % (bits + 1);
		szp = false;
		if (!k) {
			bt_loc_write(c, &l, a);
			return;
		}
		bt_u128 v = ((bt_u128)cf << bits) | a; /* bits+1 wide */
		bt_u128 wm = ((bt_u128)2 << (bits - 1) << 1) - 1;
		if (in->id == X86_INS_RCL)
			v = ((v << k) | (v >> (bits + 1 - k))) & wm;
		else
			v = ((v >> k) | (v << (bits + 1 - k))) & wm;
		r = (uint64_t)v & m;
		cf = (uint64_t)(v >> bits) & 1;
		if (in->id == X86_INS_RCL)
			of = ((r & sign) != 0) ^ cf;
		else
			of = ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1;
		break;
	}
	}
	bt_loc_write(c, &l, r);
	uint32_t mask = X86_FLAGS_CF | X86_FLAGS_OF;
	uint32_t nf = (cf ? X86_FLAGS_CF : 0) | (of ? X86_FLAGS_OF : 0);
	if (szp) {
		mask |= X86_FLAGS_SF | X86_FLAGS_ZF | X86_FLAGS_PF | X86_FLAGS_AF;
		nf |= bt_fl_szp(r, size);
	}
	bt_set_flags(c, mask, nf);
}

void bt_interp_dshift(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size, bits = size * 8;
	uint64_t m = bt_szmask(size), sign = bt_szsign(size);
	unsigned cnt = (unsigned)bt_op_read(c, in, &in->op[2]) & (size == 8 ? 63 : 31);
	struct bt_loc l;
	bt_loc_get(c, in, d, true, &l);
	uint64_t a = bt_loc_read(c, &l) & m;
	uint64_t s = bt_op_read(c, in, &in->op[1]) & m;
	if (!cnt) {
		bt_loc_write(c, &l, a);
		return;
	}
	/* 16-bit with a count > 16 is undefined; repeat the destination as
	 * current CPUs do. (v) holds the destination at the shifted end,
	 * 128 bits wide. */
	bt_u128 v, r;
	uint64_t cf;
	if (in->id == X86_INS_SHLD) {
		v = bits == 16 ? ((bt_u128)a << 112) | ((bt_u128)s << 96) | ((bt_u128)a << 80)
			       : ((bt_u128)a << (128 - bits)) | ((bt_u128)s << (128 - 2 * bits));
		r = (v << cnt) >> (128 - bits);
		cf = (uint64_t)(v >> (128 - cnt)) & 1;
	} else {
		v = bits == 16 ? ((bt_u128)a << 32) | ((bt_u128)s << 16) | a
			       : ((bt_u128)s << bits) | a;
		r = v >> cnt;
		cf = (uint64_t)(v >> (cnt - 1)) & 1;
	}
	uint64_t res = (uint64_t)r & m;
	bt_loc_write(c, &l, res);
	uint64_t of = ((res ^ a) & sign) != 0;
	bt_set_flags(c, BT_FL_ARITH,
		  bt_fl_szp(res, size) | (cf ? X86_FLAGS_CF : 0) | (of ? X86_FLAGS_OF : 0));
}

void bt_interp_bittest(struct bt_cpu *c, const struct bt_insn *in)
{
	bt_lock_ok(c, in);
	const struct bt_op *d = &in->op[0];
	unsigned size = d->size, bits = size * 8;
	uint64_t off = bt_op_read(c, in, &in->op[1]);
	bool writes = in->id != X86_INS_BT;
	struct bt_loc l;
	if (d->kind == BT_OP_MEM && in->op[1].kind == BT_OP_REG) {
		/* the bit offset is signed and reaches outside the operand */
		int64_t so = (int64_t)bt_sext(off, size);
		int64_t disp = (so >> (bits == 64 ? 6 : bits == 32 ? 5 : 4)) * (int64_t)size;
		uint64_t ea = bt_op_ea(c, in, d) + (uint64_t)disp;
		if (in->asz == 2)
			ea &= 0xffff;
		else if (in->asz == 4)
			ea &= 0xffffffffu;
		l.mem = true;
		l.size = (uint8_t)size;
		l.lin = bt_vaddr(c, d->seg, ea, size, writes ? BT_ACC_W : BT_ACC_R);
		if (writes)
			bt_probe_write(c, l.lin, size, c->cpl == 3);
	} else {
		bt_loc_get(c, in, d, writes, &l);
	}
	unsigned bit = (unsigned)off & (bits - 1);
	uint64_t v = bt_loc_read(c, &l);
	bool old = (v >> bit) & 1;
	switch (in->id) {
	case X86_INS_BTS: v |= 1ull << bit; break;
	case X86_INS_BTR: v &= ~(1ull << bit); break;
	case X86_INS_BTC: v ^= 1ull << bit; break;
	default: break;
	}
	if (writes)
		bt_loc_write(c, &l, v);
	bt_set_flags(c, X86_FLAGS_CF, old ? X86_FLAGS_CF : 0);
}

void bt_interp_bitscan(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t v = bt_op_read(c, in, &in->op[1]) & bt_szmask(size);
	if (!v) {
		/* the destination keeps its value; a 32-bit one is still written
		 * (zero-extended in 64-bit mode) as Intel CPUs do */
		if (size == 4)
			bt_reg_write(c, in->op[0].reg, 4, c->gpr[in->op[0].reg]);
		bt_set_flags(c, X86_FLAGS_ZF, X86_FLAGS_ZF);
		return;
	}
	uint64_t idx = in->id == X86_INS_BSF ? (uint64_t)__builtin_ctzll(v)
					     : 63u - (uint64_t)__builtin_clzll(v);
	bt_reg_write(c, in->op[0].reg, size, idx);
	bt_set_flags(c, X86_FLAGS_ZF, 0);
}

void bt_interp_bcd(struct bt_cpu *c, const struct bt_insn *in)
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
	bt_set_flags(c, BT_FL_ARITH, f);
}

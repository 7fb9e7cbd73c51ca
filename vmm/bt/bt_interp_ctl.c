/* bt_interp_ctl.c: the interpreter's control flow and stack instructions:
 * near and far JMP/CALL/RET, Jcc, LOOP/JCXZ, INT/INT3/INTO/IRET, PUSH/POP
 * (incl. segment registers, PUSHA/POPA, PUSHF/POPF), ENTER/LEAVE, BOUND,
 * LDS/LES/LFS/LGS/LSS. Multi-word stack writes are all-or-nothing. */
#include <capstone/capstone.h>

#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_internal.h"

/* A near branch: the CS limit, or in 64-bit mode a canonical target
 * (#GP at the branch either way). */
static void branch(struct bt_cpu *c, uint64_t target, unsigned osz)
{
	if (bt_lm64(c)) {
		if (!bt_canonical(target))
			bt_raise_gp(c, 0);
		c->next_rip = target;
		return;
	}
	target &= osz == 2 ? 0xffffu : 0xffffffffu;
	if (target > c->seg[X86_CS].limit)
		bt_raise_gp(c, 0);
	c->next_eip = (uint32_t)target;
}

/* Push (n) values (v[0] first) all or nothing; ESP committed at the end. */
static void push_n(struct bt_cpu *c, const uint64_t *v, unsigned n, unsigned size)
{
	uint64_t mask = bt_sp_mask(c);
	uint64_t sp = c->gpr[X86_RSP] & mask;
	uint64_t lo = (sp - n * size) & mask;
	if (lo < sp) { /* no wrap: check the whole range once */
		uint64_t lin = bt_vaddr(c, X86_SS, lo, n * size, BT_ACC_W);
		bt_probe_write(c, lin, n * size, c->cpl == 3);
	}
	for (unsigned i = 0; i < n; i++) {
		sp = (sp - size) & mask;
		bt_write(c, X86_SS, sp, v[i], size);
	}
	c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | sp;
}

static uint64_t peek(struct bt_cpu *c, unsigned idx, unsigned size)
{
	uint64_t mask = bt_sp_mask(c);
	return bt_read(c, X86_SS, (c->gpr[X86_RSP] + idx * size) & mask, size);
}

static void sp_add(struct bt_cpu *c, uint64_t n)
{
	uint64_t mask = bt_sp_mask(c);
	c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | ((c->gpr[X86_RSP] + n) & mask);
}

static void push_op(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *op = &in->op[0];
	unsigned size = in->osz;
	uint64_t v;
	if (op->kind == BT_OP_REG && op->rc == BT_RC_SEG)
		v = c->seg[op->reg].sel;
	else if (op->kind == BT_OP_IMM)
		v = op->val;
	else if (op->kind == BT_OP_MEM)
		v = bt_read(c, op->seg, bt_op_ea(c, in, op), size);
	else
		v = bt_reg_read(c, op->reg, size);
	push_n(c, &v, 1, size);
}

static void pop_op(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *op = &in->op[0];
	unsigned size = in->osz;
	uint64_t mask = bt_sp_mask(c);
	uint64_t old = c->gpr[X86_RSP];
	uint64_t v = peek(c, 0, size);
	uint64_t nsp = (old & ~mask) | ((old + size) & mask);
	if (op->kind == BT_OP_REG && op->rc == BT_RC_SEG) {
		if (op->reg == X86_CS)
			bt_raise_ud(c);
		bt_load_seg(c, op->reg, (uint16_t)v);
		c->gpr[X86_RSP] = nsp;
	} else if (op->kind == BT_OP_MEM) {
		/* SDM 2B POP: the address is computed after ESP is incremented */
		c->gpr[X86_RSP] = nsp;
		uint64_t ea = bt_op_ea(c, in, op);
		c->gpr[X86_RSP] = old;
		bt_write(c, op->seg, ea, v, size);
		c->gpr[X86_RSP] = nsp;
	} else {
		c->gpr[X86_RSP] = nsp;
		bt_reg_write(c, op->reg, size, v);
	}
}

static void pusha(struct bt_cpu *c, unsigned size)
{
	uint64_t v[8];
	for (unsigned i = 0; i < 8; i++)
		v[i] = c->gpr[i]; /* ESP: the value before the first push */
	push_n(c, v, 8, size);
}

static void popa(struct bt_cpu *c, unsigned size)
{
	uint64_t v[8];
	for (unsigned i = 0; i < 8; i++)
		v[i] = peek(c, i, size);
	for (unsigned i = 0; i < 8; i++)
		if (7 - i != X86_RSP)
			bt_reg_write(c, 7 - i, size, v[i]);
	sp_add(c, 8 * size);
}

static void pushf(struct bt_cpu *c, unsigned size)
{
	if ((c->eflags & X86_FLAGS_VM) && ((c->eflags >> 12) & 3) < 3)
		bt_raise_gp(c, 0);
	uint64_t v = c->eflags & ~(uint32_t)(X86_FLAGS_VM | X86_FLAGS_RF);
	push_n(c, &v, 1, size);
}

static void popf(struct bt_cpu *c, unsigned size)
{
	unsigned iopl = (c->eflags >> 12) & 3;
	if ((c->eflags & X86_FLAGS_VM) && iopl < 3)
		bt_raise_gp(c, 0);
	uint32_t v = (uint32_t)peek(c, 0, size);
	uint32_t m = X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF |
		     X86_FLAGS_TF | X86_FLAGS_DF | X86_FLAGS_OF | X86_FLAGS_NT | X86_FLAGS_AC |
		     X86_FLAGS_ID;
	if (!bt_pe(c) || c->cpl == 0)
		m |= X86_FLAGS_IOPL;
	if (!bt_pe(c) || c->cpl <= iopl)
		m |= X86_FLAGS_IF;
	if (size == 2)
		m &= 0xffff;
	sp_add(c, size);
	bt_set_eflags(c, v, m);
}

static void enter(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned size = in->osz;
	uint64_t alloc = in->op[0].val & 0xffff;
	unsigned level = in->op[1].val & 31;
	uint64_t mask = bt_sp_mask(c);
	uint64_t sp = c->gpr[X86_RSP] & mask;
	uint64_t bp = c->gpr[X86_RBP];
	sp = (sp - size) & mask;
	bt_write(c, X86_SS, sp, bp, size);
	uint64_t frame = sp;
	for (unsigned i = 1; i < level; i++) {
		bp = (bp - size) & mask;
		uint64_t v = bt_read(c, X86_SS, bp & mask, size);
		sp = (sp - size) & mask;
		bt_write(c, X86_SS, sp, v, size);
	}
	if (level) {
		sp = (sp - size) & mask;
		bt_write(c, X86_SS, sp, frame, size);
	}
	sp = (sp - alloc) & mask;
	bt_reg_write(c, X86_RBP, size, frame);
	c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | sp;
}

static void leave(struct bt_cpu *c, unsigned size)
{
	uint64_t mask = bt_sp_mask(c);
	uint64_t sp = c->gpr[X86_RBP] & mask;
	uint64_t v = bt_read(c, X86_SS, sp, size);
	c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | ((sp + size) & mask);
	bt_reg_write(c, X86_RBP, size, v);
}

static void far_ptr(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op,
		    uint16_t *sel, uint64_t *off)
{
	uint64_t ea = bt_op_ea(c, in, op);
	*off = bt_read(c, op->seg, ea, in->osz);
	uint64_t ea2 = ea + in->osz;
	if (in->asz == 2)
		ea2 &= 0xffff;
	else if (in->asz == 4)
		ea2 &= 0xffffffffu;
	*sel = (uint16_t)bt_read(c, op->seg, ea2, 2);
}

static void load_far_ptr(struct bt_cpu *c, const struct bt_insn *in, unsigned sreg)
{
	if (in->op[1].kind != BT_OP_MEM)
		bt_raise_ud(c);
	uint16_t sel;
	uint64_t off;
	far_ptr(c, in, &in->op[1], &sel, &off);
	bt_load_seg(c, sreg, sel);
	bt_reg_write(c, in->op[0].reg, in->osz, off);
}

static void bound(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *m = &in->op[1];
	if (m->kind != BT_OP_MEM)
		bt_raise_ud(c);
	unsigned size = in->osz;
	uint32_t ea = (uint32_t)bt_op_ea(c, in, m);
	int32_t lo = (int32_t)bt_sext((uint32_t)bt_read(c, m->seg, ea, size), size);
	int32_t hi = (int32_t)bt_sext((uint32_t)bt_read(c, m->seg, ea + size, size), size);
	int32_t v = (int32_t)bt_sext(bt_reg_read(c, in->op[0].reg, size), size);
	if (v < lo || v > hi)
		bt_raise(c, X86_EXC_BR, 0, false);
}

static void loop(struct bt_cpu *c, const struct bt_insn *in)
{
	uint64_t m = bt_szmask(in->asz);
	uint64_t cnt = (c->gpr[X86_RCX] - 1) & m;
	bool zf = c->eflags & X86_FLAGS_ZF;
	bool take = cnt != 0;
	if (in->id == X86_INS_LOOPE)
		take = take && zf;
	else if (in->id == X86_INS_LOOPNE)
		take = take && !zf;
	if (take)
		branch(c, in->op[0].val, in->osz);
	c->gpr[X86_RCX] = (c->gpr[X86_RCX] & ~m) | cnt;
}

static void near_jmp_call(struct bt_cpu *c, const struct bt_insn *in, bool call)
{
	unsigned size = in->osz;
	uint64_t t = bt_op_read(c, in, &in->op[0]);
	if (in->op[0].kind != BT_OP_IMM && size == 2)
		t &= 0xffff;
	if (call) {
		uint64_t ret = bt_next_ip(c);
		branch(c, t, size);
		push_n(c, &ret, 1, size);
	} else {
		branch(c, t, size);
	}
}

bool bt_interp_ctl(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned osz = in->osz;
	if (bt_insn_is_jcc(in->id)) {
		if (bt_cond(c, bt_insn_cc(in)))
			branch(c, in->op[0].val, osz);
		return true;
	}
	switch (in->id) {
	case X86_INS_JMP: near_jmp_call(c, in, false); return true;
	case X86_INS_CALL: near_jmp_call(c, in, true); return true;
	case X86_INS_RET: {
		uint64_t t = peek(c, 0, osz);
		branch(c, t, osz);
		sp_add(c, osz + (in->nops ? (in->op[0].val & 0xffff) : 0));
		return true;
	}
	case X86_INS_RETF:
	case X86_INS_RETFQ:
		bt_far_ret(c, osz, in->nops ? (uint16_t)in->op[0].val : 0);
		return true;
	case X86_INS_LJMP:
	case X86_INS_LCALL: {
		uint16_t sel;
		uint64_t off;
		if (in->op[0].kind == BT_OP_MEM) {
			far_ptr(c, in, &in->op[0], &sel, &off);
		} else {
			sel = (uint16_t)in->op[0].val;
			off = in->op[1].val;
		}
		if (in->id == X86_INS_LJMP)
			bt_far_jmp(c, sel, off, osz);
		else
			bt_far_call(c, sel, off, osz);
		return true;
	}
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
		loop(c, in);
		return true;
	case X86_INS_JCXZ:
	case X86_INS_JECXZ:
	case X86_INS_JRCXZ: {
		uint64_t m = bt_szmask(in->asz);
		if (!(c->gpr[X86_RCX] & m))
			branch(c, in->op[0].val, osz);
		return true;
	}
	case X86_INS_INT:
		if ((c->eflags & X86_FLAGS_VM) && ((c->eflags >> 12) & 3) < 3)
			bt_raise_gp(c, 0);
		bt_soft_int(c, in->op[0].val & 0xff);
		return true;
	case X86_INS_INT3:
		bt_soft_int(c, X86_EXC_BP);
		return true;
	case X86_INS_INT1:
		bt_soft_int(c, X86_EXC_DB);
		return true;
	case X86_INS_INTO:
		if (c->eflags & X86_FLAGS_OF)
			bt_soft_int(c, X86_EXC_OF);
		return true;
	case X86_INS_IRET: bt_iret(c, 2); return true;
	case X86_INS_IRETD: bt_iret(c, 4); return true;
	case X86_INS_PUSH: push_op(c, in); return true;
	case X86_INS_POP: pop_op(c, in); return true;
	case X86_INS_PUSHAW: pusha(c, 2); return true;
	case X86_INS_PUSHAL: pusha(c, 4); return true;
	case X86_INS_POPAW: popa(c, 2); return true;
	case X86_INS_POPAL: popa(c, 4); return true;
	case X86_INS_PUSHF: c->helper[BT_H_FLAGS].count++; pushf(c, 2); return true;
	case X86_INS_PUSHFD: c->helper[BT_H_FLAGS].count++; pushf(c, 4); return true;
	case X86_INS_POPF: c->helper[BT_H_FLAGS].count++; popf(c, 2); return true;
	case X86_INS_POPFD: c->helper[BT_H_FLAGS].count++; popf(c, 4); return true;
	case X86_INS_PUSHFQ: c->helper[BT_H_FLAGS].count++; pushf(c, osz); return true;
	case X86_INS_POPFQ: c->helper[BT_H_FLAGS].count++; popf(c, osz); return true;
	case X86_INS_IRETQ: bt_iret(c, 8); return true;
	case X86_INS_ENTER: enter(c, in); return true;
	case X86_INS_LEAVE: leave(c, osz); return true;
	case X86_INS_BOUND: bound(c, in); return true;
	case X86_INS_LDS: load_far_ptr(c, in, X86_DS); return true;
	case X86_INS_LES: load_far_ptr(c, in, X86_ES); return true;
	case X86_INS_LFS: load_far_ptr(c, in, X86_FS); return true;
	case X86_INS_LGS: load_far_ptr(c, in, X86_GS); return true;
	case X86_INS_LSS: load_far_ptr(c, in, X86_SS); return true;
	default:
		return false;
	}
}

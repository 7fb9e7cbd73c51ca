/* bt_interp.c: the reference interpreter's core: operand access (registers,
 * effective addresses, segment-checked memory), condition codes, EFLAGS
 * writes with their privilege rules, and the dispatch of one decoded
 * instruction to the parts in bt_interp_{alu,ctl,str,sys}.c. Guest state
 * lives in struct bt_cpu; an instruction commits registers only after its
 * memory accesses succeeded, so a raise leaves the state at the insn. */
#include <capstone/capstone.h>

#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_fpu.h"

uint64_t bt_reg_read(const struct bt_cpu *c, unsigned reg, unsigned size)
{
	switch (size) {
	case 1:
		if (reg >= BT_REG_BYTE_REX)
			return c->gpr[reg - BT_REG_BYTE_REX] & 0xff;
		return reg < 4 ? c->gpr[reg] & 0xff : (c->gpr[reg - 4] >> 8) & 0xff;
	case 2:
		return c->gpr[reg] & 0xffff;
	case 4:
		return c->gpr[reg] & 0xffffffffu;
	default:
		return c->gpr[reg];
	}
}

void bt_reg_write(struct bt_cpu *c, unsigned reg, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		if (reg >= BT_REG_BYTE_REX)
			c->gpr[reg - BT_REG_BYTE_REX] =
				(c->gpr[reg - BT_REG_BYTE_REX] & ~0xffull) | (v & 0xff);
		else if (reg < 4)
			c->gpr[reg] = (c->gpr[reg] & ~0xffull) | (v & 0xff);
		else
			c->gpr[reg - 4] = (c->gpr[reg - 4] & ~0xff00ull) | ((v & 0xff) << 8);
		break;
	case 2:
		c->gpr[reg] = (c->gpr[reg] & ~0xffffull) | (v & 0xffff);
		break;
	case 4:
		c->gpr[reg] = (uint32_t)v;
		break;
	default:
		c->gpr[reg] = v;
		break;
	}
}

uint64_t bt_op_ea(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op)
{
	uint64_t ea = op->val;
	if (op->base == BT_REG_RIP)
		ea += c->next_rip;
	else if (op->base != BT_NOREG)
		ea += c->gpr[op->base];
	if (op->index != BT_NOREG)
		ea += c->gpr[op->index] * op->scale;
	if (in->asz == 2)
		ea &= 0xffff;
	else if (in->asz == 4)
		ea &= 0xffffffffu;
	return ea;
}

uint64_t bt_op_read(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op)
{
	switch (op->kind) {
	case BT_OP_REG:
		if (op->rc == BT_RC_GPR)
			return bt_reg_read(c, op->reg, op->size);
		if (op->rc == BT_RC_SEG)
			return c->seg[op->reg].sel;
		bt_raise_ud(c);
	case BT_OP_IMM:
		return op->val & bt_szmask(op->size ? op->size : 4);
	case BT_OP_MEM:
		return bt_read(c, op->seg, bt_op_ea(c, in, op), op->size);
	default:
		bt_raise_ud(c);
	}
}

void bt_op_write(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op, uint64_t v)
{
	switch (op->kind) {
	case BT_OP_REG:
		if (op->rc != BT_RC_GPR)
			bt_raise_ud(c);
		bt_reg_write(c, op->reg, op->size, v);
		return;
	case BT_OP_MEM:
		bt_write(c, op->seg, bt_op_ea(c, in, op), v, op->size);
		return;
	default:
		bt_raise_ud(c);
	}
}

bool bt_cond(const struct bt_cpu *c, unsigned cc)
{
	uint32_t f = c->eflags;
	bool r;
	switch (cc >> 1) {
	case 0: r = f & X86_FLAGS_OF; break;
	case 1: r = f & X86_FLAGS_CF; break;
	case 2: r = f & X86_FLAGS_ZF; break;
	case 3: r = f & (X86_FLAGS_CF | X86_FLAGS_ZF); break;
	case 4: r = f & X86_FLAGS_SF; break;
	case 5: r = f & X86_FLAGS_PF; break;
	case 6: r = !(f & X86_FLAGS_SF) != !(f & X86_FLAGS_OF); break;
	default: r = (f & X86_FLAGS_ZF) || (!(f & X86_FLAGS_SF) != !(f & X86_FLAGS_OF)); break;
	}
	return (cc & 1) ? !r : r;
}

void bt_set_eflags(struct bt_cpu *c, uint32_t v, uint32_t mask)
{
	uint32_t old = c->eflags;
	c->eflags = ((old & ~mask) | (v & mask) | X86_FLAGS_FIXED) &
		    ~(uint32_t)(0x8028u | 0xffc00000u); /* reserved bits 3, 5, 15, 22-31 */
	if ((c->eflags ^ old) & (X86_FLAGS_IF | X86_FLAGS_TF | X86_FLAGS_VM))
		c->stop_block = true;
	if ((c->eflags ^ old) & X86_FLAGS_VM)
		bt_update_mode(c); /* which bumps the mode */
}

unsigned bt_insn_dseg(const struct bt_insn *in)
{
	unsigned seg = X86_DS;
	for (unsigned i = 0; i < in->opc_off; i++)
		switch (in->bytes[i]) {
		case 0x26: seg = X86_ES; break;
		case 0x2e: seg = X86_CS; break;
		case 0x36: seg = X86_SS; break;
		case 0x3e: seg = X86_DS; break;
		case 0x64: seg = X86_FS; break;
		case 0x65: seg = X86_GS; break;
		}
	return seg;
}

unsigned bt_insn_cc(const struct bt_insn *in)
{
	unsigned o = in->opc_off;
	return in->bytes[o] == 0x0f ? in->bytes[o + 1] & 0xf : in->bytes[o] & 0xf;
}

void bt_interp_insn(struct bt_cpu *c, const struct bt_insn *in)
{
	bool m64 = bt_lm64(c);
	if (m64)
		c->next_rip = c->rip + in->len;
	else /* IP wraps at the code size; the high half stays zero */
		c->next_rip = (uint32_t)(c->eip + in->len) & (c->seg[X86_CS].db ? ~0u : 0xffffu);
	if (VMM_UNLIKELY(in->fpc) && !m64) {
		bt_interp_fpu(c, in); /* 16/32-bit code only (bt_fpu.c) */
	} else if (!bt_interp_alu(c, in) && !bt_interp_ctl(c, in) && !bt_interp_string(c, in) &&
		   !bt_interp_sys(c, in) && !bt_interp_long(c, in) && !bt_interp_misc(c, in)) {
		if (m64)
			bt_unsupported(c, in); /* rather than a #UD a CPU would not raise */
		else
			bt_raise_ud(c);
	}
	/* an instruction that left 64-bit mode set only the low half */
	c->rip = bt_lm64(c) ? c->next_rip : c->next_eip;
}

/* Flag-only and small instructions that do not fit elsewhere. */
bool bt_interp_misc(struct bt_cpu *c, const struct bt_insn *in)
{
	uint32_t f = c->eflags;
	switch (in->id) {
	case X86_INS_CLC: c->eflags = f & ~(uint32_t)X86_FLAGS_CF; return true;
	case X86_INS_STC: c->eflags = f | X86_FLAGS_CF; return true;
	case X86_INS_CMC: c->eflags = f ^ X86_FLAGS_CF; return true;
	case X86_INS_CLD: c->eflags = f & ~(uint32_t)X86_FLAGS_DF; return true;
	case X86_INS_STD: c->eflags = f | X86_FLAGS_DF; return true;
	case X86_INS_NOP:
	case X86_INS_PAUSE:
	case X86_INS_ENDBR32: /* CET is not enumerated: a hint NOP (SDM 2A) */
	case X86_INS_ENDBR64:
	case X86_INS_PREFETCHT0: case X86_INS_PREFETCHT1: case X86_INS_PREFETCHT2:
	case X86_INS_PREFETCHNTA: case X86_INS_PREFETCH: case X86_INS_PREFETCHW:
		return true;
	case X86_INS_LAHF:
		bt_reg_write(c, 4, 1, (f & 0xd5) | 2);
		return true;
	case X86_INS_SAHF: {
		uint32_t ah = bt_reg_read(c, 4, 1);
		c->eflags = (f & ~0xd5u) | (ah & 0xd5) | X86_FLAGS_FIXED;
		return true;
	}
	case X86_INS_SALC:
		bt_reg_write(c, 0, 1, (f & X86_FLAGS_CF) ? 0xff : 0);
		return true;
	case X86_INS_CBW:
		bt_reg_write(c, 0, 2, bt_sext(c->gpr[0], 1));
		return true;
	case X86_INS_CWDE:
		bt_reg_write(c, 0, 4, bt_sext(c->gpr[0], 2));
		return true;
	case X86_INS_CDQE:
		bt_reg_write(c, 0, 8, bt_sext(c->gpr[0], 4));
		return true;
	case X86_INS_CWD:
		bt_reg_write(c, 2, 2, (c->gpr[0] & 0x8000) ? 0xffff : 0);
		return true;
	case X86_INS_CDQ:
		bt_reg_write(c, 2, 4, (c->gpr[0] & 0x80000000u) ? 0xffffffffu : 0);
		return true;
	case X86_INS_CQO:
		bt_reg_write(c, 2, 8, (c->gpr[0] >> 63) ? ~0ull : 0);
		return true;
	case X86_INS_XLATB: {
		uint64_t off = c->gpr[X86_RBX] + (c->gpr[0] & 0xff);
		if (in->asz == 2)
			off &= 0xffff;
		else if (in->asz == 4)
			off &= 0xffffffffu;
		bt_reg_write(c, 0, 1, bt_read(c, bt_insn_dseg(in), off, 1));
		return true;
	}
	default:
		return false;
	}
}

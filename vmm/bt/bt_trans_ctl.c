/* bt_trans_ctl.c: control flow in translated code: direct branches as
 * chainable exits (same guest page) or table lookups (other pages), the
 * indirect-branch lookup that leaves the guest's flags alone (negated tags
 * and JRCXZ), CALL/RET/JMP through registers and memory, Jcc, LOOPcc and
 * JECXZ. */
#include <capstone/capstone.h>

#include "vmm/bt/bt_trans_int.h"

void tr_indirect(struct tctx *t)
{
	struct bt_emit *e = &t->e;
	/* count: mov r11, [r15+ind_lookups]; lea r11, [r11+1]; mov [r15+ind_lookups], r11 */
	eload(e, true, H_T2, H_ENV, BT_OFF_IND_LOOKUPS);
	elea(e, true, H_T2, H_T2, H_NONE, 1, 1);
	estore(e, true, H_T2, H_ENV, BT_OFF_IND_LOOKUPS);
	emov_rr(e, true, H_T1, H_RCX);                        /* mov r13, rcx */
	e8(e, 0x41); e8(e, 0x0f); e8(e, 0xb7); e8(e, 0xc9);   /* movzx ecx, r9w */
	elea(e, true, H_RCX, H_RCX, H_RCX, 1, 0);             /* lea rcx, [rcx+rcx] */
	eload(e, true, H_T3, H_ENV, BT_OFF_IBTC);             /* mov r10, [r15+ibtc] */
	elea(e, true, H_T3, H_T3, H_RCX, 8, 0);               /* lea r10, [r10+rcx*8] */
	eload(e, true, H_RCX, H_ENV, BT_OFF_IBTC_TAG);        /* mov rcx, [r15+tag] */
	elea(e, true, H_RCX, H_RCX, H_T4, 1, 0);              /* lea rcx, [rcx+r9] */
	eload(e, true, H_T2, H_T3, 0);                        /* mov r11, [r10] */
	elea(e, true, H_RCX, H_RCX, H_T2, 1, 0);              /* lea rcx, [rcx+r11] */
	e8(e, 0xe3);                                          /* jrcxz hit */
	uint8_t *hit = e->p;
	e8(e, 0);
	emov_rr(e, true, H_RCX, H_T1);                        /* miss: mov rcx, r13 */
	estore(e, false, H_T4, H_ENV, BT_OFF_EIP);            /* mov [r15+eip], r9d */
	e8(e, 0x49); e8(e, 0xc7); e8(e, 0x47); e8(e, BT_OFF_EXIT_SLOT); /* mov qword [r15+exit_slot], 1 */
	e32(e, (uint32_t)BT_EXIT_INDIRECT);
	tr_jmp_rx(t, t->tc->exit_tramp);
	if (!e->overflow)
		*hit = (uint8_t)(e->p - hit - 1);
	emov_rr(e, true, H_RCX, H_T1);                        /* hit: mov rcx, r13 */
	e8(e, 0x41); e8(e, 0xff); e8(e, 0x62); e8(e, 8);      /* jmp [r10+8] */
}

/* Transfer to guest (target): a chainable exit within the page, else the
 * indirect table. */
void tr_jump(struct tctx *t, uint32_t target)
{
	if ((target & BT_PAGE_MASK) == t->page) {
		e8(&t->e, 0xe9);
		struct pend *p = tr_pend_new(t, PEND_EXIT);
		p->patch = t->e.p;
		p->target = target;
		e32(&t->e, 0);
		return;
	}
	emov_ri(&t->e, H_T4, target);
	tr_indirect(t);
}

/* A rel32 branch (opcode bytes opc[0..n)) to guest (target): a chainable
 * exit within the page, else an out-of-line lookup. */
static void tr_branch_rel32(struct tctx *t, const uint8_t *opc, unsigned n, uint32_t target)
{
	ebytes(&t->e, opc, n);
	struct pend *p = tr_pend_new(t, (target & BT_PAGE_MASK) == t->page ? PEND_EXIT
									 : PEND_JCC_FAR);
	p->patch = t->e.p;
	p->target = target;
	e32(&t->e, 0);
}

static bool tr_push_const(struct tctx *t, uint32_t v)
{
	struct memref ref;
	tr_stack_ref(t, -4, true, &ref);
	tr_store_imm(t, &ref, v);
	elea(&t->e, false, H_GSP, H_GSP, H_NONE, 1, -4);
	return true;
}

/* Indirect target operand -> r9d. */
static bool tr_target(struct tctx *t, const struct bt_insn *in)
{
	const struct bt_op *op = &in->op[0];
	if (op->kind == BT_OP_REG && op->rc == BT_RC_GPR && op->size == 4) {
		emov_rr(&t->e, false, H_T4, bt_host_reg(op->reg));
		return true;
	}
	if (op->kind == BT_OP_MEM && op->size == 4 && tr_seg_ok(t, in, op, false)) {
		struct memref ref;
		tr_memref(t, in, op, 4, false, &ref);
		tr_load_r9(t, &ref);
		return true;
	}
	return false;
}

/* Control flow that ends the block; false: use the helper. */
bool tr_control(struct tctx *t, const struct bt_insn *in)
{
	uint32_t next = t->eip + in->len;
	if (in->osz != 4 || in->asz != 4)
		return false;
	switch (in->id) {
	case X86_INS_JMP:
		if (in->op[0].kind == BT_OP_IMM) {
			tr_jump(t, in->op[0].val);
			return true;
		}
		if (!tr_target(t, in))
			return false;
		tr_indirect(t);
		return true;
	case X86_INS_CALL:
		if (in->op[0].kind == BT_OP_IMM) {
			tr_push_const(t, next);
			tr_jump(t, in->op[0].val);
			return true;
		}
		if (!tr_target(t, in))
			return false;
		tr_push_const(t, next);
		tr_indirect(t);
		return true;
	case X86_INS_RET: {
		uint32_t imm = in->nops ? in->op[0].val & 0xffff : 0;
		struct memref ref;
		tr_stack_ref(t, 0, false, &ref);
		tr_load_r9(t, &ref);
		elea(&t->e, false, H_GSP, H_GSP, H_NONE, 1, (int32_t)(4 + imm));
		tr_indirect(t);
		return true;
	}
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE: {
		struct bt_emit *e = &t->e;
		static const uint8_t jmp = 0xe9;
		elea(e, false, H_RCX, H_RCX, H_NONE, 1, -1);     /* lea ecx, [rcx-1] */
		e8(e, 0xe3);                                     /* jrcxz not_taken */
		uint8_t *nt = e->p;
		e8(e, 0);
		uint8_t *nt2 = NULL;
		if (in->id != X86_INS_LOOP) {
			e8(e, in->id == X86_INS_LOOPE ? 0x75 : 0x74); /* jnz/jz not_taken */
			nt2 = e->p;
			e8(e, 0);
		}
		tr_branch_rel32(t, &jmp, 1, in->op[0].val);
		if (!e->overflow) {
			*nt = (uint8_t)(e->p - nt - 1);
			if (nt2)
				*nt2 = (uint8_t)(e->p - nt2 - 1);
		}
		tr_jump(t, next);
		return true;
	}
	case X86_INS_JECXZ: {
		static const uint8_t jmp = 0xe9;
		e8(&t->e, 0xe3);                                 /* jrcxz +5 */
		e8(&t->e, 5);
		tr_branch_rel32(t, &jmp, 1, next);
		tr_branch_rel32(t, &jmp, 1, in->op[0].val);
		return true;
	}
	default:
		if (bt_insn_is_jcc(in->id) && in->op[0].kind == BT_OP_IMM) {
			uint8_t opc[2] = { 0x0f, (uint8_t)(0x80 | bt_insn_cc(in)) };
			tr_branch_rel32(t, opc, 2, in->op[0].val);
			tr_jump(t, next);
			return true;
		}
		return false;
	}
}

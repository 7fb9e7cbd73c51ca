/* bt_trans_mem.c: how translated code reaches guest memory. In a window
 * an operand is re-encoded as GS:[addr32 base+index*scale+disp]; on the
 * software TLB its linear address goes to R14, an inline check (flags kept
 * in AH/AL around it) compares the TLB tag and adds the host offset, and a
 * miss fills and retries or interprets the instruction. Also the stack:
 * PUSH/POP/LEAVE/PUSHAD/POPAD as explicit accesses on R12 that commit ESP
 * only after the last access that can fault. */
#include <capstone/capstone.h>
#include <stddef.h>
#include <string.h>

#include "vmm/bt/bt_trans_int.h"

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
	e8(e, 0x41); e8(e, 0x81); e8(e, 0xe3); e32(e, (uint32_t)BT_PAGE_MASK); /* and r11d, mask */
	int32_t base = (int32_t)offsetof(struct bt_cpu, tlb) +
		       (int32_t)(t->user ? BT_TLB_SIZE * sizeof(struct bt_tlb_entry) : 0);
	int32_t tag = base + (int32_t)(write ? offsetof(struct bt_tlb_entry, tag_w)
					    : offsetof(struct bt_tlb_entry, tag_r));
	static const uint8_t cmp = 0x3b, add = 0x03;
	_Static_assert(sizeof(struct bt_tlb_entry) == 32, "TLB index scaled by shl 5");
	eop_mem(e, true, &cmp, 1, H_T2, H_ENV, H_T1, 1, tag);    /* cmp r11, [r15+r13+tag] */
	e8(e, 0x0f); e8(e, 0x85);                                  /* jne slow */
	uint8_t *patch = e->p;
	e32(e, 0);
	tr_pend_slow(t, patch, save, size, write);
	eop_mem(e, true, &add, 1, H_ADDR, H_ENV, H_T1, 1,
		base + (int32_t)offsetof(struct bt_tlb_entry, addend)); /* add r14, addend */
	if (save)
		tr_flags_restore(t);
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
		tr_copy_prefixes(t, in, true);
	erex(e, w, reg, ref->index, ref->base, false);
	ebytes(e, opc, nopc);
	emem(e, reg, ref->base, ref->index, ref->scale, ref->disp);
	ebytes(e, imm, nimm);
	return true;
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

bool tr_push(struct tctx *t, const struct bt_insn *in)
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

bool tr_pop(struct tctx *t, const struct bt_insn *in)
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
bool tr_pusha(struct tctx *t, const struct bt_insn *in, bool pop)
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

bool tr_leave(struct tctx *t, const struct bt_insn *in)
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

/* bt_trans_fpu.c: x87/MMX/SSE/SSE2 instructions in translated code, run
 * natively on the host FPU with the guest's FPU state loaded lazily: the
 * first FP instruction after C code calls [r15 + BT_OFF_FPU_LOAD] (FXRSTOR
 * of c->fpu, then that slot becomes a lone RET), and every way out to C
 * (helpers, TLB fills, exits) calls [r15 + BT_OFF_FPU_SAVE] (FXSAVE, FNINIT,
 * the host's MXCSR). Blocks are translated this way only when the mode key
 * says CR0.EM=TS=0, NE=1 and CR4.OSFXSR (BT_KEY_FPU); otherwise, and for
 * the state instructions whose images hold instruction pointers, the
 * interpreter helper runs them (bt_fpu.c). Faults: memory operands are
 * rewritten like other instructions' (bt_trans_mem.c), so guest #PF is
 * precise; #MF/#XM arrive as SIGFPE and #GP (alignment, reserved MXCSR
 * bits) as SIGSEGV, mapped to the instruction in bt_signal.c. */
#include <capstone/capstone.h>
#include <stddef.h>

#include "vmm/bt/bt_fpu.h"
#include "vmm/bt/bt_trans_int.h"

static void emit_fpu_in(struct tctx *t)
{
	static const uint8_t call = 0xff;
	eop_mem(&t->e, false, &call, 1, 2, H_ENV, H_NONE, 1, BT_OFF_FPU_LOAD); /* call [r15+load] */
}

/* After an x87 instruction that sets them: the guest's FIP and FOP. */
static void emit_x87_ptrs(struct tctx *t, const struct bt_insn *in)
{
	static const uint8_t movimm = 0xc7;
	uint16_t fop = 0;
	uint32_t fip = t->eip;
	if (in->fpc != BT_FP_X87)
		return;
	if (in->bytes[in->opc_off] == 0xdb && in->bytes[in->opc_off + 1] == 0xe3)
		fip = 0; /* FNINIT clears them */
	else if (!bt_fpu_x87_sets_fip(in, &fop))
		return;
	estore_imm32(&t->e, H_ENV, (int32_t)offsetof(struct bt_cpu, fpu_last_fip), fip);
	e8(&t->e, 0x66);
	eop_mem(&t->e, false, &movimm, 1, 0, H_ENV, H_NONE, 1,
		(int32_t)offsetof(struct bt_cpu, fpu_last_fop));
	e16(&t->e, fop);
}

bool tr_fpu(struct tctx *t, const struct bt_insn *in, bool *live)
{
	struct bt_fpu_native n;
	if (in->fpc == BT_FP_FENCE)
		return true; /* one vCPU: nothing to order */
	if (!(t->key & BT_KEY_FPU) || !bt_fpu_native(in, &n))
		return false;
	struct bt_emit *e = &t->e;
	if (!n.mem) {
		if (!*live)
			emit_fpu_in(t);
		tr_copy_prefixes(t, in, false);
		ebytes(e, in->bytes + in->opc_off, in->len - in->opc_off);
		emit_x87_ptrs(t, in);
		*live = true;
		return true;
	}
	if (!tr_seg_ok(t, in, n.mem, n.write))
		return false;
	struct memref ref;
	uint8_t *before = e->p;
	tr_memref(t, in, n.mem, n.size, n.write, &ref);
	/* a TLB check's slow path calls C (which saves the FPU state): load
	 * after it, and do not count on it after the instruction either (the
	 * slow path may interpret it and resume behind it) */
	bool checked = e->p != before;
	if (!*live || checked)
		emit_fpu_in(t);
	unsigned reg = (in->bytes[n.modrm] >> 3) & 7;
	if (!tr_emit_mem(t, in, false, in->bytes + in->opc_off, n.modrm - in->opc_off, reg, false,
			 &ref, in->bytes + n.tail, in->len - n.tail))
		return false;
	emit_x87_ptrs(t, in);
	*live = !checked;
	return true;
}

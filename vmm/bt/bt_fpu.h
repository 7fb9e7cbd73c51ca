/* bt_fpu.h: x87/MMX/SSE/SSE2 on the host FPU with the guest's FXSAVE image
 * switched in and out (bt_fpu.c). */
#ifndef VMM_BT_BT_FPU_H
#define VMM_BT_BT_FPU_H

#include "vmm/bt/bt_internal.h"

/* Per-vCPU stub area and I/O block; 0 or -ENOMEM (logged). */
int bt_fpu_init(struct bt_cpu *c);
void bt_fpu_fini(struct bt_cpu *c);
/* The host's MXCSR_MASK (what FXRSTOR/LDMXCSR accept). */
uint32_t bt_fpu_mxcsr_mask(const struct bt_cpu *c);
/* Run one FP/MMX/SSE instruction (in->fpc != BT_FP_NONE) with its
 * architectural checks; raises #UD/#NM/#MF/#XM/#GP/#PF precisely. */
void bt_fpu_exec(struct bt_cpu *c, const struct bt_insn *in);
/* How translated code runs (in) natively: its ModRM offset (0: none) and,
 * for a memory operand, its size, direction and where the bytes after the
 * ModRM/SIB/displacement begin. False: the interpreter helper runs it
 * (locked, 16-bit addresses, FNSTENV/FLDENV/FNSAVE/FRSTOR/FXSAVE/FXRSTOR,
 * MASKMOVQ/MASKMOVDQU, a GPR operand that is ESP, ...). */
struct bt_fpu_native {
	const struct bt_op *mem;
	uint8_t modrm, size, tail;
	bool write;
};
bool bt_fpu_native(const struct bt_insn *in, struct bt_fpu_native *n);
/* Whether x87 instruction (in) sets FIP/FOP (SDM 1 8.1.8: not FNINIT,
 * FNCLEX, FLDCW, FNSTCW, FNSTSW and the environment instructions); its
 * FOP in (*fop). */
bool bt_fpu_x87_sets_fip(const struct bt_insn *in, uint16_t *fop);
/* A host signal (SIGFPE/SIGSEGV) at (ucontext) inside an FPU stub: sets the
 * stub up to return the signal; false if the fault is not ours. */
bool bt_fpu_stub_fault(struct bt_cpu *c, int sig, void *ucontext);

#endif

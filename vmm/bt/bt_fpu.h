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
/* A host signal (SIGFPE/SIGSEGV) at (ucontext) inside an FPU stub: sets the
 * stub up to return the signal; false if the fault is not ours. */
bool bt_fpu_stub_fault(struct bt_cpu *c, int sig, void *ucontext);

#endif

/* bt_trans_int.h: shared between the translator's files (bt_trans.c: the
 * block, control flow, helpers; bt_trans_insn.c: re-encoding innocuous
 * instructions and the inline TLB check). */
#ifndef VMM_BT_BT_TRANS_INT_H
#define VMM_BT_BT_TRANS_INT_H

#include "vmm/bt/bt_emit.h"
#include "vmm/bt/bt_trans.h"

/* Flag bits for liveness (not EFLAGS positions). */
#define LF_CF 1u
#define LF_PF 2u
#define LF_AF 4u
#define LF_ZF 8u
#define LF_SF 16u
#define LF_OF 32u
#define LF_ALL 63u

#define TR_MAX_PEND 160

enum pend_kind {
	PEND_SLOW,   /* TLB miss: interpret the insn, continue at resume */
	PEND_EXIT,   /* direct exit to (target), chainable */
	PEND_JCC_FAR,/* branch to (target) in another page: table lookup */
};

struct pend {
	uint8_t kind;
	bool flags_saved;          /* PEND_SLOW: flags are in AH/AL, RAX in R10 */
	uint16_t insn;
	uint8_t *patch;            /* rel32 to point at the stub (rw) */
	uint8_t *resume;           /* PEND_SLOW: where to continue (rw) */
	uint8_t *retry;            /* PEND_SLOW: the address computation (rw) */
	uint32_t arg;              /* PEND_SLOW: size | write << 8 */
	uint32_t target;           /* PEND_EXIT: guest EIP */
	uint32_t eip;              /* EIP of the instruction */
};

struct tctx {
	struct bt_cpu *c;
	struct bt_tcache *tc;
	struct bt_block *b;
	struct bt_emit e;
	uint8_t *start;            /* rw start of the block's code */
	bool user;                 /* CPL 3: the user TLB */
	uint32_t page;             /* linear page of the block's first byte */
	uint32_t key;
	unsigned cur;              /* current insn index */
	uint32_t eip;              /* its EIP */
	uint8_t live_out;          /* flags live after the current insn */
	uint8_t fl_rd, fl_wr;      /* its flag effects */
	bool win;                  /* memory windows on */
	bool soft;                 /* the current insn uses the software TLB */
	bool adapted;              /* the current insn kept faulting (adaptive list) */
	uint8_t *addr_start;       /* where the current address computation began */
	uint8_t *insn_start;       /* where the current instruction's code began */
	struct pend pend[TR_MAX_PEND];
	unsigned npend;
	bool failed;
};

static inline uint8_t *tr_rx(const struct tctx *t, const uint8_t *rw)
{
	return (uint8_t *)rw + t->tc->delta;
}

/* Flags the instruction reads and writes (liveness masks LF_*). */
void bt_flag_effect(const struct bt_insn *in, uint8_t *rd, uint8_t *wr);

/* Try to translate (in) natively (innocuous instructions and the stack);
 * false if it must go to a helper. */
bool tr_native(struct tctx *t, const struct bt_insn *in);
/* An FP/MMX/SSE instruction natively (bt_trans_fpu.c); (live): the guest
 * FPU state is known to be loaded before it, and after it on return. */
bool tr_fpu(struct tctx *t, const struct bt_insn *in, bool *live);
/* The inline TLB check for a (size)-byte access at the linear address in
 * H_ADDR (already computed); leaves the host address in H_ADDR. A miss
 * interprets the current instruction. */
void tr_check(struct tctx *t, unsigned size, bool write);
/* Save / restore the guest flags around emitted code that clobbers them. */
void tr_flags_save(struct tctx *t);
void tr_flags_restore(struct tctx *t);
/* H_ADDR = linear address of memory operand (op) (segment base added). */
void tr_ea(struct tctx *t, const struct bt_insn *in, const struct bt_op *op);
/* Whether (op)'s segment can be used by translated code in this mode. */
bool tr_seg_ok(const struct tctx *t, const struct bt_insn *in, const struct bt_op *op,
	       bool write);

/* How an instruction reaches its memory operand: GS:[base+index*scale+
 * disp] with a 32-bit address in a window, or [R14] after a TLB check. */
struct memref {
	unsigned base, index, scale;
	int32_t disp;
	bool win;
};
/* Prepare (ref) for operand (op) of (size) bytes; emits the address
 * computation and, for the software TLB, the check. */
void tr_memref(struct tctx *t, const struct bt_insn *in, const struct bt_op *op, unsigned size,
	       bool write, struct memref *ref);
/* Emit an instruction with a memory operand: prefixes (from (in) if not
 * NULL), REX, opcode bytes, ModRM with (reg) and (ref), then (imm). Returns
 * false (nothing emitted) when a byte register AH..BH would need a REX. */
bool tr_emit_mem(struct tctx *t, const struct bt_insn *in, bool w, const uint8_t *opc,
		 unsigned nopc, unsigned reg, bool reg_high_byte, const struct memref *ref,
		 const uint8_t *imm, unsigned nimm);

/* Stack operand [ESP + disp] (4 bytes); store imm32 / load r9d. */
void tr_stack_ref(struct tctx *t, int32_t disp, bool write, struct memref *ref);
void tr_store_imm(struct tctx *t, const struct memref *ref, uint32_t imm);
void tr_load_r9(struct tctx *t, const struct memref *ref);

/* Legacy prefixes to carry over: operand size, REP, and LOCK (mem). */
void tr_copy_prefixes(struct tctx *t, const struct bt_insn *in, bool mem);
/* The stack (bt_trans_mem.c); false: use the helper. */
bool tr_push(struct tctx *t, const struct bt_insn *in);
bool tr_pop(struct tctx *t, const struct bt_insn *in);
bool tr_pusha(struct tctx *t, const struct bt_insn *in, bool pop);
bool tr_leave(struct tctx *t, const struct bt_insn *in);

/* bt_trans.c */
struct pend *tr_pend_new(struct tctx *t, enum pend_kind k);
/* jmp rel32 to an executable-view address. */
void tr_jmp_rx(struct tctx *t, const uint8_t *target_rx);
/* bt_trans_ctl.c: control flow that ends the block; false: the helper. */
bool tr_control(struct tctx *t, const struct bt_insn *in);
void tr_pend_slow(struct tctx *t, uint8_t *patch, bool flags_saved, unsigned size, bool write);
/* Set the resume point of the slow paths of the current insn. */
void tr_resume_here(struct tctx *t);
/* Emit a jump to guest (target) and end the block (chained or looked up). */
void tr_jump(struct tctx *t, uint32_t target);
/* Emit an indirect jump to the guest EIP in r9d. */
void tr_indirect(struct tctx *t);
/* Whether the flags must be preserved around code emitted before the
 * current instruction executes. */
bool tr_flags_live(const struct tctx *t);

#endif

/* bt_emit.h: a small x86-64 machine-code emitter for the translator: a
 * byte buffer, REX/ModRM/SIB encoding for [base + index*scale + disp]
 * operands with host registers, and the few instructions the translator
 * writes itself (moves, LEA, loads/stores relative to the vCPU, jumps and
 * calls). Registers are host register numbers 0-15 (enum bt_hreg). */
#ifndef VMM_BT_BT_EMIT_H
#define VMM_BT_BT_EMIT_H

#include <string.h>

#include "vmm/core/vmm.h"

enum bt_hreg {
	H_RAX, H_RCX, H_RDX, H_RBX, H_RSP, H_RBP, H_RSI, H_RDI,
	H_R8, H_R9, H_R10, H_R11, H_R12, H_R13, H_R14, H_R15,
	H_NONE = 0xff
};

/* Translated code's register assignment: guest GPR n lives in host
 * register bt_host_reg[n] (ESP in R12, the rest in place); R15 holds the
 * vCPU; R8-R11, R13, R14 are scratch. */
#define H_ENV H_R15
#define H_GSP H_R12
#define H_ADDR H_R14 /* host address of the current memory operand */
#define H_T1 H_R13
#define H_T2 H_R11
#define H_T3 H_R10
#define H_T4 H_R9
#define H_T5 H_R8

static inline unsigned bt_host_reg(unsigned guest)
{
	return guest == 4 ? H_R12 : guest;
}

struct bt_emit {
	uint8_t *p;     /* next byte (writable view) */
	uint8_t *end;
	bool overflow;
};

static inline void e8(struct bt_emit *e, uint8_t b)
{
	if (VMM_UNLIKELY(e->p >= e->end)) {
		e->overflow = true;
		return;
	}
	*e->p++ = b;
}

static inline void e16(struct bt_emit *e, uint16_t v)
{
	e8(e, (uint8_t)v);
	e8(e, (uint8_t)(v >> 8));
}

static inline void e32(struct bt_emit *e, uint32_t v)
{
	e16(e, (uint16_t)v);
	e16(e, (uint16_t)(v >> 16));
}

static inline void e64(struct bt_emit *e, uint64_t v)
{
	e32(e, (uint32_t)v);
	e32(e, (uint32_t)(v >> 32));
}

static inline void ebytes(struct bt_emit *e, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		e8(e, b[i]);
}

/* REX with W, R (reg), X (index), B (base/rm) from full register numbers;
 * emitted only if needed (or if force). */
static inline void erex(struct bt_emit *e, bool w, unsigned reg, unsigned index, unsigned base,
			bool force)
{
	uint8_t r = 0x40 | (w ? 8 : 0);
	if (reg != H_NONE && (reg & 8))
		r |= 4;
	if (index != H_NONE && (index & 8))
		r |= 2;
	if (base != H_NONE && (base & 8))
		r |= 1;
	if (r != 0x40 || force)
		e8(e, r);
}

/* ModRM/SIB/disp for [base + index*scale + disp] (64-bit addressing),
 * base/index host registers or H_NONE (then disp is absolute, 32-bit
 * sign-extended). (reg) is the ModRM reg field (low 3 bits used). */
static inline void emem(struct bt_emit *e, unsigned reg, unsigned base, unsigned index,
			unsigned scale, int32_t disp)
{
	unsigned r = (reg & 7) << 3;
	unsigned ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
	if (base == H_NONE) {
		/* [index*scale + disp32] or [disp32]: SIB with base 101, mod 00 */
		e8(e, (uint8_t)(0x04 | r));
		e8(e, (uint8_t)((ss << 6) | ((index == H_NONE ? 4 : index & 7) << 3) | 5));
		e32(e, (uint32_t)disp);
		return;
	}
	unsigned mod = disp == 0 && (base & 7) != 5 ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;
	if (index == H_NONE && (base & 7) != 4) {
		e8(e, (uint8_t)((mod << 6) | r | (base & 7)));
	} else {
		e8(e, (uint8_t)((mod << 6) | r | 4));
		e8(e, (uint8_t)((ss << 6) | ((index == H_NONE ? 4 : index & 7) << 3) | (base & 7)));
	}
	if (mod == 1)
		e8(e, (uint8_t)(int8_t)disp);
	else if (mod == 2)
		e32(e, (uint32_t)disp);
}

/* op reg, [base+index*scale+disp] with a one- or two-byte opcode. */
static inline void eop_mem(struct bt_emit *e, bool w, const uint8_t *opc, unsigned nopc,
			   unsigned reg, unsigned base, unsigned index, unsigned scale, int32_t disp)
{
	erex(e, w, reg, index, base, false);
	ebytes(e, opc, nopc);
	emem(e, reg, base, index, scale, disp);
}

/* op reg, rm (register form) */
static inline void eop_rr(struct bt_emit *e, bool w, const uint8_t *opc, unsigned nopc,
			  unsigned reg, unsigned rm)
{
	erex(e, w, reg, H_NONE, rm, false);
	ebytes(e, opc, nopc);
	e8(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

/* mov r32, [base + disp] / mov [base + disp], r32 (64-bit if w) */
static inline void eload(struct bt_emit *e, bool w, unsigned reg, unsigned base, int32_t disp)
{
	static const uint8_t op = 0x8b;
	eop_mem(e, w, &op, 1, reg, base, H_NONE, 1, disp);
}

static inline void estore(struct bt_emit *e, bool w, unsigned reg, unsigned base, int32_t disp)
{
	static const uint8_t op = 0x89;
	eop_mem(e, w, &op, 1, reg, base, H_NONE, 1, disp);
}

/* mov dword [base + disp], imm32 */
static inline void estore_imm32(struct bt_emit *e, unsigned base, int32_t disp, uint32_t imm)
{
	static const uint8_t op = 0xc7;
	eop_mem(e, false, &op, 1, 0, base, H_NONE, 1, disp);
	e32(e, imm);
}

/* mov r32, r32 / mov r64, r64 */
static inline void emov_rr(struct bt_emit *e, bool w, unsigned dst, unsigned src)
{
	static const uint8_t op = 0x89;
	eop_rr(e, w, &op, 1, src, dst);
}

/* mov r32, imm32 (zero-extends) */
static inline void emov_ri(struct bt_emit *e, unsigned dst, uint32_t imm)
{
	erex(e, false, H_NONE, H_NONE, dst, false);
	e8(e, (uint8_t)(0xb8 + (dst & 7)));
	e32(e, imm);
}

/* mov r64, imm64 */
static inline void emov_ri64(struct bt_emit *e, unsigned dst, uint64_t imm)
{
	erex(e, true, H_NONE, H_NONE, dst, false);
	e8(e, (uint8_t)(0xb8 + (dst & 7)));
	e64(e, imm);
}

/* lea dst, [base + index*scale + disp] (32-bit result unless w) */
static inline void elea(struct bt_emit *e, bool w, unsigned dst, unsigned base, unsigned index,
			unsigned scale, int32_t disp)
{
	static const uint8_t op = 0x8d;
	eop_mem(e, w, &op, 1, dst, base, index, scale, disp);
}

/* jmp rel32 to (target); returns the address of the rel32 field. */
static inline uint8_t *ejmp32(struct bt_emit *e, uint8_t opc_hi, uint8_t opc)
{
	if (opc_hi)
		e8(e, opc_hi);
	e8(e, opc);
	uint8_t *at = e->p;
	e32(e, 0);
	return at;
}

/* Patch a rel32 at (at) (writable view) so that it reaches (target) from
 * the executable address (at_exec) of the same field. */
static inline void epatch_rel32(uint8_t *at, const uint8_t *at_exec, const void *target)
{
	int64_t rel = (const uint8_t *)target - (at_exec + 4);
	int32_t r = (int32_t)rel;
	memcpy(at, &r, 4);
}

#endif

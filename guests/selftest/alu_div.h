/* guests/selftest/alu_div.h: DIV and IDIV for the ALU table, with operands
 * prepared so the quotient always fits (the #DE cases are st_exc.c's).
 * Part of alu_ops.h, which defines ALU_DIV. */
#ifndef GUESTS_SELFTEST_ALU_DIV_H
#define GUESTS_SELFTEST_ALU_DIV_H

/* Dividends and divisors that cannot raise #DE: unsigned, the high half is
 * reduced below the divisor; signed, the dividend is the sign extension of
 * the low half and MIN / -1 is avoided. A zero divisor becomes 1. */
static inline void alu_prep_div8(const struct alu_in *in, alu_word *a, alu_word *d, alu_word *v)
{
	alu_word dv = in->b & 0xff ? in->b & 0xff : 1;

	*a = (in->a & ~(alu_word)0xffff) | ((((in->a >> 8) & 0xff) % dv) << 8) | (in->a & 0xff);
	*d = 0;
	*v = dv;
}

static inline void alu_prep_div16(const struct alu_in *in, alu_word *a, alu_word *d, alu_word *v)
{
	alu_word dv = in->b & 0xffff ? in->b & 0xffff : 1;

	*a = in->a;
	*d = ((in->a >> 16) & 0xffff) % dv;
	*v = dv;
}

static inline void alu_prep_div32(const struct alu_in *in, alu_word *a, alu_word *d, alu_word *v)
{
	uint32_t dv = (uint32_t)in->b ? (uint32_t)in->b : 1;

	*a = (uint32_t)in->a;
	*d = (uint32_t)(in->a * 0x9e3779b9u) % dv;
	*v = dv;
}

static inline void alu_prep_idiv8(const struct alu_in *in, alu_word *a, alu_word *d, alu_word *v)
{
	int8_t lo = (int8_t)in->a, dv = (int8_t)in->b;

	if (dv == 0 || (lo == INT8_MIN && dv == -1))
		dv = 1;
	*a = (uint16_t)(int16_t)lo;
	*d = 0;
	*v = (uint8_t)dv;
}

static inline void alu_prep_idiv32(const struct alu_in *in, alu_word *a, alu_word *d, alu_word *v)
{
	int32_t lo = (int32_t)in->a, dv = (int32_t)in->b;

	if (dv == 0 || (lo == INT32_MIN && dv == -1))
		dv = 1;
	*a = (uint32_t)lo;
	*d = lo < 0 ? 0xffffffffu : 0;
	*v = (uint32_t)dv;
}

ALU_DIV(alu_div8, "divb", "b", "q", alu_prep_div8)
ALU_DIV(alu_div16, "divw", "w", "r", alu_prep_div16)
ALU_DIV(alu_div32, "divl", "k", "r", alu_prep_div32)
ALU_DIV(alu_idiv8, "idivb", "b", "q", alu_prep_idiv8)
ALU_DIV(alu_idiv32, "idivl", "k", "r", alu_prep_idiv32)

#ifdef __x86_64__
static inline void alu_prep_div64(const struct alu_in *in, alu_word *a, alu_word *d, alu_word *v)
{
	alu_word dv = in->b ? in->b : 1;

	*a = in->a;
	*d = (in->a * 0x9e3779b97f4a7c15ul) % dv;
	*v = dv;
}

static inline void alu_prep_idiv64(const struct alu_in *in, alu_word *a, alu_word *d, alu_word *v)
{
	int64_t lo = (int64_t)in->a, dv = (int64_t)in->b;

	if (dv == 0 || (lo == INT64_MIN && dv == -1))
		dv = 1;
	*a = (alu_word)lo;
	*d = lo < 0 ? ~(alu_word)0 : 0;
	*v = (alu_word)dv;
}

ALU_DIV(alu_div64, "divq", "q", "r", alu_prep_div64)
ALU_DIV(alu_idiv64, "idivq", "q", "r", alu_prep_idiv64)
#endif

#endif

/* bt_flags.h: EFLAGS arithmetic for the interpreter, computed eagerly in
 * plain C from operands and result (SDM 1 appendix A, EFLAGS cross-reference).
 * Undefined flags get the values current Intel and AMD CPUs produce where
 * they agree (AF=0 after logic ops). */
#ifndef VMM_BT_BT_FLAGS_H
#define VMM_BT_BT_FLAGS_H

#include "vmm/core/x86.h"

#define BT_FL_ARITH                                                            \
	(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF | \
	 X86_FLAGS_OF)

static inline uint32_t bt_szmask(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static inline uint32_t bt_szsign(unsigned size)
{
	return 1u << (size * 8 - 1);
}

static inline uint32_t bt_sext(uint32_t v, unsigned size)
{
	if (size == 1)
		return (uint32_t)(int32_t)(int8_t)v;
	if (size == 2)
		return (uint32_t)(int32_t)(int16_t)v;
	return v;
}

/* ZF, SF, PF of (res) at (size). */
static inline uint32_t bt_fl_szp(uint32_t res, unsigned size)
{
	uint32_t f = 0;
	res &= bt_szmask(size);
	if (!res)
		f |= X86_FLAGS_ZF;
	if (res & bt_szsign(size))
		f |= X86_FLAGS_SF;
	if (!__builtin_parity(res & 0xff))
		f |= X86_FLAGS_PF;
	return f;
}

/* a + b + cin */
static inline uint32_t bt_fl_add(uint32_t a, uint32_t b, uint32_t cin, unsigned size)
{
	uint32_t m = bt_szmask(size);
	a &= m;
	b &= m;
	uint64_t r64 = (uint64_t)a + b + cin;
	uint32_t res = (uint32_t)r64 & m;
	uint32_t f = bt_fl_szp(res, size);
	if (r64 > m)
		f |= X86_FLAGS_CF;
	if ((a ^ res) & (b ^ res) & bt_szsign(size))
		f |= X86_FLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= X86_FLAGS_AF;
	return f;
}

/* a - b - cin */
static inline uint32_t bt_fl_sub(uint32_t a, uint32_t b, uint32_t cin, unsigned size)
{
	uint32_t m = bt_szmask(size);
	a &= m;
	b &= m;
	uint32_t res = (a - b - cin) & m;
	uint32_t f = bt_fl_szp(res, size);
	if ((uint64_t)a < (uint64_t)b + cin)
		f |= X86_FLAGS_CF;
	if ((a ^ b) & (a ^ res) & bt_szsign(size))
		f |= X86_FLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= X86_FLAGS_AF;
	return f;
}

static inline uint32_t bt_fl_logic(uint32_t res, unsigned size)
{
	return bt_fl_szp(res, size);
}

#endif

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

/* Operand values are uint64_t (1-, 2-, 4- and 8-byte operands). */
static inline uint64_t bt_szmask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static inline uint64_t bt_szsign(unsigned size)
{
	return 1ull << (size * 8 - 1);
}

/* (v) of (size) bytes sign-extended to 64 bits. */
static inline uint64_t bt_sext(uint64_t v, unsigned size)
{
	switch (size) {
	case 1: return (uint64_t)(int64_t)(int8_t)v;
	case 2: return (uint64_t)(int64_t)(int16_t)v;
	case 4: return (uint64_t)(int64_t)(int32_t)v;
	default: return v;
	}
}

/* ZF, SF, PF of (res) at (size). */
static inline uint32_t bt_fl_szp(uint64_t res, unsigned size)
{
	uint32_t f = 0;
	res &= bt_szmask(size);
	if (!res)
		f |= X86_FLAGS_ZF;
	if (res & bt_szsign(size))
		f |= X86_FLAGS_SF;
	if (!__builtin_parity((unsigned)(res & 0xff)))
		f |= X86_FLAGS_PF;
	return f;
}

/* a + b + cin */
static inline uint32_t bt_fl_add(uint64_t a, uint64_t b, uint64_t cin, unsigned size)
{
	uint64_t m = bt_szmask(size);
	a &= m;
	b &= m;
	unsigned __int128 wide = (unsigned __int128)a + b + cin;
	uint64_t res = (uint64_t)wide & m;
	uint32_t f = bt_fl_szp(res, size);
	if (wide > m)
		f |= X86_FLAGS_CF;
	if ((a ^ res) & (b ^ res) & bt_szsign(size))
		f |= X86_FLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= X86_FLAGS_AF;
	return f;
}

/* a - b - cin */
static inline uint32_t bt_fl_sub(uint64_t a, uint64_t b, uint64_t cin, unsigned size)
{
	uint64_t m = bt_szmask(size);
	a &= m;
	b &= m;
	uint64_t res = (a - b - cin) & m;
	uint32_t f = bt_fl_szp(res, size);
	if ((unsigned __int128)a < (unsigned __int128)b + cin)
		f |= X86_FLAGS_CF;
	if ((a ^ b) & (a ^ res) & bt_szsign(size))
		f |= X86_FLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= X86_FLAGS_AF;
	return f;
}

static inline uint32_t bt_fl_logic(uint64_t res, unsigned size)
{
	return bt_fl_szp(res, size);
}

#endif

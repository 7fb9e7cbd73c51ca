/* test_bt_diffgen.h: random and corner-case x86 instruction generators for
 * the differential test (test_bt_diff.c). Each generator appends one
 * instruction's bytes to a case, sets the registers its memory operands
 * need, and records which result flags the SDM leaves undefined (those are
 * not compared). Memory operands stay inside the data area. */
#ifndef TESTS_UNIT_TEST_BT_DIFFGEN_H
#define TESTS_UNIT_TEST_BT_DIFFGEN_H

#include <stdint.h>
#include <string.h>

#define DG_CODE 0x10000u
#define DG_DATA 0x20000u
#define DG_DATA_SIZE 0x1000u
#define DG_STACK_LO 0x2f000u
#define DG_STACK_SIZE 0x1000u
#define DG_ESP 0x2f800u

#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_DF 0x400u
#define FL_OF 0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

struct dg_case {
	uint8_t code[512];
	unsigned n;
	uint32_t gpr[8];
	uint32_t eflags;
	uint32_t undef;         /* flags not compared */
	uint32_t reg_undef;     /* registers (bitmask) not compared */
	bool single;            /* one instruction: any addressing form */
	uint16_t locked;        /* registers holding pointers: keep them */
	uint8_t strip_rep;      /* reference runs without F2/F3 before this offset */
	bool expect_ud;         /* the instruction at DG_CODE must raise #UD */
	char what[64];
	uint8_t data[DG_DATA_SIZE];
	uint8_t stack[DG_STACK_SIZE];
};

/* xorshift64* */
static uint64_t dg_seed;
static uint64_t dg_rand(void)
{
	dg_seed ^= dg_seed >> 12;
	dg_seed ^= dg_seed << 25;
	dg_seed ^= dg_seed >> 27;
	return dg_seed * 2685821657736338717ull;
}
static uint32_t dg_r32(void) { return (uint32_t)(dg_rand() >> 32); }
static unsigned dg_n(unsigned n) { return (unsigned)(dg_rand() % n); }

/* Interesting values: edges more often than uniform ones. */
static uint32_t dg_val(void)
{
	static const uint32_t edge[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000,
					 0xffff, 0x10000, 0x7fffffff, 0x80000000u, 0xffffffffu,
					 0xfffffffeu, 31, 32, 33, 0x0f, 0x10, 0x99, 0x9a };
	switch (dg_n(4)) {
	case 0: return edge[dg_n(VMM_ARRAY_SIZE(edge))];
	case 1: return dg_r32() & 0xff;
	default: return dg_r32();
	}
}

static void dg_b(struct dg_case *c, uint8_t b) { c->code[c->n++] = b; }
static void dg_w(struct dg_case *c, uint16_t w) { dg_b(c, (uint8_t)w); dg_b(c, (uint8_t)(w >> 8)); }
static void dg_d(struct dg_case *c, uint32_t d) { dg_w(c, (uint16_t)d); dg_w(c, (uint16_t)(d >> 16)); }

/* A register number that is not a locked pointer (ESP is never a target). */
static unsigned dg_reg(struct dg_case *c)
{
	for (;;) {
		unsigned r = dg_n(8);
		if (r != 4 && !(c->locked & (1u << r)))
			return r;
	}
}

/* A register for a byte operand: AL..BH; AH..BH are the high bytes of
 * EAX..EBX (encodings 4-7). */
static unsigned dg_reg8(struct dg_case *c)
{
	for (;;) {
		unsigned r = dg_n(8);
		if (!(c->locked & (1u << (r & 3))))
			return r;
	}
}

/* Append a ModRM (+SIB/disp) addressing memory for reg field (reg). Single
 * instructions use any base/index form; in sequences only [disp32] and
 * [esp+disp8] (registers may change between instructions). */
static unsigned dg_free_reg(struct dg_case *c, uint16_t avoid)
{
	uint16_t busy = (uint16_t)(c->locked | avoid | (1u << 4) | (1u << 5));
	if ((busy & 0xff) == 0xff)
		return 8;
	for (;;) {
		unsigned r = dg_n(8);
		if (!(busy & (1u << r)))
			return r;
	}
}

static void dg_mem(struct dg_case *c, unsigned reg, unsigned size)
{
	uint32_t off = dg_n(DG_DATA_SIZE - 0x200) + 0x100;
	unsigned form = c->single ? dg_n(5) : 3;
	unsigned base = form == 3 ? 8 : dg_free_reg(c, 0);
	unsigned index = form == 4 && base < 8 ? dg_free_reg(c, (uint16_t)(1u << base)) : 8;
	if (base == 8 || (form == 4 && index == 8))
		form = 3;
	if (form <= 2) {
		/* [base + disp]: base set to a pointer */
		int32_t disp = form == 0 ? 0 : (int32_t)dg_n(0x100) - 0x80;
		c->gpr[base] = DG_DATA + off - (uint32_t)disp;
		c->locked |= (uint16_t)(1u << base);
		if (form == 0) {
			dg_b(c, (uint8_t)((reg << 3) | base));
		} else if (form == 1) {
			dg_b(c, (uint8_t)(0x40 | (reg << 3) | base));
			dg_b(c, (uint8_t)(int8_t)disp);
		} else {
			dg_b(c, (uint8_t)(0x80 | (reg << 3) | base));
			dg_d(c, (uint32_t)disp);
		}
	} else if (form == 3) {
		dg_b(c, (uint8_t)((reg << 3) | 5)); /* [disp32] */
		dg_d(c, DG_DATA + off);
	} else {
		/* [base + index*scale + disp8] */
		unsigned scale = dg_n(4);
		uint32_t iv = dg_n(16);
		c->gpr[index] = iv;
		c->gpr[base] = DG_DATA + off - (iv << scale);
		c->locked |= (uint16_t)((1u << base) | (1u << index));
		dg_b(c, (uint8_t)(0x44 | (reg << 3)));
		dg_b(c, (uint8_t)((scale << 6) | (index << 3) | base));
		dg_b(c, 0);
	}
	(void)size;
}

/* r/m operand: register (mod 3) or memory. */
static void dg_rm(struct dg_case *c, unsigned reg, unsigned size, bool allow_mem)
{
	if (allow_mem && dg_n(2)) {
		dg_mem(c, reg, size);
		return;
	}
	unsigned rm = size == 1 ? dg_reg8(c) : dg_reg(c);
	dg_b(c, (uint8_t)(0xc0 | (reg << 3) | rm));
}

static void dg_imm(struct dg_case *c, unsigned size)
{
	uint32_t v = dg_val();
	if (size == 1)
		dg_b(c, (uint8_t)v);
	else if (size == 2)
		dg_w(c, (uint16_t)v);
	else
		dg_d(c, v);
}

/* Operand size: 1, 2 or 4; emits 0x66 for 2. (byte_op): the opcode's
 * low bit selects byte vs full size. */
static unsigned dg_size(struct dg_case *c, bool allow_byte)
{
	unsigned s = allow_byte ? dg_n(3) : 1 + dg_n(2);
	if (s == 1)
		dg_b(c, 0x66);
	return s == 0 ? 1 : s == 1 ? 2 : 4;
}

/* ---- generators ---- */

static void g_alu(struct dg_case *c)
{
	unsigned op = dg_n(8);
	unsigned form = dg_n(5);
	unsigned size = dg_size(c, form != 3);
	unsigned w = size != 1;
	if (op == 1 || op == 4 || op == 6) /* OR AND XOR: AF undefined */
		c->undef |= FL_AF;
	switch (form) {
	case 0: /* r/m, r */
		dg_b(c, (uint8_t)(op * 8 + w));
		dg_rm(c, size == 1 ? dg_reg8(c) : dg_reg(c), size, true);
		break;
	case 1: /* r, r/m */
		dg_b(c, (uint8_t)(op * 8 + 2 + w));
		dg_rm(c, size == 1 ? dg_reg8(c) : dg_reg(c), size, true);
		break;
	case 2: /* r/m, imm */
		dg_b(c, (uint8_t)(0x80 + w));
		dg_rm(c, op, size, true);
		dg_imm(c, size);
		break;
	case 3: /* r/m, imm8 sign-extended */
		dg_b(c, 0x83);
		dg_rm(c, op, size, true);
		dg_b(c, (uint8_t)dg_val());
		break;
	default: /* AL/eAX, imm */
		if (c->locked & 1)
			goto r_rm;
		dg_b(c, (uint8_t)(op * 8 + 4 + w));
		dg_imm(c, size);
		break;
	r_rm:
		dg_b(c, (uint8_t)(op * 8 + w));
		dg_rm(c, size == 1 ? dg_reg8(c) : dg_reg(c), size, false);
		break;
	}
	snprintf(c->what, sizeof(c->what), "alu op %u form %u size %u", op, form, size);
}

static void g_unary(struct dg_case *c)
{
	unsigned k = dg_n(5);
	if (k == 4) {
		/* inc/dec r32/r16 short forms (0x40-0x4f) */
		unsigned size = dg_size(c, false);
		dg_b(c, (uint8_t)(0x40 + dg_n(2) * 8 + dg_reg(c)));
		snprintf(c->what, sizeof(c->what), "inc/dec short size %u", size);
		return;
	}
	unsigned size = dg_size(c, true);
	unsigned w = size != 1;
	if (k < 2) {
		dg_b(c, (uint8_t)(0xfe + w));
		dg_rm(c, k, size, true); /* inc, dec */
	} else {
		dg_b(c, (uint8_t)(0xf6 + w));
		dg_rm(c, k, size, true); /* not (2), neg (3) */
	}
	snprintf(c->what, sizeof(c->what), "unary %u size %u", k, size);
}

static void g_test(struct dg_case *c)
{
	unsigned size = dg_size(c, true), w = size != 1;
	c->undef |= FL_AF;
	switch (dg_n(3)) {
	case 0:
		dg_b(c, (uint8_t)(0x84 + w));
		dg_rm(c, size == 1 ? dg_reg8(c) : dg_reg(c), size, true);
		break;
	case 1:
		dg_b(c, (uint8_t)(0xf6 + w));
		dg_rm(c, 0, size, true);
		dg_imm(c, size);
		break;
	default:
		dg_b(c, (uint8_t)(0xa8 + w));
		dg_imm(c, size);
		break;
	}
	snprintf(c->what, sizeof(c->what), "test size %u", size);
}

static void g_muldiv(struct dg_case *c)
{
	unsigned k = 4 + dg_n(4); /* mul imul div idiv */
	unsigned size = dg_size(c, true), w = size != 1;
	c->locked |= 1u << 0 | 1u << 2; /* EAX, EDX are implicit */
	if (k >= 6 && dg_n(2)) {
		/* make the quotient fit sometimes */
		c->gpr[2] = dg_n(3);
	}
	dg_b(c, (uint8_t)(0xf6 + w));
	dg_rm(c, k, size, true);
	c->undef |= k < 6 ? (FL_SF | FL_ZF | FL_AF | FL_PF) : FL_ARITH;
	snprintf(c->what, sizeof(c->what), "muldiv /%u size %u", k, size);
}

static void g_imul(struct dg_case *c)
{
	unsigned size = dg_size(c, false);
	unsigned f = dg_n(3);
	unsigned r = dg_reg(c);
	if (f == 0) {
		dg_b(c, 0x0f);
		dg_b(c, 0xaf);
		dg_rm(c, r, size, true);
	} else {
		dg_b(c, f == 1 ? 0x69 : 0x6b);
		dg_rm(c, r, size, true);
		if (f == 1)
			dg_imm(c, size);
		else
			dg_b(c, (uint8_t)dg_val());
	}
	c->undef |= FL_SF | FL_ZF | FL_AF | FL_PF;
	snprintf(c->what, sizeof(c->what), "imul form %u size %u", f, size);
}

/* Shifts and rotates with corner counts 0, 1, 31, 32 and random. */
static void g_shift(struct dg_case *c)
{
	unsigned op = dg_n(8);
	if (op == 6)
		op = 4; /* /6 is SAL, an alias of SHL */
	unsigned size = dg_size(c, true), w = size != 1;
	static const uint8_t counts[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 255 };
	uint8_t cnt = dg_n(3) ? counts[dg_n(VMM_ARRAY_SIZE(counts))] : (uint8_t)dg_r32();
	unsigned form = dg_n(3);
	if (form == 2 && (c->locked & 2))
		form = 0;
	if (form == 0) {
		dg_b(c, (uint8_t)(0xc0 + w));
		dg_rm(c, op, size, true);
		dg_b(c, cnt);
	} else if (form == 1) {
		cnt = 1;
		dg_b(c, (uint8_t)(0xd0 + w));
		dg_rm(c, op, size, true);
	} else {
		c->locked |= 2;
		dg_b(c, (uint8_t)(0xd2 + w));
		dg_rm(c, op, size, true);
		c->gpr[1] = (c->gpr[1] & ~0xffu) | cnt;
	}
	unsigned m = cnt & 31;
	if (m) {
		if (op >= 4)
			c->undef |= FL_AF;
		if (m != 1)
			c->undef |= FL_OF;
		if ((op == 4 || op == 5) && m >= size * 8) /* SDM: SHL/SHR by >= width */
			c->undef |= FL_CF;
	}
	snprintf(c->what, sizeof(c->what), "shift /%u size %u count %u form %u", op, size, cnt,
		 form);
}

static void g_dshift(struct dg_case *c)
{
	unsigned size = dg_size(c, false);
	bool right = dg_n(2), by_cl = dg_n(2);
	if (by_cl && (c->locked & 2))
		by_cl = false;
	uint8_t cnt = dg_n(2) ? (uint8_t)dg_r32() : (uint8_t)(dg_n(4) ? dg_n(18) : 31);
	if (size == 2 && (cnt & 31) > 16)
		cnt = (uint8_t)((cnt & ~31u) | 16); /* result undefined beyond 16 */
	dg_b(c, 0x0f);
	dg_b(c, (uint8_t)((right ? 0xac : 0xa4) + by_cl));
	unsigned src = dg_reg(c);
	if (by_cl)
		c->locked |= 2;
	dg_rm(c, src, size, true);
	if (by_cl)
		c->gpr[1] = (c->gpr[1] & ~0xffu) | cnt;
	else
		dg_b(c, cnt);
	unsigned m = cnt & 31;
	if (m) {
		c->undef |= FL_AF;
		if (m != 1)
			c->undef |= FL_OF;
	}
	snprintf(c->what, sizeof(c->what), "sh%cd size %u count %u cl %d", right ? 'r' : 'l', size,
		 cnt, by_cl);
}

static void g_bit(struct dg_case *c)
{
	unsigned op = dg_n(4); /* bt bts btr btc */
	unsigned size = dg_size(c, false);
	c->undef |= FL_OF | FL_SF | FL_AF | FL_PF | FL_ZF;
	if (dg_n(2)) {
		dg_b(c, 0x0f);
		dg_b(c, 0xba);
		dg_rm(c, 4 + op, size, true);
		dg_b(c, (uint8_t)dg_r32());
	} else {
		unsigned r = dg_reg(c);
		dg_b(c, 0x0f);
		dg_b(c, (uint8_t)(0xa3 + op * 8));
		/* register offsets reach outside the operand: keep them small */
		c->gpr[r] = dg_n(2) ? dg_n(64) : (uint32_t)-(int32_t)dg_n(64);
		c->locked |= (uint16_t)(1u << r);
		dg_rm(c, r, size, true);
		if (size == 2) { /* 16-bit offsets are the low word, signed */
			c->gpr[r] = (c->gpr[r] & 0xffff) | (dg_r32() & 0xffff0000u);
		}
	}
	snprintf(c->what, sizeof(c->what), "bit op %u size %u", op, size);
}

static void g_scan(struct dg_case *c)
{
	unsigned size = dg_size(c, false);
	unsigned r = dg_reg(c);
	dg_b(c, 0x0f);
	dg_b(c, (uint8_t)(0xbc + dg_n(2)));
	dg_rm(c, r, size, true);
	c->undef |= FL_CF | FL_OF | FL_SF | FL_AF | FL_PF;
	/* destination undefined for a zero source: keep it compared only if
	 * the CPUs agree (they leave it unchanged) */
	snprintf(c->what, sizeof(c->what), "bsf/bsr size %u", size);
}

static void g_mov(struct dg_case *c)
{
	unsigned k = dg_n(6);
	unsigned size = dg_size(c, k < 3);
	unsigned w = size != 1;
	switch (k) {
	case 0:
		dg_b(c, (uint8_t)(0x88 + w));
		dg_rm(c, size == 1 ? dg_reg8(c) : dg_reg(c), size, true);
		break;
	case 1:
		dg_b(c, (uint8_t)(0x8a + w));
		dg_rm(c, size == 1 ? dg_reg8(c) : dg_reg(c), size, true);
		break;
	case 2:
		dg_b(c, (uint8_t)(0xc6 + w));
		dg_rm(c, 0, size, true);
		dg_imm(c, size);
		break;
	case 3: /* movzx/movsx */
		dg_b(c, 0x0f);
		dg_b(c, (uint8_t)(0xb6 + 8 * dg_n(2) + dg_n(2)));
		dg_rm(c, dg_reg(c), 1, true);
		break;
	case 4: /* lea */
		dg_b(c, 0x8d);
		dg_mem(c, dg_reg(c), size);
		break;
	default: /* mov r, imm */
		dg_b(c, (uint8_t)(0xb8 + dg_reg(c)));
		dg_imm(c, size);
		break;
	}
	snprintf(c->what, sizeof(c->what), "mov %u size %u", k, size);
}

static void g_xchg(struct dg_case *c)
{
	unsigned k = dg_n(5);
	if (k == 4 && (c->locked & 1))
		k = 0;
	unsigned size = dg_size(c, k != 4);
	unsigned w = size != 1;
	switch (k) {
	case 0:
		dg_b(c, (uint8_t)(0x86 + w));
		dg_rm(c, size == 1 ? dg_reg8(c) : dg_reg(c), size, true);
		break;
	case 1: /* xadd */
		dg_b(c, 0x0f);
		dg_b(c, (uint8_t)(0xc0 + w));
		dg_rm(c, size == 1 ? dg_reg8(c) : dg_reg(c), size, true);
		break;
	case 2: /* cmpxchg */
		c->locked |= 1;
		if (dg_n(2))
			c->gpr[0] = 0; /* equal sometimes: memory is often 0 */
		dg_b(c, 0x0f);
		dg_b(c, (uint8_t)(0xb0 + w));
		dg_rm(c, size == 1 ? dg_reg8(c) : dg_reg(c), size, true);
		break;
	case 3: /* bswap (16-bit: undefined result, only alone) */
		if (size == 2 && !c->single) {
			c->n--; /* drop the 0x66 */
			size = 4;
		}
		dg_b(c, 0x0f);
		dg_b(c, (uint8_t)(0xc8 + dg_reg(c)));
		if (size == 2)
			c->reg_undef = 0xff;
		break;
	default: /* xchg eax, r */
		dg_b(c, (uint8_t)(0x90 + dg_reg(c)));
		break;
	}
	snprintf(c->what, sizeof(c->what), "xchg-family %u size %u", k, size);
}

static void g_cmpxchg8b(struct dg_case *c)
{
	c->locked |= 0xf;
	if (dg_n(2))
		c->gpr[0] = c->gpr[2] = 0;
	dg_b(c, 0x0f);
	dg_b(c, 0xc7);
	dg_mem(c, 1, 8);
	snprintf(c->what, sizeof(c->what), "cmpxchg8b");
}

static void g_cc(struct dg_case *c)
{
	unsigned cc = dg_n(16);
	if (dg_n(2)) {
		dg_b(c, 0x0f);
		dg_b(c, (uint8_t)(0x90 + cc));
		dg_rm(c, 0, 1, true);
	} else {
		dg_size(c, false);
		dg_b(c, 0x0f);
		dg_b(c, (uint8_t)(0x40 + cc));
		dg_rm(c, dg_reg(c), 4, true);
	}
	snprintf(c->what, sizeof(c->what), "setcc/cmovcc %u", cc);
}

static void g_misc(struct dg_case *c)
{
	static const uint8_t ops[] = { 0x98, 0x99, 0x9e, 0x9f, 0xf5, 0xf8, 0xf9, 0xd6, 0xfc, 0xfd };
	unsigned k = dg_n(VMM_ARRAY_SIZE(ops));
	if (c->locked & 5)
		k = 4;
	if (k < 2 && dg_n(2))
		dg_b(c, 0x66);
	dg_b(c, ops[k]);
	snprintf(c->what, sizeof(c->what), "misc %02x", ops[k]);
}

static void g_bcd(struct dg_case *c)
{
	static const uint8_t ops[] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5 };
	if (c->locked & 1) {
		dg_b(c, 0x90);
		return;
	}
	unsigned k = dg_n(VMM_ARRAY_SIZE(ops));
	dg_b(c, ops[k]);
	if (k >= 4)
		dg_b(c, dg_n(4) ? 10 : (uint8_t)dg_n(20));
	if (k < 2)
		c->undef |= FL_OF;
	else if (k < 4)
		c->undef |= FL_OF | FL_SF | FL_ZF | FL_PF;
	else
		c->undef |= FL_OF | FL_AF | FL_CF;
	snprintf(c->what, sizeof(c->what), "bcd %02x", ops[k]);
}

/* String instructions on the data area, with and without REP. */
static void g_string(struct dg_case *c)
{
	static const uint8_t ops[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
	unsigned k = dg_n(VMM_ARRAY_SIZE(ops));
	unsigned size = dg_size(c, true);
	c->locked |= 0xc3; /* EAX ECX ESI EDI */
	c->gpr[6] = DG_DATA + 0x400 + dg_n(0x100);
	c->gpr[7] = DG_DATA + 0x800 + dg_n(0x100);
	c->gpr[1] = dg_n(40);
	if (dg_n(3) == 0)
		c->eflags |= FL_DF;
	else
		c->eflags &= ~FL_DF;
	unsigned rep = dg_n(3);
	if (rep == 1)
		dg_b(c, 0xf3);
	else if (rep == 2 && (k == 1 || k == 4))
		dg_b(c, 0xf2);
	dg_b(c, (uint8_t)(ops[k] + (size != 1)));
	snprintf(c->what, sizeof(c->what), "string %02x size %u rep %u", ops[k], size, rep);
}

static void g_stack(struct dg_case *c)
{
	unsigned k = dg_n(8);
	switch (k) {
	case 0: dg_b(c, (uint8_t)(0x50 + dg_n(8))); break;        /* push r */
	case 1: dg_b(c, (uint8_t)(0x58 + dg_reg(c))); break;      /* pop r */
	case 2: dg_b(c, 0x68); dg_d(c, dg_val()); break;          /* push imm32 */
	case 3: dg_b(c, 0x6a); dg_b(c, (uint8_t)dg_val()); break; /* push imm8 */
	case 4: dg_b(c, 0xff); dg_mem(c, 6, 4); break;            /* push m32 */
	case 5: dg_b(c, 0x8f); dg_mem(c, 0, 4); break;            /* pop m32 */
	case 6:
		if (c->locked) {
			dg_b(c, 0x9c); /* pushf */
			break;
		}
		dg_b(c, dg_n(2) ? 0x60 : 0x61); /* pusha / popa */
		break;
	default:
		if (c->locked & 0x20) {
			dg_b(c, 0x9c);
			break;
		}
		/* enter N, level; leave */
		dg_b(c, 0xc8);
		dg_w(c, (uint16_t)dg_n(64));
		dg_b(c, (uint8_t)dg_n(4));
		c->gpr[5] = DG_ESP + 0x100 + 4 * dg_n(16);
		if (dg_n(2))
			dg_b(c, 0xc9);
		break;
	}
	snprintf(c->what, sizeof(c->what), "stack %u", k);
}

/* A short branch over an observable move: jcc/loop/jecxz. */
static void g_branch(struct dg_case *c)
{
	unsigned k = dg_n(3);
	if (k == 0) {
		dg_b(c, (uint8_t)(0x70 + dg_n(16)));
		dg_b(c, 5);
	} else if (k == 1 && !(c->locked & 2) && c->single) {
		/* Unicorn 2.0.1 loses the flags when LOOPcc falls through with
		 * ECX=1 (it reports the EFLAGS of an earlier point), so neither
		 * that count nor LOOPcc in sequences */
		static const uint32_t counts[] = { 0, 2, 3, 0x10000 };
		c->gpr[1] = counts[dg_n(4)];
		c->locked |= 2;
		dg_b(c, (uint8_t)(0xe0 + dg_n(4))); /* loopne loope loop jecxz */
		dg_b(c, 5);
	} else {
		dg_b(c, 0x0f);
		dg_b(c, (uint8_t)(0x80 + dg_n(16)));
		dg_d(c, 5);
	}
	unsigned r = dg_reg(c);
	dg_b(c, (uint8_t)(0xb8 + r));
	dg_d(c, 0x12345678);
	snprintf(c->what, sizeof(c->what), "branch %u", k);
}

static void g_callret(struct dg_case *c)
{
	/* call +N; (skipped) ; ... target: [ret imm | pop r; jmp back] */
	unsigned r = dg_reg(c);
	dg_b(c, 0xe8);
	dg_d(c, 7);               /* to the ret below */
	dg_b(c, (uint8_t)(0xb8 + r));
	dg_d(c, 0xabcdef01);      /* runs after the return */
	bool imm = dg_n(2);
	dg_b(c, 0xeb);
	dg_b(c, imm ? 3 : 1); /* jump over the ret */
	if (!imm) {
		dg_b(c, 0xc3);
	} else {
		dg_b(c, 0xc2);
		dg_w(c, (uint16_t)(4 * dg_n(4)));
	}
	snprintf(c->what, sizeof(c->what), "call/ret");
}

/* Segment loads with valid, null, out-of-table, system, code, RPL/DPL
 * mismatched and 16-bit selectors (#GP, or a usable segment: an access
 * through it follows, then the selector is read back into EDX). The GDT
 * is the harness's: 0x08 code, 0x10 data, 0x18/0x20 ring-3 code/data, 0x28
 * TSS, 0x30/0x38 16-bit code/data (limit 64 KiB), limit 0x3f. */
static void g_seg(struct dg_case *c)
{
	static const uint16_t sels[] = { 0x10, 0x20, 0x08, 0x18, 0x28, 0x40, 0x00,
					 0x13, 0x33, 0x23, 0x3b, 0x38, 0x12, 0x3c };
	static const uint8_t sregs[] = { 0, 3, 4, 5 }; /* ES DS FS GS */
	static const uint8_t ovr[] = { 0x26, 0x3e, 0x64, 0x65 };
	if (c->locked & 0xd) {
		dg_b(c, 0x90);
		return;
	}
	c->locked |= 0xd; /* EAX EDX EBX */
	uint16_t sel = sels[dg_n(VMM_ARRAY_SIZE(sels))];
	unsigned k = dg_n(4), r = dg_n(4), sr = sregs[r];
	switch (k) {
	case 0: /* mov ax, sel; mov sreg, ax */
		dg_b(c, 0x66); dg_b(c, 0xb8); dg_w(c, sel);
		dg_b(c, 0x8e); dg_b(c, (uint8_t)(0xc0 | (sr << 3)));
		break;
	case 1: /* push sel; pop sreg */
		dg_b(c, 0x68); dg_d(c, sel);
		if (sr == 0) dg_b(c, 0x07);
		else if (sr == 3) dg_b(c, 0x1f);
		else { dg_b(c, 0x0f); dg_b(c, sr == 4 ? 0xa1 : 0xa9); }
		break;
	case 2: { /* lds/les/lfs/lgs ebx, [disp32]: the pointer in data */
		uint32_t off = 0x200 + 8 * dg_n(32);
		uint32_t ptr = dg_r32() & 0xfff;
		memcpy(c->data + off, &ptr, 4);
		memcpy(c->data + off + 4, &sel, 2);
		if (sr == 0) dg_b(c, 0xc4);
		else if (sr == 3) dg_b(c, 0xc5);
		else { dg_b(c, 0x0f); dg_b(c, sr == 4 ? 0xb4 : 0xb5); }
		dg_b(c, 0x1d); dg_d(c, DG_DATA + off);
		break;
	}
	default: /* mov ss, ax (null and non-writable: #GP) */
		sr = 2;
		if (dg_n(2))
			sel = 0x10;
		dg_b(c, 0x66); dg_b(c, 0xb8); dg_w(c, sel);
		dg_b(c, 0x8e); dg_b(c, 0xd0);
		break;
	}
	/* mov ecx, sreg:[disp32] through the segment just loaded, for the
	 * flat ones only: QEMU (Unicorn) checks neither null segments nor
	 * limits in protected mode, the CPU (and bt) do */
	if (sr != 2 && (sel & ~3u) != 0 && (sel & ~3u) != 0x38) {
		dg_b(c, ovr[r]); dg_b(c, 0x8b); dg_b(c, 0x0d); dg_d(c, DG_DATA + dg_n(0x100));
	}
	dg_b(c, 0x8c); dg_b(c, (uint8_t)(0xc2 | (sr << 3))); /* mov edx, sreg */
	snprintf(c->what, sizeof(c->what), "segment load %u sreg %u sel %#x", k, sr, sel);
}

/* Software interrupts and #BR, #OF traps (their EIP is after the insn). */
static void g_trap(struct dg_case *c)
{
	switch (dg_n(3)) {
	case 0: dg_b(c, 0xcc); break;                       /* int3 */
	case 1: dg_b(c, 0xcd); dg_b(c, (uint8_t)(0x40 + dg_n(0x40))); break; /* int n */
	default: {
		/* bound eax, [disp32]: lower/upper around EAX or not */
		uint32_t off = 0x600 + 8 * dg_n(32);
		int32_t lo = (int32_t)dg_n(100) - 50, hi = lo + (int32_t)dg_n(100);
		memcpy(c->data + off, &lo, 4);
		memcpy(c->data + off + 4, &hi, 4);
		c->gpr[0] = (uint32_t)((int32_t)dg_n(200) - 100);
		c->locked |= 1;
		dg_b(c, 0x62); dg_b(c, 0x05); dg_d(c, DG_DATA + off);
		break;
	}
	}
	snprintf(c->what, sizeof(c->what), "trap");
}

/* Encodings whose meaning depends on CPU features: bt's model (like
 * Unicorn's qemu32) has no BMI1, LZCNT, POPCNT, MOVBE, ADX, SSE3, SSE4.2,
 * AVX, RDTSCP or RDRAND, so F3 0F BC/BD run as BSF/BSR whatever other
 * prefixes surround the F3 (never as the host's TZCNT/LZCNT) and the rest
 * raise #UD. */
static void g_feat(struct dg_case *c)
{
	static const uint8_t pre[][3] = {
		{ 1, 0xf3 },       { 2, 0x66, 0xf3 }, { 2, 0xf3, 0x66 }, { 2, 0xf3, 0x2e },
		{ 2, 0x3e, 0xf3 }, { 2, 0xf2, 0xf3 }, { 2, 0xf3, 0xf2 },
	};
	unsigned r = dg_reg(c);
	switch (dg_n(10)) {
	case 0: case 1: case 2: case 3: {
		const uint8_t *p = pre[dg_n(VMM_ARRAY_SIZE(pre))];
		for (unsigned i = 1; i <= p[0]; i++)
			dg_b(c, p[i]);
		bool o16 = false;
		for (unsigned i = 1; i <= p[0]; i++)
			o16 |= p[i] == 0x66;
		dg_b(c, 0x0f);
		dg_b(c, (uint8_t)(0xbc + dg_n(2)));
		dg_rm(c, r, o16 ? 2 : 4, true);
		c->undef |= FL_CF | FL_OF | FL_SF | FL_AF | FL_PF;
		c->strip_rep = (uint8_t)(p[0] + 1);
		snprintf(c->what, sizeof(c->what), "rep bsf/bsr (tzcnt/lzcnt encoding)");
		return;
	}
	case 4: /* popcnt r, r/m */
		dg_b(c, 0xf3); dg_b(c, 0x0f); dg_b(c, 0xb8);
		dg_rm(c, r, 4, true);
		break;
	case 5: /* movbe r, m / m, r */
		dg_b(c, 0x0f); dg_b(c, 0x38); dg_b(c, (uint8_t)(0xf0 + dg_n(2)));
		dg_mem(c, r, 4);
		break;
	case 6: /* adcx / adox r, r/m; crc32 r, r/m */
		dg_b(c, dg_n(3) == 0 ? 0x66 : dg_n(2) ? 0xf3 : 0xf2);
		dg_b(c, 0x0f); dg_b(c, 0x38); dg_b(c, c->code[c->n - 3] == 0xf2 ? 0xf1 : 0xf6);
		dg_rm(c, r, 4, true);
		break;
	case 7: /* VEX: andn eax, ecx, ebx (BMI1), shlx (BMI2), vzeroupper (AVX) */
		switch (dg_n(3)) {
		case 0: dg_b(c, 0xc4); dg_b(c, 0xe2); dg_b(c, 0x70); dg_b(c, 0xf2); dg_b(c, 0xc3); break;
		case 1: dg_b(c, 0xc4); dg_b(c, 0xe2); dg_b(c, 0x71); dg_b(c, 0xf7); dg_b(c, 0xc3); break;
		default: dg_b(c, 0xc5); dg_b(c, 0xf8); dg_b(c, 0x77); break;
		}
		break;
	case 8: /* rdrand eax (bt has RDTSCP: bt_long.c) */
		dg_b(c, 0x0f); dg_b(c, 0xc7); dg_b(c, (uint8_t)(0xf0 | r));
		break;
	default: /* haddps xmm, xmm/m (SSE3) */
		dg_b(c, 0xf2); dg_b(c, 0x0f); dg_b(c, 0x7c);
		dg_mem(c, (unsigned)dg_n(8), 16);
		break;
	}
	c->expect_ud = true;
	snprintf(c->what, sizeof(c->what), "encoding of a feature bt lacks (#UD)");
}

/* x87, MMX and SSE2 streams, one kind per case: FNINIT and a control word
 * / MXCSR with a random rounding mode first, operands from a table of
 * doubles written into the data area, every result stored back there (the
 * data area is compared) and the flags of FCOMI/UCOMISD saved with PUSHFD.
 * The x87 stack depth is tracked so it never under- or overflows (Unicorn's
 * QEMU 5 does not model stack faults), no instruction is given a NaN
 * operand pair (QEMU's NaN choice between two NaNs predates its x87 fixes),
 * and 16-byte operands of aligned instructions are aligned. */
#define DG_FP_IN 0x800u   /* 32 doubles */
#define DG_FP_CTL 0x900u  /* control word, MXCSR */
#define DG_FP_INT 0x910u  /* 8 int32 */
#define DG_FP_OUT 0xa00u  /* results: 0xa00-0xbff */

static void dg_fp_mem(struct dg_case *c, unsigned reg, uint32_t off)
{
	dg_b(c, (uint8_t)((reg & 7) << 3 | 5)); /* [disp32] */
	dg_d(c, DG_DATA + off);
}

static uint64_t dg_double(void)
{
	static const uint64_t edge[] = {
		0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull,
		0xbff0000000000000ull, 0x3fe0000000000000ull, 0x4008000000000000ull,
		0x41dfffffffc00000ull, 0xc1e0000000000000ull, 0x4340000000000001ull,
		0x7ff0000000000000ull, 0x3ff8000000000000ull, 0xc004000000000000ull,
	};
	if (dg_n(3) == 0)
		return edge[dg_n(VMM_ARRAY_SIZE(edge))];
	uint64_t x = dg_rand();
	return (x & 0x800fffffffffffffull) | (uint64_t)(1023 - 34 + dg_n(69)) << 52;
}

static void dg_fp_inputs(struct dg_case *c)
{
	for (unsigned i = 0; i < 32; i++) {
		uint64_t d = dg_double();
		memcpy(c->data + DG_FP_IN + 8 * i, &d, 8);
	}
	for (unsigned i = 0; i < 8; i++) {
		uint32_t v = dg_val();
		memcpy(c->data + DG_FP_INT + 4 * i, &v, 4);
	}
	uint16_t cw = (uint16_t)(0x37f | dg_n(4) << 10);
	uint32_t mx = 0x1f80 | dg_n(4) << 13;
	memcpy(c->data + DG_FP_CTL, &cw, 2);
	memcpy(c->data + DG_FP_CTL + 4, &mx, 4);
}

static unsigned dg_fp_out; /* next result slot */

static uint32_t dg_out(unsigned size)
{
	uint32_t off = DG_FP_OUT + dg_fp_out;
	dg_fp_out = (dg_fp_out + VMM_ALIGN_UP(size, 4)) & 0x1fc;
	return off;
}

/* ZF, PF, CF of a comparison into a result slot (SETE, SETP, SETB) */
static void dg_save_flags(struct dg_case *c)
{
	uint32_t o = dg_out(4);
	static const uint8_t cc[3] = { 0x94, 0x9a, 0x92 };
	for (unsigned i = 0; i < 3; i++) {
		dg_b(c, 0x0f); dg_b(c, cc[i]); dg_fp_mem(c, 0, o + i);
	}
}

static void g_x87(struct dg_case *c)
{
	unsigned d = 0;
	bool fcomi = false;
	dg_fp_inputs(c);
	dg_fp_out = 0;
	dg_b(c, 0xdb); dg_b(c, 0xe3);           /* fninit */
	dg_b(c, 0xd9); dg_fp_mem(c, 5, DG_FP_CTL); /* fldcw */
	unsigned n = 4 + dg_n(10);
	for (unsigned k = 0; k < n && c->n < 200; k++) {
		uint32_t in = DG_FP_IN + 8 * dg_n(32);
		switch (dg_n(12)) {
		case 0:
			if (d < 7) { dg_b(c, 0xdd); dg_fp_mem(c, 0, in); d++; }      /* fld m64 */
			break;
		case 1:
			if (d < 7) { dg_b(c, 0xdb); dg_fp_mem(c, 0, DG_FP_INT + 4 * dg_n(8)); d++; } /* fild */
			break;
		case 2:
			if (d < 7) { dg_b(c, 0xd9); dg_b(c, dg_n(2) ? 0xe8 : 0xee); d++; } /* fld1/fldz */
			break;
		case 3: {
			static const uint8_t r[] = { 0, 1, 4, 5, 6, 7 }; /* add mul sub subr div divr */
			if (d >= 1) { dg_b(c, 0xdc); dg_fp_mem(c, r[dg_n(6)], in); }
			break;
		}
		case 4: {
			static const uint8_t op[] = { 0xc1, 0xc9, 0xe9, 0xf9 }; /* faddp fmulp fsubp fdivp */
			if (d >= 2) { dg_b(c, 0xde); dg_b(c, op[dg_n(4)]); d--; }
			break;
		}
		case 5:
			if (d >= 2) { dg_b(c, 0xd9); dg_b(c, (uint8_t)(0xc8 + 1 + dg_n(d - 1))); } /* fxch */
			break;
		case 6: {
			static const uint8_t op[] = { 0xfa, 0xe1, 0xe0, 0xfc }; /* fsqrt fabs fchs frndint */
			if (d >= 1) { dg_b(c, 0xd9); dg_b(c, op[dg_n(4)]); }
			break;
		}
		case 7:
			if (d >= 2) { dg_b(c, 0xdb); dg_b(c, 0xf1); dg_save_flags(c); fcomi = true; } /* fcomi */
			break;
		case 8:
			if (d >= 2) { dg_b(c, 0xdf); dg_b(c, 0xe9); d--; dg_save_flags(c); fcomi = true; } /* fucomip */
			break;
		case 9:
			if (d >= 2) { dg_b(c, (uint8_t)(0xda + dg_n(2))); dg_b(c, (uint8_t)(0xc1 + 8 * dg_n(4))); } /* fcmovcc */
			break;
		case 10:
			if (d >= 1) { dg_b(c, 0xdb); dg_fp_mem(c, 3, dg_out(4)); d--; } /* fistp m32 */
			break;
		default:
			if (d >= 1) { dg_b(c, 0xdd); dg_fp_mem(c, 2, dg_out(8)); } /* fst m64 */
			break;
		}
	}
	while (d--) {
		dg_b(c, 0xdd); dg_fp_mem(c, 3, dg_out(8)); /* fstp m64 */
	}
	if (fcomi)
		c->undef |= FL_OF | FL_SF | FL_AF; /* Unicorn 2.0.1's FCOMI keeps them (SDM: 0) */
	snprintf(c->what, sizeof(c->what), "x87 stream");
}

/* MMX / SSE2 integer opcodes (0F xx /r), valid with and without 66 */
static const uint8_t dg_simd_int[] = {
	0xfc, 0xfd, 0xfe, 0xd4, 0xec, 0xed, 0xdc, 0xdd, 0xf8, 0xf9, 0xfa, 0xfb, 0xe8, 0xe9,
	0xd8, 0xd9, 0xd5, 0xe5, 0xe4, 0xf5, 0xf4, 0xdb, 0xdf, 0xeb, 0xef, 0x74, 0x75, 0x76,
	0x64, 0x65, 0x66, 0x60, 0x61, 0x62, 0x68, 0x69, 0x6a, 0x63, 0x67, 0x6b, 0xd1, 0xd2,
	0xd3, 0xe1, 0xe2, 0xf1, 0xf2, 0xf3, 0xe0, 0xe3, 0xda, 0xde, 0xea, 0xee, 0xf6,
};

static void g_mmx(struct dg_case *c)
{
	dg_fp_inputs(c);
	dg_fp_out = 0;
	dg_b(c, 0xdb); dg_b(c, 0xe3); /* fninit */
	for (unsigned r = 0; r < 8; r++) {
		dg_b(c, 0x0f); dg_b(c, 0x6f); dg_fp_mem(c, r, DG_FP_IN + 8 * dg_n(32)); /* movq */
	}
	unsigned n = 3 + dg_n(8);
	for (unsigned k = 0; k < n && c->n < 170; k++) {
		unsigned r = dg_n(8);
		switch (dg_n(4)) {
		case 0: { /* shift by an immediate: 0F 71/72/73 /2 /4 /6 ib (no psraq) */
			unsigned op = 0x71 + dg_n(3), e = 2 + 2 * dg_n(3);
			if (op == 0x73 && e == 4)
				e = 6;
			dg_b(c, 0x0f); dg_b(c, (uint8_t)op);
			dg_b(c, (uint8_t)(0xc0 | e << 3 | r));
			dg_b(c, (uint8_t)dg_n(70));
			break;
		}
		case 1: /* pshufw mm, mm, imm */
			dg_b(c, 0x0f); dg_b(c, 0x70); dg_b(c, (uint8_t)(0xc0 | r << 3 | dg_n(8)));
			dg_b(c, (uint8_t)dg_r32());
			break;
		case 2:
			dg_b(c, 0x0f); dg_b(c, dg_simd_int[dg_n(VMM_ARRAY_SIZE(dg_simd_int))]);
			dg_fp_mem(c, r, DG_FP_IN + 8 * dg_n(32));
			break;
		default:
			dg_b(c, 0x0f); dg_b(c, dg_simd_int[dg_n(VMM_ARRAY_SIZE(dg_simd_int))]);
			dg_b(c, (uint8_t)(0xc0 | r << 3 | dg_n(8)));
			break;
		}
	}
	for (unsigned r = 0; r < 8; r++) {
		dg_b(c, 0x0f); dg_b(c, 0x7f); dg_fp_mem(c, r, dg_out(8)); /* movq m64, mm */
	}
	dg_b(c, 0x0f); dg_b(c, 0x77); /* emms */
	snprintf(c->what, sizeof(c->what), "MMX stream");
}

static void g_sse2(struct dg_case *c)
{
	dg_fp_inputs(c);
	dg_fp_out = 0;
	dg_b(c, 0x0f); dg_b(c, 0xae); dg_fp_mem(c, 2, DG_FP_CTL + 4); /* ldmxcsr */
	for (unsigned r = 0; r < 8; r++) {
		dg_b(c, 0xf3); dg_b(c, 0x0f); dg_b(c, 0x6f); dg_fp_mem(c, r, DG_FP_IN + 8 * dg_n(31));
	}
	unsigned n = 3 + dg_n(8);
	for (unsigned k = 0; k < n && c->n < 150; k++) {
		unsigned r = dg_n(8), s = dg_n(8);
		uint32_t in = DG_FP_IN + 16 * dg_n(16); /* aligned */
		switch (dg_n(7)) {
		case 0: { /* packed double arithmetic, reg or aligned m128 */
			static const uint8_t op[] = { 0x58, 0x59, 0x5c, 0x5e, 0x5d, 0x5f, 0x51, 0x54,
						      0x55, 0x56, 0x57, 0x14, 0x15 };
			dg_b(c, 0x66); dg_b(c, 0x0f); dg_b(c, op[dg_n(VMM_ARRAY_SIZE(op))]);
			if (dg_n(2))
				dg_fp_mem(c, r, in);
			else
				dg_b(c, (uint8_t)(0xc0 | r << 3 | s));
			break;
		}
		case 1: { /* scalar double */
			static const uint8_t op[] = { 0x58, 0x59, 0x5c, 0x5e, 0x5d, 0x5f, 0x51 };
			dg_b(c, 0xf2); dg_b(c, 0x0f); dg_b(c, op[dg_n(VMM_ARRAY_SIZE(op))]);
			if (dg_n(2))
				dg_fp_mem(c, r, DG_FP_IN + 8 * dg_n(32));
			else
				dg_b(c, (uint8_t)(0xc0 | r << 3 | s));
			break;
		}
		case 2: /* packed integers */
			dg_b(c, 0x66); dg_b(c, 0x0f);
			dg_b(c, dg_simd_int[dg_n(VMM_ARRAY_SIZE(dg_simd_int))]);
			if (dg_n(2))
				dg_fp_mem(c, r, in);
			else
				dg_b(c, (uint8_t)(0xc0 | r << 3 | s));
			break;
		case 3: { /* conversions with a GPR: cvtsi2sd, cvttsd2si, cvtsd2si */
			unsigned g = dg_reg(c);
			switch (dg_n(3)) {
			case 0: dg_b(c, 0xf2); dg_b(c, 0x0f); dg_b(c, 0x2a);
				dg_b(c, (uint8_t)(0xc0 | r << 3 | g)); break;
			case 1: dg_b(c, 0xf2); dg_b(c, 0x0f); dg_b(c, 0x2c);
				dg_b(c, (uint8_t)(0xc0 | g << 3 | s)); break;
			default: dg_b(c, 0xf2); dg_b(c, 0x0f); dg_b(c, 0x2d);
				dg_b(c, (uint8_t)(0xc0 | g << 3 | s)); break;
			}
			break;
		}
		case 4: /* ucomisd / comisd, flags saved */
			dg_b(c, 0x66); dg_b(c, 0x0f); dg_b(c, (uint8_t)(0x2e + dg_n(2)));
			dg_b(c, (uint8_t)(0xc0 | r << 3 | s));
			dg_save_flags(c);
			break;
		case 5: { /* shuffles and shifts by an immediate */
			static const uint8_t pre[] = { 0x66, 0xf2, 0xf3 };
			if (dg_n(2)) {
				dg_b(c, pre[dg_n(3)]); dg_b(c, 0x0f); dg_b(c, 0x70);
				dg_b(c, (uint8_t)(0xc0 | r << 3 | s));
			} else {
				static const uint8_t ext[] = { 2, 4, 6, 3, 7 };
				unsigned e = ext[dg_n(5)];
				dg_b(c, 0x66); dg_b(c, 0x0f);
				dg_b(c, e == 3 || e == 7 ? 0x73 : (uint8_t)(0x71 + dg_n(3)));
				if (e == 4 && c->code[c->n - 1] == 0x73)
					e = 6; /* no psraq */
				dg_b(c, (uint8_t)(0xc0 | e << 3 | r));
			}
			dg_b(c, (uint8_t)dg_n(70));
			break;
		}
		default: { /* pmovmskb / movmskpd / movd r32, xmm */
			unsigned g = dg_reg(c);
			static const uint8_t op[] = { 0xd7, 0x50 };
			if (dg_n(3)) {
				dg_b(c, 0x66); dg_b(c, 0x0f); dg_b(c, op[dg_n(2)]);
				dg_b(c, (uint8_t)(0xc0 | g << 3 | s));
			} else {
				dg_b(c, 0x66); dg_b(c, 0x0f); dg_b(c, 0x7e);
				dg_b(c, (uint8_t)(0xc0 | s << 3 | g));
			}
			break;
		}
		}
	}
	for (unsigned r = 0; r < 8; r++) {
		dg_b(c, 0xf3); dg_b(c, 0x0f); dg_b(c, 0x7f); dg_fp_mem(c, r, dg_out(16)); /* movdqu */
	}
	snprintf(c->what, sizeof(c->what), "SSE2 stream");
}

typedef void (*dg_fn)(struct dg_case *c);

static const struct {
	dg_fn fn;
	const char *name;
	bool seq; /* usable in multi-instruction sequences */
} dg_gens[] = {
	{ g_alu, "alu", true },	       { g_unary, "unary", true },
	{ g_test, "test", false },     { g_muldiv, "muldiv", false },
	{ g_imul, "imul", false },     { g_shift, "shift", false },
	{ g_dshift, "dshift", false }, { g_bit, "bit", false },
	{ g_scan, "scan", false },     { g_mov, "mov", true },
	{ g_xchg, "xchg", true },      { g_cmpxchg8b, "cmpxchg8b", false },
	{ g_cc, "cc", true },	       { g_misc, "misc", false },
	{ g_bcd, "bcd", false },       { g_string, "string", false },
	{ g_stack, "stack", false },   { g_branch, "branch", true },
	{ g_callret, "callret", false },
	{ g_seg, "seg", false },       { g_trap, "trap", false },
	{ g_feat, "feat", false },
};

/* The FPU streams: 16/32-bit code only (test_bt_diff.c). */
static const dg_fn dg_fp_gens[] = { g_x87, g_mmx, g_sse2 };

#endif

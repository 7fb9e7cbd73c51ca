/* guests/selftest/st_string.c: string instructions with REP and the
 * direction flag (SDM 2B MOVS, STOS, LODS, CMPS, SCAS, REP/REPE/REPNE):
 * data moved, final ESI/EDI/ECX, flags where they are defined, and the
 * byte-at-a-time semantics of an overlapping forward REP MOVSB. */
#include "st.h"

static uint8_t src[64], dst[64];

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void rep_movsb(void)
{
	const uint8_t *s = src + 3;
	uint8_t *d = dst + 5;
	ulong n = 37;
	bool same = true;

	fill(src, sizeof(src), 1);
	memset(dst, 0, sizeof(dst));
	__asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	for (int i = 0; i < 37; i++)
		same &= dst[5 + i] == src[3 + i];
	st_begin("string.rep_movsb");
	st_eq("data", 1, same);
	st_eq("untouched", 0, dst[4] | dst[42]);
	st_eq("esi", (ulong)(src + 40), (ulong)s);
	st_eq("edi", (ulong)(dst + 42), (ulong)d);
	st_eq("ecx", 0, n);
	st_end();
}

static void rep_movsd_backward(void)
{
	uint32_t s32[8], d32[8] = { 0 };
	const uint32_t *s = &s32[7];
	uint32_t *d = &d32[7];
	ulong n = 8;
	bool same = true;

	for (int i = 0; i < 8; i++)
		s32[i] = 0x01010101u * (uint32_t)(i + 1);
	/* DF=1: addresses decrement by the element size (SDM 2B MOVS). */
	__asm__ volatile("std; rep movsl; cld" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	for (int i = 0; i < 8; i++)
		same &= d32[i] == s32[i];
	st_begin("string.rep_movsd_df");
	st_eq("data", 1, same);
	st_eq("esi", (ulong)&s32[0] - 4, (ulong)s);
	st_eq("edi", (ulong)&d32[0] - 4, (ulong)d);
	st_end();
}

static void movs_overlap(void)
{
	uint8_t *s = src, *d = src + 1;
	ulong n = 20;
	bool smeared = true;

	fill(src, sizeof(src), 9);
	/* Forward REP MOVSB with the destination one byte ahead copies the
	 * first byte 21 times: it is a loop of byte moves, not memmove. */
	__asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	for (int i = 0; i <= 20; i++)
		smeared &= src[i] == 9;
	st_begin("string.movs_overlap");
	st_eq("smeared", 1, smeared);
	st_eq("next", (uint8_t)(9 + 21 * 7), src[21]);
	st_end();
}

static void stos_lods(void)
{
	uint16_t w[12] = { 0 };
	uint16_t *d = &w[1];
	ulong n = 10, v = 0xbeef, got;
	const uint8_t *s = src + 2;

	__asm__ volatile("rep stosw" : "+D"(d), "+c"(n) : "a"(v) : "memory");
	fill(src, sizeof(src), 3);
	__asm__ volatile("xor %%eax, %%eax; lodsb; lodsb" : "=&a"(got), "+S"(s) : : "memory");
	st_begin("string.stos_lods");
	st_eq("w0", 0, w[0]);
	st_eq("w1", 0xbeef, w[1]);
	st_eq("w10", 0xbeef, w[10]);
	st_eq("w11", 0, w[11]);
	st_eq("edi", (ulong)&w[11], (ulong)d);
	st_eq("al", src[3], got);
	st_eq("esi", (ulong)(src + 4), (ulong)s);
	st_end();
}

static void repe_cmpsb(void)
{
	const uint8_t *a = src, *b = dst;
	ulong n = 20, fl;

	fill(src, sizeof(src), 5);
	memcpy(dst, src, sizeof(dst));
	dst[10] ^= 0xff;
	/* Stops after the mismatching element, which it consumed. */
	__asm__ volatile("cld; repe cmpsb; pushf; pop %[f]"
			 : "+S"(a), "+D"(b), "+c"(n), [f] "=r"(fl) : : "memory", "cc");
	st_begin("string.repe_cmpsb");
	st_eq("ecx", 9, n);
	st_eq("esi", (ulong)(src + 11), (ulong)a);
	st_eq("zf", 0, (fl >> 6) & 1);
	st_end();
}

static void repne_scasb(void)
{
	const uint8_t *d = src;
	ulong n = 32, fl;

	memset(src, 'a', 32);
	src[13] = 'x';
	__asm__ volatile("repne scasb; pushf; pop %[f]"
			 : "+D"(d), "+c"(n), [f] "=r"(fl) : "a"('x') : "memory", "cc");
	st_begin("string.repne_scasb");
	st_eq("edi", (ulong)(src + 14), (ulong)d);
	st_eq("ecx", 18, n);
	st_eq("zf", 1, (fl >> 6) & 1);
	st_end();
}

static void rep_zero_count(void)
{
	const uint8_t *s = src;
	uint8_t *d = dst;
	ulong n = 0;

	dst[0] = 0x5a;
	__asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	st_begin("string.rep_zero_count");
	st_eq("esi", (ulong)src, (ulong)s);
	st_eq("edi", (ulong)dst, (ulong)d);
	st_eq("data", 0x5a, dst[0]);
	st_end();
}

void st_string(void)
{
	rep_movsb();
	rep_movsd_backward();
	movs_overlap();
	stos_lods();
	repe_cmpsb();
	repne_scasb();
	rep_zero_count();
}

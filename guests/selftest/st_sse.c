/* guests/selftest/st_sse.c: SSE2 in the 64-bit build (st_sse_64.S). The
 * OS must set CR4.OSFXSR and clear CR0.EM before SSE instructions stop
 * raising #UD (SDM 3A 13.1.3). The 32-bit build has no SSE case. */
#include "st.h"

extern ulong st_out[32];
void st_sse_asm(void);

void st_sse(void)
{
#ifdef __x86_64__
	write_cr0((read_cr0() & ~(ulong)X86_CR0_EM) | X86_CR0_MP);
	write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
	memset(st_out, 0, sizeof(st_out));
	st_sse_asm();
	st_begin("sse2.integer");
	st_eq("paddd", 0x0000000500000003ull, st_out[0]);
	st_eq("paddd_hi", 0x0000000900000007ull, st_out[1]);
	st_eq("pmuludq_lo", 6, st_out[2]);
	st_eq("pmuludq_hi", 28, st_out[3]);
	st_eq("pshufd", 0x0000000400000005ull, st_out[4]);
	st_eq("pxor_pand", (~2u & 1u) | ((uint64_t)(~3u & 2u) << 32), st_out[6]);
	st_eq("psllq", 0x0000000300000002ull << 4, st_out[13]);
	st_end();
	st_begin("sse2.double");
	st_eq("mulsd_addsd", 0x4012000000000000ull, st_out[8]);  /* 4.5 */
	st_eq("sqrtsd", 0x3ff8000000000000ull, st_out[9]);	 /* 1.5 */
	st_eq("cvt", (ulong)-10, st_out[10]);
	st_eq("addpd_lo", 0x4008000000000000ull, st_out[11]);	 /* 3.0 */
	st_eq("addpd_hi", 0x4010000000000000ull, st_out[12]);	 /* 4.0 */
	st_end();
#endif
}

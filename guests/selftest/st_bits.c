/* guests/selftest/st_bits.c: bit instructions on memory (a register bit
 * offset addresses beyond the operand, negative too; an immediate one is
 * taken modulo the operand size: SDM 2A BT) and the exchange family
 * (XCHG, LOCK CMPXCHG success and failure, CMPXCHG8B, LOCK XADD). */
#include "st.h"

static uint32_t bits[8];

static ulong bt_mem(long off)
{
	uint8_t cf;

	__asm__ volatile("btl %k[o], %[m]; setc %[c]"
			 : [c] "=q"(cf)
			 : [o] "r"(off), [m] "m"(bits[4])
			 : "cc", "memory");
	return cf;
}

static void bt_offsets(void)
{
	uint8_t cf;

	memset(bits, 0, sizeof(bits));
	bits[4] = 1u << 7;	  /* offset 7 */
	bits[3] = 1u << 31;	  /* offset -1 */
	bits[6] = 1u << 4;	  /* offset 68 */
	bits[1] = 1u << 17;	  /* offset -79 */
	st_begin("bit.bt_mem_offsets");
	st_eq("off7", 1, bt_mem(7));
	st_eq("off8", 0, bt_mem(8));
	st_eq("off-1", 1, bt_mem(-1));
	st_eq("off68", 1, bt_mem(68));
	st_eq("off-79", 1, bt_mem(-79));
	st_eq("off-80", 0, bt_mem(-80));
	/* Immediate offsets wrap within the dword: 39 means bit 7. */
	__asm__ volatile("btl $39, %[m]; setc %[c]" : [c] "=q"(cf) : [m] "m"(bits[4]) : "cc");
	st_eq("imm39", 1, cf);
	st_end();
}

static void bts_btr_btc(void)
{
	long off;

	memset(bits, 0, sizeof(bits));
	off = 40;
	__asm__ volatile("btsl %k[o], %[m]" : [m] "+m"(bits[4]) : [o] "r"(off) : "cc", "memory");
	off = -3;
	__asm__ volatile("btcl %k[o], %[m]" : [m] "+m"(bits[4]) : [o] "r"(off) : "cc", "memory");
	bits[0] = 0xffffffffu;
	off = -127;
	__asm__ volatile("lock btrl %k[o], %[m]" : [m] "+m"(bits[4]) : [o] "r"(off) : "cc", "memory");
	st_begin("bit.bts_btr_btc_mem");
	st_eq("bts40", 1u << 8, bits[5]);
	st_eq("btc-3", 1u << 29, bits[3]);
	st_eq("btr-127", 0xfffffffdu, bits[0]);
	st_eq("others", 0, bits[1] | bits[2] | bits[4] | bits[6] | bits[7]);
	st_end();
}

static void xchg_cmpxchg(void)
{
	volatile ulong m = 5;
	ulong r = 9, acc;
	uint8_t zf;

	__asm__ volatile("xchg %[r], %[m]" : [r] "+r"(r), [m] "+m"(m) : : "memory");
	st_begin("atomic.xchg_cmpxchg");
	st_eq("xchg_reg", 5, r);
	st_eq("xchg_mem", 9, m);
	acc = 9;
	__asm__ volatile("lock cmpxchg %[n], %[m]; sete %[z]"
			 : [m] "+m"(m), "+a"(acc), [z] "=q"(zf) : [n] "r"((ulong)77) : "cc", "memory");
	st_eq("success_mem", 77, m);
	st_eq("success_zf", 1, zf);
	acc = 1;
	__asm__ volatile("lock cmpxchg %[n], %[m]; sete %[z]"
			 : [m] "+m"(m), "+a"(acc), [z] "=q"(zf) : [n] "r"((ulong)88) : "cc", "memory");
	st_eq("failure_mem", 77, m);
	st_eq("failure_acc", 77, acc);
	st_eq("failure_zf", 0, zf);
	st_end();
}

static void cmpxchg8b(void)
{
	volatile uint64_t m = 0x1122334455667788ull;
	uint32_t lo = 0x55667788u, hi = 0x11223344u;
	uint8_t zf;

	/* SDM 2A CMPXCHG8B: EDX:EAX == m64 ? m64 = ECX:EBX : EDX:EAX = m64. */
	__asm__ volatile("lock cmpxchg8b %[m]; sete %[z]"
			 : [m] "+m"(m), "+a"(lo), "+d"(hi), [z] "=q"(zf)
			 : "b"(0xdeadbeefu), "c"(0xcafef00du) : "cc", "memory");
	st_begin("atomic.cmpxchg8b");
	st_eq("success_mem", 0xcafef00ddeadbeefull, m);
	st_eq("success_zf", 1, zf);
	lo = hi = 0;
	__asm__ volatile("lock cmpxchg8b %[m]; sete %[z]"
			 : [m] "+m"(m), "+a"(lo), "+d"(hi), [z] "=q"(zf)
			 : "b"(1u), "c"(2u) : "cc", "memory");
	st_eq("failure_edx_eax", 0xcafef00ddeadbeefull, ((uint64_t)hi << 32) | lo);
	st_eq("failure_zf", 0, zf);
	st_end();
}

static void lock_xadd(void)
{
	volatile ulong m = 1000;
	volatile uint32_t c = 41;
	ulong r = 24;

	__asm__ volatile("lock xadd %[r], %[m]" : [r] "+r"(r), [m] "+m"(m) : : "cc", "memory");
	__asm__ volatile("lock incl %[c]" : [c] "+m"(c) : : "cc", "memory");
	st_begin("atomic.lock_xadd_inc");
	st_eq("old", 1000, r);
	st_eq("new", 1024, m);
	st_eq("inc", 42, c);
	st_end();
}

void st_bits(void)
{
	bt_offsets();
	bts_btr_btc();
	xchg_cmpxchg();
	cmpxchg8b();
	lock_xadd();
}

/* guests/selftest/st_exc.c: exceptions raised in ring 0 and caught through
 * rt_catch: vector, error code and the saved IP (the faulting instruction
 * for faults, the next one for the int3 trap: SDM 3A 6.5, table 6-1).
 * #PF is covered with paging (st_paging.c), ring 3 in st_ring.c. */
#include "st.h"

static void exc_de(void)
{
	struct st_fault f;
	ulong ip, z = 0;

	catch_arm(1u << VEC_DE);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "xor %%edx, %%edx\n\t"
			 "mov $1, %%eax\n0:\tdivl %k[z]\n1:"
			 : [ip] "=&r"(ip) : [z] "r"(z) : "eax", "edx", CATCH_CLOBBER);
	st_fault_take(&f);
	st_begin("exc.de");
	st_check_fault(&f, VEC_DE, 0, ip, 0);
	st_end();
	catch_arm(1u << VEC_DE);
	/* INT_MIN / -1 overflows the quotient: also #DE (SDM 2A IDIV). */
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "mov $0x80000000, %%eax\n\t"
			 "cltd\n\tmov $-1, %%ecx\n0:\tidivl %%ecx\n1:"
			 : [ip] "=&r"(ip) : : "eax", "ecx", "edx", CATCH_CLOBBER);
	st_fault_take(&f);
	st_begin("exc.de_overflow");
	st_check_fault(&f, VEC_DE, 0, ip, 0);
	st_end();
}

static void exc_ud(void)
{
	struct st_fault f;
	ulong ip;

	catch_arm(1u << VEC_UD);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "0:\tud2\n1:"
			 : [ip] "=&r"(ip) : : CATCH_CLOBBER);
	st_fault_take(&f);
	st_begin("exc.ud");
	st_check_fault(&f, VEC_UD, 0, ip, 0);
	/* LOCK on an instruction that cannot take it (SDM 2A LOCK). */
	catch_arm(1u << VEC_UD);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "0:\t.byte 0xf0, 0x90\n1:"
			 : [ip] "=&r"(ip) : : CATCH_CLOBBER);
	st_fault_take(&f);
	st_eq("lock_nop_vector", VEC_UD, (uint64_t)f.vector);
	st_eq("lock_nop_ip", ip, f.ip);
	st_end();
}

static void exc_gp(void)
{
	struct st_fault f;
	ulong ip;

	/* A selector beyond the GDT limit: #GP(selector) (SDM 3A 6.15). */
	catch_arm(1u << VEC_GP);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "mov $0x1230, %%eax\n0:\t"
			 "mov %%eax, %%es\n1:"
			 : [ip] "=&r"(ip) : : "eax", CATCH_CLOBBER);
	st_fault_take(&f);
	st_begin("exc.gp_selector");
	st_check_fault(&f, VEC_GP, 0x1230, ip, 0);
	st_end();
#ifdef __x86_64__
	/* A non-canonical address: #GP(0), not #PF (SDM 3A 3.3.7.1). */
	catch_arm(1u << VEC_GP);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "movabs $0x8000000000000000, %%rax\n0:\t"
			 "mov (%%rax), %%rax\n1:"
			 : [ip] "=&r"(ip) : : "rax", CATCH_CLOBBER);
	st_fault_take(&f);
	st_begin("exc.gp_noncanonical");
	st_check_fault(&f, VEC_GP, 0, ip, 0);
	st_end();
#endif
}

static void exc_bp(void)
{
	struct st_fault f;
	ulong ip;

	/* int3 is a trap: the saved IP is the next instruction. */
	catch_arm(1u << VEC_BP);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "int3\n0:\tnop\n1:"
			 : [ip] "=&r"(ip) : : CATCH_CLOBBER);
	st_fault_take(&f);
	st_begin("exc.bp");
	st_check_fault(&f, VEC_BP, 0, ip, 0);
	catch_arm(1u << VEC_BP);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "int $3\n0:\tnop\n1:"
			 : [ip] "=&r"(ip) : : CATCH_CLOBBER);
	st_fault_take(&f);
	st_eq("int_3_vector", VEC_BP, (uint64_t)f.vector);
	st_eq("int_3_ip", ip, f.ip);
	st_end();
}

void st_exc(void)
{
	exc_de();
	exc_ud();
	exc_gp();
	exc_bp();
}

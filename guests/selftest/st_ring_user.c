/* guests/selftest/st_ring_user.c: ring-3 instructions that must fault:
 * int to a DPL-0 gate (#GP with the IDT error code, SDM 3A 6.13), port I/O
 * with IOPL 0 and no I/O bitmap, CLI and HLT (all #GP(0)). */
#include "st_ring.h"

struct st_fault st_user_faults[ST_USER_FAULTS];
ulong st_user_fault_ip[ST_USER_FAULTS];
uint64_t st_gs_area[2] = { ST_GS_MAGIC, 0 };

long st_user_faults_run(void *arg)
{
	ulong ip;

	catch_arm(1u << VEC_GP);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "0:\tint $0x81\n1:"
			 : [ip] "=&r"(ip) : : CATCH_CLOBBER);
	st_fault_take(&st_user_faults[0]);
	st_user_fault_ip[0] = ip;
	catch_arm(1u << VEC_GP);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "0:\tinb $0x80, %%al\n1:"
			 : [ip] "=&r"(ip) : : "eax", CATCH_CLOBBER);
	st_fault_take(&st_user_faults[1]);
	st_user_fault_ip[1] = ip;
	catch_arm(1u << VEC_GP);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "0:\tcli\n1:"
			 : [ip] "=&r"(ip) : : CATCH_CLOBBER);
	st_fault_take(&st_user_faults[2]);
	st_user_fault_ip[2] = ip;
	catch_arm(1u << VEC_GP);
	__asm__ volatile(ST_IP0("[ip]") CATCH_RESUME_AT_1 "0:\thlt\n1:"
			 : [ip] "=&r"(ip) : : CATCH_CLOBBER);
	st_fault_take(&st_user_faults[3]);
	st_user_fault_ip[3] = ip;
	return 0;
}

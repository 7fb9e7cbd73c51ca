/* guests/selftest/st_paging_user.c: ring-3 accesses for the paging cases:
 * allowed ones, and the faults U/S, R/W, P and NX must raise. */
#include "st_paging.h"

struct st_pg_user st_pg_user;

typedef ulong (*st_code_fn)(void);

/* Read (va) expecting a #PF. */
static void read_fault(ulong va, struct st_fault *out)
{
	ulong v;

	catch_arm(1u << VEC_PF);
	__asm__ volatile(CATCH_RESUME_AT_1 "mov (%[a]), %[v]\n1:"
			 : [v] "=&r"(v) : [a] "r"(va) : "memory", CATCH_CLOBBER);
	st_fault_take(out);
}

long st_paging_user(void *arg)
{
	struct st_pg_user *u = &st_pg_user;

	u->ro_read = *(volatile uint32_t *)ST_PG(STP_URO);
	*(volatile uint32_t *)ST_PG(STP_URW) = 0x1234;
	u->rw_readback = *(volatile uint32_t *)ST_PG(STP_URW);
	u->exec_ret = ((st_code_fn)ST_PG(STP_UX))();
	read_fault(ST_PG(STP_SUP), &u->sup_read);
	read_fault(ST_PG(STP_NP), &u->np_read);
	catch_arm(1u << VEC_PF);
	__asm__ volatile(CATCH_RESUME_AT_1 "movl $1, (%[a])\n1:"
			 : : [a] "r"(ST_PG(STP_URO)) : "memory", CATCH_CLOBBER);
	st_fault_take(&u->ro_write);
	if (u->nx) {
		/* The fetch faults after CALL pushed its return address:
		 * keep SP in a scratch register and restore it. */
		catch_arm(1u << VEC_PF);
#ifdef __x86_64__
		__asm__ volatile(CATCH_RESUME_AT_1 "mov %%rsp, %%rsi\n\tcall *%[t]\n1:\tmov %%rsi, %%rsp"
				 : : [t] "r"(ST_PG(STP_UNX)) : "rax", "rsi", "memory", CATCH_CLOBBER);
#else
		__asm__ volatile(CATCH_RESUME_AT_1 "mov %%esp, %%esi\n\tcall *%[t]\n1:\tmov %%esi, %%esp"
				 : : [t] "r"(ST_PG(STP_UNX)) : "eax", "esi", "memory", CATCH_CLOBBER);
#endif
		st_fault_take(&u->nx_fetch);
	}
	return 0;
}

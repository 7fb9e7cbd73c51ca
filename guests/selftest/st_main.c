/* guests/selftest/st_main.c: the selftest guest: a conformance test of what
 * the suite relies on, printing "ok NAME" or "FAIL NAME expected X got Y"
 * per case (docs/guests.md lists them). Ring-0 cases run first, then the
 * ring-3 and paging ones (in the 32-bit build paging comes last: 2-level,
 * then PAE). The PV image (-DRT_PV) runs the VMI cases and the privileged
 * ones. */
#include "st.h"

unsigned st_failures;
static const char *st_name;
static unsigned st_case_failures;

void st_begin(const char *name)
{
	st_name = name;
	st_case_failures = 0;
}

bool st_eq(const char *what, uint64_t expected, uint64_t got)
{
	if (expected == got)
		return true;
	kprintf("FAIL %s.%s expected %#llx got %#llx\n", st_name, what,
		(unsigned long long)expected, (unsigned long long)got);
	st_case_failures++;
	st_failures++;
	return false;
}

void st_end(void)
{
	if (!st_case_failures)
		kprintf("ok %s\n", st_name);
}

void st_check_fault(const struct st_fault *f, int vector, ulong err, ulong ip, ulong cr2)
{
	st_eq("vector", (uint64_t)(long)vector, (uint64_t)f->vector);
	st_eq("err", err, f->err);
	if (ip)
		st_eq("ip", ip, f->ip);
	if (cr2)
		st_eq("cr2", cr2, f->cr2);
}

int guest_main(void)
{
	kprintf("selftest %s\n", sizeof(ulong) == 8 ? "64-bit" : "32-bit");
#ifdef RT_PV
	/* The PV image: the VMI calls themselves and the privileged cases
	 * (docs/vmi.md "The guest suite"). */
	st_vmi();
	st_cpu();
	st_exc();
	st_ring();
	st_paging();
	kprintf("selftest: %u failed checks\n", st_failures);
	return st_failures ? RT_EXIT_FAIL : 0;
#endif
	st_cpu();
	st_alu();
	st_string();
	st_bits();
	st_stack();
	st_ctl();
	st_exc();
	st_ring();
	st_sse();
	st_fpu();
	st_paging();
	kprintf("selftest: %u failed checks\n", st_failures);
	return st_failures ? RT_EXIT_FAIL : 0;
}

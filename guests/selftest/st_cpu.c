/* guests/selftest/st_cpu.c: CPUID and RDTSC sanity: the leaves and feature
 * bits the suite relies on, stable answers, a TSC that only moves forward.
 * What differs between hosts (vendor, hypervisor) goes to info lines. */
#include "st.h"

static void cpuid_basic(void)
{
	uint32_t r[4], again[4];
	char vendor[13];
	bool printable = true;

	cpuid(0, 0, r);
	cpu_vendor(vendor);
	for (int i = 0; i < 12; i++)
		printable &= vendor[i] >= 0x20 && vendor[i] < 0x7f;
	st_begin("cpuid.basic");
	st_eq("max_leaf_ge_1", 1, r[0] >= 1);
	st_eq("vendor_printable", 1, printable);
	cpuid(0, 0, again);
	st_eq("stable", r[0] ^ r[1] ^ r[2] ^ r[3], again[0] ^ again[1] ^ again[2] ^ again[3]);
	st_end();
	kprintf("info cpu vendor=%s max_leaf=%#x\n", vendor, r[0]);
}

static void cpuid_features(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	st_begin("cpuid.features");
	/* SDM 2A CPUID leaf 1 EDX: TSC (4), MSR (5), CX8 (8), CMOV (15). */
	st_eq("tsc", 1, (r[3] >> 4) & 1);
	st_eq("msr", 1, (r[3] >> 5) & 1);
	st_eq("cx8", 1, (r[3] >> 8) & 1);
	st_eq("cmov", 1, (r[3] >> 15) & 1);
#ifdef __x86_64__
	st_eq("sse2", 1, (r[3] >> 26) & 1);
	cpuid(0x80000000u, 0, r);
	st_eq("ext_leaves", 1, r[0] >= 0x80000001u);
	cpuid(0x80000001u, 0, r);
	st_eq("lm", 1, (r[3] >> 29) & 1);
#endif
	st_end();
	cpuid(1, 0, r);
	kprintf("info cpu family_model_stepping=%#x hypervisor_bit=%u\n", r[0], (r[2] >> 31) & 1);
}

static void rdtsc_sanity(void)
{
	uint64_t first = rdtsc(), prev = first;
	unsigned backwards = 0;

	for (int i = 0; i < 200; i++) {
		uint64_t t = rdtsc();

		if (t < prev)
			backwards++;
		prev = t;
	}
	st_begin("rdtsc");
	st_eq("backwards_steps", 0, backwards);
	st_eq("advances", 1, prev > first);
	st_end();
}

void st_cpu(void)
{
	cpuid_basic();
	cpuid_features();
	rdtsc_sanity();
}

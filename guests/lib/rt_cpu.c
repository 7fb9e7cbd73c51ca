/* guests/lib/rt_cpu.c: CPU identity from CPUID: vendor, NX support and the
 * hypervisor signature (leaf 0x40000000, read only when CPUID.1:ECX bit 31
 * says a hypervisor is present). */
#include "rt.h"

static void regs_to_str(char out[13], uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t w[3] = { a, b, c };

	memcpy(out, w, 12);
	out[12] = '\0';
}

void cpu_vendor(char vendor[13])
{
	uint32_t r[4];

	cpuid(0, 0, r);
	regs_to_str(vendor, r[1], r[3], r[2]); /* EBX, EDX, ECX */
}

bool cpu_has_nx(void)
{
	uint32_t r[4];

	cpuid(0x80000000u, 0, r);
	if (r[0] < 0x80000001u)
		return false;
	cpuid(0x80000001u, 0, r);
	return (r[3] >> 20) & 1; /* EDX.NX (SDM 2A CPUID) */
}

void cpu_hv_signature(char sig[13], uint32_t *max_leaf)
{
	uint32_t r[4];

	sig[0] = '\0';
	*max_leaf = 0;
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))
		return;
	cpuid(0x40000000u, 0, r);
	*max_leaf = r[0];
	regs_to_str(sig, r[1], r[2], r[3]); /* EBX, ECX, EDX */
}

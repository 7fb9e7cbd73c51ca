/* guests/demo/demo.c: the default guest of "triplex run": says which
 * hypervisor and engine it runs on (CPUID hypervisor leaves: only read when
 * CPUID.1:ECX bit 31 is set; Triplex puts its engine in leaf 0x40000001)
 * and prints a short table of the workloads, one bench line each. */
#include "work.h"

static const struct work *const table[] = {
	&work_compute, &work_callret, &work_syscall, &work_io, &work_pgfault,
	&work_ptemod,  &work_divzero, &work_timer,   &work_ctxsw, &work_mixed,
};

/* Registers (b, c, d) as a NUL-padded string, non-printables as '?'. */
static void regs_name(char out[13], uint32_t b, uint32_t c, uint32_t d)
{
	uint32_t w[3] = { b, c, d };

	memcpy(out, w, 12);
	out[12] = '\0';
	for (int i = 0; i < 12 && out[i]; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			out[i] = '?';
}

static void print_identity(void)
{
	char sig[13], engine[13];
	uint32_t max, r[4];

	cpu_hv_signature(sig, &max);
	if (!max && !sig[0]) {
		kprintf("info running on: no hypervisor signature (bare metal or TCG)\n");
		return;
	}
	regs_name(sig, ((uint32_t *)sig)[0], ((uint32_t *)sig)[1], ((uint32_t *)sig)[2]);
	if (strncmp(sig, "TriplexVMM", 11) == 0 && max >= 0x40000001u) {
		cpuid(0x40000001u, 0, r);
		regs_name(engine, r[1], r[2], r[3]);
		kprintf("info running on: Triplex (engine %s, id %u)\n", engine, r[0]);
	} else if (strncmp(sig, "KVMKVMKVM", 10) == 0) {
		kprintf("info running on: KVM\n");
	} else {
		kprintf("info running on: hypervisor signature \"%s\"\n", sig);
	}
}

/* A demo is not a test: a clean run powers off (status 0), a failed one
 * still exits through isa-debug-exit with its code. */
const bool rt_poweroff_on_success = true;

int guest_main(void)
{
	int rc = 0;

	kprintf("Triplex demo guest (%s)\n",
		sizeof(ulong) == 8 ? "64-bit long mode" : "32-bit protected mode");
	print_identity();
	kprintf("workloads (per iteration; lower is better):\n");
	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct work *w = table[i];
		uint64_t n = rt_cmd.have_iters ? rt_cmd.iters
			     : rt_cmd.quick    ? w->quick_iters
					       : w->demo_iters;

		rc |= work_run(w, n);
	}
	return rc;
}

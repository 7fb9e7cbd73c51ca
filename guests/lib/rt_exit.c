/* guests/lib/rt_exit.c: leaving the guest through isa-debug-exit. */
#include "rt.h"

void rt_exit(uint32_t code)
{
	/* isa-debug-exit at 0xf4, iosize=4: the VMM exits with (code << 1) | 1.
	 * If nothing is there, stop here rather than run off. */
#ifdef RT_PV
	if (rt_vmi)
		vmi_call1(PV_CALL_SHUTDOWN, code);
#endif
	outl(0xf4, code);
	for (;;) {
		cli();
		halt();
	}
}

void rt_poweroff(void)
{
	/* ACPI PM1a control, SLP_EN with sleep type 0: QEMU's PC machine and
	 * Triplex at 0x604, Bochs and older QEMU at 0xb004. */
	outw(0x604, 0x2000);
	outw(0xb004, 0x2000);
	/* QEMU acts on the request in its main loop, after this vCPU has gone
	 * on: wait about a second of TSC time before concluding that nothing
	 * powered off (Triplex stops the vCPU at the write itself). */
	uint64_t t0 = rdtsc();
	while (rdtsc() - t0 < 4000000000ull)
		__asm__ volatile("pause");
	rt_exit(RT_EXIT_OK); /* no ACPI PM: isa-debug-exit, or halt */
}

void rt_panic(const char *what)
{
	kprintf("FATAL %s\n", what);
	rt_exit(RT_EXIT_FATAL);
}

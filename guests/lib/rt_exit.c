/* guests/lib/rt_exit.c: leaving the guest through isa-debug-exit. */
#include "rt.h"

void rt_exit(uint32_t code)
{
	/* isa-debug-exit at 0xf4, iosize=4: the VMM exits with (code << 1) | 1.
	 * If nothing is there, stop here rather than run off. */
	outl(0xf4, code);
	for (;;) {
		cli();
		__asm__ volatile("hlt");
	}
}

void rt_panic(const char *what)
{
	kprintf("FATAL %s\n", what);
	rt_exit(RT_EXIT_FATAL);
}

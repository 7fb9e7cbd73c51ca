/* guests/hello/hello.c: the smallest guest: a banner, then a clean exit.
 * Links only the console, command line, descriptor and trap pieces of the
 * runtime (no paging, tasks or timers). */
#include "rt.h"

int guest_main(void)
{
#ifdef __x86_64__
	kprintf("hello from the Triplex guest suite (64-bit, long mode)\n");
#else
	kprintf("hello from the Triplex guest suite (32-bit, protected mode)\n");
#endif
	return 0;
}

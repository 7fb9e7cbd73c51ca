/* guests/hostile/hostile_spin64.c: a 32-bit guest far-jumps to the host's
 * 64-bit code segment and only spins there, so no trap reveals it; the
 * sandbox's watchdog must. 32-bit build only. */
#include "hostile.h"

int guest_main(void)
{
	hostile_try("far jump to the host's 64-bit code segment 0x33, then spin");
	__asm__ volatile("ljmp $0x33, $1f\n"
			 ".code64\n"
			 "1:\tjmp 1b\n"
			 ".code32" : : : "memory");
	return hostile_survived();
}

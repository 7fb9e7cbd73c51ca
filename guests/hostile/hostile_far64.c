/* guests/hostile/hostile_far64.c: a 32-bit guest jumps to the host's 64-bit
 * code segment (0x33 on Linux) and, in 64-bit mode, makes a host system
 * call (exit_group). 32-bit build only. */
#include "hostile.h"

int guest_main(void)
{
	hostile_try("far jump to the host's 64-bit code segment 0x33, then SYSCALL");
	__asm__ volatile("ljmp $0x33, $1f\n"
			 ".code64\n"
			 "1:\tmov $231, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "2:\tjmp 2b\n"
			 ".code32" : : : "memory");
	return hostile_survived();
}

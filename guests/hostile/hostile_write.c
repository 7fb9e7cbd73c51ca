/* guests/hostile/hostile_write.c: the guest kernel writes outside the
 * address space its VMI note declares (below 4 MiB kernel, below 2 GiB
 * user, the ROM window): at 3.5 GiB in the 32-bit build, at 64 TiB - 4 KiB
 * (still below the 64-bit layout limit, above anything the VMM maps there)
 * in the 64-bit one. */
#include "hostile.h"

int guest_main(void)
{
#ifdef __x86_64__
	volatile uint32_t *p = (volatile uint32_t *)0x3ffffffff000ul;
#else
	volatile uint32_t *p = (volatile uint32_t *)0xe0000000ul;
#endif
	kprintf("hostile: write to %p, outside the declared address space\n", (void *)p);
	*p = 0xbad;
	return hostile_survived();
}

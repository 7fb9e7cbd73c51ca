/* guests/lib/rt_main.c: the C entry point. Reads what it needs from the
 * Multiboot info (memory size, command line) before anything can overwrite
 * it (QEMU puts it right after the image, where the page pool starts), sets
 * up console and descriptor tables, runs the guest, prints "done", exits. */
#include "../arch/multiboot.h"
#include "rt_internal.h"

uint64_t rt_mem_end = 32ull << 20; /* if the loader says nothing */
/* a weak reference: 0 unless the guest defines it (GCC may fold a weak
 * definition's initializer into this file's code) */
extern const bool rt_poweroff_on_success __attribute__((weak));

void rt_main(uint32_t mbi_phys)
{
	const struct mb_info *mbi = (const struct mb_info *)(ulong)mbi_phys;
	int rc;

#ifdef RT_PV
	vmi_init(); /* before the first privileged operation */
#endif
	if (mbi->flags & MB_INFO_MEM)
		rt_mem_end = (1ull << 20) + (uint64_t)mbi->mem_upper * 1024;
	if (mbi->flags & MB_INFO_CMDLINE)
		cmdline_parse((const char *)(ulong)mbi->cmdline);
	con_init();
#ifdef RT_PV
	kprintf("info vmi: %s\n", !rt_vmi ? "no ROM, native instructions"
		: rt_vmi_flavour == PV_FLAVOUR_PV ? "ROM, pv flavour" : "ROM, native flavour");
#endif
	desc_init();
	trap_init();
	rc = guest_main();
	kprintf("done\n");
	if (rc == 0 && &rt_poweroff_on_success && rt_poweroff_on_success)
		rt_poweroff();
	rt_exit(rc == 0 ? RT_EXIT_OK : (uint32_t)rc);
}

/* guests/lib/rt_vmi.c: finding the VMI ROM (docs/vmi.md), in PV builds
 * (-DRT_PV). The ROM is at the address the image's note asks for
 * (guests/arch/vmi_note.S); an image booted without it (QEMU) keeps rt_vmi
 * NULL and runs natively. Its window is mapped by rt_paging.c. */
#ifdef RT_PV
#include "rt_internal.h"

const struct pv_rom_header *rt_vmi;
unsigned rt_vmi_flavour;

/* rt_vmi_32.S / rt_vmi_64.S: the native iret, until a ROM replaces it. The
 * sysret is only used through the ROM's SYSCALL entry. */
extern char rt_native_iret[];
ulong rt_vmi_iret = (ulong)rt_native_iret;
ulong rt_vmi_sysret;

void vmi_init(void)
{
	const volatile struct pv_rom_header *h = (const void *)(ulong)RT_VMI_ROM_ADDR;

	/* Without a ROM the address is unbacked: it reads as all ones or
	 * zeros, never as the magic. */
	if (h->magic != PV_ROM_MAGIC || h->version != PV_ABI_VERSION ||
	    h->bits != sizeof(ulong) * 8 || h->nr_calls < PV_CALL_NR)
		return;
	rt_vmi = (const struct pv_rom_header *)h;
	rt_vmi_flavour = h->flavour;
	rt_vmi_iret = (ulong)h->entry[PV_CALL_IRET];
	rt_vmi_sysret = (ulong)h->entry[PV_CALL_SYSRET];
	rt_vmi_user.int80 = (ulong)h->entry[PV_CALL_USER_INT80];
	rt_vmi_user.syscall = (ulong)h->entry[PV_CALL_USER_SYSCALL];
}
#endif

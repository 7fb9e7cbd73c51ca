/* guests/arch/vmi_note.S: the Triplex VMI note of every PV image
 * (vmm/pv/pv_abi.h, docs/vmi.md): ABI version, code width, where the ROM
 * window goes, the pv entry point (64-bit: 64-bit code) and the layout:
 * the kernel lives in [4 KiB, 4 MiB) (image and page pool), user mode in
 * [1 MiB, 2 GiB) (user text in the image, the big region, the per-address-
 * space window; docs/guests.md "Memory layout"). */
#include "vmm/pv/pv_abi.h"

	.section .note.triplex, "a"
	.p2align 2
	.long 2f - 1f		/* namesz */
	.long 4f - 3f		/* descsz */
	.long PV_NOTE_TYPE
1:	.asciz PV_NOTE_NAME
2:	.p2align 2
3:	.long PV_ABI_VERSION
#ifdef __x86_64__
	.long 64
#else
	.long 32
#endif
	.quad PV_ROM_DEFAULT_ADDR
#ifdef __x86_64__
	.quad rt_pv_start64
#else
	.quad 0
#endif
	.quad 0x1000, 0x400000		/* kernel */
	.quad 0x100000, 0x80000000	/* user */
	.quad 0, 0
4:	.p2align 2

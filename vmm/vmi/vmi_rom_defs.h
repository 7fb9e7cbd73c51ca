/* vmi_rom_defs.h: the ROM's internal layout, shared by the assembly blobs
 * (vmi_rom_asm.h) and the C side (vmi.h). Not part of the ABI: a
 * guest finds entries through the header's table. */
#ifndef VMM_VMI_VMI_ROM_DEFS_H
#define VMM_VMI_VMI_ROM_DEFS_H

#define PV_ROM_CODE_OFF 0x400 /* the native blob starts here (after the header) */
#define PV_ROM_PV_CODE_OFF 0x2000 /* the pv blob starts here */
#define PV_ROM_NOTE_OFF 0x3f00 /* the guest's note as the VMM read it (pv reads it) */

/* Native take-over sites (vmi_rom_asm.h): kind | length << 16 | flags. */
#define PV_NSITE_REDIRECT (1 << 23) /* resume at the pv entry of kind */

/* Hypercall kinds beyond the call numbers. */
#define PV_HC_IRQ_WINDOW 64   /* vif just became 1 with an interrupt pending */
#define PV_HC_NR 65

#endif

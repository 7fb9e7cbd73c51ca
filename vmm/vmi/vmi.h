/* vmi.h: the VMI ROM (docs/vmi.md "The ROM"): the window a guest with a
 * Triplex VMI note finds at the address its note asks for, mapped by the
 * machine builder whatever the engine. Under bt and hw it holds the native
 * instruction sequences; the pv engine rewrites it with the pv flavour,
 * whose entries are hypercalls (only pv implements them; the lookups at the
 * end are for it). The ABI itself is vmm/pv/pv_abi.h.
 *
 * Example (what the machine builder does):
 *     if (g->pv.valid && vmi_rom_install(vm, &g->pv)) ...fail...
 */
#ifndef VMM_VMI_VMI_H
#define VMM_VMI_VMI_H

#include "vmm/core/guest.h"
#include "vmm/vmi/vmi_rom_defs.h"

struct vm;

/* Map the ROM window the note asks for (a read-only ROM region and a
 * shared-page region, from the VM's memfd) and fill the ROM with the native
 * flavour. Call after the loader and before vm_engine_init(). 0, or -errno
 * after one error naming the address and the cause. */
VMM_MUST_CHECK int vmi_rom_install(struct vm *vm, const struct pv_guest_note *note);

/* Build a ROM image of (flavour) (PV_FLAVOUR_*) for (bits)-bit code into
 * (rom) (PV_ROM_SIZE bytes) for a window at guest address (addr). 0 or
 * -EINVAL (bad arguments). Pure: for the engine and tests. */
int vmi_rom_build(uint8_t *rom, uint64_t addr, unsigned bits, unsigned flavour);

/* ---- for the pv engine ---- */
/* The hypercall kind (a PV_CALL_* or PV_HC_*) of the int3 at ROM offset
 * (off) of the (bits)-bit pv ROM, or -1 if none is there. */
int vmi_rom_site(unsigned bits, uint64_t off);
/* The call (PV_CALL_*, PV_MAX_CALLS for the default entry) whose pv-flavour
 * code holds ROM offset (off); -1 outside the pv blob. */
int vmi_rom_call_at(unsigned bits, uint64_t off);
/* Is the int3 at ROM offset (off) a native take-over site that resumes at
 * the pv entry of its call? Then (*entry_off) is that entry's ROM offset
 * and (*delta) the stack bytes to drop first. */
bool vmi_rom_redirect(unsigned bits, uint64_t off, uint64_t *entry_off, unsigned *delta);

#endif

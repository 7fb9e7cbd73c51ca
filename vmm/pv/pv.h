/* pv.h: the pv engine (VMI-style paravirtualization, docs/vmi.md): the
 * engine, and flat PV guests for tests and benchmarks. The guest's ELF note
 * is vmm/core/guest.h's, the ROM window every engine maps vmm/vmi/vmi.h's.
 *
 * Example (what `triplex run` does for a guest with the note):
 *     struct pv_guest_note note;
 *     pv_note_parse(img, len, &note);            // the guest probe does this
 *     ...load_kernel()...
 *     if (note.valid) vmi_rom_install(vm, &note); // native ROM: bt, hw
 *     vm_engine_init(vm, &pv_engine_ops, &entry); // pv rewrites it */
#ifndef VMM_PV_PV_H
#define VMM_PV_PV_H

#include "vmm/core/engine.h"
#include "vmm/core/guest.h" /* struct pv_guest_note, pv_note_parse */
#include "vmm/pv/pv_abi.h"

struct vm;

extern const struct engine_ops pv_engine_ops;

/* A flat PV guest for tests and benchmarks: (len) bytes of (code) at (at),
 * a ROM window at PV_ROM_DEFAULT_ADDR and a note for (bits)-bit code whose
 * layout is all of low RAM; 64-bit guests start at (entry), 32-bit ones at
 * the BSP's RIP. Call before vm_engine_init(). 0 or -errno. */
VMM_MUST_CHECK int pv_flat_setup(struct vm *vm, unsigned bits, const void *code, uint64_t len,
				 gpa_t at, uint64_t entry);

/* Set up a calibration VM (vmm/select/sel_calib.c) for pv: the PV version of
 * calibration test (test) in (bits)-bit code, its ROM window and note;
 * (*rip) is the entry for the BSP. Call before vm_engine_init(). 0 or
 * -errno. */
VMM_MUST_CHECK int pv_calib_setup(struct vm *vm, unsigned bits, unsigned test, uint64_t *rip);

#endif

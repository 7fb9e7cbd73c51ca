/* pv_internal.h: the pv engine's private declarations. */
#ifndef VMM_PV_PV_INTERNAL_H
#define VMM_PV_PV_INTERNAL_H

#include "vmm/pv/pv.h"
#include "vmm/pv/pv_rom_defs.h"

/* The hypercall kind (a PV_CALL_* or PV_HC_*) of the int3 at ROM offset
 * (off) of the (bits)-bit pv ROM, or -1 if none is there. */
int pv_rom_site(unsigned bits, uint64_t off);

#endif

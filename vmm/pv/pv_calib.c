/* pv_calib.c: flat PV test guests: code at a guest-physical address with
 * the VMI ROM window and the note a PV image would carry. The calibration
 * (vmm/select/sel_calib.c) runs pv's calibration guests (pv_calib_guests.S)
 * this way, the microbenchmarks (perf/bench/bench_pv.c) their loops. */
#include <errno.h>
#include <string.h>

#include "vmm/core/calib_guest.h"
#include "vmm/core/vm.h"
#include "vmm/pv/pv_internal.h"

extern const uint8_t pv_calib_blob[], pv_calib_blob_end[];

int pv_flat_setup(struct vm *vm, unsigned bits, const void *code, uint64_t len, gpa_t at,
		  uint64_t entry)
{
	uint64_t top = mem_lowmem_size(&vm->mem);
	struct pv_guest_note note = {
		.present = true, .valid = true,
		.n = { .version = PV_ABI_VERSION, .bits = bits, .rom_addr = PV_ROM_DEFAULT_ADDR,
		       .entry = bits == 64 ? entry : 0, .kernel_start = 0x1000, .kernel_end = top,
		       .user_start = 0x1000, .user_end = top },
	};
	if ((bits != 32 && bits != 64) || top <= 0x1000)
		return -EINVAL;
	int r = mem_write(&vm->mem, at, code, len);
	return r ? r : vmi_rom_install(vm, &note);
}

int pv_calib_setup(struct vm *vm, unsigned bits, unsigned test, uint64_t *rip)
{
	if (test >= CALIB_NR_TESTS)
		return -EINVAL;
	uint32_t entry;
	memcpy(&entry, pv_calib_blob + 4 * ((bits == 64 ? CALIB_NR_TESTS : 0) + test), 4);
	*rip = entry;
	return pv_flat_setup(vm, bits, pv_calib_blob, (uint64_t)(pv_calib_blob_end - pv_calib_blob),
			     CALIB_BASE, entry);
}

/* pv_calib.c: what a calibration VM needs to run pv's calibration guests
 * (pv_calib_guests.S): the image, a VMI ROM window and the note a PV image
 * would carry, so sel_calib.c costs pv with the same tests as the others. */
#include <errno.h>
#include <string.h>

#include "vmm/core/vm.h"
#include "vmm/pv/pv_internal.h"
#include "vmm/select/sel_calib.h"

extern const uint8_t pv_calib_blob[], pv_calib_blob_end[];

int pv_calib_setup(struct vm *vm, unsigned bits, unsigned test, uint64_t *rip)
{
	if ((bits != 32 && bits != 64) || test >= CALIB_NR_TESTS)
		return -EINVAL;
	uint32_t entry;
	memcpy(&entry, pv_calib_blob + 4 * ((bits == 64 ? CALIB_NR_TESTS : 0) + test), 4);
	struct pv_guest_note note = {
		.present = true, .valid = true,
		.n = { .version = PV_ABI_VERSION, .bits = bits, .rom_addr = PV_ROM_DEFAULT_ADDR,
		       .entry = bits == 64 ? entry : 0, .kernel_start = 0x1000,
		       .kernel_end = CALIB_MEM, .user_start = 0x1000, .user_end = CALIB_MEM },
	};
	int r = mem_write(&vm->mem, CALIB_BASE, pv_calib_blob,
			  (uint64_t)(pv_calib_blob_end - pv_calib_blob));
	r = r ? r : pv_rom_install(vm, &note);
	*rip = entry;
	return r;
}

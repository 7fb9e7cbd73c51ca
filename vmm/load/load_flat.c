/* load_flat.c: raw binaries: the file's bytes at p->flat_addr, entered at
 * p->flat_entry (default: the first byte) in real mode (flat_bits 16) or in
 * flat 32-bit protected mode (flat_bits 32, like Multiboot without the
 * information structure: EAX = EBX = 0). */
#include "vmm/load/load_internal.h"

#include <errno.h>

#define REAL_MODE_LIMIT (1 * MiB) /* highest CS:IP reach with IP < 16 */

int load_flat_parse(const struct load_image *im, struct load_plan *plan)
{
	const struct load_params *p = im->p;
	unsigned bits = p->flat_bits;
	gpa_t addr = p->flat_addr, entry = p->flat_entry ? p->flat_entry : p->flat_addr;
	if (bits != 16 && bits != 32) {
		vmm_err("%s: flat image: flat_bits %u is not 16 (real mode) or 32 (protected mode)",
			im->name, bits);
		return -EINVAL;
	}
	if (!im->len) {
		vmm_err("%s: flat image is empty", im->name);
		return -ENOEXEC;
	}
	uint64_t end;
	if (__builtin_add_overflow(addr, im->len, &end) || (bits == 32 && end > 4 * GiB)) {
		vmm_err("%s: flat image of %llu bytes at %#llx reaches past %s", im->name,
			(unsigned long long)im->len, (unsigned long long)addr,
			bits == 32 ? "4 GiB" : "the address space");
		return -EINVAL;
	}
	if (entry < addr || entry >= end) {
		vmm_err("%s: flat image entry %#llx is outside the image [%#llx-%#llx)", im->name,
			(unsigned long long)entry, (unsigned long long)addr,
			(unsigned long long)end);
		return -EINVAL;
	}
	if (bits == 16 && entry >= REAL_MODE_LIMIT) {
		vmm_err("%s: flat image real-mode entry %#llx is above 1 MiB, beyond CS:IP",
			im->name, (unsigned long long)entry);
		return -EINVAL;
	}
	plan->format = LOAD_FLAT;
	plan->bits = bits;
	plan->entry = entry;
	/* Real-mode images may go anywhere: the loader writes nothing else. */
	plan->min_addr = bits == 32 ? LOAD_32BIT_FLOOR : 0;
	return load_plan_add(im, plan, addr, 0, im->len, im->len, bits, "flat image");
}

int load_flat_load(const struct load_image *im, const struct guest_mem *m,
		   const struct load_plan *plan, struct load_result *res)
{
	int r = load_plan_copy(im, m, plan, res);
	if (r)
		return r;
	gpa_t entry = plan->entry, addr = plan->seg[0].gpa;
	if (plan->bits == 32) {
		r = load_x86_gdt(m, false);
		if (!r)
			load_x86_state_prot32(&res->entry, entry); /* EAX = EBX = 0 */
		return r;
	}
	/* Real mode: CS:IP = 0:entry below 64 KiB, else entry>>4 : entry&0xf.
	 * SS = 0; SP is the image's start if that is in [0x1000, 0x10000] (the
	 * stack grows down just below the image), else 0xfffe. */
	uint16_t cs = entry < 64 * KiB ? 0 : (uint16_t)(entry >> 4);
	uint16_t ip = entry < 64 * KiB ? (uint16_t)entry : (uint16_t)(entry & 0xf);
	uint16_t sp = addr >= 0x1000 && addr <= 0x10000 ? (uint16_t)addr : 0xfffe;
	load_x86_state_real(&res->entry, cs, ip, sp);
	return 0;
}

/* vmi_rom.c: building the VMI ROM (docs/vmi.md "The ROM") from the assembled
 * blobs of vmi_rom_32.S / vmi_rom_64.S, and mapping the ROM window for a guest
 * that declares one. The header and entry table come first, then both
 * blobs (native at PV_ROM_CODE_OFF, pv after it); the header's entries
 * point into the ROM's flavour. 32-bit blobs get their shared-page
 * addresses relocated. The pv flavour also turns the native blob's
 * take-over sites into int3 (a guest switched to pv from another engine).
 * The pv engine also asks which hypercall an int3 in the ROM is, and which
 * entry a faulting instruction belongs to. */
#include <errno.h>
#include <string.h>

#include "vmm/core/vm.h"
#include "vmm/vmi/vmi.h"

/* The blobs' symbols (vmi_rom_asm.h describes the tables). */
#define PV_BLOB_SYMS(p)                                                        \
	extern const uint8_t p##_start[], p##_end[];                           \
	extern const int32_t p##_calltab[], p##_sitetab[], p##_reloctab[]
PV_BLOB_SYMS(pv_rom32n);
PV_BLOB_SYMS(pv_rom32p);
PV_BLOB_SYMS(pv_rom64n);
PV_BLOB_SYMS(pv_rom64p);

struct pv_blob {
	const uint8_t *start, *end;
	const int32_t *calls, *sites, *relocs;
};

#define PV_BLOB(p) { p##_start, p##_end, p##_calltab, p##_sitetab, p##_reloctab }
static const struct pv_blob blobs[2][2] = {
	{ PV_BLOB(pv_rom32n), PV_BLOB(pv_rom32p) },
	{ PV_BLOB(pv_rom64n), PV_BLOB(pv_rom64p) },
};

static const struct pv_blob *blob_for(unsigned bits, unsigned flavour)
{
	if ((bits != 32 && bits != 64) ||
	    (flavour != PV_FLAVOUR_NATIVE && flavour != PV_FLAVOUR_PV))
		return NULL;
	return &blobs[bits == 64][flavour == PV_FLAVOUR_PV];
}

static size_t blob_size(const struct pv_blob *b)
{
	return (size_t)(b->end - b->start);
}

/* Where each flavour's blob lies in the ROM: both are always there, the
 * native one first, so a guest that started under bt or hw keeps working
 * code at the addresses it cached when the pv engine takes it over. */
static size_t blob_off(unsigned bits, unsigned flavour)
{
	(void)bits;
	return flavour == PV_FLAVOUR_NATIVE ? PV_ROM_CODE_OFF : PV_ROM_PV_CODE_OFF;
}

static void copy_blob(uint8_t *rom, const struct pv_blob *b, size_t off, uint32_t shared)
{
	uint8_t *code = rom + off;
	memcpy(code, b->start, blob_size(b));
	for (const int32_t *r = b->relocs; *r != -1; r++) {
		uint32_t v;
		memcpy(&v, code + *r, 4);
		v += shared;
		memcpy(code + *r, &v, 4);
	}
}

int vmi_rom_build(uint8_t *rom, uint64_t addr, unsigned bits, unsigned flavour)
{
	const struct pv_blob *b = blob_for(bits, flavour);
	if (!b || addr % PV_WINDOW_SIZE)
		return -EINVAL;
	const struct pv_blob *nat = blob_for(bits, PV_FLAVOUR_NATIVE);
	const struct pv_blob *pv = blob_for(bits, PV_FLAVOUR_PV);
	if (PV_ROM_CODE_OFF + blob_size(nat) > PV_ROM_PV_CODE_OFF ||
	    PV_ROM_PV_CODE_OFF + blob_size(pv) > PV_ROM_NOTE_OFF)
		return -EINVAL;
	memset(rom, 0, PV_ROM_SIZE);
	uint32_t shared = (uint32_t)(addr + PV_SHARED_OFF);
	copy_blob(rom, nat, blob_off(bits, PV_FLAVOUR_NATIVE), shared);
	copy_blob(rom, pv, blob_off(bits, PV_FLAVOUR_PV), shared);
	if (flavour == PV_FLAVOUR_PV) {
		/* take-over: the native instructions a guest may still reach
		 * become hypercalls (vmi_rom_asm.h, PV_NSITE) */
		uint8_t *code = rom + blob_off(bits, PV_FLAVOUR_NATIVE);
		for (const int32_t *s = nat->sites; s[0] != -1; s += 2) {
			unsigned len = ((unsigned)s[1] >> 16) & 0x7f;
			code[s[0]] = 0xcc;
			memset(code + s[0] + 1, 0x90, len > 1 ? len - 1 : 0);
		}
	}
	struct pv_rom_header h = {
		.magic = PV_ROM_MAGIC, .version = PV_ABI_VERSION, .nr_calls = PV_CALL_NR,
		.flavour = flavour, .bits = bits, .shared_addr = addr + PV_SHARED_OFF,
	};
	uint64_t base = addr + blob_off(bits, flavour), dflt = 0;
	for (const int32_t *c = b->calls; c[0] != -1; c += 2)
		if (c[0] == PV_MAX_CALLS)
			dflt = base + (uint64_t)c[1];
	for (unsigned i = 0; i < PV_MAX_CALLS; i++)
		h.entry[i] = dflt;
	for (const int32_t *c = b->calls; c[0] != -1; c += 2)
		if (c[0] >= 0 && c[0] < PV_MAX_CALLS)
			h.entry[c[0]] = base + (uint64_t)c[1];
	memcpy(rom, &h, sizeof(h));
	return 0;
}

int vmi_rom_site(unsigned bits, uint64_t off)
{
	const struct pv_blob *pv = blob_for(bits, PV_FLAVOUR_PV);
	const struct pv_blob *nat = blob_for(bits, PV_FLAVOUR_NATIVE);
	if (!pv)
		return -1;
	size_t pv_off = blob_off(bits, PV_FLAVOUR_PV);
	if (off >= pv_off && off < pv_off + blob_size(pv)) {
		for (const int32_t *s = pv->sites; s[0] != -1; s += 2)
			if ((uint64_t)s[0] == off - pv_off)
				return s[1];
		return -1;
	}
	if (off < PV_ROM_CODE_OFF || off >= PV_ROM_CODE_OFF + blob_size(nat))
		return -1;
	for (const int32_t *s = nat->sites; s[0] != -1; s += 2)
		if ((uint64_t)s[0] == off - PV_ROM_CODE_OFF && !(s[1] & PV_NSITE_REDIRECT))
			return s[1] & 0xffff;
	return -1;
}

int vmi_rom_call_at(unsigned bits, uint64_t off)
{
	const struct pv_blob *pv = blob_for(bits, PV_FLAVOUR_PV);
	size_t pv_off = blob_off(bits, PV_FLAVOUR_PV);
	if (!pv || off < pv_off || off >= pv_off + blob_size(pv))
		return -1;
	int call = -1;
	int32_t best = -1;
	for (const int32_t *c = pv->calls; c[0] != -1; c += 2)
		if ((uint64_t)c[1] <= off - pv_off && c[1] > best) {
			best = c[1];
			call = c[0];
		}
	return call;
}

bool vmi_rom_redirect(unsigned bits, uint64_t off, uint64_t *entry_off, unsigned *delta)
{
	const struct pv_blob *nat = blob_for(bits, PV_FLAVOUR_NATIVE);
	const struct pv_blob *pv = blob_for(bits, PV_FLAVOUR_PV);
	if (!nat || off < PV_ROM_CODE_OFF || off >= PV_ROM_CODE_OFF + blob_size(nat))
		return false;
	for (const int32_t *s = nat->sites; s[0] != -1; s += 2) {
		if ((uint64_t)s[0] != off - PV_ROM_CODE_OFF || !(s[1] & PV_NSITE_REDIRECT))
			continue;
		for (const int32_t *c = pv->calls; c[0] != -1; c += 2)
			if (c[0] == (s[1] & 0xffff)) {
				*entry_off = blob_off(bits, PV_FLAVOUR_PV) + (uint64_t)c[1];
				*delta = (unsigned)s[1] >> 24 & 0xff;
				return true;
			}
	}
	return false;
}

int vmi_rom_install(struct vm *vm, const struct pv_guest_note *note)
{
	const struct pv_note *n = &note->n;
	if (!note->valid) {
		vmm_err("vmi: %s", note->why);
		return -EINVAL;
	}
	gpa_t gpa = n->rom_addr;
	if (mem_find(&vm->mem, gpa) || mem_find(&vm->mem, gpa + PV_WINDOW_SIZE - 1) ||
	    gpa + PV_WINDOW_SIZE > MEM_HIGHMEM_BASE) {
		vmm_err("pv: the VMI ROM window at %#llx (from the guest's note) overlaps guest "
			"memory or lies above 4 GiB: choose another rom_addr or less RAM",
			(unsigned long long)gpa);
		return -EEXIST;
	}
	struct mem_region *rom = mem_add_region(&vm->mem, "vmi-rom", gpa, PV_ROM_SIZE,
						MEM_READONLY);
	if (!rom)
		return -ENOMEM;
	if (!mem_add_region(&vm->mem, "vmi-shared", gpa + PV_SHARED_OFF, PV_SHARED_SIZE, 0))
		return -ENOMEM;
	int r = vmi_rom_build(rom->hva, gpa, n->bits, PV_FLAVOUR_NATIVE);
	if (r)
		vmm_err("pv: cannot build the %u-bit VMI ROM at %#llx", n->bits,
			(unsigned long long)gpa);
	else /* for the pv engine, which sees the VM, not the image */
		memcpy(rom->hva + PV_ROM_NOTE_OFF, n, sizeof(*n));
	/* kernel code in the native ROM can only run where it started */
	vm->switch_unsafe_lo = gpa;
	vm->switch_unsafe_hi = gpa + PV_WINDOW_SIZE;
	return r;
}

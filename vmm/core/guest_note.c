/* guest_note.c: finding and checking a guest's Triplex VMI note (pv_abi.h) in
 * an ELF32 or ELF64 image: PT_NOTE segments first, then SHT_NOTE sections
 * (System V gABI, "Note Section": namesz, descsz, type, then the name and
 * the descriptor, each padded to 4 bytes). Pure parsing, no logging. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/core/guest.h"

#define PT_NOTE 4
#define SHT_NOTE 7

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Scan one note area [off, off+size) of the file for ours. 1: found (the
 * descriptor is copied, *descsz set), 0: not there. */
static int scan_notes(const uint8_t *img, uint64_t len, uint64_t off, uint64_t size,
		      struct pv_note *n, uint32_t *descsz)
{
	static const char name[] = PV_NOTE_NAME;
	if (off > len || size > len - off)
		return 0;
	const uint8_t *p = img + off, *end = img + off + size;
	while (end - p >= 12) {
		uint32_t nsz = le32(p), dsz = le32(p + 4), type = le32(p + 8);
		uint64_t npad = ((uint64_t)nsz + 3) & ~3ull, dpad = ((uint64_t)dsz + 3) & ~3ull;
		if (npad + dpad > (uint64_t)(end - p) - 12)
			return 0;
		if (type == PV_NOTE_TYPE && nsz == sizeof(name) && !memcmp(p + 12, name, nsz)) {
			memset(n, 0, sizeof(*n));
			memcpy(n, p + 12 + npad, VMM_MIN((size_t)dsz, sizeof(*n)));
			*descsz = dsz;
			return 1;
		}
		p += 12 + npad + dpad;
	}
	return 0;
}

/* Walk the program headers (PT_NOTE) or section headers (SHT_NOTE). */
static int find_note(const uint8_t *img, uint64_t len, bool sections, struct pv_note *n,
		     uint32_t *descsz)
{
	bool is64 = img[4] == 2;
	uint64_t tab = sections ? (is64 ? le64(img + 40) : le32(img + 32))
				: (is64 ? le64(img + 32) : le32(img + 28));
	unsigned entsz = le16(img + (is64 ? (sections ? 58 : 54) : (sections ? 46 : 42)));
	unsigned num = le16(img + (is64 ? (sections ? 60 : 56) : (sections ? 48 : 44)));
	unsigned want = sections ? (is64 ? 64 : 40) : (is64 ? 56 : 32);
	if (!tab || entsz < want || tab > len || (uint64_t)entsz * num > len - tab)
		return 0;
	for (unsigned i = 0; i < num; i++) {
		const uint8_t *h = img + tab + (uint64_t)i * entsz;
		uint32_t type = le32(h + (sections ? 4 : 0));
		uint64_t off, size;
		if (type != (sections ? SHT_NOTE : PT_NOTE))
			continue;
		if (sections) {
			off = is64 ? le64(h + 24) : le32(h + 16);
			size = is64 ? le64(h + 32) : le32(h + 20);
		} else {
			off = is64 ? le64(h + 8) : le32(h + 4);
			size = is64 ? le64(h + 32) : le32(h + 16);
		}
		if (scan_notes(img, len, off, size, n, descsz))
			return 1;
	}
	return 0;
}

static bool range_ok(uint64_t start, uint64_t end, uint64_t limit)
{
	return start < end && end <= limit;
}

/* The checks docs/vmi.md promises; the first failure is the reason. */
static const char *check(const struct pv_note *n, uint32_t descsz)
{
	uint64_t limit = n->bits == 32 ? 1ull << 32 : 1ull << 46;
	if (descsz < sizeof(*n))
		return "descriptor shorter than struct pv_note";
	if (n->version != PV_ABI_VERSION)
		return "ABI version is not one this Triplex speaks";
	if (n->bits != 32 && n->bits != 64)
		return "bits is neither 32 nor 64";
	if (n->rom_addr % PV_WINDOW_SIZE || n->rom_addr + PV_WINDOW_SIZE > 1ull << 32)
		return "rom_addr is not PV_WINDOW_SIZE-aligned below 4 GiB";
	if (!range_ok(n->kernel_start, n->kernel_end, limit))
		return "kernel range is empty or beyond the guest's address width";
	if (!range_ok(n->user_start, n->user_end, limit))
		return "user range is empty or beyond the guest's address width";
	if (n->bits == 64 && !n->entry)
		return "a 64-bit guest needs a 64-bit entry point";
	if (n->reserved[0] || n->reserved[1])
		return "reserved fields are not zero";
	return NULL;
}

int pv_note_parse(const uint8_t *img, uint64_t len, struct pv_guest_note *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 64 || memcmp(img, "\177ELF", 4) || (img[4] != 1 && img[4] != 2) || img[5] != 1)
		return 0;
	struct pv_note n;
	uint32_t descsz = 0;
	if (!find_note(img, len, false, &n, &descsz) && !find_note(img, len, true, &n, &descsz))
		return 0;
	out->present = true;
	const char *bad = check(&n, descsz);
	if (bad) {
		snprintf(out->why, sizeof(out->why), "malformed Triplex VMI note: %s", bad);
		return -EINVAL;
	}
	out->valid = true;
	out->n = n;
	return 0;
}

/* acpi_dsdt.c: the DSDT's AML, written by a tiny emitter (ACPI 6.4 chapter
 * 20, "ACPI Machine Language Specification"), and the resource templates
 * (6.4.2-6.4.3) its _CRS objects hold. What it declares:
 *
 *     Scope (\_SB) {
 *         Device (PCI0) {                     // the host bridge, bus 0
 *             Name (_HID, EisaId ("PNP0A03")) Name (_ADR, 0) Name (_UID, 0)
 *             Name (_CRS, ResourceTemplate () { bus 0-255, I/O 0xcf8-0xcff,
 *                 I/O 0-0xcf7 and 0xd00-0xffff, memory 0xa0000-0xbffff
 *                 and the PCI hole })
 *         }
 *         Device (HPET) { Name (_HID, EisaId ("PNP0103")) Name (_UID, 0)
 *             Name (_CRS, ResourceTemplate () { Memory32Fixed (0xfed00000, 0x400) }) }
 *     }
 *     Name (\_S5, Package (4) { 0, 0, 0, 0 })  // SLP_TYP 0 in PM1a control: off
 *
 * Nested objects are written content first: aml_open() remembers where a
 * PkgLength goes and aml_close() inserts it once the length is known. */
#include <string.h>

#include "vmm/dev/acpi_internal.h"

#define AML_MAX 1024
#define AML_DEPTH 8

struct aml {
	uint8_t b[AML_MAX];
	size_t len;
	size_t open[AML_DEPTH];
	unsigned depth;
	bool overflow;
};

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->len + n > AML_MAX) {
		a->overflow = true;
		return;
	}
	memcpy(a->b + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t v)
{
	aml_bytes(a, &v, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* A NameString: an optional root prefix and one 4-character segment. */
static void aml_name(struct aml *a, const char *name)
{
	if (*name == '\\')
		aml_byte(a, *name++);
	char seg[4] = { '_', '_', '_', '_' };
	memcpy(seg, name, strnlen(name, 4));
	aml_bytes(a, seg, 4);
}

/* 20.2.3: the smallest encoding of an integer. */
static void aml_int(struct aml *a, uint64_t v)
{
	if (v <= 1) {
		aml_byte(a, (uint8_t)v); /* ZeroOp, OneOp */
	} else if (v <= 0xff) {
		aml_byte(a, 0x0a);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, 0x0b);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffffu) {
		aml_byte(a, 0x0c);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, 0x0e);
		aml_le(a, v, 8);
	}
}

/* EisaId ("PNP0A03"): three letters in 5 bits each and four hex digits,
 * stored byte-swapped (19.6.35). */
static void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = (uint32_t)((id[0] - 0x40) & 0x1f) << 26 |
		     (uint32_t)((id[1] - 0x40) & 0x1f) << 21 |
		     (uint32_t)((id[2] - 0x40) & 0x1f) << 16;
	for (unsigned i = 3; i < 7; i++) {
		char c = id[i];
		v |= (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10) << (4 * (6 - i));
	}
	aml_byte(a, 0x0c);
	aml_le(a, __builtin_bswap32(v), 4);
}

static void aml_open(struct aml *a)
{
	VMM_ASSERT(a->depth < AML_DEPTH);
	a->open[a->depth++] = a->len;
}

/* 20.2.4 PkgLength: it counts itself; 1 byte up to 63, else a lead byte
 * (count of following bytes in bits 7-6, low nibble) and 1-3 more bytes. */
static void aml_close(struct aml *a)
{
	VMM_ASSERT(a->depth > 0);
	size_t at = a->open[--a->depth], body = a->len - at;
	uint8_t pl[4];
	unsigned n = body + 1 <= 0x3f ? 1 : body + 2 <= 0xfff ? 2 : 3;
	size_t total = body + n;
	if (n == 1) {
		pl[0] = (uint8_t)total;
	} else {
		pl[0] = (uint8_t)((n - 1) << 6 | (total & 0x0f));
		for (unsigned i = 1; i < n; i++)
			pl[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	if (a->len + n > AML_MAX) {
		a->overflow = true;
		return;
	}
	memmove(a->b + at + n, a->b + at, body);
	memcpy(a->b + at, pl, n);
	a->len += n;
}

/* Name (NAME, Buffer () { resource template bytes }) */
static void aml_name_buffer(struct aml *a, const char *name, const uint8_t *res, size_t n)
{
	aml_byte(a, 0x08); /* NameOp */
	aml_name(a, name);
	aml_byte(a, 0x11); /* BufferOp */
	aml_open(a);
	aml_int(a, n);
	aml_bytes(a, res, n);
	aml_close(a);
}

/* Name (NAME, integer) */
static void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_byte(a, 0x08);
	aml_name(a, name);
	aml_int(a, v);
}

/* Device (NAME) { Name (_HID, EisaId (HID)) Name (_UID, 0) ...: the caller
 * adds the rest and aml_close()s it. */
static void aml_device_open(struct aml *a, const char *name, const char *hid)
{
	aml_bytes(a, "\x5b\x82", 2); /* DeviceOp */
	aml_open(a);
	aml_name(a, name);
	aml_byte(a, 0x08);
	aml_name(a, "_HID");
	aml_eisaid(a, hid);
	aml_name_int(a, "_UID", 0);
}

/* ---- resource descriptors (6.4.2 small, 6.4.3 large items) ---- */

struct res {
	uint8_t b[256];
	size_t len;
};

static void res_le(struct res *r, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n && r->len < sizeof(r->b); i++)
		r->b[r->len++] = (uint8_t)(v >> (8 * i));
}

/* 6.4.2.5 I/O port descriptor, 16-bit decode. */
static void res_io(struct res *r, uint16_t base, uint8_t len)
{
	res_le(r, 0x47, 1);
	res_le(r, 0x01, 1);
	res_le(r, base, 2);
	res_le(r, base, 2);
	res_le(r, 1, 1);
	res_le(r, len, 1);
}

/* 6.4.3.5.3 Word address space (type 1 I/O, 2 bus number): producer,
 * fixed minimum and maximum, positive decode. */
static void res_word(struct res *r, uint8_t type, uint16_t min, uint16_t max)
{
	res_le(r, 0x88, 1);
	res_le(r, 13, 2);
	res_le(r, type, 1);
	res_le(r, 0x0c, 1);               /* MinFixed | MaxFixed */
	res_le(r, type == 1 ? 0x03 : 0, 1); /* I/O: entire range */
	res_le(r, 0, 2);                  /* granularity */
	res_le(r, min, 2);
	res_le(r, max, 2);
	res_le(r, 0, 2);                  /* translation */
	res_le(r, (uint32_t)max - min + 1, 2);
}

/* 6.4.3.5.2 DWord address space, memory, read/write. */
static void res_dword_mem(struct res *r, uint32_t min, uint32_t max, bool cacheable)
{
	res_le(r, 0x87, 1);
	res_le(r, 23, 2);
	res_le(r, 0, 1);
	res_le(r, 0x0c, 1);
	res_le(r, cacheable ? 0x03 : 0x01, 1);
	res_le(r, 0, 4);
	res_le(r, min, 4);
	res_le(r, max, 4);
	res_le(r, 0, 4);
	res_le(r, (uint64_t)max - min + 1, 4);
}

/* 6.4.3.4 32-bit fixed memory range, read-only. */
static void res_mem32_fixed(struct res *r, uint32_t base, uint32_t len)
{
	res_le(r, 0x86, 1);
	res_le(r, 9, 2);
	res_le(r, 0, 1);
	res_le(r, base, 4);
	res_le(r, len, 4);
}

static void res_end(struct res *r)
{
	res_le(r, 0x79, 1);
	res_le(r, 0, 1); /* checksum 0: "treat as correct" */
}

static void dsdt_pci0(struct aml *a, const struct fw_config *c)
{
	struct res r = { .len = 0 };
	res_word(&r, 2, 0, 0xff);
	res_io(&r, 0xcf8, 8);
	res_word(&r, 1, 0x0000, 0x0cf7);
	res_word(&r, 1, 0x0d00, 0xffff);
	res_dword_mem(&r, 0xa0000, 0xbffff, true);
	res_dword_mem(&r, (uint32_t)c->pci_hole, (uint32_t)PCI_MMIO_END - 1, false);
	res_end(&r);

	aml_device_open(a, "PCI0", "PNP0A03");
	aml_name_int(a, "_ADR", 0);
	aml_name_buffer(a, "_CRS", r.b, r.len);
	aml_close(a);
}

static void dsdt_hpet(struct aml *a)
{
	struct res r = { .len = 0 };
	res_mem32_fixed(&r, (uint32_t)HPET_ADDR, HPET_SIZE);
	res_end(&r);
	aml_device_open(a, "HPET", "PNP0103");
	aml_name_buffer(a, "_CRS", r.b, r.len);
	aml_close(a);
}

size_t acpi_dsdt_aml(const struct fw_config *c, uint8_t *out, size_t cap)
{
	struct aml a = { .len = 0 };
	aml_byte(&a, 0x10); /* ScopeOp */
	aml_open(&a);
	aml_name(&a, "\\_SB");
	dsdt_pci0(&a, c);
	if (c->hpet)
		dsdt_hpet(&a);
	aml_close(&a);

	aml_byte(&a, 0x08); /* Name (\_S5, Package (4) { SLP_TYPa, SLP_TYPb, 0, 0 }) */
	aml_name(&a, "\\_S5");
	aml_byte(&a, 0x12); /* PackageOp */
	aml_open(&a);
	aml_byte(&a, 4);
	for (unsigned i = 0; i < 4; i++)
		aml_int(&a, i < 2 ? ACPI_SLP_TYP_S5 : 0);
	aml_close(&a);
	VMM_ASSERT(!a.overflow && a.depth == 0 && a.len <= cap);
	memcpy(out, a.b, a.len);
	return a.len;
}

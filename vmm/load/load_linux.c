/* load_linux.c: Linux bzImage kernels through the 32- and 64-bit boot
 * protocols.
 *
 * Spec: Documentation/arch/x86/boot.rst ("The Real-Mode Kernel Header",
 * "Details of Header Fields", "32-bit BOOT PROTOCOL", "64-bit BOOT
 * PROTOCOL"). We need protocol 2.10+ (pref_address, init_size). The setup
 * code is not run: the setup header is copied into a zero page we fill
 * ourselves. A kernel with XLF_KERNEL_64 starts in long mode at the
 * protected-mode kernel's offset 0x200 (startup_64); any other (a 32-bit
 * kernel such as Debian's 686) starts in flat 32-bit protected mode, paging
 * off, at its start (code32_start, startup_32) with ESI = boot_params.
 *
 * Load address: 1 MiB, rounded up to kernel_alignment for relocatable
 * kernels. The compressed kernel then decompresses at max(that, pref_address)
 * (arch/x86/boot/compressed/head_64.S), so [load, max(load, pref_address) +
 * init_size) is the kernel's and must be RAM; the initrd goes above it. */
#include "vmm/load/load_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LX_MIN_VERSION 0x020a
#define LX_ENTRY64 0x200 /* startup_64 in the protected-mode kernel */

static int check_header(const struct load_image *im)
{
	const uint8_t *b = im->img;
	if (im->len < LX_HEADER + 4 || load_le16(b + LX_BOOT_FLAG) != 0xaa55 ||
	    load_le32(b + LX_HEADER) != LX_HDRS_MAGIC) {
		vmm_err("%s: not a bzImage: no boot_flag 0xAA55 at 0x1fe and \"HdrS\" at 0x202",
			im->name);
		return -ENOEXEC;
	}
	uint16_t v = load_le16(b + LX_VERSION);
	if (v < LX_MIN_VERSION) {
		vmm_err("%s: bzImage boot protocol version %u.%02u is too old (need 2.10+)",
			im->name, v >> 8, v & 0xff);
		return -ENOEXEC;
	}
	if (im->len < LX_INIT_SIZE + 4) {
		vmm_err("%s: bzImage setup header truncated (file is %llu bytes, the 2.10 "
			"header ends at %#x)", im->name, (unsigned long long)im->len,
			LX_INIT_SIZE + 4);
		return -ENOEXEC;
	}
	if (LX_JUMP + 2 + b[LX_JUMP + 1] < LX_INIT_SIZE + 4) {
		vmm_err("%s: bzImage setup header length (byte 0x201 = %#x) ends before the 2.10 "
			"fields at %#x", im->name, b[LX_JUMP + 1], LX_INIT_SIZE + 4);
		return -ENOEXEC;
	}
	if (!(b[LX_LOADFLAGS] & LX_LOADED_HIGH)) {
		vmm_err("%s: bzImage loadflags %#x: LOADED_HIGH (bit 0) clear; zImage kernels "
			"are not supported", im->name, b[LX_LOADFLAGS]);
		return -ENOEXEC;
	}
	return 0;
}

/* Where the protected-mode kernel goes: see the file comment. */
static int load_address(const struct load_image *im, gpa_t *addr)
{
	const uint8_t *b = im->img;
	uint32_t align = load_le32(b + LX_KERNEL_ALIGNMENT);
	*addr = LOAD_KERNEL_MIN;
	if (!b[LX_RELOCATABLE])
		return 0;
	if (!align || (align & (align - 1)) || align > 1 * GiB) {
		vmm_err("%s: bzImage kernel_alignment %#x is not a power of two up to 1 GiB",
			im->name, align);
		return -ENOEXEC;
	}
	*addr = VMM_ALIGN_UP(LOAD_KERNEL_MIN, align);
	return 0;
}

/* The kernel's footprint: [load, max(load, pref_address) + init_size). */
static int footprint(const struct load_image *im, gpa_t load, uint64_t payload, gpa_t *end)
{
	uint64_t pref = load_le64(im->img + LX_PREF_ADDRESS);
	uint64_t init = VMM_MAX(load_le32(im->img + LX_INIT_SIZE), payload);
	if (__builtin_add_overflow(VMM_MAX(load, pref), init, end) || *end > 4 * GiB) {
		vmm_err("%s: bzImage pref_address %#llx + init_size %#llx is beyond 4 GiB",
			im->name, (unsigned long long)pref, (unsigned long long)init);
		return -ENOEXEC;
	}
	return 0;
}

int load_linux_parse(const struct load_image *im, struct load_plan *plan)
{
	int r = check_header(im);
	if (r)
		return r;
	const uint8_t *b = im->img;
	unsigned sects = b[LX_SETUP_SECTS] ? b[LX_SETUP_SECTS] : 4; /* boot.rst: 0 means 4 */
	uint64_t setup = (sects + 1) * 512ull;
	bool k64 = load_le16(b + LX_XLOADFLAGS) & LX_XLF_KERNEL_64;
	unsigned entry = k64 ? LX_ENTRY64 : LX_ENTRY32;
	if (setup >= im->len || im->len - setup <= entry) {
		vmm_err("%s: bzImage setup_sects %u: the protected-mode kernel after %#llx bytes "
			"of setup is missing or too short for its entry at +%#x (file is %llu "
			"bytes)", im->name, b[LX_SETUP_SECTS], (unsigned long long)setup, entry,
			(unsigned long long)im->len);
		return -ENOEXEC;
	}
	uint64_t payload = im->len - setup;
	gpa_t load;
	r = load_address(im, &load);
	if (!r)
		r = footprint(im, load, payload, &plan->linux.reserved_end);
	if (!r && k64)
		r = load_plan_add(im, plan, load, setup, LX_ENTRY64, LX_ENTRY64, 32,
				  "bzImage kernel (startup_32)");
	if (!r)
		r = load_plan_add(im, plan, load + entry, setup + entry, payload - entry,
				  payload - entry, k64 ? 64 : 32, "bzImage kernel");
	if (r)
		return r;
	plan->format = LOAD_BZIMAGE;
	plan->bits = k64 ? 64 : 32;
	plan->entry = load + entry;
	plan->min_addr = LOAD_KERNEL_MIN;
	/* boot.rst: the header ends at 0x202 + the byte at 0x201. */
	plan->linux.hdr_end = VMM_MIN(LX_JUMP + 2 + (uint64_t)b[LX_JUMP + 1], LX_HDR_MAX);
	plan->linux.hdr_end = VMM_MIN(plan->linux.hdr_end, im->len);
	plan->linux.initrd_max = load_le32(b + LX_INITRD_ADDR_MAX);
	plan->linux.cmdline_max = load_le32(b + LX_CMDLINE_SIZE);
	return 0;
}

bool load_bzimage_payload(const uint8_t *img, uint64_t len, struct load_range *out)
{
	if (len < LX_PAYLOAD_LENGTH + 4 || load_le16(img + LX_BOOT_FLAG) != 0xaa55 ||
	    load_le32(img + LX_HEADER) != LX_HDRS_MAGIC || load_le16(img + LX_VERSION) < 0x0208)
		return false;
	unsigned sects = img[LX_SETUP_SECTS] ? img[LX_SETUP_SECTS] : 4;
	uint64_t off = (sects + 1) * 512ull + load_le32(img + LX_PAYLOAD_OFFSET);
	uint64_t size = load_le32(img + LX_PAYLOAD_LENGTH);
	if (!size || off >= len || size > len - off)
		return false;
	*out = (struct load_range){ .off = off, .size = size };
	return true;
}

/* boot.rst "32-bit/64-bit BOOT PROTOCOL": the setup header goes into a
 * zeroed boot_params; code32_start says where the protected-mode kernel is. */
static void zp_setup_header(uint8_t *zp, const struct load_image *im, const struct load_plan *plan)
{
	memcpy(zp + LX_SETUP_SECTS, im->img + LX_SETUP_SECTS, plan->linux.hdr_end - LX_SETUP_SECTS);
	load_put32(zp + LX_CODE32_START, (uint32_t)plan->seg[0].gpa);
}

int load_linux_load(const struct load_image *im, const struct guest_mem *m,
		    const struct load_plan *plan, struct load_result *res)
{
	gpa_t load = plan->seg[0].gpa, end = plan->linux.reserved_end;
	if (!load_ram_ok(m, load, end - load)) {
		vmm_err("%s: bzImage needs RAM up to %#llx (pref_address/init_size) but low RAM "
			"ends at %#llx", im->name, (unsigned long long)end,
			(unsigned long long)load_ram_end(m));
		return -ENOSPC;
	}
	return load_x86_linux_boot(im, m, plan, res, zp_setup_header);
}

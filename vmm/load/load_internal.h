/* load_internal.h: what the loaders share. A parser turns an image into a
 * struct load_plan (segments to copy, entry point, protocol facts) without
 * touching guest memory; load.c checks the plan against guest RAM and the
 * format's loader then writes the image and builds its boot protocol with
 * the x86 helpers of load_x86.c. Nothing is written before every check has
 * passed, so a refused image leaves guest memory as it was. */
#ifndef VMM_LOAD_LOAD_INTERNAL_H
#define VMM_LOAD_LOAD_INTERNAL_H

#include "vmm/load/load.h"

/* The image being parsed: (name) is what error messages call it. */
struct load_image {
	const char *name;
	const uint8_t *img;
	uint64_t len;
	const struct load_params *p;
};

#define LOAD_MAX_SEGS 32

/* The lowest load address per entry kind: below it are the loader's boot
 * data (docs/boot.md). 32-bit entries use the GDT, the stack under
 * LOAD_STACK_TOP and the Multiboot info up to LOAD_MBI_END; the 64-bit
 * entry adds the zero page, page tables and the command line. bzImage
 * loads at LOAD_KERNEL_MIN or above by protocol. */
#define LOAD_32BIT_FLOOR LOAD_MBI_END
/* Multiboot kernels may load down to 0x8000, as QEMU allows (above the GDT
 * and the stack); the information area then moves above the kernel. */
#define LOAD_MB_FLOOR 0x8000ull
#define LOAD_64BIT_FLOOR (LOAD_CMDLINE_ADDR + LOAD_CMDLINE_MAX)

/* One piece of the image: copy (filesz) bytes from file offset (off) to
 * (gpa) and zero the rest up to (memsz). */
struct load_seg {
	gpa_t gpa;
	uint64_t off;
	uint64_t filesz;
	uint64_t memsz;
	unsigned bits;      /* code width if executable, else 0 */
	char what[40];      /* "PT_LOAD segment 1", for messages */
};

/* What the Linux zero page needs to know (ELF64 and bzImage). */
struct load_linux_facts {
	uint64_t hdr_end;       /* bzImage: end of the setup header to copy */
	gpa_t reserved_end;     /* the kernel's footprint ends here (init_size) */
	uint64_t initrd_max;    /* highest address the initrd may touch */
	uint64_t cmdline_max;   /* longest command line, without the NUL */
};

struct load_plan {
	enum load_format format;
	unsigned bits;          /* width of the entry code: 16, 32, 64 */
	gpa_t entry;
	gpa_t min_addr;         /* nothing may load below this (the loader's
				 * boot data, LOAD_32BIT_FLOOR etc.) */
	struct load_seg seg[LOAD_MAX_SEGS];
	unsigned nr_seg;
	uint32_t mb_flags;      /* Multiboot header flags */
	struct load_linux_facts linux;
};

/* Little-endian field access; callers have checked the bounds. */
static inline uint16_t load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static inline uint64_t load_le64(const uint8_t *p)
{
	return load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}
static inline void load_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void load_put32(uint8_t *p, uint32_t v)
{
	load_put16(p, (uint16_t)v);
	load_put16(p + 2, (uint16_t)(v >> 16));
}
static inline void load_put64(uint8_t *p, uint64_t v)
{
	load_put32(p, (uint32_t)v);
	load_put32(p + 4, (uint32_t)(v >> 32));
}

/* True if [off, off+size) lies inside a (len)-byte file; overflow-safe. */
static inline bool load_in_file(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

/* Append a segment to (plan); -E2BIG (logged) when there are too many. */
VMM_MUST_CHECK int load_plan_add(const struct load_image *im, struct load_plan *plan,
				 gpa_t gpa, uint64_t off, uint64_t filesz, uint64_t memsz,
				 unsigned bits, const char *what);
/* True if [gpa, gpa+size) lies in one RAM region of (m). */
bool load_ram_ok(const struct guest_mem *m, gpa_t gpa, uint64_t size);
/* Where low RAM (below the 3 GiB hole) ends. */
uint64_t load_ram_end(const struct guest_mem *m);
/* The end of the highest segment of (plan). */
gpa_t load_plan_end(const struct load_plan *plan);
/* Copy the plan's segments into (m) and fill res->kernel_addr/size. */
VMM_MUST_CHECK int load_plan_copy(const struct load_image *im, const struct guest_mem *m,
				  const struct load_plan *plan, struct load_result *res);

/* Parsers: 0 or -errno after one error line. */
/* Offset of a valid Multiboot header in the first 8 KiB, or -1; sets
 * (*bad_off) to a header whose checksum is wrong (or -1). */
int64_t load_mb_find(const uint8_t *img, uint64_t len, int64_t *bad_off);
VMM_MUST_CHECK int load_mb_parse(const struct load_image *im, struct load_plan *plan);
VMM_MUST_CHECK int load_elf_parse(const struct load_image *im, unsigned elf_class,
				  struct load_plan *plan);
VMM_MUST_CHECK int load_elf64_parse(const struct load_image *im, struct load_plan *plan);
VMM_MUST_CHECK int load_linux_parse(const struct load_image *im, struct load_plan *plan);
VMM_MUST_CHECK int load_flat_parse(const struct load_image *im, struct load_plan *plan);

/* Format loaders: called after the plan's segments were checked against
 * guest RAM; each checks what else it needs before writing anything. */
VMM_MUST_CHECK int load_mb_load(const struct load_image *im, const struct guest_mem *m,
				const struct load_plan *plan, struct load_result *res);
VMM_MUST_CHECK int load_elf64_load(const struct load_image *im, const struct guest_mem *m,
				   const struct load_plan *plan, struct load_result *res);
VMM_MUST_CHECK int load_linux_load(const struct load_image *im, const struct guest_mem *m,
				   const struct load_plan *plan, struct load_result *res);
VMM_MUST_CHECK int load_flat_load(const struct load_image *im, const struct guest_mem *m,
				  const struct load_plan *plan, struct load_result *res);

/* load_x86.c: the GDT every protected-mode entry uses, the identity page
 * tables of the 64-bit entry, and the entry states. */
#define LOAD_GDT_ENTRIES 4
VMM_MUST_CHECK int load_x86_gdt(const struct guest_mem *m, bool long_mode);
VMM_MUST_CHECK int load_x86_page_tables(const struct guest_mem *m);
void load_x86_state_real(struct x86_state *s, uint16_t cs, uint16_t ip, uint16_t sp);
void load_x86_state_prot32(struct x86_state *s, gpa_t entry);
void load_x86_state_long(struct x86_state *s, gpa_t entry);

/* The Linux boot: command line, initrd and zero page, shared by ELF64 and
 * bzImage. Prepare checks and opens everything; commit writes it. */
struct load_linux_boot {
	const char *cmdline;
	uint64_t cmdline_len;
	struct load_file initrd;
	bool has_initrd;
	gpa_t initrd_addr;
};
VMM_MUST_CHECK int load_x86_linux_prepare(const struct load_image *im, const struct guest_mem *m,
					  const struct load_plan *plan,
					  struct load_linux_boot *lb);
/* Write the command line, initrd, (zp) completed with them and the e820
 * map, the GDT and (bits 64) page tables; set the 32-bit protected-mode or
 * 64-bit long-mode entry state with ESI/RSI at the zero page. Closes lb. */
VMM_MUST_CHECK int load_x86_linux_commit(const struct load_image *im, const struct guest_mem *m,
					 struct load_linux_boot *lb, uint8_t *zp,
					 gpa_t entry, unsigned bits, struct load_result *res);
void load_x86_linux_abort(struct load_linux_boot *lb);
/* The whole Linux 32- or 64-bit (plan->bits) boot for ELF64 and bzImage: prepare, copy the
 * kernel's segments, let (fill) put the kernel's header into a zeroed zero
 * page, commit. 0 or -errno (logged). */
typedef void (*load_zp_fill_fn)(uint8_t *zp, const struct load_image *im,
				const struct load_plan *plan);
VMM_MUST_CHECK int load_x86_linux_boot(const struct load_image *im, const struct guest_mem *m,
				       const struct load_plan *plan, struct load_result *res,
				       load_zp_fill_fn fill);

/* Linux boot_params (zero page) offsets, Documentation/arch/x86/zero-page.rst
 * and boot.rst "The Real-Mode Kernel Header". */
#define LX_ZP_SIZE 4096
#define LX_ACPI_RSDP_ADDR 0x070
#define LX_ALT_MEM_K 0x1e0
#define LX_E820_ENTRIES 0x1e8
#define LX_SETUP_SECTS 0x1f1
#define LX_BOOT_FLAG 0x1fe
#define LX_JUMP 0x200
#define LX_HEADER 0x202
#define LX_VERSION 0x206
#define LX_TYPE_OF_LOADER 0x210
#define LX_LOADFLAGS 0x211
#define LX_CODE32_START 0x214
#define LX_RAMDISK_IMAGE 0x218
#define LX_RAMDISK_SIZE 0x21c
#define LX_HEAP_END_PTR 0x224
#define LX_CMD_LINE_PTR 0x228
#define LX_INITRD_ADDR_MAX 0x22c
#define LX_KERNEL_ALIGNMENT 0x230
#define LX_RELOCATABLE 0x234
#define LX_XLOADFLAGS 0x236
#define LX_CMDLINE_SIZE 0x238
#define LX_PAYLOAD_OFFSET 0x248 /* 2.08+: from the protected-mode kernel's start */
#define LX_PAYLOAD_LENGTH 0x24c
#define LX_PREF_ADDRESS 0x258
#define LX_INIT_SIZE 0x260
#define LX_HDR_MAX 0x290       /* edd_mbr_sig_buffer follows the header */
#define LX_E820_TABLE 0x2d0
#define LX_E820_MAX 128
#define LX_HDRS_MAGIC 0x53726448u /* "HdrS" */
#define LX_LOADED_HIGH 0x01
#define LX_CAN_USE_HEAP 0x80
#define LX_XLF_KERNEL_64 0x01
#define LX_ENTRY32 0x000        /* startup_32: code32_start itself */

#endif

/* load.h: kernel image loaders (Multiboot v1, ELF64, Linux bzImage, flat
 * binaries). A loader validates the image, copies it into guest memory,
 * builds what the boot protocol promises (Multiboot info, zero page, e820,
 * identity page tables, a GDT) and returns the BSP's entry state. Every bad
 * image gets one error naming the file and what is wrong. The entry states
 * are documented in docs/boot.md.
 *
 * Example:
 *     struct load_params p = { .kernel = "k.elf", .cmdline = "quick" };
 *     struct load_result res;
 *     if (load_kernel(&vm->mem, &p, &res)) return VM_EXIT_USAGE;
 *     vm_engine_init(vm, engine, &res.entry);
 */
#ifndef VMM_LOAD_LOAD_H
#define VMM_LOAD_LOAD_H

#include "vmm/core/guest.h" /* enum load_format, struct guest_info */
#include "vmm/core/mem.h"
#include "vmm/core/x86.h"

/* Fixed low-memory layout used by the loaders (docs/boot.md). */
#define LOAD_GDT_ADDR 0x500ull
#define LOAD_STACK_TOP 0x7000ull     /* ELF64/bzImage entry RSP (grows down) */
#define LOAD_ZERO_PAGE 0x7000ull     /* Linux boot_params */
#define LOAD_MBI_ADDR 0x9000ull      /* Multiboot info area, up to LOAD_MBI_END */
#define LOAD_MBI_END 0x20000ull
#define LOAD_PML4_ADDR 0x9000ull     /* identity page tables for 64-bit entry */
#define LOAD_PDPT_ADDR 0xa000ull
#define LOAD_PD_ADDR 0xb000ull       /* 4 pages: 4 GiB in 2 MiB pages */
#define LOAD_CMDLINE_ADDR 0x20000ull /* Linux command line */
#define LOAD_CMDLINE_MAX 0x10000ull
#define LOAD_KERNEL_MIN 0x100000ull  /* bzImage loads here; other formats may load
                                      * lower, but never over the loader's own data */

/* GDT selectors the loaders install (compatible with QEMU's Multiboot ROM and
 * the Linux boot protocol's __BOOT_CS/__BOOT_DS). */
#define LOAD_SEL_CODE 0x10
#define LOAD_SEL_DATA 0x18

struct load_params {
	const char *kernel;         /* path */
	const char *initrd;         /* Linux: initrd path; Multiboot: modules,
				     * "path args,path args" as QEMU's -initrd */
	const char *cmdline;        /* may be NULL */
	enum load_format format;
	gpa_t flat_addr;            /* LOAD_FLAT: where the bytes go */
	gpa_t flat_entry;           /* LOAD_FLAT: entry (0: flat_addr) */
	unsigned flat_bits;         /* LOAD_FLAT: 16 (real mode) or 32 (protected) */
	gpa_t acpi_rsdp;            /* the ACPI RSDP, for boot protocols with a
				     * field for it (Linux acpi_rsdp_addr); 0: none */
};

struct load_result {
	struct x86_state entry;     /* the BSP's state at the first instruction */
	struct guest_info info;
	gpa_t kernel_addr;          /* lowest loaded address */
	uint64_t kernel_size;       /* bytes from kernel_addr to the loaded end */
	gpa_t cmdline_addr;         /* 0 if none */
	uint32_t cmdline_size;      /* including the NUL */
	gpa_t initrd_addr;          /* 0 if none */
	uint64_t initrd_size;
};

/* Load (p->kernel) into (mem) and fill (res). 0, or -errno after one error
 * line naming the file and the field or value at fault. */
VMM_MUST_CHECK int load_kernel(const struct guest_mem *mem, const struct load_params *p,
			       struct load_result *res);

/* Inspect an image in memory (name used in messages) without loading it.
 * 0 or -errno (logged). */
VMM_MUST_CHECK int load_probe_image(const char *name, const uint8_t *img, uint64_t len,
				    const struct load_params *p, struct guest_info *info);
/* Read (p->kernel) and probe it. 0 or -errno (logged). */
VMM_MUST_CHECK int load_probe(const struct load_params *p, struct guest_info *info);

/* An image file's bytes (a kernel, an initrd, a module), mapped: pages are
 * read when a parser touches them, so a loader reads the headers, then the
 * segments it loads. Only regular files up to LOAD_FILE_MAX bytes: a FIFO,
 * a device (/dev/zero), a directory or a huge (sparse) file gets one clear
 * error at once instead of a hang or an exhausted host. */
#define LOAD_FILE_MAX (2 * GiB)
struct load_file {
	const char *path;
	const uint8_t *data;
	uint64_t len;
	void *map;        /* mmap'd region, or NULL (an empty file) */
	size_t map_len;
};

/* Open and map (path); 0 or -errno after one error "PATH: why". */
VMM_MUST_CHECK int load_file_open(struct load_file *f, const char *path);
void load_file_close(struct load_file *f);

/* A byte range of an image file. */
struct load_range {
	uint64_t off, size;
};

/* Data objects (STT_OBJECT symbols with a size) that lie in the image's
 * executable sections, as file ranges sorted by offset, from an ELF32 or
 * ELF64 symbol table. The guest probe skips them when it scans code, so a
 * table of pointers is not mistaken for instructions. Returns how many were
 * found (at most (max) are stored); 0 for images without a symbol table. */
unsigned load_elf_data_ranges(const uint8_t *img, uint64_t len, struct load_range *out,
			      unsigned max);

/* The compressed payload of a bzImage (boot protocol payload_offset and
 * payload_length, 2.08+), as a file range: data, not code. False when
 * (img) is not such a bzImage or the fields point outside the file. */
bool load_bzimage_payload(const uint8_t *img, uint64_t len, struct load_range *out);

/* Parse a format name ("auto", "multiboot", "elf64", "bzimage", "flat").
 * 0 or -EINVAL. */
VMM_MUST_CHECK int load_format_parse(const char *s, enum load_format *out);
const char *load_format_name(enum load_format f);

#endif

/* mem.h: guest physical memory. RAM is one memfd (so engines and a sandboxed
 * pv process can map the same pages), laid out as a PC: low RAM up to the
 * MMIO hole below 4 GiB, the rest above 4 GiB. The 640 KiB-1 MiB legacy area
 * is backed (VGA text memory at 0xb8000 lives there) but reserved in e820.
 * Extra regions (ROMs) come from the same memfd. */
#ifndef VMM_CORE_MEM_H
#define VMM_CORE_MEM_H

#include "vmm/core/vmm.h"

#define MEM_LOWMEM_LIMIT 0xc0000000ull  /* RAM above this moves to 4 GiB */
#define MEM_HIGHMEM_BASE 0x100000000ull
#define MEM_EBDA_BASE 0x9fc00ull          /* top of conventional memory */
#define MEM_BIOS_BASE 0xe0000ull          /* BIOS area (firmware tables): reserved up to 1 MiB */
#define MEM_VGA_TEXT 0xb8000ull
#define MEM_MIN_SIZE (2 * MiB)
#define MEM_MAX_SIZE (1024 * GiB)
#define MEM_MAX_REGIONS 8

enum mem_flags {
	MEM_RAM = 1u << 0,      /* guest RAM (e820 usable) */
	MEM_READONLY = 1u << 1, /* guest writes are not allowed (ROM) */
};

struct mem_region {
	const char *name;
	gpa_t gpa;
	uint64_t size;
	uint64_t fd_off;  /* offset of this region in the memfd */
	uint8_t *hva;
	unsigned flags;
};

struct guest_mem {
	int fd;                 /* the memfd backing every region */
	uint64_t ram_size;
	uint64_t fd_size;
	struct mem_region region[MEM_MAX_REGIONS];
	unsigned nr_regions;
};

/* e820 types (ACPI 6.4 15.1) */
enum e820_type { E820_RAM = 1, E820_RESERVED = 2 };
struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
};
#define MEM_MAX_E820 8

/* Create (ram_size) bytes of guest RAM in a new memfd; (ram_size) is rounded
 * up to 4 KiB and must lie in [MEM_MIN_SIZE, MEM_MAX_SIZE]. Pages are not
 * touched, so RSS grows only as the guest uses memory. Returns 0 or -errno
 * (logged). */
VMM_MUST_CHECK int mem_init(struct guest_mem *m, uint64_t ram_size);
void mem_fini(struct guest_mem *m);

/* Add a (size)-byte region (a ROM) at (gpa), zero-filled, from the same memfd.
 * Returns the region or NULL (logged) on overlap or exhaustion.
 * Call before any engine maps memory (before vm_start). */
struct mem_region *mem_add_region(struct guest_mem *m, const char *name,
				  gpa_t gpa, uint64_t size, unsigned flags);

/* The host address of [gpa, gpa+len) if it lies inside one region, else NULL.
 * Checks overflow; len 0 is treated as 1. Thread-safe (regions are fixed
 * once the VM runs). */
void *mem_gpa_to_hva(const struct guest_mem *m, gpa_t gpa, uint64_t len);

/* The region containing (gpa), or NULL. */
const struct mem_region *mem_find(const struct guest_mem *m, gpa_t gpa);

/* Copy to/from guest memory; the range may cross regions but every byte must
 * be backed. Writes ignore MEM_READONLY (they are the VMM's, e.g. loaders).
 * Returns 0 or -EFAULT. */
VMM_MUST_CHECK int mem_write(const struct guest_mem *m, gpa_t gpa, const void *src, uint64_t len);
VMM_MUST_CHECK int mem_read(const struct guest_mem *m, gpa_t gpa, void *dst, uint64_t len);

/* The PC memory map the firmware would report (e820): fills up to (max)
 * entries sorted by address and returns how many. */
unsigned mem_e820(const struct guest_mem *m, struct e820_entry *out, unsigned max);

/* Bytes of RAM below 4 GiB (and above). */
uint64_t mem_lowmem_size(const struct guest_mem *m);
uint64_t mem_highmem_size(const struct guest_mem *m);

#endif

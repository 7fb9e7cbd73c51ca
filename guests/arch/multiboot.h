/* guests/arch/multiboot.h: the Multiboot v1 constants the boot stubs and
 * rt_main use (Multiboot Specification 0.6.96, sections 3.1 and 3.3). */
#ifndef GUESTS_ARCH_MULTIBOOT_H
#define GUESTS_ARCH_MULTIBOOT_H

#define MB_HEADER_MAGIC 0x1badb002
/* bit 0: align modules on pages, bit 1: give us mem_lower/mem_upper.
 * Bit 16 (a.out kludge) stays clear: both builds are ELF32 images. */
#define MB_HEADER_FLAGS 0x00000003
#define MB_BOOT_MAGIC 0x2badb002

#define MB_INFO_MEM 0x001     /* mem_lower, mem_upper valid */
#define MB_INFO_CMDLINE 0x004 /* cmdline valid */

#ifndef __ASSEMBLER__
#include <stdint.h>
struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB below 640K, KiB above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline; /* physical address of a NUL-terminated string */
};
#endif
#endif

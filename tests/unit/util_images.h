/* util_images.h: kernel images built in memory for the loader tests (ELF32
 * and ELF64 executables, Multiboot headers, a.out-kludge images, bzImages),
 * temporary files to load them from, and capture of the log lines a test
 * provokes. */
#ifndef TESTS_UNIT_UTIL_IMAGES_H
#define TESTS_UNIT_UTIL_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/load/load.h"

/* A growable byte buffer; every image builder returns one (free(data)). */
struct util_img {
	uint8_t *data;
	size_t len;
};

void util_img_put(struct util_img *img, size_t off, const void *src, size_t n);
void util_img_put16(struct util_img *img, size_t off, uint16_t v);
void util_img_put32(struct util_img *img, size_t off, uint32_t v);
void util_img_put64(struct util_img *img, size_t off, uint64_t v);
uint16_t util_get16(const void *p);
uint32_t util_get32(const void *p);
uint64_t util_get64(const void *p);

/* One PT_LOAD segment: (filesz) bytes of (fill) then zeros to (memsz). */
struct util_seg {
	uint64_t paddr;
	uint64_t vaddr;     /* 0: same as paddr */
	uint64_t filesz, memsz;
	uint32_t flags;     /* PF_X 1, PF_W 2, PF_R 4 */
	uint8_t fill;
};

/* Segment data starts at file offset 0x1000 and each following segment at
 * the next 4 KiB boundary; the program headers follow the ELF header. */
#define UTIL_ELF_DATA_OFF 0x1000
size_t util_elf_seg_off(const struct util_seg *segs, unsigned i);

/* ELF32 (EM_386) or ELF64 (EM_X86_64) ET_EXEC images. */
struct util_img util_elf32(const struct util_seg *segs, unsigned n, uint32_t entry);
struct util_img util_elf64(const struct util_seg *segs, unsigned n, uint64_t entry);

/* A Multiboot header with a correct checksum at (off); (aout) non-NULL
 * gives the five address fields (header, load, load_end, bss_end, entry)
 * and sets flags bit 16. */
#define UTIL_MB_MAGIC 0x1badb002u
void util_mb_header(struct util_img *img, size_t off, uint32_t flags, const uint32_t *aout);

/* A Multiboot ELF32 kernel: one code segment at (paddr) of (size) bytes
 * (fill 0x90) with entry at paddr, header at file offset 0x100. */
struct util_img util_mb_elf(uint32_t paddr, uint32_t size, uint32_t flags);

/* An a.out-kludge kernel: header at file offset 0x40 of a (size)-byte
 * image loaded at (load) from file offset 0, bss up to (bss_end) (0: none). */
struct util_img util_mb_aout(uint32_t load, uint32_t size, uint32_t bss_end, uint32_t entry);

/* The setup-header fields a synthetic bzImage gets. */
struct util_bz {
	uint16_t version;        /* 0x20f */
	uint8_t setup_sects;     /* 4 */
	uint8_t loadflags;       /* LOADED_HIGH */
	uint16_t xloadflags;     /* XLF_KERNEL_64 */
	uint8_t relocatable;     /* 1 */
	uint32_t kernel_alignment;   /* 2 MiB */
	uint64_t pref_address;   /* 16 MiB */
	uint32_t init_size;      /* 1 MiB */
	uint32_t initrd_addr_max;    /* 0x7fffffff */
	uint32_t cmdline_size;   /* 2047 */
	uint32_t payload;        /* protected-mode kernel bytes: 0x1000 */
};
void util_bz_defaults(struct util_bz *o);
/* Protected-mode byte i is (uint8_t)(i * 7 + 1). */
struct util_img util_bzimage(const struct util_bz *o);

/* Write (img) to a new temporary file; returns its path (free it with
 * util_temp_remove). */
char *util_temp_write(const void *data, size_t len);
char *util_temp_img(struct util_img *img); /* writes and frees img */
void util_temp_remove(char *path);

/* Capture log lines (vmm_log_set_fd) between begin and end; end returns
 * the text (static buffer, NUL-terminated) and the number of lines. */
void util_log_begin(void);
const char *util_log_end(unsigned *lines);

/* After util_log_begin(): end the capture and assert that (r) is negative
 * and exactly one line was logged, containing (a) and (b) (each may be
 * NULL). Prints the log on failure, or always with UTIL_SHOW_LOG set. */
#define util_expect_error(r, a, b) util_expect_error_at((r), (a), (b), __FILE__, __LINE__)
void util_expect_error_at(int r, const char *a, const char *b, const char *file, int line);

/* A loader test's state: 64 MiB of guest RAM (UTIL_FX_RAM), the params and
 * the result, and the temporary image file. Use util_fx_setup/teardown as
 * cmocka setup/teardown; *state is a struct util_fx. */
#define UTIL_FX_RAM (64 * MiB)
struct util_fx {
	struct guest_mem m;
	struct load_params p;
	struct load_result res;
	char *path;
};
int util_fx_setup(void **state);
int util_fx_teardown(void **state);
/* Write (img) to f->path (freeing img) and load it with (cmdline). */
int util_fx_load(struct util_fx *f, struct util_img *img, const char *cmdline);
/* Load (img) expecting one error line that names the file and (what). */
#define util_fx_refused(fx, img, what)                                         \
	do {                                                                   \
		struct util_fx *f_ = (fx);                                     \
		util_log_begin();                                              \
		int r_ = util_fx_load(f_, (img), NULL);                        \
		util_expect_error(r_, f_->path, (what));                       \
	} while (0)
/* The host address of guest range [a, a+len); fails the test if unbacked. */
uint8_t *util_fx_gpa(struct util_fx *f, gpa_t a, uint64_t len);

#endif

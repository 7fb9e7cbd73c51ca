/* load_multiboot.c: Multiboot v1 kernels (ELF32 or the a.out kludge): the
 * header search and checks, the boot modules, the Multiboot information
 * structure and the 32-bit entry.
 *
 * Spec: "Multiboot Specification version 0.6.96",
 * https://www.gnu.org/software/grub/manual/multiboot/multiboot.html;
 * sections cited as "MB 3.1.2" etc. Modules and the command line follow
 * QEMU's -kernel/-initrd ("path args,path args"; ",," is a literal comma). */
#include "vmm/load/load_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MB_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u /* EAX at entry, MB 3.2 */
#define MB_SEARCH 8192            /* MB 3.1.1: header in the first 8 KiB */
#define MB_PAGE_ALIGN (1u << 0)
#define MB_MEMORY_INFO (1u << 1)
#define MB_VIDEO_MODE (1u << 2)
#define MB_AOUT_KLUDGE (1u << 16)
#define MB_MAX_MODS 32

/* Multiboot information (MB 3.3): flags and field offsets. */
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE_PTR 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_LOADER_NAME_PTR 64
#define MBI_HDR_SIZE 128 /* the structure is 116 bytes; keep strings aligned */
#define MBI_AREA (LOAD_MBI_END - LOAD_MBI_ADDR)

int64_t load_mb_find(const uint8_t *img, uint64_t len, int64_t *bad_off)
{
	*bad_off = -1;
	uint64_t end = VMM_MIN(len, MB_SEARCH);
	for (uint64_t off = 0; off + 12 <= end; off += 4) {
		if (load_le32(img + off) != MB_MAGIC)
			continue;
		uint32_t sum = MB_MAGIC + load_le32(img + off + 4) + load_le32(img + off + 8);
		if (sum == 0)
			return (int64_t)off;
		if (*bad_off < 0)
			*bad_off = (int64_t)off;
	}
	return -1;
}

/* MB 3.1.3: the a.out kludge's address fields place the file's bytes. */
static int parse_aout(const struct load_image *im, uint64_t off, struct load_plan *plan)
{
	const uint8_t *h = im->img + off;
	if (!load_in_file(off, 32, VMM_MIN(im->len, MB_SEARCH))) {
		vmm_err("%s: Multiboot header at %#llx: address fields (flags bit 16) truncated",
			im->name, (unsigned long long)off);
		return -ENOEXEC;
	}
	uint32_t header = load_le32(h + 12), load = load_le32(h + 16);
	uint32_t load_end = load_le32(h + 20), bss_end = load_le32(h + 24);
	uint32_t entry = load_le32(h + 28);
	if (load > header) {
		vmm_err("%s: Multiboot load_addr %#x is above header_addr %#x", im->name, load,
			header);
		return -ENOEXEC;
	}
	if (header - load > off) {
		vmm_err("%s: Multiboot header_addr %#x - load_addr %#x is more than the header's "
			"file offset %#llx", im->name, header, load, (unsigned long long)off);
		return -ENOEXEC;
	}
	uint64_t foff = off - (header - load);
	uint64_t filesz = im->len - foff;
	if (load_end) {
		if (load_end < load || !load_in_file(foff, load_end - load, im->len)) {
			vmm_err("%s: Multiboot load_end_addr %#x: not within load_addr %#x and the "
				"end of the file (%llu bytes)", im->name, load_end, load,
				(unsigned long long)im->len);
			return -ENOEXEC;
		}
		filesz = load_end - load;
	}
	uint64_t memsz = filesz;
	if (bss_end) {
		if (bss_end < load + filesz) {
			vmm_err("%s: Multiboot bss_end_addr %#x is below the end of the loaded "
				"data %#llx", im->name, bss_end, (unsigned long long)(load + filesz));
			return -ENOEXEC;
		}
		memsz = bss_end - load;
	}
	if (load + memsz > 4 * GiB || entry < load || entry - load >= memsz) {
		vmm_err("%s: Multiboot entry_addr %#x is outside the image [%#x-%#llx)",
			im->name, entry, load, (unsigned long long)(load + memsz));
		return -ENOEXEC;
	}
	plan->entry = entry;
	return load_plan_add(im, plan, load, foff, filesz, memsz, 32, "Multiboot a.out image");
}

/* Without the kludge the image must be ELF32 (MB 3.1.3, last paragraph). */
static int parse_elf(const struct load_image *im, uint32_t flags, struct load_plan *plan)
{
	if (im->len < 5 || memcmp(im->img, "\177ELF", 4)) {
		vmm_err("%s: Multiboot header flags %#x have no address fields (bit 16) and the "
			"image is not ELF", im->name, flags);
		return -ENOEXEC;
	}
	if (im->img[4] == 2) {
		vmm_err("%s: Multiboot kernel is ELF64; Multiboot v1 needs ELF32 or the a.out "
			"kludge (flags bit 16)", im->name);
		return -ENOEXEC;
	}
	return load_elf_parse(im, 32, plan);
}

int load_mb_parse(const struct load_image *im, struct load_plan *plan)
{
	int64_t bad;
	int64_t off = load_mb_find(im->img, im->len, &bad);
	if (off < 0 && bad >= 0) {
		const uint8_t *h = im->img + bad;
		vmm_err("%s: Multiboot header at offset %#llx: bad checksum %#x (magic + flags + "
			"checksum = %#x, must be 0)", im->name, (unsigned long long)bad,
			load_le32(h + 8), MB_MAGIC + load_le32(h + 4) + load_le32(h + 8));
		return -ENOEXEC;
	}
	if (off < 0) {
		vmm_err("%s: no Multiboot header (magic 0x1BADB002) in the first %d bytes",
			im->name, MB_SEARCH);
		return -ENOEXEC;
	}
	/* MB 3.1.2: bits 0-15 are requirements a loader must refuse if it cannot
	 * meet them; 0 (page-aligned modules) and 1 (memory info) are always met. */
	uint32_t flags = load_le32(im->img + off + 4);
	uint32_t unmet = flags & 0xffff & ~(MB_PAGE_ALIGN | MB_MEMORY_INFO);
	if (unmet) {
		unsigned bit = (unsigned)__builtin_ctz(unmet);
		vmm_err("%s: Multiboot header flags %#x: required bit %u (%s) is not supported",
			im->name, flags, bit, bit == 2 ? "video mode" : "unknown");
		return -ENOTSUP;
	}
	plan->format = LOAD_MULTIBOOT;
	plan->bits = 32;
	plan->min_addr = LOAD_MB_FLOOR;
	plan->mb_flags = flags;
	if (flags & MB_AOUT_KLUDGE)
		return parse_aout(im, (uint64_t)off, plan);
	return parse_elf(im, flags, plan);
}

struct mb_module {
	char *str;           /* "path args", the module's string */
	char *path;
	struct load_file f;
	bool open;
	gpa_t addr;
};

struct mb_boot {
	char *spec;          /* the module list, split in place */
	struct mb_module mod[MB_MAX_MODS];
	unsigned nr_mod;
	gpa_t base;          /* the info area: LOAD_MBI_ADDR, or above a low kernel */
	uint8_t *mbi;        /* host copy of [base, base + MBI_AREA) */
	uint64_t used;
	gpa_t cmdline;
	uint32_t cmdline_size;
};

static void boot_fini(struct mb_boot *b)
{
	for (unsigned i = 0; i < b->nr_mod; i++) {
		if (b->mod[i].open)
			load_file_close(&b->mod[i].f);
		free(b->mod[i].path);
	}
	free(b->spec);
	free(b->mbi);
}

/* Split "a args,b,,c" into entries "a args" and "b,c" (QEMU's -initrd). */
static int split_modules(const char *list, struct mb_boot *b)
{
	char *r = b->spec = strdup(list), *w = r, *start = r;
	if (!r) {
		vmm_err("load: module list: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (;;) {
		if (r[0] == ',' && r[1] == ',') {
			*w++ = ',';
			r += 2;
			continue;
		}
		if (*r && *r != ',') {
			*w++ = *r++;
			continue;
		}
		bool last = !*r;
		*w++ = 0;
		if (!*start || b->nr_mod == MB_MAX_MODS) {
			vmm_err("load: module list '%s': %s", list,
				*start ? "more than 32 modules" : "empty entry");
			return -EINVAL;
		}
		b->mod[b->nr_mod++].str = start;
		if (last)
			return 0;
		r++;
		start = w;
	}
}

/* Open every module and place it page-aligned after the kernel (and the
 * previous module), as MB 3.3 lets us and flags bit 0 may demand; never in
 * the reserved 640 KiB-1 MiB area. */
static int place_modules(const struct guest_mem *m, const struct load_plan *plan,
			 struct mb_boot *b)
{
	gpa_t cur = VMM_ALIGN_UP(load_plan_end(plan), 4096);
	if (b->base != LOAD_MBI_ADDR)
		cur = b->base + MBI_AREA;
	for (unsigned i = 0; i < b->nr_mod; i++) {
		struct mb_module *mod = &b->mod[i];
		mod->path = strndup(mod->str, strcspn(mod->str, " "));
		if (!mod->path) {
			vmm_err("load: module '%s': %s", mod->str, strerror(ENOMEM));
			return -ENOMEM;
		}
		int r = load_file_open(&mod->f, mod->path);
		if (r)
			return r;
		mod->open = true;
		if (cur < 1 * MiB && cur + mod->f.len > MEM_EBDA_BASE)
			cur = 1 * MiB; /* keep clear of the EBDA, VGA and BIOS areas */
		if (!load_ram_ok(m, cur, VMM_MAX(mod->f.len, 1))) {
			vmm_err("%s: module of %llu bytes at %#llx does not fit in guest RAM (low "
				"RAM ends at %#llx)", mod->path, (unsigned long long)mod->f.len,
				(unsigned long long)cur, (unsigned long long)load_ram_end(m));
			return -ENOSPC;
		}
		mod->addr = cur;
		cur = VMM_ALIGN_UP(cur + mod->f.len, 4096);
	}
	return 0;
}

/* Room for (size) bytes in the info area: its guest address, or 0. */
static gpa_t mbi_alloc(struct mb_boot *b, uint64_t size, uint64_t align)
{
	uint64_t off = VMM_ALIGN_UP(b->used, align);
	if (off > MBI_AREA || size > MBI_AREA - off)
		return 0;
	b->used = off + size;
	return b->base + off;
}

static uint8_t *mbi_ptr(struct mb_boot *b, gpa_t gpa)
{
	return b->mbi + (gpa - b->base);
}

/* A NUL-terminated string made of (a) and, if not NULL, " " and (c). */
static gpa_t mbi_str(struct mb_boot *b, const char *a, const char *c)
{
	size_t la = strlen(a), lc = c ? strlen(c) + 1 : 0;
	gpa_t g = mbi_alloc(b, la + lc + 1, 1);
	if (g) {
		uint8_t *p = mbi_ptr(b, g);
		memcpy(p, a, la);
		if (c) {
			p[la] = ' ';
			memcpy(p + la + 1, c, lc - 1);
		}
		p[la + lc] = 0;
	}
	return g;
}

/* MB 3.3 memory map: entries of size 20 (not counting the size field). */
static gpa_t mbi_mmap(const struct guest_mem *m, struct mb_boot *b, uint32_t *len)
{
	struct e820_entry e[MEM_MAX_E820];
	unsigned n = mem_e820(m, e, MEM_MAX_E820);
	gpa_t g = mbi_alloc(b, 24ull * n, 8);
	for (unsigned i = 0; g && i < n; i++) {
		uint8_t *p = mbi_ptr(b, g) + 24 * i;
		load_put32(p, 20);
		load_put64(p + 4, e[i].addr);
		load_put64(p + 12, e[i].size);
		load_put32(p + 20, e[i].type);
	}
	*len = 24 * n;
	return g;
}

/* Build the information structure in b->mbi (MB 3.3). The command line is
 * the kernel path and the arguments, as QEMU passes them. */
static int build_mbi(const struct load_image *im, const struct guest_mem *m, struct mb_boot *b)
{
	uint32_t mmap_len;
	b->mbi = calloc(1, MBI_AREA);
	if (!b->mbi) {
		vmm_err("%s: Multiboot information: %s", im->name, strerror(ENOMEM));
		return -ENOMEM;
	}
	gpa_t info = mbi_alloc(b, MBI_HDR_SIZE, 8);
	gpa_t mmap = mbi_mmap(m, b, &mmap_len);
	gpa_t mods = mbi_alloc(b, 16ull * b->nr_mod, 8);
	gpa_t cmd = mbi_str(b, im->name, im->p->cmdline ? im->p->cmdline : "");
	gpa_t name = mbi_str(b, "Triplex", NULL);
	bool ok = info && mmap && mods && cmd && name;
	for (unsigned i = 0; ok && i < b->nr_mod; i++) {
		gpa_t s = mbi_str(b, b->mod[i].str, NULL);
		uint8_t *p = mbi_ptr(b, mods) + 16 * i;
		load_put32(p, (uint32_t)b->mod[i].addr);
		load_put32(p + 4, (uint32_t)(b->mod[i].addr + b->mod[i].f.len));
		load_put32(p + 8, (uint32_t)s);
		ok = s != 0;
	}
	if (!ok) {
		vmm_err("%s: Multiboot information (command line, module list, memory map) "
			"does not fit in the %#llx bytes at %#llx", im->name, MBI_AREA,
			(unsigned long long)b->base);
		return -E2BIG;
	}
	uint8_t *p = mbi_ptr(b, info);
	load_put32(p + MBI_FLAGS, MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME);
	load_put32(p + MBI_MEM_LOWER, (uint32_t)(MEM_EBDA_BASE / KiB));
	load_put32(p + MBI_MEM_UPPER, (uint32_t)((load_ram_end(m) - 1 * MiB) / KiB));
	load_put32(p + MBI_CMDLINE_PTR, (uint32_t)cmd);
	load_put32(p + MBI_MODS_COUNT, b->nr_mod);
	load_put32(p + MBI_MODS_ADDR, (uint32_t)mods);
	load_put32(p + MBI_MMAP_LENGTH, mmap_len);
	load_put32(p + MBI_MMAP_ADDR, (uint32_t)mmap);
	load_put32(p + MBI_LOADER_NAME_PTR, (uint32_t)name);
	b->cmdline = cmd;
	b->cmdline_size = (uint32_t)strlen((char *)mbi_ptr(b, cmd)) + 1;
	return 0;
}

/* A kernel loaded below LOAD_MBI_END (QEMU allows down to 0x8000) would
 * overlap the information area: it moves to the first page after the
 * kernel (skipping the 640 KiB-1 MiB area), and the modules follow it. */
static int place_mbi(const struct load_image *im, const struct guest_mem *m,
		     const struct load_plan *plan, struct mb_boot *b)
{
	gpa_t lo = UINT64_MAX, hi = load_plan_end(plan);
	for (unsigned i = 0; i < plan->nr_seg; i++)
		lo = VMM_MIN(lo, plan->seg[i].gpa);
	b->base = LOAD_MBI_ADDR;
	if (lo >= LOAD_MBI_END || hi <= LOAD_MBI_ADDR)
		return 0;
	b->base = VMM_ALIGN_UP(hi, 4096);
	if (b->base < 1 * MiB && b->base + MBI_AREA > MEM_EBDA_BASE)
		b->base = 1 * MiB;
	if (!load_ram_ok(m, b->base, MBI_AREA)) {
		vmm_err("%s: no room for the Multiboot information (%#llx bytes) after the kernel "
			"at %#llx (low RAM ends at %#llx)", im->name, MBI_AREA,
			(unsigned long long)b->base, (unsigned long long)load_ram_end(m));
		return -ENOSPC;
	}
	return 0;
}

static int prepare(const struct load_image *im, const struct guest_mem *m,
		   const struct load_plan *plan, struct mb_boot *b)
{
	int r = place_mbi(im, m, plan, b);
	if (!r && im->p->initrd && *im->p->initrd)
		r = split_modules(im->p->initrd, b);
	if (!r)
		r = place_modules(m, plan, b);
	if (!r)
		r = build_mbi(im, m, b);
	return r;
}

static int commit(const struct load_image *im, const struct guest_mem *m,
		  const struct load_plan *plan, struct mb_boot *b, struct load_result *res)
{
	int r = load_plan_copy(im, m, plan, res);
	for (unsigned i = 0; !r && i < b->nr_mod; i++)
		if (mem_write(m, b->mod[i].addr, b->mod[i].f.data, b->mod[i].f.len)) {
			vmm_err("%s: cannot write module at %#llx", b->mod[i].path,
				(unsigned long long)b->mod[i].addr);
			r = -EFAULT;
		}
	if (!r && mem_write(m, b->base, b->mbi, b->used)) {
		vmm_err("%s: cannot write the Multiboot information", im->name);
		r = -EFAULT;
	}
	if (!r)
		r = load_x86_gdt(m, false);
	return r;
}

int load_mb_load(const struct load_image *im, const struct guest_mem *m,
		 const struct load_plan *plan, struct load_result *res)
{
	struct mb_boot b;
	memset(&b, 0, sizeof(b));
	int r = prepare(im, m, plan, &b);
	if (!r)
		r = commit(im, m, plan, &b, res);
	if (!r) {
		load_x86_state_prot32(&res->entry, plan->entry);
		res->entry.gpr[X86_RAX] = MB_BOOT_MAGIC;
		res->entry.gpr[X86_RBX] = b.base;
		res->cmdline_addr = b.cmdline;
		res->cmdline_size = b.cmdline_size;
		if (b.nr_mod) {
			const struct mb_module *last = &b.mod[b.nr_mod - 1];
			res->initrd_addr = b.mod[0].addr;
			res->initrd_size = last->addr + last->f.len - b.mod[0].addr;
		}
	}
	boot_fini(&b);
	return r;
}

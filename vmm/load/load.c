/* load.c: the loaders' front door: reading the image file, detecting its
 * format, dispatching to the format's parser and loader, checking every
 * segment against guest RAM before anything is written, the guest_info a
 * probe returns (with the image's FNV-1a hash) and format names.
 *
 * Flow: load_file_open -> parse (a struct load_plan, no guest memory) ->
 * plan_check (addresses against RAM) -> the format's loader (more checks,
 * then the writes and the entry state). */
#include "vmm/load/load_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int file_map(struct load_file *f, int fd, uint64_t size)
{
	if (size == 0) {
		f->data = (const uint8_t *)"";
		return 0;
	}
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		vmm_err("%s: cannot read: %s", f->path, strerror(e));
		return -e;
	}
	f->map = p;
	f->map_len = size;
	f->data = p;
	f->len = size;
	return 0;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
	       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

int load_file_open(struct load_file *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		vmm_err("%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	int r;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		vmm_err("%s: cannot open: %s", path, strerror(-r));
	} else if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		vmm_err("%s: %s, not an image file", path, file_kind(st.st_mode));
	} else if ((uint64_t)st.st_size > LOAD_FILE_MAX) {
		r = -EFBIG;
		vmm_err("%s: %llu bytes, more than an image may have (%llu MiB)", path,
			(unsigned long long)st.st_size, LOAD_FILE_MAX / MiB);
	} else {
		r = file_map(f, fd, (uint64_t)st.st_size);
	}
	(void)close(fd); /* read-only: nothing to flush */
	return r;
}

void load_file_close(struct load_file *f)
{
	if (f->map)
		(void)munmap(f->map, f->map_len); /* best effort */
	memset(f, 0, sizeof(*f));
}

static const char *const format_names[] = {
	[LOAD_AUTO] = "auto",       [LOAD_MULTIBOOT] = "multiboot", [LOAD_ELF64] = "elf64",
	[LOAD_BZIMAGE] = "bzimage", [LOAD_FLAT] = "flat",
};

int load_format_parse(const char *s, enum load_format *out)
{
	for (unsigned i = 0; s && i < VMM_ARRAY_SIZE(format_names); i++)
		if (!strcmp(s, format_names[i])) {
			*out = (enum load_format)i;
			return 0;
		}
	return -EINVAL;
}

const char *load_format_name(enum load_format f)
{
	if ((unsigned)f < VMM_ARRAY_SIZE(format_names))
		return format_names[f];
	return "unknown";
}

static bool is_bzimage(const uint8_t *img, uint64_t len)
{
	return len >= LX_HEADER + 4 && load_le16(img + LX_BOOT_FLAG) == 0xaa55 &&
	       load_le32(img + LX_HEADER) == LX_HDRS_MAGIC;
}

/* LOAD_AUTO: bzImage, then a Multiboot header, then ELF64 (load.h). */
static int parse_auto(const struct load_image *im, struct load_plan *plan)
{
	int64_t bad_off;
	if (!im->len) {
		vmm_err("%s: file is empty", im->name);
		return -ENOEXEC;
	}
	if (is_bzimage(im->img, im->len))
		return load_linux_parse(im, plan);
	if (load_mb_find(im->img, im->len, &bad_off) >= 0)
		return load_mb_parse(im, plan);
	bool elf = im->len >= 5 && !memcmp(im->img, "\177ELF", 4);
	if (elf && im->img[4] == 2)
		return load_elf64_parse(im, plan);
	if (bad_off >= 0)
		return load_mb_parse(im, plan); /* names the bad checksum */
	if (elf) {
		if (im->img[4] == 1) {
			vmm_err("%s: ELF32 image without a Multiboot header (32-bit ELF kernels "
				"must be Multiboot; 64-bit ones ELF64)", im->name);
			return -ENOEXEC;
		}
	}
	vmm_err("%s: not a Multiboot, ELF64 or bzImage kernel (use --format flat with "
		"--load-addr for raw binaries)", im->name);
	return -ENOEXEC;
}

static int parse(const struct load_image *im, struct load_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	switch (im->p->format) {
	case LOAD_AUTO: return parse_auto(im, plan);
	case LOAD_MULTIBOOT: return load_mb_parse(im, plan);
	case LOAD_ELF64: return load_elf64_parse(im, plan);
	case LOAD_BZIMAGE: return load_linux_parse(im, plan);
	case LOAD_FLAT: return load_flat_parse(im, plan);
	}
	vmm_err("%s: unknown image format %d", im->name, (int)im->p->format);
	return -EINVAL;
}

int load_plan_add(const struct load_image *im, struct load_plan *plan, gpa_t gpa,
		  uint64_t off, uint64_t filesz, uint64_t memsz, unsigned bits, const char *what)
{
	if (plan->nr_seg == LOAD_MAX_SEGS) {
		vmm_err("%s: too many segments to load (more than %d)", im->name, LOAD_MAX_SEGS);
		return -E2BIG;
	}
	struct load_seg *s = &plan->seg[plan->nr_seg++];
	*s = (struct load_seg){ .gpa = gpa, .off = off, .filesz = filesz, .memsz = memsz,
				.bits = bits };
	snprintf(s->what, sizeof(s->what), "%s", what);
	return 0;
}

bool load_ram_ok(const struct guest_mem *m, gpa_t gpa, uint64_t size)
{
	if (gpa + size < gpa)
		return false;
	const struct mem_region *r = mem_find(m, gpa);
	return r && (r->flags & MEM_RAM) && size <= r->size - (gpa - r->gpa);
}

uint64_t load_ram_end(const struct guest_mem *m)
{
	return mem_lowmem_size(m);
}

gpa_t load_plan_end(const struct load_plan *plan)
{
	gpa_t end = 0;
	for (unsigned i = 0; i < plan->nr_seg; i++)
		end = VMM_MAX(end, plan->seg[i].gpa + plan->seg[i].memsz);
	return end;
}

/* Every segment at or above the format's floor and, when (m) is given,
 * inside guest RAM. Parsers have checked that gpa + memsz does not wrap. */
static int plan_check(const struct load_image *im, const struct guest_mem *m,
		      const struct load_plan *plan)
{
	for (unsigned i = 0; i < plan->nr_seg; i++) {
		const struct load_seg *s = &plan->seg[i];
		unsigned long long a = s->gpa, e = s->gpa + s->memsz;
		if (s->gpa < plan->min_addr) {
			vmm_err("%s: %s [%#llx-%#llx) is below %#llx, where the loader keeps "
				"its boot data (docs/boot.md)",
				im->name, s->what, a, e, (unsigned long long)plan->min_addr);
			return -EINVAL;
		}
		if (m && !load_ram_ok(m, s->gpa, s->memsz)) {
			vmm_err("%s: %s [%#llx-%#llx) does not fit in guest RAM (%llu MiB, "
				"low RAM ends at %#llx)", im->name, s->what, a, e,
				(unsigned long long)(m->ram_size / MiB),
				(unsigned long long)load_ram_end(m));
			return -ENOSPC;
		}
	}
	return 0;
}

int load_plan_copy(const struct load_image *im, const struct guest_mem *m,
		   const struct load_plan *plan, struct load_result *res)
{
	gpa_t lo = UINT64_MAX, hi = 0;
	for (unsigned i = 0; i < plan->nr_seg; i++) {
		const struct load_seg *s = &plan->seg[i];
		uint8_t *dst = mem_gpa_to_hva(m, s->gpa, s->memsz);
		if (!dst) {
			vmm_err("%s: %s at %#llx: guest memory not writable", im->name, s->what,
				(unsigned long long)s->gpa);
			return -EFAULT;
		}
		memcpy(dst, im->img + s->off, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
		lo = VMM_MIN(lo, s->gpa);
		hi = VMM_MAX(hi, s->gpa + s->memsz);
	}
	res->kernel_addr = plan->nr_seg ? lo : 0;
	res->kernel_size = plan->nr_seg ? hi - lo : 0;
	return 0;
}

static void fill_info(const struct load_image *im, const struct load_plan *plan,
		      struct guest_info *info)
{
	memset(info, 0, sizeof(*info));
	info->format = plan->format;
	info->bits = plan->bits;
	info->entry_mode = plan->bits == 16 ? "real" : plan->bits == 32 ? "prot32" : "long";
	info->entry = plan->entry;
	for (unsigned i = 0; i < plan->nr_seg && info->nr_code < GUEST_MAX_CODE; i++) {
		const struct load_seg *s = &plan->seg[i];
		if (!s->bits)
			continue;
		info->code[info->nr_code].gpa = s->gpa;
		info->code[info->nr_code].file_off = s->off;
		info->code[info->nr_code].size = s->filesz;
		info->code[info->nr_code].bits = s->bits;
		info->nr_code++;
	}
	info->image_size = im->len;
	info->image_hash = vmm_fnv1a(VMM_FNV_INIT, im->img, (size_t)im->len);
	const char *base = strrchr(im->name, '/');
	snprintf(info->name, sizeof(info->name), "%s", base ? base + 1 : im->name);
}

int load_probe_image(const char *name, const uint8_t *img, uint64_t len,
		     const struct load_params *p, struct guest_info *info)
{
	static const struct load_params auto_params = { .format = LOAD_AUTO };
	struct load_image im = { .name = name, .img = img, .len = len, .p = p ? p : &auto_params };
	struct load_plan plan;
	int r = parse(&im, &plan);
	if (!r)
		r = plan_check(&im, NULL, &plan);
	if (!r)
		fill_info(&im, &plan, info);
	return r;
}

static int check_params(const struct load_params *p)
{
	if (!p->kernel || !*p->kernel) {
		vmm_err("load: no kernel image given");
		return -EINVAL;
	}
	return 0;
}

int load_probe(const struct load_params *p, struct guest_info *info)
{
	struct load_file f;
	int r = check_params(p);
	if (!r)
		r = load_file_open(&f, p->kernel);
	if (r)
		return r;
	r = load_probe_image(p->kernel, f.data, f.len, p, info);
	load_file_close(&f);
	return r;
}

typedef int (*load_fn)(const struct load_image *im, const struct guest_mem *m,
		       const struct load_plan *plan, struct load_result *res);

static const load_fn loaders[] = {
	[LOAD_MULTIBOOT] = load_mb_load,
	[LOAD_ELF64] = load_elf64_load,
	[LOAD_BZIMAGE] = load_linux_load,
	[LOAD_FLAT] = load_flat_load,
};

int load_kernel(const struct guest_mem *m, const struct load_params *p,
		struct load_result *res)
{
	memset(res, 0, sizeof(*res));
	struct load_file f;
	int r = check_params(p);
	if (!r)
		r = load_file_open(&f, p->kernel);
	if (r)
		return r;
	struct load_image im = { .name = p->kernel, .img = f.data, .len = f.len, .p = p };
	struct load_plan plan;
	r = parse(&im, &plan);
	if (!r)
		r = plan_check(&im, m, &plan);
	if (!r) {
		VMM_ASSERT(plan.format > LOAD_AUTO && plan.format <= LOAD_FLAT);
		fill_info(&im, &plan, &res->info);
		r = loaders[plan.format](&im, m, &plan, res);
	}
	load_file_close(&f);
	if (r)
		memset(res, 0, sizeof(*res));
	return r;
}

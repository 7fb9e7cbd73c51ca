/* util_images.c: in-memory kernel images (ELF32/ELF64, Multiboot, a.out
 * kludge, bzImage) for the loader tests, temporary files and log capture.
 * Builders abort on allocation failure: they only run in tests. */
#include "tests/unit/util_images.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/core/vmm.h"

static void img_grow(struct util_img *img, size_t len)
{
	if (len <= img->len)
		return;
	img->data = realloc(img->data, len);
	if (!img->data)
		abort();
	memset(img->data + img->len, 0, len - img->len);
	img->len = len;
}

void util_img_put(struct util_img *img, size_t off, const void *src, size_t n)
{
	img_grow(img, off + n);
	memcpy(img->data + off, src, n);
}

void util_img_put16(struct util_img *img, size_t off, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	util_img_put(img, off, b, 2);
}

void util_img_put32(struct util_img *img, size_t off, uint32_t v)
{
	util_img_put16(img, off, (uint16_t)v);
	util_img_put16(img, off + 2, (uint16_t)(v >> 16));
}

void util_img_put64(struct util_img *img, size_t off, uint64_t v)
{
	util_img_put32(img, off, (uint32_t)v);
	util_img_put32(img, off + 4, (uint32_t)(v >> 32));
}

uint16_t util_get16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

uint32_t util_get32(const void *p)
{
	const uint8_t *b = p;
	return util_get16(b) | (uint32_t)util_get16(b + 2) << 16;
}

uint64_t util_get64(const void *p)
{
	const uint8_t *b = p;
	return util_get32(b) | (uint64_t)util_get32(b + 4) << 32;
}

size_t util_elf_seg_off(const struct util_seg *segs, unsigned i)
{
	size_t off = UTIL_ELF_DATA_OFF;
	for (unsigned j = 0; j < i; j++)
		off = VMM_ALIGN_UP(off + segs[j].filesz, 4096);
	return off;
}

static void elf_ident(struct util_img *img, unsigned cls)
{
	uint8_t id[16] = { 0x7f, 'E', 'L', 'F', cls == 64 ? 2 : 1, 1, 1 };
	util_img_put(img, 0, id, sizeof(id));
	util_img_put16(img, 16, 2);                  /* ET_EXEC */
	util_img_put16(img, 18, cls == 64 ? 62 : 3); /* EM_X86_64 / EM_386 */
	util_img_put32(img, 20, 1);
}

static void seg_data(struct util_img *img, const struct util_seg *segs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		size_t off = util_elf_seg_off(segs, i);
		img_grow(img, off + segs[i].filesz);
		memset(img->data + off, segs[i].fill, segs[i].filesz);
	}
}

struct util_img util_elf32(const struct util_seg *segs, unsigned n, uint32_t entry)
{
	struct util_img img = { 0 };
	elf_ident(&img, 32);
	util_img_put32(&img, 24, entry);
	util_img_put32(&img, 28, 52);  /* e_phoff */
	util_img_put16(&img, 40, 52);  /* e_ehsize */
	util_img_put16(&img, 42, 32);  /* e_phentsize */
	util_img_put16(&img, 44, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		size_t ph = 52 + 32 * i;
		const struct util_seg *s = &segs[i];
		util_img_put32(&img, ph, 1); /* PT_LOAD */
		util_img_put32(&img, ph + 4, (uint32_t)util_elf_seg_off(segs, i));
		util_img_put32(&img, ph + 8, (uint32_t)(s->vaddr ? s->vaddr : s->paddr));
		util_img_put32(&img, ph + 12, (uint32_t)s->paddr);
		util_img_put32(&img, ph + 16, (uint32_t)s->filesz);
		util_img_put32(&img, ph + 20, (uint32_t)s->memsz);
		util_img_put32(&img, ph + 24, s->flags);
		util_img_put32(&img, ph + 28, 4096);
	}
	seg_data(&img, segs, n);
	return img;
}

struct util_img util_elf64(const struct util_seg *segs, unsigned n, uint64_t entry)
{
	struct util_img img = { 0 };
	elf_ident(&img, 64);
	util_img_put64(&img, 24, entry);
	util_img_put64(&img, 32, 64);  /* e_phoff */
	util_img_put16(&img, 52, 64);  /* e_ehsize */
	util_img_put16(&img, 54, 56);  /* e_phentsize */
	util_img_put16(&img, 56, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		size_t ph = 64 + 56 * i;
		const struct util_seg *s = &segs[i];
		util_img_put32(&img, ph, 1);
		util_img_put32(&img, ph + 4, s->flags);
		util_img_put64(&img, ph + 8, util_elf_seg_off(segs, i));
		util_img_put64(&img, ph + 16, s->vaddr ? s->vaddr : s->paddr);
		util_img_put64(&img, ph + 24, s->paddr);
		util_img_put64(&img, ph + 32, s->filesz);
		util_img_put64(&img, ph + 40, s->memsz);
		util_img_put64(&img, ph + 48, 4096);
	}
	seg_data(&img, segs, n);
	return img;
}

void util_mb_header(struct util_img *img, size_t off, uint32_t flags, const uint32_t *aout)
{
	if (aout)
		flags |= 1u << 16;
	util_img_put32(img, off, UTIL_MB_MAGIC);
	util_img_put32(img, off + 4, flags);
	util_img_put32(img, off + 8, 0u - UTIL_MB_MAGIC - flags);
	for (unsigned i = 0; aout && i < 5; i++)
		util_img_put32(img, off + 12 + 4 * i, aout[i]);
}

struct util_img util_mb_elf(uint32_t paddr, uint32_t size, uint32_t flags)
{
	struct util_seg seg = { .paddr = paddr, .filesz = size, .memsz = size,
				.flags = 5, .fill = 0x90 };
	struct util_img img = util_elf32(&seg, 1, paddr);
	util_mb_header(&img, 0x100, flags, NULL);
	return img;
}

struct util_img util_mb_aout(uint32_t load, uint32_t size, uint32_t bss_end, uint32_t entry)
{
	struct util_img img = { 0 };
	img_grow(&img, size);
	memset(img.data, 0xf4, size);
	uint32_t aout[5] = { load + 0x40, load, load + size, bss_end, entry };
	util_mb_header(&img, 0x40, 0x3, aout);
	return img;
}

void util_bz_defaults(struct util_bz *o)
{
	*o = (struct util_bz){
		.version = 0x20f, .setup_sects = 4, .loadflags = 0x01, .xloadflags = 0x1,
		.relocatable = 1, .kernel_alignment = 2 * MiB, .pref_address = 16 * MiB,
		.init_size = 1 * MiB, .initrd_addr_max = 0x7fffffff, .cmdline_size = 2047,
		.payload = 0x1000,
	};
}

struct util_img util_bzimage(const struct util_bz *o)
{
	struct util_img img = { 0 };
	size_t setup = ((o->setup_sects ? o->setup_sects : 4) + 1) * 512u;
	img_grow(&img, setup + o->payload);
	img.data[0x1f1] = o->setup_sects;
	util_img_put16(&img, 0x1fe, 0xaa55);
	img.data[0x200] = 0xeb; /* jmp short to the end of the header */
	img.data[0x201] = 0x6a;
	util_img_put(&img, 0x202, "HdrS", 4);
	util_img_put16(&img, 0x206, o->version);
	img.data[0x211] = o->loadflags;
	util_img_put32(&img, 0x214, 0x100000);  /* code32_start */
	util_img_put32(&img, 0x22c, o->initrd_addr_max);
	util_img_put32(&img, 0x230, o->kernel_alignment);
	img.data[0x234] = o->relocatable;
	util_img_put16(&img, 0x236, o->xloadflags);
	util_img_put32(&img, 0x238, o->cmdline_size);
	util_img_put64(&img, 0x258, o->pref_address);
	util_img_put32(&img, 0x260, o->init_size);
	for (size_t i = 0; i < o->payload; i++)
		img.data[setup + i] = (uint8_t)(i * 7 + 1);
	return img;
}

char *util_temp_write(const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *path = malloc(strlen(dir) + 32);
	if (!path)
		abort();
	sprintf(path, "%s/triplex-img-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	if (len && write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

char *util_temp_img(struct util_img *img)
{
	char *path = util_temp_write(img->data, img->len);
	free(img->data);
	img->data = NULL;
	img->len = 0;
	return path;
}

void util_temp_remove(char *path)
{
	unlink(path);
	free(path);
}

static FILE *log_file;
static char log_text[8192];

void util_log_begin(void)
{
	log_file = tmpfile();
	if (!log_file)
		abort();
	vmm_log_set_fd(fileno(log_file));
}

const char *util_log_end(unsigned *lines)
{
	vmm_log_set_fd(2);
	rewind(log_file);
	size_t n = fread(log_text, 1, sizeof(log_text) - 1, log_file);
	log_text[n] = 0;
	fclose(log_file);
	log_file = NULL;
	unsigned count = 0;
	for (size_t i = 0; i < n; i++)
		count += log_text[i] == '\n';
	if (lines)
		*lines = count;
	return log_text;
}

void util_expect_error_at(int r, const char *a, const char *b, const char *file, int line)
{
	unsigned lines;
	const char *log = util_log_end(&lines);
	if (getenv("UTIL_SHOW_LOG")) /* for reviewing the messages */
		fprintf(stderr, "%s", log);
	if (r < 0 && lines == 1 && (!a || strstr(log, a)) && (!b || strstr(log, b)))
		return;
	print_error("%s:%d: expected an error and one log line with '%s' and '%s'; got %d "
		    "and %u lines:\n%s", file, line, a ? a : "", b ? b : "", r, lines, log);
	_fail(file, line);
}

int util_fx_setup(void **state)
{
	struct util_fx *f = calloc(1, sizeof(*f));
	if (!f || mem_init(&f->m, UTIL_FX_RAM)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int util_fx_teardown(void **state)
{
	struct util_fx *f = *state;
	if (f->path)
		util_temp_remove(f->path);
	mem_fini(&f->m);
	free(f);
	return 0;
}

int util_fx_load(struct util_fx *f, struct util_img *img, const char *cmdline)
{
	f->path = util_temp_img(img);
	f->p.kernel = f->path;
	f->p.cmdline = cmdline;
	return load_kernel(&f->m, &f->p, &f->res);
}

uint8_t *util_fx_gpa(struct util_fx *f, gpa_t a, uint64_t len)
{
	uint8_t *p = mem_gpa_to_hva(&f->m, a, len);
	assert_non_null(p);
	return p;
}

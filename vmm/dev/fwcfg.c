/* fwcfg.c: QEMU's firmware configuration device, traditional I/O interface
 * (QEMU docs/specs/fw_cfg.rst): a 16-bit selector write to 0x510 picks an
 * item and rewinds it; 8-bit reads from 0x511 (or 0x510) return its bytes in
 * order, then zeros past the end. No DMA interface (ID bit 1 clear), and
 * data writes are ignored as in current QEMU.
 *
 * Items are copies kept in an array; integers are little-endian except the
 * file directory (key 0x19), which is big-endian as QEMU's FWCfgFiles:
 *     be32 count; { be32 size; be16 select; be16 reserved; char name[56]; }[]
 * sorted by name. Files get keys from 0x20 up in the order they are added;
 * adding a file whose name exists replaces its contents and keeps its key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/dev_internal.h"

#define FW_CFG_WRITE_CHANNEL 0x4000 /* selector flag, ignored for lookup */
#define FW_CFG_MAX_FILE (0x3fff - FW_CFG_FILE_FIRST)
#define FW_CFG_NAME_MAX 56

struct fwcfg_item {
	uint16_t key;
	uint32_t len;
	uint8_t *data;
};

struct fwcfg_file {
	char name[FW_CFG_NAME_MAX];
	uint16_t key;
};

struct fwcfg {
	struct vm *vm;
	pthread_mutex_t lock;
	struct fwcfg_item *items;
	unsigned nr_items, cap_items;
	struct fwcfg_file *files;
	unsigned nr_files, cap_files;
	uint16_t sel;       /* selected key (write flag stripped) */
	int cur;            /* its index in items[], or -1 */
	uint32_t off;       /* next byte of the selected item */
};

static int fwcfg_find(const struct fwcfg *f, uint16_t key)
{
	for (unsigned i = 0; i < f->nr_items; i++)
		if (f->items[i].key == key)
			return (int)i;
	return -1;
}

static int fwcfg_grow(void **arr, unsigned *cap, unsigned nr, size_t elem)
{
	if (nr < *cap)
		return 0;
	unsigned ncap = *cap ? *cap * 2 : 16;
	void *n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* Add or replace (key); takes ownership of (data). Lock held. */
static int fwcfg_put(struct fwcfg *f, uint16_t key, uint8_t *data, uint32_t len)
{
	int i = fwcfg_find(f, key);
	if (i < 0) {
		if (fwcfg_grow((void **)&f->items, &f->cap_items, f->nr_items, sizeof(*f->items))) {
			free(data);
			return -ENOMEM;
		}
		i = (int)f->nr_items++;
	} else {
		free(f->items[i].data);
	}
	f->items[i] = (struct fwcfg_item){ .key = key, .len = len, .data = data };
	f->cur = fwcfg_find(f, f->sel); /* the selection keeps its offset */
	return 0;
}

static int fwcfg_put_copy(struct fwcfg *f, uint16_t key, const void *data, uint32_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	return fwcfg_put(f, key, copy, len);
}

int fwcfg_add_bytes(struct fwcfg *f, uint16_t key, const void *data, uint32_t len)
{
	pthread_mutex_lock(&f->lock);
	int r = fwcfg_put_copy(f, key & ~FW_CFG_WRITE_CHANNEL, data, len);
	pthread_mutex_unlock(&f->lock);
	if (r)
		vmm_err("fw_cfg: cannot add item %#x (%u bytes): %s", key, len, strerror(-r));
	return r;
}

int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	return fwcfg_add_bytes(f, key, b, sizeof(b));
}

int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v)
{
	uint8_t b[4];
	for (unsigned i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fwcfg_add_bytes(f, key, b, sizeof(b));
}

int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	for (unsigned i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fwcfg_add_bytes(f, key, b, sizeof(b));
}

static void put_be(uint8_t *p, uint32_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static int fwcfg_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fwcfg_file *)a)->name, ((const struct fwcfg_file *)b)->name);
}

/* Rebuild the directory item from files[] (kept sorted). Lock held. */
static int fwcfg_build_dir(struct fwcfg *f)
{
	const size_t entry = 4 + 2 + 2 + FW_CFG_NAME_MAX;
	uint32_t len = (uint32_t)(4 + f->nr_files * entry);
	uint8_t *dir = calloc(1, len);
	if (!dir)
		return -ENOMEM;
	put_be(dir, f->nr_files, 4);
	for (unsigned i = 0; i < f->nr_files; i++) {
		uint8_t *e = dir + 4 + i * entry;
		int it = fwcfg_find(f, f->files[i].key);
		put_be(e, it < 0 ? 0 : f->items[it].len, 4);
		put_be(e + 4, f->files[i].key, 2);
		memcpy(e + 8, f->files[i].name, FW_CFG_NAME_MAX);
	}
	return fwcfg_put(f, FW_CFG_FILE_DIR, dir, len);
}

static int fwcfg_add_file_locked(struct fwcfg *f, const char *name, const void *data,
				 uint32_t len)
{
	unsigned i;
	for (i = 0; i < f->nr_files; i++)
		if (!strcmp(f->files[i].name, name))
			break;
	bool is_new = i == f->nr_files;
	if (is_new) {
		if (f->nr_files == FW_CFG_MAX_FILE)
			return -ENOSPC;
		if (fwcfg_grow((void **)&f->files, &f->cap_files, f->nr_files, sizeof(*f->files)))
			return -ENOMEM;
		struct fwcfg_file *nf = &f->files[f->nr_files];
		memset(nf, 0, sizeof(*nf));
		strcpy(nf->name, name); /* length checked by the caller */
		nf->key = (uint16_t)(FW_CFG_FILE_FIRST + f->nr_files);
		f->nr_files++;
	}
	int r = fwcfg_put_copy(f, f->files[i].key, data, len);
	if (r) {
		f->nr_files -= is_new;
		return r;
	}
	qsort(f->files, f->nr_files, sizeof(*f->files), fwcfg_file_cmp);
	return fwcfg_build_dir(f);
}

int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t len)
{
	if (!name[0] || strlen(name) >= FW_CFG_NAME_MAX) {
		vmm_err("fw_cfg: bad file name '%s' (1 to %d characters)", name,
			FW_CFG_NAME_MAX - 1);
		return -EINVAL;
	}
	pthread_mutex_lock(&f->lock);
	int r = fwcfg_add_file_locked(f, name, data, len);
	pthread_mutex_unlock(&f->lock);
	if (r)
		vmm_err("fw_cfg: cannot add file '%s' (%u bytes): %s", name, len, strerror(-r));
	return r;
}

static int fwcfg_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct fwcfg *f = dev;
	if (is_write && size == 1)
		return 0; /* data writes: ignored by the traditional interface */
	if (is_write ? size != 2 || off != 0 : size != 1)
		return -EINVAL; /* QEMU accepts only these sizes: unclaimed */
	pthread_mutex_lock(&f->lock);
	if (is_write) {
		uint16_t key = (uint16_t)(((uint8_t *)data)[0] | ((uint8_t *)data)[1] << 8);
		f->sel = key & ~FW_CFG_WRITE_CHANNEL;
		f->cur = fwcfg_find(f, f->sel);
		f->off = 0;
		vmm_debug(dev, "fw_cfg: select %#x%s", key, f->cur < 0 ? " (absent)" : "");
	} else {
		uint8_t *b = data;
		*b = 0;
		if (f->cur >= 0 && f->off < f->items[f->cur].len)
			*b = f->items[f->cur].data[f->off++];
	}
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int fwcfg_add_standard(struct fwcfg *f)
{
	static const uint8_t uuid[16];
	uint8_t empty_dir[4] = { 0 };
	int r = fwcfg_add_bytes(f, FW_CFG_SIGNATURE, "QEMU", 4);
	if (!r)
		r = fwcfg_add_u32(f, FW_CFG_ID, 1); /* traditional interface only */
	if (!r)
		r = fwcfg_add_bytes(f, FW_CFG_UUID, uuid, sizeof(uuid));
	if (!r)
		r = fwcfg_add_u16(f, FW_CFG_NOGRAPHIC, 1);
	if (!r)
		r = fwcfg_add_u16(f, FW_CFG_NB_CPUS, (uint16_t)f->vm->nr_vcpus);
	if (!r)
		r = fwcfg_add_u16(f, FW_CFG_MAX_CPUS, (uint16_t)f->vm->nr_vcpus);
	if (!r)
		r = fwcfg_add_u64(f, FW_CFG_RAM_SIZE, f->vm->mem.ram_size);
	if (!r)
		r = fwcfg_add_bytes(f, FW_CFG_FILE_DIR, empty_dir, sizeof(empty_dir));
	return r;
}

struct fwcfg *fwcfg_create(struct vm *vm)
{
	struct fwcfg *f = calloc(1, sizeof(*f));
	if (!f) {
		vmm_err("fw_cfg: out of memory");
		return NULL;
	}
	f->vm = vm;
	f->cur = -1;
	pthread_mutex_init(&f->lock, NULL);
	if (fwcfg_add_standard(f) ||
	    io_register(&vm->pio, 0x510, 2, "fw_cfg", fwcfg_io, f)) {
		fwcfg_destroy(f);
		return NULL;
	}
	return f;
}

void fwcfg_destroy(struct fwcfg *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->nr_items; i++)
		free(f->items[i].data);
	free(f->items);
	free(f->files);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

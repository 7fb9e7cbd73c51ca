/* mem.c: the memfd-backed guest physical address space and its PC layout. */
#include "vmm/core/mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct mem_region *region_map(struct guest_mem *m, const char *name, gpa_t gpa,
				     uint64_t size, unsigned flags)
{
	if (m->nr_regions == MEM_MAX_REGIONS) {
		vmm_err("mem: too many regions adding '%s'", name);
		return NULL;
	}
	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct mem_region *r = &m->region[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size) {
			vmm_err("mem: region '%s' [%#llx-%#llx) overlaps '%s' [%#llx-%#llx)",
				name, (unsigned long long)gpa, (unsigned long long)(gpa + size),
				r->name, (unsigned long long)r->gpa,
				(unsigned long long)(r->gpa + r->size));
			return NULL;
		}
	}
	uint64_t off = m->fd_size;
	if (ftruncate(m->fd, (off_t)(off + size)) < 0) {
		vmm_err("mem: cannot grow guest memory to %llu bytes: %s",
			(unsigned long long)(off + size), strerror(errno));
		return NULL;
	}
	void *hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			 m->fd, (off_t)off);
	if (hva == MAP_FAILED) {
		vmm_err("mem: mmap of %llu bytes for '%s' failed: %s",
			(unsigned long long)size, name, strerror(errno));
		return NULL;
	}
	/* Guest RAM is a poor candidate for the host's transparent huge pages
	 * only when it is sparse; let the kernel decide, but never dump it. */
	(void)madvise(hva, size, MADV_DONTDUMP); /* best effort */
	m->fd_size = off + size;
	struct mem_region *r = &m->region[m->nr_regions++];
	*r = (struct mem_region){ .name = name, .gpa = gpa, .size = size,
				  .fd_off = off, .hva = hva, .flags = flags };
	return r;
}

int mem_init(struct guest_mem *m, uint64_t ram_size)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	ram_size = VMM_ALIGN_UP(ram_size, 4096);
	if (ram_size < MEM_MIN_SIZE || ram_size > MEM_MAX_SIZE) {
		vmm_err("mem: guest memory size %llu bytes is out of range (%llu MiB to %llu GiB)",
			(unsigned long long)ram_size, MEM_MIN_SIZE / MiB, MEM_MAX_SIZE / GiB);
		return -EINVAL;
	}
	m->fd = memfd_create("triplex-ram", MFD_CLOEXEC);
	if (m->fd < 0) {
		int e = errno;
		vmm_err("mem: memfd_create: %s", strerror(e));
		return -e;
	}
	m->ram_size = ram_size;
	uint64_t low = VMM_MIN(ram_size, MEM_LOWMEM_LIMIT);
	if (!region_map(m, "ram-low", 0, low, MEM_RAM))
		goto fail;
	if (ram_size > low && !region_map(m, "ram-high", MEM_HIGHMEM_BASE, ram_size - low, MEM_RAM))
		goto fail;
	return 0;
fail:
	mem_fini(m);
	return -ENOMEM;
}

void mem_fini(struct guest_mem *m)
{
	for (unsigned i = 0; i < m->nr_regions; i++)
		(void)munmap(m->region[i].hva, m->region[i].size); /* best effort */
	if (m->fd >= 0)
		(void)close(m->fd);
	m->nr_regions = 0;
	m->fd = -1;
}

struct mem_region *mem_add_region(struct guest_mem *m, const char *name, gpa_t gpa,
				  uint64_t size, unsigned flags)
{
	size = VMM_ALIGN_UP(size, 4096);
	if (!size || gpa & 4095 || gpa + size < gpa) {
		vmm_err("mem: bad region '%s' at %#llx size %#llx", name,
			(unsigned long long)gpa, (unsigned long long)size);
		return NULL;
	}
	return region_map(m, name, gpa, size, flags);
}

const struct mem_region *mem_find(const struct guest_mem *m, gpa_t gpa)
{
	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct mem_region *r = &m->region[i];
		if (gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *mem_gpa_to_hva(const struct guest_mem *m, gpa_t gpa, uint64_t len)
{
	if (!len)
		len = 1;
	if (gpa + len < gpa)
		return NULL;
	const struct mem_region *r = mem_find(m, gpa);
	if (!r || gpa + len - r->gpa > r->size)
		return NULL;
	return r->hva + (gpa - r->gpa);
}

static int mem_copy(const struct guest_mem *m, gpa_t gpa, void *buf, uint64_t len, bool write)
{
	uint8_t *p = buf;
	while (len) {
		const struct mem_region *r = mem_find(m, gpa);
		if (!r)
			return -EFAULT;
		uint64_t n = VMM_MIN(len, r->size - (gpa - r->gpa));
		if (write)
			memcpy(r->hva + (gpa - r->gpa), p, n);
		else
			memcpy(p, r->hva + (gpa - r->gpa), n);
		p += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int mem_write(const struct guest_mem *m, gpa_t gpa, const void *src, uint64_t len)
{
	return mem_copy(m, gpa, (void *)src, len, true);
}

int mem_read(const struct guest_mem *m, gpa_t gpa, void *dst, uint64_t len)
{
	return mem_copy(m, gpa, dst, len, false);
}

uint64_t mem_lowmem_size(const struct guest_mem *m)
{
	return VMM_MIN(m->ram_size, MEM_LOWMEM_LIMIT);
}

uint64_t mem_highmem_size(const struct guest_mem *m)
{
	return m->ram_size - mem_lowmem_size(m);
}

unsigned mem_e820(const struct guest_mem *m, struct e820_entry *out, unsigned max)
{
	struct e820_entry e[MEM_MAX_E820];
	unsigned n = 0;
	uint64_t low = mem_lowmem_size(m);
	e[n++] = (struct e820_entry){ 0, MEM_EBDA_BASE, E820_RAM };
	e[n++] = (struct e820_entry){ MEM_EBDA_BASE, 0xa0000 - MEM_EBDA_BASE, E820_RESERVED };
	e[n++] = (struct e820_entry){ MEM_BIOS_BASE, 0x100000 - MEM_BIOS_BASE, E820_RESERVED };
	if (low > 0x100000)
		e[n++] = (struct e820_entry){ 0x100000, low - 0x100000, E820_RAM };
	if (mem_highmem_size(m))
		e[n++] = (struct e820_entry){ MEM_HIGHMEM_BASE, mem_highmem_size(m), E820_RAM };
	for (unsigned i = 0; i < m->nr_regions; i++)
		if (!(m->region[i].flags & MEM_RAM) && n < MEM_MAX_E820)
			e[n++] = (struct e820_entry){ m->region[i].gpa, m->region[i].size,
						      E820_RESERVED };
	/* keep the map sorted: ROM regions may sit anywhere */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && e[j].addr < e[j - 1].addr; j--) {
			struct e820_entry t = e[j];
			e[j] = e[j - 1];
			e[j - 1] = t;
		}
	n = VMM_MIN(n, max);
	memcpy(out, e, n * sizeof(*e));
	return n;
}

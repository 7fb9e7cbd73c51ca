/* io.c: io_space registration (sorted, overlap-checked) and dispatch with
 * counting of claimed and unclaimed accesses. */
#include "vmm/core/io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void io_space_init(struct io_space *space, const char *name, uint64_t limit)
{
	memset(space, 0, sizeof(*space));
	space->name = name;
	space->limit = limit;
	pthread_mutex_init(&space->log_lock, NULL);
}

void io_space_fini(struct io_space *space)
{
	free(space->ranges);
	space->ranges = NULL;
	space->nr = space->cap = 0;
	pthread_mutex_destroy(&space->log_lock);
}

int io_register(struct io_space *space, uint64_t base, uint64_t len, const char *name,
		io_fn fn, void *dev)
{
	if (!len || base + len < base || (space->limit && base + len > space->limit)) {
		vmm_err("io: %s: bad range for '%s': base %#llx len %#llx", space->name, name,
			(unsigned long long)base, (unsigned long long)len);
		return -EINVAL;
	}
	unsigned pos = 0;
	while (pos < space->nr && space->ranges[pos].base < base)
		pos++;
	for (unsigned i = pos ? pos - 1 : 0; i < space->nr && i <= pos; i++) {
		const struct io_range *r = &space->ranges[i];
		if (base < r->base + r->len && r->base < base + len) {
			vmm_err("io: %s: '%s' [%#llx-%#llx] overlaps '%s' [%#llx-%#llx]",
				space->name, name, (unsigned long long)base,
				(unsigned long long)(base + len - 1), r->name,
				(unsigned long long)r->base,
				(unsigned long long)(r->base + r->len - 1));
			return -EEXIST;
		}
	}
	if (space->nr == space->cap) {
		unsigned cap = space->cap ? space->cap * 2 : 16;
		struct io_range *n = realloc(space->ranges, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		space->ranges = n;
		space->cap = cap;
	}
	memmove(&space->ranges[pos + 1], &space->ranges[pos],
		(space->nr - pos) * sizeof(*space->ranges));
	space->ranges[pos] = (struct io_range){ .base = base, .len = len, .name = name,
						.fn = fn, .dev = dev };
	space->nr++;
	vmm_debug(io, "%s: [%#llx-%#llx] -> %s", space->name, (unsigned long long)base,
		  (unsigned long long)(base + len - 1), name);
	return 0;
}

const struct io_range *io_lookup(const struct io_space *space, uint64_t addr)
{
	unsigned lo = 0, hi = space->nr;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct io_range *r = &space->ranges[mid];
		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static void io_unclaimed(struct io_space *space, uint64_t addr, void *data, unsigned size,
			 bool is_write)
{
	if (is_write)
		__atomic_fetch_add(&space->unclaimed_writes, 1, __ATOMIC_RELAXED);
	else {
		__atomic_fetch_add(&space->unclaimed_reads, 1, __ATOMIC_RELAXED);
		memset(data, 0xff, size);
	}
	bool log = false, last = false;
	pthread_mutex_lock(&space->log_lock);
	unsigned i;
	for (i = 0; i < space->nr_logged; i++)
		if (space->logged[i] == addr)
			break;
	if (i == space->nr_logged && space->nr_logged < IO_LOGGED_MAX) {
		space->logged[space->nr_logged++] = addr;
		log = true;
		last = space->nr_logged == IO_LOGGED_MAX;
	}
	pthread_mutex_unlock(&space->log_lock);
	if (log) {
		uint64_t v = 0;
		if (is_write)
			memcpy(&v, data, size);
		if (is_write)
			vmm_warn("io: unclaimed %s write to %#llx size %u value %#llx "
				 "(ignored; logged once per address)", space->name,
				 (unsigned long long)addr, size, (unsigned long long)v);
		else
			vmm_warn("io: unclaimed %s read from %#llx size %u (reads all-ones; "
				 "logged once per address)", space->name,
				 (unsigned long long)addr, size);
		if (last)
			vmm_warn("io: %s: further unclaimed addresses are counted, not logged",
				 space->name);
	}
}

void io_dispatch(struct io_space *space, uint64_t addr, void *data, unsigned size,
		 bool is_write)
{
	const struct io_range *r = io_lookup(space, addr);
	if (VMM_LIKELY(r && addr + size - r->base <= r->len)) {
		struct io_range *w = (struct io_range *)r;
		__atomic_fetch_add(is_write ? &w->writes : &w->reads, 1, __ATOMIC_RELAXED);
		if (VMM_LIKELY(r->fn(r->dev, addr - r->base, data, size, is_write) == 0))
			return;
	}
	if (space->fallback && space->fallback(space->fallback_dev, addr, data, size, is_write) == 0)
		return;
	io_unclaimed(space, addr, data, size, is_write);
}

uint32_t io_in(struct io_space *pio, uint16_t port, unsigned size)
{
	uint32_t v = 0;
	io_dispatch(pio, port, &v, size, false);
	return v;
}

void io_out(struct io_space *pio, uint16_t port, uint32_t value, unsigned size)
{
	io_dispatch(pio, port, &value, size, true);
}

/* guests/lib/rt_pmem.c: physical memory, two bump allocators that never
 * free (guests are short-lived). The pool [end of image, 4 MiB) gives
 * zeroed 4 KiB pages for page tables and kernel stacks; the big region
 * [4 MiB, RAM end) gives user-accessible buffers and user stacks. */
#include "rt_internal.h"

static ulong pool_next, big_next;

void *page_alloc(void)
{
	void *p;

	if (!pool_next)
		pool_next = ((ulong)__image_end + 4095) & ~4095ul;
	if (pool_next >= PMEM_POOL_END)
		rt_panic("page pool exhausted");
	p = (void *)pool_next;
	pool_next += 4096;
	memset(p, 0, 4096);
	return p;
}

void *big_alloc(size_t bytes)
{
	void *p;

	if (!big_next)
		big_next = PMEM_POOL_END;
	bytes = (bytes + 4095) & ~(size_t)4095;
	if (big_next + bytes > rt_mem_end || big_next + bytes < big_next)
		rt_panic("big_alloc: out of memory");
	p = (void *)big_next;
	big_next += bytes;
	return p;
}

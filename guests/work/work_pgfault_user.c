/* guests/work/work_pgfault_user.c: the ring-3 side of pgfault: read the
 * first word of page i % PGFAULT_PAGES of the window, for i = 0 .. n-1.
 * Only one window page is mapped at a time, so every read faults. */
#include "work.h"
#include "work_internal.h"

long pgfault_user(void *arg)
{
	struct user_job *j = arg;
	uint32_t sum = 0;
	uint64_t t0 = rdtsc();

	for (uint64_t i = 0; i < j->iters; i++)
		sum += *(volatile uint32_t *)(PGFAULT_VA + (ulong)(i % PGFAULT_PAGES) * 4096);
	j->cycles = rdtsc() - t0;
	j->result = sum;
	return 0;
}

uint64_t pgfault_expected(uint64_t iters)
{
	uint32_t sum = 0;

	for (unsigned k = 0; k < PGFAULT_PAGES; k++) {
		uint64_t times = iters / PGFAULT_PAGES + (k < iters % PGFAULT_PAGES ? 1 : 0);
		sum += (uint32_t)times * PGFAULT_STAMP(k);
	}
	return sum;
}

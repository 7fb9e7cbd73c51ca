/* guests/work/work_callret_user.c: the ring-3 side of callret: chains of
 * CALLRET_DEPTH nested calls (callret_*.S), summing their results. */
#include "work.h"

#define CALLRET_DEPTH 16 /* call/ret pairs per chain */

uint32_t callret_rec(uint32_t depth, uint32_t x);

long callret_user(void *arg)
{
	struct user_job *j = arg;
	uint64_t chains = j->iters / CALLRET_DEPTH;
	uint32_t sum = 0;
	uint64_t t0 = rdtsc();

	for (uint64_t i = 0; i < chains; i++)
		sum += callret_rec(CALLRET_DEPTH - 1, (uint32_t)i);
	j->cycles = rdtsc() - t0;
	j->result = sum;
	return 0;
}

/* The same sum in closed form: rec(d, x) = 3 * (x + d(d+1)/2) + 1 + d,
 * summed over x = 0 .. n-1, mod 2^32. */
uint64_t callret_expected(uint64_t iters)
{
	const uint64_t d = CALLRET_DEPTH - 1;
	uint64_t n = iters / CALLRET_DEPTH;

	return (uint32_t)(3 * (n * (n - 1) / 2) + n * (3 * (d * (d + 1) / 2) + 1 + d));
}

/* guests/work/work_compute_user.c: the ring-3 side of compute: run the
 * passes, time them, compare each with the expected result. */
#include "compute.h"
#include "rt.h"
#include "work.h"

static bool same(const struct compute_result *a, const struct compute_result *b)
{
	return a->crc == b->crc && a->primes == b->primes && a->sort_sum == b->sort_sum &&
	       a->sorted == b->sorted;
}

long compute_user(void *arg)
{
	struct compute_job *j = arg;
	uint64_t t0 = rdtsc();

	for (uint64_t i = 0; i < j->passes; i++) {
		struct compute_result r;

		compute_pass(&j->sz, j->scratch, &r);
		if (!same(&r, &j->expect)) {
			if (!j->bad)
				j->got = r;
			j->bad++;
		} else if (!j->bad) {
			j->got = r;
		}
	}
	j->cycles = rdtsc() - t0;
	return j->bad ? 1 : 0;
}

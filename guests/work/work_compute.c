/* guests/work/work_compute.c: integer work over a few MiB with a known
 * answer: per pass a CRC-32 of PRNG bytes, a prime sieve and a heap sort
 * (guests/work/compute_kern_user.c), run in ring 3 as a user program. The
 * expected results come from the host (guests/gen), which runs the same C.
 * "quick" also shrinks the sizes (COMPUTE_QUICK_SIZES). */
#include "compute.h"
#include "expect.h"
#include "work.h"

struct compute_job *compute_job_create(bool quick_sizes, uint64_t passes)
{
	static const struct compute_sizes full = COMPUTE_FULL_SIZES, quick = COMPUTE_QUICK_SIZES;
	static const struct compute_result full_r = EXPECT_COMPUTE_FULL,
					   quick_r = EXPECT_COMPUTE_QUICK;
	struct compute_job *j = big_alloc(sizeof(*j));

	memset(j, 0, sizeof(*j));
	j->sz = quick_sizes ? quick : full;
	j->expect = quick_sizes ? quick_r : full_r;
	j->passes = passes;
	j->scratch = big_alloc(compute_scratch_size(&j->sz));
	return j;
}

int compute_job_check(const struct compute_job *j)
{
	int rc = 0;

	if (j->got.crc != j->expect.crc)
		rc = work_fail("compute.crc32", j->expect.crc, j->got.crc);
	if (j->got.primes != j->expect.primes)
		rc = work_fail("compute.sieve", j->expect.primes, j->got.primes);
	if (j->got.sort_sum != j->expect.sort_sum)
		rc = work_fail("compute.sort_sum", j->expect.sort_sum, j->got.sort_sum);
	if (j->got.sorted != 1)
		rc = work_fail("compute.sorted", 1, j->got.sorted);
	if (j->bad)
		rc = work_fail("compute.bad_passes", 0, j->bad);
	return rc;
}

static int compute_run(uint64_t iters)
{
	struct compute_job *j = compute_job_create(rt_cmd.quick, iters);
	long code = user_run(compute_user, j);
	int rc = compute_job_check(j);

	if (!rc && code)
		rc = work_fail("compute.exit_code", 0, (uint64_t)code);
	bench_report("compute", iters, j->cycles);
	return rc;
}

const struct work work_compute = {
	.name = "compute",
	.full_iters = 10,
	.quick_iters = 1,
	.demo_iters = 1,
	.run = compute_run,
};

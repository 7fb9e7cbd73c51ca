/* guests/work/work_callret.c: call/ret cost in ring 3: nested chains of 16
 * calls; an iteration is one call/ret pair. Checked against the closed
 * form of the same computation. */
#include "work.h"

static int callret_run(uint64_t iters)
{
	struct user_job *j = user_job_alloc();
	uint64_t want;
	int rc = 0;

	iters = iters < 16 ? 16 : iters & ~15ull;
	j->iters = iters;
	(void)user_run(callret_user, j);
	want = callret_expected(iters);
	if (j->result != want)
		rc = work_fail("callret.sum", want, j->result);
	bench_report("callret", iters, j->cycles);
	return rc;
}

const struct work work_callret = {
	.name = "callret",
	.full_iters = 50000000,
	.quick_iters = 16384,
	.demo_iters = 1000000,
	.run = callret_run,
};

/* guests/work/work_common.c: what every workload image shares: running one
 * workload with the right iteration count, and the FAIL line format. */
#include "work.h"

int work_run(const struct work *w, uint64_t iters)
{
	int rc = w->run(iters ? iters : 1);

	if (rc == 0)
		kprintf("ok %s\n", w->name);
	return rc;
}

int work_main(const struct work *w)
{
	return work_run(w, rt_iters(w->full_iters, w->quick_iters));
}

int work_fail(const char *name, uint64_t expected, uint64_t got)
{
	kprintf("FAIL %s expected %#llx got %#llx\n", name, (unsigned long long)expected,
		(unsigned long long)got);
	return RT_EXIT_FAIL;
}

struct user_job *user_job_alloc(void)
{
	/* Ring-3 code reads and writes it: take it from the big region,
	 * which is user read/write once paging is on. */
	struct user_job *j = big_alloc(sizeof(*j));

	memset(j, 0, sizeof(*j));
	return j;
}

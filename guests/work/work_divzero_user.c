/* guests/work/work_divzero_user.c: the ring-3 side of divzero. */
#include "work.h"
#include "work_internal.h"

long divzero_user(void *arg)
{
	struct user_job *j = arg;
	uint64_t t0 = rdtsc();

	j->result = divzero_loop((ulong)j->iters);
	j->cycles = rdtsc() - t0;
	return 0;
}

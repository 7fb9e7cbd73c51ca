/* guests/work/work_divzero.c: exceptions from ring 3: divide by zero, the
 * #DE handler (a fault: the saved IP is the div itself, SDM 3A 6.5) skips
 * it and marks EAX. Checks the fault count, where each fault came from,
 * and that ring 3 saw every resumption. */
#include "work.h"
#include "work_internal.h"

volatile uint64_t divzero_faults;

static void de_handler(struct trap_frame *f)
{
	if (f->ip != (ulong)divzero_site || (f->cs & 3) != 3)
		trap_fatal(f);
	f->ip = (ulong)divzero_resume;
	f->ax = DIVZERO_MARK;
	divzero_faults++;
}

void divzero_install(void)
{
	trap_set_handler(VEC_DE, de_handler);
}

static int divzero_run(uint64_t iters)
{
	struct user_job *j = user_job_alloc();
	int rc = 0;

	divzero_install();
	j->iters = iters;
	(void)user_run(divzero_user, j);
	if (divzero_faults != iters)
		rc = work_fail("divzero.faults", iters, divzero_faults);
	if (j->result != iters)
		rc = work_fail("divzero.resumed", iters, j->result);
	bench_report("divzero", iters, j->cycles);
	return rc;
}

const struct work work_divzero = {
	.name = "divzero",
	.full_iters = 100000,
	.quick_iters = 100,
	.demo_iters = 10000,
	.run = divzero_run,
};

/* guests/work/work_ctxsw.c: two ring-3 tasks in separate address spaces
 * switching through the kernel: each counts in a page at the same linear
 * address (CTXSW_VA) backed by its own frame, and yields (int 0x80 in the
 * 32-bit build, SYSCALL in the 64-bit one); the scheduler switches CR3.
 * An iteration is one yield, i.e. one task switch. */
#include "work.h"
#include "work_ctxsw.h"
#include "work_internal.h"

struct ctxsw_pair {
	struct aspace *as[2];
	uint32_t *frame[2];
	struct ctxsw_arg *arg[2];
	struct task *task[2];
};

struct ctxsw_pair *ctxsw_setup(void)
{
	static struct ctxsw_pair pairs[2];
	static unsigned used;
	struct ctxsw_pair *p;

	if (used == 2)
		rt_panic("ctxsw_setup: too many");
	p = &pairs[used++];
	pg_ensure();
	for (unsigned k = 0; k < 2; k++) {
		p->as[k] = pg_aspace_create();
		p->frame[k] = page_alloc();
		pg_map(p->as[k], CTXSW_VA, (ulong)p->frame[k], PG_P | PG_RW | PG_US);
		p->arg[k] = big_alloc(sizeof(*p->arg[k]));
	}
	return p;
}

void ctxsw_spawn(struct ctxsw_pair *p, uint64_t switches)
{
	for (unsigned k = 0; k < 2; k++) {
		struct ctxsw_arg *a = p->arg[k];

		a->n = switches / 2;
		a->magic = 0x1000000u * (k + 1);
		a->final = 0;
		a->bad_at = 0;
		p->task[k] = task_spawn_user("ctxsw", ctxsw_user, a, p->as[k]);
	}
}

int ctxsw_check(const struct ctxsw_pair *p)
{
	int rc = 0;

	for (unsigned k = 0; k < 2; k++) {
		const struct ctxsw_arg *a = p->arg[k];
		uint32_t want = a->magic + (uint32_t)a->n;

		if (a->bad_at)
			rc = work_fail("ctxsw.bad_iteration", 0, a->bad_at);
		if (a->final != want)
			rc = work_fail("ctxsw.final", want, a->final);
		/* The frame itself, read through the identity map. */
		if (*p->frame[k] != want)
			rc = work_fail("ctxsw.frame", want, *p->frame[k]);
		if (task_exit_code(p->task[k]) != 0)
			rc = work_fail("ctxsw.exit_code", 0, (uint64_t)task_exit_code(p->task[k]));
	}
	return rc;
}

static int ctxsw_run(uint64_t iters)
{
	struct ctxsw_pair *p = ctxsw_setup();
	uint64_t t0, t1;
	int rc;

	iters &= ~1ull;
	t0 = rdtsc();
	ctxsw_spawn(p, iters);
	sched_wait_all();
	t1 = rdtsc();
	rc = ctxsw_check(p);
	bench_report("ctxsw", iters, t1 - t0);
	return rc;
}

const struct work work_ctxsw = {
	.name = "ctxsw",
	.full_iters = 200000,
	.quick_iters = 200,
	.demo_iters = 20000,
	.run = ctxsw_run,
};

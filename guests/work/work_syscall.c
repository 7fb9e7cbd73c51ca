/* guests/work/work_syscall.c: the system call round trip ring 3 -> ring 0
 * -> ring 3, through int 0x80/iret ("syscall_int80") and, in the 64-bit
 * build, SYSCALL/SYSRET ("syscall_sysret"). Each call returns its argument
 * plus one, so the final value must equal the iteration count. */
#include "work.h"

static int one(const char *name, user_fn fn, uint64_t iters)
{
	struct user_job *j = user_job_alloc();
	int rc = 0;

	j->iters = iters;
	(void)user_run(fn, j);
	if (j->result != iters)
		rc = work_fail(name, iters, j->result);
	bench_report(name, iters, j->cycles);
	return rc;
}

static int syscall_run(uint64_t iters)
{
	int rc = one("syscall_int80", syscall_int80_user, iters);

#ifdef __x86_64__
	rc |= one("syscall_sysret", syscall_insn_user, iters);
#endif
	return rc;
}

const struct work work_syscall = {
	.name = "syscall",
	.full_iters = 1000000,
	.quick_iters = 1000,
	.demo_iters = 100000,
	.run = syscall_run,
};

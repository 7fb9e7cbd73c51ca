/* guests/work/work_syscall_user.c: the ring-3 side of syscall: a chain of
 * SYS_INC calls, each feeding its result to the next, by int 0x80 and (64-
 * bit) by SYSCALL. */
#include "rt_sys.h"
#include "work.h"

long syscall_int80_user(void *arg)
{
	struct user_job *j = arg;
	long x = 0;
	uint64_t t0 = rdtsc();

	for (uint64_t i = 0; i < j->iters; i++)
		x = sys_int80(SYS_INC, x);
	j->cycles = rdtsc() - t0;
	j->result = (uint64_t)x;
	return 0;
}

#ifdef __x86_64__
long syscall_insn_user(void *arg)
{
	struct user_job *j = arg;
	long x = 0;
	uint64_t t0 = rdtsc();

	for (uint64_t i = 0; i < j->iters; i++)
		x = sys_syscall(SYS_INC, x);
	j->cycles = rdtsc() - t0;
	j->result = (uint64_t)x;
	return 0;
}
#endif

/* guests/work/work_mixed.c: a small OS. Each round spawns every other
 * workload as a task (compute, callret, syscall, pgfault, divzero and a
 * ctxsw pair in ring 3, io and ptemod as ring-0 threads that yield) and a
 * round-robin scheduler runs them, preempting ring-3 tasks on a 1 kHz
 * timer. Every task's result is checked after each round. An iteration is
 * one round. */
#include "compute.h"
#include "work.h"

/* Work per task per round. */
#define M_CALLRET 16384
#define M_SYSCALL 500
#define M_PGFAULT 64
#define M_DIVZERO 64
#define M_CTXSW 100
#define M_IO 100
#define M_PTEMOD 200

static struct {
	struct compute_job *compute;
	struct user_job *callret, *sys80, *sysfast, *pgf, *divz;
	struct aspace *pgf_as, *pte_as;
	struct ptemod_state *pte;
	struct ctxsw_pair *cs;
	uint64_t io_bad, pte_bad;
} m;

static void io_thread(void *arg)
{
	m.io_bad += io_loop(M_IO, 16, sched_yield);
}

static void ptemod_thread(void *arg)
{
	m.pte_bad += ptemod_loop(m.pte, M_PTEMOD, 32, sched_yield);
}

static void setup(void)
{
	pg_ensure();
	m.compute = compute_job_create(true, 1);
	m.callret = user_job_alloc();
	m.sys80 = user_job_alloc();
	m.sysfast = user_job_alloc();
	m.pgf = user_job_alloc();
	m.divz = user_job_alloc();
	m.pgf_as = pg_aspace_create();
	m.pte_as = pg_aspace_create();
	pgfault_install(m.pgf_as);
	m.pte = ptemod_setup(m.pte_as);
	m.cs = ctxsw_setup();
	divzero_install();
}

static void spawn_round(void)
{
	m.callret->iters = M_CALLRET;
	m.sys80->iters = M_SYSCALL;
	m.sysfast->iters = M_SYSCALL;
	m.pgf->iters = M_PGFAULT;
	m.divz->iters = M_DIVZERO;
	task_spawn_user("compute", compute_user, m.compute, NULL);
	task_spawn_user("callret", callret_user, m.callret, NULL);
	task_spawn_user("syscall", syscall_int80_user, m.sys80, NULL);
#ifdef __x86_64__
	task_spawn_user("sysret", syscall_insn_user, m.sysfast, NULL);
#endif
	task_spawn_user("pgfault", pgfault_user, m.pgf, m.pgf_as);
	task_spawn_user("divzero", divzero_user, m.divz, NULL);
	task_spawn_kernel("io", io_thread, NULL, NULL);
	task_spawn_kernel("ptemod", ptemod_thread, NULL, m.pte_as);
	ctxsw_spawn(m.cs, M_CTXSW);
}

static int check_round(uint64_t pgf_before, uint64_t div_before)
{
	int rc = compute_job_check(m.compute);

	if (m.callret->result != callret_expected(M_CALLRET))
		rc = work_fail("mixed.callret", callret_expected(M_CALLRET), m.callret->result);
	if (m.sys80->result != M_SYSCALL)
		rc = work_fail("mixed.syscall_int80", M_SYSCALL, m.sys80->result);
#ifdef __x86_64__
	if (m.sysfast->result != M_SYSCALL)
		rc = work_fail("mixed.syscall_sysret", M_SYSCALL, m.sysfast->result);
#endif
	if (m.pgf->result != pgfault_expected(M_PGFAULT))
		rc = work_fail("mixed.pgfault", pgfault_expected(M_PGFAULT), m.pgf->result);
	if (pgfault_faults - pgf_before != M_PGFAULT)
		rc = work_fail("mixed.pgfault_faults", M_PGFAULT, pgfault_faults - pgf_before);
	if (m.divz->result != M_DIVZERO || divzero_faults - div_before != M_DIVZERO)
		rc = work_fail("mixed.divzero", M_DIVZERO, m.divz->result);
	if (m.io_bad)
		rc = work_fail("mixed.io", 0, m.io_bad);
	if (m.pte_bad)
		rc = work_fail("mixed.ptemod", 0, m.pte_bad);
	return rc | ctxsw_check(m.cs);
}

static int mixed_run(uint64_t iters)
{
	uint64_t t0, t1, ticks0;
	int rc = 0;

	setup();
	timer_start(1000);
	timer_hook = sched_preempt_hook;
	ticks0 = timer_ticks;
	t0 = rdtsc();
	for (uint64_t r = 0; r < iters && !rc; r++) {
		uint64_t pgf = pgfault_faults, div = divzero_faults;

		spawn_round();
		sched_wait_all();
		rc = check_round(pgf, div);
	}
	t1 = rdtsc();
	timer_stop();
	timer_hook = NULL;
	kprintf("info mixed timer_ticks=%llu\n", (unsigned long long)(timer_ticks - ticks0));
	bench_report("mixed", iters, t1 - t0);
	return rc;
}

const struct work work_mixed = {
	.name = "mixed",
	.full_iters = 100,
	.quick_iters = 1,
	.demo_iters = 2,
	.run = mixed_run,
};

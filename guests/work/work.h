/* guests/work/work.h: the workloads. Each is a struct work with its name,
 * default iteration counts and a run function that sets up, times the loop
 * with RDTSC, checks its own result (printing "FAIL NAME ..." when wrong)
 * and prints its "bench" line. The parts that mixed and demo reuse are
 * declared here too. */
#ifndef GUESTS_WORK_WORK_H
#define GUESTS_WORK_WORK_H

#include "rt.h"

struct work {
	const char *name;
	uint64_t full_iters;  /* ~0.1-1 s natively */
	uint64_t quick_iters; /* a few thousand ring-0 instructions' worth */
	uint64_t demo_iters;  /* for the demo's table */
	/* Returns 0, or RT_EXIT_FAIL after printing FAIL lines. */
	int (*run)(uint64_t iters);
};

extern const struct work work_compute, work_callret, work_syscall, work_io, work_pgfault,
	work_ptemod, work_divzero, work_timer, work_ctxsw, work_mixed;

/* Run (w) for (iters) and print "ok NAME" when its checks passed; returns
 * what w->run returned. */
int work_run(const struct work *w, uint64_t iters);

/* work_run with rt_iters(full, quick): the guest_main of a workload image. */
int work_main(const struct work *w);

/* Print "FAIL NAME expected 0x... got 0x..." and return RT_EXIT_FAIL. */
int work_fail(const char *name, uint64_t expected, uint64_t got);

/* ---- pieces shared with mixed (each workload's file documents them) ---- */

/* compute: one user task doing (passes) passes; 0 or RT_EXIT_FAIL. */
struct compute_job;
struct compute_job *compute_job_create(bool quick_sizes, uint64_t passes);
int compute_job_check(const struct compute_job *j);
long compute_user(void *job);

/* callret, syscall, divzero, pgfault: user bodies taking a struct whose
 * first field is the iteration count (user-accessible memory). */
struct user_job {
	uint64_t iters;
	uint64_t result;
	uint64_t cycles;
	uint64_t aux;
};
struct user_job *user_job_alloc(void);
long callret_user(void *job);
uint64_t callret_expected(uint64_t iters);
long syscall_int80_user(void *job);
long syscall_insn_user(void *job);
long divzero_user(void *job);
void divzero_install(void);
extern volatile uint64_t divzero_faults;
long pgfault_user(void *job);
void pgfault_install(const struct aspace *as);
extern volatile uint64_t pgfault_faults;
uint64_t pgfault_expected(uint64_t iters);

/* ptemod and io as ring-0 loops that call (yield) every (yield_every)
 * iterations (0: never). They return the number of wrong values seen. */
struct ptemod_state;
struct ptemod_state *ptemod_setup(const struct aspace *as);
uint64_t ptemod_loop(struct ptemod_state *s, uint64_t iters, unsigned yield_every,
		     void (*yield)(void));
uint64_t io_loop(uint64_t iters, unsigned yield_every, void (*yield)(void));

/* ctxsw: two user tasks in two address spaces, (switches) yields in all. */
struct ctxsw_pair;
struct ctxsw_pair *ctxsw_setup(void);
void ctxsw_spawn(struct ctxsw_pair *p, uint64_t switches);
int ctxsw_check(const struct ctxsw_pair *p);

#endif

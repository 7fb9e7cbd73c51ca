/* guests/work/work_pgfault.c: demand paging. A ring-3 loop reads pages of
 * an unmapped window; the #PF handler maps the faulting page (user, read-
 * only) and unmaps the one mapped before (PTE cleared, invlpg), so each
 * read faults exactly once. Mapping a not-present page needs no invlpg:
 * the TLB does not cache not-present entries (SDM 3A 4.10.2.3). Checks the
 * error code of every fault, the fault count and the sum of the words the
 * user read. */
#include "work.h"
#include "work_internal.h"

volatile uint64_t pgfault_faults;

static struct {
	const struct aspace *as;
	void *pte[PGFAULT_PAGES];
	ulong frame[PGFAULT_PAGES];
	int mapped; /* window page mapped now, or -1 */
} pf = { .mapped = -1 };

static void pgfault_handler(struct trap_frame *f)
{
	ulong va = read_cr2();
	ulong k = (va - PGFAULT_VA) >> 12;

	/* Error code 4: not present, read, from ring 3 (SDM 3A 4.7). */
	if (va < PGFAULT_VA || k >= PGFAULT_PAGES || f->err != 4 || read_cr3() != pf.as->root)
		trap_fatal(f);
	if (pf.mapped >= 0) {
		ulong old = PGFAULT_VA + (ulong)pf.mapped * 4096;

		pg_pte_set(pf.pte[pf.mapped], 0, old);
		invlpg(old);
	}
	pg_pte_set(pf.pte[k], pf.frame[k] | WORK_PG_AD(PG_P | PG_US), va & ~4095ul);
	pf.mapped = (int)k;
	pgfault_faults++;
}

void pgfault_install(const struct aspace *as)
{
	pg_ensure();
	pf.as = as ? as : &pg_kernel;
	for (unsigned k = 0; k < PGFAULT_PAGES; k++) {
		uint32_t *frame = page_alloc();

		frame[0] = PGFAULT_STAMP(k);
		pf.frame[k] = (ulong)frame;
		pf.pte[k] = pg_pte(pf.as, PGFAULT_VA + k * 4096ul);
	}
	trap_set_handler(VEC_PF, pgfault_handler);
}

static int pgfault_run(uint64_t iters)
{
	struct user_job *j;
	uint64_t want = pgfault_expected(iters);
	int rc = 0;

	pgfault_install(NULL);
	j = user_job_alloc();
	j->iters = iters;
	(void)user_run(pgfault_user, j);
	if (j->result != want)
		rc = work_fail("pgfault.sum", want, j->result);
	if (pgfault_faults != iters)
		rc = work_fail("pgfault.faults", iters, pgfault_faults);
	bench_report("pgfault", iters, j->cycles);
	return rc;
}

const struct work work_pgfault = {
	.name = "pgfault",
	.full_iters = 100000,
	.quick_iters = 100,
	.demo_iters = 10000,
	.run = pgfault_run,
};

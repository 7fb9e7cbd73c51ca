/* guests/work/work_ptemod.c: rewriting a live PTE from ring 0. Each
 * iteration points one page at the other of two frames, invalidates it
 * (invlpg, SDM 3A 4.10.4.1) and reads it: a stale TLB entry would return
 * the other frame's stamp. */
#include "work.h"
#include "work_internal.h"

struct ptemod_state {
	void *pte;
	ulong frame[2];
	uint32_t stamp[2];
};

struct ptemod_state *ptemod_setup(const struct aspace *as)
{
	static struct ptemod_state states[4];
	static unsigned used;
	struct ptemod_state *s;

	if (used == 4)
		rt_panic("ptemod_setup: too many");
	s = &states[used++];
	pg_ensure();
	for (unsigned k = 0; k < 2; k++) {
		uint32_t *frame = page_alloc();

		s->stamp[k] = 0x7e570000u + k;
		frame[0] = s->stamp[k];
		s->frame[k] = (ulong)frame;
	}
	s->pte = pg_pte(as ? as : &pg_kernel, PTEMOD_VA);
	return s;
}

uint64_t ptemod_loop(struct ptemod_state *s, uint64_t iters, unsigned yield_every,
		     void (*yield)(void))
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < iters; i++) {
		unsigned k = i & 1;

		pg_pte_set(s->pte, s->frame[k] | WORK_PG_AD(PG_P | PG_RW), PTEMOD_VA);
		invlpg(PTEMOD_VA);
		if (*(volatile uint32_t *)PTEMOD_VA != s->stamp[k])
			bad++;
		if (yield_every && i % yield_every == yield_every - 1)
			yield();
	}
	return bad;
}

static int ptemod_run(uint64_t iters)
{
	struct ptemod_state *s = ptemod_setup(NULL);
	uint64_t t0 = rdtsc();
	uint64_t bad = ptemod_loop(s, iters, 0, NULL);
	uint64_t t1 = rdtsc();
	int rc = bad ? work_fail("ptemod.stale_reads", 0, bad) : 0;

	bench_report("ptemod", iters, t1 - t0);
	return rc;
}

const struct work work_ptemod = {
	.name = "ptemod",
	.full_iters = 1000000,
	.quick_iters = 500,
	.demo_iters = 50000,
	.run = ptemod_run,
};

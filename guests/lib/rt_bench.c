/* guests/lib/rt_bench.c: the one benchmark output format,
 * "bench NAME iters=N cycles_per_iter=X.XX ns_per_iter=Y.YY". */
#include "rt.h"

static void split100(uint64_t v100, unsigned long long *i, unsigned *f)
{
	*i = v100 / 100;
	*f = (unsigned)(v100 % 100);
}

void bench_report(const char *name, uint64_t iters, uint64_t cycles)
{
	uint64_t khz = tsc_hz() / 1000;
	uint64_t n = iters ? iters : 1;
	/* ns = cycles * 10^9 / hz, in an order that cannot overflow for runs
	 * shorter than hours. */
	uint64_t ns = khz ? cycles * 1000000 / khz : 0;
	unsigned long long ci, ni;
	unsigned cf, nf;

	split100(cycles * 100 / n, &ci, &cf);
	split100(ns * 100 / n, &ni, &nf);
	kprintf("bench %s iters=%llu cycles_per_iter=%llu.%02u ns_per_iter=%llu.%02u\n", name,
		(unsigned long long)iters, ci, cf, ni, nf);
}

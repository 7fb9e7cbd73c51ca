/* guests/native/native.c: the native host equivalents of the compute and
 * callret workloads: a normal Linux program built from the same C
 * (guests/work/compute_kern_user.c) and the same call/ret assembly
 * (guests/work/callret_*.S), printing the guests' `bench` lines, so guest
 * timings under every engine can be put next to native ones. Also the
 * host equivalents of syscall, pgfault, ptemod and divzero (native_sys.c).
 *     build/guests/native-64 [compute|callret|syscall|pgfault|ptemod|divzero]
 *                            [iters=N] [quick]
 * Checks its results like the guests do; exit status 0 on success. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "compute.h"
#include "native_sys.h"

#define CALLRET_DEPTH 16

uint32_t callret_rec(uint32_t depth, uint32_t x);

uint64_t native_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void native_report(const char *name, uint64_t iters, uint64_t cycles, uint64_t ns)
{
	printf("bench %s iters=%llu cycles_per_iter=%.2f ns_per_iter=%.2f\n", name,
	       (unsigned long long)iters, (double)cycles / (double)iters, (double)ns / (double)iters);
}

static int run_compute(uint64_t passes, int quick)
{
	const struct compute_sizes full = COMPUTE_FULL_SIZES, small = COMPUTE_QUICK_SIZES;
	const struct compute_sizes *sz = quick ? &small : &full;
	void *scratch = malloc(compute_scratch_size(sz));
	struct compute_result first = { 0 }, r;
	int bad = 0;
	if (!scratch)
		return 1;
	uint64_t t0 = native_now_ns(), c0 = __rdtsc();
	for (uint64_t i = 0; i < passes; i++) {
		compute_pass(sz, scratch, &r);
		if (i == 0)
			first = r;
		bad += memcmp(&r, &first, sizeof(r)) != 0 || !r.sorted;
	}
	native_report("compute", passes, __rdtsc() - c0, native_now_ns() - t0);
	free(scratch);
	if (bad)
		fprintf(stderr, "FAIL compute: passes disagree or the sort failed\n");
	return bad != 0;
}

static int run_callret(uint64_t iters)
{
	iters = iters < CALLRET_DEPTH ? CALLRET_DEPTH : iters & ~(uint64_t)(CALLRET_DEPTH - 1);
	uint64_t chains = iters / CALLRET_DEPTH, d = CALLRET_DEPTH - 1;
	uint32_t sum = 0;
	uint64_t t0 = native_now_ns(), c0 = __rdtsc();
	for (uint64_t i = 0; i < chains; i++)
		sum += callret_rec(CALLRET_DEPTH - 1, (uint32_t)i);
	native_report("callret", iters, __rdtsc() - c0, native_now_ns() - t0);
	uint32_t want = (uint32_t)(3 * (chains * (chains - 1) / 2) +
				   chains * (3 * (d * (d + 1) / 2) + 1 + d));
	if (sum != want)
		fprintf(stderr, "FAIL callret: expected %u got %u\n", want, sum);
	return sum != want;
}

int main(int argc, char **argv)
{
	const char *which = "all";
	uint64_t iters = 0;
	int quick = 0, rc = 0;
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "iters=", 6))
			iters = strtoull(argv[i] + 6, NULL, 0);
		else if (!strcmp(argv[i], "quick"))
			quick = 1;
		else
			which = argv[i];
	}
	if (!strcmp(which, "all") || !strcmp(which, "compute"))
		rc |= run_compute(iters ? iters : quick ? 1 : 10, quick);
	if (!strcmp(which, "all") || !strcmp(which, "callret"))
		rc |= run_callret(iters ? iters : quick ? 16384 : 50000000);
	if (!strcmp(which, "syscall"))
		rc |= native_syscall(iters ? iters : quick ? 1000 : 1000000);
	if (!strcmp(which, "pgfault"))
		rc |= native_pgfault(iters ? iters : quick ? 100 : 100000);
	if (!strcmp(which, "ptemod"))
		rc |= native_ptemod(iters ? iters : quick ? 500 : 1000000);
	if (!strcmp(which, "divzero"))
		rc |= native_divzero(iters ? iters : quick ? 100 : 100000);
	return rc;
}

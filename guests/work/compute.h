/* guests/work/compute.h: the compute workload's kernels (CRC-32, a sieve
 * of Eratosthenes, a heap sort) and their sizes. Pure C with no runtime
 * dependencies: guests/gen/gen_expect.c compiles the same code on the host
 * to produce the expected results the guest checks against. */
#ifndef GUESTS_WORK_COMPUTE_H
#define GUESTS_WORK_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

struct compute_sizes {
	uint32_t crc_bytes; /* CRC-32 over this many PRNG bytes */
	uint32_t sieve_n;   /* count the primes below this */
	uint32_t sort_n;    /* heap-sort this many PRNG words */
};

#define COMPUTE_FULL_SIZES { 4u << 20, 4u << 20, 256u << 10 }
#define COMPUTE_QUICK_SIZES { 4u << 10, 8u << 10, 512 }

/* What one pass produces; every field is checked. */
struct compute_result {
	uint32_t crc;
	uint32_t primes;
	uint32_t sort_sum; /* sum of a[i] * (i + 1) after sorting, mod 2^32 */
	uint32_t sorted;   /* 1 if the array came out in order */
};

/* Scratch: crc_bytes + sieve_n + 4 * sort_n bytes. */
size_t compute_scratch_size(const struct compute_sizes *sz);
void compute_pass(const struct compute_sizes *sz, void *scratch, struct compute_result *r);



/* The guest's job description, in user-accessible memory: sizes, the
 * expected result (from the generated expect_NN.h), and what came out. */
struct compute_job {
	struct compute_sizes sz;
	struct compute_result expect;
	uint64_t passes;
	void *scratch;
	uint64_t cycles;	   /* RDTSC around all passes, measured in ring 3 */
	struct compute_result got; /* the first wrong pass, else the last */
	uint32_t bad;		   /* wrong passes */
};
#endif

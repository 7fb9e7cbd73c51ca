/* guests/work/work_io.c: port I/O from ring 0: write a byte to the COM1
 * scratch register (0x3ff, 16550A SCR) and read it back. An iteration is
 * one OUT plus one IN; every value read must match. */
#include "work.h"

#define COM1_SCR 0x3ff

uint64_t io_loop(uint64_t iters, unsigned yield_every, void (*yield)(void))
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < iters; i++) {
		uint8_t v = (uint8_t)(i * 7 + 1);

		outb(COM1_SCR, v);
		if (inb(COM1_SCR) != v)
			bad++;
		if (yield_every && i % yield_every == yield_every - 1)
			yield();
	}
	return bad;
}

static int io_run(uint64_t iters)
{
	uint64_t t0 = rdtsc();
	uint64_t bad = io_loop(iters, 0, NULL);
	uint64_t t1 = rdtsc();
	int rc = bad ? work_fail("io.scratch_mismatches", 0, bad) : 0;

	bench_report("io", iters, t1 - t0);
	return rc;
}

const struct work work_io = {
	.name = "io",
	.full_iters = 100000,
	.quick_iters = 200,
	.demo_iters = 10000,
	.run = io_run,
};

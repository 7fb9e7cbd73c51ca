/* bench.h: the C face of the microbenchmarks. Google Benchmark runs them
 * through perf/bench_shim.cc, the only C++ in the project.
 *
 * Example:
 *     BENCH(bench_io_dispatch)
 *     {
 *         setup...;
 *         while (bench_running(st))
 *             io_dispatch(&space, 0x3f8, &v, 1, true);
 *         bench_items(st, bench_iterations(st));
 *     }
 */
#ifndef PERF_BENCH_BENCH_H
#define PERF_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>

struct bench_state;
typedef void (*bench_fn)(struct bench_state *st);

/* The loop condition: true while Google Benchmark wants more iterations. */
bool bench_running(struct bench_state *st);
int64_t bench_iterations(struct bench_state *st);
/* Report (n) items processed (shown as items/s). */
void bench_items(struct bench_state *st, int64_t n);
/* A named counter, averaged per iteration (e.g. "exits"). */
void bench_counter(struct bench_state *st, const char *name, double value, bool per_iteration);
/* Skip this benchmark with a reason (e.g. no /dev/kvm). Call before looping. */
void bench_skip(struct bench_state *st, const char *why);
/* Stop and restart the clock around untimed work inside the loop. */
void bench_pause(struct bench_state *st);
void bench_resume(struct bench_state *st);

void bench_register(const char *name, bench_fn fn);

#define BENCH(fn)                                                              \
	static void fn(struct bench_state *st);                                \
	__attribute__((constructor)) static void fn##_register(void)           \
	{                                                                      \
		bench_register(#fn, fn);                                       \
	}                                                                      \
	static void fn(struct bench_state *st)

#endif

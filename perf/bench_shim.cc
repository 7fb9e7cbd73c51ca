// bench_shim.cc: Google Benchmark behind the C API of perf/bench/bench.h.
// C benchmarks register with bench_register() (from constructors); main()
// hands them to Google Benchmark and runs them with its usual flags
// (--benchmark_filter, --benchmark_out=FILE --benchmark_out_format=json).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

extern "C" {
#include "perf/bench/bench.h"
}

struct bench_state {
	benchmark::State *s;
};

extern "C" bool bench_running(struct bench_state *st) { return st->s->KeepRunning(); }
extern "C" int64_t bench_iterations(struct bench_state *st) { return st->s->iterations(); }
extern "C" void bench_items(struct bench_state *st, int64_t n) { st->s->SetItemsProcessed(n); }
extern "C" void bench_pause(struct bench_state *st) { st->s->PauseTiming(); }
extern "C" void bench_resume(struct bench_state *st) { st->s->ResumeTiming(); }
extern "C" void bench_skip(struct bench_state *st, const char *why) { st->s->SkipWithError(why); }

extern "C" void bench_counter(struct bench_state *st, const char *name, double value,
			      bool per_iteration)
{
	st->s->counters[name] = benchmark::Counter(
		value, per_iteration ? benchmark::Counter::kAvgIterations : benchmark::Counter::kDefaults);
}

static std::vector<std::pair<std::string, bench_fn>> &registry()
{
	static std::vector<std::pair<std::string, bench_fn>> r;
	return r;
}

extern "C" void bench_register(const char *name, bench_fn fn) { registry().emplace_back(name, fn); }

int main(int argc, char **argv)
{
	for (auto &b : registry()) {
		bench_fn fn = b.second;
		benchmark::RegisterBenchmark(b.first.c_str(), [fn](benchmark::State &s) {
			struct bench_state st = { &s };
			fn(&st);
		});
	}
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}

#!/usr/bin/env python3
"""pv-table.py: the PV workloads (NAME-pv-BITS.elf) under pv, bt and hw, next
to the native host equivalents (build/guests/native-BITS), in one run:
ns per iteration, the median of N runs, with the ratio to native where
there is a native figure and each engine's ratio to pv. Then, with
--bench, the round trip of each kind of VMI call (perf/bench/bench_pv.c).
A cell is '-' when the engine refuses the image on this host (Triplex exit
status 8), 'FAIL' when the guest failed.

    perf/scripts/pv-table.py [-n 5] [--bits 32,64] [--engines pv,bt,hw]
                             [--workloads compute,syscall,...] [--bench]

Needs the build (build/release/triplex, build/guests, and for --bench
build/release/triplex-bench: make bench builds it)."""
import argparse
import json
import re
import statistics
import subprocess
import sys

# iterations per run: long enough to measure, short enough for 5 runs x 3
# engines on a host where bt or pv may take 10-100 us per iteration
ITERS = {"compute": 10, "callret": 4000000, "syscall": 20000, "io": 5000, "pgfault": 5000,
         "ptemod": 20000, "divzero": 5000, "timer": 200, "ctxsw": 5000, "mixed": 3}
NATIVE = ("compute", "callret", "syscall", "pgfault", "ptemod", "divzero")
BENCH = re.compile(r"^bench (\S+) iters=\d+ cycles_per_iter=[\d.]+ ns_per_iter=([\d.]+)")


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        return None, "", ""
    return p.returncode, p.stdout, p.stderr


def one(runner, work, bits, a):
    """{bench name: ns} of one run, or a string saying why not."""
    args = [f"iters={ITERS[work]}"]
    if runner == "native":
        cmd = [f"{a.guests}/native-{bits}", work] + args
    else:
        cmd = [f"{a.build}/triplex", "run", "-q", "--mode", runner, "--kernel",
               f"{a.guests}/{work}-pv-{bits}.elf", "--append", " ".join(args)]
    rc, out, _ = run(cmd, a.timeout)
    if rc is None:
        return "timeout"
    if runner != "native" and rc == 8:
        return "-"
    if rc != (0 if runner == "native" else 1) or "FAIL" in out or "FATAL" in out:
        return "FAIL"
    return {m.group(1): float(m.group(2)) for m in map(BENCH.match, out.splitlines()) if m}


def cell(v, nat, pv, runner):
    if not isinstance(v, float):
        return v or ""
    s = f"{v:,.1f}"
    notes = []
    if isinstance(nat, float) and nat > 0 and runner != "native":
        notes.append(f"{v / nat:.2f}x native")
    if isinstance(pv, float) and pv > 0 and runner not in ("pv", "native"):
        notes.append(f"{v / pv:.2f}x pv")
    return s + (f" ({', '.join(notes)})" if notes else "")


def workloads(a):
    runners = a.engines.split(",") + ["native"]
    rows = []
    for w in a.workloads.split(","):
        for bits in a.bits.split(","):
            # runs interleave the runners, so drift on a noisy host hits all
            per = {r: {} for r in runners}
            why = {r: ("" if r == "native" and w not in NATIVE else None) for r in runners}
            for _ in range(a.n):
                for r in runners:
                    if why[r] is not None:
                        continue
                    res = one(r, w, bits, a)
                    if isinstance(res, str):
                        why[r] = res
                        continue
                    for k, v in res.items():
                        per[r].setdefault(k, []).append(v)
            cells = {r: why[r] if why[r] is not None else
                     {k: statistics.median(v) for k, v in per[r].items()} for r in runners}
            for r in runners:
                print(f"  {w}-pv-{bits} {r}: {cells[r]}", file=sys.stderr)
            for b in sorted({k for c in cells.values() if isinstance(c, dict) for k in c}):
                rows.append((f"{b} ({bits}-bit)", {r: (c.get(b) if isinstance(c, dict) else c)
                                                   for r, c in cells.items()}))
    print(f"ns per iteration, median of {a.n} runs (iterations per run: "
          + ", ".join(f"{w} {ITERS[w]}" for w in a.workloads.split(",")) + ")\n")
    print("| workload | " + " | ".join(runners) + " |")
    print("|---|" + "---|" * len(runners))
    for name, c in rows:
        print(f"| {name} | " + " | ".join(cell(c.get(r), c.get("native"), c.get("pv"), r)
                                          for r in runners) + " |")


def bench(a):
    cmd = [f"{a.build}/triplex-bench", "--benchmark_filter=bench_pv_",
           "--benchmark_format=json", f"--benchmark_repetitions={a.n}",
           "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.2"]
    rc, out, err = run(cmd, 1800)
    if rc != 0:
        print(f"\n(microbenchmarks not run: {err.strip() or 'triplex-bench failed'})")
        return
    print(f"\nVMI call round trips under pv (perf/bench/bench_pv.c, median of {a.n}):\n")
    print("| call | 32-bit | 64-bit |")
    print("|---|---|---|")
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            name = b["run_name"].replace("bench_pv_", "")
            kind, bits = name.rsplit("_", 1)
            res.setdefault(kind, {})[bits] = b.get("ns_per_call", 0.0)
    for kind, by in res.items():
        print(f"| {kind} | " + " | ".join(f"{by.get(w, 0):,.1f} ns" for w in ("32", "64")) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--bits", default="32,64")
    ap.add_argument("--engines", default="pv,bt,hw")
    ap.add_argument("--workloads", default=",".join(ITERS))
    ap.add_argument("--bench", action="store_true", help="also the VMI call round trips")
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--guests", default="build/guests")
    ap.add_argument("--timeout", type=int, default=600)
    a = ap.parse_args()
    workloads(a)
    if a.bench:
        bench(a)


if __name__ == "__main__":
    sys.exit(main())

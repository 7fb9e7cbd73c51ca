#!/usr/bin/env python3
"""workload-table.py: the guest suite's workloads side by side: ns per
iteration (median of N runs) under QEMU TCG, QEMU with KVM, each Triplex
engine, and natively (compute, callret), as a Markdown table with ratios to
native where there is a native figure. A cell is '-' when that runner cannot
run the image here (Triplex exit status 8 with the reason), 'FAIL' when the
guest failed.

    perf/scripts/workload-table.py [-n 3] [--bits 32,64] [--runners qemu-tcg,qemu-kvm,hw,bt,pv,native]
                                   [--workloads compute,callret,...] [--quick]

Needs Python 3, the build (build/release/triplex, build/guests) and, for the
QEMU columns, qemu-system-x86_64."""
import argparse
import re
import statistics
import subprocess
import sys

WORKLOADS = ["compute", "callret", "syscall", "io", "pgfault", "ptemod", "divzero",
             "timer", "ctxsw", "mixed"]
BENCH = re.compile(r"^bench (\S+) iters=\d+ cycles_per_iter=[\d.]+ ns_per_iter=([\d.]+)")
QEMU = ["qemu-system-x86_64", "-m", "128M", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
        "-serial", "stdio", "-display", "none", "-nodefaults", "-no-reboot"]


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        return None, "timeout", ""
    return p.returncode, p.stdout, p.stderr


def one(runner, image, args, gb, triplex, timeout):
    """Bench lines {name: ns} of one run, or a string saying why not."""
    if runner == "native":
        cmd = [f"{gb}/native-{image.split('-')[1].split('.')[0]}", image.split("-")[0]] + args
    elif runner.startswith("qemu"):
        accel = "kvm" if runner == "qemu-kvm" else "tcg"
        cmd = QEMU + ["-accel", accel, "-kernel", f"{gb}/{image}"]
        if args:
            cmd += ["-append", " ".join(args)]
    else:
        cmd = [triplex, "run", "-q", "--mode", runner, "--kernel", f"{gb}/{image}"]
        if args:
            cmd += ["--append", " ".join(args)]
    rc, out, err = run(cmd, timeout)
    if rc is None:
        return "timeout"
    if runner not in ("native",) and not runner.startswith("qemu") and rc == 8:
        return "-"
    ok = (rc == 0) if runner == "native" else (rc == 1)
    if not ok or "FAIL" in out or "FATAL" in out:
        return "FAIL"
    return {m.group(1): float(m.group(2)) for m in map(BENCH.match, out.splitlines()) if m}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--bits", default="32,64")
    ap.add_argument("--runners", default="qemu-tcg,qemu-kvm,hw,bt,pv,native")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--quick", action="store_true", help="pass 'quick' (small counts)")
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--guests", default="build/guests")
    ap.add_argument("--timeout", type=int, default=600)
    a = ap.parse_args()
    runners = a.runners.split(",")
    args = ["quick"] if a.quick else []
    rows = []
    for w in a.workloads.split(","):
        for bits in a.bits.split(","):
            image = f"{w}-{bits}.elf"
            cells = {}
            for r in runners:
                if r == "native" and w not in ("compute", "callret"):
                    cells[r] = ""
                    continue
                per_bench, why = {}, None
                for _ in range(a.n):
                    res = one(r, image, args, a.guests, f"{a.build}/triplex", a.timeout)
                    if isinstance(res, str):
                        why = res
                        break
                    for k, v in res.items():
                        per_bench.setdefault(k, []).append(v)
                cells[r] = why if why else {k: statistics.median(v) for k, v in per_bench.items()}
                print(f"  {image} {r}: {cells[r]}", file=sys.stderr)
            names = sorted({k for c in cells.values() if isinstance(c, dict) for k in c})
            for b in names:
                rows.append((f"{b} ({bits})", {r: (c.get(b) if isinstance(c, dict) else c)
                                                for r, c in cells.items()}))
    print("| workload | " + " | ".join(runners) + " |")
    print("|---|" + "---|" * len(runners))
    for name, cells in rows:
        nat = cells.get("native")
        out = []
        for r in runners:
            v = cells.get(r)
            if isinstance(v, float):
                s = f"{v:,.1f}"
                if isinstance(nat, float) and r != "native" and nat > 0:
                    s += f" ({v / nat:.2f}x)"
                out.append(s)
            else:
                out.append(v if v else "")
        print(f"| {name} | " + " | ".join(out) + " |")


if __name__ == "__main__":
    sys.exit(main())

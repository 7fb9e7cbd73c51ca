#!/usr/bin/env python3
"""suite-perf.py: `triplex perf` over the guest suite's workloads, and a
summary of the policy: for each image, which engine won and by how much,
and the policy's regret (chosen / best median wall time) with no profile
(a first launch: `triplex run --no-profile` in auto mode, run-time engine
switches included, shown as 'bt -> pv in 3/3') and with the profile the
first pass stored (a second pass). Writes each report under OUT/IMAGE/{1,2}/ and prints a Markdown table.

    perf/scripts/suite-perf.py [--runs 3] [--out suite-perf] [--images compute-32.elf,...] [--quick]

Needs Python 3 and the build (build/release/triplex, build/guests)."""
import argparse
import json
import os
import subprocess
import sys

WORKLOADS = ["hello", "compute", "callret", "syscall", "io", "pgfault", "ptemod", "divzero",
             "timer", "ctxsw", "mixed"]


def perf(triplex, image, out, runs, quick):
    cmd = [triplex, "perf", "--kernel", image, "--runs", str(runs), "--out", out]
    if quick:
        cmd += ["--append", "quick"]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)


def ran(rep):
    """Median wall ms of each engine that ran (not the auto row)."""
    return {e["engine"]: e["wall_ms"]["summary"]["median"] for e in rep["engines"]
            if e["status"] == "ran" and e["engine"] != "auto"}


def switches(out):
    """The auto row's runs: 'bt -> pv in 3/3' when they switched engines."""
    runs, moved = 0, {}
    d = os.path.join(out, "runs")
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if name.startswith("auto-") and name.endswith(".json"):
            with open(os.path.join(d, name)) as f:
                s = json.load(f)
            runs += 1
            if s.get("switched_to"):
                k = f"{s['engine']} -> {s['switched_to']}"
                moved[k] = moved.get(k, 0) + 1
    return ", ".join(f"{k} in {n}/{runs}" for k, n in moved.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default="suite-perf")
    ap.add_argument("--images", default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--guests", default="build/guests")
    a = ap.parse_args()
    images = a.images.split(",") if a.images else \
        [f"{w}-{b}.elf" for w in WORKLOADS for b in (32, 64)]
    triplex = os.path.abspath(f"{a.build}/triplex")
    print("| image | engines that ran (median ms) | best | margin | choice, no profile | regret | choice, with profile | regret |")
    print("|---|---|---|---|---|---|---|---|")
    for img in images:
        path = os.path.abspath(f"{a.guests}/{img}")
        r1 = perf(triplex, path, f"{a.out}/{img}/1", a.runs, a.quick)
        r2 = perf(triplex, path, f"{a.out}/{img}/2", a.runs, a.quick)
        times = ran(r2) or ran(r1)
        order = sorted(times.items(), key=lambda kv: kv[1])
        best = order[0][0] if order else "-"
        margin = f"{order[1][1] / order[0][1]:.2f}x" if len(order) > 1 else "only one"
        m = r1.get("choice_model_only", {})
        c = r2.get("choice", {})
        fmt = lambda x: f"{x:.2f}" if isinstance(x, (int, float)) else "-"
        cells = ", ".join(f"{k} {v:.1f}" for k, v in order) or "none"
        sw = switches(f"{a.out}/{img}/1")
        first = (m.get('engine') or 'none') + (f" ({sw})" if sw else "")
        print(f"| {img} | {cells} | {best} | {margin} | {first} | "
              f"{fmt(m.get('regret'))} | {c.get('engine') or 'none'} | {fmt(c.get('regret'))} |")
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())

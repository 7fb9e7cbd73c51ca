#!/usr/bin/env python3
"""startup.py: time a VMM command from process start to the guest's first
console byte on stdout, and to its exit, over several runs (median, min,
max). Used for the start-up figures, e.g.

    perf/scripts/startup.py -n 10 -- build/release/triplex run -q --kernel build/guests/hello-64.elf
    perf/scripts/startup.py -n 10 -- qemu-system-x86_64 -accel kvm -m 128M -kernel build/guests/hello-64.elf \\
        -device isa-debug-exit,iobase=0xf4,iosize=4 -serial stdio -display none -nodefaults -no-reboot

Needs only Python 3 (Debian's python3)."""
import argparse
import os
import select
import statistics
import subprocess
import sys
import time


def one_run(cmd):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    first = None
    fd = p.stdout.fileno()
    while True:
        r, _, _ = select.select([fd], [], [], 60)
        if not r:
            p.kill()
            raise RuntimeError("no output for 60 s")
        data = os.read(fd, 65536)
        if data and first is None:
            first = time.monotonic() - t0
        if not data:
            break
    p.wait()
    total = time.monotonic() - t0
    return first, total, p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=5, help="runs (default 5)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("give the command after --")
    one_run(cmd)  # warm-up (page cache, first-run probes)
    firsts, totals, codes = [], [], set()
    for _ in range(a.n):
        f, t, c = one_run(cmd)
        if f is not None:
            firsts.append(f * 1e3)
        totals.append(t * 1e3)
        codes.add(c)
    def show(name, v):
        if v:
            print(f"{name:22s} median {statistics.median(v):8.2f} ms   min {min(v):8.2f}   max {max(v):8.2f}")
    show("first output byte", firsts)
    show("exit", totals)
    print(f"runs {a.n}, exit statuses {sorted(codes)}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""perf/linux32.py [--runs N] [--flavour 686|686-pae] [--build DIR] [--out FILE]:
Debian's stock 32-bit kernel under Triplex bt and under QEMU TCG
(qemu-system-i386 -accel tcg), side by side in one run.

Same kernel, same busybox initramfs (scripts/linux-guest.sh builds both into
build/linux32), 512 MiB, console=ttyS0 triplex_run=bench. For each run the
host timestamps the console lines as they arrive:

  boot      start of the process -> the init's TRIPLEX-BOOT-OK line
  workload  TRIPLEX-BOOT-OK -> TRIPLEX-BENCH-DONE (fork+exec loop,
            pipe + md5sum, awk floating-point loop, tmpfs dd: the initramfs's
            /etc/triplex/bench.sh)
  rss       the process's peak resident set (wait4's ru_maxrss)

Runs alternate (bt, qemu, bt, qemu, ...) so that load from elsewhere hits both
alike; the table gives medians and the min-max spread, and the ratio
bt/qemu of the medians. A side that cannot run says why (e.g. bt without an
x87 FPU: Triplex exits 8) instead of a number. docs/linux.md has a table.
"""
import argparse
import json
import os
import selectors
import statistics
import subprocess
import sys
import time

BOOT = b"TRIPLEX-BOOT-OK"
DONE = b"TRIPLEX-BENCH-DONE"


def run_once(cmd, timeout):
    """Run (cmd); return dict(boot, workload, total, rss_mib, status, error)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    buf, boot, done, tail = b"", None, None, b""
    while True:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            p.kill()
            break
        if not sel.select(min(left, 1.0)):
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        now = time.monotonic()
        buf += chunk
        tail = (tail + chunk)[-4000:]
        if boot is None and BOOT in buf:
            boot = now - t0
        if boot is not None and done is None and DONE in buf:
            done = now - t0
        buf = buf[-64:]  # markers may straddle reads
    _, status, ru = os.wait4(p.pid, 0)
    total = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    r = {"boot": boot, "workload": (done - boot) if done is not None else None,
         "total": total, "rss_mib": ru.ru_maxrss / 1024.0, "status": code}
    if done is None:
        lines = [l for l in tail.decode("utf-8", "replace").splitlines() if l.strip()]
        r["error"] = "exit status %d, no %s%s" % (
            code, "TRIPLEX-BOOT-OK" if boot is None else "TRIPLEX-BENCH-DONE",
            (": " + lines[-1].strip()) if lines else "")
    return r


def fmt(vals, unit="s"):
    if not vals:
        return "-"
    m = statistics.median(vals)
    return "%.2f%s (%.2f-%.2f)" % (m, unit, min(vals), max(vals))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--flavour", default="686", choices=["686", "686-pae"])
    ap.add_argument("--build", default="build")
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--bt-args", default="", help="extra triplex arguments, e.g. --bt-interp")
    ap.add_argument("--out", help="also write the runs and medians as JSON here")
    a = ap.parse_args()
    d = os.path.join(a.build, "linux32")
    kernel = os.path.join(d, "vmlinuz-" + a.flavour)
    initrd = os.path.join(d, "initrd.gz")
    if not (os.path.exists(kernel) and os.path.exists(initrd)):
        sys.exit("linux32: %s or %s missing: run scripts/linux-guest.sh %s" % (kernel, initrd, d))
    append = "console=ttyS0 triplex_run=bench"
    sides = {
        "bt": [os.path.join(a.build, "release", "triplex"), "run", "--mode", "bt", "-q",
               "--kernel", kernel, "--initrd", initrd, "--mem", "512M", "--append", append]
              + a.bt_args.split(),
        "qemu": [a.qemu, "-accel", "tcg", "-m", "512", "-nographic", "-no-reboot",
                 "-kernel", kernel, "-initrd", initrd, "-append", append],
    }
    runs = {k: [] for k in sides}
    for i in range(a.runs):
        for name, cmd in sides.items():
            r = run_once(cmd, a.timeout)
            runs[name].append(r)
            print("linux32: %s run %d/%d: %s" % (
                name, i + 1, a.runs, r.get("error") or "boot %.2fs, workload %.2fs, rss %.0f MiB" % (
                    r["boot"], r["workload"], r["rss_mib"])), file=sys.stderr)
    med = {}
    print("| %s, 512 MiB, %d runs | boot to TRIPLEX-BOOT-OK | workload | peak RSS |" % (
        "vmlinuz-" + a.flavour, a.runs))
    print("|---|---|---|---|")
    for name in sides:
        ok = [r for r in runs[name] if "error" not in r]
        bad = [r for r in runs[name] if "error" in r]
        if not ok:
            print("| %s | cannot run: %s | | |" % (name, bad[0]["error"] if bad else "?"))
            continue
        med[name] = {k: statistics.median([r[k] for r in ok]) for k in ("boot", "workload", "rss_mib")}
        print("| %s | %s | %s | %s |%s" % (name, fmt([r["boot"] for r in ok]),
                                         fmt([r["workload"] for r in ok]),
                                         fmt([r["rss_mib"] for r in ok], " MiB"),
                                         " (%d failed runs)" % len(bad) if bad else ""))
    if "bt" in med and "qemu" in med:
        print("| bt/qemu | %.2fx | %.2fx | %.2fx |" % tuple(
            med["bt"][k] / med["qemu"][k] for k in ("boot", "workload", "rss_mib")))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"flavour": a.flavour, "runs": runs, "medians": med}, f, indent=1)


if __name__ == "__main__":
    main()

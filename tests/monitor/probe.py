"""tests/monitor/probe.py: what the monitor tests share: which engines can
run here, from `triplex probe` (python3 stdlib only)."""
import subprocess


def engines_here(triplex):
    """{engine: why-unavailable or None} for bt, hw and pv."""
    out = subprocess.run([triplex, "probe"], capture_output=True, text=True).stdout
    avail = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] in ("bt", "hw", "pv") and line.startswith("  "):
            avail[f[0]] = line.split("unavailable: ", 1)[1] if "unavailable:" in line else None
    return avail

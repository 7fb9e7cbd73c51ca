#!/usr/bin/env python3
"""include-graph.py: the include graph between Triplex's folders, from the
#include "..." lines of every source file, and the layer check.

    scripts/include-graph.py             the edges as a Markdown table
    scripts/include-graph.py --dot       the same for Graphviz (dot -Tsvg)
    scripts/include-graph.py --check     exit 1 naming every include that goes
                                         from a lower layer to a higher one
    scripts/include-graph.py --root DIR  look at another tree (tests use it)

The layers, lowest first (docs/architecture.md explains them). A folder may
include its own headers and those of lower layers only, never a higher
layer's or a neighbour's in the same layer (engines do not include each
other). Two exceptions, named below: the engine registry, which is the one
place that names the engines, and the VMI ABI header, which is
self-contained (<stdint.h> only) so guests and every layer may include it.
Tests, guests and generated files (config.h) are outside the layers.
"""
import os
import re
import sys

LAYERS = [
    ("vmm/core", 0, "vm, vCPUs, memory, io spaces, engine interface, counters, host and guest descriptions"),
    ("vmm/dev", 1, "devices and the PC board"),
    ("vmm/load", 1, "kernel loaders"),
    ("vmm/vmi", 1, "the VMI ROM every engine maps"),
    ("vmm/bt", 2, "engine: binary translation"),
    ("vmm/hw", 2, "engine: KVM"),
    ("vmm/pv", 2, "engine: paravirtualization"),
    ("vmm/machine", 3, "the machine builder"),
    ("vmm/select", 3, "the policy: host and guest probes, calibration, choice"),
    ("perf", 4, "reports, benchmarks"),
    ("monitor", 5, "console, QMP, gdb stub, display"),
    ("vmm/cli", 6, "the command line"),
]
# (including file, included header) pairs allowed to go up, and why
EXCEPTIONS = [
    ("vmm/core/engine.c", re.compile(r"vmm/(bt|hw|pv)/\1\.h$"),
     "the engine registry: the one place that names the engines"),
    (None, re.compile(r"^vmm/pv/pv_abi\.h$"),
     "the VMI ABI: self-contained (<stdint.h> only), for guests and every layer"),
]
OUTSIDE = ("tests", "guests", "scripts")
SOURCE = re.compile(r"\.(c|h|S|cc|inc)$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder(path):
    """The layer folder a file belongs to, or None (outside the layers)."""
    for name, _, _ in LAYERS:
        if path == name or path.startswith(name + "/"):
            return name
    return None


def rank(name):
    return next(r for n, r, _ in LAYERS if n == name)


def sources(root):
    for top, dirs, files in os.walk(root):
        rel = os.path.relpath(top, root)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "build"]
        if rel.split(os.sep)[0] in OUTSIDE:
            continue
        for f in files:
            if SOURCE.search(f):
                yield os.path.normpath(os.path.join(rel, f))


def edges(root):
    """(from folder, to folder) -> [(file, header)], for headers in other folders."""
    out = {}
    for src in sorted(sources(root)):
        a = folder(src)
        if not a:
            continue
        with open(os.path.join(root, src), errors="replace") as fh:
            text = fh.read()
        for hdr in INCLUDE.findall(text):
            if not os.path.exists(os.path.join(root, hdr)):
                hdr = os.path.normpath(os.path.join(os.path.dirname(src), hdr))
            b = folder(hdr)
            if b and b != a:
                out.setdefault((a, b), []).append((src, hdr))
    return out


def exception(src, hdr):
    for who, what, why in EXCEPTIONS:
        if (who is None or who == src) and what.search(hdr):
            return why
    return None


def check(root):
    bad = []
    for (a, b), uses in sorted(edges(root).items()):
        for src, hdr in uses:
            if rank(b) < rank(a) or exception(src, hdr):
                continue
            how = "a higher" if rank(b) > rank(a) else "a neighbour in the same"
            bad.append(f"{src}: includes {hdr}: {b} (layer {rank(b)}) is {how} layer "
                       f"than {a} (layer {rank(a)})")
    abi = os.path.join(root, "vmm/pv/pv_abi.h")
    if os.path.exists(abi):
        with open(abi) as fh:
            if INCLUDE.findall(fh.read()):
                bad.append("vmm/pv/pv_abi.h: includes a Triplex header; the ABI must stay "
                           "self-contained to be includable from every layer")
    return bad


def markdown(root):
    lines = ["| from | to | includes | note |", "|---|---|---|---|"]
    for (a, b), uses in sorted(edges(root).items(), key=lambda e: (-rank(e[0][0]), e[0])):
        notes = sorted({exception(s, h) for s, h in uses} - {None})
        ok = rank(b) < rank(a) or len(notes) > 0
        lines.append(f"| {a} ({rank(a)}) | {b} ({rank(b)}) | {len(uses)} | "
                     f"{'; '.join(notes) if notes else ('' if ok else 'VIOLATION')} |")
    return "\n".join(lines)


def dot(root):
    lines = ["digraph triplex {", "  rankdir=BT; node [shape=box];"]
    for r in sorted({r for _, r, _ in LAYERS}):
        names = " ".join(f'"{n}"' for n, rr, _ in LAYERS if rr == r)
        lines.append(f"  {{ rank=same; {names} }}")
    for (a, b), uses in sorted(edges(root).items()):
        style = " [style=dashed]" if all(exception(s, h) for s, h in uses) else ""
        lines.append(f'  "{a}" -> "{b}"{style};')
    lines.append("}")
    return "\n".join(lines)


def main(argv):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if "--root" in argv:
        root = argv[argv.index("--root") + 1]
    if "--check" in argv:
        bad = check(root)
        for b in bad:
            print(b)
        return 1 if bad else 0
    print(dot(root) if "--dot" in argv else markdown(root))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

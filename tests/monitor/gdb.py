#!/usr/bin/env python3
"""tests/monitor/gdb.py BUILD_DIR GUEST_DIR: Debian's gdb in batch mode
against triplex --gdb on every engine that can run the guest here: break on a
function, continue to it, read a variable, single-step, step over a call,
run a monitor command, continue to the guest's exit. Sockets are on
loopback only. Prints "ok NAME" / "not ok NAME (why)" / "ok NAME # SKIP why"
lines. python3 stdlib only."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import engines_here  # noqa: E402

B, GB = sys.argv[1], sys.argv[2]
T = os.path.join(B, "triplex")
TIMEOUT = 120


def report(name, ok, why=""):
    print(("ok gdb: %s" % name) if ok else ("not ok gdb: %s (%s)" % (name, why)))
    sys.stdout.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port



def session(engine, guest, spec, connect, wide, d):
    tag = "%s %s" % (engine, guest)
    elf = os.path.join(GB, guest)
    serial = os.path.join(d, "serial.out")
    p = subprocess.Popen([T, "run", "--mode", engine, "-S", "--serial", "file:" + serial,
                          "--gdb", spec, "--kernel", elf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    cmds = []
    if wide:  # a 64-bit guest in an ELF32 container: tell gdb first
        cmds += ["set architecture i386:x86-64"]
    cmds += ["target remote " + connect, "break guest_main", "continue", "print rt_mem_end",
             "stepi", "info registers %s" % ("rip" if wide else "eip"), "next",
             "monitor info status", "continue"]
    args = ["gdb", "-q", "-batch", "-nx"]
    for c in cmds:
        args += ["-ex", c]
    try:
        g = subprocess.run(args + [elf], capture_output=True, text=True, timeout=TIMEOUT)
        out = g.stdout + g.stderr
        rc = p.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        report("%s: gdb session" % tag, False, "timed out")
        return
    err = p.stderr.read()
    report("%s: break on a function and continue to it" % tag,
           "Breakpoint 1, guest_main ()" in out, out[-400:])
    report("%s: read a variable" % tag, "$1 = 134217728" in out, out[-400:])
    report("%s: stepi moves one instruction" % tag, "guest_main+" in out, out[-400:])
    report("%s: next steps over a call to the next line" % tag,
           "13\t\treturn 0;" in out or "return 0;" in out.split("guest_main+")[-1], out[-400:])
    report("%s: monitor commands through gdb" % tag, "VM status: paused (debug)" in out,
           out[-400:])
    report("%s: continue runs the guest to its exit" % tag,
           "exited with code 01" in out and rc == 1, "rc %s %s %s" % (rc, out[-200:], err[-200:]))
    with open(serial) as f:
        report("%s: the guest's output is intact" % tag, "hello from the Triplex" in f.read(),
               "serial output")


def main():
    if not shutil.which("gdb"):
        print("ok gdb: debugger sessions # SKIP gdb not installed (apt-get install gdb)")
        return
    avail = engines_here(T)
    d = tempfile.mkdtemp(prefix="triplex-gdb.")
    try:
        port = free_port()
        session("bt", "hello-32.elf", "tcp:127.0.0.1:%d" % port, "127.0.0.1:%d" % port, False, d)
        sock = os.path.join(d, "gdb.sock")
        session("bt", "hello-32.elf", "unix:" + sock, sock, False, d)
        if avail.get("hw", "missing") is None:
            session("hw", "hello-64.elf", "unix:" + sock, sock, True, d)
        else:
            print("ok gdb: hw session # SKIP hw: %s" % avail.get("hw", "not built"))
        print("ok gdb: pv session # SKIP the pv engine cannot step or stop at breakpoints yet")
        r = subprocess.run([T, "run", "--gdb", "tcp:127.0.0.1", "--kernel",
                            os.path.join(GB, "hello-32.elf")], capture_output=True, text=True)
        report("a malformed --gdb is named", r.returncode == 2
               and "expected tcp:HOST:PORT" in r.stderr, r.stderr)
    finally:
        shutil.rmtree(d, ignore_errors=True)


main()

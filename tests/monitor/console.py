#!/usr/bin/env python3
"""tests/monitor/console.py BUILD_DIR GUEST_DIR: the monitor console as a user
drives it: --monitor stdio (Ctrl-A c into the monitor, commands, Ctrl-A c
back) and --monitor unix:PATH, on every engine the host has. Checks that
stop/cont/step/break behave, that state reads are right, and that bad input
gets a clear message without hurting the guest. Prints "ok NAME",
"not ok NAME (why)" or "ok NAME # SKIP why" lines. python3 stdlib only."""
import os
import select
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import engines_here  # noqa: E402
import time

B, GB = sys.argv[1], sys.argv[2]
T = os.path.join(B, "triplex")
PROMPT = b"(triplex) "
TIMEOUT = 30.0  # generous: other jobs load this machine


def report(name, ok, why=""):
    print(("ok monitor: %s" % name) if ok else ("not ok monitor: %s (%s)" % (name, why)))
    sys.stdout.flush()


def skip(name, why):
    print("ok monitor: %s # SKIP %s" % (name, why))


def symbol(elf, name):
    out = subprocess.run(["nm", elf], capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    raise SystemExit("not ok monitor: %s has no symbol %s" % (elf, name))


class Console:
    """triplex run --monitor stdio, driven through a pipe."""

    def __init__(self, args):
        self.p = subprocess.Popen([T, "run", "--monitor", "stdio"] + args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = b""
        self.send(b"\x01c")
        self.wait_for(PROMPT)

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def wait_for(self, what, timeout=TIMEOUT):
        end = time.time() + timeout
        while what not in self.buf:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("no %r in %r" % (what, self.buf[-300:]))
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    raise EOFError("triplex exited; output %r" % self.buf[-300:])
                self.buf += chunk
        i = self.buf.index(what) + len(what)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out.decode(errors="replace")

    def cmd(self, line):
        self.send(line.encode() + b"\n")
        return self.wait_for(PROMPT)[: -len(PROMPT)]

    def finish(self, timeout=TIMEOUT):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        self.p.stdin = None
        try:
            out, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
        self.buf += out
        # the prompt after `cont` may land in the middle of the guest's output
        text = self.buf.decode(errors="replace").replace(PROMPT.decode(), "")
        return self.p.returncode, text, err.decode(errors="replace")


def check(name, cond, why):
    report(name, bool(cond), why)
    return bool(cond)



def debug_session(engine, guest):
    """Start paused, break at guest_main, step, read registers, continue."""
    elf = os.path.join(GB, guest)
    fn = symbol(elf, "guest_main")
    tag = "%s %s" % (engine, guest)
    c = Console(["--mode", engine, "-S", "--kernel", elf])
    try:
        out = c.cmd("info status")
        check("%s: -S starts paused (prelaunch)" % tag, "VM status: paused (prelaunch)" in out, out)
        out = c.cmd("break 0x%x" % fn)
        check("%s: break sets a breakpoint" % tag, "breakpoint at 0x%08x" % fn in out, out)
        c.send(b"cont\n")
        out = c.wait_for(b"breakpoint reached")
        out = c.wait_for(PROMPT)
        check("%s: cont runs to the breakpoint and says so" % tag,
              "vcpu0 at 0x%08x" % fn in out, out)
        out = c.cmd("info status")
        check("%s: a breakpoint pauses the guest (debug)" % tag, "paused (debug)" in out, out)
        out = c.cmd("info registers")
        pcname = "RIP=%016x" % fn if "64" in guest else "EIP=%08x" % fn
        check("%s: info registers shows the breakpoint's pc" % tag, pcname in out, out[:300])
        check("%s: info registers lays out segments and CRs as QEMU" % tag,
              "CS =" in out and "CR0=" in out and "GDT=" in out and "EFER=" in out
              and "XMM00=" in out, out[:200])
        out = c.cmd("x/1i $pc")
        first = out.strip().splitlines()[0] if out.strip() else ""
        out = c.cmd("step")
        pc = int(out.split(":")[0], 16) if out.startswith("0x") else None
        check("%s: step executes one instruction and shows the next" % tag,
              pc is not None and pc > fn and pc <= fn + 15, "%r after %r" % (out, first))
        out = c.cmd("step 3")
        check("%s: step N" % tag, out.startswith("0x"), out)
        out = c.cmd("delete 0x%x" % fn)
        check("%s: delete removes the breakpoint" % tag, out.strip() == "", out)
        c.send(b"cont\n")
        rc, out, err = c.finish()
        check("%s: cont runs the guest to its end" % tag,
              rc == 1 and "hello from the Triplex guest suite" in out,
              "rc %s out %r err %s" % (rc, out[-300:], err[-300:]))
    except (TimeoutError, EOFError) as e:
        report("%s: debug session" % tag, False, str(e))
        c.p.kill()


def bad_input():
    elf = os.path.join(GB, "hello-32.elf")
    c = Console(["--mode", "bt", "-S", "--kernel", elf])
    cases = [
        ("frobnicate", "unknown command: 'frobnicate'"),
        ("info bogus", "info: unknown or missing item 'bogus'"),
        ("x/4z 0x100000", "unknown format letter 'z'"),
        ("x/4x", "missing address"),
        ("x/4x nowhere", "'nowhere' is not a number"),
        ("xp/4x 0xfffffff000", "Cannot access memory at physical address 0xfffffff000"),
        ("x/2x 0x7ffffff0000", "Cannot access memory"),
        ("switch fast", "switch: refused: this build has no 'fast' engine"),
        ("switch bt", "switch: refused: the guest already runs under bt"),
        ("delete 0x1234", "no breakpoint at 0x00001234"),
        ("step 0", "not a count"),
        ("sendkey", "which key"),
        ("sendkey ctrl-nosuch", "unknown key 'nosuch'"),
    ]
    try:
        for line, want in cases:
            out = c.cmd(line)
            check("a bad command gets a clear message: %s" % line, want in out, out)
        out = c.cmd("x/4xw 0x100000")
        check("x/4xw prints four words as QEMU", out.startswith("00100000: 0x1badb002 "), out)
        out = c.cmd("xp/2xb 0x100000")
        check("xp/2xb prints bytes", out.startswith("00100000: 0x02 0xb0"), out)
        out = c.cmd("x/2dh 0x100000")
        check("x/2dh prints signed halfwords", "-20478" in out, out)
        out = c.cmd("info tlb")
        check("info tlb with paging off says so", "PG disabled" in out, out)
        out = c.cmd("info mode")
        check("info mode names the engine and why", "engine: bt" in out and "chosen:" in out, out)
        out = c.cmd("info counters")
        check("info counters prints the counters", "core.vcpu" in out or "bt." in out, out[:200])
        out = c.cmd("help info")
        check("help lists a group", "info registers" in out and "stop" not in out, out)
        out = c.cmd("step")
        check("step at the first instruction works while paused", out.startswith("0x"), out)
        c.send(b"cont\n")
        rc, out, err = c.finish()
        check("the guest still runs to its end after bad commands",
              rc == 1 and "hello from the Triplex guest suite" in out, "rc %s" % rc)
    except (TimeoutError, EOFError) as e:
        report("bad input session", False, str(e))
        c.p.kill()


def stop_cont_running(engine, guest, want="ok compute"):
    """stop and cont a guest while it runs."""
    elf = os.path.join(GB, guest)
    c = Console(["--mode", engine, "--kernel", elf])
    tag = "%s %s" % (engine, guest)
    try:
        out = c.cmd("stop")
        st = c.cmd("info status")
        ok = check("%s: stop pauses a running guest" % tag, "VM status: paused" in st, out + st)
        if ok:
            out = c.cmd("info cpus")
            check("%s: info cpus shows the vCPU" % tag, "CPU #0: pc=0x" in out, out)
            out = c.cmd("cont")
            st = c.cmd("info status")
            check("%s: cont resumes it" % tag, "running" in st or "shutdown" in st, st)
        c.send(b"\x01c")
        rc, out, err = c.finish(timeout=120)
        check("%s: the guest finishes after stop/cont" % tag,
              rc == 1 and want in out, "rc %s %s" % (rc, err[-200:]))
    except (TimeoutError, EOFError) as e:
        report("%s: stop/cont" % tag, False, str(e))
        c.p.kill()


def sendkey():
    """sendkey types through the i8042: a flat guest echoes scancodes to COM1."""
    d = tempfile.mkdtemp(prefix="triplex-kbd.")
    img = os.path.join(d, "kbd.bin")
    # 1: in al,0x64; test al,1; jz 1b; in al,0x60; mov dx,0x3f8; out dx,al; jmp 1b
    with open(img, "wb") as f:
        f.write(bytes([0xE4, 0x64, 0xA8, 0x01, 0x74, 0xFA, 0xE4, 0x60, 0x66, 0xBA, 0xF8, 0x03,
                       0xEE, 0xEB, 0xF1]))
    c = Console(["--mode", "bt", "--kernel", img, "--format", "flat", "--load-addr",
                 "0x100000", "--entry", "0x100000", "--entry-bits", "32"])
    try:
        c.send(b"sendkey a\n")
        c.wait_for(b"\x1e\x9e")
        report("sendkey a: make and break codes reach the guest through the i8042", True)
        c.send(b"sendkey ctrl-alt-delete\n")
        c.wait_for(b"\x1d\x38\xe0\x53\xe0\xd3\xb8\x9d")
        report("sendkey ctrl-alt-delete: pressed in order, released in reverse", True)
        out = c.cmd("sendkey hyper")
        check("sendkey with an unknown key says so", "unknown key 'hyper'" in out, out)
        c.send(b"quit\n")
        rc, out, err = c.finish()
        check("quit after sendkey", rc == 0, "rc %s" % rc)
    except (TimeoutError, EOFError) as e:
        report("sendkey session", False, str(e))
        c.p.kill()
    finally:
        os.unlink(img)
        os.rmdir(d)


def unix_console():
    d = tempfile.mkdtemp(prefix="triplex-mon.")
    path = os.path.join(d, "mon.sock")
    elf = os.path.join(GB, "hello-32.elf")
    p = subprocess.Popen([T, "run", "--mode", "bt", "-S", "--serial", "none", "--monitor",
                          "unix:%s,server" % path, "--kernel", elf],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        s = None
        end = time.time() + TIMEOUT
        while time.time() < end:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                break
            except OSError:
                s = None
                time.sleep(0.05)
        if not s:
            report("--monitor unix:PATH,server accepts a client", False, "no socket")
            p.kill()
            return
        s.settimeout(TIMEOUT)
        buf = b""

        def until_prompt():
            nonlocal buf
            while PROMPT not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    raise EOFError(buf)
                buf += chunk
            i = buf.index(PROMPT)
            out, buf = buf[:i], buf[i + len(PROMPT):]
            return out.decode()

        until_prompt()
        s.sendall(b"info status\n")
        out = until_prompt()
        check("--monitor unix:PATH,server: commands over the socket",
              "paused (prelaunch)" in out, out)
        s.sendall(b"cont\n")
        until_prompt()
        rc = p.wait(timeout=TIMEOUT)
        check("--monitor unix: cont over the socket runs the guest to its end", rc == 1,
              "rc %s" % rc)
        s.close()
    except (OSError, EOFError, subprocess.TimeoutExpired) as e:
        report("--monitor unix session", False, str(e))
        p.kill()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
        os.rmdir(d)


def main():
    if not os.access(T, os.X_OK):
        print("not ok monitor: %s not built" % T)
        return
    avail = engines_here(T)
    debug_session("bt", "hello-32.elf")
    bad_input()
    stop_cont_running("bt", "compute-32.elf")
    unix_console()
    sendkey()
    if avail.get("hw", "missing") is None:
        debug_session("hw", "hello-64.elf")
        stop_cont_running("hw", "timer-64.elf", "done")
    else:
        skip("hw: debug session", "hw: %s" % avail.get("hw", "not built"))
    if avail.get("pv", "missing") is None:
        c = Console(["--mode", "pv", "-S", "--kernel", os.path.join(GB, "hello-pv-32.elf")])
        out = c.cmd("info registers")
        check("pv: info registers while paused", "EIP=" in out, out[:200])
        c.send(b"cont\n")
        rc, out, err = c.finish()
        check("pv: cont runs the guest to its end", rc == 1, "rc %s" % rc)
        stop_cont_running("pv", "compute-pv-32.elf")
    else:
        skip("pv: monitor session", "pv: %s" % avail.get("pv"))


main()

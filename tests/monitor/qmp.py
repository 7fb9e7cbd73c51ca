#!/usr/bin/env python3
"""tests/monitor/qmp.py BUILD_DIR GUEST_DIR: one QMP client run against
qemu-system-x86_64 -qmp and against triplex --qmp with the same commands; the
replies' and events' shapes (keys and value types) must agree, so the wire
format is checked against the real thing. Then Triplex's own commands.
Prints "ok NAME" / "not ok NAME (why)" / "ok NAME # SKIP why". stdlib only."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

B, GB = sys.argv[1], sys.argv[2]
T = os.path.join(B, "triplex")
TIMEOUT = 30.0
GUEST = os.path.join(GB, "compute-32.elf")


def report(name, ok, why=""):
    print(("ok qmp: %s" % name) if ok else ("not ok qmp: %s (%s)" % (name, why)))
    sys.stdout.flush()


def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return type(v).__name__


class Client:
    def __init__(self, path):
        end = time.time() + TIMEOUT
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.05)
        self.s.settimeout(TIMEOUT)
        self.buf = b""
        self.events = []
        self.greeting = self.read()

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def raw(self, data):
        """Send (data); the next reply that is not an event."""
        self.s.sendall(data if isinstance(data, bytes) else data.encode())
        while True:
            m = self.read()
            if "event" in m:
                self.events.append(m)
            else:
                return m

    def cmd(self, name, args=None, **extra):
        msg = {"execute": name}
        if args is not None:
            msg["arguments"] = args
        msg.update(extra)
        return self.raw(json.dumps(msg) + "\n")

    def event(self, name):
        end = time.time() + TIMEOUT
        while True:
            for e in self.events:
                if e["event"] == name:
                    self.events.remove(e)
                    return e
            if time.time() > end:
                raise TimeoutError("no %s event" % name)
            self.events.append(self.read())


def session(path, multi):
    """The common script: (name, message) pairs whose shapes are compared.
    QEMU's socket chardev serves one client at a time, so the second client
    (multi) is Triplex's alone."""
    out = []
    c = Client(path)
    out.append(("greeting", c.greeting))
    out.append(("a command before qmp_capabilities", c.cmd("query-status")))
    out.append(("qmp_capabilities", c.cmd("qmp_capabilities")))
    out.append(("qmp_capabilities twice", c.cmd("qmp_capabilities")))
    out.append(("malformed JSON", c.raw("xyz\n")))
    out.append(("not an object", c.raw("[1]\n")))
    out.append(("an unknown member", c.raw('{"foo": 1}\n')))
    out.append(("an unknown command with an id", c.cmd("no-such-command", id=3)))
    out.append(("two messages in one write, split across writes",
                c.raw('{"execute": "query-status", "id": "a"}{"execute": "query')))
    out.append(("the second half", c.raw('-status", "id": "b"}\n')))
    out.append(("query-status (prelaunch)", c.cmd("query-status")))
    out.append(("query-cpus-fast", c.cmd("query-cpus-fast")))
    out.append(("human-monitor-command info status",
                c.cmd("human-monitor-command", {"command-line": "info status"})))
    c2 = Client(path) if multi else c
    if multi:
        out.append(("a second client's greeting", c2.greeting))
        out.append(("the second client negotiates", c2.cmd("qmp_capabilities")))
    out.append(("cont", c.cmd("cont")))
    out.append(("RESUME event", c.event("RESUME")))
    if multi:
        out.append(("the second client sees RESUME", c2.event("RESUME")))
    out.append(("query-status (running)", c.cmd("query-status")))
    out.append(("stop", c.cmd("stop")))
    out.append(("STOP event", c.event("STOP")))
    out.append(("query-status (paused)", c2.cmd("query-status")))
    out.append(("quit", c.cmd("quit")))
    out.append(("SHUTDOWN event", c.event("SHUTDOWN")))
    if multi:
        c2.s.close()
    return out, c


def run_qemu(d):
    q = shutil.which("qemu-system-x86_64")
    if not q:
        return None, "qemu-system-x86_64 not installed"
    path = os.path.join(d, "qemu.sock")
    p = subprocess.Popen([q, "-display", "none", "-machine", "accel=tcg", "-S", "-serial", "none",
                          "-qmp", "unix:%s,server,wait=off" % path, "-kernel", GUEST],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        out, _ = session(path, False)
    finally:
        try:
            p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
    return out, None


def run_triplex(d):
    path = os.path.join(d, "triplex.sock")
    p = subprocess.Popen([T, "run", "--mode", "bt", "-S", "--serial", "none",
                          "--qmp", "unix:%s,server,wait=off" % path, "--kernel", GUEST],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        out, c = session(path, True)
        rc = p.wait(timeout=TIMEOUT)
        report("triplex exits with status 0 after quit", rc == 0, "rc %s" % rc)
    except Exception:
        p.kill()
        raise
    return out


def triplex_own(d):
    path = os.path.join(d, "own.sock")
    p = subprocess.Popen([T, "run", "--mode", "bt", "-S", "--serial", "none",
                          "--qmp", "unix:%s,server,wait=off" % path, "--kernel", GUEST],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        c = Client(path)
        c.cmd("qmp_capabilities")
        r = c.cmd("x-triplex-query-mode")
        report("x-triplex-query-mode names the engine and why",
               r.get("return", {}).get("engine") == "bt" and "reason" in r["return"]
               and r["return"]["switches"] == [], r)
        r = c.cmd("x-triplex-query-counters")
        report("x-triplex-query-counters returns the counters",
               isinstance(r.get("return", {}).get("counters"), (dict, list)), str(r)[:200])
        r = c.cmd("x-triplex-switch", {"engine": "fast"})
        report("x-triplex-switch to an unknown engine is refused with the reason",
               r.get("error", {}).get("class") == "GenericError"
               and "no 'fast' engine" in r["error"]["desc"], r)
        r = c.cmd("x-triplex-switch", {"engine": "bt"})
        report("x-triplex-switch to the current engine is refused",
               "already runs under bt" in r.get("error", {}).get("desc", ""), r)
        r = c.cmd("human-monitor-command", {"command-line": "x/2i $pc"})
        report("human-monitor-command runs the console's commands",
               "0x0010" in r.get("return", ""), r)
        r = c.cmd("system_powerdown")
        e = c.event("POWERDOWN")
        s = c.event("SHUTDOWN")
        report("system_powerdown: POWERDOWN then SHUTDOWN with a timestamp",
               r == {"return": {}} and "timestamp" in e and s["data"]["guest"] is False, s)
        rc = p.wait(timeout=TIMEOUT)
        report("system_powerdown stops triplex with status 0", rc == 0, "rc %s" % rc)
    except Exception as ex:
        report("triplex's own QMP commands", False, repr(ex))
        p.kill()


def main():
    d = tempfile.mkdtemp(prefix="triplex-qmp.")
    try:
        try:
            ours = run_triplex(d)
        except Exception as ex:
            report("the QMP session against triplex", False, repr(ex))
            return
        want = {
            "a command before qmp_capabilities": lambda m: m["error"]["class"] == "CommandNotFound",
            "qmp_capabilities": lambda m: m == {"return": {}},
            "qmp_capabilities twice": lambda m: m["error"]["class"] == "CommandNotFound",
            "malformed JSON": lambda m: m["error"]["class"] == "GenericError"
            and m["error"]["desc"].startswith("JSON parse error"),
            "not an object": lambda m: m["error"]["desc"] == "QMP input must be a JSON object",
            "an unknown member": lambda m: "'foo' is unexpected" in m["error"]["desc"],
            "an unknown command with an id": lambda m: m["id"] == 3
            and m["error"]["class"] == "CommandNotFound",
            "two messages in one write, split across writes": lambda m: m["id"] == "a",
            "the second half": lambda m: m["id"] == "b",
            "query-status (prelaunch)": lambda m: m["return"]["status"] == "prelaunch",
            "query-status (running)": lambda m: m["return"]["running"] is True,
            "query-status (paused)": lambda m: m["return"]["status"] == "paused",
            "query-cpus-fast": lambda m: m["return"][0]["cpu-index"] == 0
            and m["return"][0]["thread-id"] > 0,
            "human-monitor-command info status":
            lambda m: m["return"] == "VM status: paused (prelaunch)\r\n",
            "the second client sees RESUME": lambda m: "timestamp" in m,
            "SHUTDOWN event": lambda m: m["data"] == {"guest": False, "reason": "host-qmp-quit"},
        }
        for name, msg in ours:
            try:
                good = want.get(name, lambda m: isinstance(m, dict))(msg)
            except (KeyError, IndexError, TypeError):
                good = False
            report("triplex answers: %s" % name, good, msg)
        try:
            ref, why = run_qemu(d)
        except Exception as ex:
            ref, why = None, "QEMU session failed: %r" % ex
        if ref is None:
            print("ok qmp: shapes agree with QEMU # SKIP %s" % why)
        else:
            refd = dict(ref)
            for name, a in ours:
                if name not in refd:
                    continue
                b = refd[name]
                if name == "greeting":  # QEMU lists "oob", Triplex no capability
                    a = dict(a, QMP=dict(a["QMP"], capabilities=[]))
                    b = dict(b, QMP=dict(b["QMP"], capabilities=[]))
                report("same shape as QEMU: %s" % name, shape(a) == shape(b),
                       "triplex %s, qemu %s" % (json.dumps(a)[:200], json.dumps(b)[:200]))
            statuses = [(n, a["return"]["status"], refd[n]["return"]["status"]) for n, a in ours
                        if n.startswith("query-status (")]
            report("query-status values agree with QEMU", all(x == y for _, x, y in statuses),
                   statuses)
            shut = [(a["data"], refd[n]["data"]) for n, a in ours if n == "SHUTDOWN event"]
            report("SHUTDOWN after quit: same data as QEMU", shut and shut[0][0] == shut[0][1],
                   shut)
        triplex_own(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


main()

#!/usr/bin/env python3
"""pty_signal.py DELAY TRIPLEX ARGS...: run triplex on a pseudo-terminal,
send SIGTERM after DELAY seconds and check that the terminal's modes are
what they were before (triplex puts it in raw mode for the serial console
as soon as the board exists, before the kernel and initrd are loaded).
Prints one line: "restored STATUS" or "not restored STATUS"."""
import os
import pty
import signal
import subprocess
import sys
import termios
import time

m, s = pty.openpty()
before = termios.tcgetattr(s)
p = subprocess.Popen(sys.argv[2:], stdin=s, stdout=s, stderr=s, start_new_session=True)
time.sleep(float(sys.argv[1]))
p.send_signal(signal.SIGTERM)
try:
    rc = p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    rc = p.wait()
after = termios.tcgetattr(s)
print(("restored " if after == before else "not restored ") + str(rc))

#!/usr/bin/env python3
"""tests/fuzz/seed.py BUILD_DIR GUEST_DIR OUT: write the seed inputs of each
fuzz target (docs/fuzzing.md) into OUT/TARGET/: the suite's small images
with the targets' headers, a synthetic bzImage, configs and flags, a
serial log and a stats document, device access sequences. The committed
corpus (tests/fuzz/corpus) is these seeds grown by fuzzing and minimised
with libFuzzer's -merge=1."""
import json, os, struct, subprocess, sys

B, GB, OUT = sys.argv[1:4]

def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

def img(name):
    with open(os.path.join(GB, name), 'rb') as f:
        return f.read()

def bzimage(xlf64=True, initrd_ok=True):
    """A minimal bzImage (boot protocol 2.12): one setup sector, then the
    protected-mode code (a few NOPs and HLT)."""
    setup = bytearray(512 * 2)
    setup[0x1f1] = 1                                   # setup_sects
    struct.pack_into('<H', setup, 0x1fe, 0xaa55)
    setup[0x202:0x206] = b'HdrS'
    struct.pack_into('<H', setup, 0x206, 0x020c)       # version
    setup[0x211] = 0x01                                # loadflags: LOADED_HIGH
    struct.pack_into('<I', setup, 0x214, 0x100000)     # code32_start
    struct.pack_into('<I', setup, 0x22c, 0x37ffffff if initrd_ok else 0) # initrd_addr_max
    struct.pack_into('<I', setup, 0x230, 0x200000)     # kernel_alignment
    setup[0x234] = 1                                   # relocatable
    struct.pack_into('<H', setup, 0x236, 0x3 if xlf64 else 0) # xloadflags
    struct.pack_into('<I', setup, 0x238, 2048)         # cmdline_size
    struct.pack_into('<I', setup, 0x260, 0x400000)     # init_size
    code = b'\x90' * 0x200 + b'\xf4' + b'\x00' * 0x1ff
    return bytes(setup) + code

small = ['tiny-serial.elf', 'tiny-exc.elf', 'tiny-elf64.elf', 'tiny-real.bin',
         'tiny-op32.elf', 'hello-32.elf', 'hello-64.elf']
kernels = {n: img(n) for n in small if os.path.exists(os.path.join(GB, n))}
kernels['bzimage64'] = bzimage(True)
kernels['bzimage32'] = bzimage(False)

# load: [format][flags][initrd len u16][flat address u32][initrd][kernel]
for n, k in kernels.items():
    fmt = 4 if n.endswith('.bin') else 3 if n.startswith('bzimage') else 0
    flags = 0x12 if fmt == 4 else 0x03
    initrd = b'INITRD' * 8
    put('load', n, struct.pack('<BBHI', fmt, flags, len(initrd), 0x7c00) + initrd + k)
put('load', 'multiboot-modules', struct.pack('<BBHI', 1, 0x07, 4, 0) + b'MOD!' +
    kernels['tiny-serial.elf'])

# scan: [format] then the image
for n, k in kernels.items():
    put('scan', n, bytes([4 | 0x80 if n.endswith('.bin') else 0]) + k)

# note: PV images (the note parser)
for n in ['hello-pv-32.elf', 'hello-pv-64.elf']:
    if os.path.exists(os.path.join(GB, n)):
        put('note', n, img(n))
put('note', 'tiny-elf64.elf', kernels['tiny-elf64.elf'])

# config: JSON, 0xff, flags separated by NUL
cfgs = {
    'docs-example': ({"name": "hello", "kernel": "hello-64.elf", "append": "quick",
                      "mem": "128M", "mode": "auto", "serial": "stdio"}, []),
    'flat': ({"kernel": "r.bin", "format": "flat", "load_addr": "0x7c00",
              "entry_bits": 16, "entry": "0x7c00"}, ["--mem=64M", "--mode", "bt"]),
    'workload': ({"kernel": "k.elf", "workload": {"class": "compute"}, "initrd": "a b,c",
                  "debugcon": "file:/dev/null", "smp": 1},
                 ["--stats", "--switch", "pv@3", "--no-adapt", "--log=bt,io", "-q"]),
    'flags-only': ({}, ["--kernel", "x.elf", "--format=bzimage", "--append", "a=b c",
                        "--serial=none", "--no-profile", "--explain", "--entry-bits=32"]),
}
for n, (c, flags) in cfgs.items():
    put('config', n, json.dumps(c).encode() + b'\xff\x00' + b'\0'.join(f.encode() for f in flags))
put('config', 'qemu-style', b'{}\xff\x00' + b'\0'.join([b'-kernel', b'k.elf', b'-m', b'256',
    b'-append', b'quick', b'-nographic', b'-no-reboot', b'-smp', b'1']))
put('config', 'probe', b'{}\xff\x02' + b'\0'.join([b'--json', b'--guest', b'k.elf']))
put('config', 'perf', b'{"kernel": "k.elf"}\xff\x01' + b'\0'.join([b'--runs', b'2', b'--modes=bt,pv']))

# report: a serial log with bench lines, 0xff, a --stats-json document
serial = open(os.path.join(os.path.dirname(__file__), '..', 'guest', 'expected',
                           'callret-32.elf.out'), 'rb').read()
serial += (b'bench callret iters=1000 cycles_per_iter=7.50 ns_per_iter=2.88\n'
           b'bench syscall iters=100 cycles_per_iter=1336.00 ns_per_iter=514.00\n')
stats = None
try:
    p = os.path.join(OUT, 'stats.json')
    subprocess.run([os.path.join(B, 'triplex'), 'run', '--kernel',
                    os.path.join(GB, 'hello-32.elf'), '--mode', 'bt', '-q', '--serial',
                    'none', '--stats-json', p, '--append', 'quick'],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    stats = open(p, 'rb').read()
    os.unlink(p)
except Exception:
    pass
if not stats:
    stats = json.dumps({"counters": {"bt.events": {"unit": "events", "timed": False,
            "rows": {"blocks decoded": {"count": 10, "ns": 0}}}}}).encode()
put('report', 'callret-bt', serial + b'\xff' + stats)

# board: [focus] then [kind][device][offset u16][value u32] operations
def op(kind, dev, off, val, size=0):
    return struct.pack('<BBHI', kind | size << 3, dev, off, val)
W, R, T, A = 3, 0, 6, 7   # write, read, time, acknowledge
pic = (op(W, 0, 0, 0x11) + op(W, 0, 1, 0x20) + op(W, 0, 1, 0x04) + op(W, 0, 1, 0x01) +
       op(W, 1, 0, 0x11) + op(W, 1, 1, 0x28) + op(W, 1, 1, 0x02) + op(W, 1, 1, 0x01) +
       op(W, 0, 1, 0x00) + op(W, 1, 1, 0x00))
pit = op(W, 3, 3, 0x34) + op(W, 3, 0, 0xa9) + op(W, 3, 0, 0x04)
put('board', 'pic-pit-ticks', bytes([0]) + pic + pit + (op(T, 0, 0, 1000000) + op(A, 0, 0, 0)) * 8)
put('board', 'rtc', bytes([6]) + b''.join(op(W, 0, 0, r) + op(R, 0, 1, 0) for r in range(0, 0x40, 3)))
put('board', 'uart', bytes([7]) + op(W, 0, 3, 0x80) + op(W, 0, 0, 1) + op(W, 0, 3, 3) +
    op(W, 0, 1, 0x0f) + b''.join(op(W, 0, 0, c) for c in b'hello\n') + op(R, 0, 5, 0) +
    op(R, 0, 2, 0))
put('board', 'fwcfg', bytes([8]) + op(W, 0, 0, 0, 1) + op(R, 0, 1, 0) * 4 +
    op(W, 0, 0, 0x19, 1) + op(R, 0, 1, 0) * 16)
# (focus 0: device d is devs[1 + d]: 8 = i8042 data 0x60, 9 = its command port 0x64)
put('board', 'i8042', bytes([0]) + op(W, 9, 0, 0xaa) + op(R, 8, 0, 0) + op(W, 9, 0, 0x60) +
    op(W, 8, 0, 0x47) + op(W, 8, 0, 0xff) + op(R, 8, 0, 0) + op(R, 9, 0, 0))
put('board', 'pci', bytes([11]) + b''.join(op(W, 0, 0, 0x80000000 | d << 11 | r, 2) +
                                           op(R, 0, 4, 0, 2) for d in range(4) for r in (0, 8, 0x10)))
put('board', 'apic', bytes([13]) + op(R, 0, 0x30, 0, 2) + op(W, 0, 0xf0, 0x1ff, 2) +
    op(W, 0, 0x320, 0x20030, 2) + op(W, 0, 0x3e0, 0xb, 2) + op(W, 0, 0x380, 1000, 2) +
    (op(T, 0, 0, 1000000) + op(A, 0, 0, 0)) * 4 + op(W, 0, 0xb0, 0, 2))
put('board', 'ioapic', bytes([14]) + op(W, 0, 0, 0x10, 2) + op(W, 0, 0x10, 0x30, 2) +
    op(W, 0, 0, 0x11, 2) + op(W, 0, 0x10, 0, 2) + op(R, 0, 0x10, 0, 2) + op(W, 0, 0, 1, 2) +
    op(R, 0, 0x10, 0, 2))
put('board', 'hpet', bytes([16]) + op(R, 0, 0, 0, 2) + op(W, 0, 0x10, 3, 2) +
    op(W, 0, 0x100, 0x4c, 2) + op(W, 0, 0x108, 100000, 2) + op(W, 0, 0xf0, 0, 2) +
    (op(T, 0, 0, 1000000) + op(A, 0, 0, 0) + op(R, 0, 0xf0, 0, 2) + op(W, 0, 0x20, 1, 2)) * 4)
put('board', 'acpi-pm', bytes([21]) + op(R, 0, 8, 0, 2) + op(W, 0, 2, 0x100, 1) +
    op(T, 0, 0, 50000000) + op(R, 0, 0, 0, 1) + op(W, 0, 0, 0x100, 1) + op(W, 0, 4, 1, 1) +
    op(R, 0, 8, 0, 2))

#!/bin/sh
# perf/bt-vs-qemu.sh [BUILD_DIR] [GUEST_DIR] [GUEST_SRC]: the bt engine's
# performance table. Runs the 32-bit workload guests (compute callret
# syscall io pgfault ptemod divzero ctxsw) under Triplex bt and under
# QEMU TCG (same image, same machine, one guest at a time), compute and
# callret also natively (the guests' own kernels compiled for the host with
# the guests' flags), RUNS times each, and prints the medians of the
# guests' "bench NAME ... cycles_per_iter=X" lines (RDTSC cycles per
# iteration) with the ratios, plus the translation cost per guest
# instruction (decode + translate, from --stats).
#
# Environment: RUNS (default 5), QEMU (default qemu-system-i386),
# WORKLOADS (a subset), BT_ARGS (extra triplex arguments, e.g. --bt-interp),
# TRIPLEX_BT_MEM=softmmu (compare guest-memory strategies).
# Defaults: BUILD_DIR build/release, GUEST_DIR build/guests, GUEST_SRC guests.
set -u
B=${1:-build/release}
GB=${2:-build/guests}
SRC=${3:-guests}
RUNS=${RUNS:-5}
QEMU=${QEMU:-qemu-system-i386}
WORKLOADS=${WORKLOADS:-"compute callret syscall io pgfault ptemod divzero ctxsw"}
BT_ARGS=${BT_ARGS:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bt-vs-qemu.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

median() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# The cycles_per_iter of the first bench line in FILE ("" if none).
cycles_of() {
	sed -n 's/^bench [^ ]* .*cycles_per_iter=\([0-9.]*\).*/\1/p' "$1" | head -1
}

run_bt() { # IMAGE -> cycles; stats appended to $tmp/stats
	# shellcheck disable=SC2086
	timeout -k 5 300 "$B/triplex" run --kernel "$GB/$1" --mode bt -q --stats $BT_ARGS \
		--serial "file:$tmp/out" </dev/null >/dev/null 2>"$tmp/err"
	cat "$tmp/err" >>"$tmp/stats"
	cycles_of "$tmp/out"
}

run_qemu() { # IMAGE -> cycles
	timeout -k 5 300 "$QEMU" -accel tcg -m 128M -kernel "$GB/$1" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -serial "file:$tmp/out" \
		-display none -nodefaults -no-reboot </dev/null >/dev/null 2>&1
	cycles_of "$tmp/out"
}

# Native: the guests' compute kernels and callret_rec, with the guests'
# code-generation flags, timed with RDTSC like the guests time themselves.
build_native() {
	cc=${CC:-cc}
	flags="-m32 -O2 -fno-pic -fno-pie -mgeneral-regs-only -fno-tree-loop-distribute-patterns"
	cat >"$tmp/native_compute.c" <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>
#include "compute.h"
int main(void)
{
	struct compute_sizes sz = COMPUTE_FULL_SIZES;
	struct compute_result r;
	void *s = malloc(compute_scratch_size(&sz));
	compute_pass(&sz, s, &r); /* warm up, as the guest's first pass is */
	uint64_t t0 = __rdtsc();
	for (int i = 0; i < 10; i++)
		compute_pass(&sz, s, &r);
	printf("bench compute iters=10 cycles_per_iter=%llu\n",
	       (unsigned long long)((__rdtsc() - t0) / 10));
	return 0;
}
EOF
	cat >"$tmp/native_callret.c" <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <x86intrin.h>
uint32_t callret_rec(uint32_t depth, uint32_t x);
int main(void)
{
	const uint64_t iters = 50000000, depth = 16;
	uint32_t sum = 0;
	uint64_t t0 = __rdtsc();
	for (uint64_t i = 0; i < iters / depth; i++)
		sum += callret_rec(depth - 1, (uint32_t)i);
	uint64_t t = __rdtsc() - t0;
	printf("bench callret iters=%llu cycles_per_iter=%llu.%02llu sum=%u\n",
	       (unsigned long long)iters, (unsigned long long)(t / iters),
	       (unsigned long long)(t * 100 / iters % 100), sum);
	return 0;
}
EOF
	sed 's/\.section \.utext, "ax"/.text/' "$SRC/work/callret_32.S" >"$tmp/callret_32.S"
	# shellcheck disable=SC2086
	$cc $flags -I"$SRC/work" -c "$SRC/work/compute_kern_user.c" -o "$tmp/ck.o" &&
		$cc $flags -I"$SRC/work" "$tmp/native_compute.c" "$tmp/ck.o" -o "$tmp/native_compute" &&
		$cc -m32 -O2 "$tmp/native_callret.c" "$tmp/callret_32.S" -o "$tmp/native_callret" \
			-Wl,-z,noexecstack
}

have_native=0
if [ -f "$SRC/work/compute_kern_user.c" ] && build_native 2>"$tmp/build.err"; then
	have_native=1
else
	echo "native: cannot build the native kernels from $SRC/work (needs cc -m32):" >&2
	sed 's/^/  /' "$tmp/build.err" >&2
fi
have_qemu=1
command -v "$QEMU" >/dev/null 2>&1 || have_qemu=0

printf '%-9s %14s %14s %9s %14s %9s\n' workload "bt" "qemu-tcg" "bt/qemu" "native" "bt/native"
for w in $WORKLOADS; do
	img=$w-32.elf
	if [ ! -f "$GB/$img" ]; then
		echo "$w: $GB/$img not built" >&2
		continue
	fi
	: >"$tmp/bt" && : >"$tmp/qemu" && : >"$tmp/native"
	i=0
	while [ $i -lt "$RUNS" ]; do
		run_bt "$img" >>"$tmp/bt"
		[ $have_qemu = 1 ] && run_qemu "$img" >>"$tmp/qemu"
		if [ $have_native = 1 ] && [ -x "$tmp/native_$w" ]; then
			"$tmp/native_$w" >"$tmp/out" && cycles_of "$tmp/out" >>"$tmp/native"
		fi
		i=$((i + 1))
	done
	bt=$(median <"$tmp/bt")
	qm=$(median <"$tmp/qemu")
	nt=$(median <"$tmp/native")
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'; }
	printf '%-9s %14s %14s %9s %14s %9s\n' "$w" "$bt" "$qm" "$(ratio "$bt" "$qm")" "$nt" "$(ratio "$bt" "$nt")"
done

# translation cost: total decode and translate time over translated insns
awk '
	/^  decode \(blocks\)/ { dms += $(NF - 1) }
	/^  translate \(blocks\)/ { tms += $(NF - 1) }
	/^  decode \(insns\)/ { din += $3 }
	/^  translate \(insns\)/ { tin += $3 }
	END {
		if (din && tin)
			printf "\ntranslation cost per guest instruction: decode %.0f ns, translate %.0f ns (%d insns decoded, %d translated over all runs)\n",
				dms * 1e6 / din, tms * 1e6 / tin, din, tin
	}' "$tmp/stats"
echo "(cycles per iteration, medians of $RUNS runs; bt/qemu < 1 means bt is faster)"

#!/bin/sh
# perf/bt-vs-qemu.sh [BUILD_DIR] [GUEST_DIR]: the bt engine's
# performance table. Runs the 32-bit workload guests (compute callret
# syscall io pgfault ptemod divzero ctxsw) under Triplex bt and under
# QEMU TCG (same image, same machine, one guest at a time), compute and
# callret also natively (build/guests/native-32: the guests' own kernels
# and callret assembly built as a Linux program), RUNS times each, and prints the medians of the
# guests' "bench NAME ... cycles_per_iter=X" lines (RDTSC cycles per
# iteration) with the ratios, plus the translation cost per guest
# instruction (decode + translate, from --stats).
#
# Environment: RUNS (default 5), QEMU (default qemu-system-i386),
# WORKLOADS (a subset), BT_ARGS (extra triplex arguments, e.g. --bt-interp),
# TRIPLEX_BT_MEM=softmmu (compare guest-memory strategies).
# Defaults: BUILD_DIR build/release, GUEST_DIR build/guests.
set -u
B=${1:-build/release}
GB=${2:-build/guests}
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
# native: build/guests/native-32 runs the guests' own compute kernels and
# callret assembly as a Linux program (guests/native).
have_native=0
if [ -x "$GB/native-32" ]; then
	have_native=1
else
	echo "native: $GB/native-32 not built (make guests)" >&2
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
		if [ $have_native = 1 ] && { [ "$w" = compute ] || [ "$w" = callret ]; }; then
			"$GB/native-32" "$w" >"$tmp/out" && cycles_of "$tmp/out" >>"$tmp/native"
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

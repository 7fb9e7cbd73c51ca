#!/bin/sh
# tests/guest/qemu.sh [--bless] BUILD_DIR GUEST_DIR: the QEMU reference run.
# Boots every image of suite.list under QEMU TCG with "quick" and a timeout,
# filters the serial output with filter.sed, compares it with
# expected/IMAGE.out and the exit status with suite.list, and prints one
# line per image:
#   ok qemu-tcg: IMAGE
#   not ok qemu-tcg: IMAGE (why)        followed by the diff or the output
#   ok qemu-tcg: IMAGE # SKIP qemu-system-x86_64 not installed
# --bless rewrites the expected files from this run instead (developers
# only; it refuses output with FAIL or FATAL lines or a wrong status).
# BUILD_DIR is accepted for symmetry with run.sh and not used. Environment:
# QEMU (the binary), GUEST_TIMEOUT (seconds per image, default 60).
bless=0
if [ "${1:-}" = --bless ]; then
	bless=1
	shift
fi
: "${1:?usage: qemu.sh [--bless] BUILD_DIR GUEST_DIR}"
GB=${2:?usage: qemu.sh [--bless] BUILD_DIR GUEST_DIR}
here=$(dirname "$0")
QEMU=${QEMU:-qemu-system-x86_64}
tmo=${GUEST_TIMEOUT:-60}
out=$(mktemp "${TMPDIR:-/tmp}/triplex-qemu.XXXXXX") || exit 1
trap 'rm -f "$out" "$out.f" "$out.d"' EXIT
have_qemu=1
command -v "$QEMU" >/dev/null 2>&1 || have_qemu=0
failed=0

indent() { sed 's/^/  | /'; }

run_one() { # IMAGE -> $out (raw serial output), returns QEMU's status
	timeout -k 5 "$tmo" "$QEMU" -accel tcg -m 128M -kernel "$GB/$1" -append quick \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -serial stdio -display none \
		-nodefaults -no-reboot </dev/null >"$out" 2>&1
}

check_one() { # IMAGE WANT_STATUS
	img=$1 want=$2 exp=$here/expected/$1.out
	if [ ! -f "$GB/$img" ]; then
		echo "not ok qemu-tcg: $img (image missing: run make guests)"
		return 1
	fi
	run_one "$img"
	st=$?
	sed -f "$here/filter.sed" "$out" >"$out.f"
	if [ "$bless" = 1 ]; then
		if [ "$st" != "$want" ] || grep -q '^\(FAIL\|FATAL\)' "$out.f"; then
			echo "not ok qemu-tcg: $img (not blessed: status $st, want $want)"
			indent <"$out"
			return 1
		fi
		cp "$out.f" "$exp" && echo "ok qemu-tcg: $img # blessed $exp"
		return 0
	fi
	if [ "$st" = 124 ] || [ "$st" = 137 ]; then
		echo "not ok qemu-tcg: $img (timed out after ${tmo}s)"
		indent <"$out"
		return 1
	fi
	if [ ! -f "$exp" ]; then
		echo "not ok qemu-tcg: $img (no expected output $exp)"
		return 1
	fi
	if ! diff -u "$exp" "$out.f" >"$out.d" 2>&1; then
		echo "not ok qemu-tcg: $img (output differs from $exp)"
		indent <"$out.d"
		rm -f "$out.d"
		return 1
	fi
	rm -f "$out.d"
	if [ "$st" != "$want" ]; then
		echo "not ok qemu-tcg: $img (exit status $st, want $want)"
		indent <"$out"
		return 1
	fi
	echo "ok qemu-tcg: $img"
}

while read -r img want _; do
	case "$img" in '' | '#'*) continue ;; esac
	if [ "$have_qemu" = 0 ]; then
		echo "ok qemu-tcg: $img # SKIP $QEMU not installed"
		continue
	fi
	check_one "$img" "$want" || failed=$((failed + 1))
done <"$here/suite.list"
[ "$failed" -eq 0 ]

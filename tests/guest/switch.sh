#!/bin/sh
# switch.sh BUILD_DIR GUEST_DIR: engine switches on running guests. Every PV
# image of suite.list starts under another engine and is moved to pv
# (`--switch pv@MS`): 32-bit images from bt, 64-bit images from hw (where
# this host's KVM can run them; else a skip with the reason). At several
# points of the run: at once (32-bit: before the first instruction, the boot
# state; 64-bit: as soon as the guest is in long mode, the width its note
# declares), and after 1 and 3 ms (paging on, tasks in user mode, in the
# middle of the workload with `quick`). The exit status and the COM1 output
# must be the ones the guest has without a switch (tests/guest/expected/),
# and the switch must have happened (stderr's "mode: switched E -> pv")
# unless the guest had already finished. Then the adaptive policy (auto
# mode, no stored profile) on a fixed calibration written to a private
# cache, so the verdict does not depend on this machine's speed: bt's code
# 1.4x dearer than pv's, pv's events 40-60x dearer than bt's. A compute guest
# must be moved to pv with its output intact; a system-call guest, and any
# guest under --no-adapt, must stay on bt. Prints one TAP-like line per run,
# as run.sh.
# Environment: GUEST_TIMEOUT (s, default 60), SWITCH_POINTS ("0 1 3").
B=${1:?usage: switch.sh BUILD_DIR GUEST_DIR}
GB=${2:?usage: switch.sh BUILD_DIR GUEST_DIR}
here=$(cd "$(dirname "$0")" && pwd)
triplex=$B/triplex
timeout_s=${GUEST_TIMEOUT:-60}
points=${SWITCH_POINTS:-0 1 3}
. "$here/lib.sh"
guest_setup switch
# why_not E...: why one of the engines cannot run here ("" if all can)
why_not() {
	w=""
	for e in "$@"; do
		u=$(unavailable "$e")
		[ -n "$u" ] && w="$w$u; "
	done
	printf '%s' "$w"
}
why=$(why_not bt pv)

grep -v '^[[:space:]]*#' "$here/suite.list" | grep -v '^[[:space:]]*$' |
while read -r image status extra; do
	case "$image" in
	*-pv-32.elf) from=bt ;;
	*-pv-64.elf) from=hw ;;
	*) continue ;;
	esac
	skip=$(why_not "$from" pv)
	for ms in $points; do
		name="$from->pv@${ms}ms: $image"
		if [ -n "$skip" ]; then
			echo "ok $name # SKIP $skip"
			continue
		fi
		out="$work/out" err="$work/err"
		# shellcheck disable=SC2086
		timeout -k 5 "$timeout_s" "$triplex" run --kernel "$GB/$image" --mode "$from" \
			--switch "pv@$ms" --serial "file:$out" --append quick $extra \
			</dev/null >/dev/null 2>"$err"
		rc=$?
		normalize "$out" >"$work/got"
		if [ $rc -eq 8 ]; then
			echo "ok $name # SKIP $(grep -v 'warning:' "$err" | grep -m1 'cannot run\|stopped:' | sed 's/^triplex: //')"
		elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			echo "not ok $name (timed out after ${timeout_s}s)"
			sed 's/^/  | /' "$err" | tail -5
		elif [ "$rc" != "$status" ] && grep -q 'runs the guest anyway' "$err"; then
			# the scan's hint came true before the switch: this host's KVM cannot
			echo "ok $name # SKIP exit status $rc as the scan warned: $(grep -m1 'runs the guest anyway' "$err" | sed 's/^triplex: warning: //')"
		elif [ "$rc" != "$status" ]; then
			echo "not ok $name (exit status $rc, expected $status)"
			sed 's/^/  | /' "$err" | tail -15
		elif ! diff -u "$here/expected/$image.out" "$work/got" >"$work/diff"; then
			echo "not ok $name (output differs)"
			sed 's/^/  | /' "$work/diff" | head -30
		elif grep -q "mode: switched $from -> pv" "$err"; then
			echo "ok $name"
		elif [ "$ms" = 0 ]; then
			echo "not ok $name (no switch: @0 switches as soon as pv can take the guest)"
			sed 's/^/  | /' "$err" | tail -5
		else
			echo "ok $name # (finished under $from before ${ms} ms)"
		fi
	done
done

# ---- the adaptive policy on a fixed calibration ----
cache="$work/cache"
mkdir -p "$cache/triplex"
fp=$(XDG_CACHE_HOME="$cache" "$triplex" probe --json 2>/dev/null |
	sed -n 's/.*"fingerprint": *"\([0-9a-f]*\)".*/\1/p' | head -1)
# costs: ring0 ring3 exit page_fault pte_update syscall (ns); null: unsupported
width() { # ENGINE-COSTS...
	printf '{"ring0_insn":{"ns":%s},"ring3_insn":{"ns":%s},"exit":{"ns":%s},' "$1" "$2" "$3"
	printf '"page_fault":{"ns":%s},"pte_update":{"ns":%s},"syscall":{"ns":%s}}' "$4" "$5" "$6"
}
none=$(width null null null null null null)
{
	printf '{"version": 4, "ms": 1, "cached": false, "engines": {'
	printf '"hw": {"32": %s, "64": %s},' "$none" "$none"
	printf '"bt": {"32": %s, "64": %s},' "$(width 1.0 0.2 20 3500 290 270)" "$none"
	printf '"pv": {"32": %s, "64": %s}}}\n' "$(width 1.0 0.14 9500 18000 12500 11500)" "$none"
} >"$cache/triplex/calib-$fp.json"

# adapt NAME IMAGE WANT_SWITCH ARGS...
adapt() {
	name="adaptive: $1" image=$2 want=$3
	shift 3
	if [ -n "$why" ] || [ -z "$fp" ]; then
		echo "ok $name # SKIP ${why:-no host fingerprint from triplex probe --json}"
		return
	fi
	out="$work/out" err="$work/err"
	XDG_CACHE_HOME="$cache" timeout -k 5 "$timeout_s" "$triplex" run --kernel "$GB/$image" \
		--serial "file:$out" "$@" </dev/null >/dev/null 2>"$err"
	rc=$?
	normalize "$out" >"$work/got"
	switched=no
	grep -q 'mode: switched bt -> pv' "$err" && switched=yes
	if [ "$rc" != 1 ]; then
		echo "not ok $name (exit status $rc, expected 1)"
		sed 's/^/  | /' "$err" | tail -10
	elif ! diff -u "$here/expected/$image.out" "$work/got" >"$work/diff"; then
		echo "not ok $name (output differs)"
		sed 's/^/  | /' "$work/diff" | head -30
	elif ! grep -q '^triplex: mode: bt ' "$err"; then
		echo "not ok $name (did not start under bt)"
		sed 's/^/  | /' "$err" | head -5
	elif [ "$switched" != "$want" ]; then
		echo "not ok $name (switched to pv: $switched, expected $want)"
		sed 's/^/  | /' "$err" | tail -8
	else
		echo "ok $name"
	fi
}
adapt "a compute-bound PV guest is moved to pv" compute-pv-32.elf yes --append iters=4
adapt "a system-call-bound PV guest stays on bt" syscall-pv-32.elf no --append iters=200000
adapt "--no-adapt keeps a compute-bound guest on bt" compute-pv-32.elf no --append iters=4 --no-adapt
adapt "a named mode never switches" compute-pv-32.elf no --append iters=4 --mode bt

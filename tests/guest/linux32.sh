#!/bin/sh
# tests/guest/linux32.sh BUILD_DIR: Debian 12's stock 32-bit kernels (686 and
# 686-pae, fetched and built into BUILD_DIR/../linux32 by
# scripts/linux-guest.sh) boot under bt with a busybox initramfs to the
# TRIPLEX-BOOT-OK marker, run /etc/triplex/check.sh (md5sum of a known file,
# a fork/exec loop, a pipe, an awk floating-point loop, a tmpfs copy) whose
# output is compared with what the host computes, and power off cleanly.
# Skipped, with the reason, where the packages cannot be fetched or bt
# refuses the kernel (e.g. no x87 FPU yet); never passed then.
# LINUX32_INTERP=1 also boots each kernel on bt's interpreter (slow).
B=${1:?usage: linux32.sh BUILD_DIR}
T=$B/triplex
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$B/.." && pwd)/linux32
w=$(mktemp -d "${TMPDIR:-/tmp}/triplex-linux32.XXXXXX") || exit 1
trap 'rm -rf "$w"' EXIT

src=$here/../../scripts
# (re)build when something is missing or the initramfs's sources changed
# (the packages already fetched are reused)
if [ ! -f "$dir/initrd.gz" ] || [ ! -f "$dir/vmlinuz-686" ] || [ ! -f "$dir/vmlinuz-686-pae" ] ||
	[ -n "$(find "$src/linux-guest.sh" "$src/linux-guest" -newer "$dir/initrd.gz" 2>/dev/null)" ]; then
	sh "$src/linux-guest.sh" "$dir" >"$w/fetch" 2>&1
	rc=$?
	if [ $rc = 3 ]; then
		echo "ok linux32: Debian 686 kernels # SKIP cannot fetch the packages: $(grep -m1 'linux-guest:' "$w/fetch" | sed 's/^linux-guest: //')"
		exit 0
	elif [ $rc != 0 ]; then
		echo "not ok linux32: scripts/linux-guest.sh failed (status $rc)"
		sed 's/^/  | /' "$w/fetch" | tail -5
		exit 0
	fi
fi
known=$(md5sum <"$dir/initramfs/etc/triplex/known" | cut -d' ' -f1)
awk_want=$(awk 'BEGIN { s = 0; for (i = 1; i <= 20000; i++) s += 1.0 / i; printf "%.9f\n", s }')

# check NAME OUTFILE: one "ok"/"not ok" line for what check.sh printed.
check_output() {
	name=$1
	tr -d '\r' <"$2" >"$2.lf" # the guest's tty sends CR LF
	f=$2.lf
	why=""
	grep -q '^TRIPLEX-BOOT-OK' "$f" || why="no TRIPLEX-BOOT-OK marker"
	[ -z "$why" ] && ! grep -qx "md5 $known" "$f" && why="md5sum of the known file is not $known"
	[ -z "$why" ] && ! grep -qx "forkexec 100" "$f" && why="the fork/exec loop did not run 100 times"
	[ -z "$why" ] && ! grep -qx "pipe $known" "$f" && why="the pipe's md5sum is not $known"
	[ -z "$why" ] && ! grep -qx "awk $awk_want" "$f" && why="awk's float loop did not print $awk_want"
	[ -z "$why" ] && ! grep -qx "tmpfs $known" "$f" && why="the tmpfs copy's md5sum is not $known"
	[ -z "$why" ] && ! grep -q '^TRIPLEX-RUN-DONE status=0' "$f" && why="check.sh did not finish with status 0"
	echo "$why"
}

for flavour in 686 686-pae; do
	for engine in bt ${LINUX32_INTERP:+bt-interp}; do
		name="linux32: Debian $flavour kernel under $engine"
		extra=""
		[ "$engine" = bt-interp ] && extra=--bt-interp
		start=$(date +%s)
		timeout -k 5 900 "$T" run --mode bt $extra --kernel "$dir/vmlinuz-$flavour" \
			--initrd "$dir/initrd.gz" --mem 512M \
			--append "console=ttyS0 triplex_run=check" </dev/null >"$w/out" 2>"$w/err"
		rc=$?
		secs=$(($(date +%s) - start))
		if [ $rc = 8 ]; then
			echo "ok $name # SKIP $(grep -m1 'cannot run' "$w/err" | sed 's/^triplex: //')"
			continue
		fi
		why=$(check_output "$name" "$w/out")
		# poweroff -f: status 0 through ACPI where the platform has it, else
		# 10 (halted with interrupts disabled: docs/config.md)
		if [ -z "$why" ]; then
			if grep -q 'Preparing to enter system sleep state S5' "$w/out"; then
				[ $rc = 0 ] || why="exit status $rc after an ACPI power-off, expected 0"
			elif [ $rc != 0 ] && [ $rc != 10 ]; then
				why="exit status $rc, expected 0 (ACPI power-off) or 10 (halted)"
			fi
		fi
		if [ -n "$why" ]; then
			echo "not ok $name ($why; exit status $rc after ${secs}s)"
			tail -15 "$w/out" | sed 's/^/  | /'
			tail -5 "$w/err" | sed 's/^/  | /'
		else
			echo "ok $name (${secs}s, exit status $rc)"
		fi
	done
done

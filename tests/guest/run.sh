#!/bin/sh
# run.sh BUILD_DIR GUEST_DIR: runs every guest of tests/guest/*.list under
# every engine this triplex binary has, and compares the exit status and the
# COM1 output (normalized: `bench NAME ...` -> `bench NAME`, `info ...`
# dropped) with tests/guest/expected/IMAGE.out. Prints one line per run:
#   ok ENGINE: IMAGE | not ok ENGINE: IMAGE (why) | ok ENGINE: IMAGE # SKIP why
# A guest expected to stop abnormally (status 4) must also print its registers,
# and every line of expected/IMAGE.err (if any) must appear in its stderr.
# A list with a line "# engines: E1 E2" runs only under those engines.
# An engine the host cannot run, or a guest the engine refuses on this host
# (triplex exit status 8), is a skip with the engine's reason, never a pass;
# so is a run that fails after triplex warned that the scan's hints name a
# feature this host's engine cannot run (a named mode runs such a guest).
# A guest listed in engine-skip.txt for an engine (a known gap) is a skip
# with the reason given there.
# Environment: ENGINES="hw bt" to choose, GUEST_TIMEOUT (s, default 60),
# GUEST_FILTER=REGEX to run only matching images.
B=${1:?usage: run.sh BUILD_DIR GUEST_DIR}
GB=${2:?usage: run.sh BUILD_DIR GUEST_DIR}
here=$(cd "$(dirname "$0")" && pwd)
triplex=$B/triplex
timeout_s=${GUEST_TIMEOUT:-60}
. "$here/lib.sh"
guest_setup guests
all_engines=$(sed -n 's/^  \([a-z][a-z]\)   *\(available\|unavailable\).*/\1/p' "$work/probe")
engines=${ENGINES:-$all_engines}

for engine in $engines; do
	unavailable=$(unavailable "$engine")
	for list in "$here"/*.list; do
		only=$(sed -n 's/^# engines: *//p' "$list")
		if [ -n "$only" ] && ! printf ' %s ' "$only" | grep -q " $engine "; then
			continue
		fi
		grep -v '^[[:space:]]*#' "$list" | grep -v '^[[:space:]]*$' |
		while read -r image status extra; do
			name="$engine: $image"
			if [ -n "${GUEST_FILTER:-}" ] && ! printf '%s' "$image" | grep -Eq "$GUEST_FILTER"; then
				continue
			fi
			if [ -n "$unavailable" ]; then
				echo "ok $name # SKIP $engine: $unavailable"
				continue
			fi
			gap=$(awk -v e="$engine" -v i="$image" '$1 == e && $2 == i {
				$1 = $2 = ""; sub(/^ +/, ""); print; exit }' "$here/engine-skip.txt")
			if [ -n "$gap" ]; then
				echo "ok $name # SKIP $engine: $gap"
				continue
			fi
			expect="$here/expected/$image.out"
			if [ ! -f "$GB/$image" ]; then
				echo "not ok $name (image $GB/$image not built)"
				continue
			fi
			if [ ! -f "$expect" ]; then
				echo "not ok $name (no expected output $expect)"
				continue
			fi
			out="$work/out" err="$work/err"
			# shellcheck disable=SC2086
			timeout -k 5 "$timeout_s" "$triplex" run --kernel "$GB/$image" --mode "$engine" \
				--serial "file:$out" --append quick $extra </dev/null >/dev/null 2>"$err"
			rc=$?
			if [ $rc -eq 8 ]; then
				echo "ok $name # SKIP $(grep -v 'warning:' "$err" | grep -m1 'cannot run\|stopped:' | sed 's/^triplex: //')"
				continue
			fi
			if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
				echo "not ok $name (timed out after ${timeout_s}s)"
				sed 's/^/  | /' "$err" | tail -5
				continue
			fi
			normalize "$out" >"$work/got"
			hint=$(grep -m1 'runs the guest anyway' "$err" | sed 's/^triplex: warning: //')
			if [ "$rc" != "$status" ] && [ -n "$hint" ]; then
				# the scan's hint came true: this host's KVM cannot (as before, when the hint refused)
				echo "ok $name # SKIP exit status $rc as the scan warned: $hint"
			elif [ "$rc" != "$status" ]; then
				echo "not ok $name (exit status $rc, expected $status)"
				sed 's/^/  | /' "$err" | tail -15
				diff -u "$expect" "$work/got" | sed 's/^/  | /' | head -20
			elif [ "$status" = 4 ] && ! grep -q 'RIP=' "$err"; then
				echo "not ok $name (stopped abnormally but printed no guest registers)"
				sed 's/^/  | /' "$err" | tail -5
			elif [ -f "$here/expected/$image.err" ] && ! grep -qFf "$here/expected/$image.err" "$err"; then
				echo "not ok $name (stderr lacks the report in expected/$image.err)"
				sed 's/^/  | /' "$err" | head -5
			elif ! diff -u "$expect" "$work/got" >"$work/diff"; then
				echo "not ok $name (output differs)"
				sed 's/^/  | /' "$work/diff" | head -30
			else
				echo "ok $name"
			fi
		done
	done
done

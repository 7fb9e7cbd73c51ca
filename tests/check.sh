#!/bin/sh
# check.sh BUILD_DIR GUEST_DIR: the whole test suite (what `make check` runs).
# Runs every unit test binary (cmocka, TAP output), then the guest tests
# under every engine (tests/guest/run.sh) and under QEMU (tests/guest/qemu.sh),
# and ends with one line:
#   check: N passed, N failed, N skipped
# Exit status 0 only if nothing failed. Set CHECK_ONLY to
# run one part (unit, layers, cli, guest, switch, monitor, linux, qemu).
B=${1:?usage: check.sh BUILD_DIR GUEST_DIR}
GB=${2:?usage: check.sh BUILD_DIR GUEST_DIR}
here=$(dirname "$0")
tally=$(mktemp "${TMPDIR:-/tmp}/triplex-check.XXXXXX") || exit 1
trap 'rm -f "$tally"' EXIT

# Each result line goes to stdout and the tally: "ok NAME", "not ok NAME",
# "ok NAME # SKIP why".
if [ -z "${CHECK_ONLY:-}" ] || [ "${CHECK_ONLY:-}" = unit ]; then
	for t in "$B"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.o|*.d) continue ;; esac
		name=$(basename "$t")
		out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 600 "$t" 2>&1)
		rc=$?
		# cmocka's TAP: "ok N - test", "not ok N - test", "not ok N # SKIP test"
		# (the skip reason is the test's last message before it)
		printf '%s\n' "$out" | awk -v name="$name" '
			/^not ok [0-9]+ # SKIP/ { t = $0; sub(/^not ok [0-9]+ # SKIP /, "", t)
				print "ok " name ": " t " # SKIP " (last != "" ? last : "skipped"); last = ""; next }
			/^ok [0-9]+ - / { t = $0; sub(/^ok [0-9]+ - /, "", t); print "ok " name ": " t; last = ""; next }
			/^not ok [0-9]+ - / { t = $0; sub(/^not ok [0-9]+ - /, "", t); print "not ok " name ": " t; last = ""; next }
			/^#/ || /^1\.\./ { next }
			{ last = $0 }' >"$tally.u"
		if [ $rc -ne 0 ] && ! grep -q "^not ok $name" "$tally.u"; then
			echo "not ok $name: exited with status $rc" >>"$tally.u"
		fi
		if [ $rc -ne 0 ]; then
			printf '%s\n' "$out" | grep -v '^ok ' | sed 's/^/  | /'
		fi
		cat "$tally.u" >>"$tally"
		cat "$tally.u"
		rm -f "$tally.u"
	done
fi
if [ -z "${CHECK_ONLY:-}" ] || [ "${CHECK_ONLY:-}" = layers ]; then
	sh "$here/layers/run.sh" | tee -a "$tally"
fi
if [ -z "${CHECK_ONLY:-}" ] || [ "${CHECK_ONLY:-}" = cli ]; then
	sh "$here/cli/run.sh" "$B" "$GB" | tee -a "$tally"
fi
if [ -z "${CHECK_ONLY:-}" ] || [ "${CHECK_ONLY:-}" = guest ]; then
	sh "$here/guest/run.sh" "$B" "$GB" | tee -a "$tally"
fi
if [ -z "${CHECK_ONLY:-}" ] || [ "${CHECK_ONLY:-}" = switch ]; then
	sh "$here/guest/switch.sh" "$B" "$GB" | tee -a "$tally"
fi
if [ -z "${CHECK_ONLY:-}" ] || [ "${CHECK_ONLY:-}" = monitor ]; then
	timeout -k 5 600 python3 "$here/monitor/console.py" "$B" "$GB" | tee -a "$tally"
	timeout -k 5 600 python3 "$here/monitor/qmp.py" "$B" "$GB" | tee -a "$tally"
	timeout -k 5 600 python3 "$here/monitor/gdb.py" "$B" "$GB" | tee -a "$tally"
fi
if [ -z "${CHECK_ONLY:-}" ] || [ "${CHECK_ONLY:-}" = linux ]; then
	sh "$here/guest/linux32.sh" "$B" | tee -a "$tally"
fi
if [ -z "${CHECK_ONLY:-}" ] || [ "${CHECK_ONLY:-}" = fuzz ]; then
	# the libFuzzer targets: replay each corpus, fuzz each for FUZZ_SECONDS
	sh "$here/fuzz/run.sh" "$(dirname "$B")/fuzz" "${FUZZ_SECONDS:-3}" | tee -a "$tally"
fi
if [ -f "$here/guest/qemu.sh" ] && { [ -z "${CHECK_ONLY:-}" ] || [ "${CHECK_ONLY:-}" = qemu ]; }; then
	sh "$here/guest/qemu.sh" "$B" "$GB" | tee -a "$tally"
fi

pass=$(grep -c '^ok ' "$tally" | tr -d ' ')
skip=$(grep -c '^ok .*# SKIP' "$tally" | tr -d ' ')
fail=$(grep -c '^not ok ' "$tally" | tr -d ' ')
pass=$((pass - skip))
echo
if [ "$fail" -ne 0 ]; then
	echo "failed:"
	grep '^not ok ' "$tally" | sed 's/^not ok /  /'
fi
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

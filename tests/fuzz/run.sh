#!/bin/sh
# tests/fuzz/run.sh FUZZ_BUILD_DIR [SECONDS]: the libFuzzer targets
# (build/fuzz/fuzz_*, docs/fuzzing.md). For each target: replay its
# committed corpus (tests/fuzz/corpus/TARGET: every input once), then fuzz
# for SECONDS (default 3) from that corpus. Prints one line per target:
#   ok fuzz: TARGET (N inputs replayed; M execs in S s, R/s)
#   not ok fuzz: TARGET (why), then the sanitizer report and the input
#   ok fuzz # SKIP why            (FUZZ_SKIP set: no clang/libFuzzer)
# make check: new inputs go to a temporary directory, a crasher to
# FUZZ_BUILD_DIR/crash-TARGET-*. FUZZ_MODE=long (make fuzz): the corpus
# grows in FUZZ_BUILD_DIR/corpus/TARGET and crashers are saved into
# tests/fuzz/corpus/TARGET as new entries (commit them with the fix).
# Environment: FUZZ_TARGETS="load board" to choose, FUZZ_SEED (-seed=N).
FB=${1:?usage: run.sh FUZZ_BUILD_DIR [SECONDS]}
secs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${FUZZ_SKIP:-}" ]; then
	echo "ok fuzz # SKIP $FUZZ_SKIP"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/triplex-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
status=0
for bin in "$FB"/fuzz_*; do
	[ -x "$bin" ] || continue
	t=${bin##*/fuzz_}
	if [ -n "${FUZZ_TARGETS:-}" ] && ! printf ' %s ' "$FUZZ_TARGETS" | grep -q " $t "; then
		continue
	fi
	corpus=$here/corpus/$t
	mkdir -p "$corpus"
	opts="-timeout=25 -rss_limit_mb=2048 -print_final_stats=1"
	# the config reader's exit(2) leaves what it had parsed: no leak checks
	asan=${ASAN_OPTIONS:-}
	[ "$t" = config ] && asan="detect_leaks=0${asan:+:$asan}" opts="$opts -detect_leaks=0"
	[ -n "${FUZZ_SEED:-}" ] && opts="$opts -seed=$FUZZ_SEED"
	# 1. the committed corpus, each input once
	nseed=$(find "$corpus" -type f | wc -l | tr -d ' ')
	if [ "$nseed" -gt 0 ]; then
		# shellcheck disable=SC2086
		if ! find "$corpus" -type f -print0 |
			ASAN_OPTIONS=$asan xargs -0 timeout -k 5 300 "$bin" $opts \
			>"$work/replay" 2>&1; then
			echo "not ok fuzz: $t (an input of $corpus fails)"
			grep -E 'ERROR|runtime error|SUMMARY|Running:|#[0-9]+ 0x' "$work/replay" | head -25 |
				sed 's/^/  | /'
			status=1
			continue
		fi
	fi
	# 2. fuzz from it
	if [ "${FUZZ_MODE:-}" = long ]; then
		grow=$FB/corpus/$t
		prefix=$corpus/
	else
		grow=$work/$t
		prefix=$FB/crash-$t-
	fi
	mkdir -p "$grow"
	# shellcheck disable=SC2086
	ASAN_OPTIONS=$asan timeout -k 10 $((secs * 3 + 120)) "$bin" $opts -max_total_time="$secs" \
		-artifact_prefix="$prefix" "$grow" "$corpus" >"$work/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
	cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | sed 's/cov: //')
	if [ $rc -ne 0 ]; then
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$work/log" | head -1)
		echo "not ok fuzz: $t (found a crash: ${art:-see the log}; replay: $bin ${art:-INPUT})"
		grep -E 'ERROR|runtime error|SUMMARY|#[0-9]+ 0x' "$work/log" | head -25 | sed 's/^/  | /'
		status=1
		continue
	fi
	echo "ok fuzz: $t ($nseed inputs replayed; ${execs:-?} execs in ${secs} s, ${rate:-?}/s, ${cov:-?} edges)"
done
exit $status

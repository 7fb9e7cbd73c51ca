#!/bin/sh
# perf/bt-smc.sh [BUILD_DIR] [GUEST_DIR]: self-modifying code under bt
# against bt's own interpreter (docs/bt.md "Self-modifying code"). Runs
# tiny-smc (a loop that patches its next instruction, a loop in VGA text
# memory writing to the screen next to itself, a loop with data in its code
# page) with iters=ITERS under `--mode bt` and under `--mode bt --bt-interp`,
# alternately, RUNS times each, and prints the median wall time of each and
# their ratio (bt / interpreter: at most about 1 is the goal, never 2). The
# two outputs must be identical, else it says so and exits 1.
# Environment: RUNS (default 5), ITERS (default 200000).
set -u
B=${1:-build/release}
GB=${2:-build/guests}
RUNS=${RUNS:-5}
ITERS=${ITERS:-200000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bt-smc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

median() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

run() { # NAME [ARGS]: one run, wall seconds appended to $tmp/NAME
	name=$1
	shift
	t0=$(date +%s.%N)
	timeout -k 5 600 "$B/triplex" run --kernel "$GB/tiny-smc.elf" --mode bt -q "$@" \
		--append "iters=$ITERS" --serial "file:$tmp/$name.out" </dev/null >/dev/null 2>&1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc >>"$tmp/$name"
}

i=0
while [ $i -lt "$RUNS" ]; do
	run bt
	run interp --bt-interp
	i=$((i + 1))
done
if ! cmp -s "$tmp/bt.out" "$tmp/interp.out"; then
	echo "bt-smc: bt and the interpreter disagree:"
	diff "$tmp/interp.out" "$tmp/bt.out"
	exit 1
fi
bt=$(median <"$tmp/bt")
it=$(median <"$tmp/interp")
printf 'tiny-smc iters=%s, medians of %s runs (wall seconds):\n' "$ITERS" "$RUNS"
printf '  bt %.3f   interpreter %.3f   bt/interpreter %.2fx\n' "$bt" "$it" \
	"$(echo "$bt / $it" | bc -l)"
printf '  bt runs:          %s\n' "$(sort -g "$tmp/bt" | tr '\n' ' ')"
printf '  interpreter runs: %s\n' "$(sort -g "$tmp/interp" | tr '\n' ' ')"

# tests/guest/lib.sh: what run.sh and switch.sh share (sourced; needs
# $triplex, sets $work).

# guest_setup NAME: a private work directory (removed on exit) and
# `triplex probe` in $work/probe; without a built triplex, one "not ok" line
# and exit 0.
guest_setup() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/triplex-$1.XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
	if [ ! -x "$triplex" ]; then
		echo "not ok $1: $triplex not built"
		exit 0
	fi
	"$triplex" probe >"$work/probe" 2>&1
}

# normalize FILE: COM1 output as tests/guest/expected/ has it (`bench NAME
# ...` cut to `bench NAME`, `info` lines dropped).
normalize() {
	sed -e 's/\r$//' -e 's/^\(bench [^ ]*\) .*/\1/' -e '/^info /d' "$1"
}

# unavailable ENGINE: why ENGINE cannot run on this host, nothing if it can.
unavailable() {
	line=$(grep "^  $1 " "$work/probe")
	case "$line" in
	*unavailable:*) printf '%s' "$line" | sed 's/.*unavailable: //' ;;
	"") printf 'this build has no %s engine' "$1" ;;
	esac
}

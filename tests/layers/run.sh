#!/bin/sh
# tests/layers/run.sh: the folders depend on each other only downwards
# (docs/architecture.md, "Layers"): scripts/include-graph.py --check on the
# tree, and on two small trees with a wrong include, to show it catches one.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
g="$top/scripts/include-graph.py"
if ! command -v python3 >/dev/null 2>&1; then
	echo "ok layers: no include goes up a layer # SKIP python3 is not installed"
	exit 0
fi
out=$(python3 "$g" --check 2>&1)
if [ $? = 0 ]; then
	echo "ok layers: no include goes from a lower layer to a higher one"
else
	echo "not ok layers: no include goes from a lower layer to a higher one"
	printf '%s\n' "$out" | sed 's/^/  | /'
fi
w=$(mktemp -d "${TMPDIR:-/tmp}/triplex-layers.XXXXXX") || exit 1
trap 'rm -rf "$w"' EXIT
# caught(NAME FILE HEADER): a tree where FILE includes HEADER must fail the check
caught() {
	rm -rf "$w/t" && mkdir -p "$w/t/$(dirname "$2")" "$w/t/$(dirname "$3")"
	touch "$w/t/$3"
	printf '#include "%s"\n' "$3" >"$w/t/$2"
	out=$(python3 "$g" --check --root "$w/t" 2>&1)
	if [ $? = 1 ] && printf '%s' "$out" | grep -q "$2: includes $3"; then
		echo "ok layers: the check catches $1"
	else
		echo "not ok layers: the check catches $1"
		printf '%s\n' "$out" | sed 's/^/  | /'
	fi
}
caught "the core including the policy" vmm/core/vm.c vmm/select/select.h
caught "one engine including another" vmm/bt/bt_run.c vmm/pv/pv.h
caught "a device including the command line" vmm/dev/uart.c vmm/cli/cli.h

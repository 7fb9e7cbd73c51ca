#!/bin/sh
# tests/cli/run.sh BUILD_DIR GUEST_DIR: what a user of `triplex` relies on at
# the command line: one clear error naming the file/flag and field for bad
# input (exit 2), flags overriding the config file, paths relative to the
# config, exit statuses. Prints "ok NAME" / "not ok NAME (why)" lines.
B=${1:?usage: run.sh BUILD_DIR GUEST_DIR}
GB=${2:?usage: run.sh BUILD_DIR GUEST_DIR}
T=$B/triplex
w=$(mktemp -d "${TMPDIR:-/tmp}/triplex-cli.XXXXXX") || exit 1
trap 'rm -rf "$w"' EXIT
GB=$(cd "$GB" && pwd)

# expect NAME STATUS PATTERN -- ARGS: run triplex, check the status and that
# stderr has exactly one line matching PATTERN (grep -E) for errors.
expect() {
	name=$1 status=$2 pattern=$3
	shift 4
	timeout -k 5 60 "$T" "$@" </dev/null >"$w/out" 2>"$w/err"
	rc=$?
	if [ "$rc" != "$status" ]; then
		echo "not ok cli: $name (exit status $rc, expected $status)"
		sed 's/^/  | /' "$w/err" | head -5
		return
	fi
	if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$w/err"; then
		echo "not ok cli: $name (stderr does not match '$pattern')"
		sed 's/^/  | /' "$w/err" | head -5
		return
	fi
	if [ "$status" = 2 ] && [ "$(grep -c . "$w/err")" != 1 ]; then
		echo "not ok cli: $name (expected one error line, got $(grep -c . "$w/err"))"
		sed 's/^/  | /' "$w/err" | head -5
		return
	fi
	echo "ok cli: $name"
}

printf '{ "kernel": "x.elf", \n "mem": }' >"$w/bad.json"
expect "a JSON syntax error names the file, line and column" 2 "bad.json:2:[0-9]+: " -- run "$w/bad.json"
printf '{ "kernel": "x.elf", "memory": "1G" }' >"$w/unknown.json"
expect "an unknown config field is named" 2 "unknown.json: unknown field 'memory'" -- run "$w/unknown.json"
printf '{ "mem": "12Q" }' >"$w/mem.json"
expect "a bad memory size names the field and value" 2 "mem.json: field 'mem': '12Q'" -- run "$w/mem.json"
printf '{ "mode": "fast" }' >"$w/mode.json"
expect "an unknown mode names the field and value" 2 "mode.json: field 'mode': unknown mode 'fast'" -- run "$w/mode.json"
printf '{ "smp": true }' >"$w/smp.json"
expect "a field of the wrong type is named" 2 "smp.json: field 'smp': expected a string or a number" -- run "$w/smp.json"
expect "an unknown flag is named" 2 "unknown option '--frobnicate'" -- run --frobnicate
expect "a flag without its value is named" 2 "option --mem needs a value" -- run --mem
expect "a bad --mem value is named" 2 "--mem: 'lots'" -- run --mem lots --kernel "$GB/tiny-serial.elf"
expect "a malformed --switch is named" 2 "--switch: 'pv' is not ENGINE@MS" -- run --switch pv --kernel "$GB/tiny-serial.elf"
expect "an unknown --switch engine is named" 2 "--switch: unknown engine 'fast'" -- run --switch fast@1 --kernel "$GB/tiny-serial.elf"
expect "--switch to an engine that cannot adopt a running guest is refused" 8 "--switch hw: the hw engine cannot take over a running guest" -- run --mode bt --switch hw@5 --kernel "$GB/hello-pv-32.elf" --serial none
expect "--switch pv on a guest without the VMI note says why" 8 "--switch pv: mode pv cannot run tiny-serial.elf here: .*no Triplex VMI note" -- run --mode bt --switch pv@5 --kernel "$GB/tiny-serial.elf" --serial none
expect "a missing kernel names the file" 2 "nonexistent.elf.*cannot open" -- run --kernel "$w/nonexistent.elf"
head -c 100 "$GB/tiny-serial.elf" >"$w/trunc.elf"
expect "a truncated kernel names the file" 2 "trunc.elf: " -- run --kernel "$w/trunc.elf"
printf 'garbage' >"$w/junk.bin"
expect "an unknown image format is explained" 2 "junk.bin: .*flat" -- run --kernel "$w/junk.bin"
expect "flat images need a load address" 2 "needs --load-addr" -- run --kernel "$w/junk.bin" --format flat
printf '\372\364' >"$w/clihlt.bin" # cli; hlt
expect "a halt with interrupts disabled is its own stop, status 10" 10 "halted with interrupts disabled at 0000:7c02; nothing can wake the guest" -- run --mode bt --kernel "$w/clihlt.bin" --format flat --load-addr 0x7c00 --entry-bits 16 --serial none
expect "an unknown subcommand is named" 2 "unknown command 'fly'" -- fly
# a named engine that cannot run the guest is an error, never a fallback
expect "mode pv on a guest without the VMI note is refused, not replaced" 8 "mode pv cannot run tiny-serial.elf here: tiny-serial.elf has no Triplex VMI note" -- run --kernel "$GB/tiny-serial.elf" --mode pv
expect "probe --guest says whether the guest is PV-capable" 0 "" -- probe --guest "$GB/hello-pv-32.elf"
if grep -q "PV-capable: Triplex VMI ABI 1" "$w/out"; then
	echo "ok cli: probe --guest names a PV guest's VMI ABI"
else
	echo "not ok cli: probe --guest names a PV guest's VMI ABI"
fi

# runs that need an engine: whichever the host has (auto)
if "$T" probe 2>/dev/null | grep -q '^  [a-z][a-z]   available'; then
	mkdir -p "$w/cfg"
	cp "$GB/tiny-exit.elf" "$w/cfg/"
	printf '{ "kernel": "tiny-exit.elf", "serial": "none" }' >"$w/cfg/guest.json"
	expect "a config's kernel path is relative to the config file" 85 "" -- run "$w/cfg/guest.json"
	expect "the guest's debug-exit value becomes the exit status" 85 "" -- run --kernel "$GB/tiny-exit.elf" --serial none
	expect "--serial overrides the config file" 85 "" -- run "$w/cfg/guest.json" --serial "file:$w/over.out"
	if grep -q "exiting with code 0x2a" "$w/over.out" 2>/dev/null; then
		echo "ok cli: serial output reaches the file back end"
	else
		echo "not ok cli: serial output reaches the file back end (no output in $w/over.out)"
	fi
	expect "--stats prints the counters" 85 "== triplex stats" -- run --kernel "$GB/tiny-exit.elf" --serial none --stats
	expect "a triple fault stops the guest with status 4 and its registers" 4 "RIP=" -- run --kernel "$GB/tiny-triple.elf" --serial none
	expect "perf runs every engine and writes the reports" 0 "regret" -- perf --kernel "$GB/tiny-timer64.elf" --runs 2 --out "$w/perf/nested"
	if [ -s "$w/perf/nested/report.txt" ] &&
		grep -q '"schema": "triplex-perf-report/1"' "$w/perf/nested/report.json" &&
		grep -q '<svg' "$w/perf/nested/report.html" && grep -q '"regret"' "$w/perf/nested/report.json"; then
		echo "ok cli: perf report.txt, report.json (schema, regret) and report.html (svg)"
	else
		echo "not ok cli: perf report.txt, report.json (schema, regret) and report.html (svg)"
	fi
	expect "perf refuses --mode (it takes --modes)" 2 "use --modes" -- perf --kernel "$GB/tiny-exit.elf" --mode hw
else
	for n in "config-relative kernel path" "debug-exit status" "serial override" "stats" "triple fault" "perf reports"; do
		echo "ok cli: $n # SKIP no engine can run guests on this host"
	done
fi
"$T" probe --guest "$GB/tiny-exit.elf" >"$w/probe-guest.txt" 2>&1
if grep -q "^guest: tiny-exit.elf: multiboot, 32-bit entry" "$w/probe-guest.txt" &&
	grep -Eq "^mode: [a-z]+ \(auto|^mode auto: no engine" "$w/probe-guest.txt"; then
	echo "ok cli: probe --guest shows the guest, its needs and the policy's choice"
else
	echo "not ok cli: probe --guest shows the guest, its needs and the policy's choice"
	sed 's/^/  | /' "$w/probe-guest.txt" | tail -5
fi
"$T" probe --json >"$w/probe.json" 2>&1
if grep -q '"engines"' "$w/probe.json" && grep -q '"fingerprint"' "$w/probe.json"; then
	echo "ok cli: probe --json lists the host and the engines"
else
	echo "not ok cli: probe --json lists the host and the engines"
fi

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
	timeout -k 5 "${TO:-60}" "$T" "$@" </dev/null >"$w/out" 2>"$w/err"
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
# bundled short options are one parsed option per letter (the parser sized
# its array by arguments and wrote past it: a heap overflow under ASan)
expect "200 bundled -q letters parse and run" 1 "" -- run "-$(printf 'q%.0s' $(seq 1 200))" \
	--kernel "$GB/tiny-serial.elf"
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

# help, version, one option parser for every subcommand (vmm/cli/cli_options.c)
# outhas NAME PATTERN...: stdout of the last expect has every pattern
outhas() {
	name=$1
	shift
	for p in "$@"; do
		if ! grep -qE -- "$p" "$w/out"; then
			echo "not ok cli: $name (no '$p' in stdout)"
			return
		fi
	done
	echo "ok cli: $name"
}
expect "triplex --help" 0 "" -- --help
outhas "triplex --help names the commands and the run options" "^  run " "^  perf " "^  probe " "--kernel FILE"
expect "run --help" 0 "" -- run --help
outhas "run --help lists every run flag" "--kernel" "--initrd" "--append" "--format" "--load-addr" "--entry " "--entry-bits" "-m, --mem" "--smp" "--serial" "--debugcon" "--mode" "--explain" "--workload" "--switch" "--no-adapt" "--no-profile" "--bt-interp" "--monitor" "--qmp" "-S, --start-paused" "--stats " "--stats-json" "--log" "-q, --quiet" "-h, --help" "--version"
expect "run -h" 0 "" -- run -h
outhas "run -h is run --help" "usage: triplex run"
expect "perf --help" 0 "" -- perf --help
outhas "perf --help lists its own and the run flags" "--modes" "--runs" "--out" "--timeout" "--kernel"
expect "probe --help" 0 "" -- probe --help
outhas "probe --help lists every probe flag" "--json" "--guest" "--refresh" "--calibrate" "--log"
expect "triplex --version" 0 "" -- --version
outhas "--version prints the version" "^triplex [0-9]"
expect "run --version" 0 "" -- run --version
outhas "--version works after a subcommand" "^triplex [0-9]"
expect "--help wins over a missing config file" 0 "" -- run "$w/missing.json" --help
expect "an unknown flag is named, not a missing config file" 2 "unknown option '--frobnicate'" -- run "$w/missing.json" --frobnicate
expect "a bad flag value is named before a missing config file" 2 "--mode: unknown mode 'fast'" -- run --mode fast "$w/missing.json"
expect "a missing config file is named as one" 2 "missing.json: cannot open the config file" -- run "$w/missing.json"
expect "a kernel given as the config file says to use --kernel" 2 "a kernel image, not a JSON config file: use --kernel" -- run "$GB/tiny-exit.elf"
expect "an unknown single-dash option is named" 2 "unknown option '-frobnicate'" -- run -frobnicate
expect "an ambiguous abbreviation names the candidates" 2 "ambiguous option '--no-' \\(--no-adapt, --no-profile\\)" -- run --no-
expect "a switch given a value is refused" 2 "option --stats takes no value" -- run --stats=yes
expect "probe refuses run flags by name" 2 "option '--mem' is not one of triplex probe's" -- probe --mem 64M
expect "an option before the command says to give the command" 2 "'-kernel' is an option: give the command first" -- -kernel x.elf
# QEMU habits: the usual spellings work; the rest are answered with the flag to use
expect "QEMU's -enable-kvm is answered with --mode hw" 2 "-enable-kvm is QEMU's option; with Triplex use --mode hw" -- run -enable-kvm
expect "QEMU's -cpu is answered" 2 "-cpu is QEMU's option" -- run -cpu host
expect "QEMU's -kernel without a value is named as typed" 2 "option -kernel needs a value" -- run -kernel
expect "-m without a value is named" 2 "option -m needs a value" -- run -m
expect "QEMU's -m takes a bad value like --mem" 2 "-m: 'lots' is not a memory size" -- run -m lots
# one line per error, checked before anything runs
expect "--log '' is refused" 2 "--log: no module given" -- run --log ''
expect "--log names an unknown module" 2 "--log: unknown module 'disk'" -- run --log disk
expect "--mem with blanks is refused" 2 "--mem: ' 128M' has blanks" -- run --mem ' 128M'
printf '{ "append": 5 }' >"$w/append.json"
expect "an integer append is refused" 2 "append.json: field 'append': expected a string" -- run "$w/append.json"
printf '{ "stats": "yes" }' >"$w/stats.json"
expect "a switch field wants true or false" 2 "stats.json: field 'stats': expected true or false" -- run "$w/stats.json"
expect "an unwritable --stats-json is refused before the run" 2 "--stats-json: cannot write '/nonexistent/s.json'" -- run --kernel "$GB/tiny-exit.elf" --stats-json /nonexistent/s.json
expect "an unwritable --serial file is refused before the run" 2 "--serial: cannot write '/nonexistent/s.out'" -- run --kernel "$GB/tiny-exit.elf" --serial file:/nonexistent/s.out
expect "an unwritable --debugcon file names debugcon" 2 "--debugcon: cannot write '/nonexistent/d.out'" -- run --kernel "$GB/tiny-exit.elf" --debugcon file:/nonexistent/d.out
expect "perf --runs out of range is named" 2 "--runs: '0' is not a number of runs" -- perf --runs 0
expect "perf --modes names an unknown mode" 2 "--modes: unknown mode 'zz'" -- perf --modes bt,zz
# kernel files that are not image files: one clear error at once
mkfifo "$w/fifo"
TO=5 expect "a FIFO as the kernel is refused at once" 2 "fifo: a FIFO, not an image file" -- run --kernel "$w/fifo"
TO=5 expect "/dev/zero as the kernel is refused at once" 2 "/dev/zero: a character device, not an image file" -- run --kernel /dev/zero
TO=5 expect "a directory as the kernel is refused" 2 "a directory, not an image file" -- run --kernel "$w"
if truncate -s 1T "$w/huge.elf" 2>/dev/null; then
	TO=5 expect "a 1 TiB sparse kernel is refused at once" 2 "huge.elf: 1099511627776 bytes, more than an image may have" -- run --kernel "$w/huge.elf"
	rm -f "$w/huge.elf"
else
	echo "ok cli: a 1 TiB sparse kernel is refused at once # SKIP no sparse files in $w"
fi
TO=5 expect "a FIFO as the initrd is refused at once" 2 "fifo: a FIFO, not an image file" -- run --kernel "$GB/tiny-exit.elf" --initrd "$w/fifo"
TO=5 expect "probe --guest /dev/zero is refused at once" 2 "/dev/zero: a character device" -- probe --guest /dev/zero

# make install / uninstall into a staging directory (DESTDIR) under a PREFIX
top=$(cd "$(dirname "$0")/../.." && pwd)
mode=$(basename "$B")
if [ -f "$top/Makefile" ] && MAKEFLAGS= make -s -C "$top" MODE="$mode" install PREFIX=/opt/tx DESTDIR="$w/dest" >"$w/install.log" 2>&1; then
	if [ -x "$w/dest/opt/tx/bin/triplex" ] && [ -f "$w/dest/opt/tx/share/triplex/guests/demo-32.elf" ] &&
		"$w/dest/opt/tx/bin/triplex" --version | grep -q '^triplex '; then
		echo "ok cli: make install PREFIX DESTDIR puts the binary and the guests under DESTDIR/PREFIX"
	else
		echo "not ok cli: make install PREFIX DESTDIR puts the binary and the guests under DESTDIR/PREFIX"
	fi
	MAKEFLAGS= make -s -C "$top" MODE="$mode" uninstall PREFIX=/opt/tx DESTDIR="$w/dest" >>"$w/install.log" 2>&1
	if [ ! -e "$w/dest/opt/tx/bin/triplex" ] && [ ! -e "$w/dest/opt/tx/share/triplex" ]; then
		echo "ok cli: make uninstall removes what make install put there"
	else
		echo "not ok cli: make uninstall removes what make install put there"
		find "$w/dest" | sed 's/^/  | /' | head -5
	fi
else
	echo "not ok cli: make install PREFIX DESTDIR (see below)"
	sed 's/^/  | /' "$w/install.log" | tail -5
fi
# a named engine that cannot run the guest is an error, never a fallback
expect "mode pv on a guest without the VMI note is refused, not replaced" 8 "mode pv cannot run tiny-serial.elf here: tiny-serial.elf has no Triplex VMI note" -- run --kernel "$GB/tiny-serial.elf" --mode pv
expect "probe --guest says whether the guest is PV-capable" 0 "" -- probe --guest "$GB/hello-pv-32.elf"
if grep -q "PV-capable: Triplex VMI ABI 1" "$w/out"; then
	echo "ok cli: probe --guest names a PV guest's VMI ABI"
else
	echo "not ok cli: probe --guest names a PV guest's VMI ABI"
fi

# the guest scan is a hint, never a verdict (docs/config.md, "exit status")
expect "probe --guest prints needs only the scan found as hints" 0 "" -- probe --guest "$GB/callret-32.elf"
if grep -q "hint from the scan: may need software interrupts in 32-bit code (int 0x80" "$w/out" &&
	grep -q "^  needs 32-bit protected mode" "$w/out" && ! grep -q "^  needs software interrupts" "$w/out"; then
	echo "ok cli: probe --guest prints needs only the scan found as hints"
else
	echo "not ok cli: probe --guest prints needs only the scan found as hints"
	sed 's/^/  | /' "$w/out" | head -12
fi
# 32-bit flat code: prints OK, jumps over data that decodes as iretd; int 0x80, exits 0x10 (status 33)
printf '\146\272\370\003\260\117\356\260\113\356\260\012\356\353\003\317\315\200\260\020\346\364\364\353\375' >"$w/data-in-text.bin"
# the same, but it runs int 0x80 (no IDT)
printf '\146\272\370\003\260\117\356\260\113\356\260\012\356\315\200\260\020\346\364\364\353\375' >"$w/int80.bin"
flat="--format flat --load-addr 0x100000 --entry-bits 32"
if ! "$T" probe 2>/dev/null | grep -q '^  hw   available'; then
	why=$("$T" probe 2>/dev/null | sed -n 's/^  hw   unavailable: //p' | head -1)
	echo "ok cli: --mode hw runs an image whose data decodes as iretd/int 0x80 # SKIP hw: ${why:-not built}"
	echo "ok cli: --mode hw stops at an instruction the scan hinted at, status 8 # SKIP hw: ${why:-not built}"
else
	# shellcheck disable=SC2086
	expect "--mode hw runs an image whose data decodes as iretd/int 0x80" 33 "" -- run --mode hw --kernel "$w/data-in-text.bin" $flat
	grep -q '^OK$' "$w/out" || echo "not ok cli: the hinted image's output under hw (got '$(cat "$w/out")')"
	if "$T" probe 2>/dev/null | grep -q '^  user-int-32 *FAIL'; then
		# shellcheck disable=SC2086
		expect "--mode hw stops at an instruction the scan hinted at, status 8" 8 "mode hw (cannot run this guest here: KVM could not emulate 'int 0x80' at 0x10000d|stopped: .*likely cause, from the scan: guest may need software interrupts in 32-bit code \(int 0x80 at 0x10000d\))" -- run --mode hw --kernel "$w/int80.bin" $flat
		grep -q '^OK$' "$w/out" || echo "not ok cli: the output before the stop is kept (got '$(cat "$w/out")')"
		grep -q "warning: mode hw runs the guest anyway.*int 0x80 at 0x10000d" "$w/err" ||
			echo "not ok cli: no warning line before running a hinted guest"
	else
		echo "ok cli: --mode hw stops at an instruction the scan hinted at, status 8 # SKIP this host's KVM runs user-int-32 (no hint)"
	fi
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
	expect "QEMU's -kernel, -m, -smp, -serial, -append, -nographic and -no-reboot are accepted" 85 "" -- run -kernel "$GB/tiny-exit.elf" -m 64M -smp 1 -serial none -append quiet -nographic -no-reboot
	expect "--mem 3 is 3 MiB (a number alone is MiB, as QEMU's -m)" 85 "" -- run --mem 3 --kernel "$GB/tiny-exit.elf" --serial none
	expect "a missing initrd is the only line (no mode: line before it)" 2 "nonexistent.img: cannot open" -- run --kernel "$GB/tiny-exit.elf" --initrd "$w/nonexistent.img" --serial none
	head -c 3000000 /dev/zero >"$w/big.bin"
	expect "a kernel that does not fit in RAM is the only line" 2 "big.bin: flat image .* does not fit in guest RAM" -- run --kernel "$w/big.bin" --format flat --load-addr 0x100000 --mem 2M --serial none
	printf '{ "kernel": "tiny-exit.elf", "serial": "none", "mem": 64, "stats": true, "no_adapt": true }' >"$w/cfg/more.json"
	expect "config fields share the flags' validators (mem 64 = 64 MiB, switches)" 85 "== triplex stats" -- run "$w/cfg/more.json"
	# SIGTERM while a 1.9 GB initrd is loaded (the terminal is already raw):
	# status 143 (or the guest's own if the load won the race), terminal restored
	if command -v python3 >/dev/null 2>&1 && [ -e /dev/ptmx ] && truncate -s 1900M "$w/big.rd" 2>/dev/null; then
		r=$(python3 "$(dirname "$0")/pty_signal.py" 0.3 "$T" run --kernel "$GB/tiny-exit.elf" --initrd "$w/big.rd" --mem 3G 2>&1)
		case "$r" in
		"restored 143" | "restored 85") echo "ok cli: SIGTERM during a long load restores the terminal ($r)" ;;
		*) echo "not ok cli: SIGTERM during a long load restores the terminal ($r)" ;;
		esac
		rm -f "$w/big.rd"
	else
		echo "ok cli: SIGTERM during a long load restores the terminal # SKIP needs python3, a pty and sparse files"
	fi
	"$T" run --kernel "$GB/timer-32.elf" --serial none --append iters=100000000 </dev/null >/dev/null 2>"$w/sig.err" &
	pid=$!
	sleep 1
	kill -TERM $pid 2>/dev/null
	wait $pid
	rc=$?
	if [ $rc = 143 ] && grep -q "stopped by signal 15" "$w/sig.err"; then
		echo "ok cli: SIGTERM stops a running guest with status 143 and says so"
	else
		echo "not ok cli: SIGTERM stops a running guest with status 143 and says so (status $rc)"
		sed 's/^/  | /' "$w/sig.err" | head -3
	fi
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

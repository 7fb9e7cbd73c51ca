#!/bin/sh
# install-deps.sh: install the Debian 12 packages Triplex needs to build and
# test. Idempotent: installs only what is missing, runs `apt-get update` at
# most once, and names what it installs. Needs root (uses sudo if present).
set -eu

# build: compiler, pkg-config, the libraries configure requires or uses
BUILD="gcc g++ make pkg-config gcc-multilib libcapstone-dev libcpuid-dev libjansson-dev
libsdl2-dev libbenchmark-dev"
# tests: cmocka (unit tests), Unicorn (differential tests), QEMU (reference
# runs of the guest suite and of the QMP test), gdb (the gdb stub's test),
# coreutils' timeout, acpica-tools (iasl: the ACPI tables test)
TEST="libcmocka-dev libunicorn-dev qemu-system-x86 gdb coreutils acpica-tools"
# the Linux test guest (scripts/linux-guest.sh): cpio for its initramfs; its
# i386 kernel and busybox packages are fetched with apt-get download (never
# installed), which needs the i386 architecture
GUEST="cpio gzip"
# fuzzing (make fuzz, and the fuzz part of make check): clang with libFuzzer
# and the sanitizer runtimes
FUZZ="clang libclang-rt-14-dev"

if ! dpkg --print-foreign-architectures | grep -qx i386; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	echo "install-deps: enabling the i386 architecture (for apt-get download of the Linux test guest)"
	$SUDO dpkg --add-architecture i386
	$SUDO apt-get update -qq
	updated=1
fi

missing=""
for p in $BUILD $TEST $GUEST $FUZZ; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root to install:$missing" >&2; exit 1; }
	SUDO=sudo
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
[ -n "${updated:-}" ] || $SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "install-deps: done"

#!/bin/sh
# linux-guest.sh [OUTDIR]: fetch Debian 12's stock 32-bit kernels and a
# busybox, and build the Linux test guest (docs/linux.md). Nothing is
# installed on the host: the packages are fetched with `apt-get download`
# (needs `dpkg --add-architecture i386`, which scripts/install-deps.sh does)
# and unpacked with `dpkg-deb -x`. OUTDIR (default build/linux32) gets:
#
#   vmlinuz-686, vmlinuz-686-pae   the kernels (linux-image-6.1.*-686[-pae])
#   initrd.gz                      busybox initramfs (cpio newc, gzip)
#   versions                       the package versions used
#
# The initramfs's /init mounts proc, sys and dev, prints TRIPLEX-BOOT-OK,
# then runs /etc/triplex/$triplex_run.sh if the kernel command line has
# triplex_run=NAME (check: the checks tests/guest/linux32.sh verifies;
# bench: perf/linux32.py's workload), else a shell on the console; it
# ends with `poweroff -f`. Re-running reuses what was already fetched.
# Exit status: 0 built, 3 a package could not be fetched (the reason is
# printed), 1 anything else.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/linux32}
mkdir -p "$out/debs"
out=$(cd "$out" && pwd)

say() { echo "linux-guest: $*" >&2; }

# The newest 6.1 kernel the archive's metapackage names, e.g.
# linux-image-6.1.0-57-686 for linux-image-686.
kernel_pkg() {
	apt-cache depends "linux-image-$1:i386" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.[^:]*\):i386$/\1/p' | head -1
}

fetch() { # fetch PKG: the .deb in $out/debs (apt-get download, not installed)
	set -- "$1" "$(ls "$out/debs/$(echo "$1" | sed 's/:.*//')"_*.deb 2>/dev/null | head -1)"
	if [ -n "$2" ]; then
		echo "$2"
		return 0
	fi
	if ! (cd "$out/debs" && apt-get download -q "$1" >"$out/debs/apt.log" 2>&1); then
		say "cannot fetch $1: $(grep -m1 -E '^(E|W):' "$out/debs/apt.log" || tail -1 "$out/debs/apt.log")"
		return 3
	fi
	ls "$out/debs/$(echo "$1" | sed 's/:.*//')"_*.deb | head -1
}

if ! dpkg --print-foreign-architectures | grep -qx i386; then
	say "the i386 architecture is not enabled (run scripts/install-deps.sh, which does 'dpkg --add-architecture i386' and 'apt-get update')"
	exit 3
fi
: >"$out/versions.new"
for flavour in 686 686-pae; do
	pkg=$(kernel_pkg "$flavour")
	if [ -z "$pkg" ]; then
		say "apt-cache knows no linux-image-$flavour:i386 (run 'apt-get update' after 'dpkg --add-architecture i386')"
		exit 3
	fi
	deb=$(fetch "$pkg:i386") || exit 3
	rm -rf "$out/x"
	dpkg-deb -x "$deb" "$out/x"
	cp "$out/x/boot/vmlinuz-"*"-$flavour" "$out/vmlinuz-$flavour.new"
	mv "$out/vmlinuz-$flavour.new" "$out/vmlinuz-$flavour"
	echo "$(basename "$deb")" >>"$out/versions.new"
	rm -rf "$out/x"
done
deb=$(fetch busybox-static:i386) || exit 3
echo "$(basename "$deb")" >>"$out/versions.new"

# the initramfs
root="$out/initramfs"
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc/triplex"
rm -rf "$out/x"
dpkg-deb -x "$deb" "$out/x"
cp "$out/x/bin/busybox" "$root/bin/busybox"
rm -rf "$out/x"
cp "$here/linux-guest/init" "$root/init"
cp "$here/linux-guest/"*.sh "$root/etc/triplex/"
# a known file for md5sum: 64 KiB of a fixed pattern
awk 'BEGIN { for (i = 0; i < 4096; i++) printf "triplex %07d\n", i }' >"$root/etc/triplex/known"
chmod 755 "$root/init" "$root/bin/busybox"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 >"$out/initrd.gz.new"
mv "$out/initrd.gz.new" "$out/initrd.gz"
mv "$out/versions.new" "$out/versions"
say "built $out (from $(tr '\n' ' ' <"$out/versions"))"

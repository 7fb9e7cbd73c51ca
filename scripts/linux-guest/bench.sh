# perf/linux32.py's workload: fork+exec loop, pipe + md5sum, awk
# floating-point loop, tmpfs dd. The host times it from TRIPLEX-BOOT-OK to
# TRIPLEX-BENCH-DONE.
sh /etc/triplex/forkexec.sh 500 >/dev/null
dd if=/dev/zero bs=64k count=256 2>/dev/null | md5sum >/dev/null
awk 'BEGIN { s = 0; for (i = 1; i <= 300000; i++) s += 1.0 / i; printf "awk %.6f\n", s }'
dd if=/dev/zero of=/tmp/f bs=64k count=512 2>/dev/null
md5sum /tmp/f >/dev/null
rm -f /tmp/f
echo TRIPLEX-BENCH-DONE

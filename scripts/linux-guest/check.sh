# The checks tests/guest/linux32.sh verifies: each line "NAME value", the
# values compared with what the host computes.
set -e
echo "md5 $(md5sum /etc/triplex/known | cut -d' ' -f1)"
sh /etc/triplex/forkexec.sh 100
echo "pipe $(dd if=/etc/triplex/known bs=4k 2>/dev/null | cat | md5sum | cut -d' ' -f1)"
awk 'BEGIN { s = 0; for (i = 1; i <= 20000; i++) s += 1.0 / i; printf "awk %.9f\n", s }'
dd if=/etc/triplex/known of=/tmp/copy bs=4k 2>/dev/null
echo "tmpfs $(md5sum /tmp/copy | cut -d' ' -f1)"

# forkexec.sh N: N fork + exec of a script (child.sh), for check.sh and
# bench.sh; prints "forkexec N" when done
chmod 755 /etc/triplex/child.sh
i=0
while [ $i -lt "$1" ]; do
	/etc/triplex/child.sh
	i=$((i + 1))
done
echo "forkexec $i"

#!/bin/busybox sh
# run as a program by check.sh and bench.sh: every run is a fork + exec
exit 0

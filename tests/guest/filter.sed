# tests/guest/filter.sed: normalize guest output before comparing it with
# tests/guest/expected/IMAGE.out. Timings and host facts are the only
# variable lines: "bench NAME ..." keeps just its name, "info ..." lines go.
# Everything else is compared exactly.
s/\r$//
/^info /d
/^info$/d
s/^bench \([^ ]*\).*/bench \1/

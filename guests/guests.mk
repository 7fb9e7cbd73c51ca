# guests/guests.mk: included by the top Makefile. Builds every guest into
# $(GB) with the host gcc (freestanding, -m32/-m64). Each sub-makefile adds
# its images to GUEST_BINS.
GUEST_BINS :=
GUEST_CC := $(CC)
GUEST_CFLAGS := -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mno-red-zone -O2 -Wall -Wextra -Werror
-include guests/tiny/tiny.mk
-include guests/suite.mk
-include guests/suite_pv.mk
-include guests/native/native.mk

guests: $(GUEST_BINS)

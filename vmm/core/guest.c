/* guest.c: names of what a guest needs (enum guest_need, guest.h), for the
 * engines' refusals and the probe's report. */
#include "vmm/core/guest.h"

static const char *const need_names[GUEST_NEEDS_NR] = {
	"real mode", "32-bit protected mode", "32-bit paging", "a switch to long mode",
	"64-bit mode", "software interrupts in 32-bit code", "software interrupts in 64-bit code",
	"syscall/sysret", "interrupt and exception handling in 32-bit code",
	"an x87/MMX/SSE FPU",
};

const char *guest_need_name(enum guest_need n)
{
	unsigned bit = n ? (unsigned)__builtin_ctz(n) : 0;
	return bit < GUEST_NEEDS_NR ? need_names[bit] : "?";
}

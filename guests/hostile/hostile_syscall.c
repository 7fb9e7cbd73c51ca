/* guests/hostile/hostile_syscall.c: the guest kernel makes a host system
 * call (getpid) with the host's own instruction: SYSCALL in the 64-bit
 * build, int 0x80 in the 32-bit one. The seccomp filter traps it. */
#include "hostile.h"

int guest_main(void)
{
	long r;

#ifdef __x86_64__
	hostile_try("host system call 39 (getpid) with SYSCALL from the guest kernel");
	__asm__ volatile("syscall" : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");
#else
	hostile_try("host system call 20 (getpid) with int 0x80 from the guest kernel");
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
#endif
	kprintf("info returned %ld\n", r);
	return hostile_survived();
}

/* guests/lib/rt_sys.h: system calls from ring 3. Inline, so they end up in
 * the calling (user) object. int 0x80 works in both builds; SYSCALL only
 * in the 64-bit one (rt_syscall_64.S); sys_call() picks what an OS of that
 * bitness would use. Numbers and registers: rt.h (SYS_*). PV builds make
 * them through the VMI ROM's user entries when there is a ROM (rt_vmi.h). */
#ifndef GUESTS_LIB_RT_SYS_H
#define GUESTS_LIB_RT_SYS_H

#include "rt.h"

#ifdef RT_PV
typedef long (*rt_vmi_user_fn)(long nr, long a1, long a2);
#define RT_VMI_USER(entry, nr, a1)                                             \
	do {                                                                   \
		if (rt_vmi_user.entry)                                         \
			return ((rt_vmi_user_fn)rt_vmi_user.entry)(nr, a1, 0); \
	} while (0)
#else
#define RT_VMI_USER(entry, nr, a1) do { } while (0)
#endif

#ifdef __x86_64__
static inline long sys_int80(long nr, long a1)
{
	long r;

	RT_VMI_USER(int80, nr, a1);
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "D"(a1) : "memory");
	return r;
}

static inline long sys_syscall(long nr, long a1)
{
	long r;

	RT_VMI_USER(syscall, nr, a1);
	/* SYSCALL clobbers RCX (return RIP) and R11 (RFLAGS). */
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a1) : "rcx", "r11", "memory");
	return r;
}

static inline long sys_call(long nr, long a1)
{
	return sys_syscall(nr, a1);
}
#else
static inline long sys_int80(long nr, long a1)
{
	long r;

	RT_VMI_USER(int80, nr, a1);
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a1) : "memory");
	return r;
}

static inline long sys_call(long nr, long a1)
{
	return sys_int80(nr, a1);
}
#endif

static inline void sys_yield(void)
{
	(void)sys_call(SYS_YIELD, 0);
}

#endif

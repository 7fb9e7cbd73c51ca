/* guests/lib/rt_syscall.c: the system call table, reached by int 0x80
 * (both builds) and SYSCALL (64-bit, rt_syscall_64.S). Number in EAX/RAX,
 * arguments in EBX, ECX (32-bit) or RDI, RSI (64-bit), result in EAX/RAX. */
#include "rt_internal.h"

static sys_fn table[SYS_MAX];

static long sys_inc(struct trap_frame *f, ulong x, ulong unused)
{
	return (long)(x + 1);
}

void syscall_set_handler(unsigned nr, sys_fn fn)
{
	if (nr < SYS_MAX)
		table[nr] = fn;
}

void syscall_dispatch(struct trap_frame *f)
{
	ulong nr = f->ax;
	sys_fn fn;

#ifdef __x86_64__
	ulong a1 = f->di, a2 = f->si;
#else
	ulong a1 = f->bx, a2 = f->cx;
#endif
	if (nr == SYS_INC)
		fn = sys_inc;
	else
		fn = nr < SYS_MAX ? table[nr] : NULL;
	if (!fn) {
		kprintf("FATAL unknown syscall %lu from ip=%#lx\n", nr, f->ip);
		rt_exit(RT_EXIT_FATAL);
	}
	f->ax = (ulong)fn(f, a1, a2);
}

#ifdef __x86_64__
void syscall_insn_init(void)
{
#ifdef RT_PV
	/* The ROM's SYSCALL enters rt_pv_syscall_entry on the kernel stack
	 * with an interrupt frame (rt_syscall_64.S); STAR as below. */
	if (rt_vmi) {
		vmi_call3(PV_CALL_SET_SYSCALL, (ulong)rt_pv_syscall_entry, SEL_KCODE,
			  SEL_UCODE32 & ~3);
		trap_set_handler(VEC_SYSCALL, syscall_dispatch);
		return;
	}
#endif
	/* SDM 3A 5.8.8: SYSCALL loads CS from STAR[47:32] and SS = that + 8;
	 * SYSRET loads CS from STAR[63:48] + 16 and SS = that + 8, RPL 3.
	 * FMASK clears IF, TF, DF and AC on entry. */
	wrmsr(X86_MSR_STAR, ((uint64_t)(SEL_UCODE32 & ~3) << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(X86_MSR_LSTAR, (ulong)rt_syscall_entry);
	wrmsr(X86_MSR_FMASK, X86_FL_IF | X86_FL_TF | X86_FL_DF | X86_FL_AC);
	wrmsr(X86_MSR_KERNEL_GS_BASE, (ulong)&rt_percpu);
	wrmsr(X86_MSR_EFER, rdmsr(X86_MSR_EFER) | X86_EFER_SCE);
	trap_set_handler(VEC_SYSCALL, syscall_dispatch);
}

ulong syscall_percpu_base(void)
{
	return (ulong)&rt_percpu;
}
#else
void syscall_insn_init(void)
{
	trap_set_handler(VEC_SYSCALL, syscall_dispatch);
}

ulong syscall_percpu_base(void)
{
	return 0;
}
#endif

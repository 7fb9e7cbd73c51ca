/* guests/lib/rt_internal.h: declarations shared inside the runtime only
 * (entry points called from assembly, cross-file state). */
#ifndef GUESTS_LIB_RT_INTERNAL_H
#define GUESTS_LIB_RT_INTERNAL_H

#include "rt.h"

/* Boot stub -> C (rt_main.c). */
__attribute__((noreturn)) void rt_main(uint32_t mbi_phys);

/* Entry stubs -> C (rt_trap.c). */
void trap_dispatch(struct trap_frame *f);

/* rt_trap_32.S / rt_trap_64.S: 0x82 entry stubs of RT_TRAP_STUB_SIZE
 * bytes each, one per vector, starting at rt_trap_stubs. */
#define RT_TRAP_VECTORS 0x82
#define RT_TRAP_STUB_SIZE 16
extern char rt_trap_stubs[];

/* rt_switch_*.S: save callee-saved registers and the stack pointer in
 * *save_sp, switch to new_sp and restore from there. */
void rt_ctx_switch(ulong *save_sp, ulong new_sp);
/* The first code a new task runs (it calls task_entry()). */
extern char rt_task_start[];
void task_entry(void);
/* iret to ring 3 at ip with stack sp, (arg) as the first argument and
 * rt_user_exit_tramp as the return address. */
__attribute__((noreturn)) void rt_user_enter(ulong ip, ulong sp, ulong arg);
/* EFLAGS for ring-3 code: IF only once pic_init() has run. */
extern ulong rt_user_flags;

/* rt_syscall_64.S */
extern char rt_syscall_entry[];
#ifdef RT_PV
extern char rt_pv_syscall_entry[]; /* PV_CALL_SET_SYSCALL's entry convention */
#endif

/* 64-bit: the per-CPU block that KERNEL_GS_BASE points to while the
 * SYSCALL entry looks for its stack (rt_syscall_64.S uses the offsets). */
struct rt_percpu {
	ulong self;	  /* 0 */
	ulong kstack;	  /* 8: the current task's ring-0 stack top */
	ulong user_sp;	  /* 16: scratch for the user RSP */
};
extern struct rt_percpu rt_percpu;

/* The linker script's boundaries (guests/arch/guest.ld). */
extern char __image_start[], __utext_start[], __utext_end[];
extern char __udata_start[], __udata_end[];
extern char boot_stack_top[];

#endif

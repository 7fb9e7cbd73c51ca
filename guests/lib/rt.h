/* guests/lib/rt.h: the guest runtime library's public interface.
 * Built twice (-m32 and -m64) into a static archive of small objects, so a
 * guest links only the pieces it calls. Overview: rt_main (boot, command
 * line, exit) calls the guest's guest_main(); the guest then opts into
 * paging, ring-3 tasks, timers and TSC timing as it needs them.
 *
 *	int guest_main(void)
 *	{
 *		kprintf("hello\n");
 *		return 0;	// rt_main prints "done" and exits with status 0
 *	}
 */
#ifndef GUESTS_LIB_RT_H
#define GUESTS_LIB_RT_H

#include <stdarg.h>

#include "rt_x86.h"

/* ---- boot and exit (rt_main.c, rt_exit.c) ---- */

/* isa-debug-exit codes (the host sees (code << 1) | 1). */
#define RT_EXIT_OK 0
#define RT_EXIT_FAIL 2	/* a check printed FAIL */
#define RT_EXIT_FATAL 3 /* unexpected exception or broken invariant */

/* Defined by every guest; runs at ring 0 after the runtime is set up
 * (console, command line, GDT, TSS, IDT). Returns 0 on success. */
int guest_main(void);

/* Write (code) to isa-debug-exit (port 0xf4, 32-bit) and halt forever if
 * the port is absent. */
__attribute__((noreturn)) void rt_exit(uint32_t code);
/* Power the machine off (ACPI PM1a); falls back to rt_exit(RT_EXIT_OK). */
__attribute__((noreturn)) void rt_poweroff(void);
/* A guest that defines this as true powers off after a clean run instead of
 * exiting through isa-debug-exit (the demo: a clean run ends with status 0). */
extern const bool rt_poweroff_on_success;

/* Print "FATAL what" and exit with RT_EXIT_FATAL. */
__attribute__((noreturn)) void rt_panic(const char *what);

/* Physical address one past the end of usable RAM (from Multiboot
 * mem_upper), and the end of the loaded image. */
extern uint64_t rt_mem_end;
extern char __image_end[];

/* ---- command line (rt_cmdline.c) ---- */

struct rt_cmdline {
	bool quick;	  /* "quick": small iteration counts */
	bool have_iters;  /* "iters=N" given */
	uint64_t iters;	  /* its N */
	bool e9;	  /* "console=e9": write to port 0xe9 instead of COM1 */
};
extern struct rt_cmdline rt_cmd;

/* Parse a Multiboot command line "KERNELPATH ARGS..." (the first word is
 * the kernel path and is skipped). Unknown words are ignored. */
void cmdline_parse(const char *s);

/* The iteration count for a workload: iters=N if given, else (quick) or
 * (full) depending on "quick". */
uint64_t rt_iters(uint64_t full, uint64_t quick);

/* ---- console (rt_console.c, rt_printf.c) ---- */

void con_init(void);
void con_putc(char c);
void con_write(const char *s, size_t n);

/* printf subset: %d %i %u %x %X %p %s %c %%, flags '0' and '-', a field
 * width, and the l / ll / z length modifiers. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- freestanding string functions (rt_string_user.c; user-callable) ---- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* ---- descriptors (rt_desc.c) ---- */

/* GDT layout, shared by both builds (guests/lib/rt_desc.c). SEL_UCODE64
 * and SEL_KCODE32 only exist in the 64-bit build; there SEL_KCODE is the
 * 64-bit code segment. The order SEL_UCODE32, SEL_UDATA, SEL_UCODE64 is what
 * SYSRET needs (SDM 2B SYSRET: CS = STAR[63:48] + 16, SS = STAR[63:48] + 8). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x1b
#define SEL_UDATA 0x23
#define SEL_UCODE64 0x2b
#define SEL_TSS 0x30
#define SEL_KCODE_ALIAS 0x40 /* a second ring-0 code segment for far transfers */
#define SEL_KCODE32 0x48     /* 32-bit ring-0 code (compatibility mode in 64) */
#ifdef __x86_64__
#define SEL_UCODE SEL_UCODE64
#else
#define SEL_UCODE SEL_UCODE32
#endif

/* Load the GDT, reload the segment registers and load the TSS. */
void desc_init(void);

/* The ring-0 stack used when an interrupt or syscall arrives from ring 3
 * (TSS.ESP0/RSP0, and the syscall entry's stack in the 64-bit build). */
void desc_set_kstack(ulong top);

/* ---- traps (rt_trap.c, rt_trap_32.S / rt_trap_64.S) ---- */

/* The registers the entry stubs save, lowest address first. sp and ss are
 * only meaningful for traps from ring 3 in the 32-bit build. */
struct trap_frame {
#ifdef __x86_64__
	ulong r15, r14, r13, r12, r11, r10, r9, r8;
	ulong di, si, bp, bx, dx, cx, ax;
#else
	ulong es, ds;
	ulong di, si, bp, _sp, bx, dx, cx, ax; /* pusha order */
#endif
	ulong vector, err;
	ulong ip, cs, flags;
	ulong sp, ss;
};

#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_UD 6
#define VEC_DF 8
#define VEC_GP 13
#define VEC_PF 14
#define VEC_IRQ0 0x20	 /* PIC master remapped here, slave at 0x28 */
#define VEC_SYSCALL 0x80 /* int 0x80 from ring 3 */
#define VEC_PRIV 0x81	 /* a DPL-0 software vector, for #GP tests */
#define VEC_SYSCALL_INSN 0x100 /* pseudo vector: SYSCALL instruction entry */

typedef void (*trap_fn)(struct trap_frame *f);

/* Build the IDT (exceptions, PIC IRQs, int 0x80) and load it. */
void trap_init(void);

/* Install (fn) for vector (vec) (< 0x82); NULL restores the default
 * (fatal for exceptions, spurious-count for IRQs). */
void trap_set_handler(unsigned vec, trap_fn fn);

/* Expected faults: arm a catch for the exception vectors in (vec_mask);
 * the next matching exception records vector, error code, IP and CR2 in
 * rt_catch and resumes at rt_catch.resume instead of being fatal. Usable
 * from ring 0 and ring 3 (the state lives in user-accessible memory). */
struct rt_catch {
	volatile uint32_t mask;	 /* armed vectors; cleared when one fires */
	volatile ulong resume;	 /* where to continue */
	volatile int vector;	 /* -1 until a fault is caught */
	volatile ulong err, ip, cr2;
	volatile ulong cs;	 /* CS of the faulting context */
};
extern struct rt_catch rt_catch;
void catch_arm(uint32_t vec_mask);

/* In inline asm: store the address of local label "1" (the resume point)
 * into rt_catch.resume. Clobbers nothing in 32-bit, r11 in 64-bit. */
#ifdef __x86_64__
#define CATCH_RESUME_AT_1 "lea 1f(%%rip), %%r11\n\tmov %%r11, rt_catch+8(%%rip)\n\t"
#define CATCH_CLOBBER "r11"
#else
#define CATCH_RESUME_AT_1 "movl $1f, rt_catch+4\n\t"
#define CATCH_CLOBBER "memory"
#endif

/* Print "FATAL exception V (#XX) err=... eip=... cr2=..." and exit. */
__attribute__((noreturn)) void trap_fatal(const struct trap_frame *f);

/* ---- syscalls (rt_syscall.c, rt_syscall_64.S) ---- */

#define SYS_EXIT 1  /* (code): end the calling task */
#define SYS_YIELD 2 /* (): let the next task run */
#define SYS_INC 3   /* (x): return x + 1 (the syscall benchmark) */
#define SYS_MAX 16

/* The handler's return value goes to the caller's EAX/RAX. */
typedef long (*sys_fn)(struct trap_frame *f, ulong a1, ulong a2);
void syscall_set_handler(unsigned nr, sys_fn fn);
void syscall_dispatch(struct trap_frame *f);

/* 64-bit: enable SYSCALL/SYSRET (EFER.SCE, STAR, LSTAR, FMASK) with an entry
 * that uses SWAPGS to find its stack. A no-op in the 32-bit build. */
void syscall_insn_init(void);

/* 64-bit: the KERNEL_GS_BASE value the SYSCALL entry relies on. */
ulong syscall_percpu_base(void);

/* ---- physical memory (rt_pmem.c) ---- */

/* A zeroed 4 KiB page from the kernel pool [end of image, 4 MiB), identity
 * mapped, ring-0 only once paging is on. Panics when the pool is empty. */
void *page_alloc(void);

/* (bytes) rounded up to 4 KiB from the big region [4 MiB, RAM end), which
 * is identity mapped user read/write once paging is on. Not zeroed. */
void *big_alloc(size_t bytes);

#define PMEM_POOL_END 0x400000ul

/* ---- paging (rt_paging.c, rt_paging_map.c) ---- */

enum pg_mode { PG_MODE_NONE, PG_MODE_2LEVEL, PG_MODE_PAE, PG_MODE_LONG };

#define PG_P 0x001ull
#define PG_RW 0x002ull
#define PG_US 0x004ull
#define PG_A 0x020ull
#define PG_D 0x040ull
#define PG_PS 0x080ull
#define PG_NX (1ull << 63)

/* Linear window private to each address space (everything below it is the
 * shared identity map): 1 GiB .. 2 GiB. */
#define PG_WINDOW 0x40000000ul
#define PG_WINDOW_END 0x80000000ul

struct aspace {
	ulong root; /* the CR3 value */
};

extern enum pg_mode pg_mode;
extern bool pg_nx;	     /* EFER.NXE is on: PG_NX may be used */
extern struct aspace pg_kernel;

/* Build the identity map of [0, min(RAM, 256 MiB)) and turn paging on in
 * (mode). Kernel text is read-only, the runtime's user sections and the big
 * region are user-accessible, the pool is ring-0 only, page 0 is absent.
 * In the 32-bit build a second call switches modes (paging goes off and on
 * again); in the 64-bit build only PG_MODE_LONG is valid. */
void pg_init(enum pg_mode mode);

/* Enable the default mode if paging is off: PG_MODE_LONG (64-bit) or
 * PG_MODE_2LEVEL (32-bit). */
void pg_ensure(void);

/* A new address space sharing the identity map (below PG_WINDOW), with an
 * empty private window. */
struct aspace *pg_aspace_create(void);

/* Pointer to the 4 KiB-level PTE for (va) in (as), creating the paging
 * structures on the way (ring-0 only, P|RW|US). Use pg_pte_read/write on
 * it. */
void *pg_pte(const struct aspace *as, ulong va);

/* Read or write a PTE in the current format (4 bytes in 2-level mode, 8
 * otherwise). A write does not flush the TLB: invlpg it. */
uint64_t pg_pte_read(const void *pte);
void pg_pte_write(void *pte, uint64_t v);
/* pg_pte_write of the entry that maps (va): PV builds tell the hypervisor
 * which address changed (docs/vmi.md: PV_CALL_PTE_SET); the same store
 * otherwise. Still invlpg it. */
void pg_pte_set(void *pte, uint64_t v, ulong va);

/* Map the 4 KiB page at (va) in (as) to (pa) with (flags), and invlpg it. */
void pg_map(const struct aspace *as, ulong va, uint64_t pa, uint64_t flags);

void pg_switch(const struct aspace *as);

/* ---- tasks (rt_task.c, rt_switch_32.S / rt_switch_64.S) ---- */

typedef long (*user_fn)(void *arg);
typedef void (*kthread_fn)(void *arg);

struct task;

/* A ring-3 task running (fn)(arg) on its own 16 KiB user stack in (as)
 * (NULL: the kernel's address space); returning from fn ends the task with
 * that exit code. In the 64-bit build this turns paging on if needed. */
struct task *task_spawn_user(const char *name, user_fn fn, void *arg, const struct aspace *as);

/* A ring-0 task running (fn)(arg); it ends when fn returns. */
struct task *task_spawn_kernel(const char *name, kthread_fn fn, void *arg, const struct aspace *as);

long task_exit_code(const struct task *t);

/* Block the calling (main) task until every spawned task has ended. */
void sched_wait_all(void);

/* Run another runnable task, if any (round robin). */
void sched_yield(void);

/* End the current task with (code); never returns. */
__attribute__((noreturn)) void task_exit(long code);

/* Spawn one user task in the kernel address space, wait for it, return its
 * exit code. */
long user_run(user_fn fn, void *arg);

/* A timer_hook that preempts: a tick that arrives in ring 3 yields. */
void sched_preempt_hook(struct trap_frame *f);

/* The task's private address space, or NULL for the kernel's. */
const struct aspace *task_aspace(void);

/* ---- PIC, PIT, timer (rt_pic.c, rt_pit.c, rt_timer.c) ---- */

void pic_init(void);
/* Mask both 8259As as they are (before pic_init: a STI window stays quiet). */
void pic_mask_all(void);
void pic_unmask(unsigned irq);
void pic_eoi(unsigned irq);
void irq_set_handler(unsigned irq, trap_fn fn);

#define PIT_HZ 1193182u
/* Channel 0, mode 2 (rate generator) at (hz). */
void pit_start(uint32_t hz);
void pit_stop(void);
/* The current channel-0 count (latched). */
uint16_t pit_read_count(void);
/* Reload value programmed by pit_start. */
extern uint16_t pit_reload;

/* Start the 1 kHz timer (PIC + PIT + IRQ0 handler counting timer_ticks),
 * or stop it. Interrupts stay disabled until the caller runs sti. */
void timer_start(uint32_t hz);
void timer_stop(void);
extern volatile uint64_t timer_ticks;
/* Called from the IRQ0 handler after the tick is counted (optional). */
extern trap_fn timer_hook;

/* ---- timing (rt_tsc.c, rt_bench.c) ---- */

/* TSC frequency in Hz: CPUID 0x15, else 0x16, else calibrated against PIT
 * channel 2 (tsc_best_of(tsc_pit_round)). The first call prints
 * "info tsc_hz=... source=...". */
uint64_t tsc_hz(void);

/* One timing of the TSC against a reference clock that counted (ref) ticks
 * at (ref_hz): the host may preempt the guest between any two
 * instructions, so the interval's TSC ticks are only known to lie in
 * [lo, hi] (each clock reading sits between two RDTSCs). */
struct tsc_meas {
	uint64_t lo, hi, ref, ref_hz;
};
/* One ~10 ms round against PIT channel 2 in mode 0 (gate on through port
 * 0x61 bit 0; the count latched and read twice, OUT2 on bit 5 telling a
 * wrap); (ref) 0 if it wrapped. */
void tsc_pit_round(struct tsc_meas *m, void *unused);
/* The TSC frequency a measurement gives (the middle of its window). */
uint64_t tsc_meas_hz(const struct tsc_meas *m);
/* The window is under 1% of the interval: a preemption-free round. */
bool tsc_meas_narrow(const struct tsc_meas *m);
/* Run (round) until one is narrow, at most 40 times; (*best) is the
 * narrowest. False if none was narrow (a reference that lags the TSC). */
bool tsc_best_of(struct tsc_meas *best, void (*round)(struct tsc_meas *, void *), void *arg);

/* Print "bench NAME iters=N cycles_per_iter=X ns_per_iter=Y" with two
 * decimals. */
void bench_report(const char *name, uint64_t iters, uint64_t cycles);

/* ---- CPU identity (rt_cpu.c) ---- */

/* CPUID.1:ECX bit 31, then the 0x40000000 signature (12 chars + NUL), or
 * "" when no hypervisor bit. */
void cpu_hv_signature(char sig[13], uint32_t *max_leaf);
void cpu_vendor(char vendor[13]);
bool cpu_has_nx(void);

#endif

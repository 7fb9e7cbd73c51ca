/* pv_internal.h: the pv engine's private state and its split by concern.
 *
 * Three processes run one vCPU, and exactly one of them owns it at a time
 * (chan->owner): the VMM's vCPU thread ("parent"), the guest-kernel sandbox
 * K and the guest-user sandbox U. K and U are children of the VMM that
 * share the VM's memfd and the channel (struct pv_chan, shared memory), and
 * are locked down with seccomp. Guest code runs in them directly; K maps
 * everything the guest's page tables map, U only what user mode may touch,
 * which is how the guest kernel's memory stays out of reach of its user
 * mode. Traps arrive as signals; the handlers reflect them into the guest,
 * hand the vCPU from U to K (user traps) and back (iret to user), or hand
 * it to the parent (port I/O, console, halt, errors) with a futex.
 *
 *   pv_engine.c   engine ops, VM/vCPU state, registers      (parent)
 *   pv_run.c      vcpu_run: requests, interrupts, reports   (parent)
 *   pv_spawn.c    creating and sandboxing K and U           (both)
 *   pv_seccomp.c  the seccomp filter                        (child)
 *   pv_child.c    signal handlers, hand-offs, the U side    (child)
 *   pv_trap.c     reflecting traps, iret, sysret            (child K)
 *   pv_hcall.c    the hypercalls                            (child K)
 *   pv_mmu.c      guest page walks, host mappings           (child)
 *   pv_sys.S      the only host system calls children make  (child)
 */
#ifndef VMM_PV_PV_INTERNAL_H
#define VMM_PV_PV_INTERNAL_H

#include <signal.h>
#include <sys/types.h>
#include <ucontext.h>

#include "vmm/core/counters.h"
#include "vmm/core/vm.h"
#include "vmm/pv/pv.h"
#include "vmm/vmi/vmi.h"

/* ---- counters (in the channel: children and parent write them) ---- */
enum pv_sig_ctr { PV_SIG_SEGV, PV_SIG_BUS, PV_SIG_ILL, PV_SIG_FPE, PV_SIG_TRAP, PV_SIG_SYS,
		  PV_SIG_KICK, PV_SIG_PROF, PV_SIG_TAKEOVER, PV_SIG_NR };
enum pv_fwd_ctr { PV_FWD_IO, PV_FWD_CONSOLE, PV_FWD_HALT, PV_FWD_PAUSE, PV_FWD_MSR,
		  PV_FWD_NR };
enum pv_mmu_ctr { PV_MMU_PTE_UPDATES, PV_MMU_BATCHES, PV_MMU_BATCH_1, PV_MMU_BATCH_2_8,
		  PV_MMU_BATCH_9_64, PV_MMU_MAPS, PV_MMU_UNMAPS, PV_MMU_FILLS_K, PV_MMU_FILLS_U,
		  PV_MMU_CR3, PV_MMU_FLUSH_ALL, PV_MMU_NR };
enum pv_xfer_ctr { PV_XFER_K_TO_U, PV_XFER_U_TO_K, PV_XFER_NR };
#define PV_VEC_NR 48 /* reflected: 0-31 exceptions, 32 irq, 33 int 0x80, 34 syscall */
#define PV_VEC_IRQ 32
#define PV_VEC_INT80 33
#define PV_VEC_SYSCALL 34

struct pv_counters {
	struct perf_ctr hcall[PV_HC_NR];    /* hypercalls that left guest code */
	struct perf_ctr fast[PV_MAX_CALLS]; /* calls the ROM handled in the guest */
	struct perf_ctr fwd[PV_FWD_NR];     /* forwarded to the VMM */
	struct perf_ctr vec[PV_VEC_NR];     /* reflected into the guest */
	struct perf_ctr sig[PV_SIG_NR];     /* host signals taken */
	struct perf_ctr mmu[PV_MMU_NR];
	struct perf_ctr xfer[PV_XFER_NR];   /* kernel <-> user hand-offs */
};

/* ---- the vCPU as the engine keeps it ---- */
struct pv_regs {
	uint64_t gpr[X86_NR_GPRS];  /* enum x86_gpr order */
	uint64_t rip, rflags;       /* rflags.IF is the guest's (virtual) */
	uint16_t cs, ss;            /* the guest's selectors, not the host's */
	uint8_t cpl;                /* 0 or 3 */
};

struct pv_cpu {
	struct pv_regs r;
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint64_t kernel_ss;         /* 32-bit: the SS a trap from user mode loads */
	uint32_t mode_gen;          /* bumped by paging mode / WP / full flushes */
};

/* ---- requests to the VMM ---- */
enum pv_req { PV_REQ_NONE, PV_REQ_IO, PV_REQ_CONSOLE, PV_REQ_HALT, PV_REQ_PAUSE,
	      PV_REQ_ERROR, PV_REQ_DONE /* answered, not yet resumed */,
	      PV_REQ_MSR /* the local APIC's MSRs, in the VMM's device model */ };

/* What went wrong, for the report the VMM prints (pv_run.c). */
enum pv_err {
	PV_ERR_HOST_SYSCALL = 1, /* a host system call from guest kernel code: a = nr, b = arch */
	PV_ERR_LONG_MODE,        /* a 32-bit guest ran 64-bit code (CS 0x33): a = rip */
	PV_ERR_OUT_OF_RANGE,     /* an access outside the declared layout: a = address */
	PV_ERR_RIP_OUT,          /* code ran outside the guest: a = rip */
	PV_ERR_NO_HANDLER,       /* a trap with no usable gate (a triple fault): a = vector */
	PV_ERR_BAD_STACK,        /* the frame of a trap could not be written: a = address */
	PV_ERR_MMIO,             /* an access to unbacked guest-physical memory: a = gpa */
	PV_ERR_HOST_COLLISION,   /* the guest mapped over the VMM's own mappings: a = address */
	PV_ERR_INTERNAL,         /* a host call failed in the sandbox: a = call, b = -errno */
};

#define PV_IO_MAX 8
struct pv_io_op {
	uint16_t port;
	uint8_t size;
	uint8_t write;
	uint32_t value;             /* written, or read back by the VMM */
};

struct pv_req_msg {
	uint32_t kind;              /* enum pv_req */
	uint32_t who;               /* the asking sandbox (enum pv_owner) */
	uint32_t n;                 /* IO: ops; CONSOLE: bytes */
	struct pv_io_op io[PV_IO_MAX];
	uint8_t hlt_if;
	uint32_t err;               /* enum pv_err */
	uint64_t err_a, err_b;
	/* MSR: index, value (in for writes, out for reads), the guest's TSC at
	 * a write, and the answer (0, or -errno from vcpu_msr_*) */
	uint32_t msr;
	uint8_t msr_write;
	int32_t msr_result;
	uint64_t msr_value, msr_tsc;
	char console[PV_CONSOLE_MAX];
};

/* ---- user <-> kernel hand-offs ---- */
enum pv_event { PV_EV_NONE, PV_EV_EXC, PV_EV_INT, PV_EV_SYSCALL, PV_EV_IRQ, PV_EV_START };

#define PV_INVAL_MAX 128
struct pv_handoff {
	uint32_t event;             /* U -> K: enum pv_event */
	uint32_t vector;
	uint32_t err;
	uint8_t has_err;
	uint64_t cr2;
	uint32_t fp_size;           /* bytes of fp[] in use */
	/* K -> U: what changed in the page tables since U last ran */
	uint32_t nr_inval;
	uint8_t inval_all;
	uint64_t inval_lo[PV_INVAL_MAX], inval_hi[PV_INVAL_MAX];
};

enum pv_owner { PV_OWN_NONE = 0, PV_OWN_PARENT = 1, PV_OWN_K = 2, PV_OWN_U = 3 };

/* The shared channel: MAP_SHARED memory created before the children. */
struct pv_chan {
	uint32_t owner __attribute__((aligned(64)));     /* enum pv_owner */
	uint32_t turn[4];           /* futex per sandbox (by enum pv_owner): bumped
				     * when the vCPU is handed to it */
	uint32_t parent_seq __attribute__((aligned(64))); /* futex: +2 wakes the VMM;
							   * 0: a child exited */
	uint32_t want_exit;         /* the VMM wants the vCPU back (pause, stop) */
	int32_t irq_vector;         /* acknowledged, not delivered; -1: none */
	uint32_t started;
	uint32_t adopt;             /* K's first entry takes over a running guest */
	uint64_t adopt_tss;         /* ... whose TSS (kernel stack) is here */
	struct pv_cpu cpu;
	struct pv_req_msg req;
	struct pv_handoff ho;
	struct pv_counters ctr;
	uint8_t fp[8192] __attribute__((aligned(64)));
	struct x86_fpu adopt_fpu;   /* the adopted guest's FPU/SSE state */
};

#define PV_STACK_SIZE (256 * KiB) /* each sandbox's signal stack */

/* ---- the per-VM state (parent; copied into the children by fork) ---- */
#define PV_MAX_FORBID 16
struct pv_vm {
	struct pv_note note;
	unsigned bits;
	uint64_t va_top;            /* guest addresses lie below this */
	struct pv_shared *shared;   /* the shared page (hva) */
	uint8_t *rom;               /* the ROM (hva) */
	struct {
		uint64_t lo, hi;
	} forbid[PV_MAX_FORBID];    /* host mappings inside the guest's range */
	unsigned nr_forbid;
};

struct pv_vcpu {
	struct pv_chan *chan;
	pid_t pid_k, pid_u;
	bool started;
	bool adopt;                 /* entry is a running guest's (vcpu_adopt) */
	struct x86_state entry;     /* from regs_set before the start */
	uint8_t *stack_k, *stack_u; /* the children's signal stacks */
	uint64_t *mapped;           /* pv_mmu.c's bitmap (each child its own copy) */
	size_t mapped_size;
	char stop_msg[256];
};

/* ---- parent side ---- */
int pv_vcpu_run(struct vcpu *v, struct vcpu_exit *ex);
/* Start K and U for (v). 0 or -errno (logged). */
int pv_spawn(struct vcpu *v);
/* Kill and reap the children. */
void pv_reap(struct pv_vcpu *p);
/* Host mappings that overlap [0, va_top): the guest may not map there. */
void pv_host_maps(struct pv_vm *pvm);
/* Format what a child reported (PV_REQ_ERROR) into (buf). */
void pv_format_error(const struct pv_vm *pvm, const struct pv_chan *c, char *buf, size_t len);

/* ---- child side: the process's own state ---- */
struct pv_child {
	struct pv_chan *chan;
	struct pv_vm *vm;
	struct guest_mem *mem;      /* the parent's view: regions and their hva */
	int memfd;
	bool user;                  /* this is U */
	unsigned bits;
	uint64_t window;            /* the ROM window's guest address */
	uint32_t mode_gen;          /* the mapping generation this process has */
	bool entered;               /* guest code has started */
	uint64_t *mapped;           /* a bit per page this process has mapped */
	uint64_t mapped_pages;      /* pages the bitmap covers (from 0) */
};
extern struct pv_child pv_me;

/* The child's body after clone: never returns. */
__attribute__((noreturn)) void pv_child_main(struct vcpu *v, bool user);

/* pv_seccomp.c: lock the calling process down. 0 or -errno. */
int pv_seccomp_install(const struct pv_child *c);

/* pv_sys.S: the gateway every child system call goes through (the seccomp
 * filter allows no other instruction pointer), and the signal restorer. */
long pv_sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
void pv_sys_restorer(void);
extern const char pv_sys_start[], pv_sys_end[];
/* An int3 the engine recognizes as "enter the guest" (pv_child.c). */
void pv_sys_enter(void);
extern const char pv_sys_enter_site[];

/* pv_child.c: hand-offs. Give the vCPU to (to) and wait until it comes back
 * (a VM going away ends the process). */
void pv_handoff(struct pv_child *c, enum pv_owner to);
/* Wait until this process owns the vCPU. */
void pv_wait_turn(struct pv_child *c);
/* The handler of every signal a sandbox takes. */
void pv_on_signal(int sig, siginfo_t *si, void *uc);
/* Ask the VMM (the request is in c->chan->req) and wait for its answer. */
void pv_ask_parent(struct pv_child *c);
/* Report a fatal guest error and wait to be killed; never returns. (Not
 * declared noreturn: ASan would call into its runtime first, which makes
 * system calls the sandbox's filter forbids.) */
void pv_fatal(struct pv_child *c, enum pv_err err, uint64_t a, uint64_t b);
void pv_regs_from_uc(struct pv_regs *r, const ucontext_t *uc);
void pv_regs_to_uc(const struct pv_regs *r, ucontext_t *uc, unsigned bits);
void pv_fp_save(struct pv_chan *ch, const ucontext_t *uc);
void pv_fp_load(const struct pv_chan *ch, ucontext_t *uc);

/* pv_trap.c (K): deliver vector (vec) to the guest from the state in
 * c->chan->cpu. (soft): an int n instruction (the gate's DPL applies).
 * Returns 0, or stops the VM (pv_fatal) when the guest cannot take it. */
void pv_reflect(struct pv_child *c, unsigned vec, bool has_err, uint32_t err, bool soft);
/* Deliver the pending interrupt if the guest can take one now. */
void pv_irq_check(struct pv_child *c);
/* To user mode with the state in c->chan->cpu: U runs until it traps, then
 * the trap enters the kernel (the FPU state in (uc) goes along). */
void pv_to_user(struct pv_child *c, ucontext_t *uc);
/* K's first entry into a guest adopted from another engine (pv_trap.c):
 * the kernel stack from its TSS, its FPU state; to user mode if it was
 * there. */
void pv_adopt_enter(struct pv_child *c, ucontext_t *uc);
/* PV_CALL_IRET / SYSRET: pop the frame; to user mode: hand off to U (the
 * FPU state in (uc) goes along). */
void pv_iret(struct pv_child *c, bool sysret, ucontext_t *uc);
/* K got the vCPU back from U: turn U's event into a trap. */
void pv_user_event(struct pv_child *c);

/* pv_hcall.c (K): the hypercall of kind (kind) at the int3 just executed. */
void pv_hcall(struct pv_child *c, int kind, ucontext_t *uc);

/* pv_mmu.c */
enum pv_walk_acc { PV_ACC_READ = 0, PV_ACC_WRITE = 1, PV_ACC_FETCH = 2 };
/* Translate (va) for an access; fills (*gpa). 0, or a #PF error code with
 * bit 31 set when the guest would fault (the low bits are the error code). */
uint32_t pv_walk(struct pv_child *c, uint64_t va, int acc, bool user, uint64_t *gpa,
		 uint64_t *span, unsigned *prot, bool set_ad);
/* Copy to/from guest virtual memory as the kernel would. 0, or the #PF
 * error code (bit 31 set) with *fault_va. */
uint32_t pv_gva_read(struct pv_child *c, uint64_t va, void *dst, size_t len, uint64_t *fault_va);
uint32_t pv_gva_write(struct pv_child *c, uint64_t va, const void *src, size_t len,
		      uint64_t *fault_va);
/* A host SIGSEGV at (va): map it if the guest allows the access. 0: done,
 * retry; else the #PF error code (bit 31 set) to reflect. Out-of-range and
 * unbacked addresses stop the VM. */
uint32_t pv_fault(struct pv_child *c, uint64_t va, int acc);
/* Invalidate and, if the guest allows, map again one page (a PTE update). */
void pv_mmu_update(struct pv_child *c, uint64_t va);
/* INVLPG (va): the queue, and (va) if it was not in it. */
void pv_mmu_invlpg(struct pv_child *c, uint64_t va);
/* The PTE queue of the shared page: apply it. */
void pv_mmu_flush_queue(struct pv_child *c);
/* CR3 written: drop what differs between the old and the new tables. */
void pv_mmu_cr3(struct pv_child *c, uint64_t old_cr3, uint64_t new_cr3);
/* Drop every mapping (paging mode, WP, flush all). */
void pv_mmu_flush_all(struct pv_child *c);
/* U on resume: apply what K queued for it. */
void pv_mmu_user_sync(struct pv_child *c);
/* Map the ROM window (and in K the shared page). 0 or -errno. */
int pv_mmu_map_window(struct pv_child *c);
/* Is (va) inside the guest's declared layout (or the window)? */
bool pv_in_layout(const struct pv_child *c, uint64_t va);

#define PV_PF_FAULT 0x80000000u

#endif

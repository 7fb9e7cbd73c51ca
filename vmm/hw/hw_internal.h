/* hw_internal.h: the hw engine's private state: the KVM VM and vCPU fds, the
 * shared kvm_run page, exit counters, and the compatibility probe. */
#ifndef VMM_HW_HW_INTERNAL_H
#define VMM_HW_HW_INTERNAL_H

#include <linux/kvm.h>

#include "vmm/core/counters.h"
#include "vmm/core/vm.h"
#include "vmm/hw/hw.h"

/* KVM needs three pages for the real-mode TSS and one for the EPT identity
 * map, somewhere the guest does not use (as QEMU: just below the BIOS). */
#define HW_TSS_ADDR 0xfffbd000ull
#define HW_IDENTITY_MAP_ADDR 0xfffbc000ull
#define HW_MAX_MSRS 32

enum hw_exit {
	HW_EXIT_IO_IN, HW_EXIT_IO_OUT, HW_EXIT_MMIO_READ, HW_EXIT_MMIO_WRITE,
	HW_EXIT_HLT, HW_EXIT_IRQ_WINDOW, HW_EXIT_INTR, HW_EXIT_SHUTDOWN,
	HW_EXIT_FAIL_ENTRY, HW_EXIT_INTERNAL_ERROR, HW_EXIT_DEBUG, HW_EXIT_MSR,
	HW_EXIT_TPR, HW_EXIT_OTHER, HW_EXIT_NR
};

enum hw_evt { HW_EVT_IRQ_INJECTED, HW_EVT_WINDOW_REQUESTED, HW_EVT_NR };

struct hw_vm {
	int kvm_fd;
	int vm_fd;
	int run_size;
	struct kvm_cpuid2 *cpuid;   /* supported CPUID + Triplex's hypervisor leaves */
	uint32_t msr_index[HW_MAX_MSRS]; /* the MSRs of x86_state that KVM has */
	unsigned nr_msrs;
	bool has_xcrs, has_events, has_debugregs;
	bool apic;                  /* the board has local APICs (vm->irq_ops MSRs) */
	bool apic_msrs;             /* their MSRs reach us (user-space MSR exits) */
	bool kernel_irqchip;        /* TRIPLEX_HW_IRQCHIP=kernel: KVM's PIC/IOAPIC/LAPIC */
};

struct hw_vcpu {
	int fd;
	struct kvm_run *run;
	struct perf_ctr exits[HW_EXIT_NR];
	struct perf_ctr evt[HW_EVT_NR];
	uint64_t run_start;         /* when the last KVM_RUN returned */
	bool stepping;              /* set_debug asked for a step: hold interrupts */
	uint64_t cr8;               /* CR8 given to the last KVM_RUN */
	bool incomplete;            /* the last exit (I/O, MMIO, MSR) completes at
				     * the next KVM_RUN (api.rst, "kvm_run") */
};

/* Registers: x86_state <-> KVM_{GET,SET}_{REGS,SREGS,FPU,MSRS,...}. */
int hw_regs_get(struct vcpu *v, struct x86_state *s);
int hw_regs_set(struct vcpu *v, const struct x86_state *s);
/* Which MSRs of x86_state the host KVM supports (fills hw->msr_index). */
void hw_msrs_init(struct hw_vm *hw);

/* The guest CPUID table: KVM_GET_SUPPORTED_CPUID plus the Triplex hypervisor
 * leaves (0x40000000 "TriplexVMM", 0x40000001 engine id 2 "hw"). */
int hw_cpuid_init(struct hw_vm *hw);
int hw_cpuid_set(struct hw_vm *hw, struct vcpu *v, int fd);

/* ---- the core's interrupt controller through KVM (hw_irq.c) ---- */
/* Route the local APIC's MSRs to user space if KVM can (sets hw->apic,
 * hw->apic_msrs), or, with TRIPLEX_HW_IRQCHIP=kernel, use KVM's in-kernel
 * irqchip instead; call after KVM_CREATE_VM, before the CPUID table and the
 * vCPUs. 0 or -errno (logged). */
VMM_MUST_CHECK int hw_irq_init(struct vm *vm, struct hw_vm *hw);
/* Undo what hw_irq_init changed in (vm). */
void hw_irq_fini(struct vm *vm);
/* Make a CPUID entry say what the interrupt path implements. */
void hw_irq_cpuid(const struct hw_vm *hw, struct kvm_cpuid_entry2 *e);
/* KVM_EXIT_X86_RDMSR / WRMSR: answer from the device model. */
void hw_irq_msr_exit(struct vcpu *v, struct hw_vcpu *h);
/* Around KVM_RUN: pending NMI in, CR8 <-> the local APIC's TPR. */
void hw_irq_pre_run(struct vcpu *v, struct hw_vcpu *h);
void hw_irq_post_run(struct vcpu *v, struct hw_vcpu *h);

/* ---- the compatibility probe (hw_compat.c) ---- */
enum hw_compat_test {
	HW_COMPAT_REAL,        /* real-mode code and port I/O */
	HW_COMPAT_PROT32,      /* 32-bit protected mode, no paging */
	HW_COMPAT_IRET32,      /* 32-bit interrupt delivery (int n) and iret at CPL 0 */
	HW_COMPAT_USER_INT32,  /* 32-bit ring 3 -> int 0x80 reaches CPL 0 */
	HW_COMPAT_PAGING32,    /* 32-bit two-level paging */
	HW_COMPAT_PAE32,       /* 32-bit PAE paging */
	HW_COMPAT_LONG_SWITCH, /* 32-bit code enables long mode itself */
	HW_COMPAT_USER_INT64,  /* 64-bit ring 3 -> int 0x80 reaches CPL 0 */
	HW_COMPAT_SYSCALL64,   /* 64-bit ring 3 -> syscall reaches CPL 0 */
	HW_COMPAT_USER_EXC64,  /* 64-bit ring 3 -> an exception (#UD) reaches CPL 0 */
	HW_COMPAT_NR
};

struct hw_compat {
	bool done;
	bool ok[HW_COMPAT_NR];
	char detail[HW_COMPAT_NR][96]; /* what happened, for failures */
	double ms;                     /* how long the probe took (0 if cached) */
	bool cached;
};

extern const char *const hw_compat_names[HW_COMPAT_NR];

/* Run the probe guests (or load the cached result for this host
 * fingerprint). 0 or -errno (the probe could not run at all: logged). */
int hw_compat_get(const struct host_caps *caps, struct hw_compat *out, bool refresh);

/* Run one probe guest (exposed for tests). */
int hw_compat_run(enum hw_compat_test t, bool *ok, char *detail, size_t len);

/* engine_ops.check_guest: refuse a guest whose needs failed the probe. */
struct guest_desc;
int hw_check_guest(const struct host_caps *caps, const struct guest_desc *g, char *why,
		   size_t len);

/* engine_ops.host_report: the compatibility probe, for `triplex probe`. */
struct engine_host_report;
int hw_host_report(const struct host_caps *caps, bool refresh, struct engine_host_report *r);

/* The vcpu_run used by the engine and the probe. */
int hw_vcpu_run(struct vcpu *v, struct vcpu_exit *ex);

#endif

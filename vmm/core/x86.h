/* x86.h: the architectural state every engine imports and exports
 * (struct x86_state), and the x86 constants the core, loaders and engines
 * share. An engine's regs_get/regs_set convert between this and its own
 * representation, so a vCPU stopped under one engine resumes under another.
 *
 * Example: switch a stopped vCPU from engine A to engine B.
 *     struct x86_state s;
 *     a->regs_get(vcpu, &s);      // everything: GPRs, segments, CRs, MSRs, FPU
 *     b->regs_set(vcpu2, &s);
 */
#ifndef VMM_CORE_X86_H
#define VMM_CORE_X86_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/vmm.h"

/* General-purpose registers in encoding order (SDM 2A 2.1.5). */
enum x86_gpr {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
	X86_NR_GPRS
};

/* Segment registers in encoding order (SDM 2A 3.1.1.3, Sreg). */
enum x86_sreg { X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_NR_SREGS };

/* A segment register with its hidden part (SDM 3A 3.4.3). */
struct x86_seg {
	uint64_t base;
	uint32_t limit;    /* in bytes, already scaled by G */
	uint16_t sel;
	uint8_t type;      /* descriptor type field, 4 bits */
	uint8_t s;         /* 1 = code/data, 0 = system */
	uint8_t dpl;
	uint8_t present;
	uint8_t avl;
	uint8_t l;         /* 64-bit code segment */
	uint8_t db;        /* default operand size / big */
	uint8_t g;
	uint8_t unusable;  /* null selector loaded (VMX "unusable") */
};

struct x86_dtable {
	uint64_t base;
	uint16_t limit;
};

/* The MSRs that matter for running and migrating a guest between engines. */
struct x86_msrs {
	uint64_t tsc;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t star, lstar, cstar, sfmask;
	uint64_t kernel_gs_base;
	uint64_t tsc_aux;
	uint64_t pat;
	uint64_t apic_base;
	uint64_t misc_enable;
};

/* FPU/MMX/SSE state in the FXSAVE layout (SDM 1 10.5.1, table 10-2). */
struct x86_fpu {
	uint16_t fcw, fsw;
	uint8_t ftw;       /* abridged tag word, one bit per register */
	uint8_t rsvd0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st[8][16]; /* ST0-7 / MM0-7, 80 bits used */
	uint8_t xmm[16][16];
	uint8_t rsvd1[96];
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct x86_fpu) == 512, "FXSAVE image is 512 bytes");
_Static_assert(offsetof(struct x86_fpu, xmm) == 160, "XMM0 at 160 in FXSAVE");

/* Events that are architecturally pending between instructions. */
struct x86_events {
	uint8_t exc_pending;     /* an exception is being delivered */
	uint8_t exc_vector;
	uint8_t exc_has_error;
	uint32_t exc_error;
	uint8_t irq_pending;     /* an external interrupt was acked, not yet delivered */
	uint8_t irq_vector;
	uint8_t nmi_pending;
	uint8_t nmi_masked;
	uint8_t int_shadow;      /* STI or MOV SS blocking (SDM 3C 24.4.2) */
	uint8_t halted;          /* in HLT, waiting for an interrupt */
};

struct x86_state {
	uint64_t gpr[X86_NR_GPRS];
	uint64_t rip;
	uint64_t rflags;
	struct x86_seg seg[X86_NR_SREGS];
	struct x86_seg ldt, tr;
	struct x86_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	uint64_t xcr0;
	uint64_t dr[8];          /* DR0-DR3, DR6 at [6], DR7 at [7] */
	struct x86_msrs msr;
	struct x86_fpu fpu;
	struct x86_events ev;
};

/* CR0 (SDM 3A 2.5) */
#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_EM (1ull << 2)
#define X86_CR0_TS (1ull << 3)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_AM (1ull << 18)
#define X86_CR0_NW (1ull << 29)
#define X86_CR0_CD (1ull << 30)
#define X86_CR0_PG (1ull << 31)
/* CR4 */
#define X86_CR4_VME (1ull << 0)
#define X86_CR4_PVI (1ull << 1)
#define X86_CR4_TSD (1ull << 2)
#define X86_CR4_DE (1ull << 3)
#define X86_CR4_PSE (1ull << 4)
#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_MCE (1ull << 6)
#define X86_CR4_PGE (1ull << 7)
#define X86_CR4_PCE (1ull << 8)
#define X86_CR4_OSFXSR (1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define X86_CR4_UMIP (1ull << 11)
#define X86_CR4_FSGSBASE (1ull << 16)
#define X86_CR4_PCIDE (1ull << 17)
#define X86_CR4_OSXSAVE (1ull << 18)
#define X86_CR4_SMEP (1ull << 20)
#define X86_CR4_SMAP (1ull << 21)
/* EFER (MSR 0xc0000080) */
#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)
/* RFLAGS (SDM 1 3.4.3) */
#define X86_FLAGS_CF (1ull << 0)
#define X86_FLAGS_FIXED (1ull << 1)
#define X86_FLAGS_PF (1ull << 2)
#define X86_FLAGS_AF (1ull << 4)
#define X86_FLAGS_ZF (1ull << 6)
#define X86_FLAGS_SF (1ull << 7)
#define X86_FLAGS_TF (1ull << 8)
#define X86_FLAGS_IF (1ull << 9)
#define X86_FLAGS_DF (1ull << 10)
#define X86_FLAGS_OF (1ull << 11)
#define X86_FLAGS_IOPL (3ull << 12)
#define X86_FLAGS_NT (1ull << 14)
#define X86_FLAGS_RF (1ull << 16)
#define X86_FLAGS_VM (1ull << 17)
#define X86_FLAGS_AC (1ull << 18)
#define X86_FLAGS_VIF (1ull << 19)
#define X86_FLAGS_VIP (1ull << 20)
#define X86_FLAGS_ID (1ull << 21)
/* Page-table entry bits (SDM 3A 4.3, 4.4, 4.5) */
#define X86_PTE_P (1ull << 0)
#define X86_PTE_RW (1ull << 1)
#define X86_PTE_US (1ull << 2)
#define X86_PTE_PWT (1ull << 3)
#define X86_PTE_PCD (1ull << 4)
#define X86_PTE_A (1ull << 5)
#define X86_PTE_D (1ull << 6)
#define X86_PTE_PS (1ull << 7)
#define X86_PTE_G (1ull << 8)
#define X86_PTE_NX (1ull << 63)
/* Page-fault error code (SDM 3A 4.7) */
#define X86_PF_P (1u << 0)
#define X86_PF_W (1u << 1)
#define X86_PF_U (1u << 2)
#define X86_PF_RSVD (1u << 3)
#define X86_PF_I (1u << 4)
/* Exception vectors (SDM 3A 6.3.1) */
enum x86_vector {
	X86_EXC_DE = 0, X86_EXC_DB = 1, X86_EXC_NMI = 2, X86_EXC_BP = 3,
	X86_EXC_OF = 4, X86_EXC_BR = 5, X86_EXC_UD = 6, X86_EXC_NM = 7,
	X86_EXC_DF = 8, X86_EXC_TS = 10, X86_EXC_NP = 11, X86_EXC_SS = 12,
	X86_EXC_GP = 13, X86_EXC_PF = 14, X86_EXC_MF = 16, X86_EXC_AC = 17,
	X86_EXC_MC = 18, X86_EXC_XM = 19,
};
/* MSRs */
#define X86_MSR_TSC 0x10
#define X86_MSR_APIC_BASE 0x1b
#define X86_MSR_SYSENTER_CS 0x174
#define X86_MSR_SYSENTER_ESP 0x175
#define X86_MSR_SYSENTER_EIP 0x176
#define X86_MSR_MISC_ENABLE 0x1a0
#define X86_MSR_PAT 0x277
#define X86_MSR_TSC_DEADLINE 0x6e0
#define X86_MSR_EFER 0xc0000080
#define X86_MSR_STAR 0xc0000081
#define X86_MSR_LSTAR 0xc0000082
#define X86_MSR_CSTAR 0xc0000083
#define X86_MSR_SFMASK 0xc0000084
#define X86_MSR_FS_BASE 0xc0000100
#define X86_MSR_GS_BASE 0xc0000101
#define X86_MSR_KERNEL_GS_BASE 0xc0000102
#define X86_MSR_TSC_AUX 0xc0000103

/* Segment types for code/data descriptors (S=1), SDM 3A table 3-1. */
#define X86_SEG_TYPE_DATA_RW 0x3  /* read/write, accessed */
#define X86_SEG_TYPE_CODE_RX 0xb  /* execute/read, accessed */
#define X86_SEG_TYPE_TSS32_BUSY 0xb
#define X86_SEG_TYPE_LDT 0x2

/* The state after RESET/INIT (SDM 3A 9.1.1, table 9-1): real mode at
 * F000:FFF0 with CS.base FFFF0000. */
void x86_state_reset(struct x86_state *s);

/* A flat 4 GiB segment for (sel): code (execute/read) or data (read/write),
 * 32-bit (db=1) or, for code with (long_mode), 64-bit (l=1, db=0). */
void x86_seg_flat(struct x86_seg *seg, uint16_t sel, bool code, bool long_mode);

/* A real-mode segment: base = sel << 4, limit 0xffff. */
void x86_seg_real(struct x86_seg *seg, uint16_t sel, bool code);

/* Decode an 8-byte code/data/system descriptor into the hidden part of (seg). */
void x86_seg_from_desc(struct x86_seg *seg, uint16_t sel, uint64_t desc);
/* Encode (seg)'s hidden part as an 8-byte descriptor (the low 32 bits of base). */
uint64_t x86_seg_to_desc(const struct x86_seg *seg);

/* The CPU mode the state is in, as a short name: "real", "vm86", "prot16",
 * "prot32", "compat", "long". */
const char *x86_mode_name(const struct x86_state *s);
/* The current privilege level (CS.DPL; 0 in real mode, 3 in vm86). */
unsigned x86_cpl(const struct x86_state *s);

/* A multi-line register dump in the style of QEMU's "info registers",
 * written to (buf), always NUL-terminated. Returns the length written. */
size_t x86_state_format(const struct x86_state *s, char *buf, size_t len);

/* Name of an exception vector ("#GP") or NULL for vectors without one. */
const char *x86_vector_name(unsigned vector);

#endif

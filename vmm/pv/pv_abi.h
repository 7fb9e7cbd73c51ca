/* pv_abi.h: the Triplex VMI ABI, version 1: what a paravirtual guest and the
 * hypervisor agree on (docs/vmi.md is the prose). Self-contained (only
 * <stdint.h>) so guests include it as it is; shared by the VMM and the guest
 * runtime. Every field is fixed-width and the layouts are pinned below.
 *
 * In short: a guest declares the ABI with an ELF note (struct pv_note) that
 * names the guest-virtual address of the ROM window. The VMM maps there, at
 * the same guest-physical address, a read-only ROM (struct pv_rom_header: a
 * table of entry points, one per call) followed by one writable shared page
 * per vCPU (struct pv_shared). The guest calls ROM entries like C functions:
 *
 *     const struct pv_rom_header *rom = (const void *)PV_ROM_ADDR;
 *     if (rom->magic == PV_ROM_MAGIC && rom->version == PV_ABI_VERSION)
 *             ((void (*)(void))(uintptr_t)rom->entry[PV_CALL_IRQ_DISABLE])();
 *
 * Under bt and hw the entries are the native instruction sequences ("cli;
 * ret"); under pv they are hypercalls or work on the shared page. Calls
 * return a value in EAX/RAX (EDX:EAX for 64-bit results of the 32-bit
 * ROM); a negative value in the range [-4095, -1] is an error (PV_E*).
 * Calling conventions: 32-bit cdecl (arguments on the stack, caller pops;
 * EAX, ECX, EDX clobbered), 64-bit System V (RDI, RSI, RDX, RCX, R8; RAX,
 * RCX, RDX, RSI, RDI, R8-R11 clobbered). PV_CALL_IRET and PV_CALL_SYSRET
 * are jumped to with the native interrupt frame on the stack. */
#ifndef VMM_PV_PV_ABI_H
#define VMM_PV_PV_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define PV_ABI_VERSION 1

/* ---- the ELF note ----
 * A PT_NOTE segment (or SHT_NOTE section) with name PV_NOTE_NAME, type
 * PV_NOTE_TYPE and a struct pv_note as its descriptor (ELF gABI, "Note
 * Section"). */
#define PV_NOTE_NAME "TriplexVMI" /* namesz 11, padded to 12 */
#define PV_NOTE_TYPE 0x564d4901  /* "VMI" 1 */

/* The guest's virtual layout. Every address the guest maps lies in
 * [kernel_start, kernel_end) or [user_start, user_end) (the two may
 * overlap), or in the ROM window. Which pages user mode may touch is the
 * page tables' U/S bit; the ranges only bound the guest: an access outside
 * them is hostile and stops the guest under pv. */
#ifndef __ASSEMBLER__
struct pv_note {
	uint32_t version;      /* IN: PV_ABI_VERSION the guest was built for */
	uint32_t bits;         /* IN: 32 or 64: the guest's code width */
	uint64_t rom_addr;     /* IN: guest-virtual = guest-physical address of
				* the ROM window, PV_WINDOW_SIZE aligned, below
				* 4 GiB, outside RAM */
	uint64_t entry;        /* IN: where pv starts the guest (64-bit guests:
				* 64-bit code; 0: the ELF entry) */
	uint64_t kernel_start; /* IN: [kernel_start, kernel_end) */
	uint64_t kernel_end;
	uint64_t user_start;   /* IN: [user_start, user_end) */
	uint64_t user_end;
	uint64_t reserved[2];  /* IN: zero */
};
#endif

/* ---- the ROM window: ROM, then the shared pages ---- */
#define PV_ROM_SIZE 0x4000        /* the ROM proper, read-only */
#define PV_SHARED_OFF PV_ROM_SIZE  /* the vCPU 0 shared page (one per vCPU) */
#define PV_SHARED_SIZE 0x1000
#define PV_WINDOW_SIZE 0x10000    /* the whole window (alignment too) */
#define PV_ROM_DEFAULT_ADDR 0xfff00000
#define PV_ROM_MAGIC 0x494d5654   /* "TVMI" little-endian */

/* pv_rom_header.flavour */
#define PV_FLAVOUR_NATIVE 1 /* the entries are native instruction sequences */
#define PV_FLAVOUR_PV 2     /* the entries are hypercalls (the pv engine) */

#define PV_MAX_CALLS 64

#ifndef __ASSEMBLER__
/* The ROM's first bytes. */
struct pv_rom_header {
	uint32_t magic;              /* OUT: PV_ROM_MAGIC */
	uint16_t version;            /* OUT: PV_ABI_VERSION */
	uint16_t nr_calls;           /* OUT: calls this ROM implements (PV_CALL_NR) */
	uint32_t flavour;            /* OUT: PV_FLAVOUR_* */
	uint32_t bits;               /* OUT: 32 or 64: the width of the entries */
	uint64_t shared_addr;        /* OUT: the vCPU 0 shared page */
	uint64_t reserved[3];
	uint64_t entry[PV_MAX_CALLS]; /* OUT: address of each call's entry; unknown
				       * and future calls return -PV_ENOSYS */
};
#endif

/* ---- the calls (index into pv_rom_header.entry) ----
 * (args) -> result. "fast" calls never leave the guest under pv. */
#define PV_CALL_VERSION         0 /* () -> PV_ABI_VERSION | flavour << 16 | bits << 24 */
#define PV_CALL_IRQ_SAVE        1 /* () -> flags: bit 9 (IF) meaningful; fast */
#define PV_CALL_IRQ_RESTORE     2 /* (flags): IF from bit 9; fast */
#define PV_CALL_IRQ_DISABLE     3 /* (): cli; fast */
#define PV_CALL_IRQ_ENABLE      4 /* (): sti; fast unless an interrupt is pending */
#define PV_CALL_SAFE_HALT       5 /* (): sti; hlt: returns after an interrupt */
#define PV_CALL_HALT            6 /* (): hlt with the current IF */
#define PV_CALL_READ_CR0        7 /* () -> CR0; fast */
#define PV_CALL_WRITE_CR0       8 /* (v) */
#define PV_CALL_READ_CR2        9 /* () -> CR2 (the last #PF's address); fast */
#define PV_CALL_WRITE_CR2      10 /* (v) */
#define PV_CALL_READ_CR3       11 /* () -> CR3; fast */
#define PV_CALL_WRITE_CR3      12 /* (v): flushes the PTE queue and the TLB */
#define PV_CALL_READ_CR4       13 /* () -> CR4; fast */
#define PV_CALL_WRITE_CR4      14 /* (v) */
#define PV_CALL_FLUSH_TLB      15 /* (): flush every TLB entry (and the PTE queue) */
#define PV_CALL_INVLPG         16 /* (va): flush one page (and the PTE queue) */
#define PV_CALL_PTE_SET        17 /* (ptep, val (64-bit), va, flags) -> 0: store the
				   * entry; queue va (PV_VA_NONE: none); fast */
#define PV_CALL_PTE_CLEAR      18 /* (ptep, va, flags) -> 0: store 0; queue va; fast */
#define PV_CALL_PTE_FLUSH      19 /* (): apply the queued updates now */
#define PV_CALL_LOAD_GDT       20 /* (ptr, cs, ds): lgdt, then CS and DS/ES/SS */
#define PV_CALL_LOAD_IDT       21 /* (ptr): lidt: registers the trap entry points; fast */
#define PV_CALL_LOAD_TR        22 /* (sel): ltr; fast */
#define PV_CALL_SET_KSTACK     23 /* (tss, sp): the stack for traps from user mode; fast */
#define PV_CALL_IRET           24 /* jump with an iret frame on the stack */
#define PV_CALL_SYSRET         25 /* jump with an iret frame on the stack (64-bit:
				   * RCX and R11 are clobbered) */
#define PV_CALL_SET_SYSCALL    26 /* (entry, kernel_cs, user_base): 64-bit SYSCALL
				   * enters (entry) on the kernel stack with an
				   * interrupt frame (ss, rsp, rflags, cs, rip),
				   * IF clear; user CS = user_base + 16 | 3, SS =
				   * user_base + 8 | 3 (as STAR); fast */
#define PV_CALL_USER_INT80     27 /* (nr, a1, a2) -> r: user mode: int 0x80 with
				   * EAX/RAX = nr, EBX/RDI = a1, ECX/RSI = a2 */
#define PV_CALL_USER_SYSCALL   28 /* (nr, a1, a2) -> r: user mode, 64-bit: SYSCALL
				   * with RAX = nr, RDI = a1, RSI = a2 */
#define PV_CALL_IO_IN          29 /* (port, size 1/2/4) -> value */
#define PV_CALL_IO_OUT         30 /* (port, size 1/2/4, value) -> 0 */
#define PV_CALL_TIMER_SET      31 /* (hz): the periodic tick on IRQ 0; 0 stops it */
#define PV_CALL_TIMER_READ     32 /* () -> the tick timer's current count (PIT ch 0) */
#define PV_CALL_CONSOLE_WRITE  33 /* (buf, len <= PV_CONSOLE_MAX) -> len: to COM1 */
#define PV_CALL_SHUTDOWN       34 /* (code): isa-debug-exit (code); never returns */
#define PV_CALL_READ_MSR       35 /* (msr) -> value (64-bit) */
#define PV_CALL_WRITE_MSR      36 /* (msr, value (64-bit)) -> 0 */
#define PV_CALL_NR 37

/* Errors, returned negated. */
#define PV_EFAULT 14  /* a guest buffer is not mapped */
#define PV_EINVAL 22  /* a malformed argument */
#define PV_ENOSYS 38  /* no such call */

#define PV_PTE_WIDE 1             /* flags: 8-byte entry (PAE, 4-level) */
#define PV_VA_NONE (-1)             /* PTE_SET/CLEAR: no va to queue (all ones) */
#define PV_QUEUE_MAX 64           /* queued PTE updates before a flush */
#define PV_CONSOLE_MAX 4096

/* ---- the shared page (one per vCPU) ----
 * Guest-writable: the hypervisor treats every field as untrusted input. */
#ifndef __ASSEMBLER__
struct pv_shared {
	uint8_t vif;                 /* IN/OUT: the virtual interrupt flag */
	uint8_t irq_pending;         /* OUT: an interrupt waits for vif = 1 */
	uint8_t rsvd0[6];
	uint64_t cr0, cr2, cr3, cr4; /* OUT: shadow control registers */
	uint64_t idt_base;           /* IN (PV_CALL_LOAD_IDT): the IDT */
	uint32_t idt_limit;
	uint32_t rsvd1;
	uint64_t kstack;             /* IN (PV_CALL_SET_KSTACK) */
	uint64_t syscall_entry;      /* IN (PV_CALL_SET_SYSCALL) */
	uint64_t syscall_scratch;    /* native 64-bit SYSCALL trampoline's use */
	uint64_t user_cs, user_ss;   /* IN (PV_CALL_SET_SYSCALL) */
	uint64_t kernel_cs;
	uint32_t queue_len;          /* IN/OUT: queued PTE updates */
	uint32_t rsvd2;
	uint64_t queue[PV_QUEUE_MAX]; /* IN: the va of each queued update */
	uint32_t fast[PV_MAX_CALLS]; /* OUT: calls the ROM handled without leaving
				      * the guest, per call (pv flavour) */
};
#endif

/* Byte offsets for the ROM's assembly (pinned). */
#define PV_SH_VIF 0
#define PV_SH_IRQ_PENDING 1
#define PV_SH_CR0 8
#define PV_SH_CR2 16
#define PV_SH_CR3 24
#define PV_SH_CR4 32
#define PV_SH_IDT_BASE 40
#define PV_SH_IDT_LIMIT 48
#define PV_SH_KSTACK 56
#define PV_SH_SYSCALL_ENTRY 64
#define PV_SH_SYSCALL_SCRATCH 72
#define PV_SH_USER_CS 80
#define PV_SH_USER_SS 88
#define PV_SH_KERNEL_CS 96
#define PV_SH_QUEUE_LEN 104
#define PV_SH_QUEUE 112
#define PV_SH_FAST (PV_SH_QUEUE + 8 * PV_QUEUE_MAX)

#ifndef __ASSEMBLER__
#define PV_OFFSETOF(t, f) __builtin_offsetof(t, f)
_Static_assert(sizeof(struct pv_note) == 72, "pv_note layout");
_Static_assert(PV_OFFSETOF(struct pv_note, rom_addr) == 8, "pv_note layout");
_Static_assert(PV_OFFSETOF(struct pv_note, user_end) == 48, "pv_note layout");
_Static_assert(PV_OFFSETOF(struct pv_rom_header, entry) == 48, "pv_rom_header layout");
_Static_assert(sizeof(struct pv_rom_header) == 48 + 8 * PV_MAX_CALLS, "pv_rom_header layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, irq_pending) == PV_SH_IRQ_PENDING, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, cr0) == PV_SH_CR0, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, cr2) == PV_SH_CR2, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, cr3) == PV_SH_CR3, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, cr4) == PV_SH_CR4, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, idt_base) == PV_SH_IDT_BASE, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, idt_limit) == PV_SH_IDT_LIMIT, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, kstack) == PV_SH_KSTACK, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, syscall_entry) == PV_SH_SYSCALL_ENTRY, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, syscall_scratch) == PV_SH_SYSCALL_SCRATCH, "pv_shared");
_Static_assert(PV_OFFSETOF(struct pv_shared, user_cs) == PV_SH_USER_CS, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, user_ss) == PV_SH_USER_SS, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, kernel_cs) == PV_SH_KERNEL_CS, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, queue_len) == PV_SH_QUEUE_LEN, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, queue) == PV_SH_QUEUE, "pv_shared layout");
_Static_assert(PV_OFFSETOF(struct pv_shared, fast) == PV_SH_FAST, "pv_shared layout");
_Static_assert(sizeof(struct pv_shared) <= PV_SHARED_SIZE, "pv_shared fits its page");
_Static_assert(PV_SHARED_OFF + PV_SHARED_SIZE <= PV_WINDOW_SIZE, "ROM window layout");
#endif

#endif

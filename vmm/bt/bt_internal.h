/* bt_internal.h: the bt engine's private state and the interfaces between
 * its parts: the decoder (Capstone -> struct bt_insn), the MMU (page walks,
 * software TLB, guest memory access), segments and exceptions, the reference
 * interpreter, the block cache, and the translator with its code cache.
 *
 * Overview. A vCPU's architectural state lives in struct bt_cpu. The run
 * loop (bt_run.c) looks up the block at CS:EIP (bt_block.c), keyed by the
 * guest physical address of its first byte and the mode bits that change
 * decoding; a block holds decoded instructions and, when the translator
 * could handle them, host code. Exceptions raised anywhere below the run
 * loop longjmp back to it (bt_raise) with the guest state at the faulting
 * instruction; the run loop delivers them through the IDT (bt_excp.c). */
#ifndef VMM_BT_BT_INTERNAL_H
#define VMM_BT_BT_INTERNAL_H

#include <setjmp.h>
#include <sys/mman.h>

#include "vmm/bt/bt.h"
#include "vmm/core/counters.h"
#include "vmm/core/vm.h"

#define BT_ENGINE_ID 1 /* CPUID 0x40000001 EAX */

/* ---------------------------------------------------------------- decode */

#define BT_NOREG 0xff
#define BT_REG_RIP 0xfe   /* bt_op.base: RIP-relative (64-bit mode) */
#define BT_REG_BYTE_REX 16 /* byte GPR 16+n: the low byte of GPR n (SPL..DIL, R8B..R15B) */
#define BT_INSN_MAX 15

enum bt_opk { BT_OP_NONE, BT_OP_REG, BT_OP_IMM, BT_OP_MEM };
enum bt_rc { BT_RC_GPR, BT_RC_SEG, BT_RC_CR, BT_RC_DR, BT_RC_OTHER };

struct bt_op {
	uint8_t kind;  /* enum bt_opk */
	uint8_t size;  /* bytes */
	uint8_t rc;    /* BT_OP_REG: enum bt_rc */
	uint8_t reg;   /* BT_OP_REG: number in the class (GPRs 0-15); byte GPRs 0-3
			* AL..BL, 4-7 AH..BH, BT_REG_BYTE_REX + n the low byte of n */
	uint8_t seg;   /* BT_OP_MEM: effective segment (x86_sreg), defaults applied */
	uint8_t base;  /* BT_OP_MEM: GPR number, BT_REG_RIP or BT_NOREG */
	uint8_t index; /* BT_OP_MEM: GPR number or BT_NOREG */
	uint8_t scale;
	uint64_t val;  /* BT_OP_IMM: the value; BT_OP_MEM: displacement (in 16/32-bit
			* code both are zero-extended 32-bit values; in 64-bit
			* code sign-extended to 64 bits) */
};

/* bt_insn.flags */
#define BT_I_SEGOVR (1u << 0)  /* an explicit segment override prefix */
#define BT_I_BRANCH (1u << 1)  /* ends a block: control flow or mode change */
#define BT_I_SEGLOAD (1u << 2) /* loads a segment register: may change the key */

/* bt_insn.fpc: what an FP/MMX/SSE instruction needs (bt_fpu.c). */
enum bt_fpc {
	BT_FP_NONE,      /* not an FPU instruction */
	BT_FP_X87,       /* D8-DF */
	BT_FP_WAIT,      /* WAIT/FWAIT */
	BT_FP_MMX,       /* MMX registers only (EMMS included) */
	BT_FP_SSE,       /* XMM registers or MXCSR */
	BT_FP_SSE_MMX,   /* both (CVTPI2PS ...): SSE checks plus the x87 #MF */
	BT_FP_FXSR,      /* FXSAVE/FXRSTOR */
	BT_FP_FENCE,     /* LFENCE/MFENCE/SFENCE */
	BT_FP_CLFLUSH,
	BT_FP_MOVNTI,
	BT_FP_UD,        /* an extension bt does not enumerate (SSE3+, 3DNow!, AVX) */
};

struct bt_insn {
	uint16_t id;     /* Capstone x86_insn */
	uint8_t len;
	uint8_t osz;     /* operand-size attribute: 2, 4 or 8 */
	uint8_t asz;     /* address-size attribute: 2, 4 or 8 */
	uint8_t rep;     /* 0, 0xf3 (rep/repe) or 0xf2 (repne) */
	uint8_t lock;
	uint8_t nops;
	uint8_t flags;   /* BT_I_* */
	uint8_t fpc;     /* enum bt_fpc */
	uint8_t modrm_off, disp_off, disp_size, imm_off, imm_size;
	uint8_t opc_off; /* offset of the first opcode byte (after prefixes) */
	struct bt_op op[3];
	uint8_t bytes[16];
};

struct bt_decoder;
/* Capstone handles for 16-, 32- and 64-bit code. NULL (logged) on failure. */
struct bt_decoder *bt_decoder_create(void);
void bt_decoder_destroy(struct bt_decoder *d);
/* Decode one instruction from (code, avail bytes) at (eip); (bits) 16, 32 or
 * 64 (REX, RIP-relative operands, 64-bit operand sizes and targets).
 * Returns 0, or -1 when the bytes are not a valid instruction (#UD) or more
 * bytes are needed than (avail) (then *need is set to the missing count). */
int bt_decode(struct bt_decoder *d, const uint8_t *code, unsigned avail, uint64_t eip,
	      unsigned bits, struct bt_insn *out);
/* Mnemonic and operands as text, for logs. */
void bt_disasm(struct bt_decoder *d, const struct bt_insn *in, uint64_t eip, unsigned bits,
	       char *buf, size_t len);
/* The 16 conditional jumps Jcc (Capstone instruction ids). */
bool bt_insn_is_jcc(unsigned id);
/* Instructions that end a block (control flow, mode changes, HLT, ...). */
bool bt_insn_ends_block(const struct bt_insn *in);
/* Instructions that load a segment register (MOV/POP Sreg, LDS...). */
bool bt_insn_loads_seg(const struct bt_insn *in);

/* ---------------------------------------------------------------- counters */

enum bt_ctr {
	BT_CTR_BLOCKS,        /* blocks decoded (interpreter blocks and translations) */
	BT_CTR_TRANSLATED,    /* blocks translated to host code */
	BT_CTR_TRANS_INSNS,   /* guest instructions translated */
	BT_CTR_CODE_BYTES,    /* host code bytes emitted */
	BT_CTR_CHAIN,         /* direct block chains made */
	BT_CTR_CHAIN_HITS,    /* chained transfers taken (TRIPLEX_BT_PROFILE=1) */
	BT_CTR_DISPATCH,      /* blocks entered from the dispatcher */
	BT_CTR_IND_LOOKUP,    /* indirect branch lookups in the dispatcher */
	BT_CTR_IND_MISS,      /* ... that missed the fast table */
	BT_CTR_INTERP_INSNS,  /* instructions run by the interpreter */
	BT_CTR_GUEST_PF,      /* #PF delivered to the guest */
	BT_CTR_EXCEPTIONS,    /* exceptions delivered (all vectors) */
	BT_CTR_IRQS,          /* external interrupts delivered */
	BT_CTR_TLB_MISS,      /* software TLB misses (page walks) */
	BT_CTR_TLB_FLUSH,     /* full TLB flushes (CR3/CR0/CR4 writes) */
	BT_CTR_WIN_FAULTS,    /* host faults in the window: pages mapped */
	BT_CTR_WIN_PROT,      /* host faults on write-protected window pages */
	BT_CTR_WIN_PF,        /* window faults that were guest page faults */
	BT_CTR_WIN_INVAL,     /* window pages dropped by page-table writes */
	BT_CTR_WIN_FLUSH,     /* all windows dropped (too many mappings) */
	BT_CTR_INVAL_PAGES,   /* code pages invalidated by writes */
	BT_CTR_INVAL_BLOCKS,  /* blocks invalidated */
	BT_CTR_CACHE_FLUSH,   /* whole code cache flushes */
	BT_CTR_RETRANSLATE,   /* blocks retranslated to use helpers (adaptive) */
	BT_CTR_SMC_INTERP,    /* blocks of self-modifying pages run interpreted */
	BT_CTR_NR
};

/* Translation cost, timed: decode (Capstone) and translate (host code). */
enum bt_xlate {
	BT_X_DECODE, BT_X_DECODE_INSNS, BT_X_TRANSLATE, BT_X_TRANSLATE_INSNS, BT_X_NR
};

enum bt_helper_kind {
	BT_H_IO, BT_H_STRING, BT_H_CPUID, BT_H_RDTSC, BT_H_MSR, BT_H_CR, BT_H_DESC,
	BT_H_SEG, BT_H_FLAGS, BT_H_INT, BT_H_IRET, BT_H_FAR, BT_H_HLT, BT_H_INVLPG,
	BT_H_INTERP, BT_H_MEM, BT_H_OTHER, BT_H_NR
};

/* ---------------------------------------------------------------- MMU */

#define BT_PAGE 4096u
#define BT_PAGE_MASK (~0xfffull) /* of a linear address (up to 64 bits) */
#define BT_TLB_BITS 8
#define BT_TLB_SIZE (1u << BT_TLB_BITS)
#define BT_TLB_INVALID 1u /* set in a tag: never matches a page-aligned address */

/* One software TLB entry: a linear page with the accesses it allows.
 * Translated code reads the tags and the addend (32 bytes: the index is
 * scaled by a shift); the rest is in struct bt_tlb_aux at the same index. */
struct bt_tlb_entry {
	uint64_t tag_r, tag_w, tag_x; /* page, or BT_TLB_INVALID if not allowed */
	uintptr_t addend;             /* host address - linear address (RAM) */
};
struct bt_tlb_aux {
	uint64_t gpa;                 /* guest physical page */
	uint32_t flags;               /* BT_TLBF_* */
};
#define BT_TLBF_MMIO (1u << 0)   /* not RAM: accesses go to the MMIO space */
#define BT_TLBF_ROM (1u << 1)    /* read-only region: writes are dropped */
#define BT_TLBF_LARGE (1u << 2)  /* from a 4 MiB / 2 MiB / 1 GiB page */

enum bt_acc { BT_ACC_R = 0, BT_ACC_W = 1, BT_ACC_X = 2 };

/* Result of a page walk. */
struct bt_walk {
	uint64_t gpa;  /* physical address of the byte */
	bool w, u, x;  /* allowed: write (for this privilege, given WP), user, execute */
	bool dirty;    /* D set in the leaf (or no paging) */
	bool large;    /* a 4 MiB / 2 MiB / 1 GiB page */
	uint32_t pf;   /* the #PF error code when the walk failed */
	unsigned nframes;      /* page-table frames the walk used */
	uint64_t frames[4];    /* their physical pages (top level first) */
	uint8_t levels[4];     /* 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT */
};

/* ---------------------------------------------------------------- CPU */

struct bt_block;
struct bt_vm;
struct bt_tcache;

/* An exception or interrupt being delivered. */
struct bt_event {
	unsigned vec;
	uint32_t err;
	bool has_err;
	bool soft;     /* INT n etc.: gate DPL checked, return after the insn */
	bool ext;      /* external: EXT bit in error codes of nested faults */
	uint64_t ret;  /* RIP to push */
};

struct bt_cpu {
	/* --- used by translated code at fixed offsets (BT_OFF_* in bt_trans.h,
	 * bt_asm.S): keep in sync. The fields translated code touches in its
	 * hot paths, and the eight legacy GPRs, sit below offset 128 so that
	 * their encodings take a one-byte displacement. --- */
	union {
		uint64_t rip;      /* 0: RIP */
		uint32_t eip;      /* its low half: EIP outside 64-bit mode (the
				    * high half is zero there; code that can run
				    * in 64-bit mode uses rip) */
	};
	uint32_t eflags;           /* 8: all of RFLAGS outside translated code
				    * (bits 32-63 are reserved, always zero) */
	uint32_t pad0;
	uint64_t hflags;           /* 16: host RFLAGS image: guest arith flags */
	uint64_t exit_slot;        /* 24: chainable exit: rel32 to patch; 1: indirect miss */
	uint64_t ibtc;             /* 32: indirect branch table (struct bt_ibtc_entry *) */
	uint64_t ibtc_tag;         /* 40: (generation, key) << 32 for the current mode */
	/* 48: RAX RCX RDX RBX RSP RBP RSI RDI R8-R15. Outside 64-bit mode
	 * every write stores a 32-bit (zero-extended) value, so the high
	 * halves stay zero there, as translated code (32-bit loads and stores
	 * of the low halves) assumes. */
	uint64_t gpr[16];
	uint64_t host_rsp;         /* 176: host stack in bt_enter */
	uint64_t win_base;         /* 184: memory window (GS base) */
	uint64_t ind_lookups;      /* 192: indirect lookups done by translated code */
	uint64_t block_entries;    /* 200: block entries (TRIPLEX_BT_PROFILE=1 only) */
	/* 208, 216: what translated code calls before a native FP instruction
	 * (load the guest FPU state, or a lone RET when it is loaded) and
	 * before any C code (save it and restore the host's, or RET) */
	uint64_t fpu_load_fn;
	uint64_t fpu_save_fn;

	/* --- architectural state --- */
	struct x86_seg seg[X86_NR_SREGS]; /* FS/GS bases: all 64 bits (IA32_FS/GS_BASE) */
	struct x86_seg ldt, tr;
	struct x86_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4;
	uint64_t cr8;               /* TPR (bits 3:0); MOV CR8 only in 64-bit mode */
	uint64_t efer;
	uint64_t xcr0;
	uint64_t pdpte[4];          /* PAE: loaded at MOV CR3 (SDM 3A 4.4.1) */
	uint64_t dr[8];
	struct x86_msrs msr;        /* SYSENTER_*, STAR/LSTAR/CSTAR/SFMASK, KERNEL_GS_BASE, ... */
	int64_t tsc_offset;         /* guest TSC = host TSC + offset */
	struct x86_fpu fpu;         /* FXSAVE image: the guest's FPU state (bt_fpu.c) */
	struct bt_fpx *fpx;         /* host-execution stubs for FP instructions */
	uint32_t fpu_host_mxcsr;    /* the host's MXCSR, restored when C code runs */
	uint32_t fpu_last_fip;      /* translated code: EIP and FOP of the last */
	uint16_t fpu_last_fop;      /* x87 instruction (FXSAVE's are the host's) */
	unsigned cpl;
	uint8_t int_shadow;         /* STI / MOV SS: no interrupt before the next insn */
	bool nmi_blocked;           /* in an NMI handler: NMIs wait for the next IRET */
	uint8_t nmi_masked;
	bool a20_off;               /* not emulated: A20 is always on */

	/* --- exceptions --- */
	jmp_buf *jmp;               /* where bt_raise() goes */
	int exc_vector;             /* raised exception, or -1 */
	uint32_t exc_error;
	bool exc_has_error;
	bool exc_soft;              /* INT n / INT3 / INTO: DPL check, EIP after */
	bool exc_ext;               /* external event (sets EXT in error codes) */
	int deliver_vector;         /* being delivered, -1 if none (for #DF) */
	bool inject_pending;        /* exc_* came with regs_set: deliver first */
	struct bt_event dl;         /* the event bt_deliver_pending is delivering */
	struct bt_desc_cache {      /* decoded descriptors (bt_seg_decode) */
		uint64_t raw;
		struct x86_seg seg;
		bool valid;
	} desc_cache[16];
	uint32_t mode_gen;          /* bumped when CPL, segments, CRs, EFER or VM change */
	uint32_t key_gen, key;      /* bt_mode_key() cached for mode_gen */
	uint32_t win_gen;           /* the window was selected for this mode_gen */
	bool shutdown;              /* triple fault */
	char shutdown_msg[160];
	char error_msg[160];        /* the engine cannot continue (unsupported feature) */

	/* --- execution --- */
	union {                     /* interpreter: RIP/EIP after the current insn */
		uint64_t next_rip;
		uint32_t next_eip;
	};
	bool stop_block;            /* leave the current block after this insn */
	bool halted_exit;           /* HLT executed: return VCPU_EXIT_HLT */
	bool code_dirty;            /* a write hit a code page: re-look-up */
	bool interp_only;           /* --bt-interp */
	bool profile;               /* TRIPLEX_BT_PROFILE=1: count chained transfers */
	bool mode_changed;          /* CR0/CR4/EFER/CS changed: flush lookups */
	/* debugging (bt_debug.c): breakpoints as linear addresses, checked
	 * before each interpreted instruction; blocks holding one are never
	 * translated */
	struct {
		bool step;          /* stop after one instruction */
		bool done;          /* ... it ran (or raised an event) */
		bool hit;           /* stopped before a breakpoint */
		unsigned nr;
		uint64_t bp[VCPU_DEBUG_MAX_BP];
	} dbg;

	/* --- software TLB: [0] supervisor, [1] user --- */
	struct bt_tlb_entry tlb[2][BT_TLB_SIZE];
	struct bt_tlb_aux tlb_aux[2][BT_TLB_SIZE];
	bool tlb_large;             /* some entry came from a large page ... */
	uint64_t large_regions[8];  /* ... in these 4 MiB regions (0: unused) */
	uint64_t code_pages[64];    /* linear pages we looked code up in since */
	unsigned ncode_pages;       /* the last full flush (INVLPG elsewhere */
	bool code_pages_all;        /* leaves the jump caches alone) */

	/* --- blocks --- */
	struct bt_block **jc;       /* jump cache by linear EIP (BT_JC_SIZE) */
	uint32_t jc_gen;            /* jump cache generation (a flush bumps it) */
	struct bt_bcache *bc;       /* the block cache (per vCPU) */
	struct bt_block *tmp_block; /* a page-crossing block decoded for one use */

	struct vcpu *vcpu;
	struct vm *vm;
	struct bt_vm *bvm;
	struct bt_decoder *dec;
	struct bt_tcache *tc;       /* translator state (NULL if interp only) */
	struct bt_wins *wins;       /* memory windows (NULL: software TLB only) */
	bool sig_exc;               /* a host fault became a guest exception */
	bool interp_one;            /* run the instruction at EIP in the interpreter */
	bool adapt_pending;         /* retranslate the page of adapt_gpa */
	uint64_t adapt_gpa;
	struct { uint64_t gpa; uint32_t n; } adapt[256]; /* window faults per insn */
	uint32_t fill_eip, fill_slot, fill_n; /* TLB-miss retries of one insn */
	uint64_t *soft;             /* insns that use the software TLB (hash set) */
	unsigned soft_n, soft_cap;
	unsigned kick;              /* atomic: leave the run loop soon */
	uint64_t budget;            /* tests: blocks to run before VCPU_EXIT_ERROR (0: no limit) */

	struct perf_ctr ctr[BT_CTR_NR];
	struct perf_ctr helper[BT_H_NR];
	struct perf_ctr excp[32];
	struct perf_ctr xlate[BT_X_NR];
};

/* Per-VM engine state. */
struct bt_vm {
	bool interp_only;           /* --bt-interp / TRIPLEX_BT_INTERP=1 */
	bool use_window;            /* memory windows (TRIPLEX_BT_MEM=softmmu: no) */
};

/* Mode bits in a block key: what changes decoding or translation. */
#define BT_KEY_CS32 (1u << 0)   /* CS.D: 32-bit code */
#define BT_KEY_PE (1u << 1)
#define BT_KEY_PG (1u << 2)
#define BT_KEY_CPL_SHIFT 3      /* 2 bits */
#define BT_KEY_FLAT (1u << 5)   /* CS, DS, ES, SS flat 4 GiB, base 0 */
#define BT_KEY_VM86 (1u << 6)
#define BT_KEY_FS_OK (1u << 7) /* FS: 4 GiB limit, usable (base added) */
#define BT_KEY_GS_OK (1u << 8)
#define BT_KEY_LMA (1u << 9)    /* IA-32e mode (compatibility or 64-bit) */
#define BT_KEY_CS64 (1u << 10)  /* 64-bit code (CS.L in IA-32e mode) */
#define BT_KEY_FPU (1u << 11)  /* CR0.EM=TS=0, NE=1, CR4.OSFXSR: FP insns run natively */
#define BT_KEY_TSD (1u << 12)  /* CR4.TSD at CPL > 0: RDTSC(P) raise #GP (not inlined) */

/* Something the mode key or the memory window depend on changed. */
/* Big zeroed tables (block hash, window bitmaps, reverse map): anonymous
 * memory whose pages fault in where they are touched. calloc may take them
 * from the heap and clear them all up front: ~400 page faults, a third of
 * a millisecond-scale guest's start-up (measured on hello-pv-32). */
static inline void *bt_zalloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline void bt_zfree(void *p, size_t size)
{
	if (p)
		(void)munmap(p, size);
}

/* Zero a bt_zalloc table by giving its pages back: they read as zeros and
 * fault in again only where touched (madvise(2), MADV_DONTNEED). */
static inline void bt_zclear(void *p, size_t size)
{
	(void)madvise(p, size, MADV_DONTNEED);
}

static inline void bt_mode_changed(struct bt_cpu *c)
{
	c->mode_gen++;
}

/* 64-bit mode: IA-32e mode (EFER.LMA) with a 64-bit code segment (CS.L);
 * IA-32e mode with CS.L clear is compatibility mode. */
static inline bool bt_lm64(const struct bt_cpu *c)
{
	return (c->efer & X86_EFER_LMA) && c->seg[X86_CS].l;
}

/* The interpreter's RIP after the current instruction. */
static inline uint64_t bt_next_ip(const struct bt_cpu *c)
{
	return bt_lm64(c) ? c->next_rip : c->next_eip;
}

static inline unsigned bt_code_bits(const struct bt_cpu *c)
{
	return bt_lm64(c) ? 64 : c->seg[X86_CS].db ? 32 : 16;
}

static inline bool bt_pe(const struct bt_cpu *c)
{
	return c->cr0 & X86_CR0_PE;
}

static inline bool bt_paging(const struct bt_cpu *c)
{
	return (c->cr0 & (X86_CR0_PG | X86_CR0_PE)) == (X86_CR0_PG | X86_CR0_PE);
}

uint32_t bt_mode_key(struct bt_cpu *c);

/* ---------------------------------------------------------------- exceptions */

/* Raise exception (vec) with (err) (if has_err) for the instruction at
 * c->eip (faults) and leave through c->jmp. Never returns. */
VMM_NORETURN void bt_raise(struct bt_cpu *c, unsigned vec, uint32_t err, bool has_err);
VMM_NORETURN void bt_raise_gp(struct bt_cpu *c, uint32_t err);
VMM_NORETURN void bt_raise_ud(struct bt_cpu *c);
/* A software interrupt (INT n, INT3, INTO): EIP after the instruction. */
VMM_NORETURN void bt_raise_soft(struct bt_cpu *c, unsigned vec);
/* The same, delivered at once from within the instruction (c->next_eip is
 * the return address); the instruction then completes at the handler. */
void bt_soft_int(struct bt_cpu *c, unsigned vec);
/* Deliver the raised exception c->exc_vector through the IDT (may raise
 * again: call under the run loop's setjmp). */
void bt_deliver_pending(struct bt_cpu *c);
/* Deliver external interrupt (vec) now (IF=1 checked by the caller). */
void bt_deliver_irq(struct bt_cpu *c, unsigned vec);
/* IRET (operand size osz). */
void bt_iret(struct bt_cpu *c, unsigned osz);
/* The EFLAGS bits an IRET from (old_cpl) may write (SDM 2A IRET). */
uint32_t bt_iret_flags(const struct bt_cpu *c, unsigned old_cpl);
/* Read SS:ESP for privilege (dpl) from the current TSS (SDM 3A 7.2.1);
 * raises #TS with (ext) in the error code. */
void bt_tss_stack(struct bt_cpu *c, unsigned dpl, uint16_t *ss, uint32_t *esp, uint32_t ext);
/* Check and decode the stack segment (ss) for privilege (dpl); raises (vec)
 * (#TS for interrupts and calls, #GP for returns) or #SS. */
void bt_check_new_ss(struct bt_cpu *c, uint16_t ss, unsigned dpl, struct x86_seg *out,
		     unsigned vec, uint32_t ext);
/* After a return to an outer privilege level: null the data segments the
 * new CPL may not use (SDM 3A 5.8.6). */
void bt_null_outer_segs(struct bt_cpu *c);

/* ---------------------------------------------------------------- MMU */

void bt_tlb_flush(struct bt_cpu *c);
/* INVLPG. Returns true if lookups of code by linear address were dropped
 * (translated code must leave its block). */
bool bt_tlb_flush_page(struct bt_cpu *c, uint64_t lin);
/* Code was looked up by linear address in (lin)'s page. */
void bt_note_code_page(struct bt_cpu *c, uint64_t lin);
/* Remove write permission for guest physical page (gpa) from the TLBs. */
void bt_tlb_protect_gpa(struct bt_cpu *c, uint64_t gpa_page);
/* The auxiliary half of TLB entry (e). */
static inline struct bt_tlb_aux *bt_tlb_aux_of(struct bt_cpu *c, const struct bt_tlb_entry *e)
{
	return &c->tlb_aux[0][0] + (e - &c->tlb[0][0]);
}
/* Walk the guest page tables for (lin); sets A/D bits as the CPU would when
 * (set_ad). Fills (w). Returns 0, or -1 for a page fault whose error code
 * is in w->pf (0 is a valid error code: supervisor read, not present). */
int bt_walk(struct bt_cpu *c, uint64_t lin, enum bt_acc acc, bool user, bool set_ad,
	    struct bt_walk *w);
/* Load the PAE PDPTEs from CR3 (on MOV CR3 / enabling PAE paging). */
void bt_load_pdptes(struct bt_cpu *c);

/* Linear-address access (no segmentation). (user): CPL 3 access rules.
 * Raise #PF on failure. Sizes 1, 2, 4, 8. The TLB hit is inline; the rest
 * (fills, MMIO, page crossing, code and page-table pages) is out of line. */
uint64_t bt_lread_slow(struct bt_cpu *c, uint64_t lin, unsigned size, bool user);
void bt_lwrite_slow(struct bt_cpu *c, uint64_t lin, uint64_t v, unsigned size, bool user);

static inline uint64_t bt_lread(struct bt_cpu *c, uint64_t lin, unsigned size, bool user)
{
	const struct bt_tlb_entry *e = &c->tlb[user][(lin >> 12) & (BT_TLB_SIZE - 1)];
	if (VMM_LIKELY(e->tag_r == (lin & BT_PAGE_MASK) && (lin & 0xfff) + size <= BT_PAGE)) {
		const void *p = (const void *)(e->addend + lin);
		switch (size) {
		case 1: return *(const uint8_t *)p;
		case 2: { uint16_t v; __builtin_memcpy(&v, p, 2); return v; }
		case 4: { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
		default: { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }
		}
	}
	return bt_lread_slow(c, lin, size, user);
}

static inline void bt_lwrite(struct bt_cpu *c, uint64_t lin, uint64_t v, unsigned size, bool user)
{
	const struct bt_tlb_entry *e = &c->tlb[user][(lin >> 12) & (BT_TLB_SIZE - 1)];
	if (VMM_LIKELY(e->tag_w == (lin & BT_PAGE_MASK) && (lin & 0xfff) + size <= BT_PAGE)) {
		void *p = (void *)(e->addend + lin);
		switch (size) {
		case 1: *(uint8_t *)p = (uint8_t)v; return;
		case 2: { uint16_t x = (uint16_t)v; __builtin_memcpy(p, &x, 2); return; }
		case 4: { uint32_t x = (uint32_t)v; __builtin_memcpy(p, &x, 4); return; }
		default: __builtin_memcpy(p, &v, 8); return;
		}
	}
	bt_lwrite_slow(c, lin, v, size, user);
}
/* The linear address of byte (off) of a system table at (base) (GDT, LDT,
 * IDT, TSS): 64-bit in IA-32e mode, else it wraps at 4 GiB. */
static inline uint64_t bt_tbl_lin(const struct bt_cpu *c, uint64_t base, uint64_t off)
{
	return (c->efer & X86_EFER_LMA) ? base + off : (uint32_t)(base + off);
}
/* Supervisor ("implicit") accesses: descriptor tables, TSS. */
uint64_t bt_sread(struct bt_cpu *c, uint64_t lin, unsigned size);
void bt_swrite(struct bt_cpu *c, uint64_t lin, uint64_t v, unsigned size);
/* Fetch up to (len) code bytes at linear (lin) into (buf), up to the end of
 * its page; returns how many (a fetch the page tables forbid raises #PF).
 * Bytes of a page without RAM come from its device, or read as 0 (as on
 * QEMU). (*gpa) is the physical address of the first byte. */
unsigned bt_fetch(struct bt_cpu *c, uint64_t lin, uint8_t *buf, unsigned len, uint64_t *gpa);
/* The physical address of the code byte at linear (lin) (exec check,
 * raises #PF); (*io) is set when it is not RAM or ROM (no cached block). */
uint64_t bt_code_gpa(struct bt_cpu *c, uint64_t lin, bool *io);
/* Host pointer for a physical RAM range, or NULL. */
void *bt_gpa_ptr(struct bt_cpu *c, uint64_t gpa, unsigned len);
/* Fill the TLB entry for an access at (lin) without accessing; raises #PF. */
void bt_tlb_touch(struct bt_cpu *c, uint64_t lin, bool write, bool user);
/* Check that [lin, lin+len) is writable (for multi-part writes); raises #PF. */
void bt_probe_write(struct bt_cpu *c, uint64_t lin, unsigned len, bool user);

/* ---------------------------------------------------------------- segments */

/* Segment-checked access through (sreg):(off). */
/* The linear address of (sreg):(off) for an access of (size) bytes; in
 * 64-bit mode only FS and GS have a base, nothing has a limit, and a
 * non-canonical address raises #GP(0) (#SS(0) through SS). */
uint64_t bt_vaddr(struct bt_cpu *c, unsigned sreg, uint64_t off, unsigned size, enum bt_acc acc);
uint64_t bt_read(struct bt_cpu *c, unsigned sreg, uint64_t off, unsigned size);
void bt_write(struct bt_cpu *c, unsigned sreg, uint64_t off, uint64_t v, unsigned size);
/* Stack push/pop of (size) bytes with the stack's address size; RSP updated. */
void bt_push(struct bt_cpu *c, uint64_t v, unsigned size);
uint64_t bt_pop(struct bt_cpu *c, unsigned size);
/* Stack address size mask (0xffff, 0xffffffff, or all ones in 64-bit mode). */
static inline uint64_t bt_sp_mask(const struct bt_cpu *c)
{
	return bt_lm64(c) ? ~0ull : c->seg[X86_SS].db ? 0xffffffffull : 0xffffull;
}
/* Whether (a) is canonical (48-bit linear addresses). */
static inline bool bt_canonical(uint64_t a)
{
	return (uint64_t)(((int64_t)a << 16) >> 16) == a;
}

/* Read the 8-byte descriptor for (sel) from the GDT/LDT; raises (vec) with
 * the selector as error code if it is outside the table. */
uint64_t bt_desc_read(struct bt_cpu *c, uint16_t sel, unsigned vec);
/* What the mode key sees of segment register (sreg): flat (CS, DS, ES,
 * SS) or usable with a 4 GiB limit (FS, GS). */
bool bt_seg_key_class(unsigned sreg, const struct x86_seg *s);
/* The mode key's view of CPL, CS and SS, to tell whether a transfer
 * changed it (bt_mode_changed only then: the key and window stay cached). */
static inline uint32_t bt_cpl_cs_ss_view(const struct bt_cpu *c)
{
	return c->cpl | (bt_seg_key_class(X86_CS, &c->seg[X86_CS]) << 2) |
	       ((uint32_t)c->seg[X86_CS].db << 3) |
	       (bt_seg_key_class(X86_SS, &c->seg[X86_SS]) << 4) |
	       ((uint32_t)c->seg[X86_CS].l << 5);
}
/* x86_seg_from_desc with a small cache of decoded descriptors. */
void bt_seg_decode(struct bt_cpu *c, struct x86_seg *seg, uint16_t sel, uint64_t desc);
/* Set the accessed bit of (sel)'s descriptor if clear. */
void bt_desc_set_accessed(struct bt_cpu *c, uint16_t sel, uint64_t desc);
/* Load a data/stack segment register (not CS) with protected-mode checks. */
void bt_load_seg(struct bt_cpu *c, unsigned sreg, uint16_t sel);
/* Load CS:EIP for a far JMP/CALL/RET target in protected mode (no gates). */
void bt_load_cs(struct bt_cpu *c, uint16_t sel, uint64_t desc, unsigned cpl);
/* Far control transfers (bt_far.c). */
void bt_far_jmp(struct bt_cpu *c, uint16_t sel, uint64_t off, unsigned osz);
void bt_far_call(struct bt_cpu *c, uint16_t sel, uint64_t off, unsigned osz);
void bt_far_ret(struct bt_cpu *c, unsigned osz, uint16_t imm);
/* Called after CR0.PE, CS or SS change: recompute CPL and key. */
void bt_update_mode(struct bt_cpu *c);
/* LAR/LSL/VERR/VERW. */
void bt_lar_lsl(struct bt_cpu *c, const struct bt_insn *in, bool lsl);
void bt_verr_verw(struct bt_cpu *c, uint16_t sel, bool write);
/* LTR/LLDT. */
void bt_ltr(struct bt_cpu *c, uint16_t sel);
void bt_lldt(struct bt_cpu *c, uint16_t sel);
/* SYSENTER/SYSEXIT. */
void bt_sysenter(struct bt_cpu *c);
void bt_sysexit(struct bt_cpu *c);

/* ---------------------------------------------------------------- system */

/* MOV to CR (n); handles flushes and mode changes. */
void bt_write_cr(struct bt_cpu *c, unsigned n, uint64_t v);
uint64_t bt_read_cr(struct bt_cpu *c, unsigned n);
/* CPUID (leaf in EAX, subleaf in ECX). */
void bt_cpuid(struct bt_cpu *c);
/* True if bt's CPU model advertises CPUID (leaf) subleaf 0, register (reg:
 * 0 EAX, 1 EBX, 2 ECX, 3 EDX), bit (bit): what the decoder asks before
 * giving an encoding its newer meaning (bt_cpuid.c lists the features). */
bool bt_cpuid_has(uint32_t leaf, unsigned reg, unsigned bit);
int bt_rdmsr(struct bt_cpu *c, uint32_t idx, uint64_t *v);
int bt_wrmsr(struct bt_cpu *c, uint32_t idx, uint64_t v);
uint64_t bt_rdtsc(struct bt_cpu *c);
/* Port I/O with the IOPL / TSS bitmap check (raises #GP). */
void bt_io_check(struct bt_cpu *c, uint16_t port, unsigned size);
uint32_t bt_in(struct bt_cpu *c, uint16_t port, unsigned size);
void bt_out(struct bt_cpu *c, uint16_t port, uint32_t v, unsigned size);
/* Whether the guest runs at CPL 0 (privileged instructions allowed). */
static inline void bt_need_cpl0(struct bt_cpu *c)
{
	if (c->cpl != 0)
		bt_raise_gp(c, 0);
}

/* ---------------------------------------------------------------- IA-32e mode */

/* bt_long.c. EFER write (WRMSR): -1 for #GP. */
int bt_efer_write(struct bt_cpu *c, uint64_t v);
/* MOV to CR0 from (old) to (v): enter or leave IA-32e mode (raises #GP). */
void bt_cr0_long(struct bt_cpu *c, uint64_t old, uint64_t v);
/* STAR, LSTAR, CSTAR, SFMASK, FS/GS/KERNEL_GS base, TSC_AUX: -1 if not one. */
int bt_lm_rdmsr(struct bt_cpu *c, uint32_t idx, uint64_t *v);
int bt_lm_wrmsr(struct bt_cpu *c, uint32_t idx, uint64_t v);
/* Delivery through the 64-bit IDT; IRET in IA-32e mode (operand size osz). */
void bt_deliver_long(struct bt_cpu *c, const struct bt_event *e);
void bt_iret_long(struct bt_cpu *c, unsigned osz);
/* SYSCALL, SYSRET, SWAPGS, RDTSCP; true if it handled (in). */
bool bt_interp_long(struct bt_cpu *c, const struct bt_insn *in);
/* An instruction valid in 64-bit mode that bt does not implement: stop
 * with an error naming it (never a #UD the CPU would not raise). */
void bt_unsupported(struct bt_cpu *c, const struct bt_insn *in);

/* ---------------------------------------------------------------- interpreter */

/* Execute one decoded instruction whose first byte is at c->eip. On
 * return c->eip is the next instruction. May raise. */
void bt_interp_insn(struct bt_cpu *c, const struct bt_insn *in);
/* Parts of the interpreter (bt_interp_*.c); each returns true if it
 * handled (in). */
bool bt_interp_alu(struct bt_cpu *c, const struct bt_insn *in);
bool bt_interp_string(struct bt_cpu *c, const struct bt_insn *in);
bool bt_interp_ctl(struct bt_cpu *c, const struct bt_insn *in);
bool bt_interp_sys(struct bt_cpu *c, const struct bt_insn *in);
bool bt_interp_misc(struct bt_cpu *c, const struct bt_insn *in);
bool bt_interp_fpu(struct bt_cpu *c, const struct bt_insn *in);

/* A resolved operand for read-modify-write: a register or a checked
 * linear address (bt_interp_alu.c). Memory destinations are checked for
 * writing before they are read, as the CPU does (#PF with W=1). */
struct bt_loc {
	bool mem;
	uint8_t reg;
	uint8_t size;
	uint64_t lin;
};
void bt_loc_get(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op, bool write,
		struct bt_loc *l);
uint64_t bt_loc_read(struct bt_cpu *c, const struct bt_loc *l);
void bt_loc_write(struct bt_cpu *c, const struct bt_loc *l, uint64_t v);
/* EFLAGS bits (mask) from (f). */
void bt_set_flags(struct bt_cpu *c, uint32_t mask, uint32_t f);
/* LOCK is only valid with a memory destination (#UD otherwise). */
bool bt_lock_ok(struct bt_cpu *c, const struct bt_insn *in);
/* bt_interp_bits.c */
void bt_interp_shift(struct bt_cpu *c, const struct bt_insn *in);
void bt_interp_dshift(struct bt_cpu *c, const struct bt_insn *in);
void bt_interp_bittest(struct bt_cpu *c, const struct bt_insn *in);
void bt_interp_bitscan(struct bt_cpu *c, const struct bt_insn *in);
void bt_interp_bcd(struct bt_cpu *c, const struct bt_insn *in);

/* Operand helpers. */
uint64_t bt_op_ea(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op);
uint64_t bt_op_read(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op);
void bt_op_write(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *op, uint64_t v);
uint64_t bt_reg_read(const struct bt_cpu *c, unsigned reg, unsigned size);
/* Size 4 zero-extends into the 64-bit register (as in 64-bit mode; outside
 * it the high half is zero anyway), sizes 1 and 2 merge. */
void bt_reg_write(struct bt_cpu *c, unsigned reg, unsigned size, uint64_t v);
/* EFLAGS write with the privilege rules of POPF/IRET (mask of writable bits). */
void bt_set_eflags(struct bt_cpu *c, uint32_t v, uint32_t mask);
/* Condition code (0-15, the low nibble of Jcc) on the current flags. */
bool bt_cond(const struct bt_cpu *c, unsigned cc);
/* The segment of an implicit DS operand (XLAT, string sources, MASKMOVQ):
 * DS or the last segment override prefix. */
unsigned bt_insn_dseg(const struct bt_insn *in);
/* The condition code of a Jcc/SETcc/CMOVcc, from its opcode. */
unsigned bt_insn_cc(const struct bt_insn *in);

/* ---------------------------------------------------------------- blocks */

#define BT_BLOCK_MAX_INSNS 64
#define BT_JC_BITS 12
#define BT_JC_SIZE (1u << BT_JC_BITS)

struct bt_block {
	uint64_t gpa;              /* physical address of the first byte */
	uint32_t key;              /* bt_mode_key() at decode time */
	uint64_t eip, cs_base;     /* where it was found (RIP and CS base) */
	uint16_t len;              /* guest bytes */
	uint16_t ninsn;
	bool uncached;             /* crosses a page: decoded for one use */
	bool invalid;              /* removed from the cache, kept until unused */
	bool no_trans;             /* the translator declined it */
	uint32_t jc_gen;           /* jump cache generation of its entry */
	struct bt_block *hnext;    /* hash chain */
	struct bt_block *pnext;    /* blocks of the same page */
	void *host;                /* translated code (executable view) or NULL */
	uint32_t host_len;
	uint32_t exec_count;       /* how often it ran interpreted */
	uint16_t *insn_host_off;   /* per insn: start offset in the host code */
	struct bt_insn insn[];
};

struct bt_bcache;
struct bt_bcache *bt_bcache_create(void);
void bt_bcache_destroy(struct bt_bcache *bc);
/* The block at the current CS:EIP (decoding it if needed); raises #PF/#GP
 * for a fetch that fails at the first byte. */
struct bt_block *bt_block_get(struct bt_cpu *c);
/* Forget every block (and the jump cache). */
void bt_block_flush_all(struct bt_cpu *c);
/* Drop the jump cache (linear EIP -> block): on TLB flushes and mode changes. */
void bt_jc_flush(struct bt_cpu *c);
/* A write of (len) bytes at guest physical (gpa) in a page that holds
 * code: invalidate the page's blocks if it touches decoded bytes (len 0:
 * unconditionally). */
void bt_code_write(struct bt_cpu *c, uint64_t gpa, unsigned len);
/* Whether guest physical page (gpa_page) holds decoded code. */
bool bt_page_has_code(struct bt_cpu *c, uint64_t gpa_page);
/* Self-modifying code: a page whose code was overwritten BT_SMC_HOT times
 * runs each new block interpreted until it survived BT_SMC_TRUST runs (a
 * translation that the next write throws away costs ~50 interpreted
 * instructions). Whether (b) should run interpreted now; counts the run. */
#define BT_SMC_HOT 4
#define BT_SMC_TRUST 64
bool bt_block_smc_interp(struct bt_cpu *c, struct bt_block *b);
/* Whether writes to (gpa_page) need the slow path: code or a page table
 * that memory windows depend on. */
bool bt_gpa_special(struct bt_cpu *c, uint64_t gpa_page);
/* The slow part of a guest write of (len) bytes at (gpa): invalidate code
 * and window mappings that depend on those bytes. */
void bt_special_write(struct bt_cpu *c, uint64_t gpa, unsigned len);
void bt_block_free(struct bt_block *b);

/* ---------------------------------------------------------------- run */

int bt_run_loop(struct bt_cpu *c, struct vcpu_exit *ex);
static inline struct bt_cpu *bt_cpu_of(struct vcpu *v)
{
	return v->engine_priv;
}

/* Debugging (bt_debug.c): the engine ops, and whether (b) holds a
 * breakpoint / the instruction at the current RIP is one. */
int bt_set_debug(struct vcpu *v, const struct vcpu_debug *d, char *why, size_t len);
void bt_mem_written(struct vcpu *v, gpa_t gpa, uint64_t len);
bool bt_dbg_block_has_bp(const struct bt_cpu *c, const struct bt_block *b);
bool bt_dbg_at_bp(struct bt_cpu *c);

/* State conversion (bt_state.c). */
int bt_regs_get(struct vcpu *v, struct x86_state *s);
int bt_regs_set(struct vcpu *v, const struct x86_state *s);
void bt_cpu_init(struct bt_cpu *c);

#endif

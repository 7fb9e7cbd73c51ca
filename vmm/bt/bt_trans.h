/* bt_trans.h: the translator's interface: the code cache (bt_tcache.c),
 * the block translator (bt_trans.c, bt_trans_insn.c), the helpers that
 * translated code calls (bt_helpers.c) and the entry/exit trampolines
 * (bt_asm.S).
 *
 * Translated code runs with the guest's GPRs in host registers (ESP in R12,
 * the rest in place), the vCPU in R15, and the guest's arithmetic flags in
 * the host RFLAGS. Guest memory is reached through the software TLB, whose
 * check is emitted inline before each access; a miss runs the whole
 * instruction in the interpreter. Blocks chain directly to blocks of the
 * same guest page; other branches go through the indirect-branch table. */
#ifndef VMM_BT_BT_TRANS_H
#define VMM_BT_BT_TRANS_H

#include "vmm/bt/bt_internal.h"

/* Offsets into struct bt_cpu used by emitted code and bt_asm.S. */
#define BT_OFF_EIP 0
#define BT_OFF_EFLAGS 8
#define BT_OFF_HFLAGS 16
#define BT_OFF_EXIT_SLOT 24
#define BT_OFF_IBTC 32
#define BT_OFF_IBTC_TAG 40
#define BT_OFF_GPR 48
#define BT_OFF_HOST_RSP 176
#define BT_OFF_WIN_BASE 184
#define BT_OFF_IND_LOOKUPS 192
#define BT_OFF_BLOCK_ENTRIES 200
#define BT_OFF_FPU_LOAD 208
#define BT_OFF_FPU_SAVE 216
/* The low half of guest GPR (g). */
#define BT_OFF_GPR_OF(g) (BT_OFF_GPR + 8 * (int32_t)(g))

#define BT_EXIT_INDIRECT 1ull /* exit_slot value: indirect miss, fill the table */

#define BT_IBTC_BITS 16
#define BT_IBTC_SIZE (1u << BT_IBTC_BITS)

/* One indirect-branch table entry: matched without touching the flags by
 * adding the negated tag to (ibtc_tag | eip) and testing for zero. */
struct bt_ibtc_entry {
	uint64_t neg_tag;
	uint64_t host;
};

#define BT_CODE_CACHE_SIZE (64 * MiB) /* TRIPLEX_BT_CACHE_KB overrides (tests) */

/* Host code range of a block; (b) is NULL once the block is gone. */
struct bt_tindex {
	uintptr_t start;
	uint32_t len;
	struct bt_block *b;
};

struct bt_tcache {
	int fd;
	uint8_t *rw;               /* writable view */
	uint8_t *rx;               /* executable view */
	uint8_t *poll;             /* the kick poll page, just below rx */
	size_t size, used;
	ptrdiff_t delta;           /* rx - rw */
	uint8_t *exit_tramp;       /* rx: jump to bt_asm_exit */
	uint8_t *exit_nosave_tramp;/* rx: jump to bt_asm_exit_nosave */
	size_t code_start;         /* first byte for blocks */
	struct bt_tindex *index;   /* blocks in code order (host RIP -> block) */
	size_t nindex, capindex;
	struct bt_ibtc_entry *ibtc;
	uint32_t gen;              /* ibtc generation */
	bool lahf_ok;              /* host has LAHF/SAHF in 64-bit mode */
	uint8_t *fpu_ret;          /* rx: a lone RET (fpu_load_fn/fpu_save_fn when idle) */
	uint8_t *fpu_load;         /* rx: FXRSTOR of the guest image, then swap the slots */
	uint8_t *fpu_save;         /* rx: FXSAVE, FNINIT, host MXCSR, swap the slots */
	bool poll_armed;           /* poll page is PROT_NONE */
};

/* Translator state for (c); 0 or -errno (logged). */
int bt_trans_init(struct bt_cpu *c);
void bt_trans_fini(struct bt_cpu *c);
/* Whether the segment state lets translated code use flat addressing. */
bool bt_trans_flat(const struct bt_cpu *c);
/* Hooks from the block cache. */
void bt_trans_jc_flush(struct bt_cpu *c);
void bt_trans_block_invalidate(struct bt_cpu *c, struct bt_block *b);
void bt_trans_page_protect(struct bt_cpu *c, uint64_t gpa_page);
void bt_trans_page_unprotect(struct bt_cpu *c, uint64_t gpa_page);

/* Translate (b) into the code cache (b->host set), or leave it for the
 * interpreter. Returns 0, or -ENOSPC when the cache is full (the caller
 * flushes and retries). */
int bt_translate(struct bt_cpu *c, struct bt_block *b);
/* Drop all translations (the blocks stay decoded). */
void bt_tcache_flush(struct bt_cpu *c);
/* Allocate (len) bytes of code; NULL if full. Returns the writable view. */
uint8_t *bt_tcache_alloc(struct bt_tcache *tc, size_t len);
/* The block whose host code contains (rip), or NULL. */
struct bt_block *bt_tcache_find(struct bt_tcache *tc, uintptr_t rip);
/* Make the chain slot (slot, executable view) jump to (target). */
void bt_tcache_chain(struct bt_tcache *tc, uint64_t slot, const void *target);
/* Remember (b) as the target of indirect branches to (eip) in this mode. */
void bt_ibtc_insert(struct bt_cpu *c, uint32_t eip, const struct bt_block *b);
/* The mode tag for the indirect-branch table; call when the mode or the
 * generation changed. */
void bt_ibtc_update_tag(struct bt_cpu *c);
/* Kick polling: arm (make the poll page fault) / disarm. */
void bt_poll_arm(struct bt_cpu *c);
void bt_poll_disarm(struct bt_cpu *c);

/* Run translated block (b) until it exits; returns when control is back in
 * C with the guest state in c. */
void bt_run_translated(struct bt_cpu *c, const struct bt_block *b);

/* Instructions (by guest physical address) that use the software TLB
 * instead of the window: they kept faulting there. */
bool bt_soft_has(const struct bt_cpu *c, uint64_t gpa);
void bt_soft_add(struct bt_cpu *c, uint64_t gpa);

/* bt_asm.S */
void bt_asm_enter(struct bt_cpu *c, const void *code);
extern char bt_asm_exit[], bt_asm_exit_nosave[];

/* Helpers called from translated code (bt_helpers.c). Each returns 0 to
 * continue with the next instruction, nonzero to leave to the dispatcher
 * (c->eip says where to resume). */
uint32_t bt_h_interp(struct bt_cpu *c, const struct bt_insn *in);
uint32_t bt_h_fill(struct bt_cpu *c, uint32_t arg, uint32_t lin);
uint32_t bt_h_io(struct bt_cpu *c, uint32_t arg);
uint32_t bt_h_in(struct bt_cpu *c, uint32_t arg);
uint32_t bt_h_out(struct bt_cpu *c, uint32_t arg);

/* The host-signal side: SIGSEGV/SIGFPE in translated code (bt_signal.c). */
int bt_signal_init(void);

#endif

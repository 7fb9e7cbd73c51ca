/* bt_trans.c: the block translator. For a decoded block (flat 32-bit
 * protected mode) it computes flag liveness backwards, emits a kick poll
 * at the entry, translates each instruction (bt_trans_insn.c for the
 * innocuous ones and the stack; control flow here; everything else calls
 * the interpreter as a helper), then the out-of-line parts: TLB-miss paths
 * and exit stubs. Direct branches to the same guest page become chainable
 * exits; other branches look the target up in the indirect-branch table
 * inline (without touching the guest's flags) and leave to the dispatcher
 * on a miss.
 *
 * Layout of a block:
 *     entry:  mov r13d, [rip + poll]        ; faults when a kick is pending
 *             <insn 0> <insn 1> ...          ; fall-through exit last
 *     ool:    slow paths, exit stubs */
#include <capstone/capstone.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_trans_int.h"
#include "vmm/bt/bt_window.h"

__thread struct bt_cpu *bt_cur_cpu;

_Static_assert(offsetof(struct bt_cpu, gpr) == BT_OFF_GPR, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, eip) == BT_OFF_EIP, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, eflags) == BT_OFF_EFLAGS, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, host_rsp) == BT_OFF_HOST_RSP, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, hflags) == BT_OFF_HFLAGS, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, exit_slot) == BT_OFF_EXIT_SLOT, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, ibtc) == BT_OFF_IBTC, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, ibtc_tag) == BT_OFF_IBTC_TAG, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, win_base) == BT_OFF_WIN_BASE, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, ind_lookups) == BT_OFF_IND_LOOKUPS, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, block_entries) == BT_OFF_BLOCK_ENTRIES, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, fpu_load_fn) == BT_OFF_FPU_LOAD, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, fpu_save_fn) == BT_OFF_FPU_SAVE, "bt_cpu layout");
_Static_assert(offsetof(struct bt_cpu, rip) == BT_OFF_EIP, "bt_cpu layout");
/* Emitted code encodes these with a one-byte displacement. */
_Static_assert(BT_OFF_GPR_OF(7) < 128 && BT_OFF_IBTC_TAG < 128 && BT_OFF_EXIT_SLOT < 128 &&
	       BT_OFF_HFLAGS < 128 && BT_OFF_EFLAGS < 128, "bt_cpu layout: disp8 fields");

void bt_tcache_add_index(struct bt_tcache *tc, struct bt_block *b);

bool bt_trans_flat(const struct bt_cpu *c)
{
	/* IA-32e mode (64-bit and compatibility code) runs on the interpreter */
	if (!bt_pe(c) || (c->eflags & X86_FLAGS_VM) || !c->seg[X86_CS].db ||
	    (c->efer & X86_EFER_LMA))
		return false;
	static const unsigned segs[] = { X86_CS, X86_DS, X86_ES, X86_SS };
	for (unsigned i = 0; i < 4; i++) {
		const struct x86_seg *s = &c->seg[segs[i]];
		if (s->base || s->limit != 0xffffffffu || s->unusable || !s->present)
			return false;
		if (i && ((s->type & 0xe) != 0x2)) /* data, expand-up, writable */
			return false;
	}
	return true;
}

bool tr_flags_live(const struct tctx *t)
{
	return (t->fl_rd | (t->live_out & ~t->fl_wr)) != 0;
}

struct pend *tr_pend_new(struct tctx *t, enum pend_kind k)
{
	if (t->npend == TR_MAX_PEND) {
		t->failed = true;
		return &t->pend[0];
	}
	struct pend *p = &t->pend[t->npend++];
	*p = (struct pend){ .kind = (uint8_t)k, .insn = (uint16_t)t->cur, .eip = t->eip };
	return p;
}

void tr_pend_slow(struct tctx *t, uint8_t *patch, bool flags_saved, unsigned size, bool write)
{
	struct pend *p = tr_pend_new(t, PEND_SLOW);
	p->patch = patch;
	p->flags_saved = flags_saved;
	/* retry from the instruction's start: scratch registers (a loaded
	 * value, a branch target) do not survive the helper call */
	p->retry = t->insn_start;
	p->arg = size | (write ? 0x100u : 0);
}

void tr_resume_here(struct tctx *t)
{
	for (unsigned i = 0; i < t->npend; i++)
		if (t->pend[i].kind == PEND_SLOW && t->pend[i].insn == t->cur && !t->pend[i].resume)
			t->pend[i].resume = t->e.p;
}

/* rel32 at (at, rw) -> (target, rw) */
static void link_rw(struct tctx *t, uint8_t *at, const uint8_t *target_rw)
{
	epatch_rel32(at, tr_rx(t, at), tr_rx(t, target_rw));
}

void tr_jmp_rx(struct tctx *t, const uint8_t *target_rx)
{
	e8(&t->e, 0xe9);
	uint8_t *at = t->e.p;
	e32(&t->e, 0);
	if (!t->e.overflow)
		epatch_rel32(at, tr_rx(t, at), target_rx);
}

/* ---- guest state spill / reload around helper calls ---- */

/* C code next: the guest FPU state out and the host's in, if translated
 * code had loaded it (bt_tcache.c, emit_fpu_fixed); flags kept. */
static void emit_fpu_out(struct tctx *t)
{
	static const uint8_t call = 0xff;
	eop_mem(&t->e, false, &call, 1, 2, H_ENV, H_NONE, 1, BT_OFF_FPU_SAVE); /* call [r15+save] */
}

static void emit_spill(struct tctx *t)
{
	struct bt_emit *e = &t->e;
	for (unsigned g = 0; g < 8; g++)
		estore(e, false, bt_host_reg(g), H_ENV, BT_OFF_GPR_OF(g));
	e8(e, 0x9c);                               /* pushfq */
	e8(e, 0x41); e8(e, 0x8f); e8(e, 0x47); e8(e, BT_OFF_HFLAGS); /* pop [r15+hflags] */
	emit_fpu_out(t);
}

/* Reload the guest state. The flags come back through SAHF and an ADD
 * that sets OF: POPFQ costs several times more. */
static void emit_reload(struct tctx *t)
{
	struct bt_emit *e = &t->e;
	if (t->tc->lahf_ok) {
		eload(e, false, H_T2, H_ENV, BT_OFF_HFLAGS);          /* mov r11d, [hflags] */
		emov_rr(e, false, H_RAX, H_T2);                      /* mov eax, r11d */
		e8(e, 0x41); e8(e, 0xc1); e8(e, 0xeb); e8(e, 11);    /* shr r11d, 11 */
		e8(e, 0x41); e8(e, 0x83); e8(e, 0xe3); e8(e, 1);     /* and r11d, 1 */
		e8(e, 0xc1); e8(e, 0xe0); e8(e, 8);                  /* shl eax, 8 */
		e8(e, 0x44); e8(e, 0x88); e8(e, 0xd8);               /* mov al, r11b */
		e8(e, 0x04); e8(e, 0x7f);                            /* add al, 0x7f */
		e8(e, 0x9e);                                         /* sahf */
	} else {
		e8(e, 0x41); e8(e, 0xff); e8(e, 0x77); e8(e, BT_OFF_HFLAGS); /* push [r15+hflags] */
		e8(e, 0x9d);                                                 /* popfq */
	}
	for (unsigned g = 0; g < 8; g++)
		eload(e, false, bt_host_reg(g), H_ENV, BT_OFF_GPR_OF(g));
}

/* Call fn(c, arg) with the guest state in c; (leave): always exit after. */
static void emit_helper(struct tctx *t, const void *fn, uint64_t arg, bool leave)
{
	struct bt_emit *e = &t->e;
	emit_spill(t);
	estore_imm32(e, H_ENV, BT_OFF_EIP, t->eip);
	emov_rr(e, true, H_RDI, H_ENV);
	emov_ri64(e, H_RSI, arg);
	emov_ri64(e, H_RAX, (uint64_t)(uintptr_t)fn);
	e8(e, 0xff); e8(e, 0xd0);                   /* call rax */
	if (leave) {
		tr_jmp_rx(t, t->tc->exit_nosave_tramp);
		return;
	}
	e8(e, 0x85); e8(e, 0xc0);                   /* test eax, eax */
	e8(e, 0x0f); e8(e, 0x85);                   /* jnz exit_nosave */
	uint8_t *at = e->p;
	e32(e, 0);
	if (!e->overflow)
		epatch_rel32(at, tr_rx(t, at), t->tc->exit_nosave_tramp);
	emit_reload(t);
}

/* Reload (mask) of the guest GPRs and the flags (SAHF method). */
static void emit_reload_some(struct tctx *t, unsigned mask)
{
	struct bt_emit *e = &t->e;
	eload(e, false, H_T2, H_ENV, BT_OFF_HFLAGS);
	emov_rr(e, false, H_RAX, H_T2);
	e8(e, 0x41); e8(e, 0xc1); e8(e, 0xeb); e8(e, 11);    /* shr r11d, 11 */
	e8(e, 0x41); e8(e, 0x83); e8(e, 0xe3); e8(e, 1);     /* and r11d, 1 */
	e8(e, 0xc1); e8(e, 0xe0); e8(e, 8);                  /* shl eax, 8 */
	e8(e, 0x44); e8(e, 0x88); e8(e, 0xd8);               /* mov al, r11b */
	e8(e, 0x04); e8(e, 0x7f);                            /* add al, 0x7f */
	e8(e, 0x9e);                                         /* sahf */
	for (unsigned g = 0; g < 8; g++)
		if (mask & (1u << g))
			eload(e, false, bt_host_reg(g), H_ENV, BT_OFF_GPR_OF(g));
}

/* IN/OUT with a port in an immediate or DX: a helper that needs only the
 * registers C may clobber (EAX ECX EDX ESI EDI); if the port is not
 * plainly allowed (IOPL) it declines and the interpreter does the rest. */
static bool tr_io(struct tctx *t, const struct bt_insn *in)
{
	struct bt_emit *e = &t->e;
	bool out = in->id == X86_INS_OUT;
	const struct bt_op *pop = out ? &in->op[0] : &in->op[1];
	const struct bt_op *rop = out ? &in->op[1] : &in->op[0];
	if (in->nops != 2 || rop->kind != BT_OP_REG || rop->rc != BT_RC_GPR)
		return false;
	uint32_t arg = (pop->kind == BT_OP_REG ? 0x10000u : (pop->val & 0xff)) |
		       ((uint32_t)rop->size << 20) | (out ? 1u << 24 : 0);
	static const unsigned clobbered = (1u << 0) | (1u << 1) | (1u << 2) | (1u << 6) | (1u << 7);
	for (unsigned g = 0; g < 8; g++)
		if (clobbered & (1u << g))
			estore(e, false, bt_host_reg(g), H_ENV, BT_OFF_GPR_OF(g));
	e8(e, 0x9c);                                              /* pushfq */
	e8(e, 0x41); e8(e, 0x8f); e8(e, 0x47); e8(e, BT_OFF_HFLAGS); /* pop [r15+hflags] */
	emit_fpu_out(t);
	emov_rr(e, true, H_RDI, H_ENV);
	emov_ri(e, H_RSI, arg);
	emov_ri64(e, H_RAX, (uint64_t)(uintptr_t)bt_h_io);
	e8(e, 0xff); e8(e, 0xd0);                                 /* call rax */
	e8(e, 0x85); e8(e, 0xc0);                                 /* test eax, eax */
	e8(e, 0x0f); e8(e, 0x85);                                 /* jnz slow */
	uint8_t *slow = e->p;
	e32(e, 0);
	emit_reload_some(t, clobbered);
	e8(e, 0xe9);                                              /* jmp done */
	uint8_t *done = e->p;
	e32(e, 0);
	if (!e->overflow)
		link_rw(t, slow, e->p);
	/* slow: complete the spill, interpret */
	for (unsigned g = 0; g < 8; g++)
		if (!(clobbered & (1u << g)))
			estore(e, false, bt_host_reg(g), H_ENV, BT_OFF_GPR_OF(g));
	estore_imm32(e, H_ENV, BT_OFF_EIP, t->eip);
	emov_rr(e, true, H_RDI, H_ENV);
	emov_ri64(e, H_RSI, (uint64_t)(uintptr_t)in);
	emov_ri64(e, H_RAX, (uint64_t)(uintptr_t)bt_h_interp);
	e8(e, 0xff); e8(e, 0xd0);
	e8(e, 0x85); e8(e, 0xc0);
	e8(e, 0x0f); e8(e, 0x85);
	uint8_t *at = e->p;
	e32(e, 0);
	if (!e->overflow)
		epatch_rel32(at, tr_rx(t, at), t->tc->exit_nosave_tramp);
	emit_reload(t);
	if (!e->overflow)
		link_rw(t, done, e->p);
	return true;
}

static void emit_interp(struct tctx *t, const struct bt_insn *in)
{
	emit_helper(t, bt_h_interp, (uint64_t)(uintptr_t)in, (in->flags & BT_I_BRANCH) != 0);
}

/* ---- out-of-line parts ---- */

static void emit_pending(struct tctx *t)
{
	struct bt_emit *e = &t->e;
	for (unsigned i = 0; i < t->npend && !e->overflow; i++) {
		struct pend *p = &t->pend[i];
		uint8_t *stub = e->p;
		t->cur = p->insn;
		switch (p->kind) {
		case PEND_SLOW: {
			const struct bt_insn *in = &t->b->insn[p->insn];
			bool branch = (in->flags & BT_I_BRANCH) || !p->resume;
			if (p->flags_saved) {
				if (t->tc->lahf_ok) {
					e8(e, 0x04); e8(e, 0x7f);
					e8(e, 0x9e);
					emov_rr(e, true, H_RAX, H_T3);
				} else {
					e8(e, 0x9d);
				}
			}
			t->eip = p->eip;
			/* first try to fill the TLB and run the access natively */
			emit_spill(t);
			estore_imm32(e, H_ENV, BT_OFF_EIP, t->eip);
			emov_rr(e, true, H_RDI, H_ENV);
			emov_ri(e, H_RSI, p->arg);
			emov_rr(e, false, H_RDX, H_ADDR);
			emov_ri64(e, H_RAX, (uint64_t)(uintptr_t)bt_h_fill);
			e8(e, 0xff); e8(e, 0xd0);                   /* call rax */
			e8(e, 0x85); e8(e, 0xc0);                   /* test eax, eax */
			e8(e, 0x75);                                /* jnz interp */
			uint8_t *jnz = e->p;
			e8(e, 0);
			emit_reload(t);
			if (p->retry) {
				e8(e, 0xe9);
				uint8_t *at = e->p;
				e32(e, 0);
				if (!e->overflow)
					link_rw(t, at, p->retry);
			}
			if (!e->overflow)
				*jnz = (uint8_t)(e->p - jnz - 1);
			/* MMIO, code or page-table pages, page-crossing: interpret */
			emov_rr(e, true, H_RDI, H_ENV);
			emov_ri64(e, H_RSI, (uint64_t)(uintptr_t)in);
			emov_ri64(e, H_RAX, (uint64_t)(uintptr_t)bt_h_interp);
			e8(e, 0xff); e8(e, 0xd0);
			if (branch) {
				tr_jmp_rx(t, t->tc->exit_nosave_tramp);
				break;
			}
			e8(e, 0x85); e8(e, 0xc0);
			e8(e, 0x0f); e8(e, 0x85);
			uint8_t *at = e->p;
			e32(e, 0);
			if (!e->overflow)
				epatch_rel32(at, tr_rx(t, at), t->tc->exit_nosave_tramp);
			emit_reload(t);
			e8(e, 0xe9);
			at = e->p;
			e32(e, 0);
			if (!e->overflow)
				link_rw(t, at, p->resume);
			break;
		}
		case PEND_EXIT: {
			estore_imm32(e, H_ENV, BT_OFF_EIP, p->target);
			emov_ri64(e, H_T2, (uint64_t)(uintptr_t)tr_rx(t, p->patch));
			estore(e, true, H_T2, H_ENV, BT_OFF_EXIT_SLOT);
			tr_jmp_rx(t, t->tc->exit_tramp);
			break;
		}
		case PEND_JCC_FAR:
			emov_ri(e, H_T4, p->target);
			tr_indirect(t);
			break;
		}
		if (!e->overflow)
			link_rw(t, p->patch, stub);
	}
}

/* Whether (in) can raise an exception from translated code (a memory or
 * stack access, a divide): the exception frame and the interpreter that
 * may take the instruction over see the flags from before it, so they are
 * live there even when the instruction would overwrite them. */
static bool may_fault(const struct bt_insn *in)
{
	switch (in->id) {
	case X86_INS_LEA: case X86_INS_NOP: case X86_INS_PAUSE: case X86_INS_PREFETCHT0:
	case X86_INS_PREFETCHT1: case X86_INS_PREFETCHT2: case X86_INS_PREFETCHNTA:
	case X86_INS_PREFETCH: case X86_INS_PREFETCHW:
		return false;
	case X86_INS_DIV: case X86_INS_IDIV: case X86_INS_PUSH: case X86_INS_POP:
	case X86_INS_PUSHAL: case X86_INS_POPAL: case X86_INS_LEAVE: case X86_INS_CALL:
	case X86_INS_RET:
		return true;
	default:
		for (unsigned i = 0; i < in->nops; i++)
			if (in->op[i].kind == BT_OP_MEM)
				return true;
		return false;
	}
}

static void liveness(const struct bt_block *b, uint8_t *live_out)
{
	live_out[b->ninsn - 1] = LF_ALL;
	for (int i = (int)b->ninsn - 1; i > 0; i--) {
		uint8_t rd, wr;
		bt_flag_effect(&b->insn[i], &rd, &wr);
		if (may_fault(&b->insn[i]))
			rd = LF_ALL;
		live_out[i - 1] = (uint8_t)(rd | (live_out[i] & ~wr));
	}
}

static bool is_control(const struct bt_insn *in)
{
	return in->flags & BT_I_BRANCH;
}

int bt_translate(struct bt_cpu *c, struct bt_block *b)
{
	struct bt_tcache *tc = c->tc;
	if (!tc || b->uncached || b->no_trans)
		return 0;
	if (!(b->key & BT_KEY_FLAT)) {
		b->no_trans = true;
		return 0;
	}
	size_t max = (size_t)b->ninsn * 512 + 1024;
	uint8_t *rw = bt_tcache_alloc(tc, max);
	if (!rw)
		return -ENOSPC;
	struct tctx *t = malloc(sizeof(*t));
	VMM_ASSERT(t);
	*t = (struct tctx){ .c = c, .tc = tc, .b = b, .start = rw, .key = b->key,
			    .win = c->wins != NULL, .soft = c->wins == NULL,
			    .user = ((b->key >> BT_KEY_CPL_SHIFT) & 3) == 3,
			    .page = (b->cs_base + b->eip) & BT_PAGE_MASK };
	t->e = (struct bt_emit){ .p = rw, .end = rw + max };
	uint8_t live_out[BT_BLOCK_MAX_INSNS];
	liveness(b, live_out);
	uint16_t *offs = calloc(b->ninsn + 1, sizeof(*offs));
	VMM_ASSERT(offs);
	/* entry: the kick poll */
	e8(&t->e, 0x44); e8(&t->e, 0x8b); e8(&t->e, 0x2d); /* mov r13d, [rip+disp32] */
	{
		uint8_t *at = t->e.p;
		e32(&t->e, 0);
		epatch_rel32(at, tr_rx(t, at), t->tc->poll);
	}
	if (c->profile) {
		/* count every entry (chained, table or dispatcher) */
		eload(&t->e, true, H_T2, H_ENV, BT_OFF_BLOCK_ENTRIES);
		elea(&t->e, true, H_T2, H_T2, H_NONE, 1, 1);
		estore(&t->e, true, H_T2, H_ENV, BT_OFF_BLOCK_ENTRIES);
	}
	uint32_t off = 0;
	bool ended = false, fpu_live = false;
	for (unsigned i = 0; i < b->ninsn && !t->e.overflow && !t->failed; i++) {
		const struct bt_insn *in = &b->insn[i];
		t->cur = i;
		t->eip = b->eip + off;
		t->live_out = live_out[i];
		t->adapted = bt_soft_has(c, b->gpa + off);
		t->soft = !c->wins || t->adapted;
		bt_flag_effect(in, &t->fl_rd, &t->fl_wr);
		offs[i] = (uint16_t)(t->e.p - rw);
		t->insn_start = t->e.p;
		if (is_control(in)) {
			if (!tr_control(t, in))
				emit_interp(t, in);
			ended = true;
			tr_resume_here(t);
			break;
		}
		bool live = fpu_live;
		fpu_live = false;
		if (in->fpc) {
			if (tr_fpu(t, in, &live))
				fpu_live = live;
			else
				emit_interp(t, in);
		} else if (!tr_native(t, in) &&
			   !((in->id == X86_INS_IN || in->id == X86_INS_OUT) && tr_io(t, in))) {
			emit_interp(t, in);
		}
		tr_resume_here(t);
		off += in->len;
	}
	if (!ended && !t->e.overflow) {
		t->cur = b->ninsn - 1;
		tr_jump(t, b->eip + b->len);
	}
	offs[b->ninsn] = (uint16_t)(t->e.p - rw);
	emit_pending(t);
	if (t->e.overflow || t->failed) {
		free(offs);
		free(t);
		tc->used = (size_t)(rw - tc->rw);
		b->no_trans = true;
		return 0;
	}
	size_t len = (size_t)(t->e.p - rw);
	tc->used = (size_t)(rw - tc->rw) + len;
	free(b->insn_host_off);
	b->insn_host_off = offs;
	b->host = tr_rx(t, rw);
	b->host_len = (uint32_t)len;
	bt_tcache_add_index(tc, b);
	c->ctr[BT_CTR_TRANSLATED].count++;
	c->ctr[BT_CTR_TRANS_INSNS].count += b->ninsn;
	c->ctr[BT_CTR_CODE_BYTES].count += len;
	free(t);
	return 0;
}

void bt_run_translated(struct bt_cpu *c, const struct bt_block *b)
{
	if (c->wins)
		c->win_base = bt_win_select(c);
	c->hflags = (c->eflags & BT_FL_ARITH) | 0x202;
	c->ibtc_tag = (((uint64_t)c->tc->gen << 10) | (b->key & 0x3ff)) << 32;
	c->exit_slot = 0;
	c->ctr[BT_CTR_DISPATCH].count++;
	bt_cur_cpu = c;
	bt_asm_enter(c, b->host);
	bt_cur_cpu = NULL;
	c->eflags = (c->eflags & ~BT_FL_ARITH) | ((uint32_t)c->hflags & BT_FL_ARITH);
	if (c->adapt_pending) {
		/* an instruction keeps faulting in the window: its page is
		 * retranslated with that instruction on the software TLB */
		c->adapt_pending = false;
		bt_soft_add(c, c->adapt_gpa);
		bt_code_write(c, c->adapt_gpa & ~0xfffull, 0);
		c->ctr[BT_CTR_RETRANSLATE].count++;
	}
	if (c->sig_exc) {
		/* a guest exception found by the signal handler */
		c->sig_exc = false;
		longjmp(*c->jmp, 1);
	}
}

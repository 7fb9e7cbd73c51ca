/* pv_trap.c: traps into the guest kernel and returns from them, in K. A
 * trap is delivered as the CPU would (SDM 3A 6.12 and 6.14): the gate of
 * the guest's IDT (registered with PV_CALL_LOAD_IDT), the native frame on
 * the kernel stack (PV_CALL_SET_KSTACK when coming from user mode) with the
 * guest's own selectors and IF, then the handler with IF clear for an
 * interrupt gate. PV_CALL_IRET pops that frame; returning to user mode
 * hands the vCPU to U. SYSCALL enters as PV_CALL_SET_SYSCALL describes. */
#include <string.h>

#include "vmm/pv/pv_internal.h"

#define FL_KEEP (X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF |     \
		 X86_FLAGS_TF | X86_FLAGS_DF | X86_FLAGS_OF | X86_FLAGS_AC | X86_FLAGS_ID |     \
		 X86_FLAGS_RF)

struct gate {
	uint64_t handler;
	uint16_t sel;
	unsigned dpl;
	bool trap; /* trap gate: IF unchanged */
};

/* Read gate (vec); false if the guest has none usable there. */
static bool read_gate(struct pv_child *c, unsigned vec, struct gate *g)
{
	const struct pv_shared *sh = c->vm->shared;
	unsigned gsz = c->bits == 64 ? 16 : 8;
	uint64_t fva;
	uint8_t d[16];
	if ((uint64_t)vec * gsz + gsz - 1 > sh->idt_limit ||
	    pv_gva_read(c, sh->idt_base + (uint64_t)vec * gsz, d, gsz, &fva))
		return false;
	unsigned type = d[5] & 0xf;
	if (!(d[5] & 0x80) || (type != 0xe && type != 0xf))
		return false; /* absent, or a task / 16-bit gate */
	g->handler = (uint64_t)d[0] | (uint64_t)d[1] << 8 | (uint64_t)d[6] << 16 |
		     (uint64_t)d[7] << 24;
	if (gsz == 16)
		g->handler |= (uint64_t)d[8] << 32 | (uint64_t)d[9] << 40 | (uint64_t)d[10] << 48 |
			      (uint64_t)d[11] << 56;
	g->sel = (uint16_t)(d[2] | d[3] << 8);
	g->dpl = (d[5] >> 5) & 3;
	g->trap = type == 0xf;
	return true;
}

/* Push (n) words onto the guest stack at (sp); the new sp, or 0. */
static uint64_t push(struct pv_child *c, uint64_t sp, const uint64_t *w, unsigned n)
{
	uint8_t buf[64];
	unsigned ws = c->bits / 8;
	for (unsigned i = 0; i < n; i++) {
		if (ws == 4) {
			uint32_t v = (uint32_t)w[i];
			memcpy(buf + 4 * i, &v, 4);
		} else {
			memcpy(buf + 8 * i, &w[i], 8);
		}
	}
	uint64_t fva;
	sp -= (uint64_t)n * ws;
	if (pv_gva_write(c, sp, buf, (size_t)n * ws, &fva))
		return 0;
	return sp;
}

void pv_reflect(struct pv_child *c, unsigned vec, bool has_err, uint32_t err, bool soft)
{
	struct pv_cpu *cpu = &c->chan->cpu;
	struct pv_regs *r = &cpu->r;
	struct pv_shared *sh = c->vm->shared;
	bool from_user = r->cpl == 3;
	struct gate g;
	if (!read_gate(c, vec, &g)) {
		pv_fatal(c, PV_ERR_NO_HANDLER, vec, r->rip);
		return;
	}
	if (soft && from_user && g.dpl < 3) { /* int n through a DPL-0 gate (SDM 3A 6.12.1.1) */
		pv_reflect(c, X86_EXC_GP, true, vec * 8 + 2, false);
		return;
	}
	c->chan->ctr.vec[vec < 32 ? vec : vec == 0x80 ? PV_VEC_INT80 : PV_VEC_IRQ].count++;
	uint64_t sp = from_user ? sh->kstack : r->gpr[X86_RSP];
	uint64_t w[6];
	unsigned n = 0;
	if (c->bits == 64)
		sp &= ~15ull; /* SDM 3A 6.14.2 */
	if (c->bits == 64 || from_user) {
		w[n++] = r->ss;
		w[n++] = r->gpr[X86_RSP];
	}
	w[n++] = r->rflags;
	w[n++] = r->cs;
	w[n++] = r->rip;
	if (has_err)
		w[n++] = err;
	/* words are pushed in order: the first at the highest address */
	uint64_t rev[6];
	for (unsigned i = 0; i < n; i++)
		rev[i] = w[n - 1 - i];
	uint64_t nsp = push(c, sp, rev, n);
	if (!nsp) {
		pv_fatal(c, PV_ERR_BAD_STACK, sp, vec);
		return;
	}
	r->gpr[X86_RSP] = nsp;
	r->rip = g.handler;
	r->cs = g.sel;
	if (from_user)
		r->ss = c->bits == 64 ? 0 : (uint16_t)cpu->kernel_ss;
	r->cpl = 0;
	r->rflags &= ~(uint64_t)(X86_FLAGS_TF | X86_FLAGS_NT | X86_FLAGS_RF | X86_FLAGS_VM);
	if (!g.trap)
		r->rflags &= ~(uint64_t)X86_FLAGS_IF;
	sh->vif = (r->rflags & X86_FLAGS_IF) != 0;
}

void pv_irq_check(struct pv_child *c)
{
	struct pv_chan *ch = c->chan;
	struct pv_shared *sh = c->vm->shared;
	int32_t vec = __atomic_load_n(&ch->irq_vector, __ATOMIC_ACQUIRE);
	if (vec < 0 && sh->vif && sh->irq_pending) {
		/* raised while IF was clear: the VMM acknowledges it now (post_irq) */
		ch->req.kind = PV_REQ_DONE;
		pv_ask_parent(c);
		vec = __atomic_load_n(&ch->irq_vector, __ATOMIC_ACQUIRE);
		if (vec < 0) /* gone meanwhile (masked, or taken by the handoff) */
			sh->irq_pending = 0;
	}
	if (vec < 0)
		return;
	if (!sh->vif) {
		sh->irq_pending = 1; /* the ROM's sti calls back */
		return;
	}
	__atomic_store_n(&ch->irq_vector, -1, __ATOMIC_RELEASE);
	sh->irq_pending = 0;
	ch->cpu.r.rflags |= X86_FLAGS_IF;
	pv_reflect(c, (unsigned)vec, false, 0, false);
}

/* A SYSCALL from user mode, as PV_CALL_SET_SYSCALL promises: RCX = RIP,
 * R11 = RFLAGS, an interrupt frame on the kernel stack, IF, TF, DF, AC
 * clear (the FMASK the native ROM sets). */
static void syscall_entry(struct pv_child *c)
{
	struct pv_regs *r = &c->chan->cpu.r;
	struct pv_shared *sh = c->vm->shared;
	if (!sh->syscall_entry) { /* EFER.SCE clear: #UD (SDM 2B SYSCALL) */
		pv_reflect(c, X86_EXC_UD, false, 0, false);
		return;
	}
	c->chan->ctr.vec[PV_VEC_SYSCALL].count++;
	r->gpr[X86_RCX] = r->rip;
	r->gpr[X86_R11] = r->rflags;
	uint64_t frame[5] = { r->rip, sh->user_cs, r->rflags, r->gpr[X86_RSP], sh->user_ss };
	uint64_t nsp = push(c, sh->kstack & ~15ull, frame, 5);
	if (!nsp) {
		pv_fatal(c, PV_ERR_BAD_STACK, sh->kstack, PV_VEC_SYSCALL);
		return;
	}
	r->gpr[X86_RSP] = nsp;
	r->rip = sh->syscall_entry;
	r->cs = (uint16_t)sh->kernel_cs;
	r->ss = 0;
	r->cpl = 0;
	r->rflags &= ~(uint64_t)(X86_FLAGS_IF | X86_FLAGS_TF | X86_FLAGS_DF | X86_FLAGS_AC);
	sh->vif = 0;
}

void pv_user_event(struct pv_child *c)
{
	struct pv_chan *ch = c->chan;
	struct pv_handoff *h = &ch->ho;
	switch (h->event) {
	case PV_EV_EXC:
		if (h->vector == X86_EXC_PF) {
			ch->cpu.cr2 = h->cr2;
			c->vm->shared->cr2 = h->cr2;
		}
		pv_reflect(c, h->vector, h->has_err, h->err, false);
		break;
	case PV_EV_INT:
		pv_reflect(c, h->vector, false, 0, true);
		break;
	case PV_EV_SYSCALL:
		syscall_entry(c);
		break;
	case PV_EV_IRQ:
		if (__atomic_load_n(&ch->irq_vector, __ATOMIC_ACQUIRE) >= 0) {
			__atomic_store_n(&ch->irq_vector, -1, __ATOMIC_RELEASE);
			c->vm->shared->irq_pending = 0;
			pv_reflect(c, h->vector, false, 0, false);
		}
		break;
	default:
		break;
	}
	h->event = PV_EV_NONE;
}

void pv_to_user(struct pv_child *c, ucontext_t *uc)
{
	struct pv_chan *ch = c->chan;
	struct pv_regs *r = &ch->cpu.r;
	pv_mmu_flush_queue(c);
	int32_t vec = __atomic_load_n(&ch->irq_vector, __ATOMIC_ACQUIRE);
	if (vec >= 0 && (r->rflags & X86_FLAGS_IF)) { /* take it before leaving */
		__atomic_store_n(&ch->irq_vector, -1, __ATOMIC_RELEASE);
		c->vm->shared->irq_pending = 0;
		pv_reflect(c, (unsigned)vec, false, 0, false);
		return;
	}
	pv_fp_save(ch, uc);
	ch->ctr.xfer[PV_XFER_K_TO_U].count++;
	pv_handoff(c, PV_OWN_U);
	pv_fp_load(ch, uc);
	pv_user_event(c);
}

void pv_iret(struct pv_child *c, bool sysret, ucontext_t *uc)
{
	struct pv_regs *r = &c->chan->cpu.r;
	unsigned ws = c->bits / 8;
	uint64_t f[5] = { 0 }, fva;
	uint8_t buf[40];
	unsigned n = c->bits == 64 ? 5 : 3;
	if (pv_gva_read(c, r->gpr[X86_RSP], buf, (size_t)n * ws, &fva)) {
		pv_fatal(c, PV_ERR_BAD_STACK, r->gpr[X86_RSP], 0);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t v32;
		if (ws == 4) {
			memcpy(&v32, buf + 4 * i, 4);
			f[i] = v32;
		} else {
			memcpy(&f[i], buf + 8 * i, 8);
		}
	}
	bool user = (f[1] & 3) == 3;
	if (c->bits == 32 && user) { /* a privilege change: ESP and SS too */
		uint32_t v[2];
		if (pv_gva_read(c, r->gpr[X86_RSP] + 12, v, 8, &fva)) {
			pv_fatal(c, PV_ERR_BAD_STACK, r->gpr[X86_RSP] + 12, 0);
			return;
		}
		f[3] = v[0];
		f[4] = v[1];
	} else if (c->bits == 32) {
		f[3] = r->gpr[X86_RSP] + 12;
		f[4] = r->ss;
	}
	if (sysret && c->bits == 64 && user) { /* the native ROM's SYSRET */
		r->gpr[X86_RCX] = f[0];
		r->gpr[X86_R11] = f[2];
	}
	r->rip = f[0];
	r->cs = (uint16_t)f[1];
	r->rflags = (f[2] & (FL_KEEP | X86_FLAGS_IF)) | X86_FLAGS_FIXED;
	r->gpr[X86_RSP] = f[3];
	r->ss = (uint16_t)f[4];
	if (user) {
		r->cpl = 3;
		pv_to_user(c, uc);
		return;
	}
	r->cpl = 0;
	c->vm->shared->vif = (r->rflags & X86_FLAGS_IF) != 0;
	pv_irq_check(c);
}

void pv_adopt_enter(struct pv_child *c, ucontext_t *uc)
{
	struct pv_chan *ch = c->chan;
	struct pv_cpu *cpu = &ch->cpu;
	struct pv_shared *sh = c->vm->shared;
	ch->adopt = 0;
	/* TSS: ESP0 at 4 and SS0 at 8 (32-bit, SDM 3A 8.2.1), RSP0 at 4 (64-bit,
	 * SDM 3A 8.7); the native ROM wrote them there */
	if (ch->adopt_tss) {
		uint64_t sp = 0, fva;
		uint32_t v[2] = { 0, 0 };
		uint32_t e = c->bits == 64 ? pv_gva_read(c, ch->adopt_tss + 4, &sp, 8, &fva)
					   : pv_gva_read(c, ch->adopt_tss + 4, v, 8, &fva);
		if (e) {
			pv_fatal(c, PV_ERR_BAD_STACK, ch->adopt_tss, 0);
			return;
		}
		sh->kstack = c->bits == 64 ? sp : v[0];
		if (c->bits == 32)
			cpu->kernel_ss = v[1] & 0xffff;
	}
	/* FXSAVE layout (SDM 2A FXSAVE); the host's MXCSR mask stays */
	struct x86_fpu *fx = (struct x86_fpu *)uc->uc_mcontext.fpregs;
	uint32_t mask = fx->mxcsr_mask ? fx->mxcsr_mask : 0xffbf;
	*fx = ch->adopt_fpu;
	fx->mxcsr_mask = mask;
	fx->mxcsr &= mask;
	if (cpu->r.cpl == 3)
		pv_to_user(c, uc);
}

/* bt_state.c: struct x86_state <-> struct bt_cpu, so a vCPU can move between
 * engines; and the vCPU's reset state. */
#include <errno.h>
#include <string.h>

#include "vmm/bt/bt_fpu.h"
#include "vmm/bt/bt_window.h"

void bt_cpu_init(struct bt_cpu *c)
{
	struct x86_state s;
	x86_state_reset(&s);
	c->exc_vector = -1;
	c->deliver_vector = -1;
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		c->seg[i] = s.seg[i];
	c->ldt = s.ldt;
	c->tr = s.tr;
	c->gdt = s.gdt;
	c->idt = s.idt;
	c->cr0 = s.cr0;
	c->eflags = (uint32_t)s.rflags;
	c->rip = s.rip;
	c->msr = s.msr;
	c->fpu = s.fpu;
	c->dr[6] = s.dr[6];
	c->dr[7] = s.dr[7];
	c->xcr0 = s.xcr0;
}

int bt_regs_get(struct vcpu *v, struct x86_state *s)
{
	struct bt_cpu *c = bt_cpu_of(v);
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < 16; i++)
		s->gpr[i] = c->gpr[i];
	s->rip = c->rip;
	s->rflags = c->eflags | X86_FLAGS_FIXED;
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		s->seg[i] = c->seg[i];
	s->ldt = c->ldt;
	s->tr = c->tr;
	s->gdt = c->gdt;
	s->idt = c->idt;
	s->cr0 = c->cr0;
	s->cr2 = c->cr2;
	s->cr3 = c->cr3;
	s->cr4 = c->cr4;
	s->cr8 = c->cr8;
	s->efer = c->efer;
	s->xcr0 = c->xcr0;
	for (unsigned i = 0; i < 8; i++)
		s->dr[i] = c->dr[i];
	s->msr = c->msr;
	s->msr.tsc = bt_rdtsc(c);
	s->fpu = c->fpu;
	s->ev.int_shadow = c->int_shadow;
	s->ev.nmi_masked = c->nmi_masked;
	s->ev.halted = v->halted;
	return 0;
}

int bt_regs_set(struct vcpu *v, const struct x86_state *s)
{
	struct bt_cpu *c = bt_cpu_of(v);
	/* outside 64-bit mode the high halves are zero (see struct bt_cpu) */
	bool m64 = (s->efer & X86_EFER_LMA) && s->seg[X86_CS].l;
	for (unsigned i = 0; i < 16; i++)
		c->gpr[i] = m64 ? s->gpr[i] : (uint32_t)s->gpr[i];
	c->rip = m64 ? s->rip : (uint32_t)s->rip;
	c->eflags = ((uint32_t)s->rflags | X86_FLAGS_FIXED) & ~(uint32_t)(0x8028u | 0xffc00000u);
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		c->seg[i] = s->seg[i];
	c->ldt = s->ldt;
	c->tr = s->tr;
	c->gdt = s->gdt;
	c->idt = s->idt;
	c->cr0 = (uint32_t)s->cr0;
	c->cr2 = s->cr2;
	c->cr3 = s->cr3;
	c->cr4 = (uint32_t)s->cr4;
	c->cr8 = s->cr8 & 0xf;
	c->efer = s->efer & (X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE);
	c->xcr0 = s->xcr0;
	for (unsigned i = 0; i < 8; i++)
		c->dr[i] = s->dr[i];
	c->msr = s->msr;
	c->tsc_offset = 0;
	if (s->msr.tsc)
		c->tsc_offset = (int64_t)(s->msr.tsc - bt_rdtsc(c));
	c->fpu = s->fpu;
	/* FXRSTOR would fault on MXCSR bits the host does not have */
	c->fpu.mxcsr &= bt_fpu_mxcsr_mask(c);
	c->fpu.mxcsr_mask = bt_fpu_mxcsr_mask(c);
	c->int_shadow = s->ev.int_shadow;
	c->nmi_masked = s->ev.nmi_masked;
	if (!bt_pe(c))
		c->cpl = 0;
	else if (c->eflags & X86_FLAGS_VM)
		c->cpl = 3;
	else
		c->cpl = c->seg[X86_SS].dpl;
	if (bt_paging(c) && (c->cr4 & X86_CR4_PAE) && !(c->efer & X86_EFER_LMA))
		bt_load_pdptes(c);
	bt_mode_changed(c);
	bt_tlb_flush(c);
	bt_win_flush_all(c); /* memory may have changed behind the windows' back */
	c->exc_vector = -1;
	if (s->ev.exc_pending) {
		c->exc_vector = s->ev.exc_vector;
		c->exc_error = s->ev.exc_error;
		c->exc_has_error = s->ev.exc_has_error;
		c->inject_pending = true;
	}
	return 0;
}

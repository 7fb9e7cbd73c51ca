/* bt_interp_sys.c: system instructions for the interpreter (and as helpers
 * for translated code): CLI/STI, IN/OUT with the IOPL and TSS bitmap check,
 * HLT, descriptor-table loads and stores, MOV to/from CR and DR with their
 * flushes and mode changes, LMSW/SMSW/CLTS, INVLPG, CPUID, RDTSC, RDMSR/
 * WRMSR, WBINVD, LAR/LSL/VERR/VERW, ARPL, SYSENTER/SYSEXIT. Privilege
 * violations raise #GP(0) as the CPU does (SDM 2A-2B, per instruction). */
#include <capstone/capstone.h>

#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_internal.h"

static unsigned iopl(const struct bt_cpu *c)
{
	return (c->eflags >> 12) & 3;
}

void bt_io_check(struct bt_cpu *c, uint16_t port, unsigned size)
{
	if (!bt_pe(c) || (!(c->eflags & X86_FLAGS_VM) && c->cpl <= iopl(c)))
		return;
	/* SDM 1 19.5.2: the I/O permission bitmap of a 32-bit TSS */
	const struct x86_seg *tr = &c->tr;
	if (tr->unusable || !(tr->type & 8) || tr->limit < 103)
		bt_raise_gp(c, 0);
	uint32_t base = (uint32_t)bt_sread(c, bt_tbl_lin(c, tr->base, 102), 2);
	uint32_t off = base + port / 8;
	if (off + 1 > tr->limit)
		bt_raise_gp(c, 0);
	uint32_t bits = (uint32_t)bt_sread(c, bt_tbl_lin(c, tr->base, off), 2);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		bt_raise_gp(c, 0);
}

uint32_t bt_in(struct bt_cpu *c, uint16_t port, unsigned size)
{
	uint32_t v = 0;
	c->helper[BT_H_IO].count++;
	io_dispatch(&c->vm->pio, port, &v, size, false);
	return v & bt_szmask(size);
}

void bt_out(struct bt_cpu *c, uint16_t port, uint32_t v, unsigned size)
{
	c->helper[BT_H_IO].count++;
	io_dispatch(&c->vm->pio, port, &v, size, true);
	if (vm_stopping(c->vm))
		c->stop_block = true;
}

static void inout(struct bt_cpu *c, const struct bt_insn *in, bool out)
{
	const struct bt_op *pop = out ? &in->op[0] : &in->op[1];
	const struct bt_op *rop = out ? &in->op[1] : &in->op[0];
	uint16_t port = pop->kind == BT_OP_IMM ? (uint16_t)(pop->val & 0xff)
					       : (uint16_t)c->gpr[X86_RDX];
	unsigned size = rop->size;
	bt_io_check(c, port, size);
	if (out)
		bt_out(c, port, bt_reg_read(c, 0, size), size);
	else
		bt_reg_write(c, 0, size, bt_in(c, port, size));
}

uint64_t bt_read_cr(struct bt_cpu *c, unsigned n)
{
	switch (n) {
	case 0: return c->cr0;
	case 2: return c->cr2;
	case 3: return c->cr3;
	case 4: return c->cr4;
	case 8: /* TPR[7:4] of the local APIC (SDM 3A 10.8.6.1) */
		if (!bt_lm64(c))
			bt_raise_ud(c);
		return c->vcpu ? vcpu_cr8_get(c->vcpu) : c->cr8;
	default: bt_raise_ud(c);
	}
}

#define CR4_KNOWN                                                              \
	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE |  \
	 X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR | \
	 X86_CR4_OSXMMEXCPT)

void bt_write_cr(struct bt_cpu *c, unsigned n, uint64_t v)
{
	bt_mode_changed(c);
	switch (n) {
	case 0: {
		v |= X86_CR0_ET;
		if ((v & X86_CR0_PG) && !(v & X86_CR0_PE))
			bt_raise_gp(c, 0);
		if ((v & X86_CR0_NW) && !(v & X86_CR0_CD))
			bt_raise_gp(c, 0);
		uint64_t old = c->cr0;
		bt_cr0_long(c, old, v); /* IA-32e mode on or off (may raise) */
		c->cr0 = v;
		if ((old ^ v) & (X86_CR0_PG | X86_CR0_PE | X86_CR0_WP)) {
			if ((v & X86_CR0_PG) && (c->cr4 & X86_CR4_PAE) && !(old & X86_CR0_PG) &&
			    !(c->efer & X86_EFER_LMA))
				bt_load_pdptes(c);
			bt_tlb_flush(c);
		}
		bt_update_mode(c);
		break;
	}
	case 2:
		c->cr2 = v;
		return;
	case 3:
		c->cr3 = v;
		if (bt_paging(c) && (c->cr4 & X86_CR4_PAE) && !(c->efer & X86_EFER_LMA))
			bt_load_pdptes(c);
		bt_tlb_flush(c);
		break;
	case 4: {
		if (v & ~CR4_KNOWN)
			bt_raise_gp(c, 0);
		if ((c->efer & X86_EFER_LMA) && !(v & X86_CR4_PAE))
			bt_raise_gp(c, 0); /* PAE stays on in IA-32e mode */
		uint64_t old = c->cr4;
		c->cr4 = v;
		if ((old ^ v) & (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE)) {
			if (bt_paging(c) && (v & X86_CR4_PAE) && !(c->efer & X86_EFER_LMA))
				bt_load_pdptes(c);
			bt_tlb_flush(c);
		}
		break;
	}
	case 8: /* TPR[7:4] of the local APIC, which masks interrupts by it */
		if (!bt_lm64(c))
			bt_raise_ud(c);
		if (v >> 4)
			bt_raise_gp(c, 0);
		c->cr8 = v;
		if (c->vcpu)
			vcpu_cr8_set(c->vcpu, v);
		c->stop_block = true; /* a lower TPR may unmask an interrupt */
		return;
	default:
		bt_raise_ud(c);
	}
	c->stop_block = true;
}

static void mov_crdr(struct bt_cpu *c, const struct bt_insn *in)
{
	c->helper[BT_H_CR].count++;
	if (bt_pe(c) && c->cpl != 0)
		bt_raise_gp(c, 0);
	const struct bt_op *d = &in->op[0], *s = &in->op[1];
	/* the register is 64 bits in 64-bit mode, else 32 (SDM 2B MOV CR) */
	unsigned rsz = bt_lm64(c) ? 8 : 4;
	if (d->rc == BT_RC_CR) {
		bt_write_cr(c, d->reg, bt_reg_read(c, s->reg, rsz));
	} else if (s->rc == BT_RC_CR) {
		bt_reg_write(c, d->reg, rsz, bt_read_cr(c, s->reg));
	} else {
		bool to_dr = d->rc == BT_RC_DR;
		unsigned n = to_dr ? d->reg : s->reg;
		if (n == 4 || n == 5) {
			if (c->cr4 & X86_CR4_DE)
				bt_raise_ud(c);
			n += 2;
		}
		if (to_dr) {
			uint32_t v = (uint32_t)c->gpr[s->reg];
			if (n == 6)
				v = (v & 0x0000e00f) | 0xffff0ff0u;
			else if (n == 7)
				v = (v & 0xffff2bffu) | 0x400;
			c->dr[n] = v;
		} else {
			bt_reg_write(c, d->reg, rsz, c->dr[n]);
		}
	}
}

static void desc_table(struct bt_cpu *c, const struct bt_insn *in)
{
	const struct bt_op *m = &in->op[0];
	if (m->kind != BT_OP_MEM)
		bt_raise_ud(c);
	uint64_t ea = bt_op_ea(c, in, m);
	bool load = in->id == X86_INS_LGDT || in->id == X86_INS_LIDT;
	unsigned bsz = bt_lm64(c) ? 8 : 4; /* the base: 8 bytes in 64-bit mode */
	c->helper[BT_H_DESC].count++;
	bool gdt = in->id == X86_INS_LGDT || in->id == X86_INS_SGDT;
	struct x86_dtable *t = gdt ? &c->gdt : &c->idt;
	if (load) {
		if (bt_pe(c) && c->cpl != 0)
			bt_raise_gp(c, 0);
		uint16_t limit = (uint16_t)bt_read(c, m->seg, ea, 2);
		uint64_t base = bt_read(c, m->seg, ea + 2, bsz);
		if (in->osz == 2 && bsz == 4)
			base &= 0xffffff;
		if (!bt_canonical(base))
			bt_raise_gp(c, 0);
		t->limit = limit;
		t->base = base;
	} else {
		uint64_t lin = bt_vaddr(c, m->seg, ea, 2 + bsz, BT_ACC_W);
		bt_probe_write(c, lin, 2 + bsz, c->cpl == 3);
		bt_write(c, m->seg, ea, t->limit, 2);
		bt_write(c, m->seg, ea + 2,
			 in->osz == 2 && bsz == 4 ? t->base & 0xffffff : t->base, bsz);
	}
}

/* Store a selector/MSW: 16 bits to memory, osz bits to a register. */
static void store16(struct bt_cpu *c, const struct bt_insn *in, uint32_t v)
{
	const struct bt_op *d = &in->op[0];
	if (d->kind == BT_OP_MEM)
		bt_write(c, d->seg, bt_op_ea(c, in, d), v & 0xffff, 2);
	else
		bt_reg_write(c, d->reg, in->osz, in->osz == 2 ? v & 0xffff : v);
}

static void need_prot(struct bt_cpu *c)
{
	if (!bt_pe(c) || (c->eflags & X86_FLAGS_VM))
		bt_raise_ud(c);
}

static void msr(struct bt_cpu *c, bool write)
{
	bt_need_cpl0(c);
	uint32_t idx = (uint32_t)c->gpr[X86_RCX];
	c->helper[BT_H_MSR].count++;
	if (write) {
		uint64_t v = ((uint64_t)(uint32_t)c->gpr[X86_RDX] << 32) | (uint32_t)c->gpr[X86_RAX];
		if (bt_wrmsr(c, idx, v))
			bt_raise_gp(c, 0);
		c->stop_block = true;
	} else {
		uint64_t v;
		if (bt_rdmsr(c, idx, &v))
			bt_raise_gp(c, 0);
		c->gpr[X86_RAX] = (uint32_t)v;
		c->gpr[X86_RDX] = (uint32_t)(v >> 32);
	}
}

bool bt_interp_sys(struct bt_cpu *c, const struct bt_insn *in)
{
	switch (in->id) {
	case X86_INS_CLI:
	case X86_INS_STI:
		c->helper[BT_H_FLAGS].count++;
		if (bt_pe(c) && c->cpl > iopl(c))
			bt_raise_gp(c, 0);
		if (in->id == X86_INS_CLI) {
			c->eflags &= ~(uint32_t)X86_FLAGS_IF;
		} else if (!(c->eflags & X86_FLAGS_IF)) {
			c->eflags |= X86_FLAGS_IF;
			c->int_shadow = 1;
			c->stop_block = true;
		}
		return true;
	case X86_INS_IN: inout(c, in, false); return true;
	case X86_INS_OUT: inout(c, in, true); return true;
	case X86_INS_HLT:
		if (bt_pe(c) && c->cpl != 0)
			bt_raise_gp(c, 0);
		c->helper[BT_H_HLT].count++;
		c->halted_exit = true;
		c->stop_block = true;
		return true;
	case X86_INS_MOV: mov_crdr(c, in); return true;
	case X86_INS_LGDT: case X86_INS_LIDT: case X86_INS_SGDT: case X86_INS_SIDT:
		desc_table(c, in);
		return true;
	case X86_INS_LLDT:
		need_prot(c);
		bt_lldt(c, (uint16_t)bt_op_read(c, in, &in->op[0]));
		return true;
	case X86_INS_LTR:
		need_prot(c);
		bt_ltr(c, (uint16_t)bt_op_read(c, in, &in->op[0]));
		return true;
	case X86_INS_SLDT: need_prot(c); store16(c, in, c->ldt.sel); return true;
	case X86_INS_STR: need_prot(c); store16(c, in, c->tr.sel); return true;
	case X86_INS_SMSW: store16(c, in, c->cr0); return true;
	case X86_INS_LMSW: {
		if (bt_pe(c) && c->cpl != 0)
			bt_raise_gp(c, 0);
		uint32_t v = bt_op_read(c, in, &in->op[0]) & 0xf;
		v |= c->cr0 & X86_CR0_PE; /* LMSW cannot clear PE */
		bt_write_cr(c, 0, (c->cr0 & ~0xfu) | v);
		return true;
	}
	case X86_INS_CLTS:
		if (bt_pe(c) && c->cpl != 0)
			bt_raise_gp(c, 0);
		if (c->cr0 & X86_CR0_TS)
			bt_mode_changed(c); /* the block key's FPU bit */
		c->cr0 &= ~(uint32_t)X86_CR0_TS;
		return true;
	case X86_INS_INVLPG: {
		if (bt_pe(c) && c->cpl != 0)
			bt_raise_gp(c, 0);
		const struct bt_op *m = &in->op[0];
		if (m->kind != BT_OP_MEM)
			bt_raise_ud(c);
		c->helper[BT_H_INVLPG].count++;
		uint64_t ea = bt_op_ea(c, in, m);
		uint64_t lin = !bt_lm64(c) ? (uint32_t)(c->seg[m->seg].base + ea)
			       : ea + (m->seg == X86_FS || m->seg == X86_GS ? c->seg[m->seg].base : 0);
		if (bt_tlb_flush_page(c, lin))
			c->stop_block = true;
		return true;
	}
	case X86_INS_CPUID:
		c->helper[BT_H_CPUID].count++;
		bt_cpuid(c);
		return true;
	case X86_INS_RDTSC: {
		if ((c->cr4 & X86_CR4_TSD) && bt_pe(c) && c->cpl != 0)
			bt_raise_gp(c, 0);
		c->helper[BT_H_RDTSC].count++;
		uint64_t t = bt_rdtsc(c);
		c->gpr[X86_RAX] = (uint32_t)t;
		c->gpr[X86_RDX] = (uint32_t)(t >> 32);
		return true;
	}
	case X86_INS_RDMSR: msr(c, false); return true;
	case X86_INS_WRMSR: msr(c, true); return true;
	case X86_INS_WBINVD:
	case X86_INS_INVD:
		if (bt_pe(c) && c->cpl != 0)
			bt_raise_gp(c, 0);
		return true;
	case X86_INS_LAR: bt_lar_lsl(c, in, false); return true;
	case X86_INS_LSL: bt_lar_lsl(c, in, true); return true;
	case X86_INS_VERR:
	case X86_INS_VERW:
		bt_verr_verw(c, (uint16_t)bt_op_read(c, in, &in->op[0]), in->id == X86_INS_VERW);
		return true;
	case X86_INS_ARPL: {
		need_prot(c);
		uint32_t d = bt_op_read(c, in, &in->op[0]);
		uint32_t s = bt_reg_read(c, in->op[1].reg, 2);
		bool z = (d & 3) < (s & 3);
		if (z)
			bt_op_write(c, in, &in->op[0], (d & ~3u) | (s & 3));
		c->eflags = (c->eflags & ~(uint32_t)X86_FLAGS_ZF) | (z ? X86_FLAGS_ZF : 0);
		return true;
	}
	case X86_INS_SYSENTER: bt_sysenter(c); return true;
	case X86_INS_SYSEXIT: bt_sysexit(c); return true;
	case X86_INS_UD2: bt_raise_ud(c);
	default:
		return false;
	}
}

/* bt_long.c: IA-32e mode (long mode) for the bt engine's interpreter:
 * EFER and the switch into and out of long mode (SDM 3A 10.8.5, 10.8.6),
 * the long-mode MSRs, 64-bit interrupt and exception delivery through
 * 16-byte IDT gates with the 64-bit TSS's stacks and IST (SDM 3A 6.14),
 * IRET in IA-32e mode (SDM 2A IRET), SYSCALL/SYSRET, SWAPGS and RDTSCP
 * (SDM 2B), and the clear error for an instruction bt does not implement
 * in 64-bit mode. Translated code never runs in IA-32e mode: blocks there
 * are interpreted (bt_trans_flat). */
#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_internal.h"

#define SEG_CODE 0x8

/* ---- EFER and the mode switch ---- */

int bt_efer_write(struct bt_cpu *c, uint64_t v)
{
	if (v & ~(X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE))
		return -1;
	v = (v & ~X86_EFER_LMA) | (c->efer & X86_EFER_LMA); /* LMA is read-only */
	/* LME changes only with paging off (SDM 3A 10.8.5) */
	if (((c->efer ^ v) & X86_EFER_LME) && bt_paging(c))
		return -1;
	if ((c->efer ^ v) & X86_EFER_NXE)
		bt_tlb_flush(c);
	c->efer = v;
	bt_mode_changed(c);
	return 0;
}

void bt_cr0_long(struct bt_cpu *c, uint64_t old, uint64_t v)
{
	if (v >> 32)
		bt_raise_gp(c, 0);
	bool pg_on = (v & X86_CR0_PG) && !(old & X86_CR0_PG);
	bool pg_off = !(v & X86_CR0_PG) && (old & X86_CR0_PG);
	if (pg_on && (c->efer & X86_EFER_LME)) {
		/* entering IA-32e mode: PAE on, not from a 64-bit code segment */
		if (!(c->cr4 & X86_CR4_PAE) || c->seg[X86_CS].l)
			bt_raise_gp(c, 0);
		c->efer |= X86_EFER_LMA;
	} else if (pg_off && (c->efer & X86_EFER_LMA)) {
		/* leaving it: only from compatibility mode */
		if (bt_lm64(c))
			bt_raise_gp(c, 0);
		c->efer &= ~X86_EFER_LMA;
	}
}

/* ---- long-mode MSRs ---- */

int bt_lm_rdmsr(struct bt_cpu *c, uint32_t idx, uint64_t *v)
{
	switch (idx) {
	case X86_MSR_STAR: *v = c->msr.star; return 0;
	case X86_MSR_LSTAR: *v = c->msr.lstar; return 0;
	case X86_MSR_CSTAR: *v = c->msr.cstar; return 0;
	case X86_MSR_SFMASK: *v = c->msr.sfmask; return 0;
	case X86_MSR_FS_BASE: *v = c->seg[X86_FS].base; return 0;
	case X86_MSR_GS_BASE: *v = c->seg[X86_GS].base; return 0;
	case X86_MSR_KERNEL_GS_BASE: *v = c->msr.kernel_gs_base; return 0;
	case X86_MSR_TSC_AUX: *v = c->msr.tsc_aux; return 0;
	default: return -1;
	}
}

int bt_lm_wrmsr(struct bt_cpu *c, uint32_t idx, uint64_t v)
{
	switch (idx) {
	case X86_MSR_STAR: c->msr.star = v; return 0;
	case X86_MSR_SFMASK: c->msr.sfmask = (uint32_t)v; return 0;
	case X86_MSR_TSC_AUX: c->msr.tsc_aux = (uint32_t)v; return 0;
	default: break;
	}
	/* the rest hold linear addresses: canonical or #GP */
	if (!bt_canonical(v))
		return -1;
	switch (idx) {
	case X86_MSR_LSTAR: c->msr.lstar = v; return 0;
	case X86_MSR_CSTAR: c->msr.cstar = v; return 0;
	case X86_MSR_FS_BASE: c->seg[X86_FS].base = v; break;
	case X86_MSR_GS_BASE: c->seg[X86_GS].base = v; break;
	case X86_MSR_KERNEL_GS_BASE: c->msr.kernel_gs_base = v; return 0;
	default: return -1;
	}
	bt_mode_changed(c); /* an FS/GS base */
	return 0;
}

/* ---- interrupts and exceptions (SDM 3A 6.14) ---- */

/* RSPn (ist 0) or ISTn from the 64-bit TSS. */
static uint64_t tss64_stack(struct bt_cpu *c, unsigned dpl, unsigned ist, uint32_t ext)
{
	const struct x86_seg *tr = &c->tr;
	uint32_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * dpl;
	if (tr->unusable || !tr->present || off + 7 > tr->limit)
		bt_raise(c, X86_EXC_TS, (tr->sel & 0xfffc) | ext, true);
	uint64_t rsp = bt_sread(c, tr->base + off, 8);
	if (!bt_canonical(rsp))
		bt_raise(c, X86_EXC_SS, ext, true);
	return rsp;
}

/* A flat 64-bit code segment or data segment as SYSCALL/SYSRET load it. */
static void flat_seg(struct x86_seg *s, uint16_t sel, bool code, bool l, unsigned dpl)
{
	memset(s, 0, sizeof(*s));
	s->sel = sel;
	s->limit = 0xffffffffu;
	s->type = code ? 0xb : 0x3;
	s->s = 1;
	s->dpl = (uint8_t)dpl;
	s->present = 1;
	s->g = 1;
	s->l = code && l;
	s->db = !(code && l);
}

void bt_deliver_long(struct bt_cpu *c, const struct bt_event *e)
{
	uint32_t ext = e->ext ? 1u : 0u;
	uint32_t ent = e->vec * 16;
	uint32_t gate_err = ent | 2 | ext;
	if (ent + 15 > c->idt.limit)
		bt_raise_gp(c, gate_err);
	uint64_t lo = bt_sread(c, c->idt.base + ent, 8);
	uint64_t hi = bt_sread(c, c->idt.base + ent + 8, 8);
	unsigned type = (lo >> 40) & 0x1f, gdpl = (lo >> 45) & 3, ist = (lo >> 32) & 7;
	if (type != 14 && type != 15) /* 64-bit interrupt and trap gates only */
		bt_raise_gp(c, gate_err);
	if (e->soft && gdpl < c->cpl)
		bt_raise_gp(c, ent | 2);
	if (!((lo >> 47) & 1))
		bt_raise(c, X86_EXC_NP, gate_err, true);
	uint16_t sel = (uint16_t)(lo >> 16);
	uint64_t off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000u) | (hi << 32);
	if ((sel & ~3u) == 0)
		bt_raise_gp(c, ext);
	uint64_t d = bt_desc_read(c, sel, X86_EXC_GP);
	struct x86_seg cs;
	bt_seg_decode(c, &cs, sel, d);
	uint32_t sel_err = (sel & 0xfffc) | ext;
	if (!cs.s || !(cs.type & SEG_CODE) || cs.dpl > c->cpl || !cs.l || cs.db)
		bt_raise_gp(c, sel_err);
	if (!cs.present)
		bt_raise(c, X86_EXC_NP, sel_err, true);
	if (!bt_canonical(off))
		bt_raise_gp(c, ext);
	unsigned new_cpl = (cs.type & 4) ? c->cpl : cs.dpl;
	uint64_t rsp = c->gpr[X86_RSP];
	if (!bt_lm64(c))
		rsp = (uint32_t)rsp; /* from compatibility mode */
	if (ist || new_cpl < c->cpl)
		rsp = tss64_stack(c, new_cpl, ist, ext);
	rsp &= ~0xfull; /* the frame is 16-byte aligned */
	uint64_t frame[6];
	unsigned n = 0;
	frame[n++] = c->seg[X86_SS].sel;
	frame[n++] = c->gpr[X86_RSP];
	frame[n++] = c->eflags;
	frame[n++] = c->seg[X86_CS].sel;
	frame[n++] = e->ret;
	if (e->has_err)
		frame[n++] = e->err;
	bool user = new_cpl == 3;
	uint64_t sp = rsp - 8 * n;
	if (!bt_canonical(sp))
		bt_raise(c, X86_EXC_SS, ext, true);
	bt_probe_write(c, sp, 8 * n, user);
	for (unsigned i = 0; i < n; i++)
		bt_lwrite(c, rsp - 8 * (i + 1), frame[i], 8, user);
	if (new_cpl < c->cpl) {
		/* a null SS with RPL = the new CPL (SDM 3A 6.14.4) */
		struct x86_seg *ss = &c->seg[X86_SS];
		memset(ss, 0, sizeof(*ss));
		ss->sel = (uint16_t)new_cpl;
		ss->unusable = 1;
		ss->dpl = (uint8_t)new_cpl;
	}
	bt_desc_set_accessed(c, sel, d);
	cs.type |= 1;
	cs.sel = (uint16_t)((sel & 0xfffc) | new_cpl);
	c->seg[X86_CS] = cs;
	c->cpl = new_cpl;
	c->gpr[X86_RSP] = sp;
	c->rip = off;
	c->eflags &= ~(uint32_t)(X86_FLAGS_TF | X86_FLAGS_NT | X86_FLAGS_RF | X86_FLAGS_VM);
	if (type == 14)
		c->eflags &= ~(uint32_t)X86_FLAGS_IF;
	bt_mode_changed(c);
}

/* IRET in IA-32e mode (SDM 2A IRET, "IA-32e-MODE"): from 64-bit mode it
 * always pops SS:RSP; returns to 64-bit or compatibility code. */
void bt_iret_long(struct bt_cpu *c, unsigned osz)
{
	if (c->eflags & X86_FLAGS_NT)
		bt_raise_gp(c, 0); /* no task returns in IA-32e mode */
	bool m64 = bt_lm64(c);
	uint64_t mask = bt_sp_mask(c);
	uint64_t sp = c->gpr[X86_RSP] & mask;
	uint64_t ip = bt_read(c, X86_SS, sp, osz);
	uint16_t sel = (uint16_t)bt_read(c, X86_SS, (sp + osz) & mask, 2);
	uint32_t fl = (uint32_t)bt_read(c, X86_SS, (sp + 2 * osz) & mask, osz);
	if ((sel & ~3u) == 0)
		bt_raise_gp(c, 0);
	uint64_t d = bt_desc_read(c, sel, X86_EXC_GP);
	struct x86_seg cs;
	bt_seg_decode(c, &cs, sel, d);
	unsigned rpl = sel & 3;
	uint32_t err = sel & 0xfffc;
	if (!cs.s || !(cs.type & SEG_CODE) || rpl < c->cpl || (cs.l && cs.db))
		bt_raise_gp(c, err);
	if ((cs.type & 4) ? cs.dpl > rpl : cs.dpl != rpl)
		bt_raise_gp(c, err);
	if (!cs.present)
		bt_raise(c, X86_EXC_NP, err, true);
	if (cs.l ? !bt_canonical(ip) : ip > cs.limit)
		bt_raise_gp(c, 0);
	unsigned old_cpl = c->cpl;
	struct x86_seg ss = c->seg[X86_SS];
	uint64_t nrsp = (sp + 3 * osz) & mask;
	if (m64 || rpl > c->cpl) {
		nrsp = bt_read(c, X86_SS, (sp + 3 * osz) & mask, osz);
		uint16_t nss = (uint16_t)bt_read(c, X86_SS, (sp + 4 * osz) & mask, 2);
		if ((nss & ~3u) == 0 && cs.l && rpl != 3) {
			/* a null SS is fine for 64-bit code below CPL 3 */
			memset(&ss, 0, sizeof(ss));
			ss.sel = nss;
			ss.unusable = 1;
			ss.dpl = (uint8_t)rpl;
		} else {
			bt_check_new_ss(c, nss, rpl, &ss, X86_EXC_GP, 0);
		}
		if (osz == 4)
			nrsp = (uint32_t)nrsp;
	}
	bt_desc_set_accessed(c, sel, d);
	cs.type |= 1;
	c->seg[X86_CS] = cs;
	c->seg[X86_SS] = ss;
	c->cpl = rpl;
	c->gpr[X86_RSP] = cs.l ? nrsp : (uint32_t)nrsp;
	c->next_rip = cs.l ? ip : (uint32_t)ip;
	if (rpl > old_cpl)
		bt_null_outer_segs(c);
	bt_mode_changed(c);
	bt_set_eflags(c, fl, bt_iret_flags(c, old_cpl));
}

/* ---- SYSCALL, SYSRET, SWAPGS, RDTSCP ---- */

static void syscall64(struct bt_cpu *c)
{
	if (!(c->efer & X86_EFER_SCE) || !bt_lm64(c))
		bt_raise_ud(c); /* Intel: SYSCALL only in 64-bit mode */
	c->gpr[X86_RCX] = c->next_rip;
	c->gpr[11] = c->eflags & ~(uint32_t)X86_FLAGS_RF;
	uint16_t sel = (uint16_t)(c->msr.star >> 32) & 0xfffc;
	flat_seg(&c->seg[X86_CS], sel, true, true, 0);
	flat_seg(&c->seg[X86_SS], (uint16_t)(sel + 8), false, false, 0);
	c->cpl = 0;
	c->eflags &= ~((uint32_t)c->msr.sfmask | (uint32_t)X86_FLAGS_RF);
	c->eflags |= X86_FLAGS_FIXED;
	c->next_rip = c->msr.lstar;
	bt_mode_changed(c);
	c->stop_block = true;
}

static void sysret64(struct bt_cpu *c, unsigned osz)
{
	if (!(c->efer & X86_EFER_SCE) || !bt_lm64(c))
		bt_raise_ud(c);
	if (c->cpl != 0)
		bt_raise_gp(c, 0);
	uint16_t base = (uint16_t)(c->msr.star >> 48);
	uint64_t rip = c->gpr[X86_RCX];
	if (osz == 8) {
		if (!bt_canonical(rip))
			bt_raise_gp(c, 0);
		flat_seg(&c->seg[X86_CS], (uint16_t)((base + 16) | 3), true, true, 3);
	} else {
		rip = (uint32_t)rip;
		flat_seg(&c->seg[X86_CS], (uint16_t)(base | 3), true, false, 3);
	}
	flat_seg(&c->seg[X86_SS], (uint16_t)((base + 8) | 3), false, false, 3);
	c->cpl = 3;
	c->eflags &= ~(uint32_t)X86_FLAGS_RF;
	bt_set_eflags(c, (uint32_t)c->gpr[11], 0x3c7fd7u);
	c->next_rip = rip;
	bt_mode_changed(c);
	c->stop_block = true;
}

void bt_unsupported(struct bt_cpu *c, const struct bt_insn *in)
{
	char txt[96];
	bt_disasm(c->dec, in, c->rip, bt_code_bits(c), txt, sizeof(txt));
	snprintf(c->error_msg, sizeof(c->error_msg),
		 "bt: %u-bit code at %04x:%016llx: '%s' is not implemented by the bt engine",
		 bt_code_bits(c), c->seg[X86_CS].sel, (unsigned long long)c->rip, txt);
	c->next_rip = c->rip; /* the instruction did not run */
	c->stop_block = true;
}

bool bt_interp_long(struct bt_cpu *c, const struct bt_insn *in)
{
	switch (in->id) {
	case X86_INS_SYSCALL:
		c->helper[BT_H_INT].count++;
		syscall64(c);
		return true;
	case X86_INS_SYSRET:
		c->helper[BT_H_IRET].count++;
		sysret64(c, in->osz);
		return true;
	case X86_INS_SWAPGS: {
		if (!bt_lm64(c))
			bt_raise_ud(c);
		bt_need_cpl0(c);
		uint64_t t = c->seg[X86_GS].base;
		c->seg[X86_GS].base = c->msr.kernel_gs_base;
		c->msr.kernel_gs_base = t;
		bt_mode_changed(c);
		return true;
	}
	case X86_INS_RDTSCP: {
		if ((c->cr4 & X86_CR4_TSD) && c->cpl != 0)
			bt_raise_gp(c, 0);
		c->helper[BT_H_RDTSC].count++;
		uint64_t t = bt_rdtsc(c);
		bt_reg_write(c, X86_RAX, 4, t);
		bt_reg_write(c, X86_RDX, 4, t >> 32);
		bt_reg_write(c, X86_RCX, 4, c->msr.tsc_aux);
		return true;
	}
	default:
		return false;
	}
}

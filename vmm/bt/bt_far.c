/* bt_far.c: far JMP, CALL and RET for the bt engine: real mode, protected
 * mode to code segments (conforming and not) and through call gates with a
 * privilege change and parameter copy (SDM 3A 5.8.4-5.8.6). Task switches
 * through TSS descriptors and task gates are not supported. */
#include <stdio.h>
#include <string.h>

#include "vmm/bt/bt_internal.h"

void bt_load_cs(struct bt_cpu *c, uint16_t sel, uint64_t desc, unsigned cpl)
{
	struct x86_seg cs;
	bt_mode_changed(c);
	bt_seg_decode(c, &cs, sel, desc);
	bt_desc_set_accessed(c, sel, desc);
	cs.type |= 1;
	cs.sel = (uint16_t)((sel & 0xfffc) | cpl);
	c->seg[X86_CS] = cs;
	c->cpl = cpl;
}

static void real_cs(struct bt_cpu *c, uint16_t sel)
{
	bt_mode_changed(c);
	c->seg[X86_CS].sel = sel;
	c->seg[X86_CS].base = (uint32_t)sel << 4;
}

VMM_NORETURN static void unsupported(struct bt_cpu *c, const char *what)
{
	snprintf(c->shutdown_msg, sizeof(c->shutdown_msg), "bt: %s is not supported", what);
	c->shutdown = true;
	bt_raise_gp(c, 0); /* the run loop sees shutdown first */
}

/* Whether (off) is a valid entry into code segment (cs): inside the limit,
 * or for a 64-bit segment in IA-32e mode canonical (and L with D is
 * invalid there, SDM 3A 5.2.1). */
static bool target_ok(const struct bt_cpu *c, const struct x86_seg *cs, uint64_t off)
{
	if ((c->efer & X86_EFER_LMA) && cs->l)
		return !cs->db && bt_canonical(off);
	return off <= cs->limit;
}

/* Where a protected-mode far JMP or CALL to (sel) goes (SDM 2A JMP, CALL:
 * the same selector checks for both): true for a code segment, which
 * passed the checks of a direct transfer at the same privilege (*d its
 * descriptor, *off cut to the operand size and checked against the limit);
 * false for a system descriptor (in *cs: a gate or a task), which the
 * caller handles. */
static bool far_direct(struct bt_cpu *c, uint16_t sel, uint64_t *off, unsigned osz, uint64_t *d,
		       struct x86_seg *cs)
{
	uint32_t err = sel & 0xfffc;
	if (err == 0)
		bt_raise_gp(c, 0);
	*d = bt_desc_read(c, sel, X86_EXC_GP);
	bt_seg_decode(c, cs, sel, *d);
	if (!cs->s)
		return false;
	if (!(cs->type & 8))
		bt_raise_gp(c, err);
	if (cs->type & 4) {
		if (cs->dpl > c->cpl)
			bt_raise_gp(c, err);
	} else if ((sel & 3u) > c->cpl || cs->dpl != c->cpl) {
		bt_raise_gp(c, err);
	}
	if (!cs->present)
		bt_raise(c, X86_EXC_NP, err, true);
	if (osz == 2)
		*off &= 0xffff;
	if (!target_ok(c, cs, *off))
		bt_raise_gp(c, 0);
	return true;
}

struct gate {
	uint16_t sel;
	uint32_t off;
	unsigned params;
	bool g32;
	uint64_t cd;         /* target code descriptor */
	struct x86_seg cs;
};

/* Resolve call gate (sel, gd) to its target code segment. */
static void read_gate(struct bt_cpu *c, uint16_t sel, uint64_t gd, struct gate *g)
{
	uint32_t err = sel & 0xfffc;
	unsigned gdpl = (gd >> 45) & 3;
	if (gdpl < c->cpl || gdpl < (sel & 3u))
		bt_raise_gp(c, err);
	if (!((gd >> 47) & 1))
		bt_raise(c, X86_EXC_NP, err, true);
	g->g32 = ((gd >> 40) & 0xf) == 12;
	g->sel = (uint16_t)(gd >> 16);
	g->off = (uint32_t)((gd & 0xffff) | (g->g32 ? (gd >> 32) & 0xffff0000u : 0));
	g->params = (gd >> 32) & 0x1f;
	if ((g->sel & ~3u) == 0)
		bt_raise_gp(c, 0);
	g->cd = bt_desc_read(c, g->sel, X86_EXC_GP);
	bt_seg_decode(c, &g->cs, g->sel, g->cd);
	if (!g->cs.s || !(g->cs.type & 8) || g->cs.dpl > c->cpl)
		bt_raise_gp(c, g->sel & 0xfffc);
	if (!g->cs.present)
		bt_raise(c, X86_EXC_NP, g->sel & 0xfffc, true);
}

/* The gate's entry point, checked against its code segment's limit. */
static uint32_t gate_eip(struct bt_cpu *c, const struct gate *g)
{
	uint32_t eip = g->g32 ? g->off : g->off & 0xffff;
	if (eip > g->cs.limit)
		bt_raise_gp(c, 0);
	return eip;
}

void bt_far_jmp(struct bt_cpu *c, uint16_t sel, uint64_t off, unsigned osz)
{
	c->helper[BT_H_FAR].count++;
	if (!bt_pe(c) || (c->eflags & X86_FLAGS_VM)) {
		real_cs(c, sel);
		c->next_eip = osz == 2 ? off & 0xffff : off;
		return;
	}
	uint64_t d;
	struct x86_seg cs;
	if (far_direct(c, sel, &off, osz, &d, &cs)) {
		bt_load_cs(c, sel, d, c->cpl);
		c->next_rip = off;
		return;
	}
	unsigned type = cs.type;
	if ((type == 4 || type == 12) && (c->efer & X86_EFER_LMA))
		unsupported(c, "a far JMP through a call gate in IA-32e mode");
	if (type == 4 || type == 12) {
		struct gate g;
		read_gate(c, sel, d, &g);
		if (!(g.cs.type & 4) && g.cs.dpl != c->cpl)
			bt_raise_gp(c, g.sel & 0xfffc);
		uint32_t eip = gate_eip(c, &g);
		bt_load_cs(c, g.sel, g.cd, c->cpl);
		c->next_eip = eip;
		return;
	}
	if (type == 5 || type == 1 || type == 9)
		unsupported(c, "a far JMP to a task (task switch)");
	bt_raise_gp(c, sel & 0xfffc);
}

/* Push (v[0..n)) of (size) bytes on SS:ESP, all or nothing. */
static void push_frame(struct bt_cpu *c, const uint64_t *v, unsigned n, unsigned size)
{
	uint64_t mask = bt_sp_mask(c);
	uint64_t sp = c->gpr[X86_RSP] & mask;
	uint64_t lo = (sp - n * size) & mask;
	uint64_t lin = bt_vaddr(c, X86_SS, lo, n * size, BT_ACC_W);
	bt_probe_write(c, lin, n * size, c->cpl == 3);
	for (unsigned i = 0; i < n; i++) {
		sp = (sp - size) & mask;
		bt_write(c, X86_SS, sp, v[i], size);
	}
	c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | sp;
}

static void call_gate_inner(struct bt_cpu *c, const struct gate *g, uint32_t eip)
{
	/* SDM 3A 5.8.5: switch to the inner stack and copy (params) words */
	unsigned size = g->g32 ? 4 : 2;
	uint16_t nss;
	uint32_t nesp;
	unsigned dpl = g->cs.dpl;
	bt_tss_stack(c, dpl, &nss, &nesp, 0);
	struct x86_seg ss;
	bt_check_new_ss(c, nss, dpl, &ss, X86_EXC_TS, 0);
	uint32_t frame[36];
	unsigned n = 0;
	frame[n++] = c->seg[X86_SS].sel;
	frame[n++] = c->gpr[X86_RSP];
	uint32_t omask = bt_sp_mask(c);
	for (unsigned i = g->params; i > 0; i--)
		frame[n++] = (uint32_t)bt_read(c, X86_SS,
					       (c->gpr[X86_RSP] + (i - 1) * size) & omask, size);
	frame[n++] = c->seg[X86_CS].sel;
	frame[n++] = c->next_eip;
	uint32_t mask = ss.db ? 0xffffffffu : 0xffffu;
	uint32_t sp = nesp & mask;
	uint32_t lo = (sp - n * size) & mask;
	bt_probe_write(c, (uint32_t)ss.base + lo, n * size, dpl == 3);
	for (unsigned i = 0; i < n; i++) {
		sp = (sp - size) & mask;
		bt_lwrite(c, (uint32_t)ss.base + sp, frame[i], size, dpl == 3);
	}
	c->seg[X86_SS] = ss;
	bt_mode_changed(c);
	c->gpr[X86_RSP] = (nesp & ~mask) | sp;
	bt_load_cs(c, g->sel, g->cd, dpl);
	c->next_eip = eip;
}

void bt_far_call(struct bt_cpu *c, uint16_t sel, uint64_t off, unsigned osz)
{
	c->helper[BT_H_FAR].count++;
	if (!bt_pe(c) || (c->eflags & X86_FLAGS_VM)) {
		uint64_t v[2] = { c->seg[X86_CS].sel, c->next_eip };
		push_frame(c, v, 2, osz);
		real_cs(c, sel);
		c->next_eip = osz == 2 ? off & 0xffff : off;
		return;
	}
	uint64_t d;
	struct x86_seg cs;
	if (far_direct(c, sel, &off, osz, &d, &cs)) {
		uint64_t v[2] = { c->seg[X86_CS].sel, bt_next_ip(c) };
		push_frame(c, v, 2, osz);
		bt_load_cs(c, sel, d, c->cpl);
		c->next_rip = off;
		return;
	}
	unsigned type = cs.type;
	if ((type == 4 || type == 12) && (c->efer & X86_EFER_LMA))
		unsupported(c, "a far CALL through a call gate in IA-32e mode");
	if (type == 4 || type == 12) {
		struct gate g;
		read_gate(c, sel, d, &g);
		uint32_t eip = gate_eip(c, &g);
		if (!(g.cs.type & 4) && g.cs.dpl < c->cpl) {
			call_gate_inner(c, &g, eip);
			return;
		}
		unsigned size = g.g32 ? 4 : 2;
		uint64_t v[2] = { c->seg[X86_CS].sel, c->next_eip };
		push_frame(c, v, 2, size);
		bt_load_cs(c, g.sel, g.cd, c->cpl);
		c->next_eip = eip;
		return;
	}
	if (type == 5 || type == 1 || type == 9)
		unsupported(c, "a far CALL to a task (task switch)");
	bt_raise_gp(c, sel & 0xfffc);
}

void bt_far_ret(struct bt_cpu *c, unsigned osz, uint16_t imm)
{
	c->helper[BT_H_FAR].count++;
	uint64_t mask = bt_sp_mask(c);
	uint64_t sp = c->gpr[X86_RSP] & mask;
	uint64_t ip = bt_read(c, X86_SS, sp, osz);
	uint16_t sel = (uint16_t)bt_read(c, X86_SS, (sp + osz) & mask, 2);
	if (osz == 2)
		ip &= 0xffff;
	if (!bt_pe(c) || (c->eflags & X86_FLAGS_VM)) {
		real_cs(c, sel);
		c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | ((sp + 2 * osz + imm) & mask);
		c->next_eip = ip;
		return;
	}
	if ((sel & ~3u) == 0)
		bt_raise_gp(c, 0);
	uint64_t d = bt_desc_read(c, sel, X86_EXC_GP);
	struct x86_seg cs;
	bt_seg_decode(c, &cs, sel, d);
	unsigned rpl = sel & 3;
	uint32_t err = sel & 0xfffc;
	if (!cs.s || !(cs.type & 8) || rpl < c->cpl)
		bt_raise_gp(c, err);
	if ((cs.type & 4) ? cs.dpl > rpl : cs.dpl != rpl)
		bt_raise_gp(c, err);
	if (!cs.present)
		bt_raise(c, X86_EXC_NP, err, true);
	if (!target_ok(c, &cs, ip))
		bt_raise_gp(c, 0);
	if (rpl > c->cpl) {
		if (c->efer & X86_EFER_LMA)
			unsupported(c, "a far RET to an outer privilege level in IA-32e mode");
		uint32_t at = (uint32_t)((sp + 2 * osz + imm) & mask);
		uint32_t nesp = (uint32_t)bt_read(c, X86_SS, at, osz);
		uint16_t nss = (uint16_t)bt_read(c, X86_SS, (at + osz) & mask, 2);
		struct x86_seg ss;
		bt_check_new_ss(c, nss, rpl, &ss, X86_EXC_GP, 0);
		bt_load_cs(c, sel, d, rpl);
		c->seg[X86_SS] = ss;
		bt_mode_changed(c);
		uint32_t nmask = ss.db ? 0xffffffffu : 0xffffu;
		c->gpr[X86_RSP] = (nesp & ~nmask) | ((nesp + imm) & nmask);
		bt_null_outer_segs(c);
	} else {
		bt_load_cs(c, sel, d, c->cpl);
		c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | ((sp + 2 * osz + imm) & mask);
	}
	c->next_rip = ip;
}

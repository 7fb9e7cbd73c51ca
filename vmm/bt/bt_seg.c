/* bt_seg.c: segmentation for the bt engine: segment-checked memory access
 * (limits, expand-down, type and null checks; SDM 3A 5.3-5.6), the stack,
 * descriptor table reads, segment register loads with their protection
 * checks, LTR/LLDT, LAR/LSL/VERR/VERW, SYSENTER/SYSEXIT. */
#include <string.h>

#include "vmm/bt/bt_internal.h"

#define TYPE_CODE 0x8
#define TYPE_CONFORMING 0x4 /* code */
#define TYPE_READABLE 0x2   /* code */
#define TYPE_EXPDOWN 0x4    /* data */
#define TYPE_WRITABLE 0x2   /* data */

static inline bool vm86(const struct bt_cpu *c)
{
	return c->eflags & X86_FLAGS_VM;
}

VMM_NORETURN static void seg_fault(struct bt_cpu *c, unsigned sreg)
{
	bt_raise(c, sreg == X86_SS ? X86_EXC_SS : X86_EXC_GP, 0, true);
}

uint64_t bt_vaddr(struct bt_cpu *c, unsigned sreg, uint64_t off, unsigned size, enum bt_acc acc)
{
	const struct x86_seg *s = &c->seg[sreg];
	if (VMM_UNLIKELY(bt_lm64(c))) {
		/* SDM 3A 3.2.4: no limits; only FS and GS have a base */
		uint64_t lin = off + (sreg == X86_FS || sreg == X86_GS ? s->base : 0);
		if (!bt_canonical(lin) || !bt_canonical(lin + size - 1))
			seg_fault(c, sreg);
		return lin;
	}
	uint64_t last = off + size - 1;
	if (VMM_LIKELY(bt_pe(c) && !vm86(c))) {
		if (VMM_UNLIKELY(s->unusable || !s->present))
			seg_fault(c, sreg);
		if (s->type & TYPE_CODE) {
			if (acc == BT_ACC_W || !(s->type & TYPE_READABLE))
				seg_fault(c, sreg);
		} else {
			if (acc == BT_ACC_W && !(s->type & TYPE_WRITABLE))
				seg_fault(c, sreg);
			if (s->type & TYPE_EXPDOWN) {
				uint64_t upper = s->db ? 0xffffffffull : 0xffffull;
				if (off <= s->limit || last > upper)
					seg_fault(c, sreg);
				return (uint32_t)(s->base + off);
			}
		}
	}
	if (VMM_UNLIKELY(last > s->limit))
		seg_fault(c, sreg);
	return (uint32_t)(s->base + off);
}

uint64_t bt_read(struct bt_cpu *c, unsigned sreg, uint64_t off, unsigned size)
{
	uint64_t lin = bt_vaddr(c, sreg, off, size, BT_ACC_R);
	return bt_lread(c, lin, size, c->cpl == 3);
}

void bt_write(struct bt_cpu *c, unsigned sreg, uint64_t off, uint64_t v, unsigned size)
{
	uint64_t lin = bt_vaddr(c, sreg, off, size, BT_ACC_W);
	bt_lwrite(c, lin, v, size, c->cpl == 3);
}

void bt_push(struct bt_cpu *c, uint64_t v, unsigned size)
{
	uint64_t mask = bt_sp_mask(c);
	uint64_t sp = (c->gpr[X86_RSP] - size) & mask;
	bt_write(c, X86_SS, sp, v, size);
	c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | sp;
}

uint64_t bt_pop(struct bt_cpu *c, unsigned size)
{
	uint64_t mask = bt_sp_mask(c);
	uint64_t sp = c->gpr[X86_RSP] & mask;
	uint64_t v = bt_read(c, X86_SS, sp, size);
	c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | ((sp + size) & mask);
	return v;
}

uint64_t bt_desc_read(struct bt_cpu *c, uint16_t sel, unsigned vec)
{
	uint32_t idx = sel & ~7u;
	uint64_t base;
	uint32_t limit;
	if (sel & 4) {
		if (c->ldt.unusable || !c->ldt.present)
			bt_raise(c, vec, sel & 0xfffc, true);
		base = c->ldt.base;
		limit = c->ldt.limit;
	} else {
		base = c->gdt.base;
		limit = c->gdt.limit;
	}
	if (idx + 7 > limit)
		bt_raise(c, vec, sel & 0xfffc, true);
	return bt_sread(c, bt_tbl_lin(c, base, idx), 8);
}

void bt_desc_set_accessed(struct bt_cpu *c, uint16_t sel, uint64_t desc)
{
	if (desc & (1ull << 40))
		return;
	uint64_t base = (sel & 4) ? c->ldt.base : c->gdt.base;
	uint64_t lin = bt_tbl_lin(c, base, (sel & ~7u) + 5);
	bt_swrite(c, lin, ((desc >> 40) & 0xff) | 1, 1);
}

void bt_seg_decode(struct bt_cpu *c, struct x86_seg *seg, uint16_t sel, uint64_t desc)
{
	/* a few descriptors are loaded over and over (kernel/user data on
	 * every exception): decode each once */
	struct bt_desc_cache *e = &c->desc_cache[(desc ^ (desc >> 40)) % VMM_ARRAY_SIZE(c->desc_cache)];
	if (e->valid && e->raw == desc) {
		*seg = e->seg;
	} else {
		x86_seg_from_desc(seg, sel, desc);
		e->raw = desc;
		e->seg = *seg;
		e->valid = true;
	}
	seg->sel = sel;
}

/* What the mode key sees of a segment (bt_mode_key): flat for CS, DS, ES,
 * SS; usable with a 4 GiB limit for FS, GS. */
bool bt_seg_key_class(unsigned sreg, const struct x86_seg *s)
{
	if (s->unusable || !s->present || s->limit != 0xffffffffu)
		return false;
	if (sreg == X86_FS || sreg == X86_GS)
		return (s->type & 0xe) == 0x2;
	return !s->base && (s->type & 0xe) == 0x2;
}

static void seg_null(struct x86_seg *s, uint16_t sel)
{
	memset(s, 0, sizeof(*s));
	s->sel = sel;
	s->unusable = 1;
}

void bt_load_seg(struct bt_cpu *c, unsigned sreg, uint16_t sel)
{
	struct x86_seg *s = &c->seg[sreg];
	bool was = bt_seg_key_class(sreg, s);
	c->helper[BT_H_SEG].count++;
	if (!bt_pe(c) || vm86(c)) {
		bt_mode_changed(c);
		/* real mode and vm86: only the selector and base change */
		s->sel = sel;
		s->base = (uint32_t)sel << 4;
		if (vm86(c)) {
			s->limit = 0xffff;
			s->dpl = 3;
		}
		s->unusable = 0;
		s->present = 1;
		if (sreg == X86_SS)
			c->int_shadow = 1;
		return;
	}
	unsigned rpl = sel & 3;
	if ((sel & ~3u) == 0) {
		/* a null SS is allowed in 64-bit mode below CPL 3 (SDM 3A 5.4.1.1) */
		if (sreg == X86_SS && !(bt_lm64(c) && c->cpl < 3 && rpl == c->cpl))
			bt_raise_gp(c, 0);
		seg_null(s, sel);
		if (was)
			bt_mode_changed(c);
		return;
	}
	uint64_t d = bt_desc_read(c, sel, X86_EXC_GP);
	struct x86_seg n;
	bt_seg_decode(c, &n, sel, d);
	uint32_t err = sel & 0xfffc;
	if (!n.s)
		bt_raise_gp(c, err);
	if (sreg == X86_SS) {
		if (rpl != c->cpl || n.dpl != c->cpl || (n.type & TYPE_CODE) ||
		    !(n.type & TYPE_WRITABLE))
			bt_raise_gp(c, err);
		if (!n.present)
			bt_raise(c, X86_EXC_SS, err, true);
		c->int_shadow = 1;
	} else {
		if ((n.type & (TYPE_CODE | TYPE_READABLE)) == TYPE_CODE)
			bt_raise_gp(c, err); /* execute-only code */
		bool conforming = (n.type & (TYPE_CODE | TYPE_CONFORMING)) ==
				  (TYPE_CODE | TYPE_CONFORMING);
		if (!conforming && (rpl > n.dpl || c->cpl > n.dpl))
			bt_raise_gp(c, err);
		if (!n.present)
			bt_raise(c, X86_EXC_NP, err, true);
	}
	bt_desc_set_accessed(c, sel, d);
	n.type |= 1;
	*s = n;
	if (bt_seg_key_class(sreg, s) != was)
		bt_mode_changed(c);
}

void bt_update_mode(struct bt_cpu *c)
{
	bt_mode_changed(c);
	if (!bt_pe(c))
		c->cpl = 0;
	else if (vm86(c))
		c->cpl = 3;
	/* in protected mode CPL is set by whoever loads CS */
}

/* In IA-32e mode LDT and TSS descriptors are 16 bytes: the second half
 * holds base bits 63:32 (SDM 3A 7.2.3). */
static void sys_desc_hi(struct bt_cpu *c, uint16_t sel, struct x86_seg *n)
{
	if (!(c->efer & X86_EFER_LMA))
		return;
	uint32_t idx = (sel & ~7u) + 8;
	if (idx + 7 > c->gdt.limit)
		bt_raise_gp(c, sel & 0xfffc);
	uint64_t hi = bt_sread(c, bt_tbl_lin(c, c->gdt.base, idx), 8);
	n->base |= (hi & 0xffffffffull) << 32;
}

void bt_ltr(struct bt_cpu *c, uint16_t sel)
{
	bt_need_cpl0(c);
	if ((sel & ~3u) == 0 || (sel & 4))
		bt_raise_gp(c, sel & 0xfffc);
	uint64_t d = bt_desc_read(c, sel, X86_EXC_GP);
	struct x86_seg n;
	bt_seg_decode(c, &n, sel, d);
	if (n.s || (n.type != 1 && n.type != 9))
		bt_raise_gp(c, sel & 0xfffc);
	if (!n.present)
		bt_raise(c, X86_EXC_NP, sel & 0xfffc, true);
	sys_desc_hi(c, sel, &n);
	/* mark it busy (SDM 3A 7.2.4) */
	bt_swrite(c, bt_tbl_lin(c, c->gdt.base, (sel & ~7u) + 5), ((d >> 40) & 0xff) | 2, 1);
	n.type |= 2;
	c->tr = n;
}

void bt_lldt(struct bt_cpu *c, uint16_t sel)
{
	bt_need_cpl0(c);
	if ((sel & ~3u) == 0) {
		seg_null(&c->ldt, sel);
		return;
	}
	if (sel & 4)
		bt_raise_gp(c, sel & 0xfffc);
	uint64_t d = bt_desc_read(c, sel, X86_EXC_GP);
	struct x86_seg n;
	bt_seg_decode(c, &n, sel, d);
	if (n.s || n.type != 2)
		bt_raise_gp(c, sel & 0xfffc);
	if (!n.present)
		bt_raise(c, X86_EXC_NP, sel & 0xfffc, true);
	sys_desc_hi(c, sel, &n);
	c->ldt = n;
}

/* Descriptor for LAR/LSL/VERR/VERW, or false (ZF=0) if it cannot be read. */
static bool desc_peek(struct bt_cpu *c, uint16_t sel, uint64_t *d)
{
	if ((sel & ~3u) == 0)
		return false;
	uint32_t idx = sel & ~7u;
	if (sel & 4) {
		if (c->ldt.unusable || idx + 7 > c->ldt.limit)
			return false;
		*d = bt_sread(c, bt_tbl_lin(c, c->ldt.base, idx), 8);
	} else {
		if (idx + 7 > c->gdt.limit)
			return false;
		*d = bt_sread(c, bt_tbl_lin(c, c->gdt.base, idx), 8);
	}
	return true;
}

static void set_zf(struct bt_cpu *c, bool z)
{
	c->eflags = (c->eflags & ~(uint32_t)X86_FLAGS_ZF) | (z ? X86_FLAGS_ZF : 0);
}

void bt_lar_lsl(struct bt_cpu *c, const struct bt_insn *in, bool lsl)
{
	if (!bt_pe(c) || vm86(c))
		bt_raise_ud(c);
	uint16_t sel = (uint16_t)bt_op_read(c, in, &in->op[1]);
	uint64_t d;
	if (!desc_peek(c, sel, &d)) {
		set_zf(c, false);
		return;
	}
	struct x86_seg n;
	bt_seg_decode(c, &n, sel, d);
	if (!n.s) {
		static const uint16_t lar_ok = 0x1a3e; /* types 1-5, 9, 11, 12 */
		static const uint16_t lsl_ok = 0x0a0e; /* types 1-3, 9, 11 */
		if (!(((lsl ? lsl_ok : lar_ok) >> n.type) & 1)) {
			set_zf(c, false);
			return;
		}
	}
	bool conforming = n.s && (n.type & (TYPE_CODE | TYPE_CONFORMING)) ==
					 (TYPE_CODE | TYPE_CONFORMING);
	if (!conforming && (n.dpl < c->cpl || n.dpl < (sel & 3u))) {
		set_zf(c, false);
		return;
	}
	uint32_t v = lsl ? n.limit : (uint32_t)(d >> 32) & 0x00f0ff00u;
	bt_op_write(c, in, &in->op[0], in->osz == 2 ? (v & 0xffff) : v);
	set_zf(c, true);
}

void bt_verr_verw(struct bt_cpu *c, uint16_t sel, bool write)
{
	if (!bt_pe(c) || vm86(c))
		bt_raise_ud(c);
	uint64_t d;
	if (!desc_peek(c, sel, &d)) {
		set_zf(c, false);
		return;
	}
	struct x86_seg n;
	bt_seg_decode(c, &n, sel, d);
	bool ok = n.s;
	bool code = n.type & TYPE_CODE;
	bool conforming = code && (n.type & TYPE_CONFORMING);
	if (ok && !conforming && (n.dpl < c->cpl || n.dpl < (sel & 3u)))
		ok = false;
	if (ok && write)
		ok = !code && (n.type & TYPE_WRITABLE);
	if (ok && !write)
		ok = !code || (n.type & TYPE_READABLE);
	set_zf(c, ok);
}

void bt_sysenter(struct bt_cpu *c)
{
	uint16_t cs = (uint16_t)c->msr.sysenter_cs;
	if (!bt_pe(c) || (cs & ~3u) == 0)
		bt_raise_gp(c, 0);
	c->eflags &= ~(uint32_t)(X86_FLAGS_VM | X86_FLAGS_IF | X86_FLAGS_RF);
	bt_mode_changed(c);
	x86_seg_flat(&c->seg[X86_CS], cs & 0xfffc, true, false);
	x86_seg_flat(&c->seg[X86_SS], (cs + 8) & 0xfffc, false, false);
	c->cpl = 0;
	c->gpr[X86_RSP] = (uint32_t)c->msr.sysenter_esp;
	c->next_eip = (uint32_t)c->msr.sysenter_eip;
}

void bt_sysexit(struct bt_cpu *c)
{
	uint16_t cs = (uint16_t)c->msr.sysenter_cs;
	if (!bt_pe(c) || vm86(c) || c->cpl != 0 || (cs & ~3u) == 0)
		bt_raise_gp(c, 0);
	bt_mode_changed(c);
	x86_seg_flat(&c->seg[X86_CS], (uint16_t)((cs + 16) | 3), true, false);
	c->seg[X86_CS].dpl = 3;
	x86_seg_flat(&c->seg[X86_SS], (uint16_t)((cs + 24) | 3), false, false);
	c->seg[X86_SS].dpl = 3;
	c->cpl = 3;
	c->gpr[X86_RSP] = c->gpr[X86_RCX];
	c->next_eip = c->gpr[X86_RDX];
}

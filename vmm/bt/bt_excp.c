/* bt_excp.c: exceptions and interrupts for the bt engine: raising (longjmp
 * to the run loop with the state at the faulting instruction), delivery
 * through the real-mode IVT or the protected-mode IDT with interrupt/trap
 * gates and a privilege change through the TSS (SDM 3A 6.12), the double
 * fault and triple fault rules (SDM 3A 6.15, table 6-5), and IRET. */
#include <stdio.h>
#include <string.h>

#include "vmm/bt/bt_internal.h"

void bt_raise(struct bt_cpu *c, unsigned vec, uint32_t err, bool has_err)
{
	c->exc_vector = (int)vec;
	c->exc_error = err;
	c->exc_has_error = has_err;
	c->exc_soft = false;
	longjmp(*c->jmp, 1);
}

void bt_raise_gp(struct bt_cpu *c, uint32_t err)
{
	bt_raise(c, X86_EXC_GP, err, true);
}

void bt_raise_ud(struct bt_cpu *c)
{
	bt_raise(c, X86_EXC_UD, 0, false);
}

void bt_raise_soft(struct bt_cpu *c, unsigned vec)
{
	c->exc_vector = (int)vec;
	c->exc_error = 0;
	c->exc_has_error = false;
	c->exc_soft = true;
	longjmp(*c->jmp, 1);
}

/* ---- delivery ---- */

#define event bt_event

static uint32_t ext_bit(const struct event *e)
{
	return e->ext ? 1u : 0u;
}

static void deliver_real(struct bt_cpu *c, const struct event *e)
{
	uint32_t ent = e->vec * 4;
	if (ent + 3 > c->idt.limit)
		bt_raise_gp(c, ent + 2);
	uint32_t v = (uint32_t)bt_sread(c, bt_tbl_lin(c, c->idt.base, ent), 4);
	uint32_t mask = bt_sp_mask(c);
	uint32_t sp = c->gpr[X86_RSP];
	uint32_t lin_base = (uint32_t)c->seg[X86_SS].base;
	uint16_t words[3] = { (uint16_t)c->eflags, c->seg[X86_CS].sel, (uint16_t)e->ret };
	for (unsigned i = 0; i < 3; i++) {
		sp = (sp - 2) & mask;
		bt_lwrite(c, lin_base + sp, words[i], 2, false);
	}
	c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | sp;
	c->eflags &= ~(uint32_t)(X86_FLAGS_IF | X86_FLAGS_TF | X86_FLAGS_AC | X86_FLAGS_RF);
	struct x86_seg *cs = &c->seg[X86_CS];
	cs->sel = (uint16_t)(v >> 16);
	cs->base = (uint32_t)cs->sel << 4;
	c->rip = v & 0xffff;
}

/* Push (n) values of (size) bytes at SS(base, mask):ESP = (*sp) with
 * privilege (user) accesses; (*sp) is updated. */
static void push_list(struct bt_cpu *c, uint32_t base, uint32_t mask, uint32_t *sp,
		      const uint32_t *v, unsigned n, unsigned size, bool user)
{
	uint32_t s = *sp;
	/* check the whole frame first: a fault must not leave half a frame */
	uint32_t lo = (s - n * size) & mask;
	bt_probe_write(c, base + lo, n * size, user);
	for (unsigned i = 0; i < n; i++) {
		s = (s - size) & mask;
		bt_lwrite(c, base + s, v[i], size, user);
	}
	*sp = s;
}

/* Read SS:ESP for privilege (dpl) from the current TSS (SDM 3A 7.2.1). */
void bt_tss_stack(struct bt_cpu *c, unsigned dpl, uint16_t *ss, uint32_t *esp, uint32_t ext)
{
	const struct x86_seg *tr = &c->tr;
	bool tss32 = tr->type & 8;
	uint32_t off = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
	unsigned sz = tss32 ? 4 : 2;
	if (tr->unusable || !tr->present || off + sz * 2 - 1 > tr->limit)
		bt_raise(c, X86_EXC_TS, (tr->sel & 0xfffc) | ext, true);
	*esp = (uint32_t)bt_sread(c, bt_tbl_lin(c, tr->base, off), sz);
	*ss = (uint16_t)bt_sread(c, bt_tbl_lin(c, tr->base, off + sz), 2);
}

/* Load and check the inner stack segment for a privilege change to (dpl). */
void bt_check_new_ss(struct bt_cpu *c, uint16_t ss, unsigned dpl, struct x86_seg *out,
		     unsigned vec, uint32_t ext)
{
	uint32_t err = (ss & 0xfffc) | ext;
	if ((ss & ~3u) == 0)
		bt_raise(c, vec, ext, true);
	uint64_t d = bt_desc_read(c, ss, vec);
	bt_seg_decode(c, out, ss, d);
	if ((ss & 3u) != dpl || out->dpl != dpl || !out->s || (out->type & 8) ||
	    !(out->type & 2))
		bt_raise(c, vec, err, true);
	if (!out->present)
		bt_raise(c, X86_EXC_SS, err, true);
	bt_desc_set_accessed(c, ss, d);
	out->type |= 1;
}

/* After a return to an outer privilege level: data segments the new CPL may
 * not use become null (SDM 3A 5.8.6, RET step). */
void bt_null_outer_segs(struct bt_cpu *c)
{
	static const unsigned segs[] = { X86_ES, X86_DS, X86_FS, X86_GS };
	for (unsigned i = 0; i < 4; i++) {
		struct x86_seg *s = &c->seg[segs[i]];
		bool conforming_code = (s->type & 0xc) == 0xc;
		if (!s->unusable && (!s->s || !conforming_code) && s->dpl < c->cpl) {
			uint16_t sel = s->sel;
			if (bt_seg_key_class(segs[i], s))
				bt_mode_changed(c);
			memset(s, 0, sizeof(*s));
			s->sel = sel;
			s->unusable = 1;
		}
	}
}

static void deliver_prot(struct bt_cpu *c, const struct event *e)
{
	uint32_t ext = ext_bit(e);
	uint32_t ent = e->vec * 8;
	uint32_t gate_err = ent | 2 | ext;
	if (ent + 7 > c->idt.limit)
		bt_raise_gp(c, gate_err);
	uint64_t g = bt_sread(c, bt_tbl_lin(c, c->idt.base, ent), 8);
	unsigned type = (g >> 40) & 0x1f, gdpl = (g >> 45) & 3;
	if (type != 6 && type != 7 && type != 14 && type != 15) {
		if (type == 5) {
			snprintf(c->shutdown_msg, sizeof(c->shutdown_msg),
				 "bt: task gates are not supported (vector %u)", e->vec);
			c->shutdown = true;
			return;
		}
		bt_raise_gp(c, gate_err);
	}
	if (e->soft && gdpl < c->cpl)
		bt_raise_gp(c, ent | 2);
	if (!((g >> 47) & 1))
		bt_raise(c, X86_EXC_NP, gate_err, true);
	bool gate32 = type & 8;
	uint16_t sel = (uint16_t)(g >> 16);
	uint32_t off = (uint32_t)((g & 0xffff) | (gate32 ? (g >> 32) & 0xffff0000u : 0));
	if ((sel & ~3u) == 0)
		bt_raise_gp(c, ext);
	uint64_t d = bt_desc_read(c, sel, X86_EXC_GP);
	struct x86_seg cs;
	bt_seg_decode(c, &cs, sel, d);
	uint32_t sel_err = (sel & 0xfffc) | ext;
	if (!cs.s || !(cs.type & 8) || cs.dpl > c->cpl)
		bt_raise_gp(c, sel_err);
	if (!cs.present)
		bt_raise(c, X86_EXC_NP, sel_err, true);
	if (c->eflags & X86_FLAGS_VM) {
		snprintf(c->shutdown_msg, sizeof(c->shutdown_msg),
			 "bt: interrupts from virtual-8086 mode are not supported (vector %u)",
			 e->vec);
		c->shutdown = true;
		return;
	}
	unsigned size = gate32 ? 4 : 2;
	uint32_t frame[6];
	unsigned n = 0;
	unsigned new_cpl = c->cpl;
	bool conforming = cs.type & 4;
	if (!conforming && cs.dpl < c->cpl) {
		/* inter-privilege: switch to the stack for cs.dpl from the TSS */
		uint16_t nss;
		uint32_t nesp;
		bt_tss_stack(c, cs.dpl, &nss, &nesp, ext);
		struct x86_seg ss;
		bt_check_new_ss(c, nss, cs.dpl, &ss, X86_EXC_TS, ext);
		frame[n++] = c->seg[X86_SS].sel;
		frame[n++] = c->gpr[X86_RSP];
		frame[n++] = c->eflags;
		frame[n++] = c->seg[X86_CS].sel;
		frame[n++] = e->ret;
		if (e->has_err)
			frame[n++] = e->err;
		uint32_t mask = ss.db ? 0xffffffffu : 0xffffu;
		uint32_t sp = nesp & mask;
		new_cpl = cs.dpl;
		push_list(c, (uint32_t)ss.base, mask, &sp, frame, n, size, new_cpl == 3);
		c->seg[X86_SS] = ss;
		c->gpr[X86_RSP] = (nesp & ~mask) | sp;
	} else {
		frame[n++] = c->eflags;
		frame[n++] = c->seg[X86_CS].sel;
		frame[n++] = e->ret;
		if (e->has_err)
			frame[n++] = e->err;
		uint32_t mask = bt_sp_mask(c);
		uint32_t sp = c->gpr[X86_RSP] & mask;
		push_list(c, (uint32_t)c->seg[X86_SS].base, mask, &sp, frame, n, size,
			  c->cpl == 3);
		c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | sp;
	}
	if (!gate32)
		off &= 0xffff;
	bt_desc_set_accessed(c, sel, d);
	cs.type |= 1;
	cs.sel = (uint16_t)((sel & 0xfffc) | new_cpl);
	c->seg[X86_CS] = cs;
	c->cpl = new_cpl;
	c->rip = off;
	c->eflags &= ~(uint32_t)(X86_FLAGS_TF | X86_FLAGS_NT | X86_FLAGS_RF | X86_FLAGS_VM);
	if (!(type & 1))
		c->eflags &= ~(uint32_t)X86_FLAGS_IF;
}

static void deliver(struct bt_cpu *c, const struct event *e)
{
	c->int_shadow = 0;
	if (e->vec < 32)
		c->excp[e->vec].count++;
	if (c->efer & X86_EFER_LMA) {
		bt_deliver_long(c, e); /* bt_long.c */
	} else if (bt_pe(c)) {
		uint32_t view = bt_cpl_cs_ss_view(c);
		deliver_prot(c, e);
		if (bt_cpl_cs_ss_view(c) != view)
			bt_mode_changed(c);
	} else {
		bt_mode_changed(c);
		deliver_real(c, e);
	}
}

static bool contributory(unsigned v)
{
	return v == X86_EXC_DE || (v >= X86_EXC_TS && v <= X86_EXC_GP);
}

/* Deliver c->exc_vector with the #DF/shutdown rules; nested raises come
 * back here through our own setjmp. */
void bt_deliver_pending(struct bt_cpu *c)
{
	/* the event being delivered lives in c->dl, not in a local: locals
	 * changed after setjmp are indeterminate after longjmp */
	jmp_buf jb, *saved = c->jmp;
	c->dl = (struct event){
		.vec = (unsigned)c->exc_vector, .err = c->exc_error, .has_err = c->exc_has_error,
		.soft = c->exc_soft, .ext = c->exc_ext,
		.ret = c->exc_soft ? bt_next_ip(c) : c->rip,
	};
	c->ctr[BT_CTR_EXCEPTIONS].count++;
	vmm_debug(bt, "vcpu%u: %s vector %u error %#x at %04x:%08llx (cpl %u, cr2 %#llx)",
		  c->vcpu ? c->vcpu->id : 0, c->exc_soft ? "int" : "exception", c->dl.vec,
		  c->dl.err, c->seg[X86_CS].sel, (unsigned long long)c->rip, c->cpl,
		  (unsigned long long)c->cr2);
	c->jmp = &jb;
	if (setjmp(jb)) {
		/* an exception while delivering c->dl: SDM 3A table 6-5 */
		unsigned v2 = (unsigned)c->exc_vector;
		vmm_debug(bt, "vcpu%u: vector %u error %#x while delivering vector %u",
			  c->vcpu ? c->vcpu->id : 0, v2, c->exc_error, c->dl.vec);
		unsigned prev = c->dl.vec;
		if (prev == X86_EXC_DF || c->shutdown) {
			if (!c->shutdown)
				snprintf(c->shutdown_msg, sizeof(c->shutdown_msg),
					 "triple fault: %s while delivering #DF",
					 x86_vector_name(v2) ? x86_vector_name(v2) : "exception");
			c->shutdown = true;
			c->exc_vector = -1;
			c->jmp = saved;
			return;
		}
		bool df = (contributory(prev) && contributory(v2)) ||
			  (prev == X86_EXC_PF && (contributory(v2) || v2 == X86_EXC_PF));
		if (df)
			c->dl = (struct event){ .vec = X86_EXC_DF, .err = 0, .has_err = true,
						.ext = true, .ret = c->rip };
		else
			c->dl = (struct event){ .vec = v2, .err = c->exc_error,
						.has_err = c->exc_has_error, .ext = true,
						.ret = c->rip };
	}
	deliver(c, &c->dl);
	c->exc_vector = -1;
	c->exc_ext = false;
	c->jmp = saved;
}

void bt_soft_int(struct bt_cpu *c, unsigned vec)
{
	/* delivered in place (no unwinding): the instruction is complete */
	c->helper[BT_H_INT].count++;
	c->exc_vector = (int)vec;
	c->exc_error = 0;
	c->exc_has_error = false;
	c->exc_soft = true;
	c->exc_ext = false;
	bt_deliver_pending(c);
	c->next_rip = c->rip;
	c->stop_block = true;
}

void bt_deliver_irq(struct bt_cpu *c, unsigned vec)
{
	c->exc_vector = (int)vec;
	c->exc_error = 0;
	c->exc_has_error = false;
	c->exc_soft = false;
	c->exc_ext = true;
	c->ctr[BT_CTR_IRQS].count++;
	bt_deliver_pending(c);
	c->ctr[BT_CTR_EXCEPTIONS].count--;
}

/* ---- IRET ---- */

static void iret_real(struct bt_cpu *c, unsigned osz)
{
	bt_mode_changed(c);
	uint32_t mask = bt_sp_mask(c);
	uint32_t sp = c->gpr[X86_RSP] & mask;
	uint32_t ip = (uint32_t)bt_read(c, X86_SS, sp, osz);
	uint16_t cs = (uint16_t)bt_read(c, X86_SS, (sp + osz) & mask, 2);
	uint32_t fl = (uint32_t)bt_read(c, X86_SS, (sp + 2 * osz) & mask, osz);
	c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | ((sp + 3 * osz) & mask);
	c->seg[X86_CS].sel = cs;
	c->seg[X86_CS].base = (uint32_t)cs << 4;
	c->next_eip = osz == 2 ? ip & 0xffff : ip;
	uint32_t m = 0x257fd5; /* CF PF AF ZF SF TF IF DF OF IOPL NT AC ID (and RF) */
	if (osz == 2)
		m &= 0xffff;
	else
		m &= ~(uint32_t)(X86_FLAGS_VM | X86_FLAGS_VIF | X86_FLAGS_VIP);
	bt_set_eflags(c, fl, m | X86_FLAGS_RF);
}

uint32_t bt_iret_flags(const struct bt_cpu *c, unsigned old_cpl)
{
	/* SDM 2A IRET: IOPL only at CPL 0, IF only if CPL <= IOPL */
	uint32_t m = X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF |
		     X86_FLAGS_TF | X86_FLAGS_DF | X86_FLAGS_OF | X86_FLAGS_NT | X86_FLAGS_RF |
		     X86_FLAGS_AC | X86_FLAGS_ID;
	unsigned iopl = (c->eflags >> 12) & 3;
	if (old_cpl == 0)
		m |= X86_FLAGS_IOPL;
	if (old_cpl <= iopl)
		m |= X86_FLAGS_IF;
	return m;
}

void bt_iret(struct bt_cpu *c, unsigned osz)
{
	c->helper[BT_H_IRET].count++;
	c->nmi_blocked = false; /* SDM 3A 6.7.1: IRET ends NMI blocking */
	if (!bt_pe(c)) {
		iret_real(c, osz);
		return;
	}
	if (c->efer & X86_EFER_LMA) {
		bt_iret_long(c, osz); /* bt_long.c */
		return;
	}
	if (c->eflags & X86_FLAGS_VM) {
		/* vm86 with IOPL 3 would pop a 16-bit frame; not supported */
		bt_raise_gp(c, 0);
	}
	if (c->eflags & X86_FLAGS_NT) {
		snprintf(c->shutdown_msg, sizeof(c->shutdown_msg),
			 "bt: IRET with NT=1 (task return) is not supported");
		c->shutdown = true;
		c->stop_block = true;
		return;
	}
	uint32_t mask = bt_sp_mask(c);
	uint32_t sp = c->gpr[X86_RSP] & mask;
	uint32_t ip = (uint32_t)bt_read(c, X86_SS, sp, osz);
	uint16_t sel = (uint16_t)bt_read(c, X86_SS, (sp + osz) & mask, 2);
	uint32_t fl = (uint32_t)bt_read(c, X86_SS, (sp + 2 * osz) & mask, osz);
	if (osz == 4 && (fl & X86_FLAGS_VM) && c->cpl == 0) {
		snprintf(c->shutdown_msg, sizeof(c->shutdown_msg),
			 "bt: IRET to virtual-8086 mode is not supported");
		c->shutdown = true;
		c->stop_block = true;
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
	unsigned old_cpl = c->cpl;
	uint32_t view = bt_cpl_cs_ss_view(c);
	if (rpl > c->cpl) {
		uint32_t nesp = (uint32_t)bt_read(c, X86_SS, (sp + 3 * osz) & mask, osz);
		uint16_t nss = (uint16_t)bt_read(c, X86_SS, (sp + 4 * osz) & mask, 2);
		struct x86_seg ss;
		bt_check_new_ss(c, nss, rpl, &ss, X86_EXC_GP, 0);
		bt_desc_set_accessed(c, sel, d);
		cs.type |= 1;
		c->seg[X86_CS] = cs;
		c->seg[X86_SS] = ss;
		c->cpl = rpl;
		c->gpr[X86_RSP] = ss.db ? nesp : (c->gpr[X86_RSP] & 0xffff0000u) | (nesp & 0xffff);
		bt_null_outer_segs(c);
	} else {
		bt_desc_set_accessed(c, sel, d);
		cs.type |= 1;
		c->seg[X86_CS] = cs;
		c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~mask) | ((sp + 3 * osz) & mask);
	}
	if (bt_cpl_cs_ss_view(c) != view)
		bt_mode_changed(c);
	if (ip > c->seg[X86_CS].limit)
		bt_raise_gp(c, 0);
	c->next_eip = osz == 2 ? ip & 0xffff : ip;
	uint32_t m = bt_iret_flags(c, old_cpl);
	if (osz == 2)
		m &= 0xffff;
	bt_set_eflags(c, fl, m);
}

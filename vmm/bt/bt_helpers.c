/* bt_helpers.c: C functions that translated code calls with the guest
 * state stored in struct bt_cpu (GPRs, EIP of the instruction, the
 * arithmetic flags in c->hflags). They may raise guest exceptions (longjmp
 * to the run loop: the state is precise). The return value tells the
 * translated code whether to continue (0) or leave to the dispatcher. */
#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_trans.h"

static inline void h_enter(struct bt_cpu *c)
{
	c->eflags = (c->eflags & ~BT_FL_ARITH) | ((uint32_t)c->hflags & BT_FL_ARITH);
}

static inline void h_leave(struct bt_cpu *c)
{
	c->hflags = (c->eflags & BT_FL_ARITH) | 0x202;
}

/* Run one instruction in the interpreter: everything the translator does
 * not do natively, and the slow path of every inline TLB check. */
uint32_t bt_h_interp(struct bt_cpu *c, const struct bt_insn *in)
{
	h_enter(c);
	c->helper[BT_H_INTERP].count++;
	c->stop_block = false;
	c->code_dirty = false;
	bool shadow = c->int_shadow;
	uint32_t key = (in->flags & BT_I_SEGLOAD) ? bt_mode_key(c) : 0;
	bt_interp_insn(c, in);
	if (shadow)
		c->int_shadow = 0;
	/* translated code assumed the old segments: leave if that changed */
	if ((in->flags & BT_I_SEGLOAD) && bt_mode_key(c) != key)
		c->stop_block = true;
	h_leave(c);
	return c->stop_block || c->code_dirty || c->halted_exit || c->int_shadow ||
	       (in->flags & BT_I_BRANCH) || (c->eflags & X86_FLAGS_TF);
}

/* IN/OUT without the generic interpreter (only EAX ECX EDX ESI EDI and the
 * flags were stored): arg = port | 0x10000 (port in DX) | size << 20 |
 * 1 << 24 (OUT). Returns 1, having done nothing, when the port needs the
 * TSS bitmap check (CPL > IOPL) or the size is odd: the caller then
 * interprets the instruction. */
uint32_t bt_h_io(struct bt_cpu *c, uint32_t arg)
{
	unsigned size = (arg >> 20) & 0xf;
	if ((bt_pe(c) && ((c->eflags & X86_FLAGS_VM) || c->cpl > ((c->eflags >> 12) & 3))) ||
	    (size != 1 && size != 2 && size != 4))
		return 1;
	uint16_t port = (arg & 0x10000) ? (uint16_t)c->gpr[X86_RDX] : (uint16_t)(arg & 0xff);
	if (arg & (1u << 24))
		bt_out(c, port, c->gpr[X86_RAX], size);
	else
		bt_reg_write(c, X86_RAX, size, bt_in(c, port, size));
	return 0;
}

/* A software TLB miss: fill the entry for the (size)-byte access at
 * (lin) (write if bit 8 of arg) and tell the caller whether the inline
 * check will now pass (0) or the instruction must be interpreted (1: MMIO,
 * code, page tables, a page-crossing access). Raises #PF. */
uint32_t bt_h_fill(struct bt_cpu *c, uint32_t arg, uint32_t lin)
{
	unsigned size = arg & 0xff;
	bool write = arg & 0x100;
	h_enter(c);
	c->helper[BT_H_MEM].count++;
	if ((lin & 0xfff) + size > BT_PAGE)
		return 1;
	/* Two accesses of one instruction can evict each other from the
	 * direct-mapped TLB (push [mem] with both in one slot): the retry
	 * would miss forever. Refilling the same slot for the same
	 * instruction twice in a row interprets it instead. */
	unsigned slot = (lin >> 12) & (BT_TLB_SIZE - 1);
	if (c->fill_eip == c->eip && c->fill_slot == slot) {
		if (++c->fill_n >= 2)
			return 1;
	} else {
		c->fill_eip = c->eip;
		c->fill_slot = slot;
		c->fill_n = 0;
	}
	bool user = c->cpl == 3;
	uint32_t page = lin & BT_PAGE_MASK;
	bt_tlb_touch(c, lin, write, user);
	const struct bt_tlb_entry *e = &c->tlb[user][(lin >> 12) & (BT_TLB_SIZE - 1)];
	return (write ? e->tag_w : e->tag_r) != page;
}

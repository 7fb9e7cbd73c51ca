/* bt_interp_str.c: string instructions (MOVS, STOS, LODS, CMPS, SCAS, INS,
 * OUTS) with REP/REPE/REPNE, for the interpreter and as the translator's
 * helper. Each iteration commits ESI/EDI/ECX, so a fault or an interrupt in
 * the middle leaves the restartable state the CPU would (SDM 2B REP). Long
 * repetitions stop after a slice and resume, so interrupts are not delayed. */
#include <capstone/capstone.h>
#include <string.h>

#include "vmm/bt/bt_flags.h"
#include "vmm/bt/bt_internal.h"

#define STR_SLICE 4096 /* iterations before giving interrupts a chance */

enum str_kind { S_MOVS, S_CMPS, S_STOS, S_LODS, S_SCAS, S_INS, S_OUTS, S_NONE };

static enum str_kind str_kind(const struct bt_insn *in, unsigned *size)
{
	uint8_t op = in->bytes[in->opc_off];
	*size = (op & 1) ? in->osz : 1;
	switch (op & ~1u) {
	case 0xa4: return S_MOVS;
	case 0xa6: return S_CMPS;
	case 0xaa: return S_STOS;
	case 0xac: return S_LODS;
	case 0xae: return S_SCAS;
	case 0x6c: return S_INS;
	case 0x6e: return S_OUTS;
	default: return S_NONE;
	}
}

/* Bulk REP MOVS/STOS within one page each side, for RAM in flat forward
 * copies: returns the iterations done (0: take the slow path). */
static uint64_t bulk(struct bt_cpu *c, enum str_kind k, unsigned sseg, unsigned size,
		     uint64_t count, uint64_t amask)
{
	if ((c->eflags & X86_FLAGS_DF) || amask < 0xffffffffu)
		return 0;
	uint64_t di = c->gpr[X86_RDI] & amask, si = c->gpr[X86_RSI] & amask;
	uint64_t dlin = bt_vaddr(c, X86_ES, di, size, BT_ACC_W);
	uint64_t n = VMM_MIN(count, (BT_PAGE - (dlin & 0xfff)) / size);
	uint64_t slin = 0;
	if (k == S_MOVS) {
		slin = bt_vaddr(c, sseg, si, size, BT_ACC_R);
		n = VMM_MIN(n, (BT_PAGE - (slin & 0xfff)) / size);
	}
	if (n < 2)
		return 0;
	/* segment limits for the whole run */
	bt_vaddr(c, X86_ES, di, n * size, BT_ACC_W);
	if (k == S_MOVS)
		bt_vaddr(c, sseg, si, n * size, BT_ACC_R);
	bool user = c->cpl == 3;
	/* make both pages present in the TLB (faults are raised here, before
	 * anything is written), then copy through host pointers */
	bt_probe_write(c, dlin, n * size, user);
	struct bt_walk w;
	if (bt_walk(c, dlin, BT_ACC_W, user, false, &w))
		return 0;
	uint8_t *dp = bt_gpa_ptr(c, w.gpa, n * size);
	if (!dp || bt_gpa_special(c, w.gpa & ~0xfffull) ||
	    (mem_find(&c->vm->mem, w.gpa)->flags & MEM_READONLY))
		return 0;
	if (k == S_MOVS) {
		(void)bt_lread(c, slin, 1, user);
		if (bt_walk(c, slin, BT_ACC_R, user, false, &w))
			return 0;
		uint8_t *sp = bt_gpa_ptr(c, w.gpa, n * size);
		if (!sp)
			return 0;
		if (dp > sp && dp < sp + n * size)
			return 0; /* overlapping forward copy: element by element */
		memmove(dp, sp, n * size);
		c->gpr[X86_RSI] = (si + n * size) & amask;
	} else {
		uint64_t v = c->gpr[0];
		if (size == 1) {
			memset(dp, (int)(v & 0xff), n);
		} else {
			for (uint64_t i = 0; i < n; i++)
				memcpy(dp + i * size, &v, size);
		}
	}
	c->gpr[X86_RDI] = (di + n * size) & amask;
	return n;
}

static void one(struct bt_cpu *c, enum str_kind k, unsigned sseg, unsigned size,
		uint64_t amask, int64_t delta)
{
	uint64_t si = c->gpr[X86_RSI] & amask, di = c->gpr[X86_RDI] & amask;
	uint16_t port = (uint16_t)c->gpr[X86_RDX];
	uint64_t v, w;
	switch (k) {
	case S_MOVS:
		v = bt_read(c, sseg, si, size);
		bt_write(c, X86_ES, di, v, size);
		break;
	case S_STOS:
		bt_write(c, X86_ES, di, c->gpr[0], size);
		break;
	case S_LODS:
		v = bt_read(c, sseg, si, size);
		bt_reg_write(c, 0, size, v);
		break;
	case S_CMPS:
		v = bt_read(c, sseg, si, size);
		w = bt_read(c, X86_ES, di, size);
		c->eflags = (c->eflags & ~BT_FL_ARITH) | bt_fl_sub(v, w, 0, size);
		break;
	case S_SCAS:
		w = bt_read(c, X86_ES, di, size);
		c->eflags = (c->eflags & ~BT_FL_ARITH) | bt_fl_sub(c->gpr[0], w, 0, size);
		break;
	case S_INS: {
		/* the destination is checked before the port is read */
		uint64_t lin = bt_vaddr(c, X86_ES, di, size, BT_ACC_W);
		bt_probe_write(c, lin, size, c->cpl == 3);
		v = bt_in(c, port, size);
		bt_lwrite(c, lin, v, size, c->cpl == 3);
		break;
	}
	default: /* OUTS */
		v = bt_read(c, sseg, si, size);
		bt_out(c, port, (uint32_t)v, size);
		break;
	}
	if (k == S_MOVS || k == S_LODS || k == S_CMPS || k == S_OUTS)
		c->gpr[X86_RSI] = (c->gpr[X86_RSI] & ~amask) | ((si + (uint64_t)delta) & amask);
	if (k != S_LODS && k != S_OUTS)
		c->gpr[X86_RDI] = (c->gpr[X86_RDI] & ~amask) | ((di + (uint64_t)delta) & amask);
}

bool bt_interp_string(struct bt_cpu *c, const struct bt_insn *in)
{
	unsigned size;
	enum str_kind k = str_kind(in, &size);
	if (k == S_NONE)
		return false;
	switch (in->id) {
	case X86_INS_MOVSB: case X86_INS_MOVSW: case X86_INS_MOVSD: case X86_INS_STOSB:
	case X86_INS_STOSW: case X86_INS_STOSD: case X86_INS_LODSB: case X86_INS_LODSW:
	case X86_INS_LODSD: case X86_INS_CMPSB: case X86_INS_CMPSW: case X86_INS_CMPSD:
	case X86_INS_SCASB: case X86_INS_SCASW: case X86_INS_SCASD: case X86_INS_INSB:
	case X86_INS_INSW: case X86_INS_INSD: case X86_INS_OUTSB: case X86_INS_OUTSW:
	case X86_INS_OUTSD: case X86_INS_MOVSQ: case X86_INS_STOSQ: case X86_INS_LODSQ:
	case X86_INS_CMPSQ: case X86_INS_SCASQ:
		break;
	default:
		return false;
	}
	unsigned sseg = bt_insn_dseg(in);
	c->helper[BT_H_STRING].count++;
	uint64_t amask = bt_szmask(in->asz);
	int64_t delta = (c->eflags & X86_FLAGS_DF) ? -(int64_t)size : (int64_t)size;
	if (k == S_INS || k == S_OUTS)
		bt_io_check(c, (uint16_t)c->gpr[X86_RDX], size);
	if (!in->rep) {
		one(c, k, sseg, size, amask, delta);
		return true;
	}
	for (unsigned it = 0; it < STR_SLICE; it++) {
		uint64_t cnt = c->gpr[X86_RCX] & amask;
		if (!cnt)
			return true;
		if (k == S_MOVS || k == S_STOS) {
			uint64_t n = bulk(c, k, sseg, size, cnt, amask);
			if (n) {
				c->gpr[X86_RCX] = (c->gpr[X86_RCX] & ~amask) | ((cnt - n) & amask);
				continue;
			}
		}
		one(c, k, sseg, size, amask, delta);
		cnt = (cnt - 1) & amask;
		c->gpr[X86_RCX] = (c->gpr[X86_RCX] & ~amask) | cnt;
		if (k == S_CMPS || k == S_SCAS) {
			bool zf = c->eflags & X86_FLAGS_ZF;
			if (in->rep == 0xf3 ? !zf : zf)
				return true;
		}
		if (!cnt)
			return true;
	}
	/* not finished: run this instruction again after pending events */
	c->next_rip = c->rip;
	c->stop_block = true;
	return true;
}

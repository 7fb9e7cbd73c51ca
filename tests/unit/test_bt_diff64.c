/* test_bt_diff64.c: the differential test in 64-bit mode. The generators of
 * test_bt_diffgen.h (integer, stack, string and branch instructions), each
 * instruction given a random REX prefix (W: 64-bit operands, R: R8-R15 in
 * the reg field, and with it SPL..DIL for byte operands), run with random
 * 64-bit register values on the bt interpreter in IA-32e mode (4-level
 * identity paging, 64-bit IDT whose handlers are HLT stubs) and on Unicorn
 * in x86-64 mode; the 16 GPRs, RIP, the defined flags, exceptions and
 * memory must agree. The translator declines IA-32e code, so there is no
 * third runner yet.
 *
 *     DIFF_SEED=1234 DIFF_N=200000 build/release/tests/unit/test_bt_diff64 */
#include <capstone/capstone.h>
#include <stdio.h>

#include "tests/unit/test_bt_harness.h"
#include "tests/unit/test_bt_diffgen.h"

#ifdef HAVE_UNICORN
#include <unicorn/unicorn.h>
#endif

#define L_PML4 0x5000u  /* identity map of the first 16 MiB, 2 MiB pages */
#define L_PDPT 0x6000u
#define L_PD 0x7000u
#define L_IDT 0x3000u   /* 256 16-byte gates to the HLT stubs */
#define L_CS64 0x40     /* 64-bit code selector, after the harness's */
#define L_MEM (16 * MiB)
/* The generators' [disp32] operands are RIP-relative in 64-bit mode: they
 * land here (DG_DATA + offset + RIP), cleared before and compared after
 * each case like the data area. */
#define L_RIPREL 0x30000u
#define L_RIPREL_SIZE 0x1200u

struct outcome64 {
	uint64_t gpr[16], rip;
	uint32_t eflags;
	int vector;
	bool error;
	char msg[128];
	uint8_t data[DG_DATA_SIZE];
	uint8_t stack[DG_STACK_SIZE];
	uint8_t riprel[L_RIPREL_SIZE];
};

#define UC_MEM_FAULT (-2) /* outcome64.vector: Unicorn's imprecise memory fault */

struct case64 {
	struct dg_case c;
	uint64_t gpr[16];
	const char *uc_quirk; /* why Unicorn 2.0.1 cannot be the reference */
};

static void poke64(struct bth *h, uint64_t addr, uint64_t v)
{
	assert_int_equal(mem_write(&h->vm->mem, addr, &v, 8), 0);
}

static uint64_t peek64(struct bth *h, uint64_t addr)
{
	uint64_t v = 0;
	assert_int_equal(mem_read(&h->vm->mem, addr, &v, 8), 0);
	return v;
}

/* The harness's flat machine, moved into IA-32e mode: page tables, a
 * 64-bit code segment, a 64-bit IDT and TSS (RSP0). */
static void long_setup(struct bth *h, struct x86_state *s)
{
	poke64(h, L_PML4, L_PDPT | 3);
	poke64(h, L_PDPT, L_PD | 3);
	for (uint64_t i = 0; i < L_MEM / (2 * MiB); i++)
		poke64(h, L_PD + 8 * i, (i * 2 * MiB) | 0x83);
	struct x86_seg cs = { .limit = 0xfffff, .type = 0xb, .s = 1, .present = 1, .l = 1, .g = 1 };
	uint64_t d = x86_seg_to_desc(&cs);
	assert_int_equal(mem_write(&h->vm->mem, BTH_GDT + L_CS64, &d, 8), 0);
	for (unsigned v = 0; v < 256; v++) {
		uint64_t off = BTH_STUBS + 4 * v;
		uint64_t lo = (off & 0xffff) | ((uint64_t)L_CS64 << 16) | (0xeull << 40) |
			      (1ull << 47) | ((off >> 16) << 48);
		poke64(h, L_IDT + 16 * v, lo);
		poke64(h, L_IDT + 16 * v + 8, off >> 32);
	}
	poke64(h, BTH_TSS + 4, BTH_KSTACK); /* RSP0 */
	assert_int_equal(bt_regs_get(h->v, s), 0);
	x86_seg_flat(&s->seg[X86_CS], L_CS64, true, true);
	s->gdt.limit = L_CS64 + 7;
	s->idt = (struct x86_dtable){ L_IDT, 256 * 16 - 1 };
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG | X86_CR0_WP;
	s->cr3 = L_PML4;
	s->cr4 = X86_CR4_PAE;
	s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
}

static struct x86_state base64;

static void run_bt64(struct bth *h, const struct case64 *k, struct outcome64 *o)
{
	const struct dg_case *c = &k->c;
	memset(o, 0, sizeof(*o));
	assert_int_equal(mem_write(&h->vm->mem, DG_CODE, c->code, c->n), 0);
	assert_int_equal(mem_write(&h->vm->mem, DG_DATA, c->data, DG_DATA_SIZE), 0);
	assert_int_equal(mem_write(&h->vm->mem, DG_STACK_LO, c->stack, DG_STACK_SIZE), 0);
	static const uint8_t zero[L_RIPREL_SIZE];
	assert_int_equal(mem_write(&h->vm->mem, L_RIPREL, zero, L_RIPREL_SIZE), 0);
	struct x86_state s = base64;
	memcpy(s.gpr, k->gpr, sizeof(k->gpr));
	s.rip = DG_CODE;
	s.rflags = c->eflags | 2;
	assert_int_equal(bt_regs_set(h->v, &s), 0);
	bt_block_flush_all(h->c);
	h->c->budget = 10000;
	enum bth_result r = bth_run(h); /* a 64-bit frame: bth_run's 32-bit view is redone */
	o->vector = -1;
	if (r == BTH_EXC) {
		/* HLT at the vector's stub: RIP, CS, RFLAGS, RSP, SS above [err] */
		bool err = bth_has_error(h->vector);
		uint64_t sp = h->c->gpr[X86_RSP] - 12 - (err ? 4 : 0); /* undo its 32-bit pops */
		o->vector = h->vector;
		if (err)
			sp += 8;
		o->rip = peek64(h, sp);
		o->eflags = (uint32_t)peek64(h, sp + 16);
		h->c->gpr[X86_RSP] = peek64(h, sp + 24);
	} else if (r == BTH_HLT) {
		o->rip = h->c->rip - 1;
		o->eflags = h->c->eflags;
	} else {
		o->error = true;
		snprintf(o->msg, sizeof(o->msg), "bt: %s", h->ex.msg);
	}
	memcpy(o->gpr, h->c->gpr, sizeof(o->gpr));
	assert_int_equal(mem_read(&h->vm->mem, DG_DATA, o->data, DG_DATA_SIZE), 0);
	assert_int_equal(mem_read(&h->vm->mem, DG_STACK_LO, o->stack, DG_STACK_SIZE), 0);
	assert_int_equal(mem_read(&h->vm->mem, L_RIPREL, o->riprel, L_RIPREL_SIZE), 0);
}

#ifdef HAVE_UNICORN
static int uc_vector64;

static void uc_intr64(uc_engine *uc, uint32_t intno, void *user)
{
	(void)user;
	if (uc_vector64 < 0)
		uc_vector64 = (int)intno;
	uc_emu_stop(uc);
}

static const int uc_regs64[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

static uc_engine *uc_setup64(void)
{
	uc_engine *uc;
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
		return NULL;
	assert_int_equal(uc_mem_map(uc, 0, L_MEM, UC_PROT_ALL), UC_ERR_OK);
	uc_hook hh;
	assert_int_equal(uc_hook_add(uc, &hh, UC_HOOK_INTR, (void *)uc_intr64, NULL, 1, 0),
			 UC_ERR_OK);
	return uc;
}

static void run_uc64(uc_engine **ucp, const struct case64 *k, struct outcome64 *o)
{
	const struct dg_case *c = &k->c;
	uc_engine *uc = *ucp;
	memset(o, 0, sizeof(*o));
	uc_mem_write(uc, DG_CODE, c->code, c->n);
	uc_mem_write(uc, DG_DATA, c->data, DG_DATA_SIZE);
	uc_mem_write(uc, DG_STACK_LO, c->stack, DG_STACK_SIZE);
	static const uint8_t zero[L_RIPREL_SIZE];
	uc_mem_write(uc, L_RIPREL, zero, L_RIPREL_SIZE);
	for (unsigned i = 0; i < 16; i++)
		uc_reg_write(uc, uc_regs64[i], &k->gpr[i]);
	uint64_t fl = c->eflags | 2;
	uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl);
	uc_vector64 = -1;
	uc_ctl_remove_cache(uc, DG_CODE, DG_CODE + sizeof(c->code));
	uc_err e = uc_emu_start(uc, DG_CODE, DG_CODE + c->n - 1, 200000, 0);
	o->vector = uc_vector64;
	if (e == UC_ERR_INSN_INVALID) {
		o->vector = X86_EXC_UD;
	} else if (e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED ||
		   e == UC_ERR_FETCH_UNMAPPED) {
		/* beyond the memory both map (bt's page tables end there too) or
		 * non-canonical: Unicorn reports it without a precise RIP */
		o->vector = UC_MEM_FAULT;
	} else if (e != UC_ERR_OK) {
		o->error = true;
		snprintf(o->msg, sizeof(o->msg), "unicorn: %s", uc_strerror(e));
	}
	for (unsigned i = 0; i < 16; i++)
		uc_reg_read(uc, uc_regs64[i], &o->gpr[i]);
	uc_reg_read(uc, UC_X86_REG_RIP, &o->rip);
	uint64_t rfl = 0;
	uc_reg_read(uc, UC_X86_REG_RFLAGS, &rfl);
	o->eflags = (uint32_t)rfl;
	uc_mem_read(uc, DG_DATA, o->data, DG_DATA_SIZE);
	uc_mem_read(uc, DG_STACK_LO, o->stack, DG_STACK_SIZE);
	uc_mem_read(uc, L_RIPREL, o->riprel, L_RIPREL_SIZE);
	if (o->vector >= 0) { /* Unicorn keeps the exception "in delivery" */
		uc_close(uc);
		*ucp = uc_setup64();
		assert_non_null(*ucp);
	}
}
#endif

static bool same64(const struct dg_case *c, const struct outcome64 *a, const struct outcome64 *b,
		   char *why, size_t len)
{
	if (a->error || b->error) {
		snprintf(why, len, "%s", a->error ? a->msg : b->msg);
		return a->error && b->error;
	}
	if (b->vector == UC_MEM_FAULT && (a->vector == X86_EXC_PF || a->vector == X86_EXC_GP ||
					  a->vector == X86_EXC_SS))
		return true; /* #PF beyond RAM or #GP/#SS non-canonical */
	if (a->vector != b->vector) {
		snprintf(why, len, "vector bt=%d unicorn=%d", a->vector, b->vector);
		return false;
	}
	if (a->rip != b->rip) {
		snprintf(why, len, "rip bt=%#llx unicorn=%#llx", (unsigned long long)a->rip,
			 (unsigned long long)b->rip);
		return false;
	}
	for (unsigned i = 0; i < 16; i++) {
		if (i < 8 && ((c->reg_undef >> i) & 1))
			continue;
		if (a->gpr[i] != b->gpr[i]) {
			snprintf(why, len, "r%u bt=%#llx unicorn=%#llx", i,
				 (unsigned long long)a->gpr[i], (unsigned long long)b->gpr[i]);
			return false;
		}
	}
	uint32_t m = (FL_ARITH | FL_DF) & ~(a->vector < 0 ? c->undef : 0);
	if ((a->eflags & m) != (b->eflags & m)) {
		snprintf(why, len, "rflags bt=%#x unicorn=%#x (compared %#x)", a->eflags & m,
			 b->eflags & m, m);
		return false;
	}
	for (unsigned i = 0; i < DG_DATA_SIZE; i++)
		if (a->data[i] != b->data[i]) {
			snprintf(why, len, "data[%#x] bt=%#x unicorn=%#x", DG_DATA + i, a->data[i],
				 b->data[i]);
			return false;
		}
	for (unsigned i = 0; i < L_RIPREL_SIZE; i++)
		if (a->riprel[i] != b->riprel[i]) {
			snprintf(why, len, "rip-relative data[%#x] bt=%#x unicorn=%#x",
				 L_RIPREL + i, a->riprel[i], b->riprel[i]);
			return false;
		}
	/* below RSP an exception frame differs; the PUSHFQ slot holds the
	 * flags, compared above with their mask */
	uint64_t rsp = a->gpr[X86_RSP];
	if (rsp < DG_STACK_LO || rsp > DG_STACK_LO + DG_STACK_SIZE)
		return true;
	unsigned lo = a->vector >= 0 ? (unsigned)(rsp - DG_STACK_LO) : 0;
	unsigned fl_slot = (unsigned)(rsp - 8 - DG_STACK_LO);
	for (unsigned i = lo; i < DG_STACK_SIZE; i++)
		if (a->stack[i] != b->stack[i] && (a->vector >= 0 || i - fl_slot >= 8)) {
			snprintf(why, len, "stack[%#x] bt=%#x unicorn=%#x", DG_STACK_LO + i,
				 a->stack[i], b->stack[i]);
			return false;
		}
	return true;
}

/* A REX prefix (none, W, R or WR) after the instruction's legacy prefixes;
 * returns it. */
static uint8_t add_rex(struct dg_case *c, unsigned start)
{
	static const uint8_t rex[] = { 0, 0, 0x48, 0x48, 0x44, 0x4c };
	uint8_t r = rex[dg_n(VMM_ARRAY_SIZE(rex))];
	if (!r || c->n >= sizeof(c->code) - 1)
		return 0;
	unsigned i = start;
	while (i < c->n && (c->code[i] == 0x66 || c->code[i] == 0x67 || c->code[i] == 0xf0 ||
			    c->code[i] == 0xf2 || c->code[i] == 0xf3 || c->code[i] == 0x2e ||
			    c->code[i] == 0x3e || c->code[i] == 0x26 || c->code[i] == 0x36 ||
			    c->code[i] == 0x64 || c->code[i] == 0x65))
		i++;
	/* REX.R is ignored where ModRM.reg extends the opcode (SDM 2A 2.2.1.2),
	 * but Unicorn 2.0.1 raises #UD for C6/C7 with it: W only for groups */
	uint8_t op = c->code[i], op2 = i + 1 < c->n ? c->code[i + 1] : 0;
	bool group = (op >= 0x80 && op <= 0x83) || op == 0x8f || op == 0xc0 || op == 0xc1 ||
		     op == 0xc6 || op == 0xc7 || (op >= 0xd0 && op <= 0xd3) || op == 0xf6 ||
		     op == 0xf7 || op == 0xfe || op == 0xff ||
		     (op == 0x0f && (op2 == 0xba || op2 == 0xc7));
	if (group)
		r &= 0x48;
	/* REX.W beats 66 and would make the generator's 16-bit immediate 32
	 * bits wide, eating the next instruction */
	for (unsigned j = start; j < i; j++)
		if (c->code[j] == 0x66)
			r &= 0x44;
	if (!r)
		return 0;
	memmove(&c->code[i + 1], &c->code[i], c->n - i);
	c->code[i] = r;
	c->n++;
	return r;
}

/* The generators whose instructions exist in 64-bit mode (BCD, segment
 * loads, INTO/BOUND and the feature encodings do not, or differ). */
static bool gen64_ok(const char *name)
{
	static const char *const no[] = { "bcd", "seg", "trap", "feat", "misc" };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(no); i++)
		if (!strcmp(name, no[i]))
			return false;
	return true;
}

/* Whether the case decodes (64-bit) as whole instructions up to its final
 * HLT: REX.W turns B8+r into MOV r64, imm64 and A0-A3 take an 8-byte
 * address, which would swallow what follows. Notes Unicorn 2.0.1's known
 * departures from the CPU (QEMU 5 semantics) in (k)->uc_quirk. */
static bool case_ok(struct bt_decoder *d, struct case64 *k)
{
	const struct dg_case *c = &k->c;
	unsigned off = 0;
	bool pushfq = false; /* the trailer PUSHFQ; POPFQ; HLT is decoded as such */
	while (off < c->n) {
		struct bt_insn in;
		if (bt_decode(d, c->code + off, c->n - off, DG_CODE + off, 64, &in)) {
			/* an invalid encoding (both must raise #UD), or one cut
			 * short by the end of the case */
			uint8_t pad[BT_INSN_MAX] = { 0 };
			memcpy(pad, c->code + off, VMM_MIN(c->n - off, sizeof(pad)));
			unsigned p = 0;
			while (p < sizeof(pad) - 1 && (pad[p] == 0x66 || pad[p] == 0x67 ||
						       (pad[p] & 0xf0) == 0x40 || pad[p] == 0xf2 ||
						       pad[p] == 0xf3 || pad[p] == 0xf0))
				p++;
			if (pad[p] == 0xc4 || pad[p] == 0xc5 || pad[p] == 0x62 || pad[p] == 0x8f)
				k->uc_quirk = "VEX/EVEX/XOP: Unicorn has AVX, bt's model does not";
			return bt_decode(d, pad, sizeof(pad), DG_CODE + off, 64, &in) != 0;
		}
		const uint8_t *op = &in.bytes[in.opc_off];
		bool riprel = false;
		for (unsigned i = 0; i < in.nops; i++)
			riprel |= in.op[i].kind == BT_OP_MEM && in.op[i].base == BT_REG_RIP;
		if ((in.id == X86_INS_SHLD || in.id == X86_INS_SHRD) && riprel && in.imm_size)
			k->uc_quirk = "RIP-relative SHLD/SHRD with an immediate (Unicorn "
				      "ignores the immediate's byte)";
		if (in.id == X86_INS_CMPXCHG && in.op[0].kind == BT_OP_REG && in.osz == 4)
			k->uc_quirk = "CMPXCHG r32 that fails zero-extends the register in "
				      "Unicorn, not on the CPU";
		if (op[0] == 0xc4 || op[0] == 0xc5 || op[0] == 0x62 || op[0] == 0x8f)
			k->uc_quirk = "VEX/EVEX/XOP: Unicorn has AVX, bt's model does not";
		for (unsigned i = 0; i + 1 < in.opc_off; i++)
			if ((in.bytes[i] & 0xf0) == 0x40)
				k->uc_quirk = "a REX that is not the last prefix (the CPU "
					      "ignores it, Unicorn applies it)";
		bool p66 = false;
		for (unsigned i = 0; i < in.opc_off; i++)
			p66 |= in.bytes[i] == 0x66;
		if (p66 && (bt_insn_is_jcc(in.id) || in.id == X86_INS_JMP ||
			    in.id == X86_INS_CALL || in.id == X86_INS_RET))
			k->uc_quirk = "66 on a near branch (Intel CPUs ignore it, Unicorn "
				      "truncates the target as AMD CPUs do)";
		switch (in.id) {
		case X86_INS_INT: case X86_INS_INT3: case X86_INS_INTO: case X86_INS_INT1:
			k->uc_quirk = "a software interrupt (Unicorn reports the address of "
				      "the instruction, not the return address)";
			break;
		case X86_INS_IN: case X86_INS_OUT: case X86_INS_INSB: case X86_INS_INSW:
		case X86_INS_INSD: case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
			k->uc_quirk = "port I/O (no devices behind Unicorn)";
			break;
		default:
			break;
		}
		off += in.len;
		if (off == c->n - 3)
			pushfq = true;
		if (off == c->n - 1)
			return pushfq && c->code[off] == 0xf4;
	}
	return false;
}

static void gen_case64(struct case64 *k)
{
	struct dg_case *c = &k->c;
	memset(k, 0, sizeof(*k));
	c->single = dg_n(4) != 0;
	for (unsigned i = 0; i < 8; i++)
		c->gpr[i] = dg_val();
	c->gpr[4] = DG_ESP;
	c->eflags = (dg_r32() & FL_ARITH) | 2;
	for (unsigned i = 0; i < DG_DATA_SIZE; i += 4) {
		uint32_t v = dg_n(3) ? dg_r32() : 0;
		memcpy(c->data + i, &v, 4);
	}
	for (unsigned i = 0; i < DG_STACK_SIZE; i += 4) {
		uint32_t v = dg_r32();
		memcpy(c->stack + i, &v, 4);
	}
	unsigned n = c->single ? 1 : 2 + dg_n(4);
	for (unsigned i = 0; i < n && c->n < sizeof(c->code) - 24; i++) {
		unsigned start = c->n;
		unsigned g;
		do {
			g = dg_n(VMM_ARRAY_SIZE(dg_gens));
		} while (!gen64_ok(dg_gens[g].name) || (!c->single && !dg_gens[g].seq));
		dg_gens[g].fn(c);
		/* REX.W widens shift counts to 6 bits: which flags a count leaves
		 * defined is then not what the generator computed */
		if ((add_rex(c, start) & 8) && strstr(dg_gens[g].name, "shift"))
			c->undef |= FL_ARITH;
	}
	if (!c->single)
		snprintf(c->what, sizeof(c->what), "sequence of %u", n);
	dg_b(c, 0x9c); /* PUSHFQ; POPFQ; HLT */
	dg_b(c, 0x9d);
	dg_b(c, 0xf4);
	/* pointers and counts keep a zero high half; other registers get one */
	for (unsigned i = 0; i < 16; i++) {
		uint64_t lo = i < 8 ? c->gpr[i] : dg_val();
		bool keep = i == X86_RSP || i == X86_RCX || (i < 8 && (c->locked >> i) & 1);
		k->gpr[i] = lo | (keep || dg_n(2) ? 0 : (uint64_t)dg_r32() << 32);
	}
}

static void print_case64(struct bth *h, const struct case64 *k, const char *why, uint64_t seed)
{
	const struct dg_case *c = &k->c;
	fprintf(stderr, "diff64: case seed %#llx (%s): %s\n  code:", (unsigned long long)seed,
		c->what, why);
	for (unsigned i = 0; i < c->n; i++)
		fprintf(stderr, " %02x", c->code[i]);
	fprintf(stderr, "\n");
	for (unsigned off = 0; off < c->n;) {
		struct bt_insn in;
		char txt[96];
		if (bt_decode(h->c->dec, c->code + off, c->n - off, DG_CODE + off, 64, &in))
			break;
		bt_disasm(h->c->dec, &in, DG_CODE + off, 64, txt, sizeof(txt));
		fprintf(stderr, "    %#x: %s\n", DG_CODE + off, txt);
		off += in.len;
	}
	fprintf(stderr, "  in:");
	for (unsigned i = 0; i < 16; i++)
		fprintf(stderr, " r%u=%#llx", i, (unsigned long long)k->gpr[i]);
	fprintf(stderr, " fl=%#x\n", c->eflags);
}

static void print_out64(const char *name, const struct outcome64 *o)
{
	fprintf(stderr, "  %s:", name);
	for (unsigned i = 0; i < 16; i++)
		fprintf(stderr, " r%u=%#llx", i, (unsigned long long)o->gpr[i]);
	fprintf(stderr, " rip=%#llx fl=%#x vec=%d\n", (unsigned long long)o->rip, o->eflags,
		o->vector);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *e = getenv(name);
	return e && *e ? strtoull(e, NULL, 0) : def;
}

static void gen_valid_case64(struct bt_decoder *d, struct case64 *k)
{
	do
		gen_case64(k);
	while (!case_ok(d, k));
}

static void test_bt_diff64_random_instructions(void **state)
{
	(void)state;
#ifndef HAVE_UNICORN
	skip(); /* nothing to compare the interpreter with */
#else
	uint64_t seed = env_u64("DIFF_SEED", 0x64b17d1ff5eedull);
	uint64_t n = env_u64("DIFF_N", 10000);
	setenv("TRIPLEX_BT_INTERP", "1", 1);
	struct bth *h = bth_new(BTH_FLAT32);
	long_setup(h, &base64);
	uc_engine *uc = uc_setup64();
	assert_non_null(uc);
	unsigned fails = 0, faults = 0, skipped = 0;
	struct case64 *k = malloc(sizeof(*k));
	struct outcome64 *ob = malloc(sizeof(*ob)), *ou = malloc(sizeof(*ou));
	for (uint64_t i = 0; i < n && fails < 20; i++) {
		uint64_t cs = seed + i * 0x9e3779b97f4a7c15ull;
		dg_seed = cs | 1;
		gen_valid_case64(h->c->dec, k);
		char why[256];
		run_bt64(h, k, ob);
		faults += ob->vector >= 0;
		if (k->uc_quirk || (ob->error && strstr(ob->msg, "is not implemented"))) {
			skipped++; /* no reference, or x87/SSE bt does not have */
			continue;
		}
		run_uc64(&uc, k, ou);
		if (!same64(&k->c, ob, ou, why, sizeof(why))) {
			print_case64(h, k, why, cs);
			print_out64("bt", ob);
			print_out64("unicorn", ou);
			fails++;
		}
	}
	fprintf(stderr,
		"diff64: %llu cases from seed %#llx (%u raised exceptions, %u without a "
		"reference), %u failures\n",
		(unsigned long long)n, (unsigned long long)seed, faults, skipped, fails);
	free(k);
	free(ob);
	free(ou);
	uc_close(uc);
	bth_free(h);
	assert_int_equal(fails, 0);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bt_diff64_random_instructions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_bt_diff.c: differential test of the bt engine. Random and corner-case
 * instructions and short sequences (test_bt_diffgen.h) run on the bt
 * interpreter, the bt translator and Unicorn (QEMU's x86 decoder and
 * semantics, an independent implementation); registers, the flags the SDM
 * defines, exceptions and memory must agree.
 *
 * make check runs a fixed seed and a bounded count; long runs:
 *     DIFF_SEED=1234 DIFF_N=200000 build/release/tests/unit/test_bt_diff
 * Unicorn is optional (HAVE_UNICORN); without it interpreter and translator
 * are compared with each other only. */
#include <stdio.h>

#include "tests/unit/test_bt_harness.h"
#include "tests/unit/test_bt_diffgen.h"
#include "vmm/bt/bt_trans.h"

#ifdef HAVE_UNICORN
#include <unicorn/unicorn.h>
#endif

struct outcome {
	uint32_t gpr[8], eip, eflags;
	int vector;         /* exception vector, -1 if none */
	bool error;         /* the runner failed (message in msg) */
	char msg[128];
	uint8_t data[DG_DATA_SIZE];
	uint8_t stack[DG_STACK_SIZE];
};

static struct x86_state base_state;

static void run_bt(struct bth *h, const struct dg_case *c, struct outcome *o)
{
	struct vm *vm = h->vm;
	memset(o, 0, sizeof(*o));
	assert_int_equal(mem_write(&vm->mem, DG_CODE, c->code, c->n), 0);
	assert_int_equal(mem_write(&vm->mem, DG_DATA, c->data, DG_DATA_SIZE), 0);
	assert_int_equal(mem_write(&vm->mem, DG_STACK_LO, c->stack, DG_STACK_SIZE), 0);
	struct x86_state s = base_state;
	for (unsigned i = 0; i < 8; i++)
		s.gpr[i] = c->gpr[i];
	s.gpr[X86_RSP] = DG_ESP;
	s.rip = DG_CODE;
	s.rflags = c->eflags | 2;
	assert_int_equal(bt_regs_set(h->v, &s), 0);
	/* the new code went in behind bt's back: drop the code page's blocks
	 * (dropping every block each case cost more than running it) */
	for (uint32_t pg = DG_CODE; pg < DG_CODE + sizeof(c->code); pg += BT_PAGE)
		bt_code_write(h->c, pg, 0);
	bt_jc_flush(h->c);
	/* warm the TLB (regs_set flushed it) so translated memory accesses run
	 * natively rather than through the miss path */
	for (uint32_t pg = DG_DATA; pg < DG_DATA + DG_DATA_SIZE; pg += BT_PAGE)
		bt_probe_write(h->c, pg, 1, false);
	bt_probe_write(h->c, DG_STACK_LO, 1, false);
	h->c->budget = 10000;
	enum bth_result r = bth_run(h);
	o->vector = -1;
	if (r == BTH_EXC) {
		o->vector = h->vector;
		o->eip = h->fault_eip;
		o->eflags = h->fault_eflags;
	} else if (r == BTH_HLT) {
		o->eip = h->c->eip - 1;
		o->eflags = h->c->eflags;
	} else {
		o->error = true;
		snprintf(o->msg, sizeof(o->msg), "bt: %s", h->ex.msg);
	}
	for (unsigned i = 0; i < 8; i++) {
		assert_true(h->c->gpr[i] <= UINT32_MAX); /* 32-bit code: high halves stay zero */
		o->gpr[i] = (uint32_t)h->c->gpr[i];
	}
	assert_int_equal(mem_read(&vm->mem, DG_DATA, o->data, DG_DATA_SIZE), 0);
	assert_int_equal(mem_read(&vm->mem, DG_STACK_LO, o->stack, DG_STACK_SIZE), 0);
}

#ifdef HAVE_UNICORN
static int uc_vector;

static void uc_hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
	(void)user;
	if (uc_vector < 0) /* later calls come from delivering it through no IDT */
		uc_vector = (int)intno;
	uc_emu_stop(uc);
}

static uint8_t uc_gdt[64]; /* the harness's GDT, copied into Unicorn */

/* Flat data selector 0x10 in every data segment register, as bt's. */
static void uc_reset_segs(uc_engine *uc)
{
	static const int sregs[] = { UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS,
				     UC_X86_REG_GS, UC_X86_REG_SS };
	uint32_t sel = 0x10;
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(sregs); i++)
		uc_reg_write(uc, sregs[i], &sel);
}

static uc_context *uc_ctx0; /* the CPU right after uc_setup() */

static uc_engine *uc_setup(void)
{
	uc_engine *uc;
	if (uc_open(UC_ARCH_X86, UC_MODE_32, &uc) != UC_ERR_OK)
		return NULL;
	assert_int_equal(uc_mem_map(uc, 0, 1 * MiB, UC_PROT_ALL), UC_ERR_OK);
	uc_mem_write(uc, BTH_GDT, uc_gdt, sizeof(uc_gdt));
	uc_x86_mmr gdtr = { .base = BTH_GDT, .limit = sizeof(uc_gdt) - 1 };
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
	uint32_t cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE;
	uint32_t cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	uc_reg_write(uc, UC_X86_REG_CR0, &cr0);
	uc_reg_write(uc, UC_X86_REG_CR4, &cr4);
	uc_reset_segs(uc);
	uc_hook hh;
	assert_int_equal(uc_hook_add(uc, &hh, UC_HOOK_INTR, (void *)uc_hook_intr, NULL, 1, 0),
			 UC_ERR_OK);
	if (!uc_ctx0)
		assert_int_equal(uc_context_alloc(uc, &uc_ctx0), UC_ERR_OK);
	assert_int_equal(uc_context_save(uc, uc_ctx0), UC_ERR_OK);
	return uc;
}

static void run_uc(uc_engine **ucp, const struct dg_case *cin, struct outcome *o)
{
	/* Unicorn 2.0.1 decodes as a CPU with every feature (TZCNT, ANDN,
	 * RDTSCP ... run whatever CPU model is set): feature-dependent
	 * encodings are compared with their older form, F2/F3 dropped (see
	 * dg_case.strip_rep); those that must raise #UD are checked against
	 * DG_EXPECT_UD, not Unicorn */
	static struct dg_case cc;
	const struct dg_case *c = cin;
	if (cin->strip_rep) {
		cc = *cin;
		unsigned k = 0;
		for (unsigned i = 0; i < cin->n; i++)
			if (i >= cin->strip_rep || (cin->code[i] != 0xf2 && cin->code[i] != 0xf3))
				cc.code[k++] = cin->code[i];
		cc.n = k;
		c = &cc;
	}
	static const int regs[8] = { UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX,
				     UC_X86_REG_EBX, UC_X86_REG_ESP, UC_X86_REG_EBP,
				     UC_X86_REG_ESI, UC_X86_REG_EDI };
	uc_engine *uc = *ucp;
	memset(o, 0, sizeof(*o));
	uc_mem_write(uc, DG_CODE, c->code, c->n);
	uc_mem_write(uc, DG_DATA, c->data, DG_DATA_SIZE);
	uc_mem_write(uc, DG_STACK_LO, c->stack, DG_STACK_SIZE);
	for (unsigned i = 0; i < 8; i++) {
		uint32_t v = i == 4 ? DG_ESP : c->gpr[i];
		uc_reg_write(uc, regs[i], &v);
	}
	uint32_t fl = c->eflags | 2;
	uc_reg_write(uc, UC_X86_REG_EFLAGS, &fl);
	uc_vector = -1;
	uc_reset_segs(uc);
	uc_mem_write(uc, BTH_GDT, uc_gdt, sizeof(uc_gdt)); /* accessed bits */
	/* Unicorn caches translations and the stop address in them */
	uc_ctl_remove_cache(uc, DG_CODE, DG_CODE + sizeof(c->code));
	/* no timeout: it costs a timer thread per run, and generated code only
	 * branches forward */
	uc_err e = uc_emu_start(uc, DG_CODE, DG_CODE + c->n - 1, 0, 0);
	o->vector = uc_vector;
	if (e == UC_ERR_INSN_INVALID)
		o->vector = X86_EXC_UD;
	else if (e != UC_ERR_OK) {
		o->error = true;
		snprintf(o->msg, sizeof(o->msg), "unicorn: %s", uc_strerror(e));
	}
	for (unsigned i = 0; i < 8; i++)
		uc_reg_read(uc, regs[i], &o->gpr[i]);
	uc_reg_read(uc, UC_X86_REG_EIP, &o->eip);
	if (c != cin && o->eip > DG_CODE)
		o->eip += cin->n - c->n; /* the bytes dropped were before it */
	uc_reg_read(uc, UC_X86_REG_EFLAGS, &o->eflags);
	uc_mem_read(uc, DG_DATA, o->data, DG_DATA_SIZE);
	uc_mem_read(uc, DG_STACK_LO, o->stack, DG_STACK_SIZE);
	if (o->vector >= 0) {
		/* Unicorn keeps the exception as "being delivered" (the next one
		 * would become #DF): back to the CPU state saved at setup (a new
		 * engine per exception cost more than the rest of the case) */
		assert_int_equal(uc_context_restore(uc, uc_ctx0), UC_ERR_OK);
	}
}
#endif

/* Compare (a) and (b); print the first difference. true if equal. */
static bool same(const struct dg_case *c, const char *an, const struct outcome *a,
		 const char *bn, const struct outcome *b, char *why, size_t len)
{
	if (a->error || b->error) {
		snprintf(why, len, "%s", a->error ? a->msg : b->msg);
		return a->error && b->error;
	}
	if (a->vector != b->vector) {
		snprintf(why, len, "vector %s=%d %s=%d", an, a->vector, bn, b->vector);
		return false;
	}
	if (a->eip != b->eip) {
		snprintf(why, len, "eip %s=%#x %s=%#x", an, a->eip, bn, b->eip);
		return false;
	}
	for (unsigned i = 0; i < 8; i++) {
		if ((c->reg_undef >> i) & 1)
			continue;
		if (a->gpr[i] != b->gpr[i]) {
			static const char *const names[8] = { "eax", "ecx", "edx", "ebx",
							      "esp", "ebp", "esi", "edi" };
			snprintf(why, len, "%s %s=%#x %s=%#x", names[i], an, a->gpr[i], bn, b->gpr[i]);
			return false;
		}
	}
	uint32_t m = (FL_ARITH | FL_DF) & ~(a->vector < 0 ? c->undef : 0);
	if ((a->eflags & m) != (b->eflags & m)) {
		snprintf(why, len, "eflags %s=%#x %s=%#x (compared %#x)", an, a->eflags & m, bn,
			 b->eflags & m, m);
		return false;
	}
	for (unsigned i = 0; i < DG_DATA_SIZE; i++)
		if (a->data[i] != b->data[i]) {
			snprintf(why, len, "data[%#x] %s=%#x %s=%#x", DG_DATA + i, an, a->data[i], bn,
				 b->data[i]);
			return false;
		}
	/* an exception frame below ESP differs between the runners; the
	 * final PUSHFD slot holds the flags, compared above with their mask */
	unsigned lo = a->vector >= 0 ? VMM_MIN(a->gpr[4] - DG_STACK_LO, DG_STACK_SIZE) : 0;
	unsigned fl_slot = a->gpr[4] - 4 - DG_STACK_LO;
	for (unsigned i = lo; i < DG_STACK_SIZE; i++)
		if (a->stack[i] != b->stack[i] && (a->vector >= 0 || i - fl_slot >= 4)) {
			snprintf(why, len, "stack[%#x] %s=%#x %s=%#x", DG_STACK_LO + i, an,
				 a->stack[i], bn, b->stack[i]);
			return false;
		}
	return true;
}

/* Generators that may follow each other in long sequences: their memory
 * operands are absolute ([disp32]) once registers may have changed, and
 * none of them reaches memory through a register set at the start. Not
 * CMPXCHG8B: Unicorn 2.0.1 clears CF/PF/AF/SF/OF there when an earlier
 * instruction set them (the SDM and the host CPU leave them unaffected). */
static bool long_ok(const char *name)
{
	static const char *const ok[] = { "alu", "unary", "test", "muldiv", "imul", "shift",
					  "dshift", "scan", "mov", "xchg", "cc",
					  "misc", "bcd", "branch" };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(ok); i++)
		if (!strcmp(name, ok[i]))
			return true;
	return false;
}

/* A long sequence (12-40 instructions): many instructions per run. The
 * registers a generator gives a value (a divisor, a shift count) get that
 * value loaded just before its instruction. After an instruction that
 * leaves flags undefined, ADD EAX,0 defines them all
 * again (deterministically, from EAX); after one that leaves a register
 * undefined, MOV r,imm32 does; so a later instruction that reads them
 * (ADC, SETcc, ...) compares like any other. */
static void gen_long(struct dg_case *c)
{
	unsigned n = 12 + dg_n(29);
	for (unsigned i = 0; i < n && c->n <= sizeof(c->code) - 96; i++) {
		/* the generators want a free register (a byte one among EAX..EBX):
		 * the sequence ends when its operands have locked them all */
		if ((c->locked & 0xf) == 0xf || ((c->locked | 0x10) & 0xff) == 0xff)
			break;
		unsigned g;
		do {
			g = dg_n(VMM_ARRAY_SIZE(dg_gens));
		} while (!long_ok(dg_gens[g].name));
		uint32_t undef = c->undef, reg_undef = c->reg_undef;
		uint16_t locked = c->locked;
		unsigned start = c->n;
		dg_gens[g].fn(c);
		/* the registers it chose values for (and locked) may have been
		 * written by the instructions before it: load those values just
		 * before it (its bytes move up; their branches are relative) */
		uint8_t pre[40];
		unsigned np = 0;
		for (unsigned r = 0; r < 8; r++) {
			if (r == 4 || !((c->locked & ~locked) >> r & 1))
				continue;
			pre[np++] = (uint8_t)(0xb8 + r); /* mov r, imm32 */
			memcpy(pre + np, &c->gpr[r], 4);
			np += 4;
		}
		memmove(c->code + start + np, c->code + start, c->n - start);
		memcpy(c->code + start, pre, np);
		c->n += np;
		if (c->undef != undef) {
			dg_b(c, 0x83); /* add eax, 0 */
			dg_b(c, 0xc0);
			dg_b(c, 0x00);
			c->undef = undef;
		}
		for (unsigned r = 0; r < 8; r++) {
			if (!((c->reg_undef & ~reg_undef) >> r & 1) || r == 4)
				continue;
			dg_b(c, (uint8_t)(0xb8 + r)); /* mov r, imm32 */
			dg_d(c, 0x5eed0000u + r);
		}
		c->reg_undef = reg_undef | (c->reg_undef & (1u << 4));
	}
	snprintf(c->what, sizeof(c->what), "long sequence");
}

static void gen_case(struct dg_case *c, unsigned kind)
{
	bool single = kind == 0;
	memset(c, 0, sizeof(*c));
	c->single = single;
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
	unsigned n = single ? 1 : kind == 2 ? 0 : 2 + dg_n(6);
	if (kind == 2)
		gen_long(c);
	if (single && dg_n(8) == 0) {
		/* an x87, MMX or SSE2 stream (one kind per case) */
		dg_fp_gens[dg_n(VMM_ARRAY_SIZE(dg_fp_gens))](c);
		n = 0;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned g;
		do {
			g = dg_n(VMM_ARRAY_SIZE(dg_gens));
		} while (!single && !dg_gens[g].seq);
		if (c->n > sizeof(c->code) - 24)
			break;
		dg_gens[g].fn(c);
		if (!single)
			snprintf(c->what, sizeof(c->what), "sequence of %u", n);
	}
	/* PUSHFD; POPFD; HLT: Unicorn 2.0.1 can report stale EFLAGS when its
	 * last block ended in a LOOPcc; reading the flags makes it sync them */
	dg_b(c, 0x9c);
	dg_b(c, 0x9d);
	dg_b(c, 0xf4);
}

static void print_out(const char *name, const struct outcome *o)
{
	fprintf(stderr, "  %s: eax=%#x ecx=%#x edx=%#x ebx=%#x esp=%#x ebp=%#x esi=%#x edi=%#x"
		" eip=%#x fl=%#x vec=%d\n", name, o->gpr[0], o->gpr[1], o->gpr[2], o->gpr[3],
		o->gpr[4], o->gpr[5], o->gpr[6], o->gpr[7], o->eip, o->eflags, o->vector);
}

static void print_case(struct bth *h, const struct dg_case *c, const char *why, uint64_t seed)
{
	char hex[3 * sizeof(c->code) + 1] = "";
	for (unsigned i = 0; i < c->n; i++)
		snprintf(hex + 3 * i, 4, "%02x ", c->code[i]);
	fprintf(stderr, "diff: case seed %#llx (%s): %s\n  code: %s\n",
		(unsigned long long)seed, c->what, why, hex);
	unsigned off = 0;
	while (off < c->n) {
		struct bt_insn in;
		char txt[96];
		if (bt_decode(h->c->dec, c->code + off, c->n - off, DG_CODE + off, 32, &in))
			break;
		bt_disasm(h->c->dec, &in, DG_CODE + off, 32, txt, sizeof(txt));
		fprintf(stderr, "    %#x: %s\n", DG_CODE + off, txt);
		off += in.len;
	}
	fprintf(stderr, "  in: eax=%#x ecx=%#x edx=%#x ebx=%#x ebp=%#x esi=%#x edi=%#x fl=%#x\n",
		c->gpr[0], c->gpr[1], c->gpr[2], c->gpr[3], c->gpr[5], c->gpr[6], c->gpr[7],
		c->eflags);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *e = getenv(name);
	return e && *e ? strtoull(e, NULL, 0) : def;
}

static void test_bt_diff_random_instructions(void **state)
{
	(void)state;
	uint64_t seed = env_u64("DIFF_SEED", 0x7e57b7d1ff5eedull);
	/* until DIFF_INSNS guest instructions ran (each case's generated code,
	 * counted by the interpreter), or DIFF_N cases when that is given */
	uint64_t n = env_u64("DIFF_N", UINT64_MAX);
	uint64_t want = env_u64("DIFF_INSNS", n == UINT64_MAX ? 1000000 : UINT64_MAX);
	uint64_t insns = 0, cases = 0, t0 = vmm_now_ns();
	fprintf(stderr, "diff: seed %#llx (DIFF_SEED=%#llx reproduces this run; a failing case's own "
		"seed with DIFF_N=1 reproduces that case)\n", (unsigned long long)seed,
		(unsigned long long)seed);
	setenv("TRIPLEX_BT_INTERP", "1", 1);
	struct bth *hi = bth_new(BTH_FLAT32);
	setenv("TRIPLEX_BT_INTERP", "0", 1);
	struct bth *ht = bth_new(BTH_FLAT32);
	bool have_trans = ht->c->tc != NULL;
	assert_int_equal(bt_regs_get(hi->v, &base_state), 0);
	/* the FPU streams: x87 errors as #MF, SSE enabled (as in uc_setup) */
	base_state.cr0 |= X86_CR0_MP | X86_CR0_NE;
	base_state.cr4 |= X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
#ifdef HAVE_UNICORN
	assert_int_equal(mem_read(&hi->vm->mem, BTH_GDT, uc_gdt, sizeof(uc_gdt)), 0);
	uc_engine *uc = uc_setup();
	assert_non_null(uc);
#endif
	unsigned fails = 0;
	struct dg_case *c = malloc(sizeof(*c));
	struct outcome *oi = malloc(sizeof(*oi)), *ot = malloc(sizeof(*ot));
	struct outcome *ou = malloc(sizeof(*ou));
	for (uint64_t k = 0; k < n && insns < want && fails < 20; k++) {
		uint64_t cs = seed + k * 0x9e3779b97f4a7c15ull;
		dg_seed = cs | 1;
		unsigned kind = dg_n(8);
		gen_case(c, kind < 4 ? 0 : kind < 5 ? 1 : 2);
		char why[256];
		uint64_t before = hi->c->ctr[BT_CTR_INTERP_INSNS].count;
		run_bt(hi, c, oi);
		uint64_t ran = hi->c->ctr[BT_CTR_INTERP_INSNS].count - before;
		insns += oi->vector < 0 && ran >= 3 ? ran - 3 : ran; /* not PUSHFD; POPFD; HLT */
		cases++;
		if (have_trans) {
			run_bt(ht, c, ot);
			if (!same(c, "interp", oi, "trans", ot, why, sizeof(why))) {
				print_case(hi, c, why, cs);
				print_out("interp", oi);
				print_out("trans", ot);
				fails++;
				continue;
			}
		}
		if (c->expect_ud && (oi->vector != X86_EXC_UD || oi->eip != DG_CODE)) {
			snprintf(why, sizeof(why), "expected #UD at %#x", DG_CODE);
			print_case(hi, c, why, cs);
			print_out("bt", oi);
			fails++;
			continue;
		}
#ifdef HAVE_UNICORN
		if (c->expect_ud)
			continue;
		run_uc(&uc, c, ou);
		if (!same(c, "bt", oi, "unicorn", ou, why, sizeof(why))) {
			print_case(hi, c, why, cs);
			print_out("bt", oi);
			print_out("unicorn", ou);
			fails++;
		}
#endif
	}
	if (have_trans)
		fprintf(stderr, "diff: translator: %llu blocks translated, %llu interpreter helper calls\n",
			(unsigned long long)ht->c->ctr[BT_CTR_TRANSLATED].count,
			(unsigned long long)ht->c->helper[BT_H_INTERP].count);
	double secs = (double)(vmm_now_ns() - t0) / 1e9;
	fprintf(stderr, "diff: %llu cases, %llu guest instructions from seed %#llx (%s), %u "
		"failures, %.1f s (%.0f instructions/s)\n", (unsigned long long)cases,
		(unsigned long long)insns, (unsigned long long)seed,
		have_trans ? "interpreter, translator" : "interpreter only",
#ifdef HAVE_UNICORN
		fails, secs, (double)insns / secs);
	fprintf(stderr, "diff: every case also ran on Unicorn\n");
#else
		fails, secs, (double)insns / secs);
#endif
	free(c);
	free(oi);
	free(ot);
	free(ou);
#ifdef HAVE_UNICORN
	uc_context_free(uc_ctx0);
	uc_ctx0 = NULL;
	uc_close(uc);
#endif
	bth_free(hi);
	bth_free(ht);
	assert_int_equal(fails, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bt_diff_random_instructions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

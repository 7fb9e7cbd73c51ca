/* test_bt_harness.h: helpers for the bt engine's unit tests (included by
 * tests/unit/test_bt_*.c): a VM with the bt engine and no board, a flat
 * 32-bit protected-mode machine (GDT, TSS, IDT whose handlers are HLT stubs
 * that report the vector), a capture device on port 0xe9, and guest code
 * written as .code32/.code16 assembly inside the test file:
 *
 *     BTH_CODE(t_add, "mov $2, %eax\n add $3, %eax\n hlt");
 *     struct bth *h = bth_new(BTH_FLAT32);
 *     bth_load(h, BTH_CODE_ADDR, t_add_start, t_add_end);
 *     assert_int_equal(bth_run(h), BTH_HLT);
 *     assert_int_equal(h->c->gpr[0], 5);
 */
#ifndef TESTS_UNIT_TEST_BT_HARNESS_H
#define TESTS_UNIT_TEST_BT_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "tests/unit/util.h"
#include "vmm/bt/bt_internal.h"

/* Guest code assembled in place: (name)_start[] .. (name)_end[]. */
#define BTH_ASM(name, mode, body)                                              \
	__asm__(".pushsection .rodata.bth_" #name ",\"a\"\n" mode "\n" #name  \
		"_start:\n" body "\n" #name "_end:\n.code64\n.popsection\n");  \
	extern const uint8_t name##_start[], name##_end[]
#define BTH_CODE(name, body) BTH_ASM(name, ".code32", body)
#define BTH_CODE16(name, body) BTH_ASM(name, ".code16", body)

/* Guest memory layout */
#define BTH_GDT 0x500u
#define BTH_IDT 0x800u
#define BTH_TSS 0x1000u
#define BTH_STUBS 0x2000u      /* IDT handler for vector n: HLT at STUBS + 4n */
#define BTH_CODE_ADDR 0x10000u
#define BTH_DATA 0x20000u
#define BTH_STACK 0x30000u     /* ESP at start (grows down) */
#define BTH_KSTACK 0x38000u    /* TSS.ESP0 */

/* Selectors */
#define BTH_KCS 0x08
#define BTH_KDS 0x10
#define BTH_UCS 0x1b
#define BTH_UDS 0x23
#define BTH_TSS_SEL 0x28
#define BTH_CS16 0x30
#define BTH_DS16 0x38

enum bth_result { BTH_HLT, BTH_EXC, BTH_SHUTDOWN, BTH_ERROR };

struct bth {
	struct vm *vm;
	struct vcpu *v;
	struct bt_cpu *c;
	struct vcpu_exit ex;
	int vector;          /* BTH_EXC: the vector that reached its stub */
	uint32_t err;        /* its error code (if the vector has one) */
	uint32_t fault_eip;  /* EIP in the exception frame */
	uint32_t fault_eflags;
	char out[4096];      /* bytes written to port 0xe9 */
	unsigned nout;
};

static inline int bth_e9(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct bth *h = dev;
	(void)off;
	if (is_write && h->nout < sizeof(h->out) - 1)
		h->out[h->nout++] = *(char *)data;
	else if (!is_write)
		memset(data, 0xe9, size);
	return 0;
}

static inline void bth_desc(struct bth *h, unsigned sel, uint32_t base, uint32_t limit, unsigned type,
		     unsigned s, unsigned dpl, unsigned db, unsigned g)
{
	struct x86_seg seg = { .base = base, .limit = limit, .type = (uint8_t)type,
			       .s = (uint8_t)s, .dpl = (uint8_t)dpl, .present = 1,
			       .db = (uint8_t)db, .g = (uint8_t)g };
	uint64_t d = x86_seg_to_desc(&seg);
	assert_int_equal(mem_write(&h->vm->mem, BTH_GDT + (sel & ~7u), &d, 8), 0);
}

static inline void bth_gate(struct bth *h, unsigned vec, uint32_t off, unsigned sel, unsigned type,
		     unsigned dpl)
{
	uint64_t g = (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)type << 40) |
		     ((uint64_t)dpl << 45) | (1ull << 47) | ((uint64_t)(off >> 16) << 48);
	assert_int_equal(mem_write(&h->vm->mem, BTH_IDT + vec * 8, &g, 8), 0);
}

/* The machine: flat 32-bit ring 0 (BTH_FLAT32) or real mode (BTH_REAL). */
enum bth_mode { BTH_FLAT32, BTH_REAL };

static struct bth *bth_new(enum bth_mode mode)
{
	struct bth *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->vm = test_vm_create(16 * MiB);
	assert_non_null(h->vm);
	assert_int_equal(io_register(&h->vm->pio, 0xe9, 1, "bth-e9", bth_e9, h), 0);
	struct x86_state s;
	x86_state_reset(&s);
	if (mode == BTH_FLAT32) {
		bth_desc(h, BTH_KCS, 0, 0xfffff, 0xb, 1, 0, 1, 1);
		bth_desc(h, BTH_KDS, 0, 0xfffff, 0x3, 1, 0, 1, 1);
		bth_desc(h, BTH_UCS, 0, 0xfffff, 0xb, 1, 3, 1, 1);
		bth_desc(h, BTH_UDS, 0, 0xfffff, 0x3, 1, 3, 1, 1);
		bth_desc(h, BTH_TSS_SEL, BTH_TSS, 0x67, 0xb, 0, 0, 0, 0);
		bth_desc(h, BTH_CS16, 0, 0xffff, 0xb, 1, 0, 0, 0);
		bth_desc(h, BTH_DS16, 0, 0xffff, 0x3, 1, 0, 0, 0);
		uint32_t tss[26] = { 0 };
		tss[1] = BTH_KSTACK; /* ESP0 */
		tss[2] = BTH_KDS;    /* SS0 */
		tss[25] = 104u << 16; /* I/O map base beyond the limit: no bitmap */
		assert_int_equal(mem_write(&h->vm->mem, BTH_TSS, tss, sizeof(tss)), 0);
		for (unsigned v = 0; v < 256; v++) {
			uint8_t hlt = 0xf4;
			assert_int_equal(mem_write(&h->vm->mem, BTH_STUBS + 4 * v, &hlt, 1), 0);
			bth_gate(h, v, BTH_STUBS + 4 * v, BTH_KCS, 0xe, v >= 0x80 ? 3 : 0);
		}
		x86_seg_flat(&s.seg[X86_CS], BTH_KCS, true, false);
		for (unsigned i = 0; i < X86_NR_SREGS; i++)
			if (i != X86_CS)
				x86_seg_flat(&s.seg[i], BTH_KDS, false, false);
		s.gdt = (struct x86_dtable){ BTH_GDT, 0x3f };
		s.idt = (struct x86_dtable){ BTH_IDT, 256 * 8 - 1 };
		s.tr = (struct x86_seg){ .sel = BTH_TSS_SEL, .base = BTH_TSS, .limit = 0x67,
					 .type = 0xb, .present = 1 };
		s.cr0 = X86_CR0_PE | X86_CR0_ET;
		s.rip = BTH_CODE_ADDR;
		s.gpr[X86_RSP] = BTH_STACK;
	} else {
		for (unsigned i = 0; i < X86_NR_SREGS; i++)
			x86_seg_real(&s.seg[i], 0, i == X86_CS);
		s.idt = (struct x86_dtable){ 0, 0x3ff };
		s.rip = 0x7c00;
		s.gpr[X86_RSP] = 0x7000;
	}
	assert_int_equal(vm_engine_init(h->vm, &bt_engine_ops, &s), 0);
	h->v = h->vm->vcpu[0];
	h->c = bt_cpu_of(h->v);
	return h;
}

static inline void bth_free(struct bth *h)
{
	vm_destroy(h->vm);
	free(h);
}

static inline void bth_load(struct bth *h, uint32_t addr, const uint8_t *start, const uint8_t *end)
{
	assert_int_equal(mem_write(&h->vm->mem, addr, start, (uint64_t)(end - start)), 0);
}

static inline void bth_poke32(struct bth *h, uint32_t addr, uint32_t v)
{
	assert_int_equal(mem_write(&h->vm->mem, addr, &v, 4), 0);
}

static inline uint32_t bth_peek32(struct bth *h, uint32_t addr)
{
	uint32_t v = 0;
	assert_int_equal(mem_read(&h->vm->mem, addr, &v, 4), 0);
	return v;
}

static inline bool bth_has_error(int vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
}

/* Run until HLT, shutdown or error; a HLT in an IDT stub is BTH_EXC with
 * vector, error code and faulting EIP filled (the frame is popped, so the
 * registers are those at the exception). */
static inline enum bth_result bth_run(struct bth *h)
{
	if (!h->c->budget)
		h->c->budget = 1000000;
	for (;;) {
		memset(&h->ex, 0, sizeof(h->ex));
		assert_int_equal(bt_engine_ops.vcpu_run(h->v, &h->ex), 0);
		if (h->ex.reason == VCPU_EXIT_REQUEST)
			continue;
		break;
	}
	h->c->budget = 0;
	if (h->ex.reason == VCPU_EXIT_SHUTDOWN)
		return BTH_SHUTDOWN;
	if (h->ex.reason != VCPU_EXIT_HLT)
		return BTH_ERROR;
	uint32_t eip = h->c->eip - 1;
	if ((h->c->cr0 & X86_CR0_PE) && eip >= BTH_STUBS && eip < BTH_STUBS + 4 * 256 &&
	    h->c->seg[X86_CS].base == 0) {
		h->vector = (int)((eip - BTH_STUBS) / 4);
		uint32_t sp = h->c->gpr[X86_RSP];
		if (bth_has_error(h->vector)) {
			h->err = bth_peek32(h, sp);
			sp += 4;
		}
		h->fault_eip = bth_peek32(h, sp);
		h->fault_eflags = bth_peek32(h, sp + 8);
		h->c->gpr[X86_RSP] = sp + 12;
		return BTH_EXC;
	}
	return BTH_HLT;
}

/* cmocka group fixtures: which bt back end the group runs on (the
 * interpreter, the translator with memory windows, or with the software TLB). */
static inline int bth_setup_interp(void **state)
{
	(void)state;
	setenv("TRIPLEX_BT_INTERP", "1", 1);
	return 0;
}

static inline int bth_setup_trans(void **state)
{
	(void)state;
	setenv("TRIPLEX_BT_INTERP", "0", 1);
	unsetenv("TRIPLEX_BT_MEM");
	return 0;
}

static inline int bth_setup_softmmu(void **state)
{
	(void)state;
	setenv("TRIPLEX_BT_INTERP", "0", 1);
	setenv("TRIPLEX_BT_MEM", "softmmu", 1);
	return 0;
}

static inline int bth_teardown_softmmu(void **state)
{
	(void)state;
	unsetenv("TRIPLEX_BT_MEM");
	return 0;
}

#endif

/* bench_bt.c: the bt engine's hot paths, each as a small 32-bit guest loop
 * run for BATCH iterations per benchmark iteration (items/s = guest loop
 * iterations per second): straight-line translated code, chained loops,
 * call/ret through the indirect-branch table, memory through the window
 * and through the software TLB, a port-I/O helper, an INT/IRET round trip,
 * the interpreter; x87/SSE2 instructions (run on the host FPU with the
 * guest state switched in, bt_fpu.c) against the same x87 loop natively and
 * the switch alone; and the translator itself (decode, translate). */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "perf/bench/bench.h"
#include "vmm/bt/bt_internal.h"
#include "vmm/bt/bt_trans.h"
#include "vmm/core/vm.h"

#define BATCH 100000
#define CODE 0x10000u
#define GDT 0x500u
#define IDT 0x800u
#define DATA 0x20000u

#define BBT_ASM(name, body)                                                    \
	__asm__(".pushsection .rodata.bbt_" #name ",\"a\"\n.code32\n" #name     \
		"_start:\n" body "\n" #name "_end:\n.code64\n.popsection\n");  \
	extern const uint8_t name##_start[], name##_end[]

/* Each loop runs ECX = BATCH times, then HLT. */
BBT_ASM(g_arith, "1: add %eax, %ebx\n xor %ebx, %edx\n lea 1(%esi), %esi\n"
		 "imul $3, %edx, %edi\n dec %ecx\n jnz 1b\n hlt");
BBT_ASM(g_callret, "1: call 2f\n dec %ecx\n jnz 1b\n hlt\n 2: add $1, %eax\n ret");
BBT_ASM(g_mem, "mov $0x20000, %esi\n 1: mov (%esi), %eax\n add %eax, 4(%esi)\n"
	       "mov 8(%esi), %ebx\n mov %ebx, 12(%esi)\n dec %ecx\n jnz 1b\n hlt");
BBT_ASM(g_io, "1: in $0x80, %al\n dec %ecx\n jnz 1b\n hlt");
BBT_ASM(g_int, "1: int $0x30\n dec %ecx\n jnz 1b\n hlt");
BBT_ASM(g_iret, "iret");
/* FP hot paths: three x87 or three SSE2 instructions with memory operands */
BBT_ASM(g_x87, "mov $0x20000, %esi\n 1: fldl (%esi)\n faddl 8(%esi)\n fstpl 16(%esi)\n"
	       "dec %ecx\n jnz 1b\n hlt");
BBT_ASM(g_sse2, "mov $0x20000, %esi\n 1: movsd (%esi), %xmm0\n addsd 8(%esi), %xmm0\n"
		"movsd %xmm0, 16(%esi)\n dec %ecx\n jnz 1b\n hlt");

static int null_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	(void)dev;
	(void)off;
	if (!is_write)
		memset(data, 0, size);
	return 0;
}

struct bbt {
	struct vm *vm;
	struct vcpu *v;
	struct bt_cpu *c;
};

static void put_desc(struct vm *vm, unsigned sel, bool code)
{
	struct x86_seg s;
	x86_seg_flat(&s, (uint16_t)sel, code, false);
	uint64_t d = x86_seg_to_desc(&s);
	if (mem_write(&vm->mem, GDT + sel, &d, 8))
		abort(); /* inside 16 MiB: cannot fail */
}

/* A flat 32-bit ring-0 VM running (code); (mode): NULL, "interp" or
 * "softmmu". Returns false (after bench_skip) on failure. */
static bool bbt_create(struct bench_state *st, struct bbt *b, const uint8_t *code, size_t len,
		       const char *mode)
{
	setenv("TRIPLEX_BT_INTERP", mode && !strcmp(mode, "interp") ? "1" : "0", 1);
	setenv("TRIPLEX_BT_MEM", mode && !strcmp(mode, "softmmu") ? "softmmu" : "window", 1);
	struct vm_config cfg = { .mem_size = 16 * MiB, .nr_vcpus = 1 };
	b->vm = vm_create(&cfg);
	if (!b->vm) {
		bench_skip(st, "cannot create a VM");
		return false;
	}
	if (io_register(&b->vm->pio, 0x80, 1, "null", null_io, NULL))
		return false;
	put_desc(b->vm, 0x08, true);
	put_desc(b->vm, 0x10, false);
	/* vector 0x30: an interrupt gate to a lone IRET */
	uint32_t handler = CODE + 0x1000;
	uint64_t gate = (handler & 0xffff) | (0x08ull << 16) | (0xeull << 40) | (1ull << 47) |
			((uint64_t)(handler >> 16) << 48);
	if (mem_write(&b->vm->mem, handler, g_iret_start, (size_t)(g_iret_end - g_iret_start)) ||
	    mem_write(&b->vm->mem, IDT + 0x30 * 8, &gate, 8) ||
	    mem_write(&b->vm->mem, CODE, code, len)) {
		bench_skip(st, "cannot write guest memory");
		vm_destroy(b->vm);
		return false;
	}
	struct x86_state s;
	x86_state_reset(&s);
	x86_seg_flat(&s.seg[X86_CS], 0x08, true, false);
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		if (i != X86_CS)
			x86_seg_flat(&s.seg[i], 0x10, false, false);
	s.gdt = (struct x86_dtable){ GDT, 0x17 };
	s.idt = (struct x86_dtable){ IDT, 0x40 * 8 - 1 };
	s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_MP | X86_CR0_NE;
	s.cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s.gpr[X86_RSP] = 0x90000;
	s.rip = CODE;
	if (vm_engine_init(b->vm, engine_find("bt"), &s)) {
		bench_skip(st, "bt engine init failed");
		vm_destroy(b->vm);
		return false;
	}
	b->v = b->vm->vcpu[0];
	b->c = b->v->engine_priv;
	return true;
}

/* Run the guest loop once (BATCH iterations) from the start. */
static void bbt_batch(struct bbt *b)
{
	b->c->eip = CODE;
	b->c->gpr[X86_RCX] = BATCH;
	struct vcpu_exit ex;
	do {
		memset(&ex, 0, sizeof(ex));
		(void)b->vm->engine->vcpu_run(b->v, &ex);
	} while (ex.reason == VCPU_EXIT_REQUEST);
}

static void bbt_loop(struct bench_state *st, const uint8_t *code, size_t len, const char *mode)
{
	struct bbt b;
	if (!bbt_create(st, &b, code, len, mode))
		return;
	bbt_batch(&b); /* translate and warm the window/TLB */
	while (bench_running(st))
		bbt_batch(&b);
	bench_items(st, bench_iterations(st) * BATCH);
	vm_destroy(b.vm);
}

#define LOOP(name, mode) bbt_loop(st, name##_start, (size_t)(name##_end - name##_start), mode)

BENCH(bench_bt_translated_arith_loop) { LOOP(g_arith, NULL); }
BENCH(bench_bt_interpreted_arith_loop) { LOOP(g_arith, "interp"); }
BENCH(bench_bt_call_ret) { LOOP(g_callret, NULL); }
BENCH(bench_bt_memory_window) { LOOP(g_mem, NULL); }
BENCH(bench_bt_memory_softmmu) { LOOP(g_mem, "softmmu"); }
BENCH(bench_bt_port_in_helper) { LOOP(g_io, NULL); }
BENCH(bench_bt_int_iret_roundtrip) { LOOP(g_int, NULL); }
BENCH(bench_bt_fpu_x87_loop) { LOOP(g_x87, NULL); }
BENCH(bench_bt_fpu_x87_loop_interp) { LOOP(g_x87, "interp"); }
BENCH(bench_bt_fpu_sse2_loop) { LOOP(g_sse2, NULL); }

/* The same x87 loop body natively (the reference for the two above). */
BENCH(bench_bt_fpu_x87_loop_native)
{
	static double v[3] = { 1.5, 2.25, 0 };
	int64_t n = 0;
	while (bench_running(st)) {
		for (unsigned i = 0; i < BATCH; i++)
			__asm__ volatile("fldl %1\n\tfaddl %2\n\tfstpl %0"
					 : "=m"(v[2]) : "m"(v[0]), "m"(v[1]));
		n += BATCH;
	}
	bench_items(st, n);
}

/* The guest-state switch every FP instruction pays today: FXRSTOR of the
 * guest image, FXSAVE, FNINIT and the host MXCSR (items = switches). */
BENCH(bench_bt_fpu_state_switch)
{
	static struct x86_fpu img;
	uint32_t mx = 0x1f80;
	int64_t n = 0;
	__asm__ volatile("fxsave %0" : "=m"(img));
	while (bench_running(st)) {
		for (unsigned i = 0; i < BATCH; i++)
			__asm__ volatile("fxrstor %0\n\tfxsave %0\n\tfninit\n\tldmxcsr %1"
					 : "+m"(img) : "m"(mx));
		n += BATCH;
	}
	bench_items(st, n);
}

/* The translator alone: decode one block of the arithmetic loop, then
 * translate it again and again (items = guest instructions). */
BENCH(bench_bt_decode_insn)
{
	struct bt_decoder *d = bt_decoder_create();
	struct bt_insn in;
	size_t len = (size_t)(g_arith_end - g_arith_start);
	int64_t n = 0;
	while (bench_running(st)) {
		for (size_t off = 0; off < len; off += in.len, n++)
			if (bt_decode(d, g_arith_start + off, (unsigned)(len - off), CODE, 32, &in))
				break;
	}
	bench_items(st, n);
	bt_decoder_destroy(d);
}

BENCH(bench_bt_translate_block)
{
	struct bbt b;
	if (!bbt_create(st, &b, g_arith_start, (size_t)(g_arith_end - g_arith_start), NULL))
		return;
	bbt_batch(&b);
	b.c->eip = CODE; /* the loop body block starts at CODE */
	jmp_buf jb;
	b.c->jmp = &jb;
	struct bt_block *blk = NULL;
	if (!setjmp(jb))
		blk = bt_block_get(b.c);
	b.c->jmp = NULL;
	int64_t n = 0;
	while (blk && bench_running(st)) {
		bt_tcache_flush(b.c);
		(void)bt_translate(b.c, blk);
		n += blk->ninsn;
	}
	bench_items(st, n);
	vm_destroy(b.vm);
}

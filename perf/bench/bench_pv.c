/* bench_pv.c: the round trip of each kind of VMI call under the pv engine,
 * 32- and 64-bit: a small PV guest calls one ROM entry BATCH times per
 * benchmark iteration; the counter ns_per_call is the wall-clock round trip
 * (items/s counts on the VMM thread's CPU time, which sleeps meanwhile):
 *   rom_irq_disable    handled in the ROM on the shared page (no exit)
 *   hcall_pte_flush    a hypercall the sandbox handles itself (int3, signal)
 *   hcall_invlpg       the same with a TLB invalidation of an unmapped page
 *   vmm_io_out         a port write: sandbox -> VMM -> sandbox
 *   user_syscall       user mode -> guest kernel -> user mode (two sandboxes)
 * Each batch ends with a port write the VMM counts to stop the run. */
#include <string.h>

#include "perf/bench/bench.h"
#include "vmm/core/vm.h"
#include "vmm/pv/pv_internal.h"

#define BATCH 2000
#define BATCH_FAST 200000
#define CODE 0x10000u
#define STOP_PORT 0x99
#define E(n) "(0xfff00030 + 8 * " #n ")" /* the ROM's entry table */

/* Loops: EBX/RBX counts (callee-saved in both conventions); after each
 * batch an IO_OUT to STOP_PORT. CALL32/CALL64 call entry (n). */
#define CALL32(n) "call *" E(n) "\n"
#define CALL64(n) "movabs $" E(n) ", %rax\n call *(%rax)\n"
#define STOP32 "push $0\n push $1\n push $0x99\n" CALL32(30) "add $12, %esp\n"
#define STOP64 "mov $0x99, %edi\n mov $1, %esi\n xor %edx, %edx\n" CALL64(30)

#define BPV_ASM(name, bits, batch, body)                                       \
	__asm__(".pushsection .rodata.bpv_" #name ",\"a\"\n.code" #bits "\n" #name \
		"_start:\n mov $0x80000, %esp\n 1: mov $" #batch ", %ebx\n 2:\n" body \
		" dec %ebx\n jnz 2b\n" STOP##bits " jmp 1b\n" #name "_end:\n"          \
		".code64\n.popsection\n");                                     \
	extern const uint8_t name##_start[], name##_end[]

BPV_ASM(p32_irq, 32, 200000, CALL32(3));
BPV_ASM(p64_irq, 64, 200000, CALL64(3));
BPV_ASM(p32_flush, 32, 2000, CALL32(19));
BPV_ASM(p64_flush, 64, 2000, CALL64(19));
BPV_ASM(p32_invlpg, 32, 2000, "push $0x300000\n" CALL32(16) "add $4, %esp\n");
BPV_ASM(p64_invlpg, 64, 2000, "mov $0x300000, %edi\n" CALL64(16));
BPV_ASM(p32_io, 32, 2000, "push $0\n push $1\n push $0x9b\n" CALL32(30) "add $12, %esp\n");
BPV_ASM(p64_io, 64, 2000, "mov $0x9b, %edi\n mov $1, %esi\n xor %edx, %edx\n" CALL64(30));

/* User mode: an IDT whose gate 0x80 (DPL 3) returns at once, except nr 1,
 * which does the batch's port write; the user loop calls the ROM's
 * int 0x80 entry. IDT at 0x14000, kernel stack 0x80000, user 0x70000. */
__asm__(".pushsection .rodata.bpv_sys32,\"a\"\n.code32\n"
	"p32_sys_start:\n"
	" mov $0x80000, %esp\n"
	" mov $(p32_sys_h - p32_sys_start + 0x10000), %eax\n"
	" mov %ax, 0x14400\n movw $8, 0x14402\n movw $0xee00, 0x14404\n"
	" shr $16, %eax\n mov %ax, 0x14406\n"
	" push $(p32_sys_idtr - p32_sys_start + 0x10000)\n" CALL32(21) " add $4, %esp\n"
	" push $0x80000\n push $0x12000\n" CALL32(23) " add $8, %esp\n"
	" push $0x23\n push $0x70000\n push $0x202\n push $0x1b\n"
	" push $(p32_sys_user - p32_sys_start + 0x10000)\n jmp *" E(24) "\n"
	"p32_sys_h:\n cmp $1, %eax\n jne 1f\n" STOP32 "1: jmp *" E(24) "\n"
	"p32_sys_user:\n 1: mov $2000, %esi\n 2: push $0\n push $0\n push $0\n" CALL32(27)
	" add $12, %esp\n dec %esi\n jnz 2b\n push $0\n push $0\n push $1\n" CALL32(27)
	" add $12, %esp\n jmp 1b\n"
	"p32_sys_idtr: .word 0x7ff\n .long 0x14000\n"
	"p32_sys_end:\n.code64\n.popsection\n");
extern const uint8_t p32_sys_start[], p32_sys_end[];

__asm__(".pushsection .rodata.bpv_sys64,\"a\"\n.code64\n"
	"p64_sys_start:\n"
	" mov $0x80000, %esp\n"
	" mov $(p64_sys_h - p64_sys_start + 0x10000), %eax\n"
	" mov %ax, 0x14800\n movw $8, 0x14802\n movw $0xee00, 0x14804\n"
	" shr $16, %eax\n mov %ax, 0x14806\n movq $0, 0x14808\n"
	" mov $(p64_sys_idtr - p64_sys_start + 0x10000), %edi\n" CALL64(21)
	" mov $0x12000, %edi\n mov $0x80000, %esi\n" CALL64(23)
	" push $0x23\n push $0x70000\n push $0x202\n push $0x2b\n"
	" push $(p64_sys_user - p64_sys_start + 0x10000)\n"
	" movabs $" E(24) ", %rax\n jmp *(%rax)\n"
	"p64_sys_h:\n cmp $1, %eax\n jne 1f\n" STOP64
	"1: movabs $" E(24) ", %rax\n jmp *(%rax)\n"
	"p64_sys_user:\n 1: mov $2000, %r12d\n 2: xor %edi, %edi\n xor %esi, %esi\n xor %edx, %edx\n"
	CALL64(27) " dec %r12d\n jnz 2b\n mov $1, %edi\n xor %esi, %esi\n xor %edx, %edx\n"
	CALL64(27) " jmp 1b\n"
	"p64_sys_idtr: .word 0xfff\n .quad 0x14000\n"
	"p64_sys_end:\n.popsection\n");
extern const uint8_t p64_sys_start[], p64_sys_end[];

struct sink {
	struct vm *vm;
};

static int stop_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct sink *s = dev;
	if (!is_write)
		memset(data, 0, size);
	else if (off == 0)
		vm_request_stop(s->vm, VM_STOP_QUIT, 0, NULL);
	return 0;
}

static void run(struct bench_state *st, unsigned bits, const uint8_t *start, const uint8_t *end,
		unsigned batch)
{
	struct vm_config cfg = { .mem_size = 4 * MiB, .nr_vcpus = 1 };
	struct vm *vm = vm_create(&cfg);
	struct sink sink = { .vm = vm };
	struct x86_state s;
	x86_state_reset(&s);
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		x86_seg_flat(&s.seg[i], i == X86_CS ? 8 : 16, i == X86_CS, false);
	s.rip = CODE;
	if (!vm || io_register(&vm->pio, STOP_PORT, 3, "bench", stop_io, &sink) ||
	    pv_flat_setup(vm, bits, start, (uint64_t)(end - start), CODE, CODE) ||
	    vm_engine_init(vm, &pv_engine_ops, &s)) {
		bench_skip(st, "cannot set up the PV guest");
		if (vm)
			vm_destroy(vm);
		return;
	}
	struct vcpu_exit ex;
	uint64_t t0 = vmm_now_ns();
	while (bench_running(st)) {
		vm->stop_reason = VM_RUNNING;
		vm->vcpu[0]->requests = 0;
		memset(&ex, 0, sizeof(ex));
		if (pv_vcpu_run(vm->vcpu[0], &ex) || ex.reason != VCPU_EXIT_REQUEST) {
			bench_skip(st, ex.msg[0] ? ex.msg : "the PV guest stopped");
			break;
		}
	}
	/* The VMM thread sleeps while a sandbox runs: its CPU time means
	 * nothing, so give the wall-clock round trip. */
	double calls = (double)bench_iterations(st) * batch;
	bench_counter(st, "ns_per_call", calls > 0 ? (double)(vmm_now_ns() - t0) / calls : 0, false);
	bench_items(st, (int64_t)calls);
	vm_destroy(vm);
}

#define BPV(name, bits, guest, batch)                                          \
	BENCH(bench_pv_##name##_##bits)                                        \
	{                                                                      \
		run(st, bits, guest##_start, guest##_end, batch);              \
	}

BPV(rom_irq_disable, 32, p32_irq, BATCH_FAST)
BPV(rom_irq_disable, 64, p64_irq, BATCH_FAST)
BPV(hcall_pte_flush, 32, p32_flush, BATCH)
BPV(hcall_pte_flush, 64, p64_flush, BATCH)
BPV(hcall_invlpg, 32, p32_invlpg, BATCH)
BPV(hcall_invlpg, 64, p64_invlpg, BATCH)
BPV(vmm_io_out, 32, p32_io, BATCH)
BPV(vmm_io_out, 64, p64_io, BATCH)
BPV(user_syscall, 32, p32_sys, BATCH)
BPV(user_syscall, 64, p64_sys, BATCH)

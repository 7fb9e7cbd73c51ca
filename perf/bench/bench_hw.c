/* bench_hw.c: the KVM exit round trip: a guest that does nothing but
 * `out` to a port in a loop, so each iteration is one guest entry, one
 * port-I/O exit and its dispatch. Skips without a usable /dev/kvm. */
#include "perf/bench/bench.h"

#include <string.h>

#include "vmm/core/vm.h"
#include "vmm/select/select.h"
#ifdef HAVE_KVM
#include "vmm/hw/hw_internal.h"
#endif

#ifdef HAVE_KVM
struct sink {
	uint64_t n;
	uint64_t stop_at;
	struct vm *vm;
};

static int sink_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct sink *s = dev;
	if (++s->n == s->stop_at)
		vm_request_stop(s->vm, VM_STOP_QUIT, 0, NULL);
	return 0;
}
#endif

BENCH(bench_hw_pio_exit_roundtrip)
{
#ifdef HAVE_KVM
	struct host_caps caps;
	sel_host_probe(&caps);
	if (caps.kvm != HOST_KVM_OK) {
		bench_skip(st, caps.kvm_why);
		return;
	}
	/* 64-bit mode is what runs natively on every KVM (a software KVM
	 * emulates 32-bit code), but a flat 32-bit loop is simpler and the exit
	 * dominates either way: out 0x99, al; jmp back. */
	static const uint8_t code[] = { 0xe6, 0x99, 0xeb, 0xfc };
	struct vm_config cfg = { .mem_size = MEM_MIN_SIZE, .nr_vcpus = 1 };
	struct vm *vm = vm_create(&cfg);
	struct sink sink = { .vm = vm };
	struct x86_state s;
	x86_state_reset(&s);
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		x86_seg_flat(&s.seg[i], i == X86_CS ? 8 : 16, i == X86_CS, false);
	s.rip = 0x1000;
	if (!vm || io_register(&vm->pio, 0x99, 1, "sink", sink_io, &sink) ||
	    mem_write(&vm->mem, 0x1000, code, sizeof(code)) ||
	    vm_engine_init(vm, &hw_engine_ops, &s)) {
		bench_skip(st, "cannot set up the KVM guest");
		vm_destroy(vm);
		return;
	}
	struct vcpu_exit ex;
	/* Each bench iteration is a batch of 1000 exits; items/s is exits/s. The
	 * stop at the end of a batch costs one extra (immediate) KVM_RUN per
	 * 1000 exits. */
	enum { BATCH = 1000 };
	while (bench_running(st)) {
		sink.stop_at = sink.n + BATCH;
		vm->stop_reason = VM_RUNNING;
		vm->vcpu[0]->requests = 0;
		hw_vcpu_run(vm->vcpu[0], &ex);
	}
	bench_items(st, bench_iterations(st) * BATCH);
	vm_destroy(vm);
#else
	bench_skip(st, "built without KVM");
#endif
}

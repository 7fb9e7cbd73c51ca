/* test_hw.c: the hw engine on the host's KVM: port I/O exits reach devices
 * and are counted, rep string I/O delivers every item, registers round-trip,
 * a triple fault is reported, and the compatibility probe's basic modes
 * pass on any usable KVM. Every test skips, saying why, without /dev/kvm. */
#include "tests/unit/util.h"

#include <string.h>

#include "vmm/hw/hw_internal.h"
#include "vmm/select/select.h"

static struct host_caps caps;

static int setup(void **state)
{
	sel_host_probe(&caps);
	return 0;
}

#define SKIP_WITHOUT_KVM()                                                     \
	do {                                                                   \
		if (caps.kvm != HOST_KVM_OK) {                                 \
			print_message("hw: %s\n", caps.kvm_why);               \
			skip();                                                \
		}                                                              \
	} while (0)

struct port_log {
	uint32_t val[64];
	unsigned size[64];
	unsigned n;
};

static int log_port(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct port_log *l = dev;
	if (!is_write) {
		memset(data, 0, size);
		return 0;
	}
	if (l->n < 64) {
		uint32_t v = 0;
		memcpy(&v, data, size);
		l->size[l->n] = size;
		l->val[l->n++] = v;
	}
	return 0;
}

/* A VM running (code) at 0x1000 in flat 32-bit protected mode, port 0x99
 * logged. */
static struct vm *vm_with_code(const uint8_t *code, size_t len, struct port_log *log,
			       struct x86_state *s)
{
	struct vm *vm = test_vm_create(MEM_MIN_SIZE);
	assert_non_null(vm);
	assert_int_equal(io_register(&vm->pio, 0x99, 4, "log", log_port, log), 0);
	assert_int_equal(mem_write(&vm->mem, 0x1000, code, len), 0);
	x86_state_reset(s);
	s->cr0 = X86_CR0_PE | X86_CR0_ET;
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		x86_seg_flat(&s->seg[i], i == X86_CS ? 0x08 : 0x10, i == X86_CS, false);
	s->rip = 0x1000;
	s->gpr[X86_RSP] = 0x8000;
	assert_int_equal(vm_engine_init(vm, &hw_engine_ops, s), 0);
	return vm;
}

static uint64_t exit_count(struct vcpu *v, const char *label)
{
	for (unsigned t = 0; t < v->stats.n; t++)
		if (!strcmp(v->stats.t[t].name, "hw.exits"))
			for (unsigned i = 0; i < v->stats.t[t].n; i++)
				if (v->stats.t[t].labels[i] && !strcmp(v->stats.t[t].labels[i], label))
					return v->stats.t[t].ctr[i].count;
	return ~0ull;
}

static void test_hw_port_io_exits_reach_device_and_are_counted(void **state)
{
	SKIP_WITHOUT_KVM();
	static const uint8_t code[] = {
		0xb9, 0x0a, 0, 0, 0,	/* mov ecx, 10 */
		0x89, 0xc8,		/* L: mov eax, ecx */
		0xe7, 0x99,		/* out 0x99, eax */
		0xe2, 0xfa,		/* loop L */
		0xf4,			/* hlt */
	};
	struct port_log log = { 0 };
	struct x86_state s;
	struct vm *vm = vm_with_code(code, sizeof(code), &log, &s);
	struct vcpu_exit ex = { 0 };
	assert_int_equal(hw_vcpu_run(vm->vcpu[0], &ex), 0);
	assert_int_equal(ex.reason, VCPU_EXIT_HLT);
	assert_false(ex.hlt_if);
	assert_int_equal(log.n, 10);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(log.val[i], 10 - i);
		assert_int_equal(log.size[i], 4);
	}
	assert_int_equal(exit_count(vm->vcpu[0], "io-out"), 10);
	assert_int_equal(exit_count(vm->vcpu[0], "hlt"), 1);
	vm_destroy(vm);
}

static void test_hw_rep_outsb_delivers_every_byte(void **state)
{
	SKIP_WITHOUT_KVM();
	static const uint8_t code[] = {
		0xbe, 0x20, 0x10, 0, 0,	/* mov esi, 0x1020 */
		0xb9, 0x05, 0, 0, 0,	/* mov ecx, 5 */
		0x66, 0xba, 0x99, 0x00,	/* mov dx, 0x99 */
		0xfc,			/* cld */
		0xf3, 0x6e,		/* rep outsb */
		0xf4,			/* hlt */
	};
	uint8_t img[0x30] = { 0 };
	memcpy(img, code, sizeof(code));
	memcpy(img + 0x20, "hello", 5);
	struct port_log log = { 0 };
	struct x86_state s;
	struct vm *vm = vm_with_code(img, sizeof(img), &log, &s);
	struct vcpu_exit ex = { 0 };
	assert_int_equal(hw_vcpu_run(vm->vcpu[0], &ex), 0);
	assert_int_equal(ex.reason, VCPU_EXIT_HLT);
	assert_int_equal(log.n, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(log.val[i], (uint8_t)"hello"[i]);
		assert_int_equal(log.size[i], 1);
	}
	vm_destroy(vm);
}

static void test_hw_registers_round_trip(void **state)
{
	SKIP_WITHOUT_KVM();
	static const uint8_t code[] = { 0xf4 };
	struct port_log log = { 0 };
	struct x86_state s, got;
	struct vm *vm = vm_with_code(code, sizeof(code), &log, &s);
	for (unsigned i = 0; i < X86_NR_GPRS; i++)
		if (i != X86_RSP)
			s.gpr[i] = 0x1111111100000000ull * (i + 1) + i;
	s.rflags = X86_FLAGS_FIXED | X86_FLAGS_CF | X86_FLAGS_ZF;
	s.cr2 = 0x12345000;
	s.msr.sysenter_eip = 0xc0de;
	s.fpu.fcw = 0x27f;
	s.fpu.xmm[3][0] = 0x5a;
	assert_int_equal(hw_engine_ops.regs_set(vm->vcpu[0], &s), 0);
	assert_int_equal(hw_engine_ops.regs_get(vm->vcpu[0], &got), 0);
	for (unsigned i = 0; i < X86_NR_GPRS; i++)
		assert_int_equal(got.gpr[i], s.gpr[i]);
	assert_int_equal(got.rip, 0x1000);
	assert_int_equal(got.rflags, s.rflags);
	assert_int_equal(got.cr0 & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE);
	assert_int_equal(got.cr2, 0x12345000);
	assert_int_equal(got.seg[X86_CS].sel, 0x08);
	assert_int_equal(got.seg[X86_CS].db, 1);
	assert_int_equal(got.seg[X86_DS].limit, 0xffffffff);
	assert_int_equal(got.msr.sysenter_eip, 0xc0de);
	assert_int_equal(got.fpu.fcw, 0x27f);
	assert_int_equal(got.fpu.xmm[3][0], 0x5a);
	vm_destroy(vm);
}

/* VT-x/AMD-V report a triple fault as KVM_EXIT_SHUTDOWN; a software KVM may
 * fail to emulate the delivery instead. Either way the guest cannot go on
 * and the engine must say so rather than spin. */
static void test_hw_triple_fault_stops_the_guest(void **state)
{
	SKIP_WITHOUT_KVM();
	static const uint8_t code[] = { 0xcc, 0xf4 }; /* int3 with an empty IDT */
	struct port_log log = { 0 };
	struct x86_state s;
	struct vm *vm = vm_with_code(code, sizeof(code), &log, &s);
	s.idt.base = 0;
	s.idt.limit = 0;
	assert_int_equal(hw_engine_ops.regs_set(vm->vcpu[0], &s), 0);
	struct vcpu_exit ex = { 0 };
	assert_int_equal(hw_vcpu_run(vm->vcpu[0], &ex), 0);
	assert_true(ex.reason == VCPU_EXIT_SHUTDOWN || ex.reason == VCPU_EXIT_ERROR);
	assert_true(strlen(ex.msg) > 0);
	if (!strcmp(caps.kvm_module, "kvm_intel") || !strcmp(caps.kvm_module, "kvm_amd"))
		assert_int_equal(ex.reason, VCPU_EXIT_SHUTDOWN);
	vm_destroy(vm);
}

static void test_hw_compat_basic_modes_pass_on_any_kvm(void **state)
{
	SKIP_WITHOUT_KVM();
	static const enum hw_compat_test basic[] = { HW_COMPAT_REAL, HW_COMPAT_PROT32,
						     HW_COMPAT_LONG_SWITCH };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(basic); i++) {
		bool ok = false;
		char detail[128] = "";
		assert_int_equal(hw_compat_run(basic[i], &ok, detail, sizeof(detail)), 0);
		if (!ok)
			print_message("%s: %s\n", hw_compat_names[basic[i]], detail);
		assert_true(ok);
	}
}

static void test_hw_probe_names_the_reason_when_kvm_is_unusable(void **state)
{
	struct host_caps fake = { .kvm = HOST_KVM_EACCES };
	snprintf(fake.kvm_why, sizeof(fake.kvm_why), "/dev/kvm: Permission denied");
	char why[256] = "";
	assert_int_not_equal(hw_engine_ops.probe(&fake, why, sizeof(why)), 0);
	assert_string_equal(why, "/dev/kvm: Permission denied");
}

/* CPUID leaf 1 says x2APIC and TSC-deadline only when the local APIC's
 * MSRs reach the device model, and no APIC without a board (pure: no KVM). */
static void test_hw_cpuid_advertises_only_what_the_irq_path_implements(void **state)
{
	(void)state;
	const uint32_t x2apic = 1u << 21, tscd = 1u << 24, apic = 1u << 9;
	struct hw_vm hw = { .apic = true, .apic_msrs = true };
	struct kvm_cpuid_entry2 e = { .function = 1, .ecx = x2apic, .edx = apic };
	hw_irq_cpuid(&hw, &e);
	assert_int_equal(e.ecx & (x2apic | tscd), x2apic | tscd);
	assert_int_equal(e.edx & apic, apic);
	hw.apic_msrs = false; /* KVM without user-space MSR exits */
	hw_irq_cpuid(&hw, &e);
	assert_int_equal(e.ecx & (x2apic | tscd), 0);
	assert_int_equal(e.edx & apic, apic); /* the xAPIC page still works */
	hw.apic = false; /* no board */
	hw_irq_cpuid(&hw, &e);
	assert_int_equal(e.edx & apic, 0);
	struct kvm_cpuid_entry2 other = { .function = 7, .ecx = x2apic };
	hw_irq_cpuid(&hw, &other);
	assert_int_equal(other.ecx, x2apic); /* other leaves untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hw_port_io_exits_reach_device_and_are_counted),
		cmocka_unit_test(test_hw_rep_outsb_delivers_every_byte),
		cmocka_unit_test(test_hw_registers_round_trip),
		cmocka_unit_test(test_hw_triple_fault_stops_the_guest),
		cmocka_unit_test(test_hw_compat_basic_modes_pass_on_any_kvm),
		cmocka_unit_test(test_hw_probe_names_the_reason_when_kvm_is_unusable),
		cmocka_unit_test(test_hw_cpuid_advertises_only_what_the_irq_path_implements),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

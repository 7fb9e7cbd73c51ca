/* test_pv_run.c: the pv engine end to end on tiny flat PV guests (a VM,
 * the ROM window, the two sandboxes): port writes reach the device model,
 * unknown and malformed calls get error codes, a host system call from the
 * guest kernel stops the guest with a report; and the seccomp filter on its
 * own, in a child process: what it allows and what kills. */
#include "tests/unit/util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/pv/pv_internal.h"

#define CODE 0x10000u
#define E(n) "(0xfff00030 + 8 * " #n ")"

/* 32-bit: report what unknown and malformed calls return on port 0x98,
 * then hlt with IF clear. */
__asm__(".pushsection .rodata.tpv_errors,\"a\"\n.code32\n"
	"tpv_errors_start:\n"
	" mov $0x80000, %esp\n"
	" call *" E(63) "\n push %eax\n push $4\n push $0x98\n call *" E(30) "\n add $12, %esp\n"
	" push $0\n push $3\n push $0x80\n call *" E(30) "\n"
	" add $12, %esp\n push %eax\n push $4\n push $0x98\n call *" E(30) "\n add $12, %esp\n"
	" push $5000\n push $0x20000\n call *" E(33) "\n add $8, %esp\n"
	" push %eax\n push $4\n push $0x98\n call *" E(30) "\n add $12, %esp\n"
	" push $4\n push $0x500000\n call *" E(33) "\n add $8, %esp\n"
	" push %eax\n push $4\n push $0x98\n call *" E(30) "\n add $12, %esp\n"
	" call *" E(0) "\n push %eax\n push $4\n push $0x98\n call *" E(30) "\n add $12, %esp\n"
	" call *" E(6) "\n"
	"tpv_errors_end:\n.code64\n.popsection\n");
extern const uint8_t tpv_errors_start[], tpv_errors_end[];

/* 64-bit: a host system call from the guest kernel. */
__asm__(".pushsection .rodata.tpv_hostile,\"a\"\n"
	"tpv_hostile_start:\n mov $39, %eax\n syscall\n 1: jmp 1b\n"
	"tpv_hostile_end:\n.popsection\n");
extern const uint8_t tpv_hostile_start[], tpv_hostile_end[];

static uint32_t seen[8];
static unsigned nr_seen;

static int port(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	(void)dev;
	(void)off;
	if (!is_write) {
		memset(data, 0, size);
		return 0;
	}
	if (nr_seen < 8)
		memcpy(&seen[nr_seen++], data, 4);
	return 0;
}

/* Run (code) as a (bits)-bit PV guest on the pv engine until it stops. */
static struct vm *run(unsigned bits, const uint8_t *start, const uint8_t *end,
		      struct vcpu_exit *ex)
{
	struct vm_config cfg = { .mem_size = 4 * MiB, .nr_vcpus = 1 };
	struct vm *vm = vm_create(&cfg);
	struct x86_state s;
	assert_non_null(vm);
	x86_state_reset(&s);
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		x86_seg_flat(&s.seg[i], i == X86_CS ? 8 : 16, i == X86_CS, false);
	s.rip = CODE;
	nr_seen = 0;
	assert_int_equal(io_register(&vm->pio, 0x98, 4, "test", port, NULL), 0);
	assert_int_equal(pv_flat_setup(vm, bits, start, (uint64_t)(end - start), CODE, CODE), 0);
	assert_int_equal(vm_engine_init(vm, &pv_engine_ops, &s), 0);
	memset(ex, 0, sizeof(*ex));
	assert_int_equal(pv_vcpu_run(vm->vcpu[0], ex), 0);
	return vm;
}

static void test_unknown_and_malformed_calls_get_error_codes(void **state)
{
	struct vcpu_exit ex;
	struct vm *vm = run(32, tpv_errors_start, tpv_errors_end, &ex);
	assert_int_equal(ex.reason, VCPU_EXIT_HLT);
	assert_false(ex.hlt_if);
	assert_int_equal(nr_seen, 5);
	assert_int_equal((int32_t)seen[0], -PV_ENOSYS); /* entry 63 */
	assert_int_equal((int32_t)seen[1], -PV_EINVAL); /* IO_OUT of size 3 */
	assert_int_equal((int32_t)seen[2], -PV_EINVAL); /* CONSOLE_WRITE of 5000 bytes */
	assert_int_equal((int32_t)seen[3], -PV_EFAULT); /* beyond the RAM of the VM */
	assert_int_equal(seen[4], PV_ABI_VERSION | PV_FLAVOUR_PV << 16 | 32 << 24);
	vm_destroy(vm);
}

static void test_a_host_syscall_from_the_guest_kernel_stops_it_with_a_report(void **state)
{
	struct vcpu_exit ex;
	struct vm *vm = run(64, tpv_hostile_start, tpv_hostile_end, &ex);
	assert_int_equal(ex.reason, VCPU_EXIT_ERROR);
	if (!strstr(ex.msg, "host system call 39"))
		fail_msg("report: %s", ex.msg);
	struct x86_state s;
	assert_int_equal(pv_engine_ops.regs_get(vm->vcpu[0], &s), 0);
	assert_int_equal(s.gpr[X86_RAX], 39);
	vm_destroy(vm);
}

/* ---- the filter alone, in a child ---- */

enum probe { ALLOWED_FUTEX, ALLOWED_MMAP, WRITE, OTHER_FD, OUTSIDE_RANGE, LIBC_SYSCALL };

static void child(enum probe what)
{
	static struct pv_chan chan;
	static struct pv_vm vm = { .va_top = 1ull << 32 };
	int fd = memfd_create("test-pv", 0);
	if (fd < 0 || ftruncate(fd, 65536))
		_exit(90);
	struct pv_child c = { .chan = &chan, .vm = &vm, .memfd = fd };
	if (pv_seccomp_install(&c))
		_exit(91);
	long r = 0;
	switch (what) {
	case ALLOWED_FUTEX:
		r = pv_sys(SYS_futex, (long)&chan.owner, 1 /* FUTEX_WAKE */, 1, 0, 0, 0);
		break;
	case ALLOWED_MMAP:
		r = pv_sys(SYS_mmap, 0x200000, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
		r = r == 0x200000 ? 0 : -1;
		break;
	case WRITE:
		pv_sys(SYS_write, 2, (long)"x", 1, 0, 0, 0);
		break;
	case OTHER_FD:
		pv_sys(SYS_mmap, 0x200000, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, 0, 0);
		break;
	case OUTSIDE_RANGE:
		pv_sys(SYS_munmap, 0x500000000l, 4096, 0, 0, 0, 0);
		break;
	case LIBC_SYSCALL:
		syscall(SYS_getpid);
		break;
	}
	pv_sys(SYS_exit_group, r ? 92 : 0, 0, 0, 0, 0, 0);
}

static int outcome(enum probe what)
{
	pid_t pid = fork();
	if (pid == 0)
		child(what);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

static void test_seccomp_allows_the_channel_futex_and_memfd_mappings_in_range(void **state)
{
	assert_int_equal(outcome(ALLOWED_FUTEX), 0);
	assert_int_equal(outcome(ALLOWED_MMAP), 0);
}

static void test_seccomp_traps_every_other_system_call(void **state)
{
	assert_int_equal(outcome(WRITE), -SIGSYS);
	assert_int_equal(outcome(OTHER_FD), -SIGSYS);
	assert_int_equal(outcome(OUTSIDE_RANGE), -SIGSYS);
	assert_int_equal(outcome(LIBC_SYSCALL), -SIGSYS); /* not from the gateway */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_and_malformed_calls_get_error_codes),
		cmocka_unit_test(test_a_host_syscall_from_the_guest_kernel_stops_it_with_a_report),
		cmocka_unit_test(test_seccomp_allows_the_channel_futex_and_memfd_mappings_in_range),
		cmocka_unit_test(test_seccomp_traps_every_other_system_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

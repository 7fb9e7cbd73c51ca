/* util_vm.c: the unit tests' VM with a fake clock and captured IRQ lines. */
#include "tests/unit/util.h"

uint64_t test_now = 1000000000ull;
int test_irq_level[32];
unsigned test_irq_raises[32];

static uint64_t fake_now(void)
{
	return test_now;
}

void test_clock_advance(uint64_t ns)
{
	test_now += ns;
}

struct vm *test_vm_create(uint64_t mem)
{
	struct vm_config cfg = { .mem_size = mem, .nr_vcpus = 1 };
	struct vm *vm = vm_create(&cfg);
	if (vm)
		vm->now_ns = fake_now;
	return vm;
}

static void capture_irq(void *board, unsigned irq, int level)
{
	(void)board;
	if (irq >= 32)
		return;
	if (level && !test_irq_level[irq])
		test_irq_raises[irq]++;
	test_irq_level[irq] = level;
}

void test_vm_capture_irqs(struct vm *vm)
{
	for (unsigned i = 0; i < 32; i++) {
		test_irq_level[i] = 0;
		test_irq_raises[i] = 0;
	}
	vm->set_irq = capture_irq;
	vm->board = NULL;
}

uint32_t test_in(struct vm *vm, uint16_t port, unsigned size)
{
	uint32_t v = 0;
	io_dispatch(&vm->pio, port, &v, size, false);
	return v;
}

void test_out(struct vm *vm, uint16_t port, uint32_t value, unsigned size)
{
	io_dispatch(&vm->pio, port, &value, size, true);
}

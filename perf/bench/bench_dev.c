/* bench_dev.c: device register access through the io space, as an engine
 * reaches it: UART transmit (to a discarding back end), PIT counter latch and
 * read, PIC end-of-interrupt. */
#include "perf/bench/bench.h"

#include "vmm/dev/dev.h"

static struct vm *bench_vm(void)
{
	struct vm_config cfg = { .mem_size = 2 * MiB, .nr_vcpus = 1 };
	return vm_create(&cfg);
}

BENCH(bench_dev_uart_thr_write)
{
	struct vm *vm = bench_vm();
	struct chardev *chr = chardev_open("none");
	struct uart *u = vm && chr ? uart_create(vm, 0x3f8, 4, chr) : NULL;
	if (!u) {
		bench_skip(st, "cannot create the UART");
		return;
	}
	uint32_t v = 'x';
	while (bench_running(st))
		io_dispatch(&vm->pio, 0x3f8, &v, 1, true);
	bench_items(st, bench_iterations(st));
	uart_destroy(u);
	chardev_close(chr);
	vm_destroy(vm);
}

BENCH(bench_dev_pit_latch_and_read)
{
	struct vm *vm = bench_vm();
	struct pit *p = vm ? pit_create(vm, 0) : NULL;
	if (!p) {
		bench_skip(st, "cannot create the PIT");
		return;
	}
	uint32_t latch = 0x00, lo, hi;
	while (bench_running(st)) {
		io_dispatch(&vm->pio, 0x43, &latch, 1, true);
		io_dispatch(&vm->pio, 0x40, &lo, 1, false);
		io_dispatch(&vm->pio, 0x40, &hi, 1, false);
	}
	bench_items(st, bench_iterations(st));
	pit_destroy(p);
	vm_destroy(vm);
}

BENCH(bench_dev_pic_eoi)
{
	struct vm *vm = bench_vm();
	struct pic *p = vm ? pic_create(vm) : NULL;
	if (!p) {
		bench_skip(st, "cannot create the PIC");
		return;
	}
	uint32_t eoi = 0x20;
	while (bench_running(st))
		io_dispatch(&vm->pio, 0x20, &eoi, 1, true);
	bench_items(st, bench_iterations(st));
	pic_destroy(p);
	vm_destroy(vm);
}

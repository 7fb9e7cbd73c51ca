/* bench_core.c: the core's hot paths: port-I/O dispatch through an io_space
 * populated like the PC board's, and unclaimed accesses. */
#include "perf/bench/bench.h"

#include "vmm/core/io.h"

static int nop_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	if (!is_write)
		*(uint8_t *)data = (uint8_t)off;
	return 0;
}

/* The board's port map: pic, pit, rtc, uart, debug-exit, debugcon, fw_cfg... */
static void pc_like_space(struct io_space *s)
{
	static const struct { uint16_t base, len; } ports[] = {
		{ 0x20, 2 }, { 0x40, 4 }, { 0x60, 1 }, { 0x61, 1 }, { 0x64, 1 }, { 0x70, 2 },
		{ 0x80, 1 }, { 0x92, 1 }, { 0xa0, 2 }, { 0xe9, 1 }, { 0xf4, 4 }, { 0x3f8, 8 },
		{ 0x4d0, 2 }, { 0x510, 2 }, { 0x604, 2 }, { 0xb004, 2 },
	};
	io_space_init(s, "pio", 0x10000);
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (io_register(s, ports[i].base, ports[i].len, "dev", nop_io, NULL))
			return;
}

BENCH(bench_io_dispatch_claimed_port)
{
	struct io_space s;
	pc_like_space(&s);
	uint32_t v = 0x41;
	while (bench_running(st))
		io_dispatch(&s, 0x3f8, &v, 1, true);
	bench_items(st, bench_iterations(st));
	io_space_fini(&s);
}

BENCH(bench_io_dispatch_read)
{
	struct io_space s;
	pc_like_space(&s);
	uint32_t v = 0;
	while (bench_running(st))
		io_dispatch(&s, 0x3fd, &v, 1, false);
	bench_items(st, bench_iterations(st));
	io_space_fini(&s);
}

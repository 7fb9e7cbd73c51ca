/* tests/fuzz/fuzz_load.c: the kernel loaders (Multiboot ELF32 and a.out
 * kludge, ELF64, bzImage, flat) on hostile images, loaded into a 64 MiB
 * guest from a file as `triplex run --kernel` does, with a module/initrd
 * and a command line; then the same image through load_probe_image().
 * Input: [format 0-4][flags][initrd length u16][flat address u32][initrd]
 * [kernel...]. A refused image is fine; a crash, a sanitizer report or a
 * write outside guest memory is the bug. */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <string.h>

#include "vmm/core/vm.h"
#include "vmm/load/load.h"

static struct vm *fuzz_vm(void)
{
	static struct vm *vm;
	if (!vm) {
		struct vm_config cfg = { .mem_size = 64ull << 20, .nr_vcpus = 1 };
		vm = vm_create(&cfg);
		if (!vm)
			__builtin_trap();
	}
	return vm;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_init();
	struct fuzz_in in = { d, n, 0 };
	uint8_t fmt = fuzz_u8(&in) % 5, flags = fuzz_u8(&in);
	uint16_t ilen = fuzz_u16(&in);
	uint32_t flat = fuzz_u32(&in);
	size_t got;
	const uint8_t *initrd = fuzz_bytes(&in, ilen, &got);
	const char *ipath = NULL;
	char mods[160];
	if (flags & 1) {
		ipath = fuzz_file(1, initrd, got);
		if (fmt == LOAD_MULTIBOOT || (fmt == LOAD_AUTO && (flags & 4))) {
			/* Multiboot modules: "path args,path args" */
			snprintf(mods, sizeof(mods), "%s mod0 arg,%s", ipath, ipath);
			ipath = mods;
		}
	}
	const uint8_t *kernel = fuzz_bytes(&in, n, &got);
	struct load_params p = {
		.kernel = fuzz_file(0, kernel, got),
		.initrd = ipath,
		.cmdline = (flags & 2) ? "console=ttyS0 quick iters=3" : NULL,
		.format = (enum load_format)fmt,
		.flat_addr = flat & 0x3ffffff,
		.flat_entry = (flags & 8) ? (flat & 0x3ffffff) + 16 : 0,
		.flat_bits = (flags & 16) ? 16 : 32,
	};
	struct load_result res;
	if (!load_kernel(&fuzz_vm()->mem, &p, &res) && res.kernel_size > (64ull << 20))
		__builtin_trap(); /* loaded more than guest RAM holds */
	struct guest_info info;
	(void)load_probe_image("fuzz", kernel, got, &p, &info);
	return 0;
}

/* machine.h: the machine builder. One call turns a configuration (RAM,
 * vCPUs, console back ends, the kernel and how to boot it, the engine) into
 * a VM that is ready to run: memory, the PC board, the kernel loaded, the
 * VMI ROM for a guest whose note asks for it, the boot keys in fw_cfg (as
 * QEMU's -kernel publishes them), and the engine attached with the BSP at
 * the loader's entry state (like kvmtool's init sequence or Firecracker's
 * builder). `triplex run` (and through it `triplex perf`), the monitor and
 * the tests build machines here; choosing the engine is the policy's job
 * (vmm/select/), not the builder's.
 *
 * Example:
 *     struct machine_config cfg = { .mem_size = 64 * MiB, .nr_vcpus = 1,
 *                                   .serial = "stdio", .load = { .kernel = "k.elf" },
 *                                   .engine = engine_find("bt") };
 *     struct machine m;
 *     if (machine_build(&cfg, &m)) return m.exit_status;
 *     int status = vm_run(m.vm);
 *     machine_destroy(&m);
 */
#ifndef VMM_MACHINE_MACHINE_H
#define VMM_MACHINE_MACHINE_H

#include "vmm/core/guest.h"
#include "vmm/core/vm.h"
#include "vmm/dev/dev.h"
#include "vmm/load/load.h"

struct machine_config {
	uint64_t mem_size;              /* bytes of guest RAM */
	unsigned nr_vcpus;
	const char *serial;             /* COM1's chardev spec ("stdio", "file:P", "none") */
	const char *debugcon;           /* port 0xe9's chardev spec, or NULL */
	struct load_params load;        /* kernel, initrd, command line, format */
	/* The probed guest (vmm/select/sel_guest.c), for its VMI note; NULL:
	 * no VMI ROM is mapped. */
	const struct guest_desc *guest;
	const struct engine_ops *engine;
};

struct machine {
	struct vm *vm;
	struct board_pc *board;
	struct load_result load;        /* what the loader did (addresses, entry) */
	int exit_status;                /* after a failed build: VM_EXIT_USAGE (the
					 * configuration or image is at fault) or
					 * VM_EXIT_HOST */
};

/* Build (m) from (cfg). 0, or -errno after one error line naming the cause
 * (m->exit_status says whose fault it was; nothing is left to destroy). */
VMM_MUST_CHECK int machine_build(const struct machine_config *cfg, struct machine *m);

/* Tear down a built machine: vCPUs first (they may still touch devices),
 * then devices, then memory. Call after vm_run() returned, or instead. */
void machine_destroy(struct machine *m);

#endif

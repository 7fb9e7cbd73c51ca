/* cli_run.c: `triplex run`: probe the host and the guest, choose the engine
 * (the named one or, until the selection policy lands, the first that can
 * run this guest), build the PC, load the kernel, run, report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf/perf.h"
#include "vmm/cli/cli.h"
#include "vmm/core/engine.h"
#include "vmm/core/vm.h"
#include "vmm/dev/dev.h"
#include "vmm/select/select.h"

#define DEMO_GUEST "demo-64.elf"

/* Can (e) run guest (g) on (caps)? 0, or -errno with the reason in (why). */
static int engine_can_run(const struct engine_ops *e, const struct host_caps *caps,
			  const struct sel_guest *g, char *why, size_t len)
{
	int r = e->probe(caps, why, len);
	if (!r && e->check_guest)
		r = e->check_guest(caps, g, why, len);
	return r;
}

/* The engine to use, or NULL after printing why (exit CLI_EXIT_UNAVAILABLE). */
static const struct engine_ops *choose_engine(const char *mode, const struct host_caps *caps,
					      const struct sel_guest *g)
{
	char why[512];
	if (strcmp(mode, "auto")) {
		const struct engine_ops *e = engine_find(mode);
		if (!e) {
			vmm_err("mode %s: this build has no %s engine", mode, mode);
			return NULL;
		}
		if (engine_can_run(e, caps, g, why, sizeof(why))) {
			vmm_err("mode %s cannot run %s here: %s", mode, g->info.name, why);
			return NULL;
		}
		vmm_info("mode: %s (requested)", mode);
		return e;
	}
	const struct engine_ops *const *list;
	unsigned n = engine_list(&list);
	char reasons[1024] = "";
	size_t off = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!engine_can_run(list[i], caps, g, why, sizeof(why))) {
			vmm_info("mode: %s (auto: the first engine that can run this guest; the "
				 "selection policy is not built yet)%s%s", list[i]->name,
				 off ? "; skipped: " : "", reasons);
			return list[i];
		}
		off += (size_t)snprintf(reasons + off, sizeof(reasons) - off, "%s%s: %s",
					off ? "; " : "", list[i]->name, why);
		if (off >= sizeof(reasons))
			off = sizeof(reasons) - 1;
	}
	vmm_err("mode auto: no engine can run %s here%s%s", g->info.name, off ? ": " : "",
		off ? reasons : " (this build has no engines)");
	return NULL;
}

static int publish_boot_info(struct fwcfg *fw, const struct load_result *res,
			     const struct load_params *p)
{
	int r = fwcfg_add_u32(fw, FW_CFG_KERNEL_ADDR, (uint32_t)res->kernel_addr);
	r = r ? r : fwcfg_add_u32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)res->kernel_size);
	r = r ? r : fwcfg_add_u32(fw, FW_CFG_KERNEL_ENTRY, (uint32_t)res->info.entry);
	if (res->cmdline_addr) {
		r = r ? r : fwcfg_add_u32(fw, FW_CFG_CMDLINE_ADDR, (uint32_t)res->cmdline_addr);
		r = r ? r : fwcfg_add_u32(fw, FW_CFG_CMDLINE_SIZE, res->cmdline_size);
	}
	const char *cmd = p->cmdline ? p->cmdline : "";
	r = r ? r : fwcfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, cmd, (uint32_t)strlen(cmd) + 1);
	if (res->initrd_addr) {
		r = r ? r : fwcfg_add_u32(fw, FW_CFG_INITRD_ADDR, (uint32_t)res->initrd_addr);
		r = r ? r : fwcfg_add_u32(fw, FW_CFG_INITRD_SIZE, (uint32_t)res->initrd_size);
	}
	return r;
}

static void print_stats(struct vm *vm, const struct engine_ops *e)
{
	struct perf_set *sets[VM_MAX_VCPUS];
	unsigned n = vm_stats_sets(vm, sets);
	struct perf_merged m;
	if (perf_merge(sets, n, &m))
		return;
	uint64_t end = vmm_now_ns();
	fprintf(stderr, "\n== triplex stats (engine %s) ==\n", e->name);
	fprintf(stderr, "run time:               %.3f ms\n", (double)(end - vm->start_ns) / 1e6);
	if (vm->first_output_ns)
		fprintf(stderr, "first guest output at:  %.3f ms\n",
			(double)(vm->first_output_ns - vm->start_ns) / 1e6);
	perf_print(stderr, &m);
	perf_merged_free(&m);
	for (unsigned s = 0; s < 2; s++) {
		struct io_space *sp = s ? &vm->mmio : &vm->pio;
		bool header = false;
		for (unsigned i = 0; i < sp->nr; i++) {
			const struct io_range *r = &sp->ranges[i];
			if (!r->reads && !r->writes)
				continue;
			if (!header)
				fprintf(stderr, "%-24s %12s %12s\n", s ? "io.mmio" : "io.pio", "reads",
					"writes");
			header = true;
			fprintf(stderr, "  %-22s %12llu %12llu\n", r->name,
				(unsigned long long)r->reads, (unsigned long long)r->writes);
		}
		if (sp->unclaimed_reads || sp->unclaimed_writes)
			fprintf(stderr, "  %-22s %12llu %12llu\n", "(unclaimed)",
				(unsigned long long)sp->unclaimed_reads,
				(unsigned long long)sp->unclaimed_writes);
	}
}

static int run_guest(struct run_config *rc, const struct engine_ops *e)
{
	struct vm_config vcfg = { .mem_size = rc->mem_size, .nr_vcpus = rc->smp };
	struct vm *vm = vm_create(&vcfg);
	if (!vm)
		return VM_EXIT_HOST;
	struct board_config bcfg = { .serial = rc->serial, .debugcon = rc->debugcon };
	struct board_pc *board = board_pc_create(vm, &bcfg);
	if (!board) {
		vm_destroy(vm);
		return VM_EXIT_USAGE;
	}
	struct load_result res;
	int status;
	if (load_kernel(&vm->mem, &rc->load, &res)) {
		status = VM_EXIT_USAGE;
		goto out;
	}
	if (publish_boot_info(board->fwcfg, &res, &rc->load)) {
		vmm_err("fw_cfg: cannot publish the boot information");
		status = VM_EXIT_HOST;
		goto out;
	}
	if (vm_engine_init(vm, e, &res.entry)) {
		status = VM_EXIT_HOST;
		goto out;
	}
	status = vm_run(vm);
	if (rc->stats)
		print_stats(vm, e);
out:
	/* vCPUs first (they may still touch devices), then devices, then memory */
	board_pc_destroy(board);
	vm_destroy(vm);
	return status;
}

int cli_run(int argc, char **argv)
{
	struct run_config rc;
	cli_config_parse(&rc, argc, argv, true);
	char *demo = NULL;
	if (!rc.load.kernel) {
		demo = cli_find_guest(DEMO_GUEST);
		if (!demo) {
			vmm_err("no kernel given, and the demo guest %s was not found next to the "
				"triplex binary (%s/../guests): run 'make guests', or give --kernel",
				DEMO_GUEST, cli_exe_dir());
			return VM_EXIT_USAGE;
		}
		rc.load.kernel = demo;
	}
	struct host_caps caps;
	sel_host_probe(&caps);
	struct sel_guest g;
	int status;
	if (sel_guest_probe(&rc.load, &g)) {
		status = VM_EXIT_USAGE;
	} else {
		const struct engine_ops *e = choose_engine(rc.mode, &caps, &g);
		status = e ? run_guest(&rc, e) : CLI_EXIT_UNAVAILABLE;
	}
	free(demo);
	cli_config_free(&rc);
	return status;
}

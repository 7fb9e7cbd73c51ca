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
#include "vmm/pv/pv.h"
#include "vmm/select/select.h"

/* The demo guest's builds, best first: the 64-bit one where an engine can
 * run it, else the 32-bit one (bt runs 32-bit guests everywhere). */
static const char *const demo_guests[] = { "demo-64.elf", "demo-32.elf" };

/* The workload profile for the policy: --workload, else the config's
 * "workload", else an assumption (said so); plus what a profiled run of this
 * image measured on this host, if there was one. */
void cli_build_profile(const struct run_config *rc, const struct host_caps *caps,
			  const struct sel_guest *g, struct sel_profile *prof)
{
	char err[256];
	if (rc->workload_class) {
		(void)sel_profile_class(rc->workload_class, prof); /* validated by the parser */
	} else if (rc->workload) {
		(void)sel_profile_from_json(rc->workload, prof, err, sizeof(err));
	} else {
		(void)sel_profile_class("mixed", prof);
		snprintf(prof->source, sizeof(prof->source),
			 "no workload profile (assumed class 'mixed')");
	}
	sel_profile_load_measured(caps->fingerprint, g->info.image_hash, prof);
}

/* The engine to use, or NULL after printing why (exit CLI_EXIT_UNAVAILABLE). */
static const struct engine_ops *choose_engine(const struct run_config *rc,
					      const struct host_caps *caps,
					      const struct sel_guest *g)
{
	struct sel_avail avail[SEL_MAX_ENGINES];
	struct sel_calib calib;
	struct sel_profile prof;
	cli_build_profile(rc, caps, g, &prof);
	/* a named mode needs no prediction; calibrating costs the first run */
	bool need_calib = !strcmp(rc->mode, "auto") || rc->explain;
	bool calibrated = need_calib && sel_calibrate(caps, &calib, false) == 0;
	struct sel_input in = {
		.caps = caps, .calib = calibrated ? &calib : NULL, .guest = g, .profile = &prof,
		.avail = avail, .nr_avail = sel_gather(caps, g, avail, SEL_MAX_ENGINES),
		.mode = rc->mode,
	};
	struct sel_result res;
	int r = sel_choose(&in, &res);
	if (rc->explain)
		sel_result_print(stderr, &in, &res);
	if (r) {
		vmm_err("%s", res.reason);
		return NULL;
	}
	vmm_info("%s", res.reason);
	return engine_find(res.engine);
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

/* --stats-json: the run's figures and counters, for `triplex perf`. */
static void write_stats_json(const char *path, struct vm *vm, const struct engine_ops *e,
			     int status)
{
	struct perf_set *sets[VM_MAX_VCPUS];
	struct perf_merged m;
	if (perf_merge(sets, vm_stats_sets(vm, sets), &m))
		return;
	uint64_t end = vmm_now_ns();
	json_t *j = json_pack("{s:s, s:i, s:f, s:o, s:o}", "engine", e->name, "status", status,
			      "wall_ms", (double)(end - vm->start_ns) / 1e6, "first_output_ms",
			      vm->first_output_ns ? json_real((double)(vm->first_output_ns -
								      vm->start_ns) / 1e6)
						  : json_null(),
			      "counters", perf_merged_json(&m));
	perf_merged_free(&m);
	if (json_dump_file(j, path, JSON_INDENT(2)))
		vmm_err("--stats-json: cannot write %s", path);
	json_decref(j);
}

static int run_guest(struct run_config *rc, const struct engine_ops *e, const struct sel_guest *g)
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
	/* A PV-capable guest finds the VMI ROM where its note asked (docs/vmi.md);
	 * every engine runs it, pv rewrites it with hypercalls. */
	if (g->pv.valid && pv_rom_install(vm, &g->pv)) {
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
	if (rc->stats_json)
		write_stats_json(rc->stats_json, vm, e, status);
out:
	/* vCPUs first (they may still touch devices), then devices, then memory */
	board_pc_destroy(board);
	vm_destroy(vm);
	return status;
}

char *cli_pick_demo(const struct run_config *rc, const struct host_caps *caps)
{
	char *first = NULL;
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(demo_guests); i++) {
		char *path = cli_find_guest(demo_guests[i]);
		if (!path)
			continue;
		struct load_params p = rc->load;
		p.kernel = path;
		struct sel_guest g;
		struct sel_avail avail[SEL_MAX_ENGINES];
		bool runnable = false;
		if (sel_guest_probe(&p, &g) == 0) {
			unsigned n = sel_gather(caps, &g, avail, SEL_MAX_ENGINES);
			for (unsigned k = 0; k < n; k++)
				runnable |= avail[k].ok;
		}
		if (runnable) {
			free(first);
			return path;
		}
		if (!first)
			first = path;
		else
			free(path);
	}
	return first;
}

int cli_run(int argc, char **argv)
{
	struct run_config rc;
	cli_config_parse(&rc, argc, argv, true);
	struct host_caps caps;
	sel_host_probe(&caps);
	char *demo = NULL;
	if (!rc.load.kernel) {
		demo = cli_pick_demo(&rc, &caps);
		if (!demo) {
			vmm_err("no kernel given, and the demo guest (%s) was not found next to the "
				"triplex binary (%s/../guests): run 'make guests', or give --kernel",
				demo_guests[0], cli_exe_dir());
			return VM_EXIT_USAGE;
		}
		vmm_info("no kernel given: booting the demo guest %s", demo);
		rc.load.kernel = demo;
	}
	struct sel_guest g;
	int status;
	if (sel_guest_probe(&rc.load, &g)) {
		status = VM_EXIT_USAGE;
	} else {
		const struct engine_ops *e = choose_engine(&rc, &caps, &g);
		status = e ? run_guest(&rc, e, &g) : CLI_EXIT_UNAVAILABLE;
	}
	free(demo);
	cli_config_free(&rc);
	return status;
}

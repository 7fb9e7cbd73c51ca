/* cli_run.c: `triplex run`: probe the host and the guest, choose the engine
 * (the named one or the policy's choice), build the PC, load the kernel,
 * run (switching engines when --switch asks), report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"
#include "perf/report.h"
#include "vmm/cli/cli.h"
#include "vmm/core/engine.h"
#include "vmm/core/vm.h"
#include "vmm/machine/machine.h"
#include "vmm/select/select.h"

/* The demo guest's builds, best first: the 64-bit one where an engine can
 * run it, else the 32-bit one (bt runs 32-bit guests everywhere). */
static const char *const demo_guests[] = { "demo-64.elf", "demo-32.elf" };

/* The workload profile for the policy: --workload, else the config's
 * "workload", else an assumption (said so); plus what a profiled run of this
 * image measured on this host, if there was one. */
void cli_build_profile(const struct run_config *rc, const struct host_caps *caps,
			  const struct guest_desc *g, struct sel_profile *prof)
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
	if (!rc->no_profile)
		sel_profile_load_measured(caps->fingerprint, g->info.image_hash, prof);
}

/* What the launch decided: the engine, and the one the adaptive policy may
 * move the guest to while it runs (NULL: none). */
struct choice {
	const struct engine_ops *e;
	char why[256];          /* the policy's reason (info mode) */
	const struct engine_ops *adapt_to;
	struct sel_calib calib;
	char line[1024];        /* the `mode:` line, printed once the machine is built */
	char *explain;          /* --explain's table (malloc'd), printed with it */
	char hint[512];         /* a named mode runs despite this hint from the scan */
};

/* Auto mode, a PV guest (the adaptive policy takes the code width from its
 * VMI note) started on an engine that reports its events (sample: bt): the
 * first other engine runnable here that can take a running guest over
 * (vcpu_adopt: pv) may do so when its windows say it is cheaper
 * (sel_adapt.c). The registry names the engines, not this function. */
const struct engine_ops *cli_adapt_target(const struct run_config *rc,
					  const struct sel_input *in,
					  const struct engine_ops *chosen)
{
	if (rc->no_adapt || rc->switch_to[0] || strcmp(rc->mode, "auto") || !in->calib ||
	    !chosen || !chosen->sample || !in->guest->pv.valid)
		return NULL;
	for (unsigned i = 0; i < in->nr_avail; i++) {
		const struct engine_ops *e = engine_find(in->avail[i].engine);
		if (in->avail[i].ok && e && e != chosen && e->vcpu_adopt)
			return e;
	}
	return NULL;
}

/* The choice as the user sees it: --explain's table, then the `mode:` line.
 * After the machine is built, so an error in the configuration or the image
 * is the only line before exit status 2. */
static void print_choice(struct choice *c)
{
	if (c->explain)
		fputs(c->explain, stderr);
	free(c->explain);
	c->explain = NULL;
	if (c->line[0])
		vmm_info("%s", c->line);
	if (c->hint[0])
		vmm_warn("mode %s runs the guest anyway (a named mode; the scan also decodes "
			 "data): %s", c->e->name, c->hint);
}

/* Fill (c); false after printing why (exit CLI_EXIT_UNAVAILABLE). The
 * `mode:` line waits for print_choice(). */
static bool choose_engine(const struct run_config *rc, const struct host_caps *caps,
			  const struct guest_desc *g, struct choice *c)
{
	struct sel_avail avail[SEL_MAX_ENGINES];
	struct sel_profile prof;
	memset(c, 0, sizeof(*c));
	cli_build_profile(rc, caps, g, &prof);
	/* a named mode needs no prediction; calibrating costs the first run */
	bool need_calib = !strcmp(rc->mode, "auto") || rc->explain;
	bool calibrated = need_calib && sel_calibrate(caps, &c->calib, false) == 0;
	struct sel_input in = {
		.caps = caps, .calib = calibrated ? &c->calib : NULL, .guest = g,
		.profile = &prof, .avail = avail,
		.nr_avail = sel_gather(caps, g, avail, SEL_MAX_ENGINES), .mode = rc->mode,
	};
	struct sel_result res;
	int r = sel_choose(&in, &res);
	if (rc->explain) {
		size_t len;
		FILE *m = open_memstream(&c->explain, &len);
		if (m) {
			sel_result_print(m, &in, &res);
			fclose(m);
		}
	}
	if (r) {
		print_choice(c);
		vmm_err("%s", res.reason);
		return false;
	}
	c->e = engine_find(res.engine);
	snprintf(c->why, sizeof(c->why), "%s", res.reason);
	if (res.hint && res.requested)
		snprintf(c->hint, sizeof(c->hint), "%s", res.hint);
	c->adapt_to = cli_adapt_target(rc, &in, c->e);
	if (c->adapt_to)
		snprintf(c->line, sizeof(c->line), "%s; may switch to %s at run time (--no-adapt: "
			 "never)", res.reason, c->adapt_to->name);
	else
		snprintf(c->line, sizeof(c->line), "%s", res.reason);
	return c->e != NULL;
}

static void print_stats(struct vm *vm, const struct engine_ops *e)
{
	struct perf_set *sets[VM_MAX_VCPUS];
	unsigned n = vm_stats_sets(vm, sets);
	struct perf_merged m;
	if (perf_merge(sets, n, &m))
		return;
	uint64_t end = vmm_now_ns();
	if (vm->engine != e)
		fprintf(stderr, "\n== triplex stats (engine %s, switched to %s at %.1f ms) ==\n",
			e->name, vm->engine->name,
			(double)(vm->vcpu[0]->switch_at_ns - vm->start_ns) / 1e6);
	else
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
	if (vm->engine != e) {
		json_object_set_new(j, "switched_to", json_string(vm->engine->name));
		json_object_set_new(j, "switched_at_ms",
				    json_real((double)(vm->vcpu[0]->switch_at_ns - vm->start_ns) / 1e6));
	}
	if (json_dump_file(j, path, JSON_INDENT(2)))
		vmm_err("--stats-json: cannot write %s", path);
	json_decref(j);
}

/* The --switch target, checked before the guest starts; NULL after printing
 * why (exit CLI_EXIT_UNAVAILABLE). */
static const struct engine_ops *switch_target(const struct run_config *rc,
					      const struct engine_ops *from,
					      const struct host_caps *caps,
					      const struct guest_desc *g)
{
	const struct engine_ops *to = engine_find(rc->switch_to);
	struct sel_avail avail[SEL_MAX_ENGINES];
	unsigned n = sel_gather(caps, g, avail, SEL_MAX_ENGINES);
	if (!to) {
		vmm_err("--switch %s: this build has no %s engine", rc->switch_to, rc->switch_to);
		return NULL;
	}
	if (to == from) {
		vmm_err("--switch %s: the guest already starts under %s", to->name, to->name);
		return NULL;
	}
	if (!to->vcpu_adopt) {
		vmm_err("--switch %s: the %s engine cannot take over a running guest (pv can)",
			to->name, to->name);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(avail[i].engine, to->name) && !avail[i].ok) {
			vmm_err("--switch %s: mode %s cannot run %s here: %s", to->name, to->name,
				g->info.name, avail[i].why);
			return NULL;
		}
	return to;
}

/* The gdb stub's register layout: x86-64 for a guest that runs 64-bit code. */
static bool gdb_wide(const struct guest_desc *g)
{
	return g->info.bits == 64 || (g->needs & (GUEST_NEEDS_LONG | GUEST_NEEDS_LONG_SWITCH));
}

static int run_guest(struct run_config *rc, struct choice *c, const struct guest_desc *g,
		     const struct host_caps *caps)
{
	const struct engine_ops *e = c->e;
	struct sel_adapt *adapt = NULL;
	struct machine_config mcfg = {
		.mem_size = rc->mem_size, .nr_vcpus = rc->smp, .serial = rc->serial,
		.debugcon = rc->debugcon, .load = rc->load, .guest = g, .engine = e,
	};
	struct machine m;
	struct mon *mon = NULL;
	int status;
	if (machine_build(&mcfg, &m)) {
		free(c->explain);
		return m.exit_status;
	}
	struct vm *vm = m.vm;
	if (rc->switch_to[0]) {
		char why[64];
		snprintf(why, sizeof(why), "requested (--switch %s@%g)", rc->switch_to, rc->switch_ms);
		vcpu_switch_at(vm->vcpu[0], engine_find(rc->switch_to), why,
			       vmm_now_ns() + (uint64_t)(rc->switch_ms * 1e6));
	}
	if (c->adapt_to)
		adapt = sel_adapt_start(vm, &c->calib, g->pv.n.bits, c->adapt_to);
	snprintf(vm->engine_why, sizeof(vm->engine_why), "%s", c->why);
	snprintf(vm->engine_hint, sizeof(vm->engine_hint), "%s", c->hint);
	snprintf(vm->guest_name, sizeof(vm->guest_name), "%s", g->info.name);
	vm->start_paused = rc->start_paused;
	if (rc->monitor || rc->qmp || rc->gdb) {
		struct mon_machine mm = { .vm = vm, .caps = caps, .guest = g,
					  .kbd = m.board->i8042 };
		mon = mon_create(&mm);
		if (!mon || (rc->monitor && mon_open_console(mon, rc->monitor, m.board->console)) ||
		    (rc->qmp && mon_open_qmp(mon, rc->qmp)) ||
		    (rc->gdb && mon_open_gdb(mon, rc->gdb, gdb_wide(g)))) {
			free(c->explain);
			sel_adapt_stop(adapt);
			status = VM_EXIT_USAGE;
			goto out;
		}
	}
	print_choice(c); /* everything the run needs is in place */
	status = vm_run(vm);
	sel_adapt_stop(adapt);
	if (rc->stats)
		print_stats(vm, e);
	if (rc->stats_json)
		write_stats_json(rc->stats_json, vm, e, status);
out:
	mon_destroy(mon);
	machine_destroy(&m);
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
		struct guest_desc g;
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
	cli_config_parse(&rc, CLI_RUN, argc, argv);
	cli_config_check(&rc);
	if (rc.bt_interp)
		setenv("TRIPLEX_BT_INTERP", "1", 1); /* read by the bt engine's vm_create */
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
	struct guest_desc g;
	int status;
	if (sel_guest_probe(&rc.load, &g)) {
		status = VM_EXIT_USAGE;
	} else {
		struct choice c;
		bool ok = choose_engine(&rc, &caps, &g, &c);
		if (ok && rc.switch_to[0] && !switch_target(&rc, c.e, &caps, &g)) {
			free(c.explain);
			ok = false;
		}
		status = ok ? run_guest(&rc, &c, &g, &caps) : CLI_EXIT_UNAVAILABLE;
	}
	free(demo);
	cli_config_free(&rc);
	return status;
}

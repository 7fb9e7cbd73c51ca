/* mon_info.c: the `info` commands: status, registers, mode (engine, why
 * chosen, switches), counters, cpus. State is read through the core
 * (vm_regs_get pauses a running vCPU for the moment it takes). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/mon_internal.h"
#include "perf/report.h"

const char *mon_status_name(struct vm *vm)
{
	if (vm_stopping(vm))
		return "shutdown";
	if (!vm_paused(vm))
		return "running";
	switch (vm->pause_cause) {
	case VCPU_STOP_START:
		return "prelaunch";
	case VCPU_STOP_BREAK:
	case VCPU_STOP_STEP:
		return "debug";
	default:
		return "paused";
	}
}

static int info_status(struct mon *m, const char *args, struct mon_buf *out)
{
	const char *s = mon_status_name(m->vm);
	if (!strcmp(s, "running"))
		mon_printf(out, "VM status: running\n");
	else if (!strcmp(s, "paused"))
		mon_printf(out, "VM status: paused\n");
	else
		mon_printf(out, "VM status: paused (%s)\n", s);
	return 0;
}

static int info_registers(struct mon *m, const char *args, struct mon_buf *out)
{
	for (unsigned i = 0; i < m->vm->nr_vcpus; i++) {
		struct x86_state s;
		int r = vm_regs_get(m->vm, i, &s);
		if (r) {
			mon_printf(out, "info registers: vcpu%u: cannot read the registers: %s\n", i,
				   strerror(-r));
			return r;
		}
		if (m->vm->nr_vcpus > 1)
			mon_printf(out, "CPU#%u\n", i);
		mon_format_regs(&s, out);
	}
	return 0;
}

static int info_mode(struct mon *m, const char *args, struct mon_buf *out)
{
	struct vm *vm = m->vm;
	mon_printf(out, "engine: %s (%s)\n", vm->engine->name, vm->engine->desc);
	mon_printf(out, "chosen: %s\n", vm->engine_why[0] ? vm->engine_why : "(not recorded)");
	mon_printf(out, "switches: %u\n", m->nr_sw);
	for (unsigned i = 0; i < m->nr_sw; i++)
		mon_printf(out, "  %s -> %s at %.1f ms%s%s\n", m->sw[i].from, m->sw[i].to,
			   m->sw[i].at_ms, m->sw[i].why[0] ? ": " : "", m->sw[i].why);
	return 0;
}

/* On the vCPU thread, so an engine switch cannot change the sets under us. */
static int print_counters(struct vcpu *v, void *arg)
{
	struct vm *vm = v->vm;
	struct perf_set *sets[VM_MAX_VCPUS];
	struct perf_merged pm;
	unsigned n = vm_stats_sets(vm, sets);
	if (perf_merge(sets, n, &pm))
		return -ENOMEM;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		perf_merged_free(&pm);
		return -ENOMEM;
	}
	perf_print(f, &pm);
	fclose(f);
	perf_merged_free(&pm);
	mon_printf(arg, "%s", text ? text : "");
	free(text);
	return 0;
}

static int info_counters(struct mon *m, const char *args, struct mon_buf *out)
{
	mon_printf(out, "engine %s, %.1f ms since the start\n", m->vm->engine->name,
		   (double)(vmm_now_ns() - m->vm->start_ns) / 1e6);
	int r = vm_cpu_call(m->vm, 0, print_counters, out);
	if (r)
		mon_printf(out, "info counters: %s\n", strerror(-r));
	return r;
}

static int get_tid(struct vcpu *v, void *arg)
{
	return (int)syscall(SYS_gettid);
}

int mon_cpu_tid(struct vm *vm, unsigned cpu)
{
	return vm_cpu_call(vm, cpu, get_tid, NULL);
}

static int info_cpus(struct mon *m, const char *args, struct mon_buf *out)
{
	for (unsigned i = 0; i < m->vm->nr_vcpus; i++) {
		struct x86_state s;
		int tid = mon_cpu_tid(m->vm, i);
		int r = vm_regs_get(m->vm, i, &s);
		if (r || tid < 0) {
			mon_printf(out, "info cpus: vcpu%u: %s\n", i, strerror(-(r ? r : tid)));
			return r ? r : tid;
		}
		mon_printf(out, "%c CPU #%u: pc=0x%016llx%s thread_id=%d engine=%s mode=%s\n",
			   i == 0 ? '*' : ' ', i, (unsigned long long)(s.seg[X86_CS].base + s.rip),
			   m->vm->vcpu[i]->halted ? " (halted)" : "", tid, m->vm->engine->name,
			   x86_mode_name(&s));
	}
	return 0;
}

const struct mon_cmd mon_info_cmds[] = {
	{ "info status", "", "whether the guest runs or is paused (and why)", info_status },
	{ "info registers", "", "every register of each vCPU (QEMU's layout)", info_registers },
	{ "info mode", "", "the engine, why it was chosen, switches so far", info_mode },
	{ "info counters", "", "the engines' and the core's event counters", info_counters },
	{ "info cpus", "", "the vCPUs: pc, host thread, engine, CPU mode", info_cpus },
	{ NULL, NULL, NULL, NULL },
};

/* mon_qmp_cmd.c: the QMP commands, with QEMU's names and reply shapes
 * where QEMU has the command (query-status, stop, cont, system_powerdown,
 * system_reset, quit, query-cpus-fast, human-monitor-command) and
 * x-triplex- names for Triplex's own (query-mode, query-counters, switch);
 * the events' names and data. docs/control.md lists them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/mon_qmp.h"
#include "perf/report.h"

static json_t *ok(void)
{
	return json_pack("{s:{}}", "return");
}

static json_t *ctl_error(int r)
{
	if (r == -ESHUTDOWN)
		return qmp_error("GenericError", "the VM is shutting down");
	return qmp_error("GenericError", "a vCPU did not stop: %s", strerror(-r));
}

static json_t *query_status(struct mon *m, json_t *args)
{
	const char *s = mon_status_name(m->vm);
	return json_pack("{s:{s:s,s:b,s:b}}", "return", "status", s, "singlestep", 0, "running",
			 !strcmp(s, "running"));
}

static json_t *stop(struct mon *m, json_t *args)
{
	int r = vm_pause(m->vm);
	return r ? ctl_error(r) : ok();
}

static json_t *cont(struct mon *m, json_t *args)
{
	int r = vm_resume(m->vm);
	return r ? ctl_error(r) : ok();
}

static json_t *powerdown(struct mon *m, json_t *args)
{
	mon_system_powerdown(m->vm);
	return ok();
}

static json_t *reset(struct mon *m, json_t *args)
{
	mon_system_reset(m->vm);
	return ok();
}

static json_t *quit(struct mon *m, json_t *args)
{
	vm_request_stop(m->vm, VM_STOP_QUIT, 0, "quit requested over QMP");
	return ok();
}

static json_t *query_cpus_fast(struct mon *m, json_t *args)
{
	json_t *list = json_array();
	for (unsigned i = 0; i < m->vm->nr_vcpus; i++) {
		int tid = mon_cpu_tid(m->vm, i);
		char path[64];
		snprintf(path, sizeof(path), "/machine/unattached/device[%u]", i);
		json_array_append_new(
			list, json_pack("{s:i,s:{s:i,s:i,s:i},s:s,s:i,s:s}", "thread-id", tid > 0 ? tid : 0,
					"props", "core-id", 0, "thread-id", 0, "socket-id", (int)i,
					"qom-path", path, "cpu-index", (int)i, "target", "x86_64"));
	}
	return json_pack("{s:o}", "return", list);
}

static json_t *hmp(struct mon *m, json_t *args)
{
	const char *line = json_string_value(json_object_get(args, "command-line"));
	if (!line)
		return qmp_error("GenericError", "Parameter 'command-line' is missing");
	struct mon_buf out = { 0 };
	(void)mon_exec(m, line, &out);
	struct mon_buf crlf = { 0 }; /* QEMU's lines end in \r\n */
	for (size_t i = 0; i < out.len; i++)
		mon_printf(&crlf, out.p[i] == '\n' ? "\r\n" : "%c", out.p[i]);
	json_t *r = json_pack("{s:s}", "return", crlf.p ? crlf.p : "");
	mon_buf_free(&crlf);
	mon_buf_free(&out);
	return r;
}

static json_t *query_mode(struct mon *m, json_t *args)
{
	json_t *sw = json_array();
	for (unsigned i = 0; i < m->nr_sw; i++)
		json_array_append_new(sw, json_pack("{s:s,s:s,s:f,s:s}", "from", m->sw[i].from, "to",
						    m->sw[i].to, "at-ms", m->sw[i].at_ms, "reason",
						    m->sw[i].why));
	return json_pack("{s:{s:s,s:s,s:o}}", "return", "engine", m->vm->engine->name, "reason",
			 m->vm->engine_why, "switches", sw);
}

static int counters_json(struct vcpu *v, void *arg)
{
	struct perf_set *sets[VM_MAX_VCPUS];
	struct perf_merged pm;
	if (perf_merge(sets, vm_stats_sets(v->vm, sets), &pm))
		return -ENOMEM;
	*(json_t **)arg = perf_merged_json(&pm);
	perf_merged_free(&pm);
	return 0;
}

static json_t *query_counters(struct mon *m, json_t *args)
{
	json_t *c = NULL;
	int r = vm_cpu_call(m->vm, 0, counters_json, &c);
	if (r || !c)
		return qmp_error("GenericError", "cannot read the counters: %s", strerror(-r));
	return json_pack("{s:{s:s,s:o}}", "return", "engine", m->vm->engine->name, "counters", c);
}

static json_t *do_switch(struct mon *m, json_t *args)
{
	const char *e = json_string_value(json_object_get(args, "engine"));
	if (!e)
		return qmp_error("GenericError", "Parameter 'engine' is missing");
	char why[600];
	if (mon_switch(m, e, "QMP", why, sizeof(why)))
		return qmp_error("GenericError", "%s", why);
	return ok();
}

static const struct {
	const char *name;
	json_t *(*fn)(struct mon *m, json_t *args);
} cmds[] = {
	{ "query-status", query_status },
	{ "stop", stop },
	{ "cont", cont },
	{ "system_powerdown", powerdown },
	{ "system_reset", reset },
	{ "quit", quit },
	{ "query-cpus-fast", query_cpus_fast },
	{ "human-monitor-command", hmp },
	{ "x-triplex-query-mode", query_mode },
	{ "x-triplex-query-counters", query_counters },
	{ "x-triplex-switch", do_switch },
};

static json_t *query_commands(struct mon *m, json_t *args)
{
	json_t *list = json_array();
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(cmds); i++)
		json_array_append_new(list, json_pack("{s:s}", "name", cmds[i].name));
	json_array_append_new(list, json_pack("{s:s}", "name", "query-commands"));
	json_array_append_new(list, json_pack("{s:s}", "name", "qmp_capabilities"));
	return json_pack("{s:o}", "return", list);
}

json_t *qmp_execute(struct mon *m, const char *cmd, json_t *args)
{
	if (!strcmp(cmd, "query-commands"))
		return query_commands(m, args);
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, cmd))
			return cmds[i].fn(m, args);
	return qmp_error("CommandNotFound", "The command %s has not been found", cmd);
}

const char *qmp_event_name(const struct vm_event *ev)
{
	switch (ev->kind) {
	case VM_EV_STOP:
		return "STOP";
	case VM_EV_RESUME:
		return "RESUME";
	case VM_EV_SHUTDOWN:
		return "SHUTDOWN";
	case VM_EV_POWERDOWN:
		return "POWERDOWN";
	case VM_EV_RESET:
		return "RESET";
	case VM_EV_SWITCH:
		return "X_TRIPLEX_MODE_SWITCH";
	}
	return NULL;
}

json_t *qmp_event_data(struct mon *m, const struct vm_event *ev)
{
	switch (ev->kind) {
	case VM_EV_SHUTDOWN: {
		const char *reason = "guest-shutdown";
		bool guest = true;
		switch (ev->reason) {
		case VM_STOP_QUIT:
			reason = "host-qmp-quit";
			guest = false;
			break;
		case VM_STOP_SIGNAL:
			reason = "host-signal";
			guest = false;
			break;
		case VM_STOP_RESET:
			guest = !strstr(ev->detail, "system_reset");
			reason = guest ? "guest-reset" : "host-qmp-system-reset";
			break;
		case VM_STOP_POWEROFF:
			guest = !strstr(ev->detail, "system_powerdown");
			break;
		case VM_STOP_GUEST_ERROR:
		case VM_STOP_HOST_ERROR:
			reason = "guest-panic";
			break;
		default:
			break;
		}
		return json_pack("{s:b,s:s}", "guest", guest, "reason", reason);
	}
	case VM_EV_RESET:
		return json_pack("{s:b,s:s}", "guest", !strstr(ev->detail, "system_reset"), "reason",
				 strstr(ev->detail, "system_reset") ? "host-qmp-system-reset"
								    : "guest-reset");
	case VM_EV_SWITCH: {
		char from[8] = "", to[8] = "", why[160] = "";
		if (sscanf(ev->detail, "%7s %7s %159[^\n]", from, to, why) < 2)
			from[0] = to[0] = 0;
		return json_pack("{s:s,s:s,s:s}", "from", from, "to", to, "reason", why);
	}
	default:
		return json_object();
	}
}

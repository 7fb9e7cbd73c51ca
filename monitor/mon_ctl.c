/* mon_ctl.c: commands that change what the guest does: stop, cont, step,
 * break/delete, switch, sendkey, system_powerdown, system_reset, quit. All
 * go through the core (vm_pause/vm_resume/vm_step/vm_bp_*, vcpu_switch_at),
 * the same calls QMP and gdb make. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "monitor/mon_internal.h"
#include "vmm/select/select.h"

static int ctl_error(struct mon_buf *out, const char *cmd, int r)
{
	if (r == -ESHUTDOWN)
		mon_printf(out, "%s: the VM is shutting down\n", cmd);
	else if (r == -ETIMEDOUT)
		mon_printf(out, "%s: a vCPU did not stop within %llu ms\n", cmd,
			   VM_CTL_TIMEOUT_NS / 1000000);
	else
		mon_printf(out, "%s: %s\n", cmd, strerror(-r));
	return r;
}

static int cmd_stop(struct mon *m, const char *args, struct mon_buf *out)
{
	int r = vm_pause(m->vm);
	return r ? ctl_error(out, "stop", r) : 0;
}

static int cmd_cont(struct mon *m, const char *args, struct mon_buf *out)
{
	int r = vm_resume(m->vm);
	return r ? ctl_error(out, "cont", r) : 0;
}

/* "0x00101000:  mov eax, 1" for vCPU (cpu)'s next instruction. */
static void print_pc(struct mon *m, unsigned cpu, struct mon_buf *out)
{
	struct x86_state s;
	if (vm_regs_get(m->vm, cpu, &s))
		return;
	uint64_t pc = s.seg[X86_CS].base + s.rip, bad;
	uint8_t code[16];
	size_t n = sizeof(code);
	while (n && mon_mem_rw(m->vm, &s, true, pc, code, n, false, &bad))
		n = bad > pc ? (size_t)(bad - pc) : 0;
	char text[128] = "(not mapped)";
	if (n)
		disas_insn(code, n, mon_code_bits(&s), pc, text, sizeof(text));
	mon_printf(out, "0x%08" PRIx64 ":  %s\n", pc, text);
}

static int cmd_step(struct mon *m, const char *args, struct mon_buf *out)
{
	uint64_t n = 1;
	if (*args && (vmm_parse_u64(args, &n) || n == 0 || n > 100000)) {
		mon_printf(out, "step: '%s' is not a count from 1 to 100000\n", args);
		return -EINVAL;
	}
	for (uint64_t i = 0; i < n; i++) {
		char why[160] = "";
		int r = vm_step(m->vm, 0, why, sizeof(why));
		if (r == -EBUSY || r == -ENOTSUP || (r == -ETIMEDOUT && why[0])) {
			mon_printf(out, "step: %s\n", why);
			return r;
		}
		if (r)
			return ctl_error(out, "step", r);
	}
	print_pc(m, 0, out);
	return 0;
}

static int cmd_break(struct mon *m, const char *args, struct mon_buf *out)
{
	uint64_t a[VCPU_DEBUG_MAX_BP];
	if (!*args) {
		unsigned n = vm_bp_list(m->vm, a, VCPU_DEBUG_MAX_BP);
		if (!n)
			mon_printf(out, "no breakpoints\n");
		for (unsigned i = 0; i < n; i++)
			mon_printf(out, "breakpoint at 0x%08" PRIx64 "\n", a[i]);
		return 0;
	}
	uint64_t addr;
	if (mon_parse_value(m, args, &addr, out))
		return -EINVAL;
	char why[160] = "";
	int r = vm_bp_add(m->vm, addr, why, sizeof(why));
	if (r) {
		mon_printf(out, "break: %s\n", why);
		return r;
	}
	mon_printf(out, "breakpoint at 0x%08" PRIx64 "\n", addr);
	return 0;
}

static int cmd_delete(struct mon *m, const char *args, struct mon_buf *out)
{
	uint64_t a[VCPU_DEBUG_MAX_BP];
	if (!*args) {
		unsigned n = vm_bp_list(m->vm, a, VCPU_DEBUG_MAX_BP), done = 0;
		for (unsigned i = 0; i < n; i++)
			done += vm_bp_del(m->vm, a[i]) == 0; /* may be gone (another front end) */
		mon_printf(out, "deleted %u breakpoint%s\n", done, done == 1 ? "" : "s");
		return 0;
	}
	uint64_t addr;
	if (mon_parse_value(m, args, &addr, out))
		return -EINVAL;
	if (vm_bp_del(m->vm, addr)) {
		mon_printf(out, "delete: no breakpoint at 0x%08" PRIx64 "\n", addr);
		return -ENOENT;
	}
	return 0;
}

int mon_switch_check(struct mon *m, const char *name, const struct engine_ops **to, char *why,
		     size_t len)
{
	struct vm *vm = m->vm;
	const struct engine_ops *e = engine_find(name);
	if (!e) {
		snprintf(why, len, "this build has no '%s' engine", name);
		return -ENOENT;
	}
	if (e == vm->engine) {
		snprintf(why, len, "the guest already runs under %s", e->name);
		return -EALREADY;
	}
	if (!e->vcpu_adopt) {
		snprintf(why, len, "the %s engine cannot take over a running guest", e->name);
		return -ENOTSUP;
	}
	if (vm->nr_vcpus != 1) {
		snprintf(why, len, "only a guest with one vCPU can switch engines");
		return -ENOTSUP;
	}
	if (vm->dbg.nr && !e->set_debug) {
		snprintf(why, len, "%s cannot keep the breakpoints set (delete them first)", e->name);
		return -ENOTSUP;
	}
	if (m->mm.caps && m->mm.guest) {
		struct sel_avail avail[SEL_MAX_ENGINES];
		unsigned n = sel_gather(m->mm.caps, m->mm.guest, avail, SEL_MAX_ENGINES);
		for (unsigned i = 0; i < n; i++)
			if (!strcmp(avail[i].engine, e->name) && !avail[i].ok) {
				snprintf(why, len, "mode %s cannot run %s here: %s", e->name,
					 m->mm.guest->info.name, avail[i].why);
				return -ENOTSUP;
			}
	}
	*to = e;
	return 0;
}

int mon_switch(struct mon *m, const char *name, const char *who, char *why, size_t len)
{
	const struct engine_ops *to;
	int r = mon_switch_check(m, name, &to, why, len);
	if (r)
		return r;
	char reason[64];
	snprintf(reason, sizeof(reason), "requested from %s", who);
	vcpu_switch_at(m->vm->vcpu[0], to, reason, vmm_now_ns());
	return 0;
}

static int cmd_switch(struct mon *m, const char *args, struct mon_buf *out)
{
	char why[600];
	if (!*args) {
		mon_printf(out, "switch: which engine? (bt, hw or pv)\n");
		return -EINVAL;
	}
	int r = mon_switch(m, args, "the monitor", why, sizeof(why));
	if (r) {
		mon_printf(out, "switch: refused: %s\n", why);
		return r;
	}
	mon_printf(out, "switch to %s requested (it happens where the guest can be moved; "
		   "info mode shows it)\n", args);
	return 0;
}

static int cmd_sendkey(struct mon *m, const char *args, struct mon_buf *out)
{
	char why[200] = "";
	if (!*args) {
		mon_printf(out, "sendkey: which key? (e.g. sendkey a, sendkey ctrl-alt-delete)\n");
		return -EINVAL;
	}
	if (!m->mm.kbd) {
		mon_printf(out, "sendkey: unavailable: this machine has no keyboard controller\n");
		return -ENOTSUP;
	}
	int r = mon_sendkey(m->mm.kbd, args, why, sizeof(why));
	if (r)
		mon_printf(out, "sendkey: %s\n", why);
	return r;
}

static int cmd_powerdown(struct mon *m, const char *args, struct mon_buf *out)
{
	mon_system_powerdown(m->vm);
	return 0;
}

static int cmd_reset(struct mon *m, const char *args, struct mon_buf *out)
{
	mon_system_reset(m->vm);
	return 0;
}

void mon_system_powerdown(struct vm *vm)
{
	vm_post_event(vm, VM_EV_POWERDOWN, 0, 0, "powerdown");
	vm_request_stop(vm, VM_STOP_POWEROFF, 0,
			"powered off (system_powerdown: the board has no ACPI power button, so "
			"the VM stops as if switched off)");
}

void mon_system_reset(struct vm *vm)
{
	vm_request_stop(vm, VM_STOP_RESET, 0,
			"reset requested by the user (system_reset); stopping (Triplex does not "
			"reboot)");
}

static int cmd_quit(struct mon *m, const char *args, struct mon_buf *out)
{
	vm_request_stop(m->vm, VM_STOP_QUIT, 0, "quit from the monitor");
	return 0;
}

const struct mon_cmd mon_ctl_cmds[] = {
	{ "stop", "", "pause the guest (every vCPU, at an instruction boundary)", cmd_stop },
	{ "cont", "", "resume the guest", cmd_cont },
	{ "c", "", "resume the guest (cont)", cmd_cont },
	{ "step", "[N]", "execute N instructions (1) on vcpu0 while paused; show the next",
	  cmd_step },
	{ "break", "[ADDR]", "stop before the instruction at linear ADDR (none: list them)",
	  cmd_break },
	{ "delete", "[ADDR]", "remove the breakpoint at ADDR (none: all of them)", cmd_delete },
	{ "switch", "ENGINE", "move the running guest to engine bt, hw or pv", cmd_switch },
	{ "sendkey", "KEYS", "type a key combination (e.g. ctrl-alt-delete) into the guest (i8042)",
	  cmd_sendkey },
	{ "system_powerdown", "", "power the guest off", cmd_powerdown },
	{ "system_reset", "", "reset the guest (Triplex stops it: no reboot)", cmd_reset },
	{ "quit", "", "stop the guest and exit", cmd_quit },
	{ "q", "", "quit", cmd_quit },
	{ NULL, NULL, NULL, NULL },
};

/* monitor.h: what the user drives a running guest with: the monitor console
 * (a command table; --monitor stdio|unix:PATH[,server]), the QMP-compatible
 * control socket (--qmp) and the gdb stub (--gdb). Every front end stops, steps and resumes
 * the guest through the core's one mechanism (vm_pause/vm_step/vm_resume,
 * vmm/core/debug.c) and reads state with vm_regs_get, so they cannot
 * disagree. Everything runs on the VM's main-loop thread.
 *
 *     struct mon *m = mon_create(&(struct mon_machine){ vm, caps, guest });
 *     mon_open_console(m, "stdio", serial_chardev);
 *     mon_open_qmp(m, "unix:/tmp/q.sock,server,wait=off");
 *     vm_run(vm);  mon_destroy(m);
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include "vmm/core/vmm.h"

struct vm;
struct chardev;
struct host_caps;
struct guest_desc;
struct i8042;

/* What the monitor is told about the machine it drives. */
struct mon_machine {
	struct vm *vm;
	const struct host_caps *caps;  /* for `switch`: can that engine run the guest */
	const struct guest_desc *guest;
	/* The guest's keyboard controller (sendkey, the display); NULL: none. */
	struct i8042 *kbd;
};

struct mon;

/* A monitor for (mm)'s VM (events registered with vm_listen). NULL + logged
 * error on failure. Call after vm_engine_init(), before vm_run(). */
struct mon *mon_create(const struct mon_machine *mm);
/* Close every front end and free; after vm_run() returned. */
void mon_destroy(struct mon *m);

/* The console: "stdio" multiplexes it with the guest's serial console
 * (serial, a "stdio" chardev: Ctrl-A c switches, as QEMU's mon:stdio);
 * "unix:PATH[,server]" listens on a Unix socket (server: waits for the
 * first client before the guest starts; without: starts at once). 0, or
 * -errno after a message naming the spec. */
VMM_MUST_CHECK int mon_open_console(struct mon *m, const char *spec, struct chardev *serial);
/* The QMP-compatible control socket, "unix:PATH[,server][,wait=off]"
 * (docs/control.md). 0 or -errno after a message. */
VMM_MUST_CHECK int mon_open_qmp(struct mon *m, const char *spec);
/* The gdb stub, "tcp:HOST:PORT" (tcp::PORT: 127.0.0.1) or "unix:PATH"
 * (docs/control.md); (wide): x86-64 registers (a 64-bit guest), else i386.
 * 0 or -errno after a message. */
VMM_MUST_CHECK int mon_open_gdb(struct mon *m, const char *spec, bool wide);
/* Check a spec without opening it (for the option parser). 0, or -EINVAL
 * with (why). kind: "monitor", "qmp", "gdb". */
int mon_spec_check(const char *kind, const char *spec, char *why, size_t len);

#endif

/* mon_internal.h: the monitor's private parts: output buffers, the command
 * table (one array per command group, mon_*.c), guest memory access through
 * the guest's page tables (mon_mmu.c), and the front ends' shared state. */
#ifndef MONITOR_MON_INTERNAL_H
#define MONITOR_MON_INTERNAL_H

#include <stdio.h>

#include "monitor/monitor.h"
#include "vmm/core/disas.h"
#include "vmm/core/vm.h"

/* A growing output buffer; the commands print into one. */
struct mon_buf {
	char *p;
	size_t len, cap;
};
void mon_printf(struct mon_buf *o, const char *fmt, ...) VMM_PRINTF(2, 3);
void mon_buf_free(struct mon_buf *o);

struct mon;
/* A command: (args) is what followed its name (trimmed; for x/FMT the
 * "/FMT" part first). Prints into (out); returns 0, or -errno after
 * printing a message. */
typedef int (*mon_cmd_fn)(struct mon *m, const char *args, struct mon_buf *out);

struct mon_cmd {
	const char *name;   /* "stop", "info registers", "x" */
	const char *args;   /* for help: "/FMT ADDR" */
	const char *help;
	mon_cmd_fn fn;
};

/* One table per group; each ends with a NULL name. */
extern const struct mon_cmd mon_info_cmds[];   /* mon_info.c */
extern const struct mon_cmd mon_mem_cmds[];    /* mon_mem.c */
extern const struct mon_cmd mon_ctl_cmds[];    /* mon_ctl.c */

/* Run one command line (mon_cmd.c); output into (out). */
int mon_exec(struct mon *m, const char *line, struct mon_buf *out);

/* An address or number: C syntax (0x.., decimal) or a register of vCPU 0
 * ($rip, $eip, $esp, ...). 0 or -EINVAL (message printed into out). */
int mon_parse_value(struct mon *m, const char *s, uint64_t *v, struct mon_buf *out);

/* ---- guest memory through the guest's page tables (mon_mmu.c) ---- */
struct mon_map {
	uint64_t lin, gpa, size;
	uint64_t flags;     /* effective X86_PTE_* (RW, US: AND of levels; NX: OR) */
};
typedef void (*mon_map_fn)(void *opaque, const struct mon_map *m);
/* Translate linear (lin) with (s)'s paging (none, 32-bit, PAE, 4-level).
 * 0 with *gpa, or -EFAULT if not mapped. */
int mon_virt_to_phys(struct vm *vm, const struct x86_state *s, uint64_t lin, uint64_t *gpa);
/* Every present leaf mapping in address order; returns the paging mode's
 * name ("none" when paging is off: nothing is walked). */
const char *mon_walk(struct vm *vm, const struct x86_state *s, mon_map_fn fn, void *opaque);
/* Read/write (len) bytes at guest linear (virt) or physical (!virt)
 * addresses; a write tells the engines (vm_mem_written). 0, or -EFAULT
 * with *bad = the first address that is not mapped or not RAM. */
int mon_mem_rw(struct vm *vm, const struct x86_state *s, bool virt, uint64_t addr, void *buf,
	       size_t len, bool write, uint64_t *bad);
/* The code width of (s): 16, 32 or 64. */
unsigned mon_code_bits(const struct x86_state *s);

/* `info registers` text for (s), QEMU's layout (mon_regs.c). */
void mon_format_regs(const struct x86_state *s, struct mon_buf *o);

/* What the info commands and QMP report (mon_info.c). */
const char *mon_status_name(struct vm *vm);    /* "running", "paused", ... */
/* The thread id of vCPU (cpu)'s host thread, or -errno. */
int mon_cpu_tid(struct vm *vm, unsigned cpu);
/* The engine switches seen so far (from VM_EV_SWITCH events). */
#define MON_MAX_SWITCHES 16
struct mon_switch {
	char from[8], to[8];
	double at_ms;
	char why[160];
};

/* Engine switches (mon_ctl.c): can (name) take the guest now (*to set)? 0,
 * or -errno with (why); ask for it on behalf of (who). */
int mon_switch_check(struct mon *m, const char *name, const struct engine_ops **to, char *why,
		     size_t len);
int mon_switch(struct mon *m, const char *name, const char *who, char *why, size_t len);
void mon_system_powerdown(struct vm *vm);
void mon_system_reset(struct vm *vm);

/* Keys (mon_keys.c): QEMU's sendkey name of (len) bytes -> set-1 code
 * (0xE0xx: extended); press or release one; type a "ctrl-alt-delete"
 * combination. 0 or -errno (with why). */
struct i8042;
int mon_key_code(const char *name, size_t len, uint16_t *code);
int mon_key_send(struct i8042 *kbd, uint16_t code, bool down);
int mon_sendkey(struct i8042 *kbd, const char *combo, char *why, size_t len);

/* ---- the front ends ---- */
#define MON_MAX_CLIENTS 8

struct mon_qmp;
struct mon_gdb;

struct mon {
	struct mon_machine mm;
	struct vm *vm;
	/* stdio console multiplexed with the serial console */
	struct chardev *serial;
	char line[512];
	size_t line_len;
	/* unix-socket console */
	int listen_fd;
	char *listen_path;
	int client_fd[MON_MAX_CLIENTS];
	char client_line[MON_MAX_CLIENTS][512];
	size_t client_len[MON_MAX_CLIENTS];
	struct mon_qmp *qmp;
	struct mon_gdb *gdb;
	bool listening;      /* registered with vm_listen */
	struct mon_switch sw[MON_MAX_SWITCHES];
	unsigned nr_sw;
};

/* Print an event on the console front ends (STOP at a breakpoint, ...). */
void mon_console_event(struct mon *m, const struct vm_event *ev);

/* Front-end helpers (mon_chan.c): parse "unix:PATH[,opts]" / "tcp:H:P". */
struct mon_sock_spec {
	bool unix_sock;
	char path[108];
	char host[64];
	unsigned port;
	bool server, wait;
};
int mon_sock_parse(const char *kind, const char *spec, struct mon_sock_spec *s, char *why,
		   size_t len);
/* Listen on (s); the fd, or -errno after a message. */
int mon_sock_listen(const char *kind, const struct mon_sock_spec *s);
/* Write all of (buf) to a socket; 0 or -errno (the client went away). */
int mon_write_all(int fd, const void *buf, size_t len);

/* mon_gdb.c */
void mon_gdb_destroy(struct mon_gdb *g);
void mon_gdb_event(struct mon_gdb *g, const struct vm_event *ev);

/* mon_qmp.c */
void mon_qmp_destroy(struct mon_qmp *q);
void mon_qmp_event(struct mon_qmp *q, const struct vm_event *ev);

#endif

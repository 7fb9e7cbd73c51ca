/* mon_gdb.c: the gdb stub (--gdb tcp:HOST:PORT | unix:PATH, -s for
 * tcp::1234 on 127.0.0.1): the GDB remote serial protocol over a socket,
 * one debugger at a time, all-stop. Stopping, stepping, breakpoints and
 * register access go through the core's mechanism (vmm/core/debug.c), so
 * they work on every engine that implements set_debug, and gdb, the monitor
 * and QMP agree on whether the guest runs. Memory goes through the guest's
 * page tables (mon_mmu.c). Like QEMU, a connecting gdb stops the guest;
 * detaching removes its breakpoints and lets the guest run.
 *
 * Packets: qSupported, qXfer:features:read (target.xml), ?, g/G, p/P, m/M,
 * X (binary write), Z0/z0 and Z1/z1, s, c, vCont, Ctrl-C, qAttached, qC,
 * qfThreadInfo, H, T, qRcmd (monitor commands), k, D. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/mon_gdb.h"

#define GDB_MAX_PACKET 16384

struct mon_gdb {
	struct mon *m;
	int listen_fd, fd;
	char path[108];           /* unix socket to unlink, or "" */
	bool wide;                /* x86-64 register layout */
	bool running;             /* gdb waits for a stop reply */
	bool no_ack;              /* QStartNoAckMode */
	char in[GDB_MAX_PACKET + 4];
	size_t in_len;
	uint64_t bps[VCPU_DEBUG_MAX_BP]; /* breakpoints gdb set (removed on detach) */
	unsigned nr_bps;
};

static const char hexd[] = "0123456789abcdef";

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_packet_len(struct mon_gdb *g, const char *data, size_t len)
{
	if (g->fd < 0)
		return;
	char *p = malloc(len + 5);
	if (!p)
		return;
	unsigned sum = 0;
	p[0] = '$';
	for (size_t i = 0; i < len; i++) {
		p[1 + i] = data[i];
		sum += (uint8_t)data[i];
	}
	p[1 + len] = '#';
	p[2 + len] = hexd[(sum >> 4) & 15];
	p[3 + len] = hexd[sum & 15];
	(void)mon_write_all(g->fd, p, len + 4);
	free(p);
}

static void put_packet(struct mon_gdb *g, const char *s)
{
	put_packet_len(g, s, strlen(s));
}

static void hex_encode(struct mon_buf *o, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mon_printf(o, "%c%c", hexd[b[i] >> 4], hexd[b[i] & 15]);
}

/* (n) bytes from hex (s) into (b); false on a bad digit. */
static bool hex_decode(const char *s, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static void stop_reply(struct mon_gdb *g, unsigned sig, const char *why)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "T%02xthread:01;%s", sig, why ? why : "");
	g->running = false;
	put_packet(g, buf);
}

/* ---- registers and memory ---- */

static int read_regs(struct mon_gdb *g, struct x86_state *s)
{
	return vm_regs_get(g->m->vm, 0, s);
}

static void cmd_g(struct mon_gdb *g)
{
	struct x86_state s;
	if (read_regs(g, &s)) {
		put_packet(g, "E01");
		return;
	}
	struct mon_buf o = { 0 };
	uint8_t b[16];
	for (unsigned i = 0; i < gdb_nr_regs(g->wide); i++)
		hex_encode(&o, b, gdb_reg_get(&s, g->wide, i, b));
	put_packet_len(g, o.p, o.len);
	mon_buf_free(&o);
}

static void cmd_G(struct mon_gdb *g, const char *hex)
{
	struct x86_state s;
	if (read_regs(g, &s) || strlen(hex) < 2 * gdb_regs_size(g->wide)) {
		put_packet(g, "E01");
		return;
	}
	uint8_t b[16];
	for (unsigned i = 0; i < gdb_nr_regs(g->wide); i++) {
		unsigned n = gdb_reg_get(&s, g->wide, i, b);
		if (!hex_decode(hex, b, n)) {
			put_packet(g, "E01");
			return;
		}
		gdb_reg_set(&s, g->wide, i, b);
		hex += 2 * n;
	}
	put_packet(g, vm_regs_set(g->m->vm, 0, &s) ? "E01" : "OK");
}

static void cmd_p(struct mon_gdb *g, const char *args)
{
	unsigned long n = strtoul(args, NULL, 16);
	struct x86_state s;
	if (n >= gdb_nr_regs(g->wide)) {
		put_packet(g, "E00"); /* gdb takes it as "no such register" */
		return;
	}
	if (read_regs(g, &s)) {
		put_packet(g, "E01");
		return;
	}
	uint8_t b[16];
	struct mon_buf o = { 0 };
	hex_encode(&o, b, gdb_reg_get(&s, g->wide, (unsigned)n, b));
	put_packet_len(g, o.p, o.len);
	mon_buf_free(&o);
}

static void cmd_P(struct mon_gdb *g, const char *args)
{
	char *eq;
	unsigned long n = strtoul(args, &eq, 16);
	struct x86_state s;
	uint8_t b[16];
	if (*eq != '=' || n >= gdb_nr_regs(g->wide) || read_regs(g, &s)) {
		put_packet(g, "E01");
		return;
	}
	unsigned size = gdb_reg_get(&s, g->wide, (unsigned)n, b);
	if (strlen(eq + 1) < 2 * size || !hex_decode(eq + 1, b, size)) {
		put_packet(g, "E01");
		return;
	}
	gdb_reg_set(&s, g->wide, (unsigned)n, b);
	put_packet(g, vm_regs_set(g->m->vm, 0, &s) ? "E01" : "OK");
}

/* "ADDR,LEN" */
static bool addr_len(const char *p, uint64_t *addr, size_t *len, const char **rest)
{
	char *e;
	*addr = strtoull(p, &e, 16);
	if (*e != ',')
		return false;
	*len = strtoul(e + 1, &e, 16);
	*rest = e;
	return *len <= GDB_MAX_PACKET / 2;
}

static void cmd_m(struct mon_gdb *g, const char *args)
{
	uint64_t addr, bad;
	size_t len;
	const char *rest;
	struct x86_state s;
	if (!addr_len(args, &addr, &len, &rest) || read_regs(g, &s)) {
		put_packet(g, "E01");
		return;
	}
	uint8_t *b = malloc(len ? len : 1);
	if (!b || mon_mem_rw(g->m->vm, &s, true, addr, b, len, false, &bad)) {
		free(b);
		put_packet(g, "E14"); /* EFAULT */
		return;
	}
	struct mon_buf o = { 0 };
	hex_encode(&o, b, len);
	put_packet_len(g, o.p ? o.p : "", o.len);
	mon_buf_free(&o);
	free(b);
}

/* M (hex) and X (binary, escaped) writes. */
static void cmd_write(struct mon_gdb *g, const char *args, size_t plen, bool binary)
{
	uint64_t addr, bad;
	size_t len;
	const char *rest;
	struct x86_state s;
	if (!addr_len(args, &addr, &len, &rest) || *rest != ':' || read_regs(g, &s)) {
		put_packet(g, "E01");
		return;
	}
	rest++;
	uint8_t *b = malloc(len ? len : 1);
	bool ok = b != NULL;
	size_t avail = plen - (size_t)(rest - args);
	if (ok && binary) {
		size_t k = 0;
		for (size_t i = 0; i < avail && k < len; i++)
			b[k++] = rest[i] == '}' && i + 1 < avail ? (uint8_t)(rest[++i] ^ 0x20)
								  : (uint8_t)rest[i];
		ok = k == len;
	} else if (ok) {
		ok = avail >= 2 * len && hex_decode(rest, b, len);
	}
	if (ok && len && mon_mem_rw(g->m->vm, &s, true, addr, b, len, true, &bad))
		ok = false;
	free(b);
	put_packet(g, ok ? "OK" : "E14");
}

/* ---- breakpoints, run control ---- */

static void cmd_Z(struct mon_gdb *g, const char *args, bool insert)
{
	char *e;
	unsigned long type = strtoul(args, &e, 16);
	uint64_t addr = *e == ',' ? strtoull(e + 1, &e, 16) : 0;
	if (type > 1) {
		put_packet(g, ""); /* watchpoints: not supported */
		return;
	}
	char why[160];
	if (insert) {
		int r = vm_bp_add(g->m->vm, addr, why, sizeof(why));
		if (r == -EEXIST)
			r = 0; /* Z0 and Z1 at one address: one breakpoint */
		if (!r && g->nr_bps < VCPU_DEBUG_MAX_BP)
			g->bps[g->nr_bps++] = addr;
		if (r)
			vmm_warn("gdb: breakpoint at %#" PRIx64 ": %s", addr, why);
		put_packet(g, r ? "E22" : "OK");
		return;
	}
	if (vm_bp_del(g->m->vm, addr))
		vmm_debug(mon, "gdb: no breakpoint at %#" PRIx64, addr);
	for (unsigned i = 0; i < g->nr_bps; i++)
		if (g->bps[i] == addr) {
			g->bps[i] = g->bps[--g->nr_bps];
			break;
		}
	put_packet(g, "OK");
}

static void do_step(struct mon_gdb *g)
{
	char why[160] = "";
	int r = vm_step(g->m->vm, 0, why, sizeof(why));
	if (r && r != -ETIMEDOUT) {
		vmm_warn("gdb: step: %s", why[0] ? why : strerror(-r));
		put_packet(g, "E01");
		return;
	}
	stop_reply(g, 5, NULL);
}

static void do_cont(struct mon_gdb *g)
{
	g->running = true;
	if (vm_resume(g->m->vm))
		stop_reply(g, 9, NULL);
}

/* vCont;ACTION[:thread]... with one vCPU: the first action decides. */
static void cmd_vcont(struct mon_gdb *g, const char *p)
{
	if (*p == '?') {
		put_packet(g, "vCont;c;C;s;S");
		return;
	}
	if (*p != ';') {
		put_packet(g, "");
		return;
	}
	char a = p[1];
	if (a == 's' || a == 'S')
		do_step(g);
	else if (a == 'c' || a == 'C')
		do_cont(g);
	else
		put_packet(g, "E01");
}

static void detach(struct mon_gdb *g)
{
	for (unsigned i = 0; i < g->nr_bps; i++)
		if (vm_bp_del(g->m->vm, g->bps[i]))
			vmm_debug(mon, "gdb: breakpoint %#" PRIx64 " was already gone", g->bps[i]);
	g->nr_bps = 0;
	g->running = false;
	if (vm_resume(g->m->vm))
		vmm_debug(mon, "gdb: the VM is stopping; nothing to resume");
}

static void cmd_q(struct mon_gdb *g, const char *p)
{
	if (!strncmp(p, "qSupported", 10)) {
		put_packet(g, "PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;"
			      "vContSupported+;QStartNoAckMode+");
	} else if (!strncmp(p, "qXfer:features:read:target.xml:", 31)) {
		unsigned long off = strtoul(p + 31, NULL, 16), len;
		const char *comma = strchr(p + 31, ',');
		len = comma ? strtoul(comma + 1, NULL, 16) : 0;
		struct mon_buf x = { 0 };
		gdb_target_xml(g->wide, &x);
		if (off >= x.len) {
			put_packet(g, "l");
		} else {
			size_t n = VMM_MIN((size_t)len, x.len - off);
			char *r = malloc(n + 1);
			if (r) {
				r[0] = off + n < x.len ? 'm' : 'l';
				memcpy(r + 1, x.p + off, n);
				put_packet_len(g, r, n + 1);
				free(r);
			}
		}
		mon_buf_free(&x);
	} else if (!strncmp(p, "qXfer:", 6)) {
		put_packet(g, "E00");
	} else if (!strcmp(p, "qAttached")) {
		put_packet(g, "1");
	} else if (!strcmp(p, "qC")) {
		put_packet(g, "QC1");
	} else if (!strcmp(p, "qfThreadInfo")) {
		put_packet(g, "m1");
	} else if (!strcmp(p, "qsThreadInfo")) {
		put_packet(g, "l");
	} else if (!strncmp(p, "qRcmd,", 6)) {
		/* `monitor CMD` in gdb: the console's commands */
		size_t n = strlen(p + 6) / 2;
		char *line = calloc(1, n + 1);
		struct mon_buf out = { 0 }, hex = { 0 };
		if (line && hex_decode(p + 6, (uint8_t *)line, n)) {
			(void)mon_exec(g->m, line, &out);
			mon_printf(&hex, "O");
			hex_encode(&hex, (const uint8_t *)(out.p ? out.p : ""), out.len);
			if (out.len)
				put_packet_len(g, hex.p, hex.len);
			put_packet(g, "OK");
		} else {
			put_packet(g, "E01");
		}
		free(line);
		mon_buf_free(&out);
		mon_buf_free(&hex);
	} else {
		put_packet(g, "");
	}
}

/* One packet's payload (NUL-terminated; (len) bytes for binary X). */
static void handle(struct mon_gdb *g, char *p, size_t len)
{
	switch (p[0]) {
	case '?':
		stop_reply(g, 5, NULL);
		break;
	case 'g':
		cmd_g(g);
		break;
	case 'G':
		cmd_G(g, p + 1);
		break;
	case 'p':
		cmd_p(g, p + 1);
		break;
	case 'P':
		cmd_P(g, p + 1);
		break;
	case 'm':
		cmd_m(g, p + 1);
		break;
	case 'M':
		cmd_write(g, p + 1, len - 1, false);
		break;
	case 'X':
		cmd_write(g, p + 1, len - 1, true);
		break;
	case 'Z':
	case 'z':
		cmd_Z(g, p + 1, p[0] == 'Z');
		break;
	case 's':
		do_step(g);
		break;
	case 'c':
		do_cont(g);
		break;
	case 'v':
		if (!strncmp(p, "vCont", 5))
			cmd_vcont(g, p + 5);
		else
			put_packet(g, "");
		break;
	case 'H':
	case 'T':
		put_packet(g, "OK");
		break;
	case 'q':
		cmd_q(g, p);
		break;
	case 'Q':
		if (!strcmp(p, "QStartNoAckMode")) {
			put_packet(g, "OK");
			g->no_ack = true;
		} else {
			put_packet(g, "");
		}
		break;
	case 'k':
		vm_request_stop(g->m->vm, VM_STOP_QUIT, 0, "killed from gdb");
		break;
	case 'D':
		put_packet(g, "OK");
		detach(g);
		break;
	default:
		put_packet(g, "");
		break;
	}
}

static void client_close(struct mon_gdb *g)
{
	if (g->fd < 0)
		return;
	detach(g);
	(void)close(g->fd);
	g->fd = -1;
	g->in_len = 0;
	g->no_ack = false;
}

/* Take every complete packet out of the input. */
static void consume(struct mon_gdb *g)
{
	size_t i = 0;
	while (i < g->in_len && g->fd >= 0) {
		char c = g->in[i];
		if (c == 0x03) { /* Ctrl-C: stop the guest */
			i++;
			if (vm_pause(g->m->vm) == 0 || vm_paused(g->m->vm))
				stop_reply(g, 2, NULL);
			continue;
		}
		if (c != '$') {
			i++; /* '+' / '-' acknowledgements and noise */
			continue;
		}
		char *hash = memchr(g->in + i, '#', g->in_len - i);
		if (!hash || (size_t)(hash - g->in) + 3 > g->in_len)
			break; /* incomplete */
		size_t start = i + 1, len = (size_t)(hash - g->in) - start;
		unsigned sum = 0;
		for (size_t k = start; k < start + len; k++)
			sum += (uint8_t)g->in[k];
		int want = hexval(hash[1]) << 4 | hexval(hash[2]);
		i = (size_t)(hash - g->in) + 3;
		if (!g->no_ack) {
			bool good = (sum & 0xff) == (unsigned)want;
			(void)mon_write_all(g->fd, good ? "+" : "-", 1);
			if (!good)
				continue;
		}
		char save = g->in[start + len];
		g->in[start + len] = 0;
		handle(g, g->in + start, len);
		if (g->fd >= 0)
			g->in[start + len] = save;
	}
	if (g->fd < 0)
		return;
	memmove(g->in, g->in + i, g->in_len - i);
	g->in_len -= i;
	if (g->in_len == sizeof(g->in)) {
		vmm_warn("gdb: packet longer than %u bytes: dropped", GDB_MAX_PACKET);
		g->in_len = 0;
	}
}

static bool client_input(void *opaque)
{
	struct mon_gdb *g = opaque;
	ssize_t n = recv(g->fd, g->in + g->in_len, sizeof(g->in) - g->in_len, 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		client_close(g);
		return false;
	}
	g->in_len += (size_t)n;
	consume(g);
	return g->fd >= 0;
}

static bool listen_input(void *opaque)
{
	struct mon_gdb *g = opaque;
	int fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return true;
	if (g->fd >= 0) {
		(void)close(fd); /* one debugger at a time */
		return true;
	}
	g->fd = fd;
	if (vm_add_fd(g->m->vm, fd, client_input, NULL, g)) {
		(void)close(fd);
		g->fd = -1;
		return true;
	}
	if (vm_pause(g->m->vm)) /* as QEMU: an attaching debugger stops the guest */
		vmm_warn("gdb: cannot stop the guest for the debugger");
	return true;
}

int mon_open_gdb(struct mon *m, const char *spec, bool wide)
{
	struct mon_sock_spec s;
	char why[256];
	if (mon_sock_parse("gdb", spec, &s, why, sizeof(why))) {
		vmm_err("%s", why);
		return -EINVAL;
	}
	struct mon_gdb *g = calloc(1, sizeof(*g));
	if (!g) {
		vmm_err("gdb: out of memory");
		return -ENOMEM;
	}
	g->m = m;
	g->fd = -1;
	g->wide = wide;
	if (s.unix_sock)
		snprintf(g->path, sizeof(g->path), "%s", s.path);
	m->gdb = g;
	g->listen_fd = mon_sock_listen("gdb", &s);
	if (g->listen_fd < 0)
		return g->listen_fd;
	if (s.unix_sock)
		vmm_info("gdb: waiting for gdb on unix:%s (target remote %s)", s.path, s.path);
	else
		vmm_info("gdb: waiting for gdb on tcp:%s:%u (target remote %s:%u)", s.host, s.port,
			 s.host, s.port);
	return vm_add_fd(m->vm, g->listen_fd, listen_input, NULL, g);
}

void mon_gdb_destroy(struct mon_gdb *g)
{
	if (!g)
		return;
	if (g->fd >= 0)
		(void)close(g->fd);
	if (g->listen_fd >= 0)
		(void)close(g->listen_fd);
	if (g->path[0])
		(void)unlink(g->path);
	free(g);
}

void mon_gdb_event(struct mon_gdb *g, const struct vm_event *ev)
{
	if (g->fd < 0)
		return;
	if (ev->kind == VM_EV_SHUTDOWN) {
		char buf[16];
		snprintf(buf, sizeof(buf), "W%02x", (unsigned)g->m->vm->stop_status & 0xff);
		put_packet(g, buf);
		g->running = false;
		return;
	}
	if (ev->kind != VM_EV_STOP || !g->running)
		return;
	if (ev->reason == VCPU_STOP_BREAK)
		stop_reply(g, 5, "swbreak:;");
	else
		stop_reply(g, 2, NULL); /* stopped by someone else (monitor, QMP) */
}

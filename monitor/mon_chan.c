/* mon_chan.c: the monitor's console front ends and what they share: the
 * monitor object, the event listener that prints stops and switches, the
 * stdio console multiplexed with the guest's serial console (Ctrl-A c, as
 * QEMU's mon:stdio, with a line editor for raw terminals), the Unix-socket
 * console, and socket specs ("unix:PATH[,server][,wait=off]",
 * "tcp:HOST:PORT") for the QMP and gdb front ends. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/mon_internal.h"
#include "vmm/core/chardev.h"

#define PROMPT "(triplex) "
#define BANNER "Triplex monitor - type 'help' for more information\n"

int mon_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			usleep(1000); /* a slow reader: wait rather than drop output */
			continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mon_sock_parse(const char *kind, const char *spec, struct mon_sock_spec *s, char *why,
		   size_t len)
{
	memset(s, 0, sizeof(*s));
	s->wait = true;
	if (!strncmp(spec, "unix:", 5)) {
		const char *p = spec + 5, *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (!n || n >= sizeof(s->path)) {
			snprintf(why, len, "--%s %s: the socket path is empty or longer than %zu bytes",
				 kind, spec, sizeof(s->path) - 1);
			return -EINVAL;
		}
		s->unix_sock = true;
		memcpy(s->path, p, n);
		while (comma) {
			p = comma + 1;
			comma = strchr(p, ',');
			n = comma ? (size_t)(comma - p) : strlen(p);
			if (n == 6 && !strncmp(p, "server", 6))
				s->server = true;
			else if ((n == 8 && !strncmp(p, "wait=off", 8)) || (n == 6 && !strncmp(p, "nowait", 6)))
				s->wait = false;
			else if (n == 7 && !strncmp(p, "wait=on", 7))
				s->wait = true;
			else {
				snprintf(why, len, "--%s %s: unknown option '%.*s' (expected server, "
					 "wait=off)", kind, spec, (int)n, p);
				return -EINVAL;
			}
		}
		return 0;
	}
	if (!strncmp(spec, "tcp:", 4)) {
		const char *p = spec + 4, *colon = strrchr(p, ':');
		char *end;
		unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
		if (!colon || !colon[1] || *end || port == 0 || port > 65535 ||
		    (size_t)(colon - p) >= sizeof(s->host)) {
			snprintf(why, len, "--%s %s: expected tcp:HOST:PORT (e.g. tcp:127.0.0.1:1234)",
				 kind, spec);
			return -EINVAL;
		}
		memcpy(s->host, p, (size_t)(colon - p));
		if (!s->host[0])
			snprintf(s->host, sizeof(s->host), "127.0.0.1"); /* tcp::PORT: loopback */
		s->port = (unsigned)port;
		return 0;
	}
	snprintf(why, len, "--%s %s: unknown back end (expected %s)", kind, spec,
		 !strcmp(kind, "gdb") ? "tcp:HOST:PORT or unix:PATH"
				      : "unix:PATH[,server][,wait=off]");
	return -EINVAL;
}

int mon_spec_check(const char *kind, const char *spec, char *why, size_t len)
{
	struct mon_sock_spec s;
	if (!strcmp(kind, "monitor") && (!strcmp(spec, "stdio") || !strcmp(spec, "none")))
		return 0;
	int r = mon_sock_parse(kind, spec, &s, why, len);
	if (!r && !s.unix_sock && strcmp(kind, "gdb")) {
		snprintf(why, len, "--%s %s: only unix:PATH sockets are supported", kind, spec);
		return -EINVAL;
	}
	return r;
}

int mon_sock_listen(const char *kind, const struct mon_sock_spec *s)
{
	int fd;
	if (s->unix_sock) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		memcpy(a.sun_path, s->path, strlen(s->path));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		(void)unlink(s->path); /* a stale socket from an earlier run */
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
			int e = errno;
			vmm_err("%s: cannot listen on unix:%s: %s", kind, s->path, strerror(e));
			if (fd >= 0)
				(void)close(fd);
			return -e;
		}
		return fd;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV }, *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", s->port);
	int r = getaddrinfo(s->host, port, &hints, &res);
	if (r) {
		vmm_err("%s: cannot resolve %s: %s", kind, s->host, gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 4) < 0) {
		int e = errno;
		vmm_err("%s: cannot listen on tcp:%s:%u: %s", kind, s->host, s->port, strerror(e));
		if (fd >= 0)
			(void)close(fd);
		freeaddrinfo(res);
		return -e;
	}
	freeaddrinfo(res);
	return fd;
}

/* ---- events ---- */

static void console_out(struct mon *m, const char *text)
{
	if (m->serial && m->serial->mux_monitor)
		chardev_write(m->serial, text, strlen(text));
	for (unsigned i = 0; i < MON_MAX_CLIENTS; i++)
		if (m->client_fd[i] >= 0)
			(void)mon_write_all(m->client_fd[i], text, strlen(text));
}

void mon_console_event(struct mon *m, const struct vm_event *ev)
{
	struct mon_buf o = { 0 };
	if (ev->kind == VM_EV_SWITCH && m->nr_sw < MON_MAX_SWITCHES) {
		struct mon_switch *s = &m->sw[m->nr_sw++];
		char why[160] = "";
		if (sscanf(ev->detail, "%7s %7s %159[^\n]", s->from, s->to, why) < 2)
			s->from[0] = s->to[0] = 0;
		snprintf(s->why, sizeof(s->why), "%s", why);
		s->at_ms = (double)(vmm_now_ns() - m->vm->start_ns) / 1e6;
	}
	if (ev->kind == VM_EV_STOP && ev->reason == VCPU_STOP_BREAK) {
		struct x86_state s;
		if (vm_regs_get(m->vm, ev->cpu, &s) == 0)
			mon_printf(&o, "\nbreakpoint reached: vcpu%u at 0x%08" PRIx64 "\n" PROMPT,
				   ev->cpu, s.seg[X86_CS].base + s.rip);
	}
	if (o.len)
		console_out(m, o.p);
	mon_buf_free(&o);
}

static void on_event(void *opaque, const struct vm_event *ev)
{
	struct mon *m = opaque;
	mon_console_event(m, ev);
	if (m->qmp)
		mon_qmp_event(m->qmp, ev);
	if (m->gdb)
		mon_gdb_event(m->gdb, ev);
}

struct mon *mon_create(const struct mon_machine *mm)
{
	struct mon *m = calloc(1, sizeof(*m));
	if (!m) {
		vmm_err("monitor: out of memory");
		return NULL;
	}
	m->mm = *mm;
	m->vm = mm->vm;
	m->listen_fd = -1;
	for (unsigned i = 0; i < MON_MAX_CLIENTS; i++)
		m->client_fd[i] = -1;
	if (vm_listen(m->vm, on_event, m)) {
		free(m);
		return NULL;
	}
	m->listening = true;
	return m;
}

void mon_destroy(struct mon *m)
{
	if (!m)
		return;
	if (m->listening)
		vm_unlisten(m->vm, on_event, m);
	mon_qmp_destroy(m->qmp);
	mon_gdb_destroy(m->gdb);
	for (unsigned i = 0; i < MON_MAX_CLIENTS; i++)
		if (m->client_fd[i] >= 0)
			(void)close(m->client_fd[i]);
	if (m->listen_fd >= 0)
		(void)close(m->listen_fd);
	if (m->listen_path)
		(void)unlink(m->listen_path);
	free(m->listen_path);
	if (m->serial) {
		m->serial->mux_input = NULL;
		m->serial->mux_focus = NULL;
	}
	free(m);
}

/* ---- line handling shared by the stdio and socket consoles ---- */

/* Feed (b) to a line editor; returns true with (line) complete. Echo (for a
 * raw terminal) goes into (echo). */
static bool edit(char *line, size_t *len, size_t cap, uint8_t b, bool term, struct mon_buf *echo)
{
	if (b == '\r' || b == '\n') {
		if (term)
			mon_printf(echo, "\n");
		line[*len] = 0;
		*len = 0;
		return true;
	}
	if (b == 0x7f || b == 0x08) {
		if (*len) {
			(*len)--;
			if (term)
				mon_printf(echo, "\b \b");
		}
		return false;
	}
	if (b < 0x20 || *len + 1 >= cap)
		return false; /* other control keys and overlong lines: ignored */
	line[(*len)++] = (char)b;
	if (term)
		mon_printf(echo, "%c", b);
	return false;
}

/* ---- stdio, multiplexed with the serial console ---- */

static void stdio_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct mon *m = opaque;
	for (size_t i = 0; i < len; i++) {
		struct mon_buf o = { 0 };
		bool term = m->serial->raw_tty;
		/* "\r\n" from a pipe is one line end */
		if (buf[i] == '\n' && i && buf[i - 1] == '\r')
			continue;
		if (edit(m->line, &m->line_len, sizeof(m->line), buf[i], term, &o)) {
			(void)mon_exec(m, m->line, &o);
			mon_printf(&o, "%s", PROMPT);
		}
		if (o.len)
			chardev_write(m->serial, o.p, o.len);
		mon_buf_free(&o);
	}
}

static void stdio_focus(void *opaque, bool monitor)
{
	struct mon *m = opaque;
	const char *s = monitor ? "\n" BANNER PROMPT : "\n";
	chardev_write(m->serial, s, strlen(s));
}

/* ---- the Unix-socket console ---- */

static void client_close(struct mon *m, unsigned i)
{
	(void)close(m->client_fd[i]);
	m->client_fd[i] = -1;
	m->client_len[i] = 0;
}

static bool client_input(void *opaque);

struct client_ref {
	struct mon *m;
	unsigned i;
};
static struct client_ref client_refs[MON_MAX_CLIENTS]; /* one monitor per process */

static bool client_input(void *opaque)
{
	struct client_ref *ref = opaque;
	struct mon *m = ref->m;
	unsigned i = ref->i;
	uint8_t buf[512];
	ssize_t n = recv(m->client_fd[i], buf, sizeof(buf), 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		client_close(m, i);
		return false;
	}
	for (ssize_t k = 0; k < n; k++) {
		struct mon_buf o = { 0 };
		if (edit(m->client_line[i], &m->client_len[i], sizeof(m->client_line[i]), buf[k],
			 false, &o)) {
			(void)mon_exec(m, m->client_line[i], &o);
			mon_printf(&o, "%s", PROMPT);
		}
		int r = o.len ? mon_write_all(m->client_fd[i], o.p, o.len) : 0;
		mon_buf_free(&o);
		if (r || m->client_fd[i] < 0) {
			if (m->client_fd[i] >= 0)
				client_close(m, i);
			return false;
		}
	}
	return true;
}

static int accept_client(struct mon *m)
{
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (unsigned i = 0; i < MON_MAX_CLIENTS; i++) {
		if (m->client_fd[i] >= 0)
			continue;
		m->client_fd[i] = fd;
		client_refs[i] = (struct client_ref){ m, i };
		if (vm_add_fd(m->vm, fd, client_input, NULL, &client_refs[i])) {
			client_close(m, i);
			return -ENOSPC;
		}
		const char *hello = BANNER PROMPT;
		(void)mon_write_all(fd, hello, strlen(hello));
		return 0;
	}
	const char *busy = "monitor: too many clients\n";
	(void)mon_write_all(fd, busy, strlen(busy));
	(void)close(fd);
	return -EBUSY;
}

static bool listen_input(void *opaque)
{
	(void)accept_client(opaque);
	return true;
}

int mon_open_console(struct mon *m, const char *spec, struct chardev *serial)
{
	if (!strcmp(spec, "none"))
		return 0;
	if (!strcmp(spec, "stdio")) {
		if (!serial || strcmp(serial->ops->name, "stdio")) {
			vmm_err("--monitor stdio: the serial console must be on stdio too "
				"(--serial stdio) to share the terminal");
			return -EINVAL;
		}
		m->serial = serial;
		chardev_mux(serial, stdio_input, stdio_focus, m);
		return 0;
	}
	struct mon_sock_spec s;
	char why[256];
	if (mon_sock_parse("monitor", spec, &s, why, sizeof(why))) {
		vmm_err("%s", why);
		return -EINVAL;
	}
	if (!s.unix_sock) {
		vmm_err("--monitor %s: expected stdio, none or unix:PATH[,server]", spec);
		return -EINVAL;
	}
	m->listen_fd = mon_sock_listen("monitor", &s);
	if (m->listen_fd < 0)
		return m->listen_fd;
	m->listen_path = strdup(s.path);
	if (s.server && s.wait) {
		vmm_info("monitor: waiting for a connection on unix:%s", s.path);
		int r = accept_client(m);
		if (r) {
			vmm_err("monitor: accept on unix:%s: %s", s.path, strerror(-r));
			return r;
		}
	}
	return vm_add_fd(m->vm, m->listen_fd, listen_input, NULL, m);
}

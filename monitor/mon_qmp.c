/* mon_qmp.c: the control socket speaking QMP's wire protocol (QEMU's
 * docs/interop/qmp-spec): a greeting, capabilities negotiation, then
 * {"execute": CMD, "arguments": {...}, "id": ...} answered with {"return":
 * ...} or {"error": {"class", "desc"}}, and events with timestamps. Up to
 * MON_MAX_CLIENTS clients at once, each with its own negotiation; input may
 * hold several objects or split one across reads; malformed input gets an
 * error object and the connection stays usable. jansson does all JSON.
 * The commands are in mon_qmp_cmd.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/mon_qmp.h"

#define QMP_MAX_INPUT (64 * 1024)

struct qmp_client {
	int fd;
	bool negotiated;
	char *buf;
	size_t len, cap;
	struct mon_qmp *q;
};

struct mon_qmp {
	struct mon *m;
	int listen_fd;
	char path[108];
	struct qmp_client c[MON_MAX_CLIENTS];
};

void qmp_send(int fd, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return;
	size_t n = strlen(s);
	s[n] = '\n'; /* QEMU ends every message with a line feed (s has room: NUL) */
	(void)mon_write_all(fd, s, n + 1);
	free(s);
}

json_t *qmp_error(const char *cls, const char *fmt, ...)
{
	char desc[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	return json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
}

static void client_close(struct qmp_client *c)
{
	if (c->fd >= 0)
		(void)close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
	c->negotiated = false;
}

/* A member QMP does not know, or NULL. */
static const char *unexpected_member(json_t *msg)
{
	const char *key;
	json_t *v;
	json_object_foreach(msg, key, v)
		if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id"))
			return key;
	return NULL;
}

/* Answer one parsed message. */
static void handle(struct qmp_client *c, json_t *msg)
{
	json_t *reply;
	json_t *id = json_is_object(msg) ? json_object_get(msg, "id") : NULL;
	const char *cmd = json_is_object(msg) ? json_string_value(json_object_get(msg, "execute"))
					      : NULL;
	json_t *args = json_is_object(msg) ? json_object_get(msg, "arguments") : NULL;
	if (!json_is_object(msg))
		reply = qmp_error("GenericError", "QMP input must be a JSON object");
	else if (unexpected_member(msg))
		reply = qmp_error("GenericError", "QMP input member '%s' is unexpected",
				  unexpected_member(msg));
	else if (!json_object_get(msg, "execute"))
		reply = qmp_error("GenericError", "QMP input lacks member 'execute'");
	else if (!cmd)
		reply = qmp_error("GenericError", "QMP input member 'execute' must be a string");
	else if (args && !json_is_object(args))
		reply = qmp_error("GenericError", "QMP input member 'arguments' must be an object");
	else if (!strcmp(cmd, "qmp_capabilities")) {
		if (c->negotiated)
			reply = qmp_error("CommandNotFound", "Capabilities negotiation is already "
				          "complete, command ignored");
		else {
			c->negotiated = true;
			reply = json_pack("{s:{}}", "return");
		}
	} else if (!c->negotiated)
		reply = qmp_error("CommandNotFound", "Expecting capabilities negotiation with "
			          "'qmp_capabilities'");
	else
		reply = qmp_execute(c->q->m, cmd, args);
	if (id && reply)
		json_object_set(reply, "id", id);
	if (reply)
		qmp_send(c->fd, reply);
}

/* The end of the JSON value starting at (p) ('{' or '['), or NULL if it
 * is not complete yet. */
static const char *value_end(const char *p, const char *end)
{
	int depth = 0;
	bool str = false, esc = false;
	for (; p < end; p++) {
		char ch = *p;
		if (str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				str = false;
			continue;
		}
		if (ch == '"')
			str = true;
		else if (ch == '{' || ch == '[')
			depth++;
		else if ((ch == '}' || ch == ']') && --depth == 0)
			return p + 1;
	}
	return NULL;
}

/* Take every complete message out of the client's buffer. */
static void consume(struct qmp_client *c)
{
	const char *p = c->buf, *end = c->buf + c->len;
	while (p < end && c->fd >= 0) {
		while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
			p++;
		if (p == end)
			break;
		const char *e;
		if (*p == '{' || *p == '[') {
			e = value_end(p, end);
			if (!e)
				break; /* wait for the rest */
		} else {
			/* not JSON text: the rest of the line is one error */
			e = memchr(p, '\n', (size_t)(end - p));
			if (!e)
				break;
			e++;
		}
		json_error_t err;
		json_t *msg = json_loadb(p, (size_t)(e - p), JSON_DISABLE_EOF_CHECK, &err);
		if (!msg)
			qmp_send(c->fd, qmp_error("GenericError", "JSON parse error, %s", err.text));
		else
			handle(c, msg);
		json_decref(msg);
		p = e;
	}
	if (c->fd < 0)
		return;
	c->len = (size_t)(end - p);
	memmove(c->buf, p, c->len);
	if (c->len >= QMP_MAX_INPUT) {
		qmp_send(c->fd, qmp_error("GenericError", "JSON parse error, message longer than "
					  "%u bytes", QMP_MAX_INPUT));
		c->len = 0;
	}
}

static bool client_input(void *opaque)
{
	struct qmp_client *c = opaque;
	if (c->cap - c->len < 4096) {
		size_t cap = c->cap ? c->cap * 2 : 8192;
		char *b = realloc(c->buf, cap);
		if (!b) {
			client_close(c);
			return false;
		}
		c->buf = b;
		c->cap = cap;
	}
	ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		client_close(c);
		return false;
	}
	c->len += (size_t)n;
	consume(c);
	return c->fd >= 0;
}

static json_t *greeting(void)
{
	return json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[]}}", "QMP", "version", "qemu", "micro",
			 0, "minor", 0, "major", 0, "package", "triplex", "capabilities");
}

static int accept_client(struct mon_qmp *q)
{
	int fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (unsigned i = 0; i < MON_MAX_CLIENTS; i++) {
		struct qmp_client *c = &q->c[i];
		if (c->fd >= 0)
			continue;
		c->fd = fd;
		c->q = q;
		if (vm_add_fd(q->m->vm, fd, client_input, NULL, c)) {
			client_close(c);
			return -ENOSPC;
		}
		qmp_send(fd, greeting());
		return 0;
	}
	qmp_send(fd, qmp_error("GenericError", "too many QMP clients (%u)", MON_MAX_CLIENTS));
	(void)close(fd);
	return -EBUSY;
}

static bool listen_input(void *opaque)
{
	(void)accept_client(opaque);
	return true;
}

int mon_open_qmp(struct mon *m, const char *spec)
{
	struct mon_sock_spec s;
	char why[256];
	if (mon_sock_parse("qmp", spec, &s, why, sizeof(why))) {
		vmm_err("%s", why);
		return -EINVAL;
	}
	if (!s.unix_sock) {
		vmm_err("--qmp %s: only unix:PATH[,server][,wait=off] is supported", spec);
		return -EINVAL;
	}
	struct mon_qmp *q = calloc(1, sizeof(*q));
	if (!q) {
		vmm_err("qmp: out of memory");
		return -ENOMEM;
	}
	q->m = m;
	for (unsigned i = 0; i < MON_MAX_CLIENTS; i++)
		q->c[i].fd = -1;
	snprintf(q->path, sizeof(q->path), "%s", s.path);
	m->qmp = q;
	q->listen_fd = mon_sock_listen("qmp", &s);
	if (q->listen_fd < 0)
		return q->listen_fd;
	if (s.server && s.wait) {
		vmm_info("qmp: waiting for a connection on unix:%s", s.path);
		int r = accept_client(q);
		if (r) {
			vmm_err("qmp: accept on unix:%s: %s", s.path, strerror(-r));
			return r;
		}
	}
	return vm_add_fd(m->vm, q->listen_fd, listen_input, NULL, q);
}

void mon_qmp_destroy(struct mon_qmp *q)
{
	if (!q)
		return;
	for (unsigned i = 0; i < MON_MAX_CLIENTS; i++)
		client_close(&q->c[i]);
	if (q->listen_fd >= 0) {
		(void)close(q->listen_fd);
		(void)unlink(q->path);
	}
	free(q);
}

void mon_qmp_event(struct mon_qmp *q, const struct vm_event *ev)
{
	json_t *data = qmp_event_data(q->m, ev);
	const char *name = qmp_event_name(ev);
	if (!name) {
		json_decref(data);
		return;
	}
	for (unsigned i = 0; i < MON_MAX_CLIENTS; i++) {
		struct qmp_client *c = &q->c[i];
		if (c->fd < 0 || !c->negotiated)
			continue;
		json_t *e = json_pack("{s:s,s:{s:I,s:I}}", "event", name, "timestamp", "seconds",
				      (json_int_t)(ev->wall_us / 1000000), "microseconds",
				      (json_int_t)(ev->wall_us % 1000000));
		if (json_object_size(data)) /* QEMU leaves out empty data */
			json_object_set(e, "data", data);
		qmp_send(c->fd, e);
	}
	json_decref(data);
}

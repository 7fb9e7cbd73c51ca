/* chardev.c: stdio (raw tty with Ctrl-A escapes, as QEMU's -serial stdio),
 * file and null back ends, with an input ring the front end pulls from. */
#include "vmm/core/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* --- terminal restore on every exit path --- */

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;
static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGQUIT };
static struct sigaction old_fatal[VMM_ARRAY_SIZE(fatal_signals)];

void chardev_restore_terminals(void)
{
	if (tio_saved)
		(void)tcsetattr(0, TCSANOW, &saved_tio); /* async-signal-safe */
}

static void fatal_handler(int sig)
{
	chardev_restore_terminals();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void restore_at_exit(void)
{
	chardev_restore_terminals();
}

static int tty_make_raw(void)
{
	struct termios t;
	if (tcgetattr(0, &t) < 0)
		return -errno;
	saved_tio = t;
	tio_saved = 1;
	atexit(restore_at_exit);
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(fatal_signals); i++) {
		struct sigaction sa = { .sa_handler = fatal_handler };
		sigemptyset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, &old_fatal[i]);
	}
	/* Raw input, no echo, no signals from ^C (it goes to the guest); output
	 * processing stays on so "\n" starts a new line, as QEMU does. */
	t.c_iflag &= ~(unsigned)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(unsigned)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(unsigned)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_oflag |= OPOST;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSANOW, &t) < 0)
		return -errno;
	return 0;
}

/* --- back ends --- */

static int fd_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				usleep(1000); /* a full pipe: wait for the reader */
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fd_write(struct chardev *c, const void *buf, size_t len)
{
	return fd_write_all(c->out_fd, buf, len);
}

static void fd_close(struct chardev *c)
{
	if (c->raw_tty) {
		chardev_restore_terminals();
		tio_saved = 0;
	}
	if (c->out_fd > 2)
		(void)close(c->out_fd);
	if (c->in_fd > 2)
		(void)close(c->in_fd);
}

static int null_write(struct chardev *c, const void *buf, size_t len)
{
	return 0;
}

static const struct chardev_ops stdio_ops = { "stdio", fd_write, fd_close };
static const struct chardev_ops file_ops = { "file", fd_write, fd_close };
static const struct chardev_ops null_ops = { "none", null_write, NULL };

static struct chardev *chardev_alloc(const struct chardev_ops *ops, int in_fd, int out_fd)
{
	struct chardev *c = calloc(1, sizeof(*c));
	if (!c) {
		vmm_err("chardev: out of memory");
		return NULL;
	}
	c->ops = ops;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

struct chardev *chardev_open(const char *spec)
{
	if (!strcmp(spec, "none"))
		return chardev_alloc(&null_ops, -1, -1);
	if (!strcmp(spec, "stdio")) {
		struct chardev *c = chardev_alloc(&stdio_ops, 0, 1);
		if (!c)
			return NULL;
		if (isatty(0)) {
			int r = tty_make_raw();
			if (r)
				vmm_warn("chardev: stdin is a terminal but raw mode failed: %s",
					 strerror(-r));
			else
				c->raw_tty = true;
		}
		return c;
	}
	if (!strncmp(spec, "file:", 5) && spec[5]) {
		int fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			vmm_err("serial: cannot open '%s': %s", spec + 5, strerror(errno));
			return NULL;
		}
		return chardev_alloc(&file_ops, -1, fd);
	}
	vmm_err("serial: unknown back end '%s' (expected stdio, file:PATH or none)", spec);
	return NULL;
}

void chardev_close(struct chardev *c)
{
	if (!c)
		return;
	if (c->ops->close)
		c->ops->close(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void chardev_write(struct chardev *c, const void *buf, size_t len)
{
	if (!c || !len)
		return;
	c->bytes_out += len;
	int r = c->ops->write(c, buf, len);
	if (r && c->out_fd >= 0) {
		vmm_warn("chardev: %s output failed: %s; further output is dropped",
			 c->ops->name, strerror(-r));
		c->ops = &null_ops;
	}
}

int chardev_input_fd(const struct chardev *c)
{
	return c && !c->in_eof ? c->in_fd : -1;
}

static unsigned ring_used(const struct chardev *c)
{
	return c->head - c->tail;
}

bool chardev_can_accept(struct chardev *c)
{
	pthread_mutex_lock(&c->lock);
	bool room = ring_used(c) < CHARDEV_RING || c->mux_monitor;
	pthread_mutex_unlock(&c->lock);
	return room;
}

#define CHARDEV_ESCAPE 0x01 /* Ctrl-A, as QEMU */

void chardev_mux(struct chardev *c, void (*input)(void *, const uint8_t *, size_t),
		 void (*focus)(void *, bool), void *opaque)
{
	c->mux_input = input;
	c->mux_focus = focus;
	c->mux_opaque = opaque;
}

static const char mux_help[] =
	"\nC-a h    print this help\n"
	"C-a x    exit emulator\n"
	"C-a c    switch between console and monitor\n"
	"C-a C-a  sends C-a\n";

/* One input byte on a terminal with escapes: what to do with it. */
enum esc_action { ESC_KEEP, ESC_DROP, ESC_QUIT, ESC_SWITCH, ESC_HELP };

static enum esc_action escape_step(struct chardev *c, uint8_t b)
{
	if (c->escape) {
		c->escape = false;
		if (b == 'x' || b == 'X')
			return ESC_QUIT;
		if ((b == 'c' || b == 'C') && c->mux_input)
			return ESC_SWITCH;
		if (b == 'h' || b == 'H' || b == '?')
			return ESC_HELP;
		return b == CHARDEV_ESCAPE ? ESC_KEEP : ESC_DROP; /* unknown escape: dropped */
	}
	if (b == CHARDEV_ESCAPE) {
		c->escape = true;
		return ESC_DROP;
	}
	return ESC_KEEP;
}

bool chardev_input_ready(struct chardev *c)
{
	uint8_t buf[256], mon[256];
	size_t nmon = 0;
	pthread_mutex_lock(&c->lock);
	size_t room = c->mux_monitor ? sizeof(buf) : CHARDEV_RING - ring_used(c);
	pthread_mutex_unlock(&c->lock);
	if (!room)
		return true;
	ssize_t n = read(c->in_fd, buf, VMM_MIN(room, sizeof(buf)));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0) {
		c->in_eof = true;
		return false;
	}
	bool quit = false, esc = c->raw_tty || c->mux_input;
	pthread_mutex_lock(&c->lock);
	for (ssize_t i = 0; i < n && !quit; i++) {
		uint8_t b = buf[i];
		enum esc_action a = esc ? escape_step(c, b) : ESC_KEEP;
		if (a == ESC_QUIT) {
			quit = true;
		} else if (a == ESC_HELP) {
			(void)c->ops->write(c, mux_help, sizeof(mux_help) - 1);
		} else if (a == ESC_SWITCH) {
			/* the callbacks may wait for the vCPU, which may want the lock */
			bool to_mon = !c->mux_monitor;
			pthread_mutex_unlock(&c->lock);
			if (nmon)
				c->mux_input(c->mux_opaque, mon, nmon);
			nmon = 0;
			if (c->mux_focus)
				c->mux_focus(c->mux_opaque, to_mon);
			pthread_mutex_lock(&c->lock);
			c->mux_monitor = to_mon;
		} else if (a == ESC_KEEP && c->mux_monitor) {
			mon[nmon++] = b;
		} else if (a == ESC_KEEP) {
			c->ring[c->head++ % CHARDEV_RING] = b;
			c->bytes_in++;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (nmon)
		c->mux_input(c->mux_opaque, mon, nmon);
	if (quit && c->quit)
		c->quit(c->quit_opaque);
	if (c->notify)
		c->notify(c->notify_opaque);
	return true;
}

size_t chardev_read(struct chardev *c, uint8_t *buf, size_t len)
{
	size_t n = 0;
	pthread_mutex_lock(&c->lock);
	while (n < len && ring_used(c))
		buf[n++] = c->ring[c->tail++ % CHARDEV_RING];
	pthread_mutex_unlock(&c->lock);
	return n;
}

size_t chardev_pending(struct chardev *c)
{
	pthread_mutex_lock(&c->lock);
	size_t n = ring_used(c);
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* chardev.h: host back ends for character devices (the UART's console).
 * "stdio" (raw terminal when stdin is a tty, restored on every exit path),
 * "file:PATH" (output to a file, no input) and "none".
 *
 * Input reaches the front end by pull: the main loop reads host input into a
 * small ring and calls the receiver's notify; the front end takes bytes with
 * chardev_read() when it has room. */
#ifndef VMM_CORE_CHARDEV_H
#define VMM_CORE_CHARDEV_H

#include <pthread.h>
#include <sys/types.h>

#include "vmm/core/vmm.h"

struct chardev;

struct chardev_ops {
	const char *name;
	/* Write all of (buf); returns 0 or -errno. Must not block forever. */
	int (*write)(struct chardev *c, const void *buf, size_t len);
	void (*close)(struct chardev *c);
};

#define CHARDEV_RING 4096

struct chardev {
	const struct chardev_ops *ops;
	int in_fd, out_fd;       /* -1 where there is none */
	bool raw_tty;            /* we put the terminal in raw mode */
	bool escape;             /* saw the escape key (Ctrl-A) */
	bool in_eof;
	pthread_mutex_t lock;    /* guards the ring */
	uint8_t ring[CHARDEV_RING];
	unsigned head, tail;     /* ring indexes, free-running */
	void (*notify)(void *opaque); /* input arrived (main-loop thread) */
	void *notify_opaque;
	void (*quit)(void *opaque);   /* the user typed Ctrl-A x */
	void *quit_opaque;
	/* A monitor multiplexed on this back end (chardev_mux): Ctrl-A c moves
	 * the input between the guest and (mux_input); main-loop thread. */
	void (*mux_input)(void *opaque, const uint8_t *buf, size_t len);
	void (*mux_focus)(void *opaque, bool monitor);
	void *mux_opaque;
	bool mux_monitor;        /* input goes to the monitor now */
	uint64_t bytes_out, bytes_in;
};

/* Open a back end from a spec: "stdio", "file:PATH", "none". NULL + logged
 * error naming the spec on failure. */
struct chardev *chardev_open(const char *spec);
void chardev_close(struct chardev *c);

/* Write guest output; never fails the guest (errors are logged once). */
void chardev_write(struct chardev *c, const void *buf, size_t len);

/* The fd the main loop polls for input, or -1. */
int chardev_input_fd(const struct chardev *c);
/* Main loop: (in_fd) is readable; read into the ring (handles the escape
 * key on raw terminals). Returns false at end of input (stop polling). */
bool chardev_input_ready(struct chardev *c);
/* Whether the ring has room (the main loop polls only then). */
bool chardev_can_accept(struct chardev *c);
/* Front end: take up to (len) input bytes; returns how many. Any thread. */
size_t chardev_read(struct chardev *c, uint8_t *buf, size_t len);
/* Bytes waiting in the ring. */
size_t chardev_pending(struct chardev *c);

/* Multiplex a monitor on (c) (a "stdio" back end), as QEMU's mon:stdio:
 * Ctrl-A c switches the input between the guest and the monitor (whose
 * (focus) hook is told), Ctrl-A h lists the keys, Ctrl-A x quits, Ctrl-A
 * Ctrl-A sends Ctrl-A; the escapes work on a pipe too. Output of both
 * goes to the terminal. Call before vm_run(). */
void chardev_mux(struct chardev *c, void (*input)(void *, const uint8_t *, size_t),
		 void (*focus)(void *, bool), void *opaque);

/* Restore every terminal this process put in raw mode; async-signal-safe. */
void chardev_restore_terminals(void);

#endif

/* io.h: port and MMIO address spaces. Devices claim ranges; every engine
 * dispatches guest accesses through io_dispatch(), so a device runs unchanged
 * under bt, hw and pv. Handlers see offsets into their range.
 *
 * Example:
 *     static int uart_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write);
 *     int r = io_register(&vm->pio, 0x3f8, 8, "uart0", uart_io, uart);
 *     if (r) return r;   // -EEXIST: overlap, already logged naming both owners
 */
#ifndef VMM_CORE_IO_H
#define VMM_CORE_IO_H

#include <pthread.h>

#include "vmm/core/vmm.h"

/* Access [off, off+size) of a device. (data) points to a little-endian value of
 * (size) bytes (1, 2, 4 or 8): read it on writes, fill it on reads.
 * Returns 0, or -errno for an access the device rejects (treated as unclaimed).
 * Called from vCPU threads, concurrently: the device locks its own state. */
typedef int (*io_fn)(void *dev, uint64_t off, void *data, unsigned size, bool is_write);

struct io_range {
	uint64_t base, len;
	const char *name;
	io_fn fn;
	void *dev;
	uint64_t reads, writes; /* relaxed atomic counters */
};

#define IO_LOGGED_MAX 64

struct io_space {
	const char *name;         /* "pio" or "mmio" */
	uint64_t limit;           /* addresses must be below this */
	struct io_range *ranges;  /* sorted by base, non-overlapping */
	unsigned nr, cap;
	uint64_t unclaimed_reads, unclaimed_writes; /* relaxed atomic counters */
	/* Optional: asked (with the absolute address as offset) before an
	 * access counts as unclaimed: for a device that moves at run time
	 * (the local APIC page after a relocation). Set before the VM runs. */
	io_fn fallback;
	void *fallback_dev;
	pthread_mutex_t log_lock; /* guards logged[] */
	uint64_t logged[IO_LOGGED_MAX];
	unsigned nr_logged;
};

void io_space_init(struct io_space *space, const char *name, uint64_t limit);
void io_space_fini(struct io_space *space);

/* Claim [base, base+len) in (space) for (dev); -EEXIST on overlap, logged
 * naming both owners; -EINVAL for an empty or out-of-range claim.
 * Call before the VM runs (vCPU threads read the table without a lock). */
VMM_MUST_CHECK int io_register(struct io_space *space, uint64_t base, uint64_t len,
			       const char *name, io_fn fn, void *dev);

/* The range containing (addr), or NULL. */
const struct io_range *io_lookup(const struct io_space *space, uint64_t addr);

/* Perform one guest access of (size) bytes at (addr). Unclaimed reads return
 * all-ones; unclaimed accesses are counted and logged once per address.
 * Never fails: the guest sees what hardware would show. Thread-safe. */
void io_dispatch(struct io_space *space, uint64_t addr, void *data, unsigned size,
		 bool is_write);

/* Convenience wrappers for port I/O. */
uint32_t io_in(struct io_space *pio, uint16_t port, unsigned size);
void io_out(struct io_space *pio, uint16_t port, uint32_t value, unsigned size);

#endif

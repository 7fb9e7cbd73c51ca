/* dev_internal.h: helpers shared by the PC device models (not part of the
 * device interface in dev.h): ISA byte-cycle splitting, BCD, and the release
 * of the small port devices' state. */
#ifndef VMM_DEV_DEV_INTERNAL_H
#define VMM_DEV_DEV_INTERNAL_H

#include "vmm/dev/dev.h"

/* One 8-bit register access at (off); on reads fill (*b). */
typedef void (*dev_byte_fn)(void *dev, unsigned off, uint8_t *b, bool is_write);

/* The ISA bus splits a 16- or 32-bit access to an 8-bit device into byte
 * cycles at consecutive ports, lowest first; (data) is little-endian, so its
 * bytes are already in port order. The caller holds the device lock. */
static inline void dev_split_bytes(dev_byte_fn fn, void *dev, uint64_t off, void *data,
				   unsigned size, bool is_write)
{
	uint8_t *p = data;
	for (unsigned i = 0; i < size; i++)
		fn(dev, (unsigned)off + i, &p[i], is_write);
}

/* Little-endian fields of (bytes) bytes in a register file or table. */
static inline void dev_put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t dev_get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline uint8_t dev_to_bcd(unsigned v)
{
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static inline unsigned dev_from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0x0f);
}

/* Free what debugcon_create() allocated for (vm). Call once the VM no longer
 * runs (board_pc_destroy() does; tests that create debugcon alone call it
 * before vm_destroy()). */
void misc_release(struct vm *vm);

/* The guest asked for a reset (port 0x92, the keyboard controller's reset
 * line, ...): stop the VM with VM_STOP_RESET; (how) goes to the dev log. */
void misc_guest_reset(struct vm *vm, const char *how);

#endif

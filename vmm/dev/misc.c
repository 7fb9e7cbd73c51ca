/* misc.c: the small ports of a PC as QEMU's default machine shows them:
 * isa-debug-exit, the Bochs/QEMU debug console (0xe9), and system control
 * (POST code 0x80, fast A20/reset 0x92, and the Bochs/old QEMU ACPI PM1a
 * control register at 0xb004 for power-off; QEMU PIIX4's at 0x604 is
 * acpi_pm.c's, the keyboard controller is i8042.c).
 *
 * debugexit and sysctl keep no state (their handlers get the VM). debugcon
 * needs its chardev, so its state is allocated and kept on a list that
 * misc_release() frees (dev.h gives these devices no destroy function). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/dev_internal.h"

#define ACPI_PM1_SLP_EN (1u << 13)
#define ACPI_PM1_SLP_TYP(v) (((v) >> 10) & 7)

struct debugcon {
	struct vm *vm;
	struct chardev *chr;
	pthread_mutex_t lock; /* orders output from concurrent vCPUs */
	struct debugcon *next;
};

static pthread_mutex_t misc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct debugcon *misc_debugcons;

static uint32_t misc_value(const void *data, unsigned size)
{
	uint32_t v = 0;
	memcpy(&v, data, VMM_MIN(size, sizeof(v)));
	return v;
}

/* QEMU hw/misc/debugexit.c: exit((val << 1) | 1). Reads float high. */
static int debugexit_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct vm *vm = dev;
	if (!is_write) {
		memset(data, 0xff, size);
		return 0;
	}
	uint32_t v = misc_value(data, size);
	vmm_debug(dev, "debug-exit: guest wrote %#x", v);
	vm_request_stop(vm, VM_STOP_DEBUG_EXIT, (int)((v << 1) | 1), NULL);
	return 0;
}

int debugexit_create(struct vm *vm, uint16_t port)
{
	return io_register(&vm->pio, port, 4, "isa-debug-exit", debugexit_io, vm);
}

static int debugcon_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct debugcon *d = dev;
	if (!is_write) {
		memset(data, 0xe9, size); /* the Bochs/QEMU presence check */
		return 0;
	}
	if (!d->chr)
		return 0;
	pthread_mutex_lock(&d->lock);
	chardev_write(d->chr, data, 1); /* QEMU sends only the low byte */
	pthread_mutex_unlock(&d->lock);
	vm_note_output(d->vm);
	return 0;
}

int debugcon_create(struct vm *vm, uint16_t port, struct chardev *chr)
{
	struct debugcon *d = calloc(1, sizeof(*d));
	if (!d) {
		vmm_err("debugcon: out of memory");
		return -ENOMEM;
	}
	d->vm = vm;
	d->chr = chr;
	pthread_mutex_init(&d->lock, NULL);
	int r = io_register(&vm->pio, port, 1, "debugcon", debugcon_io, d);
	if (r) {
		pthread_mutex_destroy(&d->lock);
		free(d);
		return r;
	}
	pthread_mutex_lock(&misc_lock);
	d->next = misc_debugcons;
	misc_debugcons = d;
	pthread_mutex_unlock(&misc_lock);
	return 0;
}

void misc_release(struct vm *vm)
{
	pthread_mutex_lock(&misc_lock);
	for (struct debugcon **p = &misc_debugcons; *p;) {
		struct debugcon *d = *p;
		if (d->vm != vm) {
			p = &d->next;
			continue;
		}
		*p = d->next;
		pthread_mutex_destroy(&d->lock);
		free(d);
	}
	pthread_mutex_unlock(&misc_lock);
}

void misc_guest_reset(struct vm *vm, const char *how)
{
	vmm_debug(dev, "sysctl: reset through %s", how);
	vm_request_stop(vm, VM_STOP_RESET, 0,
			"guest requested a reset; stopping (Triplex does not reboot)");
}

/* Port 0x80: POST codes, written by firmware and as an I/O delay. */
static int sysctl_post_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	if (!is_write)
		memset(data, 0xff, size);
	return 0;
}

/* Port 0x92, system control port A: bit 1 A20 (always on), bit 0 resets. */
static int sysctl_a20_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	if (!is_write)
		*(uint8_t *)data = 0x02;
	else if (*(uint8_t *)data & 0x01)
		misc_guest_reset(dev, "port 0x92");
	return 0;
}

/* ACPI 6.4 4.8.3.2.1: Bochs's PM1 control; SLP_EN with the S5 sleep type
 * (0, as on QEMU's PIIX4) powers off. Byte writes to the high half count. */
static int sysctl_pm1_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	if (!is_write) {
		memset(data, 0, size);
		return 0;
	}
	uint32_t v = misc_value(data, size) << (8 * off);
	if ((v & ACPI_PM1_SLP_EN) && ACPI_PM1_SLP_TYP(v) == 0)
		vm_request_stop(dev, VM_STOP_POWEROFF, 0, "guest powered off");
	return 0;
}

int sysctl_create(struct vm *vm)
{
	int r = io_register(&vm->pio, 0x80, 1, "post", sysctl_post_io, vm);
	if (!r)
		r = io_register(&vm->pio, 0x92, 1, "sysctl-a20", sysctl_a20_io, vm);
	if (!r)
		r = io_register(&vm->pio, 0xb004, 2, "bochs-pm1a-cnt", sysctl_pm1_io, vm);
	return r;
}
